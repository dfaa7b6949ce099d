/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdEtcdClient"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "pd-etcd-client.h"

/*
 * etcd serves its gRPC API as JSON over HTTP/1.1 ("grpc-gateway") on the
 * client port: every RPC is a POST to <api>/<service>/<method>, int64 fields
 * travel as strings, keys and values as base64. Streaming RPCs (watch)
 * answer with one JSON object per line for as long as the request lives.
 *
 * Two sessions: calls get the configured timeout, while the watch stream is
 * idle for minutes and must not be timed out (a dead etcd closes its socket,
 * and the lease keep-alives notice an unreachable one).
 *
 * With a user, every request carries a token in the Authorization header,
 * taken from auth/authenticate before the first request and again whenever
 * etcd rejects it (a restarted etcd forgets its simple tokens, and any token
 * expires after --auth-token-ttl unused). Requests made meanwhile wait for
 * the new token. The password and the token never appear in a message.
 */

struct _PdEtcdClient {
	GObject parent_instance;
	SoupSession *session;
	SoupSession *watch_session;
	gchar **endpoints;
	gchar *api_path;
	guint current; /* index of the endpoint that answered last */
	GTlsCertificate *client_cert;
	guint64 requests;
	gchar *user; /* NULL: no authentication */
	gchar *password;
	gchar *token;	   /* NULL until authenticated */
	gboolean auth_off; /* etcd said authentication is not enabled */
	GQueue waiting;	   /* of GTask, requests waiting for a token */
	gboolean authenticating;
	guint64 authentications;
};

G_DEFINE_TYPE(PdEtcdClient, pd_etcd_client, G_TYPE_OBJECT)

static SoupMessage *
pd_etcd_client_message(PdEtcdClient *self,
		       guint endpoint,
		       const gchar *method,
		       const gchar *body,
		       const gchar *token)
{
	g_autofree gchar *uri =
	  g_strconcat(self->endpoints[endpoint], self->api_path, method, NULL);
	SoupMessage *msg = soup_message_new("POST", uri);
	g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));

	soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
	if (token != NULL)
		soup_message_headers_replace(
		  soup_message_get_request_headers(msg), "Authorization", token);
	if (self->client_cert != NULL)
		soup_message_set_tls_client_certificate(msg, self->client_cert);
	self->requests++;
	return msg;
}

/* the gateway's error object: {"error": "...", "code": N, "message": "..."} */
static void
pd_etcd_client_set_http_error(SoupMessage *msg, JsonObject *reply, GError **error)
{
	const gchar *text = NULL;

	if (reply != NULL && json_object_has_member(reply, "message"))
		text = json_object_get_string_member(reply, "message");
	if (text == NULL && reply != NULL && json_object_has_member(reply, "error"))
		text = json_object_get_string_member(reply, "error");
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_FAILED,
		    "etcd: HTTP %u %s",
		    soup_message_get_status(msg),
		    text != NULL ? text : soup_message_get_reason_phrase(msg));
}

