/*
 * polld - the agent's own metrics (polld_*) for the Prometheus exporter
 *
 * Names follow Prometheus' conventions: base units (_seconds, _bytes),
 * counters end in _total (in OpenMetrics the family is named without it).
 * Everything is read from the engine at scrape time, on the main thread,
 * except the cycle duration histograms, which count every cycle as it ends.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPromSelf"

#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pd-prom-labels.h"
#include "pd-prom-self.h"

static const gdouble pd_cycle_buckets[] = { 0.01, 0.05, 0.1, 0.25, 0.5, 1,   2.5,
					    5,	  10,	30,  60,   120, 300, 600 };

typedef struct {
	guint64 counts[G_N_ELEMENTS(pd_cycle_buckets)];
	guint64 n;
	gdouble sum;
} PdPromHistogram;

struct _PdPromSelf {
	PdEngine *engine; /* weak: the engine owns the sink that calls us */
	gulong handler;
	PdCoordination *coordination; /* weak, NULL until set */
	GHashTable *histograms;	      /* task name -> PdPromHistogram */
	gint64 start_time;	      /* wall clock us */
};

typedef enum { PD_GAUGE, PD_COUNTER } PdKind;

static void
cycle_finished_cb(PdEngine *engine,
		  const gchar *task,
		  guint64 duration_us,
		  guint samples,
		  guint errors,
		  gpointer user_data)
{
	PdPromSelf *self = user_data;
	PdPromHistogram *h = g_hash_table_lookup(self->histograms, task);
	gdouble secs = (gdouble)duration_us / G_USEC_PER_SEC;

	if (h == NULL) {
		h = g_new0(PdPromHistogram, 1);
		g_hash_table_insert(self->histograms, g_strdup(task), h);
	}
	for (guint i = 0; i < G_N_ELEMENTS(pd_cycle_buckets); i++) {
		if (secs <= pd_cycle_buckets[i])
			h->counts[i]++;
	}
	h->n++;
	h->sum += secs;
}

PdPromSelf *
pd_prom_self_new(PdEngine *engine)
{
	PdPromSelf *self = g_new0(PdPromSelf, 1);

	self->engine = engine;
	self->histograms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->start_time = g_get_real_time();
	self->handler =
	  g_signal_connect(engine, "cycle-finished", G_CALLBACK(cycle_finished_cb), self);
	return self;
}

void
pd_prom_self_free(PdPromSelf *self)
{
	if (self == NULL)
		return;
	g_signal_handler_disconnect(self->engine, self->handler);
	g_hash_table_unref(self->histograms);
	g_free(self);
}

/* "# HELP"/"# TYPE" of a family; a counter's family drops _total in OpenMetrics */
static void
family(GString *out, PdPromFormat format, const gchar *name, PdKind kind, const gchar *help)
{
	g_autofree gchar *fam = g_strdup(name);

	if (kind == PD_COUNTER && format == PD_PROM_FORMAT_OPENMETRICS &&
	    g_str_has_suffix(fam, "_total"))
		fam[strlen(fam) - 6] = '\0';
	g_string_append_printf(out, "# HELP %s %s\n", fam, help);
	g_string_append_printf(
	  out,
	  "# TYPE %s %s\n",
	  fam,
	  kind == PD_COUNTER							   ? "counter"
	  : format == PD_PROM_FORMAT_OPENMETRICS && g_str_has_suffix(fam, "_info") ? "info"
										   : "gauge");
}

static void
sample(GString *out, const gchar *name, const gchar *label, const gchar *value, gdouble v)
{
	g_string_append(out, name);
	if (label != NULL) {
		g_string_append_printf(out, "{%s=\"", label);
		pd_prom_labels_append_value(out, value);
		g_string_append(out, "\"}");
	}
	g_string_append_printf(out, " %.17g\n", v);
}

