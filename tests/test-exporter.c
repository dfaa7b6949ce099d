/*
 * polld's Prometheus exporter and heartbeat socket, end to end: the daemon
 * on the test plugin, scraped over HTTP and HTTPS by a real client, checked
 * by promtool; series follow the resources; a scrape-only node publishes
 * nothing to a real broker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include <gio/gunixsocketaddress.h>

#include "amqp-consumer.h"
#include "pd-test-http.h"
#include "pd-test-util.h"

typedef struct {
	gchar *dir;
	gchar *conf;
	GSubprocess *proc;
	GDataInputStream *err;
	GString *log;
	GCancellable *cancel;
} Agent;

static void
agent_line_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Agent *a = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line =
	  g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, NULL, &error);

	if (line == NULL)
		return;
	g_string_append(a->log, line);
	g_string_append_c(a->log, '\n');
	g_data_input_stream_read_line_async(
	  a->err, G_PRIORITY_DEFAULT, a->cancel, agent_line_cb, a);
}

static gchar *
agent_config(const gchar *dir, guint resources, const gchar *extra)
{
	g_autofree gchar *yaml =
	  pd_test_write_file(dir,
			     "polling.yaml",
			     "sources:\n  - name: t\n    interval: 1\n    meters:\n"
			     "      - test.gauge\n      - test.cumulative\n");
	g_autofree gchar *text = g_strdup_printf("[polling]\ncfg_file = %s\n"
						 "enable_prometheus_exporter = true\n"
						 "heartbeat_socket_dir = %s\n%s\n"
						 "[test]\nresources = %u\n",
						 yaml,
						 dir,
						 extra,
						 resources);
	return pd_test_write_file(dir, "polld.conf", text);
}

static Agent *
agent_start_level(const gchar *dir, const gchar *conf, const gchar *mode, const gchar *level);

static Agent *
agent_start(const gchar *dir, const gchar *conf, const gchar *mode)
{
	return agent_start_level(dir, conf, mode, "--debug");
}

static Agent *
agent_start_level(const gchar *dir, const gchar *conf, const gchar *mode, const gchar *level)
{
	Agent *a = g_new0(Agent, 1);
	g_autoptr(GError) error = NULL;

	a->dir = g_strdup(dir);
	a->conf = g_strdup(conf);
	a->log = g_string_new(NULL);
	a->cancel = g_cancellable_new();
	a->proc =
	  pd_test_spawn_polld(G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
			      &error,
			      "--polling-namespaces",
			      "test",
			      "--config-file",
			      conf,
			      "--debug",
			      mode,
			      NULL);
	g_assert_no_error(error);
	a->err = g_data_input_stream_new(g_subprocess_get_stderr_pipe(a->proc));
	g_data_input_stream_read_line_async(
	  a->err, G_PRIORITY_DEFAULT, a->cancel, agent_line_cb, a);
	return a;
}

typedef struct {
	Agent *a;
	const gchar *needle;
	guint count;
} LogWait;

static gboolean
log_has(gpointer data)
{
	LogWait *w = data;
	return pd_test_count(w->a->log->str, w->needle) >= w->count;
}

/* waits until @needle has been logged @count times in all */
static void
agent_wait_log(Agent *a, const gchar *needle, guint count)
{
	LogWait w = { a, needle, count };

	if (!pd_test_wait_for(log_has, &w, 60000))
		g_error("no '%s' (x%u) in the log:\n%s", needle, count, a->log->str);
}

static void
agent_stop(Agent *a)
{
	g_autoptr(GError) error = NULL;

	g_subprocess_send_signal(a->proc, SIGTERM);
	g_subprocess_wait(a->proc, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(a->proc));
	g_assert_cmpint(g_subprocess_get_exit_status(a->proc), ==, 0);
	g_cancellable_cancel(a->cancel);
	g_object_unref(a->err);
	g_object_unref(a->proc);
	g_object_unref(a->cancel);
	g_string_free(a->log, TRUE);
	g_free(a->conf);
	g_free(a->dir);
	g_free(a);
}

/* the URIs the exporter logged (it picks free ports for port 0) */
static GPtrArray *
agent_uris(Agent *a, guint n)
{
	GPtrArray *uris = g_ptr_array_new_with_free_func(g_free);
	const gchar *p;

	agent_wait_log(a, "prometheus exporter serving ", n);
	p = a->log->str;
	while ((p = strstr(p, "prometheus exporter serving ")) != NULL) {
		const gchar *start = p + strlen("prometheus exporter serving ");
		const gchar *end = strchr(start, '\n');
		g_ptr_array_add(uris, g_strndup(start, (gsize)(end - start)));
		p = end;
	}
	g_assert_cmpuint(uris->len, ==, n);
	return uris;
}

