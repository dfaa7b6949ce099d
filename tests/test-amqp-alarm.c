/*
 * polld AMQP publisher under a broker memory alarm: the broker blocks
 * publishers (connection.blocked); polld must keep polling and spooling
 * with a responsive main loop, and deliver everything once it clears.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "amqp-consumer.h"
#include "pd-test-util.h"

static PdTestBroker *broker = NULL;

static gchar *
write_config(const gchar *dir)
{
	g_autofree gchar *yaml =
	  pd_test_write_file(dir,
			     "polling.yaml",
			     "sources:\n  - name: t\n    interval: 1\n    meters:\n"
			     "      - \"test.*\"\n");
	g_autofree gchar *text = g_strdup_printf(
	  "[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:%u/\n"
	  "[polling]\ncfg_file = %s\n"
	  /* a small memory queue: the alarm's backlog goes to the spool */
	  "[publisher]\ntelemetry_secret = s\nspool_dir = %s/spool\nmemory_queue_max_bytes = "
	  "20000\n"
	  "[oslo_messaging_rabbit]\nrabbit_retry_interval = 0.2\nrabbit_interval_max = 1\n"
	  "[test]\nresources = 2\nsamples = 5\n",
	  broker->port,
	  yaml,
	  dir);
	return pd_test_write_file(dir, "polld.conf", text);
}

static guint64
dir_bytes(const gchar *path)
{
	g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
	const gchar *name;
	guint64 total = 0;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *file = g_build_filename(path, name, NULL);
		GStatBuf st;
		if (g_stat(file, &st) == 0)
			total += (guint64)st.st_size;
	}
	return total;
}

/* the daemon's main loop answers D-Bus while blocked; a main loop stuck on
 * the broker would not answer before the alarm clears, so the generous
 * limit only allows for a slow (sanitizer, loaded) machine */
static void
check_responsive(GDBusConnection *bus)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) state = NULL;
	gint64 t0 = g_get_monotonic_time();

	if (bus == NULL)
		return;
	reply =
	  g_dbus_connection_call_sync(bus,
				      "org.polld.Agent1",
				      "/org/polld/Agent1",
				      "org.freedesktop.DBus.Properties",
				      "Get",
				      g_variant_new("(ss)", "org.polld.Agent1", "PublisherState"),
				      G_VARIANT_TYPE("(v)"),
				      G_DBUS_CALL_FLAGS_NONE,
				      5000,
				      NULL,
				      &error);
	if (error != NULL && g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)) {
		g_test_message("no D-Bus service in this build, responsiveness not probed");
		return;
	}
	g_assert_no_error(error);
	g_variant_get(reply, "(v)", &state);
	g_test_message("PublisherState %s answered in %" G_GINT64_FORMAT " us",
		       g_variant_get_string(state, NULL),
		       g_get_monotonic_time() - t0);
	g_assert_cmpstr(g_variant_get_string(state, NULL), ==, "blocked");
}

typedef struct {
	const gchar *dir;
	guint64 bytes;
} SpoolWait;

static gboolean
spool_grew(gpointer data)
{
	SpoolWait *w = data;
	return dir_bytes(w->dir) >= w->bytes;
}

static void
test_memory_alarm(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *spool_dir = g_build_filename(dir, "spool", NULL);
	g_autofree gchar *conf = NULL;
	g_autofree gchar *why = NULL;
	g_autoptr(PdTestPolld) polld = NULL;
	g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);
	g_autoptr(GPtrArray) deliveries = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	PdTestConsumer *consumer;
	gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
	guint64 spool_before, polled;
	SpoolWait sw = { spool_dir, 0 };
	guint unique = 0, dups = 0;

	if (broker == NULL) {
		g_test_skip("no broker");
		return;
	}
	conf = write_config(dir);
	consumer = pd_test_consumer_start(broker, "/", "notifications.sample", FALSE);
	polld = pd_test_polld_start(conf, FALSE);
	g_assert_true(pd_test_consumer_wait(consumer, 3, 60000));
	g_assert_true(pd_test_broker_ctl(broker, "set_vm_memory_high_watermark", "0.000001", NULL));
	g_assert_true(pd_test_polld_wait_log(polld, "broker blocked publishing", 60000));
	spool_before = dir_bytes(spool_dir);
	sw.bytes = spool_before + 1;
	polled = pd_test_polld_live_stat(polld, "samples_polled");
	g_assert_cmpuint(polled, !=, G_MAXUINT64);
	/* five more cycles while blocked, probing the daemon between waits */
	while (
	  !pd_test_polld_wait_stat(polld, "samples_polled", polled + 5 * 30, G_MAXUINT64, 1000)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		check_responsive(bus);
	}
	check_responsive(bus);
	/* their samples must land in the spool (the memory queue is small) */
	g_assert_true(pd_test_wait_for(spool_grew, &sw, 60000));
	g_assert_true(pd_test_broker_ctl(broker, "set_vm_memory_high_watermark", "0.4", NULL));
	g_assert_true(pd_test_polld_wait_log(polld, "broker unblocked publishing", 60000));
	/* eight cycles in all, and the alarm's spool delivered */
	g_assert_true(pd_test_polld_wait_stat(polld, "samples_polled", 30 * 8, G_MAXUINT64, 60000));
	g_assert_true(pd_test_polld_wait_stat(polld, "spooled_samples", 0, 0, 60000));
	pd_test_polld_signal(polld, SIGTERM);
	g_assert_cmpint(pd_test_polld_wait(polld, 30000), ==, 0);
	g_assert_cmpuint(pd_test_polld_stat(polld, "spooled_samples"), ==, 0);
	g_assert_true(
	  pd_test_consumer_wait(consumer, pd_test_polld_stat(polld, "confirmed"), 60000));
	deliveries = pd_test_consumer_get(consumer);
	samples = pd_test_deliveries_samples(deliveries);
	if (!pd_test_samples_complete(samples, NULL, &unique, &dups, &why))
		g_error("%s", why);
	g_printerr(
	  "# %u samples arrived across the alarm, none missing, %u duplicates\n", unique, dups);
	g_assert_cmpuint(unique, >=, 30 * 8);
	pd_test_consumer_stop(consumer);
	pd_test_rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/amqp/memory-alarm", test_memory_alarm);
	return pd_test_run_with_broker(&broker, TRUE, NULL);
}
