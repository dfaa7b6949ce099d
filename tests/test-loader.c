/*
 * plugin loader: a good module loads; wrong ABI major, newer minor, missing
 * symbol, wrong type and a garbage file are refused with a reason, and the
 * loader goes on with the others; --plugin-dir replaces the installed
 * directory, POLLD_PLUGIN_DIR adds to it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "pd-config-private.h"
#include "pd-plugin-loader.h"
#include "pd-test-util.h"

static gchar *
pd_abi_path(const gchar *variant)
{
	return g_strdup_printf(
	  "%s/libpd_abi_%s.%s", g_getenv("POLLD_TEST_ABI_DIR"), variant, G_MODULE_SUFFIX);
}

static void
test_loader_good(void)
{
	g_autofree gchar *fn = pd_abi_path("good");
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPlugin) plugin = pd_plugin_loader_load_file(fn, &error);

	g_assert_no_error(error);
	g_assert_nonnull(plugin);
	g_assert_cmpstr(pd_plugin_get_name(plugin), ==, "abi-good");
	/* declared in constructed, before any plugin code runs for polling */
	g_assert_cmpuint(pd_plugin_get_pollsters(plugin)->len, ==, 1);
	g_assert_cmpstr(pd_pollster_get_name(g_ptr_array_index(pd_plugin_get_pollsters(plugin), 0)),
			==,
			"abi.meter");
}

static void
pd_assert_refused(const gchar *variant, const gchar *reason)
{
	g_autofree gchar *fn = pd_abi_path(variant);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPlugin) plugin = pd_plugin_loader_load_file(fn, &error);

	g_assert_null(plugin);
	g_assert_nonnull(error);
	g_test_message("%s: %s", variant, error->message);
	g_assert_true(g_str_has_prefix(error->message, fn));
	g_assert_nonnull(strstr(error->message, reason));
}

static void
test_loader_abi_major(void)
{
	pd_assert_refused("major", "major version differs");
}

static void
test_loader_abi_minor(void)
{
	pd_assert_refused("minor", "newer than polld's");
}

static void
test_loader_missing_symbol(void)
{
	pd_assert_refused("nosym", "no pd_plugin_get_info symbol");
}

static void
test_loader_wrong_type(void)
{
	pd_assert_refused("wrongtype", "is not a PdPlugin");
}

static void
test_loader_garbage(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *fn =
	  pd_test_write_file(dir, "libgarbage.so", "this is not an ELF file\n");
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPlugin) plugin = pd_plugin_loader_load_file(fn, &error);

	g_assert_null(plugin);
	g_assert_nonnull(strstr(error->message, "not a loadable module"));
	pd_test_rmtree(dir);
}

static void
test_loader_dir_goes_on(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	gchar *dirs[] = { dir, NULL };
	g_autoptr(GPtrArray) plugins = NULL;
	const gchar *variants[] = { "major", "good", "nosym", NULL };

	g_free(pd_test_write_file(dir, "liba-garbage.so", "nope"));
	g_free(pd_test_write_file(dir, "README", "not even a .so"));

	for (guint i = 0; variants[i] != NULL; i++) {
		g_autofree gchar *src = pd_abi_path(variants[i]);
		g_autofree gchar *dst = g_strdup_printf("%s/libpd_abi_%s.so", dir, variants[i]);
		g_assert_cmpint(symlink(src, dst), ==, 0);
	}
	g_test_expect_message(
	  "PdPluginLoader", G_LOG_LEVEL_WARNING, "*liba-garbage.so: not a loadable module*");
	g_test_expect_message("PdPluginLoader",
			      G_LOG_LEVEL_WARNING,
			      "*libpd_abi_major.so: plugin abi-major*major version differs*");
	g_test_expect_message(
	  "PdPluginLoader", G_LOG_LEVEL_WARNING, "*libpd_abi_nosym.so: not a polld plugin*");
	plugins = pd_plugin_loader_load_dirs(dirs);
	g_test_assert_expected_messages();
	g_assert_cmpuint(plugins->len, ==, 1);
	g_assert_cmpstr(pd_plugin_get_name(g_ptr_array_index(plugins, 0)), ==, "abi-good");
	pd_test_rmtree(dir);
}

