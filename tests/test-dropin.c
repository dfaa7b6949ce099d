/*
 * polld in ceilometer-polling's place: its command line and logging
 * flags, the log file, meters with no pollster, namespaces and --once
 * exit codes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>

#include "pd-test-util.h"

#define TEST_YAML "sources:\n  - name: all\n    interval: 60\n    meters: ['test.*']\n"

typedef struct {
	gchar *dir;
	gchar *conf;
	gchar *log;
} PdFixture;

static void
pd_fixture_write(PdFixture *fx, const gchar *yaml, const gchar *extra)
{
	g_autofree gchar *yaml_path = pd_test_write_file(fx->dir, "polling.yaml", yaml);
	g_autofree gchar *conf = g_strdup_printf(
	  "[DEFAULT]\nhost = test-host\n[polling]\ncfg_file = %s\n[test]\nresources = 2\n%s",
	  yaml_path,
	  extra != NULL ? extra : "");

	g_free(fx->conf);
	fx->conf = pd_test_write_file(fx->dir, "ceilometer.conf", conf);
}

static void
pd_fixture_init(PdFixture *fx, gconstpointer data)
{
	fx->dir = pd_test_mkdtemp();
	fx->log = g_build_filename(fx->dir, "ceilometer-polling.log", NULL);
	pd_fixture_write(fx, TEST_YAML, NULL);
}

static void
pd_fixture_fini(PdFixture *fx, gconstpointer data)
{
	pd_test_rmtree(fx->dir);
	g_free(fx->dir);
	g_free(fx->conf);
	g_free(fx->log);
}

static gchar *
pd_read(const gchar *path)
{
	gchar *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

static guint
pd_count(const gchar *haystack, const gchar *needle)
{
	guint n = 0;
	for (const gchar *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* --once --dry-run with the test plugin and these extra arguments */
static gchar *
pd_run_once(PdFixture *fx, gint *status, gchar **err, const gchar *first, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autofree gchar *config_arg = g_strdup_printf("--config-file=%s", fx->conf);
	va_list ap;

	g_ptr_array_add(args, "--once");
	g_ptr_array_add(args, "--dry-run");
	g_ptr_array_add(args, config_arg);
	va_start(ap, first);
	for (const gchar *a = first; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	return pd_test_run_polld(status, err, (const gchar *const *)args->pdata);
}

/* every line: "YYYY-MM-DD HH:MM:SS.mmm PID LEVEL polld.Domain [-] text" */
static void
pd_assert_log_format(const gchar *log)
{
	g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
	g_autoptr(GRegex) re =
	  g_regex_new("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\d+ "
		      "(DEBUG|INFO|WARNING|ERROR|CRITICAL) polld(\\.\\w+(-[\\w-]+)?)? \\[-\\] .+$",
		      0,
		      0,
		      NULL);

	g_assert_nonnull(re);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i + 1] == NULL && lines[i][0] == '\0')
			break; /* the tail after the last newline */
		if (!g_regex_match(re, lines[i], 0, NULL))
			g_error("log line %u is not dated or not in oslo's format: '%s'",
				i + 1,
				lines[i]);
	}
}

/* Debian's service line: --config-file=FILE --log-file=FILE */
static void
test_dropin_service_line(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *log_arg = g_strdup_printf("--log-file=%s", fx->log);
	g_autofree gchar *err = NULL;
	gint status;
	g_autofree gchar *out =
	  pd_run_once(fx, &status, &err, log_arg, "--polling-namespaces", "test", NULL);
	g_autofree gchar *log = pd_read(fx->log);

	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(log, "polld " PACKAGE_VERSION " starting: config "));
	g_assert_nonnull(strstr(log,
				"pollsters selected: test 3; tasks 60 s (3 pollsters); "
				"publishing to stdout"));
	g_assert_cmpuint(
	  pd_count(log, "task every 60s: cycle 1 polled 6 samples, 0 errors"), ==, 1);
	pd_assert_log_format(log);
	/* a log file given, nothing but the --once summary goes to stderr */
	g_assert_true(g_str_has_prefix(err,
				       "polld: once: ok: 1 tasks, 6 samples polled, 6 "
				       "published, 0 pollster errors"));
	g_assert_cmpuint(pd_count(err, "\n"), ==, 1);
}

