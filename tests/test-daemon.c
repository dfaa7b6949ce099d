/*
 * the real polld binary with the test plugin: --once, config errors,
 * namespaces and pollster globs, SIGTERM during a cycle
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "pd-test-signature.h"
#include "pd-test-util.h"

typedef struct {
	gchar *dir;
	gchar *conf;
	gchar *yaml;
} PdFixture;

static void
pd_fixture_write(PdFixture *fx, const gchar *yaml, const gchar *extra)
{
	g_autofree gchar *conf = NULL;

	g_free(fx->yaml);
	g_free(fx->conf);
	fx->yaml = pd_test_write_file(fx->dir, "polling.yaml", yaml);
	conf = g_strdup_printf("[DEFAULT]\nhost = test-host\n[polling]\ncfg_file = %s\n"
			       "[publisher]\ntelemetry_secret = s3cret\n%s",
			       fx->yaml,
			       extra != NULL ? extra : "");
	fx->conf = pd_test_write_file(fx->dir, "polld.conf", conf);
}

static void
pd_fixture_init(PdFixture *fx, gconstpointer data)
{
	fx->dir = pd_test_mkdtemp();
	pd_fixture_write(fx,
			 "sources:\n  - name: all\n    interval: 60\n    meters: ['test.*']\n",
			 "[test]\nresources = 4\nsamples = 2\n");
}

static void
pd_fixture_fini(PdFixture *fx, gconstpointer data)
{
	pd_test_rmtree(fx->dir);
	g_free(fx->dir);
	g_free(fx->conf);
	g_free(fx->yaml);
}

static guint
pd_count_meter(GPtrArray *samples, const gchar *name)
{
	guint n = 0;
	for (guint i = 0; i < samples->len; i++) {
		JsonObject *s = g_ptr_array_index(samples, i);
		if (g_strcmp0(json_object_get_string_member(s, "counter_name"), name) == 0)
			n++;
	}
	return n;
}

static void
test_daemon_once(PdFixture *fx, gconstpointer data)
{
	const gchar *args[] = { "--once", "--dry-run",	   "--polling-namespaces",
				"test",	  "--config-file", fx->conf,
				NULL };
	gint status;
	g_autofree gchar *out = pd_test_run_polld(&status, NULL, args);
	g_autoptr(GPtrArray) samples = pd_test_collect_samples(out);
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

	g_assert_cmpint(status, ==, 0);
	/* 3 pollsters x 4 resources x 2 samples, each pollster one message */
	g_assert_cmpuint(samples->len, ==, 24);
	g_assert_cmpuint(g_strv_length(lines), ==, 4); /* 3 lines + the empty tail */
	g_assert_cmpuint(pd_count_meter(samples, "test.gauge"), ==, 8);
	g_assert_cmpuint(pd_count_meter(samples, "test.cumulative"), ==, 8);
	for (guint i = 0; i < samples->len; i++) {
		JsonObject *s = g_ptr_array_index(samples, i);
		g_assert_true(pd_test_signature_verify_json("s3cret", s));
		g_assert_cmpstr(json_object_get_string_member(s, "source"), ==, "openstack");
		g_assert_true(
		  g_str_has_prefix(json_object_get_string_member(s, "resource_id"), "test-"));
	}
	/* every line is a whole envelope */
	for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonObject) msg = pd_test_parse_message(lines[i], &error);
		g_assert_no_error(error);
		g_assert_cmpstr(
		  json_object_get_string_member(msg, "publisher_id"), ==, "ceilometer.polling");
		g_assert_cmpstr(
		  json_object_get_string_member(msg, "event_type"), ==, "telemetry.polling");
		g_assert_cmpstr(json_object_get_string_member(msg, "priority"), ==, "SAMPLE");
	}
}

static void
test_daemon_pollster_list(PdFixture *fx, gconstpointer data)
{
	/* Ceilometer's CLI form: values after the option, space separated */
	const gchar *args[] = { "--once",
				"--dry-run",
				"--polling-namespaces",
				"test",
				"compute",
				"--pollster-list",
				"test.g*",
				"test.delta",
				"--plugin-dir",
				g_getenv("POLLD_PLUGIN_DIR"),
				"--config-file",
				fx->conf,
				NULL };
	gint status;
	g_autofree gchar *out = pd_test_run_polld(&status, NULL, args);
	g_autoptr(GPtrArray) samples = pd_test_collect_samples(out);

	g_assert_cmpint(status, ==, 0);
	g_assert_cmpuint(pd_count_meter(samples, "test.gauge"), ==, 8);
	g_assert_cmpuint(pd_count_meter(samples, "test.delta"), ==, 8);
	g_assert_cmpuint(pd_count_meter(samples, "test.cumulative"), ==, 0);
}

static void
test_daemon_bad_polling(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *err = NULL;
	g_autofree gchar *expect = NULL;
	g_autofree gchar *out = NULL;
	gint status;

	pd_fixture_write(
	  fx, "sources:\n  - name: all\n    interval: -5\n    meters: ['test.*']\n", NULL);
	{
		const gchar *args[] = { "--once", "--dry-run",	   "--polling-namespaces",
					"test",	  "--config-file", fx->conf,
					NULL };
		out = pd_test_run_polld(&status, &err, args);
	}
	g_assert_cmpint(status, !=, 0);
	g_assert_cmpstr(out, ==, "");
	expect = g_strdup_printf("%s:3:15:", fx->yaml);
	g_assert_nonnull(strstr(err, expect));
}

