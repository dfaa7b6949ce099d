/*
 * polld host plugin - Ceilometer's hardware.* meters for the local Linux node
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

G_BEGIN_DECLS

#define PD_TYPE_PLUGIN_HOST (pd_plugin_host_get_type())
G_DECLARE_FINAL_TYPE(PdPluginHost, pd_plugin_host, PD, PLUGIN_HOST, PdPlugin)

G_END_DECLS
