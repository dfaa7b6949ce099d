/*
 * polld AMQP publisher against a real RabbitMQ: wire format, signatures,
 * batch sizes, refused logins, unknown vhosts, 406 flag mismatches, spool
 * full. Starts its own broker through tests/rabbitmq-harness.sh.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <amqp.h>
#include <amqp_framing.h>
#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "amqp-consumer.h"
#include "pd-amqp-worker.h"
#include "pd-test-signature.h"
#include "pd-spool.h"
#include "pd-test-util.h"

#define SECRET "t3st-secret"

static PdTestBroker *broker = NULL;

typedef PdTestAmqpFixture Fixture;

static gchar *
url_for(const gchar *user, const gchar *password, const gchar *vhost)
{
	return g_strdup_printf(
	  "rabbit://%s:%s@127.0.0.1:%u/%s", user, password, broker->port, vhost);
}

static gboolean
skip_without_broker(void)
{
	if (broker != NULL)
		return FALSE;
	g_test_skip("no broker");
	return TRUE;
}

/* --- wire format --- */

static void
check_properties(PdTestDelivery *d)
{
	guint32 expected = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG |
			   AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
			   AMQP_BASIC_PRIORITY_FLAG;

	/* msg-0000.meta.json: these five set, every other property null */
	g_assert_cmpstr(d->exchange, ==, "ceilometer");
	g_assert_cmpstr(d->routing_key, ==, "notifications.sample");
	g_assert_cmphex(d->flags, ==, expected);
	g_assert_cmpstr(d->content_type, ==, "application/json");
	g_assert_cmpstr(d->content_encoding, ==, "utf-8");
	g_assert_cmpuint(d->delivery_mode, ==, 2);
	g_assert_cmpuint(d->priority, ==, 0);
	g_assert_cmpint(d->headers, ==, 0);
}

static void
check_envelope(PdTestDelivery *d, guint *n_samples)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) msg = NULL;
	g_autofree gchar *text =
	  g_strndup(g_bytes_get_data(d->body, NULL), g_bytes_get_size(d->body));
	JsonObject *outer;
	JsonArray *samples;
	GRegex *ts =
	  g_regex_new("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}$", 0, 0, NULL);

	/* the outer envelope: two keys, this order, this spacing */
	g_assert_true(g_str_has_prefix(text, "{\"oslo.version\": \"2.0\", \"oslo.message\": \"{"));
	g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
	outer = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpuint(json_object_get_size(outer), ==, 2);
	msg = pd_test_parse_message(text, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(strlen(json_object_get_string_member(msg, "message_id")), ==, 36);
	g_assert_cmpstr(
	  json_object_get_string_member(msg, "publisher_id"), ==, "ceilometer.polling");
	g_assert_cmpstr(json_object_get_string_member(msg, "event_type"), ==, "telemetry.polling");
	g_assert_cmpstr(json_object_get_string_member(msg, "priority"), ==, "SAMPLE");
	g_assert_true(g_regex_match(ts, json_object_get_string_member(msg, "timestamp"), 0, NULL));
	samples =
	  json_object_get_array_member(json_object_get_object_member(msg, "payload"), "samples");
	g_assert_cmpuint(json_array_get_length(samples), >, 0);
	g_assert_cmpuint(json_array_get_length(samples), <=, 50);
	for (guint i = 0; i < json_array_get_length(samples); i++) {
		JsonObject *s = json_array_get_object_element(samples, i);
		g_assert_cmpuint(
		  strlen(json_object_get_string_member(s, "message_signature")), ==, 64);
		g_assert_true(pd_test_signature_verify_json(SECRET, s));
	}
	*n_samples += json_array_get_length(samples);
	g_regex_unref(ts);
}

static void
test_wire(Fixture *f, gconstpointer data)
{
	g_autofree gchar *url = NULL;
	g_autoptr(PdTestPolld) polld = NULL;
	g_autoptr(GPtrArray) deliveries = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	g_autofree gchar *why = NULL;
	PdTestConsumer *consumer;
	guint n_samples = 0, unique = 0, dups = 0;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "wire");
	url = url_for("guest", "guest", "wire");
	/* 3 pollsters x 4 resources x 30 samples = 360 samples, batches of 50 */
	f->conf =
	  pd_test_write_amqp_config(f->dir, url, SECRET, "[test]\nresources = 4\nsamples = 30\n");
	consumer = pd_test_consumer_start(broker, "wire", "notifications.sample", FALSE);
	polld = pd_test_polld_start(f->conf, TRUE);
	g_assert_cmpint(pd_test_polld_wait(polld, 60000), ==, 0);
	g_assert_cmpuint(pd_test_polld_stat(polld, "confirmed_samples"), ==, 360);
	g_assert_cmpuint(pd_test_polld_stat(polld, "spooled_samples"), ==, 0);
	g_assert_true(
	  pd_test_consumer_wait(consumer, pd_test_polld_stat(polld, "confirmed"), 60000));
	deliveries = pd_test_consumer_get(consumer);
	for (guint i = 0; i < deliveries->len; i++) {
		check_properties(g_ptr_array_index(deliveries, i));
		check_envelope(g_ptr_array_index(deliveries, i), &n_samples);
	}
	g_assert_cmpuint(n_samples, ==, 360);
	samples = pd_test_deliveries_samples(deliveries);
	if (!pd_test_samples_complete(samples, NULL, &unique, &dups, &why))
		g_error("%s", why);
	g_assert_cmpuint(unique, ==, 360);
	g_assert_cmpuint(dups, ==, 0);
	g_test_message(
	  "%u messages, %u samples, all signed and complete", deliveries->len, n_samples);
	pd_test_consumer_stop(consumer);
}

/* --- refused: the broker is fixed while polld retries --- */

typedef void (*FixFunc)(void);

/* polld runs as a daemon, logs @error_text, the test repairs the broker;
 * then every sample polled must arrive */
