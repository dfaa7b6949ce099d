/*
 * polld - a polling task's cycle, jobs and discovery runs, shared by
 * pd-polling-task.c (the cycle) and pd-polling-job.c (a job's resources)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-cycle-cache.h"
#include "pd-poll-context.h"
#include "pd-polling-task.h"
#include "pd-returns.h"

G_BEGIN_DECLS

typedef struct {
	PdPollingConfig *config;
	PdSourceDef *source; /* belongs to config */
	PdPollster *pollster;
	gchar *key; /* "source/pollster" */
	gboolean busy;
	gboolean skip_logged; /* this late episode's skip was logged */
} PdTaskEntry;

typedef struct _PdCycle PdCycle;

typedef struct {
	gchar *name;
	gboolean done;
	gboolean failed;
	GPtrArray *resources; /* of PdResource: its parts so far, then all */
	GPtrArray *waiters;   /* of PdJob */
} PdDiscoveryRun;

typedef struct {
	PdCycle *cycle; /* strong: outlives the cycle's close if need be */
	PdPollingTask *task;
	PdTaskEntry *entry;
	guint waiting;
	gboolean tried_default;
	gboolean static_taken;	  /* the source's own resources are taken */
	GHashTable *cursors;	  /* PdDiscoveryRun -> resources taken from it */
	gboolean dedup_ready;	  /* history and taken are set */
	GHashTable *history;	  /* the cycle's for this pollster, or NULL */
	GHashTable *taken;	  /* ids taken, for a job of several origins */
	gboolean polling;	  /* an invocation is out */
	guint slice;		  /* most resources an invocation takes */
	guint invocations;	  /* this cycle, one per part or group of parts */
	guint samples;		  /* of the invocations returned */
	gchar *first_error;	  /* of the invocations returned */
	guint blacklisted;	  /* resources blacklisted by its invocations */
	gchar *blacklisted_first; /* "<id>: <reason>" of the first of them */
	GPtrArray *resources;	  /* of the invocation out */
	PdPollContext *ctx;
	gint64 start_us;
	gint64 start_wall;
	gint pending_chunks;  /* handed over, not yet published (atomic) */
	gint flushed_samples; /* atomic */
	gboolean polled;
	gboolean late; /* outlived its cycle */
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
	GPtrArray *finished;	 /* names of the pollsters done within the cycle */
	GSource *deadline;
	guint samples;
	guint errors;
	gpointer share; /* partitioning view taken at the start */
	const PdResourceFilter *share_ops;
	GHashTable *skipped; /* ids left to other agents */
};

struct _PdPollingTask {
	GObject parent_instance;
	PdSink *sink;
	PdBlacklist *blacklist;
	PdPollsterStatsTable *stats;
	GHashTable *discoveries; /* name -> PdDiscovery */
	PdConfig *config;
	const PdResourceFilter *filter; /* partitioning, or NULL */
	gpointer filter_data;
	gboolean paused;
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
	GHashTable *discovery_sizes; /* name -> resources found by its last run */
	PdReturns *returns;	     /* worker-thread pollsters' invocations */
};

/* the discovery a source names as "discovery[:parameter]"; @param, when
 * not NULL, gets the parameter (NULL without one; free it) */
PdDiscovery *
pd_polling_job_find_discovery(PdJob *job, const gchar *name, gchar **param);
/* the resources not taken yet: the source's own, then the discovered ones
 * (all so far, or the default discovery's; a slice of them) */
GPtrArray *
pd_polling_job_collect_resources(PdJob *job, gboolean use_default);

G_END_DECLS
