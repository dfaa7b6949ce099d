/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <string.h>

#include "pd-metadata-json.h"

#include "pd-dyn-extract.h"
#include "pd-dyn-value.h"

#define PD_DYN_EXTRACT_ERROR (pd_dyn_extract_error_quark())
GQuark
pd_dyn_extract_error_quark(void);
G_DEFINE_QUARK(pd - dyn - extract - error - quark, pd_dyn_extract_error)

/* --- entries and paging --- */

JsonArray *
pd_dyn_extract_entries(PdDynDef *def, JsonNode *response, GError **error)
{
	g_autoptr(JsonNode) value = NULL;
	JsonArray *out;

	if (JSON_NODE_HOLDS_ARRAY(response))
		return json_array_ref(json_node_get_array(response));
	if (!JSON_NODE_HOLDS_OBJECT(response)) {
		g_set_error(error,
			    PD_DYN_EXTRACT_ERROR,
			    0,
			    "the response is a %s, not a list or an object",
			    pd_dyn_value_type_name(response));
		return NULL;
	}
	if (json_object_get_size(json_node_get_object(response)) == 0)
		return json_array_new();
	if (def->entries_attr != NULL) {
		value = pd_dyn_attr_eval(def->entries_attr, response, error);
		if (value == NULL) {
			g_prefix_error(error, "response_entries_key ");
			return NULL;
		}
	} else {
		/* the first member holds the entries */
		g_autoptr(GList) members = json_object_get_members(json_node_get_object(response));
		value = json_node_copy(
		  json_object_get_member(json_node_get_object(response), members->data));
	}
	if (JSON_NODE_HOLDS_ARRAY(value))
		return json_array_ref(json_node_get_array(value));
	if (JSON_NODE_HOLDS_OBJECT(value)) {
		out = json_array_new();
		json_array_add_element(out, g_steal_pointer(&value));
		return out;
	}
	g_set_error(error,
		    PD_DYN_EXTRACT_ERROR,
		    0,
		    "the entries are a %s, not a list or an object",
		    pd_dyn_value_type_name(value));
	return NULL;
}

gchar *
pd_dyn_extract_next(PdDynDef *def, JsonNode *response)
{
	g_autoptr(JsonNode) next = NULL;
	g_autoptr(GError) error = NULL;

	if (def->next_attr == NULL || !JSON_NODE_HOLDS_OBJECT(response))
		return NULL;
	next = pd_dyn_attr_eval(def->next_attr, response, &error);
	if (next == NULL) {
		g_debug("%s: no next page: %s", def->name, error->message);
		return NULL;
	}
	if (pd_dyn_value_kind(next) != PD_DYN_STR || !pd_dyn_value_truthy(next))
		return NULL;
	return g_strdup(json_node_get_string(next));
}

/* --- one entry --- */

static gboolean
pd_dyn_in_list(JsonArray *list, JsonNode *value)
{
	for (guint i = 0; list != NULL && i < json_array_get_length(list); i++) {
		if (pd_dyn_value_equal(json_array_get_element(list, i), value))
			return TRUE;
	}
	return FALSE;
}

/* user_id_attribute and friends write their result into the entry, so
 * metadata fields see it too */
static gboolean
pd_dyn_override_id(JsonObject *entry,
		   JsonNode *orig,
		   PdDynAttr *attr,
		   const gchar *field,
		   GError **error)
{
	JsonNode *v;

	if (attr == NULL || strcmp(pd_dyn_attr_get_text(attr), field) == 0)
		return TRUE;
	v = pd_dyn_attr_eval(attr, orig, error);
	if (v == NULL)
		return FALSE;
	json_object_set_member(entry, field, v);
	return TRUE;
}

static JsonNode *
pd_dyn_prepare_entry(PdDynDef *def, JsonNode *entry, GError **error)
{
	JsonObject *copy;
	JsonNode *out;

	if (!JSON_NODE_HOLDS_OBJECT(entry)) {
		g_set_error(error,
			    PD_DYN_EXTRACT_ERROR,
			    0,
			    "an entry is a %s, not an object",
			    pd_dyn_value_type_name(entry));
		return NULL;
	}
	copy = json_object_new();
	{
		JsonObject *src = json_node_get_object(entry);
		g_autoptr(GList) members = json_object_get_members(src);
		for (GList *l = members; l != NULL; l = l->next)
			json_object_set_member(
			  copy, l->data, json_node_copy(json_object_get_member(src, l->data)));
	}
	out = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(out, copy);
	if (!pd_dyn_override_id(copy, entry, def->user_id_attr, "user_id", error) ||
	    !pd_dyn_override_id(copy, entry, def->project_id_attr, "project_id", error) ||
	    !pd_dyn_override_id(copy, entry, def->resource_id_attr, "id", error)) {
		json_node_unref(out);
		return NULL;
	}
	return out;
}

