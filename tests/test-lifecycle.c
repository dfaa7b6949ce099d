/*
 * the real polld binary started and stopped: many times over in the shapes
 * where nothing works (nothing to poll, libvirt absent, broker absent), each
 * exit clean under G_DEBUG=fatal-criticals; numeric options out of their
 * range refused with file:line; a huge reconnect interval still lets
 * SIGTERM stop polld
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "pd-test-util.h"

/* polld processes run at once by the start/stop test */
#define PD_PARALLEL 4

typedef struct {
	gchar *dir;
} PdFixture;

static void
pd_fixture_init(PdFixture *fx, gconstpointer data)
{
	fx->dir = pd_test_mkdtemp();
}

static void
pd_fixture_fini(PdFixture *fx, gconstpointer data)
{
	pd_test_rmtree(fx->dir);
	g_free(fx->dir);
}

/* polld.conf with @yaml as its polling.yaml and @extra appended */
static gchar *
pd_fixture_config(PdFixture *fx, const gchar *yaml, const gchar *extra)
{
	g_autofree gchar *yaml_path = pd_test_write_file(fx->dir, "polling.yaml", yaml);
	g_autofree gchar *text =
	  g_strdup_printf("[DEFAULT]\nhost = test-host\n[polling]\ncfg_file = %s\n"
			  "[publisher]\nspool_dir = %s/spool\n%s",
			  yaml_path,
			  fx->dir,
			  extra);
	return pd_test_write_file(fx->dir, "polld.conf", text);
}

static GSubprocess *
pd_spawn(const gchar *const *args, GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	/* pd_test_spawn_polld() takes a NULL-terminated list: up to 8 here */
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_assert_cmpuint(argv->len, <=, 8);
	for (guint i = argv->len; i < 9; i++)
		g_ptr_array_add(argv, NULL);
	return pd_test_spawn_polld(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
				     G_SUBPROCESS_FLAGS_STDERR_PIPE,
				   error,
				   argv->pdata[0],
				   argv->pdata[1],
				   argv->pdata[2],
				   argv->pdata[3],
				   argv->pdata[4],
				   argv->pdata[5],
				   argv->pdata[6],
				   argv->pdata[7],
				   NULL);
}

/* a clean exit: --once's documented @status for what happened (polld(8)),
 * no CRITICAL (fatal here, so also no signal) */
static void
pd_assert_clean_exit(GSubprocess *proc, const gchar *shape, guint run, gint status)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *err = NULL;

	g_subprocess_communicate_utf8(proc, NULL, NULL, NULL, &err, &error);
	g_assert_no_error(error);
	if (!g_subprocess_get_if_exited(proc) || g_subprocess_get_exit_status(proc) != status ||
	    strstr(err, "CRITICAL") != NULL)
		g_error("%s, run %u: polld did not exit cleanly (%s %d):\n%s",
			shape,
			run,
			g_subprocess_get_if_exited(proc) ? "status" : "signal",
			g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc)
							 : g_subprocess_get_term_sig(proc),
			err);
}

/* @runs times polld --once with @args, PD_PARALLEL at a time */
static void
pd_start_stop(const gchar *shape, const gchar *const *args, guint runs, gint status)
{
	for (guint done = 0; done < runs;) {
		GSubprocess *procs[PD_PARALLEL] = { NULL };
		guint n = MIN(PD_PARALLEL, runs - done);
		for (guint i = 0; i < n; i++) {
			g_autoptr(GError) error = NULL;
			procs[i] = pd_spawn(args, &error);
			g_assert_no_error(error);
		}
		for (guint i = 0; i < n; i++) {
			pd_assert_clean_exit(procs[i], shape, done + i + 1, status);
			g_object_unref(procs[i]);
		}
		done += n;
	}
	g_test_message("%s: %u clean exits", shape, runs);
}

/* under valgrind a run takes seconds: a few prove the same there */
static guint
pd_runs(void)
{
	const gchar *wrapper = g_getenv("POLLD_WRAPPER");
	return wrapper != NULL && wrapper[0] != '\0' ? 3 : 50;
}

