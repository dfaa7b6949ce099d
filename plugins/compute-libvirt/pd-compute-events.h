/*
 * polld - libvirt's event loop on an epoll thread of its own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* registers the implementation with libvirt and starts its thread; once per
 * process, before any connection opens (libvirt cannot unregister it) */
gboolean
pd_compute_events_register(GError **error);

/* on a thread that calls libvirt in jobs (a pipeline): a socket watch that
 * libvirt turns on again after a call is applied at the next flush */
void
pd_compute_events_defer_on_this_thread(void);

/* applies the watches deferred so far; a pipeline calls it after each job,
 * before it waits for the next */
void
pd_compute_events_flush(void);

G_END_DECLS
