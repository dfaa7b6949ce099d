/*
 * compute-libvirt on reload: the plugin module as polld loads it, started
 * on one libvirt test-driver file, then reconfigured for another file, host
 * and keepalive without a restart; only the number of connections waits for
 * one, and a bad value keeps the old settings. The Ceilometer release
 * whose metadata keys to render applies at once too.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "pd-compute-domain.h"
#include "pd-config-private.h"
#include "pd-cycle-cache-private.h"
#include "pd-plugin-loader.h"
#include "pd-test-util.h"
#include "polld.h"

static gchar *
gen_domains(const gchar *dir, const gchar *name, const gchar *count)
{
	g_autofree gchar *script =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "gen-domains.py", NULL);
	gchar *path = g_build_filename(dir, name, NULL);
	const gchar *argv[] = { "python3", script,	    "--out", path, "--domains",
				count,	   "--plain-every", "0",     NULL };
	g_autoptr(GError) error = NULL;
	gint status = -1;

	g_spawn_sync(
	  NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return path;
}

static PdConfig *
make_config(const gchar *xml, const gchar *host)
{
	PdConfig *config = pd_config_new();
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);

	pd_config_set_string(config, NULL, "host", host);
	pd_config_set_string(config, NULL, "libvirt_uri", uri);
	return config;
}

/* one discovery as a cycle runs it: every resource's instance_host must be
 * @host; returns how many instances */
static guint
discover(PdPlugin *plugin, PdConfig *config, const gchar *host)
{
	PdDiscovery *discovery = g_ptr_array_index(pd_plugin_get_discoveries(plugin), 0);
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
	  PD_DISCOVERY_GET_CLASS(discovery)->discover(discovery, NULL, cache, NULL, &error);
	g_autofree gchar *want = g_strdup_printf("\"instance_host\": \"%s\"", host);

	g_assert_no_error(error);
	g_assert_nonnull(resources);
	for (guint i = 0; i < resources->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, i));
		g_autofree gchar *json = pd_metadata_dup_json(cd->md, NULL);
		g_assert_nonnull(strstr(json, want));
	}
	return resources->len;
}

