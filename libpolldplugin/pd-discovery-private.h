/*
 * polld - what the engine asks of a discovery beyond the SDK (not installed)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-discovery.h"

G_BEGIN_DECLS

/* TRUE when a run of @self gives each resource once (a discovery in parts
 * run by the SDK: its contract); FALSE when it may repeat one */
gboolean
pd_discovery_gives_each_once(PdDiscovery *self);

/* a hold on the done notification (PdDiscoveryPartDoneFunc) of the part
 * being dispatched on this thread, from its part function: the engine takes
 * one for each worker-thread invocation it starts on the part and releases
 * it, from any thread, once the invocation returned. NULL outside a part
 * function, or when the part has no done function. */
typedef struct _PdDiscoveryPartDone PdDiscoveryPartDone;
PdDiscoveryPartDone *
pd_discovery_part_hold(void);
void
pd_discovery_part_release(PdDiscoveryPartDone *done);

G_END_DECLS
