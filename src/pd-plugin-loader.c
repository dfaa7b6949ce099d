/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPluginLoader"

#include "config.h"

#include <string.h>

#include <gmodule.h>

#include "pd-error.h"
#include "pd-plugin-loader.h"
#include "pd-plugin-private.h"

static gboolean
pd_plugin_loader_check_info(const gchar *filename, const PdPluginInfo *info, GError **error)
{
	if (info == NULL || info->name == NULL || info->get_type == NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_INTERNAL,
			    "%s: %s() returned an incomplete description",
			    filename,
			    PD_PLUGIN_SYMBOL);
		return FALSE;
	}
	if (info->abi_major != PD_PLUGIN_ABI_MAJOR) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_NOT_SUPPORTED,
			    "%s: plugin %s was built for ABI %u.%u, polld speaks ABI %u.%u "
			    "(major version differs)",
			    filename,
			    info->name,
			    info->abi_major,
			    info->abi_minor,
			    PD_PLUGIN_ABI_MAJOR,
			    PD_PLUGIN_ABI_MINOR);
		return FALSE;
	}
	if (info->abi_minor > PD_PLUGIN_ABI_MINOR) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_NOT_SUPPORTED,
			    "%s: plugin %s needs ABI %u.%u, newer than polld's %u.%u",
			    filename,
			    info->name,
			    info->abi_major,
			    info->abi_minor,
			    PD_PLUGIN_ABI_MAJOR,
			    PD_PLUGIN_ABI_MINOR);
		return FALSE;
	}
	return TRUE;
}

static PdPlugin *
pd_plugin_loader_instantiate(const gchar *filename, const PdPluginInfo *info, GError **error);

/* the further plugins of a module (PD_PLUGIN_MORE_SYMBOL) */
static void
pd_plugin_loader_load_more(GModule *module, const gchar *filename, GPtrArray *out)
{
	PdPluginGetMoreInfoFunc get_more = NULL;
	const PdPluginInfo *const *infos;

	if (!g_module_symbol(module, PD_PLUGIN_MORE_SYMBOL, (gpointer *)&get_more) ||
	    get_more == NULL)
		return;
	infos = get_more();
	for (guint i = 0; infos != NULL && infos[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		PdPlugin *plugin = NULL;
		if (pd_plugin_loader_check_info(filename, infos[i], &error))
			plugin = pd_plugin_loader_instantiate(filename, infos[i], &error);
		if (plugin == NULL)
			g_warning("refusing plugin %s", error->message);
		else
			g_ptr_array_add(out, plugin);
	}
}

static PdPlugin *
pd_plugin_loader_open(const gchar *filename, GPtrArray *more_out, GError **error)
{
	GModule *module;
	PdPluginGetInfoFunc get_info = NULL;
	const PdPluginInfo *info;
	PdPlugin *plugin;

	module = g_module_open(filename, G_MODULE_BIND_LOCAL | G_MODULE_BIND_LAZY);
	if (module == NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_NOT_SUPPORTED,
			    "%s: not a loadable module: %s",
			    filename,
			    g_module_error());
		return NULL;
	}
	if (!g_module_symbol(module, PD_PLUGIN_SYMBOL, (gpointer *)&get_info) || get_info == NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_NOT_SUPPORTED,
			    "%s: not a polld plugin: no %s symbol",
			    filename,
			    PD_PLUGIN_SYMBOL);
		g_module_close(module);
		return NULL;
	}
	info = get_info();
	if (!pd_plugin_loader_check_info(filename, info, error)) {
		g_module_close(module);
		return NULL;
	}
	/* GTypes can't be unregistered: once we run its code, it stays */
	g_module_make_resident(module);
	plugin = pd_plugin_loader_instantiate(filename, info, error);
	if (plugin != NULL && more_out != NULL)
		pd_plugin_loader_load_more(module, filename, more_out);
	return plugin;
}

