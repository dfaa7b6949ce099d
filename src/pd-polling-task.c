/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPollingTask"

#include "config.h"

#include <math.h>

#include "pd-discovery-private.h"
#include "pd-error.h"
#include "pd-log.h"
#include "pd-poll-context-private.h"
#include "pd-polling-task-private.h"
#include "pd-worker-private.h"

/*
 * One cycle: every (source, pollster) entry becomes a job. A job waits for
 * the discoveries it needs (each discovery runs once per cycle, whoever asks
 * first starts it), drops resources already polled this cycle or
 * blacklisted, polls, and hands its samples to the task's sink.
 * Jobs run concurrently, so a hung pollster only delays itself; the cycle
 * closes when every job is done, at its deadline or at the next tick, and a
 * job that outlives its cycle keeps its entry busy (skipped by later cycles,
 * counted, logged once) until it returns, its samples still handed over.
 */

G_DEFINE_TYPE(PdPollingTask, pd_polling_task, G_TYPE_OBJECT)

enum { SIGNAL_CYCLE_FINISHED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = { 0 };

static void
pd_polling_task_cycle_start(PdPollingTask *self, GPtrArray *filter, GPtrArray *waiters);
static void
pd_job_launch(PdJob *job);
static guint
pd_polling_task_get_flush_size(PdPollingTask *self);
static gint64
pd_polling_task_get_pollster_timeout(PdPollingTask *self);
static void
pd_polling_task_skip_busy(PdPollingTask *self, PdTaskEntry *entry);

static void
pd_task_entry_free(PdTaskEntry *entry)
{
	g_object_unref(entry->pollster);
	pd_polling_config_unref(entry->config);
	g_free(entry->key);
	g_free(entry);
}

static void
pd_discovery_run_free(PdDiscoveryRun *run)
{
	g_free(run->name);
	if (run->resources != NULL)
		g_ptr_array_unref(run->resources);
	g_ptr_array_unref(run->waiters);
	g_free(run);
}

static void
pd_cycle_unref(PdCycle *cycle);

static void
pd_polling_task_check_idle(PdPollingTask *self);

static void
pd_job_free(PdJob *job)
{
	PdPollingTask *task = job->task;

	pd_cycle_unref(job->cycle);
	if (job->resources != NULL)
		g_ptr_array_unref(job->resources);
	g_hash_table_unref(job->cursors);
	if (job->taken != NULL)
		g_hash_table_unref(job->taken);
	g_free(job->first_error);
	g_free(job->blacklisted_first);
	pd_poll_context_free(job->ctx);
	g_free(job);
	task->n_jobs--;
	pd_polling_task_check_idle(task);
	g_object_unref(task);
}

/* --- cycle end --- */

static void
pd_polling_task_complete_tasks(GPtrArray *tasks)
{
	for (guint i = 0; tasks != NULL && i < tasks->len; i++)
		g_task_return_boolean(g_ptr_array_index(tasks, i), TRUE);
}

static PdCycle *
pd_cycle_ref(PdCycle *cycle)
{
	cycle->ref_count++;
	return cycle;
}

static void
pd_cycle_unref(PdCycle *cycle)
{
	if (--cycle->ref_count > 0)
		return;
	if (cycle->deadline != NULL) {
		g_source_destroy(cycle->deadline);
		g_source_unref(cycle->deadline);
	}
	if (cycle->share != NULL)
		cycle->share_ops->share_end(cycle->share);
	g_hash_table_unref(cycle->skipped);
	pd_cycle_cache_unref(cycle->cache);
	g_hash_table_unref(cycle->discoveries);
	g_hash_table_unref(cycle->history);
	if (cycle->filter != NULL)
		g_ptr_array_unref(cycle->filter);
	g_ptr_array_unref(cycle->waiters);
	g_ptr_array_unref(cycle->jobs);
	g_ptr_array_unref(cycle->finished);
	g_free(cycle);
}

/* one line per cycle, like Ceilometer's INFO lines but not one per pollster */
static void
pd_polling_task_log_cycle(PdPollingTask *self, PdCycle *cycle, gint64 duration)
{
	g_autofree gchar *number = g_strdup_printf("%" G_GUINT64_FORMAT, cycle->number);

	g_log_structured(
	  G_LOG_DOMAIN,
	  G_LOG_LEVEL_MESSAGE,
	  "MESSAGE_ID",
	  PD_LOG_MSGID_CYCLE,
	  "POLLD_TASK",
	  self->name,
	  "POLLD_CYCLE",
	  number,
	  "MESSAGE",
	  "task %s: cycle %s polled %u samples, %u errors, in %.3f s, %u pollsters late",
	  self->name,
	  number,
	  cycle->samples,
	  cycle->errors,
	  (gdouble)duration / G_USEC_PER_SEC,
	  cycle->jobs->len);
}

static void
pd_polling_task_cycle_end(PdPollingTask *self)
{
	PdCycle *cycle = self->cycle;
	g_autoptr(GPtrArray) waiters = g_ptr_array_ref(cycle->waiters);
	gint64 duration = g_get_monotonic_time() - cycle->start_us;

	cycle->closed = TRUE;
	if (cycle->deadline != NULL) {
		g_source_destroy(cycle->deadline);
		g_clear_pointer(&cycle->deadline, g_source_unref);
	}
	/* jobs still out there carry on without their cycle */
	for (guint i = 0; i < cycle->jobs->len; i++) {
		PdJob *job = g_ptr_array_index(cycle->jobs, i);
		g_warning(
		  "%s: pollster %s (source %s) still running after %.1f s; cycle %" G_GUINT64_FORMAT
		  " closed without it, its samples will be published when it returns",
		  self->name,
		  pd_pollster_get_name(job->entry->pollster),
		  job->entry->source->name,
		  (gdouble)duration / G_USEC_PER_SEC,
		  cycle->number);
		job->late = TRUE;
		pd_pollster_stats_table_lookup(self->stats,
					       pd_pollster_get_name(job->entry->pollster))
		  ->late_jobs++;
		cycle->errors++;
	}
	self->last_duration_us = duration;
	self->last_skipped = g_hash_table_size(cycle->skipped);
	self->cycle = NULL;
	g_debug("%s: cycle %" G_GUINT64_FORMAT " done in %" G_GINT64_FORMAT
		" us, %u samples, %u errors",
		self->name,
		cycle->number,
		duration,
		cycle->samples,
		cycle->errors);
	pd_polling_task_log_cycle(self, cycle, duration);
	g_ptr_array_add(cycle->finished, NULL);
	pd_sink_cycle_finished(self->sink,
			       (const gchar *const *)cycle->finished->pdata,
			       cycle->start_us,
			       self->interval);
	g_signal_emit(self,
		      signals[SIGNAL_CYCLE_FINISHED],
		      0,
		      (guint64)duration,
		      cycle->samples,
		      cycle->errors);
	pd_cycle_unref(cycle);

	if (self->queued->len > 0) {
		g_autoptr(GPtrArray) queued = g_steal_pointer(&self->queued);
		g_autoptr(GPtrArray) filter = g_steal_pointer(&self->queued_filter);
		self->queued = g_ptr_array_new_with_free_func(g_object_unref);
		if (self->queued_all)
			g_clear_pointer(&filter, g_ptr_array_unref);
		self->queued_all = FALSE;
		pd_polling_task_cycle_start(self, filter, queued);
	}
	/* last: callbacks may start new cycles */
	pd_polling_task_complete_tasks(waiters);
	pd_polling_task_check_idle(self);
}

/* idle: no cycle, none queued, and no job of an earlier cycle still out */
static void
pd_polling_task_check_idle(PdPollingTask *self)
{
	g_autoptr(GPtrArray) idle = NULL;

	if (self->cycle != NULL || self->queued->len > 0 || self->n_jobs > 0 ||
	    self->idle_waiters->len == 0)
		return;
	idle = g_steal_pointer(&self->idle_waiters);
	self->idle_waiters = g_ptr_array_new_with_free_func(g_object_unref);
	pd_polling_task_complete_tasks(idle);
}

static void
pd_cycle_job_done(PdCycle *cycle, PdJob *job)
{
	g_ptr_array_remove_fast(cycle->jobs, job);
	if (!cycle->closed && cycle->jobs->len == 0)
		pd_polling_task_cycle_end(cycle->task);
}

static gboolean
pd_cycle_deadline_cb(gpointer user_data)
{
	PdCycle *cycle = user_data;
	g_clear_pointer(&cycle->deadline, g_source_unref);
	pd_polling_task_cycle_end(cycle->task);
	return G_SOURCE_REMOVE;
}

/* --- a job: discover, poll, publish --- */

static void
pd_job_log_blacklisted(PdJob *job);

static void
pd_job_finish(PdJob *job)
{
	PdTaskEntry *entry = job->entry;

	pd_job_log_blacklisted(job);
	if (job->late) {
		pd_pollster_stats_table_lookup(job->task->stats,
					       pd_pollster_get_name(entry->pollster))
		  ->late_jobs--;
		if (entry->skip_logged)
			g_message("%s: %s returned, polling it again from the next cycle",
				  job->task->name,
				  entry->key);
		entry->skip_logged = FALSE;
	}
	entry->busy = FALSE;
	if (!job->late && !job->cycle->closed)
		g_ptr_array_add(job->cycle->finished,
				g_strdup(pd_pollster_get_name(entry->pollster)));
	pd_cycle_job_done(job->cycle, job);
	pd_job_free(job);
}

/* done once the pollster returned and every chunk it produced is published */
static void
pd_job_maybe_finish(PdJob *job)
{
	if (job->polled && g_atomic_int_get(&job->pending_chunks) == 0)
		pd_job_finish(job);
}

/* main context: the sink is done with one hand-over */
static void
pd_job_chunk_done(gpointer data, const GError *error)
{
	PdJob *job = data;

	if (error != NULL)
		g_warning("samples of %s lost: %s", job->entry->key, error->message);
	g_atomic_int_dec_and_test(&job->pending_chunks);
	pd_job_maybe_finish(job);
}

/* the pollster's thread: publish what it has so far, so a pollster over
 * thousands of resources never holds all their samples */
static void
pd_job_flush_cb(PdPollContext *ctx, PdSampleBatch *batch, gpointer user_data)
{
	PdJob *job = user_data;

	g_atomic_int_inc(&job->pending_chunks);
	g_atomic_int_add(&job->flushed_samples, (gint)pd_sample_batch_get_size(batch));
	pd_sample_batch_stamp(batch, 0, job->start_wall, NAN);
	pd_sink_consume(job->task->sink, batch, pd_job_chunk_done, job);
	pd_sample_batch_free(batch);
}

/* a worker thread: the sink serialises where it is called, so the final
 * batch of a pollster is handed over off the main loop; its completion
 * comes back through the sink (pd_job_chunk_done), so nothing returns from
 * here (a GTask would, through an idle on the main context) */
typedef struct {
	PdJob *job;
	PdSampleBatch *batch;
} PdJobHandOver;

static void
pd_job_hand_over_func(gpointer data, gpointer user_data)
{
	PdJobHandOver *h = data;

	pd_sink_consume(h->job->task->sink, h->batch, pd_job_chunk_done, h->job);
	pd_sample_batch_free(h->batch);
	g_free(h);
}

#define PD_JOB_HAND_OVER_THREADS 10

static void
pd_job_hand_over(PdJob *job, PdSampleBatch *batch)
{
	static GThreadPool *pool = NULL;
	PdJobHandOver *h = g_new0(PdJobHandOver, 1);

	/* as many threads as GTask's own pool had; the hand-overs may wait
	 * for room in the in-flight budget, not for a hung pollster */
	if (g_once_init_enter(&pool)) {
		/* its threads stay between cycles too */
		pd_worker_keep_threads(PD_JOB_HAND_OVER_THREADS);
		g_once_init_leave(
		  &pool,
		  g_thread_pool_new(
		    pd_job_hand_over_func, NULL, PD_JOB_HAND_OVER_THREADS, FALSE, NULL));
	}
	h->job = job;
	h->batch = batch;
	g_thread_pool_push(pool, h, NULL);
}

/* once per job, when its last invocation returned */
static void
pd_job_record(PdJob *job)
{
	PdPollsterStats *stats = pd_pollster_stats_table_lookup(
	  job->task->stats, pd_pollster_get_name(job->entry->pollster));
	guint n_samples = job->samples + (guint)g_atomic_int_get(&job->flushed_samples);

	stats->runs++;
	stats->last_run = job->start_wall;
	stats->last_duration_us = g_get_monotonic_time() - job->start_us;
	stats->last_samples = n_samples;
	stats->samples += n_samples;
	g_clear_pointer(&stats->last_error, g_free);
	if (job->first_error != NULL) {
		stats->errors++;
		stats->last_error = g_strdup(job->first_error);
	}
	if (!job->cycle->closed) {
		job->cycle->samples += n_samples;
		if (job->first_error != NULL)
			job->cycle->errors++;
	}
}

/* the resources an invocation failed for permanently are blacklisted; the
 * log line comes once the job is done (pd_job_log_blacklisted): one for
 * the job, however many invocations (slices, parts) it took */
static void
pd_job_blacklist_add(PdJob *job, PdResource *res, const gchar *reason)
{
	const gchar *id = pd_resource_get_id(res);

	if (!pd_blacklist_add(job->task->blacklist,
			      job->entry->source->name,
			      pd_pollster_get_name(job->entry->pollster),
			      id,
			      reason))
		return;
	if (job->blacklisted++ == 0)
		job->blacklisted_first =
		  g_strdup_printf("%s: %s", id, reason != NULL ? reason : "permanent error");
}

static void
pd_job_blacklist_failures(PdJob *job, const GError *error)
{
	GPtrArray *failures = pd_poll_context_get_failures(job->ctx);

	for (guint i = 0; i < failures->len; i++) {
		PdPermanentFailure *f = g_ptr_array_index(failures, i);
		pd_job_blacklist_add(job, f->resource, f->reason);
	}
	if (error != NULL && g_error_matches(error, PD_ERROR, PD_ERROR_PERMANENT)) {
		for (guint i = 0; i < job->resources->len; i++)
			pd_job_blacklist_add(
			  job, g_ptr_array_index(job->resources, i), error->message);
	}
}

/* one line per pollster and cycle, not one per resource or invocation; a
 * failure again after the re-probe is not news */
static void
pd_job_log_blacklisted(PdJob *job)
{
	const gchar *source = job->entry->source->name;
	const gchar *pollster = pd_pollster_get_name(job->entry->pollster);
	guint retry_min = pd_blacklist_get_retry_min(job->task->blacklist);

	if (job->blacklisted == 1)
		g_message("pollster %s (source %s) cannot poll resource %s; asking again in "
			  "%u s, then with back-off up to %d s",
			  pollster,
			  source,
			  job->blacklisted_first,
			  retry_min,
			  PD_BLACKLIST_RETRY_MAX_S);
	else if (job->blacklisted > 1)
		g_message("pollster %s (source %s) cannot poll %u resources (first: %s); "
			  "asking again in %u s, then with back-off up to %d s",
			  pollster,
			  source,
			  job->blacklisted,
			  job->blacklisted_first,
			  retry_min,
			  PD_BLACKLIST_RETRY_MAX_S);
}

static void
pd_job_invoke(PdJob *job);
static void
pd_job_continue(PdJob *job);

/* main context: an invocation returned, @error if it failed */
static void
pd_job_polled(PdJob *job, const GError *error)
{
	PdPollContext *ctx = job->ctx;

	if (error != NULL) {
		if (!g_error_matches(error, PD_ERROR, PD_ERROR_PERMANENT))
			g_log_structured(G_LOG_DOMAIN,
					 G_LOG_LEVEL_WARNING,
					 "POLLD_POLLSTER",
					 pd_pollster_get_name(job->entry->pollster),
					 "POLLD_TASK",
					 job->task->name,
					 "MESSAGE",
					 "pollster %s (source %s): %s",
					 pd_pollster_get_name(job->entry->pollster),
					 job->entry->source->name,
					 error->message);
		if (job->first_error == NULL)
			job->first_error = g_strdup(error->message);
	}
	pd_job_blacklist_failures(job, error);
	g_ptr_array_set_size(pd_poll_context_get_failures(ctx), 0);
	job->polling = FALSE;
	pd_job_continue(job);
}

static void
pd_job_polled_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	pd_pollster_poll_finish(PD_POLLSTER(source), res, &error);
	pd_job_polled(user_data, error);
}

