/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <yaml.h>

#include "pd-dyn-yaml.h"

GQuark
pd_dyn_yaml_error_quark(void);
G_DEFINE_QUARK(pd - dyn - yaml - error - quark, pd_dyn_yaml_error)

void
pd_dyn_yaml_free(PdDynYaml *node)
{
	if (node == NULL)
		return;
	g_free(node->text);
	if (node->items != NULL)
		g_ptr_array_unref(node->items);
	g_free(node);
}

static PdDynYaml *
pd_dyn_yaml_node_new(PdDynYamlKind kind, const yaml_event_t *ev)
{
	PdDynYaml *n = g_new0(PdDynYaml, 1);

	n->kind = kind;
	n->line = (guint)ev->start_mark.line + 1;
	n->column = (guint)ev->start_mark.column + 1;
	if (kind != PD_DYN_YAML_SCALAR)
		n->items = g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_yaml_free);
	return n;
}

typedef struct {
	yaml_parser_t parser;
	guint nodes;
	GError **error;
} PdDynYamlParser;

static gboolean
pd_dyn_yaml_fail_at(PdDynYamlParser *p, const yaml_event_t *ev, const gchar *msg)
{
	g_set_error(p->error,
		    pd_dyn_yaml_error_quark(),
		    0,
		    "%u:%u: %s",
		    (guint)ev->start_mark.line + 1,
		    (guint)ev->start_mark.column + 1,
		    msg);
	return FALSE;
}

static gboolean
pd_dyn_yaml_next(PdDynYamlParser *p, yaml_event_t *ev)
{
	if (yaml_parser_parse(&p->parser, ev))
		return TRUE;
	g_set_error(p->error,
		    pd_dyn_yaml_error_quark(),
		    0,
		    "%u:%u: %s",
		    (guint)p->parser.problem_mark.line + 1,
		    (guint)p->parser.problem_mark.column + 1,
		    p->parser.problem != NULL ? p->parser.problem : "YAML syntax error");
	return FALSE;
}

static PdDynYaml *
pd_dyn_yaml_node(PdDynYamlParser *p, yaml_event_t *ev, guint depth);