static gboolean
have_program(const gchar *name)
{
	g_autofree gchar *path = g_find_program_in_path(name);

	return path != NULL;
}

static void
promtool_check(const gchar *text)
{
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;

	if (!have_program("promtool")) {
		g_printerr("# promtool is not installed: exposition not validated\n");
		g_test_fail();
		return;
	}
	proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				  G_SUBPROCESS_FLAGS_STDERR_MERGE,
				&error,
				"promtool",
				"check",
				"metrics",
				NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(proc, text, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(proc));
	/* 0: clean; 3: valid, with lint findings, of which only one is allowed:
	 * the test plugin's meter is named "test.gauge" (1 is a parse error) */
	if (g_subprocess_get_exit_status(proc) == 3 &&
	    g_strcmp0(out, "ceilometer_test_gauge metric name should not include type 'gauge'\n") ==
	      0)
		return;
	if (g_subprocess_get_exit_status(proc) != 0 || out[0] != '\0')
		g_error("promtool check metrics failed:\n%s", out);
}

static gboolean
series_line(const gchar *line, const gchar *metric)
{
	return g_str_has_prefix(line, metric) && line[strlen(metric)] == '{';
}

static guint
count_series(const gchar *text, const gchar *metric)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint n = 0;

	for (guint i = 0; lines[i] != NULL; i++)
		n += series_line(lines[i], metric) ? 1 : 0;
	return n;
}

static gchar *
heartbeat_read(const gchar *path)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GError) error = NULL;
	GInputStream *in;
	GString *out = g_string_new(NULL);
	gchar buf[4096];
	gssize n;

	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &error);
	g_assert_no_error(error);
	in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
	/* the agent answers from its own loop: blocking reads are fine here */
	while ((n = g_input_stream_read(in, buf, sizeof(buf), NULL, &error)) > 0)
		g_string_append_len(out, buf, n);
	g_assert_no_error(error);
	return g_string_free(out, FALSE);
}

static void
test_exporter_scrape(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *conf =
	  agent_config(dir, 3, "prometheus_listen_addresses = 127.0.0.1:0, [::1]:0\n");
	g_autofree gchar *sock = g_build_filename(dir, "ceilometer-test.socket", NULL);
	g_autofree gchar *beats = NULL;
	g_autofree gchar *om = NULL;
	g_autoptr(GPtrArray) uris = NULL;
	g_auto(GStrv) lines = NULL;
	Agent *a = agent_start(dir, conf, "--dry-run");

	uris = agent_uris(a, 2);
	g_assert_true(g_str_has_prefix(g_ptr_array_index(uris, 0), "http://127.0.0.1:"));
	g_assert_true(g_str_has_prefix(g_ptr_array_index(uris, 1), "http://[::1]:"));
	/* two cycles done: every series is in */
	agent_wait_log(a, "cycle 2 done", 1);
	for (guint i = 0; i < uris->len; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *text =
		  pd_test_http_get(g_ptr_array_index(uris, i), NULL, NULL, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(count_series(text, "ceilometer_test_gauge"), ==, 3);
		g_assert_cmpuint(count_series(text, "ceilometer_test_cumulative"), ==, 3);
		/* Ceilometer's labels, in its order */
		g_assert_nonnull(
		  strstr(text,
			 "ceilometer_test_gauge{test=\"test-0\",publisher=\"ceilometer\","
			 "type=\"gauge\",counter=\"test.gauge\",project=\"test-project\","
			 "user=\"test-user\",unit=\"thing\",resource=\"test-0\","
			 "server_group=\"none\"} "));
		g_assert_nonnull(strstr(text, "\npolld_cycles_total{task=\"every 1s\"} "));
		g_assert_nonnull(
		  strstr(text, "\npolld_cycle_duration_seconds_count{task=\"every 1s\"} "));
		g_assert_nonnull(
		  strstr(text, "\npolld_pollster_runs_total{pollster=\"test.gauge\"} "));
		g_assert_nonnull(
		  strstr(text, "\npolld_sink_samples_delivered_total{sink=\"prometheus\"} "));
		g_assert_nonnull(
		  strstr(text, "\npolld_discovery_resources{discovery=\"test_resources\"} 3\n"));
		promtool_check(text);
	}
	om = pd_test_http_get(g_ptr_array_index(uris, 0),
			      NULL,
			      "application/openmetrics-text; version=1.0.0",
			      NULL,
			      NULL);
	g_assert_true(g_str_has_suffix(om, "\n# EOF\n"));
	g_assert_nonnull(strstr(om, "# TYPE polld_cycles counter\npolld_cycles_total{"));

	/* the heartbeat: one line per pollster, the time its samples carry */
	beats = heartbeat_read(sock);
	lines = g_strsplit(beats, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 2);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_autoptr(GRegex) re =
		  g_regex_new("^test\\.(gauge|cumulative) "
			      "20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\\.[0-9]{6})?$",
			      0,
			      0,
			      NULL);
		g_assert_true(g_regex_match(re, lines[i], 0, NULL));
	}

	/* one resource goes: its series go after the next cycle */
	g_free(agent_config(dir, 1, "prometheus_listen_addresses = 127.0.0.1:0, [::1]:0\n"));
	g_subprocess_send_signal(a->proc, SIGHUP);
	agent_wait_log(a, "configuration reloaded", 1);
	{
		guint done = pd_test_count(a->log->str, " done in ");
		g_autofree gchar *text = NULL;
		/* the cycle running at the reload may still see 3: wait for two more */
		agent_wait_log(a, " done in ", done + 2);
		text = pd_test_http_get(g_ptr_array_index(uris, 0), NULL, NULL, NULL, NULL);
		g_assert_cmpuint(count_series(text, "ceilometer_test_gauge"), ==, 1);
		g_assert_cmpuint(count_series(text, "ceilometer_test_cumulative"), ==, 1);
		g_assert_null(strstr(text, "resource=\"test-2\""));
	}
	agent_stop(a);
	g_assert_false(g_file_test(sock, G_FILE_TEST_EXISTS));
	pd_test_rmtree(dir);
}