static void
test_loader_dirs(void)
{
	g_autofree gchar *installed = pd_test_mkdtemp();
	g_autofree gchar *missing = g_build_filename(installed, "missing", NULL);
	g_auto(GStrv) cli = pd_plugin_loader_get_dirs("/a:/b", "/env", installed);
	g_auto(GStrv) env = pd_plugin_loader_get_dirs(NULL, "/env1::/env2", installed);
	g_auto(GStrv) none = pd_plugin_loader_get_dirs(NULL, NULL, installed);
	g_auto(GStrv) empty = pd_plugin_loader_get_dirs("", "", installed);
	g_auto(GStrv) env_only = pd_plugin_loader_get_dirs(NULL, "/env", missing);
	g_auto(GStrv) default_missing = pd_plugin_loader_get_dirs(NULL, NULL, missing);
	const gchar *want_cli[] = { "/a", "/b", NULL };
	const gchar *want_env[] = { "/env1", "/env2", installed, NULL };
	const gchar *want_none[] = { installed, NULL };
	const gchar *want_env_only[] = { "/env", NULL };
	const gchar *want_default_missing[] = { missing, NULL };

	g_assert_cmpstrv(cli, want_cli);
	g_assert_cmpstrv(env, want_env);
	g_assert_cmpstrv(none, want_none);
	g_assert_cmpstrv(empty, want_none);
	g_assert_cmpstrv(env_only, want_env_only);
	/* without additions the installed directory is all there is: a missing
	 * one is worth the loader's warning */
	g_assert_cmpstrv(default_missing, want_default_missing);
	pd_test_rmtree(installed);
}

/* the keys a reload changed that a plugin can only apply at restart */
static GPtrArray *
pd_reconfigure(PdPlugin *plugin, const gchar *group, const gchar *key, const gchar *value)
{
	g_autoptr(PdConfig) old_config = pd_config_new();
	g_autoptr(PdConfig) new_config = pd_config_new();
	GPtrArray *restart_keys = g_ptr_array_new_with_free_func(g_free);

	pd_config_set_string(old_config, NULL, "host", "a");
	pd_config_set_string(new_config, NULL, "host", "b");
	pd_config_set_string(new_config, group, key, value);
	pd_plugin_reconfigure(plugin, old_config, new_config, restart_keys);
	return restart_keys;
}

static PdPlugin *
pd_find_plugin(GPtrArray *plugins, const gchar *name)
{
	for (guint i = 0; i < plugins->len; i++) {
		if (g_strcmp0(pd_plugin_get_name(g_ptr_array_index(plugins, i)), name) == 0)
			return g_ptr_array_index(plugins, i);
	}
	return NULL;
}

static void
test_loader_reconfigure(void)
{
	g_auto(GStrv) dirs = g_strsplit(g_getenv("POLLD_PLUGIN_DIR"), ":", -1);
	g_autoptr(GPtrArray) plugins = pd_plugin_loader_load_dirs(dirs);
	PdPlugin *compute = pd_find_plugin(plugins, "compute-libvirt");
	PdPlugin *host = pd_find_plugin(plugins, "host");
	PdPlugin *test = pd_find_plugin(plugins, "test");
	g_autoptr(GPtrArray) keys = NULL;

	/* host is applied by each; the rest as each plugin can */
	keys = pd_reconfigure(host, NULL, "host", "b");
	g_assert_cmpuint(keys->len, ==, 0);
	g_clear_pointer(&keys, g_ptr_array_unref);
	keys = pd_reconfigure(test, "test", "resources", "7");
	g_assert_cmpuint(keys->len, ==, 0);
	g_clear_pointer(&keys, g_ptr_array_unref);
	keys = pd_reconfigure(test, "test", "not_ready", "/x");
	g_assert_cmpuint(keys->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(keys, 0), ==, "[test] not_ready");
	g_clear_pointer(&keys, g_ptr_array_unref);
	/* compute-libvirt applies all but the number of connections
	 * (tests/test-compute-reload.c reloads a started one) */
	if (compute == NULL)
		return;
	keys = pd_reconfigure(compute, "compute", "bulk_stats", "false");
	g_assert_cmpuint(keys->len, ==, 0);
	g_clear_pointer(&keys, g_ptr_array_unref);
	keys = pd_reconfigure(compute, "compute", "libvirt_connections", "3");
	g_assert_cmpuint(keys->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(keys, 0), ==, "[compute] libvirt_connections");
}