static void
one(GString *out, PdPromFormat fmt, const gchar *name, PdKind kind, const gchar *help, gdouble v)
{
	family(out, fmt, name, kind, help);
	sample(out, name, NULL, NULL, v);
}

static void
collect_process(PdPromSelf *self, GString *out, PdPromFormat fmt)
{
	struct rusage ru;
	g_autofree gchar *statm = NULL;
	glong pages = 0;
	guint fds = 0;
	DIR *dir;

	getrusage(RUSAGE_SELF, &ru);
	if (g_file_get_contents("/proc/self/statm", &statm, NULL, NULL))
		sscanf(statm, "%*d %ld", &pages);
	dir = opendir("/proc/self/fd");
	if (dir != NULL) {
		while (readdir(dir) != NULL)
			fds++;
		closedir(dir);
		fds = fds > 3 ? fds - 3 : 0; /* ".", ".." and the one opendir holds */
	}
	family(out, fmt, "polld_build_info", PD_GAUGE, "polld's version");
	g_string_append_printf(out, "polld_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	one(out,
	    fmt,
	    "polld_start_time_seconds",
	    PD_GAUGE,
	    "when the agent started, seconds since the epoch",
	    (gdouble)self->start_time / G_USEC_PER_SEC);
	one(out,
	    fmt,
	    "polld_process_cpu_seconds_total",
	    PD_COUNTER,
	    "user and system CPU time of the agent",
	    (gdouble)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	      (gdouble)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	one(out,
	    fmt,
	    "polld_process_resident_memory_bytes",
	    PD_GAUGE,
	    "resident set size of the agent",
	    (gdouble)pages * (gdouble)sysconf(_SC_PAGESIZE));
	one(out, fmt, "polld_process_open_fds", PD_GAUGE, "open file descriptors", fds);
}

typedef gdouble (*PdTaskValue)(PdPollingTask *task);

static gdouble
task_cycles(PdPollingTask *t)
{
	return (gdouble)pd_polling_task_get_cycles(t);
}

static gdouble
task_overruns(PdPollingTask *t)
{
	return (gdouble)pd_polling_task_get_overruns(t);
}

static gdouble
task_interval(PdPollingTask *t)
{
	return (gdouble)pd_polling_task_get_interval(t);
}

static void
per_task(GString *out,
	 PdPromFormat fmt,
	 GPtrArray *tasks,
	 const gchar *name,
	 PdKind kind,
	 const gchar *help,
	 PdTaskValue value)
{
	family(out, fmt, name, kind, help);
	for (guint i = 0; i < tasks->len; i++) {
		PdPollingTask *t = g_ptr_array_index(tasks, i);
		sample(out, name, "task", pd_polling_task_get_name(t), value(t));
	}
}

static void
collect_histograms(PdPromSelf *self, GString *out, PdPromFormat fmt)
{
	GHashTableIter iter;
	const gchar *task;
	PdPromHistogram *h;

	g_string_append(out,
			"# HELP polld_cycle_duration_seconds how long polling cycles took\n"
			"# TYPE polld_cycle_duration_seconds histogram\n");
	g_hash_table_iter_init(&iter, self->histograms);
	while (g_hash_table_iter_next(&iter, (gpointer *)&task, (gpointer *)&h)) {
		g_autoptr(GString) label = g_string_new(NULL);
		pd_prom_labels_append_value(label, task);
		for (guint i = 0; i < G_N_ELEMENTS(pd_cycle_buckets); i++)
			g_string_append_printf(out,
					       "polld_cycle_duration_seconds_bucket{task=\"%s\","
					       "le=\"%g\"} %" G_GUINT64_FORMAT "\n",
					       label->str,
					       pd_cycle_buckets[i],
					       h->counts[i]);
		g_string_append_printf(
		  out,
		  "polld_cycle_duration_seconds_bucket{task=\"%s\",le=\"+Inf\"} "
		  "%" G_GUINT64_FORMAT "\n"
		  "polld_cycle_duration_seconds_sum{task=\"%s\"} %.9g\n"
		  "polld_cycle_duration_seconds_count{task=\"%s\"} %" G_GUINT64_FORMAT "\n",
		  label->str,
		  h->n,
		  label->str,
		  h->sum,
		  label->str,
		  h->n);
	}
}

static void
collect_tasks(PdPromSelf *self, GString *out, PdPromFormat fmt)
{
	GPtrArray *tasks = pd_engine_get_tasks(self->engine);

	per_task(
	  out, fmt, tasks, "polld_cycles_total", PD_COUNTER, "polling cycles run", task_cycles);
	per_task(out,
		 fmt,
		 tasks,
		 "polld_cycle_overruns_total",
		 PD_COUNTER,
		 "ticks that found the previous cycle still running",
		 task_overruns);
	per_task(out,
		 fmt,
		 tasks,
		 "polld_task_interval_seconds",
		 PD_GAUGE,
		 "the polling interval of each task",
		 task_interval);
	collect_histograms(self, out, fmt);
	family(out,
	       fmt,
	       "polld_discovery_resources",
	       PD_GAUGE,
	       "resources the last run of each discovery found");
	for (guint i = 0; i < tasks->len; i++) {
		GHashTableIter iter;
		const gchar *name;
		gpointer n;
		g_hash_table_iter_init(
		  &iter, pd_polling_task_get_discovery_sizes(g_ptr_array_index(tasks, i)));
		while (g_hash_table_iter_next(&iter, (gpointer *)&name, &n))
			sample(
			  out, "polld_discovery_resources", "discovery", name, GPOINTER_TO_UINT(n));
	}
}

typedef struct {
	const gchar *name;
	PdKind kind;
	const gchar *help;
	gdouble (*value)(PdPollsterStats *st, guint blacklisted);
} PdPollsterMetric;

static gdouble
ps_runs(PdPollsterStats *st, guint bl)
{
	return (gdouble)st->runs;
}

static gdouble
ps_errors(PdPollsterStats *st, guint bl)
{
	return (gdouble)st->errors;
}

static gdouble
ps_samples(PdPollsterStats *st, guint bl)
{
	return (gdouble)st->samples;
}

static gdouble
ps_skipped(PdPollsterStats *st, guint bl)
{
	return (gdouble)st->skipped;
}

static gdouble
ps_late(PdPollsterStats *st, guint bl)
{
	return (gdouble)st->late_jobs;
}

static gdouble
ps_duration(PdPollsterStats *st, guint bl)
{
	return (gdouble)st->last_duration_us / G_USEC_PER_SEC;
}

static gdouble
ps_blacklisted(PdPollsterStats *st, guint bl)
{
	return (gdouble)bl;
}

static const PdPollsterMetric pd_pollster_metrics[] = {
	{ "polld_pollster_runs_total", PD_COUNTER, "pollster invocations", ps_runs },
	{ "polld_pollster_errors_total",
	  PD_COUNTER,
	  "pollster invocations that failed",
	  ps_errors },
	{ "polld_pollster_samples_total",
	  PD_COUNTER,
	  "samples each pollster produced",
	  ps_samples },
	{ "polld_pollster_skipped_total",
	  PD_COUNTER,
	  "invocations not started: the previous one still ran",
	  ps_skipped },
	{ "polld_pollster_late",
	  PD_GAUGE,
	  "invocations that outlived their cycle and still run",
	  ps_late },
	{ "polld_pollster_last_duration_seconds",
	  PD_GAUGE,
	  "how long the last invocation took",
	  ps_duration },
	{ "polld_pollster_blacklisted_resources",
	  PD_GAUGE,
	  "resources a pollster no longer polls (permanent errors)",
	  ps_blacklisted },
};

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

static void
collect_pollsters(PdPromSelf *self, GString *out, PdPromFormat fmt)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	GHashTableIter iter;
	const gchar *name;

	g_hash_table_iter_init(&iter, pd_engine_get_pollsters(self->engine));
	while (g_hash_table_iter_next(&iter, (gpointer *)&name, NULL))
		g_ptr_array_add(names, (gpointer)name);
	g_ptr_array_sort(names, cmp_str);
	for (guint m = 0; m < G_N_ELEMENTS(pd_pollster_metrics); m++) {
		const PdPollsterMetric *pm = &pd_pollster_metrics[m];
		family(out, fmt, pm->name, pm->kind, pm->help);
		for (guint i = 0; i < names->len; i++) {
			const gchar *n = g_ptr_array_index(names, i);
			PdPollsterStats *st = pd_engine_get_pollster_stats(self->engine, n);
			if (st != NULL)
				sample(
				  out,
				  pm->name,
				  "pollster",
				  n,
				  pm->value(st, pd_engine_get_blacklist_size(self->engine, n)));
		}
	}
}

