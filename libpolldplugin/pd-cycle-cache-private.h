/*
 * polld - engine side of PdCycleCache; not part of the installed SDK
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-cycle-cache.h"

G_BEGIN_DECLS

PdCycleCache *
pd_cycle_cache_new(PdConfig *config);
PdCycleCache *
pd_cycle_cache_ref(PdCycleCache *cache);
void
pd_cycle_cache_unref(PdCycleCache *cache);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdCycleCache, pd_cycle_cache_unref)

G_END_DECLS
