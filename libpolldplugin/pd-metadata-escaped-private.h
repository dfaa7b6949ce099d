/*
 * polld - an overlay's JSON text as the oslo envelope carries it, and the
 * signature text appended in one call (for the serializer; not part of the
 * installed SDK)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-metadata.h"

G_BEGIN_DECLS

/* the bytes pd_metadata_escaped_json_write() may write for @md at most; 0
 * when @md is not an overlay (NULL included): write its JSON and escape it */
gsize
pd_metadata_escaped_json_bound(PdMetadata *md);
/* writes the overlay's JSON text (pd_metadata_append_json()'s) with every
 * quote and backslash escaped once more, as the content of a JSON string,
 * at @w; returns the end (no NUL) */
gchar *
pd_metadata_escaped_json_write(PdMetadata *md, gchar *w);

/* appends pd_metadata_foreach_signature_text()'s runs to @out, without a
 * call a run */
void
pd_metadata_append_signature_text(PdMetadata *md, GString *out);

G_END_DECLS
