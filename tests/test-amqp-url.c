/*
 * polld - transport_url parsing: schemes, several hosts with oslo's
 * carry-over of user, password and port, IPv6, %-escapes, the vhost, the ssl
 * query parameter, and errors that name what is wrong
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gio.h>

#include "pd-amqp-url.h"

static GPtrArray *
parse_ok(const gchar *url, guint n_hosts)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *hosts = pd_amqp_url_parse(url, &error);

	g_assert_no_error(error);
	g_assert_nonnull(hosts);
	g_assert_cmpuint(hosts->len, ==, n_hosts);
	return hosts;
}

static void
assert_host(GPtrArray *hosts,
	    guint i,
	    const gchar *user,
	    const gchar *password,
	    const gchar *host,
	    guint16 port,
	    const gchar *vhost,
	    gboolean ssl)
{
	PdAmqpHost *h = g_ptr_array_index(hosts, i);

	g_assert_cmpstr(h->user, ==, user);
	g_assert_cmpstr(h->password, ==, password);
	g_assert_cmpstr(h->host, ==, host);
	g_assert_cmpuint(h->port, ==, port);
	g_assert_cmpstr(h->vhost, ==, vhost);
	g_assert_cmpint(h->ssl, ==, ssl);
}

static void
test_url_defaults(void)
{
	g_autoptr(GPtrArray) bare = parse_ok("rabbit://", 1);
	g_autoptr(GPtrArray) amqp = parse_ok("amqp://broker", 1);
	g_autoptr(GPtrArray) kombu = parse_ok("kombu+rabbit://broker:", 1);
	g_autoptr(GPtrArray) slash = parse_ok("rabbit://broker/", 1);

	assert_host(bare, 0, "guest", "guest", "localhost", 5672, "/", FALSE);
	assert_host(amqp, 0, "guest", "guest", "broker", 5672, "/", FALSE);
	assert_host(kombu, 0, "guest", "guest", "broker", 5672, "/", FALSE);
	assert_host(slash, 0, "guest", "guest", "broker", 5672, "/", FALSE);
}

static void
test_url_several_hosts(void)
{
	/* what a host leaves out it takes from the one before, as oslo does */
	g_autoptr(GPtrArray) hosts =
	  parse_ok("rabbit://u:p@h1:5673, h2 ,u2@h3:5674,h4/telemetry", 4);

	assert_host(hosts, 0, "u", "p", "h1", 5673, "telemetry", FALSE);
	assert_host(hosts, 1, "u", "p", "h2", 5673, "telemetry", FALSE);
	assert_host(hosts, 2, "u2", "p", "h3", 5674, "telemetry", FALSE);
	assert_host(hosts, 3, "u2", "p", "h4", 5674, "telemetry", FALSE);
}

static void
test_url_escapes_and_ipv6(void)
{
	g_autoptr(GPtrArray) esc = parse_ok("rabbit://us%40er:p%3Ass@w:rd@host/v%2Fh", 1);
	g_autoptr(GPtrArray) v6 = parse_ok("rabbit://[::1]:5671,[fe80::2]", 2);
	g_autofree gchar *desc = NULL;

	/* the last '@' ends the credentials, the first ':' ends the user */
	assert_host(esc, 0, "us@er", "p:ss@w:rd", "host", 5672, "v/h", FALSE);
	assert_host(v6, 0, "guest", "guest", "::1", 5671, "/", FALSE);
	assert_host(v6, 1, "guest", "guest", "fe80::2", 5671, "/", FALSE);
	desc = pd_amqp_url_host_describe(g_ptr_array_index(v6, 0));
	g_assert_cmpstr(desc, ==, "guest@[::1]:5671 (vhost /)");
}

static void
test_url_ssl(void)
{
	g_autoptr(GPtrArray) scheme = parse_ok("rabbits://h", 1);
	g_autoptr(GPtrArray) amqps = parse_ok("amqps://h/v", 1);
	g_autoptr(GPtrArray) query = parse_ok("rabbit://h/v?heartbeat=10&ssl=True", 1);
	g_autoptr(GPtrArray) novhost = parse_ok("rabbit://h?ssl=1", 1);
	g_autoptr(GPtrArray) off = parse_ok("rabbit://h/?ssl=0", 1);

	assert_host(scheme, 0, "guest", "guest", "h", 5672, "/", TRUE);
	assert_host(amqps, 0, "guest", "guest", "h", 5672, "v", TRUE);
	assert_host(query, 0, "guest", "guest", "h", 5672, "v", TRUE);
	assert_host(novhost, 0, "guest", "guest", "h", 5672, "/", TRUE);
	assert_host(off, 0, "guest", "guest", "h", 5672, "/", FALSE);
}

static void
test_url_describe_hides_password(void)
{
	g_autoptr(GPtrArray) hosts = parse_ok("rabbit://alice:s3cret@broker:5680/prod", 1);
	g_autofree gchar *desc = pd_amqp_url_host_describe(g_ptr_array_index(hosts, 0));

	g_assert_cmpstr(desc, ==, "alice@broker:5680 (vhost prod)");
	g_assert_null(strstr(desc, "s3cret"));
}

static void
test_url_errors(void)
{
	const struct {
		const gchar *url;
		gint code;
		const gchar *text;
	} cases[] = {
		{ "kafka://h", G_IO_ERROR_NOT_SUPPORTED, "only rabbit:// URLs" },
		{ "h:5672", G_IO_ERROR_NOT_SUPPORTED, "only rabbit:// URLs" },
		{ "rabbit://h:99999", G_IO_ERROR_INVALID_ARGUMENT, "bad port \"99999\"" },
		{ "rabbit://h:0", G_IO_ERROR_INVALID_ARGUMENT, "bad port \"0\"" },
		{ "rabbit://h:amqp", G_IO_ERROR_INVALID_ARGUMENT, "bad port \"amqp\"" },
		{ "rabbit://ok,h2:x", G_IO_ERROR_INVALID_ARGUMENT, "bad port \"x\"" },
		{ "rabbit://[::1:5672", G_IO_ERROR_INVALID_ARGUMENT, "unterminated [" },
		{ "rabbit://u%zz@h", G_IO_ERROR_INVALID_ARGUMENT, "bad %-escape in \"u%zz\"" },
		{ "rabbit://h/v%2", G_IO_ERROR_INVALID_ARGUMENT, "bad %-escape" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) hosts = pd_amqp_url_parse(cases[i].url, &error);
		g_assert_null(hosts);
		g_assert_error(error, G_IO_ERROR, cases[i].code);
		g_assert_true(g_str_has_prefix(error->message, "transport_url: "));
		g_assert_nonnull(strstr(error->message, cases[i].text));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/amqp-url/defaults", test_url_defaults);
	g_test_add_func("/amqp-url/several-hosts", test_url_several_hosts);
	g_test_add_func("/amqp-url/escapes-and-ipv6", test_url_escapes_and_ipv6);
	g_test_add_func("/amqp-url/ssl", test_url_ssl);
	g_test_add_func("/amqp-url/describe-hides-password", test_url_describe_hides_password);
	g_test_add_func("/amqp-url/errors", test_url_errors);
	return g_test_run();
}