static void
run_until_fixed(Fixture *f,
		const gchar *vhost,
		const gchar *url,
		const gchar *error_text,
		FixFunc fix)
{
	g_autoptr(PdTestPolld) polld = NULL;
	g_autoptr(GPtrArray) deliveries = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	g_autofree gchar *why = NULL;
	PdTestConsumer *consumer = NULL;
	guint unique = 0, dups = 0;
	const gchar *log;

	f->conf =
	  pd_test_write_amqp_config(f->dir, url, SECRET, "[test]\nresources = 1\nsamples = 5\n");
	polld = pd_test_polld_start(f->conf, FALSE);
	g_assert_true(pd_test_polld_wait_log(polld, error_text, 60000));
	log = pd_test_polld_get_log(polld);
	/* once per episode, however many retries */
	g_assert_true(strstr(strstr(log, error_text) + 1, error_text) == NULL);
	/* the same line */
	g_assert_nonnull(strstr(strstr(log, error_text), "samples are kept"));
	fix();
	consumer = pd_test_consumer_start(broker, vhost, "notifications.sample", FALSE);
	g_assert_true(pd_test_polld_wait_log(polld, "connected to", 60000));
	/* the spool of the refused time delivered, then a few cycles */
	g_assert_true(pd_test_polld_wait_stat(polld, "spooled_samples", 0, 0, 60000));
	g_assert_true(pd_test_consumer_wait(consumer, pd_test_consumer_count(consumer) + 3, 60000));
	pd_test_polld_signal(polld, SIGTERM);
	g_assert_cmpint(pd_test_polld_wait(polld, 30000), ==, 0);
	g_assert_cmpuint(pd_test_polld_stat(polld, "spooled_samples"), ==, 0);
	g_assert_true(
	  pd_test_consumer_wait(consumer, pd_test_polld_stat(polld, "confirmed"), 60000));
	deliveries = pd_test_consumer_get(consumer);
	samples = pd_test_deliveries_samples(deliveries);
	if (!pd_test_samples_complete(samples, NULL, &unique, &dups, &why))
		g_error("%s", why);
	g_assert_cmpuint(unique, ==, pd_test_polld_stat(polld, "confirmed_samples") - 5 * dups);
	g_test_message("%u samples arrived after the repair (%u duplicates)", unique, dups);
	pd_test_consumer_stop(consumer);
}

static void
fix_password(void)
{
	g_assert_true(pd_test_broker_ctl(broker, "change_password", "polld", "right", NULL));
}

static void
test_wrong_password(Fixture *f, gconstpointer data)
{
	g_autofree gchar *url = NULL;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "pw");
	g_assert_true(pd_test_broker_ctl(broker, "add_user", "polld", "wrong", NULL));
	g_assert_true(pd_test_broker_ctl(
	  broker, "set_permissions", "-p", "pw", "polld", ".*", ".*", ".*", NULL));
	url = url_for("polld", "right", "pw");
	run_until_fixed(f, "pw", url, "ACCESS_REFUSED", fix_password);
}

static void
fix_vhost(void)
{
	pd_test_broker_add_vhost(broker, "late");
}

static void
test_unknown_vhost(Fixture *f, gconstpointer data)
{
	g_autofree gchar *url = NULL;

	if (skip_without_broker())
		return;
	url = url_for("guest", "guest", "late");
	run_until_fixed(f, "late", url, "NOT_ALLOWED", fix_vhost);
}

static void
fix_exchange(void)
{
	g_assert_true(pd_test_amqp_delete_exchange(broker, "flags", "ceilometer"));
}

static void
test_flag_mismatch(Fixture *f, gconstpointer data)
{
	g_autofree gchar *url = NULL;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "flags");
	/* the consumer side declared it durable, polld is configured non-durable */
	g_assert_true(pd_test_amqp_declare_exchange(broker, "flags", "ceilometer", TRUE));
	url = url_for("guest", "guest", "flags");
	run_until_fixed(
	  f,
	  "flags",
	  url,
	  "amqp_durable_queues = false here): exchange 'ceilometer': 406 PRECONDITION_FAILED",
	  fix_exchange);
}

/* --- unroutable: the queue disappears under polld --- */

static void
test_returned(Fixture *f, gconstpointer data)
{
	g_autofree gchar *url = NULL;
	g_autoptr(PdTestPolld) polld = NULL;
	g_autoptr(GPtrArray) deliveries = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	PdTestConsumer *consumer;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "ret");
	url = url_for("guest", "guest", "ret");
	f->conf =
	  pd_test_write_amqp_config(f->dir, url, SECRET, "[test]\nresources = 1\nsamples = 5\n");
	polld = pd_test_polld_start(f->conf, FALSE);
	g_assert_true(pd_test_polld_wait_log(polld, "connected to", 60000));
	/* mandatory publishes to a queue-less binding come back as basic.return */
	g_assert_true(pd_test_amqp_delete_queue(broker, "ret", "notifications.sample"));
	g_assert_true(pd_test_polld_wait_log(polld, "returned a message as unroutable", 60000));
	/* the reconnection declares the queue again */
	g_assert_true(pd_test_polld_wait_stat(polld, "reconnects", 1, G_MAXUINT64, 60000));
	consumer = pd_test_consumer_start(broker, "ret", "notifications.sample", FALSE);
	g_assert_true(pd_test_consumer_wait(consumer, 6, 60000));
	pd_test_polld_signal(polld, SIGTERM);
	g_assert_cmpint(pd_test_polld_wait(polld, 30000), ==, 0);
	g_assert_cmpuint(pd_test_polld_stat(polld, "returned"), >=, 1);
	g_assert_cmpuint(pd_test_polld_stat(polld, "reconnects"), >=, 1);
	g_assert_cmpuint(pd_test_polld_stat(polld, "spooled_samples"), ==, 0);
	deliveries = pd_test_consumer_get(consumer);
	samples = pd_test_deliveries_samples(deliveries);
	/* what the deleted queue held is gone; the returned ones came back */
	g_assert_cmpuint(samples->len, >, 0);
	pd_test_consumer_stop(consumer);
}

/* --- nacked: a full queue with reject-publish refuses messages --- */

