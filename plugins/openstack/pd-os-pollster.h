/*
 * polld openstack plugin - a pollster turning each discovered API object
 * into one sample, driven by a PdOsMeter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

#include "pd-os-client.h"
#include "pd-os-meters.h"
#include "pd-os-names.h"

G_BEGIN_DECLS

#define PD_TYPE_OS_POLLSTER (pd_os_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdOsPollster, pd_os_pollster, PD, OS_POLLSTER, PdPollster)

/* @meter points into the static table */
PdPollster *
pd_os_pollster_new(const PdOsMeter *meter);
/* NULL: no identity name discovery */
void
pd_os_pollster_set_names(PdOsPollster *self, PdOsNames *names);

/* shared with the other openstack pollsters: fill names if @names is set,
 * then complete @task with @error (may be NULL) */
void
pd_os_pollster_finish_task(GTask *task,
			   PdOsNames *names,
			   PdPollContext *ctx,
			   guint first,
			   GError *error);
/* for pollsters that need one endpoint of @service: the first URL from the
 * pd_os_client_get_endpoints_async() result @res; NULL when there is none
 * or the catalog failed, and then @task is completed (TRUE, nothing to poll,
 * or the error) and unreffed */
gchar *
pd_os_pollster_task_endpoint(GTask *task,
			     PdOsClient *client,
			     GAsyncResult *res,
			     const gchar *service,
			     const gchar *label);

G_END_DECLS
