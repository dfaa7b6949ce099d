/*
 * polld openstack plugin - discoveries: endpoint:<type>, tenant and the
 * API listings (images, volumes, fip_services...)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

#include "pd-os-client.h"

G_BEGIN_DECLS

#define PD_TYPE_OS_DISCOVERY (pd_os_discovery_get_type())
G_DECLARE_FINAL_TYPE(PdOsDiscovery, pd_os_discovery, PD, OS_DISCOVERY, PdDiscovery)

/* the discovery names this class implements, NULL-terminated */
extern const gchar *const pd_os_discovery_names[];

/* @client is set later, once the plugin starts */
PdDiscovery *
pd_os_discovery_new(const gchar *name);
void
pd_os_discovery_set_client(PdOsDiscovery *self, PdOsClient *client);

G_END_DECLS
