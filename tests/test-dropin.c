/*
 * polld in ceilometer-polling's place: its command line and logging
 * flags, the log file, meters with no pollster, namespaces, --once exit
 * codes, the default signing secret, and every option Ceilometer has either
 * done or warned about
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>

#include "pd-config-private.h"
#include "pd-option-table.h"
#include "pd-plugin-loader.h"
#include "pd-plugin.h"
#include "pd-sanitizer.h"
#include "pd-serializer.h"
#include "pd-test-signature.h"
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
pd_data_file(const gchar *name)
{
	return g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "data", name, NULL);
}

static gchar *
pd_read(const gchar *path)
{
	gchar *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
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
	  pd_test_count(log, "task every 60s: cycle 1 polled 6 samples, 0 errors"), ==, 1);
	pd_assert_log_format(log);
	/* a log file given, nothing but the --once summary goes to stderr */
	g_assert_true(g_str_has_prefix(err,
				       "polld: once: ok: 1 tasks, 6 samples polled, 6 "
				       "published, 0 pollster errors"));
	g_assert_cmpuint(pd_test_count(err, "\n"), ==, 1);
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
	return pd_test_count(log, w->needle) >= w->count;
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
	g_assert_cmpuint(pd_test_count(err, w1), ==, 1);
	g_assert_cmpuint(pd_test_count(err, w2), ==, 1);
	g_assert_cmpuint(pd_test_count(err, "matches no pollster"), ==, 2);
}

/* both namespaces in the start line; the module of another namespace is
 * not loaded (the compute plugin never tries libvirt) */
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
	  strstr(err, "libpd_compute_libvirt.so not loaded: it serves namespaces compute"));
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

/* --once leaves what is still allocated (the plugins among it) to the
 * process's end, once the messages are out; not in a sanitizer build */
static void
test_dropin_once_no_teardown(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *finalized = g_build_filename(fx->dir, "finalized", NULL);
	g_autofree gchar *extra = g_strdup_printf("finalized_file = %s\n", finalized);
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;
	gint status;

	pd_fixture_write(fx, TEST_YAML, extra);
	out = pd_run_once(fx, &status, &err, "--polling-namespaces", "test", NULL);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(err, "polld: once: ok: "));
	g_assert_nonnull(strstr(out, "test.gauge"));
	g_assert_true(g_file_test(finalized, G_FILE_TEST_EXISTS) == PD_FREE_AT_EXIT);
}

static void
test_dropin_unsupported(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *err = NULL;
	gint status;
	g_autofree gchar *out = NULL;

	pd_fixture_write(fx,
			 TEST_YAML,
			 "[polling]\nthreads_to_process_pollsters = 2\n"
			 "[oslo_messaging_rabbit]\nkombu_reconnect_delay = 2\n"
			 "[oslo_messaging_kafka]\npool_size = 3\n"
			 "[notification]\nworkers = 4\n"
			 "[DEFAULT]\nnot_an_option = 1\n");
	out = pd_run_once(fx, &status, &err, "--polling-namespaces", "test", "--use-json", NULL);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpuint(
	  pd_test_count(err,
			"`[polling] threads_to_process_pollsters` is not supported by polld "
			"yet; "
			"ignored"),
	  ==,
	  1);
	g_assert_cmpuint(pd_test_count(err,
				       "`[oslo_messaging_rabbit] kombu_reconnect_delay` is not "
				       "supported by polld yet; ignored"),
			 ==,
			 1);
	g_assert_cmpuint(
	  pd_test_count(
	    err, "command line: `[DEFAULT] use_json` is not supported by polld yet; ignored"),
	  ==,
	  1);
	g_assert_cmpuint(
	  pd_test_count(err, "unknown option [DEFAULT] not_an_option, ignored"), ==, 1);
	/* what ceilometer-polling doesn't read either is no problem */
	g_assert_null(strstr(err, "pool_size"));
	g_assert_null(strstr(err, "workers"));
}

/* a reload does not repeat the warnings of unsupported options whose value
 * stayed; a changed value is warned again */
