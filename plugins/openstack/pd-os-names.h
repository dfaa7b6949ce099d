/*
 * polld openstack plugin - user and project names from Keystone for
 * [polling] identity_name_discovery, in a bounded, expiring cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-os-client.h"

G_BEGIN_DECLS

#define PD_TYPE_OS_NAMES (pd_os_names_get_type())
G_DECLARE_FINAL_TYPE(PdOsNames, pd_os_names, PD, OS_NAMES, GObject)

PdOsNames *
pd_os_names_new(PdOsClient *client, guint max_entries, guint ttl_s);
/* @kind is "users" or "projects"; the result is the name or NULL when
 * Keystone doesn't know the id (cached either way), never an error */
void
pd_os_names_lookup_async(PdOsNames *self,
			 const gchar *kind,
			 const gchar *id,
			 GAsyncReadyCallback callback,
			 gpointer user_data);
gchar *
pd_os_names_lookup_finish(PdOsNames *self, GAsyncResult *res);
/* sets user_name and project_name on the samples of @batch from @first on */
void
pd_os_names_fill_async(PdOsNames *self,
		       PdSampleBatch *batch,
		       guint first,
		       GAsyncReadyCallback callback,
		       gpointer user_data);
void
pd_os_names_fill_finish(PdOsNames *self, GAsyncResult *res);
guint
pd_os_names_get_size(PdOsNames *self);

G_END_DECLS
