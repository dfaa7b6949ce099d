/*
 * polld dynamic pollsters plugin: reads the definitions at start and on
 * every reload, registers one pollster per definition and namespace, and
 * the "barbican" discovery that non-OpenStack definitions name by default
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <gmodule.h>

#include "pd-dyn-pollster.h"
#include "pd-plugin-dynamic.h"

#define PD_DYN_DEFAULT_DIR "/etc/ceilometer/pollsters.d"

struct _PdPluginDynamic {
	PdPlugin parent_instance;
	PdDynFetcher *fetcher;
};

G_DEFINE_TYPE(PdPluginDynamic, pd_plugin_dynamic, PD_TYPE_PLUGIN)

/* --- barbican:<secret>: one resource, the credentials live in the definition --- */

#define PD_TYPE_DYN_DISCOVERY (pd_dyn_discovery_get_type())
G_DECLARE_FINAL_TYPE(PdDynDiscovery, pd_dyn_discovery, PD, DYN_DISCOVERY, PdDiscovery)

struct _PdDynDiscovery {
	PdDiscovery parent_instance;
};

G_DEFINE_TYPE(PdDynDiscovery, pd_dyn_discovery, PD_TYPE_DISCOVERY)

static void
pd_dyn_discovery_discover_async(PdDiscovery *discovery,
				const gchar *param,
				PdCycleCache *cache,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(discovery, cancellable, callback, user_data);
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);

	if (param != NULL && param[0] != '\0') {
		g_ptr_array_unref(out);
		g_task_return_new_error(task,
					PD_ERROR,
					PD_ERROR_NOT_SUPPORTED,
					"barbican:%s: Barbican secrets are not supported; put the "
					"credentials in authentication_parameters",
					param);
		return;
	}
	g_ptr_array_add(out, pd_resource_new("", NULL, NULL));
	g_task_return_pointer(task, out, (GDestroyNotify)g_ptr_array_unref);
}

