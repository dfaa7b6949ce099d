/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include "pd-os-json.h"
#include "pd-os-swift-fetch.h"

/* the cycle cache key of the table */
#define PD_OS_SWIFT_TABLE_KEY "openstack:swift-accounts"

/* one per task cycle, held by the cycle cache and by every fetch in flight,
 * so a fetch that outlives its cycle still has somewhere to land; the
 * cache may drop its reference from another thread, but only the main
 * thread looks inside */
typedef struct {
	GHashTable *fetches; /* "HEAD <url>" or "GET <url>" -> PdOsSwiftFetch */
} PdOsSwiftTable;

typedef struct {
	PdOsSwiftFetchFunc func;
	gpointer user_data;
} PdOsSwiftWaiter;

typedef struct {
	PdOsSwiftTable *table; /* a reference while in flight */
	PdOsClient *client;
	gchar *url;
	gchar *marker;
	gboolean done;
	PdOsSwiftAccountData data;
	GError *error;
	GArray *waiters; /* PdOsSwiftWaiter */
} PdOsSwiftFetch;

static void
pd_os_swift_fetch_free(PdOsSwiftFetch *fetch)
{
	g_clear_object(&fetch->client);
	g_free(fetch->url);
	g_free(fetch->marker);
	g_clear_pointer(&fetch->data.head, pd_os_response_free);
	g_clear_pointer(&fetch->data.containers, g_ptr_array_unref);
	g_clear_error(&fetch->error);
	g_array_unref(fetch->waiters);
	g_free(fetch);
}

static void
pd_os_swift_table_clear(PdOsSwiftTable *table)
{
	g_hash_table_unref(table->fetches);
}

static void
pd_os_swift_table_unref(gpointer table)
{
	g_atomic_rc_box_release_full(table, (GDestroyNotify)pd_os_swift_table_clear);
}

static gpointer
pd_os_swift_table_new(gpointer user_data, GError **error)
{
	PdOsSwiftTable *table = g_atomic_rc_box_new0(PdOsSwiftTable);

	table->fetches = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)pd_os_swift_fetch_free);
	return table;
}

/* tells every waiter; @fetch may be gone afterwards */
static void
pd_os_swift_fetch_complete(PdOsSwiftFetch *fetch, GError *error)
{
	PdOsSwiftTable *table = g_steal_pointer(&fetch->table);
	g_autoptr(GArray) waiters = g_steal_pointer(&fetch->waiters);

	fetch->waiters = g_array_new(FALSE, FALSE, sizeof(PdOsSwiftWaiter));
	fetch->error = error;
	fetch->done = TRUE;
	for (guint i = 0; i < waiters->len; i++) {
		PdOsSwiftWaiter *w = &g_array_index(waiters, PdOsSwiftWaiter, i);
		w->func(error == NULL ? &fetch->data : NULL, error, w->user_data);
	}
	pd_os_swift_table_unref(table);
}

static void
pd_os_swift_fetch_head_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdOsSwiftFetch *fetch = user_data;
	GError *error = NULL;

	fetch->data.head = pd_os_client_request_finish(PD_OS_CLIENT(source), res, &error);
	pd_os_swift_fetch_complete(fetch, error);
}

static void
pd_os_swift_fetch_page(PdOsSwiftFetch *fetch);

/* one page of containers; FALSE when the listing is over */
static gboolean
pd_os_swift_fetch_take_page(PdOsSwiftFetch *fetch, JsonNode *body, GError **error)
{
	JsonArray *list =
	  body != NULL && JSON_NODE_HOLDS_ARRAY(body) ? json_node_get_array(body) : NULL;
	guint n = list != NULL ? json_array_get_length(list) : 0;

	if (list == NULL) {
		g_set_error(
		  error, PD_ERROR, PD_ERROR_FAILED, "GET %s: the answer is not a list", fetch->url);
		return FALSE;
	}
	for (guint i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(list, i);
		JsonObject *c = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
		const gchar *name = pd_os_json_get_string(c, "name");

		if (name == NULL) {
			g_set_error(error,
				    PD_ERROR,
				    PD_ERROR_FAILED,
				    "GET %s: container %u lacks a name",
				    fetch->url,
				    fetch->data.containers->len);
			return FALSE;
		}
		g_ptr_array_add(fetch->data.containers, json_node_ref(node));
		g_free(fetch->marker);
		fetch->marker = g_strdup(name);
	}
	return n > 0;
}

static void
pd_os_swift_fetch_page_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdOsSwiftFetch *fetch = user_data;
	GError *error = NULL;
	g_autoptr(PdOsResponse) resp =
	  pd_os_client_request_finish(PD_OS_CLIENT(source), res, &error);

	/* 204 No Content: an account without containers */
	if (resp != NULL && resp->status != 204 &&
	    pd_os_swift_fetch_take_page(fetch, resp->body, &error)) {
		pd_os_swift_fetch_page(fetch);
		return;
	}
	pd_os_swift_fetch_complete(fetch, error);
}

