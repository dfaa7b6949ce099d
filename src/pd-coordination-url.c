/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdCoordination"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "pd-coordination-url.h"

#define PD_ETCD_DEFAULT_PORT 2379
#define PD_ETCD_DEFAULT_TIMEOUT 30

void
pd_coordination_url_free(PdCoordinationUrl *url)
{
	g_strfreev(url->endpoints);
	g_free(url->api_path);
	g_free(url->user);
	g_free(url->password);
	g_free(url->ca_cert);
	g_free(url->cert_key);
	g_free(url->cert_cert);
	g_free(url->redacted);
	g_free(url);
}

/* "etcd3+https" -> TRUE with *tls; the other tooz schemes are refused by name */
static gboolean
pd_coordination_url_scheme(const gchar *scheme, gboolean *tls, GError **error)
{
	if (g_ascii_strcasecmp(scheme, "etcd3+http") == 0 ||
	    g_ascii_strcasecmp(scheme, "etcd3") == 0) {
		*tls = FALSE;
		return TRUE;
	}
	if (g_ascii_strcasecmp(scheme, "etcd3+https") == 0) {
		*tls = TRUE;
		return TRUE;
	}
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_NOT_SUPPORTED,
		    "the '%s' coordination backend is not supported: polld coordinates through "
		    "etcd only (etcd3+http://host:port or etcd3+https://host:port)",
		    scheme);
	return FALSE;
}

/* "host", "host:port", "[v6]:port" -> "http://host:port", NULL if malformed */
static gchar *
pd_coordination_url_split_host(const gchar *netloc, gboolean tls)
{
	const gchar *colon = NULL;
	g_autofree gchar *host = NULL;
	guint64 port = PD_ETCD_DEFAULT_PORT;

	if (netloc[0] == '[') {
		const gchar *end = strchr(netloc, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return NULL;
		host = g_strndup(netloc, (gsize)(end - netloc + 1));
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(netloc, ':');
		host =
		  colon != NULL ? g_strndup(netloc, (gsize)(colon - netloc)) : g_strdup(netloc);
	}
	if (host[0] == '\0')
		return NULL;
	if (colon != NULL && !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL))
		return NULL;
	return g_strdup_printf("%s://%s:%u", tls ? "https" : "http", host, (guint)port);
}

static gchar *
pd_coordination_url_endpoint(const gchar *netloc, gboolean tls, GError **error)
{
	gchar *ep = pd_coordination_url_split_host(netloc, tls);
	if (ep == NULL)
		g_set_error(
		  error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad etcd endpoint '%s'", netloc);
	return ep;
}

static gboolean
pd_coordination_url_seconds(GHashTable *params,
			    const gchar *key,
			    guint def,
			    guint *out,
			    GError **error)
{
	const gchar *value = g_hash_table_lookup(params, key);
	guint64 n;

	*out = def;
	if (value == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned(value, 10, 1, 86400, &n, NULL)) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "%s=%s: want a whole number of seconds from 1 to 86400",
			    key,
			    value);
		return FALSE;
	}
	*out = (guint)n;
	return TRUE;
}

static gboolean
pd_coordination_url_options(PdCoordinationUrl *url, const gchar *query, GError **error)
{
	g_autoptr(GHashTable) params = NULL;
	const gchar *known[] = { "timeout",   "membership_timeout", "ca_cert",	    "cert_key",
				 "cert_cert", "api_version",	    "lock_timeout", NULL };
	const gchar *api;
	GHashTableIter iter;
	gpointer key;

	params = g_uri_parse_params(query != NULL ? query : "", -1, "&", G_URI_PARAMS_NONE, error);
	if (params == NULL)
		return FALSE;
	g_hash_table_iter_init(&iter, params);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		if (!g_strv_contains(known, key))
			g_warning("[coordination] backend_url: unknown option '%s' ignored",
				  (gchar *)key);
		else if (g_str_equal(key, "lock_timeout"))
			g_warning("[coordination] backend_url: lock_timeout is ignored, polld "
				  "takes no locks");
	}
	if (!pd_coordination_url_seconds(
	      params, "timeout", PD_ETCD_DEFAULT_TIMEOUT, &url->timeout, error) ||
	    !pd_coordination_url_seconds(
	      params, "membership_timeout", url->timeout, &url->membership_timeout, error))
		return FALSE;
	url->ca_cert = g_strdup(g_hash_table_lookup(params, "ca_cert"));
	url->cert_key = g_strdup(g_hash_table_lookup(params, "cert_key"));
	url->cert_cert = g_strdup(g_hash_table_lookup(params, "cert_cert"));
	/* tooz defaults to v3alpha, which etcd 3.4 no longer serves */
	api = g_hash_table_lookup(params, "api_version");
	if (api != NULL && !g_str_equal(api, "v3") && !g_str_equal(api, "v3beta") &&
	    !g_str_equal(api, "v3alpha")) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "api_version=%s: want v3, v3beta or v3alpha",
			    api);
		return FALSE;
	}
	url->api_path = g_strdup_printf("/%s/", api != NULL ? api : "v3");
	if ((url->cert_key == NULL) != (url->cert_cert == NULL)) {
		g_set_error_literal(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_ARGUMENT,
				    "cert_key and cert_cert go together");
		return FALSE;
	}
	return TRUE;
}