/* the namespaces of a module's plugins' pollsters and the options they
 * read, as its key file should tell them */
static void
pd_module_facts(GPtrArray *plugins,
		GStrvBuilder *names,
		GHashTable *ns,
		GHashTable *meters,
		GHashTable *discoveries,
		GHashTable *keys)
{
	for (guint i = 0; i < plugins->len; i++) {
		PdPlugin *plugin = g_ptr_array_index(plugins, i);
		GPtrArray *pollsters = pd_plugin_get_pollsters(plugin);
		GPtrArray *config_keys = pd_plugin_get_config_keys(plugin);
		GPtrArray *found = pd_plugin_get_discoveries(plugin);
		g_strv_builder_add(names, pd_plugin_get_name(plugin));
		for (guint j = 0; j < pollsters->len; j++) {
			PdPollster *p = g_ptr_array_index(pollsters, j);
			g_hash_table_add(ns, g_strdup(pd_pollster_get_namespace(p)));
			g_hash_table_add(meters, g_strdup(pd_pollster_get_name(p)));
		}
		for (guint j = 0; j < found->len; j++)
			g_hash_table_add(
			  discoveries,
			  g_strdup(pd_discovery_get_name(g_ptr_array_index(found, j))));
		for (guint j = 0; j + 1 < config_keys->len; j += 2)
			g_hash_table_add(
			  keys,
			  g_strdup_printf("%s.%s",
					  (const gchar *)g_ptr_array_index(config_keys, j),
					  (const gchar *)g_ptr_array_index(config_keys, j + 1)));
	}
}

static void
pd_assert_listed(PdPluginModule *module, const gchar *key, GHashTable *want)
{
	g_auto(GStrv) listed = pd_plugin_loader_module_get_list(module, key);
	g_autoptr(GList) wanted = g_hash_table_get_keys(want);
	g_autoptr(GString) missing = g_string_new(NULL);

	wanted = g_list_sort(wanted, (GCompareFunc)g_strcmp0);
	for (GList *l = wanted; l != NULL; l = l->next) {
		if (!g_strv_contains((const gchar *const *)listed, l->data))
			g_string_append_printf(missing, "%s;", (gchar *)l->data);
	}
	if (missing->len > 0)
		g_error("%s: [Module] %s lacks %s", module->filename, key, missing->str);
	for (guint i = 0; listed[i] != NULL; i++) {
		if (!g_hash_table_contains(want, listed[i]) && g_strcmp0(key, "Namespaces") != 0)
			g_error("%s: [Module] %s has %s, which no plugin has",
				module->filename,
				key,
				listed[i]);
	}
}

/* every module but the test plugin's has a key file, and it tells what
 * loading the module shows: its plugins, their pollsters' namespaces
 * and their meters, the discoveries they offer and every option they
 * read */
static void
test_loader_key_files(void)
{
	g_auto(GStrv) dirs = g_strsplit(g_getenv("POLLD_PLUGIN_DIR"), ":", -1);
	g_autoptr(GPtrArray) modules = pd_plugin_loader_list_modules(dirs);
	guint checked = 0;

	for (guint i = 0; i < modules->len; i++) {
		PdPluginModule *module = g_ptr_array_index(modules, i);
		g_autoptr(GPtrArray) one = g_ptr_array_new();
		g_autoptr(GHashTable) seen =
		  g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_autoptr(GHashTable) ns =
		  g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_autoptr(GHashTable) keys =
		  g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_autoptr(GHashTable) meters =
		  g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_autoptr(GHashTable) discoveries =
		  g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_autoptr(GStrvBuilder) names = g_strv_builder_new();
		g_autoptr(GPtrArray) plugins = NULL;
		g_auto(GStrv) found = NULL;
		g_auto(GStrv) listed = NULL;

		if (g_str_has_suffix(module->filename, "/libpd_test." G_MODULE_SUFFIX))
			continue;
		g_assert_nonnull(module->keys);
		g_ptr_array_add(one, module);
		plugins = pd_plugin_loader_load_modules(one, seen, NULL, NULL);
		pd_module_facts(plugins, names, ns, meters, discoveries, keys);
		found = g_strv_builder_end(names);
		listed = pd_plugin_loader_module_get_list(module, "Plugins");
		g_assert_cmpstrv(listed, found);
		pd_assert_listed(module, "Namespaces", ns);
		pd_assert_listed(module, "Meters", meters);
		pd_assert_listed(module, "Discoveries", discoveries);
		pd_assert_listed(module, "ConfigKeys", keys);
		checked++;
	}
	g_assert_cmpuint(checked, >=, 3);
}