static void
test_dropin_unsupported_reload(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *log_arg = g_strdup_printf("--log-file=%s", fx->log);
	g_autofree gchar *config_arg = g_strdup_printf("--config-file=%s", fx->conf);
	const gchar *yaml = "sources:\n  - name: all\n    interval: 1\n    meters: ['test.*']\n";
	const gchar *threads = "`[polling] threads_to_process_pollsters` is not supported by polld "
			       "yet; ignored";
	const gchar *kombu = "`[oslo_messaging_rabbit] kombu_reconnect_delay` is not supported "
			     "by polld yet; ignored";
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *log = NULL;

	pd_fixture_write(fx,
			 yaml,
			 "[polling]\nthreads_to_process_pollsters = 2\n"
			 "[oslo_messaging_rabbit]\nkombu_reconnect_delay = 2\n");
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
	g_subprocess_send_signal(proc, SIGHUP);
	pd_wait_log(fx->log, "configuration reloaded", 1);
	pd_fixture_write(fx,
			 yaml,
			 "[polling]\nthreads_to_process_pollsters = 2\n"
			 "[oslo_messaging_rabbit]\nkombu_reconnect_delay = 3\n");
	g_subprocess_send_signal(proc, SIGHUP);
	pd_wait_log(fx->log, "configuration reloaded", 2);
	g_subprocess_send_signal(proc, SIGTERM);
	g_subprocess_wait_check(proc, NULL, &error);
	g_assert_no_error(error);

	log = pd_read(fx->log);
	g_assert_cmpuint(pd_test_count(log, threads), ==, 1);
	g_assert_cmpuint(pd_test_count(log, kombu), ==, 2);
	g_assert_cmpuint(pd_test_count(log, "kombu_reconnect_delay = 3"), ==, 0);
}

static void
test_dropin_default_secret(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *vector_path = pd_data_file("default-secret-vector.json");
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *vector;
	g_autofree gchar *sig = NULL;
	g_autofree gchar *out = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	gint status;

	/* the algorithm, against a signature Ceilometer computed itself */
	json_parser_load_from_file(parser, vector_path, &error);
	g_assert_no_error(error);
	vector = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpstr(
	  json_object_get_string_member(vector, "secret"), ==, PD_DEFAULT_TELEMETRY_SECRET);
	sig = pd_test_signature_compute_json(PD_DEFAULT_TELEMETRY_SECRET,
					     json_object_get_object_member(vector, "sample"));
	g_assert_cmpstr(sig, ==, json_object_get_string_member(vector, "signature"));

	/* no telemetry_secret set: signed with Ceilometer's default */
	out = pd_run_once(fx, &status, NULL, "--polling-namespaces", "test", NULL);
	g_assert_cmpint(status, ==, 0);
	samples = pd_test_collect_samples(out);
	g_assert_cmpuint(samples->len, ==, 6);
	for (guint i = 0; i < samples->len; i++)
		g_assert_true(pd_test_signature_verify_json(PD_DEFAULT_TELEMETRY_SECRET,
							    g_ptr_array_index(samples, i)));
	g_clear_pointer(&samples, g_ptr_array_unref);
	g_clear_pointer(&out, g_free);

	/* empty: unsigned */
	pd_fixture_write(fx, TEST_YAML, "[publisher]\ntelemetry_secret =\n");
	out = pd_run_once(fx, &status, NULL, "--polling-namespaces", "test", NULL);
	g_assert_cmpint(status, ==, 0);
	samples = pd_test_collect_samples(out);
	g_assert_cmpuint(samples->len, ==, 6);
	for (guint i = 0; i < samples->len; i++)
		g_assert_cmpstr(
		  json_object_get_string_member(g_ptr_array_index(samples, i), "message_signature"),
		  ==,
		  "");
}

/* --- the option table against Ceilometer's own list --- */

static GHashTable *
pd_plugin_keys(void)
{
	GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_auto(GStrv) dirs = g_strsplit(g_getenv("POLLD_PLUGIN_DIR"), ":", -1);
	g_autoptr(GPtrArray) plugins = pd_plugin_loader_load_dirs(dirs);

	for (guint i = 0; i < plugins->len; i++) {
		GPtrArray *k = pd_plugin_get_config_keys(g_ptr_array_index(plugins, i));
		for (guint j = 0; j + 1 < k->len; j += 2) {
			const gchar *group = g_ptr_array_index(k, j);
			g_hash_table_add(keys,
					 g_strdup_printf("%s %s",
							 group != NULL ? group : "DEFAULT",
							 (gchar *)g_ptr_array_index(k, j + 1)));
		}
	}
	return keys;
}

