/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "amqp-consumer.h"
#include "pd-test-util.h"

/* --- waiting: re-checks a condition every few ms up to a deadline --- */

typedef gboolean (*PdTestCond)(gpointer data);

static gboolean
pd_test_poll_tick_cb(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

static gboolean
pd_test_poll_until(PdTestCond cond, gpointer data, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	guint tick = g_timeout_add(20, pd_test_poll_tick_cb, NULL);
	gboolean ok = cond(data);

	while (!ok && g_get_monotonic_time() < deadline) {
		g_main_context_iteration(NULL, TRUE);
		ok = cond(data);
	}
	g_source_remove(tick);
	return ok;
}

/* --- broker --- */

static gboolean
pd_test_port_free(guint16 port)
{
	struct sockaddr_in sa = { 0 };
	gint fd = socket(AF_INET, SOCK_STREAM, 0);
	gint one = 1;
	gboolean ok;

	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

/* the first port the kernel hands out to connect() without bind() */
static guint
pd_test_ephemeral_low(void)
{
	g_autofree gchar *text = NULL;
	guint64 low = 32768;

	if (g_file_get_contents("/proc/sys/net/ipv4/ip_local_port_range", &text, NULL, NULL))
		low = g_ascii_strtoull(text, NULL, 10);
	return (guint)CLAMP(low, 12000, 65536);
}

/* below the ephemeral range: while the broker is stopped, a client's
 * connect() (polld's or the consumer's retries, or any other process's)
 * could otherwise be given the AMQP port as its local port and the broker
 * could not listen again (eaddrinuse on start_app) */
static guint16
pd_test_pick_ports(void)
{
	guint top = pd_test_ephemeral_low() / 2 - 5;

	for (guint attempt = 0; attempt < 200; attempt++) {
		guint16 base = (guint16)g_random_int_range(5000, (gint32)top) * 2;
		gboolean ok = TRUE;
		for (guint16 i = 0; i < 10 && ok; i++)
			ok = pd_test_port_free(base + i);
		if (ok)
			return base;
	}
	return 0;
}

static gchar *
pd_test_harness(void)
{
	return g_build_filename(
	  g_getenv("POLLD_SOURCE_ROOT"), "tests", "rabbitmq-harness.sh", NULL);
}

static gboolean
pd_test_broker_run(PdTestBroker *broker, const gchar *const *extra)
{
	g_autofree gchar *harness = pd_test_harness();
	g_autofree gchar *port = g_strdup_printf("%u", broker->port);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	/* the harness stops the broker if this test dies without doing it */
	g_autofree gchar *pid = g_strdup_printf("%d", (gint)getpid());
	g_auto(GStrv) envp = g_get_environ();
	gint status = 0;

	g_ptr_array_add(argv, harness);
	g_ptr_array_add(argv, (gpointer)extra[0]);
	g_ptr_array_add(argv, broker->dir);
	g_ptr_array_add(argv, port);
	for (guint i = 1; extra[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)extra[i]);
	g_ptr_array_add(argv, NULL);
	envp = g_environ_setenv(envp, "POLLD_HARNESS_WATCH_PID", pid, TRUE);
	if (!g_spawn_sync(NULL,
			  (gchar **)argv->pdata,
			  envp,
			  G_SPAWN_STDOUT_TO_DEV_NULL,
			  NULL,
			  NULL,
			  NULL,
			  NULL,
			  &status,
			  &error)) {
		g_printerr("# harness: %s\n", error->message);
		return FALSE;
	}
	return g_spawn_check_wait_status(status, NULL);
}

PdTestBroker *
pd_test_broker_start(gchar **why)
{
	PdTestBroker *broker = NULL;
	const gchar *start[] = { "start", NULL };

	if (!g_file_test("/usr/lib/rabbitmq/bin/rabbitmq-server", G_FILE_TEST_IS_EXECUTABLE) &&
	    g_find_program_in_path("rabbitmq-server") == NULL) {
		*why = g_strdup("rabbitmq-server is not installed");
		return NULL;
	}
	broker = g_new0(PdTestBroker, 1);
	broker->dir = pd_test_mkdtemp();
	broker->port = pd_test_pick_ports();
	if (!pd_test_broker_run(broker, start)) {
		*why = g_strdup_printf("the test broker did not start, see %s/log", broker->dir);
		g_free(broker->dir);
		g_free(broker);
		return NULL;
	}
	g_printerr("# broker on 127.0.0.1:%u, files in %s\n", broker->port, broker->dir);
	return broker;
}

void
pd_test_amqp_fixture_set_up(PdTestAmqpFixture *f, gconstpointer data)
{
	f->dir = pd_test_mkdtemp();
}

void
pd_test_amqp_fixture_tear_down(PdTestAmqpFixture *f, gconstpointer data)
{
	pd_test_rmtree(f->dir);
	g_free(f->dir);
	g_free(f->conf);
}

gint
pd_test_run_with_broker(PdTestBroker **broker, gboolean start, const gchar *extra_conf)
{
	g_autofree gchar *why = NULL;
	g_autoptr(GTestDBus) bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	gint ret;

	g_test_dbus_up(bus);
	if (start && g_getenv("POLLD_BINARY") != NULL) {
		if (extra_conf != NULL)
			g_setenv("POLLD_HARNESS_EXTRA_CONF", extra_conf, TRUE);
		*broker = pd_test_broker_start(&why);
		g_unsetenv("POLLD_HARNESS_EXTRA_CONF");
		if (*broker == NULL)
			g_printerr("# skipping: %s\n", why);
	}
	ret = g_test_run();
	pd_test_broker_stop(*broker);
	g_test_dbus_down(bus);
	return ret;
}

gchar *
pd_test_write_amqp_config(const gchar *dir,
			  const gchar *url,
			  const gchar *secret,
			  const gchar *extra)
{
	/* a cycle a second; under valgrind the test pollsters alone take more
	 * than that, and a pollster is late after one interval */
	g_autofree gchar *sources = g_strdup_printf(
	  "sources:\n  - name: t\n    interval: %u\n    meters:\n      - \"test.*\"\n",
	  pd_test_slowdown());
	g_autofree gchar *yaml = pd_test_write_file(dir, "polling.yaml", sources);
	g_autofree gchar *text =
	  g_strdup_printf("[DEFAULT]\ntransport_url = %s\n"
			  "[polling]\ncfg_file = %s\nbatch_size = 50\n"
			  "[publisher]\ntelemetry_secret = %s\nspool_dir = %s/spool\n"
			  "[oslo_messaging_rabbit]\nrabbit_retry_interval = 0.2\n"
			  "rabbit_interval_max = 1\n%s",
			  url,
			  yaml,
			  secret,
			  dir,
			  extra != NULL ? extra : "");
	return pd_test_write_file(dir, "polld.conf", text);
}

gchar *
pd_test_write_durable_config(PdTestBroker *broker, const gchar *dir, const gchar *source)
{
	g_autofree gchar *url = g_strdup_printf("rabbit://guest:guest@127.0.0.1:%u/", broker->port);
	g_autofree gchar *extra =
	  g_strdup_printf("[DEFAULT]\nsample_source = %s\n"
			  "[oslo_messaging_rabbit]\namqp_durable_queues = true\n"
			  "[test]\nresources = 2\nsamples = 5\n",
			  source);

	return pd_test_write_amqp_config(dir, url, "s", extra);
}

void
pd_test_broker_add_vhost(PdTestBroker *broker, const gchar *vhost)
{
	g_assert_true(pd_test_broker_ctl(broker, "add_vhost", vhost, NULL));
	g_assert_true(pd_test_broker_ctl(
	  broker, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*", NULL));
}

gboolean
pd_test_broker_ctl(PdTestBroker *broker, const gchar *first_arg, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	va_list ap;

	g_ptr_array_add(args, "ctl");
	va_start(ap, first_arg);
	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	return pd_test_broker_run(broker, (const gchar *const *)args->pdata);
}

guint
pd_test_broker_count_connections(PdTestBroker *broker)
{
	g_autofree gchar *harness = pd_test_harness();
	g_autofree gchar *port = g_strdup_printf("%u", broker->port);
	const gchar *argv[] = { harness, "ctl",	 broker->dir, port, "list_connections",
				"-q",	 "name", NULL };
	g_autofree gchar *out = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;
	gint status = 0;
	guint n = 0;

	if (!g_spawn_sync(NULL, (gchar **)argv, NULL, 0, NULL, NULL, &out, NULL, &status, &error) ||
	    !g_spawn_check_wait_status(status, &error))
		g_error("rabbitmqctl list_connections: %s", error->message);
	lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		n += g_strstrip(lines[i])[0] != '\0' ? 1 : 0;
	return n;
}

void
pd_test_broker_stop(PdTestBroker *broker)
{
	const gchar *stop[] = { "stop", NULL };

	if (broker == NULL)
		return;
	pd_test_broker_run(broker, stop);
	if (g_getenv("POLLD_TEST_KEEP") == NULL)
		pd_test_rmtree(broker->dir);
	g_free(broker->dir);
	g_free(broker);
}

/* --- consumer --- */

struct _PdTestConsumer {
	guint16 port;
	gchar *vhost;
	gchar *queue;
	gboolean durable;
	GThread *thread;
	gint stop;
	GMutex lock;
	GPtrArray *deliveries;
};

void
pd_test_delivery_free(PdTestDelivery *d)
{
	g_free(d->exchange);
	g_free(d->routing_key);
	g_free(d->content_type);
	g_free(d->content_encoding);
	g_bytes_unref(d->body);
	g_free(d);
}

static gchar *
pd_test_bytes_str(amqp_bytes_t b)
{
	return g_strndup(b.bytes, b.len);
}

static PdTestDelivery *
pd_test_delivery_new(const amqp_envelope_t *env)
{
	PdTestDelivery *d = g_new0(PdTestDelivery, 1);
	const amqp_basic_properties_t *p = &env->message.properties;

	d->exchange = pd_test_bytes_str(env->exchange);
	d->routing_key = pd_test_bytes_str(env->routing_key);
	d->flags = p->_flags;
	if (p->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG)
		d->content_type = pd_test_bytes_str(p->content_type);
	if (p->_flags & AMQP_BASIC_CONTENT_ENCODING_FLAG)
		d->content_encoding = pd_test_bytes_str(p->content_encoding);
	d->delivery_mode = p->delivery_mode;
	d->priority = p->priority;
	d->headers = (p->_flags & AMQP_BASIC_HEADERS_FLAG) ? p->headers.num_entries : -1;
	d->body = g_bytes_new(env->message.body.bytes, env->message.body.len);
	return d;
}

static amqp_connection_state_t
pd_test_amqp_open(guint16 port, const gchar *vhost)
{
	amqp_connection_state_t conn = amqp_new_connection();
	amqp_socket_t *sock = amqp_tcp_socket_new(conn);
	struct timeval tv = { 2, 0 };
	amqp_rpc_reply_t r;

	if (amqp_socket_open_noblock(sock, "127.0.0.1", port, &tv) != AMQP_STATUS_OK) {
		amqp_destroy_connection(conn);
		return NULL;
	}
	amqp_set_rpc_timeout(conn, &tv);
	r = amqp_login(conn, vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
	if (r.reply_type != AMQP_RESPONSE_NORMAL) {
		amqp_destroy_connection(conn);
		return NULL;
	}
	amqp_channel_open(conn, 1);
	if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
		amqp_destroy_connection(conn);
		return NULL;
	}
	return conn;
}

static void
pd_test_amqp_close(amqp_connection_state_t conn)
{
	amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
	amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(conn);
}

static amqp_connection_state_t
pd_test_consumer_connect(PdTestConsumer *self)
{
	amqp_connection_state_t conn = pd_test_amqp_open(self->port, self->vhost);

	if (conn == NULL)
		return NULL;
	amqp_queue_declare(
	  conn, 1, amqp_cstring_bytes(self->queue), 0, self->durable, 0, 0, amqp_empty_table);
	amqp_basic_qos(conn, 1, 0, 500, 0);
	amqp_basic_consume(
	  conn, 1, amqp_cstring_bytes(self->queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
	if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
		amqp_destroy_connection(conn);
		return NULL;
	}
	return conn;
}

/* FALSE when the connection is gone */
static gboolean
pd_test_consumer_receive(PdTestConsumer *self, amqp_connection_state_t conn)
{
	struct timeval tv = { 0, 100000 };
	amqp_envelope_t env;
	amqp_rpc_reply_t r;

	amqp_maybe_release_buffers(conn);
	r = amqp_consume_message(conn, &env, &tv, 0);
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
	    r.library_error == AMQP_STATUS_TIMEOUT)
		return TRUE;
	if (r.reply_type != AMQP_RESPONSE_NORMAL)
		return FALSE;
	g_mutex_lock(&self->lock);
	g_ptr_array_add(self->deliveries, pd_test_delivery_new(&env));
	g_mutex_unlock(&self->lock);
	/* acked once recorded: a broker going away redelivers, never loses */
	amqp_basic_ack(conn, 1, env.delivery_tag, 0);
	amqp_destroy_envelope(&env);
	g_main_context_wakeup(NULL);
	return TRUE;
}

static gpointer
pd_test_consumer_thread(gpointer data)
{
	PdTestConsumer *self = data;

	while (!g_atomic_int_get(&self->stop)) {
		amqp_connection_state_t conn = pd_test_consumer_connect(self);
		if (conn == NULL) {
			/* broker down on purpose: try again shortly */
			g_usleep(100000);
			continue;
		}
		while (!g_atomic_int_get(&self->stop) && pd_test_consumer_receive(self, conn))
			;
		if (g_atomic_int_get(&self->stop))
			pd_test_amqp_close(conn);
		else
			amqp_destroy_connection(conn);
	}
	return NULL;
}

PdTestConsumer *
pd_test_consumer_start(PdTestBroker *broker,
		       const gchar *vhost,
		       const gchar *queue,
		       gboolean durable)
{
	PdTestConsumer *self = g_new0(PdTestConsumer, 1);

	self->port = broker->port;
	self->vhost = g_strdup(vhost);
	self->queue = g_strdup(queue);
	self->durable = durable;
	self->deliveries = g_ptr_array_new_with_free_func((GDestroyNotify)pd_test_delivery_free);
	g_mutex_init(&self->lock);
	self->thread = g_thread_new("consumer", pd_test_consumer_thread, self);
	return self;
}

guint
pd_test_consumer_count(PdTestConsumer *self)
{
	guint n;
	g_mutex_lock(&self->lock);
	n = self->deliveries->len;
	g_mutex_unlock(&self->lock);
	return n;
}

static PdTestDelivery *
pd_test_delivery_copy(const PdTestDelivery *d)
{
	PdTestDelivery *c = g_memdup2(d, sizeof *d);
	c->exchange = g_strdup(d->exchange);
	c->routing_key = g_strdup(d->routing_key);
	c->content_type = g_strdup(d->content_type);
	c->content_encoding = g_strdup(d->content_encoding);
	c->body = g_bytes_ref(d->body);
	return c;
}

GPtrArray *
pd_test_consumer_get(PdTestConsumer *self)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)pd_test_delivery_free);
	g_mutex_lock(&self->lock);
	for (guint i = 0; i < self->deliveries->len; i++)
		g_ptr_array_add(out, pd_test_delivery_copy(g_ptr_array_index(self->deliveries, i)));
	g_mutex_unlock(&self->lock);
	return out;
}

typedef struct {
	PdTestConsumer *consumer;
	guint n;
} PdTestCountWait;

static gboolean
pd_test_count_reached(gpointer data)
{
	PdTestCountWait *w = data;
	return pd_test_consumer_count(w->consumer) >= w->n;
}

gboolean
pd_test_consumer_wait(PdTestConsumer *self, guint n, guint timeout_ms)
{
	PdTestCountWait w = { self, n };
	return pd_test_poll_until(pd_test_count_reached, &w, timeout_ms);
}

void
pd_test_consumer_stop(PdTestConsumer *self)
{
	g_atomic_int_set(&self->stop, 1);
	g_thread_join(self->thread);
	g_ptr_array_unref(self->deliveries);
	g_mutex_clear(&self->lock);
	g_free(self->vhost);
	g_free(self->queue);
	g_free(self);
}

gboolean
pd_test_amqp_declare_exchange(PdTestBroker *broker,
			      const gchar *vhost,
			      const gchar *name,
			      gboolean durable)
{
	amqp_connection_state_t conn = pd_test_amqp_open(broker->port, vhost);
	gboolean ok;

	if (conn == NULL)
		return FALSE;
	amqp_exchange_declare(conn,
			      1,
			      amqp_cstring_bytes(name),
			      amqp_cstring_bytes("topic"),
			      0,
			      durable,
			      0,
			      0,
			      amqp_empty_table);
	ok = amqp_get_rpc_reply(conn).reply_type == AMQP_RESPONSE_NORMAL;
	pd_test_amqp_close(conn);
	return ok;
}

gboolean
pd_test_amqp_delete_queue(PdTestBroker *broker, const gchar *vhost, const gchar *name)
{
	amqp_connection_state_t conn = pd_test_amqp_open(broker->port, vhost);
	gboolean ok;

	if (conn == NULL)
		return FALSE;
	amqp_queue_delete(conn, 1, amqp_cstring_bytes(name), 0, 0);
	ok = amqp_get_rpc_reply(conn).reply_type == AMQP_RESPONSE_NORMAL;
	pd_test_amqp_close(conn);
	return ok;
}

gboolean
pd_test_amqp_delete_exchange(PdTestBroker *broker, const gchar *vhost, const gchar *name)
{
	amqp_connection_state_t conn = pd_test_amqp_open(broker->port, vhost);
	gboolean ok;

	if (conn == NULL)
		return FALSE;
	amqp_exchange_delete(conn, 1, amqp_cstring_bytes(name), 0);
	ok = amqp_get_rpc_reply(conn).reply_type == AMQP_RESPONSE_NORMAL;
	pd_test_amqp_close(conn);
	return ok;
}

/* --- samples --- */

GPtrArray *
pd_test_deliveries_samples(GPtrArray *deliveries)
{
	GPtrArray *samples = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);

	for (guint i = 0; i < deliveries->len; i++) {
		PdTestDelivery *d = g_ptr_array_index(deliveries, i);
		g_autofree gchar *text =
		  g_strndup(g_bytes_get_data(d->body, NULL), g_bytes_get_size(d->body));
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonObject) msg = pd_test_parse_message(text, &error);
		JsonArray *arr;
		g_assert_no_error(error);
		arr = json_object_get_array_member(json_object_get_object_member(msg, "payload"),
						   "samples");
		for (guint j = 0; j < json_array_get_length(arr); j++)
			g_ptr_array_add(samples,
					json_object_ref(json_array_get_object_element(arr, j)));
	}
	return samples;
}

