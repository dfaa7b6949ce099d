/*
 * polld ipmi plugin - Ceilometer's hardware.ipmi.* meters through ipmitool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

G_BEGIN_DECLS

#define PD_TYPE_PLUGIN_IPMI (pd_plugin_ipmi_get_type())
G_DECLARE_FINAL_TYPE(PdPluginIpmi, pd_plugin_ipmi, PD, PLUGIN_IPMI, PdPlugin)

/* a pollster's state for the plugin status on D-Bus; NULL when fine.
 * Thread-safe. */
void
pd_plugin_ipmi_set_meter_status(PdPluginIpmi *self, const gchar *meter, const gchar *status);

G_END_DECLS
