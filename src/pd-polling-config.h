/*
 * polld - polling.yaml (Ceilometer's polling definition file)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PD_POLLING_CONFIG_ERROR (pd_polling_config_error_quark())
GQuark
pd_polling_config_error_quark(void);

typedef enum {
	PD_POLLING_CONFIG_ERROR_IO,
	PD_POLLING_CONFIG_ERROR_SYNTAX,	 /* not YAML */
	PD_POLLING_CONFIG_ERROR_INVALID, /* YAML, but breaks a rule */
} PdPollingConfigError;

typedef struct {
	gchar *name;
	guint interval;	   /* seconds, > 0 */
	gchar **meters;	   /* non-empty */
	gchar **resources; /* may be empty, never NULL */
	gchar **discovery; /* may be empty, never NULL */
	guint line;	   /* position of the source in its file, 1-based */
	guint column;
	guint *meter_lines; /* line of each meters entry, 0 if unknown */
} PdSourceDef;

typedef struct {
	gint ref_count;
	gchar *filename;
	GPtrArray *sources; /* of PdSourceDef */
} PdPollingConfig;

/* errors read "<file>:<line>:<col>: <what rule was broken>" */
PdPollingConfig *
pd_polling_config_load_file(const gchar *filename, GError **error);
PdPollingConfig *
pd_polling_config_load_data(const gchar *data, gssize len, const gchar *filename, GError **error);
PdPollingConfig *
pd_polling_config_ref(PdPollingConfig *cfg);
void
pd_polling_config_unref(PdPollingConfig *cfg);

/* Ceilometer's meter matching: any '!' hit rejects; else any plain
 * hit accepts; else accept only if every pattern is a '!' pattern */
gboolean
pd_polling_config_source_matches(const PdSourceDef *src, const gchar *meter);
/* validates a pattern list by the same rules the loader applies; on error
 * @error holds the rule broken, without position */
gboolean
pd_polling_config_validate_patterns(gchar **patterns, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdPollingConfig, pd_polling_config_unref)

/* one warning per meters entry that names no pollster of any plugin, with
 * file:line and the source; @known: set of every pollster name */
guint
pd_polling_config_warn_unmatched(PdPollingConfig *polling, GHashTable *known);

G_END_DECLS
