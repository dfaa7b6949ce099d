/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdAmqpUrl"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "pd-amqp-url.h"

#define PD_AMQP_DEFAULT_PORT 5672

void
pd_amqp_url_host_free(PdAmqpHost *host)
{
	if (host == NULL)
		return;
	g_free(host->user);
	g_free(host->password);
	g_free(host->host);
	g_free(host->vhost);
	g_free(host);
}

gchar *
pd_amqp_url_host_describe(const PdAmqpHost *host)
{
	gboolean v6 = strchr(host->host, ':') != NULL;

	return g_strdup_printf("%s@%s%s%s:%u (vhost %s)",
			       host->user,
			       v6 ? "[" : "",
			       host->host,
			       v6 ? "]" : "",
			       host->port,
			       host->vhost);
}

static gchar *
pd_amqp_url_unescape(const gchar *text, gssize len, const gchar *url, GError **error)
{
	g_autofree gchar *raw = g_strndup(text, len < 0 ? strlen(text) : (gsize)len);
	gchar *out = g_uri_unescape_string(raw, NULL);

	if (out == NULL)
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "transport_url: bad %%-escape in \"%s\"",
			    raw);
	return out;
}

static gboolean
pd_amqp_url_parse_port(const gchar *text, guint16 *port, GError **error)
{
	guint64 value = 0;

	if (!g_ascii_string_to_unsigned(text, 10, 1, 65535, &value, NULL)) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "transport_url: bad port \"%s\"",
			    text);
		return FALSE;
	}
	*port = (guint16)value;
	return TRUE;
}

/* host part: "[v6]:port", "name:port" or "name" */
static gboolean
pd_amqp_url_parse_hostport(PdAmqpHost *host, const gchar *text, GError **error)
{
	const gchar *colon = NULL;

	if (text[0] == '[') {
		const gchar *end = strchr(text, ']');
		if (end == NULL) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_ARGUMENT,
				    "transport_url: unterminated [ in \"%s\"",
				    text);
			return FALSE;
		}
		host->host = g_strndup(text + 1, end - text - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(text, ':');
		host->host = colon != NULL ? g_strndup(text, colon - text) : g_strdup(text);
	}
	if (host->host[0] == '\0') {
		g_free(host->host);
		host->host = g_strdup("localhost");
	}
	if (colon != NULL && colon[1] != '\0')
		return pd_amqp_url_parse_port(colon + 1, &host->port, error);
	return TRUE;
}

/* "user:pass@host:port" */
static PdAmqpHost *
pd_amqp_url_parse_netloc(const gchar *text, const gchar *url, GError **error)
{
	g_autoptr(PdAmqpHost) host = g_new0(PdAmqpHost, 1);
	const gchar *at = strrchr(text, '@');
	const gchar *hostport = text;

	if (at != NULL) {
		const gchar *colon = memchr(text, ':', at - text);
		gssize ulen = colon != NULL ? colon - text : at - text;
		host->user = pd_amqp_url_unescape(text, ulen, url, error);
		if (host->user == NULL)
			return NULL;
		if (colon != NULL) {
			host->password =
			  pd_amqp_url_unescape(colon + 1, at - colon - 1, url, error);
			if (host->password == NULL)
				return NULL;
		}
		hostport = at + 1;
	}
	if (!pd_amqp_url_parse_hostport(host, hostport, error))
		return NULL;
	return g_steal_pointer(&host);
}

static gboolean
pd_amqp_url_query_ssl(const gchar *query)
{
	g_auto(GStrv) params = g_strsplit(query != NULL ? query : "", "&", -1);

	for (guint i = 0; params[i] != NULL; i++) {
		if (g_str_has_prefix(params[i], "ssl=")) {
			const gchar *v = params[i] + 4;
			return g_ascii_strcasecmp(v, "1") == 0 ||
			       g_ascii_strcasecmp(v, "true") == 0 ||
			       g_ascii_strcasecmp(v, "yes") == 0 ||
			       g_ascii_strcasecmp(v, "on") == 0;
		}
	}
	return FALSE;
}

/* user, password and port default to the previous host's, like oslo */
static void
pd_amqp_url_fill_defaults(GPtrArray *hosts, const gchar *vhost, gboolean ssl)
{
	for (guint i = 0; i < hosts->len; i++) {
		PdAmqpHost *h = g_ptr_array_index(hosts, i);
		PdAmqpHost *prev = i > 0 ? g_ptr_array_index(hosts, i - 1) : NULL;
		if (h->user == NULL)
			h->user = g_strdup(prev != NULL ? prev->user : "guest");
		if (h->password == NULL)
			h->password = g_strdup(prev != NULL ? prev->password : "guest");
		if (h->port == 0)
			h->port = prev != NULL ? prev->port : PD_AMQP_DEFAULT_PORT;
		h->vhost = g_strdup(vhost[0] != '\0' ? vhost : "/");
		h->ssl = ssl;
	}
}

static gboolean
pd_amqp_url_split_scheme(const gchar *url, const gchar **rest, gboolean *ssl, GError **error)
{
	static const gchar *const plain[] = { "rabbit://", "amqp://", "kombu+rabbit://", NULL };
	static const gchar *const secure[] = { "rabbits://", "amqps://", NULL };

	for (guint i = 0; plain[i] != NULL; i++) {
		if (g_str_has_prefix(url, plain[i])) {
			*rest = url + strlen(plain[i]);
			return TRUE;
		}
	}
	for (guint i = 0; secure[i] != NULL; i++) {
		if (g_str_has_prefix(url, secure[i])) {
			*rest = url + strlen(secure[i]);
			*ssl = TRUE;
			return TRUE;
		}
	}
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_NOT_SUPPORTED,
		    "transport_url: only rabbit:// URLs are supported, not \"%s\"",
		    url);
	return FALSE;
}

GPtrArray *
pd_amqp_url_parse(const gchar *url, GError **error)
{
	g_autoptr(GPtrArray) hosts =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_amqp_url_host_free);
	g_autofree gchar *netlocs = NULL;
	g_autofree gchar *vhost = NULL;
	g_auto(GStrv) parts = NULL;
	const gchar *rest = NULL;
	const gchar *slash = NULL;
	const gchar *query = NULL;
	gboolean ssl = FALSE;

	if (!pd_amqp_url_split_scheme(url, &rest, &ssl, error))
		return NULL;
	query = strchr(rest, '?');
	slash = strchr(rest, '/');
	if (slash != NULL && query != NULL && query < slash)
		slash = NULL;
	netlocs = g_strndup(rest,
			    slash != NULL ? slash - rest
					  : (query != NULL ? query - rest : (gssize)strlen(rest)));
	if (slash != NULL) {
		gssize vlen = query != NULL ? query - slash - 1 : (gssize)strlen(slash + 1);
		vhost = pd_amqp_url_unescape(slash + 1, vlen, url, error);
		if (vhost == NULL)
			return NULL;
	}
	parts = g_strsplit(netlocs, ",", -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		PdAmqpHost *h = pd_amqp_url_parse_netloc(g_strstrip(parts[i]), url, error);
		if (h == NULL)
			return NULL;
		g_ptr_array_add(hosts, h);
	}
	if (hosts->len == 0)
		g_ptr_array_add(hosts, pd_amqp_url_parse_netloc("", url, error));
	pd_amqp_url_fill_defaults(hosts,
				  vhost != NULL ? vhost : "",
				  ssl || pd_amqp_url_query_ssl(query != NULL ? query + 1 : NULL));
	return g_steal_pointer(&hosts);
}