static void
test_nacked(Fixture *f, gconstpointer data)
{
	g_autofree gchar *url = NULL;
	g_autofree gchar *why = NULL;
	g_autoptr(PdTestPolld) polld = NULL;
	g_autoptr(GPtrArray) deliveries = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	PdTestConsumer *consumer;
	guint unique = 0, dups = 0;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "nack");
	g_assert_true(pd_test_broker_ctl(broker,
					 "set_policy",
					 "-p",
					 "nack",
					 "--apply-to",
					 "queues",
					 "full",
					 "^notifications",
					 "{\"max-length\":3,\"overflow\":\"reject-publish\"}",
					 NULL));
	url = url_for("guest", "guest", "nack");
	f->conf =
	  pd_test_write_amqp_config(f->dir, url, SECRET, "[test]\nresources = 1\nsamples = 5\n");
	polld = pd_test_polld_start(f->conf, FALSE);
	g_assert_true(pd_test_polld_wait_log(polld, "basic.nack", 60000));
	g_assert_true(pd_test_broker_ctl(broker, "clear_policy", "-p", "nack", "full", NULL));
	consumer = pd_test_consumer_start(broker, "nack", "notifications.sample", FALSE);
	g_assert_true(pd_test_consumer_wait(consumer, 12, 60000));
	pd_test_polld_signal(polld, SIGTERM);
	g_assert_cmpint(pd_test_polld_wait(polld, 30000), ==, 0);
	g_assert_cmpuint(pd_test_polld_stat(polld, "nacked"), >=, 1);
	g_assert_cmpuint(pd_test_polld_stat(polld, "spooled_samples"), ==, 0);
	g_assert_true(
	  pd_test_consumer_wait(consumer, pd_test_polld_stat(polld, "confirmed"), 60000));
	deliveries = pd_test_consumer_get(consumer);
	samples = pd_test_deliveries_samples(deliveries);
	if (!pd_test_samples_complete(samples, NULL, &unique, &dups, &why))
		g_error("%s", why);
	g_assert_cmpuint(unique, ==, pd_test_polld_stat(polld, "confirmed_samples"));
	g_test_message("%" G_GUINT64_FORMAT " nacks, %u samples arrived, none missing",
		       pd_test_polld_stat(polld, "nacked"),
		       unique);
	pd_test_consumer_stop(consumer);
}

/* --- spool full: no broker at all --- */

static void
read_spool(const gchar *dir, GPtrArray *samples)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSpool) spool = pd_spool_open(dir, G_MAXUINT64, &error);
	g_autoptr(GPtrArray) bodies =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_test_delivery_free);
	g_autoptr(GPtrArray) found = NULL;
	PdMessage *msg;
	guint64 segment;
	guint topic;

	g_assert_no_error(error);
	while ((msg = pd_spool_read(spool, &topic, &segment)) != NULL) {
		PdTestDelivery *d = g_new0(PdTestDelivery, 1);
		d->body = g_bytes_ref(msg->body);
		g_ptr_array_add(bodies, d);
		pd_message_unref(msg);
	}
	found = pd_test_deliveries_samples(bodies);
	g_ptr_array_extend_and_steal(samples, g_steal_pointer(&found));
}

static guint
count_named(GPtrArray *samples, const gchar *name)
{
	guint n = 0;
	for (guint i = 0; i < samples->len; i++)
		n += g_strcmp0(
		       json_object_get_string_member(g_ptr_array_index(samples, i), "counter_name"),
		       name) == 0;
	return n;
}

static void
test_spool_full(Fixture *f, gconstpointer data)
{
	g_autoptr(PdTestPolld) polld = NULL;
	g_autoptr(GPtrArray) samples =
	  g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_autofree gchar *spool_dir = g_build_filename(f->dir, "spool", NULL);
	g_autofree gchar *why = NULL;
	guint cumulative, delta, gauge, unique = 0, dups = 0;

	/* a port nothing listens on (the broker's own dist port range is busy) */
	f->conf = pd_test_write_amqp_config(f->dir,
					    "rabbit://guest:guest@127.0.0.1:9/",
					    SECRET,
					    "[test]\nresources = 1\nsamples = 200\n"
					    "[publisher]\nspool_max_bytes = 3000000\n");
	polld = pd_test_polld_start(f->conf, FALSE);
	g_assert_true(
	  pd_test_polld_wait_log(polld, "dropping samples (spool_full_gauges)", 120000));
	pd_test_polld_signal(polld, SIGTERM);
	g_assert_cmpint(pd_test_polld_wait(polld, 30000), ==, 0);
	g_assert_cmpuint(pd_test_polld_stat(polld, "dropped_spool_full_gauges"), >, 0);
	read_spool(spool_dir, samples);
	cumulative = count_named(samples, "test.cumulative");
	delta = count_named(samples, "test.delta");
	gauge = count_named(samples, "test.gauge");
	g_test_message(
	  "spool keeps %u cumulative, %u delta, %u gauge samples; dropped %" G_GUINT64_FORMAT
	  " gauge and %" G_GUINT64_FORMAT " counter samples",
	  cumulative,
	  delta,
	  gauge,
	  pd_test_polld_stat(polld, "dropped_spool_full_gauges"),
	  pd_test_polld_stat(polld, "dropped_spool_full"));
	/* the counters are kept over the gauges */
	g_assert_cmpuint(cumulative, >, gauge);
	g_assert_cmpuint(delta, >, gauge);
	g_assert_cmpuint(pd_test_polld_stat(polld, "dropped_spool_full_gauges"),
			 >=,
			 pd_test_polld_stat(polld, "dropped_spool_full") / 2);
	/* and none of them is missing: volumes count up from 0 */
	if (!pd_test_samples_complete(samples, NULL, &unique, &dups, &why))
		g_error("%s", why);
	g_assert_cmpuint(dups, ==, 0);
}

/* --- the in-flight budget --- */

static void
budget_flushed_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
}

static void
budget_state_cb(GObject *owner, const gchar *state, const gchar *error)
{
}

/* pushes 40 messages of 20 KB, each counted in @budget first as the
 * notifier sink does, then waits for a flush: by then the worker gave
 * every message's bytes back, sent (and confirmed) or spooled */
static void
budget_run(const gchar *url, const gchar *spool_dir)
{
	g_autoptr(PdInflight) budget = pd_inflight_new(64 * 1024 * 1024);
	g_autoptr(GObject) owner = g_object_new(G_TYPE_OBJECT, NULL);
	g_autoptr(GError) error = NULL;
	PdAmqpWorkerOptions opts = { 0 };
	PdAmqpWorker *worker;
	PdSpool *spool;
	g_autoptr(GTask) task = NULL;
	gboolean flushed = FALSE;

	opts.hosts = pd_amqp_url_parse(url, &error);
	g_assert_no_error(error);
	opts.link.exchange = g_strdup("ceilometer");
	opts.link.routing_keys = g_strsplit("notifications.sample", ",", -1);
	opts.link.timeout_s = 5;
	opts.window = 256;
	opts.window_bytes = 1024 * 1024;
	opts.memory_max_bytes = 64 * 1024 * 1024;
	opts.retry_interval = 0.05;
	opts.interval_max = 0.2;
	opts.flush_timeout_ms = 10000;
	opts.stop_timeout_ms = 2000;
	spool = pd_spool_open(spool_dir, 100 * 1024 * 1024, &error);
	g_assert_no_error(error);
	worker = pd_amqp_worker_new(&opts, spool, owner, budget_state_cb);
	for (guint i = 0; i < 40; i++) {
		g_autofree gchar *body = g_strdup_printf(
		  "{\"oslo.version\": \"2.0\", \"n\": %u, \"pad\": \"%020000u\"}", i, i);
		g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
		g_autoptr(PdMessage) msg = pd_message_new(bytes, NULL, 1, 1);
		pd_inflight_acquire(budget, g_bytes_get_size(bytes));
		pd_amqp_worker_push(worker, msg, budget);
	}
	/* connected, the worker may give bytes back while they are pushed */
	g_assert_cmpuint(pd_inflight_get_peak(budget), >=, 20000);
	task = g_task_new(NULL, NULL, budget_flushed_cb, &flushed);
	pd_amqp_worker_flush(worker, g_object_ref(task));
	while (!flushed)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpuint(pd_inflight_get_bytes(budget), ==, 0);
	pd_amqp_worker_stop(worker, NULL);
}

