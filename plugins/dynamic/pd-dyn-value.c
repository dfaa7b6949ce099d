/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pd-dyn-value.h"

PdDynKind
pd_dyn_value_kind(JsonNode *node)
{
	GType t;

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return PD_DYN_NONE;
	if (JSON_NODE_HOLDS_ARRAY(node))
		return PD_DYN_LIST;
	if (JSON_NODE_HOLDS_OBJECT(node))
		return PD_DYN_DICT;
	t = json_node_get_value_type(node);
	if (t == G_TYPE_BOOLEAN)
		return PD_DYN_BOOL;
	if (t == G_TYPE_INT64 || t == G_TYPE_INT)
		return PD_DYN_INT;
	if (t == G_TYPE_DOUBLE || t == G_TYPE_FLOAT)
		return PD_DYN_FLOAT;
	return PD_DYN_STR;
}

const gchar *
pd_dyn_value_type_name(JsonNode *node)
{
	static const gchar *const names[] = { "NoneType", "bool", "int", "float",
					      "str",	  "list", "dict" };
	return names[pd_dyn_value_kind(node)];
}

JsonNode *
pd_dyn_value_new_none(void)
{
	return json_node_new(JSON_NODE_NULL);
}

JsonNode *
pd_dyn_value_new_int(gint64 v)
{
	return json_node_init_int(json_node_alloc(), v);
}

JsonNode *
pd_dyn_value_new_float(gdouble v)
{
	return json_node_init_double(json_node_alloc(), v);
}

JsonNode *
pd_dyn_value_new_bool(gboolean v)
{
	return json_node_init_boolean(json_node_alloc(), v);
}

JsonNode *
pd_dyn_value_new_str(const gchar *s)
{
	return json_node_init_string(json_node_alloc(), s);
}

JsonNode *
pd_dyn_value_new_str_take(gchar *s)
{
	JsonNode *node = json_node_init_string(json_node_alloc(), s);
	g_free(s);
	return node;
}

gboolean
pd_dyn_value_get_number(JsonNode *node, gdouble *out)
{
	switch (pd_dyn_value_kind(node)) {
		case PD_DYN_BOOL:
			*out = json_node_get_boolean(node) ? 1 : 0;
			return TRUE;
		case PD_DYN_INT:
			*out = (gdouble)json_node_get_int(node);
			return TRUE;
		case PD_DYN_FLOAT:
			*out = json_node_get_double(node);
			return TRUE;
		default:
			return FALSE;
	}
}

gboolean
pd_dyn_value_truthy(JsonNode *node)
{
	switch (pd_dyn_value_kind(node)) {
		case PD_DYN_NONE:
			return FALSE;
		case PD_DYN_BOOL:
			return json_node_get_boolean(node);
		case PD_DYN_INT:
			return json_node_get_int(node) != 0;
		case PD_DYN_FLOAT:
			return json_node_get_double(node) != 0.0;
		case PD_DYN_STR:
			return json_node_get_string(node)[0] != '\0';
		case PD_DYN_LIST:
			return json_array_get_length(json_node_get_array(node)) > 0;
		case PD_DYN_DICT:
			return json_object_get_size(json_node_get_object(node)) > 0;
	}
	return FALSE;
}

static gboolean
pd_dyn_value_dict_equal(JsonObject *a, JsonObject *b)
{
	g_autoptr(GList) members = json_object_get_members(a);

	if (json_object_get_size(a) != json_object_get_size(b))
		return FALSE;
	for (GList *l = members; l != NULL; l = l->next) {
		if (!json_object_has_member(b, l->data))
			return FALSE;
		if (!pd_dyn_value_equal(json_object_get_member(a, l->data),
					json_object_get_member(b, l->data)))
			return FALSE;
	}
	return TRUE;
}

gboolean
pd_dyn_value_equal(JsonNode *a, JsonNode *b)
{
	PdDynKind ka = pd_dyn_value_kind(a), kb = pd_dyn_value_kind(b);
	gdouble da, db;

	if (ka == PD_DYN_INT && kb == PD_DYN_INT)
		return json_node_get_int(a) == json_node_get_int(b);
	if (pd_dyn_value_get_number(a, &da) && pd_dyn_value_get_number(b, &db))
		return da == db;
	if (ka != kb)
		return FALSE;
	switch (ka) {
		case PD_DYN_NONE:
			return TRUE;
		case PD_DYN_STR:
			return g_strcmp0(json_node_get_string(a), json_node_get_string(b)) == 0;
		case PD_DYN_LIST: {
			JsonArray *x = json_node_get_array(a), *y = json_node_get_array(b);
			guint n = json_array_get_length(x);
			if (n != json_array_get_length(y))
				return FALSE;
			for (guint i = 0; i < n; i++) {
				if (!pd_dyn_value_equal(json_array_get_element(x, i),
							json_array_get_element(y, i)))
					return FALSE;
			}
			return TRUE;
		}
		case PD_DYN_DICT:
			return pd_dyn_value_dict_equal(json_node_get_object(a),
						       json_node_get_object(b));
		default:
			return FALSE;
	}
}

