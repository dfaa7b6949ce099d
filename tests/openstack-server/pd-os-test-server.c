/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdOsTestServer"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd-os-test-server.h"
#include "pd-test-http.h"

struct _PdOsTestServer {
	GObject parent_instance;
	SoupServer *server;
	JsonNode *fixture;
	guint rgw_checked; /* RGW signatures checked */
	gchar *url;
	guint port;
	GHashTable *faults;  /* service -> PdOsFault */
	GHashTable *counts;  /* service -> count */
	GHashTable *tokens;  /* token -> project id */
	GHashTable *removed; /* service types left out of catalogs */
	GPtrArray *hung;     /* SoupServerMessage paused forever */
	guint delay_ms;
	gint expire_after; /* -1: never */
	guint auths;
	guint64 serial;
};

G_DEFINE_TYPE(PdOsTestServer, pd_os_test_server, G_TYPE_OBJECT)

static const struct {
	const gchar *name;
	PdOsFault fault;
} pd_os_fault_names[] = {
	{ "none", PD_OS_FAULT_NONE },
	{ "500", PD_OS_FAULT_ERROR },
	{ "error", PD_OS_FAULT_ERROR },
	{ "slow", PD_OS_FAULT_SLOW },
	{ "hang", PD_OS_FAULT_HANG },
	{ "malformed", PD_OS_FAULT_MALFORMED },
	{ "wrong-types", PD_OS_FAULT_WRONG_TYPES },
	{ "404", PD_OS_FAULT_NOT_FOUND },
	{ "403", PD_OS_FAULT_FORBIDDEN },
};

gboolean
pd_os_test_server_fault_from_string(const gchar *text, PdOsFault *fault)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_os_fault_names); i++) {
		if (g_strcmp0(pd_os_fault_names[i].name, text) == 0) {
			*fault = pd_os_fault_names[i].fault;
			return TRUE;
		}
	}
	return FALSE;
}

/* --- fixture access --- */

static JsonObject *
pd_os_fixture(PdOsTestServer *self)
{
	return json_node_get_object(self->fixture);
}

static JsonArray *
pd_os_fixture_array(PdOsTestServer *self, const gchar *key)
{
	JsonObject *root = pd_os_fixture(self);
	if (!json_object_has_member(root, key))
		return NULL;
	return json_object_get_array_member(root, key);
}

static const gchar *
pd_os_obj_string(JsonObject *obj, const gchar *key)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, key) : NULL;
	if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static JsonObject *
pd_os_find(JsonArray *array, const gchar *key, const gchar *value)
{
	for (guint i = 0; array != NULL && value != NULL && i < json_array_get_length(array); i++) {
		JsonObject *obj = json_array_get_object_element(array, i);
		if (g_strcmp0(pd_os_obj_string(obj, key), value) == 0)
			return obj;
	}
	return NULL;
}

/* json_node_init_object/array add a reference: these hand ours over */
static JsonNode *
pd_os_node_take_object(JsonObject *obj)
{
	JsonNode *node = json_node_init_object(json_node_alloc(), obj);
	json_object_unref(obj);
	return node;
}

static JsonNode *
pd_os_node_take_array(JsonArray *array)
{
	JsonNode *node = json_node_init_array(json_node_alloc(), array);
	json_array_unref(array);
	return node;
}

/* --- answers --- */

static void
pd_os_respond_text(SoupServerMessage *msg, guint status, const gchar *text)
{
	soup_server_message_set_status(msg, status, NULL);
	if (text != NULL)
		soup_server_message_set_response(
		  msg, "application/json", SOUP_MEMORY_COPY, text, strlen(text));
}

static void
pd_os_respond_node(SoupServerMessage *msg, guint status, JsonNode *node)
{
	g_autofree gchar *text = json_to_string(node, FALSE);
	pd_os_respond_text(msg, status, text);
}

static void
pd_os_respond_error(SoupServerMessage *msg, guint status, const gchar *message)
{
	g_autofree gchar *text =
	  g_strdup_printf("{\"error\": {\"code\": %u, \"message\": \"%s\"}}", status, message);
	pd_os_respond_text(msg, status, text);
}

/* --- faults that rewrite an answer --- */

static JsonNode *
pd_os_wrong_value(JsonNode *node)
{
	JsonNode *out = json_node_alloc();

	if (JSON_NODE_HOLDS_NULL(node)) {
		json_node_free(out);
		return pd_os_node_take_array(json_array_new());
	}
	if (JSON_NODE_HOLDS_OBJECT(node) || JSON_NODE_HOLDS_ARRAY(node))
		return json_node_init_int(out, 7);
	if (json_node_get_value_type(node) == G_TYPE_STRING)
		return json_node_init_int(out, 42);
	if (json_node_get_value_type(node) == G_TYPE_BOOLEAN)
		return json_node_init_string(out, "yes");
	return json_node_init_string(out, "many");
}

static void
pd_os_mangle_object(JsonObject *obj)
{
	g_autoptr(GList) members = json_object_get_members(obj);

	for (GList *l = members; l != NULL; l = l->next) {
		if (g_strcmp0(l->data, "id") == 0 || g_strcmp0(l->data, "name") == 0)
			continue;
		json_object_set_member(
		  obj, l->data, pd_os_wrong_value(json_object_get_member(obj, l->data)));
	}
}

