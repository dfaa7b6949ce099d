/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdEngine"

#include "config.h"

#include <fnmatch.h>

#include "pd-engine-private.h"
#include "pd-error.h"
#include "pd-inflight.h"
#include "pd-plugin-loader.h"
#include "pd-polling-task.h"
#include "pd-serializer.h"
#include "pd-worker-private.h"

struct _PdEngine {
	GObject parent_instance;
	PdConfig *config;
	gchar **plugin_dirs;
	gchar **namespaces;
	gchar **pollster_list;
	GPtrArray *plugins;
	GHashTable *pollsters;		/* name -> PdPollster, the selected ones */
	GHashTable *discoveries;	/* name -> PdDiscovery */
	GHashTable *stats;		/* pollster name -> PdPollsterStats */
	GHashTable *blacklists;		/* "source\npollster" -> set of resource ids */
	const PdResourceFilter *filter; /* partitioning, or NULL */
	gpointer filter_data;
	PdPollingConfig *polling;
	GPtrArray *tasks;
	PdPublisher *publisher;
	/* serialisation runs in several threads, each with a serializer of its
	 * own taken from this pool; a reload bumps the generation and stale
	 * serializers are freed as they come back */
	GMutex serializer_mutex;
	PdInflight *inflight;	/* serialised chunks not yet handed to the publisher */
	GPtrArray *serializers; /* idle PdPooledSerializer */
	guint serializer_generation;
	gchar *sample_source;
	gchar *telemetry_secret;
	gboolean identity_names;
	guint batch_size;
	gchar *host;
	gboolean started;
	gboolean stopping;
	gboolean paused;
	gchar **config_files;
	gchar **config_dirs;
	guint64 generation;
	guint failed_plugins;
	GHashTable *disabled_plugins; /* set of PdPlugin whose start failed for good */
	GArray *retry_sources;	      /* of guint, pending plugin start retries */
	/* counters */
	guint64 cycles;
	guint64 samples_polled;
	guint64 messages_built;
	guint64 cycle_errors;
	guint64 blacklisted;
};

G_DEFINE_TYPE(PdEngine, pd_engine, G_TYPE_OBJECT)