static void
test_lifecycle_nothing_to_poll(PdFixture *fx, gconstpointer data)
{
	/* every plugin loads (libvirt absent too), no source matches one:
	 * the compute plugin's background connection attempt used to call
	 * into the plugin after it was finalised, a CRITICAL in ~1 of 6 */
	g_autofree gchar *conf = pd_fixture_config(
	  fx,
	  "sources:\n  - name: x\n    interval: 60\n    meters: [nothing.here]\n",
	  "[compute]\nlibvirt_uri = qemu+unix:///system?socket=/nonexistent/libvirt-sock\n");
	const gchar *args[] = { "--once",  "--dry-run", "--polling-namespaces",
				"central", "compute",	"--config-file",
				conf,	   NULL };

	/* 4: nothing polled */
	pd_start_stop("nothing to poll", args, pd_runs(), 4);
}

static void
test_lifecycle_libvirt_absent(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *conf = pd_fixture_config(
	  fx,
	  "sources:\n  - name: vm\n    interval: 60\n    meters: [cpu, memory.usage]\n",
	  "[compute]\nlibvirt_uri = qemu+unix:///system?socket=/nonexistent/libvirt-sock\n");
	const gchar *args[] = { "--once",  "--dry-run",	    "--polling-namespaces",
				"compute", "--config-file", conf,
				NULL };

	/* 4: nothing polled */
	pd_start_stop("libvirt absent", args, pd_runs(), 4);
}

static void
test_lifecycle_broker_absent(PdFixture *fx, gconstpointer data)
{
	/* port 1 refuses: the samples go to the spool, polld exits */
	g_autofree gchar *conf =
	  pd_fixture_config(fx,
			    "sources:\n  - name: t\n    interval: 60\n    meters: ['test.*']\n",
			    "[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:1/\n");
	const gchar *args[] = { "--once", "--polling-namespaces", "test", "--config-file", conf,
				NULL };

	pd_start_stop("broker absent", args, pd_runs(), 0);
}

/* one row of polld.conf(5)'s NUMERIC OPTIONS table */
typedef struct {
	gchar *section;
	gchar *key;
	gint64 min, max;
} PdRange;

static void
pd_range_free(PdRange *r)
{
	g_free(r->section);
	g_free(r->key);
	g_free(r);
}

/* "86400", "-2^31", "2^31-1", "2^40" */
static gint64
pd_parse_bound(const gchar *text)
{
	gboolean neg = text[0] == '-';
	const gchar *p = neg ? text + 1 : text;
	gint64 v;

	if (g_str_has_prefix(p, "2^")) {
		gchar *end = NULL;
		guint64 shift = g_ascii_strtoull(p + 2, &end, 10);
		g_assert_cmpuint(shift, <, 62);
		v = (gint64)1 << shift;
		if (g_str_equal(end, "-1"))
			v--;
		else
			g_assert_cmpstr(end, ==, "");
	} else {
		g_assert_true(g_ascii_string_to_signed(p, 10, 0, G_MAXINT64, &v, NULL));
	}
	return neg ? -v : v;
}

/* the table's rows: "[section] key<TAB>min to max[ s]<TAB>default" */
static GPtrArray *
pd_read_range_table(void)
{
	g_autofree gchar *path =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "data", "polld.conf.5", NULL);
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)pd_range_free);
	gboolean in_table = FALSE;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	lines = g_strsplit(strstr(text, ".SH NUMERIC OPTIONS"), "\n", -1);
	for (guint i = 0; lines[i] != NULL && !g_str_equal(lines[i], ".TE"); i++) {
		g_auto(GStrv) cols = g_strsplit(lines[i], "\t", -1);
		g_auto(GStrv) bounds = NULL;
		PdRange *r;

		if (g_str_equal(lines[i], ".TS"))
			in_table = TRUE;
		if (!in_table || lines[i][0] != '[')
			continue;
		g_assert_cmpuint(g_strv_length(cols), ==, 3);
		r = g_new0(PdRange, 1);
		r->section = g_strndup(cols[0] + 1, strcspn(cols[0] + 1, "]"));
		r->key = g_strdup(strchr(cols[0], ' ') + 1);
		bounds = g_strsplit(cols[1], " ", -1);
		g_assert_cmpuint(g_strv_length(bounds), >=, 3);
		g_assert_cmpstr(bounds[1], ==, "to");
		r->min = pd_parse_bound(bounds[0]);
		r->max = pd_parse_bound(bounds[2]);
		g_ptr_array_add(rows, r);
	}
	g_assert_cmpuint(rows->len, >, 0);
	return rows;
}

static gboolean
pd_range_documented(GPtrArray *rows, const gchar *section, const gchar *key)
{
	for (guint i = 0; i < rows->len; i++) {
		PdRange *r = g_ptr_array_index(rows, i);
		if (g_str_equal(r->section, section) && g_str_equal(r->key, key))
			return TRUE;
	}
	return FALSE;
}

