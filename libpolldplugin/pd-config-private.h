/*
 * polld - the daemon's side of PdConfig: loading files, command line
 * overrides and the key registry; not part of the installed SDK
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-config.h"

G_BEGIN_DECLS

/* later files win; errors read "<file>:<line>:<col>: <problem>" */
gboolean
pd_config_load_file(PdConfig *self, const gchar *filename, GError **error);
/* every *.conf in @dirname, in name order */
gboolean
pd_config_load_dir(PdConfig *self, const gchar *dirname, GError **error);
/* command line overrides, highest priority */
void
pd_config_set_string(PdConfig *self, const gchar *group, const gchar *key, const gchar *value);
GPtrArray *
pd_config_get_files(PdConfig *self);

/* a key the daemon or a plugin understands; others are warned about */
void
pd_config_register_key(PdConfig *self, const gchar *group, const gchar *key);
/* a key Ceilometer has and polld doesn't implement (@why NULL: "yet"); set,
 * it is warned about once and listed by pd_config_get_unsupported() */
void
pd_config_register_unsupported(PdConfig *self,
			       const gchar *group,
			       const gchar *key,
			       const gchar *why);
/* registered as understood (by the core, a sink or a plugin) */
gboolean
pd_config_is_registered(PdConfig *self, const gchar *group, const gchar *key);
/* "[group] key" of each unsupported key set, after pd_config_warn_unknown() */
GPtrArray *
pd_config_get_unsupported(PdConfig *self);
/* every key set, as group, key, group, key... sorted */
GPtrArray *
pd_config_dup_keys(PdConfig *self);
/* logs one warning per unknown key, naming the file and the key; returns count */
guint
pd_config_warn_unknown(PdConfig *self);
/* the same, but an unsupported key whose value is in @warned (a set of
 * "group\nkey\nvalue" the caller keeps across reloads) is not warned again;
 * the ones warned now are added. It is still listed by
 * pd_config_get_unsupported(). */
guint
pd_config_warn_unknown_once(PdConfig *self, GHashTable *warned);

G_END_DECLS