static gchar *
pd_dyn_id_text(JsonObject *entry, const gchar *field)
{
	JsonNode *v = json_object_get_member(entry, field);

	if (v == NULL || pd_dyn_value_kind(v) == PD_DYN_NONE)
		return NULL;
	return pd_dyn_value_to_str(v);
}

static void
pd_dyn_md_item_clear(gpointer data)
{
	PdDynMdItem *item = data;
	g_free(item->key);
	json_node_unref(item->value);
}

/* metadata[key] = value, keeping the position of an existing key */
static void
pd_dyn_md_set(GArray *md, const gchar *key, JsonNode *value)
{
	PdDynMdItem item;

	for (guint i = 0; i < md->len; i++) {
		PdDynMdItem *it = &g_array_index(md, PdDynMdItem, i);
		if (strcmp(it->key, key) == 0) {
			json_node_unref(it->value);
			it->value = value;
			return;
		}
	}
	item.key = g_strdup(key);
	item.value = value;
	g_array_append_val(md, item);
}

static void
pd_dyn_md_map(PdDynDef *def, GArray *md)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < md->len; i++)
		g_ptr_array_add(keys, g_strdup(g_array_index(md, PdDynMdItem, i).key));
	for (guint i = 0; i < keys->len; i++) {
		const gchar *k = g_ptr_array_index(keys, i);
		for (guint j = 0; j + 1 < def->metadata_mapping->len; j += 2) {
			JsonNode *v = NULL;
			if (strcmp(g_ptr_array_index(def->metadata_mapping, j), k) != 0)
				continue;
			for (guint n = 0; n < md->len && v == NULL; n++) {
				if (strcmp(g_array_index(md, PdDynMdItem, n).key, k) == 0)
					v = g_array_index(md, PdDynMdItem, n).value;
			}
			if (v == NULL)
				break;
			pd_dyn_md_set(
			  md, g_ptr_array_index(def->metadata_mapping, j + 1), json_node_copy(v));
			if (!def->preserve_mapped) {
				for (guint n = 0; n < md->len; n++) {
					if (strcmp(g_array_index(md, PdDynMdItem, n).key, k) == 0) {
						g_array_remove_index(md, n);
						break;
					}
				}
			}
			break;
		}
	}
}

static GArray *
pd_dyn_build_metadata(PdDynDef *def, JsonNode *entry, GError **error)
{
	g_autoptr(GArray) md = g_array_new(FALSE, FALSE, sizeof(PdDynMdItem));

	g_array_set_clear_func(md, pd_dyn_md_item_clear);
	for (guint i = 0; i < def->metadata_fields->len; i++) {
		PdDynAttr *attr = g_ptr_array_index(def->metadata_fields, i);
		JsonNode *v = pd_dyn_attr_eval(attr, entry, error);
		if (v == NULL) {
			g_prefix_error(error, "metadata field ");
			return NULL;
		}
		pd_dyn_md_set(md, pd_dyn_attr_get_text(attr), v);
	}
	pd_dyn_md_map(def, md);
	return g_steal_pointer(&md);
}

static gboolean
pd_dyn_set_volume(PdPollContext *ctx, PdSample *sample, JsonNode *value, GError **error)
{
	switch (pd_dyn_value_kind(value)) {
		case PD_DYN_NONE:
			pd_sample_set_null(sample);
			return TRUE;
		case PD_DYN_BOOL:
			pd_sample_set_int(sample, json_node_get_boolean(value) ? 1 : 0);
			return TRUE;
		case PD_DYN_INT:
			pd_sample_set_int(sample, json_node_get_int(value));
			return TRUE;
		case PD_DYN_FLOAT:
			pd_sample_set_double(sample, json_node_get_double(value));
			return TRUE;
		case PD_DYN_STR:
			/* Ceilometer sends the text as it is, e.g. "1" from a value_mapping */
			pd_sample_set_string(sample,
					     pd_sample_batch_intern(pd_poll_context_get_batch(ctx),
								    json_node_get_string(value)));
			return TRUE;
		default:
			g_set_error(error,
				    PD_DYN_EXTRACT_ERROR,
				    0,
				    "the value is a %s, not a number or a string",
				    pd_dyn_value_type_name(value));
			return FALSE;
	}
}