static PdDynYaml *
pd_dyn_yaml_collection(PdDynYamlParser *p, yaml_event_t *start, guint depth)
{
	gboolean is_map = start->type == YAML_MAPPING_START_EVENT;
	g_autoptr(PdDynYaml) n =
	  pd_dyn_yaml_node_new(is_map ? PD_DYN_YAML_MAP : PD_DYN_YAML_SEQ, start);
	yaml_event_t ev;

	for (;;) {
		PdDynYaml *child;
		if (!pd_dyn_yaml_next(p, &ev))
			return NULL;
		if (ev.type == (is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
			yaml_event_delete(&ev);
			return g_steal_pointer(&n);
		}
		child = pd_dyn_yaml_node(p, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (child == NULL)
			return NULL;
		if (is_map && n->items->len % 2 == 0 && child->kind != PD_DYN_YAML_SCALAR) {
			g_set_error(p->error,
				    pd_dyn_yaml_error_quark(),
				    0,
				    "%u:%u: a mapping key must be a plain value",
				    child->line,
				    child->column);
			pd_dyn_yaml_free(child);
			return NULL;
		}
		g_ptr_array_add(n->items, child);
	}
}

static PdDynYaml *
pd_dyn_yaml_node(PdDynYamlParser *p, yaml_event_t *ev, guint depth)
{
	PdDynYaml *n;

	if (++p->nodes > PD_DYN_YAML_MAX_NODES) {
		pd_dyn_yaml_fail_at(p, ev, "too many YAML nodes");
		return NULL;
	}
	if (depth > PD_DYN_YAML_MAX_DEPTH) {
		pd_dyn_yaml_fail_at(p, ev, "nested too deeply");
		return NULL;
	}
	switch (ev->type) {
		case YAML_SCALAR_EVENT:
			n = pd_dyn_yaml_node_new(PD_DYN_YAML_SCALAR, ev);
			n->text =
			  g_strndup((const gchar *)ev->data.scalar.value, ev->data.scalar.length);
			n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
				   ev->data.scalar.tag == NULL;
			return n;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			return pd_dyn_yaml_collection(p, ev, depth);
		case YAML_ALIAS_EVENT:
			pd_dyn_yaml_fail_at(
			  p, ev, "YAML aliases are not supported in pollster definitions");
			return NULL;
		default:
			pd_dyn_yaml_fail_at(p, ev, "unexpected YAML event");
			return NULL;
	}
}

PdDynYaml *
pd_dyn_yaml_parse(const gchar *data, gsize len, GError **error)
{
	PdDynYamlParser p = { .error = error };
	PdDynYaml *root = NULL;
	yaml_event_t ev;
	gboolean done = FALSE;

	yaml_parser_initialize(&p.parser);
	yaml_parser_set_input_string(&p.parser, (const guchar *)data, len);
	while (!done && pd_dyn_yaml_next(&p, &ev)) {
		switch (ev.type) {
			case YAML_STREAM_START_EVENT:
			case YAML_DOCUMENT_START_EVENT:
				break;
			case YAML_STREAM_END_EVENT:
			case YAML_DOCUMENT_END_EVENT:
				done = TRUE;
				break;
			default:
				root = pd_dyn_yaml_node(&p, &ev, 0);
				done = TRUE;
				break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p.parser);
	return root;
}

PdDynYaml *
pd_dyn_yaml_lookup(PdDynYaml *map, const gchar *key)
{
	if (map == NULL || map->kind != PD_DYN_YAML_MAP)
		return NULL;
	for (guint i = 0; i + 1 < map->items->len; i += 2) {
		PdDynYaml *k = g_ptr_array_index(map->items, i);
		if (g_strcmp0(k->text, key) == 0)
			return g_ptr_array_index(map->items, i + 1);
	}
	return NULL;
}

static JsonNode *
pd_dyn_yaml_scalar_to_json(PdDynYaml *n)
{
	static const gchar *const trues[] = { "true", "True", "TRUE", "yes", "Yes",
					      "YES",  "on",   "On",   "ON",  NULL };
	static const gchar *const falses[] = { "false", "False", "FALSE", "no",	 "No",
					       "NO",	"off",	 "Off",	  "OFF", NULL };
	static const gchar *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	const gchar *t = n->text;
	gchar *end = NULL;

	if (!n->plain)
		return json_node_init_string(json_node_alloc(), t);
	if (g_strv_contains(nulls, t))
		return json_node_new(JSON_NODE_NULL);
	if (g_strv_contains(trues, t) || g_strv_contains(falses, t))
		return json_node_init_boolean(json_node_alloc(), g_strv_contains(trues, t));
	if (g_regex_match_simple("^[-+]?(0|[1-9][0-9_]*)$", t, 0, 0)) {
		g_autofree gchar *digits = g_strdup(t);
		gint64 v;
		g_strdelimit(digits, "_", ' ');
		{
			GString *s = g_string_new(NULL);
			for (const gchar *p = digits; *p != '\0'; p++) {
				if (*p != ' ')
					g_string_append_c(s, *p);
			}
			g_free(digits);
			digits = g_string_free(s, FALSE);
		}
		errno = 0;
		v = g_ascii_strtoll(digits, &end, 10);
		if (errno == 0)
			return json_node_init_int(json_node_alloc(), v);
	}
	if (g_regex_match_simple("^[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+][0-9]+)?$", t, 0, 0) &&
	    strcmp(t, ".") != 0)
		return json_node_init_double(json_node_alloc(), g_ascii_strtod(t, NULL));
	if (g_regex_match_simple("^[-+]?\\.(inf|Inf|INF)$", t, 0, 0))
		return json_node_init_double(json_node_alloc(), t[0] == '-' ? -INFINITY : INFINITY);
	if (g_regex_match_simple("^\\.(nan|NaN|NAN)$", t, 0, 0))
		return json_node_init_double(json_node_alloc(), NAN);
	return json_node_init_string(json_node_alloc(), t);
}

JsonNode *
pd_dyn_yaml_to_json(PdDynYaml *node)
{
	JsonNode *out;

	if (node->kind == PD_DYN_YAML_SCALAR)
		return pd_dyn_yaml_scalar_to_json(node);
	if (node->kind == PD_DYN_YAML_SEQ) {
		JsonArray *a = json_array_new();
		for (guint i = 0; i < node->items->len; i++)
			json_array_add_element(
			  a, pd_dyn_yaml_to_json(g_ptr_array_index(node->items, i)));
		out = json_node_new(JSON_NODE_ARRAY);
		json_node_take_array(out, a);
		return out;
	}
	{
		JsonObject *o = json_object_new();
		for (guint i = 0; i + 1 < node->items->len; i += 2) {
			PdDynYaml *k = g_ptr_array_index(node->items, i);
			json_object_set_member(
			  o, k->text, pd_dyn_yaml_to_json(g_ptr_array_index(node->items, i + 1)));
		}
		out = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(out, o);
		return out;
	}
}
