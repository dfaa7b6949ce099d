/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPollingTask"

#include "config.h"

#include <math.h>

#include "pd-engine-private.h"
#include "pd-error.h"
#include "pd-polling-task.h"

/*
 * One cycle: every (source, pollster) entry becomes a job. A job waits for
 * the discoveries it needs (each discovery runs once per cycle, whoever asks
 * first starts it), drops resources already polled this cycle or
 * blacklisted, polls, and hands its samples to the engine for publishing.
 * Jobs run concurrently, so a hung pollster only delays itself; the cycle
 * closes when every job is done or at its deadline, and a job that outlives
 * its cycle keeps its entry busy (skipped by later cycles) until it returns,
 * its samples still published.
 */

typedef struct {
	PdPollingConfig *config;
	PdSourceDef *source; /* belongs to config */
	PdPollster *pollster;
	gchar *key; /* "source/pollster" */
	gboolean busy;
} PdTaskEntry;

typedef struct _PdCycle PdCycle;

typedef struct {
	gchar *name;
	gboolean done;
	GPtrArray *resources; /* of PdResource, NULL on error */
	GPtrArray *waiters;   /* of PdJob */
} PdDiscoveryRun;

typedef struct {
	PdCycle *cycle; /* strong: outlives the cycle's close if need be */
	PdPollingTask *task;
	PdTaskEntry *entry;
	guint waiting;
	gboolean tried_default;
	GPtrArray *resources;
	PdPollContext *ctx;
	gint64 start_us;
	gint64 start_wall;
	gint pending_chunks;  /* handed over, not yet published (atomic) */
	gint flushed_samples; /* atomic */
	gboolean polled;
} PdJob;

struct _PdCycle {
	gint ref_count;
	gboolean closed;
	PdPollingTask *task;
	guint64 number;
	gint64 start_us;
	PdCycleCache *cache;
	GHashTable *discoveries; /* name -> PdDiscoveryRun */
	GHashTable *history;	 /* pollster name -> set of resource ids */
	GPtrArray *filter;	 /* names, or NULL */
	GPtrArray *waiters;	 /* GTasks to complete at the end */
	GPtrArray *jobs;	 /* outstanding PdJob */
	GSource *deadline;
	guint samples;
	guint errors;
	gpointer share;	     /* partitioning view taken at the start */
	GHashTable *skipped; /* ids left to other agents */
};

struct _PdPollingTask {
	GObject parent_instance;
	PdEngine *engine; /* weak: the engine owns its tasks */
	guint interval;
	gchar *name;
	GPtrArray *entries; /* of PdTaskEntry */
	GSource *timer;
	gint64 next_run_mono;
	PdCycle *cycle;		  /* the running one */
	GPtrArray *queued;	  /* GTasks for a cycle after the running one */
	GPtrArray *queued_filter; /* union of their names, NULL = all */
	gboolean queued_all;
	GPtrArray *idle_waiters;
	guint n_jobs; /* alive, including those that outlived their cycle */
	guint64 cycles;
	guint64 overruns;
	gint64 last_duration_us;
	guint last_skipped;
};

G_DEFINE_TYPE(PdPollingTask, pd_polling_task, G_TYPE_OBJECT)

static void
pd_polling_task_cycle_start(PdPollingTask *self, GPtrArray *filter, GPtrArray *waiters);
static void
pd_job_launch(PdJob *job);

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
	pd_engine_share_end(cycle->task->engine, cycle->share);
	g_hash_table_unref(cycle->skipped);
	pd_cycle_cache_unref(cycle->cache);
	g_hash_table_unref(cycle->discoveries);
	g_hash_table_unref(cycle->history);
	if (cycle->filter != NULL)
		g_ptr_array_unref(cycle->filter);
	g_ptr_array_unref(cycle->waiters);
	g_ptr_array_unref(cycle->jobs);
	g_free(cycle);
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
	pd_engine_cycle_finished(self->engine, self, duration, cycle->samples, cycle->errors);
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
pd_job_finish(PdJob *job)
{
	job->entry->busy = FALSE;
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

static void
pd_job_chunk_published(gpointer data, gpointer unused)
{
	PdJob *job = data;
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
	pd_engine_publish_chunk(job->task->engine, batch, pd_job_chunk_published, job);
}

static void
pd_job_published_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdJob *job = user_data;
	g_autoptr(GError) error = NULL;

	if (!pd_engine_publish_batch_finish(PD_ENGINE(source), res, &error))
		g_warning("publishing samples of %s: %s", job->entry->key, error->message);
	pd_job_chunk_published(job, NULL);
}