enum { SIGNAL_CYCLE_FINISHED, SIGNAL_RELOADED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = { 0 };

static const gchar *const pd_engine_known_keys[] = {
	/* ceilometer.conf options polld reads or accepts */
	"DEFAULT",
	"host",
	"DEFAULT",
	"sample_source",
	"DEFAULT",
	"transport_url",
	"DEFAULT",
	"polling_namespaces",
	"DEFAULT",
	"pollster_list",
	"DEFAULT",
	"control_exchange",
	"DEFAULT",
	"debug",
	"DEFAULT",
	"verbose",
	"DEFAULT",
	"use_syslog",
	"DEFAULT",
	"use_journal",
	"DEFAULT",
	"log_dir",
	"DEFAULT",
	"log_file",
	"DEFAULT",
	"libvirt_type",
	"DEFAULT",
	"libvirt_uri",
	"DEFAULT",
	"reseller_prefix",
	"DEFAULT",
	"pollsters_definitions_dirs",
	"DEFAULT",
	"rootwrap_config",
	"polling",
	"cfg_file",
	"polling",
	"batch_size",
	"polling",
	"partitioning_group_prefix",
	"polling",
	"heartbeat_socket_dir",
	"polling",
	"ignore_disabled_projects",
	"polling",
	"identity_name_discovery",
	"polling",
	"tenant_name_discovery",
	"polling",
	"enable_notifications",
	"polling",
	"enable_prometheus_exporter",
	"polling",
	"prometheus_listen_addresses",
	"polling",
	"pollsters_definitions_dirs",
	"polling",
	"threads_to_process_pollsters",
	"publisher",
	"telemetry_secret",
	"oslo_messaging_notifications",
	"transport_url",
	"oslo_messaging_notifications",
	"topics",
	"oslo_messaging_notifications",
	"driver",
	"oslo_messaging_notifications",
	"retry",
	"oslo_messaging_rabbit",
	"amqp_durable_queues",
	"oslo_messaging_rabbit",
	"amqp_auto_delete",
	"oslo_messaging_rabbit",
	"rabbit_quorum_queue",
	"oslo_messaging_rabbit",
	"heartbeat_timeout_threshold",
	"oslo_messaging_rabbit",
	"heartbeat_rate",
	"oslo_messaging_rabbit",
	"ssl",
	"oslo_messaging_rabbit",
	"ssl_ca_file",
	"oslo_messaging_rabbit",
	"ssl_cert_file",
	"oslo_messaging_rabbit",
	"ssl_key_file",
	"oslo_messaging_rabbit",
	"ssl_enforce_hostname_verification",
	"oslo_messaging_rabbit",
	"rabbit_retry_interval",
	"oslo_messaging_rabbit",
	"rabbit_retry_backoff",
	"oslo_messaging_rabbit",
	"rabbit_interval_max",
	/* polld's own publisher settings */
	"publisher",
	"spool_dir",
	"publisher",
	"spool_max_bytes",
	"publisher",
	"confirm_window",
	"publisher",
	"memory_queue_max_bytes",
	/* polld's own */
	"polld",
	"worker_threads",
	"polld",
	"pollster_timeout",
	"polld",
	"stop_timeout",
	"polld",
	"identity_names",
	"polld",
	"max_inflight_bytes",
	NULL,
};

/* sections of a full ceilometer.conf that polld ignores as a whole */
static const gchar *const pd_engine_foreign_groups[] = {
	"database",    "keystone_authtoken",
	"api",	       "notification",
	"meter",       "event",
	"ipmi",	       "oslo_concurrency",
	"oslo_policy", "oslo_middleware",
	"collector",   "dispatcher_gnocchi",
	NULL,
};

/* --- plugins --- */

static gboolean
pd_engine_pollster_selected(PdEngine *self, PdPollster *pollster)
{
	const gchar *ns = pd_pollster_get_namespace(pollster);
	const gchar *name = pd_pollster_get_name(pollster);

	if (self->namespaces != NULL &&
	    !g_strv_contains((const gchar *const *)self->namespaces, ns))
		return FALSE;
	if (self->pollster_list == NULL || self->pollster_list[0] == NULL)
		return TRUE;
	for (guint i = 0; self->pollster_list[i] != NULL; i++) {
		if (fnmatch(self->pollster_list[i], name, 0) == 0)
			return TRUE;
	}
	return FALSE;
}

void
pd_engine_add_plugin(PdEngine *self, PdPlugin *plugin)
{
	GPtrArray *pollsters = pd_plugin_get_pollsters(plugin);
	GPtrArray *discoveries = pd_plugin_get_discoveries(plugin);

	for (guint i = 0; i < pollsters->len; i++) {
		PdPollster *p = g_ptr_array_index(pollsters, i);
		const gchar *name = pd_pollster_get_name(p);
		PdPollster *other = g_hash_table_lookup(self->pollsters, name);
		if (!pd_engine_pollster_selected(self, p))
			continue;
		if (other != NULL) {
			g_warning("pollster %s of plugin %s already provided by plugin %s, ignored",
				  name,
				  pd_plugin_get_name(plugin),
				  pd_plugin_get_name(pd_pollster_get_plugin(other)));
			continue;
		}
		g_hash_table_insert(self->pollsters, g_strdup(name), g_object_ref(p));
	}
	for (guint i = 0; i < discoveries->len; i++) {
		PdDiscovery *d = g_ptr_array_index(discoveries, i);
		const gchar *name = pd_discovery_get_name(d);
		if (g_hash_table_contains(self->discoveries, name)) {
			g_warning("discovery %s of plugin %s already provided, ignored",
				  name,
				  pd_plugin_get_name(plugin));
			continue;
		}
		g_hash_table_insert(self->discoveries, g_strdup(name), g_object_ref(d));
	}
	g_ptr_array_add(self->plugins, g_object_ref(plugin));
}

gboolean
pd_engine_load_plugins(PdEngine *self, GError **error)
{
	g_autoptr(GPtrArray) plugins = pd_plugin_loader_load_dirs(self->plugin_dirs);

	for (guint i = 0; i < plugins->len; i++)
		pd_engine_add_plugin(self, g_ptr_array_index(plugins, i));
	if (self->plugins->len == 0) {
		g_autofree gchar *dirs = g_strjoinv(":", self->plugin_dirs);
		g_set_error(
		  error, PD_ERROR, PD_ERROR_NOT_FOUND, "no plugin could be loaded from %s", dirs);
		return FALSE;
	}
	g_info("%u plugins loaded, %u pollsters selected for namespaces %s",
	       self->plugins->len,
	       g_hash_table_size(self->pollsters),
	       self->namespaces != NULL ? self->namespaces[0] : "(all)");
	return TRUE;
}

/* a plugin whose service isn't there yet is retried with back-off */
typedef struct {
	PdEngine *engine;
	PdPlugin *plugin;
	guint delay_s;
	guint source_id;
} PdPluginRetry;

static void
pd_engine_forget_retry(PdEngine *self, guint source_id)
{
	for (guint i = 0; i < self->retry_sources->len; i++) {
		if (g_array_index(self->retry_sources, guint, i) == source_id) {
			g_array_remove_index_fast(self->retry_sources, i);
			return;
		}
	}
}

static void
pd_plugin_retry_free(PdPluginRetry *retry)
{
	g_object_unref(retry->plugin);
	g_free(retry);
}

static gboolean
pd_engine_plugin_retry_cb(gpointer user_data);

static gboolean
pd_engine_start_plugin(PdEngine *self, PdPlugin *plugin, guint delay_s)
{
	g_autoptr(GError) error = NULL;
	PdPluginRetry *retry;

	if (pd_plugin_start(plugin, self->config, &error)) {
		pd_plugin_set_status(plugin, NULL);
		g_hash_table_remove(self->disabled_plugins, plugin);
		return TRUE;
	}
	if (!g_error_matches(error, PD_ERROR, PD_ERROR_NOT_READY)) {
		g_warning("plugin disabled: %s", error->message);
		pd_plugin_set_status(plugin, error->message);
		self->failed_plugins++;
		g_hash_table_add(self->disabled_plugins, plugin);
		return FALSE;
	}
	g_message("%s; retrying in %u s", error->message, delay_s);
	pd_plugin_set_status(plugin, error->message);
	retry = g_new0(PdPluginRetry, 1);
	retry->engine = self;
	retry->plugin = g_object_ref(plugin);
	retry->delay_s = MIN(delay_s * 2, 60);
	retry->source_id = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT,
						      delay_s,
						      pd_engine_plugin_retry_cb,
						      retry,
						      (GDestroyNotify)pd_plugin_retry_free);
	g_array_append_val(self->retry_sources, retry->source_id);
	return TRUE;
}

