/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdDbusService"

#include "config.h"

#include <unistd.h>

#include "pd-agent1-generated.h"
#include "pd-coordination.h"
#include "pd-dbus-auth.h"
#include "pd-dbus-error.h"
#include "pd-dbus-service.h"
#include "pd-error.h"
#include "pd-option-table.h"
#include "pd-polling-task.h"

struct _PdDbusService {
	GObject parent_instance;
	PdEngine *engine;
	PdAgent1 *skeleton;
	PdCoordination *coordination; /* NULL: not configured */
	GDBusConnection *connection;
	const PdLogControlBackend *log_backend;
	PdLogControl *log_control;
	GTask *own_task; /* pending pd_dbus_service_own_async() */
	guint owner_id;
	gboolean running;
	gboolean stopping;
	gint64 start_time;
};

G_DEFINE_TYPE(PdDbusService, pd_dbus_service, G_TYPE_OBJECT)

enum { SIGNAL_NAME_LOST, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = { 0 };

/* --- properties --- */

static void
pd_dbus_service_update_state(PdDbusService *self)
{
	pd_agent1_set_state(self->skeleton, pd_dbus_service_get_state(self));
}

static void
pd_dbus_service_update_config(PdDbusService *self)
{
	GPtrArray *files = pd_engine_get_config_files(self->engine);
	GPtrArray *unsupported = pd_config_get_unsupported(pd_engine_get_config(self->engine));
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	g_auto(GStrv) strv = NULL;

	for (guint i = 0; files != NULL && i < files->len; i++) {
		g_autofree gchar *path = g_canonicalize_filename(g_ptr_array_index(files, i), NULL);
		g_strv_builder_add(b, path);
	}
	strv = g_strv_builder_end(b);
	pd_agent1_set_config_files(self->skeleton, (const gchar *const *)strv);
	pd_agent1_set_config_generation(self->skeleton,
					pd_engine_get_config_generation(self->engine));
	pd_agent1_set_host(self->skeleton, pd_engine_get_host(self->engine));
	g_ptr_array_add(unsupported, NULL);
	pd_agent1_set_unsupported_options(self->skeleton, (const gchar *const *)unsupported->pdata);
	g_ptr_array_remove_index(unsupported, unsupported->len - 1);
}

static void
pd_dbus_service_update_publisher(PdDbusService *self)
{
	PdSink *notifier = pd_engine_lookup_sink(self->engine, "notifier");
	const gchar *state = notifier != NULL ? pd_sink_get_state(notifier) : NULL;
	const gchar *last_error = notifier != NULL ? pd_sink_get_last_error(notifier) : NULL;

	pd_agent1_set_publisher_state(self->skeleton, state != NULL ? state : "disconnected");
	pd_agent1_set_publisher_error(self->skeleton, last_error != NULL ? last_error : "");
}

static void
pd_dbus_service_publisher_notify_cb(GObject *publisher, GParamSpec *pspec, gpointer user_data)
{
	pd_dbus_service_update_publisher(PD_DBUS_SERVICE(user_data));
}

static void
pd_dbus_service_reloaded_cb(PdEngine *engine, guint64 generation, gpointer user_data)
{
	PdDbusService *self = PD_DBUS_SERVICE(user_data);
	gchar **namespaces = pd_engine_get_namespaces(self->engine);
	const gchar *const none[] = { NULL };

	const gchar *const *now = namespaces != NULL ? (const gchar *const *)namespaces : none;
	const gchar *const *was = pd_agent1_get_namespaces(self->skeleton);

	/* one PropertiesChanged for what changed only */
	if (was == NULL || !g_strv_equal(was, now))
		pd_agent1_set_namespaces(self->skeleton, now);
	pd_dbus_service_update_config(self);
}

static void
pd_dbus_service_cycle_finished_cb(PdEngine *engine,
				  const gchar *task,
				  guint64 duration_us,
				  guint samples,
				  guint errors,
				  gpointer user_data)
{
	PdDbusService *self = PD_DBUS_SERVICE(user_data);
	GPtrArray *tasks = pd_engine_get_tasks(self->engine);
	guint skipped = 0;

	for (guint i = 0; tasks != NULL && i < tasks->len; i++) {
		PdPollingTask *t = g_ptr_array_index(tasks, i);
		if (g_strcmp0(pd_polling_task_get_name(t), task) == 0)
			skipped = pd_polling_task_get_last_skipped(t);
	}
	pd_agent1_emit_cycle_finished(self->skeleton, task, duration_us, samples, errors, skipped);
}

static void
pd_dbus_service_update_coordination(PdDbusService *self)
{
	pd_agent1_set_coordination(
	  self->skeleton,
	  self->coordination != NULL
	    ? pd_coordination_state_to_string(pd_coordination_get_state(self->coordination))
	    : "disabled");
}

static void
pd_dbus_service_coordination_notify_cb(GObject *obj, GParamSpec *pspec, gpointer user_data)
{
	pd_dbus_service_update_coordination(PD_DBUS_SERVICE(user_data));
}

static gboolean
pd_dbus_service_handle_get_partitions_cb(PdAgent1 *skeleton,
					 GDBusMethodInvocation *invocation,
					 gpointer user_data)
{
	PdDbusService *self = PD_DBUS_SERVICE(user_data);
	GVariant *partitions = NULL;

	if (self->coordination != NULL) {
		partitions = pd_coordination_get_partitions(self->coordination);
	} else {
		GVariantDict dict;
		g_variant_dict_init(&dict, NULL);
		g_variant_dict_insert(&dict, "state", "s", "disabled");
		partitions = g_variant_dict_end(&dict);
	}
	pd_agent1_complete_get_partitions(skeleton, invocation, partitions);
	return TRUE;
}

void
pd_dbus_service_set_coordination(PdDbusService *self, PdCoordination *coordination)
{
	g_set_object(&self->coordination, coordination);
	if (coordination != NULL)
		g_signal_connect_object(coordination,
					"notify::state",
					G_CALLBACK(pd_dbus_service_coordination_notify_cb),
					self,
					0);
	pd_dbus_service_update_coordination(self);
}

static void
pd_dbus_service_init_properties(PdDbusService *self)
{
	gchar **namespaces = pd_engine_get_namespaces(self->engine);
	const gchar *const none[] = { NULL };

	pd_agent1_set_version(self->skeleton, PACKAGE_VERSION);
	pd_agent1_set_start_time(self->skeleton, (guint64)self->start_time);
	pd_agent1_set_namespaces(self->skeleton,
				 namespaces != NULL ? (const gchar *const *)namespaces : none);
	pd_dbus_service_update_state(self);
	pd_dbus_service_update_config(self);
	pd_dbus_service_update_publisher(self);
	pd_dbus_service_update_coordination(self);
}

/* --- authorization --- */

typedef void (*PdDbusServiceActionFunc)(PdDbusService *self, GDBusMethodInvocation *invocation);

typedef struct {
	PdDbusService *self;
	PdDbusServiceActionFunc func;
} PdAuthData;

static void
pd_auth_data_free(gpointer p)
{
	PdAuthData *data = p;

	g_object_unref(data->self);
	g_free(data);
}

static void
pd_dbus_service_authorized(GDBusMethodInvocation *invocation, gpointer user_data)
{
	PdAuthData *data = user_data;

	if (data->self->stopping) {
		g_dbus_method_invocation_return_error(
		  invocation,
		  PD_DBUS_ERROR,
		  PD_DBUS_ERROR_NOT_RUNNING,
		  "%s: polld is stopping",
		  g_dbus_method_invocation_get_method_name(invocation));
		return;
	}
	data->func(data->self, invocation);
}

/* runs @func if the caller may control the daemon (pd-dbus-auth.c) */
static void
pd_dbus_service_authorize(PdDbusService *self,
			  GDBusMethodInvocation *invocation,
			  PdDbusServiceActionFunc func)
{
	PdAuthData *data = g_new0(PdAuthData, 1);

	data->self = g_object_ref(self);
	data->func = func;
	pd_dbus_auth_run(invocation, pd_dbus_service_authorized, data, pd_auth_data_free);
}

static void
pd_dbus_service_return_error(GDBusMethodInvocation *invocation, const GError *error)
{
	g_autoptr(GError) dbus_error = pd_dbus_error_from_error(error);
	g_dbus_method_invocation_return_gerror(invocation, dbus_error);
}

/* --- reads --- */

static void
pd_dbus_service_add_sources(PdDbusService *self, const gchar *pollster, GVariantDict *dict)
{
	GPtrArray *tasks = pd_engine_get_tasks(self->engine);
	g_autoptr(GStrvBuilder) sources = g_strv_builder_new();
	g_auto(GStrv) strv = NULL;
	guint interval = 0;

	for (guint i = 0; tasks != NULL && i < tasks->len; i++) {
		PdPollingTask *task = g_ptr_array_index(tasks, i);
		g_autoptr(GPtrArray) entries = pd_polling_task_get_entries(task);
		for (guint j = 0; j < entries->len; j++) {
			const gchar *entry = g_ptr_array_index(entries, j);
			const gchar *slash = strrchr(entry, '/');
			if (slash == NULL || g_strcmp0(slash + 1, pollster) != 0)
				continue;
			g_autofree gchar *source = g_strndup(entry, slash - entry);
			g_strv_builder_add(sources, source);
			if (interval == 0 || pd_polling_task_get_interval(task) < interval)
				interval = pd_polling_task_get_interval(task);
		}
	}
	strv = g_strv_builder_end(sources);
	g_variant_dict_insert(dict, "sources", "^as", strv);
	g_variant_dict_insert(dict, "interval", "u", interval);
}

static const gchar *
pd_dbus_service_pollster_state(PdDbusService *self,
			       PdPlugin *plugin,
			       guint interval,
			       const gchar *status)
{
	if (interval == 0 || (plugin != NULL && pd_engine_is_plugin_disabled(self->engine, plugin)))
		return "disabled";
	/* a status on a plugin that isn't disabled: it waits for its service */
	if (status != NULL)
		return "backing-off";
	return "enabled";
}

static GVariant *
pd_dbus_service_pollster_to_variant(PdDbusService *self, PdPollster *pollster)
{
	const gchar *name = pd_pollster_get_name(pollster);
	PdPlugin *plugin = pd_pollster_get_plugin(pollster);
	PdPollsterStats *stats = pd_engine_get_pollster_stats(self->engine, name);
	g_autofree gchar *status = plugin != NULL ? pd_plugin_dup_status(plugin) : NULL;
	g_auto(GVariantDict) dict;
	guint interval = 0;

	g_variant_dict_init(&dict, NULL);
	g_variant_dict_insert(&dict, "name", "s", name);
	g_variant_dict_insert(
	  &dict, "plugin", "s", plugin != NULL ? pd_plugin_get_name(plugin) : "");
	g_variant_dict_insert(&dict, "namespace", "s", pd_pollster_get_namespace(pollster));
	g_variant_dict_insert(
	  &dict,
	  "unit",
	  "s",
	  pd_pollster_get_unit_for(pollster, pd_engine_get_config(self->engine)));
	pd_dbus_service_add_sources(self, name, &dict);
	g_variant_dict_lookup(&dict, "interval", "u", &interval);
	g_variant_dict_insert(
	  &dict, "state", "s", pd_dbus_service_pollster_state(self, plugin, interval, status));
	g_variant_dict_insert(&dict, "plugin_status", "s", status != NULL ? status : "");
	g_variant_dict_insert(&dict, "last_run", "x", stats->last_run);
	g_variant_dict_insert(&dict, "last_duration_us", "x", stats->last_duration_us);
	g_variant_dict_insert(&dict, "last_samples", "u", stats->last_samples);
	g_variant_dict_insert(
	  &dict, "last_error", "s", stats->last_error != NULL ? stats->last_error : "");
	g_variant_dict_insert(&dict, "runs", "t", stats->runs);
	g_variant_dict_insert(&dict, "errors", "t", stats->errors);
	g_variant_dict_insert(&dict, "samples", "t", stats->samples);
	g_variant_dict_insert(&dict, "busy", "b", stats->late_jobs > 0);
	g_variant_dict_insert(&dict, "skipped", "t", stats->skipped);
	g_variant_dict_insert(
	  &dict, "blacklisted", "u", pd_engine_get_blacklist_size(self->engine, name));
	return g_variant_dict_end(&dict);
}

static gboolean
pd_dbus_service_handle_get_pollsters_cb(PdAgent1 *skeleton,
					GDBusMethodInvocation *invocation,
					gpointer user_data)
{
	PdDbusService *self = PD_DBUS_SERVICE(user_data);
	GHashTable *pollsters = pd_engine_get_pollsters(self->engine);
	g_autoptr(GList) names =
	  g_list_sort(g_hash_table_get_keys(pollsters), (GCompareFunc)g_strcmp0);
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("aa{sv}"));
	for (GList *l = names; l != NULL; l = l->next) {
		PdPollster *pollster = g_hash_table_lookup(pollsters, l->data);
		g_variant_builder_add_value(&b,
					    pd_dbus_service_pollster_to_variant(self, pollster));
	}
	pd_agent1_complete_get_pollsters(skeleton, invocation, g_variant_builder_end(&b));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static GVariant *
pd_dbus_service_task_to_variant(PdPollingTask *task)
{
	g_autoptr(GPtrArray) entries = pd_polling_task_get_entries(task);
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	g_auto(GStrv) strv = NULL;
	g_auto(GVariantDict) dict;

	for (guint i = 0; i < entries->len; i++)
		g_strv_builder_add(b, g_ptr_array_index(entries, i));
	strv = g_strv_builder_end(b);
	g_variant_dict_init(&dict, NULL);
	g_variant_dict_insert(&dict, "name", "s", pd_polling_task_get_name(task));
	g_variant_dict_insert(&dict, "interval", "u", pd_polling_task_get_interval(task));
	g_variant_dict_insert(&dict, "pollsters", "^as", strv);
	g_variant_dict_insert(&dict, "running", "b", pd_polling_task_is_running(task));
	g_variant_dict_insert(&dict, "next_run", "x", pd_polling_task_get_next_run(task));
	g_variant_dict_insert(
	  &dict, "last_duration_us", "x", pd_polling_task_get_last_duration(task));
	g_variant_dict_insert(&dict, "overruns", "t", pd_polling_task_get_overruns(task));
	g_variant_dict_insert(&dict, "cycles", "t", pd_polling_task_get_cycles(task));
	return g_variant_dict_end(&dict);
}

static gboolean
pd_dbus_service_handle_get_tasks_cb(PdAgent1 *skeleton,
				    GDBusMethodInvocation *invocation,
				    gpointer user_data)
{
	PdDbusService *self = PD_DBUS_SERVICE(user_data);
	GPtrArray *tasks = pd_engine_get_tasks(self->engine);
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("aa{sv}"));
	for (guint i = 0; tasks != NULL && i < tasks->len; i++)
		g_variant_builder_add_value(
		  &b, pd_dbus_service_task_to_variant(g_ptr_array_index(tasks, i)));
	pd_agent1_complete_get_tasks(skeleton, invocation, g_variant_builder_end(&b));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
pd_dbus_service_handle_get_statistics_cb(PdAgent1 *skeleton,
					 GDBusMethodInvocation *invocation,
					 gpointer user_data)
{
	PdDbusService *self = PD_DBUS_SERVICE(user_data);
	g_autoptr(GVariant) stats = g_variant_ref_sink(pd_engine_get_statistics(self->engine));
	g_auto(GVariantDict) dict;

	g_variant_dict_init(&dict, stats);
	g_variant_dict_insert(
	  &dict, "uptime_us", "t", (guint64)(g_get_real_time() - self->start_time));
	pd_agent1_complete_get_statistics(skeleton, invocation, g_variant_dict_end(&dict));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --- control --- */

/* what one PollNow call did: the last cycle of each task before the call
 * completes is the one it asked for */
typedef struct {
	GDBusMethodInvocation *invocation;
	PdEngine *engine;
	GHashTable *cycles; /* task name -> guint64[2] samples, errors */
	gulong handler;
	gint64 start_us;
	guint64 published_before;
} PdPollNowCall;

static guint64
pd_dbus_service_published(PdEngine *engine)
{
	g_autoptr(GVariant) stats = g_variant_ref_sink(pd_engine_get_statistics(engine));
	guint64 n = 0;
	g_variant_lookup(stats, "samples_delivered", "t", &n);
	return n;
}

static void
pd_poll_now_call_cycle_cb(PdEngine *engine,
			  const gchar *task,
			  guint64 duration_us,
			  guint samples,
			  guint errors,
			  gpointer user_data)
{
	PdPollNowCall *call = user_data;
	guint64 *counts = g_new0(guint64, 2);
	counts[0] = samples;
	counts[1] = errors;
	g_hash_table_replace(call->cycles, g_strdup(task), counts);
}

static GVariant *
pd_poll_now_call_summary(PdPollNowCall *call)
{
	g_auto(GVariantDict) dict;
	GHashTableIter iter;
	gpointer value;
	guint64 samples = 0, errors = 0;

	g_hash_table_iter_init(&iter, call->cycles);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		samples += ((guint64 *)value)[0];
		errors += ((guint64 *)value)[1];
	}
	g_variant_dict_init(&dict, NULL);
	g_variant_dict_insert(&dict, "tasks", "u", g_hash_table_size(call->cycles));
	g_variant_dict_insert(&dict, "samples", "t", samples);
	g_variant_dict_insert(&dict, "errors", "t", errors);
	g_variant_dict_insert(&dict,
			      "published",
			      "t",
			      pd_dbus_service_published(call->engine) - call->published_before);
	g_variant_dict_insert(
	  &dict, "duration_us", "t", (guint64)(g_get_monotonic_time() - call->start_us));
	return g_variant_dict_end(&dict);
}

static void
pd_poll_now_call_free(PdPollNowCall *call)
{
	g_signal_handler_disconnect(call->engine, call->handler);
	g_hash_table_unref(call->cycles);
	g_object_unref(call->engine);
	g_object_unref(call->invocation);
	g_free(call);
}

static void
pd_dbus_service_polled_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdPollNowCall *call = user_data;
	g_autoptr(GError) error = NULL;

