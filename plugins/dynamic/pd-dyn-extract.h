/*
 * polld dynamic pollsters - from a decoded response to samples: entries,
 * id attributes, values (single and multi metric), skip values, value
 * mapping, metadata fields and mapping, in Ceilometer's order
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-dyn-definition.h"

G_BEGIN_DECLS

/* the entries of one response page (a new array), or NULL with @error */
JsonArray *
pd_dyn_extract_entries(PdDynDef *def, JsonNode *response, GError **error);
/* the next page's URL or command, or NULL */
gchar *
pd_dyn_extract_next(PdDynDef *def, JsonNode *response);
/* adds the samples of one entry to @ctx; FALSE with @error when the entry
 * can't be read (missing field, failing operation); skipped values are no
 * error */
gboolean
pd_dyn_extract_samples(PdDynDef *def, JsonNode *entry, PdPollContext *ctx, GError **error);
/* the decoded response of @handlers' first handler that takes @body */
JsonNode *
pd_dyn_response_parse(GArray *handlers, const gchar *body, gsize len, GError **error);

G_END_DECLS
