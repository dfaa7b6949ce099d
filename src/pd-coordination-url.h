/*
 * polld - [coordination] backend_url parsing (tooz's etcd3+http:// forms)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	gchar **endpoints; /* "http://host:port", tried in turn */
	gchar *api_path;   /* "/v3/" */
	gchar *user;	   /* etcd authentication, or NULL */
	gchar *password;
	guint timeout;		  /* seconds, per request */
	guint membership_timeout; /* seconds, the lease TTL */
	gchar *ca_cert;
	gchar *cert_key;
	gchar *cert_cert;
	gchar *redacted; /* the URL with the password replaced, for logs and D-Bus */
} PdCoordinationUrl;

/* fails with G_IO_ERROR_NOT_SUPPORTED for another tooz backend (redis,
 * zookeeper...) and G_IO_ERROR_INVALID_ARGUMENT for a malformed URL; the
 * message does not repeat the password */
PdCoordinationUrl *
pd_coordination_url_parse(const gchar *url, GError **error);
void
pd_coordination_url_free(PdCoordinationUrl *url);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdCoordinationUrl, pd_coordination_url_free)

G_END_DECLS