static void
collect_plugins(PdPromSelf *self, GString *out, PdPromFormat fmt)
{
	GPtrArray *plugins = pd_engine_get_plugins(self->engine);

	family(out,
	       fmt,
	       "polld_plugin_up",
	       PD_GAUGE,
	       "1 when a plugin works, 0 while it waits for its service or failed");
	for (guint i = 0; i < plugins->len; i++) {
		PdPlugin *plugin = g_ptr_array_index(plugins, i);
		g_autofree gchar *status = pd_plugin_dup_status(plugin);
		gboolean up = !pd_engine_is_plugin_disabled(self->engine, plugin) &&
			      (status == NULL || status[0] == '\0');
		sample(out, "polld_plugin_up", "plugin", pd_plugin_get_name(plugin), up ? 1 : 0);
	}
}

/* the sinks' common counters, one series per sink */
static void
collect_sinks(PdPromSelf *self, GString *out, PdPromFormat fmt)
{
	static const struct {
		const gchar *key, *name, *help;
		PdKind kind;
	} counters[] = {
		{ "samples_received",
		  "polld_sink_samples_received_total",
		  "samples handed to each sink",
		  PD_COUNTER },
		{ "samples_delivered",
		  "polld_sink_samples_delivered_total",
		  "samples that reached each sink's destination (broker confirms for the notifier)",
		  PD_COUNTER },
		{ "samples_dropped",
		  "polld_sink_samples_dropped_total",
		  "samples each sink lost",
		  PD_COUNTER },
		{ "samples_queued",
		  "polld_sink_samples_queued",
		  "samples waiting in memory or on disk",
		  PD_GAUGE },
	};
	GPtrArray *sinks = pd_engine_get_sinks(self->engine);

	for (guint c = 0; c < G_N_ELEMENTS(counters); c++) {
		family(out, fmt, counters[c].name, counters[c].kind, counters[c].help);
		for (guint i = 0; i < sinks->len; i++) {
			PdSink *sink = g_ptr_array_index(sinks, i);
			g_autoptr(GVariant) st = pd_sink_get_statistics(sink);
			guint64 v = 0;
			g_variant_lookup(st, counters[c].key, "t", &v);
			sample(out, counters[c].name, "sink", pd_sink_get_name(sink), (gdouble)v);
		}
	}
	family(out, fmt, "polld_sink_up", PD_GAUGE, "1 when a sink works (an error is set: 0)");
	for (guint i = 0; i < sinks->len; i++) {
		PdSink *sink = g_ptr_array_index(sinks, i);
		sample(out,
		       "polld_sink_up",
		       "sink",
		       pd_sink_get_name(sink),
		       pd_sink_get_last_error(sink) == NULL ? 1 : 0);
	}
}

