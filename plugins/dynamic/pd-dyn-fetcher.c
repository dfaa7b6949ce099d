/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <string.h>

#include "pd-dyn-fetcher.h"

struct _PdDynFetcher {
	gint refcount;
	PdOsClient *client;
	SoupSession *session;
	GCancellable *shutdown;
	gsize max_bytes;
};

PdDynFetcher *
pd_dyn_fetcher_new(PdOsClient *client, gsize max_bytes)
{
	PdDynFetcher *f = g_new0(PdDynFetcher, 1);

	f->refcount = 1;
	f->client = client != NULL ? g_object_ref(client) : NULL;
	f->session = soup_session_new_with_options("user-agent", "polld/" PD_VERSION, NULL);
	f->shutdown = g_cancellable_new();
	f->max_bytes = max_bytes;
	return f;
}

PdDynFetcher *
pd_dyn_fetcher_ref(PdDynFetcher *f)
{
	g_atomic_int_inc(&f->refcount);
	return f;
}

void
pd_dyn_fetcher_unref(PdDynFetcher *f)
{
	if (f == NULL || !g_atomic_int_dec_and_test(&f->refcount))
		return;
	g_clear_object(&f->client);
	g_clear_object(&f->session);
	g_clear_object(&f->shutdown);
	g_free(f);
}

PdOsClient *
pd_dyn_fetcher_get_client(PdDynFetcher *f)
{
	return f->client;
}

void
pd_dyn_fetcher_shutdown(PdDynFetcher *f)
{
	g_cancellable_cancel(f->shutdown);
	if (f->client != NULL)
		pd_os_client_shutdown(f->client);
}

static gchar *
pd_dyn_join(const gchar *base, const gchar *rel)
{
	g_autofree gchar *dir =
	  g_str_has_suffix(base, "/") ? g_strdup(base) : g_strconcat(base, "/", NULL);
	gchar *out = g_uri_resolve_relative(dir, rel, G_URI_FLAGS_NONE, NULL);

	return out != NULL ? out : g_strdup(rel);
}

gchar *
pd_dyn_fetcher_target(PdDynDef *def, const gchar *base, const gchar *target)
{
	switch (def->kind) {
		case PD_DYN_KIND_COMMAND:
			return g_strdup(target);
		case PD_DYN_KIND_URL:
			/* the next page's link is relative to url_path */
			if (g_strcmp0(target, def->url_path) == 0)
				return g_strdup(target);
			return pd_dyn_join(def->url_path, target);
		case PD_DYN_KIND_OPENSTACK:
		default:
			return pd_dyn_join(base, target);
	}
}

/* --- one operation: a deadline, a size cap, a result --- */

typedef struct {
	PdDynFetcher *fetcher;
	PdDynDef *def;
	gchar *target;
	GCancellable *cancellable; /* ours: caller, shutdown or deadline cancel it */
	gulong outer_id, shutdown_id;
	GCancellable *outer;
	GSource *timer;
	gboolean timed_out;
	GByteArray *buf;
	GInputStream *stream;
	GSubprocess *proc;
	SoupMessage *msg;
} PdDynOp;

static void
pd_dyn_op_free(PdDynOp *op)
{
	if (op->timer != NULL) {
		g_source_destroy(op->timer);
		g_source_unref(op->timer);
	}
	if (op->outer != NULL) {
		g_cancellable_disconnect(op->outer, op->outer_id);
		g_object_unref(op->outer);
	}
	g_cancellable_disconnect(op->fetcher->shutdown, op->shutdown_id);
	if (op->proc != NULL)
		g_subprocess_force_exit(op->proc);
	g_clear_object(&op->proc);
	g_clear_object(&op->stream);
	g_clear_object(&op->msg);
	g_object_unref(op->cancellable);
	if (op->buf != NULL)
		g_byte_array_unref(op->buf);
	pd_dyn_def_unref(op->def);
	pd_dyn_fetcher_unref(op->fetcher);
	g_free(op->target);
	g_free(op);
}

