/*
 * polld - values computed once per task cycle and shared by its pollsters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-config.h"

G_BEGIN_DECLS

/*
 * A PdCycleCache is shared by all pollsters of one task cycle (e.g. one
 * libvirt bulk stats call feeds 30 meters) and is thread-safe.
 */
typedef struct _PdCycleCache PdCycleCache;

/* computes a cache value; runs in the caller's thread, once per key per cycle */
typedef gpointer (*PdCycleCacheFunc)(gpointer user_data, GError **error);

/* the configuration in force for this cycle (changes on reload) */
PdConfig *
pd_cycle_cache_get_config(PdCycleCache *cache);

/* returns the cached value for @key, computing it with @func if this cycle
 * hasn't yet; concurrent callers for the same key wait for the first. A
 * failure is cached too (same error for everybody this cycle). The value is
 * destroyed with @destroy when the cycle ends. */
gpointer
pd_cycle_cache_get(PdCycleCache *cache,
		   const gchar *key,
		   PdCycleCacheFunc func,
		   gpointer user_data,
		   GDestroyNotify destroy,
		   GError **error);

G_END_DECLS
