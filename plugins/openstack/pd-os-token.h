/*
 * polld openstack plugin - a Keystone v3 token and its service catalog
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _PdOsToken PdOsToken;

/* parses the body of POST /v3/auth/tokens; @id is the X-Subject-Token */
PdOsToken *
pd_os_token_new(const gchar *id, JsonNode *body, GError **error);
PdOsToken *
pd_os_token_ref(PdOsToken *token);
void
pd_os_token_unref(PdOsToken *token);
const gchar *
pd_os_token_get_id(PdOsToken *token);
const gchar *
pd_os_token_get_project_id(PdOsToken *token);
/* wall clock microseconds; G_MAXINT64 when Keystone gave none */
gint64
pd_os_token_get_expires(PdOsToken *token);
/* endpoint URLs of @service_type for @interface ("public", "internalURL"...)
 * in @region (NULL: any), in catalog order; empty when absent */
GStrv
pd_os_token_get_urls(PdOsToken *token,
		     const gchar *service_type,
		     const gchar *interface,
		     const gchar *region);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdOsToken, pd_os_token_unref)

G_END_DECLS
