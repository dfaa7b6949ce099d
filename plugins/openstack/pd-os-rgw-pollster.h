/*
 * polld openstack plugin - Ceilometer's radosgw.* meters from the Ceph
 * RADOS Gateway admin API, one request per project per task cycle
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

#include "pd-os-client.h"
#include "pd-os-names.h"

G_BEGIN_DECLS

#define PD_TYPE_OS_RGW_POLLSTER (pd_os_rgw_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdOsRgwPollster, pd_os_rgw_pollster, PD, OS_RGW_POLLSTER, PdPollster)

/* the pollster names (the meters), NULL-terminated */
extern const gchar *const pd_os_rgw_meter_names[];
/* the config keys read, as group, key pairs ending with NULL */
extern const gchar *const pd_os_rgw_config_keys[];

PdPollster *
pd_os_rgw_pollster_new(const gchar *name);
void
pd_os_rgw_pollster_set_client(PdOsRgwPollster *self, PdOsClient *client, PdOsNames *names);

/* the AWS signature version 2 header value Ceilometer's S3Auth sends for a
 * GET of @resource (the URL's path, e.g. "/admin/bucket") at @date (an RFC
 * 1123 date): "AWS <access key>:<base64 HMAC-SHA1>" */
gchar *
pd_os_rgw_authorization(const gchar *access_key,
			const gchar *secret_key,
			const gchar *date,
			const gchar *resource);

G_END_DECLS