/* the notifier's own counters, when it reports them */
static void
collect_notifier(PdPromSelf *self, GString *out, PdPromFormat fmt)
{
	static const struct {
		const gchar *key, *name, *help;
		PdKind kind;
	} keys[] = {
		{ "in_flight",
		  "polld_messages_in_flight",
		  "messages sent, not yet confirmed",
		  PD_GAUGE },
		{ "memory_queue",
		  "polld_memory_queue_messages",
		  "messages waiting in memory",
		  PD_GAUGE },
		{ "spooled_samples", "polld_spool_samples", "samples held in the spool", PD_GAUGE },
		{ "spooled_bytes", "polld_spool_bytes", "bytes held in the spool", PD_GAUGE },
		{ "reconnects",
		  "polld_broker_reconnects_total",
		  "broker connections made again",
		  PD_COUNTER },
		{ "confirmed",
		  "polld_messages_confirmed_total",
		  "messages the broker confirmed",
		  PD_COUNTER },
	};
	static const struct {
		const gchar *key, *reason;
	} drops[] = {
		{ "dropped_spool_full", "spool_full" },
		{ "dropped_spool_full_gauges", "spool_full_gauge" },
		{ "dropped_spool_error", "spool_error" },
		{ "samples_dropped_write_error", "write_error" },
		{ "nacked", "nacked" },
		{ "returned", "unroutable" },
	};
	PdSink *notifier = pd_engine_lookup_sink(self->engine, "notifier");
	g_autoptr(GVariant) st = NULL;
	g_auto(GVariantDict) dict;
	gboolean any = FALSE;

	if (notifier == NULL)
		return;
	g_variant_dict_init(&dict, NULL);
	pd_sink_add_statistics(notifier, &dict);
	st = g_variant_ref_sink(g_variant_dict_end(&dict));
	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		guint64 v;
		if (g_variant_lookup(st, keys[i].key, "t", &v))
			one(out, fmt, keys[i].name, keys[i].kind, keys[i].help, (gdouble)v);
	}
	for (guint i = 0; i < G_N_ELEMENTS(drops); i++) {
		guint64 v;
		if (!g_variant_lookup(st, drops[i].key, "t", &v))
			continue;
		if (!any)
			family(out,
			       fmt,
			       "polld_samples_dropped_total",
			       PD_COUNTER,
			       "samples (or messages, for nacked and unroutable) the notifier "
			       "lost, by reason");
		any = TRUE;
		sample(out, "polld_samples_dropped_total", "reason", drops[i].reason, (gdouble)v);
	}
}

