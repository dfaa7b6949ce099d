/*
 * polld dynamic pollsters - extra_metadata_fields: the enrichment requests
 * of one sample, with their response cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-dyn-extract.h"
#include "pd-dyn-fetcher.h"

G_BEGIN_DECLS

/* a cache keeps at most this many answers */
#define PD_DYN_CACHE_MAX 10000

typedef struct _PdDynCache PdDynCache;

PdDynCache *
pd_dyn_enrich_cache_new(void);
void
pd_dyn_enrich_cache_free(PdDynCache *cache);
guint
pd_dyn_enrich_cache_get_hits(PdDynCache *cache);

/* runs @def's extra_metadata_fields for @p and merges what they capture
 * into its metadata; failures of single fields are logged, not returned */
void
pd_dyn_enrich_async(PdDynFetcher *fetcher,
		    PdDynCache *cache,
		    PdDynDef *def,
		    PdDynPending *p,
		    GCancellable *cancellable,
		    GAsyncReadyCallback callback,
		    gpointer user_data);
void
pd_dyn_enrich_finish(GAsyncResult *res);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDynCache, pd_dyn_enrich_cache_free)

G_END_DECLS
