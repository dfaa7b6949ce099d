/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include <string.h>

#include "pd-os-json.h"
#include "pd-os-pager.h"

/* a server that keeps handing out "next" links must not loop us forever */
#define PD_OS_PAGER_MAX_PAGES 10000

typedef struct {
	PdOsClient *client;
	gchar *base;
	gchar *key;
	GStrv headers;
	GCancellable *cancellable;
	GPtrArray *items;
	GHashTable *seen; /* page URLs */
} PdOsPager;

static void
pd_os_pager_free(PdOsPager *pager)
{
	g_object_unref(pager->client);
	g_free(pager->base);
	g_free(pager->key);
	g_strfreev(pager->headers);
	g_clear_object(&pager->cancellable);
	g_ptr_array_unref(pager->items);
	g_hash_table_unref(pager->seen);
	g_free(pager);
}

gchar *
pd_os_url_join(const gchar *endpoint, const gchar *version, const gchar *path)
{
	g_autofree gchar *base = g_strdup(endpoint);
	gsize len = strlen(base);
	g_autofree gchar *suffix = NULL;

	while (len > 0 && base[len - 1] == '/')
		base[--len] = '\0';
	if (version == NULL)
		return g_strconcat(base, path, NULL);
	suffix = g_strconcat("/", version, NULL);
	if (g_str_has_suffix(base, suffix))
		return g_strconcat(base, path, NULL);
	return g_strconcat(base, suffix, path, NULL);
}

static const gchar *
pd_os_pager_find_link(JsonArray *links)
{
	for (guint i = 0; links != NULL && i < json_array_get_length(links); i++) {
		JsonNode *node = json_array_get_element(links, i);
		JsonObject *link = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
		if (g_strcmp0(pd_os_json_get_string(link, "rel"), "next") == 0)
			return pd_os_json_get_string(link, "href");
	}
	return NULL;
}

static gchar *
pd_os_pager_next_url(PdOsPager *pager, JsonObject *page)
{
	g_autofree gchar *links_key = g_strdup_printf("%s_links", pager->key);
	const gchar *next = pd_os_json_get_string(page, "next");

	if (next == NULL)
		next = pd_os_pager_find_link(pd_os_json_get_array(page, links_key));
	if (next == NULL)
		next = pd_os_json_get_string(pd_os_json_get_object(page, "links"), "next");
	if (next == NULL || next[0] == '\0')
		return NULL;
	if (g_str_has_prefix(next, "http://") || g_str_has_prefix(next, "https://"))
		return g_strdup(next);
	return pd_os_url_join(pager->base, NULL, next);
}

static void
pd_os_pager_fetch(GTask *task, const gchar *url);

static gboolean
pd_os_pager_take_page(PdOsPager *pager, PdOsResponse *resp, const gchar *url, GError **error)
{
	JsonObject *page = resp->body != NULL && JSON_NODE_HOLDS_OBJECT(resp->body)
			     ? json_node_get_object(resp->body)
			     : NULL;
	JsonArray *items = pd_os_json_get_array(page, pager->key);
	guint skipped = 0;

	if (items == NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_FAILED,
			    "GET %s: the answer has no '%s' list",
			    url,
			    pager->key);
		return FALSE;
	}
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonNode *item = json_array_get_element(items, i);
		if (!JSON_NODE_HOLDS_OBJECT(item)) {
			skipped++;
			continue;
		}
		g_ptr_array_add(pager->items, json_node_ref(item));
	}
	if (skipped > 0)
		g_warning("GET %s: skipped %u items of '%s' that are not objects",
			  url,
			  skipped,
			  pager->key);
	return TRUE;
}

static void
pd_os_pager_page_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdOsPager *pager = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdOsResponse) resp =
	  pd_os_client_request_finish(PD_OS_CLIENT(source), res, &error);
	g_autofree gchar *url = g_strdup(g_object_get_data(G_OBJECT(task), "url"));
	g_autofree gchar *next = NULL;

	if (resp == NULL || !pd_os_pager_take_page(pager, resp, url, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	next = pd_os_pager_next_url(pager, json_node_get_object(resp->body));
	if (next == NULL) {
		g_task_return_pointer(
		  task, g_ptr_array_ref(pager->items), (GDestroyNotify)g_ptr_array_unref);
		return;
	}
	if (g_hash_table_contains(pager->seen, next) ||
	    g_hash_table_size(pager->seen) >= PD_OS_PAGER_MAX_PAGES) {
		g_task_return_new_error(
		  task, PD_ERROR, PD_ERROR_FAILED, "GET %s: paging loops back to %s", url, next);
		return;
	}
	pd_os_pager_fetch(g_steal_pointer(&task), next);
}

static void
pd_os_pager_fetch(GTask *task, const gchar *url)
{
	PdOsPager *pager = g_task_get_task_data(task);

	g_hash_table_add(pager->seen, g_strdup(url));
	g_object_set_data_full(G_OBJECT(task), "url", g_strdup(url), g_free);
	pd_os_client_request_async(pager->client,
				   "GET",
				   url,
				   (const gchar *const *)pager->headers,
				   PD_OS_REQUEST_JSON,
				   pager->cancellable,
				   pd_os_pager_page_cb,
				   task);
}

void
pd_os_pager_list_async(PdOsClient *client,
		       const gchar *base,
		       const gchar *url,
		       const gchar *key,
		       const gchar *const *headers,
		       GCancellable *cancellable,
		       GAsyncReadyCallback callback,
		       gpointer user_data)
{
	GTask *task = g_task_new(client, cancellable, callback, user_data);
	PdOsPager *pager = g_new0(PdOsPager, 1);

	pager->client = g_object_ref(client);
	pager->base = g_strdup(base);
	pager->key = g_strdup(key);
	pager->headers = g_strdupv((gchar **)headers);
	pager->cancellable = cancellable != NULL ? g_object_ref(cancellable) : NULL;
	pager->items = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	pager->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_task_set_task_data(task, pager, (GDestroyNotify)pd_os_pager_free);
	pd_os_pager_fetch(task, url);
}

GPtrArray *
pd_os_pager_list_finish(GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}