/* an invocation of a worker-thread pollster, run in the worker pool and
 * returned through the task's queue (pd_returns_push), not a GTask */
typedef struct {
	PdJob *job;
	PdPollster *pollster;
	GPtrArray *resources;
	GError *error;
	/* started from a discovery part's dispatch: the discovery learns
	 * when this invocation returned (pd_discovery_parts_add_full()) */
	PdDiscoveryPartDone *part;
} PdJobReturn;

static void
pd_job_poll_func(gpointer data, gpointer user_data)
{
	PdJobReturn *ret = data;
	PdJob *job = ret->job;

	if (!PD_POLLSTER_GET_CLASS(ret->pollster)
	       ->poll(ret->pollster, job->ctx, ret->resources, NULL, &ret->error) &&
	    ret->error == NULL)
		g_set_error(&ret->error, PD_ERROR, PD_ERROR_INTERNAL, "failed without an error");
	pd_discovery_part_release(g_steal_pointer(&ret->part));
	pd_returns_push(job->task->returns, ret);
}

/* main context: the task's queue, in the order the invocations returned */
static void
pd_job_returned_cb(gpointer item, gpointer user_data)
{
	PdJobReturn *ret = item;

	pd_job_polled(ret->job, ret->error);
	g_clear_error(&ret->error);
	g_ptr_array_unref(ret->resources);
	g_object_unref(ret->pollster);
	g_free(ret);
}

