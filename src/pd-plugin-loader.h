/*
 * polld - loads plugin modules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-plugin.h"

G_BEGIN_DECLS

/* one module; the error says which check failed and why */
PdPlugin *
pd_plugin_loader_load_file(const gchar *filename, GError **error);
/* every "*.so" in each directory, in name order; a module that fails is
 * logged and skipped, a plugin name seen twice keeps the first */
GPtrArray *
pd_plugin_loader_load_dirs(gchar **dirs);
/* where to look: @cli (--plugin-dir, colon separated) alone if given; else
 * @env's directories (POLLD_PLUGIN_DIR) and then @default_dir, which is left
 * out when it doesn't exist, since it's only an addition then */
gchar **
pd_plugin_loader_get_dirs(const gchar *cli, const gchar *env, const gchar *default_dir);

G_END_DECLS