static void
test_lifecycle_ranges_documented(PdFixture *fx, gconstpointer data)
{
	/* every option data/polld.conf shows with a number has a row in
	 * polld.conf(5)'s range table, so the walk below tries it */
	g_autoptr(GPtrArray) rows = pd_read_range_table();
	g_autofree gchar *path =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "data", "polld.conf", NULL);
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autofree gchar *section = NULL;
	guint numeric = 0;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) kv = NULL;
		gchar *end = NULL;

		if (lines[i][0] == '[') {
			g_free(section);
			section = g_strndup(lines[i] + 1, strcspn(lines[i] + 1, "]"));
			continue;
		}
		if (!g_str_has_prefix(lines[i], "#") || strstr(lines[i], " = ") == NULL ||
		    strchr(lines[i], ' ') < strstr(lines[i], " = "))
			continue;
		kv = g_strsplit(lines[i] + 1, " = ", 2);
		g_ascii_strtod(kv[1], &end);
		if (kv[1][0] == '\0' || end == kv[1] || *end != '\0')
			continue;
		/* a release name, not a number: its values are a list */
		if (g_strcmp0(section, "polld") == 0 && g_strcmp0(kv[0], "ceilometer_compat") == 0)
			continue;
		numeric++;
		if (!pd_range_documented(rows, section, kv[0]))
			g_error("data/polld.conf: [%s] %s = %s has no row in polld.conf(5)'s "
				"NUMERIC OPTIONS",
				section,
				kv[0],
				kv[1]);
	}
	g_assert_cmpuint(numeric, >, 10);
}

typedef struct {
	GSubprocess *proc;
	gchar *conf;
	gchar *value;
	const PdRange *range;
} PdBadRun;

/* polld.conf-<n> holding @value for @r, the last line of the file; the
 * publisher's options need a broker URL and no --dry-run */
static PdBadRun *
pd_bad_run_start(PdFixture *fx, const gchar *yaml, const PdRange *r, const gchar *value, guint n)
{
	gboolean amqp =
	  g_str_equal(r->section, "publisher") || g_str_has_prefix(r->section, "oslo_messaging_");
	g_autofree gchar *name = g_strdup_printf("polld-%u.conf", n);
	g_autofree gchar *text = g_strdup_printf(
	  "[DEFAULT]\nhost = test-host\n%s[polling]\ncfg_file = %s\n[publisher]\nspool_dir = "
	  "%s/spool\n[compute]\nlibvirt_uri = qemu+unix:///system?socket=/nonexistent/sock\n"
	  "[%s]\n%s = %s\n",
	  amqp ? "transport_url = rabbit://guest:guest@127.0.0.1:1/\n" : "",
	  yaml,
	  fx->dir,
	  r->section,
	  r->key,
	  value);
	PdBadRun *run = g_new0(PdBadRun, 1);
	const gchar *args[] = { "--once",
				amqp ? "--once" : "--dry-run",
				"--polling-namespaces",
				"test",
				"compute",
				"central",
				"ipmi",
				"--config-file",
				NULL };
	g_autoptr(GError) error = NULL;

	run->conf = pd_test_write_file(fx->dir, name, text);
	run->value = g_strdup(value);
	run->range = r;
	run->proc =
	  pd_test_spawn_polld(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
			      &error,
			      args[0],
			      args[1],
			      args[2],
			      args[3],
			      args[4],
			      args[5],
			      args[6],
			      args[7],
			      run->conf,
			      NULL);
	g_assert_no_error(error);
	return run;
}

/* exit status 1 and "<file>:<line>: [section] key = 'value': expected ..." */
static void
pd_bad_run_check(PdBadRun *run)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autofree gchar *expect = NULL;

	g_subprocess_communicate_utf8(run->proc, NULL, NULL, NULL, &err, &error);
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(run->conf, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	expect = g_strdup_printf("%s:%u: [%s] %s = '%s': expected ",
				 run->conf,
				 g_strv_length(lines) - 1,
				 run->range->section,
				 run->range->key,
				 run->value);
	if (!g_subprocess_get_if_exited(run->proc) ||
	    g_subprocess_get_exit_status(run->proc) != 1 || strstr(err, expect) == NULL)
		g_error("[%s] %s = %s: expected exit status 1 and '%s...' in:\n%s",
			run->range->section,
			run->range->key,
			run->value,
			expect,
			err);
	g_object_unref(run->proc);
	g_free(run->conf);
	g_free(run->value);
	g_free(run);
}

