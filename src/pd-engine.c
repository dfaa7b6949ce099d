/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdEngine"

#include "config.h"

#include <fnmatch.h>

#include "pd-engine.h"
#include "pd-error.h"
#include "pd-inflight.h"
#include "pd-log.h"
#include "pd-option-table.h"
#include "pd-plugin-loader.h"
#include "pd-plugin-private.h"
#include "pd-polling-task.h"
#include "pd-worker-private.h"

struct _PdEngine {
	GObject parent_instance;
	PdConfig *config;
	gchar **plugin_dirs;
	gchar **namespaces;
	gchar **pollster_list;
	PdSettings *settings;
	GPtrArray *plugins;
	GPtrArray *held_modules;  /* of PdPluginModule: they serve none of the namespaces */
	GHashTable *plugin_names; /* of the plugins loaded */
	GPtrArray *all_pollsters; /* of PdPollster, every plugin's, in load order */
	GHashTable *pollsters;	  /* name -> PdPollster, the selected ones */
	GHashTable *discoveries;  /* name -> PdDiscovery */
	PdPollsterStatsTable *stats;
	PdBlacklist *blacklist;
	const PdResourceFilter *filter; /* partitioning, or NULL */
	gpointer filter_data;
	PdPollingConfig *polling;
	GPtrArray *tasks;
	PdSinkList *sinks; /* every batch goes to each of them */
	gchar *host;
	gboolean started;
	gboolean stopping;
	gboolean paused;
	GPtrArray *reload_notes; /* of gchar*, what the last reload could not do */
	guint64 generation;
	guint failed_plugins;
	GHashTable *disabled_plugins; /* set of PdPlugin whose start failed for good */
	GHashTable *started_plugins;  /* set of PdPlugin started: they follow reloads */
	GHashTable *idle_plugins;     /* set of PdPlugin the selection does not need */
	GArray *retry_sources;	      /* of guint, pending plugin start retries */
	GHashTable *warned_options;   /* unsupported "group\nkey\nvalue" warned already */
	/* counters */
	guint64 cycles;
	guint64 cycle_errors;
};

G_DEFINE_TYPE(PdEngine, pd_engine, G_TYPE_OBJECT)

