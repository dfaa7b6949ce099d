/*
 * polld dynamic pollsters - a YAML document as a tree that remembers where
 * each node was (line, column), for messages that point at the mistake
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* bounds for hostile files */
#define PD_DYN_YAML_MAX_DEPTH 64
#define PD_DYN_YAML_MAX_NODES 2000000

typedef enum {
	PD_DYN_YAML_SCALAR,
	PD_DYN_YAML_SEQ,
	PD_DYN_YAML_MAP,
} PdDynYamlKind;

typedef struct _PdDynYaml PdDynYaml;
struct _PdDynYaml {
	PdDynYamlKind kind;
	guint line; /* 1-based */
	guint column;
	gchar *text;	  /* scalars */
	gboolean plain;	  /* an unquoted scalar: typed like PyYAML does */
	GPtrArray *items; /* SEQ: items; MAP: key, value, key, value... */
};

/* parses the first document of @data; errors "<line>:<col>: <problem>" */
PdDynYaml *
pd_dyn_yaml_parse(const gchar *data, gsize len, GError **error);
void
pd_dyn_yaml_free(PdDynYaml *node);
/* the value under @key in a MAP, or NULL */
PdDynYaml *
pd_dyn_yaml_lookup(PdDynYaml *map, const gchar *key);
/* the node as a JSON value, plain scalars typed as YAML 1.1 does (null,
 * true/false/yes/no/on/off, integers, floats with a dot, .inf, .nan) */
JsonNode *
pd_dyn_yaml_to_json(PdDynYaml *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDynYaml, pd_dyn_yaml_free)

G_END_DECLS