static JsonObject *
pd_etcd_parse_object(const gchar *data, gsize len, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	JsonNode *root;

	if (!json_parser_load_from_data(parser, data, (gssize)len, error))
		return NULL;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(
		  error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "etcd: the reply is not an object");
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

/* --- calls --- */

typedef struct {
	gchar *method;
	gchar *body;
	guint attempt;
	gboolean anonymous; /* auth/authenticate itself */
	gboolean retried;   /* sent again once after a rejected token */
	gchar *token;	    /* the token the request carried */
	SoupMessage *msg;
} PdEtcdCall;

static void
pd_etcd_call_free(PdEtcdCall *call)
{
	g_free(call->method);
	/* auth/authenticate's body holds the password */
	if (call->anonymous)
		memset(call->body, 0, strlen(call->body));
	g_free(call->body);
	g_free(call->token);
	g_clear_object(&call->msg);
	g_free(call);
}

static void
pd_etcd_client_send(GTask *task);
static void
pd_etcd_watch_send(GTask *task);
static void
pd_etcd_client_authenticate(PdEtcdClient *self);

/* a request that needs a token and has none waits for auth/authenticate */
static gboolean
pd_etcd_client_wait_token(PdEtcdClient *self, GTask *task)
{
	if (self->user == NULL || self->token != NULL || self->auth_off)
		return FALSE;
	g_queue_push_tail(&self->waiting, task);
	if (!self->authenticating)
		pd_etcd_client_authenticate(self);
	return TRUE;
}

/* etcd refused @used: the next request authenticates again (unless another
 * one already did) */
static void
pd_etcd_client_token_rejected(PdEtcdClient *self, const gchar *used)
{
	if (g_strcmp0(self->token, used) == 0)
		g_clear_pointer(&self->token, g_free);
	self->auth_off = FALSE;
}

/* etcd wants a (new) token: 401 "invalid auth token", or "user name is
 * empty" for a request without one once authentication is on */
static gboolean
pd_etcd_client_is_rejection(SoupMessage *msg, JsonObject *reply)
{
	const gchar *text;

	if (soup_message_get_status(msg) == SOUP_STATUS_UNAUTHORIZED)
		return TRUE;
	text =
	  reply != NULL ? json_object_get_string_member_with_default(reply, "message", "") : "";
	return strstr(text, "user name is empty") != NULL;
}

static void
pd_etcd_client_authenticated_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdEtcdClient *self = PD_ETCD_CLIENT(source);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) reply = g_task_propagate_pointer(G_TASK(res), &error);
	const gchar *token =
	  reply != NULL ? json_object_get_string_member_with_default(reply, "token", NULL) : NULL;
	GList *waiting = self->waiting.head;

	self->authenticating = FALSE;
	g_queue_init(&self->waiting);
	if (error != NULL && strstr(error->message, "authentication is not enabled") != NULL) {
		/* no token needed (until a request is refused for want of one) */
		g_clear_error(&error);
		self->auth_off = TRUE;
	} else if (token != NULL && token[0] != '\0') {
		g_free(self->token);
		self->token = g_strdup(token);
	} else if (error == NULL) {
		error = g_error_new_literal(
		  G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "etcd: no token in the reply");
	}
	for (GList *l = waiting; l != NULL; l = l->next) {
		GTask *task = l->data;
		if (error != NULL) {
			g_task_return_new_error(task,
						error->domain,
						error->code,
						"authenticating as %s: %s",
						self->user,
						error->message);
			g_object_unref(task);
		} else if (g_task_get_source_tag(task) == pd_etcd_client_watch_async) {
			pd_etcd_watch_send(task);
		} else {
			pd_etcd_client_send(task);
		}
	}
	g_list_free(waiting);
}

static gchar *
pd_etcd_body(JsonObject *body);

static void
pd_etcd_client_authenticate(PdEtcdClient *self)
{
	g_autoptr(JsonObject) body = json_object_new();
	GTask *task = g_task_new(self, NULL, pd_etcd_client_authenticated_cb, NULL);
	PdEtcdCall *call = g_new0(PdEtcdCall, 1);

	self->authenticating = TRUE;
	self->authentications++;
	json_object_set_string_member(body, "name", self->user);
	json_object_set_string_member(body, "password", self->password);
	g_task_set_source_tag(task, pd_etcd_client_authenticate);
	call->method = g_strdup("auth/authenticate");
	call->body = pd_etcd_body(body);
	call->anonymous = TRUE;
	g_task_set_task_data(task, call, (GDestroyNotify)pd_etcd_call_free);
	pd_etcd_client_send(task);
}