static void
pd_os_swift_fetch_page(PdOsSwiftFetch *fetch)
{
	g_autofree gchar *escaped =
	  fetch->marker != NULL ? g_uri_escape_string(fetch->marker, NULL, TRUE) : NULL;
	g_autofree gchar *url = g_strdup_printf("%s?format=json%s%s",
						fetch->url,
						escaped != NULL ? "&marker=" : "",
						escaped != NULL ? escaped : "");

	pd_os_client_request_async(fetch->client,
				   "GET",
				   url,
				   NULL,
				   PD_OS_REQUEST_JSON,
				   NULL,
				   pd_os_swift_fetch_page_cb,
				   fetch);
}

static PdOsSwiftFetch *
pd_os_swift_fetch_new(PdOsSwiftTable *table, PdOsClient *client, const gchar *url, gboolean listing)
{
	PdOsSwiftFetch *fetch = g_new0(PdOsSwiftFetch, 1);

	fetch->table = g_atomic_rc_box_acquire(table);
	fetch->client = g_object_ref(client);
	fetch->url = g_strdup(url);
	fetch->waiters = g_array_new(FALSE, FALSE, sizeof(PdOsSwiftWaiter));
	if (listing)
		fetch->data.containers =
		  g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	return fetch;
}

/* the table of this cycle, and the fetch for @key if it is known already:
 * then @func has been told or queued, and NULL is returned */
static PdOsSwiftTable *
pd_os_swift_fetch_lookup(PdPollContext *ctx,
			 const gchar *key,
			 PdOsSwiftFetchFunc func,
			 gpointer user_data)
{
	PdOsSwiftTable *table = pd_cycle_cache_get(pd_poll_context_get_cache(ctx),
						   PD_OS_SWIFT_TABLE_KEY,
						   pd_os_swift_table_new,
						   NULL,
						   pd_os_swift_table_unref,
						   NULL);
	PdOsSwiftWaiter waiter = { func, user_data };
	PdOsSwiftFetch *fetch;

	g_return_val_if_fail(table != NULL, NULL);
	fetch = g_hash_table_lookup(table->fetches, key);
	if (fetch != NULL && fetch->done) {
		func(fetch->error == NULL ? &fetch->data : NULL, fetch->error, user_data);
		return NULL;
	}
	if (fetch != NULL) {
		g_array_append_val(fetch->waiters, waiter);
		return NULL;
	}
	return table;
}

void
pd_os_swift_fetch_signed(PdOsClient *client,
			 PdPollContext *ctx,
			 const gchar *url,
			 const gchar *const *headers,
			 PdOsSwiftFetchFunc func,
			 gpointer user_data)
{
	g_autofree gchar *key = g_strdup_printf("RGW %s", url);
	PdOsSwiftWaiter waiter = { func, user_data };
	PdOsSwiftTable *table = pd_os_swift_fetch_lookup(ctx, key, func, user_data);
	PdOsSwiftFetch *fetch;

	if (table == NULL)
		return;
	fetch = pd_os_swift_fetch_new(table, client, url, FALSE);
	g_hash_table_insert(table->fetches, g_steal_pointer(&key), fetch);
	g_array_append_val(fetch->waiters, waiter);
	pd_os_client_request_async(client,
				   "GET",
				   url,
				   headers,
				   PD_OS_REQUEST_JSON | PD_OS_REQUEST_NO_TOKEN,
				   NULL,
				   pd_os_swift_fetch_head_cb,
				   fetch);
}

void
pd_os_swift_fetch(PdOsClient *client,
		  PdPollContext *ctx,
		  const gchar *url,
		  gboolean listing,
		  PdOsSwiftFetchFunc func,
		  gpointer user_data)
{
	PdOsSwiftTable *table = pd_cycle_cache_get(pd_poll_context_get_cache(ctx),
						   PD_OS_SWIFT_TABLE_KEY,
						   pd_os_swift_table_new,
						   NULL,
						   pd_os_swift_table_unref,
						   NULL);
	g_autofree gchar *key = g_strdup_printf("%s %s", listing ? "GET" : "HEAD", url);
	PdOsSwiftWaiter waiter = { func, user_data };
	PdOsSwiftFetch *fetch;

	g_return_if_fail(table != NULL);
	fetch = g_hash_table_lookup(table->fetches, key);
	if (fetch != NULL && fetch->done) {
		func(fetch->error == NULL ? &fetch->data : NULL, fetch->error, user_data);
		return;
	}
	if (fetch != NULL) {
		g_array_append_val(fetch->waiters, waiter);
		return;
	}
	/* the first asker: registered before the request starts */
	fetch = pd_os_swift_fetch_new(table, client, url, listing);
	g_hash_table_insert(table->fetches, g_steal_pointer(&key), fetch);
	g_array_append_val(fetch->waiters, waiter);
	if (listing)
		pd_os_swift_fetch_page(fetch);
	else
		pd_os_client_request_async(client,
					   "HEAD",
					   url,
					   NULL,
					   PD_OS_REQUEST_NONE,
					   NULL,
					   pd_os_swift_fetch_head_cb,
					   fetch);
}
