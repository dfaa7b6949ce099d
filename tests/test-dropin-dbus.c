/*
 * polldctl as an operator uses it: status (published count, problems by
 * plugin, unsupported options), poll-now's summary and exit status, --json
 * for every command, config, and read-only commands that never start polld
 * through D-Bus activation; polld --session --dry-run serves its bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>

#include "pd-test-util.h"

typedef struct {
	gchar *dir;
	GTestDBus *bus;
	GSubprocess *polld;
	gchar *conf;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	f->dir = pd_test_mkdtemp();
	f->bus = g_test_dbus_new(G_TEST_DBUS_NONE);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	if (f->polld != NULL) {
		g_subprocess_send_signal(f->polld, SIGTERM);
		g_subprocess_wait(f->polld, NULL, NULL);
		g_object_unref(f->polld);
	}
	g_test_dbus_down(f->bus);
	g_object_unref(f->bus);
	pd_test_rmtree(f->dir);
	g_free(f->dir);
	g_free(f->conf);
}

static gchar *
polldctl_path(void)
{
	g_autofree gchar *dir = g_path_get_dirname(g_getenv("POLLD_BINARY"));
	return g_build_filename(dir, "polldctl", NULL);
}

/* runs polldctl on the test bus; returns its exit status */
static gint
polldctl(Fixture *f, gchar **out, gchar **err, const gchar *first, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocess) proc = NULL;
	va_list ap;

	g_ptr_array_add(argv, polldctl_path());
	g_ptr_array_add(argv, g_strdup("--address"));
	g_ptr_array_add(argv, g_strdup(g_test_dbus_get_bus_address(f->bus)));
	va_start(ap, first);
	for (const gchar *a = first; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(argv, g_strdup(a));
	va_end(ap);
	proc = pd_test_communicate(argv, out, err);
	g_test_message("polldctl %s:\n%s%s", first, *out, *err);
	return g_subprocess_get_exit_status(proc);
}

static gboolean
name_owned_cb(gpointer data)
{
	Fixture *f = data;
	g_autoptr(GDBusConnection) conn = NULL;
	g_autoptr(GVariant) reply = NULL;
	gboolean owned = FALSE;

	conn =
	  g_dbus_connection_new_for_address_sync(g_test_dbus_get_bus_address(f->bus),
						 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
						   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
						 NULL,
						 NULL,
						 NULL);
	if (conn == NULL)
		return FALSE;
	reply = g_dbus_connection_call_sync(conn,
					    "org.freedesktop.DBus",
					    "/org/freedesktop/DBus",
					    "org.freedesktop.DBus",
					    "NameHasOwner",
					    g_variant_new("(s)", "org.polld.Agent1"),
					    G_VARIANT_TYPE("(b)"),
					    G_DBUS_CALL_FLAGS_NONE,
					    -1,
					    NULL,
					    NULL);
	if (reply != NULL)
		g_variant_get(reply, "(b)", &owned);
	return owned;
}

/* polld --session --dry-run on the test bus, with this config */
static void
start_polld(Fixture *f, const gchar *yaml, const gchar *extra)
{
	g_autofree gchar *yaml_path = pd_test_write_file(f->dir, "polling.yaml", yaml);
	g_autofree gchar *text = g_strdup_printf(
	  "[DEFAULT]\nhost = test-host\n[polling]\ncfg_file = %s\n%s", yaml_path, extra);
	g_autoptr(GError) error = NULL;

	f->conf = pd_test_write_file(f->dir, "polld.conf", text);
	g_test_dbus_up(f->bus);
	f->polld = pd_test_spawn_polld(G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
				       &error,
				       "--session",
				       "--dry-run",
				       "--polling-namespaces",
				       "test",
				       "compute",
				       "--config-file",
				       f->conf,
				       NULL);
	g_assert_no_error(error);
	if (!pd_test_wait_for(name_owned_cb, f, 60000))
		g_error("polld --session --dry-run never owned org.polld.Agent1");
}

static const gchar *yaml = "sources:\n  - name: all\n    interval: 3600\n"
			   "    meters: ['test.*', 'hardware.cpu.util']\n";

