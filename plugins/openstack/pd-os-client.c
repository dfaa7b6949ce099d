/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include <string.h>

#include "pd-os-client.h"
#include "pd-os-json.h"

/* renew the token this long before Keystone says it expires */
#define PD_OS_TOKEN_MARGIN_US (120 * G_USEC_PER_SEC)

const gchar *const pd_os_client_config_keys[] = {
	"service_credentials",
	"auth_type",
	"service_credentials",
	"auth_url",
	"service_credentials",
	"auth_section",
	"service_credentials",
	"username",
	"service_credentials",
	"user_id",
	"service_credentials",
	"password",
	"service_credentials",
	"user_domain_name",
	"service_credentials",
	"user_domain_id",
	"service_credentials",
	"project_name",
	"service_credentials",
	"project_id",
	"service_credentials",
	"project_domain_name",
	"service_credentials",
	"project_domain_id",
	"service_credentials",
	"region_name",
	"service_credentials",
	"interface",
	"service_credentials",
	"cafile",
	"service_credentials",
	"certfile",
	"service_credentials",
	"keyfile",
	"service_credentials",
	"insecure",
	"service_credentials",
	"timeout",
	"service_types",
	"glance",
	"service_types",
	"cinder",
	"service_types",
	"neutron",
	"service_types",
	"swift",
	"service_types",
	"nova",
	"service_types",
	"octavia",
	"service_types",
	"designate",
	"service_types",
	"manila",
	NULL,
};

static const gchar *const pd_os_default_service_types[] = {
	"glance",    "image",	     "cinder", "volumev3", "neutron", "network",
	"swift",     "object-store", "nova",   "compute",  "octavia", "load-balancer",
	"designate", "dns",	     "manila", "sharev2",  NULL,
};

struct _PdOsClient {
	GObject parent_instance;
	PdConfig *config;
	SoupSession *session;
	GCancellable *shutdown;
	gchar *identity_url;
	gboolean insecure;
	guint timeout_s;
	PdOsToken *token;
	GPtrArray *auth_waiters; /* GTasks, non-NULL while authenticating */
	GHashTable *missing;	 /* service types already reported missing */
};

G_DEFINE_TYPE(PdOsClient, pd_os_client, G_TYPE_OBJECT)
/* not G_DEFINE_QUARK(): clang-format spaces out its dashed name, and so the quark's string */
GQuark
pd_os_http_error_quark(void)
{
	return g_quark_from_static_string("pd-os-http-error-quark");
}

void
pd_os_response_free(PdOsResponse *resp)
{
	if (resp == NULL)
		return;
	if (resp->headers != NULL)
		soup_message_headers_unref(resp->headers);
	if (resp->body != NULL)
		json_node_unref(resp->body);
	if (resp->raw != NULL)
		g_bytes_unref(resp->raw);
	g_free(resp);
}

/* --- one HTTP exchange with a deadline --- */

typedef struct {
	PdOsClient *client;
	SoupMessage *msg;
	GCancellable *cancellable; /* ours, cancelled by shutdown, caller or timer */
	GCancellable *outer;
	gulong shutdown_id;
	gulong outer_id;
	GSource *timer;
	gboolean timed_out;
} PdOsExchange;

static void
pd_os_exchange_free(PdOsExchange *ex)
{
	if (ex->timer != NULL) {
		g_source_destroy(ex->timer);
		g_source_unref(ex->timer);
	}
	g_cancellable_disconnect(ex->client->shutdown, ex->shutdown_id);
	if (ex->outer != NULL) {
		g_cancellable_disconnect(ex->outer, ex->outer_id);
		g_object_unref(ex->outer);
	}
	g_object_unref(ex->cancellable);
	g_object_unref(ex->msg);
	g_object_unref(ex->client);
	g_free(ex);
}

