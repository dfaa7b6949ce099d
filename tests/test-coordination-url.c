/*
 * polld unit tests: [coordination] backend_url (tooz's etcd3+http:// forms,
 * etcd user and password)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "pd-coordination-url.h"

static void
test_plain(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdCoordinationUrl) url = pd_coordination_url_parse(
	  "etcd3+http://etcd1:2379,etcd2?membership_timeout=9&timeout=4", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(url->endpoints[0], ==, "http://etcd1:2379");
	g_assert_cmpstr(url->endpoints[1], ==, "http://etcd2:2379");
	g_assert_null(url->endpoints[2]);
	g_assert_cmpstr(url->api_path, ==, "/v3/");
	g_assert_cmpuint(url->timeout, ==, 4);
	g_assert_cmpuint(url->membership_timeout, ==, 9);
	g_assert_null(url->user);
	g_assert_null(url->password);
	g_assert_cmpstr(
	  url->redacted, ==, "etcd3+http://etcd1:2379,etcd2?membership_timeout=9&timeout=4");
}

/* user:password@ in the host part, percent-escapes decoded; the redacted
 * form keeps the user and hides the whole password */
static void
test_credentials(void)
{
	struct {
		const gchar *text;
		const gchar *user;
		const gchar *password;
		const gchar *redacted;
	} cases[] = {
		{ "etcd3+http://polld:s3cret@127.0.0.1:2379",
		  "polld",
		  "s3cret",
		  "etcd3+http://polld:***@127.0.0.1:2379" },
		{ "etcd3+https://polld:p%40ss%3Aw0rd@etcd1,etcd2?timeout=5",
		  "polld",
		  "p@ss:w0rd",
		  "etcd3+https://polld:***@etcd1,etcd2?timeout=5" },
		/* a raw '@' in the password: the host part starts after the
		 * last one */
		{ "etcd3+http://polld:p@ss@etcd:2379/",
		  "polld",
		  "p@ss",
		  "etcd3+http://polld:***@etcd:2379/" },
		{ "etcd3+http://po%20lld:x@etcd", "po lld", "x", "etcd3+http://po%20lld:***@etcd" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PdCoordinationUrl) url = pd_coordination_url_parse(cases[i].text, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(url->user, ==, cases[i].user);
		g_assert_cmpstr(url->password, ==, cases[i].password);
		g_assert_cmpstr(url->redacted, ==, cases[i].redacted);
		g_assert_null(strstr(url->redacted, cases[i].password));
		g_assert_cmpstr(strchr(url->endpoints[0], '@'), ==, NULL);
	}
}

static void
test_refused(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdCoordinationUrl) url =
	  pd_coordination_url_parse("redis://user:s3cret@localhost:6379", &error);

	g_assert_null(url);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
	g_assert_null(strstr(error->message, "s3cret"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/coordination-url/plain", test_plain);
	g_test_add_func("/coordination-url/credentials", test_credentials);
	g_test_add_func("/coordination-url/refused", test_refused);
	return g_test_run();
}