static void
test_exporter_tls(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *extra = NULL;
	g_autofree gchar *conf = NULL;
	g_autofree gchar *ca = g_build_filename(dir, "ca.pem", NULL);
	g_autofree gchar *other = g_build_filename(dir, "other.pem", NULL);
	g_autoptr(GTlsDatabase) right = NULL;
	g_autoptr(GTlsDatabase) wrong = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) uris = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *refused = NULL;
	Agent *a;

	if (!have_program("openssl") || !pd_test_make_pki(dir)) {
		g_test_skip("openssl can't make a test PKI");
		pd_test_rmtree(dir);
		return;
	}
	extra = g_strdup_printf("prometheus_listen_addresses = 127.0.0.1:0\n"
				"prometheus_tls_enable = true\n"
				"prometheus_tls_certfile = %s/server.pem\n"
				"prometheus_tls_keyfile = %s/server.key\n",
				dir,
				dir);
	conf = agent_config(dir, 2, extra);
	a = agent_start(dir, conf, "--dry-run");
	uris = agent_uris(a, 1);
	g_assert_true(g_str_has_prefix(g_ptr_array_index(uris, 0), "https://127.0.0.1:"));
	agent_wait_log(a, "cycle 1 done", 1);
	right = g_tls_file_database_new(ca, &error);
	g_assert_no_error(error);
	text = pd_test_http_get(g_ptr_array_index(uris, 0), right, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(count_series(text, "ceilometer_test_gauge"), ==, 2);
	promtool_check(text);
	/* a client trusting another CA does not get in */
	wrong = g_tls_file_database_new(other, &error);
	g_assert_no_error(error);
	refused = pd_test_http_get(g_ptr_array_index(uris, 0), wrong, NULL, NULL, &error);
	g_assert_null(refused);
	g_assert_error(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	agent_stop(a);
	pd_test_rmtree(dir);
}

/* TLS asked for without the files: a clear error at start */
static void
test_exporter_tls_incomplete(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *conf = agent_config(
	  dir, 1, "prometheus_listen_addresses = 127.0.0.1:0\nprometheus_tls_enable = true\n");
	g_autofree gchar *err = NULL;
	const gchar *args[] = {
		"--polling-namespaces", "test", "--config-file", conf, "--once", NULL
	};
	gint status = 0;

	g_free(pd_test_run_polld(&status, &err, args));
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, "prometheus_tls_certfile and prometheus_tls_keyfile"));
	pd_test_rmtree(dir);
}

/* enable_notifications = false: samples reach the exporter, nothing the broker */
static PdTestBroker *broker = NULL;

static gboolean
consumer_connected(gpointer data)
{
	return pd_test_broker_count_connections(data) > 0;
}

