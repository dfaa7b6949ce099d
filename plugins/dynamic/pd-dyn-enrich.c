/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include "pd-dyn-enrich.h"
#include "pd-dyn-value.h"

/* --- the response cache: URL or command -> decoded answer, with expiry --- */

typedef struct {
	JsonNode *response;
	gint64 expires; /* monotonic microseconds */
} PdDynCached;

struct _PdDynCache {
	GHashTable *entries;
	guint hits;
};

static void
pd_dyn_cached_free(PdDynCached *c)
{
	json_node_unref(c->response);
	g_free(c);
}

PdDynCache *
pd_dyn_enrich_cache_new(void)
{
	PdDynCache *cache = g_new0(PdDynCache, 1);

	cache->entries = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)pd_dyn_cached_free);
	return cache;
}

void
pd_dyn_enrich_cache_free(PdDynCache *cache)
{
	if (cache == NULL)
		return;
	g_hash_table_unref(cache->entries);
	g_free(cache);
}

guint
pd_dyn_enrich_cache_get_hits(PdDynCache *cache)
{
	return cache->hits;
}

static JsonNode *
pd_dyn_cache_lookup(PdDynCache *cache, const gchar *key)
{
	PdDynCached *c = g_hash_table_lookup(cache->entries, key);

	if (c == NULL)
		return NULL;
	if (c->expires < g_get_monotonic_time()) {
		g_hash_table_remove(cache->entries, key);
		return NULL;
	}
	cache->hits++;
	return json_node_ref(c->response);
}

static gboolean
pd_dyn_cache_expired_cb(gpointer key, gpointer value, gpointer user_data)
{
	return ((PdDynCached *)value)->expires < *(gint64 *)user_data;
}

static void
pd_dyn_cache_store(PdDynCache *cache, const gchar *key, JsonNode *response, gint64 seconds)
{
	PdDynCached *c;
	gint64 now = g_get_monotonic_time();

	if (seconds <= 0)
		return;
	if (g_hash_table_size(cache->entries) >= PD_DYN_CACHE_MAX) {
		g_hash_table_foreach_remove(cache->entries, pd_dyn_cache_expired_cb, &now);
		if (g_hash_table_size(cache->entries) >= PD_DYN_CACHE_MAX)
			g_hash_table_remove_all(cache->entries);
	}
	c = g_new0(PdDynCached, 1);
	c->response = json_node_ref(response);
	c->expires = now + seconds * G_USEC_PER_SEC;
	g_hash_table_replace(cache->entries, g_strdup(key), c);
}

/* --- one sample's enrichment --- */

typedef struct {
	PdDynFetcher *fetcher;
	PdDynCache *cache;
	PdDynDef *def;
	PdDynPending *pending;
	JsonNode *sample;
	JsonNode *captured; /* object */
	JsonNode *by_name;  /* object */
	guint item;	    /* the next extra_metadata_fields entry */
	GStrv resources;    /* of the current entry */
	guint resource;
	gchar *target;
} PdDynEnrich;

static void
pd_dyn_enrich_free(PdDynEnrich *e)
{
	pd_dyn_fetcher_unref(e->fetcher);
	pd_dyn_def_unref(e->def);
	json_node_unref(e->sample);
	json_node_unref(e->captured);
	json_node_unref(e->by_name);
	g_strfreev(e->resources);
	g_free(e->target);
	g_free(e);
}

static PdDynDef *
pd_dyn_enrich_current(PdDynEnrich *e)
{
	return g_ptr_array_index(e->def->extra, e->item - 1);
}

static void
pd_dyn_enrich_next_item(GTask *task);
static void
pd_dyn_enrich_next_resource(GTask *task);

static void
pd_dyn_enrich_take(PdDynEnrich *e, JsonNode *response)
{
	PdDynDef *x = pd_dyn_enrich_current(e);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonArray) entries = pd_dyn_extract_entries(x, response, &error);
	g_autoptr(GPtrArray) subs =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_extract_pending_free);

	if (entries == NULL) {
		g_warning("%s: extra metadata %s: %s", e->def->name, x->name, error->message);
		return;
	}
	for (guint i = 0; i < json_array_get_length(entries); i++) {
		g_autoptr(GError) local = NULL;
		if (!pd_dyn_extract_pending(x, json_array_get_element(entries, i), subs, &local))
			g_warning(
			  "%s: extra metadata %s: %s", e->def->name, x->name, local->message);
	}
	for (guint i = 0; i < subs->len; i++)
		pd_dyn_extract_pending_capture(g_ptr_array_index(subs, i),
					       json_node_get_object(e->captured),
					       json_node_get_object(e->by_name));
}

static void
pd_dyn_enrich_fetched_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdDynEnrich *e = g_task_get_task_data(task);
	PdDynDef *x = pd_dyn_enrich_current(e);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = pd_dyn_fetcher_fetch_finish(res, &error);
	g_autoptr(JsonNode) response = NULL;
	gsize len = 0;
	const gchar *data;

	if (body != NULL) {
		data = g_bytes_get_data(body, &len);
		response =
		  pd_dyn_response_parse(x->handlers, data != NULL ? data : "", len, &error);
	}
	if (response == NULL) {
		g_warning("%s: extra metadata %s: %s", e->def->name, x->name, error->message);
	} else {
		pd_dyn_cache_store(e->cache, e->target, response, x->cache_seconds);
		pd_dyn_enrich_take(e, response);
	}
	pd_dyn_enrich_next_resource(task);
}