static GPtrArray *
pd_dyn_discovery_discover_finish(PdDiscovery *discovery, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

static void
pd_dyn_discovery_init(PdDynDiscovery *self)
{
}

static void
pd_dyn_discovery_class_init(PdDynDiscoveryClass *klass)
{
	PD_DISCOVERY_CLASS(klass)->discover_async = pd_dyn_discovery_discover_async;
	PD_DISCOVERY_CLASS(klass)->discover_finish = pd_dyn_discovery_discover_finish;
}

/* --- the plugin --- */

static gchar **
pd_plugin_dynamic_dirs(PdConfig *config)
{
	/* [polling] only: Ceilometer registers the [DEFAULT] one but never reads it */
	return pd_config_get_list(
	  config, "polling", "pollsters_definitions_dirs", PD_DYN_DEFAULT_DIR);
}

static void
pd_plugin_dynamic_wire(PdPluginDynamic *self)
{
	GPtrArray *pollsters = pd_plugin_get_pollsters(PD_PLUGIN(self));

	for (guint i = 0; i < pollsters->len; i++)
		pd_dyn_pollster_set_fetcher(g_ptr_array_index(pollsters, i), self->fetcher);
}

/* the current pollsters by namespace and definition text */
static GHashTable *
pd_plugin_dynamic_index(PdPlugin *plugin)
{
	GHashTable *index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	GPtrArray *pollsters = pd_plugin_get_pollsters(plugin);

	for (guint i = 0; i < pollsters->len; i++) {
		PdPollster *p = g_ptr_array_index(pollsters, i);
		PdDynDef *d = pd_dyn_pollster_get_def(PD_DYN_POLLSTER(p));
		g_hash_table_insert(
		  index,
		  g_strdup_printf("%s\n%s", pd_pollster_get_namespace(p), d->source),
		  g_object_ref(p));
	}
	return index;
}

static gboolean
pd_plugin_dynamic_load_pollsters(PdPlugin *plugin, PdConfig *config)
{
	PdPluginDynamic *self = PD_PLUGIN_DYNAMIC(plugin);
	g_auto(GStrv) dirs = pd_plugin_dynamic_dirs(config);
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
	g_autoptr(GPtrArray) defs = pd_dyn_def_load_dirs(dirs, errors);
	g_autoptr(GHashTable) old = NULL;
	gboolean changed = FALSE;
	guint n = 0;

	for (guint i = 0; i < errors->len; i++)
		g_warning("%s; this definition is skipped",
			  ((GError *)g_ptr_array_index(errors, i))->message);
	old = pd_plugin_dynamic_index(plugin);
	pd_plugin_clear_pollsters(plugin);
	for (guint i = 0; i < defs->len; i++) {
		PdDynDef *d = g_ptr_array_index(defs, i);
		for (guint j = 0; d->namespaces[j] != NULL; j++) {
			g_autofree gchar *key =
			  g_strdup_printf("%s\n%s", d->namespaces[j], d->source);
			PdPollster *same = g_hash_table_lookup(old, key);
			g_autoptr(PdPollster) p = same != NULL
						    ? g_object_ref(same)
						    : pd_dyn_pollster_new(d, d->namespaces[j]);
			changed |= same == NULL;
			n++;
			/* an unchanged definition keeps its pollster, its state and schedule */
			pd_plugin_add_pollster(plugin, p);
		}
	}
	g_info("%u dynamic pollster definitions loaded from %u directories, %u refused",
	       defs->len,
	       g_strv_length(dirs),
	       errors->len);
	pd_plugin_dynamic_wire(self);
	return changed || n != g_hash_table_size(old);
}

static gboolean
pd_plugin_dynamic_start(PdPlugin *plugin, PdConfig *config, GError **error)
{
	PdPluginDynamic *self = PD_PLUGIN_DYNAMIC(plugin);
	g_autoptr(PdOsClient) client = NULL;
	const gchar *auth_url =
	  pd_config_get_string(config, "service_credentials", "auth_url", NULL);

	/* without Keystone, host commands and other APIs still work */
	if (auth_url != NULL && auth_url[0] != '\0') {
		client = pd_os_client_new(config, error);
		if (client == NULL)
			return FALSE;
	}
	if (self->fetcher != NULL)
		pd_dyn_fetcher_shutdown(self->fetcher);
	g_clear_pointer(&self->fetcher, pd_dyn_fetcher_unref);
	self->fetcher = pd_dyn_fetcher_new(client, PD_DYN_FETCH_MAX_BYTES);
	pd_plugin_dynamic_wire(self);
	return TRUE;
}

static void
pd_plugin_dynamic_stop(PdPlugin *plugin)
{
	PdPluginDynamic *self = PD_PLUGIN_DYNAMIC(plugin);

	if (self->fetcher != NULL)
		pd_dyn_fetcher_shutdown(self->fetcher);
}

static void
pd_plugin_dynamic_constructed(GObject *obj)
{
	PdPlugin *plugin = PD_PLUGIN(obj);
	g_autoptr(PdDiscovery) d = g_object_new(PD_TYPE_DYN_DISCOVERY, "name", "barbican", NULL);

	G_OBJECT_CLASS(pd_plugin_dynamic_parent_class)->constructed(obj);
	pd_plugin_add_discovery(plugin, d);
	pd_plugin_add_config_key(plugin, "polling", "pollsters_definitions_dirs");
}

static void
pd_plugin_dynamic_finalize(GObject *obj)
{
	PdPluginDynamic *self = PD_PLUGIN_DYNAMIC(obj);

	if (self->fetcher != NULL)
		pd_dyn_fetcher_shutdown(self->fetcher);
	g_clear_pointer(&self->fetcher, pd_dyn_fetcher_unref);
	G_OBJECT_CLASS(pd_plugin_dynamic_parent_class)->finalize(obj);
}

static void
pd_plugin_dynamic_init(PdPluginDynamic *self)
{
}

static void
pd_plugin_dynamic_class_init(PdPluginDynamicClass *klass)
{
	G_OBJECT_CLASS(klass)->constructed = pd_plugin_dynamic_constructed;
	G_OBJECT_CLASS(klass)->finalize = pd_plugin_dynamic_finalize;
	PD_PLUGIN_CLASS(klass)->start = pd_plugin_dynamic_start;
	PD_PLUGIN_CLASS(klass)->stop = pd_plugin_dynamic_stop;
	PD_PLUGIN_CLASS(klass)->load_pollsters = pd_plugin_dynamic_load_pollsters;
}

/* the openstack module's second plugin */
PD_PLUGIN_DEFINE_MORE("dynamic", pd_plugin_dynamic_get_type)