/* every flag oslo.config and oslo.log give ceilometer-polling */
static void
test_dropin_log_flags(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *logdir_arg = g_strdup_printf("--log-dir=%s", fx->dir);
	const gchar *const sets[][6] = {
		{ "--debug", "--nodebug", "--watch-log-file", "--nowatch-log-file", NULL },
		{ "-d",
		  "--use-syslog",
		  "--syslog-log-facility",
		  "LOG_LOCAL0",
		  "--nouse-syslog",
		  NULL },
		{ "--use-journal",
		  "--nouse-journal",
		  "--log-date-format",
		  "%Y-%m-%dT%H:%M:%S",
		  NULL },
		{ "--logfile", "rel.log", "--log-date-format=%d/%m/%Y %H:%M:%S", NULL },
		{ "--use-json", "--nouse-json", NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS(sets); i++) {
		g_autofree gchar *err = NULL;
		g_autofree gchar *out = NULL;
		gint status;
		out = pd_run_once(fx,
				  &status,
				  &err,
				  "--polling-namespaces",
				  "test",
				  logdir_arg,
				  sets[i][0],
				  sets[i][1],
				  sets[i][2],
				  sets[i][3],
				  sets[i][4],
				  NULL);
		g_assert_cmpint(status, ==, 0);
	}
	/* --log-dir with a relative --logfile: the file is in the directory,
	 * with the date format asked for */
	{
		g_autofree gchar *path = g_build_filename(fx->dir, "rel.log", NULL);
		g_autofree gchar *log = pd_read(path);
		g_autoptr(GRegex) re =
		  g_regex_new("^\\d\\d/\\d\\d/\\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{3} ",
			      G_REGEX_MULTILINE,
			      0,
			      NULL);
		g_assert_true(g_regex_match(re, log, 0, NULL));
		g_assert_nonnull(strstr(log, "starting"));
	}
}

static void
test_dropin_debug_level(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *log_arg = g_strdup_printf("--log-file=%s", fx->log);
	g_autofree gchar *log = NULL;
	gint status;

	pd_fixture_write(fx, TEST_YAML, "[publisher]\ntelemetry_secret = hush\n");
	g_free(pd_run_once(fx, &status, NULL, log_arg, "--polling-namespaces", "test", "-d", NULL));
	g_assert_cmpint(status, ==, 0);
	log = pd_read(fx->log);
	/* log_options: the effective options at debug level, secrets hidden */
	g_assert_nonnull(
	  strstr(log, " DEBUG polld.Pd [-] option [publisher] telemetry_secret = ***"));
	g_assert_null(strstr(log, "hush"));
	g_assert_nonnull(strstr(log,
				" DEBUG polld.Pd [-] option [DEFAULT] debug = true "
				"(command line)"));
	pd_assert_log_format(log);
}

static void
test_dropin_log_config_refused(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *err = NULL;
	gint status;
	g_autofree gchar *out = pd_run_once(
	  fx, &status, &err, "--log-config-append", "/etc/ceilometer/logging.conf", NULL);

	g_assert_cmpint(status, ==, 2);
	g_assert_nonnull(strstr(err,
				"log_config_append = /etc/ceilometer/logging.conf: polld "
				"cannot read Python logging configuration files; use "
				"--log-file"));
	g_assert_cmpstr(out, ==, "");
}

typedef struct {
	const gchar *path;
	const gchar *needle;
	guint count;
} PdLogWait;

static gboolean
pd_log_has_cb(gpointer data)
{
	PdLogWait *w = data;
	g_autofree gchar *log = pd_read(w->path);
	return pd_count(log, w->needle) >= w->count;
}

static void
pd_wait_log(const gchar *path, const gchar *needle, guint count)
{
	PdLogWait w = { path, needle, count };
	if (!pd_test_wait_for(pd_log_has_cb, &w, 60000))
		g_error("%s never showed '%s' %u times", path, needle, count);
}

static ino_t
pd_inode(const gchar *path)
{
	struct stat st;
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	return st.st_ino;
}

/* logrotate moves the file: the next line goes to a new one; SIGHUP opens
 * it again too; nothing is ever truncated */
static void
test_dropin_log_rotate(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *log_arg = g_strdup_printf("--log-file=%s", fx->log);
	g_autofree gchar *config_arg = g_strdup_printf("--config-file=%s", fx->conf);
	g_autofree gchar *rotated = g_strconcat(fx->log, ".1", NULL);
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *old = NULL;
	g_autofree gchar *fresh = NULL;
	ino_t first;

	pd_fixture_write(
	  fx, "sources:\n  - name: all\n    interval: 1\n    meters: ['test.*']\n", NULL);
	/* a line already there stays */
	g_assert_true(g_file_set_contents(fx->log, "kept from before\n", -1, NULL));
	proc = pd_test_spawn_polld(G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
				   &error,
				   "--dry-run",
				   "--polling-namespaces",
				   "test",
				   config_arg,
				   log_arg,
				   NULL);
	g_assert_no_error(error);
	pd_wait_log(fx->log, "cycle 1 polled", 1);
	first = pd_inode(fx->log);
	g_assert_cmpint(g_rename(fx->log, rotated), ==, 0);
	pd_wait_log(fx->log, "polled 6 samples", 1);
	g_assert_cmpuint(pd_inode(fx->log), !=, first);

	g_subprocess_send_signal(proc, SIGHUP);
	pd_wait_log(fx->log, "configuration reloaded", 1);
	g_subprocess_send_signal(proc, SIGTERM);
	g_subprocess_wait_check(proc, NULL, &error);
	g_assert_no_error(error);

	old = pd_read(rotated);
	fresh = pd_read(fx->log);
	g_assert_true(g_str_has_prefix(old, "kept from before\n"));
	g_assert_nonnull(strstr(old, "starting"));
	g_assert_null(strstr(fresh, "starting"));
	g_assert_nonnull(strstr(fresh, "stopping"));
	pd_assert_log_format(fresh);
}

static void
test_dropin_unmatched(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *err = NULL;
	gint status;
	g_autofree gchar *out = NULL;
	g_autofree gchar *yaml_path = g_build_filename(fx->dir, "polling.yaml", NULL);
	g_autofree gchar *w1 = NULL;
	g_autofree gchar *w2 = NULL;

	pd_fixture_write(fx,
			 "sources:\n"
			 "  - name: all\n"
			 "    interval: 60\n"
			 "    meters:\n"
			 "      - test.gauge\n"
			 "      - no.such.meter\n"
			 "  - name: other\n"
			 "    interval: 60\n"
			 "    meters: ['test.cum*', 'nothing.*']\n",
			 NULL);
	out = pd_run_once(fx, &status, &err, "--polling-namespaces", "test", NULL);
	g_assert_cmpint(status, ==, 0);
	w1 = g_strdup_printf("%s:6: meter 'no.such.meter' of source 'all' matches no pollster "
			     "polld has; ignored",
			     yaml_path);
	w2 = g_strdup_printf("%s:9: meter 'nothing.*' of source 'other' matches no pollster",
			     yaml_path);
	g_assert_cmpuint(pd_count(err, w1), ==, 1);
	g_assert_cmpuint(pd_count(err, w2), ==, 1);
	g_assert_cmpuint(pd_count(err, "matches no pollster"), ==, 2);
}

/* both namespaces in the start line; a plugin of another namespace is not
 * started (the compute plugin never tries libvirt) */
static void
test_dropin_namespaces(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *err = NULL;
	gint status;
	g_autofree gchar *out = NULL;

	pd_fixture_write(fx,
			 "sources:\n  - name: all\n    interval: 60\n"
			 "    meters: ['test.*', 'hardware.cpu.util']\n",
			 "[compute]\nlibvirt_uri = test:///nowhere\n");
	out = pd_run_once(fx, &status, &err, "-v", "--polling-namespaces", "test", "central", NULL);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(err, "pollsters selected: test 3, central "));
	g_assert_nonnull(strstr(err, "for namespaces test central"));
	g_assert_nonnull(
	  strstr(err, "plugin compute-libvirt: none of its pollsters is selected, not started"));
	g_assert_null(strstr(err, "libvirt at"));
	g_assert_null(strstr(err, "nowhere"));
}