static void
pd_job_poll_in_worker(PdJob *job)
{
	PdJobReturn *ret = g_new0(PdJobReturn, 1);
	PdPollingTask *task = job->task;

	if (task->returns == NULL)
		task->returns =
		  pd_returns_new(g_main_context_get_thread_default(), pd_job_returned_cb, task);
	ret->job = job;
	ret->pollster = g_object_ref(job->entry->pollster);
	ret->resources = g_ptr_array_ref(job->resources);
	/* not when it would wait for a worker: the discovery may hold one
	 * itself until it lists ([polld] worker_threads = 1), or hung
	 * pollsters all of them */
	ret->part = pd_worker_starts_now() ? pd_discovery_part_hold() : NULL;
	pd_worker_run_func(pd_job_poll_func, ret);
}

/* the samples of the invocations so far, unless the next one starts now:
 * a slice's last samples go into the same chunk as the next slice's (a
 * slice is not a message of its own), and are handed over when the job
 * has nothing to poll right away (the end, or waiting for a later part) */
static void
pd_job_hand_over_rest(PdJob *job)
{
	PdSampleBatch *batch = pd_poll_context_steal_batch(job->ctx);
	guint n = pd_sample_batch_get_size(batch);

	job->samples += n;
	if (n == 0) {
		pd_sample_batch_free(batch);
		return;
	}
	pd_sample_batch_stamp(batch, 0, job->start_wall, NAN);
	g_atomic_int_inc(&job->pending_chunks);
	pd_job_hand_over(job, batch);
}