void
pd_dyn_extract_pending_free(PdDynPending *p)
{
	g_free(p->name);
	json_node_unref(p->value);
	json_node_unref(p->entry);
	g_array_unref(p->md);
	g_free(p);
}

static gboolean
pd_dyn_emit(PdDynDef *def,
	    const gchar *name,
	    JsonNode *entry,
	    JsonNode *value,
	    GPtrArray *out,
	    GError **error)
{
	GArray *md = pd_dyn_build_metadata(def, entry, error);
	PdDynPending *p;

	if (md == NULL)
		return FALSE;
	p = g_new0(PdDynPending, 1);
	p->name = g_strdup(name);
	p->value = json_node_copy(value);
	p->entry = json_node_ref(entry);
	p->md = md;
	g_ptr_array_add(out, p);
	return TRUE;
}

gboolean
pd_dyn_extract_pending_emit(PdDynDef *def, PdDynPending *p, PdPollContext *ctx, GError **error)
{
	JsonObject *o = json_node_get_object(p->entry);
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) md = NULL;
	g_autofree gchar *rid = pd_dyn_id_text(o, "id");
	g_autofree gchar *uid = pd_dyn_id_text(o, "user_id");
	g_autofree gchar *pid = pd_dyn_id_text(o, "project_id");
	PdSample *sample;

	for (guint i = 0; i < p->md->len; i++) {
		PdDynMdItem *it = &g_array_index(p->md, PdDynMdItem, i);
		pd_metadata_builder_add_json_node(b, it->key, it->value);
	}
	md = pd_metadata_builder_end(b);
	sample =
	  pd_poll_context_add_sample(ctx, p->name, def->sample_type, def->unit, rid, uid, pid, md);
	return pd_dyn_set_volume(ctx, sample, p->value, error);
}

static JsonObject *
pd_dyn_md_object(GArray *md)
{
	JsonObject *o = json_object_new();

	for (guint i = 0; i < md->len; i++) {
		PdDynMdItem *it = &g_array_index(md, PdDynMdItem, i);
		json_object_set_member(o, it->key, json_node_copy(it->value));
	}
	return o;
}

JsonNode *
pd_dyn_extract_pending_sample_node(PdDynPending *p)
{
	JsonObject *src = json_node_get_object(p->entry);
	JsonObject *o = json_object_new();
	g_autoptr(GList) members = json_object_get_members(src);
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	for (GList *l = members; l != NULL; l = l->next)
		json_object_set_member(
		  o, l->data, json_node_copy(json_object_get_member(src, l->data)));
	json_object_set_object_member(o, "metadata", pd_dyn_md_object(p->md));
	json_object_set_member(o, "value", json_node_copy(p->value));
	json_node_take_object(node, o);
	return node;
}

void
pd_dyn_extract_pending_capture(PdDynPending *sub, JsonObject *captured, JsonObject *by_name)
{
	JsonObject *entry = json_object_new();

	json_object_set_member(captured, sub->name, json_node_copy(sub->value));
	for (guint i = 0; i < sub->md->len; i++) {
		PdDynMdItem *it = &g_array_index(sub->md, PdDynMdItem, i);
		/* a None never overwrites what an earlier field captured */
		if (pd_dyn_value_kind(it->value) == PD_DYN_NONE &&
		    json_object_has_member(captured, it->key))
			continue;
		json_object_set_member(captured, it->key, json_node_copy(it->value));
	}
	json_object_set_member(entry, "value", json_node_copy(sub->value));
	json_object_set_object_member(entry, "metadata", pd_dyn_md_object(sub->md));
	json_object_set_object_member(by_name, sub->name, entry);
}

void
pd_dyn_extract_pending_merge(PdDynPending *p, JsonObject *captured)
{
	g_autoptr(GList) members = json_object_get_members(captured);

	for (GList *l = members; l != NULL; l = l->next) {
		gboolean present = FALSE;
		for (guint i = 0; i < p->md->len && !present; i++)
			present = strcmp(g_array_index(p->md, PdDynMdItem, i).key, l->data) == 0;
		if (present) {
			g_debug("%s: extra metadata %s is already in the metadata, ignored",
				p->name,
				(const gchar *)l->data);
			continue;
		}
		pd_dyn_md_set(
		  p->md, l->data, json_node_copy(json_object_get_member(captured, l->data)));
	}
}

