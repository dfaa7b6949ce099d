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
 * warning naming file, line and key and yields the default. Numeric options
 * should use the _range getters, which make a bad value a config error. */
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
/* "<file>:<line>" of a key, or "command line"; NULL when unset */
gchar *
pd_config_get_location(PdConfig *self, const gchar *group, const gchar *key);

/* a numeric option within [@min, @max] (@def when unset); a value that is
 * not a number or out of range (for doubles also inf and nan) fails with
 * PD_CONFIG_ERROR_INVALID: "<file>:<line>: [group] key = 'value': expected
 * an integer from min to max" */
gboolean
pd_config_get_int_range(PdConfig *self,
			const gchar *group,
			const gchar *key,
			gint64 def,
			gint64 min,
			gint64 max,
			gint64 *value,
			GError **error);
gboolean
pd_config_get_double_range(PdConfig *self,
			   const gchar *group,
			   const gchar *key,
			   gdouble def,
			   gdouble min,
			   gdouble max,
			   gdouble *value,
			   GError **error);

/* the Ceilometer release whose sample shapes polld reproduces ([polld]
 * ceilometer_compat), numbered by the release's major version so that
 * "release >= PD_CEILOMETER_2025_2" reads as "since Flamingo" */
typedef enum {
	PD_CEILOMETER_ZED = 19,	   /* "zed" or "2022.2": 19.0.0, Debian 12's */
	PD_CEILOMETER_2025_2 = 25, /* "2025.2" (Flamingo): 25.0.0 */
	PD_CEILOMETER_2026_1 = 26, /* "2026.1" (Gazpacho): 26.0.0 */
} PdCeilometerRelease;

#define PD_CEILOMETER_DEFAULT PD_CEILOMETER_2026_1

/* [polld] ceilometer_compat: PD_CEILOMETER_DEFAULT when unset (or @self
 * NULL); any other
 * value fails with PD_CONFIG_ERROR_INVALID naming file and line (the daemon
 * refuses such a config, so a plugin may pass a NULL @error and take
 * @release as it is) */
gboolean
pd_config_get_ceilometer_compat(PdConfig *self, PdCeilometerRelease *release, GError **error);

/* seconds as the milliseconds GLib's timeouts take; every such conversion
 * goes through here so none is undefined behaviour: NaN and negative give 0,
 * more than G_MAXUINT ms (49.7 days) gives G_MAXUINT */
guint
pd_config_seconds_to_ms(gdouble seconds);

/* @text (@len bytes, -1: NUL-terminated) as a log line or an error message
 * may quote it: at most 64 bytes, then "...(<length> bytes)"; control
 * characters escaped, valid UTF-8 */
gchar *
pd_config_abbreviate(const gchar *text, gssize len);

G_END_DECLS
