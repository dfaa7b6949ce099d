/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <libsoup/soup.h>
#include <string.h>

#include "dynamic-server.h"
#include "pd-test-http.h"

typedef struct {
	gchar *authorization;
	gchar *content_type;
	gchar *body; /* NULL: hang */
	gsize big;
	guint hits;
} PdDynRoute;

struct _PdDynTestServer {
	SoupServer *server;
	gchar *url;
	GHashTable *routes; /* path?query -> PdDynRoute */
	GPtrArray *hung;    /* paused messages, released at free */
};

static void
pd_dyn_route_free(PdDynRoute *r)
{
	g_free(r->authorization);
	g_free(r->content_type);
	g_free(r->body);
	g_free(r);
}

static void
pd_dyn_test_server_cb(SoupServer *server,
		      SoupServerMessage *msg,
		      const char *path,
		      GHashTable *query,
		      gpointer user_data)
{
	PdDynTestServer *self = user_data;
	GUri *uri = soup_server_message_get_uri(msg);
	g_autofree gchar *key = g_uri_get_query(uri) != NULL
				  ? g_strdup_printf("%s?%s", path, g_uri_get_query(uri))
				  : g_strdup(path);
	PdDynRoute *r = g_hash_table_lookup(self->routes, key);
	const gchar *auth = soup_message_headers_get_one(
	  soup_server_message_get_request_headers(msg), "Authorization");

	if (r == NULL) {
		soup_server_message_set_status(msg, 404, NULL);
		return;
	}
	r->hits++;
	if (r->authorization != NULL && g_strcmp0(auth, r->authorization) != 0) {
		soup_server_message_set_status(msg, 401, NULL);
		return;
	}
	if (r->big > 0) {
		gchar *data = g_malloc(r->big);
		memset(data, 'x', r->big);
		soup_server_message_set_status(msg, 200, NULL);
		soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_TAKE, data, r->big);
		return;
	}
	if (r->body == NULL) {
		soup_server_message_pause(msg);
		g_ptr_array_add(self->hung, g_object_ref(msg));
		return;
	}
	soup_server_message_set_status(msg, 200, NULL);
	soup_server_message_set_response(
	  msg, r->content_type, SOUP_MEMORY_COPY, r->body, strlen(r->body));
}

PdDynTestServer *
pd_dyn_test_server_new(GError **error)
{
	PdDynTestServer *self = g_new0(PdDynTestServer, 1);
	guint port = 0;

	self->server = soup_server_new("server-header", "polld-test", NULL);
	self->routes =
	  g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)pd_dyn_route_free);
	self->hung = g_ptr_array_new_with_free_func(g_object_unref);
	soup_server_add_handler(self->server, NULL, pd_dyn_test_server_cb, self, NULL);
	if (!pd_test_soup_listen_loopback(self->server, 0, &port, error)) {
		pd_dyn_test_server_free(self);
		return NULL;
	}
	self->url = g_strdup_printf("http://127.0.0.1:%u", port);
	return self;
}

void
pd_dyn_test_server_free(PdDynTestServer *self)
{
	for (guint i = 0; i < self->hung->len; i++) {
		SoupServerMessage *msg = g_ptr_array_index(self->hung, i);
		soup_server_message_set_status(msg, 503, NULL);
		soup_server_message_unpause(msg);
	}
	g_ptr_array_unref(self->hung);
	soup_server_disconnect(self->server);
	g_object_unref(self->server);
	g_hash_table_unref(self->routes);
	g_free(self->url);
	g_free(self);
}

const gchar *
pd_dyn_test_server_get_url(PdDynTestServer *self)
{
	return self->url;
}

void
pd_dyn_test_server_add(PdDynTestServer *self,
		       const gchar *path,
		       const gchar *authorization,
		       const gchar *content_type,
		       const gchar *body)
{
	PdDynRoute *r = g_new0(PdDynRoute, 1);

	r->authorization = g_strdup(authorization);
	r->content_type = g_strdup(content_type != NULL ? content_type : "application/json");
	r->body = g_strdup(body);
	g_hash_table_replace(self->routes, g_strdup(path), r);
}

void
pd_dyn_test_server_add_big(PdDynTestServer *self, const gchar *path, gsize size)
{
	PdDynRoute *r = g_new0(PdDynRoute, 1);

	r->content_type = g_strdup("text/plain");
	r->big = size;
	g_hash_table_replace(self->routes, g_strdup(path), r);
}

guint
pd_dyn_test_server_get_hits(PdDynTestServer *self, const gchar *path)
{
	PdDynRoute *r = g_hash_table_lookup(self->routes, path);
	return r != NULL ? r->hits : 0;
}