static gboolean
pd_dyn_skip_one(JsonNode *skip, JsonNode *sample)
{
	JsonObject *so, *to;
	g_autoptr(GList) keys = NULL;

	if (pd_dyn_value_equal(skip, sample))
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(skip) || !JSON_NODE_HOLDS_OBJECT(sample))
		return FALSE;
	so = json_node_get_object(skip);
	to = json_node_get_object(sample);
	keys = json_object_get_members(so);
	for (GList *l = keys; l != NULL; l = l->next) {
		if (!json_object_has_member(to, l->data) ||
		    !pd_dyn_skip_one(json_object_get_member(so, l->data),
				     json_object_get_member(to, l->data)))
			return FALSE;
	}
	return TRUE;
}

gboolean
pd_dyn_extract_skip_matches(JsonArray *skips, JsonNode *sample)
{
	for (guint i = 0; skips != NULL && i < json_array_get_length(skips); i++) {
		JsonNode *skip = json_array_get_element(skips, i);
		/* an empty mapping (the default [{}]) matches nothing */
		if (!pd_dyn_value_truthy(skip))
			continue;
		if (pd_dyn_skip_one(skip, sample))
			return TRUE;
	}
	return FALSE;
}

static JsonNode *
pd_dyn_map_value(PdDynDef *def, JsonNode *value)
{
	if (def->value_mapping->len == 0)
		return value;
	for (guint i = 0; i + 1 < def->value_mapping->len; i += 2) {
		if (pd_dyn_value_equal(g_ptr_array_index(def->value_mapping, i), value)) {
			json_node_unref(value);
			return json_node_copy(g_ptr_array_index(def->value_mapping, i + 1));
		}
	}
	{
		g_autofree gchar *text = pd_dyn_value_repr(value);
		g_debug(
		  "%s: value %s is not in value_mapping, using default_value", def->name, text);
	}
	json_node_unref(value);
	return json_node_copy(def->default_value);
}

static gboolean
pd_dyn_extract_multi(PdDynDef *def, JsonNode *entry, GPtrArray *out, GError **error)
{
	g_autoptr(JsonNode) list = pd_dyn_attr_eval(def->list_attr, entry, error);
	JsonArray *items;

	if (list == NULL)
		return FALSE;
	if (!JSON_NODE_HOLDS_ARRAY(list)) {
		g_set_error(error,
			    PD_DYN_EXTRACT_ERROR,
			    0,
			    "multi metric: %s is a %s, not a list",
			    pd_dyn_attr_get_text(def->list_attr),
			    pd_dyn_value_type_name(list));
		return FALSE;
	}
	items = json_node_get_array(list);
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonNode *sub = json_array_get_element(items, i);
		JsonNode *sub_name =
		  JSON_NODE_HOLDS_OBJECT(sub)
		    ? json_object_get_member(json_node_get_object(sub), def->sub_name_key)
		    : NULL;
		g_autoptr(JsonNode) value = NULL;
		g_autoptr(GString) name = NULL;
		if (sub_name == NULL || pd_dyn_value_kind(sub_name) != PD_DYN_STR) {
			g_set_error(error,
				    PD_DYN_EXTRACT_ERROR,
				    0,
				    "multi metric: an item has no string field '%s'",
				    def->sub_name_key);
			return FALSE;
		}
		if ((value = pd_dyn_attr_eval(def->value_attr, sub, error)) == NULL)
			return FALSE;
		if (pd_dyn_in_list(def->skip_values, value) ||
		    pd_dyn_in_list(def->skip_values, sub_name))
			continue;
		name = g_string_new(def->name);
		g_string_replace(name, def->placeholder, json_node_get_string(sub_name), 0);
		if (!pd_dyn_emit(def, name->str, entry, value, out, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
pd_dyn_extract_pending(PdDynDef *def, JsonNode *raw, GPtrArray *out, GError **error)
{
	g_autoptr(JsonNode) entry = pd_dyn_prepare_entry(def, raw, error);
	JsonNode *value;

	if (entry == NULL)
		return FALSE;
	if (def->multi)
		return pd_dyn_extract_multi(def, entry, out, error);
	value = pd_dyn_attr_eval(def->value_attr, entry, error);
	if (value == NULL)
		return FALSE;
	if (pd_dyn_in_list(def->skip_values, value)) {
		json_node_unref(value);
		return TRUE;
	}
	value = pd_dyn_map_value(def, value);
	{
		gboolean ok = pd_dyn_emit(def, def->name, entry, value, out, error);
		json_node_unref(value);
		return ok;
	}
}
