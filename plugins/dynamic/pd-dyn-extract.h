/*
 * polld dynamic pollsters - from a decoded response to samples: entries,
 * id attributes, values (single and multi metric), skip values, value
 * mapping, metadata fields and mapping, in Ceilometer's order
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-dyn-def.h"

G_BEGIN_DECLS

/* the entries of one response page (a new array), or NULL with @error */
JsonArray *
pd_dyn_extract_entries(PdDynDef *def, JsonNode *response, GError **error);
/* the next page's URL or command, or NULL */
gchar *
pd_dyn_extract_next(PdDynDef *def, JsonNode *response);
/* a sample of one entry before enrichment: its metadata is still open */
typedef struct {
	gchar *name;
	JsonNode *value;
	JsonNode *entry; /* the entry, ids overridden */
	GArray *md;	 /* PdDynMdItem, in order */
} PdDynPending;

typedef struct {
	gchar *key;
	JsonNode *value;
} PdDynMdItem;

void
pd_dyn_extract_pending_free(PdDynPending *p);
/* appends the samples of one entry to @out (PdDynPending); FALSE with
 * @error when the entry can't be read (missing field, failing operation);
 * skipped values are no error */
gboolean
pd_dyn_extract_pending(PdDynDef *def, JsonNode *entry, GPtrArray *out, GError **error);
/* adds @p as a sample to @ctx */
gboolean
pd_dyn_extract_pending_emit(PdDynDef *def, PdDynPending *p, PdPollContext *ctx, GError **error);
/* the sample as extra_metadata_fields expressions see it: the entry with
 * its "metadata" and "value" (a new reference) */
JsonNode *
pd_dyn_extract_pending_sample_node(PdDynPending *p);
/* enrichment: records @sub (a sample of an extra_metadata_fields item) in
 * @captured and @by_name */
void
pd_dyn_extract_pending_capture(PdDynPending *sub, JsonObject *captured, JsonObject *by_name);
/* adds the captured keys that @p's metadata does not have yet */
void
pd_dyn_extract_pending_merge(PdDynPending *p, JsonObject *captured);
/* TRUE when one of @skips (objects) is a subset of @sample */
gboolean
pd_dyn_extract_skip_matches(JsonArray *skips, JsonNode *sample);
/* the decoded response of @handlers' first handler that takes @body */
JsonNode *
pd_dyn_response_parse(GArray *handlers, const gchar *body, gsize len, GError **error);

G_END_DECLS