static gboolean
pd_engine_plugin_retry_cb(gpointer user_data)
{
	PdPluginRetry *retry = user_data;
	pd_engine_forget_retry(retry->engine, retry->source_id);
	if (!retry->engine->stopping)
		pd_engine_start_plugin(retry->engine, retry->plugin, retry->delay_s);
	return G_SOURCE_REMOVE;
}

/* --- setup --- */

static void
pd_engine_register_keys(PdEngine *self, PdConfig *config)
{
	for (guint i = 0; pd_engine_known_keys[i] != NULL; i += 2)
		pd_config_register_key(
		  config, pd_engine_known_keys[i], pd_engine_known_keys[i + 1]);
	for (guint i = 0; pd_engine_foreign_groups[i] != NULL; i++)
		pd_config_register_key(config, pd_engine_foreign_groups[i], "*");
	for (guint i = 0; i < self->plugins->len; i++) {
		GPtrArray *keys = pd_plugin_get_config_keys(g_ptr_array_index(self->plugins, i));
		for (guint j = 0; j + 1 < keys->len; j += 2)
			pd_config_register_key(
			  config, g_ptr_array_index(keys, j), g_ptr_array_index(keys, j + 1));
	}
}

/* what may change on reload: host, batch size, serializer settings */
static void
pd_engine_apply_settings(PdEngine *self, PdConfig *config)
{
	const gchar *host = pd_config_get_string(config, NULL, "host", NULL);
	gint64 batch_size = pd_config_get_int(config, "polling", "batch_size", 50);
	gint64 inflight;

	g_free(self->host);
	self->host = g_strdup(host != NULL ? host : g_get_host_name());
	pd_worker_set_max_threads(
	  (guint)CLAMP(pd_config_get_int(config, "polld", "worker_threads", 8), 1, 64));
	inflight =
	  pd_config_get_int(config, "polld", "max_inflight_bytes", PD_INFLIGHT_DEFAULT_MAX);
	if (inflight < PD_INFLIGHT_MIN)
		g_warning("[polld] max_inflight_bytes = %" G_GINT64_FORMAT " is below %d, using %d",
			  inflight,
			  PD_INFLIGHT_MIN,
			  PD_INFLIGHT_MIN);
	pd_inflight_set_max(self->inflight, (guint64)MAX(inflight, PD_INFLIGHT_MIN));
	g_mutex_lock(&self->serializer_mutex);
	self->batch_size = batch_size > 0 ? (guint)batch_size : 0;
	g_free(self->sample_source);
	g_free(self->telemetry_secret);
	self->sample_source =
	  g_strdup(pd_config_get_string(config, NULL, "sample_source", "openstack"));
	self->telemetry_secret =
	  g_strdup(pd_config_get_string(config, "publisher", "telemetry_secret", NULL));
	self->identity_names = pd_config_get_bool(config, "polld", "identity_names", TRUE);
	self->serializer_generation++;
	g_ptr_array_set_size(self->serializers, 0);
	g_mutex_unlock(&self->serializer_mutex);
}

static gchar *
pd_engine_find_polling_file(PdConfig *config, const gchar *cfg_file)
{
	GPtrArray *files = pd_config_get_files(config);

	if (g_path_is_absolute(cfg_file))
		return g_strdup(cfg_file);
	/* like oslo's find_file: next to the config files, then the system dir */
	for (guint i = files->len; i > 0; i--) {
		g_autofree gchar *dir = g_path_get_dirname(g_ptr_array_index(files, i - 1));
		g_autofree gchar *fn = g_build_filename(dir, cfg_file, NULL);
		if (g_file_test(fn, G_FILE_TEST_EXISTS))
			return g_steal_pointer(&fn);
	}
	{
		g_autofree gchar *fn = g_build_filename(PD_SYSCONFDIR, cfg_file, NULL);
		if (g_file_test(fn, G_FILE_TEST_EXISTS))
			return g_steal_pointer(&fn);
	}
	return NULL;
}

static PdPollingConfig *
pd_engine_load_polling(PdEngine *self, PdConfig *config, GError **error)
{
	const gchar *cfg_file = pd_config_get_string(config, "polling", "cfg_file", NULL);
	g_autofree gchar *fn =
	  pd_engine_find_polling_file(config, cfg_file != NULL ? cfg_file : "polling.yaml");
	g_autoptr(GBytes) data = NULL;

	if (fn != NULL)
		return pd_polling_config_load_file(fn, error);
	if (cfg_file != NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_INVALID_CONFIG,
			    "%s: [polling] cfg_file = %s: file not found",
			    pd_config_get_origin(config, "polling", "cfg_file"),
			    cfg_file);
		return NULL;
	}
	g_info("no polling.yaml found, using the embedded default");
	data =
	  g_resources_lookup_data("/org/polld/polling.yaml", G_RESOURCE_LOOKUP_FLAGS_NONE, error);
	if (data == NULL)
		return NULL;
	return pd_polling_config_load_data(g_bytes_get_data(data, NULL),
					   (gssize)g_bytes_get_size(data),
					   "(embedded polling.yaml)",
					   error);
}