static void
pd_os_exchange_cancel_cb(GCancellable *source, gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

static gboolean
pd_os_exchange_timeout_cb(gpointer user_data)
{
	PdOsExchange *ex = user_data;
	ex->timed_out = TRUE;
	g_clear_pointer(&ex->timer, g_source_unref);
	g_cancellable_cancel(ex->cancellable);
	return G_SOURCE_REMOVE;
}

static gboolean
pd_os_accept_any_certificate_cb(SoupMessage *msg,
				GTlsCertificate *cert,
				GTlsCertificateFlags errors,
				gpointer data)
{
	return TRUE;
}

static void
pd_os_exchange_read_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdOsExchange *ex = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	GBytes *bytes = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);
	g_autofree gchar *uri = g_uri_to_string(soup_message_get_uri(ex->msg));

	if (bytes != NULL) {
		g_task_return_pointer(task, bytes, (GDestroyNotify)g_bytes_unref);
		return;
	}
	if (ex->timed_out) {
		g_task_return_new_error(task,
					PD_ERROR,
					PD_ERROR_TIMED_OUT,
					"%s %s: no answer within %u s",
					soup_message_get_method(ex->msg),
					uri,
					ex->client->timeout_s);
		return;
	}
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_task_return_new_error(task,
					PD_ERROR,
					PD_ERROR_CANCELLED,
					"%s %s: cancelled",
					soup_message_get_method(ex->msg),
					uri);
		return;
	}
	g_task_return_new_error(task,
				PD_ERROR,
				PD_ERROR_FAILED,
				"%s %s: %s",
				soup_message_get_method(ex->msg),
				uri,
				error->message);
}

static void
pd_os_exchange_async(PdOsClient *self,
		     SoupMessage *msg,
		     GCancellable *cancellable,
		     GAsyncReadyCallback callback,
		     gpointer user_data)
{
	GTask *task = g_task_new(self, NULL, callback, user_data);
	PdOsExchange *ex = g_new0(PdOsExchange, 1);

	ex->client = g_object_ref(self);
	ex->msg = g_object_ref(msg);
	ex->cancellable = g_cancellable_new();
	g_task_set_task_data(task, ex, (GDestroyNotify)pd_os_exchange_free);
	ex->shutdown_id = g_cancellable_connect(
	  self->shutdown, G_CALLBACK(pd_os_exchange_cancel_cb), ex->cancellable, NULL);
	if (cancellable != NULL) {
		ex->outer = g_object_ref(cancellable);
		ex->outer_id = g_cancellable_connect(
		  cancellable, G_CALLBACK(pd_os_exchange_cancel_cb), ex->cancellable, NULL);
	}
	if (self->timeout_s > 0) {
		ex->timer = g_timeout_source_new_seconds(self->timeout_s);
		g_source_set_callback(ex->timer, pd_os_exchange_timeout_cb, ex, NULL);
		g_source_set_name(ex->timer, "[polld] openstack request timeout");
		g_source_attach(ex->timer, NULL);
	}
	if (self->insecure)
		g_signal_connect(
		  msg, "accept-certificate", G_CALLBACK(pd_os_accept_any_certificate_cb), NULL);
	soup_session_send_and_read_async(
	  self->session, msg, G_PRIORITY_DEFAULT, ex->cancellable, pd_os_exchange_read_cb, task);
}

static GBytes *
pd_os_exchange_finish(PdOsClient *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* the "message" Keystone and friends put in error bodies, or the reason phrase */
static gchar *
pd_os_describe_failure(SoupMessage *msg, GBytes *bytes)
{
	gsize len = 0;
	const gchar *data = bytes != NULL ? g_bytes_get_data(bytes, &len) : NULL;
	g_autofree gchar *text = NULL;

	if (data == NULL || len == 0)
		return g_strdup(soup_message_get_reason_phrase(msg));
	text = g_strndup(data, MIN(len, 200));
	g_strdelimit(text, "\r\n\t", ' ');
	return g_strdup_printf("%s: %s", soup_message_get_reason_phrase(msg), text);
}

static gboolean
pd_os_check_status(SoupMessage *msg, GBytes *bytes, GError **error)
{
	guint status = soup_message_get_status(msg);
	g_autofree gchar *uri = NULL;
	g_autofree gchar *why = NULL;

	if (status >= 200 && status < 300)
		return TRUE;
	uri = g_uri_to_string(soup_message_get_uri(msg));
	why = pd_os_describe_failure(msg, bytes);
	g_set_error(error,
		    PD_OS_HTTP_ERROR,
		    (gint)status,
		    "%s %s: HTTP %u %s",
		    soup_message_get_method(msg),
		    uri,
		    status,
		    why);
	return FALSE;
}

static JsonNode *
pd_os_parse_json(SoupMessage *msg, GBytes *bytes, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) local = NULL;
	gsize len = 0;
	const gchar *data = g_bytes_get_data(bytes, &len);
	g_autofree gchar *uri = NULL;

	if (len > 0 && json_parser_load_from_data(parser, data, (gssize)len, &local) &&
	    json_parser_get_root(parser) != NULL)
		return json_node_ref(json_parser_get_root(parser));
	uri = g_uri_to_string(soup_message_get_uri(msg));
	g_set_error(error,
		    PD_ERROR,
		    PD_ERROR_FAILED,
		    "%s %s: malformed JSON answer: %s",
		    soup_message_get_method(msg),
		    uri,
		    local != NULL ? local->message : "empty body");
	return NULL;
}

