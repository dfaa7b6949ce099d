/*
 * polld Prometheus exporter and heartbeat socket, in process: names, labels
 * and values as Ceilometer's exporter writes them, series expiry, the HTTP
 * side (text and OpenMetrics, chunked) and the heartbeat protocol
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include <gio/gunixsocketaddress.h>

#include "pd-heartbeat.h"
#include "pd-http-module.h"
#include "pd-metadata.h"
#include "pd-prom-labels.h"
#include "pd-prom-server.h"
#include "pd-prom-store.h"
#include "pd-sample.h"
#include "pd-test-http.h"
#include "pd-test-util.h"

static PdMetadata *
instance_metadata(const gchar *display_name, const gchar *group)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();

	pd_metadata_builder_add_string(b, "display_name", display_name);
	pd_metadata_builder_add_string(b, "name", "instance-00000001");
	pd_metadata_builder_add_string(b, "host", "compute-1");
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_string(b, "id", "f1");
	pd_metadata_builder_add_string(b, "name", "m1.tiny");
	pd_metadata_builder_add_int(b, "vcpus", 1);
	pd_metadata_builder_end_object(b);
	if (group != NULL) {
		pd_metadata_builder_begin_object(b, "user_metadata");
		pd_metadata_builder_add_string(b, "server_group", group);
		pd_metadata_builder_end_object(b);
	}
	return pd_metadata_builder_end(b);
}

static gchar *
render_all(PdPromStore *store)
{
	GString *out = g_string_new(NULL);
	g_autofree gchar *after = NULL;
	gchar *next;

	while ((next = pd_prom_store_render_next(store, after, PD_PROM_FORMAT_TEXT, out)) != NULL) {
		g_free(after);
		after = next;
	}
	return g_string_free(out, FALSE);
}

static void
add_sample(PdPromStore *store,
	   PdSampleBatch *batch,
	   const gchar *name,
	   const gchar *unit,
	   const gchar *rid,
	   PdMetadata *md,
	   gdouble value,
	   gint64 now)
{
	PdSample *s =
	  pd_sample_batch_add(batch, name, PD_SAMPLE_TYPE_CUMULATIVE, unit, rid, "u1", "p1", md);

	pd_sample_set_double(s, value);
	pd_prom_store_add(store, &s, 1, now);
}

static void
test_prom_labels(void)
{
	g_autoptr(PdPromStore) store = pd_prom_store_new();
	g_autoptr(PdSampleBatch) batch = pd_sample_batch_new();
	g_autoptr(PdMetadata) md = instance_metadata("vm1", "sg-a");
	g_autofree gchar *text = NULL;

	add_sample(store, batch, "cpu", "ns", "i-1", md, 1.5e10, 1);
	add_sample(store, batch, "disk.device.read.bytes", "B", "i-1-vda", md, 1234567, 1);
	text = render_all(store);
	g_assert_cmpstr(
	  text,
	  ==,
	  "# HELP ceilometer_cpu Ceilometer meter cpu\n"
	  "# TYPE ceilometer_cpu gauge\n"
	  "ceilometer_cpu{cpu=\"i-1\",publisher=\"ceilometer\",type=\"cpu\",counter=\"cpu\","
	  "project=\"p1\",user=\"u1\",unit=\"ns\",resource=\"i-1\",vm_instance=\"compute-1\","
	  "resource_name=\"vm1:instance-00000001\",server_group=\"sg-a\",flavor_id=\"f1\","
	  "flavor_name=\"m1.tiny\"} 1.5e+010\n"
	  "# HELP ceilometer_disk_device_read_bytes Ceilometer meter disk.device.read.bytes\n"
	  "# TYPE ceilometer_disk_device_read_bytes gauge\n"
	  "ceilometer_disk_device_read_bytes{disk=\"read\",publisher=\"ceilometer\","
	  "type=\"device\",counter=\"disk.device.read.bytes\",project=\"p1\",user=\"u1\","
	  "unit=\"B\",resource=\"i-1-vda\",vm_instance=\"compute-1\","
	  "resource_name=\"vm1:instance-00000001\",server_group=\"sg-a\",flavor_id=\"f1\","
	  "flavor_name=\"m1.tiny\"} 1.234567e+06\n");
}

/* prometheus_client's floatToGoString spelling of each value */
static void
test_prom_values(void)
{
	static const struct {
		gdouble v;
		const gchar *text;
	} cases[] = {
		{ 5, "5.0" },
		{ 0.5, "0.5" },
		{ -3, "-3.0" },
		{ 999999, "999999.0" },
		{ 1234567.5, "1.2345675e+06" },
		{ 12345678901.0, "1.2345678901e+010" },
		{ 1e16, "1e+16" },
		{ 0, "0.0" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(PdPromStore) store = pd_prom_store_new();
		g_autoptr(PdSampleBatch) batch = pd_sample_batch_new();
		g_autofree gchar *text = NULL;
		g_autofree gchar *want = g_strdup_printf("} %s\n", cases[i].text);

		add_sample(store, batch, "memory", "MB", "r", NULL, cases[i].v, 1);
		text = render_all(store);
		g_assert_true(g_str_has_suffix(text, want));
	}
}

static void
test_prom_metadata_special(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) md = NULL;
	g_autoptr(PdMetadata) empty = NULL;
	g_autofree gchar *alarm = NULL;
	g_autofree gchar *lb = NULL;
	g_autofree gchar *none = NULL;

	pd_metadata_builder_add_string(b, "name", "n1");
	pd_metadata_builder_add_string(b, "alarm_state", "alarm");
	md = pd_metadata_builder_end(b);
	alarm = pd_prom_labels_from_metadata(md, "alarm.x");
	g_assert_cmpstr(alarm, ==, ",resource_name=\"n1\",server_group=\"none\",state=\"alarm\"");
	lb = pd_prom_labels_from_metadata(md, "loadbalancer.operating");
	g_assert_cmpstr(
	  lb,
	  ==,
	  ",resource_name=\"n1\",server_group=\"none\",state=\"alarm\",availability_zone=\"\"");
	empty = pd_metadata_builder_end(b);
	none = pd_prom_labels_from_metadata(empty, "cpu");
	g_assert_cmpstr(none, ==, "");
}