static void
test_dropin_once_exit(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *err = NULL;
	gint status;

	/* one plugin fails, the other polls: 3 */
	pd_fixture_write(fx,
			 "sources:\n  - name: all\n    interval: 60\n"
			 "    meters: ['test.gauge', 'hardware.cpu.util']\n",
			 "fail = true\n");
	g_free(pd_run_once(fx, &status, &err, "--polling-namespaces", "test", "compute", NULL));
	g_assert_cmpint(status, ==, 3);
	g_assert_true(g_str_has_prefix(strstr(err, "polld: once: "),
				       "polld: once: some pollsters failed: 1 tasks, 1 samples "
				       "polled, 1 published, 1 pollster errors"));
	g_clear_pointer(&err, g_free);

	/* every pollster failed: 4 */
	pd_fixture_write(fx, TEST_YAML, "fail = true\n");
	g_free(pd_run_once(fx, &status, &err, "--polling-namespaces", "test", NULL));
	g_assert_cmpint(status, ==, 4);
	g_assert_nonnull(strstr(err, "polld: once: nothing polled: 1 tasks, 0 samples polled"));
	g_clear_pointer(&err, g_free);

	/* nothing selected: 4 too */
	pd_fixture_write(fx, TEST_YAML, NULL);
	g_free(pd_run_once(fx, &status, &err, "--polling-namespaces", "central", NULL));
	g_assert_cmpint(status, ==, 4);
	g_assert_nonnull(strstr(err, ": 0 tasks, 0 samples polled, 0 published"));
}

#define ADD(path, func) g_test_add(path, PdFixture, NULL, pd_fixture_init, func, pd_fixture_fini)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD("/dropin/service-line", test_dropin_service_line);
	ADD("/dropin/log-flags", test_dropin_log_flags);
	ADD("/dropin/debug-level", test_dropin_debug_level);
	ADD("/dropin/log-config-refused", test_dropin_log_config_refused);
	ADD("/dropin/log-rotate", test_dropin_log_rotate);
	ADD("/dropin/unmatched", test_dropin_unmatched);
	ADD("/dropin/namespaces", test_dropin_namespaces);
	ADD("/dropin/once-exit", test_dropin_once_exit);
	return g_test_run();
}