enum { SIGNAL_CYCLE_FINISHED, SIGNAL_RELOADED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = { 0 };

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

static void
pd_engine_index_pollsters(PdEngine *self, PdPlugin *plugin)
{
	GPtrArray *pollsters = pd_plugin_get_pollsters(plugin);

	for (guint i = 0; i < pollsters->len; i++) {
		PdPollster *p = g_ptr_array_index(pollsters, i);
		const gchar *name = pd_pollster_get_name(p);
		PdPollster *other = g_hash_table_lookup(self->pollsters, name);
		g_ptr_array_add(self->all_pollsters, g_object_ref(p));
		if (!pd_engine_pollster_selected(self, p))
			continue;
		/* one meter in several namespaces of one plugin (dynamic pollsters) */
		if (other != NULL && pd_pollster_get_plugin(other) == plugin)
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
}

/* plugins whose pollsters come from configuration (dynamic pollsters)
 * read it again; the pollster index follows when one changed */
static void
pd_engine_reload_pollsters(PdEngine *self, PdConfig *config)
{
	gboolean changed = FALSE;

	for (guint i = 0; i < self->plugins->len; i++)
		changed |= pd_plugin_load_pollsters(g_ptr_array_index(self->plugins, i), config);
	if (!changed)
		return;
	/* the list of every pollster too: a removed definition is gone for a
	 * later reselection and for the unmatched-meter warnings */
	g_ptr_array_set_size(self->all_pollsters, 0);
	g_hash_table_remove_all(self->pollsters);
	for (guint i = 0; i < self->plugins->len; i++)
		pd_engine_index_pollsters(self, g_ptr_array_index(self->plugins, i));
}

void
pd_engine_add_plugin(PdEngine *self, PdPlugin *plugin)
{
	GPtrArray *discoveries = pd_plugin_get_discoveries(plugin);

	if (self->config != NULL)
		pd_plugin_load_pollsters(plugin, self->config);
	pd_engine_index_pollsters(self, plugin);
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

/* a reload changed the namespaces or the pollster list */
static void
pd_engine_reselect(PdEngine *self)
{
	g_hash_table_remove_all(self->pollsters);
	for (guint i = 0; i < self->all_pollsters->len; i++) {
		PdPollster *p = g_ptr_array_index(self->all_pollsters, i);
		const gchar *name = pd_pollster_get_name(p);
		if (pd_engine_pollster_selected(self, p) &&
		    !g_hash_table_contains(self->pollsters, name))
			g_hash_table_insert(self->pollsters, g_strdup(name), g_object_ref(p));
	}
}

static gboolean
pd_engine_strv_equal(gchar **a, gchar **b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return g_strv_equal((const gchar *const *)a, (const gchar *const *)b);
}

/* polling_namespaces and pollster_list (unless the command line set them) */
static void
pd_engine_apply_selection(PdEngine *self, PdConfig *config)
{
	g_auto(GStrv) namespaces = pd_settings_dup_namespaces(self->settings, config);
	g_auto(GStrv) pollster_list = pd_settings_dup_pollster_list(self->settings, config);
	g_autofree gchar *ns_str = NULL;
	g_autofree gchar *list_str = NULL;

	if (pd_engine_strv_equal(namespaces, self->namespaces) &&
	    pd_engine_strv_equal(pollster_list, self->pollster_list))
		return;
	g_strfreev(self->namespaces);
	g_strfreev(self->pollster_list);
	self->namespaces = g_steal_pointer(&namespaces);
	self->pollster_list = g_steal_pointer(&pollster_list);
	pd_engine_reselect(self);
	ns_str = g_strjoinv(" ", self->namespaces);
	list_str = g_strjoinv(" ", self->pollster_list);
	g_message("now polling namespaces %s, pollster list %s: %u pollsters selected",
		  ns_str,
		  list_str[0] != '\0' ? list_str : "(all)",
		  g_hash_table_size(self->pollsters));
}

static gboolean
pd_engine_module_wanted_cb(PdPluginModule *module, gpointer user_data)
{
	PdEngine *self = user_data;

	return pd_plugin_loader_module_serves(
	  module, (const gchar *const *)self->namespaces, self->config);
}

/* like Ceilometer, which loads the entry points of the namespaces polled:
 * a module whose key file names none of them is not loaded (its libraries
 * not mapped) until a reload asks for one */
static void
pd_engine_load_wanted(PdEngine *self)
{
	g_autoptr(GPtrArray) plugins = pd_plugin_loader_load_modules(
	  self->held_modules, self->plugin_names, pd_engine_module_wanted_cb, self);

	for (guint i = 0; i < plugins->len; i++) {
		pd_engine_add_plugin(self, g_ptr_array_index(plugins, i));
		g_hash_table_add(self->idle_plugins, g_ptr_array_index(plugins, i));
	}
}

static gboolean
pd_engine_discovery_wanted_cb(PdPluginModule *module, gpointer user_data)
{
	GHashTable *needed = user_data;
	g_auto(GStrv) offered = pd_plugin_loader_module_get_list(module, "Discoveries");

	for (guint i = 0; offered[i] != NULL; i++) {
		if (g_hash_table_contains(needed, offered[i]))
			return TRUE;
	}
	return FALSE;
}

/* loads the modules not loaded whose key file names a discovery that a
 * selected pollster or a source asks for and no plugin loaded has (the
 * host module's local_node, for ipmi and the dynamic pollsters) */
static void
pd_engine_load_discoveries(PdEngine *self, PdPollingConfig *polling)
{
	g_autoptr(GHashTable) needed = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) plugins = NULL;
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->pollsters);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		const gchar *d = pd_pollster_get_default_discovery(value);
		if (d != NULL && !g_hash_table_contains(self->discoveries, d))
			g_hash_table_add(needed, (gpointer)d);
	}
	for (guint i = 0; i < polling->sources->len; i++) {
		PdSourceDef *src = g_ptr_array_index(polling->sources, i);
		for (guint j = 0; src->discovery[j] != NULL; j++) {
			if (!g_hash_table_contains(self->discoveries, src->discovery[j]))
				g_hash_table_add(needed, src->discovery[j]);
		}
	}
	if (g_hash_table_size(needed) == 0)
		return;
	plugins = pd_plugin_loader_load_modules(
	  self->held_modules, self->plugin_names, pd_engine_discovery_wanted_cb, needed);
	for (guint i = 0; i < plugins->len; i++) {
		pd_engine_add_plugin(self, g_ptr_array_index(plugins, i));
		g_hash_table_add(self->idle_plugins, g_ptr_array_index(plugins, i));
	}
}

/* Ceilometer takes any namespace (a dynamic pollster definition may name
 * its own) and warns when none loads a pollster: one that no module and no
 * pollster serves is named, with those that are */
