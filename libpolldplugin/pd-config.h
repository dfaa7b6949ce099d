/*
 * polld - daemon configuration (ceilometer.conf-compatible INI files)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PD_TYPE_CONFIG (pd_config_get_type())
G_DECLARE_FINAL_TYPE(PdConfig, pd_config, PD, CONFIG, GObject)

#define PD_CONFIG_ERROR (pd_config_error_quark())
GQuark
pd_config_error_quark(void);

typedef enum {
	PD_CONFIG_ERROR_IO,
	PD_CONFIG_ERROR_SYNTAX,
	PD_CONFIG_ERROR_INVALID,
} PdConfigError;

PdConfig *
pd_config_new(void);

/* typed getters; @group NULL means "DEFAULT"; a malformed value logs a
 * warning naming file and key and yields the default */
const gchar *
pd_config_get_string(PdConfig *self, const gchar *group, const gchar *key, const gchar *def);
gint64
pd_config_get_int(PdConfig *self, const gchar *group, const gchar *key, gint64 def);
gdouble
pd_config_get_double(PdConfig *self, const gchar *group, const gchar *key, gdouble def);
gboolean
pd_config_get_bool(PdConfig *self, const gchar *group, const gchar *key, gboolean def);
/* oslo ListOpt: comma separated, items stripped, empty items dropped */
gchar **
pd_config_get_list(PdConfig *self, const gchar *group, const gchar *key, const gchar *def);
gboolean
pd_config_has_key(PdConfig *self, const gchar *group, const gchar *key);
/* where a key was set, for messages ("<file>" or "command line") */
const gchar *
pd_config_get_origin(PdConfig *self, const gchar *group, const gchar *key);

G_END_DECLS