static void
pd_etcd_client_sent_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdEtcdClient *self = g_task_get_source_object(task);
	PdEtcdCall *call = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes =
	  soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);
	g_autoptr(JsonObject) reply = NULL;
	guint n = g_strv_length(self->endpoints);
	const gchar *data;
	gsize len;

	if (bytes == NULL) {
		/* transport error: the next endpoint, until each was tried */
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
		    ++call->attempt < n) {
			self->current = (self->current + 1) % n;
			pd_etcd_client_send(g_steal_pointer(&task));
			return;
		}
		g_prefix_error(&error, "etcd at %s: ", self->endpoints[self->current]);
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	data = g_bytes_get_data(bytes, &len);
	reply = len > 0 ? pd_etcd_parse_object(data, len, NULL) : NULL;
	if (self->user != NULL && !call->anonymous && !call->retried &&
	    pd_etcd_client_is_rejection(call->msg, reply)) {
		/* once more, with a new token */
		pd_etcd_client_token_rejected(self, call->token);
		call->retried = TRUE;
		pd_etcd_client_send(g_steal_pointer(&task));
		return;
	}
	if (!SOUP_STATUS_IS_SUCCESSFUL(soup_message_get_status(call->msg))) {
		pd_etcd_client_set_http_error(call->msg, reply, &error);
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (reply == NULL) {
		g_task_return_new_error(task,
					G_IO_ERROR,
					G_IO_ERROR_INVALID_DATA,
					"etcd: unreadable reply to %s",
					call->method);
		return;
	}
	g_task_return_pointer(task, g_steal_pointer(&reply), (GDestroyNotify)json_object_unref);
}

static void
pd_etcd_client_send(GTask *task)
{
	PdEtcdClient *self = g_task_get_source_object(task);
	PdEtcdCall *call = g_task_get_task_data(task);

	if (!call->anonymous && pd_etcd_client_wait_token(self, task))
		return;
	g_clear_object(&call->msg);
	g_free(call->token);
	call->token = call->anonymous ? NULL : g_strdup(self->token);
	call->msg =
	  pd_etcd_client_message(self, self->current, call->method, call->body, call->token);
	soup_session_send_and_read_async(self->session,
					 call->msg,
					 G_PRIORITY_DEFAULT,
					 g_task_get_cancellable(task),
					 pd_etcd_client_sent_cb,
					 task);
}

static gchar *
pd_etcd_body(JsonObject *body)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	json_node_set_object(node, body);
	return json_to_string(node, FALSE);
}

void
pd_etcd_client_call_async(PdEtcdClient *self,
			  const gchar *method,
			  JsonObject *body,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	PdEtcdCall *call = g_new0(PdEtcdCall, 1);

	g_task_set_source_tag(task, pd_etcd_client_call_async);
	call->method = g_strdup(method);
	call->body = pd_etcd_body(body);
	g_task_set_task_data(task, call, (GDestroyNotify)pd_etcd_call_free);
	pd_etcd_client_send(task);
}

JsonObject *
pd_etcd_client_call_finish(PdEtcdClient *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), NULL);
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* --- watch --- */

typedef struct {
	gchar *body;
	gchar *token; /* the token the request carried */
	gboolean token_rejected;
	SoupMessage *msg;
	GInputStream *stream;
	GByteArray *buffer;
	PdEtcdWatchFunc func;
	gpointer func_data;
} PdEtcdWatch;

static void
pd_etcd_watch_free(PdEtcdWatch *watch)
{
	g_free(watch->body);
	g_free(watch->token);
	g_clear_object(&watch->msg);
	g_clear_object(&watch->stream);
	g_byte_array_unref(watch->buffer);
	g_free(watch);
}