/* --dry-run used to mean "no bus at all": with --session it serves it */
static void
test_session_dry_run(Fixture *f, gconstpointer data)
{
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	start_polld(f, yaml, "[test]\nresources = 2\n");
	g_assert_cmpint(polldctl(f, &out, &err, "status", NULL), ==, 0);
	g_assert_nonnull(strstr(out, ": running"));
}

/* the start-up cycle is over and all it polled has been delivered */
static gboolean
first_cycle_delivered_cb(gpointer data)
{
	Fixture *f = data;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *stats;

	if (polldctl(f, &out, &err, "--json", "stats", NULL) != 0 ||
	    !json_parser_load_from_data(parser, out, -1, NULL))
		return FALSE;
	stats = json_node_get_object(json_parser_get_root(parser));
	return json_object_get_int_member_with_default(stats, "cycles", 0) >= 1 &&
	       json_object_get_int_member_with_default(stats, "samples_delivered", -1) ==
		 json_object_get_int_member_with_default(stats, "samples_polled", -2);
}

static void
test_status(Fixture *f, gconstpointer data)
{
	g_autofree gchar *marker = g_build_filename(f->dir, "not-ready", NULL);
	g_autofree gchar *extra = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	const gchar *totals;
	guint64 polled = 0, published = 0;

	/* the test plugin waits for a service; the libvirt plugin runs but no
	 * source selects its pollsters: that is no problem */
	g_assert_true(g_file_set_contents(marker, "", -1, NULL));
	extra = g_strdup_printf("threads_to_process_pollsters = 2\n"
				"[test]\nnot_ready = %s\n"
				"[compute]\nlibvirt_uri = test:///default\n",
				marker);
	start_polld(f, yaml, extra);
	/* "published" is what the publisher delivered while the call ran: the
	 * start-up cycle's samples must not still be on their way */
	g_assert_true(pd_test_wait_for(first_cycle_delivered_cb, f, 60000));
	g_assert_cmpint(polldctl(f, &out, &err, "poll-now", NULL), ==, 0);
	g_assert_cmpint(sscanf(out,
			       "Polled %" G_GUINT64_FORMAT " samples in 1 tasks, %" G_GUINT64_FORMAT
			       " published, 0 pollster errors",
			       &polled,
			       &published),
			==,
			2);
	g_assert_cmpuint(polled, >, 0);
	g_assert_cmpuint(published, ==, polled);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);

	g_assert_cmpint(polldctl(f, &out, &err, "status", NULL), ==, 0);
	/* published is the publisher's count, whichever publisher */
	totals = strstr(out, "Totals:");
	g_assert_nonnull(totals);
	g_assert_cmpint(sscanf(totals,
			       "Totals: 2 cycles, %" G_GUINT64_FORMAT
			       " samples polled, %" G_GUINT64_FORMAT " published",
			       &polled,
			       &published),
			==,
			2);
	g_assert_cmpuint(polled, >, 0);
	g_assert_cmpuint(published, ==, polled);
	/* one line for the plugin, none per pollster */
	g_assert_nonnull(strstr(out, "✗ plugin test: "));
	g_assert_nonnull(strstr(out, "(3 selected pollsters not polling)"));
	g_assert_null(strstr(out, "✗ test.gauge"));
	g_assert_null(strstr(out, "selected by no source"));
	g_assert_null(strstr(out, "plugin compute-libvirt:"));
	g_assert_nonnull(strstr(
	  out, "✗ [polling] threads_to_process_pollsters: not supported by polld yet; ignored"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
}

/* every pollster failed: non-zero */
static void
test_poll_now_nothing(Fixture *f, gconstpointer data)
{
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	start_polld(f,
		    "sources:\n  - name: all\n    interval: 3600\n    meters: ['test.*']\n",
		    "[test]\nfail = true\n");
	g_assert_cmpint(polldctl(f, &out, &err, "poll-now", NULL), ==, 1);
	g_assert_nonnull(
	  strstr(out, "Polled 0 samples in 1 tasks, 0 published, 3 pollster errors"));
	g_assert_nonnull(strstr(err, "Every pollster failed"));
}

static void
assert_json(const gchar *command, const gchar *out)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	if (!json_parser_load_from_data(parser, out, -1, &error))
		g_error(
		  "polldctl --json %s printed no JSON (%s): '%s'", command, error->message, out);
	g_assert_nonnull(json_parser_get_root(parser));
}