void
pd_prom_self_set_coordination(PdPromSelf *self, PdCoordination *coordination)
{
	self->coordination = coordination;
}

static void
collect_coordination(PdPromSelf *self, GString *out, PdPromFormat fmt)
{
	PdCoordinationState now;

	if (self->coordination == NULL)
		return;
	now = pd_coordination_get_state(self->coordination);
	family(out,
	       fmt,
	       "polld_coordination_state",
	       PD_GAUGE,
	       "workload partitioning: 1 for the state the agent is in");
	for (PdCoordinationState st = PD_COORDINATION_DISABLED; st <= PD_COORDINATION_STALE; st++)
		sample(out,
		       "polld_coordination_state",
		       "state",
		       pd_coordination_state_to_string(st),
		       st == now ? 1 : 0);
}

void
pd_prom_self_collect(GString *out, PdPromFormat format, gpointer user_data)
{
	PdPromSelf *self = user_data;
	g_autoptr(GVariant) st = pd_engine_get_statistics(self->engine);
	guint64 polled = 0;

	collect_process(self, out, format);
	g_variant_lookup(st, "samples_polled", "t", &polled);
	one(out,
	    format,
	    "polld_samples_polled_total",
	    PD_COUNTER,
	    "samples the pollsters produced",
	    (gdouble)polled);
	collect_tasks(self, out, format);
	collect_pollsters(self, out, format);
	collect_plugins(self, out, format);
	collect_sinks(self, out, format);
	collect_notifier(self, out, format);
	collect_coordination(self, out, format);
}
