/*
 * polld openstack plugin - the OpenStack API client shared by all central
 * pollsters: one SoupSession, Keystone v3 password auth with a cached token
 * (renewed shortly before expiry, and once on a 401), catalog lookup and
 * per-request timeouts. Everything runs asynchronously on the main thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "polld.h"

#include "pd-os-token.h"

G_BEGIN_DECLS

/* HTTP statuses outside 2xx; the code is the status */
#define PD_OS_HTTP_ERROR (pd_os_http_error_quark())
GQuark
pd_os_http_error_quark(void);

typedef enum {
	PD_OS_REQUEST_NONE = 0,
	PD_OS_REQUEST_JSON = 1 << 0,	 /* the body must parse as JSON */
	PD_OS_REQUEST_NO_TOKEN = 1 << 1, /* no Keystone token: @headers carry the auth */
	PD_OS_REQUEST_RAW = 1 << 2,	 /* keep the body's bytes in ->raw */
} PdOsRequestFlags;

typedef struct {
	guint status;
	SoupMessageHeaders *headers;
	JsonNode *body; /* NULL without PD_OS_REQUEST_JSON or for an empty body */
	GBytes *raw;	/* NULL without PD_OS_REQUEST_RAW */
} PdOsResponse;

void
pd_os_response_free(PdOsResponse *resp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdOsResponse, pd_os_response_free)

#define PD_TYPE_OS_CLIENT (pd_os_client_get_type())
G_DECLARE_FINAL_TYPE(PdOsClient, pd_os_client, PD, OS_CLIENT, GObject)

/* the config keys the client reads, as group, key pairs ending with NULL */
extern const gchar *const pd_os_client_config_keys[];

PdOsClient *
pd_os_client_new(PdConfig *config, GError **error);
/* cancels every request in flight; they complete with PD_ERROR_CANCELLED */
void
pd_os_client_shutdown(PdOsClient *self);
PdConfig *
pd_os_client_get_config(PdOsClient *self);
/* [service_types] @service ("glance", "cinder"...) or Ceilometer's default */
const gchar *
pd_os_client_get_service_type(PdOsClient *self, const gchar *service);
/* TRUE the first time a service type is reported missing, to log it once */
gboolean
pd_os_client_note_missing(PdOsClient *self, const gchar *service_type);
/* the Keystone v3 root, e.g. http://keystone:5000/v3 */
const gchar *
pd_os_client_get_identity_url(PdOsClient *self);

void
pd_os_client_get_token_async(PdOsClient *self,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer user_data);
PdOsToken *
pd_os_client_get_token_finish(PdOsClient *self, GAsyncResult *res, GError **error);

/* every catalog URL of @service_type for the configured interface and
 * region (possibly none) */
void
pd_os_client_get_endpoints_async(PdOsClient *self,
				 const gchar *service_type,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
GStrv
pd_os_client_get_endpoints_finish(PdOsClient *self, GAsyncResult *res, GError **error);
/* for a pollster that needs one endpoint of @service ("swift"...): the first
 * URL; NULL with @error set when the catalog could not be read, NULL without
 * when the service is not in it (warned once, naming @label) */
gchar *
pd_os_client_first_endpoint_finish(PdOsClient *self,
				   GAsyncResult *res,
				   const gchar *service,
				   const gchar *label,
				   GError **error);

/* an authenticated request; @headers are name, value pairs ending with NULL.
 * Fails with PD_OS_HTTP_ERROR for non-2xx answers, PD_ERROR_TIMED_OUT after
 * [service_credentials] timeout, PD_ERROR_FAILED for malformed JSON */
void
pd_os_client_request_async(PdOsClient *self,
			   const gchar *method,
			   const gchar *url,
			   const gchar *const *headers,
			   PdOsRequestFlags flags,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data);
PdOsResponse *
pd_os_client_request_finish(PdOsClient *self, GAsyncResult *res, GError **error);

G_END_DECLS