gboolean
pd_test_samples_complete(GPtrArray *samples,
			 const gchar *source,
			 guint *n_unique,
			 guint *duplicates,
			 gchar **why)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) volumes =
	  g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_hash_table_unref);
	GHashTableIter iter;
	gpointer key, value;

	*n_unique = 0;
	*duplicates = 0;
	for (guint i = 0; i < samples->len; i++) {
		JsonObject *s = g_ptr_array_index(samples, i);
		const gchar *name = json_object_get_string_member(s, "counter_name");
		GHashTable *v;
		if (source != NULL &&
		    g_strcmp0(json_object_get_string_member(s, "source"), source) != 0)
			continue;
		if (!g_hash_table_add(seen,
				      (gpointer)json_object_get_string_member(s, "message_id"))) {
			(*duplicates)++;
			continue;
		}
		(*n_unique)++;
		v = g_hash_table_lookup(volumes, name);
		if (v == NULL) {
			v = g_hash_table_new(g_direct_hash, g_direct_equal);
			g_hash_table_insert(volumes, (gpointer)name, v);
		}
		g_hash_table_add(
		  v, GINT_TO_POINTER((gint)json_object_get_int_member(s, "counter_volume")));
	}
	g_hash_table_iter_init(&iter, volumes);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		guint n = g_hash_table_size(value);
		for (guint i = 0; i < n; i++) {
			if (!g_hash_table_contains(value, GINT_TO_POINTER((gint)i))) {
				*why =
				  g_strdup_printf("%s: volume %u missing (%u distinct received)",
						  (gchar *)key,
						  i,
						  n);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/* --- polld --- */

struct _PdTestPolld {
	GSubprocess *proc;
	GDataInputStream *err;
	GString *log;
	gboolean eof;
	GCancellable *cancel;
	GDBusConnection *bus; /* for live statistics, opened on first use */
};

static void
pd_test_polld_line_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	PdTestPolld *self = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line =
	  g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(source), res, NULL, &error);

	if (line == NULL) {
		self->eof = TRUE;
		return;
	}
	if (g_getenv("POLLD_TEST_VERBOSE") != NULL)
		g_printerr("# polld: %s\n", line);
	g_string_append(self->log, line);
	g_string_append_c(self->log, '\n');
	g_data_input_stream_read_line_async(
	  self->err, G_PRIORITY_DEFAULT, self->cancel, pd_test_polld_line_cb, self);
}