static void
test_budget(Fixture *f, gconstpointer data)
{
	g_autofree gchar *url = NULL;
	g_autofree gchar *down = g_build_filename(f->dir, "spool-down", NULL);
	g_autofree gchar *up = g_build_filename(f->dir, "spool-up", NULL);
	GLogLevelFlags fatal;

	/* unreachable: released as spooled, the pollsters never wait for the
	 * broker (which the worker warns about: not fatal here) */
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	budget_run("rabbit://guest:guest@127.0.0.1:1/", down);
	g_log_set_always_fatal(fatal);
	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "budget");
	url = url_for("guest", "guest", "budget");
	budget_run(url, up);
}

/* --- the tick --- */

typedef struct {
	PdAmqpWorker *worker;
	guint64 confirmed;
} IdleWait;

static gboolean
idle_confirmed(gpointer data)
{
	IdleWait *w = data;
	PdAmqpStats st;

	pd_amqp_worker_get_stats(w->worker, &st);
	return st.confirmed >= w->confirmed;
}

/* pushes message @n, returns once the broker confirmed it */
static void
idle_push(PdAmqpWorker *worker, guint n)
{
	g_autofree gchar *body = g_strdup_printf("{\"oslo.version\": \"2.0\", \"n\": %u}", n);
	g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
	g_autoptr(PdMessage) msg = pd_message_new(bytes, NULL, 1, 1);
	IdleWait w = { worker, n };

	pd_amqp_worker_push(worker, msg, NULL);
	g_assert_true(pd_test_wait_for(idle_confirmed, &w, 20000));
}

/* pushes messages @first to @last at once, each padded with @pad, without
 * waiting for their confirms */
static void
push_padded(PdAmqpWorker *worker, guint first, guint last, const gchar *pad)
{
	for (guint n = first; n <= last; n++) {
		g_autofree gchar *body = g_strdup_printf(
		  "{\"oslo.version\": \"2.0\", \"n\": %u, \"pad\": \"%s\"}", n, pad);
		g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
		g_autoptr(PdMessage) msg = pd_message_new(bytes, NULL, 1, 1);
		pd_amqp_worker_push(worker, msg, NULL);
	}
}

/* a worker on @url with heartbeats every @heartbeat s and a spool in
 * @dir; @retry s between connection attempts */
static PdAmqpWorker *
heartbeat_worker_new(const gchar *url,
		     const gchar *dir,
		     guint heartbeat,
		     gdouble retry,
		     GObject *owner,
		     PdAmqpStateFunc state_cb)
{
	g_autoptr(GError) error = NULL;
	PdAmqpWorkerOptions opts = { 0 };
	PdAmqpWorker *worker;

	opts.hosts = pd_amqp_url_parse(url, &error);
	g_assert_no_error(error);
	opts.link.exchange = g_strdup("ceilometer");
	opts.link.routing_keys = g_strsplit("notifications.sample", ",", -1);
	opts.link.timeout_s = 5;
	opts.link.heartbeat = heartbeat;
	opts.window = 16;
	opts.window_bytes = 1024 * 1024;
	opts.memory_max_bytes = 1024 * 1024;
	opts.retry_interval = retry;
	opts.interval_max = MAX(retry, 0.2);
	opts.flush_timeout_ms = 10000;
	opts.stop_timeout_ms = 2000;
	worker =
	  pd_amqp_worker_new(&opts, pd_spool_open(dir, 1024 * 1024, &error), owner, state_cb);
	g_assert_no_error(error);
	return worker;
}

/* an idle connection: the worker wakes for the heartbeats (4 s here), not
 * every second, and they keep the broker from closing it (it does after
 * two missed) */
static void
test_idle_ticks(Fixture *f, gconstpointer data)
{
	g_autoptr(GObject) owner = g_object_new(G_TYPE_OBJECT, NULL);
	g_autofree gchar *url = NULL;
	g_autofree gchar *dir = g_build_filename(f->dir, "spool", NULL);
	PdAmqpStats before, after;
	PdAmqpWorker *worker;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "idle");
	url = url_for("guest", "guest", "idle");
	worker = heartbeat_worker_new(url, dir, 4, 0.05, owner, budget_state_cb);
	idle_push(worker, 1);
	pd_amqp_worker_get_stats(worker, &before);
	g_assert_cmpuint(before.confirmed, ==, 1);
	/* the idle stretch is what is measured, not a synchronisation */
	g_usleep(14 * G_USEC_PER_SEC);
	pd_amqp_worker_get_stats(worker, &after);
	g_test_message("ticks over 14 s idle: %" G_GUINT64_FORMAT, after.ticks - before.ticks);
	g_assert_cmpuint(after.ticks - before.ticks, <=, 14 / 4 + 2);
	/* the same connection still takes messages */
	idle_push(worker, 2);
	pd_amqp_worker_get_stats(worker, &after);
	g_assert_cmpuint(after.confirmed, ==, 2);
	g_assert_cmpuint(after.reconnects, ==, 0);
	pd_amqp_worker_stop(worker, NULL);
}

/* true when a socket of this process to the broker on @port is corked;
 * @n_sockets: how many there are */
static gboolean
broker_socket_corked(guint16 port, guint *n_sockets)
{
	for (gint fd = 3; fd < 1024; fd++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		gint on = 0;
		socklen_t on_len = sizeof(on);

		if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0 ||
		    peer.sin_family != AF_INET || ntohs(peer.sin_port) != port)
			continue;
		(*n_sockets)++;
		g_assert_cmpint(getsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, &on_len), ==, 0);
		if (on)
			return TRUE;
	}
	return FALSE;
}

