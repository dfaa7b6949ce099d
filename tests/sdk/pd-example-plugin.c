/*
 * polld - an out-of-tree plugin: built by tests/test-sdk.sh with nothing but
 * the installed SDK (pkg-config polld-plugin-1), as a third party would
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-example"

#include <polld.h>

/* one discovery: [example] things resources "thing-0"... */
#define PD_TYPE_EXAMPLE_DISCOVERY (pd_example_discovery_get_type())
G_DECLARE_FINAL_TYPE(PdExampleDiscovery, pd_example_discovery, PD, EXAMPLE_DISCOVERY, PdDiscovery)

struct _PdExampleDiscovery {
	PdDiscovery parent_instance;
};

G_DEFINE_TYPE(PdExampleDiscovery, pd_example_discovery, PD_TYPE_DISCOVERY)

static GPtrArray *
pd_example_discovery_discover(PdDiscovery *discovery,
			      const gchar *param,
			      PdCycleCache *cache,
			      GCancellable *cancellable,
			      GError **error)
{
	PdConfig *config = pd_cycle_cache_get_config(cache);
	gint64 n = pd_config_get_int(config, "example", "things", 2);
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);

	for (gint64 i = 0; i < n; i++) {
		g_autofree gchar *id = g_strdup_printf("thing-%" G_GINT64_FORMAT, i);
		g_ptr_array_add(out, pd_resource_new(id, NULL, NULL));
	}
	return out;
}

static void
pd_example_discovery_init(PdExampleDiscovery *self)
{
}

static void
pd_example_discovery_class_init(PdExampleDiscoveryClass *klass)
{
	PD_DISCOVERY_CLASS(klass)->discover = pd_example_discovery_discover;
}

/* one pollster: example.answer, a gauge of [example] answer for every thing */
#define PD_TYPE_EXAMPLE_POLLSTER (pd_example_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdExamplePollster, pd_example_pollster, PD, EXAMPLE_POLLSTER, PdPollster)

struct _PdExamplePollster {
	PdPollster parent_instance;
};

G_DEFINE_TYPE(PdExamplePollster, pd_example_pollster, PD_TYPE_POLLSTER)

static gboolean
pd_example_pollster_poll(PdPollster *pollster,
			 PdPollContext *ctx,
			 GPtrArray *resources,
			 GCancellable *cancellable,
			 GError **error)
{
	PdConfig *config = pd_poll_context_get_config(ctx);
	gint64 answer = pd_config_get_int(config, "example", "answer", 0);
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) md = NULL;

	pd_metadata_builder_add_string(b, "built_with", "polld " PD_VERSION " SDK");
	md = pd_metadata_builder_end(b);
	for (guint i = 0; i < resources->len; i++) {
		PdResource *res = g_ptr_array_index(resources, i);
		PdSample *s = pd_pollster_add_sample(
		  pollster, ctx, pd_resource_get_id(res), "example-user", "example-project", md);
		pd_sample_set_int(s, answer);
	}
	return TRUE;
}

static void
pd_example_pollster_init(PdExamplePollster *self)
{
}

static void
pd_example_pollster_class_init(PdExamplePollsterClass *klass)
{
	PD_POLLSTER_CLASS(klass)->poll = pd_example_pollster_poll;
}

#define PD_TYPE_PLUGIN_EXAMPLE (pd_plugin_example_get_type())
G_DECLARE_FINAL_TYPE(PdPluginExample, pd_plugin_example, PD, PLUGIN_EXAMPLE, PdPlugin)

struct _PdPluginExample {
	PdPlugin parent_instance;
};

G_DEFINE_TYPE(PdPluginExample, pd_plugin_example, PD_TYPE_PLUGIN)

static void
pd_plugin_example_constructed(GObject *obj)
{
	PdPlugin *plugin = PD_PLUGIN(obj);
	g_autoptr(PdPollster) p = g_object_new(PD_TYPE_EXAMPLE_POLLSTER,
					       "name",
					       "example.answer",
					       "namespace",
					       "example",
					       "default-discovery",
					       "example_things",
					       "unit",
					       "answer",
					       "sample-type",
					       PD_SAMPLE_TYPE_GAUGE,
					       NULL);
	g_autoptr(PdDiscovery) d =
	  g_object_new(PD_TYPE_EXAMPLE_DISCOVERY, "name", "example_things", NULL);

	G_OBJECT_CLASS(pd_plugin_example_parent_class)->constructed(obj);
	pd_plugin_add_pollster(plugin, p);
	pd_plugin_add_discovery(plugin, d);
	pd_plugin_add_config_key(plugin, "example", "things");
	pd_plugin_add_config_key(plugin, "example", "answer");
}

static void
pd_plugin_example_init(PdPluginExample *self)
{
}

static void
pd_plugin_example_class_init(PdPluginExampleClass *klass)
{
	G_OBJECT_CLASS(klass)->constructed = pd_plugin_example_constructed;
}

PD_PLUGIN_DEFINE("example", pd_plugin_example_get_type)