/* every object in every list of the answer gets wrong types */
static void
pd_os_mangle(JsonNode *root)
{
	JsonObject *obj = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
	g_autoptr(GList) members = obj != NULL ? json_object_get_members(obj) : NULL;
	JsonArray *top = JSON_NODE_HOLDS_ARRAY(root) ? json_node_get_array(root) : NULL;

	for (guint i = 0; top != NULL && i < json_array_get_length(top); i++) {
		JsonNode *item = json_array_get_element(top, i);
		if (JSON_NODE_HOLDS_OBJECT(item))
			pd_os_mangle_object(json_node_get_object(item));
	}
	for (GList *l = members; l != NULL; l = l->next) {
		JsonNode *member = json_object_get_member(obj, l->data);
		if (JSON_NODE_HOLDS_ARRAY(member) && !g_str_has_suffix(l->data, "_links"))
			pd_os_mangle(member);
	}
}

/* --- Keystone --- */

static JsonNode *
pd_os_catalog(PdOsTestServer *self, const gchar *project_id)
{
	JsonArray *defs = pd_os_fixture_array(self, "catalog");
	JsonArray *out = json_array_new();
	const gchar *ifaces[] = { "public", "internal", "admin" };

	for (guint i = 0; defs != NULL && i < json_array_get_length(defs); i++) {
		JsonObject *def = json_array_get_object_element(defs, i);
		JsonObject *svc = json_object_new();
		JsonArray *eps = json_array_new();
		g_autoptr(GString) url = g_string_new(self->url);

		if (g_hash_table_contains(self->removed, pd_os_obj_string(def, "type"))) {
			json_object_unref(svc);
			json_array_unref(eps);
			continue;
		}
		g_string_append(url, pd_os_obj_string(def, "path"));
		g_string_replace(url, "{project_id}", project_id, 0);
		for (guint j = 0; j < G_N_ELEMENTS(ifaces); j++) {
			JsonObject *ep = json_object_new();
			json_object_set_string_member(ep, "id", ifaces[j]);
			json_object_set_string_member(ep, "interface", ifaces[j]);
			json_object_set_string_member(ep, "region", "RegionOne");
			json_object_set_string_member(ep, "region_id", "RegionOne");
			json_object_set_string_member(ep, "url", url->str);
			json_array_add_object_element(eps, ep);
		}
		json_object_set_string_member(svc, "type", pd_os_obj_string(def, "type"));
		json_object_set_string_member(svc, "name", pd_os_obj_string(def, "name"));
		json_object_set_array_member(svc, "endpoints", eps);
		json_array_add_object_element(out, svc);
	}
	return pd_os_node_take_array(out);
}

/* the user or project named in an auth request, by id or by name */
static JsonObject *
pd_os_auth_find(PdOsTestServer *self, const gchar *kind, JsonObject *ref)
{
	JsonArray *all = pd_os_fixture_array(self, kind);
	const gchar *id = pd_os_obj_string(ref, "id");

	if (id != NULL)
		return pd_os_find(all, "id", id);
	return pd_os_find(all, "name", pd_os_obj_string(ref, "name"));
}

static JsonObject *
pd_os_path_object(JsonNode *root, const gchar *const *path)
{
	JsonObject *obj =
	  root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;

	for (guint i = 0; obj != NULL && path[i] != NULL; i++) {
		JsonNode *node = json_object_get_member(obj, path[i]);
		obj =
		  node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	}
	return obj;
}

static void
pd_os_handle_auth(PdOsTestServer *self, SoupServerMessage *msg)
{
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	g_autoptr(JsonParser) parser = json_parser_new();
	const gchar *user_path[] = { "auth", "identity", "password", "user", NULL };
	const gchar *project_path[] = { "auth", "scope", "project", NULL };
	JsonObject *user_ref, *user, *project;
	g_autofree gchar *token = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GDateTime) expires = g_date_time_new_now_utc();
	g_autoptr(GDateTime) later = g_date_time_add_hours(expires, 1);
	g_autofree gchar *expires_text = g_date_time_format(later, "%Y-%m-%dT%H:%M:%S.000000Z");

	self->auths++;
	if (!json_parser_load_from_data(parser, body->data, body->length, NULL)) {
		pd_os_respond_error(msg, 400, "bad auth body");
		return;
	}
	user_ref = pd_os_path_object(json_parser_get_root(parser), user_path);
	user = pd_os_auth_find(self, "users", user_ref);
	project = pd_os_auth_find(
	  self, "projects", pd_os_path_object(json_parser_get_root(parser), project_path));
	if (user == NULL || g_strcmp0(pd_os_obj_string(user, "password"),
				      pd_os_obj_string(user_ref, "password")) != 0) {
		pd_os_respond_error(msg, 401, "The request you have made requires authentication.");
		return;
	}
	if (project == NULL) {
		pd_os_respond_error(msg, 401, "unknown project");
		return;
	}
	token = g_strdup_printf("tok-%" G_GUINT64_FORMAT, ++self->serial);
	g_hash_table_insert(
	  self->tokens, g_strdup(token), g_strdup(pd_os_obj_string(project, "id")));
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "token");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "expires_at");
	json_builder_add_string_value(b, expires_text);
	json_builder_set_member_name(b, "project");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, pd_os_obj_string(project, "id"));
	json_builder_end_object(b);
	json_builder_set_member_name(b, "catalog");
	json_builder_add_value(b, pd_os_catalog(self, pd_os_obj_string(project, "id")));
	json_builder_end_object(b);
	json_builder_end_object(b);
	soup_message_headers_replace(
	  soup_server_message_get_response_headers(msg), "X-Subject-Token", token);
	{
		g_autoptr(JsonNode) root = json_builder_get_root(b);
		pd_os_respond_node(msg, 201, root);
	}
}