/* user:password@ -> fields; the redacted form keeps the user only */
static void
pd_coordination_url_userinfo(PdCoordinationUrl *url, const gchar *userinfo)
{
	const gchar *colon = strchr(userinfo, ':');

	if (colon == NULL) {
		url->user = g_uri_unescape_string(userinfo, NULL);
		return;
	}
	{
		g_autofree gchar *user = g_strndup(userinfo, (gsize)(colon - userinfo));
		url->user = g_uri_unescape_string(user, NULL);
	}
	url->password = g_uri_unescape_string(colon + 1, NULL);
}

static gboolean
pd_coordination_url_hosts(PdCoordinationUrl *url,
			  const gchar *netlocs,
			  gboolean tls,
			  GError **error)
{
	g_auto(GStrv) hosts = g_strsplit(netlocs, ",", -1);
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();

	for (guint i = 0; hosts[i] != NULL; i++) {
		g_autofree gchar *ep = NULL;
		g_strstrip(hosts[i]);
		if (hosts[i][0] == '\0')
			continue;
		ep = pd_coordination_url_endpoint(hosts[i], tls, error);
		if (ep == NULL)
			return FALSE;
		g_strv_builder_add(b, ep);
	}
	url->endpoints = g_strv_builder_end(b);
	if (url->endpoints[0] == NULL) {
		g_autofree gchar *def = g_strdup_printf("localhost:%u", PD_ETCD_DEFAULT_PORT);
		g_strfreev(url->endpoints);
		url->endpoints = g_new0(gchar *, 2);
		url->endpoints[0] = pd_coordination_url_endpoint(def, tls, NULL);
	}
	return TRUE;
}

static void
pd_coordination_url_redact(PdCoordinationUrl *url, const gchar *scheme, const gchar *rest)
{
	/* the last '@' of the host part, as the parser splits it: a password
	 * may hold a raw '@' */
	const gchar *at = g_strrstr_len(rest, (gssize)strcspn(rest, "/?#"), "@");

	if (url->password != NULL && at != NULL) {
		g_autofree gchar *user = g_uri_escape_string(url->user, NULL, FALSE);
		url->redacted = g_strdup_printf("%s://%s:***@%s", scheme, user, at + 1);
		return;
	}
	url->redacted = g_strdup_printf("%s://%s", scheme, rest);
}

PdCoordinationUrl *
pd_coordination_url_parse(const gchar *text, GError **error)
{
	g_autoptr(PdCoordinationUrl) url = g_new0(PdCoordinationUrl, 1);
	const gchar *sep = strstr(text, "://");
	g_autofree gchar *scheme = NULL;
	g_autofree gchar *netloc = NULL;
	const gchar *rest, *end, *query, *at;
	gboolean tls = FALSE;

	if (sep == NULL) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "'%s' is not a URL (etcd3+http://host:port)",
			    text);
		return NULL;
	}
	scheme = g_strndup(text, (gsize)(sep - text));
	if (!pd_coordination_url_scheme(scheme, &tls, error))
		return NULL;
	rest = sep + 3;
	end = rest + strcspn(rest, "/?#");
	query = strchr(rest, '?');
	netloc = g_strndup(rest, (gsize)(end - rest));
	at = strrchr(netloc, '@');
	if (at != NULL) {
		g_autofree gchar *userinfo = g_strndup(netloc, (gsize)(at - netloc));
		pd_coordination_url_userinfo(url, userinfo);
	}
	pd_coordination_url_redact(url, scheme, rest);
	if (!pd_coordination_url_hosts(url, at != NULL ? at + 1 : netloc, tls, error))
		return NULL;
	if (query != NULL) {
		g_autofree gchar *q = g_strndup(query + 1, strcspn(query + 1, "#"));
		if (!pd_coordination_url_options(url, q, error))
			return NULL;
	} else if (!pd_coordination_url_options(url, NULL, error)) {
		return NULL;
	}
	return g_steal_pointer(&url);
}