static void
test_json(Fixture *f, gconstpointer data)
{
	const gchar *const commands[] = { "status",   "pollsters", "tasks",  "stats",  "config",
					  "poll-now", "pause",	   "resume", "reload", NULL };

	start_polld(f, yaml, "[test]\nresources = 2\n[publisher]\ntelemetry_secret = hush\n");
	for (guint i = 0; commands[i] != NULL; i++) {
		g_autofree gchar *out = NULL;
		g_autofree gchar *err = NULL;
		g_assert_cmpint(polldctl(f, &out, &err, "--json", commands[i], NULL), ==, 0);
		assert_json(commands[i], out);
		if (g_strcmp0(commands[i], "poll-now") == 0)
			g_assert_nonnull(strstr(out, "\"samples\" : "));
	}
}

static void
test_config(Fixture *f, gconstpointer data)
{
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *line = NULL;

	start_polld(f,
		    yaml,
		    "[DEFAULT]\ntransport_url = rabbit://ceilometer:s3cr3t@broker:5672/\n"
		    "[publisher]\ntelemetry_secret = hush\n"
		    "[oslo_messaging_rabbit]\nkombu_reconnect_delay = 2\n");
	g_assert_cmpint(polldctl(f, &out, &err, "config", NULL), ==, 0);
	g_assert_null(strstr(out, "hush"));
	g_assert_null(strstr(out, "s3cr3t"));
	/* "telemetry_secret =  ***  # <file>", in columns */
	line = g_strndup(strstr(out, "telemetry_secret ="),
			 strcspn(strstr(out, "telemetry_secret ="), "\n"));
	g_assert_nonnull(strstr(line, " *** "));
	g_assert_true(g_str_has_suffix(line, f->conf));
	g_assert_nonnull(strstr(out, "rabbit://ceilometer:***@broker:5672/"));
	g_assert_nonnull(strstr(out, "batch_size ="));
	g_assert_nonnull(strstr(out, "# default"));
	g_assert_nonnull(strstr(out, "(unsupported)"));
	g_assert_nonnull(strstr(out, "[oslo_messaging_rabbit]"));
}

/* status must not start a stopped agent; a control command may */
static void
test_no_auto_start(Fixture *f, gconstpointer data)
{
	g_autofree gchar *services = g_build_filename(f->dir, "services", NULL);
	g_autofree gchar *started = g_build_filename(f->dir, "started", NULL);
	g_autofree gchar *service = NULL;
	g_autofree gchar *file = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	g_assert_cmpint(g_mkdir_with_parents(services, 0755), ==, 0);
	service = g_strdup_printf("[D-BUS Service]\nName=org.polld.Agent1\n"
				  "Exec=/usr/bin/touch %s\n",
				  started);
	file = pd_test_write_file(services, "org.polld.Agent1.service", service);
	g_test_dbus_add_service_dir(f->bus, services);
	g_test_dbus_up(f->bus);

	for (guint i = 0; i < 4; i++) {
		const gchar *const read_only[] = { "status", "pollsters", "stats", "config" };
		g_clear_pointer(&out, g_free);
		g_clear_pointer(&err, g_free);
		g_assert_cmpint(polldctl(f, &out, &err, read_only[i], NULL), ==, 3);
		g_assert_false(g_file_test(started, G_FILE_TEST_EXISTS));
	}
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	/* the activated "agent" exits without taking the name: the call fails,
	 * but the bus did start it */
	g_assert_cmpint(polldctl(f, &out, &err, "pause", NULL), !=, 0);
	g_assert_true(g_file_test(started, G_FILE_TEST_EXISTS));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/dropin-dbus/session-dry-run",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_session_dry_run,
		   fixture_tear_down);
	g_test_add(
	  "/dropin-dbus/status", Fixture, NULL, fixture_set_up, test_status, fixture_tear_down);
	g_test_add(
	  "/dropin-dbus/json", Fixture, NULL, fixture_set_up, test_json, fixture_tear_down);
	g_test_add(
	  "/dropin-dbus/config", Fixture, NULL, fixture_set_up, test_config, fixture_tear_down);
	g_test_add("/dropin-dbus/poll-now-nothing",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_poll_now_nothing,
		   fixture_tear_down);
	g_test_add("/dropin-dbus/no-auto-start",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_no_auto_start,
		   fixture_tear_down);
	return g_test_run();
}