/* --- collections with paging --- */

typedef enum {
	PD_OS_PAGING_NONE,
	PD_OS_PAGING_GLANCE,   /* "next": relative path */
	PD_OS_PAGING_LINKS,    /* "<key>_links": [{rel: next, href}] */
	PD_OS_PAGING_KEYSTONE, /* "links": {"next": href} */
} PdOsPaging;

typedef struct {
	const gchar *service;
	const gchar *suffix; /* of the path */
	const gchar *key;    /* answer collection and fixture key */
	PdOsPaging paging;
	const gchar *glance_path;
} PdOsRoute;

static const PdOsRoute pd_os_routes[] = {
	{ "image", "/v2/images", "images", PD_OS_PAGING_GLANCE, "/v2/images" },
	{ "volume", "/volumes/detail", "volumes", PD_OS_PAGING_LINKS },
	{ "volume", "/snapshots/detail", "snapshots", PD_OS_PAGING_LINKS },
	{ "volume", "/backups/detail", "backups", PD_OS_PAGING_LINKS },
	{ "volume", "/scheduler-stats/get_pools", "pools", PD_OS_PAGING_NONE },
	{ "network", "/v2.0/floatingips", "floatingips", PD_OS_PAGING_LINKS },
	{ "load-balancer", "/v2/lbaas/loadbalancers", "loadbalancers", PD_OS_PAGING_LINKS },
	{ "dns", "/v2/zones", "zones", PD_OS_PAGING_KEYSTONE },
	{ "share", "/shares/detail", "shares", PD_OS_PAGING_LINKS },
	{ "identity", "/v3/domains", "domains", PD_OS_PAGING_KEYSTONE },
	{ "identity", "/v3/projects", "projects", PD_OS_PAGING_KEYSTONE },
};

static gboolean
pd_os_item_matches(JsonObject *item, GHashTable *query)
{
	const gchar *domain = query != NULL ? g_hash_table_lookup(query, "domain_id") : NULL;
	const gchar *enabled = query != NULL ? g_hash_table_lookup(query, "enabled") : NULL;

	if (domain != NULL && g_strcmp0(pd_os_obj_string(item, "domain_id"), domain) != 0)
		return FALSE;
	if (enabled != NULL && g_ascii_strcasecmp(enabled, "true") == 0 &&
	    json_object_has_member(item, "enabled") &&
	    !json_object_get_boolean_member(item, "enabled"))
		return FALSE;
	return TRUE;
}

static gchar *
pd_os_next_link(PdOsTestServer *self,
		const PdOsRoute *route,
		const gchar *path,
		const gchar *marker)
{
	g_autofree gchar *escaped = g_uri_escape_string(marker, NULL, TRUE);

	if (route->paging == PD_OS_PAGING_GLANCE)
		return g_strdup_printf("%s?marker=%s", route->glance_path, escaped);
	return g_strdup_printf("%s%s?marker=%s", self->url, path, escaped);
}

static void
pd_os_add_paging(PdOsTestServer *self,
		 JsonObject *answer,
		 const PdOsRoute *route,
		 const gchar *path,
		 const gchar *next)
{
	g_autofree gchar *links_key = g_strdup_printf("%s_links", route->key);
	JsonArray *links;
	JsonObject *link;

	switch (route->paging) {
		case PD_OS_PAGING_GLANCE:
			if (next != NULL)
				json_object_set_string_member(answer, "next", next);
			break;
		case PD_OS_PAGING_LINKS:
			if (next == NULL)
				break;
			links = json_array_new();
			link = json_object_new();
			json_object_set_string_member(link, "rel", "next");
			json_object_set_string_member(link, "href", next);
			json_array_add_object_element(links, link);
			json_object_set_array_member(answer, links_key, links);
			break;
		case PD_OS_PAGING_KEYSTONE:
			link = json_object_new();
			if (next != NULL)
				json_object_set_string_member(link, "next", next);
			else
				json_object_set_null_member(link, "next");
			json_object_set_object_member(answer, "links", link);
			break;
		case PD_OS_PAGING_NONE:
			break;
	}
}

