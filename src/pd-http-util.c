/*
 * polld - the parts of the etcd client and of the Prometheus exporter's
 * HTTP side that need no libsoup: built into the daemon, which uses them
 * without opening libpolld-http.so, and into that module (pd-http-module.h)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "pd-error.h"
#include "pd-etcd-client.h"
#include "pd-prom-server.h"

/* etcd: keys and values, ranges, int64 fields */

gchar *
pd_http_util_etcd_encode(const gchar *text)
{
	return g_base64_encode((const guchar *)text, strlen(text));
}

gchar *
pd_http_util_etcd_decode(const gchar *b64)
{
	gsize len = 0;
	guchar *raw = g_base64_decode(b64 != NULL ? b64 : "", &len);
	gchar *out = g_strndup((const gchar *)raw, len);
	g_free(raw);
	return out;
}

gchar *
pd_http_util_etcd_prefix_end(const gchar *prefix)
{
	gchar *end = g_strdup(prefix);
	gsize len = strlen(end);

	/* polld's prefixes are ASCII and end in '/': the next byte value ends
	 * the range */
	g_return_val_if_fail(len > 0 && (guchar)end[len - 1] < 0x7f, end);
	end[len - 1]++;
	return end;
}

gint64
pd_http_util_etcd_get_int(JsonObject *obj, const gchar *member)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, member) : NULL;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return 0;
	if (json_node_get_value_type(node) == G_TYPE_STRING)
		return g_ascii_strtoll(json_node_get_string(node), NULL, 10);
	return json_node_get_int(node);
}

/* the exporter's listen addresses */

static gboolean
parse_port(const gchar *text, guint16 *port)
{
	guint64 v;

	/* port 0 picks a free one (tests) */
	if (!g_ascii_string_to_unsigned(text, 10, 0, 65535, &v, NULL))
		return FALSE;
	*port = (guint16)v;
	return TRUE;
}

static gboolean
split_host_port(const gchar *text, gchar **host, guint16 *port)
{
	const gchar *colon;

	if (text[0] == '[') {
		const gchar *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			return FALSE;
		colon = close + 1;
		*host = g_strndup(text + 1, (gsize)(close - text - 1));
	} else {
		colon = strrchr(text, ':');
		/* a bare IPv6 address needs its brackets */
		if (colon == NULL || strchr(text, ':') != colon)
			return FALSE;
		*host = g_strndup(text, (gsize)(colon - text));
	}
	return parse_port(colon + 1, port);
}

GSocketAddress *
pd_http_util_prom_parse_address(const gchar *text, GError **error)
{
	g_autofree gchar *host = NULL;
	g_autoptr(GInetAddress) inet = NULL;
	guint16 port = 0;

	if (split_host_port(text, &host, &port)) {
		if (strcmp(host, "localhost") == 0)
			inet = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		else if (host[0] == '\0')
			inet = g_inet_address_new_any(G_SOCKET_FAMILY_IPV6);
		else
			inet = g_inet_address_new_from_string(host);
	}
	if (inet == NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_INVALID_CONFIG,
			    "'%s' is not an address:port (write 127.0.0.1:9101 or [::1]:9101)",
			    text);
		return NULL;
	}
	return g_inet_socket_address_new(inet, port);
}
