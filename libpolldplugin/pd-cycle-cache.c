/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdCycleCache"

#include "config.h"

#include "pd-cycle-cache-private.h"
#include "pd-error.h"

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