static void
pd_job_record(PdJob *job, guint n_samples, const GError *error)
{
	PdPollsterStats *stats = pd_engine_get_pollster_stats(
	  job->task->engine, pd_pollster_get_name(job->entry->pollster));

	stats->runs++;
	stats->last_run = job->start_wall;
	stats->last_duration_us = g_get_monotonic_time() - job->start_us;
	stats->last_samples = n_samples;
	stats->samples += n_samples;
	g_clear_pointer(&stats->last_error, g_free);
	if (error != NULL) {
		stats->errors++;
		stats->last_error = g_strdup(error->message);
	}
	if (!job->cycle->closed) {
		job->cycle->samples += n_samples;
		if (error != NULL)
			job->cycle->errors++;
	}
}

static void
pd_job_blacklist_failures(PdJob *job, const GError *error)
{
	GPtrArray *failures = pd_poll_context_get_failures(job->ctx);
	const gchar *source = job->entry->source->name;
	const gchar *pollster = pd_pollster_get_name(job->entry->pollster);
	PdEngine *engine = job->task->engine;
	const gchar *first_id = NULL;
	const gchar *first_reason = NULL;
	guint added = 0;

	for (guint i = 0; i < failures->len; i++) {
		PdPermanentFailure *f = g_ptr_array_index(failures, i);
		if (!pd_engine_blacklist(engine, source, pollster, f->resource, f->reason))
			continue;
		if (added++ == 0) {
			first_id = pd_resource_get_id(f->resource);
			first_reason = f->reason;
		}
	}
	if (error != NULL && g_error_matches(error, PD_ERROR, PD_ERROR_PERMANENT)) {
		for (guint i = 0; i < job->resources->len; i++) {
			PdResource *res = g_ptr_array_index(job->resources, i);
			if (!pd_engine_blacklist(engine, source, pollster, res, error->message))
				continue;
			if (added++ == 0) {
				first_id = pd_resource_get_id(res);
				first_reason = error->message;
			}
		}
	}
	/* one line per pollster invocation, not one per resource */
	if (added == 1)
		g_message(
		  "pollster %s (source %s) can never poll resource %s, not polling it again: %s",
		  pollster,
		  source,
		  first_id,
		  first_reason != NULL ? first_reason : "permanent error");
	else if (added > 1)
		g_message(
		  "pollster %s (source %s) can never poll %u resources, not polling them again "
		  "(first: %s: %s)",
		  pollster,
		  source,
		  added,
		  first_id,
		  first_reason != NULL ? first_reason : "permanent error");
}

static void
pd_job_polled_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdJob *job = user_data;
	g_autoptr(GError) error = NULL;
	PdSampleBatch *batch;
	guint n;

	if (!pd_pollster_poll_finish(PD_POLLSTER(source), res, &error)) {
		if (!g_error_matches(error, PD_ERROR, PD_ERROR_PERMANENT))
			g_warning("pollster %s (source %s): %s",
				  pd_pollster_get_name(job->entry->pollster),
				  job->entry->source->name,
				  error->message);
	}
	pd_job_blacklist_failures(job, error);
	job->polled = TRUE;
	batch = pd_poll_context_steal_batch(job->ctx);
	n = pd_sample_batch_get_size(batch);
	pd_job_record(job, n + (guint)g_atomic_int_get(&job->flushed_samples), error);
	if (n == 0) {
		pd_sample_batch_free(batch);
		pd_job_maybe_finish(job);
		return;
	}
	pd_sample_batch_stamp(batch, 0, job->start_wall, NAN);
	g_atomic_int_inc(&job->pending_chunks);
	pd_engine_publish_batch_async(job->task->engine, batch, pd_job_published_cb, job);
}

static gboolean
pd_job_take_resource(PdJob *job, GHashTable *seen, PdResource *res, const gchar *discovery)
{
	const gchar *id = pd_resource_get_id(res);
	const gchar *pollster = pd_pollster_get_name(job->entry->pollster);

	if (g_hash_table_contains(seen, id))
		return FALSE;
	if (pd_engine_is_blacklisted(job->task->engine, job->entry->source->name, pollster, id))
		return FALSE;
	if (!pd_engine_filter_resource(
	      job->task->engine, job->cycle->share, job->entry->source->name, discovery, res)) {
		g_hash_table_add(job->cycle->skipped, g_strdup(pd_resource_get_id(res)));
		return FALSE;
	}
	g_hash_table_add(seen, (gpointer)id);
	return TRUE;
}

