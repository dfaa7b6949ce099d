/*
 * polld - one polling task: the sources sharing an interval, on one timer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-blacklist.h"
#include "pd-discovery.h"
#include "pd-polling-config.h"
#include "pd-pollster-stats-table.h"
#include "pd-pollster.h"
#include "pd-resource.h"
#include "pd-returns.h"
#include "pd-sink.h"

G_BEGIN_DECLS

#define PD_TYPE_POLLING_TASK (pd_polling_task_get_type())
G_DECLARE_FINAL_TYPE(PdPollingTask, pd_polling_task, PD, POLLING_TASK, GObject)

/* the partitioning hook: at each cycle start a task takes a share (an
 * immutable view of the assignment, NULL = keep everything) and keeps the
 * resources the share owns; @discovery is NULL for the static resources of
 * @source. Runs on the main thread between discovery and polling. */
typedef struct {
	gpointer (*share_begin)(gpointer user_data);
	gboolean (*share_owns)(gpointer share,
			       const gchar *source,
			       const gchar *discovery,
			       PdResource *res);
	void (*share_end)(gpointer share);
} PdResourceFilter;

/* every batch polled goes to @sink; @blacklist and @stats are shared with
 * the other tasks and outlive reloads; @discoveries maps names to
 * PdDiscovery. Emits "cycle-finished" (guint64 duration us, guint samples,
 * guint errors) when a cycle closes. */
PdPollingTask *
pd_polling_task_new(guint interval,
		    PdSink *sink,
		    PdBlacklist *blacklist,
		    PdPollsterStatsTable *stats,
		    GHashTable *discoveries);
/* read at each cycle start: [polld] pollster_timeout, [polling] batch_size,
 * and what the poll contexts offer pollsters */
void
pd_polling_task_set_config(PdPollingTask *self, PdConfig *config);
/* timer ticks start no cycle while paused (run_async still does) */
void
pd_polling_task_set_paused(PdPollingTask *self, gboolean paused);
/* @filter NULL: keep everything */
void
pd_polling_task_set_resource_filter(PdPollingTask *self,
				    const PdResourceFilter *filter,
				    gpointer user_data);
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
/* the queue worker-thread pollsters' invocations return through, or NULL
 * before the first (tests count its wake-ups) */
PdReturns *
pd_polling_task_get_returns(PdPollingTask *self);
/* discovery name -> resources its last run found (GUINT_TO_POINTER) */
GHashTable *
pd_polling_task_get_discovery_sizes(PdPollingTask *self);

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
/* pollster invocations still out: the running cycle's and those that
 * outlived theirs */
guint
pd_polling_task_get_running_jobs(PdPollingTask *self);
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
