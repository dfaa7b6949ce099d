/*
 * polld test helpers: one HTTP GET with libsoup
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-test-http.h"

typedef struct {
	GMainLoop *loop;
	GBytes *body;
	GError *error;
} PdTestFetch;

static void
pd_test_http_fetched_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdTestFetch *f = user_data;

	f->body = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &f->error);
	g_main_loop_quit(f->loop);
}

gchar *
pd_test_http_get(const gchar *uri,
		 GTlsDatabase *db,
		 const gchar *accept,
		 gchar **content_type,
		 GError **error)
{
	g_autoptr(SoupSession) session = soup_session_new();
	g_autoptr(SoupMessage) msg = soup_message_new("GET", uri);
	PdTestFetch f = { g_main_loop_new(g_main_context_get_thread_default(), FALSE), NULL, NULL };
	guint status;
	gchar *text;

	if (db != NULL)
		soup_session_set_tls_database(session, db);
	if (accept != NULL)
		soup_message_headers_append(
		  soup_message_get_request_headers(msg), "Accept", accept);
	soup_session_send_and_read_async(
	  session, msg, G_PRIORITY_DEFAULT, NULL, pd_test_http_fetched_cb, &f);
	g_main_loop_run(f.loop);
	g_main_loop_unref(f.loop);
	if (f.body == NULL) {
		g_propagate_error(error, f.error);
		return NULL;
	}
	status = soup_message_get_status(msg);
	if (status != SOUP_STATUS_OK) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_FAILED,
			    "GET %s: HTTP %u %s",
			    uri,
			    status,
			    soup_message_get_reason_phrase(msg));
		g_bytes_unref(f.body);
		return NULL;
	}
	if (content_type != NULL)
		*content_type = g_strdup(soup_message_headers_get_content_type(
		  soup_message_get_response_headers(msg), NULL));
	text = g_strndup(g_bytes_get_data(f.body, NULL), g_bytes_get_size(f.body));
	g_bytes_unref(f.body);
	return text;
}

gboolean
pd_test_soup_listen_loopback(SoupServer *server,
			     SoupServerListenOptions opts,
			     guint *port,
			     GError **error)
{
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GSocket) sock =
	  g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);

	if (sock == NULL || !g_socket_bind(sock, addr, TRUE, error) ||
	    !g_socket_listen(sock, error) ||
	    (bound = g_socket_get_local_address(sock, error)) == NULL)
		return FALSE;
	*port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	return soup_server_listen_socket(server, sock, opts, error);
}
