/*
 * polld - oslo.messaging transport_url parsing (rabbit://user:pass@host:port,.../vhost)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	gchar *user;
	gchar *password;
	gchar *host;
	guint16 port;
	gchar *vhost;
	gboolean ssl;
} PdAmqpHost;

void
pd_amqp_url_host_free(PdAmqpHost *host);
/* "user@host:port/vhost", never the password, for logs */
gchar *
pd_amqp_url_host_describe(const PdAmqpHost *host);

/* one PdAmqpHost per comma separated host, tried in turn like oslo does;
 * user, password and port carry over from the previous host when missing */
GPtrArray *
pd_amqp_url_parse(const gchar *url, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdAmqpHost, pd_amqp_url_host_free)

G_END_DECLS
