/*
 * polld - test plugin: a fake discovery and pollsters whose behaviour the
 * test suite steers through the [test] section of the config
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-test"

#include <gmodule.h>

#include "polld.h"

/*
 * [test] options (read at every poll, so a reload changes them):
 *   resources = N          resources discovered ("test-0" ... "test-N-1")
 *   samples = N            samples per resource per poll
 *   delay_ms = N           sleep before answering
 *   hang_file = PATH       block while PATH exists (tests release it by unlinking)
 *   entered_file = PATH    created when a poll starts (tests wait for it)
 *   fail = true            every poll fails
 *   permanent = ID,ID      these resources fail permanently
 *   not_ready = PATH       start() fails with NOT_READY while PATH exists
 *   finalized_file = PATH  created when the plugin is freed (read at start)
 * Sample volumes count up per pollster from 0 across the process lifetime,
 * so tests can check that no sample went missing.
 */

#define PD_TYPE_TEST_POLLSTER (pd_test_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdTestPollster, pd_test_pollster, PD, TEST_POLLSTER, PdPollster)

struct _PdTestPollster {
	PdPollster parent_instance;
	gint64 seq;
};

G_DEFINE_TYPE(PdTestPollster, pd_test_pollster, PD_TYPE_POLLSTER)

static void
pd_test_wait(PdConfig *config, GCancellable *cancellable)
{
	gint64 delay_ms = pd_config_get_int(config, "test", "delay_ms", 0);
	const gchar *hang_file = pd_config_get_string(config, "test", "hang_file", NULL);
	const gchar *entered_file = pd_config_get_string(config, "test", "entered_file", NULL);

	if (entered_file != NULL)
		g_file_set_contents(entered_file, "", 0, NULL);

	if (delay_ms > 0)
		g_usleep((gulong)delay_ms * 1000);
	/* polling a file in a worker thread is the hang being simulated */
	while (hang_file != NULL && g_file_test(hang_file, G_FILE_TEST_EXISTS) &&
	       !g_cancellable_is_cancelled(cancellable))
		g_usleep(10000);
}

static gboolean
pd_test_pollster_poll(PdPollster *pollster,
		      PdPollContext *ctx,
		      GPtrArray *resources,
		      GCancellable *cancellable,
		      GError **error)
{
	PdTestPollster *self = PD_TEST_POLLSTER(pollster);
	PdConfig *config = pd_poll_context_get_config(ctx);
	gint64 n = pd_config_get_int(config, "test", "samples", 1);
	g_auto(GStrv) permanent = pd_config_get_list(config, "test", "permanent", NULL);
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) md = NULL;

	pd_test_wait(config, cancellable);
	if (pd_config_get_bool(config, "test", "fail", FALSE)) {
		g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "told to fail");
		return FALSE;
	}
	pd_metadata_builder_add_string(b, "source", pd_poll_context_get_source_name(ctx));
	pd_metadata_builder_add_string(b, "pollster", pd_pollster_get_name(pollster));
	md = pd_metadata_builder_end(b);
	for (guint i = 0; i < resources->len; i++) {
		PdResource *res = g_ptr_array_index(resources, i);
		const gchar *id = pd_resource_get_id(res);
		if (g_strv_contains((const gchar *const *)permanent, id)) {
			pd_poll_context_add_permanent_failure(ctx, res, "told to fail permanently");
			continue;
		}
		for (gint64 j = 0; j < n; j++) {
			PdSample *s = pd_pollster_add_sample(
			  pollster, ctx, id, "test-user", "test-project", md);
			pd_sample_set_int(s, g_atomic_pointer_add((gssize *)&self->seq, 1));
		}
	}
	return TRUE;
}

static void
pd_test_pollster_init(PdTestPollster *self)
{
}

static void
pd_test_pollster_class_init(PdTestPollsterClass *klass)
{
	PD_POLLSTER_CLASS(klass)->poll = pd_test_pollster_poll;
}

#define PD_TYPE_TEST_DISCOVERY (pd_test_discovery_get_type())
G_DECLARE_FINAL_TYPE(PdTestDiscovery, pd_test_discovery, PD, TEST_DISCOVERY, PdDiscovery)

struct _PdTestDiscovery {
	PdDiscovery parent_instance;
};

G_DEFINE_TYPE(PdTestDiscovery, pd_test_discovery, PD_TYPE_DISCOVERY)

static GPtrArray *
pd_test_discovery_discover(PdDiscovery *discovery,
			   const gchar *param,
			   PdCycleCache *cache,
			   GCancellable *cancellable,
			   GError **error)
{
	PdConfig *config = pd_cycle_cache_get_config(cache);
	gint64 n = pd_config_get_int(config, "test", "resources", 1);
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);

	if (param != NULL)
		n = g_ascii_strtoll(param, NULL, 10);
	for (gint64 i = 0; i < n; i++) {
		g_autofree gchar *id = g_strdup_printf("test-%" G_GINT64_FORMAT, i);
		g_ptr_array_add(out, pd_resource_new(id, NULL, NULL));
	}
	return out;
}