/* set alone in a file, the option is warned about exactly as the rule says */
static void
pd_assert_warned(const gchar *dir, const gchar *group, const gchar *key)
{
	g_autofree gchar *text = g_strdup_printf("[%s]\n%s = x\n", group, key);
	g_autofree gchar *path = pd_test_write_file(dir, "one.conf", text);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected = g_strdup_printf(
	  "%s:2: `[%s] %s` is not supported by polld yet; ignored", path, group, key);

	g_assert_true(pd_config_load_file(config, path, &error));
	pd_option_table_register(config);
	g_test_expect_message("PdConfig", G_LOG_LEVEL_WARNING, expected);
	g_assert_cmpuint(pd_config_warn_unknown(config), ==, 0);
	g_test_assert_expected_messages();
	g_assert_cmpuint(pd_config_get_unsupported(config)->len, ==, 1);
}

static void
test_dropin_option_walk(void)
{
	g_autofree gchar *path = pd_data_file("ceilometer-options.tsv");
	g_autofree gchar *text = NULL;
	g_autoptr(GHashTable) plugin_keys = pd_plugin_keys();
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_auto(GStrv) lines = NULL;
	guint counts[4] = { 0 };
	guint from_plugins = 0;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) f = g_strsplit(lines[i], "\t", -1);
		g_autofree gchar *joined = NULL;
		const PdOptionInfo *info;
		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		g_assert_cmpuint(g_strv_length(f), ==, 4);
		joined = g_strdup_printf("%s %s", f[0], f[1]);
		if (g_hash_table_contains(plugin_keys, joined)) {
			from_plugins++;
			continue;
		}
		info = pd_option_table_lookup(f[0], f[1]);
		if (info == NULL)
			g_error("[%s] %s: Ceilometer has it, polld's table doesn't", f[0], f[1]);
		counts[info->status]++;
		if (info->status == PD_OPTION_UNSUPPORTED)
			pd_assert_warned(dir, f[0], f[1]);
		else if (info->status != PD_OPTION_IMPLEMENTED)
			g_assert_nonnull(info->why);
	}
	g_test_message("Ceilometer's options: %u implemented by plugins, %u by the core, %u not "
		       "supported yet (warned), %u inert, %u refused",
		       from_plugins,
		       counts[PD_OPTION_IMPLEMENTED],
		       counts[PD_OPTION_UNSUPPORTED],
		       counts[PD_OPTION_INERT],
		       counts[PD_OPTION_REFUSED]);
	g_assert_cmpuint(from_plugins + counts[0] + counts[1] + counts[2] + counts[3], ==, 232);
	pd_test_rmtree(dir);
}

/* every option polld implements: the core's table and the plugins' keys */
static GHashTable *
pd_implemented_keys(void)
{
	g_autoptr(GHashTable) plugin_keys = pd_plugin_keys();
	GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const PdOptionInfo *table;
	guint n;
	GHashTableIter iter;
	gpointer key;

	table = pd_option_table_get(&n);
	for (guint i = 0; i < n; i++) {
		if (table[i].status == PD_OPTION_IMPLEMENTED)
			g_hash_table_add(keys,
					 g_strdup_printf("%s %s", table[i].group, table[i].key));
	}
	g_hash_table_iter_init(&iter, plugin_keys);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		if (!g_str_has_prefix(key, "test "))
			g_hash_table_add(keys, g_strdup(key));
	}
	return keys;
}