/* one line of the stream; FALSE (with @error) ends the watch */
static gboolean
pd_etcd_watch_line(PdEtcdWatch *watch, const gchar *line, gsize len, GError **error)
{
	g_autoptr(JsonObject) msg = pd_etcd_parse_object(line, len, error);
	JsonObject *result;

	if (msg == NULL)
		return FALSE;
	if (json_object_has_member(msg, "error")) {
		JsonObject *err = json_object_get_object_member(msg, "error");
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_FAILED,
			    "etcd watch: %s",
			    err != NULL && json_object_has_member(err, "message")
			      ? json_object_get_string_member(err, "message")
			      : "error");
		return FALSE;
	}
	result = json_object_get_object_member(msg, "result");
	if (result == NULL)
		return TRUE;
	watch->func(result, watch->func_data);
	if (json_object_get_boolean_member_with_default(result, "canceled", FALSE)) {
		const gchar *reason =
		  json_object_get_string_member_with_default(result, "cancel_reason", "");
		/* a watch is refused with the reason, not an HTTP status */
		watch->token_rejected = strstr(reason, "invalid auth token") != NULL ||
					strstr(reason, "user name is empty") != NULL;
		if (reason[0] != '\0')
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_FAILED,
				    "etcd cancelled the watch: %s",
				    reason);
		else
			g_set_error(
			  error,
			  G_IO_ERROR,
			  G_IO_ERROR_FAILED,
			  "etcd cancelled the watch (compacted at revision %" G_GINT64_FORMAT ")",
			  pd_etcd_client_get_int(result, "compact_revision"));
		return FALSE;
	}
	return TRUE;
}

static gboolean
pd_etcd_watch_consume(PdEtcdWatch *watch, GError **error)
{
	guint8 *nl;

	while ((nl = memchr(watch->buffer->data, '\n', watch->buffer->len)) != NULL) {
		gsize len = (gsize)(nl - watch->buffer->data);
		gboolean ok = len == 0 || pd_etcd_watch_line(
					    watch, (const gchar *)watch->buffer->data, len, error);
		g_byte_array_remove_range(watch->buffer, 0, (guint)len + 1);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static void
pd_etcd_watch_read_cb(GObject *source, GAsyncResult *res, gpointer user_data);

static void
pd_etcd_watch_read_more(GTask *task)
{
	PdEtcdWatch *watch = g_task_get_task_data(task);

	g_input_stream_read_bytes_async(watch->stream,
					16384,
					G_PRIORITY_DEFAULT,
					g_task_get_cancellable(task),
					pd_etcd_watch_read_cb,
					task);
}

static void
pd_etcd_watch_read_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdEtcdWatch *watch = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes =
	  g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), res, &error);

	if (bytes == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (g_bytes_get_size(bytes) == 0) {
		g_task_return_new_error(
		  task, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "etcd closed the watch stream");
		return;
	}
	g_byte_array_append(
	  watch->buffer, g_bytes_get_data(bytes, NULL), (guint)g_bytes_get_size(bytes));
	if (!pd_etcd_watch_consume(watch, &error)) {
		if (watch->token_rejected)
			pd_etcd_client_token_rejected(g_task_get_source_object(task), watch->token);
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	pd_etcd_watch_read_more(g_steal_pointer(&task));
}

static void
pd_etcd_watch_sent_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdEtcdWatch *watch = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	watch->stream = soup_session_send_finish(SOUP_SESSION(source), res, &error);
	if (watch->stream == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (!SOUP_STATUS_IS_SUCCESSFUL(soup_message_get_status(watch->msg))) {
		if (soup_message_get_status(watch->msg) == SOUP_STATUS_UNAUTHORIZED)
			pd_etcd_client_token_rejected(g_task_get_source_object(task), watch->token);
		pd_etcd_client_set_http_error(watch->msg, NULL, &error);
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	pd_etcd_watch_read_more(g_steal_pointer(&task));
}

static void
pd_etcd_watch_send(GTask *task)
{
	PdEtcdClient *self = g_task_get_source_object(task);
	PdEtcdWatch *watch = g_task_get_task_data(task);

	if (pd_etcd_client_wait_token(self, task))
		return;
	g_free(watch->token);
	watch->token = g_strdup(self->token);
	watch->msg =
	  pd_etcd_client_message(self, self->current, "watch", watch->body, watch->token);
	soup_session_send_async(self->watch_session,
				watch->msg,
				G_PRIORITY_DEFAULT,
				g_task_get_cancellable(task),
				pd_etcd_watch_sent_cb,
				task);
}

void
pd_etcd_client_watch_async(PdEtcdClient *self,
			   const gchar *key,
			   const gchar *range_end,
			   gint64 start_revision,
			   PdEtcdWatchFunc func,
			   gpointer func_data,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	PdEtcdWatch *watch = g_new0(PdEtcdWatch, 1);
	g_autoptr(JsonObject) body = json_object_new();
	JsonObject *create = json_object_new();
	g_autofree gchar *rev = g_strdup_printf("%" G_GINT64_FORMAT, start_revision);

	g_task_set_source_tag(task, pd_etcd_client_watch_async);
	json_object_set_string_member(create, "key", key);
	json_object_set_string_member(create, "range_end", range_end);
	json_object_set_string_member(create, "start_revision", rev);
	json_object_set_object_member(body, "create_request", create);
	watch->body = pd_etcd_body(body);
	watch->buffer = g_byte_array_new();
	watch->func = func;
	watch->func_data = func_data;
	g_task_set_task_data(task, watch, (GDestroyNotify)pd_etcd_watch_free);
	pd_etcd_watch_send(task);
}

gboolean
pd_etcd_client_watch_finish(PdEtcdClient *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), FALSE);
	return g_task_propagate_boolean(G_TASK(res), error);
}

