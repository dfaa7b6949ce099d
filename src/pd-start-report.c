/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "Pd"

#include "config.h"

#include <string.h>

#include "pd-log.h"
#include "pd-option-table.h"
#include "pd-polling-task.h"
#include "pd-start-report.h"

static gchar *
pd_start_report_namespaces(PdEngine *engine)
{
	g_autoptr(GHashTable) counts = g_hash_table_new(g_str_hash, g_str_equal);
	gchar **namespaces = pd_engine_get_namespaces(engine);
	g_autoptr(GString) out = g_string_new(NULL);
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, pd_engine_get_pollsters(engine));
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		const gchar *ns = pd_pollster_get_namespace(value);
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, ns));
		g_hash_table_insert(counts, (gpointer)ns, GUINT_TO_POINTER(n + 1));
	}
	for (guint i = 0; namespaces != NULL && namespaces[i] != NULL; i++)
		g_string_append_printf(
		  out,
		  "%s%s %u",
		  i > 0 ? ", " : "",
		  namespaces[i],
		  GPOINTER_TO_UINT(g_hash_table_lookup(counts, namespaces[i])));
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gchar *
pd_start_report_plugins(PdEngine *engine)
{
	GPtrArray *plugins = pd_engine_get_plugins(engine);
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; i < plugins->len; i++) {
		PdPlugin *plugin = g_ptr_array_index(plugins, i);
		if (pd_engine_is_plugin_idle(engine, plugin))
			continue;
		g_string_append_printf(out,
				       "%s%s%s",
				       out->len > 0 ? ", " : "",
				       pd_plugin_get_name(plugin),
				       pd_engine_is_plugin_disabled(engine, plugin) ? " (disabled)"
										    : "");
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gchar *
pd_start_report_tasks(PdEngine *engine)
{
	GPtrArray *tasks = pd_engine_get_tasks(engine);
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; tasks != NULL && i < tasks->len; i++) {
		PdPollingTask *t = g_ptr_array_index(tasks, i);
		g_autoptr(GPtrArray) entries = pd_polling_task_get_entries(t);
		g_string_append_printf(out,
				       "%s%u s (%u pollsters)",
				       i > 0 ? ", " : "",
				       pd_polling_task_get_interval(t),
				       entries->len);
	}
	if (out->len == 0)
		g_string_append(out, "none");
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gchar *
pd_start_report_publisher(PdConfig *config, gboolean dry_run)
{
	const gchar *url =
	  pd_config_get_string(config, "oslo_messaging_notifications", "transport_url", NULL);

	if (url == NULL || url[0] == '\0')
		url = pd_config_get_string(config, NULL, "transport_url", NULL);
	if (dry_run || url == NULL || url[0] == '\0')
		return g_strdup("stdout");
	return pd_option_table_redact(NULL, "transport_url", url);
}

/* [DEFAULT] log_options: what cotyledon's oslo glue logs at start */
static void
pd_start_report_options(PdConfig *config)
{
	g_autoptr(GPtrArray) keys = pd_config_dup_keys(config);

	for (guint i = 0; i < keys->len; i += 2) {
		const gchar *group = g_ptr_array_index(keys, i);
		const gchar *key = g_ptr_array_index(keys, i + 1);
		g_autofree gchar *value =
		  pd_option_table_redact(group, key, pd_config_get_string(config, group, key, ""));
		g_debug("option [%s] %s = %s (%s)",
			group,
			key,
			value,
			pd_config_get_origin(config, group, key));
	}
}

static void
pd_start_report_check_driver(PdConfig *config)
{
	const gchar *driver =
	  pd_config_get_string(config, "publisher_notifier", "telemetry_driver", "messagingv2");

	if (g_strcmp0(driver, "messagingv2") != 0)
		g_warning("%s: `[publisher_notifier] telemetry_driver = %s` is not supported by "
			  "polld yet; publishing as messagingv2",
			  pd_config_get_origin(config, "publisher_notifier", "telemetry_driver"),
			  driver);
}

void
pd_start_report_log(PdEngine *engine, gboolean dry_run)
{
	PdConfig *config = pd_engine_get_config(engine);
	GPtrArray *files = pd_config_get_files(config);
	g_autofree gchar *files_str = NULL;
	g_autofree gchar *plugins = pd_start_report_plugins(engine);
	g_autofree gchar *namespaces = pd_start_report_namespaces(engine);
	g_autofree gchar *tasks = pd_start_report_tasks(engine);
	g_autofree gchar *target = pd_start_report_publisher(config, dry_run);

	g_ptr_array_add(files, NULL);
	files_str = files->len > 1 ? g_strjoinv(", ", (gchar **)files->pdata)
				   : g_strdup("(built-in defaults)");
	g_ptr_array_remove_index(files, files->len - 1);
	g_log_structured(G_LOG_DOMAIN,
			 G_LOG_LEVEL_MESSAGE,
			 "MESSAGE_ID",
			 PD_LOG_MSGID_START,
			 "MESSAGE",
			 "polld %s starting: config %s; plugins %s; pollsters selected: %s; "
			 "tasks %s; publishing to %s",
			 PACKAGE_VERSION,
			 files_str,
			 plugins[0] != '\0' ? plugins : "none",
			 namespaces,
			 tasks,
			 target);
	pd_start_report_check_driver(config);
	if (pd_config_get_bool(config, NULL, "log_options", TRUE))
		pd_start_report_options(config);
}