/* a daemon serving D-Bus needs the test's private session bus */
static gboolean
pd_test_polld_has_session_option(void)
{
	static gint has = -1;
	g_autofree gchar *out = NULL;
	const gchar *argv[] = { g_getenv("POLLD_BINARY"), "--help", NULL };

	if (has < 0) {
		has = g_spawn_sync(NULL,
				   (gchar **)argv,
				   NULL,
				   G_SPAWN_STDERR_TO_DEV_NULL,
				   NULL,
				   NULL,
				   &out,
				   NULL,
				   NULL,
				   NULL) &&
		      out != NULL && strstr(out, "--session") != NULL;
	}
	return has;
}

PdTestPolld *
pd_test_polld_start(const gchar *config_file, gboolean once)
{
	PdTestPolld *self = g_new0(PdTestPolld, 1);
	g_autoptr(GError) error = NULL;

	self->log = g_string_new(NULL);
	self->cancel = g_cancellable_new();
	self->proc = pd_test_spawn_polld(
	  G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
	  &error,
	  "--polling-namespaces",
	  "test",
	  "--config-file",
	  config_file,
	  "-v",
	  once ? "--once" : (pd_test_polld_has_session_option() ? "--session" : NULL),
	  NULL);
	g_assert_no_error(error);
	self->err = g_data_input_stream_new(g_subprocess_get_stderr_pipe(self->proc));
	g_data_input_stream_read_line_async(
	  self->err, G_PRIORITY_DEFAULT, self->cancel, pd_test_polld_line_cb, self);
	return self;
}

