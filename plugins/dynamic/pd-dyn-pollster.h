/*
 * polld dynamic pollsters - the pollster of one definition
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-dyn-def.h"
#include "pd-dyn-fetcher.h"

G_BEGIN_DECLS

/* a cycle follows at most this many pages per resource */
#define PD_DYN_MAX_PAGES 1000

#define PD_TYPE_DYN_POLLSTER (pd_dyn_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdDynPollster, pd_dyn_pollster, PD, DYN_POLLSTER, PdPollster)

PdPollster *
pd_dyn_pollster_new(PdDynDef *def, const gchar *namespace);
PdDynDef *
pd_dyn_pollster_get_def(PdDynPollster *self);
void
pd_dyn_pollster_set_fetcher(PdDynPollster *self, PdDynFetcher *fetcher);

G_END_DECLS