static void
pd_dyn_cancel_cb(GCancellable *source, gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

static gboolean
pd_dyn_deadline_cb(gpointer user_data)
{
	PdDynOp *op = user_data;

	op->timed_out = TRUE;
	g_clear_pointer(&op->timer, g_source_unref);
	if (op->proc != NULL)
		g_subprocess_force_exit(op->proc);
	g_cancellable_cancel(op->cancellable);
	return G_SOURCE_REMOVE;
}

static GTask *
pd_dyn_op_task(PdDynFetcher *f,
	       PdDynDef *def,
	       const gchar *target,
	       GCancellable *cancellable,
	       GAsyncReadyCallback callback,
	       gpointer user_data)
{
	GTask *task = g_task_new(NULL, NULL, callback, user_data);
	PdDynOp *op = g_new0(PdDynOp, 1);
	/* timeout None: Ceilometer waits forever; polld caps it at an hour */
	gdouble timeout = def->timeout > 0 ? def->timeout : 3600;

	op->fetcher = pd_dyn_fetcher_ref(f);
	op->def = pd_dyn_def_ref(def);
	op->target = g_strdup(target);
	op->cancellable = g_cancellable_new();
	op->buf = g_byte_array_new();
	op->shutdown_id =
	  g_cancellable_connect(f->shutdown, G_CALLBACK(pd_dyn_cancel_cb), op->cancellable, NULL);
	if (cancellable != NULL) {
		op->outer = g_object_ref(cancellable);
		op->outer_id = g_cancellable_connect(
		  cancellable, G_CALLBACK(pd_dyn_cancel_cb), op->cancellable, NULL);
	}
	op->timer = g_timeout_source_new((guint)(timeout * 1000));
	g_source_set_callback(op->timer, pd_dyn_deadline_cb, op, NULL);
	g_source_set_name(op->timer, "[polld] dynamic pollster deadline");
	g_source_attach(op->timer, NULL);
	g_task_set_task_data(task, op, (GDestroyNotify)pd_dyn_op_free);
	return task;
}

static void
pd_dyn_op_fail(GTask *task, GError *error)
{
	PdDynOp *op = g_task_get_task_data(task);

	if (op->timed_out) {
		g_error_free(error);
		g_task_return_new_error(task,
					PD_ERROR,
					PD_ERROR_TIMED_OUT,
					"%s: no %s within %g s",
					op->target,
					op->proc != NULL ? "end" : "answer",
					op->def->timeout > 0 ? op->def->timeout : 3600);
		return;
	}
	g_prefix_error(&error, "%s: ", op->target);
	g_task_return_error(task, error);
}

/* --- reading a stream up to the cap --- */

static void
pd_dyn_read_cb(GObject *source, GAsyncResult *res, gpointer user_data);

static void
pd_dyn_read_more(GTask *task)
{
	PdDynOp *op = g_task_get_task_data(task);

	g_input_stream_read_bytes_async(
	  op->stream, 65536, G_PRIORITY_DEFAULT, op->cancellable, pd_dyn_read_cb, task);
}

static void
pd_dyn_read_done(GTask *task)
{
	PdDynOp *op = g_task_get_task_data(task);
	GByteArray *buf = g_steal_pointer(&op->buf);

	g_task_return_pointer(task, g_byte_array_free_to_bytes(buf), (GDestroyNotify)g_bytes_unref);
	g_object_unref(task);
}

static void
pd_dyn_wait_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdDynOp *op = g_task_get_task_data(task);
	GError *error = NULL;

	if (!g_subprocess_wait_finish(G_SUBPROCESS(source), res, &error)) {
		pd_dyn_op_fail(task, error);
		g_object_unref(task);
		return;
	}
	/* like Ceilometer's getoutput(): the exit status does not matter and
	 * one trailing newline goes */
	if (op->buf->len > 0 && op->buf->data[op->buf->len - 1] == '\n')
		g_byte_array_set_size(op->buf, op->buf->len - 1);
	g_clear_object(&op->proc);
	pd_dyn_read_done(task);
}

static void
pd_dyn_read_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdDynOp *op = g_task_get_task_data(task);
	GError *error = NULL;
	g_autoptr(GBytes) chunk =
	  g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), res, &error);

	if (chunk == NULL) {
		pd_dyn_op_fail(task, error);
		g_object_unref(task);
		return;
	}
	if (g_bytes_get_size(chunk) == 0) {
		if (op->proc != NULL)
			g_subprocess_wait_async(op->proc, op->cancellable, pd_dyn_wait_cb, task);
		else
			pd_dyn_read_done(task);
		return;
	}
	if (op->buf->len + g_bytes_get_size(chunk) > op->fetcher->max_bytes) {
		if (op->proc != NULL)
			g_subprocess_force_exit(op->proc);
		g_task_return_new_error(task,
					PD_ERROR,
					PD_ERROR_FAILED,
					"%s: output larger than %" G_GSIZE_FORMAT " bytes, dropped",
					op->target,
					op->fetcher->max_bytes);
		g_object_unref(task);
		return;
	}
	g_byte_array_append(op->buf, g_bytes_get_data(chunk, NULL), g_bytes_get_size(chunk));
	pd_dyn_read_more(task);
}

/* --- host_command --- */