/* --- Keystone authentication --- */

static void
pd_os_add_scoped_name(JsonBuilder *b, PdConfig *config, const gchar *what, const gchar *domain_what)
{
	g_autofree gchar *id_key = g_strdup_printf("%s_id", what);
	g_autofree gchar *name_key = g_strdup_printf("%s_name", what);
	g_autofree gchar *dom_id_key = g_strdup_printf("%s_domain_id", domain_what);
	g_autofree gchar *dom_name_key = g_strdup_printf("%s_domain_name", domain_what);
	const gchar *id = pd_config_get_string(config, "service_credentials", id_key, NULL);
	const gchar *dom_name =
	  pd_config_get_string(config, "service_credentials", dom_name_key, NULL);

	if (g_strcmp0(what, "user") == 0 && id == NULL) {
		g_free(name_key);
		name_key = g_strdup("username");
	}
	if (id != NULL) {
		json_builder_set_member_name(b, "id");
		json_builder_add_string_value(b, id);
		return;
	}
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(
	  b, pd_config_get_string(config, "service_credentials", name_key, ""));
	json_builder_set_member_name(b, "domain");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, dom_name != NULL ? "name" : "id");
	json_builder_add_string_value(
	  b,
	  dom_name != NULL
	    ? dom_name
	    : pd_config_get_string(config, "service_credentials", dom_id_key, "default"));
	json_builder_end_object(b);
}

static gchar *
pd_os_auth_body(PdConfig *config)
{
	g_autoptr(JsonBuilder) b = json_builder_new_immutable();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "auth");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "identity");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "methods");
	json_builder_begin_array(b);
	json_builder_add_string_value(b, "password");
	json_builder_end_array(b);
	json_builder_set_member_name(b, "password");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "user");
	json_builder_begin_object(b);
	pd_os_add_scoped_name(b, config, "user", "user");
	json_builder_set_member_name(b, "password");
	json_builder_add_string_value(
	  b, pd_config_get_string(config, "service_credentials", "password", ""));
	json_builder_end_object(b);
	json_builder_end_object(b);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "scope");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "project");
	json_builder_begin_object(b);
	pd_os_add_scoped_name(b, config, "project", "project");
	json_builder_end_object(b);
	json_builder_end_object(b);
	json_builder_end_object(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

static void
pd_os_client_auth_done(PdOsClient *self, PdOsToken *token, const GError *error)
{
	g_autoptr(GPtrArray) waiters = g_steal_pointer(&self->auth_waiters);

	if (token != NULL) {
		g_clear_pointer(&self->token, pd_os_token_unref);
		self->token = pd_os_token_ref(token);
	}
	for (guint i = 0; i < waiters->len; i++) {
		GTask *task = g_ptr_array_index(waiters, i);
		if (token != NULL)
			g_task_return_pointer(
			  task, pd_os_token_ref(token), (GDestroyNotify)pd_os_token_unref);
		else
			g_task_return_error(task, g_error_copy(error));
	}
}

static PdOsToken *
pd_os_client_parse_auth(PdOsClient *self, SoupMessage *msg, GBytes *bytes, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(JsonNode) body = NULL;
	const gchar *user =
	  pd_config_get_string(self->config, "service_credentials", "username", NULL);

	if (!pd_os_check_status(msg, bytes, &local)) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_FAILED,
			    "Keystone authentication of user '%s' failed: %s",
			    user != NULL ? user : "(unset)",
			    local->message);
		return NULL;
	}
	body = pd_os_parse_json(msg, bytes, error);
	if (body == NULL)
		return NULL;
	return pd_os_token_new(
	  soup_message_headers_get_one(soup_message_get_response_headers(msg), "X-Subject-Token"),
	  body,
	  error);
}

