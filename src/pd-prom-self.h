/*
 * polld - the agent's own metrics (polld_*) for the Prometheus exporter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-coordination.h"
#include "pd-engine.h"
#include "pd-prom-store.h"

G_BEGIN_DECLS

typedef struct _PdPromSelf PdPromSelf;

/* follows @engine's cycles (for the duration histograms) */
PdPromSelf *
pd_prom_self_new(PdEngine *engine);
void
pd_prom_self_free(PdPromSelf *self);
/* adds polld_coordination_state; @coordination outlives @self */
void
pd_prom_self_set_coordination(PdPromSelf *self, PdCoordination *coordination);
/* a PdPromCollectFunc: appends every polld_* family */
void
pd_prom_self_collect(GString *out, PdPromFormat format, gpointer self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdPromSelf, pd_prom_self_free)

G_END_DECLS