static void
pd_dyn_fetch_command(GTask *task)
{
	PdDynOp *op = g_task_get_task_data(task);
	g_auto(GStrv) argv = NULL;
	GError *error = NULL;

	if (!g_shell_parse_argv(op->target, NULL, &argv, &error)) {
		pd_dyn_op_fail(task, error);
		g_object_unref(task);
		return;
	}
	/* argv as written: no shell, stdin closed, stderr with stdout like getoutput() */
	op->proc =
	  g_subprocess_newv((const gchar *const *)argv,
			    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
			    &error);
	if (op->proc == NULL) {
		pd_dyn_op_fail(task, error);
		g_object_unref(task);
		return;
	}
	op->stream = g_object_ref(g_subprocess_get_stdout_pipe(op->proc));
	pd_dyn_read_more(task);
}

/* --- any URL --- */

static void
pd_dyn_sent_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdDynOp *op = g_task_get_task_data(task);
	GError *error = NULL;
	GInputStream *stream = soup_session_send_finish(SOUP_SESSION(source), res, &error);
	guint status;

	if (stream == NULL) {
		pd_dyn_op_fail(task, error);
		g_object_unref(task);
		return;
	}
	op->stream = stream;
	status = soup_message_get_status(op->msg);
	if (status != SOUP_STATUS_OK) {
		g_task_return_new_error(task,
					PD_ERROR,
					PD_ERROR_FAILED,
					"%s: HTTP %u %s",
					op->target,
					status,
					soup_message_get_reason_phrase(op->msg));
		g_object_unref(task);
		return;
	}
	pd_dyn_read_more(task);
}

static void
pd_dyn_fetch_url(GTask *task)
{
	PdDynOp *op = g_task_get_task_data(task);
	SoupMessageHeaders *h;

	op->msg = soup_message_new("GET", op->target);
	if (op->msg == NULL) {
		g_task_return_new_error(
		  task, PD_ERROR, PD_ERROR_FAILED, "invalid URL '%s'", op->target);
		g_object_unref(task);
		return;
	}
	h = soup_message_get_request_headers(op->msg);
	if (op->def->auth == PD_DYN_AUTH_BASIC) {
		g_autofree gchar *pair =
		  g_strconcat(op->def->auth_user, ":", op->def->auth_secret, NULL);
		g_autofree gchar *b64 = g_base64_encode((const guchar *)pair, strlen(pair));
		g_autofree gchar *value = g_strconcat("Basic ", b64, NULL);
		soup_message_headers_replace(h, "Authorization", value);
	} else if (op->def->auth == PD_DYN_AUTH_BEARER) {
		g_autofree gchar *value = g_strconcat("Bearer ", op->def->auth_secret, NULL);
		soup_message_headers_replace(h, "Authorization", value);
	}
	for (guint i = 0; op->def->headers != NULL && op->def->headers[i] != NULL; i += 2)
		soup_message_headers_replace(h, op->def->headers[i], op->def->headers[i + 1]);
	soup_session_send_async(
	  op->fetcher->session, op->msg, G_PRIORITY_DEFAULT, op->cancellable, pd_dyn_sent_cb, task);
}

/* --- OpenStack, through the Keystone client --- */

static void
pd_dyn_os_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdDynOp *op = g_task_get_task_data(task);
	GError *error = NULL;
	g_autoptr(PdOsResponse) resp =
	  pd_os_client_request_finish(PD_OS_CLIENT(source), res, &error);

	if (resp == NULL) {
		pd_dyn_op_fail(task, error);
	} else if (g_bytes_get_size(resp->raw) > op->fetcher->max_bytes) {
		g_task_return_new_error(task,
					PD_ERROR,
					PD_ERROR_FAILED,
					"%s: answer larger than %" G_GSIZE_FORMAT " bytes, dropped",
					op->target,
					op->fetcher->max_bytes);
	} else {
		g_task_return_pointer(task, g_bytes_ref(resp->raw), (GDestroyNotify)g_bytes_unref);
	}
	g_object_unref(task);
}

void
pd_dyn_fetcher_fetch_async(PdDynFetcher *f,
			   PdDynDef *def,
			   const gchar *target,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	GTask *task = pd_dyn_op_task(f, def, target, cancellable, callback, user_data);
	PdDynOp *op = g_task_get_task_data(task);

	switch (def->kind) {
		case PD_DYN_KIND_COMMAND:
			pd_dyn_fetch_command(task);
			break;
		case PD_DYN_KIND_URL:
			pd_dyn_fetch_url(task);
			break;
		case PD_DYN_KIND_OPENSTACK:
		default:
			if (f->client == NULL) {
				g_task_return_new_error(
				  task,
				  PD_ERROR,
				  PD_ERROR_INVALID_CONFIG,
				  "%s: [service_credentials] auth_url is not set",
				  def->name);
				g_object_unref(task);
				return;
			}
			pd_os_client_request_async(f->client,
						   "GET",
						   target,
						   (const gchar *const *)def->headers,
						   PD_OS_REQUEST_RAW,
						   op->cancellable,
						   pd_dyn_os_cb,
						   task);
			break;
	}
}

GBytes *
pd_dyn_fetcher_fetch_finish(GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}