/* @all: the whole collection, paged by "id" markers */
static JsonNode *
pd_os_collection_of(PdOsTestServer *self,
		    const PdOsRoute *route,
		    const gchar *path,
		    GHashTable *query,
		    JsonArray *all)
{
	const gchar *marker = query != NULL ? g_hash_table_lookup(query, "marker") : NULL;
	gint64 page =
	  json_object_get_int_member_with_default(pd_os_fixture(self), "page_size", 1000);
	JsonArray *items = json_array_new();
	JsonObject *answer = json_object_new();
	g_autofree gchar *next = NULL;
	gboolean started = marker == NULL;
	const gchar *last = NULL;

	for (guint i = 0; all != NULL && i < json_array_get_length(all); i++) {
		JsonObject *item = json_array_get_object_element(all, i);
		if (!started) {
			started = g_strcmp0(pd_os_obj_string(item, "id"), marker) == 0;
			continue;
		}
		if (!pd_os_item_matches(item, query))
			continue;
		if (route->paging != PD_OS_PAGING_NONE &&
		    json_array_get_length(items) >= (guint)page) {
			next = pd_os_next_link(self, route, path, last);
			break;
		}
		json_array_add_element(items, json_node_copy(json_array_get_element(all, i)));
		last = pd_os_obj_string(item, "id");
	}
	json_object_set_array_member(answer, route->key, items);
	pd_os_add_paging(self, answer, route, path, next);
	return pd_os_node_take_object(answer);
}

static JsonNode *
pd_os_collection(PdOsTestServer *self, const PdOsRoute *route, const gchar *path, GHashTable *query)
{
	return pd_os_collection_of(self, route, path, query, pd_os_fixture_array(self, route->key));
}

/* --- Designate recordsets: fixture "recordsets": {zone id: [recordset...]} --- */

static const PdOsRoute pd_os_recordset_route = { "dns",
						 "/recordsets",
						 "recordsets",
						 PD_OS_PAGING_KEYSTONE };

/* the zone of /dns/v2/zones/<zone>/recordsets, or NULL */
static gchar *
pd_os_recordset_zone(const gchar *service, const gchar *path)
{
	const gchar *prefix = "/dns/v2/zones/";
	const gchar *zone = path + strlen(prefix);
	const gchar *slash;

	if (g_strcmp0(service, "dns") != 0 || !g_str_has_prefix(path, prefix))
		return NULL;
	slash = strchr(zone, '/');
	if (slash == NULL || slash == zone || g_strcmp0(slash, "/recordsets") != 0)
		return NULL;
	return g_strndup(zone, (gsize)(slash - zone));
}

static JsonNode *
pd_os_recordsets(PdOsTestServer *self, const gchar *zone, const gchar *path, GHashTable *query)
{
	JsonObject *all = json_object_get_object_member(pd_os_fixture(self), "recordsets");
	JsonNode *answer;

	if (all == NULL || !json_object_has_member(all, zone))
		return NULL;
	answer = pd_os_collection_of(
	  self, &pd_os_recordset_route, path, query, json_object_get_array_member(all, zone));
	{
		/* Designate counts the whole collection in every page */
		JsonObject *meta = json_object_new();
		json_object_set_int_member(
		  meta,
		  "total_count",
		  json_array_get_length(json_object_get_array_member(all, zone)));
		json_object_set_object_member(json_node_get_object(answer), "metadata", meta);
	}
	return answer;
}

static JsonNode *
pd_os_identity_get(PdOsTestServer *self, const gchar *path)
{
	const gchar *kinds[] = { "users", "projects" };

	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autofree gchar *prefix = g_strdup_printf("/identity/v3/%s/", kinds[i]);
		JsonObject *found, *answer;
		if (!g_str_has_prefix(path, prefix))
			continue;
		found =
		  pd_os_find(pd_os_fixture_array(self, kinds[i]), "id", path + strlen(prefix));
		if (found == NULL)
			return NULL;
		answer = json_object_new();
		json_object_set_object_member(
		  answer, i == 0 ? "user" : "project", json_object_ref(found));
		return pd_os_node_take_object(answer);
	}
	return NULL;
}

/* --- Swift --- */

static PdOsFault
pd_os_fault_for(PdOsTestServer *self, const gchar *service);
static gboolean
pd_os_apply_fault(PdOsTestServer *self, SoupServerMessage *msg, PdOsFault fault);

static void
pd_os_set_count(SoupMessageHeaders *h, const gchar *name, gint64 value)
{
	g_autofree gchar *text = g_strdup_printf("%" G_GINT64_FORMAT, value);
	soup_message_headers_replace(h, name, text);
}