static void
test_lifecycle_option_ranges(PdFixture *fx, gconstpointer data)
{
	/* every row of the range table, just below and just above its range
	 * and not a number: many used to be clamped or replaced silently */
	g_autoptr(GPtrArray) rows = pd_read_range_table();
	g_autofree gchar *yaml =
	  pd_test_write_file(fx->dir,
			     "polling.yaml",
			     "sources:\n  - name: t\n    interval: 60\n    meters: ['test.*']\n");
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) ranges = g_ptr_array_new();
	gboolean all = pd_runs() > 3;

	for (guint i = 0; i < rows->len; i++) {
		PdRange *r = g_ptr_array_index(rows, i);
		gchar *v[] = { g_strdup_printf("%" G_GINT64_FORMAT, r->min - 1),
			       g_strdup_printf("%" G_GINT64_FORMAT, r->max + 1),
			       g_strdup("inf") };
		/* under valgrind one of the three per row, in turn */
		for (guint k = 0; k < G_N_ELEMENTS(v); k++) {
			if (all || k == i % G_N_ELEMENTS(v)) {
				g_ptr_array_add(values, v[k]);
				g_ptr_array_add(ranges, r);
			} else {
				g_free(v[k]);
			}
		}
	}
	for (guint done = 0; done < values->len;) {
		PdBadRun *runs[PD_PARALLEL] = { NULL };
		guint n = MIN(PD_PARALLEL, values->len - done);
		for (guint i = 0; i < n; i++)
			runs[i] = pd_bad_run_start(fx,
						   yaml,
						   g_ptr_array_index(ranges, done + i),
						   g_ptr_array_index(values, done + i),
						   done + i);
		for (guint i = 0; i < n; i++)
			pd_bad_run_check(runs[i]);
		done += n;
	}
	g_test_message("%u options, %u bad values refused with file:line", rows->len, values->len);
}

static void
pd_wait_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
}

static gboolean
pd_flag_set(gpointer data)
{
	return *(gboolean *)data;
}

/* waits up to @timeout_ms for @proc to exit; kills it if it doesn't */
static gboolean
pd_wait_exit(GSubprocess *proc, guint timeout_ms)
{
	gboolean exited = FALSE;

	g_subprocess_wait_async(proc, NULL, pd_wait_cb, &exited);
	if (pd_test_wait_for(pd_flag_set, &exited, timeout_ms))
		return TRUE;
	g_subprocess_force_exit(proc);
	pd_test_wait_for(pd_flag_set, &exited, 10000);
	return FALSE;
}

typedef struct {
	GString *text; /* stderr so far */
	gboolean seen; /* "retrying with back-off" or EOF */
	gboolean eof;
} PdStderr;

static void
pd_line_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdStderr *st = user_data;
	g_autofree gchar *line =
	  g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, NULL, NULL);

	if (line == NULL) {
		st->seen = TRUE; /* the exit status tells the rest */
		st->eof = TRUE;
		return;
	}
	g_string_append_printf(st->text, "%s\n", line);
	if (strstr(line, "retrying with back-off") != NULL)
		st->seen = TRUE;
	g_data_input_stream_read_line_async(
	  G_DATA_INPUT_STREAM(source), G_PRIORITY_DEFAULT, NULL, pd_line_cb, st);
}

static gboolean
pd_stderr_seen(gpointer data)
{
	return ((PdStderr *)data)->seen;
}

static gboolean
pd_stderr_eof(gpointer data)
{
	return ((PdStderr *)data)->eof;
}

static void
pd_name_appeared_cb(GDBusConnection *c, const gchar *name, const gchar *owner, gpointer data)
{
	*(gboolean *)data = TRUE;
}

/* polld with @conf: once it retries the broker and serves D-Bus (its
 * signal handlers are in place then), or once it exits, SIGTERM; it must be
 * gone within 30 s; returns its stderr */