static GPtrArray *
pd_engine_build_tasks(PdEngine *self, PdPollingConfig *polling)
{
	GPtrArray *tasks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GHashTable) by_interval = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GList) names = g_hash_table_get_keys(self->pollsters);

	names = g_list_sort(names, (GCompareFunc)g_strcmp0);
	for (guint i = 0; i < polling->sources->len; i++) {
		PdSourceDef *src = g_ptr_array_index(polling->sources, i);
		PdPollingTask *task = NULL;
		for (GList *l = names; l != NULL; l = l->next) {
			if (!pd_source_def_match_meter(src, l->data))
				continue;
			task = g_hash_table_lookup(by_interval, GUINT_TO_POINTER(src->interval));
			if (task == NULL) {
				task = pd_polling_task_new(self, src->interval);
				g_hash_table_insert(
				  by_interval, GUINT_TO_POINTER(src->interval), task);
				g_ptr_array_add(tasks, task);
			}
			pd_polling_task_add(
			  task, polling, src, g_hash_table_lookup(self->pollsters, l->data));
		}
		if (task == NULL)
			g_info("source %s matches no loaded pollster", src->name);
	}
	return tasks;
}

gboolean
pd_engine_setup(PdEngine *self, GError **error)
{
	g_autoptr(PdPollingConfig) polling = NULL;

	pd_engine_register_keys(self, self->config);
	pd_config_warn_unknown(self->config);
	pd_engine_apply_settings(self, self->config);

	polling = pd_engine_load_polling(self, self->config, error);
	if (polling == NULL)
		return FALSE;
	self->polling = g_steal_pointer(&polling);
	self->tasks = pd_engine_build_tasks(self, self->polling);
	if (self->tasks->len == 0)
		g_warning("%s: no source matches any loaded pollster, nothing to poll",
			  self->polling->filename);

	for (guint i = 0; i < self->plugins->len; i++)
		pd_engine_start_plugin(self, g_ptr_array_index(self->plugins, i), 5);
	if (self->publisher == NULL) {
		g_set_error_literal(error, PD_ERROR, PD_ERROR_INTERNAL, "no publisher set");
		return FALSE;
	}
	return pd_publisher_start(self->publisher, self->config, error);
}

/* --- reload --- */

void
pd_engine_set_config_sources(PdEngine *self, gchar **files, gchar **dirs)
{
	g_strfreev(self->config_files);
	g_strfreev(self->config_dirs);
	self->config_files = g_strdupv(files);
	self->config_dirs = g_strdupv(dirs);
}

static PdConfig *
pd_engine_read_config(PdEngine *self, GError **error)
{
	g_autoptr(PdConfig) config = pd_config_new();

	for (guint i = 0; self->config_files != NULL && self->config_files[i] != NULL; i++) {
		if (!pd_config_load_file(config, self->config_files[i], error))
			return NULL;
	}
	for (guint i = 0; self->config_dirs != NULL && self->config_dirs[i] != NULL; i++) {
		if (!pd_config_load_dir(config, self->config_dirs[i], error))
			return NULL;
	}
	return g_steal_pointer(&config);
}

static PdPollingTask *
pd_engine_find_task(GPtrArray *tasks, const gchar *fingerprint, guint interval)
{
	for (guint i = 0; tasks != NULL && i < tasks->len; i++) {
		PdPollingTask *t = g_ptr_array_index(tasks, i);
		g_autofree gchar *fp = NULL;
		if (fingerprint == NULL) {
			if (pd_polling_task_get_interval(t) == interval)
				return t;
			continue;
		}
		fp = pd_polling_task_get_fingerprint(t);
		if (g_strcmp0(fp, fingerprint) == 0)
			return t;
	}
	return NULL;
}

/* unchanged tasks stay as they are (schedule, running cycle); changed ones
 * are replaced, the new one first running when the old one would have, and
 * an old task's running cycle still completes and publishes */
static void
pd_engine_swap_tasks(PdEngine *self, GPtrArray *new_tasks)
{
	g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func(g_object_unref);

	for (guint i = 0; i < new_tasks->len; i++) {
		PdPollingTask *t = g_ptr_array_index(new_tasks, i);
		g_autofree gchar *fp = pd_polling_task_get_fingerprint(t);
		PdPollingTask *old = pd_engine_find_task(self->tasks, fp, 0);
		if (old != NULL) {
			g_ptr_array_add(result, g_object_ref(old));
			continue;
		}
		old = pd_engine_find_task(self->tasks, NULL, pd_polling_task_get_interval(t));
		if (self->started && old != NULL && pd_polling_task_get_next_run_mono(old) > 0)
			pd_polling_task_start_at(t, pd_polling_task_get_next_run_mono(old));
		else if (self->started)
			pd_polling_task_start(t);
		g_ptr_array_add(result, g_object_ref(t));
	}
	for (guint i = 0; self->tasks != NULL && i < self->tasks->len; i++) {
		PdPollingTask *old = g_ptr_array_index(self->tasks, i);
		if (!g_ptr_array_find(result, old, NULL))
			pd_polling_task_stop(old);
	}
	g_clear_pointer(&self->tasks, g_ptr_array_unref);
	self->tasks = g_steal_pointer(&result);
}

gboolean
pd_engine_reload(PdEngine *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(PdConfig) config = pd_engine_read_config(self, &error_local);
	g_autoptr(PdPollingConfig) polling = NULL;
	g_autoptr(GPtrArray) tasks = NULL;
	const gchar *old_url, *new_url;

	if (config == NULL) {
		g_set_error_literal(error, PD_ERROR, PD_ERROR_INVALID_CONFIG, error_local->message);
		return FALSE;
	}
	polling = pd_engine_load_polling(self, config, &error_local);
	if (polling == NULL) {
		g_set_error_literal(error, PD_ERROR, PD_ERROR_INVALID_CONFIG, error_local->message);
		return FALSE;
	}
	/* valid: from here on nothing fails */
	pd_engine_register_keys(self, config);
	pd_config_warn_unknown(config);
	old_url = pd_config_get_string(self->config, NULL, "transport_url", NULL);
	new_url = pd_config_get_string(config, NULL, "transport_url", NULL);
	if (g_strcmp0(old_url, new_url) != 0)
		g_warning("transport_url changed: the publisher keeps its connection, restart "
			  "polld to switch");
	pd_engine_apply_settings(self, config);
	g_set_object(&self->config, config);
	tasks = pd_engine_build_tasks(self, polling);
	pd_engine_swap_tasks(self, tasks);
	g_clear_pointer(&self->polling, pd_polling_config_unref);
	self->polling = g_steal_pointer(&polling);
	self->generation++;
	g_message("configuration reloaded (generation %" G_GUINT64_FORMAT "): %u tasks",
		  self->generation,
		  self->tasks->len);
	g_signal_emit(self, signals[SIGNAL_RELOADED], 0, self->generation);
	return TRUE;
}