static void
pd_os_client_auth_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SoupMessage) msg = user_data;
	PdOsClient *self = PD_OS_CLIENT(source);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = pd_os_exchange_finish(self, res, &error);
	g_autoptr(PdOsToken) token = NULL;

	if (bytes != NULL)
		token = pd_os_client_parse_auth(self, msg, bytes, &error);
	if (token != NULL)
		g_debug("authenticated with Keystone at %s", self->identity_url);
	pd_os_client_auth_done(self, token, error);
}

static void
pd_os_client_authenticate(PdOsClient *self)
{
	g_autofree gchar *url = g_strdup_printf("%s/auth/tokens", self->identity_url);
	g_autofree gchar *body = pd_os_auth_body(self->config);
	g_autoptr(GBytes) bytes = NULL;
	SoupMessage *msg = soup_message_new(SOUP_METHOD_POST, url);
	g_autoptr(GError) error = NULL;

	if (msg == NULL) {
		g_set_error(&error,
			    PD_ERROR,
			    PD_ERROR_INVALID_CONFIG,
			    "[service_credentials] auth_url '%s' is not a valid URL",
			    self->identity_url);
		pd_os_client_auth_done(self, NULL, error);
		return;
	}
	bytes = g_bytes_new(body, strlen(body));
	soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
	pd_os_exchange_async(self, msg, NULL, pd_os_client_auth_cb, msg);
}

void
pd_os_client_get_token_async(PdOsClient *self,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	if (self->token != NULL &&
	    g_get_real_time() < pd_os_token_get_expires(self->token) - PD_OS_TOKEN_MARGIN_US) {
		g_task_return_pointer(
		  task, pd_os_token_ref(self->token), (GDestroyNotify)pd_os_token_unref);
		return;
	}
	if (self->auth_waiters != NULL) {
		g_ptr_array_add(self->auth_waiters, g_steal_pointer(&task));
		return;
	}
	self->auth_waiters = g_ptr_array_new_with_free_func(g_object_unref);
	g_ptr_array_add(self->auth_waiters, g_steal_pointer(&task));
	pd_os_client_authenticate(self);
}

PdOsToken *
pd_os_client_get_token_finish(PdOsClient *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* a 401 with @token: forget it unless somebody already replaced it */
static void
pd_os_client_invalidate(PdOsClient *self, PdOsToken *token)
{
	if (self->token == token) {
		g_info("Keystone token rejected with 401, authenticating again");
		g_clear_pointer(&self->token, pd_os_token_unref);
	}
}

/* --- catalog --- */

static void
pd_os_client_endpoints_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdOsClient *self = PD_OS_CLIENT(source);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdOsToken) token = pd_os_client_get_token_finish(self, res, &error);
	const gchar *creds = "service_credentials";

	if (token == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_pointer(
	  task,
	  pd_os_token_get_urls(token,
			       g_task_get_task_data(task),
			       pd_config_get_string(self->config, creds, "interface", "public"),
			       pd_config_get_string(self->config, creds, "region_name", NULL)),
	  (GDestroyNotify)g_strfreev);
}

void
pd_os_client_get_endpoints_async(PdOsClient *self,
				 const gchar *service_type,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_task_data(task, g_strdup(service_type), g_free);
	pd_os_client_get_token_async(self, cancellable, pd_os_client_endpoints_cb, task);
}