static void
pd_test_discovery_init(PdTestDiscovery *self)
{
}

static void
pd_test_discovery_class_init(PdTestDiscoveryClass *klass)
{
	PD_DISCOVERY_CLASS(klass)->discover = pd_test_discovery_discover;
}

#define PD_TYPE_PLUGIN_TEST (pd_plugin_test_get_type())
G_DECLARE_FINAL_TYPE(PdPluginTest, pd_plugin_test, PD, PLUGIN_TEST, PdPlugin)

struct _PdPluginTest {
	PdPlugin parent_instance;
	PdTestDiscovery *discovery;
	gchar *finalized_file;
};

G_DEFINE_TYPE(PdPluginTest, pd_plugin_test, PD_TYPE_PLUGIN)

/* [test] delay_ms has a range, so the tests see a plugin's range checked */
static gboolean
pd_plugin_test_check_config(PdPlugin *plugin, PdConfig *config, GError **error)
{
	gint64 delay_ms;

	return pd_config_get_int_range(config, "test", "delay_ms", 0, 0, 3600000, &delay_ms, error);
}

static gboolean
pd_plugin_test_start(PdPlugin *plugin, PdConfig *config, GError **error)
{
	const gchar *not_ready = pd_config_get_string(config, "test", "not_ready", NULL);

	if (!pd_plugin_test_check_config(plugin, config, error))
		return FALSE;

	if (not_ready != NULL && g_file_test(not_ready, G_FILE_TEST_EXISTS)) {
		g_set_error(
		  error, PD_ERROR, PD_ERROR_NOT_READY, "waiting for %s to go away", not_ready);
		return FALSE;
	}
	g_free(PD_PLUGIN_TEST(plugin)->finalized_file);
	PD_PLUGIN_TEST(plugin)->finalized_file =
	  g_strdup(pd_config_get_string(config, "test", "finalized_file", NULL));
	return TRUE;
}

/* the [test] keys are read at every poll, but not_ready only at start */
static void
pd_plugin_test_reconfigure(PdPlugin *plugin,
			   PdConfig *old_config,
			   PdConfig *new_config,
			   GPtrArray *restart_keys)
{
	const gchar *const start_keys[] = { "test", "not_ready", NULL, NULL };
	pd_plugin_note_changed_keys(old_config, new_config, start_keys, restart_keys);
}

static void
pd_plugin_test_add(PdPlugin *plugin, const gchar *name, PdSampleType type, const gchar *unit)
{
	g_autoptr(PdPollster) p = g_object_new(PD_TYPE_TEST_POLLSTER,
					       "name",
					       name,
					       "namespace",
					       "test",
					       "default-discovery",
					       "test_resources",
					       "unit",
					       unit,
					       "sample-type",
					       type,
					       NULL);
	pd_plugin_add_pollster(plugin, p);
}

static void
pd_plugin_test_constructed(GObject *obj)
{
	PdPlugin *plugin = PD_PLUGIN(obj);
	PdPluginTest *self = PD_PLUGIN_TEST(obj);
	const gchar *keys[] = { "resources",	  "samples", "delay_ms",  "hang_file",
				"entered_file",	  "fail",    "permanent", "not_ready",
				"finalized_file", NULL };

	G_OBJECT_CLASS(pd_plugin_test_parent_class)->constructed(obj);
	pd_plugin_test_add(plugin, "test.gauge", PD_SAMPLE_TYPE_GAUGE, "thing");
	pd_plugin_test_add(plugin, "test.cumulative", PD_SAMPLE_TYPE_CUMULATIVE, "B");
	pd_plugin_test_add(plugin, "test.delta", PD_SAMPLE_TYPE_DELTA, "B");
	self->discovery = g_object_new(PD_TYPE_TEST_DISCOVERY, "name", "test_resources", NULL);
	pd_plugin_add_discovery(plugin, PD_DISCOVERY(self->discovery));
	for (guint i = 0; keys[i] != NULL; i++)
		pd_plugin_add_config_key(plugin, "test", keys[i]);
}

static void
pd_plugin_test_finalize(GObject *obj)
{
	PdPluginTest *self = PD_PLUGIN_TEST(obj);

	if (self->finalized_file != NULL)
		g_file_set_contents(self->finalized_file, "", 0, NULL);
	g_free(self->finalized_file);
	g_clear_object(&self->discovery);
	G_OBJECT_CLASS(pd_plugin_test_parent_class)->finalize(obj);
}

static void
pd_plugin_test_init(PdPluginTest *self)
{
}

static void
pd_plugin_test_class_init(PdPluginTestClass *klass)
{
	G_OBJECT_CLASS(klass)->constructed = pd_plugin_test_constructed;
	G_OBJECT_CLASS(klass)->finalize = pd_plugin_test_finalize;
	PD_PLUGIN_CLASS(klass)->start = pd_plugin_test_start;
	PD_PLUGIN_CLASS(klass)->reconfigure = pd_plugin_test_reconfigure;
	PD_PLUGIN_CLASS(klass)->check_config = pd_plugin_test_check_config;
}

PD_PLUGIN_DEFINE("test", pd_plugin_test_get_type)