typedef struct {
	PdCycle *cycle;
	PdDiscoveryRun *run;
} PdDiscoveryCall;

static void
pd_cycle_discovery_cb(GObject *source, GAsyncResult *res, gpointer user_data);
static void
pd_cycle_discovery_part_cb(GPtrArray *resources, gpointer user_data);

/* the discovery's filter, as a part arrives: will a job waiting for the run
 * take @res (not blacklisted for its pollster, owned by this agent)? The
 * discovery then prepares only what will be polled (compute queues the
 * statistics of a later part before any pollster is invoked on it). */
static gboolean
pd_cycle_discovery_accepts(PdResource *res, gpointer user_data)
{
	PdDiscoveryCall *call = user_data;
	PdCycle *cycle = call->cycle;
	const gchar *id = pd_resource_get_id(res);

	for (guint i = 0; i < call->run->waiters->len; i++) {
		PdJob *job = g_ptr_array_index(call->run->waiters, i);
		const gchar *source = job->entry->source->name;
		if (pd_blacklist_contains(
		      job->task->blacklist, source, pd_pollster_get_name(job->entry->pollster), id))
			continue;
		if (cycle->share == NULL ||
		    cycle->share_ops->share_owns(cycle->share, source, call->run->name, res))
			return TRUE;
	}
	return FALSE;
}

static void
pd_job_need_discovery(PdJob *job, const gchar *name)
{
	PdCycle *cycle = job->cycle;
	PdDiscoveryRun *run = g_hash_table_lookup(cycle->discoveries, name);
	g_autofree gchar *param = NULL;
	PdDiscovery *discovery;
	PdDiscoveryCall *call;

	if (run != NULL) {
		if (!run->done) {
			job->waiting++;
			g_ptr_array_add(run->waiters, job);
		}
		return;
	}
	run = g_new0(PdDiscoveryRun, 1);
	run->name = g_strdup(name);
	run->resources = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	run->waiters = g_ptr_array_new();
	g_hash_table_insert(cycle->discoveries, run->name, run);
	discovery = pd_polling_job_find_discovery(job, name, &param);
	if (discovery == NULL) {
		g_warning("%s: unknown discovery '%s' (source %s)",
			  job->task->name,
			  name,
			  job->entry->source->name);
		run->done = TRUE;
		return;
	}
	job->waiting++;
	g_ptr_array_add(run->waiters, job);
	call = g_new0(PdDiscoveryCall, 1);
	call->cycle = pd_cycle_ref(cycle);
	call->run = run;
	pd_discovery_discover_parts_filtered_async(discovery,
						   param,
						   cycle->cache,
						   pd_cycle_discovery_accepts,
						   pd_cycle_discovery_part_cb,
						   call,
						   NULL,
						   pd_cycle_discovery_cb,
						   call);
}

