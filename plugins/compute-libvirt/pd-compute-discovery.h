/*
 * polld - "local_instances": the Nova instances of the local libvirt
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-compute-connection.h"
#include "polld.h"

G_BEGIN_DECLS

#define PD_TYPE_COMPUTE_DISCOVERY (pd_compute_discovery_get_type())
G_DECLARE_FINAL_TYPE(PdComputeDiscovery, pd_compute_discovery, PD, COMPUTE_DISCOVERY, PdDiscovery)

PdDiscovery *
pd_compute_discovery_new(PdComputeConnection *conn);
/* @flavor_ids: "name:id" pairs for flavors whose id the XML lacks */
void
pd_compute_discovery_configure(PdComputeDiscovery *self, const gchar *host, gchar **flavor_ids);
/* instances (or non-instance domains) remembered, for tests */
guint
pd_compute_discovery_get_cache_size(PdComputeDiscovery *self);

G_END_DECLS
