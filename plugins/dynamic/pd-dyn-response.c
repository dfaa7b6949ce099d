/*
 * polld dynamic pollsters - response handlers: json, xml (as xmltodict
 * turns XML into a dict) and text ([{"out": <text>}])
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <string.h>

#include "pd-dyn-extract.h"

#define PD_DYN_RESPONSE_ERROR (pd_dyn_response_error_quark())
GQuark
pd_dyn_response_error_quark(void);
G_DEFINE_QUARK(pd - dyn - response - error - quark, pd_dyn_response_error)

/* deeper documents are refused before a recursive parser sees them */
#define PD_DYN_RESPONSE_MAX_DEPTH 256

static gboolean
pd_dyn_json_depth_ok(const gchar *s, gsize len)
{
	guint depth = 0;
	gboolean in_str = FALSE;

	for (gsize i = 0; i < len; i++) {
		gchar c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = FALSE;
			continue;
		}
		if (c == '"')
			in_str = TRUE;
		else if ((c == '[' || c == '{') && ++depth > PD_DYN_RESPONSE_MAX_DEPTH)
			return FALSE;
		else if ((c == ']' || c == '}') && depth > 0)
			depth--;
	}
	return TRUE;
}

static JsonNode *
pd_dyn_parse_json(const gchar *body, gsize len, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();

	if (!pd_dyn_json_depth_ok(body, len)) {
		g_set_error(error,
			    PD_DYN_RESPONSE_ERROR,
			    0,
			    "JSON nested deeper than %u levels",
			    PD_DYN_RESPONSE_MAX_DEPTH);
		return NULL;
	}
	if (!json_parser_load_from_data(parser, body, (gssize)len, error))
		return NULL;
	if (json_parser_get_root(parser) == NULL) {
		g_set_error_literal(error, PD_DYN_RESPONSE_ERROR, 0, "empty JSON document");
		return NULL;
	}
	return json_node_copy(json_parser_get_root(parser));
}

static JsonNode *
pd_dyn_parse_text(const gchar *body, gsize len)
{
	JsonObject *o = json_object_new();
	JsonArray *a = json_array_new();
	JsonNode *root = json_node_new(JSON_NODE_ARRAY);
	g_autofree gchar *text = g_utf8_make_valid(body, (gssize)len);

	json_object_set_string_member(o, "out", text);
	json_array_add_object_element(a, o);
	json_node_take_array(root, a);
	return root;
}

/* --- xml --- */

typedef struct {
	gchar *tag;
	JsonObject *obj; /* attributes and children, NULL while there are none */
	GString *text;
} PdDynXmlFrame;

typedef struct {
	GPtrArray *stack; /* PdDynXmlFrame */
	JsonNode *root;
} PdDynXml;

static void
pd_dyn_xml_frame_free(PdDynXmlFrame *f)
{
	g_free(f->tag);
	if (f->obj != NULL)
		json_object_unref(f->obj);
	g_string_free(f->text, TRUE);
	g_free(f);
}

static void
pd_dyn_xml_start(GMarkupParseContext *ctx,
		 const gchar *tag,
		 const gchar **names,
		 const gchar **values,
		 gpointer user_data,
		 GError **error)
{
	PdDynXml *x = user_data;
	PdDynXmlFrame *f = g_new0(PdDynXmlFrame, 1);

	if (x->stack->len >= PD_DYN_RESPONSE_MAX_DEPTH) {
		g_set_error(error, PD_DYN_RESPONSE_ERROR, 0, "XML nested too deeply");
		pd_dyn_xml_frame_free(f);
		return;
	}
	f->tag = g_strdup(tag);
	f->text = g_string_new(NULL);
	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree gchar *key = g_strconcat("@", names[i], NULL);
		if (f->obj == NULL)
			f->obj = json_object_new();
		json_object_set_string_member(f->obj, key, values[i]);
	}
	g_ptr_array_add(x->stack, f);
}