static void
pd_job_start_discovery(PdJob *job)
{
	PdSourceDef *source = job->entry->source;
	const gchar *def = pd_pollster_get_default_discovery(job->entry->pollster);

	if (!job->tried_default) {
		for (guint i = 0; source->discovery[i] != NULL; i++)
			pd_job_need_discovery(job, source->discovery[i]);
	} else if (def != NULL) {
		pd_job_need_discovery(job, def);
	}
	if (job->waiting == 0)
		pd_job_launch(job);
}

/* one invocation of the pollster on the resources taken last */
static void
pd_job_invoke(PdJob *job)
{
	const gchar *pollster = pd_pollster_get_name(job->entry->pollster);

	job->polling = TRUE;
	if (job->invocations++ == 0) {
		job->start_us = g_get_monotonic_time();
		job->start_wall = g_get_real_time();
		pd_sink_pollster_polled(job->task->sink, pollster, job->start_wall);
	}
	/* async pollsters run on the main loop and may post-process their
	 * batch once done (identity names): only worker-thread ones stream */
	if (pd_pollster_is_synchronous(job->entry->pollster)) {
		pd_poll_context_set_flush(
		  job->ctx, pd_polling_task_get_flush_size(job->task), pd_job_flush_cb, job);
		pd_job_poll_in_worker(job);
		return;
	}
	pd_pollster_poll_async(
	  job->entry->pollster, job->ctx, job->resources, NULL, pd_job_polled_cb, job);
}

/* a worker-thread pollster polls each part of a discovery as it comes (one
 * invocation at a time: parts that arrive meanwhile go together into the
 * next); others wait for the whole discovery */
static void
pd_job_feed(PdJob *job)
{
	if (job->polling || !pd_pollster_is_synchronous(job->entry->pollster))
		return;
	g_clear_pointer(&job->resources, g_ptr_array_unref);
	job->resources = pd_polling_job_collect_resources(job, job->tried_default);
	if (job->resources->len > 0)
		pd_job_invoke(job);
	else
		pd_job_hand_over_rest(job);
}

/* an invocation returned: the parts that came meanwhile, or the end */
static void
pd_job_continue(PdJob *job)
{
	if (job->waiting > 0) {
		pd_job_feed(job);
		return;
	}
	pd_job_launch(job);
}

/* all discoveries of the job are in: poll what is left, or fall back to
 * the default discovery when none found anything */
static void
pd_job_launch(PdJob *job)
{
	const gchar *pollster = pd_pollster_get_name(job->entry->pollster);
	const gchar *def = pd_pollster_get_default_discovery(job->entry->pollster);

	if (job->polling)
		return;
	g_clear_pointer(&job->resources, g_ptr_array_unref);
	job->resources = pd_polling_job_collect_resources(job, job->tried_default);
	if (job->resources->len > 0) {
		pd_job_invoke(job);
		return;
	}
	pd_job_hand_over_rest(job);
	if (job->invocations == 0 && !job->tried_default && def != NULL &&
	    g_strv_length(job->entry->source->resources) == 0 &&
	    !g_strv_contains((const gchar *const *)job->entry->source->discovery, def)) {
		job->tried_default = TRUE;
		pd_job_start_discovery(job);
		return;
	}
	if (job->invocations == 0) {
		g_debug("%s: skip pollster %s (source %s), no resources found this cycle",
			job->task->name,
			pollster,
			job->entry->source->name);
		pd_job_finish(job);
		return;
	}
	pd_job_record(job);
	job->polled = TRUE;
	pd_job_maybe_finish(job);
}

static void
pd_cycle_discovery_done(PdCycle *cycle, PdDiscoveryRun *run, GPtrArray *resources, GError *error)
{
	g_autoptr(GPtrArray) waiters = g_steal_pointer(&run->waiters);

	run->waiters = g_ptr_array_new();
	run->done = TRUE;
	if (resources == NULL) {
		g_warning(
		  "%s: discovery %s failed: %s", cycle->task->name, run->name, error->message);
		cycle->errors++;
		run->failed = TRUE;
	} else {
		for (guint i = 0; i < resources->len; i++)
			g_ptr_array_add(run->resources,
					pd_resource_ref(g_ptr_array_index(resources, i)));
		g_hash_table_insert(cycle->task->discovery_sizes,
				    g_strdup(run->name),
				    GUINT_TO_POINTER(run->resources->len));
	}
	for (guint i = 0; i < waiters->len; i++) {
		PdJob *job = g_ptr_array_index(waiters, i);
		if (--job->waiting == 0)
			pd_job_launch(job);
	}
}

/* main context: a part of a discovery still running; the jobs waiting for
 * it may start on it */
static void
pd_cycle_discovery_part_cb(GPtrArray *resources, gpointer user_data)
{
	PdDiscoveryCall *call = user_data;
	PdDiscoveryRun *run = call->run;
	g_autoptr(GPtrArray) waiters = NULL;

	for (guint i = 0; i < resources->len; i++)
		g_ptr_array_add(run->resources, pd_resource_ref(g_ptr_array_index(resources, i)));
	/* a copy: a job may finish its cycle from here */
	waiters = g_ptr_array_copy(run->waiters, NULL, NULL);
	for (guint i = 0; i < waiters->len; i++)
		pd_job_feed(g_ptr_array_index(waiters, i));
}