static void
pd_engine_warn_namespaces(PdEngine *self, GHashTable *known)
{
	g_autoptr(GList) names = NULL;
	g_autoptr(GString) valid = g_string_new(NULL);

	for (guint i = 0; i < self->all_pollsters->len; i++)
		g_hash_table_add(
		  known,
		  g_strdup(pd_pollster_get_namespace(g_ptr_array_index(self->all_pollsters, i))));
	names = g_list_sort(g_hash_table_get_keys(known), (GCompareFunc)g_strcmp0);
	for (GList *l = names; l != NULL; l = l->next)
		g_string_append_printf(valid, "%s%s", valid->len > 0 ? ", " : "", (gchar *)l->data);
	for (guint i = 0; self->namespaces != NULL && self->namespaces[i] != NULL; i++) {
		if (!g_hash_table_contains(known, self->namespaces[i]))
			g_warning("no plugin serves polling namespace %s (the plugins found "
				  "serve %s)",
				  self->namespaces[i],
				  valid->len > 0 ? valid->str : "none");
	}
}

gboolean
pd_engine_load_plugins(PdEngine *self, GError **error)
{
	g_autoptr(GHashTable) known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	g_ptr_array_unref(self->held_modules);
	self->held_modules = pd_plugin_loader_list_modules(self->plugin_dirs);
	for (guint i = 0; i < self->held_modules->len; i++) {
		g_auto(GStrv) served = pd_plugin_loader_module_get_list(
		  g_ptr_array_index(self->held_modules, i), "Namespaces");
		for (guint j = 0; served[j] != NULL; j++)
			g_hash_table_add(known, g_strdup(served[j]));
	}
	pd_engine_load_wanted(self);
	for (guint i = 0; i < self->held_modules->len; i++) {
		PdPluginModule *module = g_ptr_array_index(self->held_modules, i);
		g_auto(GStrv) served = pd_plugin_loader_module_get_list(module, "Namespaces");
		g_autofree gchar *ns = g_strjoinv(" ", served);
		g_info("%s not loaded: it serves namespaces %s", module->filename, ns);
	}
	pd_engine_warn_namespaces(self, known);
	if (self->plugins->len == 0 && self->held_modules->len == 0) {
		g_autofree gchar *dirs = g_strjoinv(":", self->plugin_dirs);
		g_set_error(
		  error, PD_ERROR, PD_ERROR_NOT_FOUND, "no plugin could be loaded from %s", dirs);
		return FALSE;
	}
	if (self->namespaces != NULL) {
		g_autofree gchar *ns = g_strjoinv(" ", self->namespaces);
		g_info("%u plugins loaded, %u pollsters selected for namespaces %s",
		       self->plugins->len,
		       g_hash_table_size(self->pollsters),
		       ns);
	}
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
pd_engine_start_plugin(PdEngine *self, PdPlugin *plugin, guint delay_s, GError **config_error)
{
	g_autoptr(GError) error = NULL;
	PdPluginRetry *retry;

	if (pd_plugin_start(plugin, self->config, &error)) {
		pd_plugin_set_status(plugin, NULL);
		g_hash_table_remove(self->disabled_plugins, plugin);
		g_hash_table_add(self->started_plugins, plugin);
		return TRUE;
	}
	/* a bad option value stops polld as the engine's own do */
	if (error->domain == PD_CONFIG_ERROR) {
		g_propagate_error(config_error, g_steal_pointer(&error));
		return FALSE;
	}
	if (!g_error_matches(error, PD_ERROR, PD_ERROR_NOT_READY)) {
		g_log_structured(G_LOG_DOMAIN,
				 G_LOG_LEVEL_WARNING,
				 "MESSAGE_ID",
				 PD_LOG_MSGID_PLUGIN_DISABLED,
				 "POLLD_PLUGIN",
				 pd_plugin_get_name(plugin),
				 "MESSAGE",
				 "plugin disabled: %s",
				 error->message);
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
		pd_engine_start_plugin(retry->engine, retry->plugin, retry->delay_s, NULL);
	return G_SOURCE_REMOVE;
}

/* --- setup --- */

static void
pd_engine_register_keys(PdEngine *self, PdConfig *config)
{
	/* Ceilometer's options: done, not yet (warned), inert; the sinks and
	 * plugins register the keys they read */
	pd_option_table_register(config);
	pd_sink_register_keys(PD_SINK(self->sinks), config);
	for (guint i = 0; i < self->plugins->len; i++) {
		GPtrArray *keys = pd_plugin_get_config_keys(g_ptr_array_index(self->plugins, i));
		for (guint j = 0; j + 1 < keys->len; j += 2)
			pd_config_register_key(
			  config, g_ptr_array_index(keys, j), g_ptr_array_index(keys, j + 1));
	}
	/* a module not loaded: the options its key file names */
	for (guint i = 0; i < self->held_modules->len; i++) {
		g_auto(GStrv) keys = pd_plugin_loader_module_get_list(
		  g_ptr_array_index(self->held_modules, i), "ConfigKeys");
		for (guint j = 0; keys[j] != NULL; j++) {
			g_auto(GStrv) parts = g_strsplit(keys[j], ".", 2);
			if (parts[0] != NULL && parts[1] != NULL)
				pd_config_register_key(config, parts[0], parts[1]);
		}
	}
}

/* the numeric options of the engine and their documented ranges
 * (data/polld.conf, polld.conf(5)); out of range is a config error */
static const struct {
	const gchar *group;
	const gchar *key;
	gint64 def, min, max;
} pd_engine_int_options[] = {
	{ "polling", "batch_size", 50, 0, 100000 },
	{ "polld", "worker_threads", 8, 1, 64 },
	{ "polld", "pollster_timeout", 0, 0, 86400 },
	{ "polld", "stop_timeout", 30, 1, 3600 },
	/* not supported yet (warned); 0 means one thread per pollster */
	{ "polling", "threads_to_process_pollsters", 1, 0, 1024 },
	/* the notifier sink's: checked here so a reload is refused before
	 * anything applies it */
	{ "polld", "max_inflight_bytes", PD_INFLIGHT_DEFAULT_MAX, PD_INFLIGHT_MIN, 1ll << 40 },
	/* the coordination's (read at start only): a reload refuses a bad one
	 * rather than naming it as changed */
	{ "coordination", "max_stale_seconds", 300, 0, 604800 },
};

/* the engine's options that take one of a few words; the coordination's
 * too, so that a reload refuses a bad one and start does before it joins */
static const struct {
	const gchar *group;
	const gchar *key;
	const gchar *choices[3]; /* the default first */
} pd_engine_choice_options[] = {
	{ "coordination", "stale_action", { "keep", "poll_all", NULL } },
};

static gboolean
pd_engine_check_choices(PdConfig *config, GError **error)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_engine_choice_options); i++) {
		const gchar *group = pd_engine_choice_options[i].group;
		const gchar *key = pd_engine_choice_options[i].key;
		const gchar *const *choices = pd_engine_choice_options[i].choices;
		const gchar *value = pd_config_get_string(config, group, key, choices[0]);
		g_autofree gchar *where = NULL;
		g_autofree gchar *cut = NULL;
		g_autofree gchar *want = NULL;

		if (g_strv_contains(choices, value))
			continue;
		where = pd_config_get_location(config, group, key);
		cut = pd_config_abbreviate(value, -1);
		want = g_strjoinv(" or ", (gchar **)choices);
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "%s: [%s] %s = '%s': want %s",
			    where,
			    group,
			    key,
			    cut,
			    want);
		return FALSE;
	}
	return TRUE;
}