/* a module with a key file loads when it serves a namespace polled, or
 * (Definitions=true) when a dynamic pollster definition is there */
static void
test_loader_held(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *defs = g_build_filename(dir, "defs", NULL);
	g_autofree gchar *src = pd_abi_path("good");
	g_autofree gchar *dst = g_strdup_printf("%s/libpd_abi_good.so", dir);
	g_autoptr(PdConfig) config = pd_config_new();
	gchar *dirs[] = { dir, NULL };
	const gchar *compute[] = { "compute", NULL };
	const gchar *abi[] = { "compute", "abi", NULL };
	g_autoptr(GPtrArray) modules = NULL;

	g_assert_cmpint(symlink(src, dst), ==, 0);
	g_assert_cmpint(g_mkdir(defs, 0700), ==, 0);
	pd_config_set_string(config, "polling", "pollsters_definitions_dirs", defs);
	g_free(pd_test_write_file(
	  dir, "libpd_abi_good.plugin", "[Module]\nNamespaces=abi;\nDefinitions=true\n"));
	modules = pd_plugin_loader_list_modules(dirs);
	g_assert_cmpuint(modules->len, ==, 1);
	g_assert_false(
	  pd_plugin_loader_module_serves(g_ptr_array_index(modules, 0), compute, config));
	g_assert_true(pd_plugin_loader_module_serves(g_ptr_array_index(modules, 0), abi, config));
	g_assert_true(pd_plugin_loader_module_serves(g_ptr_array_index(modules, 0), NULL, config));
	g_free(pd_test_write_file(defs, "mine.yaml", "---\n"));
	g_assert_true(
	  pd_plugin_loader_module_serves(g_ptr_array_index(modules, 0), compute, config));
	g_clear_pointer(&modules, g_ptr_array_unref);

	/* without Namespaces the key file is not trusted: loaded always */
	g_free(pd_test_write_file(dir, "libpd_abi_good.plugin", "[Module]\nPlugins=abi-good;\n"));
	g_test_expect_message("PdPluginLoader", G_LOG_LEVEL_WARNING, "*no [Module] Namespaces*");
	modules = pd_plugin_loader_list_modules(dirs);
	g_test_assert_expected_messages();
	g_assert_null(((PdPluginModule *)g_ptr_array_index(modules, 0))->keys);
	g_assert_true(
	  pd_plugin_loader_module_serves(g_ptr_array_index(modules, 0), compute, config));
	pd_test_rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/loader/good", test_loader_good);
	g_test_add_func("/loader/abi-major", test_loader_abi_major);
	g_test_add_func("/loader/abi-minor", test_loader_abi_minor);
	g_test_add_func("/loader/reconfigure", test_loader_reconfigure);
	g_test_add_func("/loader/missing-symbol", test_loader_missing_symbol);
	g_test_add_func("/loader/wrong-type", test_loader_wrong_type);
	g_test_add_func("/loader/garbage", test_loader_garbage);
	g_test_add_func("/loader/dir-goes-on", test_loader_dir_goes_on);
	g_test_add_func("/loader/dirs", test_loader_dirs);
	g_test_add_func("/loader/key-files", test_loader_key_files);
	g_test_add_func("/loader/held", test_loader_held);
	return g_test_run();
}