static void
pd_os_handle_swift(PdOsTestServer *self,
		   SoupServerMessage *msg,
		   const gchar *path,
		   GHashTable *query)
{
	JsonObject *swift = json_object_get_object_member(pd_os_fixture(self), "swift");
	const gchar *account = strstr(path, "/AUTH_");
	JsonArray *containers;
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	gint64 objects = 0, bytes = 0;
	const gchar *marker = query != NULL ? g_hash_table_lookup(query, "marker") : NULL;
	gint64 page =
	  json_object_get_int_member_with_default(pd_os_fixture(self), "page_size", 1000);
	JsonArray *out;
	gboolean started = marker == NULL;

	if (account != NULL) {
		/* a fault set for "swift:<project>" hits that account only */
		g_autofree gchar *key = g_strdup_printf("swift:%s", account + 6);
		if (!pd_os_apply_fault(self, msg, pd_os_fault_for(self, key)))
			return;
	}
	if (account == NULL || swift == NULL || !json_object_has_member(swift, account + 6)) {
		pd_os_respond_error(msg, 404, "account not found");
		return;
	}
	containers = json_object_get_array_member(swift, account + 6);
	for (guint i = 0; i < json_array_get_length(containers); i++) {
		JsonObject *c = json_array_get_object_element(containers, i);
		objects += json_object_get_int_member(c, "count");
		bytes += json_object_get_int_member(c, "bytes");
	}
	pd_os_set_count(h, "X-Account-Object-Count", objects);
	pd_os_set_count(h, "X-Account-Bytes-Used", bytes);
	pd_os_set_count(h, "X-Account-Container-Count", json_array_get_length(containers));
	if (g_strcmp0(soup_server_message_get_method(msg), "HEAD") == 0) {
		soup_server_message_set_status(msg, 204, NULL);
		return;
	}
	out = json_array_new();
	for (guint i = 0; i < json_array_get_length(containers); i++) {
		JsonObject *c = json_array_get_object_element(containers, i);
		if (!started) {
			started = g_strcmp0(pd_os_obj_string(c, "name"), marker) == 0;
			continue;
		}
		if (json_array_get_length(out) < (guint)page)
			json_array_add_element(
			  out, json_node_copy(json_array_get_element(containers, i)));
	}
	{
		g_autoptr(JsonNode) node = pd_os_node_take_array(out);
		pd_os_respond_node(msg, 200, node);
	}
}

/* --- dispatch --- */

static PdOsFault
pd_os_fault_for(PdOsTestServer *self, const gchar *service)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(self->faults, service));
}

static gboolean
pd_os_authorized(PdOsTestServer *self, SoupServerMessage *msg)
{
	const gchar *token = soup_message_headers_get_one(
	  soup_server_message_get_request_headers(msg), "X-Auth-Token");

	if (token == NULL || !g_hash_table_contains(self->tokens, token))
		return FALSE;
	if (self->expire_after > 0)
		self->expire_after--;
	else if (self->expire_after == 0) {
		/* revoke everything issued so far, once */
		g_hash_table_remove_all(self->tokens);
		self->expire_after = -1;
		return FALSE;
	}
	return TRUE;
}

/* --- Neutron extensions (VPNaaS, FWaaS v2) --- */

static const PdOsRoute pd_os_extension_routes[] = {
	{ "network", "/v2.0/vpn/vpnservices", "vpnservices", PD_OS_PAGING_LINKS },
	{ "network",
	  "/v2.0/vpn/ipsec-site-connections",
	  "ipsec_site_connections",
	  PD_OS_PAGING_LINKS },
	{ "network", "/v2.0/fwaas/firewall_groups", "firewall_groups", PD_OS_PAGING_LINKS },
	{ "network", "/v2.0/fwaas/firewall_policies", "firewall_policies", PD_OS_PAGING_LINKS },
};

/* TRUE when @path is an extension's collection; *@answer is NULL (a 404,
 * as from a Neutron without the extension) when the fixture lacks it */
static gboolean
pd_os_extension_answer(PdOsTestServer *self,
		       const gchar *service,
		       const gchar *path,
		       GHashTable *query,
		       JsonNode **answer)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_os_extension_routes); i++) {
		const PdOsRoute *route = &pd_os_extension_routes[i];
		if (g_strcmp0(route->service, service) != 0 ||
		    !g_str_has_suffix(path, route->suffix))
			continue;
		*answer = pd_os_fixture_array(self, route->key) != NULL
			    ? pd_os_collection(self, route, path, query)
			    : NULL;
		return TRUE;
	}
	return FALSE;
}

void
pd_os_test_server_remove_collection(PdOsTestServer *self, const gchar *key)
{
	json_object_remove_member(pd_os_fixture(self), key);
}

static JsonNode *
pd_os_answer(PdOsTestServer *self, const gchar *service, const gchar *path, GHashTable *query)
{
	g_autofree gchar *zone = pd_os_recordset_zone(service, path);
	JsonNode *extension = NULL;

	if (pd_os_extension_answer(self, service, path, query, &extension))
		return extension;
	if (zone != NULL)
		return pd_os_recordsets(self, zone, path, query);
	for (guint i = 0; i < G_N_ELEMENTS(pd_os_routes); i++) {
		if (g_strcmp0(pd_os_routes[i].service, service) == 0 &&
		    g_str_has_suffix(path, pd_os_routes[i].suffix))
			return pd_os_collection(self, &pd_os_routes[i], path, query);
	}
	if (g_strcmp0(service, "identity") == 0)
		return pd_os_identity_get(self, path);
	return NULL;
}

static gboolean
pd_os_unpause_cb(gpointer user_data)
{
	soup_server_message_unpause(user_data);
	g_object_unref(user_data);
	return G_SOURCE_REMOVE;
}

/* a fault set for "recordsets:<zone>" hits that zone's recordsets only */
static PdOsFault
pd_os_zone_fault(PdOsTestServer *self, const gchar *service, const gchar *path)
{
	g_autofree gchar *zone = pd_os_recordset_zone(service, path);
	g_autofree gchar *key = NULL;

	if (zone == NULL)
		return PD_OS_FAULT_NONE;
	key = g_strdup_printf("recordsets:%s", zone);
	return pd_os_fault_for(self, key);
}

