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

G_END_DECLS
