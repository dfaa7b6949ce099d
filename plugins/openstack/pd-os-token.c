/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include <string.h>

#include "pd-error.h"
#include "pd-os-json.h"
#include "pd-os-token.h"

struct _PdOsToken {
	gint ref_count;
	gchar *id;
	gchar *project_id;
	gint64 expires;
	JsonNode *catalog; /* array, or NULL */
};

static gint64
pd_os_token_parse_expiry(const gchar *text)
{
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) dt = NULL;

	if (text == NULL)
		return G_MAXINT64;
	dt = g_date_time_new_from_iso8601(text, utc);
	if (dt == NULL) {
		g_warning("Keystone token expiry '%s' is not ISO 8601, renewing it every cycle",
			  text);
		return 0;
	}
	return g_date_time_to_unix(dt) * G_USEC_PER_SEC + g_date_time_get_microsecond(dt);
}

PdOsToken *
pd_os_token_new(const gchar *id, JsonNode *body, GError **error)
{
	JsonObject *token = NULL;
	JsonObject *project;
	JsonArray *catalog;
	PdOsToken *self;

	if (body != NULL && JSON_NODE_HOLDS_OBJECT(body))
		token = pd_os_json_get_object(json_node_get_object(body), "token");
	if (id == NULL || id[0] == '\0' || token == NULL) {
		g_set_error_literal(error,
				    PD_ERROR,
				    PD_ERROR_FAILED,
				    "Keystone answered without X-Subject-Token or token object");
		return NULL;
	}
	self = g_new0(PdOsToken, 1);
	self->ref_count = 1;
	self->id = g_strdup(id);
	self->expires = pd_os_token_parse_expiry(pd_os_json_get_string(token, "expires_at"));
	project = pd_os_json_get_object(token, "project");
	self->project_id = g_strdup(pd_os_json_get_string(project, "id"));
	catalog = pd_os_json_get_array(token, "catalog");
	if (catalog != NULL) {
		self->catalog = json_node_new(JSON_NODE_ARRAY);
		json_node_set_array(self->catalog, catalog);
	}
	return self;
}

PdOsToken *
pd_os_token_ref(PdOsToken *token)
{
	g_atomic_int_inc(&token->ref_count);
	return token;
}

void
pd_os_token_unref(PdOsToken *token)
{
	if (!g_atomic_int_dec_and_test(&token->ref_count))
		return;
	g_free(token->id);
	g_free(token->project_id);
	if (token->catalog != NULL)
		json_node_unref(token->catalog);
	g_free(token);
}

const gchar *
pd_os_token_get_id(PdOsToken *token)
{
	return token->id;
}

const gchar *
pd_os_token_get_project_id(PdOsToken *token)
{
	return token->project_id;
}

gint64
pd_os_token_get_expires(PdOsToken *token)
{
	return token->expires;
}

/* "publicURL" (keystoneauth's v2 spelling) means "public" */
static gboolean
pd_os_token_interface_matches(const gchar *want, const gchar *have)
{
	gsize len;

	if (want == NULL || want[0] == '\0')
		want = "public";
	if (have == NULL)
		return FALSE;
	len = strlen(have);
	if (g_str_has_suffix(want, "URL"))
		return strlen(want) == len + 3 && strncmp(want, have, len) == 0;
	return g_strcmp0(want, have) == 0;
}

static void
pd_os_token_add_urls(JsonArray *endpoints,
		     const gchar *interface,
		     const gchar *region,
		     GStrvBuilder *out)
{
	for (guint i = 0; endpoints != NULL && i < json_array_get_length(endpoints); i++) {
		JsonNode *node = json_array_get_element(endpoints, i);
		JsonObject *ep = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
		const gchar *url = pd_os_json_get_string(ep, "url");
		const gchar *ep_region = pd_os_json_get_string(ep, "region_id");

		if (ep_region == NULL)
			ep_region = pd_os_json_get_string(ep, "region");
		if (url == NULL || !pd_os_token_interface_matches(
				     interface, pd_os_json_get_string(ep, "interface")))
			continue;
		if (region != NULL && region[0] != '\0' && g_strcmp0(region, ep_region) != 0 &&
		    g_strcmp0(region, pd_os_json_get_string(ep, "region")) != 0)
			continue;
		g_strv_builder_add(out, url);
	}
}

GStrv
pd_os_token_get_urls(PdOsToken *token,
		     const gchar *service_type,
		     const gchar *interface,
		     const gchar *region)
{
	g_autoptr(GStrvBuilder) out = g_strv_builder_new();
	JsonArray *catalog = token->catalog != NULL ? json_node_get_array(token->catalog) : NULL;

	for (guint i = 0; catalog != NULL && i < json_array_get_length(catalog); i++) {
		JsonNode *node = json_array_get_element(catalog, i);
		JsonObject *svc = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
		if (g_strcmp0(pd_os_json_get_string(svc, "type"), service_type) != 0)
			continue;
		pd_os_token_add_urls(
		  pd_os_json_get_array(svc, "endpoints"), interface, region, out);
	}
	return g_strv_builder_end(out);
}