/* a repeated child turns into a list, as xmltodict does */
static void
pd_dyn_xml_add_child(JsonObject *obj, const gchar *tag, JsonNode *value)
{
	JsonNode *old = json_object_get_member(obj, tag);

	if (old == NULL) {
		json_object_set_member(obj, tag, value);
	} else if (JSON_NODE_HOLDS_ARRAY(old)) {
		json_array_add_element(json_node_get_array(old), value);
	} else {
		JsonArray *a = json_array_new();
		JsonNode *list = json_node_new(JSON_NODE_ARRAY);
		json_array_add_element(a, json_node_copy(old));
		json_array_add_element(a, value);
		json_node_take_array(list, a);
		json_object_set_member(obj, tag, list);
	}
}

static void
pd_dyn_xml_end(GMarkupParseContext *ctx, const gchar *tag, gpointer user_data, GError **error)
{
	PdDynXml *x = user_data;
	PdDynXmlFrame *f = g_ptr_array_steal_index(x->stack, x->stack->len - 1);
	g_autofree gchar *text = g_strstrip(g_strdup(f->text->str));
	JsonNode *value;

	if (f->obj != NULL) {
		if (text[0] != '\0')
			json_object_set_string_member(f->obj, "#text", text);
		value = json_node_new(JSON_NODE_OBJECT);
		json_node_set_object(value, f->obj);
	} else if (text[0] != '\0') {
		value = json_node_init_string(json_node_alloc(), text);
	} else {
		value = json_node_new(JSON_NODE_NULL);
	}
	if (x->stack->len == 0) {
		JsonObject *top = json_object_new();
		json_object_set_member(top, f->tag, value);
		g_clear_pointer(&x->root, json_node_unref);
		x->root = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(x->root, top);
	} else {
		PdDynXmlFrame *parent = g_ptr_array_index(x->stack, x->stack->len - 1);
		if (parent->obj == NULL)
			parent->obj = json_object_new();
		pd_dyn_xml_add_child(parent->obj, f->tag, value);
	}
	pd_dyn_xml_frame_free(f);
}

static void
pd_dyn_xml_text(GMarkupParseContext *ctx,
		const gchar *text,
		gsize len,
		gpointer user_data,
		GError **error)
{
	PdDynXml *x = user_data;

	if (x->stack->len > 0)
		g_string_append_len(
		  ((PdDynXmlFrame *)g_ptr_array_index(x->stack, x->stack->len - 1))->text,
		  text,
		  len);
}

static JsonNode *
pd_dyn_parse_xml(const gchar *body, gsize len, GError **error)
{
	static const GMarkupParser parser = { pd_dyn_xml_start, pd_dyn_xml_end, pd_dyn_xml_text };
	PdDynXml x = { g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_xml_frame_free),
		       NULL };
	g_autoptr(GMarkupParseContext) ctx =
	  g_markup_parse_context_new(&parser, G_MARKUP_TREAT_CDATA_AS_TEXT, &x, NULL);
	gboolean ok = g_markup_parse_context_parse(ctx, body, (gssize)len, error) &&
		      g_markup_parse_context_end_parse(ctx, error);

	g_ptr_array_unref(x.stack);
	if (ok && x.root != NULL)
		return x.root;
	if (ok)
		g_set_error_literal(error, PD_DYN_RESPONSE_ERROR, 0, "no XML element");
	g_clear_pointer(&x.root, json_node_unref);
	return NULL;
}

JsonNode *
pd_dyn_response_parse(GArray *handlers, const gchar *body, gsize len, GError **error)
{
	g_autoptr(GString) failures = g_string_new(NULL);

	for (guint i = 0; i < handlers->len; i++) {
		PdDynHandler h = g_array_index(handlers, PdDynHandler, i);
		g_autoptr(GError) local = NULL;
		JsonNode *node = NULL;
		if (h == PD_DYN_HANDLER_TEXT)
			return pd_dyn_parse_text(body, len);
		node = h == PD_DYN_HANDLER_JSON ? pd_dyn_parse_json(body, len, &local)
						: pd_dyn_parse_xml(body, len, &local);
		if (node != NULL)
			return node;
		g_string_append_printf(failures,
				       "%s%s: %s",
				       failures->len > 0 ? "; " : "",
				       h == PD_DYN_HANDLER_JSON ? "json" : "xml",
				       local->message);
	}
	g_set_error(error,
		    PD_DYN_RESPONSE_ERROR,
		    0,
		    "no response handler took the response (%s)",
		    failures->str);
	return NULL;
}