static gboolean
pd_engine_check_settings(PdConfig *config, GError **error)
{
	PdCeilometerRelease release;

	/* read by the plugins and the notifier sink, which trust it checked */
	if (!pd_config_get_ceilometer_compat(config, &release, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(pd_engine_int_options); i++) {
		gint64 value;
		if (!pd_config_get_int_range(config,
					     pd_engine_int_options[i].group,
					     pd_engine_int_options[i].key,
					     pd_engine_int_options[i].def,
					     pd_engine_int_options[i].min,
					     pd_engine_int_options[i].max,
					     &value,
					     error))
			return FALSE;
	}
	return pd_engine_check_choices(config, error);
}

/* what may change on reload in the engine itself (the sinks and tasks
 * follow the config on their own) */
static void
pd_engine_apply_settings(PdEngine *self, PdConfig *config)
{
	const gchar *host = pd_config_get_string(config, NULL, "host", NULL);

	g_free(self->host);
	self->host = g_strdup(host != NULL ? host : g_get_host_name());
	pd_worker_set_max_threads((guint)pd_config_get_int(config, "polld", "worker_threads", 8));
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

static void
pd_engine_task_cycle_finished_cb(PdPollingTask *task,
				 guint64 duration_us,
				 guint samples,
				 guint errors,
				 gpointer user_data)
{
	PdEngine *self = PD_ENGINE(user_data);

	self->cycles++;
	self->cycle_errors += errors;
	g_signal_emit(self,
		      signals[SIGNAL_CYCLE_FINISHED],
		      0,
		      pd_polling_task_get_name(task),
		      duration_us,
		      samples,
		      errors);
}

static PdPollingTask *
pd_engine_new_task(PdEngine *self, guint interval, PdConfig *config)
{
	PdPollingTask *task = pd_polling_task_new(
	  interval, PD_SINK(self->sinks), self->blacklist, self->stats, self->discoveries);

	pd_polling_task_set_config(task, config);
	pd_polling_task_set_paused(task, self->paused);
	pd_polling_task_set_resource_filter(task, self->filter, self->filter_data);
	g_signal_connect_object(
	  task, "cycle-finished", G_CALLBACK(pd_engine_task_cycle_finished_cb), self, 0);
	return task;
}

/* meters polling.yaml names that no plugin has (selected or not) */
static void
pd_engine_warn_unmatched(PdEngine *self, PdPollingConfig *polling)
{
	g_autoptr(GHashTable) known = g_hash_table_new(g_str_hash, g_str_equal);

	g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);

	for (guint i = 0; i < self->all_pollsters->len; i++)
		g_hash_table_add(
		  known, (gpointer)pd_pollster_get_name(g_ptr_array_index(self->all_pollsters, i)));
	/* and the meters of the modules not loaded, by their key files */
	for (guint i = 0; i < self->held_modules->len; i++) {
		gchar **meters = pd_plugin_loader_module_get_list(
		  g_ptr_array_index(self->held_modules, i), "Meters");
		for (guint j = 0; meters[j] != NULL; j++)
			g_hash_table_add(known, meters[j]);
		g_ptr_array_add(held, meters);
	}
	pd_polling_config_warn_unmatched(polling, known);
}

static GPtrArray *
pd_engine_build_tasks(PdEngine *self, PdPollingConfig *polling, PdConfig *config)
{
	GPtrArray *tasks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GHashTable) by_interval = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GList) names = g_hash_table_get_keys(self->pollsters);

	names = g_list_sort(names, (GCompareFunc)g_strcmp0);
	pd_engine_warn_unmatched(self, polling);
	for (guint i = 0; i < polling->sources->len; i++) {
		PdSourceDef *src = g_ptr_array_index(polling->sources, i);
		PdPollingTask *task = NULL;
		for (GList *l = names; l != NULL; l = l->next) {
			if (!pd_polling_config_source_matches(src, l->data))
				continue;
			task = g_hash_table_lookup(by_interval, GUINT_TO_POINTER(src->interval));
			if (task == NULL) {
				task = pd_engine_new_task(self, src->interval, config);
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

/* like Ceilometer, which loads only the selected namespaces' entry points,
 * a plugin runs when one of its pollsters is selected, or when a selected
 * pollster or source needs one of its discoveries (ipmi: local_node) */
static gboolean
pd_engine_plugin_needed(PdEngine *self, PdPlugin *plugin, PdPollingConfig *polling)
{
	GPtrArray *pollsters = pd_plugin_get_pollsters(plugin);
	GPtrArray *discoveries = pd_plugin_get_discoveries(plugin);
	g_autoptr(GHashTable) used = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTableIter iter;
	gpointer value;

	if (pollsters->len == 0)
		return TRUE;
	for (guint i = 0; i < pollsters->len; i++) {
		PdPollster *p = g_ptr_array_index(pollsters, i);
		if (g_hash_table_lookup(self->pollsters, pd_pollster_get_name(p)) == p)
			return TRUE;
	}
	g_hash_table_iter_init(&iter, self->pollsters);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		const gchar *d = pd_pollster_get_default_discovery(value);
		if (d != NULL)
			g_hash_table_add(used, (gpointer)d);
	}
	for (guint i = 0; i < polling->sources->len; i++) {
		PdSourceDef *src = g_ptr_array_index(polling->sources, i);
		for (guint j = 0; src->discovery[j] != NULL; j++)
			g_hash_table_add(used, src->discovery[j]);
	}
	for (guint i = 0; i < discoveries->len; i++) {
		const gchar *name = pd_discovery_get_name(g_ptr_array_index(discoveries, i));
		if (g_hash_table_contains(used, name))
			return TRUE;
	}
	return FALSE;
}

/* starts the plugins the selection needs and not started yet */
static gboolean
pd_engine_start_needed(PdEngine *self, PdPollingConfig *polling, GError **error)
{
	for (guint i = 0; i < self->plugins->len; i++) {
		PdPlugin *plugin = g_ptr_array_index(self->plugins, i);
		g_autoptr(GError) config_error = NULL;
		if (!g_hash_table_contains(self->idle_plugins, plugin))
			continue;
		if (!pd_engine_plugin_needed(self, plugin, polling)) {
			g_info("plugin %s: none of its pollsters is selected, not started",
			       pd_plugin_get_name(plugin));
			continue;
		}
		g_hash_table_remove(self->idle_plugins, plugin);
		if (!pd_engine_start_plugin(self, plugin, 5, &config_error) &&
		    config_error != NULL) {
			g_propagate_error(error, g_steal_pointer(&config_error));
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
pd_engine_setup(PdEngine *self, GError **error)
{
	g_autoptr(PdPollingConfig) polling = NULL;

	pd_engine_register_keys(self, self->config);
	pd_config_warn_unknown_once(self->config, self->warned_options);
	if (!pd_engine_check_settings(self->config, error))
		return FALSE;
	pd_engine_apply_settings(self, self->config);

	polling = pd_engine_load_polling(self, self->config, error);
	if (polling == NULL)
		return FALSE;
	self->polling = g_steal_pointer(&polling);
	pd_engine_load_discoveries(self, self->polling);
	self->tasks = pd_engine_build_tasks(self, self->polling, self->config);
	if (self->tasks->len == 0)
		g_warning("%s: no source matches any loaded pollster, nothing to poll",
			  self->polling->filename);

	for (guint i = 0; i < self->plugins->len; i++)
		g_hash_table_add(self->idle_plugins, g_ptr_array_index(self->plugins, i));
	if (!pd_engine_start_needed(self, self->polling, error))
		return FALSE;
	return pd_sink_start(PD_SINK(self->sinks), self->config, error);
}

/* --- reload --- */

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

/* engine keys read once at start (logging is set up by main()) */
/* clang-format off */
static const gchar *const pd_engine_restart_keys[] = {
	"DEFAULT", "debug",
	"DEFAULT", "verbose",
	"DEFAULT", "use_syslog",
	"DEFAULT", "use_journal",
	"DEFAULT", "log_dir",
	"DEFAULT", "log_file",
	"DEFAULT", "syslog_log_facility",
	"DEFAULT", "log_date_format",
	"DEFAULT", "default_log_levels",
	"DEFAULT", "use_stderr",
	/* the coordination reads its options once, when it joins */
	"coordination", "backend_url",
	"coordination", "max_stale_seconds",
	"coordination", "stale_action",
	"polling", "partitioning_group_prefix",
	NULL,
};
/* clang-format on */

static void
pd_engine_note(PdEngine *self, const gchar *note)
{
	g_warning("reload: %s", note);
	g_ptr_array_add(self->reload_notes, g_strdup(note));
}

/* what the new config changes that only a restart applies */
static void
pd_engine_reconfigure_parts(PdEngine *self, PdConfig *config, GPtrArray *restart_keys)
{
	for (guint i = 0; pd_engine_restart_keys[i] != NULL; i += 2) {
		const gchar *group = pd_engine_restart_keys[i];
		const gchar *key = pd_engine_restart_keys[i + 1];
		if (g_strcmp0(pd_config_get_string(self->config, group, key, NULL),
			      pd_config_get_string(config, group, key, NULL)) != 0)
			g_ptr_array_add(restart_keys, g_strdup_printf("[%s] %s", group, key));
	}
	pd_sink_reconfigure(PD_SINK(self->sinks), config, restart_keys);
	/* one waiting to start reads the new config when it does */
	for (guint i = 0; i < self->plugins->len; i++) {
		PdPlugin *plugin = g_ptr_array_index(self->plugins, i);
		if (g_hash_table_contains(self->started_plugins, plugin))
			pd_plugin_reconfigure(plugin, self->config, config, restart_keys);
	}
}

static void
pd_engine_commit_reload(PdEngine *self, PdConfig *config, PdPollingConfig *polling)
{
	g_autoptr(GPtrArray) restart_keys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) tasks = NULL;
	g_autoptr(GError) start_error = NULL;

	g_ptr_array_set_size(self->reload_notes, 0);
	pd_engine_register_keys(self, config);
	pd_config_warn_unknown_once(config, self->warned_options);
	pd_engine_reconfigure_parts(self, config, restart_keys);
	for (guint i = 0; i < restart_keys->len; i++) {
		g_autofree gchar *note =
		  g_strdup_printf("%s changed: it takes effect when polld restarts",
				  (const gchar *)g_ptr_array_index(restart_keys, i));
		pd_engine_note(self, note);
	}
	pd_engine_apply_settings(self, config);
	pd_engine_apply_selection(self, config);
	g_set_object(&self->config, config);
	pd_settings_set_config(self->settings, config);
	pd_engine_load_wanted(self);
	pd_engine_reload_pollsters(self, config);
	pd_engine_load_discoveries(self, polling);
	/* a plugin the new selection needs starts now */
	if (!pd_engine_start_needed(self, polling, &start_error))
		pd_engine_note(self, start_error->message);
	tasks = pd_engine_build_tasks(self, polling, config);
	pd_engine_swap_tasks(self, tasks);
	for (guint i = 0; i < self->tasks->len; i++)
		pd_polling_task_set_config(g_ptr_array_index(self->tasks, i), config);
	if (self->tasks->len == 0) {
		g_autofree gchar *note = g_strdup_printf(
		  "%s: no source matches any loaded pollster, nothing to poll", polling->filename);
		pd_engine_note(self, note);
	}
}

/* a started plugin refuses what its start() would (a value out of range) */
static gboolean
pd_engine_check_plugins(PdEngine *self, PdConfig *config, GError **error)
{
	for (guint i = 0; i < self->plugins->len; i++) {
		PdPlugin *plugin = g_ptr_array_index(self->plugins, i);
		if (g_hash_table_contains(self->started_plugins, plugin) &&
		    !pd_plugin_check_config(plugin, config, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
pd_engine_reload(PdEngine *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(PdConfig) config = pd_settings_read(self->settings, &error_local);
	g_autoptr(PdPollingConfig) polling = NULL;

	if (config == NULL) {
		g_set_error_literal(error, PD_ERROR, PD_ERROR_INVALID_CONFIG, error_local->message);
		return FALSE;
	}
	if (!pd_engine_check_settings(config, &error_local) ||
	    !pd_engine_check_plugins(self, config, &error_local)) {
		g_set_error_literal(error, PD_ERROR, PD_ERROR_INVALID_CONFIG, error_local->message);
		return FALSE;
	}
	polling = pd_engine_load_polling(self, config, &error_local);
	if (polling == NULL) {
		g_set_error_literal(error, PD_ERROR, PD_ERROR_INVALID_CONFIG, error_local->message);
		return FALSE;
	}
	/* valid: from here on nothing fails */
	pd_engine_commit_reload(self, config, polling);
	g_clear_pointer(&self->polling, pd_polling_config_unref);
	self->polling = g_steal_pointer(&polling);
	self->generation++;
	g_log_structured(G_LOG_DOMAIN,
			 G_LOG_LEVEL_MESSAGE,
			 "MESSAGE_ID",
			 PD_LOG_MSGID_RELOAD,
			 "MESSAGE",
			 "configuration reloaded (generation %" G_GUINT64_FORMAT "): %u tasks",
			 self->generation,
			 self->tasks->len);
	g_signal_emit(self, signals[SIGNAL_RELOADED], 0, self->generation);
	return TRUE;
}

GPtrArray *
pd_engine_get_reload_notes(PdEngine *self)
{
	return self->reload_notes;
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

	if (!pd_sink_flush_finish(PD_SINK(source), res, &error)) {
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
	pd_sink_flush_async(
	  PD_SINK(self->sinks), g_task_get_cancellable(task), pd_engine_flush_cb, task);
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
		late += pd_polling_task_get_running_jobs(g_ptr_array_index(self->tasks, i));
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
						      (guint)stop_timeout,
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
	pd_sink_stop(PD_SINK(self->sinks));
	return ret;
}

/* --- accessors --- */

void
pd_engine_set_resource_filter(PdEngine *self, const PdResourceFilter *filter, gpointer user_data)
{
	self->filter = filter;
	self->filter_data = user_data;
	for (guint i = 0; self->tasks != NULL && i < self->tasks->len; i++)
		pd_polling_task_set_resource_filter(
		  g_ptr_array_index(self->tasks, i), filter, user_data);
}

PdPollingConfig *
pd_engine_get_polling_config(PdEngine *self)
{
	return self->polling;
}

PdPollsterStats *
pd_engine_get_pollster_stats(PdEngine *self, const gchar *name)
{
	return pd_pollster_stats_table_lookup(self->stats, name);
}

guint
pd_engine_get_blacklist_size(PdEngine *self, const gchar *pollster)
{
	return pd_blacklist_get_size(self->blacklist, pollster);
}

static GVariant *
pd_engine_get_sink_statistics(PdEngine *self)
{
	GPtrArray *sinks = pd_sink_list_get_sinks(self->sinks);
	g_auto(GVariantDict) dict;

	g_variant_dict_init(&dict, NULL);
	for (guint i = 0; i < sinks->len; i++) {
		PdSink *sink = g_ptr_array_index(sinks, i);
		g_variant_dict_insert_value(
		  &dict, pd_sink_get_name(sink), pd_sink_get_statistics(sink));
	}
	return g_variant_dict_end(&dict);
}

GVariant *
pd_engine_get_statistics(PdEngine *self)
{
	g_auto(GVariantDict) dict;
	PdSinkCounters all;
	PdSink *notifier = pd_sink_list_lookup(self->sinks, "notifier");

	pd_sink_get_counters(PD_SINK(self->sinks), &all);
	g_variant_dict_init(&dict, NULL);
	/* the notifier's own counters stay at the top level, as before sinks */
	if (notifier != NULL)
		pd_sink_add_statistics(notifier, &dict);
	g_variant_dict_insert(&dict, "cycles", "t", self->cycles);
	g_variant_dict_insert(&dict, "cycle_errors", "t", self->cycle_errors);
	g_variant_dict_insert(&dict, "samples_polled", "t", all.received);
	g_variant_dict_insert(
	  &dict, "resources_blacklisted", "t", pd_blacklist_get_added(self->blacklist));
	g_variant_dict_insert_value(&dict, "sinks", pd_engine_get_sink_statistics(self));
	return g_variant_dict_end(&dict);
}

guint
pd_engine_get_exit_errors(PdEngine *self)
{
	guint tried = self->plugins->len - g_hash_table_size(self->idle_plugins);

	return tried > 0 && self->failed_plugins == tried ? 1 : 0;
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

gchar **
pd_engine_get_namespaces(PdEngine *self)
{
	return self->namespaces;
}

gboolean
pd_engine_add_sink(PdEngine *self, PdSink *sink, GError **error)
{
	return pd_sink_list_add(self->sinks, sink, error);
}

GPtrArray *
pd_engine_get_sinks(PdEngine *self)
{
	return pd_sink_list_get_sinks(self->sinks);
}

PdSink *
pd_engine_lookup_sink(PdEngine *self, const gchar *name)
{
	return pd_sink_list_lookup(self->sinks, name);
}

void
pd_engine_set_paused(PdEngine *self, gboolean paused)
{
	self->paused = paused;
	for (guint i = 0; self->tasks != NULL && i < self->tasks->len; i++)
		pd_polling_task_set_paused(g_ptr_array_index(self->tasks, i), paused);
}

gboolean
pd_engine_is_plugin_idle(PdEngine *self, PdPlugin *plugin)
{
	return g_hash_table_contains(self->idle_plugins, plugin);
}

gboolean
pd_engine_get_started(PdEngine *self)
{
	return self->started;
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
pd_engine_finalize(GObject *obj)
{
	PdEngine *self = PD_ENGINE(obj);

	for (guint i = 0; i < self->retry_sources->len; i++)
		g_source_remove(g_array_index(self->retry_sources, guint, i));
	g_array_unref(self->retry_sources);
	g_hash_table_unref(self->disabled_plugins);
	g_hash_table_unref(self->warned_options);
	g_hash_table_unref(self->started_plugins);
	g_hash_table_unref(self->idle_plugins);
	if (self->tasks != NULL)
		g_ptr_array_unref(self->tasks);
	if (self->polling != NULL)
		pd_polling_config_unref(self->polling);
	g_hash_table_unref(self->pollsters);
	g_hash_table_unref(self->discoveries);
	g_object_unref(self->stats);
	g_object_unref(self->blacklist);
	g_ptr_array_unref(self->plugins);
	g_ptr_array_unref(self->held_modules);
	g_hash_table_unref(self->plugin_names);
	g_object_unref(self->sinks);
	g_object_unref(self->config);
	g_object_unref(self->settings);
	g_ptr_array_unref(self->all_pollsters);
	g_ptr_array_unref(self->reload_notes);
	g_strfreev(self->plugin_dirs);
	g_strfreev(self->namespaces);
	g_strfreev(self->pollster_list);
	g_free(self->host);
	G_OBJECT_CLASS(pd_engine_parent_class)->finalize(obj);
}

static void
pd_engine_init(PdEngine *self)
{
	self->plugins = g_ptr_array_new_with_free_func(g_object_unref);
	self->held_modules = g_ptr_array_new();
	self->plugin_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->all_pollsters = g_ptr_array_new_with_free_func(g_object_unref);
	self->reload_notes = g_ptr_array_new_with_free_func(g_free);
	self->pollsters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	self->discoveries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	self->stats = pd_pollster_stats_table_new();
	self->blacklist = pd_blacklist_new();
	self->sinks = pd_sink_list_new();
	self->retry_sources = g_array_new(FALSE, FALSE, sizeof(guint));
	self->disabled_plugins = g_hash_table_new(NULL, NULL);
	self->warned_options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->started_plugins = g_hash_table_new(NULL, NULL);
	self->idle_plugins = g_hash_table_new(NULL, NULL);
	self->generation = 1;
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
pd_engine_new(PdSettings *settings)
{
	PdEngine *self = g_object_new(PD_TYPE_ENGINE, NULL);
	self->settings = g_object_ref(settings);
	self->config = g_object_ref(pd_settings_get_config(settings));
	self->namespaces = pd_settings_dup_namespaces(settings, self->config);
	self->pollster_list = pd_settings_dup_pollster_list(settings, self->config);
	return self;
}