/* the kernel's struct tcp_info up to tcpi_data_segs_out (Linux 4.6);
 * glibc's ends before */
typedef struct {
	struct tcp_info base;
	guint64 pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	guint32 segs_out, segs_in, notsent_bytes, min_rtt, data_segs_in, data_segs_out;
} TcpInfo;

/* data segments this process's socket to the broker on @port sent */
static guint64
broker_socket_data_segs(guint16 port)
{
	for (gint fd = 3; fd < 1024; fd++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		TcpInfo info = { 0 };
		socklen_t info_len = sizeof(info);

		if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0 ||
		    peer.sin_family != AF_INET || ntohs(peer.sin_port) != port)
			continue;
		g_assert_cmpint(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_len), ==, 0);
		g_assert_cmpuint(info_len, >=, G_STRUCT_OFFSET(TcpInfo, data_segs_out) + 4);
		return info.data_segs_out;
	}
	g_assert_not_reached();
}

/* a burst of messages shares segments (one message's tail and the next
 * one's head): over plain TCP each message but the burst's last is sent
 * with MSG_MORE, no setsockopt(TCP_CORK) around it (two a burst before);
 * nothing is left corked, so no message's last bytes wait in the kernel */
static void
test_burst_uncorked(Fixture *f, gconstpointer data)
{
	g_autoptr(GObject) owner = g_object_new(G_TYPE_OBJECT, NULL);
	g_autofree gchar *url = NULL;
	g_autofree gchar *dir = g_build_filename(f->dir, "spool", NULL);
	g_autofree gchar *pad = g_strnfill(10000, 'x');
	IdleWait w;
	PdAmqpStats st;
	PdAmqpWorker *worker;
	guint n_sockets = 0;
	guint64 segs;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "burst");
	url = url_for("guest", "guest", "burst");
	worker = heartbeat_worker_new(url, dir, 0, 0.05, owner, budget_state_cb);
	idle_push(worker, 1);
	segs = broker_socket_data_segs(broker->port);
	/* 40 messages handed over at once: the worker sends them in bursts */
	push_padded(worker, 2, 41, pad);
	w.worker = worker;
	w.confirmed = 41;
	g_assert_true(pd_test_wait_for(idle_confirmed, &w, 20000));
	pd_amqp_worker_get_stats(worker, &st);
	g_assert_cmpuint(st.published, ==, 41);
	g_assert_false(broker_socket_corked(broker->port, &n_sockets));
	g_assert_cmpuint(n_sockets, >=, 1);
	g_assert_cmpuint(st.corks, ==, 0);
	/* 400 KB: 7 full segments of loopback's 64 KB and a short one a
	 * burst; a message a segment at least without MSG_MORE */
	segs = broker_socket_data_segs(broker->port) - segs;
	g_test_message("40 messages of 10 KB in %" G_GUINT64_FORMAT " data segments", segs);
	g_assert_cmpuint(segs, <, 40);
	pd_amqp_worker_stop(worker, NULL);
}

/* messages flowing move the heartbeat deadline later at every event; the
 * timer is not moved each time (GLib wakes the worker's loop once more for
 * every move): at most once a second it comes early and moves then */
static void
test_tick_rearms(Fixture *f, gconstpointer data)
{
	g_autoptr(GObject) owner = g_object_new(G_TYPE_OBJECT, NULL);
	g_autofree gchar *url = NULL;
	g_autofree gchar *dir = g_build_filename(f->dir, "spool", NULL);
	g_autofree gchar *pad = g_strnfill(1000, 'x');
	IdleWait w;
	PdAmqpStats before, after;
	PdAmqpWorker *worker;
	gint64 start, took;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "rearms");
	url = url_for("guest", "guest", "rearms");
	worker = heartbeat_worker_new(url, dir, 30, 0.05, owner, budget_state_cb);
	idle_push(worker, 1);
	pd_amqp_worker_get_stats(worker, &before);
	start = g_get_monotonic_time();
	/* 400 messages of 1 KB in a window of 16 (and the memory queue's 1 MiB):
	 * at least 25 events (confirms read) */
	push_padded(worker, 2, 401, pad);
	w.worker = worker;
	w.confirmed = 401;
	g_assert_true(pd_test_wait_for(idle_confirmed, &w, 20000));
	took = g_get_monotonic_time() - start;
	pd_amqp_worker_get_stats(worker, &after);
	g_test_message("timer moved %" G_GUINT64_FORMAT " times over %" G_GINT64_FORMAT
		       " ms of publishing",
		       after.rearms - before.rearms,
		       took / 1000);
	g_assert_cmpuint(after.published, ==, 401);
	g_assert_cmpuint(after.rearms - before.rearms, <=, 2 + (guint64)(took / G_USEC_PER_SEC));
	pd_amqp_worker_stop(worker, NULL);
}

/* while messages flow, each pass of the worker's loop is for an event: no
 * poll more for GLib waking its own context around the socket's dispatch,
 * and the socket is not read on after its data to find it empty */
static void
test_loop_passes(Fixture *f, gconstpointer data)
{
	g_autoptr(GObject) owner = g_object_new(G_TYPE_OBJECT, NULL);
	g_autofree gchar *url = NULL;
	g_autofree gchar *dir = g_build_filename(f->dir, "spool", NULL);
	g_autofree gchar *pad = g_strnfill(1000, 'x');
	PdAmqpStats before, after;
	PdAmqpWorker *worker;
	guint64 polls, dispatches, socket_events, idle_reads, rearms, ticks;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "passes");
	url = url_for("guest", "guest", "passes");
	worker = heartbeat_worker_new(url, dir, 30, 0.05, owner, budget_state_cb);
	idle_push(worker, 1);
	pd_amqp_worker_get_stats(worker, &before);
	/* 20 rounds of 20 messages of 1 KB through a window of 16, each round's
	 * confirms read before the next is pushed: at least 20 socket events */
	for (guint r = 0; r < 20; r++) {
		IdleWait w = { worker, 1 + 20 * (r + 1) };
		push_padded(worker, 2 + 20 * r, 1 + 20 * (r + 1), pad);
		g_assert_true(pd_test_wait_for(idle_confirmed, &w, 20000));
	}
	pd_amqp_worker_get_stats(worker, &after);
	polls = after.polls - before.polls;
	dispatches = after.dispatches - before.dispatches;
	socket_events = after.socket_events - before.socket_events;
	idle_reads = after.idle_reads - before.idle_reads;
	rearms = after.rearms - before.rearms;
	ticks = after.ticks - before.ticks;
	g_test_message("%" G_GUINT64_FORMAT " polls, %" G_GUINT64_FORMAT
		       " dispatches (%" G_GUINT64_FORMAT " of the socket, %" G_GUINT64_FORMAT
		       " ticks), %" G_GUINT64_FORMAT " reads found nothing, %" G_GUINT64_FORMAT
		       " timer moves",
		       polls,
		       dispatches,
		       socket_events,
		       ticks,
		       idle_reads,
		       rearms);
	g_assert_cmpuint(after.published, ==, 401);
	g_assert_cmpuint(socket_events, >=, 20);
	/* a moved timer wakes the loop once more; two passes of slack */
	g_assert_cmpuint(polls, <=, dispatches + rearms + 2);
	/* at most the last read of each socket event or tick finds nothing */
	g_assert_cmpuint(idle_reads, <=, socket_events + ticks);
	pd_amqp_worker_stop(worker, NULL);
}