guint64
pd_engine_get_config_generation(PdEngine *self)
{
	return self->generation;
}

GPtrArray *
pd_engine_get_config_files(PdEngine *self)
{
	return pd_config_get_files(self->config);
}

void
pd_engine_start(PdEngine *self)
{
	self->started = TRUE;
	for (guint i = 0; i < self->tasks->len; i++)
		pd_polling_task_start(g_ptr_array_index(self->tasks, i));
}

/* --- poll now / stop --- */

typedef struct {
	guint pending;
	gboolean finished;
	guint timeout_id;
	GError *error;
} PdGatherData;

static void
pd_gather_data_free(PdGatherData *data)
{
	g_clear_error(&data->error);
	g_free(data);
}

static void
pd_engine_flush_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;

	if (!pd_publisher_flush_finish(PD_PUBLISHER(source), res, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

static void
pd_engine_gather_done(GTask *task)
{
	PdEngine *self = g_task_get_source_object(task);
	PdGatherData *data = g_task_get_task_data(task);

	if (data->finished || --data->pending > 0) {
		g_object_unref(task);
		return;
	}
	data->finished = TRUE;
	if (data->timeout_id != 0)
		g_source_remove(data->timeout_id);
	if (data->error != NULL) {
		g_task_return_error(task, g_steal_pointer(&data->error));
		g_object_unref(task);
		return;
	}
	pd_publisher_flush_async(
	  self->publisher, g_task_get_cancellable(task), pd_engine_flush_cb, task);
}

static void
pd_engine_task_ran_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdGatherData *data = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	if (!pd_polling_task_run_finish(PD_POLLING_TASK(source), res, &error) &&
	    data->error == NULL)
		data->error = g_steal_pointer(&error);
	pd_engine_gather_done(task);
}

void
pd_engine_poll_now_async(PdEngine *self,
			 const gchar *const *names,
			 GCancellable *cancellable,
			 GAsyncReadyCallback callback,
			 gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	PdGatherData *data = g_new0(PdGatherData, 1);
	guint matched = 0;

	g_task_set_task_data(task, data, (GDestroyNotify)pd_gather_data_free);
	data->pending = 1;
	for (guint i = 0; i < self->tasks->len; i++) {
		PdPollingTask *t = g_ptr_array_index(self->tasks, i);
		if (!pd_polling_task_matches(t, names))
			continue;
		matched++;
		data->pending++;
		pd_polling_task_run_async(
		  t, names, cancellable, pd_engine_task_ran_cb, g_object_ref(task));
	}
	if (matched == 0 && names != NULL && names[0] != NULL) {
		g_autofree gchar *joined = g_strjoinv(", ", (gchar **)names);
		data->error = g_error_new(PD_ERROR,
					  PD_ERROR_NOT_FOUND,
					  "no pollster or source named %s is configured",
					  joined);
	}
	pd_engine_gather_done(task);
}

gboolean
pd_engine_poll_now_finish(PdEngine *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

static void
pd_engine_task_idle_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	pd_polling_task_wait_idle_finish(PD_POLLING_TASK(source), res, NULL);
	pd_engine_gather_done(G_TASK(user_data));
}

/* a pollster hung for good must not keep polld from stopping forever */
static gboolean
pd_engine_stop_timeout_cb(gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	PdEngine *self = g_task_get_source_object(task);
	PdGatherData *data = g_task_get_task_data(task);
	guint late = 0;

	data->timeout_id = 0;
	for (guint i = 0; self->tasks != NULL && i < self->tasks->len; i++)
		late += pd_polling_task_get_late_jobs(g_ptr_array_index(self->tasks, i));
	g_warning("stopping without %u pollster invocations still running after %" G_GINT64_FORMAT
		  " s; their samples are lost",
		  late,
		  pd_config_get_int(self->config, "polld", "stop_timeout", 30));
	data->pending = 1;
	pd_engine_gather_done(g_object_ref(task));
	return G_SOURCE_REMOVE;
}

void
pd_engine_stop_async(PdEngine *self, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(self, NULL, callback, user_data);
	PdGatherData *data = g_new0(PdGatherData, 1);
	gint64 stop_timeout = pd_config_get_int(self->config, "polld", "stop_timeout", 30);

	self->stopping = TRUE;
	g_task_set_task_data(task, data, (GDestroyNotify)pd_gather_data_free);
	data->pending = 1;
	data->timeout_id = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT,
						      (guint)CLAMP(stop_timeout, 1, 3600),
						      pd_engine_stop_timeout_cb,
						      g_object_ref(task),
						      g_object_unref);
	for (guint i = 0; self->tasks != NULL && i < self->tasks->len; i++) {
		PdPollingTask *t = g_ptr_array_index(self->tasks, i);
		pd_polling_task_stop(t);
		data->pending++;
		pd_polling_task_wait_idle_async(t, pd_engine_task_idle_cb, g_object_ref(task));
	}
	pd_engine_gather_done(task);
}