/* the fault and the answer: FALSE when the fault answered already */
static gboolean
pd_os_apply_fault(PdOsTestServer *self, SoupServerMessage *msg, PdOsFault fault)
{
	switch (fault) {
		case PD_OS_FAULT_HANG:
			soup_server_message_pause(msg);
			g_ptr_array_add(self->hung, g_object_ref(msg));
			return FALSE;
		case PD_OS_FAULT_ERROR:
			pd_os_respond_error(msg, 500, "injected failure");
			return FALSE;
		case PD_OS_FAULT_NOT_FOUND:
			pd_os_respond_error(msg, 404, "injected not found");
			return FALSE;
		case PD_OS_FAULT_FORBIDDEN:
			pd_os_respond_error(msg, 403, "injected forbidden");
			return FALSE;
		case PD_OS_FAULT_MALFORMED:
			pd_os_respond_text(msg, 200, "{\"images\": [{\"id\": \"x\", \"size\": 1");
			return FALSE;
		default:
			return TRUE;
	}
}

/* --- Ceph RADOS Gateway admin API: fixture "rgw": {"access_key", "secret_key",
 * "users": {uid: {"buckets": [...], "usage": {...}}}} --- */

#define PD_OS_RGW_MAX_SKEW_S (15 * 60)

/* RFC 1123 date as S3 clients send it, within the skew RGW allows */
static gboolean
pd_os_rgw_date_ok(const gchar *date)
{
	static const gchar *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	gchar wday[4], mon[4];
	gint day, year, h, m, sec, month = -1;
	g_autoptr(GDateTime) when = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();

	if (date == NULL ||
	    sscanf(date, "%3s, %d %3s %d %d:%d:%d GMT", wday, &day, mon, &year, &h, &m, &sec) != 7)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(months); i++) {
		if (g_strcmp0(months[i], mon) == 0)
			month = (gint)i + 1;
	}
	when = month > 0 ? g_date_time_new_utc(year, month, day, h, m, sec) : NULL;
	return when != NULL &&
	       ABS(g_date_time_difference(now, when)) <= PD_OS_RGW_MAX_SKEW_S * G_TIME_SPAN_SECOND;
}

/* the AWS v2 header RGW checks: "AWS <key>:" + base64 HMAC-SHA1 of
 * "GET\n<md5>\n<type>\n<date>\n<path>" */
static gboolean
pd_os_rgw_signed(PdOsTestServer *self, SoupServerMessage *msg, JsonObject *rgw)
{
	SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
	const gchar *date = soup_message_headers_get_one(h, "Date");
	const gchar *auth = soup_message_headers_get_one(h, "Authorization");
	const gchar *secret = pd_os_obj_string(rgw, "secret_key");
	const gchar *md5 = soup_message_headers_get_one(h, "Content-MD5");
	const gchar *type = soup_message_headers_get_one(h, "Content-Type");
	g_autofree gchar *to_sign =
	  g_strdup_printf("%s\n%s\n%s\n%s\n%s",
			  soup_server_message_get_method(msg),
			  md5 != NULL ? md5 : "",
			  type != NULL ? type : "",
			  date != NULL ? date : "",
			  g_uri_get_path(soup_server_message_get_uri(msg)));
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)secret, strlen(secret));
	guint8 digest[20];
	gsize len = sizeof(digest);
	g_autofree gchar *b64 = NULL;
	g_autofree gchar *want = NULL;

	g_hmac_update(hmac, (const guchar *)to_sign, -1);
	g_hmac_get_digest(hmac, digest, &len);
	b64 = g_base64_encode(digest, len);
	want = g_strdup_printf("AWS %s:%s", pd_os_obj_string(rgw, "access_key"), b64);
	self->rgw_checked++;
	return pd_os_rgw_date_ok(date) && g_strcmp0(auth, want) == 0;
}

static void
pd_os_handle_rgw(PdOsTestServer *self, SoupServerMessage *msg, const gchar *path, GHashTable *query)
{
	JsonObject *rgw = json_object_get_object_member(pd_os_fixture(self), "rgw");
	JsonObject *users = rgw != NULL ? json_object_get_object_member(rgw, "users") : NULL;
	const gchar *uid = query != NULL ? g_hash_table_lookup(query, "uid") : NULL;
	JsonObject *user = NULL;

	if (rgw == NULL || !pd_os_rgw_signed(self, msg, rgw)) {
		/* RGW's answer to a bad signature */
		pd_os_respond_text(msg, 403, "{\"Code\": \"SignatureDoesNotMatch\"}");
		return;
	}
	if (uid != NULL && users != NULL && json_object_has_member(users, uid))
		user = json_object_get_object_member(users, uid);
	if (user == NULL) {
		pd_os_respond_text(msg, 404, "{\"Code\": \"NoSuchUser\"}");
		return;
	}
	if (g_strcmp0(path, "/admin/bucket") == 0 && query != NULL &&
	    g_strcmp0(g_hash_table_lookup(query, "stats"), "true") == 0)
		pd_os_respond_node(msg, 200, json_object_get_member(user, "buckets"));
	else if (g_strcmp0(path, "/admin/usage") == 0)
		pd_os_respond_node(msg, 200, json_object_get_member(user, "usage"));
	else
		pd_os_respond_text(msg, 400, "{\"Code\": \"InvalidArgument\"}");
}