static void
pd_job_add_discovered(PdJob *job, GPtrArray *out, GHashTable *seen, gchar **names)
{
	for (guint i = 0; names != NULL && names[i] != NULL; i++) {
		PdDiscoveryRun *run = g_hash_table_lookup(job->cycle->discoveries, names[i]);
		if (run == NULL || run->resources == NULL)
			continue;
		for (guint j = 0; j < run->resources->len; j++) {
			PdResource *res = g_ptr_array_index(run->resources, j);
			if (pd_job_take_resource(job, seen, res, names[i]))
				g_ptr_array_add(out, pd_resource_ref(res));
		}
	}
}

static GPtrArray *
pd_job_collect_resources(PdJob *job, gboolean use_default)
{
	PdSourceDef *source = job->entry->source;
	GHashTable *history;
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	const gchar *pollster = pd_pollster_get_name(job->entry->pollster);
	gchar *defaults[] = { (gchar *)pd_pollster_get_default_discovery(job->entry->pollster),
			      NULL };

	/* the poll history: resources polled this cycle by this pollster */
	history = g_hash_table_lookup(job->cycle->history, pollster);
	if (history != NULL) {
		GHashTableIter iter;
		gpointer key;
		g_hash_table_iter_init(&iter, history);
		while (g_hash_table_iter_next(&iter, &key, NULL))
			g_hash_table_add(seen, key);
	}
	if (!use_default) {
		for (guint i = 0; source->resources[i] != NULL; i++) {
			g_autoptr(PdResource) res =
			  pd_resource_new(source->resources[i], NULL, NULL);
			if (pd_job_take_resource(job, seen, res, NULL))
				g_ptr_array_add(out, g_steal_pointer(&res));
		}
		pd_job_add_discovered(job, out, seen, source->discovery);
	} else {
		pd_job_add_discovered(job, out, seen, defaults);
	}
	return out;
}

static void
pd_job_remember(PdJob *job)
{
	const gchar *pollster = pd_pollster_get_name(job->entry->pollster);
	GHashTable *history = g_hash_table_lookup(job->cycle->history, pollster);

	if (history == NULL) {
		history = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(job->cycle->history, g_strdup(pollster), history);
	}
	for (guint i = 0; i < job->resources->len; i++) {
		PdResource *res = g_ptr_array_index(job->resources, i);
		g_hash_table_add(history, g_strdup(pd_resource_get_id(res)));
	}
}

typedef struct {
	PdCycle *cycle;
	PdDiscoveryRun *run;
} PdDiscoveryCall;

static void
pd_cycle_discovery_cb(GObject *source, GAsyncResult *res, gpointer user_data);