	if (!pd_engine_poll_now_finish(PD_ENGINE(source), res, &error))
		pd_dbus_service_return_error(call->invocation, error);
	else
		g_dbus_method_invocation_return_value(
		  call->invocation, g_variant_new("(@a{sv})", pd_poll_now_call_summary(call)));
	pd_poll_now_call_free(call);
}

static void
pd_dbus_service_poll_now(PdDbusService *self, GDBusMethodInvocation *invocation)
{
	GVariant *params = g_dbus_method_invocation_get_parameters(invocation);
	g_autofree const gchar **names = NULL;
	PdPollNowCall *call = g_new0(PdPollNowCall, 1);

	call->invocation = g_object_ref(invocation);
	call->engine = g_object_ref(self->engine);
	call->cycles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	call->start_us = g_get_monotonic_time();
	call->published_before = pd_dbus_service_published(self->engine);
	call->handler = g_signal_connect(
	  self->engine, "cycle-finished", G_CALLBACK(pd_poll_now_call_cycle_cb), call);
	g_variant_get(params, "(^a&s)", &names);
	pd_engine_poll_now_async(self->engine, names, NULL, pd_dbus_service_polled_cb, call);
}

static gboolean
pd_dbus_service_handle_get_config_cb(PdAgent1 *skeleton,
				     GDBusMethodInvocation *invocation,
				     gpointer user_data)
{
	PdDbusService *self = PD_DBUS_SERVICE(user_data);
	pd_agent1_complete_get_config(
	  skeleton, invocation, pd_option_table_describe(pd_engine_get_config(self->engine)));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
pd_dbus_service_handle_poll_now_cb(PdAgent1 *skeleton,
				   GDBusMethodInvocation *invocation,
				   const gchar *const *names,
				   gpointer user_data)
{
	pd_dbus_service_authorize(PD_DBUS_SERVICE(user_data), invocation, pd_dbus_service_poll_now);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
pd_dbus_service_pause(PdDbusService *self, GDBusMethodInvocation *invocation)
{
	if (!pd_engine_get_paused(self->engine))
		g_message("paused: scheduled cycles are skipped until resumed");
	pd_engine_set_paused(self->engine, TRUE);
	pd_dbus_service_update_state(self);
	pd_agent1_complete_pause(self->skeleton, invocation);
}

static gboolean
pd_dbus_service_handle_pause_cb(PdAgent1 *skeleton,
				GDBusMethodInvocation *invocation,
				gpointer user_data)
{
	pd_dbus_service_authorize(PD_DBUS_SERVICE(user_data), invocation, pd_dbus_service_pause);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
pd_dbus_service_resume(PdDbusService *self, GDBusMethodInvocation *invocation)
{
	if (pd_engine_get_paused(self->engine))
		g_message("resumed");
	pd_engine_set_paused(self->engine, FALSE);
	pd_dbus_service_update_state(self);
	pd_agent1_complete_resume(self->skeleton, invocation);
}

static gboolean
pd_dbus_service_handle_resume_cb(PdAgent1 *skeleton,
				 GDBusMethodInvocation *invocation,
				 gpointer user_data)
{
	pd_dbus_service_authorize(PD_DBUS_SERVICE(user_data), invocation, pd_dbus_service_resume);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
pd_dbus_service_reload(PdDbusService *self, GDBusMethodInvocation *invocation)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *notes;

	if (!pd_engine_reload(self->engine, &error)) {
		g_warning("reload refused, the running configuration stays: %s", error->message);
		pd_dbus_service_return_error(invocation, error);
		return;
	}
	notes = pd_engine_get_reload_notes(self->engine);
	g_ptr_array_add(notes, NULL);
	pd_agent1_complete_reload(self->skeleton,
				  invocation,
				  pd_engine_get_config_generation(self->engine),
				  (const gchar *const *)notes->pdata);
	g_ptr_array_remove_index(notes, notes->len - 1);
}

static gboolean
pd_dbus_service_handle_reload_cb(PdAgent1 *skeleton,
				 GDBusMethodInvocation *invocation,
				 gpointer user_data)
{
	pd_dbus_service_authorize(PD_DBUS_SERVICE(user_data), invocation, pd_dbus_service_reload);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --- bus name --- */

static void
pd_dbus_service_bus_acquired_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	PdDbusService *self = PD_DBUS_SERVICE(user_data);
	g_autoptr(GError) error = NULL;

	g_set_object(&self->connection, connection);
	/* export before owning the name: the first caller finds the object */
	if (!g_dbus_interface_skeleton_export(
	      G_DBUS_INTERFACE_SKELETON(self->skeleton), connection, PD_DBUS_SERVICE_PATH, &error))
		g_warning("cannot export %s: %s", PD_DBUS_SERVICE_PATH, error->message);
	if (self->log_backend != NULL && self->log_control == NULL) {
		g_autoptr(GError) log_error = NULL;
		self->log_control = pd_log_control_new(connection, self->log_backend, &log_error);
		if (self->log_control == NULL)
			g_warning("cannot export LogControl1: %s", log_error->message);
	}
}

void
pd_dbus_service_set_log_backend(PdDbusService *self, const PdLogControlBackend *backend)
{
	self->log_backend = backend;
}

static void
pd_dbus_service_name_acquired_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	PdDbusService *self = PD_DBUS_SERVICE(user_data);
	g_autoptr(GTask) task = g_steal_pointer(&self->own_task);

	g_info("owning %s", name);
	if (task != NULL)
		g_task_return_boolean(task, TRUE);
}

static void
pd_dbus_service_name_lost_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	PdDbusService *self = PD_DBUS_SERVICE(user_data);
	g_autoptr(GTask) task = g_steal_pointer(&self->own_task);

	if (task == NULL) {
		g_warning("lost the bus name %s", name);
		g_signal_emit(self, signals[SIGNAL_NAME_LOST], 0);
		return;
	}
	if (connection == NULL) {
		g_task_return_new_error(
		  task, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot connect to the bus");
		return;
	}
	g_task_return_new_error(task,
				G_IO_ERROR,
				G_IO_ERROR_EXISTS,
				"cannot own %s: another polld runs or the bus policy forbids it",
				name);
}

void
pd_dbus_service_own_async(PdDbusService *self,
			  GBusType bus_type,
			  GAsyncReadyCallback callback,
			  gpointer user_data)
{
	g_return_if_fail(self->own_task == NULL && self->owner_id == 0);
	self->own_task = g_task_new(self, NULL, callback, user_data);
	self->owner_id = g_bus_own_name(bus_type,
					PD_DBUS_SERVICE_NAME,
					G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
					pd_dbus_service_bus_acquired_cb,
					pd_dbus_service_name_acquired_cb,
					pd_dbus_service_name_lost_cb,
					self,
					NULL);
}

gboolean
pd_dbus_service_own_finish(PdDbusService *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

/* --- state --- */

const gchar *
pd_dbus_service_get_state(PdDbusService *self)
{
	if (self->stopping)
		return "stopping";
	if (!self->running)
		return "starting";
	return pd_engine_get_paused(self->engine) ? "paused" : "running";
}

void
pd_dbus_service_set_running(PdDbusService *self)
{
	self->running = TRUE;
	pd_dbus_service_update_state(self);
}

void
pd_dbus_service_set_stopping(PdDbusService *self)
{
	self->stopping = TRUE;
	pd_dbus_service_update_state(self);
}

/* --- object --- */

static void
pd_dbus_service_connect_skeleton(PdDbusService *self)
{
	g_signal_connect_object(self->skeleton,
				"handle-get-pollsters",
				G_CALLBACK(pd_dbus_service_handle_get_pollsters_cb),
				self,
				0);
	g_signal_connect_object(self->skeleton,
				"handle-get-tasks",
				G_CALLBACK(pd_dbus_service_handle_get_tasks_cb),
				self,
				0);
	g_signal_connect_object(self->skeleton,
				"handle-get-statistics",
				G_CALLBACK(pd_dbus_service_handle_get_statistics_cb),
				self,
				0);
	g_signal_connect_object(self->skeleton,
				"handle-get-config",
				G_CALLBACK(pd_dbus_service_handle_get_config_cb),
				self,
				0);
	g_signal_connect_object(self->skeleton,
				"handle-poll-now",
				G_CALLBACK(pd_dbus_service_handle_poll_now_cb),
				self,
				0);
	g_signal_connect_object(
	  self->skeleton, "handle-pause", G_CALLBACK(pd_dbus_service_handle_pause_cb), self, 0);
	g_signal_connect_object(
	  self->skeleton, "handle-resume", G_CALLBACK(pd_dbus_service_handle_resume_cb), self, 0);
	g_signal_connect_object(
	  self->skeleton, "handle-reload", G_CALLBACK(pd_dbus_service_handle_reload_cb), self, 0);
	g_signal_connect_object(self->skeleton,
				"handle-get-partitions",
				G_CALLBACK(pd_dbus_service_handle_get_partitions_cb),
				self,
				0);
}

static void
pd_dbus_service_connect_engine(PdDbusService *self)
{
	PdSink *notifier = pd_engine_lookup_sink(self->engine, "notifier");

	g_signal_connect_object(
	  self->engine, "cycle-finished", G_CALLBACK(pd_dbus_service_cycle_finished_cb), self, 0);
	g_signal_connect_object(
	  self->engine, "reloaded", G_CALLBACK(pd_dbus_service_reloaded_cb), self, 0);
	if (notifier != NULL)
		g_signal_connect_object(notifier,
					"notify::state",
					G_CALLBACK(pd_dbus_service_publisher_notify_cb),
					self,
					0);
}

static void
pd_dbus_service_dispose(GObject *obj)
{
	PdDbusService *self = PD_DBUS_SERVICE(obj);

	if (self->owner_id != 0) {
		g_bus_unown_name(self->owner_id);
		self->owner_id = 0;
	}
	/* the pending task holds a reference on us: break the cycle */
	if (self->own_task != NULL) {
		g_autoptr(GTask) task = g_steal_pointer(&self->own_task);
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "shutting down");
	}
	if (self->skeleton != NULL && g_dbus_interface_skeleton_get_connection(
					G_DBUS_INTERFACE_SKELETON(self->skeleton)) != NULL)
		g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(self->skeleton));
	g_clear_object(&self->skeleton);
	g_clear_pointer(&self->log_control, pd_log_control_free);
	g_clear_object(&self->connection);
	g_clear_object(&self->engine);
	g_clear_object(&self->coordination);
	G_OBJECT_CLASS(pd_dbus_service_parent_class)->dispose(obj);
}

static void
pd_dbus_service_init(PdDbusService *self)
{
	self->start_time = g_get_real_time();
	self->skeleton = pd_agent1_skeleton_new();
}

static void
pd_dbus_service_class_init(PdDbusServiceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = pd_dbus_service_dispose;
	signals[SIGNAL_NAME_LOST] = g_signal_new("name-lost",
						 G_TYPE_FROM_CLASS(klass),
						 G_SIGNAL_RUN_LAST,
						 0,
						 NULL,
						 NULL,
						 NULL,
						 G_TYPE_NONE,
						 0);
	/* register the error domain before the first reply */
	(void)PD_DBUS_ERROR;
}

PdDbusService *
pd_dbus_service_new(PdEngine *engine)
{
	PdDbusService *self = g_object_new(PD_TYPE_DBUS_SERVICE, NULL);

	self->engine = g_object_ref(engine);
	pd_dbus_service_connect_skeleton(self);
	pd_dbus_service_connect_engine(self);
	pd_dbus_service_init_properties(self);
	return self;
}
