/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <stdio.h>
#include <string.h>

#include "pd-dyn-attr.h"
#include "pd-dyn-value.h"

struct _PdDynAttr {
	gchar *text;
	gchar *path;
	gchar **keys;	/* NULL: the entry itself (".") */
	GPtrArray *ops; /* PdDynExpr */
};

GPtrArray *
pd_dyn_attr_split_ops(const gchar *text, GArray *offsets)
{
	GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
	const gchar *start = text;
	gchar quote = 0;

	for (const gchar *p = text;; p++) {
		if (quote != 0 && *p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (quote != 0 && *p == quote) {
			quote = 0;
			continue;
		}
		if (quote == 0 && (*p == '\'' || *p == '"')) {
			quote = *p;
			continue;
		}
		if (*p == '\0' || (quote == 0 && *p == '|')) {
			guint off = (guint)(start - text);
			g_ptr_array_add(parts, g_strndup(start, p - start));
			if (offsets != NULL)
				g_array_append_val(offsets, off);
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	return parts;
}

PdDynAttr *
pd_dyn_attr_parse(const gchar *text, GError **error)
{
	static const gchar *const names[] = { "value", NULL };
	g_autoptr(GArray) offsets = g_array_new(FALSE, FALSE, sizeof(guint));
	g_autoptr(GPtrArray) parts = pd_dyn_attr_split_ops(text, offsets);
	PdDynAttr *attr = g_new0(PdDynAttr, 1);

	attr->text = g_strdup(text);
	attr->path = g_strstrip(g_strdup(g_ptr_array_index(parts, 0)));
	attr->ops = g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_expr_free);
	if (attr->path[0] == '\0') {
		g_set_error_literal(
		  error,
		  PD_DYN_EXPR_ERROR,
		  PD_DYN_EXPR_ERROR_SYNTAX,
		  "column 1: empty attribute path (use \".\" for the whole entry)");
		pd_dyn_attr_free(attr);
		return NULL;
	}
	if (strcmp(attr->path, ".") != 0)
		attr->keys = g_strsplit(attr->path, ".", -1);
	for (guint i = 1; i < parts->len; i++) {
		const gchar *op = g_ptr_array_index(parts, i);
		guint off = g_array_index(offsets, guint, i);
		g_autoptr(GError) local = NULL;
		PdDynExpr *expr;
		/* an operation that ignores value is a mistake Ceilometer refuses too */
		if (strstr(op, "value") == NULL) {
			g_set_error(error,
				    PD_DYN_EXPR_ERROR,
				    PD_DYN_EXPR_ERROR_SYNTAX,
				    "column %u: the operation must use the variable value",
				    off + 1);
			pd_dyn_attr_free(attr);
			return NULL;
		}
		expr = pd_dyn_expr_parse(op, names, &local);
		if (expr == NULL) {
			guint col = 0;
			const gchar *msg = local->message;
			if (sscanf(msg, "column %u:", &col) == 1)
				msg = strchr(msg, ':') + 2;
			g_set_error(error,
				    PD_DYN_EXPR_ERROR,
				    local->code,
				    "column %u: %s",
				    off + MAX(col, 1),
				    msg);
			pd_dyn_attr_free(attr);
			return NULL;
		}
		g_ptr_array_add(attr->ops, expr);
	}
	return attr;
}

void
pd_dyn_attr_free(PdDynAttr *attr)
{
	if (attr == NULL)
		return;
	g_free(attr->text);
	g_free(attr->path);
	g_strfreev(attr->keys);
	g_ptr_array_unref(attr->ops);
	g_free(attr);
}

const gchar *
pd_dyn_attr_get_text(PdDynAttr *attr)
{
	return attr->text;
}

const gchar *
pd_dyn_attr_get_path(PdDynAttr *attr)
{
	return attr->path;
}

static JsonNode *
pd_dyn_attr_lookup(PdDynAttr *attr, JsonNode *obj, GError **error)
{
	JsonNode *cur = obj;

	if (attr->keys == NULL)
		return json_node_copy(obj);
	for (guint i = 0; attr->keys[i] != NULL; i++) {
		const gchar *key = attr->keys[i];
		if (pd_dyn_value_kind(cur) != PD_DYN_DICT) {
			g_set_error(error,
				    PD_DYN_EXPR_ERROR,
				    PD_DYN_EXPR_ERROR_RUNTIME,
				    "%s: '%s' is looked up in a %s, not an object",
				    attr->path,
				    key,
				    pd_dyn_value_type_name(cur));
			return NULL;
		}
		if (!json_object_has_member(json_node_get_object(cur), key)) {
			g_set_error(error,
				    PD_DYN_EXPR_ERROR,
				    PD_DYN_EXPR_ERROR_RUNTIME,
				    "%s: KeyError: '%s'",
				    attr->path,
				    key);
			return NULL;
		}
		cur = json_object_get_member(json_node_get_object(cur), key);
	}
	return json_node_copy(cur);
}

JsonNode *
pd_dyn_attr_eval(PdDynAttr *attr, JsonNode *obj, GError **error)
{
	g_autoptr(JsonNode) value = pd_dyn_attr_lookup(attr, obj, error);

	for (guint i = 0; value != NULL && i < attr->ops->len; i++) {
		PdDynExpr *op = g_ptr_array_index(attr->ops, i);
		JsonNode *next = pd_dyn_eval_expr(op, &value, error);
		if (next == NULL) {
			g_prefix_error(error, "%s: ", pd_dyn_expr_get_text(op));
			return NULL;
		}
		json_node_unref(value);
		value = next;
	}
	return g_steal_pointer(&value);
}
