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

G_END_DECLS
