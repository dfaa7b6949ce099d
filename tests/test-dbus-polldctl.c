/*
 * polld integration tests on a private bus: polldctl as an operator runs
 * it, a second instance, who may call what (the shipped bus policy and the
 * daemon's own check), sd_notify
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include "pd-test-dbus.h"
#include "pd-test-util.h"

/* --- polldctl --- */

/* runs polldctl (as @user if not NULL) against the test bus */
static gint
polldctl(Fixture *f, const gchar *user, gchar **out, gchar **err, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocess) proc = NULL;
	const gchar *arg;
	va_list args;

	if (user != NULL) {
		struct passwd *pw = getpwnam(user);
		g_assert_nonnull(pw);
		g_ptr_array_add(argv, g_strdup("setpriv"));
		g_ptr_array_add(argv, g_strdup_printf("--reuid=%u", (guint)pw->pw_uid));
		g_ptr_array_add(argv, g_strdup_printf("--regid=%u", (guint)pw->pw_gid));
		g_ptr_array_add(argv, g_strdup("--clear-groups"));
		g_ptr_array_add(argv, g_strdup("--"));
	}
	g_ptr_array_add(argv, pd_test_dbus_build_path("src/polldctl"));
	g_ptr_array_add(argv, g_strdup_printf("--address=%s", f->address));
	va_start(args, err);
	while ((arg = va_arg(args, const gchar *)) != NULL)
		g_ptr_array_add(argv, g_strdup(arg));
	va_end(args);
	proc = pd_test_communicate(argv, out, err);
	g_assert_true(g_subprocess_get_if_exited(proc));
	return g_subprocess_get_exit_status(proc);
}

static void
test_polldctl(Fixture *f, gconstpointer data)
{
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	pd_test_dbus_write_config(
	  f, "resources = 2\npermanent = test-1", pd_test_dbus_default_yaml);
	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "status", NULL), ==, 0);
	g_test_message("%s", out);
	g_assert_nonnull(strstr(out, "polld " PACKAGE_VERSION " on test-host: running"));
	g_assert_nonnull(strstr(out, "Publisher:  connected"));
	/* the sinks' delivered samples, whatever the sink kind */
	g_assert_null(strstr(out, " 0 delivered"));
	g_assert_nonnull(strstr(out, "notifier    connected: "));
	g_assert_nonnull(strstr(out, "every 3600s"));
	g_assert_nonnull(strstr(out, "test.gauge: 1 resources blacklisted"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "--json", "status", NULL), ==, 0);
	json_parser_load_from_data(parser, out, -1, &error);
	g_assert_no_error(error);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "pollsters", NULL), ==, 0);
	g_assert_nonnull(strstr(out, "test.cumulative"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "tasks", NULL), ==, 0);
	g_assert_nonnull(strstr(out, "fast/test.delta"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "stats", NULL), ==, 0);
	g_assert_nonnull(strstr(out, "samples_polled"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "poll-now", "test.gauge", NULL), ==, 0);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "poll-now", "nope", NULL), ==, 6);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "pause", NULL), ==, 0);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "resume", NULL), ==, 0);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "reload", NULL), ==, 0);
	g_assert_nonnull(strstr(out, "generation 2"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_free(pd_test_dbus_write_file(f, "polling.yaml", "sources: [\n"));
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "reload", NULL), ==, 5);
	g_assert_nonnull(strstr(err, "polling.yaml:"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "frobnicate", NULL), ==, 2);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	pd_test_dbus_stop_polld(f);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "status", NULL), ==, 3);
}

/* a second daemon can't take the name and exits without polling */
static void
test_second_instance(Fixture *f, gconstpointer data)
{
	g_autoptr(GSubprocess) second = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	second =
	  pd_test_dbus_spawn_polld(f,
				   BUS_SESSION,
				   G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				   NULL,
				   &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(second, NULL, NULL, &out, &err, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(second), ==, 1);
	g_assert_cmpstr(out, ==, "");
	g_assert_nonnull(strstr(err, "cannot own org.polld.Agent1"));
}

/* --- authorization --- */

static gboolean
can_switch_user(void)
{
	g_autofree gchar *setpriv = NULL;

	if (getuid() != 0 || getpwnam("nobody") == NULL) {
		g_test_skip("needs root to run the client as nobody (setpriv)");
		return FALSE;
	}
	setpriv = g_find_program_in_path("setpriv");
	if (setpriv == NULL) {
		g_test_skip("setpriv not installed");
		return FALSE;
	}
	return TRUE;
}

static void
assert_nobody_denied(Fixture *f, const gchar *expected)
{
	const gchar *const control[] = { "pause", "resume", "reload", "poll-now", NULL };

	for (guint i = 0; control[i] != NULL; i++) {
		g_autofree gchar *out = NULL;
		g_autofree gchar *err = NULL;
		gint rc = polldctl(f, "nobody", &out, &err, control[i], NULL);
		g_test_message("nobody: polldctl %s: %d %s", control[i], rc, err);
		g_assert_cmpint(rc, ==, 4);
		g_assert_nonnull(strstr(err, expected));
	}
}

static void
assert_nobody_reads(Fixture *f)
{
	const gchar *const reads[] = { "status", "pollsters", "tasks", "stats", NULL };

	for (guint i = 0; reads[i] != NULL; i++) {
		g_autofree gchar *out = NULL;
		g_autofree gchar *err = NULL;
		gint rc = polldctl(f, "nobody", &out, &err, reads[i], NULL);
		if (rc != 0)
			g_error("nobody: polldctl %s: %d %s", reads[i], rc, err);
	}
}

/* a permissive bus: the daemon's own uid check refuses */
static void
test_auth_daemon(Fixture *f, gconstpointer data)
{
	g_autofree gchar *expected = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	if (!can_switch_user())
		return;
	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	assert_nobody_reads(f);
	expected = g_strdup_printf("allowed to root only (caller uid %u)",
				   (guint)getpwnam("nobody")->pw_uid);
	assert_nobody_denied(f, expected);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "pause", NULL), ==, 0);
}

