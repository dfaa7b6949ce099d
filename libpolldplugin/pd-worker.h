/*
 * polld - the bounded pool that runs synchronous plugin code
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* like g_task_run_in_thread(), but in polld's own bounded pool */
void
pd_worker_run(GTask *task, GTaskThreadFunc func);

G_END_DECLS