/* "group key" of each "#key =" (or "key =") line of the shipped polld.conf */
static GHashTable *
pd_documented_conf(void)
{
	g_autofree gchar *path =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "data", "polld.conf", NULL);
	g_autofree gchar *text = pd_read(path);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree gchar *group = NULL;
	g_autoptr(GRegex) re = g_regex_new("^#?([a-z_0-9]+) =", 0, 0, NULL);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_autoptr(GMatchInfo) m = NULL;
		if (lines[i][0] == '[') {
			g_free(group);
			group = g_strndup(lines[i] + 1, strcspn(lines[i] + 1, "]"));
			continue;
		}
		if (group != NULL && g_regex_match(re, lines[i], 0, &m)) {
			g_autofree gchar *key = g_match_info_fetch(m, 1);
			g_hash_table_add(keys, g_strdup_printf("%s %s", group, key));
		}
	}
	return keys;
}

/* "group key" of each ".B [group] key" entry of polld.conf(5)'s OPTIONS */
static GHashTable *
pd_documented_man(void)
{
	g_autofree gchar *path =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "data", "polld.conf.5", NULL);
	g_autofree gchar *text = pd_read(path);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *close = strchr(lines[i], ']');
		g_autofree gchar *group = NULL;
		if (!g_str_has_prefix(lines[i], ".B [") || close == NULL || close[1] != ' ')
			continue;
		group = g_strndup(lines[i] + 4, close - (lines[i] + 4));
		g_hash_table_add(keys, g_strdup_printf("%s %s", group, close + 2));
	}
	return keys;
}

static guint
pd_report_missing(GHashTable *want, GHashTable *have, const gchar *where)
{
	GHashTableIter iter;
	gpointer key;
	guint n = 0;

	g_hash_table_iter_init(&iter, want);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		if (g_hash_table_contains(have, key))
			continue;
		g_test_message("%s lacks %s", where, (gchar *)key);
		n++;
	}
	return n;
}

/* data/polld.conf and polld.conf(5) document exactly what polld implements */
static void
test_dropin_documented(void)
{
	g_autoptr(GHashTable) code = pd_implemented_keys();
	g_autoptr(GHashTable) conf = pd_documented_conf();
	g_autoptr(GHashTable) man = pd_documented_man();
	guint missing = 0;

	missing += pd_report_missing(code, conf, "data/polld.conf");
	missing += pd_report_missing(code, man, "polld.conf(5)");
	missing += pd_report_missing(conf, code, "the code (documented in polld.conf)");
	missing += pd_report_missing(man, code, "the code (documented in polld.conf(5))");
	g_assert_cmpuint(missing, ==, 0);
}

/* --- Debian's files, Debian's service command line --- */

static const gchar *const debian_no_pollster[] = {
	"cpu_l3_cache",
	"hardware.cpu.user",
	"hardware.cpu.nice",
	"hardware.cpu.system",
	"hardware.cpu.idle",
	"hardware.cpu.wait",
	"hardware.cpu.kernel",
	"hardware.cpu.interrupt",
	"hardware.network.ip.incoming.datagrams",
	"hardware.network.ip.outgoing.datagrams",
};

/* every option set in @conf: warned about if and only if unsupported */
static void
pd_assert_option_warnings(const gchar *conf, const gchar *log)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) groups = NULL;
	guint set = 0;

	g_assert_true(g_key_file_load_from_file(kf, conf, G_KEY_FILE_NONE, NULL));
	groups = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		for (guint j = 0; keys[j] != NULL; j++) {
			const PdOptionInfo *info = pd_option_table_lookup(groups[i], keys[j]);
			g_autofree gchar *warning = g_strdup_printf(
			  "`[%s] %s` is not supported by polld", groups[i], keys[j]);
			gboolean unsupported =
			  info != NULL && info->status == PD_OPTION_UNSUPPORTED;
			g_assert_nonnull(info);
			g_assert_cmpuint(pd_test_count(log, warning), ==, unsupported ? 1 : 0);
			set++;
		}
	}
	g_test_message("%s sets %u options", conf, set);
	g_assert_null(strstr(log, "unknown option"));
}

