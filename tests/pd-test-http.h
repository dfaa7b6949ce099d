/*
 * polld test helpers: one HTTP GET with libsoup, for the exporter tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* GET @uri, iterating a main loop of the thread-default context (a server
 * on this thread keeps answering); @db (may be NULL) checks the server's
 * certificate, @accept (may be NULL) is sent as Accept, @content_type (may
 * be NULL) gets the answer's. Returns the body of a 200 answer; anything
 * else is NULL with @error set. */
gchar *
pd_test_http_get(const gchar *uri,
		 GTlsDatabase *db,
		 const gchar *accept,
		 gchar **content_type,
		 GError **error);

/* @server listening on an ephemeral port of 127.0.0.1 with @opts; @port
 * gets the port. (soup_server_listen_local() and soup_server_get_uris() of
 * libsoup 3.2 leak the address they ask the listener for: the socket is
 * ours, and its port comes from it.) */
gboolean
pd_test_soup_listen_loopback(SoupServer *server,
			     SoupServerListenOptions opts,
			     guint *port,
			     GError **error);

G_END_DECLS