typedef struct {
	PdTestPolld *polld;
	const gchar *needle;
} PdTestLogWait;

static gboolean
pd_test_log_has(gpointer data)
{
	PdTestLogWait *w = data;
	return strstr(w->polld->log->str, w->needle) != NULL;
}

gboolean
pd_test_polld_wait_log(PdTestPolld *self, const gchar *needle, guint timeout_ms)
{
	PdTestLogWait w = { self, needle };
	return pd_test_poll_until(pd_test_log_has, &w, timeout_ms);
}

const gchar *
pd_test_polld_get_log(PdTestPolld *self)
{
	return self->log->str;
}

void
pd_test_polld_signal(PdTestPolld *self, gint signum)
{
	g_subprocess_send_signal(self->proc, signum);
}

static gboolean
pd_test_polld_exited(gpointer data)
{
	PdTestPolld *self = data;
	/* exited and the whole log read */
	return self->eof && g_subprocess_get_identifier(self->proc) == NULL;
}

gint
pd_test_polld_wait(PdTestPolld *self, guint timeout_ms)
{
	g_subprocess_wait_async(self->proc, NULL, NULL, NULL);
	if (!pd_test_poll_until(pd_test_polld_exited, self, timeout_ms))
		return -1;
	return g_subprocess_get_if_exited(self->proc) ? g_subprocess_get_exit_status(self->proc)
						      : 128 + g_subprocess_get_term_sig(self->proc);
}

