/*
 * polld host plugin - "local_node" discovery: the host polld runs on
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

G_BEGIN_DECLS

#define PD_TYPE_HOST_DISCOVERY (pd_host_discovery_get_type())
G_DECLARE_FINAL_TYPE(PdHostDiscovery, pd_host_discovery, PD, HOST_DISCOVERY, PdDiscovery)

PdDiscovery *
pd_host_discovery_new(void);

G_END_DECLS