guint
pd_os_test_server_get_rgw_checked(PdOsTestServer *self)
{
	return self->rgw_checked;
}

static void
pd_os_handle_api(PdOsTestServer *self,
		 SoupServerMessage *msg,
		 const gchar *service,
		 const gchar *path,
		 GHashTable *query)
{
	PdOsFault fault = pd_os_fault_for(self, service);
	g_autoptr(JsonNode) answer = NULL;
	const gchar *method = soup_server_message_get_method(msg);

	if (!pd_os_apply_fault(self, msg, fault) ||
	    !pd_os_apply_fault(self, msg, pd_os_zone_fault(self, service, path)))
		return;
	if (g_strcmp0(service, "identity") == 0 && g_str_has_suffix(path, "/auth/tokens") &&
	    g_strcmp0(method, "POST") == 0) {
		pd_os_handle_auth(self, msg);
	} else if (g_strcmp0(service, "admin") == 0) {
		pd_os_handle_rgw(self, msg, path, query);
	} else if (!pd_os_authorized(self, msg)) {
		pd_os_respond_error(msg, 401, "The request you have made requires authentication.");
	} else if (g_strcmp0(service, "object-store") == 0) {
		pd_os_handle_swift(self, msg, path, query);
	} else if ((answer = pd_os_answer(self, service, path, query)) == NULL) {
		pd_os_respond_error(msg, 404, "no such thing");
	} else {
		if (fault == PD_OS_FAULT_WRONG_TYPES)
			pd_os_mangle(answer);
		pd_os_respond_node(msg, 200, answer);
	}
	if (fault == PD_OS_FAULT_SLOW) {
		soup_server_message_pause(msg);
		g_timeout_add(self->delay_ms, pd_os_unpause_cb, g_object_ref(msg));
	}
}

/* POST /_test/fault?service=image&kind=hang, /_test/expire?after=N,
 * /_test/remove?type=image, /_test/delay?ms=N for the standalone binary */
static void
pd_os_handle_control(PdOsTestServer *self,
		     SoupServerMessage *msg,
		     const gchar *path,
		     GHashTable *query)
{
	const gchar *arg1 = query != NULL ? g_hash_table_lookup(query, "service") : NULL;
	const gchar *kind = query != NULL ? g_hash_table_lookup(query, "kind") : NULL;
	PdOsFault fault;

	if (g_strcmp0(path, "/_test/fault") == 0 && arg1 != NULL &&
	    pd_os_test_server_fault_from_string(kind, &fault))
		pd_os_test_server_set_fault(self, arg1, fault);
	else if (g_strcmp0(path, "/_test/expire") == 0 && query != NULL &&
		 g_hash_table_contains(query, "after"))
		pd_os_test_server_expire_tokens_after(
		  self, (guint)atoi(g_hash_table_lookup(query, "after")));
	else if (g_strcmp0(path, "/_test/remove") == 0 && query != NULL &&
		 g_hash_table_contains(query, "type"))
		pd_os_test_server_remove_service(self, g_hash_table_lookup(query, "type"));
	else if (g_strcmp0(path, "/_test/delay") == 0 && query != NULL &&
		 g_hash_table_contains(query, "ms"))
		pd_os_test_server_set_delay(self, (guint)atoi(g_hash_table_lookup(query, "ms")));
	else {
		pd_os_respond_error(msg, 400, "unknown control request");
		return;
	}
	pd_os_respond_text(msg, 200, "{}");
}

static void
pd_os_count(PdOsTestServer *self, gchar *key)
{
	guint count = GPOINTER_TO_UINT(g_hash_table_lookup(self->counts, key));
	g_hash_table_insert(self->counts, key, GUINT_TO_POINTER(count + 1));
}

static void
pd_os_handler_cb(SoupServer *server,
		 SoupServerMessage *msg,
		 const char *path,
		 GHashTable *query,
		 gpointer user_data)
{
	PdOsTestServer *self = user_data;
	g_auto(GStrv) parts = g_strsplit(path, "/", 3);
	const gchar *service = parts[0] != NULL && parts[1] != NULL ? parts[1] : "";
	guint count = GPOINTER_TO_UINT(g_hash_table_lookup(self->counts, service));
	g_autofree gchar *method_key = NULL;
	const gchar *version;

	if (g_strcmp0(service, "_test") == 0) {
		pd_os_handle_control(self, msg, path, query);
		return;
	}
	g_hash_table_insert(self->counts, g_strdup(service), GUINT_TO_POINTER(count + 1));
	method_key = g_strdup_printf("%s %s", service, soup_server_message_get_method(msg));
	count = GPOINTER_TO_UINT(g_hash_table_lookup(self->counts, method_key));
	g_hash_table_insert(
	  self->counts, g_steal_pointer(&method_key), GUINT_TO_POINTER(count + 1));
	version = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					       "OpenStack-API-Version");
	if (version != NULL)
		pd_os_count(self, g_strdup_printf("%s [%s]", service, version));
	pd_os_handle_api(self, msg, service, path, query);
}

/* --- setup --- */

void
pd_os_test_server_set_fault(PdOsTestServer *self, const gchar *service, PdOsFault fault)
{
	g_hash_table_insert(self->faults, g_strdup(service), GUINT_TO_POINTER(fault));
}