void
pd_test_polld_free(PdTestPolld *self)
{
	if (g_subprocess_get_identifier(self->proc) != NULL) {
		g_subprocess_force_exit(self->proc);
		g_subprocess_wait(self->proc, NULL, NULL);
	}
	g_cancellable_cancel(self->cancel);
	while (!self->eof)
		g_main_context_iteration(NULL, TRUE);
	g_object_unref(self->err);
	g_object_unref(self->proc);
	g_object_unref(self->cancel);
	g_clear_object(&self->bus);
	g_string_free(self->log, TRUE);
	g_free(self);
}

guint64
pd_test_polld_stat(PdTestPolld *self, const gchar *key)
{
	const gchar *line = strstr(self->log->str, "publisher stopped:");
	g_autofree gchar *needle = g_strdup_printf(" %s=", key);
	const gchar *p;

	if (line == NULL || (p = strstr(line, needle)) == NULL)
		return G_MAXUINT64;
	return g_ascii_strtoull(p + strlen(needle), NULL, 10);
}

guint64
pd_test_polld_live_stat(PdTestPolld *self, const gchar *key)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) stats = NULL;
	guint64 value = G_MAXUINT64;

	if (self->bus == NULL)
		self->bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);
	if (self->bus == NULL || g_subprocess_get_identifier(self->proc) == NULL)
		return G_MAXUINT64;
	reply = g_dbus_connection_call_sync(self->bus,
					    "org.polld.Agent1",
					    "/org/polld/Agent1",
					    "org.polld.Agent1",
					    "GetStatistics",
					    NULL,
					    G_VARIANT_TYPE("(a{sv})"),
					    G_DBUS_CALL_FLAGS_NO_AUTO_START,
					    10000,
					    NULL,
					    NULL);
	if (reply == NULL)
		return G_MAXUINT64;
	stats = g_variant_get_child_value(reply, 0);
	if (!g_variant_lookup(stats, key, "t", &value))
		return G_MAXUINT64;
	return value;
}