static gchar *
pd_polldctl_status(const gchar *address)
{
	g_autofree gchar *dir = g_path_get_dirname(g_getenv("POLLD_BINARY"));
	g_autofree gchar *polldctl = g_build_filename(dir, "polldctl", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = g_subprocess_new(
	  G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, polldctl, "--address", address, "status", NULL);
	gchar *out = NULL;

	g_assert_no_error(error);
	g_subprocess_communicate_utf8(proc, NULL, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
	return out;
}

static void
pd_run_debian(const gchar *etc)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *log_path = g_build_filename(dir, "ceilometer-polling.log", NULL);
	g_autofree gchar *conf = g_build_filename(etc, "ceilometer.conf", NULL);
	g_autofree gchar *yaml = g_build_filename(etc, "polling.yaml", NULL);
	g_autofree gchar *config_arg = g_strdup_printf("--config-file=%s", conf);
	g_autofree gchar *log_arg = g_strdup_printf("--log-file=%s", log_path);
	g_autoptr(GTestDBus) bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *log = NULL;
	g_autofree gchar *status = NULL;

	g_test_dbus_up(bus);
	/* the system bus, for this test only */
	g_setenv("DBUS_SYSTEM_BUS_ADDRESS", g_test_dbus_get_bus_address(bus), TRUE);
	proc =
	  pd_test_spawn_polld(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, config_arg, log_arg, NULL);
	g_assert_no_error(error);
	pd_wait_log(log_path, "task every 300s: cycle 1 polled", 1);
	status = pd_polldctl_status(g_test_dbus_get_bus_address(bus));
	g_test_message("polldctl status:\n%s", status);
	g_assert_nonnull(strstr(status, ": running"));
	g_subprocess_send_signal(proc, SIGTERM);
	g_subprocess_communicate_utf8(proc, NULL, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
	g_unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	g_test_dbus_down(bus);

	log = pd_read(log_path);
	g_test_message("log:\n%s", log);
	pd_assert_log_format(log);
	g_assert_nonnull(strstr(log, " starting: config "));
	g_assert_nonnull(strstr(log, "pollsters selected: compute "));
	g_assert_nonnull(strstr(log, ", central "));
	pd_assert_option_warnings(conf, log);
	for (guint i = 0; i < G_N_ELEMENTS(debian_no_pollster); i++) {
		g_autofree gchar *w =
		  g_strdup_printf("meter '%s' of source 'some_pollsters' matches no pollster",
				  debian_no_pollster[i]);
		g_assert_cmpuint(pd_test_count(log, w), ==, 1);
	}
	g_assert_cmpuint(
	  pd_test_count(log, "matches no pollster"), ==, G_N_ELEMENTS(debian_no_pollster));
	g_assert_nonnull(strstr(log, yaml));
	/* signed as an unconfigured ceilometer-polling signs */
	samples = pd_test_collect_samples(out);
	g_assert_cmpuint(samples->len, >, 0);
	for (guint i = 0; i < samples->len; i++)
		g_assert_true(pd_test_signature_verify_json(PD_DEFAULT_TELEMETRY_SECRET,
							    g_ptr_array_index(samples, i)));
	pd_test_rmtree(dir);
}

/* the snapshot of Debian 12's ceilometer-common 1:19.0.0-3 files */
static void
test_dropin_debian_snapshot(void)
{
	g_autofree gchar *etc = pd_data_file("debian");
	pd_run_debian(etc);
}

/* and the installed ones, as the test command installs ceilometer-common */
static void
test_dropin_debian_installed(void)
{
	if (!g_file_test("/etc/ceilometer/ceilometer.conf", G_FILE_TEST_EXISTS) ||
	    !g_file_test("/etc/ceilometer/polling.yaml", G_FILE_TEST_EXISTS)) {
		g_test_skip("/etc/ceilometer/ceilometer.conf or polling.yaml missing: "
			    "ceilometer-common is not installed (tools/deps.sh installs it)");
		return;
	}
	pd_run_debian("/etc/ceilometer");
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
	ADD("/dropin/once-no-teardown", test_dropin_once_no_teardown);
	ADD("/dropin/unsupported-options", test_dropin_unsupported);
	ADD("/dropin/unsupported-reload", test_dropin_unsupported_reload);
	ADD("/dropin/default-secret", test_dropin_default_secret);
	g_test_add_func("/dropin/option-walk", test_dropin_option_walk);
	g_test_add_func("/dropin/documented", test_dropin_documented);
	g_test_add_func("/dropin/debian-snapshot", test_dropin_debian_snapshot);
	g_test_add_func("/dropin/debian-installed", test_dropin_debian_installed);
	return g_test_run();
}
