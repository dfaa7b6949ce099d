/*
 * polld - what polld does with each ceilometer.conf option
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "pd-config-private.h"

G_BEGIN_DECLS

typedef enum {
	/* polld does what Ceilometer documents for it */
	PD_OPTION_IMPLEMENTED,
	/* ceilometer-polling honours it, polld not yet: one warning, listed
	 * under problems in polldctl status */
	PD_OPTION_UNSUPPORTED,
	/* ceilometer-polling doesn't act on it either (another service's
	 * option, another transport's driver): accepted without effect */
	PD_OPTION_INERT,
	/* polld refuses to start with it, saying what to use instead */
	PD_OPTION_REFUSED,
} PdOptionStatus;

typedef struct {
	const gchar *group;
	const gchar *key; /* "*": every key of the group */
	PdOptionStatus status;
	const gchar *def; /* default as polld applies it, NULL: none or computed */
	const gchar *why; /* for INERT and REFUSED: the reason */
} PdOptionInfo;

/* the core's table (plugins add their own keys as implemented) */
const PdOptionInfo *
pd_option_table_get(guint *n_entries);
/* the entry for @group/@key, or NULL; '-' and '_' are alike */
const PdOptionInfo *
pd_option_table_lookup(const gchar *group, const gchar *key);
/* registers every entry with @config: implemented and inert keys as known,
 * unsupported and refused ones as such */
void
pd_option_table_register(PdConfig *config);
/* a secret's value as polldctl config and the logs show it */
gchar *
pd_option_table_redact(const gchar *group, const gchar *key, const gchar *value);

/* the effective configuration for polldctl config: aa{sv} with "section",
 * "key", "value" (secrets redacted), "source" (file, "command line" or
 * "default") and "status" */
GVariant *
pd_option_table_describe(PdConfig *config);

G_END_DECLS