/* a TCP relay to the broker that can go silent: bytes stay in the kernel's
 * buffers both ways while it is frozen */
typedef struct {
	GSocket *listener;
	guint16 port;
	gint frozen; /* atomic */
	gint quit;   /* atomic */
	gssize sent; /* atomic: bytes polld sent to the broker */
	GThread *thread;
	GMutex lock;
	GArray *reads; /* gint64: when each read of polld's bytes came, once
			* relay_stamp() asked for them */
} Relay;

/* from now on, the time of each read of polld's bytes */
static void
relay_stamp(Relay *r)
{
	g_mutex_lock(&r->lock);
	r->reads = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_mutex_unlock(&r->lock);
}

static guint
relay_reads(Relay *r, gint64 *at, guint n)
{
	guint len;

	g_mutex_lock(&r->lock);
	len = r->reads != NULL ? r->reads->len : 0;
	for (guint i = 0; i < MIN(n, len); i++)
		at[i] = g_array_index(r->reads, gint64, i);
	g_mutex_unlock(&r->lock);
	return len;
}

static gboolean
relay_copy(gint from, gint to, gssize *count)
{
	gchar buf[16384];
	gssize n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return FALSE;
	if (count != NULL)
		g_atomic_pointer_add(count, n);
	for (gssize off = 0; off < n;) {
		gssize w = write(to, buf + off, (gsize)(n - off));
		if (w <= 0)
			return FALSE;
		off += w;
	}
	return TRUE;
}

/* one connection at a time, until it closes or the test ends */
static gpointer
relay_thread(gpointer data)
{
	Relay *r = data;

	while (!g_atomic_int_get(&r->quit)) {
		g_autoptr(GSocket) client = g_socket_accept(r->listener, NULL, NULL);
		g_autoptr(GSocketClient) sc = g_socket_client_new();
		g_autoptr(GSocketConnection) up = NULL;
		gboolean open = TRUE;

		if (client == NULL)
			continue; /* the listener's timeout: look at quit */
		up = g_socket_client_connect_to_host(sc, "127.0.0.1", broker->port, NULL, NULL);
		g_assert_nonnull(up);
		while (open && !g_atomic_int_get(&r->quit)) {
			gint ufd = g_socket_get_fd(g_socket_connection_get_socket(up));
			struct pollfd fds[2] = { { g_socket_get_fd(client), POLLIN, 0 },
						 { ufd, POLLIN, 0 } };
			if (poll(fds, 2, 50) <= 0 || g_atomic_int_get(&r->frozen))
				continue;
			if (fds[0].revents != 0) {
				gint64 now = g_get_monotonic_time();
				open = relay_copy(fds[0].fd, fds[1].fd, &r->sent);
				g_mutex_lock(&r->lock);
				if (open && r->reads != NULL)
					g_array_append_val(r->reads, now);
				g_mutex_unlock(&r->lock);
			}
			if (open && fds[1].revents != 0)
				open = relay_copy(fds[1].fd, fds[0].fd, NULL);
		}
	}
	return NULL;
}

static void
relay_start(Relay *r)
{
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;

	r->listener =
	  g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(r->listener, any, TRUE, &error));
	g_assert_true(g_socket_listen(r->listener, &error));
	g_socket_set_timeout(r->listener, 1);
	bound = g_socket_get_local_address(r->listener, &error);
	g_assert_no_error(error);
	r->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_mutex_init(&r->lock);
	r->thread = g_thread_new("relay", relay_thread, r);
}

static void
relay_stop(Relay *r)
{
	g_atomic_int_set(&r->quit, TRUE);
	g_thread_join(r->thread);
	g_object_unref(r->listener);
	g_clear_pointer(&r->reads, g_array_unref);
	g_mutex_clear(&r->lock);
}

static void
silent_state_cb(GObject *owner, const gchar *state, const gchar *error)
{
	if (g_strcmp0(state, "disconnected") == 0 &&
	    g_object_get_data(owner, "disconnected-at") == NULL)
		g_object_set_data_full(
		  owner,
		  "disconnected-at",
		  g_memdup2(&(gint64){ g_get_monotonic_time() }, sizeof(gint64)),
		  g_free);
}

static gboolean
silent_noticed(gpointer owner)
{
	return g_object_get_data(owner, "disconnected-at") != NULL;
}

/* a broker that goes silent (a frozen relay: no heartbeats come) is given
 * up twice the heartbeat interval after its last frame, not sooner than
 * one interval and not much later, though the tick is not armed every
 * second */
static void
test_silent_broker(Fixture *f, gconstpointer data)
{
	g_autoptr(GObject) owner = g_object_new(G_TYPE_OBJECT, NULL);
	g_autofree gchar *url = NULL;
	g_autofree gchar *dir = g_build_filename(f->dir, "spool", NULL);
	Relay relay = { 0 };
	PdAmqpWorker *worker;
	gint64 frozen_at, noticed;
	GLogLevelFlags fatal;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "silent");
	relay_start(&relay);
	url = g_strdup_printf("rabbit://guest:guest@127.0.0.1:%u/silent", relay.port);
	worker = heartbeat_worker_new(url, dir, 2, 30, owner, silent_state_cb);
	idle_push(worker, 1);
	/* the worker warns about the lost connection: not fatal here */
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_atomic_int_set(&relay.frozen, TRUE);
	frozen_at = g_get_monotonic_time();
	g_assert_true(pd_test_wait_for(silent_noticed, owner, 20000));
	noticed = *(gint64 *)g_object_get_data(owner, "disconnected-at") - frozen_at;
	g_test_message("silent broker noticed after %.2f s", noticed / 1e6);
	g_assert_cmpint(noticed, >=, 2 * G_USEC_PER_SEC);
	g_assert_cmpint(noticed, <=, 7 * G_USEC_PER_SEC);
	pd_amqp_worker_stop(worker, NULL);
	g_log_set_always_fatal(fatal);
	relay_stop(&relay);
}