static void
test_exporter_scrape_only(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *extra = NULL;
	g_autofree gchar *conf = NULL;
	g_autoptr(GPtrArray) uris = NULL;
	g_autofree gchar *text = NULL;
	PdTestConsumer *consumer;
	guint connections;
	Agent *a;

	if (broker == NULL) {
		g_test_skip("no broker");
		pd_test_rmtree(dir);
		return;
	}
	consumer = pd_test_consumer_start(broker, "/", "notifications.sample", FALSE);
	/* the consumer's connection is up before the count is taken */
	g_assert_true(pd_test_wait_for(consumer_connected, broker, 60000));
	connections = pd_test_broker_count_connections(broker);
	extra = g_strdup_printf("prometheus_listen_addresses = 127.0.0.1:0\n"
				"enable_notifications = false\n"
				"[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:%u/\n",
				broker->port);
	conf = agent_config(dir, 2, extra);
	/* a daemon on the private bus, not --dry-run: the broker is configured */
	a = agent_start(dir, conf, "--session");
	uris = agent_uris(a, 1);
	agent_wait_log(a, "cycle 3 done", 1);
	text = pd_test_http_get(g_ptr_array_index(uris, 0), NULL, NULL, NULL, NULL);
	g_assert_cmpuint(count_series(text, "ceilometer_test_gauge"), ==, 2);
	g_assert_nonnull(strstr(a->log->str, "enable_notifications is false"));
	/* polld never connected: only the test's own connections are there */
	g_assert_cmpuint(pd_test_broker_count_connections(broker), ==, connections);
	agent_stop(a);
	g_assert_cmpuint(pd_test_consumer_count(consumer), ==, 0);
	pd_test_consumer_stop(consumer);
	pd_test_rmtree(dir);
}

/* busctl on the test's private bus; returns its stdout */
static gchar *
busctl(const gchar *verb, const gchar *property, const gchar *value)
{
	g_autofree gchar *address =
	  g_strdup_printf("--address=%s", g_getenv("DBUS_SESSION_BUS_ADDRESS"));
	const gchar *argv[] = { "busctl",
				address,
				verb,
				"org.polld.Agent1",
				"/org/freedesktop/LogControl1",
				"org.freedesktop.LogControl1",
				property,
				value != NULL ? "s" : NULL,
				value,
				NULL };
	g_autoptr(GError) error = NULL;
	gchar *out = NULL;
	gint status = 0;

	g_spawn_sync(
	  NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status, &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return out;
}

static gboolean
on_bus(gpointer data)
{
	return strstr(((Agent *)data)->log->str, "owning org.polld.Agent1") != NULL;
}

/* systemctl service-log-level's interface changes a running agent's level */
static void
test_log_control(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *conf =
	  agent_config(dir, 1, "prometheus_listen_addresses = 127.0.0.1:0\n");
	g_autofree gchar *level = NULL;
	g_autofree gchar *target = NULL;
	g_autofree gchar *ident = NULL;
	Agent *a;

	if (!have_program("busctl") || g_getenv("DBUS_SESSION_BUS_ADDRESS") == NULL) {
		g_test_skip("no busctl or no private bus");
		pd_test_rmtree(dir);
		return;
	}
	a = agent_start_level(dir, conf, "--session", "-v");
	g_assert_true(pd_test_wait_for(on_bus, a, 60000));
	ident = busctl("get-property", "SyslogIdentifier", NULL);
	g_assert_cmpstr(ident, ==, "s \"polld\"\n");
	g_free(busctl("set-property", "LogLevel", "info"));
	level = busctl("get-property", "LogLevel", NULL);
	g_assert_cmpstr(level, ==, "s \"info\"\n");
	g_free(busctl("set-property", "LogLevel", "debug"));
	g_clear_pointer(&level, g_free);
	level = busctl("get-property", "LogLevel", NULL);
	g_assert_cmpstr(level, ==, "s \"debug\"\n");
	/* debug lines come from the next cycle on */
	agent_wait_log(a, " done in ", pd_test_count(a->log->str, " done in ") + 1);
	g_free(busctl("set-property", "LogTarget", "console"));
	target = busctl("get-property", "LogTarget", NULL);
	g_assert_cmpstr(target, ==, "s \"console\"\n");
	agent_stop(a);
	pd_test_rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/exporter/scrape", test_exporter_scrape);
	g_test_add_func("/exporter/tls", test_exporter_tls);
	g_test_add_func("/exporter/tls-incomplete", test_exporter_tls_incomplete);
	g_test_add_func("/exporter/scrape-only", test_exporter_scrape_only);
	g_test_add_func("/exporter/log-control", test_log_control);
	/* a private session bus for the daemon, and a broker */
	return pd_test_run_with_broker(&broker, TRUE, NULL);
}
