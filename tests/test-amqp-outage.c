/*
 * polld AMQP publisher through broker outages: the broker stopped for 20 s
 * while polld polls every second, and polld SIGKILLed while the broker is
 * down. Every sample polled must arrive; duplicates are allowed and counted.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <string.h>

#include "amqp-consumer.h"
#include "pd-spool.h"
#include "pd-test-util.h"

#define OUTAGE_S 20

static PdTestBroker *broker = NULL;

static gboolean
wake_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

/* the outage itself: a scenario duration, not a synchronisation */
static void
run_main_loop_for(guint seconds)
{
	gboolean done = FALSE;
	g_timeout_add_seconds(seconds, wake_cb, &done);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
}

/* once connected again, PublisherError must not keep the old failure */
static void
assert_connected_without_error(PdTestPolld *polld)
{
	g_autofree gchar *error = NULL;

	g_assert_true(pd_test_polld_wait_property(polld, "PublisherState", "connected", 60000));
	error = pd_test_polld_get_property(polld, "PublisherError");
	g_assert_cmpstr(error, ==, "");
}

static void
check_complete(PdTestConsumer *consumer, const gchar *source, guint expected)
{
	g_autoptr(GPtrArray) deliveries = pd_test_consumer_get(consumer);
	g_autoptr(GPtrArray) samples = pd_test_deliveries_samples(deliveries);
	g_autofree gchar *why = NULL;
	guint unique = 0, dups = 0;

	if (!pd_test_samples_complete(samples, source, &unique, &dups, &why))
		g_error("%s", why);
	g_test_message(
	  "source %s: %u samples arrived, none missing, %u duplicates", source, unique, dups);
	g_printerr(
	  "# source %s: %u samples arrived, none missing, %u duplicates\n", source, unique, dups);
	if (expected > 0)
		g_assert_cmpuint(unique, ==, expected);
}

static void
test_outage(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *conf = NULL;
	g_autoptr(PdTestPolld) polld = NULL;
	PdTestConsumer *consumer;

	if (broker == NULL) {
		g_test_skip("no broker");
		return;
	}
	conf = pd_test_write_durable_config(broker, dir, "outage");
	consumer = pd_test_consumer_start(broker, "/", "notifications.sample", TRUE);
	polld = pd_test_polld_start(conf, FALSE);
	g_assert_true(pd_test_consumer_wait(consumer, 3, 60000));
	g_assert_true(pd_test_broker_ctl(broker, "stop_app", NULL));
	g_assert_true(pd_test_polld_wait_log(polld, "samples are kept", 60000));
	run_main_loop_for(OUTAGE_S);
	/* however slow the machine, the outage spooled a few cycles */
	g_assert_true(
	  pd_test_polld_wait_stat(polld, "spooled_samples", 3 * 30, G_MAXUINT64, 60000));
	g_assert_true(pd_test_broker_ctl(broker, "start_app", NULL));
	/* the outage's spool comes back, then a few live cycles */
	g_assert_true(pd_test_polld_wait_stat(polld, "reconnects", 1, G_MAXUINT64, 60000));
	g_assert_true(pd_test_polld_wait_stat(polld, "spooled_samples", 0, 0, 120000));
	assert_connected_without_error(polld);
	g_assert_true(pd_test_consumer_wait(consumer, pd_test_consumer_count(consumer) + 3, 60000));
	pd_test_polld_signal(polld, SIGTERM);
	g_assert_cmpint(pd_test_polld_wait(polld, 30000), ==, 0);
	g_assert_cmpuint(pd_test_count(pd_test_polld_get_log(polld), "connected to"), >=, 2);
	g_assert_cmpuint(pd_test_polld_stat(polld, "spooled_samples"), ==, 0);
	g_assert_cmpuint(pd_test_polld_stat(polld, "reconnects"), >=, 1);
	g_assert_true(
	  pd_test_consumer_wait(consumer, pd_test_polld_stat(polld, "confirmed"), 60000));
	/* stats: confirmed counts every publish, republished ones included */
	check_complete(consumer, "outage", 0);
	pd_test_consumer_stop(consumer);
	pd_test_rmtree(dir);
}

