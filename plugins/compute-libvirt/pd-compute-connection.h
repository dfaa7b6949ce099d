/*
 * polld - one read-only libvirt connection: opening, reopening, keepalive,
 * domain events; only its pipeline's thread calls libvirt on it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libvirt/libvirt.h>

#include "polld.h"

G_BEGIN_DECLS

#define PD_TYPE_COMPUTE_CONNECTION (pd_compute_connection_get_type())
G_DECLARE_FINAL_TYPE(PdComputeConnection, pd_compute_connection, PD, COMPUTE_CONNECTION, GObject)

PdComputeConnection *
pd_compute_connection_new(PdPlugin *plugin);
/* the URI Ceilometer would use for this config ([compute] wins over [DEFAULT]) */
gchar *
pd_compute_connection_uri_from_config(PdConfig *config);
void
pd_compute_connection_set_uri(PdComputeConnection *self, const gchar *uri);
/* longest wait between two opening attempts (default 60 s, at least 1 s) */
void
pd_compute_connection_set_backoff_max(PdComputeConnection *self, gint64 usec);
/* libvirt keepalive (@interval seconds, @count unanswered probes) on each new
 * remote connection; a libvirtd that stops answering is given up after about
 * interval * (count + 1) s, its calls in flight fail and the next get()
 * reopens. 0 disables. Takes effect on the next connection. */
void
pd_compute_connection_set_keepalive(PdComputeConnection *self, gint interval, guint count);
/* for tests: use @conn (read-write, shared test driver state) instead of opening */
void
pd_compute_connection_set_conn(PdComputeConnection *self, virConnectPtr conn);
/* for tests: the next take_changes() on the injected connection says that
 * domain events came for @changed (raw UUIDs) and for no other domain */
void
pd_compute_connection_set_changes(PdComputeConnection *self, GHashTable *changed);
/* a new reference (virConnectClose it), opening or reopening as needed; may
 * block, so call it on the connection's pipeline thread only. Fails with PD_ERROR_NOT_READY while
 * libvirt is unreachable (with back-off between attempts). */
virConnectPtr
pd_compute_connection_get(PdComputeConnection *self, GError **error);
/* a call on @conn failed: drop it if the failure was a disconnection, so the
 * next get() reopens; returns TRUE when it did */
gboolean
pd_compute_connection_check_failure(PdComputeConnection *self, virConnectPtr conn);
/* subscribe to domain events (lifecycle, metadata change, device added or
 * removed) on each new connection; default on. Takes effect on the next
 * connection. */
void
pd_compute_connection_set_domain_events(PdComputeConnection *self, gboolean enabled);
/* For the discovery. FALSE: @conn is not the current connection or has no
 * domain events, so any domain may have changed. TRUE: *@changed is the set
 * (raw UUIDs, the caller unrefs it) of domains with an event since the last
 * call, or NULL when there were too many to keep and all count as changed.
 * *@serial counts the connections opened: when it moved, events in between
 * were missed. */
gboolean
pd_compute_connection_take_changes(PdComputeConnection *self,
				   virConnectPtr conn,
				   GHashTable **changed,
				   guint64 *serial);
void
pd_compute_connection_close(PdComputeConnection *self);

/* FALSE while the bulk statistics call answered none of the groups asked on
 * the current connection (re-tried now and then, and on a new connection) */
gboolean
pd_compute_connection_bulk_wanted(PdComputeConnection *self);
void
pd_compute_connection_set_bulk_useless(PdComputeConnection *self, gboolean useless);

/* fills @error from libvirt's last error of this thread */
void
pd_compute_set_virt_error(GError **error, const gchar *what);
/* libvirt's last error code of this thread, or 0 */
gint
pd_compute_last_error_code(void);

/* Which of the @n handles @asked (in the order asked of
 * virDomainListGetStats()) each of the NULL-terminated @records answers:
 * @index[r] is its position in @asked, or -1. Records come in the order
 * asked, a domain gone since left out, with handles of their own: each is
 * taken for the next handle asked with its name (names are unique on a
 * host at any time; libvirt lets only a stopped domain be renamed), -1
 * when none after the last taken has it (the caller asks its UUID).
 * virDomainGetName() logs no UUID; virDomainGetUUID() formats it for a
 * debug line, about 6,400 instructions. Returns how many are -1. */
guint
pd_compute_connection_match_records(virDomainPtr *asked,
				    guint n,
				    virDomainStatsRecordPtr *records,
				    gint *index);

G_END_DECLS