void
pd_os_test_server_set_swift_account(PdOsTestServer *self, const gchar *project, guint containers)
{
	JsonObject *swift = json_object_get_object_member(pd_os_fixture(self), "swift");
	JsonArray *list;

	if (containers == G_MAXUINT) {
		json_object_remove_member(swift, project);
		return;
	}
	list = json_array_new();
	for (guint i = 0; i < containers; i++) {
		JsonObject *c = json_object_new();
		g_autofree gchar *name = g_strdup_printf("c%u", i);
		json_object_set_string_member(c, "name", name);
		json_object_set_int_member(c, "count", 2);
		json_object_set_int_member(c, "bytes", 100);
		json_array_add_object_element(list, c);
	}
	json_object_set_array_member(swift, project, list);
}

void
pd_os_test_server_set_delay(PdOsTestServer *self, guint delay_ms)
{
	self->delay_ms = delay_ms;
}

void
pd_os_test_server_expire_tokens_after(PdOsTestServer *self, guint n)
{
	self->expire_after = (gint)n;
}

void
pd_os_test_server_remove_service(PdOsTestServer *self, const gchar *type)
{
	g_hash_table_add(self->removed, g_strdup(type));
}

guint
pd_os_test_server_get_auth_count(PdOsTestServer *self)
{
	return self->auths;
}

guint
pd_os_test_server_get_request_count(PdOsTestServer *self, const gchar *service)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(self->counts, service));
}

guint
pd_os_test_server_get_port(PdOsTestServer *self)
{
	return self->port;
}

const gchar *
pd_os_test_server_get_url(PdOsTestServer *self)
{
	return self->url;
}

void
pd_os_test_server_set_credentials(PdOsTestServer *self, GKeyFile *conf)
{
	static const gchar *const keys[][2] = {
		{ "username", "ceilometer" },	      { "password", "s3cret" },
		{ "project_name", "service" },	      { "user_domain_name", "Default" },
		{ "project_domain_name", "Default" }, { "interface", "internalURL" },
		{ "region_name", "RegionOne" },
	};
	g_autofree gchar *auth_url = g_strdup_printf("%s/identity/v3", self->url);

	g_key_file_set_string(conf, "service_credentials", "auth_url", auth_url);
	for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
		g_key_file_set_string(conf, "service_credentials", keys[i][0], keys[i][1]);
}

static gboolean
pd_os_test_server_load(PdOsTestServer *self, const gchar *fixture_file, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();

	if (!json_parser_load_from_file(parser, fixture_file, error))
		return FALSE;
	if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_DATA,
			    "%s: not a JSON object",
			    fixture_file);
		return FALSE;
	}
	self->fixture = json_node_ref(json_parser_get_root(parser));
	return TRUE;
}

PdOsTestServer *
pd_os_test_server_new(const gchar *fixture_file, GTlsCertificate *tls_cert, GError **error)
{
	g_autoptr(PdOsTestServer) self = g_object_new(PD_TYPE_OS_TEST_SERVER, NULL);
	SoupServerListenOptions opts = 0;

	if (!pd_os_test_server_load(self, fixture_file, error))
		return NULL;
	self->server = soup_server_new("server-header", "pd-os-test-server", NULL);
	if (tls_cert != NULL) {
		soup_server_set_tls_certificate(self->server, tls_cert);
		opts |= SOUP_SERVER_LISTEN_HTTPS;
	}
	soup_server_add_handler(self->server, NULL, pd_os_handler_cb, self, NULL);
	if (!pd_test_soup_listen_loopback(self->server, opts, &self->port, error))
		return NULL;
	self->url =
	  g_strdup_printf("%s://127.0.0.1:%u", tls_cert != NULL ? "https" : "http", self->port);
	return g_steal_pointer(&self);
}

static void
pd_os_test_server_dispose(GObject *obj)
{
	PdOsTestServer *self = PD_OS_TEST_SERVER(obj);

	if (self->server != NULL)
		soup_server_disconnect(self->server);
	/* hung messages die with their connections */
	g_ptr_array_set_size(self->hung, 0);
	g_clear_object(&self->server);
	G_OBJECT_CLASS(pd_os_test_server_parent_class)->dispose(obj);
}

static void
pd_os_test_server_finalize(GObject *obj)
{
	PdOsTestServer *self = PD_OS_TEST_SERVER(obj);

	g_clear_pointer(&self->fixture, json_node_unref);
	g_hash_table_unref(self->faults);
	g_hash_table_unref(self->counts);
	g_hash_table_unref(self->tokens);
	g_hash_table_unref(self->removed);
	g_ptr_array_unref(self->hung);
	g_free(self->url);
	G_OBJECT_CLASS(pd_os_test_server_parent_class)->finalize(obj);
}

static void
pd_os_test_server_init(PdOsTestServer *self)
{
	self->faults = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->tokens = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->hung = g_ptr_array_new_with_free_func(g_object_unref);
	self->expire_after = -1;
	self->delay_ms = 500;
}

static void
pd_os_test_server_class_init(PdOsTestServerClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = pd_os_test_server_dispose;
	G_OBJECT_CLASS(klass)->finalize = pd_os_test_server_finalize;
}
