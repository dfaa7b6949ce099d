/*
 * polld - the daemon's side of the worker pool; not part of the installed SDK
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-worker.h"

G_BEGIN_DECLS

/* [polld] worker_threads */
void
pd_worker_set_max_threads(guint max_threads);

/* @n_threads more idle threads kept (GLib's idle threads serve every
 * shared pool: the daemon's other pools count theirs in here); the worker
 * pool's own are kept already */
void
pd_worker_keep_threads(guint n_threads);

/* @func(@data) in the same pool, without a GTask: the caller reports the
 * result itself (a GTask returned from a pool thread completes through
 * an idle on its context, a wake-up of that context each) */
void
pd_worker_run_func(GFunc func, gpointer data);

/* TRUE when an item pushed now starts at once: fewer items pushed and not
 * finished than [polld] worker_threads (each running one, or queued) */
gboolean
pd_worker_starts_now(void);

G_END_DECLS
