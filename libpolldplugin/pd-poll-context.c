/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPollContext"

#include "config.h"

#include "pd-error.h"
#include "pd-poll-context-private.h"

typedef enum {
	PD_CACHE_ENTRY_COMPUTING,
	PD_CACHE_ENTRY_DONE,
} PdCacheEntryState;

typedef struct {
	PdCacheEntryState state;
	gpointer value;
	GDestroyNotify destroy;
	GError *error;
} PdCacheEntry;

struct _PdCycleCache {
	gint ref_count;
	PdConfig *config;
	GMutex mutex;
	GCond cond;
	GHashTable *entries; /* key -> PdCacheEntry */
};

struct _PdPollContext {
	PdPollContextFlushFunc flush;
	gpointer flush_data;
	guint flush_at;
	PdConfig *config;
	PdCycleCache *cache;
	PdSampleBatch *batch;
	GPtrArray *failures; /* of PdPermanentFailure */
	guint64 cycle;
	gchar *source_name;
};

static void
pd_cache_entry_free(PdCacheEntry *entry)
{
	if (entry->destroy != NULL && entry->value != NULL)
		entry->destroy(entry->value);
	g_clear_error(&entry->error);
	g_free(entry);
}

PdCycleCache *
pd_cycle_cache_new(PdConfig *config)
{
	PdCycleCache *cache = g_new0(PdCycleCache, 1);
	cache->ref_count = 1;
	cache->config = g_object_ref(config);
	g_mutex_init(&cache->mutex);
	g_cond_init(&cache->cond);
	cache->entries = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)pd_cache_entry_free);
	return cache;
}

PdCycleCache *
pd_cycle_cache_ref(PdCycleCache *cache)
{
	g_atomic_int_inc(&cache->ref_count);
	return cache;
}

void
pd_cycle_cache_unref(PdCycleCache *cache)
{
	if (cache == NULL || !g_atomic_int_dec_and_test(&cache->ref_count))
		return;
	g_hash_table_unref(cache->entries);
	g_object_unref(cache->config);
	g_mutex_clear(&cache->mutex);
	g_cond_clear(&cache->cond);
	g_free(cache);
}

PdConfig *
pd_cycle_cache_get_config(PdCycleCache *cache)
{
	return cache->config;
}

static gpointer
pd_cycle_cache_result(PdCacheEntry *entry, GError **error)
{
	if (entry->error != NULL) {
		g_propagate_error(error, g_error_copy(entry->error));
		return NULL;
	}
	return entry->value;
}

gpointer
pd_cycle_cache_get(PdCycleCache *cache,
		   const gchar *key,
		   PdCycleCacheFunc func,
		   gpointer user_data,
		   GDestroyNotify destroy,
		   GError **error)
{
	PdCacheEntry *entry;
	gpointer value;
	GError *error_local = NULL;

	g_mutex_lock(&cache->mutex);
	entry = g_hash_table_lookup(cache->entries, key);
	if (entry != NULL) {
		/* somebody else computes it: wait rather than fetch twice */
		while (entry->state == PD_CACHE_ENTRY_COMPUTING)
			g_cond_wait(&cache->cond, &cache->mutex);
		value = pd_cycle_cache_result(entry, error);
		g_mutex_unlock(&cache->mutex);
		return value;
	}
	entry = g_new0(PdCacheEntry, 1);
	entry->state = PD_CACHE_ENTRY_COMPUTING;
	entry->destroy = destroy;
	g_hash_table_insert(cache->entries, g_strdup(key), entry);
	g_mutex_unlock(&cache->mutex);

	value = func(user_data, &error_local);

	g_mutex_lock(&cache->mutex);
	entry->value = value;
	if (value == NULL && error_local == NULL)
		error_local = g_error_new(PD_ERROR, PD_ERROR_INTERNAL, "%s: no value", key);
	entry->error = error_local;
	entry->state = PD_CACHE_ENTRY_DONE;
	g_cond_broadcast(&cache->cond);
	value = pd_cycle_cache_result(entry, error);
	g_mutex_unlock(&cache->mutex);
	return value;
}

static void
pd_permanent_failure_free(PdPermanentFailure *f)
{
	pd_resource_unref(f->resource);
	g_free(f->reason);
	g_free(f);
}

PdPollContext *
pd_poll_context_new(PdConfig *config, PdCycleCache *cache, guint64 cycle, const gchar *source_name)
{
	PdPollContext *ctx = g_new0(PdPollContext, 1);
	ctx->config = g_object_ref(config);
	ctx->cache = pd_cycle_cache_ref(cache);
	ctx->batch = pd_sample_batch_new();
	ctx->failures = g_ptr_array_new_with_free_func((GDestroyNotify)pd_permanent_failure_free);
	ctx->cycle = cycle;
	ctx->source_name = g_strdup(source_name);
	return ctx;
}

void
pd_poll_context_free(PdPollContext *ctx)
{
	if (ctx == NULL)
		return;
	g_object_unref(ctx->config);
	pd_cycle_cache_unref(ctx->cache);
	if (ctx->batch != NULL)
		pd_sample_batch_free(ctx->batch);
	g_ptr_array_unref(ctx->failures);
	g_free(ctx->source_name);
	g_free(ctx);
}

PdSample *
pd_poll_context_add_sample(PdPollContext *ctx,
			   const gchar *name,
			   PdSampleType type,
			   const gchar *unit,
			   const gchar *resource_id,
			   const gchar *user_id,
			   const gchar *project_id,
			   PdMetadata *metadata)
{
	/* flush when the next sample would start a new chunk: the samples
	 * before it are complete by now (callers fill in the volume after
	 * add), so memory stays bounded by the chunk, not by the resources */
	if (ctx->flush != NULL && pd_sample_batch_get_size(ctx->batch) >= ctx->flush_at) {
		PdSampleBatch *full = g_steal_pointer(&ctx->batch);
		ctx->batch = pd_sample_batch_new();
		ctx->flush(ctx, full, ctx->flush_data);
	}
	return pd_sample_batch_add(
	  ctx->batch, name, type, unit, resource_id, user_id, project_id, metadata);
}

void
pd_poll_context_set_flush(PdPollContext *ctx,
			  guint flush_at,
			  PdPollContextFlushFunc func,
			  gpointer user_data)
{
	ctx->flush_at = MAX(flush_at, 1);
	ctx->flush = func;
	ctx->flush_data = user_data;
}

PdSampleBatch *
pd_poll_context_get_batch(PdPollContext *ctx)
{
	return ctx->batch;
}

PdSampleBatch *
pd_poll_context_steal_batch(PdPollContext *ctx)
{
	return g_steal_pointer(&ctx->batch);
}

void
pd_poll_context_add_permanent_failure(PdPollContext *ctx, PdResource *res, const gchar *reason)
{
	PdPermanentFailure *f = g_new0(PdPermanentFailure, 1);
	f->resource = pd_resource_ref(res);
	f->reason = g_strdup(reason);
	g_ptr_array_add(ctx->failures, f);
}

GPtrArray *
pd_poll_context_get_failures(PdPollContext *ctx)
{
	return ctx->failures;
}

PdConfig *
pd_poll_context_get_config(PdPollContext *ctx)
{
	return ctx->config;
}

PdCycleCache *
pd_poll_context_get_cache(PdPollContext *ctx)
{
	return ctx->cache;
}

guint64
pd_poll_context_get_cycle(PdPollContext *ctx)
{
	return ctx->cycle;
}

const gchar *
pd_poll_context_get_source_name(PdPollContext *ctx)
{
	return ctx->source_name;
}