/* what the worker sends in one pass gives its budget back at once: one
 * release (the lock the pollster threads take, and their wake-ups), not
 * one a message. The messages wait in the inbox while a frozen relay
 * holds the worker's handshake, and go out in one pass once it thaws */
static void
test_budget_one_release(Fixture *f, gconstpointer data)
{
	g_autoptr(PdInflight) budget = pd_inflight_new(64 * 1024 * 1024);
	g_autoptr(GObject) owner = g_object_new(G_TYPE_OBJECT, NULL);
	g_autofree gchar *dir = g_build_filename(f->dir, "spool", NULL);
	g_autofree gchar *url = NULL;
	Relay relay = { 0 };
	IdleWait w;
	PdAmqpWorker *worker;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "releases");
	relay_start(&relay);
	g_atomic_int_set(&relay.frozen, TRUE);
	url = g_strdup_printf("rabbit://guest:guest@127.0.0.1:%u/releases", relay.port);
	worker = heartbeat_worker_new(url, dir, 30, 30, owner, budget_state_cb);
	for (guint n = 1; n <= 12; n++) {
		g_autofree gchar *body = g_strdup_printf(
		  "{\"oslo.version\": \"2.0\", \"n\": %u, \"pad\": \"%01000u\"}", n, n);
		g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
		g_autoptr(PdMessage) msg = pd_message_new(bytes, NULL, 1, 1);
		pd_inflight_acquire(budget, msg->held);
		pd_amqp_worker_push(worker, msg, budget);
	}
	g_atomic_int_set(&relay.frozen, FALSE);
	w.worker = worker;
	w.confirmed = 12;
	g_assert_true(pd_test_wait_for(idle_confirmed, &w, 20000));
	g_test_message("12 messages sent, %" G_GUINT64_FORMAT " releases of their budget",
		       pd_inflight_get_releases(budget));
	g_assert_cmpuint(pd_inflight_get_bytes(budget), ==, 0);
	g_assert_cmpuint(pd_inflight_get_releases(budget), ==, 1);
	pd_amqp_worker_stop(worker, NULL);
	relay_stop(&relay);
}

static gboolean
idle_published(gpointer data)
{
	IdleWait *w = data;
	PdAmqpStats st;

	pd_amqp_worker_get_stats(w->worker, &st);
	return st.published >= w->confirmed;
}

/* with the confirm window full only confirms let more go: messages
 * handed over meanwhile do not wake the worker (about 130 wake-ups a
 * cycle for nothing at N=5000), the socket's event for the confirms takes
 * them. A frozen relay holds the confirms of a full window of 16 */
static void
test_full_window_no_wake(Fixture *f, gconstpointer data)
{
	g_autoptr(GObject) owner = g_object_new(G_TYPE_OBJECT, NULL);
	g_autofree gchar *dir = g_build_filename(f->dir, "spool", NULL);
	g_autofree gchar *url = NULL;
	g_autofree gchar *pad = g_strnfill(1000, 'x');
	Relay relay = { 0 };
	PdAmqpStats before, after;
	IdleWait w;
	PdAmqpWorker *worker;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "fullwindow");
	relay_start(&relay);
	url = g_strdup_printf("rabbit://guest:guest@127.0.0.1:%u/fullwindow", relay.port);
	worker = heartbeat_worker_new(url, dir, 30, 30, owner, budget_state_cb);
	idle_push(worker, 1);
	g_atomic_int_set(&relay.frozen, TRUE);
	push_padded(worker, 2, 17, pad);
	w.worker = worker;
	w.confirmed = 17;
	g_assert_true(pd_test_wait_for(idle_published, &w, 20000));
	pd_amqp_worker_get_stats(worker, &before);
	push_padded(worker, 18, 37, pad);
	pd_amqp_worker_get_stats(worker, &after);
	g_test_message("20 messages handed over with the window full: %" G_GUINT64_FORMAT
		       " wake-ups",
		       after.pushes_woke - before.pushes_woke);
	g_assert_cmpuint(before.in_flight, ==, 16);
	g_assert_cmpuint(after.pushes_woke - before.pushes_woke, ==, 0);
	g_atomic_int_set(&relay.frozen, FALSE);
	w.confirmed = 37;
	g_assert_true(pd_test_wait_for(idle_confirmed, &w, 20000));
	pd_amqp_worker_stop(worker, NULL);
	relay_stop(&relay);
}

static gboolean
relay_read_four(gpointer data)
{
	gint64 at[4];

	return relay_reads(data, at, 4) >= 4;
}

/* heartbeat_rate 4 on a 2 s heartbeat: an idle connection sends a
 * heartbeat frame (8 bytes, nothing else goes) every 0.5 s, as
 * oslo.messaging's heartbeat_tick(rate) does. librabbitmq alone sends one
 * once 2 s passed without a frame, so the first heartbeat to the fourth
 * takes 6 s at least without the rate: the bound (1.5 s expected, times
 * the relay read them, whatever the test's own scheduling) */
