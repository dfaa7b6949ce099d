/*
 * polld - the compute plugin's libvirt connections, one pipeline each
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-compute-pipeline.h"

G_BEGIN_DECLS

#define PD_TYPE_COMPUTE_POOL (pd_compute_pool_get_type())
G_DECLARE_FINAL_TYPE(PdComputePool, pd_compute_pool, PD, COMPUTE_POOL, GObject)

/* [compute] libvirt_connections: default and upper limit */
#define PD_COMPUTE_POOL_DEFAULT_SIZE 2
#define PD_COMPUTE_POOL_MAX_SIZE 16

/* @plugin (may be NULL) gets the connection status */
PdComputePool *
pd_compute_pool_new(PdPlugin *plugin);
/* what start() applies to every connection; the number of connections is
 * fixed by the first call (an in-process test:/// driver gets one: each
 * connection to it would hold its own copy of the domains) */
void
pd_compute_pool_configure(PdComputePool *self,
			  const gchar *uri,
			  guint connections,
			  gint64 backoff_max_usec,
			  gint keepalive_interval,
			  guint keepalive_count,
			  gboolean domain_events);
/* for tests: one pipeline on @conn (read-write, shared test driver state) */
void
pd_compute_pool_set_conn(PdComputePool *self, virConnectPtr conn);
/* for tests: @n pipelines on the one @conn (an in-process test:/// driver
 * has no RPC client to race), sharded as @n connections would be */
void
pd_compute_pool_set_conn_shared(PdComputePool *self, virConnectPtr conn, guint n);
guint
pd_compute_pool_get_size(PdComputePool *self);
PdComputePipeline *
pd_compute_pool_get(PdComputePool *self, guint index);
/* the pipeline whose connection holds the handle of the domain @uuid (raw) */
guint
pd_compute_pool_shard(PdComputePool *self, const guchar *uuid);
/* opens the first connection in its pipeline, without waiting; the others
 * open on first use (the first discovery starts them once the first
 * connection's first domains are handed over: with libvirt's test driver
 * behind libvirtd every open parses the whole file again, and would compete
 * with those first calls) */
void
pd_compute_pool_open_in_background(PdComputePool *self);
/* closes every connection in its pipeline, without waiting */
void
pd_compute_pool_close(PdComputePool *self);
/* statistics groups the meters of @source asked for in earlier cycles, so
 * that one pass over the domains fetches all of them */
guint
pd_compute_pool_get_groups(PdComputePool *self, const gchar *source);
void
pd_compute_pool_add_groups(PdComputePool *self, const gchar *source, guint groups);
/* the meters (bits of their index in pd_compute_meter_table()) of @source
 * that read statistics in this or earlier cycles, and those of the sources
 * that shared its last cycle's statistics: a cycle's statistics record
 * lives until all have read it */
guint64
pd_compute_pool_add_meter(PdComputePool *self, const gchar *source, guint64 meter);
/* @sources (names) read one cycle's statistics: from now on each knows the
 * others' meters (a source whose invocations start after another's
 * records died would fetch them again, every cycle) */
void
pd_compute_pool_set_peers(PdComputePool *self, GPtrArray *sources);
/* statistics jobs queued or running on the pipelines (@delta +1 or -1) */
void
pd_compute_pool_count_jobs(PdComputePool *self, gint delta);
gint
pd_compute_pool_get_jobs(PdComputePool *self);
/* a cycle's statistics are gone: @peak records were alive at most at once */
void
pd_compute_pool_note_records(PdComputePool *self, guint peak);
/* for tests: the last cycle's @peak, and how many cycles' statistics are gone */
guint
pd_compute_pool_get_records_peak(PdComputePool *self, guint *cycles_done);

G_END_DECLS
