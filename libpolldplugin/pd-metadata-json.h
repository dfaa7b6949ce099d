/*
 * polld - resource metadata from decoded JSON (for plugins that read APIs)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "pd-metadata.h"

G_BEGIN_DECLS

/* Adds @node (NULL: null) under @key as Ceilometer carries a decoded API
 * value: an object nests (members in their order), a list keeps its items
 * whatever they are (strings, numbers, objects, lists), rendered as Python's
 * json.dumps() and signed as str() of Ceilometer's decode_unicode() of it. */
void
pd_metadata_builder_add_json_node(PdMetadataBuilder *b, const gchar *key, JsonNode *node);

G_END_DECLS