static gchar *
pd_run_until_retry_then_term(const gchar *conf, gint *status)
{
	const gchar *args[] = { "--session", "--polling-namespaces", "test", "--config-file", conf,
				NULL };
	g_autoptr(GTestDBus) bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GDataInputStream) in = NULL;
	PdStderr st = { g_string_new(NULL), FALSE, FALSE };

	/* a daemon without --once or --dry-run serves D-Bus: a private bus */
	g_test_dbus_up(bus);
	proc = pd_spawn(args, &error);
	g_assert_no_error(error);
	in = g_data_input_stream_new(g_subprocess_get_stderr_pipe(proc));
	g_data_input_stream_read_line_async(in, G_PRIORITY_DEFAULT, NULL, pd_line_cb, &st);
	g_assert_true(pd_test_wait_for(pd_stderr_seen, &st, 60000));
	if (!st.eof) {
		gboolean ready = FALSE;
		guint watch = g_bus_watch_name(G_BUS_TYPE_SESSION,
					       "org.polld.Agent1",
					       G_BUS_NAME_WATCHER_FLAGS_NONE,
					       pd_name_appeared_cb,
					       NULL,
					       &ready,
					       NULL);
		g_assert_true(pd_test_wait_for(pd_flag_set, &ready, 60000));
		g_bus_unwatch_name(watch);
	}
	g_subprocess_send_signal(proc, SIGTERM);
	if (!pd_wait_exit(proc, 30000))
		g_error("polld still running 30 s after SIGTERM:\n%s", st.text->str);
	/* the rest of stderr, up to EOF */
	g_assert_true(pd_test_wait_for(pd_stderr_eof, &st, 10000));
	if (!g_subprocess_get_if_exited(proc))
		g_error(
		  "polld killed by signal %d:\n%s", g_subprocess_get_term_sig(proc), st.text->str);
	*status = g_subprocess_get_exit_status(proc);
	g_test_dbus_down(bus);
	return g_string_free(st.text, FALSE);
}

static void
test_lifecycle_huge_retry_interval(PdFixture *fx, gconstpointer data)
{
	/* 1e30 s made a zero-delay reconnect loop (an undefined double to
	 * guint conversion) that kept polld from ever stopping; now it is a
	 * config error */
	g_autofree gchar *conf =
	  pd_fixture_config(fx,
			    "sources:\n  - name: t\n    interval: 60\n    meters: ['test.*']\n",
			    "[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:1/\n"
			    "[oslo_messaging_rabbit]\nrabbit_retry_interval = 1e30\n");
	g_autofree gchar *expect = g_strdup_printf(
	  "%s:10: [oslo_messaging_rabbit] rabbit_retry_interval = '1e30': expected a number from "
	  "0 to 86400",
	  conf);
	gint status;
	g_autofree gchar *err = pd_run_until_retry_then_term(conf, &status);

	g_assert_cmpint(status, ==, 1);
	if (strstr(err, expect) == NULL)
		g_error("expected '%s' in:\n%s", expect, err);
}

static void
test_lifecycle_long_retry_sigterm(PdFixture *fx, gconstpointer data)
{
	/* the longest interval allowed: SIGTERM during that wait stops polld */
	g_autofree gchar *conf =
	  pd_fixture_config(fx,
			    "sources:\n  - name: t\n    interval: 60\n    meters: ['test.*']\n",
			    "[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:1/\n"
			    "[oslo_messaging_rabbit]\nrabbit_retry_interval = 86400\n"
			    "rabbit_interval_max = 86400\n");
	gint status;
	g_autofree gchar *err = pd_run_until_retry_then_term(conf, &status);

	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(err, "retrying with back-off"));
}

int
main(int argc, char **argv)
{
	/* a CRITICAL anywhere in polld is a crash the tests see */
	g_autofree gchar *debug = g_strdup_printf("%s,fatal-criticals", g_getenv("G_DEBUG") ?: "");

	g_setenv("G_DEBUG", debug, TRUE);
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, PdFixture, NULL, pd_fixture_init, func, pd_fixture_fini)
	ADD("/lifecycle/start-stop/nothing-to-poll", test_lifecycle_nothing_to_poll);
	ADD("/lifecycle/start-stop/libvirt-absent", test_lifecycle_libvirt_absent);
	ADD("/lifecycle/start-stop/broker-absent", test_lifecycle_broker_absent);
	ADD("/lifecycle/ranges-documented", test_lifecycle_ranges_documented);
	ADD("/lifecycle/option-ranges", test_lifecycle_option_ranges);
	ADD("/lifecycle/huge-retry-interval", test_lifecycle_huge_retry_interval);
	ADD("/lifecycle/long-retry-sigterm", test_lifecycle_long_retry_sigterm);
	return g_test_run();
}