gchar *
pd_test_polld_get_property(PdTestPolld *self, const gchar *name)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) value = NULL;

	if (self->bus == NULL)
		self->bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);
	if (self->bus == NULL || g_subprocess_get_identifier(self->proc) == NULL)
		return NULL;
	reply = g_dbus_connection_call_sync(self->bus,
					    "org.polld.Agent1",
					    "/org/polld/Agent1",
					    "org.freedesktop.DBus.Properties",
					    "Get",
					    g_variant_new("(ss)", "org.polld.Agent1", name),
					    G_VARIANT_TYPE("(v)"),
					    G_DBUS_CALL_FLAGS_NO_AUTO_START,
					    10000,
					    NULL,
					    NULL);
	if (reply == NULL)
		return NULL;
	g_variant_get(reply, "(v)", &value);
	return g_variant_dup_string(value, NULL);
}

typedef struct {
	PdTestPolld *polld;
	const gchar *name;
	const gchar *value;
	gint64 next_query;
} PdTestPropertyWait;

static gboolean
pd_test_property_is(gpointer data)
{
	PdTestPropertyWait *w = data;
	g_autofree gchar *value = NULL;

	/* a D-Bus round trip: a few times a second, not every tick */
	if (g_get_monotonic_time() < w->next_query)
		return FALSE;
	w->next_query = g_get_monotonic_time() + 200 * 1000;
	value = pd_test_polld_get_property(w->polld, w->name);
	return g_strcmp0(value, w->value) == 0;
}

