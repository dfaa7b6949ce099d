/*
 * polld dynamic pollsters plugin: pollsters defined by YAML files in
 * pollsters_definitions_dirs (built into the openstack module, whose
 * Keystone client it shares)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

G_BEGIN_DECLS

#define PD_TYPE_PLUGIN_DYNAMIC (pd_plugin_dynamic_get_type())
G_DECLARE_FINAL_TYPE(PdPluginDynamic, pd_plugin_dynamic, PD, PLUGIN_DYNAMIC, PdPlugin)

G_END_DECLS
