/*
 * polld openstack plugin - resources carrying an API object; pollsters only
 * trust data made here, so a source that feeds them another plugin's
 * resources gets an error instead of a crash
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "polld.h"

G_BEGIN_DECLS

PdResource *
pd_os_resource_new(const gchar *id, JsonNode *node);
/* the API object (borrowed) or NULL if @res is not ours */
JsonNode *
pd_os_resource_get_node(PdResource *res);

G_END_DECLS
