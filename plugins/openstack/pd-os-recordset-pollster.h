/*
 * polld openstack plugin - dns.zone.recordsets: the recordsets of each
 * discovered Designate zone, counted over one paged listing per zone
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

#include "pd-os-client.h"
#include "pd-os-names.h"

G_BEGIN_DECLS

#define PD_TYPE_OS_RECORDSET_POLLSTER (pd_os_recordset_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdOsRecordsetPollster,
		     pd_os_recordset_pollster,
		     PD,
		     OS_RECORDSET_POLLSTER,
		     PdPollster)

PdPollster *
pd_os_recordset_pollster_new(void);
void
pd_os_recordset_pollster_set_client(PdOsRecordsetPollster *self,
				    PdOsClient *client,
				    PdOsNames *names);

G_END_DECLS