gboolean
pd_engine_stop_finish(PdEngine *self, GAsyncResult *res, GError **error)
{
	gboolean ret = g_task_propagate_boolean(G_TASK(res), error);
	for (guint i = 0; i < self->plugins->len; i++)
		pd_plugin_stop(g_ptr_array_index(self->plugins, i));
	if (self->publisher != NULL)
		pd_publisher_stop(self->publisher);
	return ret;
}

/* --- services for the tasks --- */

PdDiscovery *
pd_engine_lookup_discovery(PdEngine *self, const gchar *name)
{
	return g_hash_table_lookup(self->discoveries, name);
}

gboolean
pd_engine_is_blacklisted(PdEngine *self,
			 const gchar *source,
			 const gchar *pollster,
			 const gchar *id)
{
	g_autofree gchar *key = NULL;
	GHashTable *set;

	if (g_hash_table_size(self->blacklists) == 0)
		return FALSE;
	key = g_strdup_printf("%s\n%s", source, pollster);
	set = g_hash_table_lookup(self->blacklists, key);
	return set != NULL && g_hash_table_contains(set, id);
}

gboolean
pd_engine_blacklist(PdEngine *self,
		    const gchar *source,
		    const gchar *pollster,
		    PdResource *res,
		    const gchar *reason)
{
	g_autofree gchar *key = g_strdup_printf("%s\n%s", source, pollster);
	GHashTable *set = g_hash_table_lookup(self->blacklists, key);

	if (set == NULL) {
		set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(self->blacklists, g_strdup(key), set);
	}
	if (!g_hash_table_add(set, g_strdup(pd_resource_get_id(res))))
		return FALSE;
	self->blacklisted++;
	g_debug("pollster %s (source %s) can never poll resource %s: %s",
		pollster,
		source,
		pd_resource_get_id(res),
		reason != NULL ? reason : "permanent error");
	return TRUE;
}

guint
pd_engine_get_blacklist_size(PdEngine *self, const gchar *pollster)
{
	GHashTableIter iter;
	gpointer key, value;
	guint n = 0;

	g_hash_table_iter_init(&iter, self->blacklists);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const gchar *nl = strchr(key, '\n');
		if (g_strcmp0(nl + 1, pollster) == 0)
			n += g_hash_table_size(value);
	}
	return n;
}

gpointer
pd_engine_share_begin(PdEngine *self)
{
	return self->filter != NULL ? self->filter->share_begin(self->filter_data) : NULL;
}

void
pd_engine_share_end(PdEngine *self, gpointer share)
{
	if (share != NULL)
		self->filter->share_end(share);
}

gboolean
pd_engine_filter_resource(PdEngine *self,
			  gpointer share,
			  const gchar *source,
			  const gchar *discovery,
			  PdResource *res)
{
	return share == NULL || self->filter->share_owns(share, source, discovery, res);
}

void
pd_engine_set_resource_filter(PdEngine *self, const PdResourceFilter *filter, gpointer user_data)
{
	self->filter = filter;
	self->filter_data = user_data;
}

PdPollingConfig *
pd_engine_get_polling_config(PdEngine *self)
{
	return self->polling;
}

typedef struct {
	PdSampleBatch *batch;
	GPtrArray *messages;
} PdPublishData;

static void
pd_publish_data_free(PdPublishData *data)
{
	if (data->batch != NULL)
		pd_sample_batch_free(data->batch);
	if (data->messages != NULL)
		g_ptr_array_unref(data->messages);
	g_free(data);
}

typedef struct {
	PdSerializer *serializer;
	guint generation;
} PdPooledSerializer;

static void
pd_pooled_serializer_free(PdPooledSerializer *p)
{
	pd_serializer_free(p->serializer);
	g_free(p);
}

static PdPooledSerializer *
pd_engine_acquire_serializer(PdEngine *self, guint *chunk)
{
	PdPooledSerializer *p;

	g_mutex_lock(&self->serializer_mutex);
	*chunk = self->batch_size > 0 ? self->batch_size : 1;
	if (self->serializers->len > 0) {
		p = g_ptr_array_steal_index_fast(self->serializers, self->serializers->len - 1);
	} else {
		p = g_new0(PdPooledSerializer, 1);
		p->serializer = pd_serializer_new(
		  self->sample_source, self->telemetry_secret, self->identity_names);
		p->generation = self->serializer_generation;
	}
	g_mutex_unlock(&self->serializer_mutex);
	return p;
}

static void
pd_engine_release_serializer(PdEngine *self, PdPooledSerializer *p)
{
	g_mutex_lock(&self->serializer_mutex);
	if (p->generation == self->serializer_generation) {
		g_ptr_array_add(self->serializers, p);
		p = NULL;
	}
	g_mutex_unlock(&self->serializer_mutex);
	if (p != NULL)
		pd_pooled_serializer_free(p);
}

/* any thread: messages of batch_size samples */
static GPtrArray *
pd_engine_serialize(PdEngine *self, PdSampleBatch *batch)
{
	guint n = pd_sample_batch_get_size(batch);
	guint chunk = 1;
	PdPooledSerializer *p = pd_engine_acquire_serializer(self, &chunk);
	g_autofree PdSample **samples = g_new(PdSample *, chunk);
	GPtrArray *messages = g_ptr_array_new_with_free_func((GDestroyNotify)pd_message_unref);

	for (guint i = 0; i < n; i += chunk) {
		guint len = MIN(chunk, n - i);
		for (guint j = 0; j < len; j++)
			samples[j] = pd_sample_batch_index(batch, i + j);
		g_ptr_array_add(messages, pd_serializer_build_message(p->serializer, samples, len));
	}
	pd_engine_release_serializer(self, p);
	return messages;
}