static void
pd_cycle_discovery_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdDiscoveryCall *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
	  pd_discovery_discover_finish(PD_DISCOVERY(source), res, &error);

	pd_cycle_discovery_done(call->cycle, call->run, resources, error);
	pd_cycle_unref(call->cycle);
	g_free(call);
}

/* --- cycle start --- */

static gboolean
pd_task_entry_matches(PdTaskEntry *entry, GPtrArray *filter)
{
	if (filter == NULL)
		return TRUE;
	for (guint i = 0; i < filter->len; i++) {
		const gchar *name = g_ptr_array_index(filter, i);
		if (g_strcmp0(name, pd_pollster_get_name(entry->pollster)) == 0 ||
		    g_strcmp0(name, entry->source->name) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
pd_polling_task_cycle_start(PdPollingTask *self, GPtrArray *filter, GPtrArray *waiters)
{
	PdCycle *cycle = g_new0(PdCycle, 1);
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	PdConfig *config = self->config;
	gint64 timeout = pd_polling_task_get_pollster_timeout(self);

	cycle->ref_count = 1;
	cycle->task = self;
	cycle->number = ++self->cycles;
	cycle->start_us = g_get_monotonic_time();
	cycle->cache = pd_cycle_cache_new(config);
	cycle->discoveries = g_hash_table_new_full(
	  g_str_hash, g_str_equal, NULL, (GDestroyNotify)pd_discovery_run_free);
	cycle->history = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
	cycle->filter = filter != NULL ? g_ptr_array_ref(filter) : NULL;
	cycle->waiters = waiters != NULL ? g_ptr_array_ref(waiters)
					 : g_ptr_array_new_with_free_func(g_object_unref);
	cycle->jobs = g_ptr_array_new();
	cycle->share_ops = self->filter;
	cycle->share = self->filter != NULL ? self->filter->share_begin(self->filter_data) : NULL;
	cycle->skipped = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	cycle->finished = g_ptr_array_new_with_free_func(g_free);
	self->cycle = cycle;

	/* random visiting order spreads API load between agents */
	for (guint i = 0; i < self->entries->len; i++)
		g_ptr_array_add(order, g_ptr_array_index(self->entries, i));
	for (guint i = order->len; i > 1; i--) {
		guint j = (guint)g_random_int_range(0, (gint32)i);
		gpointer tmp = order->pdata[i - 1];
		order->pdata[i - 1] = order->pdata[j];
		order->pdata[j] = tmp;
	}
	for (guint i = 0; i < order->len; i++) {
		PdTaskEntry *entry = g_ptr_array_index(order, i);
		PdJob *job;
		if (!pd_task_entry_matches(entry, filter))
			continue;
		if (entry->busy) {
			pd_polling_task_skip_busy(self, entry);
			cycle->errors++;
			continue;
		}
		job = g_new0(PdJob, 1);
		job->cycle = pd_cycle_ref(cycle);
		job->task = g_object_ref(self);
		job->entry = entry;
		job->ctx = pd_poll_context_new(config, cycle->cache, entry->source->name);
		job->cursors = g_hash_table_new(NULL, NULL);
		entry->busy = TRUE;
		self->n_jobs++;
		g_ptr_array_add(cycle->jobs, job);
	}
	if (cycle->jobs->len == 0) {
		pd_polling_task_cycle_end(self);
		return;
	}
	cycle->deadline =
	  g_timeout_source_new(pd_config_seconds_to_ms((gdouble)timeout / G_USEC_PER_SEC));
	g_source_set_callback(cycle->deadline, pd_cycle_deadline_cb, cycle, NULL);
	g_source_set_name(cycle->deadline, "[polld] cycle deadline");
	g_source_attach(cycle->deadline, NULL);
	/* start jobs from a copy: a job may finish (and the cycle end) right away */
	{
		g_autoptr(GPtrArray) jobs = g_ptr_array_copy(cycle->jobs, NULL, NULL);
		for (guint i = 0; i < jobs->len; i++)
			pd_job_start_discovery(g_ptr_array_index(jobs, i));
	}
}

/* --- scheduling --- */

void
pd_polling_task_set_config(PdPollingTask *self, PdConfig *config)
{
	g_set_object(&self->config, config);
}

void
pd_polling_task_set_paused(PdPollingTask *self, gboolean paused)
{
	self->paused = paused;
}

void
pd_polling_task_set_resource_filter(PdPollingTask *self,
				    const PdResourceFilter *filter,
				    gpointer user_data)
{
	self->filter = filter;
	self->filter_data = user_data;
}

/* samples a synchronous pollster accumulates before they are handed over:
 * a few messages' worth */
static guint
pd_polling_task_get_flush_size(PdPollingTask *self)
{
	gint64 batch_size = pd_config_get_int(self->config, "polling", "batch_size", 50);
	return batch_size > 0 ? (guint)MIN(batch_size, G_MAXUINT / 4) * 4 : 200;
}

/* [polld] pollster_timeout, at most (and by default) the interval */
static gint64
pd_polling_task_get_pollster_timeout(PdPollingTask *self)
{
	gint64 timeout = pd_config_get_int(self->config, "polld", "pollster_timeout", 0);
	if (timeout <= 0 || timeout > self->interval)
		timeout = self->interval;
	return timeout * G_USEC_PER_SEC;
}

/* counted every time, logged once until the late invocation returns */
static void
pd_polling_task_skip_busy(PdPollingTask *self, PdTaskEntry *entry)
{
	pd_pollster_stats_table_lookup(self->stats, pd_pollster_get_name(entry->pollster))
	  ->skipped++;
	if (entry->skip_logged)
		return;
	entry->skip_logged = TRUE;
	g_warning("%s: skipping %s while its previous invocation is still running "
		  "(logged once until it returns)",
		  self->name,
		  entry->key);
}

static gboolean
pd_polling_task_timer_cb(gpointer user_data)
{
	PdPollingTask *self = PD_POLLING_TASK(user_data);
	gint64 now = g_get_monotonic_time();
	gint64 interval_us = (gint64)self->interval * G_USEC_PER_SEC;

	/* next deadline from the last one, never in the past: no catch-up burst */
	self->next_run_mono += interval_us;
	if (self->next_run_mono <= now)
		self->next_run_mono = now + interval_us;
	g_source_set_ready_time(self->timer, self->next_run_mono);

	/* a late job only delays itself: the cycle closes without it and the
	 * next one starts on time for everyone else */
	if (self->cycle != NULL) {
		self->overruns++;
		pd_polling_task_cycle_end(self);
	}
	/* a queued PollNow() cycle may have started in its place */
	if (self->cycle == NULL && !self->paused)
		pd_polling_task_cycle_start(self, NULL, NULL);
	return G_SOURCE_CONTINUE;
}

static gboolean
pd_polling_task_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	return callback(user_data);
}

static GSourceFuncs pd_polling_task_source_funcs = {
	.dispatch = pd_polling_task_dispatch,
};

void
pd_polling_task_start(PdPollingTask *self)
{
	g_return_if_fail(PD_IS_POLLING_TASK(self));
	if (self->timer != NULL)
		return;
	self->timer = g_source_new(&pd_polling_task_source_funcs, sizeof(GSource));
	g_source_set_name(self->timer, self->name);
	g_source_set_callback(self->timer, pd_polling_task_timer_cb, self, NULL);
	/* first run now; the callback moves the deadline on */
	self->next_run_mono = g_get_monotonic_time() - (gint64)self->interval * G_USEC_PER_SEC;
	g_source_set_ready_time(self->timer, 0);
	g_source_attach(self->timer, NULL);
}

void
pd_polling_task_stop(PdPollingTask *self)
{
	g_return_if_fail(PD_IS_POLLING_TASK(self));
	if (self->timer == NULL)
		return;
	g_source_destroy(self->timer);
	g_clear_pointer(&self->timer, g_source_unref);
}

void
pd_polling_task_run_async(PdPollingTask *self,
			  const gchar *const *names,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(GPtrArray) filter = NULL;
	g_autoptr(GPtrArray) waiters = g_ptr_array_new_with_free_func(g_object_unref);

	if (names != NULL && names[0] != NULL) {
		filter = g_ptr_array_new_with_free_func(g_free);
		for (guint i = 0; names[i] != NULL; i++)
			g_ptr_array_add(filter, g_strdup(names[i]));
	}
	if (self->cycle == NULL) {
		g_ptr_array_add(waiters, task);
		pd_polling_task_cycle_start(self, filter, waiters);
		return;
	}
	/* one queued cycle serves every request made meanwhile */
	g_ptr_array_add(self->queued, task);
	if (filter == NULL) {
		self->queued_all = TRUE;
		return;
	}
	if (self->queued_filter == NULL)
		self->queued_filter = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < filter->len; i++)
		g_ptr_array_add(self->queued_filter, g_strdup(g_ptr_array_index(filter, i)));
}

gboolean
pd_polling_task_run_finish(PdPollingTask *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
pd_polling_task_wait_idle_async(PdPollingTask *self,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	GTask *task = g_task_new(self, NULL, callback, user_data);

	g_ptr_array_add(self->idle_waiters, task);
	pd_polling_task_check_idle(self);
}

gboolean
pd_polling_task_wait_idle_finish(PdPollingTask *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

gboolean
pd_polling_task_matches(PdPollingTask *self, const gchar *const *names)
{
	if (names == NULL || names[0] == NULL)
		return TRUE;
	for (guint i = 0; i < self->entries->len; i++) {
		PdTaskEntry *entry = g_ptr_array_index(self->entries, i);
		if (g_strv_contains(names, pd_pollster_get_name(entry->pollster)) ||
		    g_strv_contains(names, entry->source->name))
			return TRUE;
	}
	return FALSE;
}

/* --- accessors --- */

void
pd_polling_task_add(PdPollingTask *self,
		    PdPollingConfig *config,
		    PdSourceDef *source,
		    PdPollster *pollster)
{
	PdTaskEntry *entry = g_new0(PdTaskEntry, 1);
	entry->config = pd_polling_config_ref(config);
	entry->source = source;
	entry->pollster = g_object_ref(pollster);
	entry->key = g_strdup_printf("%s/%s", source->name, pd_pollster_get_name(pollster));
	g_ptr_array_add(self->entries, entry);
}

guint
pd_polling_task_get_interval(PdPollingTask *self)
{
	return self->interval;
}

const gchar *
pd_polling_task_get_name(PdPollingTask *self)
{
	return self->name;
}

GPtrArray *
pd_polling_task_get_entries(PdPollingTask *self)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < self->entries->len; i++) {
		PdTaskEntry *entry = g_ptr_array_index(self->entries, i);
		g_ptr_array_add(out, g_strdup(entry->key));
	}
	return out;
}

static gint
pd_polling_task_strcmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar **)a, *(const gchar **)b);
}