/* the URL or command of the current entry: its expression when it evaluates
 * to a string (Ceilometer falls back to the text on any error) */
static gchar *
pd_dyn_enrich_text(PdDynEnrich *e, PdDynDef *x)
{
	const gchar *text = x->kind == PD_DYN_KIND_COMMAND ? x->host_command : x->url_path;
	JsonNode *vars[] = { e->sample, e->captured, e->by_name };
	g_autoptr(JsonNode) v = NULL;
	g_autoptr(GError) error = NULL;

	if (x->url_expr == NULL)
		return g_strdup(text);
	v = pd_dyn_eval_expr(x->url_expr, vars, &error);
	if (v == NULL || pd_dyn_value_kind(v) != PD_DYN_STR) {
		g_debug("%s: %s: %s, using the text as it is",
			x->name,
			text,
			error != NULL ? error->message : "no string");
		return g_strdup(text);
	}
	return g_strdup(json_node_get_string(v));
}

static void
pd_dyn_enrich_next_resource(GTask *task)
{
	PdDynEnrich *e = g_task_get_task_data(task);
	PdDynDef *x = pd_dyn_enrich_current(e);
	g_autofree gchar *text = NULL;
	g_autoptr(JsonNode) cached = NULL;

	if (e->resources[e->resource] == NULL || g_task_return_error_if_cancelled(task)) {
		if (g_task_had_error(task)) {
			g_object_unref(task);
			return;
		}
		pd_dyn_enrich_next_item(task);
		return;
	}
	text = pd_dyn_enrich_text(e, x);
	g_free(e->target);
	e->target = pd_dyn_fetcher_target(x, e->resources[e->resource++], text);
	cached = pd_dyn_cache_lookup(e->cache, e->target);
	if (cached != NULL) {
		pd_dyn_enrich_take(e, cached);
		pd_dyn_enrich_next_resource(task);
		return;
	}
	pd_dyn_fetcher_fetch_async(
	  e->fetcher, x, e->target, g_task_get_cancellable(task), pd_dyn_enrich_fetched_cb, task);
}

static void
pd_dyn_enrich_endpoints_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdDynEnrich *e = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	e->resources = pd_os_client_get_endpoints_finish(PD_OS_CLIENT(source), res, &error);
	if (e->resources == NULL) {
		g_warning("%s: extra metadata %s: %s",
			  e->def->name,
			  pd_dyn_enrich_current(e)->name,
			  error->message);
		e->resources = g_new0(gchar *, 1);
	}
	pd_dyn_enrich_next_resource(task);
}

static void
pd_dyn_enrich_next_item(GTask *task)
{
	PdDynEnrich *e = g_task_get_task_data(task);
	PdDynDef *x;
	PdOsClient *client = pd_dyn_fetcher_get_client(e->fetcher);

	if (e->item >= e->def->extra->len) {
		pd_dyn_extract_pending_merge(e->pending, json_node_get_object(e->captured));
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	x = g_ptr_array_index(e->def->extra, e->item++);
	g_clear_pointer(&e->resources, g_strfreev);
	e->resource = 0;
	if (pd_dyn_extract_skip_matches(x->extra_skip, e->sample)) {
		pd_dyn_enrich_next_item(task);
		return;
	}
	if (x->endpoint_type != NULL && client != NULL) {
		pd_os_client_get_endpoints_async(client,
						 x->endpoint_type,
						 g_task_get_cancellable(task),
						 pd_dyn_enrich_endpoints_cb,
						 task);
		return;
	}
	e->resources = g_new0(gchar *, 2);
	e->resources[0] = g_strdup("");
	pd_dyn_enrich_next_resource(task);
}

void
pd_dyn_enrich_async(PdDynFetcher *fetcher,
		    PdDynCache *cache,
		    PdDynDef *def,
		    PdDynPending *p,
		    GCancellable *cancellable,
		    GAsyncReadyCallback callback,
		    gpointer user_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	PdDynEnrich *e = g_new0(PdDynEnrich, 1);

	e->fetcher = pd_dyn_fetcher_ref(fetcher);
	e->cache = cache;
	e->def = pd_dyn_def_ref(def);
	e->pending = p;
	e->sample = pd_dyn_extract_pending_sample_node(p);
	/* the nodes own their objects (json_node_init_object() would add a ref) */
	e->captured = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(e->captured, json_object_new());
	e->by_name = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(e->by_name, json_object_new());
	g_task_set_task_data(task, e, (GDestroyNotify)pd_dyn_enrich_free);
	pd_dyn_enrich_next_item(task);
}

void
pd_dyn_enrich_finish(GAsyncResult *res)
{
	g_task_propagate_boolean(G_TASK(res), NULL);
}
