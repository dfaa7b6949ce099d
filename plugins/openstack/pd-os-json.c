/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include <string.h>

#include "pd-os-json.h"
#include "pd-metadata-json.h"

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
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
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

void
pd_os_json_add_node(PdMetadataBuilder *b, const gchar *key, JsonNode *node)
{
	pd_metadata_builder_add_json_node(b, key, node);
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
