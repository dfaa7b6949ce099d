/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include "config.h"

#include <string.h>

#include "pd-os-json.h"

static JsonNode *
pd_os_json_get_node(JsonObject *obj, const gchar *key)
{
	if (obj == NULL || key == NULL)
		return NULL;
	return json_object_get_member(obj, key);
}

const gchar *
pd_os_json_get_string(JsonObject *obj, const gchar *key)
{
	JsonNode *node = pd_os_json_get_node(obj, key);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

JsonObject *
pd_os_json_get_object(JsonObject *obj, const gchar *key)
{
	JsonNode *node = pd_os_json_get_node(obj, key);
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return NULL;
	return json_node_get_object(node);
}

JsonArray *
pd_os_json_get_array(JsonObject *obj, const gchar *key)
{
	JsonNode *node = pd_os_json_get_node(obj, key);
	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
		return NULL;
	return json_node_get_array(node);
}

gboolean
pd_os_json_get_number(JsonObject *obj, const gchar *key, PdOsNumber *out)
{
	JsonNode *node = pd_os_json_get_node(obj, key);
	GType type;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return FALSE;
	type = json_node_get_value_type(node);
	if (type == G_TYPE_INT64) {
		out->is_double = FALSE;
		out->i = json_node_get_int(node);
		out->d = (gdouble)out->i;
		return TRUE;
	}
	if (type == G_TYPE_DOUBLE) {
		out->is_double = TRUE;
		out->d = json_node_get_double(node);
		out->i = (gint64)out->d;
		return TRUE;
	}
	return FALSE;
}

gboolean
pd_os_json_get_truthy(JsonObject *obj, const gchar *key)
{
	JsonNode *node = pd_os_json_get_node(obj, key);
	GType type;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return node != NULL && !JSON_NODE_HOLDS_NULL(node);
	type = json_node_get_value_type(node);
	if (type == G_TYPE_BOOLEAN)
		return json_node_get_boolean(node);
	if (type == G_TYPE_INT64)
		return json_node_get_int(node) != 0;
	if (type == G_TYPE_DOUBLE)
		return json_node_get_double(node) != 0.0;
	if (type == G_TYPE_STRING)
		return json_node_get_string(node)[0] != '\0';
	return FALSE;
}

gdouble
pd_os_number_to_double(const PdOsNumber *num)
{
	return num->is_double ? num->d : (gdouble)num->i;
}

void
pd_os_number_set_sample(const PdOsNumber *num, PdSample *sample)
{
	if (num->is_double)
		pd_sample_set_double(sample, num->d);
	else
		pd_sample_set_int(sample, num->i);
}

/* the SDK's lists hold strings only: other items go in as their JSON text */
static void
pd_os_json_add_array(PdMetadataBuilder *b, const gchar *key, JsonArray *array)
{
	guint n = json_array_get_length(array);
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < n; i++) {
		JsonNode *item = json_array_get_element(array, i);
		if (JSON_NODE_HOLDS_VALUE(item) && json_node_get_value_type(item) == G_TYPE_STRING)
			g_ptr_array_add(items, g_strdup(json_node_get_string(item)));
		else
			g_ptr_array_add(items, json_to_string(item, FALSE));
	}
	g_ptr_array_add(items, NULL);
	pd_metadata_builder_add_string_list(b, key, (const gchar *const *)items->pdata);
}

static void
pd_os_json_add_object(PdMetadataBuilder *b, const gchar *key, JsonObject *obj)
{
	g_autoptr(GList) members = json_object_get_members(obj);

	pd_metadata_builder_begin_object(b, key);
	for (GList *l = members; l != NULL; l = l->next)
		pd_os_json_add_node(b, l->data, json_object_get_member(obj, l->data));
	pd_metadata_builder_end_object(b);
}

void
pd_os_json_add_node(PdMetadataBuilder *b, const gchar *key, JsonNode *node)
{
	GType type;

	if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
		pd_metadata_builder_add_null(b, key);
		return;
	}
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		pd_os_json_add_object(b, key, json_node_get_object(node));
		return;
	}
	if (JSON_NODE_HOLDS_ARRAY(node)) {
		pd_os_json_add_array(b, key, json_node_get_array(node));
		return;
	}
	type = json_node_get_value_type(node);
	if (type == G_TYPE_INT64)
		pd_metadata_builder_add_int(b, key, json_node_get_int(node));
	else if (type == G_TYPE_DOUBLE)
		pd_metadata_builder_add_double(b, key, json_node_get_double(node));
	else if (type == G_TYPE_BOOLEAN)
		pd_metadata_builder_add_bool(b, key, json_node_get_boolean(node));
	else
		pd_metadata_builder_add_string(b, key, json_node_get_string(node));
}

void
pd_os_json_copy_member(PdMetadataBuilder *b, const gchar *name, JsonObject *obj, const gchar *key)
{
	pd_os_json_add_node(b, name, pd_os_json_get_node(obj, key));
}

gchar *
pd_os_json_describe(JsonObject *obj)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autofree gchar *text = NULL;

	json_node_set_object(node, obj);
	text = json_to_string(node, FALSE);
	if (strlen(text) > 200)
		strcpy(text + 197, "...");
	return g_steal_pointer(&text);
}
