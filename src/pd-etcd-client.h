/*
 * polld - a small asynchronous client of etcd's v3 JSON gateway
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "pd-coordination-url.h"

G_BEGIN_DECLS

/* in the daemon, pd-http-module.c forwards these to libpolld-http.so, where
 * pd-etcd-client.c defines them (pd-http-module.h) */
#ifndef PD_HTTP_MODULE_BUILD
#define pd_etcd_client_get_type pd_http_module_etcd_client_get_type
#define pd_etcd_client_new pd_http_module_etcd_client_new
#define pd_etcd_client_call_async pd_http_module_etcd_client_call_async
#define pd_etcd_client_call_finish pd_http_module_etcd_client_call_finish
#define pd_etcd_client_watch_async pd_http_module_etcd_client_watch_async
#define pd_etcd_client_watch_finish pd_http_module_etcd_client_watch_finish
#define pd_etcd_client_get_endpoint pd_http_module_etcd_client_get_endpoint
#define pd_etcd_client_get_requests pd_http_module_etcd_client_get_requests
#define pd_etcd_client_get_authentications pd_http_module_etcd_client_get_authentications
#endif
/* pd-http-util.c's, in both */
#define pd_etcd_client_encode pd_http_util_etcd_encode
#define pd_etcd_client_decode pd_http_util_etcd_decode
#define pd_etcd_client_prefix_end pd_http_util_etcd_prefix_end
#define pd_etcd_client_get_int pd_http_util_etcd_get_int

#define PD_TYPE_ETCD_CLIENT (pd_etcd_client_get_type())
G_DECLARE_FINAL_TYPE(PdEtcdClient, pd_etcd_client, PD, ETCD_CLIENT, GObject)

/* one message of a watch stream (the gateway's "result" object) */
typedef void (*PdEtcdWatchFunc)(JsonObject *result, gpointer user_data);

/* fails if the TLS files of @url can't be read */
PdEtcdClient *
pd_etcd_client_new(const PdCoordinationUrl *url, GError **error);

/* POST <api>/<method> (e.g. "lease/grant") with @body; the endpoints are
 * tried in turn until one answers. Finishes with the reply object, or an
 * error: G_IO_ERROR_CONNECTION_REFUSED-like transport errors when no
 * endpoint answered, G_IO_ERROR_FAILED with etcd's message otherwise. */
void
pd_etcd_client_call_async(PdEtcdClient *self,
			  const gchar *method,
			  JsonObject *body,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data);
JsonObject *
pd_etcd_client_call_finish(PdEtcdClient *self, GAsyncResult *res, GError **error);

/* a streaming watch of [@key, @range_end) from @start_revision: @func is
 * called for every message; the call finishes (always with an error) when
 * the stream ends, is cancelled or etcd cancels the watch */
void
pd_etcd_client_watch_async(PdEtcdClient *self,
			   const gchar *key,
			   const gchar *range_end,
			   gint64 start_revision,
			   PdEtcdWatchFunc func,
			   gpointer func_data,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data);
gboolean
pd_etcd_client_watch_finish(PdEtcdClient *self, GAsyncResult *res, GError **error);

/* the endpoint that answered last */
const gchar *
pd_etcd_client_get_endpoint(PdEtcdClient *self);
/* requests sent since start (watches included) */
guint64
pd_etcd_client_get_requests(PdEtcdClient *self);
/* auth/authenticate requests sent since start (0 without a user) */
guint64
pd_etcd_client_get_authentications(PdEtcdClient *self);

/* keys and values travel base64 encoded */
gchar *
pd_etcd_client_encode(const gchar *text);
gchar *
pd_etcd_client_decode(const gchar *b64);
/* the range end covering every key that starts with @prefix */
gchar *
pd_etcd_client_prefix_end(const gchar *prefix);
/* a gateway int64 (sent as a string), 0 if absent */
gint64
pd_etcd_client_get_int(JsonObject *obj, const gchar *member);

G_END_DECLS