static void
test_prom_expire(void)
{
	g_autoptr(PdPromStore) store = pd_prom_store_new();
	g_autoptr(PdSampleBatch) batch = pd_sample_batch_new();
	const gchar *meters[] = { "cpu", NULL };
	g_autofree gchar *text = NULL;

	/* times in monotonic microseconds; the store keeps tenths of a second */
	add_sample(store, batch, "cpu", "ns", "a", NULL, 1, 10 * G_USEC_PER_SEC);
	add_sample(store, batch, "cpu", "ns", "b", NULL, 2, 10 * G_USEC_PER_SEC);
	add_sample(store, batch, "memory", "MB", "a", NULL, 3, 10 * G_USEC_PER_SEC);
	g_assert_cmpuint(pd_prom_store_get_n_series(store), ==, 3);
	/* next cycle starts at 20 s: only "a" is seen again */
	add_sample(store, batch, "cpu", "ns", "a", NULL, 4, 21 * G_USEC_PER_SEC);
	g_assert_cmpuint(pd_prom_store_expire(store, meters, 20 * G_USEC_PER_SEC), ==, 1);
	g_assert_cmpuint(pd_prom_store_get_n_series(store), ==, 2);
	text = render_all(store);
	g_assert_null(strstr(text, "resource=\"b\""));
	g_assert_nonnull(strstr(text, "ceilometer_memory{"));
	/* a whole family that goes disappears with its TYPE line */
	g_assert_cmpuint(pd_prom_store_expire(store, NULL, 30 * G_USEC_PER_SEC), ==, 2);
	g_clear_pointer(&text, g_free);
	text = render_all(store);
	g_assert_cmpstr(text, ==, "");
}

static void
collect_cb(GString *out, PdPromFormat format, gpointer user_data)
{
	g_string_append(out, "# TYPE polld_up gauge\npolld_up 1\n");
}

static gchar *
fetch(const gchar *uri, const gchar *accept, gchar **content_type)
{
	g_autoptr(GError) error = NULL;
	gchar *text = pd_test_http_get(uri, NULL, accept, content_type, &error);

	g_assert_no_error(error);
	return text;
}

static void
test_prom_server(void)
{
	g_autoptr(PdPromStore) store = pd_prom_store_new();
	g_autoptr(PdSampleBatch) batch = pd_sample_batch_new();
	g_autoptr(PdPromServer) server = pd_prom_server_new(store, collect_cb, NULL);
	const gchar *addrs[] = { "127.0.0.1:0", "[::1]:0", NULL };
	g_autoptr(GError) error = NULL;
	GSList *uris;
	guint n = 0;

	for (guint i = 0; i < 300; i++) {
		g_autofree gchar *rid = g_strdup_printf("r%03u", i);
		g_autofree gchar *meter = g_strdup_printf("m%u.x", i % 7);
		add_sample(store, batch, meter, "B", rid, NULL, i, 1);
	}
	g_assert_true(pd_prom_server_listen(server, addrs, NULL, NULL, &error));
	g_assert_no_error(error);
	uris = pd_prom_server_get_uris(server);
	g_assert_cmpuint(g_slist_length(uris), ==, 2);
	for (GSList *l = uris; l != NULL; l = l->next) {
		g_autofree gchar *base = g_uri_to_string(l->data);
		g_autofree gchar *uri = g_strconcat(base, "metrics", NULL);
		g_autofree gchar *ctype = NULL;
		g_autofree gchar *om_ctype = NULL;
		g_autofree gchar *text = fetch(uri, NULL, &ctype);
		g_autofree gchar *om =
		  fetch(uri, "application/openmetrics-text; version=1.0.0", &om_ctype);
		g_autofree gchar *local = render_all(store);

		g_assert_cmpstr(ctype, ==, "text/plain");
		g_assert_cmpstr(om_ctype, ==, "application/openmetrics-text");
		g_assert_true(g_str_has_prefix(text, local));
		g_assert_true(g_str_has_suffix(text, "polld_up 1\n"));
		g_assert_true(g_str_has_suffix(om, "polld_up 1\n# EOF\n"));
		n++;
	}
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpuint(pd_prom_server_get_scrapes(server), ==, 4);
}