static void
pd_polling_task_append_strv(GString *out, gchar **strv)
{
	for (guint i = 0; strv != NULL && strv[i] != NULL; i++) {
		g_string_append(out, strv[i]);
		g_string_append_c(out, '\x1f');
	}
	g_string_append_c(out, '\x1e');
}

gchar *
pd_polling_task_get_fingerprint(PdPollingTask *self)
{
	g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < self->entries->len; i++) {
		PdTaskEntry *entry = g_ptr_array_index(self->entries, i);
		GString *part = g_string_new(entry->key);
		/* a pollster replaced on reload (a changed dynamic pollster
		 * definition) makes a new task */
		g_string_append_printf(part, "\x1e%p\x1e", (gpointer)entry->pollster);
		pd_polling_task_append_strv(part, entry->source->meters);
		pd_polling_task_append_strv(part, entry->source->resources);
		pd_polling_task_append_strv(part, entry->source->discovery);
		g_ptr_array_add(parts, g_string_free(part, FALSE));
	}
	g_ptr_array_sort(parts, pd_polling_task_strcmp);
	g_string_append_printf(out, "%u\n", self->interval);
	for (guint i = 0; i < parts->len; i++) {
		g_string_append(out, g_ptr_array_index(parts, i));
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

void
pd_polling_task_start_at(PdPollingTask *self, gint64 next_run_mono)
{
	pd_polling_task_start(self);
	self->next_run_mono = next_run_mono - (gint64)self->interval * G_USEC_PER_SEC;
	g_source_set_ready_time(self->timer, MAX(next_run_mono, 0));
}

gint64
pd_polling_task_get_next_run_mono(PdPollingTask *self)
{
	return self->timer != NULL ? g_source_get_ready_time(self->timer) : 0;
}

guint
pd_polling_task_get_running_jobs(PdPollingTask *self)
{
	return self->n_jobs;
}

gboolean
pd_polling_task_is_running(PdPollingTask *self)
{
	return self->cycle != NULL;
}

gint64
pd_polling_task_get_next_run(PdPollingTask *self)
{
	gint64 ready;

	if (self->timer == NULL)
		return 0;
	ready = g_source_get_ready_time(self->timer);
	/* 0: the first run, due now (not a timer long overdue) */
	if (ready == 0)
		return g_get_real_time();
	return g_get_real_time() + (ready - g_get_monotonic_time());
}

gint64
pd_polling_task_get_last_duration(PdPollingTask *self)
{
	return self->last_duration_us;
}

guint
pd_polling_task_get_last_skipped(PdPollingTask *self)
{
	return self->last_skipped;
}

guint64
pd_polling_task_get_overruns(PdPollingTask *self)
{
	return self->overruns;
}

GHashTable *
pd_polling_task_get_discovery_sizes(PdPollingTask *self)
{
	return self->discovery_sizes;
}

guint64
pd_polling_task_get_cycles(PdPollingTask *self)
{
	return self->cycles;
}

PdReturns *
pd_polling_task_get_returns(PdPollingTask *self)
{
	return self->returns;
}

static void
pd_polling_task_finalize(GObject *obj)
{
	PdPollingTask *self = PD_POLLING_TASK(obj);

	g_warn_if_fail(self->cycle == NULL);
	pd_polling_task_stop(self);
	g_ptr_array_unref(self->entries);
	g_hash_table_unref(self->discovery_sizes);
	g_ptr_array_unref(self->queued);
	if (self->queued_filter != NULL)
		g_ptr_array_unref(self->queued_filter);
	g_ptr_array_unref(self->idle_waiters);
	g_object_unref(self->sink);
	g_object_unref(self->blacklist);
	g_object_unref(self->stats);
	g_hash_table_unref(self->discoveries);
	g_clear_object(&self->config);
	g_clear_pointer(&self->returns, pd_returns_free);
	g_free(self->name);
	G_OBJECT_CLASS(pd_polling_task_parent_class)->finalize(obj);
}

static void
pd_polling_task_init(PdPollingTask *self)
{
	self->entries = g_ptr_array_new_with_free_func((GDestroyNotify)pd_task_entry_free);
	self->discovery_sizes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->queued = g_ptr_array_new_with_free_func(g_object_unref);
	self->idle_waiters = g_ptr_array_new_with_free_func(g_object_unref);
}

static void
pd_polling_task_class_init(PdPollingTaskClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_polling_task_finalize;
	/* (duration us, samples, errors) of each closed cycle */
	signals[SIGNAL_CYCLE_FINISHED] = g_signal_new("cycle-finished",
						      G_TYPE_FROM_CLASS(klass),
						      G_SIGNAL_RUN_LAST,
						      0,
						      NULL,
						      NULL,
						      NULL,
						      G_TYPE_NONE,
						      3,
						      G_TYPE_UINT64,
						      G_TYPE_UINT,
						      G_TYPE_UINT);
}

PdPollingTask *
pd_polling_task_new(guint interval,
		    PdSink *sink,
		    PdBlacklist *blacklist,
		    PdPollsterStatsTable *stats,
		    GHashTable *discoveries)
{
	PdPollingTask *self = g_object_new(PD_TYPE_POLLING_TASK, NULL);
	self->sink = g_object_ref(sink);
	self->blacklist = g_object_ref(blacklist);
	self->stats = g_object_ref(stats);
	self->discoveries = g_hash_table_ref(discoveries);
	self->interval = interval;
	self->name = g_strdup_printf("every %us", interval);
	return self;
}