/* --- SIGKILL while the broker is down --- */

static gboolean
poll_until(gboolean (*cond)(gpointer), gpointer data, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (!cond(data) && g_get_monotonic_time() < deadline) {
		gboolean tick = FALSE;
		/* the condition parses every delivery so far: not too often */
		g_timeout_add(200, wake_cb, &tick);
		while (!tick)
			g_main_context_iteration(NULL, TRUE);
	}
	return cond(data);
}

typedef struct {
	PdTestConsumer *consumer;
	const gchar *source;
	guint expected;
} SourceWait;

static gboolean
source_arrived(gpointer data)
{
	SourceWait *w = data;
	g_autoptr(GPtrArray) deliveries = pd_test_consumer_get(w->consumer);
	g_autoptr(GPtrArray) samples = pd_test_deliveries_samples(deliveries);
	guint n = 0;

	for (guint i = 0; i < samples->len; i++)
		n +=
		  g_strcmp0(json_object_get_string_member(g_ptr_array_index(samples, i), "source"),
			    w->source) == 0;
	return n >= w->expected;
}

static void
test_sigkill(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *spool_dir = g_build_filename(dir, "spool", NULL);
	g_autofree gchar *conf = NULL;
	g_autoptr(PdTestPolld) first = NULL;
	g_autoptr(PdTestPolld) second = NULL;
	g_autoptr(PdSpool) spool = NULL;
	g_autoptr(GError) error = NULL;
	PdTestConsumer *consumer;
	SourceWait aw;
	guint64 spooled;

	if (broker == NULL) {
		g_test_skip("no broker");
		return;
	}
	g_assert_true(pd_test_broker_ctl(broker, "stop_app", NULL));
	conf = pd_test_write_durable_config(broker, dir, "killed");
	first = pd_test_polld_start(conf, FALSE);
	g_assert_true(pd_test_polld_wait_log(first, "samples are kept", 60000));
	/* five cycles of 30 samples spooled; a record is written whole before
	 * it is counted, and SIGKILL cannot take back a finished write() */
	g_assert_true(
	  pd_test_polld_wait_stat(first, "spooled_samples", 5 * 30, G_MAXUINT64, 60000));
	pd_test_polld_signal(first, SIGKILL);
	g_assert_cmpint(pd_test_polld_wait(first, 30000), ==, 128 + SIGKILL);
	/* what survived: at least every batch counted before the kill */
	spool = pd_spool_open(spool_dir, G_MAXUINT64, &error);
	g_assert_no_error(error);
	spooled = pd_spool_get_samples(spool);
	g_clear_pointer(&spool, pd_spool_free);
	g_assert_cmpuint(spooled, >=, 5 * 30);

	g_assert_true(pd_test_broker_ctl(broker, "start_app", NULL));
	consumer = pd_test_consumer_start(broker, "/", "notifications.sample", TRUE);
	g_free(conf);
	conf = pd_test_write_durable_config(broker, dir, "restarted");
	second = pd_test_polld_start(conf, FALSE);
	aw = (SourceWait){ consumer, "killed", (guint)spooled };
	g_assert_true(poll_until(source_arrived, &aw, 120000));
	pd_test_polld_signal(second, SIGTERM);
	g_assert_cmpint(pd_test_polld_wait(second, 30000), ==, 0);
	check_complete(consumer, "killed", (guint)spooled);
	pd_test_consumer_stop(consumer);
	pd_test_rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/amqp/outage", test_outage);
	g_test_add_func("/amqp/sigkill-while-down", test_sigkill);
	return pd_test_run_with_broker(&broker, TRUE, NULL);
}