static void
test_prom_bad_address(void)
{
	const gchar *bad[] = {
		"9101", "::1:9101", "127.0.0.1:70000", "host.example:x", "[::1]9101"
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocketAddress) addr = pd_prom_server_parse_address(bad[i], &error);
		g_assert_null(addr);
		g_assert_nonnull(strstr(error->message, bad[i]));
	}
}

/* a module that can't be opened is an error naming the file and why, for
 * the constructor and for a type asked before any object: never an abort */
static void
test_prom_module_missing(void)
{
	if (g_test_subprocess()) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PdPromStore) store = pd_prom_store_new();
		const gchar *addrs[] = { "127.0.0.1:0", NULL };
		PdPromServer *server;

		g_setenv("POLLD_HTTP_MODULE", "/nonexistent/libpolld-http.so", TRUE);
		server = pd_prom_server_new(store, NULL, NULL);
		g_assert_null(server);
		g_assert_false(pd_prom_server_listen(server, addrs, NULL, NULL, &error));
		g_assert_nonnull(strstr(error->message, "/nonexistent/libpolld-http.so"));
		g_assert_nonnull(strstr(error->message, "No such file"));
		g_test_expect_message("PdHttpModule", G_LOG_LEVEL_CRITICAL, "*/nonexistent/*");
		g_assert_cmpuint(PD_TYPE_PROM_SERVER, ==, G_TYPE_INVALID);
		g_test_expect_message("PdHttpModule", G_LOG_LEVEL_CRITICAL, "*/nonexistent/*");
		g_assert_cmpuint(pd_http_module_etcd_client_get_type(), ==, G_TYPE_INVALID);
		g_test_assert_expected_messages();
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
}

typedef struct {
	GMainLoop *loop;
	gchar *text;
} PdReadState;

static void
read_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdReadState *st = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = NULL;
	GOutputStream *sink = G_OUTPUT_STREAM(source);

	g_output_stream_splice_finish(sink, res, &error);
	g_assert_no_error(error);
	bytes = g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(sink));
	st->text = g_bytes_get_size(bytes) == 0
		     ? g_strdup("")
		     : g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	g_main_loop_quit(st->loop);
}

static gchar *
heartbeat_read(const gchar *path)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GOutputStream) sink = g_memory_output_stream_new_resizable();
	PdReadState st = { g_main_loop_new(NULL, FALSE), NULL };

	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &error);
	g_assert_no_error(error);
	/* the server answers from the main loop this test runs */
	g_output_stream_splice_async(sink,
				     g_io_stream_get_input_stream(G_IO_STREAM(conn)),
				     G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
				     G_PRIORITY_DEFAULT,
				     NULL,
				     read_cb,
				     &st);
	g_main_loop_run(st.loop);
	g_main_loop_unref(st.loop);
	return st.text;
}

static void
test_heartbeat(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	const gchar *ns[] = { "compute", "central", NULL };
	g_autofree gchar *path = pd_heartbeat_socket_path(dir, ns);
	g_autofree gchar *base = g_path_get_basename(path);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSink) sink = pd_heartbeat_new(ns);
	PdHeartbeat *hb = PD_HEARTBEAT(sink);
	g_autofree gchar *empty = NULL;
	g_autofree gchar *report = NULL;

	g_assert_cmpstr(base, ==, "ceilometer-central-compute.socket");
	/* a stale socket from an agent that died is replaced */
	g_assert_true(g_file_set_contents(path, "", 0, NULL));
	g_assert_true(pd_heartbeat_listen(hb, path, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(pd_sink_get_state(sink), ==, "listening");
	empty = heartbeat_read(path);
	g_assert_cmpstr(empty, ==, "");
	/* 2026-12-05T10:00:00.250000 and a whole second */
	pd_heartbeat_beat(hb, "cpu", G_GINT64_CONSTANT(1796464800250000));
	pd_heartbeat_beat(hb, "memory.usage", G_GINT64_CONSTANT(1796464801000000));
	pd_heartbeat_beat(hb, "cpu", G_GINT64_CONSTANT(1796464860250000));
	report = heartbeat_read(path);
	g_assert_cmpstr(
	  report, ==, "cpu 2026-12-05T10:01:00.250000\nmemory.usage 2026-12-05T10:00:01");
	pd_sink_stop(sink);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	pd_test_rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/prom/labels", test_prom_labels);
	g_test_add_func("/prom/values", test_prom_values);
	g_test_add_func("/prom/metadata-special", test_prom_metadata_special);
	g_test_add_func("/prom/expire", test_prom_expire);
	g_test_add_func("/prom/server", test_prom_server);
	g_test_add_func("/prom/bad-address", test_prom_bad_address);
	g_test_add_func("/prom/heartbeat", test_heartbeat);
	g_test_add_func("/prom/module-missing", test_prom_module_missing);
	return g_test_run();
}
