/*
 * polld - one polling task: the sources sharing an interval, on one timer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-polling-config.h"
#include "pd-pollster.h"

G_BEGIN_DECLS

#define PD_TYPE_POLLING_TASK (pd_polling_task_get_type())
G_DECLARE_FINAL_TYPE(PdPollingTask, pd_polling_task, PD, POLLING_TASK, GObject)

typedef struct _PdEngine PdEngine;

PdPollingTask *
pd_polling_task_new(PdEngine *engine, guint interval);
void
pd_polling_task_add(PdPollingTask *self,
		    PdPollingConfig *config,
		    PdSourceDef *source,
		    PdPollster *pollster);
guint
pd_polling_task_get_interval(PdPollingTask *self);
const gchar *
pd_polling_task_get_name(PdPollingTask *self);
/* "source/pollster" strings */
GPtrArray *
pd_polling_task_get_entries(PdPollingTask *self);
gboolean
pd_polling_task_is_running(PdPollingTask *self);
gint64
pd_polling_task_get_next_run(PdPollingTask *self); /* wall clock us, 0 if stopped */
gint64
pd_polling_task_get_last_duration(PdPollingTask *self);
guint64
pd_polling_task_get_overruns(PdPollingTask *self);
/* resources the last cycle left to other agents (partitioning) */
guint
pd_polling_task_get_last_skipped(PdPollingTask *self);
guint64
pd_polling_task_get_cycles(PdPollingTask *self);

/* what the task polls, to tell an unchanged task on reload */
gchar *
pd_polling_task_get_fingerprint(PdPollingTask *self);
/* monotonic time of the next run, 0 if stopped */
gint64
pd_polling_task_get_next_run_mono(PdPollingTask *self);
/* like start, but the first run at @next_run_mono */
void
pd_polling_task_start_at(PdPollingTask *self, gint64 next_run_mono);

/* first cycle now, then every interval from the last start */
void
pd_polling_task_start(PdPollingTask *self);
void
pd_polling_task_stop(PdPollingTask *self);
/* a cycle now (after the running one, if any), restricted to entries whose
 * pollster or source is in @names (NULL = all) */
void
pd_polling_task_run_async(PdPollingTask *self,
			  const gchar *const *names,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data);
gboolean
pd_polling_task_run_finish(PdPollingTask *self, GAsyncResult *res, GError **error);
/* jobs that outlived their cycle and still run */
guint
pd_polling_task_get_late_jobs(PdPollingTask *self);
/* completes when no cycle runs and no late job is out */
void
pd_polling_task_wait_idle_async(PdPollingTask *self,
				GAsyncReadyCallback callback,
				gpointer user_data);
gboolean
pd_polling_task_wait_idle_finish(PdPollingTask *self, GAsyncResult *res, GError **error);
/* does any entry match @names? */
gboolean
pd_polling_task_matches(PdPollingTask *self, const gchar *const *names);

G_END_DECLS