void
pd_dyn_value_format_float(GString *out, gdouble v)
{
	gchar buf[40];
	gint exp10;

	if (isnan(v)) {
		g_string_append(out, "nan");
		return;
	}
	if (isinf(v)) {
		g_string_append(out, v < 0 ? "-inf" : "inf");
		return;
	}
	/* shortest text that reads back as the same double */
	for (gint prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (g_ascii_strtod(buf, NULL) == v)
			break;
	}
	exp10 = atoi(strchr(buf, 'e') + 1);
	if (exp10 < -4 || exp10 >= 16) {
		/* mantissa without trailing zeros, exponent with at least 2 digits */
		gchar *e = strchr(buf, 'e');
		gchar *end = e;
		*e = '\0';
		if (strchr(buf, '.') != NULL) {
			while (end[-1] == '0')
				*--end = '\0';
			if (end[-1] == '.')
				*--end = '\0';
		}
		g_string_append_printf(out, "%se%c%02d", buf, exp10 < 0 ? '-' : '+', ABS(exp10));
		return;
	}
	{
		gint digits = 0;
		gchar *p;
		/* significant digits of the shortest form, printed positionally */
		for (p = buf; *p != 'e'; p++) {
			if (g_ascii_isdigit(*p))
				digits++;
		}
		snprintf(buf, sizeof(buf), "%.*f", MAX(digits - 1 - exp10, 1), v);
		p = buf + strlen(buf);
		while (p[-1] == '0' && p[-2] != '.')
			*--p = '\0';
		g_string_append(out, buf);
	}
}

static void
pd_dyn_value_append_repr(GString *out, JsonNode *node);

static void
pd_dyn_value_append_str_repr(GString *out, const gchar *s)
{
	gchar quote = strchr(s, '\'') != NULL && strchr(s, '"') == NULL ? '"' : '\'';

	g_string_append_c(out, quote);
	for (const gchar *p = s; *p != '\0'; p++) {
		guchar c = (guchar)*p;
		if (c == '\\' || c == (guchar)quote)
			g_string_append_printf(out, "\\%c", c);
		else if (c == '\n')
			g_string_append(out, "\\n");
		else if (c == '\r')
			g_string_append(out, "\\r");
		else if (c == '\t')
			g_string_append(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf(out, "\\x%02x", c);
		else
			g_string_append_c(out, (gchar)c);
	}
	g_string_append_c(out, quote);
}

static void
pd_dyn_value_append_repr(GString *out, JsonNode *node)
{
	switch (pd_dyn_value_kind(node)) {
		case PD_DYN_NONE:
			g_string_append(out, "None");
			break;
		case PD_DYN_BOOL:
			g_string_append(out, json_node_get_boolean(node) ? "True" : "False");
			break;
		case PD_DYN_INT:
			g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
			break;
		case PD_DYN_FLOAT:
			pd_dyn_value_format_float(out, json_node_get_double(node));
			break;
		case PD_DYN_STR:
			pd_dyn_value_append_str_repr(out, json_node_get_string(node));
			break;
		case PD_DYN_LIST: {
			JsonArray *a = json_node_get_array(node);
			g_string_append_c(out, '[');
			for (guint i = 0; i < json_array_get_length(a); i++) {
				if (i > 0)
					g_string_append(out, ", ");
				pd_dyn_value_append_repr(out, json_array_get_element(a, i));
			}
			g_string_append_c(out, ']');
			break;
		}
		case PD_DYN_DICT: {
			JsonObject *o = json_node_get_object(node);
			g_autoptr(GList) members = json_object_get_members(o);
			g_string_append_c(out, '{');
			for (GList *l = members; l != NULL; l = l->next) {
				if (l != members)
					g_string_append(out, ", ");
				pd_dyn_value_append_str_repr(out, l->data);
				g_string_append(out, ": ");
				pd_dyn_value_append_repr(out, json_object_get_member(o, l->data));
			}
			g_string_append_c(out, '}');
			break;
		}
	}
}

gchar *
pd_dyn_value_repr(JsonNode *node)
{
	GString *out = g_string_new(NULL);
	pd_dyn_value_append_repr(out, node);
	return g_string_free(out, FALSE);
}

gchar *
pd_dyn_value_to_str(JsonNode *node)
{
	if (pd_dyn_value_kind(node) == PD_DYN_STR)
		return g_strdup(json_node_get_string(node));
	return pd_dyn_value_repr(node);
}
