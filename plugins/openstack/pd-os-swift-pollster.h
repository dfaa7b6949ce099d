/*
 * polld openstack plugin - Swift account pollsters (storage.*): one HEAD
 * or container listing per project
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

#include "pd-os-client.h"
#include "pd-os-names.h"

G_BEGIN_DECLS

#define PD_TYPE_OS_SWIFT_POLLSTER (pd_os_swift_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdOsSwiftPollster, pd_os_swift_pollster, PD, OS_SWIFT_POLLSTER, PdPollster)

/* NULL-terminated */
extern const gchar *const pd_os_swift_meter_names[];

PdPollster *
pd_os_swift_pollster_new(const gchar *name);
void
pd_os_swift_pollster_set_client(PdOsSwiftPollster *self, PdOsClient *client, PdOsNames *names);
/* the plugin's set of projects whose account was warned about (shared by its
 * Swift pollsters, so the warning goes out once per project, not per pollster) */
void
pd_os_swift_pollster_set_warned(PdOsSwiftPollster *self, GHashTable *warned);
/* Ceilometer's _neaten_url: <endpoint up to /v1>/v1/<prefix><project> */
gchar *
pd_os_swift_account_url(const gchar *endpoint,
			const gchar *reseller_prefix,
			const gchar *project_id);

G_END_DECLS