static void
pd_job_need_discovery(PdJob *job, const gchar *name)
{
	PdCycle *cycle = job->cycle;
	PdDiscoveryRun *run = g_hash_table_lookup(cycle->discoveries, name);
	g_auto(GStrv) parts = NULL;
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
	run->waiters = g_ptr_array_new();
	g_hash_table_insert(cycle->discoveries, run->name, run);
	parts = g_strsplit(name, ":", 2);
	discovery = pd_engine_lookup_discovery(job->task->engine, parts[0]);
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
	pd_discovery_discover_async(
	  discovery, parts[1], cycle->cache, NULL, pd_cycle_discovery_cb, call);
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

/* all discoveries of the job are in: poll, or fall back to the default */
static void
pd_job_launch(PdJob *job)
{
	const gchar *pollster = pd_pollster_get_name(job->entry->pollster);
	const gchar *def = pd_pollster_get_default_discovery(job->entry->pollster);

	g_clear_pointer(&job->resources, g_ptr_array_unref);
	job->resources = pd_job_collect_resources(job, job->tried_default);
	if (job->resources->len == 0 && !job->tried_default && def != NULL &&
	    g_strv_length(job->entry->source->resources) == 0 &&
	    !g_strv_contains((const gchar *const *)job->entry->source->discovery, def)) {
		job->tried_default = TRUE;
		pd_job_start_discovery(job);
		return;
	}
	if (job->resources->len == 0) {
		g_debug("%s: skip pollster %s (source %s), no resources found this cycle",
			job->task->name,
			pollster,
			job->entry->source->name);
		pd_job_finish(job);
		return;
	}
	pd_job_remember(job);
	job->start_us = g_get_monotonic_time();
	job->start_wall = g_get_real_time();
	/* async pollsters run on the main loop and may post-process their
	 * batch once done (identity names): only worker-thread ones stream */
	if (pd_pollster_is_synchronous(job->entry->pollster))
		pd_poll_context_set_flush(
		  job->ctx, pd_engine_get_flush_size(job->task->engine), pd_job_flush_cb, job);
	pd_pollster_poll_async(
	  job->entry->pollster, job->ctx, job->resources, NULL, pd_job_polled_cb, job);
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
	} else {
		run->resources = g_ptr_array_ref(resources);
	}
	for (guint i = 0; i < waiters->len; i++) {
		PdJob *job = g_ptr_array_index(waiters, i);
		if (--job->waiting == 0)
			pd_job_launch(job);
	}
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
	PdConfig *config = pd_engine_get_config(self->engine);
	gint64 timeout = pd_engine_get_pollster_timeout(self->engine, self->interval);

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
	cycle->share = pd_engine_share_begin(self->engine);
	cycle->skipped = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
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
			g_warning("%s: skipping %s, its previous invocation is still running",
				  self->name,
				  entry->key);
			cycle->errors++;
			continue;
		}
		job = g_new0(PdJob, 1);
		job->cycle = pd_cycle_ref(cycle);
		job->task = g_object_ref(self);
		job->entry = entry;
		job->ctx =
		  pd_poll_context_new(config, cycle->cache, cycle->number, entry->source->name);
		entry->busy = TRUE;
		self->n_jobs++;
		g_ptr_array_add(cycle->jobs, job);
	}
	if (cycle->jobs->len == 0) {
		pd_polling_task_cycle_end(self);
		return;
	}
	cycle->deadline = g_timeout_source_new((guint)(timeout / 1000));
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

	if (self->cycle != NULL) {
		self->overruns++;
		g_warning("%s: previous cycle still running after %u s, skipping this one "
			  "(%" G_GUINT64_FORMAT " overruns so far)",
			  self->name,
			  self->interval,
			  self->overruns);
		return G_SOURCE_CONTINUE;
	}
	if (!pd_engine_get_paused(self->engine))
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
		g_string_append_c(part, '\x1e');
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
pd_polling_task_get_late_jobs(PdPollingTask *self)
{
	return self->n_jobs - (self->cycle != NULL ? self->cycle->jobs->len : 0);
}

gboolean
pd_polling_task_is_running(PdPollingTask *self)
{
	return self->cycle != NULL;
}

gint64
pd_polling_task_get_next_run(PdPollingTask *self)
{
	if (self->timer == NULL)
		return 0;
	return g_get_real_time() + (g_source_get_ready_time(self->timer) - g_get_monotonic_time());
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

guint64
pd_polling_task_get_cycles(PdPollingTask *self)
{
	return self->cycles;
}

static void
pd_polling_task_finalize(GObject *obj)
{
	PdPollingTask *self = PD_POLLING_TASK(obj);

	g_warn_if_fail(self->cycle == NULL);
	pd_polling_task_stop(self);
	g_ptr_array_unref(self->entries);
	g_ptr_array_unref(self->queued);
	if (self->queued_filter != NULL)
		g_ptr_array_unref(self->queued_filter);
	g_ptr_array_unref(self->idle_waiters);
	g_free(self->name);
	G_OBJECT_CLASS(pd_polling_task_parent_class)->finalize(obj);
}

static void
pd_polling_task_init(PdPollingTask *self)
{
	self->entries = g_ptr_array_new_with_free_func((GDestroyNotify)pd_task_entry_free);
	self->queued = g_ptr_array_new_with_free_func(g_object_unref);
	self->idle_waiters = g_ptr_array_new_with_free_func(g_object_unref);
}

static void
pd_polling_task_class_init(PdPollingTaskClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_polling_task_finalize;
}

PdPollingTask *
pd_polling_task_new(PdEngine *engine, guint interval)
{
	PdPollingTask *self = g_object_new(PD_TYPE_POLLING_TASK, NULL);
	self->engine = engine;
	self->interval = interval;
	self->name = g_strdup_printf("every %us", interval);
	return self;
}