gboolean
pd_test_polld_wait_property(PdTestPolld *self,
			    const gchar *name,
			    const gchar *value,
			    guint timeout_ms)
{
	PdTestPropertyWait w = { self, name, value, 0 };
	return pd_test_poll_until(pd_test_property_is, &w, timeout_ms);
}

typedef struct {
	PdTestPolld *polld;
	const gchar *key;
	guint64 min;
	guint64 max;
	gint64 next_query;
	gboolean reached;
} PdTestStatWait;

static gboolean
pd_test_stat_in_range(gpointer data)
{
	PdTestStatWait *w = data;
	guint64 v;

	/* a D-Bus round trip to the daemon: every 100 ms is plenty */
	if (g_get_monotonic_time() < w->next_query)
		return w->reached;
	w->next_query = g_get_monotonic_time() + 100000;
	v = pd_test_polld_live_stat(w->polld, w->key);
	w->reached = v != G_MAXUINT64 && v >= w->min && v <= w->max;
	return w->reached;
}

gboolean
pd_test_polld_wait_stat(PdTestPolld *self,
			const gchar *key,
			guint64 min,
			guint64 max,
			guint timeout_ms)
{
	PdTestStatWait w = { self, key, min, max, 0, FALSE };
	return pd_test_poll_until(pd_test_stat_in_range, &w, timeout_ms);
}