static void
pd_engine_serialize_thread(GTask *task,
			   gpointer source,
			   gpointer task_data,
			   GCancellable *cancellable)
{
	PdEngine *self = PD_ENGINE(source);
	PdPublishData *data = task_data;

	data->messages = pd_engine_serialize(self, data->batch);
	/* free here, not on the main loop */
	g_clear_pointer(&data->batch, pd_sample_batch_free);
	g_task_return_boolean(task, TRUE);
}

static void
pd_engine_publish_messages(PdEngine *self, GPtrArray *messages)
{
	for (guint i = 0; i < messages->len; i++) {
		PdMessage *msg = g_ptr_array_index(messages, i);
		self->samples_polled += msg->n_samples;
		pd_publisher_publish(self->publisher, msg);
	}
	self->messages_built += messages->len;
}

typedef struct {
	PdEngine *engine;
	GPtrArray *messages;
	guint64 bytes; /* counted in the in-flight budget */
	GFunc done;
	gpointer done_data;
} PdChunkPublish;

static gboolean
pd_engine_publish_chunk_cb(gpointer user_data)
{
	PdChunkPublish *c = user_data;

	pd_engine_publish_messages(c->engine, c->messages);
	pd_inflight_release(c->engine->inflight, c->bytes);
	c->done(c->done_data, NULL);
	g_ptr_array_unref(c->messages);
	g_object_unref(c->engine);
	g_free(c);
	return G_SOURCE_REMOVE;
}

void
pd_engine_publish_chunk(PdEngine *self, PdSampleBatch *batch, GFunc done, gpointer done_data)
{
	PdChunkPublish *c = g_new0(PdChunkPublish, 1);

	c->engine = g_object_ref(self);
	c->messages = pd_engine_serialize(self, batch);
	c->done = done;
	c->done_data = done_data;
	pd_sample_batch_free(batch);
	for (guint i = 0; i < c->messages->len; i++)
		c->bytes +=
		  g_bytes_get_size(((PdMessage *)g_ptr_array_index(c->messages, i))->body);
	/* the pollster's thread waits here while the main loop lags behind */
	pd_inflight_acquire(self->inflight, c->bytes);
	g_idle_add_full(G_PRIORITY_DEFAULT, pd_engine_publish_chunk_cb, c, NULL);
}

guint
pd_engine_get_flush_size(PdEngine *self)
{
	guint batch_size;

	g_mutex_lock(&self->serializer_mutex);
	batch_size = self->batch_size;
	g_mutex_unlock(&self->serializer_mutex);
	/* a few messages' worth per hand-over to the main loop */
	return batch_size > 0 ? batch_size * 4 : 200;
}

void
pd_engine_publish_batch_async(PdEngine *self,
			      PdSampleBatch *batch,
			      GAsyncReadyCallback callback,
			      gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, NULL, callback, user_data);
	PdPublishData *data = g_new0(PdPublishData, 1);

	data->batch = batch;
	g_task_set_task_data(task, data, (GDestroyNotify)pd_publish_data_free);
	g_task_run_in_thread(task, pd_engine_serialize_thread);
}

gboolean
pd_engine_publish_batch_finish(PdEngine *self, GAsyncResult *res, GError **error)
{
	PdPublishData *data = g_task_get_task_data(G_TASK(res));

	if (!g_task_propagate_boolean(G_TASK(res), error))
		return FALSE;
	pd_engine_publish_messages(self, data->messages);
	return TRUE;
}

void
pd_engine_cycle_finished(PdEngine *self,
			 PdPollingTask *task,
			 gint64 duration_us,
			 guint samples,
			 guint errors)
{
	self->cycles++;
	self->cycle_errors += errors;
	g_signal_emit(self,
		      signals[SIGNAL_CYCLE_FINISHED],
		      0,
		      pd_polling_task_get_name(task),
		      (guint64)duration_us,
		      samples,
		      errors);
}

gint64
pd_engine_get_pollster_timeout(PdEngine *self, guint interval)
{
	gint64 timeout = pd_config_get_int(self->config, "polld", "pollster_timeout", 0);
	if (timeout <= 0 || timeout > interval)
		timeout = interval;
	return timeout * G_USEC_PER_SEC;
}

gboolean
pd_engine_is_stopping(PdEngine *self)
{
	return self->stopping;
}

/* --- accessors --- */

PdPollsterStats *
pd_engine_get_pollster_stats(PdEngine *self, const gchar *name)
{
	PdPollsterStats *stats = g_hash_table_lookup(self->stats, name);
	if (stats == NULL) {
		stats = g_new0(PdPollsterStats, 1);
		stats->name = g_strdup(name);
		g_hash_table_insert(self->stats, stats->name, stats);
	}
	return stats;
}

GVariant *
pd_engine_get_statistics(PdEngine *self)
{
	g_auto(GVariantDict) dict;

	g_variant_dict_init(&dict, NULL);
	g_variant_dict_insert(&dict, "cycles", "t", self->cycles);
	g_variant_dict_insert(&dict, "cycle_errors", "t", self->cycle_errors);
	g_variant_dict_insert(&dict, "samples_polled", "t", self->samples_polled);
	g_variant_dict_insert(&dict, "messages_built", "t", self->messages_built);
	g_variant_dict_insert(&dict, "resources_blacklisted", "t", self->blacklisted);
	if (self->publisher != NULL)
		pd_publisher_add_statistics(self->publisher, &dict);
	return g_variant_dict_end(&dict);
}

