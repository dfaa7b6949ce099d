/*
 * polld AMQP publisher over TLS against a real RabbitMQ: a private CA and
 * server certificate (openssl CLI, EC P-256), a broker with a TLS listener
 * (rabbitmq-harness.sh, POLLD_HARNESS_EXTRA_CONF); polld with the right CA
 * delivers every sample, with a wrong CA it logs the verification failure
 * and spools. The consumer reads on the plain port.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gio.h>
#include <signal.h>
#include <string.h>

#include "amqp-consumer.h"
#include "pd-test-util.h"

#define SECRET "t3st-secret"

static PdTestBroker *broker = NULL;
static gchar *pki = NULL;
static guint16 tls_port = 0;

typedef PdTestAmqpFixture Fixture;

static gboolean
port_free(guint16 port)
{
	g_autoptr(GSocket) sock =
	  g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, port);

	return sock != NULL && g_socket_bind(sock, addr, FALSE, NULL);
}

/* below the ephemeral range, like the harness's own ports */
static guint16
pick_tls_port(void)
{
	g_autofree gchar *text = NULL;
	guint64 low = 32768;

	if (g_file_get_contents("/proc/sys/net/ipv4/ip_local_port_range", &text, NULL, NULL))
		low = g_ascii_strtoull(text, NULL, 10);
	low = CLAMP(low, 12000, 65536);
	for (guint attempt = 0; attempt < 200; attempt++) {
		guint16 port = (guint16)g_random_int_range(5000, (gint32)low - 1);
		if (port_free(port))
			return port;
	}
	return 0;
}

static gboolean
skip_without_broker(void)
{
	if (broker != NULL)
		return FALSE;
	g_test_skip("no TLS broker");
	return TRUE;
}

static gchar *
tls_url(const gchar *vhost)
{
	return g_strdup_printf("rabbit://guest:guest@127.0.0.1:%u/%s", tls_port, vhost);
}

/* the right CA: polld --once publishes over TLS, everything arrives */
static void
test_verified(Fixture *f, gconstpointer data)
{
	g_autofree gchar *url = NULL;
	g_autofree gchar *extra = NULL;
	g_autofree gchar *why = NULL;
	g_autoptr(PdTestPolld) polld = NULL;
	g_autoptr(GPtrArray) deliveries = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	PdTestConsumer *consumer;
	guint unique = 0, dups = 0;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "tls");
	url = tls_url("tls");
	/* 3 pollsters x 2 resources x 10 samples = 60 samples */
	extra = g_strdup_printf("ssl = true\nssl_ca_file = %s/ca.pem\n"
				"[test]\nresources = 2\nsamples = 10\n",
				pki);
	f->conf = pd_test_write_amqp_config(f->dir, url, SECRET, extra);
	consumer = pd_test_consumer_start(broker, "tls", "notifications.sample", FALSE);
	polld = pd_test_polld_start(f->conf, TRUE);
	g_assert_cmpint(pd_test_polld_wait(polld, 60000), ==, 0);
	g_assert_nonnull(strstr(pd_test_polld_get_log(polld), "connected to"));
	g_assert_cmpuint(pd_test_polld_stat(polld, "confirmed_samples"), ==, 60);
	g_assert_cmpuint(pd_test_polld_stat(polld, "spooled_samples"), ==, 0);
	g_assert_true(
	  pd_test_consumer_wait(consumer, pd_test_polld_stat(polld, "confirmed"), 60000));
	deliveries = pd_test_consumer_get(consumer);
	samples = pd_test_deliveries_samples(deliveries);
	if (!pd_test_samples_complete(samples, NULL, &unique, &dups, &why))
		g_error("%s", why);
	g_assert_cmpuint(unique, ==, 60);
	g_assert_cmpuint(dups, ==, 0);
	g_test_message("%u messages, %u samples over TLS", deliveries->len, unique);
	pd_test_consumer_stop(consumer);
}

/* a CA that did not sign the broker's cert: the handshake fails, polld
 * logs it and keeps the samples in its spool */
static void
test_wrong_ca(Fixture *f, gconstpointer data)
{
	g_autofree gchar *url = NULL;
	g_autofree gchar *extra = NULL;
	g_autoptr(PdTestPolld) polld = NULL;
	PdTestConsumer *consumer;
	const gchar *log;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "badca");
	url = tls_url("badca");
	extra = g_strdup_printf("ssl = true\nssl_ca_file = %s/other.pem\n"
				"[test]\nresources = 1\nsamples = 5\n",
				pki);
	f->conf = pd_test_write_amqp_config(f->dir, url, SECRET, extra);
	consumer = pd_test_consumer_start(broker, "badca", "notifications.sample", FALSE);
	polld = pd_test_polld_start(f->conf, FALSE);
	g_assert_true(pd_test_polld_wait_log(polld, "samples are kept", 60000));
	g_assert_true(pd_test_polld_wait_stat(polld, "spooled_samples", 1, G_MAXUINT64, 60000));
	pd_test_polld_signal(polld, SIGTERM);
	g_assert_cmpint(pd_test_polld_wait(polld, 30000), ==, 0);
	log = pd_test_polld_get_log(polld);
	g_assert_nonnull(strstr(log, "SSL peer cert verification failed"));
	g_assert_null(strstr(log, "connected to"));
	g_assert_cmpuint(pd_test_polld_stat(polld, "confirmed"), ==, 0);
	g_assert_cmpuint(pd_test_polld_stat(polld, "spooled_samples"), >, 0);
	g_assert_cmpuint(pd_test_consumer_count(consumer), ==, 0);
	pd_test_consumer_stop(consumer);
}

int
main(int argc, char **argv)
{
	g_autofree gchar *conf = NULL;
	g_autofree gchar *openssl = NULL;
	gint ret;

	g_test_init(&argc, &argv, NULL);
	pki = pd_test_mkdtemp();
	tls_port = pick_tls_port();
	openssl = g_find_program_in_path("openssl");
	if (openssl == NULL) {
		g_printerr("# skipping: openssl is not installed\n");
	} else if (tls_port == 0 || !pd_test_make_pki(pki)) {
		g_printerr("# skipping: no test certificates\n");
	} else {
		conf = g_strdup_printf("listeners.ssl.default = 127.0.0.1:%u\n"
				       "ssl_options.cacertfile = %s/ca.pem\n"
				       "ssl_options.certfile = %s/server.pem\n"
				       "ssl_options.keyfile = %s/server.key\n"
				       "ssl_options.verify = verify_none\n"
				       "ssl_options.fail_if_no_peer_cert = false",
				       tls_port,
				       pki,
				       pki,
				       pki);
		g_printerr("# TLS listener on 127.0.0.1:%u\n", tls_port);
	}
	g_test_add("/amqp-tls/verified",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_verified,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp-tls/wrong-ca",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_wrong_ca,
		   pd_test_amqp_fixture_tear_down);
	ret = pd_test_run_with_broker(&broker, conf != NULL, conf);
	pd_test_rmtree(pki);
	g_free(pki);
	return ret;
}
