/*
 * polld - the configuration as main() was asked for it: the config files
 * and directories, and the command line options that override them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-config.h"

G_BEGIN_DECLS

#define PD_TYPE_SETTINGS (pd_settings_get_type())
G_DECLARE_FINAL_TYPE(PdSettings, pd_settings, PD, SETTINGS, GObject)

/* @files NULL and @dirs NULL: the default polld.conf if it exists;
 * @namespaces and @pollster_list: the command line's, NULL if not given
 * (each item may hold a comma separated list) */
PdSettings *
pd_settings_new(gchar **files, gchar **dirs, gchar **namespaces, gchar **pollster_list);
/* a command line flag's [DEFAULT] @key = @value: it wins over the files,
 * on reload too; call before pd_settings_load() */
void
pd_settings_add_override(PdSettings *self, const gchar *key, const gchar *value);
/* reads the files (the one place that walks them): a new PdConfig, or
 * NULL with file:line:col in the error */
PdConfig *
pd_settings_read(PdSettings *self, GError **error);
/* the config in force: set by pd_settings_load() and by a valid reload */
gboolean
pd_settings_load(PdSettings *self, GError **error);
PdConfig *
pd_settings_get_config(PdSettings *self);
void
pd_settings_set_config(PdSettings *self, PdConfig *config);
/* the command line's if given, else [DEFAULT] polling_namespaces of @config
 * (default compute, central) */
gchar **
pd_settings_dup_namespaces(PdSettings *self, PdConfig *config);
/* the command line's if given, else [DEFAULT] pollster_list (empty: all) */
gchar **
pd_settings_dup_pollster_list(PdSettings *self, PdConfig *config);

G_END_DECLS