static PdPlugin *
pd_plugin_loader_instantiate(const gchar *filename, const PdPluginInfo *info, GError **error)
{
	GType type;
	PdPlugin *plugin;

	type = info->get_type();
	if (!g_type_is_a(type, PD_TYPE_PLUGIN)) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_INTERNAL,
			    "%s: plugin %s: type %s is not a PdPlugin",
			    filename,
			    info->name,
			    g_type_name(type));
		return NULL;
	}
	plugin = g_object_new(type, NULL);
	pd_plugin_set_name(plugin, info->name);
	g_debug("loaded plugin %s from %s: %u pollsters, %u discoveries",
		info->name,
		filename,
		pd_plugin_get_pollsters(plugin)->len,
		pd_plugin_get_discoveries(plugin)->len);
	return plugin;
}

PdPlugin *
pd_plugin_loader_load_file(const gchar *filename, GError **error)
{
	return pd_plugin_loader_open(filename, NULL, error);
}

void
pd_plugin_loader_module_free(PdPluginModule *module)
{
	g_free(module->filename);
	if (module->keys != NULL)
		g_key_file_unref(module->keys);
	g_free(module);
}

/* libpd_X.plugin beside libpd_X.so */
static GKeyFile *
pd_plugin_loader_read_keys(const gchar *filename)
{
	g_autofree gchar *stem =
	  g_strndup(filename, strlen(filename) - strlen("." G_MODULE_SUFFIX));
	g_autofree gchar *path = g_strconcat(stem, ".plugin", NULL);
	g_autoptr(GKeyFile) keys = g_key_file_new();
	g_autoptr(GError) error = NULL;

	if (!g_key_file_load_from_file(keys, path, G_KEY_FILE_NONE, &error)) {
		/* without one (or with a broken one) the module is loaded */
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_warning(
			  "%s: %s; the module is loaded whatever is polled", path, error->message);
		return NULL;
	}
	if (!g_key_file_has_key(keys, PD_PLUGIN_MODULE_GROUP, "Namespaces", NULL)) {
		g_warning("%s: no [%s] Namespaces; the module is loaded whatever is polled",
			  path,
			  PD_PLUGIN_MODULE_GROUP);
		return NULL;
	}
	return g_steal_pointer(&keys);
}

gchar **
pd_plugin_loader_module_get_list(PdPluginModule *module, const gchar *key)
{
	gchar **list = NULL;

	if (module->keys != NULL)
		list =
		  g_key_file_get_string_list(module->keys, PD_PLUGIN_MODULE_GROUP, key, NULL, NULL);
	return list != NULL ? list : g_new0(gchar *, 1);
}

/* a *.yaml file in [polling] pollsters_definitions_dirs, where the
 * dynamic pollsters plugin reads its definitions */
static gboolean
pd_plugin_loader_has_definitions(PdConfig *config)
{
	g_auto(GStrv) dirs = pd_config_get_list(
	  config, "polling", "pollsters_definitions_dirs", PD_PLUGIN_DEFINITIONS_DIR);

	for (guint i = 0; dirs[i] != NULL; i++) {
		g_autoptr(GDir) dir = g_dir_open(dirs[i], 0, NULL);
		const gchar *name;
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			if (g_str_has_suffix(name, ".yaml"))
				return TRUE;
		}
	}
	return FALSE;
}

gboolean
pd_plugin_loader_module_serves(PdPluginModule *module,
			       const gchar *const *namespaces,
			       PdConfig *config)
{
	g_auto(GStrv) served = pd_plugin_loader_module_get_list(module, "Namespaces");

	if (module->keys == NULL || namespaces == NULL)
		return TRUE;
	for (guint i = 0; served[i] != NULL; i++) {
		if (g_strv_contains(namespaces, served[i]))
			return TRUE;
	}
	/* a definition may name any namespace: the plugin reads them */
	return g_key_file_get_boolean(module->keys, PD_PLUGIN_MODULE_GROUP, "Definitions", NULL) &&
	       pd_plugin_loader_has_definitions(config);
}

