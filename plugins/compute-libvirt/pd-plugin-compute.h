/*
 * polld - compute plugin: Nova instances on the local libvirt
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

G_BEGIN_DECLS

#define PD_TYPE_PLUGIN_COMPUTE (pd_plugin_compute_get_type())
G_DECLARE_FINAL_TYPE(PdPluginCompute, pd_plugin_compute, PD, PLUGIN_COMPUTE, PdPlugin)

G_END_DECLS