guint
pd_engine_get_exit_errors(PdEngine *self)
{
	return self->failed_plugins == self->plugins->len ? 1 : 0;
}

PdConfig *
pd_engine_get_config(PdEngine *self)
{
	return self->config;
}

void
pd_engine_set_plugin_dirs(PdEngine *self, gchar **dirs)
{
	g_strfreev(self->plugin_dirs);
	self->plugin_dirs = g_strdupv(dirs);
}

void
pd_engine_set_namespaces(PdEngine *self, gchar **namespaces)
{
	g_strfreev(self->namespaces);
	self->namespaces = g_strdupv(namespaces);
}

gchar **
pd_engine_get_namespaces(PdEngine *self)
{
	return self->namespaces;
}

void
pd_engine_set_pollster_list(PdEngine *self, gchar **globs)
{
	g_strfreev(self->pollster_list);
	self->pollster_list = g_strdupv(globs);
}

void
pd_engine_set_publisher(PdEngine *self, PdPublisher *publisher)
{
	g_set_object(&self->publisher, publisher);
}

PdPublisher *
pd_engine_get_publisher(PdEngine *self)
{
	return self->publisher;
}

void
pd_engine_set_paused(PdEngine *self, gboolean paused)
{
	self->paused = paused;
}

gboolean
pd_engine_get_paused(PdEngine *self)
{
	return self->paused;
}

const gchar *
pd_engine_get_host(PdEngine *self)
{
	return self->host;
}

gboolean
pd_engine_is_plugin_disabled(PdEngine *self, PdPlugin *plugin)
{
	return g_hash_table_contains(self->disabled_plugins, plugin);
}

GPtrArray *
pd_engine_get_plugins(PdEngine *self)
{
	return self->plugins;
}

GHashTable *
pd_engine_get_pollsters(PdEngine *self)
{
	return self->pollsters;
}

GPtrArray *
pd_engine_get_tasks(PdEngine *self)
{
	return self->tasks;
}

static void
pd_pollster_stats_free(PdPollsterStats *stats)
{
	g_free(stats->name);
	g_free(stats->last_error);
	g_free(stats);
}

static void
pd_engine_finalize(GObject *obj)
{
	PdEngine *self = PD_ENGINE(obj);

	for (guint i = 0; i < self->retry_sources->len; i++)
		g_source_remove(g_array_index(self->retry_sources, guint, i));
	g_array_unref(self->retry_sources);
	g_hash_table_unref(self->disabled_plugins);
	if (self->tasks != NULL)
		g_ptr_array_unref(self->tasks);
	if (self->polling != NULL)
		pd_polling_config_unref(self->polling);
	g_hash_table_unref(self->pollsters);
	g_hash_table_unref(self->discoveries);
	g_hash_table_unref(self->stats);
	g_hash_table_unref(self->blacklists);
	g_ptr_array_unref(self->plugins);
	g_clear_object(&self->publisher);
	g_ptr_array_unref(self->serializers);
	g_free(self->sample_source);
	g_free(self->telemetry_secret);
	g_mutex_clear(&self->serializer_mutex);
	pd_inflight_free(self->inflight);
	g_object_unref(self->config);
	g_strfreev(self->plugin_dirs);
	g_strfreev(self->config_files);
	g_strfreev(self->config_dirs);
	g_strfreev(self->namespaces);
	g_strfreev(self->pollster_list);
	g_free(self->host);
	G_OBJECT_CLASS(pd_engine_parent_class)->finalize(obj);
}

static void
pd_engine_init(PdEngine *self)
{
	self->plugins = g_ptr_array_new_with_free_func(g_object_unref);
	self->pollsters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	self->discoveries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	self->stats = g_hash_table_new_full(
	  g_str_hash, g_str_equal, NULL, (GDestroyNotify)pd_pollster_stats_free);
	self->blacklists = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
	self->retry_sources = g_array_new(FALSE, FALSE, sizeof(guint));
	self->disabled_plugins = g_hash_table_new(NULL, NULL);
	self->batch_size = 50;
	self->generation = 1;
	g_mutex_init(&self->serializer_mutex);
	self->inflight = pd_inflight_new(PD_INFLIGHT_DEFAULT_MAX);
	self->serializers =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_pooled_serializer_free);
}

static void
pd_engine_class_init(PdEngineClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_engine_finalize;
	signals[SIGNAL_CYCLE_FINISHED] = g_signal_new("cycle-finished",
						      G_TYPE_FROM_CLASS(klass),
						      G_SIGNAL_RUN_LAST,
						      0,
						      NULL,
						      NULL,
						      NULL,
						      G_TYPE_NONE,
						      4,
						      G_TYPE_STRING,
						      G_TYPE_UINT64,
						      G_TYPE_UINT,
						      G_TYPE_UINT);
	signals[SIGNAL_RELOADED] = g_signal_new("reloaded",
						G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST,
						0,
						NULL,
						NULL,
						NULL,
						G_TYPE_NONE,
						1,
						G_TYPE_UINT64);
}

PdEngine *
pd_engine_new(PdConfig *config)
{
	PdEngine *self = g_object_new(PD_TYPE_ENGINE, NULL);
	self->config = g_object_ref(config);
	return self;
}