GStrv
pd_os_client_get_endpoints_finish(PdOsClient *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

gchar *
pd_os_client_first_endpoint_finish(PdOsClient *self,
				   GAsyncResult *res,
				   const gchar *service,
				   const gchar *label,
				   GError **error)
{
	g_auto(GStrv) urls = pd_os_client_get_endpoints_finish(self, res, error);
	const gchar *type;

	if (urls == NULL)
		return NULL;
	if (urls[0] != NULL)
		return g_strdup(urls[0]);
	type = pd_os_client_get_service_type(self, service);
	if (pd_os_client_note_missing(self, type))
		g_warning("%s endpoint not found: service type '%s' is not in the Keystone catalog",
			  label,
			  type);
	return NULL;
}

/* --- authenticated requests --- */

typedef struct {
	gchar *method;
	gchar *url;
	GStrv headers;
	PdOsRequestFlags flags;
	GCancellable *cancellable;
	PdOsToken *token;
	SoupMessage *msg;
	gboolean retried;
} PdOsRequest;

static void
pd_os_request_free(PdOsRequest *req)
{
	g_free(req->method);
	g_free(req->url);
	g_strfreev(req->headers);
	g_clear_object(&req->cancellable);
	g_clear_pointer(&req->token, pd_os_token_unref);
	g_clear_object(&req->msg);
	g_free(req);
}

static void
pd_os_request_token_cb(GObject *source, GAsyncResult *res, gpointer user_data);
static void
pd_os_request_send(PdOsClient *self, GTask *task);

static PdOsResponse *
pd_os_request_response(PdOsRequest *req, GBytes *bytes, GError **error)
{
	g_autoptr(PdOsResponse) resp = g_new0(PdOsResponse, 1);

	if (!pd_os_check_status(req->msg, bytes, error))
		return NULL;
	resp->status = soup_message_get_status(req->msg);
	resp->headers = soup_message_headers_ref(soup_message_get_response_headers(req->msg));
	if ((req->flags & PD_OS_REQUEST_RAW) != 0)
		resp->raw = g_bytes_ref(bytes);
	/* 204 and friends: nothing to parse */
	if ((req->flags & PD_OS_REQUEST_JSON) != 0 && g_bytes_get_size(bytes) > 0) {
		resp->body = pd_os_parse_json(req->msg, bytes, error);
		if (resp->body == NULL)
			return NULL;
	}
	return g_steal_pointer(&resp);
}

static void
pd_os_request_sent_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdOsClient *self = PD_OS_CLIENT(source);
	PdOsRequest *req = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = pd_os_exchange_finish(self, res, &error);
	PdOsResponse *resp;

	if (bytes == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (soup_message_get_status(req->msg) == SOUP_STATUS_UNAUTHORIZED && !req->retried &&
	    (req->flags & PD_OS_REQUEST_NO_TOKEN) == 0) {
		req->retried = TRUE;
		pd_os_client_invalidate(self, req->token);
		pd_os_client_get_token_async(
		  self, NULL, pd_os_request_token_cb, g_steal_pointer(&task));
		return;
	}
	resp = pd_os_request_response(req, bytes, &error);
	if (resp == NULL)
		g_task_return_error(task, g_steal_pointer(&error));
	else
		g_task_return_pointer(task, resp, (GDestroyNotify)pd_os_response_free);
}

static void
pd_os_request_token_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdOsClient *self = PD_OS_CLIENT(source);
	PdOsRequest *req = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	g_clear_pointer(&req->token, pd_os_token_unref);
	req->token = pd_os_client_get_token_finish(self, res, &error);
	if (req->token == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	pd_os_request_send(self, g_steal_pointer(&task));
}

static void
pd_os_request_send(PdOsClient *self, GTask *task)
{
	PdOsRequest *req = g_task_get_task_data(task);
	SoupMessageHeaders *headers;

	g_clear_object(&req->msg);
	req->msg = soup_message_new(req->method, req->url);
	if (req->msg == NULL) {
		g_task_return_new_error(
		  task, PD_ERROR, PD_ERROR_FAILED, "invalid URL '%s'", req->url);
		g_object_unref(task);
		return;
	}
	headers = soup_message_get_request_headers(req->msg);
	if (req->token != NULL)
		soup_message_headers_replace(
		  headers, "X-Auth-Token", pd_os_token_get_id(req->token));
	soup_message_headers_replace(headers, "Accept", "application/json");
	for (guint i = 0;
	     req->headers != NULL && req->headers[i] != NULL && req->headers[i + 1] != NULL;
	     i += 2)
		soup_message_headers_replace(headers, req->headers[i], req->headers[i + 1]);
	pd_os_exchange_async(self, req->msg, req->cancellable, pd_os_request_sent_cb, task);
}

void
pd_os_client_request_async(PdOsClient *self,
			   const gchar *method,
			   const gchar *url,
			   const gchar *const *headers,
			   PdOsRequestFlags flags,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	PdOsRequest *req = g_new0(PdOsRequest, 1);

	req->method = g_strdup(method);
	req->url = g_strdup(url);
	req->headers = g_strdupv((gchar **)headers);
	req->flags = flags;
	req->cancellable = cancellable != NULL ? g_object_ref(cancellable) : NULL;
	g_task_set_task_data(task, req, (GDestroyNotify)pd_os_request_free);
	if ((flags & PD_OS_REQUEST_NO_TOKEN) != 0)
		pd_os_request_send(self, task);
	else
		pd_os_client_get_token_async(self, cancellable, pd_os_request_token_cb, task);
}

PdOsResponse *
pd_os_client_request_finish(PdOsClient *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* --- setup --- */

PdConfig *
pd_os_client_get_config(PdOsClient *self)
{
	return self->config;
}

const gchar *
pd_os_client_get_service_type(PdOsClient *self, const gchar *service)
{
	const gchar *def = NULL;

	for (guint i = 0; pd_os_default_service_types[i] != NULL; i += 2) {
		if (g_strcmp0(pd_os_default_service_types[i], service) == 0)
			def = pd_os_default_service_types[i + 1];
	}
	return pd_config_get_string(self->config, "service_types", service, def);
}

gboolean
pd_os_client_note_missing(PdOsClient *self, const gchar *service_type)
{
	return g_hash_table_add(self->missing, g_strdup(service_type));
}

const gchar *
pd_os_client_get_identity_url(PdOsClient *self)
{
	return self->identity_url;
}

void
pd_os_client_shutdown(PdOsClient *self)
{
	g_cancellable_cancel(self->shutdown);
}

static gboolean
pd_os_client_setup_tls(PdOsClient *self, GError **error)
{
	const gchar *cafile =
	  pd_config_get_string(self->config, "service_credentials", "cafile", NULL);
	g_autoptr(GTlsDatabase) db = NULL;
	g_autoptr(GError) local = NULL;

	self->insecure = pd_config_get_bool(self->config, "service_credentials", "insecure", FALSE);
	if (cafile == NULL || cafile[0] == '\0')
		return TRUE;
	db = g_tls_file_database_new(cafile, &local);
	if (db == NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_INVALID_CONFIG,
			    "[service_credentials] cafile %s: %s",
			    cafile,
			    local->message);
		return FALSE;
	}
	soup_session_set_tls_database(self->session, db);
	return TRUE;
}

static gchar *
pd_os_identity_url(const gchar *auth_url)
{
	g_autofree gchar *base = g_strdup(auth_url);
	gsize len = strlen(base);

	while (len > 0 && base[len - 1] == '/')
		base[--len] = '\0';
	if (g_str_has_suffix(base, "/v3"))
		return g_steal_pointer(&base);
	return g_strdup_printf("%s/v3", base);
}

PdOsClient *
pd_os_client_new(PdConfig *config, GError **error)
{
	g_autoptr(PdOsClient) self = g_object_new(PD_TYPE_OS_CLIENT, NULL);
	const gchar *auth_url =
	  pd_config_get_string(config, "service_credentials", "auth_url", NULL);
	gint64 timeout;

	if (!pd_config_get_int_range(
	      config, "service_credentials", "timeout", 30, 0, 3600, &timeout, error))
		return NULL;
	if (auth_url == NULL || auth_url[0] == '\0') {
		g_set_error_literal(error,
				    PD_ERROR,
				    PD_ERROR_INVALID_CONFIG,
				    "[service_credentials] auth_url is not set");
		return NULL;
	}
	self->config = g_object_ref(config);
	self->identity_url = pd_os_identity_url(auth_url);
	self->timeout_s = (guint)timeout;
	self->session = soup_session_new_with_options("user-agent", "polld/" PD_VERSION, NULL);
	if (!pd_os_client_setup_tls(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

static void
pd_os_client_finalize(GObject *obj)
{
	PdOsClient *self = PD_OS_CLIENT(obj);

	g_warn_if_fail(self->auth_waiters == NULL);
	g_clear_object(&self->config);
	g_clear_object(&self->session);
	g_clear_object(&self->shutdown);
	g_clear_pointer(&self->token, pd_os_token_unref);
	g_clear_pointer(&self->missing, g_hash_table_unref);
	g_free(self->identity_url);
	G_OBJECT_CLASS(pd_os_client_parent_class)->finalize(obj);
}

static void
pd_os_client_init(PdOsClient *self)
{
	self->shutdown = g_cancellable_new();
	self->missing = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static void
pd_os_client_class_init(PdOsClientClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_os_client_finalize;
}