static void
test_daemon_bad_config(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *conf = pd_test_write_file(
	  fx->dir, "bad.conf", "[DEFAULT]\nhost = a\n\n  this is not an option\n");
	const gchar *args[] = { "--once", "--dry-run",	   "--polling-namespaces",
				"test",	  "--config-file", conf,
				NULL };
	g_autofree gchar *err = NULL;
	g_autofree gchar *expect = g_strdup_printf("%s:4:3:", conf);
	g_autofree gchar *out = NULL;
	gint status;

	out = pd_test_run_polld(&status, &err, args);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, expect));
}

/* [coordination] stale_action other than keep or poll_all stops polld at
 * start, backend_url or not (a reload refuses it: test-dbus-reload.c) */
static void
test_daemon_bad_stale_action(PdFixture *fx, gconstpointer data)
{
	const gchar *args[] = { "--once", "--dry-run",	   "--polling-namespaces",
				"test",	  "--config-file", NULL,
				NULL };
	g_autofree gchar *err = NULL;
	g_autofree gchar *expect = NULL;
	g_autofree gchar *out = NULL;
	gint status;

	pd_fixture_write(fx,
			 "sources:\n  - name: all\n    interval: 60\n    meters: ['test.*']\n",
			 "[coordination]\nstale_action = sometimes\n");
	args[5] = fx->conf;
	out = pd_test_run_polld(&status, &err, args);
	g_assert_cmpint(status, !=, 0);
	g_assert_cmpstr(out, ==, "");
	expect = g_strdup_printf(
	  "%s:8: [coordination] stale_action = 'sometimes': want keep or poll_all", fx->conf);
	if (strstr(err, expect) == NULL)
		g_error("no '%s' in \"%s\"", expect, err);
}

static void
test_daemon_config_dir(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *confdir = g_build_filename(fx->dir, "conf.d", NULL);
	g_autofree gchar *first = NULL;
	g_autofree gchar *second = NULL;
	g_autofree gchar *body = g_strdup_printf(
	  "[polling]\ncfg_file = %s\n[test]\nresources = 1\nsamples = 1\n", fx->yaml);
	const gchar *args[] = { "--once", "--dry-run",	  "--polling-namespaces",
				"test",	  "--config-dir", confdir,
				NULL };
	g_autofree gchar *out = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	gint status;

	g_assert_cmpint(g_mkdir(confdir, 0700), ==, 0);
	first = pd_test_write_file(confdir, "10-base.conf", body);
	/* later files win */
	second = pd_test_write_file(confdir, "20-more.conf", "[test]\nresources = 5\n");
	out = pd_test_run_polld(&status, NULL, args);
	samples = pd_test_collect_samples(out);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpuint(samples->len, ==, 15);
}

static void
test_daemon_no_plugins(PdFixture *fx, gconstpointer data)
{
	const gchar *args[] = { "--once", "--dry-run", "--plugin-dir", fx->dir, "--config-file",
				fx->conf, NULL };
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;
	gint status;

	out = pd_test_run_polld(&status, &err, args);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, "no plugin could be loaded"));
}

static void
pd_file_changed_cb(GFileMonitor *m, GFile *file, GFile *other, GFileMonitorEvent ev, gpointer data)
{
	g_autofree gchar *base = g_file_get_basename(file);
	if (g_strcmp0(base, "entered") == 0 && ev == G_FILE_MONITOR_EVENT_CREATED)
		*(gboolean *)data = TRUE;
}

static gboolean
pd_flag_set(gpointer data)
{
	return *(gboolean *)data;
}

static void
test_daemon_sigterm_mid_cycle(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *hang = pd_test_write_file(fx->dir, "hang", "");
	g_autofree gchar *entered = g_build_filename(fx->dir, "entered", NULL);
	g_autofree gchar *extra =
	  g_strdup_printf("[test]\nresources = 3\nsamples = 5\nhang_file = %s\n"
			  "entered_file = %s\n",
			  hang,
			  entered);
	g_autoptr(GFile) dir = g_file_new_for_path(fx->dir);
	g_autoptr(GFileMonitor) monitor = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	g_autofree gchar *out = NULL;
	gboolean in_cycle = FALSE;

	pd_fixture_write(
	  fx, "sources:\n  - name: all\n    interval: 60\n    meters: ['test.*']\n", extra);
	monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_NONE, NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(monitor, "changed", G_CALLBACK(pd_file_changed_cb), &in_cycle);
	/* daemon mode: the first cycle runs at start */
	proc = pd_test_spawn_polld(G_SUBPROCESS_FLAGS_STDOUT_PIPE,
				   &error,
				   "--dry-run",
				   "--polling-namespaces",
				   "test",
				   "--config-file",
				   fx->conf,
				   NULL);
	g_assert_no_error(error);
	g_assert_true(pd_test_wait_for(pd_flag_set, &in_cycle, 30000));

	/* the pollsters hang now: SIGTERM, then release them; every sample of
	 * the cycle must come out before polld exits */
	g_subprocess_send_signal(proc, SIGTERM);
	g_assert_cmpint(g_unlink(hang), ==, 0);
	g_subprocess_communicate_utf8(proc, NULL, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(proc));
	g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
	samples = pd_test_collect_samples(out);
	g_assert_cmpuint(samples->len, ==, 3 * 3 * 5);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, PdFixture, NULL, pd_fixture_init, func, pd_fixture_fini)
	ADD("/daemon/once", test_daemon_once);
	ADD("/daemon/pollster-list", test_daemon_pollster_list);
	ADD("/daemon/bad-polling-yaml", test_daemon_bad_polling);
	ADD("/daemon/bad-config", test_daemon_bad_config);
	ADD("/daemon/bad-stale-action", test_daemon_bad_stale_action);
	ADD("/daemon/config-dir", test_daemon_config_dir);
	ADD("/daemon/no-plugins", test_daemon_no_plugins);
	ADD("/daemon/sigterm-mid-cycle", test_daemon_sigterm_mid_cycle);
	return g_test_run();
}
