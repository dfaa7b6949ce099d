/*
 * polld - loads plugin modules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-config.h"
#include "pd-plugin.h"

G_BEGIN_DECLS

/* one module; the error says which check failed and why */
PdPlugin *
pd_plugin_loader_load_file(const gchar *filename, GError **error);
/* every "*.so" in each directory, in name order; a module that fails is
 * logged and skipped, a plugin name seen twice keeps the first */
GPtrArray *
pd_plugin_loader_load_dirs(gchar **dirs);

/* a module found, and what its key file (libpd_X.plugin beside
 * libpd_X.so) tells of it without loading it: group [Module], keys
 * Plugins, Namespaces (those its pollsters serve), Definitions (true: also
 * the namespaces its dynamic pollster definitions name) and ConfigKeys
 * ("group.key", the options it reads) */
#define PD_PLUGIN_MODULE_GROUP "Module"
/* Ceilometer's default [polling] pollsters_definitions_dirs */
#define PD_PLUGIN_DEFINITIONS_DIR "/etc/ceilometer/pollsters.d"

typedef struct {
	gchar *filename;
	GKeyFile *keys; /* NULL without a usable key file */
} PdPluginModule;

void
pd_plugin_loader_module_free(PdPluginModule *module);
/* a list of the key file, empty without one */
gchar **
pd_plugin_loader_module_get_list(PdPluginModule *module, const gchar *key);

/* whether the module serves one of @namespaces (NULL: all), by its key
 * file (a module without one serves them all); with Definitions=true also
 * when [polling] pollsters_definitions_dirs of @config holds a *.yaml file */
gboolean
pd_plugin_loader_module_serves(PdPluginModule *module,
			       const gchar *const *namespaces,
			       PdConfig *config);

typedef gboolean (*PdPluginLoaderWantFunc)(PdPluginModule *module, gpointer user_data);

/* every "*.so" in each directory, in name order, with its key file */
GPtrArray *
pd_plugin_loader_list_modules(gchar **dirs);
/* loads the modules of @modules that @want takes (all of them without
 * @want; a module without a key file always) and takes them out of it;
 * @seen: the names of the plugins loaded before, added to */
GPtrArray *
pd_plugin_loader_load_modules(GPtrArray *modules,
			      GHashTable *seen,
			      PdPluginLoaderWantFunc want,
			      gpointer user_data);
/* where to look: @cli (--plugin-dir, colon separated) alone if given; else
 * @env's directories (POLLD_PLUGIN_DIR) and then @default_dir, which is left
 * out when it doesn't exist, since it's only an addition then */
gchar **
pd_plugin_loader_get_dirs(const gchar *cli, const gchar *env, const gchar *default_dir);

G_END_DECLS
