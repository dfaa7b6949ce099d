/*
 * polld - the daemon's side of PdPlugin; not part of the installed SDK
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-plugin.h"

G_BEGIN_DECLS

/* the loader names a plugin after its PdPluginInfo */
void
pd_plugin_set_name(PdPlugin *self, const gchar *name);
/* runs the class' load_pollsters(); TRUE when the pollster list changed */
gboolean
pd_plugin_load_pollsters(PdPlugin *self, PdConfig *config);

G_END_DECLS
