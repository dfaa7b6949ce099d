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

G_END_DECLS
