/*
 * polld openstack plugin - follows an OpenStack collection across pages:
 * Glance "next", Cinder/Neutron/Octavia "<key>_links", Keystone/Designate
 * "links.next"
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-os-client.h"

G_BEGIN_DECLS

/* GETs @url and its follow-up pages, collecting the objects of the @key
 * array; relative "next" links resolve against @base (the endpoint). The
 * result is a GPtrArray of JsonNode objects. */
void
pd_os_pager_list_async(PdOsClient *client,
		       const gchar *base,
		       const gchar *url,
		       const gchar *key,
		       const gchar *const *headers,
		       GCancellable *cancellable,
		       GAsyncReadyCallback callback,
		       gpointer user_data);
GPtrArray *
pd_os_pager_list_finish(GAsyncResult *res, GError **error);

/* @endpoint + @path, putting @version ("v2") between them unless the
 * endpoint already ends with it */
gchar *
pd_os_url_join(const gchar *endpoint, const gchar *version, const gchar *path);

G_END_DECLS