/* the shipped policy on a system-like bus: the bus refuses */
static void
test_auth_policy(Fixture *f, gconstpointer data)
{
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	if (!can_switch_user())
		return;
	pd_test_dbus_start_bus(f, BUS_SYSTEM);
	pd_test_dbus_start_polld(f, BUS_SYSTEM);
	assert_nobody_reads(f);
	assert_nobody_denied(f, "Permission denied");
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "pause", NULL), ==, 0);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "poll-now", NULL), ==, 0);
}

/* the delivered count of sink @name */
static guint64
sink_delivered(Fixture *f, const gchar *name)
{
	g_autoptr(GVariant) reply = pd_test_dbus_call_ok(f, "GetStatistics", NULL, "(a{sv})");
	g_autoptr(GVariant) stats = g_variant_get_child_value(reply, 0);
	g_autoptr(GVariant) sinks = g_variant_lookup_value(stats, "sinks", NULL);
	g_autoptr(GVariant) sink = g_variant_lookup_value(sinks, name, NULL);
	guint64 n = 0;

	if (sink != NULL)
		g_variant_lookup(sink, "samples_delivered", "t", &n);
	return n;
}

static gboolean
all_sinks_delivered(Fixture *f)
{
	return sink_delivered(f, "notifier") == 6 && sink_delivered(f, "prometheus") == 6;
}

/* with the exporter on, "published" in the totals is what reached the
 * publisher, not a sum over the sinks that see every sample */
static void
test_polldctl_totals(Fixture *f, gconstpointer data)
{
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *conf =
	  g_strdup_printf("[DEFAULT]\nhost = test-host\npolling_namespaces = test\n"
			  "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
			  "enable_prometheus_exporter = true\n"
			  "prometheus_listen_addresses = 127.0.0.1:0\n"
			  "heartbeat_socket_dir = %s\n[test]\nresources = 2\n",
			  f->tmpdir);

	g_free(f->conf);
	f->conf = pd_test_dbus_write_file(f, "polld.conf", conf);
	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));
	/* the one cycle of the hour, through the publisher and the exporter */
	g_assert_true(pd_test_dbus_wait_for(all_sinks_delivered, f, 10000));
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "status", NULL), ==, 0);
	g_test_message("%s", out);
	g_assert_nonnull(
	  strstr(out, "Totals:     1 cycles, 6 samples polled, 6 published, 0 pollster errors"));
	g_assert_nonnull(strstr(out, "prometheus  listening: 6 received, 6 delivered"));
}

/* --- sd_notify --- */

static gboolean
notify_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	Fixture *f = user_data;
	gchar buf[4096];
	gssize n = g_socket_receive(socket, buf, sizeof(buf) - 1, NULL, NULL);

	if (n <= 0)
		return G_SOURCE_CONTINUE;
	buf[n] = '\0';
	/* READY only once the name is owned */
	if (g_str_has_prefix(buf, "READY=1"))
		f->ready_had_owner = pd_test_dbus_name_owned(f);
	g_ptr_array_add(f->notifications, g_strdup(buf));
	return G_SOURCE_CONTINUE;
}

static guint
count_prefix(Fixture *f, const gchar *prefix)
{
	guint n = 0;
	for (guint i = 0; i < f->notifications->len; i++) {
		const gchar *msg = g_ptr_array_index(f->notifications, i);
		if (g_str_has_prefix(msg, prefix) || strstr(msg, prefix) != NULL)
			n++;
	}
	return n;
}

static gboolean
have_pings(Fixture *f)
{
	return count_prefix(f, "WATCHDOG=1") >= 3 && count_prefix(f, "STATUS=") >= 2;
}

static gboolean
have_stopping(Fixture *f)
{
	return count_prefix(f, "STOPPING=1") >= 1;
}

static void
test_sd_notify(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->tmpdir, "notify", NULL);
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GSource) source = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *first;

	f->notify = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
	g_assert_no_error(error);
	g_socket_bind(f->notify, addr, FALSE, &error);
	g_assert_no_error(error);
	source = g_socket_create_source(f->notify, G_IO_IN, NULL);
	g_source_set_callback(source, (GSourceFunc)(GCallback)notify_cb, f, NULL);
	g_source_attach(source, NULL);

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld_full(f, BUS_SESSION, path);
	g_assert_true(pd_test_dbus_wait_for(have_pings, f, 10000));
	first = g_ptr_array_index(f->notifications, 0);
	g_assert_true(g_str_has_prefix(first, "READY=1\nSTATUS="));
	g_assert_true(f->ready_had_owner);
	g_assert_cmpuint(count_prefix(f, "last cycle every 3600s: 6 samples, 0 errors"), >=, 1);
	pd_test_dbus_stop_polld(f);
	g_assert_true(pd_test_dbus_wait_for(have_stopping, f, 5000));
	g_source_destroy(source);
}

int
main(int argc, char *argv[])
{
	pd_test_dbus_init(&argc, &argv);
	pd_test_dbus_add("/dbus/second-instance", test_second_instance);
	pd_test_dbus_add("/dbus/polldctl", test_polldctl);
	pd_test_dbus_add("/dbus/polldctl-totals", test_polldctl_totals);
	pd_test_dbus_add("/dbus/auth/daemon", test_auth_daemon);
	pd_test_dbus_add("/dbus/auth/policy", test_auth_policy);
	pd_test_dbus_add("/dbus/sd-notify", test_sd_notify);
	return g_test_run();
}
