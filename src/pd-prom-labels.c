/*
 * polld - Prometheus names and labels of a sample, as Ceilometer's exporter
 * derives them
 *
 * Ceilometer's exporter labels a sample with: <first name part>=<third name
 * part, or the resource id>, publisher, type (second name part), counter,
 * project, project_name, user, user_name, unit, resource (each only when
 * set), then, from non-empty resource metadata, vm_instance (host),
 * resource_name (display_name[:name] or name), server_group
 * (user_metadata.server_group or "none"), state (alarm_state), the load
 * balancer's availability_zone, the volume service's binary/zone/status,
 * flavor_id and flavor_name. Values are Python's str() of the JSON value.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPromLabels"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "pd-prom-labels.h"
#include "pd-pytext-private.h"

static gboolean
metric_char_ok(gchar c, gboolean first)
{
	if (g_ascii_isalpha(c) || c == '_' || c == ':')
		return TRUE;
	return !first && g_ascii_isdigit(c);
}

gchar *
pd_prom_labels_metric_name(const gchar *meter)
{
	GString *out = g_string_new("ceilometer_");

	for (const gchar *p = meter; *p != '\0'; p++)
		g_string_append_c(out, metric_char_ok(*p, FALSE) ? *p : '_');
	return g_string_free(out, FALSE);
}

void
pd_prom_labels_append_value(GString *out, const gchar *value)
{
	for (const gchar *p = value; *p != '\0'; p++) {
		switch (*p) {
			case '\\':
				g_string_append(out, "\\\\");
				break;
			case '"':
				g_string_append(out, "\\\"");
				break;
			case '\n':
				g_string_append(out, "\\n");
				break;
			default:
				g_string_append_c(out, *p);
		}
	}
}

/* Python's truth value of a JSON value */
static gboolean
node_truthy(JsonNode *node)
{
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return FALSE;
	if (JSON_NODE_HOLDS_OBJECT(node))
		return json_object_get_size(json_node_get_object(node)) > 0;
	if (JSON_NODE_HOLDS_ARRAY(node))
		return json_array_get_length(json_node_get_array(node)) > 0;
	switch (json_node_get_value_type(node)) {
		case G_TYPE_STRING:
			return json_node_get_string(node)[0] != '\0';
		case G_TYPE_INT64:
			return json_node_get_int(node) != 0;
		case G_TYPE_DOUBLE:
			return json_node_get_double(node) != 0;
		case G_TYPE_BOOLEAN:
			return json_node_get_boolean(node);
		default:
			return TRUE;
	}
}

/* Python's str() of a JSON value; containers as their JSON text */
static gchar *
node_str(JsonNode *node)
{
	gchar buf[32];

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return g_strdup("None");
	if (!JSON_NODE_HOLDS_VALUE(node))
		return json_to_string(node, FALSE);
	switch (json_node_get_value_type(node)) {
		case G_TYPE_STRING:
			return g_strdup(json_node_get_string(node));
		case G_TYPE_INT64:
			return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
		case G_TYPE_DOUBLE:
			pd_pytext_format_double(json_node_get_double(node), buf);
			return g_strdup(buf);
		case G_TYPE_BOOLEAN:
			return g_strdup(json_node_get_boolean(node) ? "True" : "False");
		default:
			return json_to_string(node, FALSE);
	}
}

static void
append_label(GString *out, const gchar *name, const gchar *value)
{
	g_string_append_printf(out, ",%s=\"", name);
	pd_prom_labels_append_value(out, value);
	g_string_append_c(out, '"');
}

static void
append_node_label(GString *out, const gchar *name, JsonNode *node)
{
	g_autofree gchar *value = node_str(node);

	append_label(out, name, value);
}

/* value of @key or "" when it is missing or false, as "x.get(k) or ''" */
static void
append_or_empty(GString *out, const gchar *name, JsonObject *obj, const gchar *key)
{
	JsonNode *node = json_object_get_member(obj, key);

	if (node_truthy(node))
		append_node_label(out, name, node);
	else
		append_label(out, name, "");
}

static void
append_resource_name(GString *out, JsonObject *md)
{
	JsonNode *display = json_object_get_member(md, "display_name");
	JsonNode *name = json_object_get_member(md, "name");

	if (node_truthy(display)) {
		g_autofree gchar *value = node_str(display);
		if (node_truthy(name)) {
			g_autofree gchar *n = node_str(name);
			g_autofree gchar *both = g_strconcat(value, ":", n, NULL);
			append_label(out, "resource_name", both);
		} else {
			append_label(out, "resource_name", value);
		}
	} else if (node_truthy(name)) {
		append_node_label(out, "resource_name", name);
	}
}

static void
append_server_group(GString *out, JsonObject *md)
{
	JsonNode *um = json_object_get_member(md, "user_metadata");
	JsonNode *group = NULL;

	if (um != NULL && JSON_NODE_HOLDS_OBJECT(um))
		group = json_object_get_member(json_node_get_object(um), "server_group");
	if (node_truthy(group))
		append_node_label(out, "server_group", group);
	else
		append_label(out, "server_group", "none");
}

static void
append_flavor(GString *out, JsonObject *md)
{
	JsonNode *flavor = json_object_get_member(md, "flavor");
	JsonObject *f;

	if (!node_truthy(flavor) || !JSON_NODE_HOLDS_OBJECT(flavor))
		return;
	f = json_node_get_object(flavor);
	if (node_truthy(json_object_get_member(f, "id")))
		append_node_label(out, "flavor_id", json_object_get_member(f, "id"));
	if (node_truthy(json_object_get_member(f, "name")))
		append_node_label(out, "flavor_name", json_object_get_member(f, "name"));
}

static void
append_metadata_labels(GString *out, JsonObject *md, const gchar *meter)
{
	JsonNode *host = json_object_get_member(md, "host");
	JsonNode *state = json_object_get_member(md, "alarm_state");

	if (node_truthy(host))
		append_node_label(out, "vm_instance", host);
	append_resource_name(out, md);
	append_server_group(out, md);
	/* Ceilometer compares with '': a null state is the label "None" */
	if (state != NULL &&
	    !(JSON_NODE_HOLDS_VALUE(state) && json_node_get_value_type(state) == G_TYPE_STRING &&
	      json_node_get_string(state)[0] == '\0'))
		append_node_label(out, "state", state);
	if (g_str_has_prefix(meter, "loadbalancer"))
		append_or_empty(out, "availability_zone", md, "availability_zone");
	if (strcmp(meter, "volume.service.health") == 0) {
		append_or_empty(out, "binary", md, "binary");
		append_or_empty(out, "zone", md, "zone");
		append_or_empty(out, "status", md, "status");
	}
	append_flavor(out, md);
}

gchar *
pd_prom_labels_from_metadata(PdMetadata *md, const gchar *meter)
{
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GString) json = NULL;
	GString *out;
	JsonNode *root;

	if (md == NULL)
		return g_strdup("");
	json = g_string_new(NULL);
	pd_metadata_append_json(md, json);
	parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(parser, json->str, (gssize)json->len, NULL))
		return g_strdup("");
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root) ||
	    json_object_get_size(json_node_get_object(root)) == 0)
		return g_strdup("");
	out = g_string_new(NULL);
	append_metadata_labels(out, json_node_get_object(root), meter);
	return g_string_free(out, FALSE);
}