const gchar *
pd_etcd_client_get_endpoint(PdEtcdClient *self)
{
	return self->endpoints[self->current];
}

guint64
pd_etcd_client_get_requests(PdEtcdClient *self)
{
	return self->requests;
}

guint64
pd_etcd_client_get_authentications(PdEtcdClient *self)
{
	return self->authentications;
}

/* --- object --- */

static gboolean
pd_etcd_client_setup_tls(PdEtcdClient *self, const PdCoordinationUrl *url, GError **error)
{
	if (url->ca_cert != NULL) {
		g_autoptr(GTlsDatabase) db = g_tls_file_database_new(url->ca_cert, error);
		if (db == NULL)
			return FALSE;
		soup_session_set_tls_database(self->session, db);
		soup_session_set_tls_database(self->watch_session, db);
	}
	if (url->cert_cert != NULL) {
		self->client_cert =
		  g_tls_certificate_new_from_files(url->cert_cert, url->cert_key, error);
		if (self->client_cert == NULL)
			return FALSE;
	}
	return TRUE;
}

PdEtcdClient *
pd_etcd_client_new(const PdCoordinationUrl *url, GError **error)
{
	g_autoptr(PdEtcdClient) self = g_object_new(PD_TYPE_ETCD_CLIENT, NULL);

	self->endpoints = g_strdupv(url->endpoints);
	self->api_path = g_strdup(url->api_path);
	self->user = g_strdup(url->user);
	self->password = g_strdup(url->password);
	self->session = soup_session_new_with_options(
	  "timeout", url->timeout, "user-agent", "polld/" PACKAGE_VERSION, NULL);
	self->watch_session =
	  soup_session_new_with_options("timeout", 0, "user-agent", "polld/" PACKAGE_VERSION, NULL);
	if (!pd_etcd_client_setup_tls(self, url, error))
		return NULL;
	return g_steal_pointer(&self);
}

static void
pd_etcd_client_finalize(GObject *obj)
{
	PdEtcdClient *self = PD_ETCD_CLIENT(obj);

	g_clear_object(&self->session);
	g_clear_object(&self->watch_session);
	g_clear_object(&self->client_cert);
	g_strfreev(self->endpoints);
	g_free(self->api_path);
	g_free(self->user);
	if (self->password != NULL)
		memset(self->password, 0, strlen(self->password));
	g_free(self->password);
	g_free(self->token);
	G_OBJECT_CLASS(pd_etcd_client_parent_class)->finalize(obj);
}

static void
pd_etcd_client_init(PdEtcdClient *self)
{
	g_queue_init(&self->waiting);
}

static void
pd_etcd_client_class_init(PdEtcdClientClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_etcd_client_finalize;
}
