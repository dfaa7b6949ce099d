/*
 * polld openstack plugin - the PdPlugin subclass
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

G_BEGIN_DECLS

#define PD_TYPE_PLUGIN_OPENSTACK (pd_plugin_openstack_get_type())
G_DECLARE_FINAL_TYPE(PdPluginOpenstack, pd_plugin_openstack, PD, PLUGIN_OPENSTACK, PdPlugin)

G_END_DECLS