static void
test_reload(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml_a = gen_domains(dir, "a.xml", "3");
	g_autofree gchar *xml_b = gen_domains(dir, "b.xml", "5");
	g_autofree gchar *module = g_build_filename(g_getenv("POLLD_BUILD_ROOT"),
						    "plugins",
						    "compute-libvirt",
						    "libpd_compute_libvirt." G_MODULE_SUFFIX,
						    NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPlugin) plugin = pd_plugin_loader_load_file(module, &error);
	g_autoptr(PdConfig) config_a = make_config(xml_a, "host-a");
	g_autoptr(PdConfig) config_b = make_config(xml_b, "host-b");
	g_autoptr(PdConfig) config_bad = make_config(xml_a, "host-c");
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);

	g_assert_no_error(error);
	g_assert_nonnull(plugin);
	g_assert_true(pd_plugin_start(plugin, config_a, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(discover(plugin, config_a, "host-a"), ==, 3);

	/* another libvirt, host, refresh and keepalive: all at once */
	pd_config_set_string(config_b, "compute", "resource_update_interval", "600");
	pd_config_set_string(config_b, "compute", "libvirt_keepalive_interval", "7");
	pd_config_set_string(config_b, "compute", "bulk_stats", "false");
	pd_config_set_string(config_b, "compute", "flavor_ids", "m1.tiny:1");
	pd_plugin_reconfigure(plugin, config_a, config_b, keys);
	g_assert_cmpuint(keys->len, ==, 0);
	g_assert_cmpuint(discover(plugin, config_b, "host-b"), ==, 5);

	/* the shards wait for a restart */
	pd_config_set_string(config_a, "compute", "libvirt_connections", "4");
	pd_config_set_string(config_a, "compute", "resource_update_interval", "600");
	pd_config_set_string(config_a, "compute", "libvirt_keepalive_interval", "7");
	pd_config_set_string(config_a, "compute", "bulk_stats", "false");
	pd_config_set_string(config_a, "compute", "flavor_ids", "m1.tiny:1");
	pd_config_set_string(config_a, NULL, "host", "host-b");
	pd_plugin_reconfigure(plugin, config_b, config_a, keys);
	g_assert_cmpuint(keys->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(keys, 0), ==, "[compute] libvirt_connections");
	g_assert_cmpuint(discover(plugin, config_a, "host-b"), ==, 3);

	/* out of range: nothing applies, every changed key is named */
	g_ptr_array_set_size(keys, 0);
	pd_config_set_string(config_bad, "compute", "resource_update_interval", "-5");
	g_test_expect_message(
	  "PdPlugin-compute", G_LOG_LEVEL_WARNING, "*resource_update_interval*");
	pd_plugin_reconfigure(plugin, config_a, config_bad, keys);
	g_test_assert_expected_messages();
	g_assert_true(g_ptr_array_find_with_equal_func(keys, "[DEFAULT] host", g_str_equal, NULL));
	g_assert_true(g_ptr_array_find_with_equal_func(
	  keys, "[compute] resource_update_interval", g_str_equal, NULL));
	g_assert_cmpuint(discover(plugin, config_a, "host-b"), ==, 3);

	pd_plugin_stop(plugin);
	pd_test_rmtree(dir);
}

/* the one domain of @plugin's libvirt: its instance metadata */
static gchar *
discover_md(PdPlugin *plugin, PdConfig *config)
{
	PdDiscovery *discovery = g_ptr_array_index(pd_plugin_get_discoveries(plugin), 0);
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
	  PD_DISCOVERY_GET_CLASS(discovery)->discover(discovery, NULL, cache, NULL, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(resources->len, ==, 1);
	return pd_metadata_dup_json(
	  ((PdComputeDomain *)pd_resource_get_data(g_ptr_array_index(resources, 0)))->md, NULL);
}

/* [polld] ceilometer_compat applies to the metadata at once: Nova 2025.2's
 * extra specs and image meta come with 2025.2 and go with zed */
static void
test_reload_compat(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *fixture_path = g_build_filename(
	  g_getenv("POLLD_SOURCE_ROOT"), "tests", "data", "nova-2025.2-domain.xml", NULL);
	g_autofree gchar *xml = g_build_filename(dir, "node.xml", NULL);
	g_autofree gchar *module = g_build_filename(g_getenv("POLLD_BUILD_ROOT"),
						    "plugins",
						    "compute-libvirt",
						    "libpd_compute_libvirt." G_MODULE_SUFFIX,
						    NULL);
	g_autofree gchar *fixture = NULL;
	g_autofree gchar *node = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPlugin) plugin = NULL;
	g_autoptr(PdConfig) zed = NULL;
	g_autoptr(PdConfig) flamingo = NULL;
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	gchar *md;

	g_file_get_contents(fixture_path, &fixture, NULL, &error);
	g_assert_no_error(error);
	node = g_strconcat("<node>\n", fixture, "</node>\n", NULL);
	g_file_set_contents(xml, node, -1, &error);
	g_assert_no_error(error);
	zed = make_config(xml, "h");
	flamingo = make_config(xml, "h");
	pd_config_set_string(zed, "polld", "ceilometer_compat", "zed");
	pd_config_set_string(flamingo, "polld", "ceilometer_compat", "2025.2");
	plugin = pd_plugin_loader_load_file(module, &error);
	g_assert_no_error(error);
	g_assert_true(pd_plugin_start(plugin, zed, &error));
	g_assert_no_error(error);

	md = discover_md(plugin, zed);
	g_assert_null(strstr(md, "extra_specs"));
	g_assert_null(strstr(md, "image_meta"));
	g_free(md);
	pd_plugin_reconfigure(plugin, zed, flamingo, keys);
	g_assert_cmpuint(keys->len, ==, 0);
	md = discover_md(plugin, flamingo);
	g_assert_nonnull(strstr(md, "\"swap\": 512, \"extra_specs\": {\"hw:cpu_policy\""));
	g_assert_nonnull(strstr(md, "\"image_ref_url\": null, \"image_meta\": {"));
	g_free(md);
	pd_plugin_reconfigure(plugin, flamingo, zed, keys);
	md = discover_md(plugin, zed);
	g_assert_null(strstr(md, "extra_specs"));
	g_free(md);

	pd_plugin_stop(plugin);
	pd_test_rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/compute/reload", test_reload);
	g_test_add_func("/compute/reload/compat", test_reload_compat);
	return g_test_run();
}