static void
test_heartbeat_rate(Fixture *f, gconstpointer data)
{
	g_autoptr(GObject) owner = g_object_new(G_TYPE_OBJECT, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_build_filename(f->dir, "spool", NULL);
	g_autofree gchar *url = NULL;
	PdAmqpWorkerOptions opts = { 0 };
	Relay relay = { 0 };
	PdAmqpStats st;
	PdAmqpWorker *worker;
	gint64 at[4], took;

	if (skip_without_broker())
		return;
	pd_test_broker_add_vhost(broker, "rate");
	relay_start(&relay);
	url = g_strdup_printf("rabbit://guest:guest@127.0.0.1:%u/rate", relay.port);
	opts.hosts = pd_amqp_url_parse(url, &error);
	g_assert_no_error(error);
	opts.link.exchange = g_strdup("ceilometer");
	opts.link.routing_keys = g_strsplit("notifications.sample", ",", -1);
	opts.link.timeout_s = 5;
	opts.link.heartbeat = 2;
	opts.heartbeat_rate = 4;
	opts.window = 16;
	opts.window_bytes = opts.memory_max_bytes = 1024 * 1024;
	opts.retry_interval = opts.interval_max = 30;
	opts.flush_timeout_ms = 10000;
	opts.stop_timeout_ms = 2000;
	worker = pd_amqp_worker_new(
	  &opts, pd_spool_open(dir, 1024 * 1024, &error), owner, budget_state_cb);
	g_assert_no_error(error);
	idle_push(worker, 1);
	relay_stamp(&relay);
	/* each read a heartbeat at least (nothing else goes) */
	g_assert_true(pd_test_wait_for(relay_read_four, &relay, 30000));
	g_assert_cmpuint(relay_reads(&relay, at, 4), >=, 4);
	took = at[3] - at[0];
	g_test_message("first to fourth heartbeat in %.2f s", took / 1e6);
	/* opts went to the worker: 3 x its 2 s heartbeat */
	g_assert_cmpint(took, <, 3 * 2 * G_USEC_PER_SEC);
	pd_amqp_worker_get_stats(worker, &st);
	g_assert_cmpuint(st.heartbeats, >=, 4);
	g_assert_cmpuint(st.reconnects, ==, 0);
	pd_amqp_worker_stop(worker, NULL);
	relay_stop(&relay);
}

/* the attempts' times, as the worker reports them */
static void
attempts_state_cb(GObject *owner, const gchar *state, const gchar *error)
{
	GArray *times = g_object_get_data(owner, "attempts");

	if (g_strcmp0(state, "connecting") == 0)
		g_array_append_val(times, (gint64){ g_get_monotonic_time() });
}

static gboolean
attempts_made(gpointer owner)
{
	return ((GArray *)g_object_get_data(owner, "attempts"))->len >= 8;
}

/* rabbit_retry_backoff as oslo.messaging hands it to kombu: 0.1 s before
 * the first retry, then 0.4 s more, but the back-off added stays within
 * rabbit_interval_max (0.4 s): eight attempts take 0.1 + 6 x 0.5 = 3.1 s
 * at least (doubling from 0.1 s up to 0.4 s, jittered, they took 2.3 s at
 * most) and not the 9.1 s of a back-off growing without the bound */
static void
test_retry_backoff(Fixture *f, gconstpointer data)
{
	g_autoptr(GObject) owner = g_object_new(G_TYPE_OBJECT, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_build_filename(f->dir, "spool", NULL);
	PdAmqpWorkerOptions opts = { 0 };
	PdAmqpWorker *worker;
	GArray *times = g_array_new(FALSE, FALSE, sizeof(gint64));
	gint64 start, took;
	GLogLevelFlags fatal;

	if (skip_without_broker())
		return;
	g_object_set_data_full(owner, "attempts", times, (GDestroyNotify)g_array_unref);
	/* port 1 refuses every attempt */
	opts.hosts = pd_amqp_url_parse("rabbit://guest:guest@127.0.0.1:1/", &error);
	g_assert_no_error(error);
	opts.link.exchange = g_strdup("ceilometer");
	opts.link.routing_keys = g_strsplit("notifications.sample", ",", -1);
	opts.link.timeout_s = 5;
	opts.window = 16;
	opts.window_bytes = opts.memory_max_bytes = 1024 * 1024;
	opts.retry_interval = 0.1;
	opts.retry_backoff = 0.4;
	opts.interval_max = 0.4;
	opts.flush_timeout_ms = 10000;
	opts.stop_timeout_ms = 2000;
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	start = g_get_monotonic_time();
	worker = pd_amqp_worker_new(
	  &opts, pd_spool_open(dir, 1024 * 1024, &error), owner, attempts_state_cb);
	g_assert_no_error(error);
	g_assert_true(pd_test_wait_for(attempts_made, owner, 30000));
	took = g_array_index(times, gint64, 7) - start;
	g_test_message("eight attempts in %.2f s", took / 1e6);
	g_assert_cmpint(took, >=, 3100 * 1000 - 20 * 1000);
	g_assert_cmpint(took, <, 7 * G_USEC_PER_SEC);
	pd_amqp_worker_stop(worker, NULL);
	g_log_set_always_fatal(fatal);
}

/* the delays themselves, kombu's range for oslo.messaging's defaults */
static void
test_retry_delays(void)
{
	PdAmqpWorkerOptions opts = { 0 };
	const gdouble defaults[] = {
		1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 31
	};

	opts.retry_interval = 1;
	opts.retry_backoff = 2;
	opts.interval_max = 30;
	for (guint i = 0; i < G_N_ELEMENTS(defaults); i++)
		g_assert_cmpfloat_with_epsilon(
		  pd_amqp_worker_retry_delay(&opts, i), defaults[i], 1e-9);
	g_assert_cmpfloat_with_epsilon(pd_amqp_worker_retry_delay(&opts, G_MAXUINT), 31, 1e-9);
	/* no back-off: the interval every time */
	opts.retry_backoff = 0;
	g_assert_cmpfloat_with_epsilon(pd_amqp_worker_retry_delay(&opts, 9), 1, 1e-9);
	/* a back-off larger than the bound adds nothing */
	opts.retry_backoff = 40;
	g_assert_cmpfloat_with_epsilon(pd_amqp_worker_retry_delay(&opts, 3), 1, 1e-9);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/amqp/budget",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_budget,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/wire",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_wire,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/wrong-password",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_wrong_password,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/unknown-vhost",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_unknown_vhost,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/flag-mismatch",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_flag_mismatch,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/returned",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_returned,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/nacked",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_nacked,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/burst-uncorked",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_burst_uncorked,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/tick-rearms",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_tick_rearms,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/loop-passes",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_loop_passes,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/idle-ticks",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_idle_ticks,
		   pd_test_amqp_fixture_tear_down);
	g_test_add_func("/amqp/retry-delays", test_retry_delays);
	g_test_add("/amqp/retry-backoff",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_retry_backoff,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/heartbeat-rate",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_heartbeat_rate,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/budget-one-release",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_budget_one_release,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/full-window-no-wake",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_full_window_no_wake,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/silent-broker",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_silent_broker,
		   pd_test_amqp_fixture_tear_down);
	g_test_add("/amqp/spool-full",
		   Fixture,
		   NULL,
		   pd_test_amqp_fixture_set_up,
		   test_spool_full,
		   pd_test_amqp_fixture_tear_down);
	return pd_test_run_with_broker(&broker, TRUE, NULL);
}