static gint
pd_plugin_loader_strcmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar **)a, *(const gchar **)b);
}

static void
pd_plugin_loader_list_dir(const gchar *dirname, GPtrArray *modules)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = g_dir_open(dirname, 0, &error);
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	const gchar *name;

	if (dir == NULL) {
		g_warning("plugin directory %s: %s", dirname, error->message);
		return;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, "." G_MODULE_SUFFIX))
			g_ptr_array_add(files, g_build_filename(dirname, name, NULL));
	}
	g_ptr_array_sort(files, pd_plugin_loader_strcmp);
	for (guint i = 0; i < files->len; i++) {
		PdPluginModule *module = g_new0(PdPluginModule, 1);
		module->filename = g_strdup(g_ptr_array_index(files, i));
		module->keys = pd_plugin_loader_read_keys(module->filename);
		g_ptr_array_add(modules, module);
	}
}

GPtrArray *
pd_plugin_loader_list_modules(gchar **dirs)
{
	GPtrArray *modules =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_plugin_loader_module_free);

	for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++)
		pd_plugin_loader_list_dir(dirs[i], modules);
	return modules;
}

static void
pd_plugin_loader_load_module(const gchar *fn, GPtrArray *plugins, GHashTable *seen)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_object_unref);
	PdPlugin *plugin = pd_plugin_loader_open(fn, found, &error);

	if (plugin == NULL) {
		g_warning("refusing plugin %s", error->message);
		return;
	}
	g_ptr_array_insert(found, 0, plugin);
	for (guint j = 0; j < found->len; j++) {
		PdPlugin *p = g_ptr_array_index(found, j);
		if (g_hash_table_contains(seen, pd_plugin_get_name(p))) {
			g_warning("%s: plugin %s already loaded from another directory, "
				  "skipped",
				  fn,
				  pd_plugin_get_name(p));
			continue;
		}
		g_hash_table_add(seen, g_strdup(pd_plugin_get_name(p)));
		g_ptr_array_add(plugins, g_object_ref(p));
	}
}

GPtrArray *
pd_plugin_loader_load_modules(GPtrArray *modules,
			      GHashTable *seen,
			      PdPluginLoaderWantFunc want,
			      gpointer user_data)
{
	GPtrArray *plugins = g_ptr_array_new_with_free_func(g_object_unref);

	for (guint i = 0; i < modules->len;) {
		PdPluginModule *module = g_ptr_array_index(modules, i);
		if (module->keys != NULL && want != NULL && !want(module, user_data)) {
			i++;
			continue;
		}
		pd_plugin_loader_load_module(module->filename, plugins, seen);
		g_ptr_array_remove_index(modules, i);
	}
	return plugins;
}

GPtrArray *
pd_plugin_loader_load_dirs(gchar **dirs)
{
	g_autoptr(GPtrArray) modules = pd_plugin_loader_list_modules(dirs);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	return pd_plugin_loader_load_modules(modules, seen, NULL, NULL);
}

gchar **
pd_plugin_loader_get_dirs(const gchar *cli, const gchar *env, const gchar *default_dir)
{
	g_autoptr(GStrvBuilder) dirs = g_strv_builder_new();
	g_auto(GStrv) extra = NULL;

	if (cli != NULL && cli[0] != '\0')
		return g_strsplit(cli, ":", -1);
	if (env == NULL || env[0] == '\0')
		return g_strsplit(default_dir, ":", -1);
	extra = g_strsplit(env, ":", -1);
	for (guint i = 0; extra[i] != NULL; i++) {
		if (extra[i][0] != '\0')
			g_strv_builder_add(dirs, extra[i]);
	}
	if (g_file_test(default_dir, G_FILE_TEST_IS_DIR))
		g_strv_builder_add(dirs, default_dir);
	return g_strv_builder_end(dirs);
}
