/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-test-util.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <unistd.h>

gchar *
pd_test_mkdtemp(void)
{
	g_autoptr(GError) error = NULL;
	gchar *dir = g_dir_make_tmp("polld-test-XXXXXX", &error);
	g_assert_no_error(error);
	return dir;
}

const gchar *
pd_test_keep(gchar *text)
{
	static GPtrArray *kept;

	if (kept == NULL)
		kept = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(kept, text);
	return text;
}

void
pd_test_rmtree(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
				pd_test_rmtree(child);
			else
				g_unlink(child);
		}
	}
	g_rmdir(path);
}

gchar *
pd_test_write_file(const gchar *dir, const gchar *name, const gchar *contents)
{
	g_autoptr(GError) error = NULL;
	gchar *path = g_build_filename(dir, name, NULL);
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	return path;
}

guint
pd_test_count(const gchar *haystack, const gchar *needle)
{
	guint n = 0;

	for (const gchar *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static GPtrArray *
pd_test_polld_argv(void)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	const gchar *wrapper = g_getenv("POLLD_WRAPPER");
	const gchar *binary = g_getenv("POLLD_BINARY");

	g_assert_nonnull(binary);
	if (wrapper != NULL && wrapper[0] != '\0') {
		g_auto(GStrv) parts = g_strsplit(wrapper, " ", -1);
		for (guint i = 0; parts[i] != NULL; i++) {
			if (parts[i][0] != '\0')
				g_ptr_array_add(argv, g_strdup(parts[i]));
		}
	}
	g_ptr_array_add(argv, g_strdup(binary));
	return argv;
}

GSubprocess *
pd_test_spawn_polld(GSubprocessFlags flags, GError **error, const gchar *first_arg, ...)
{
	g_autoptr(GPtrArray) argv = pd_test_polld_argv();
	va_list ap;

	va_start(ap, first_arg);
	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(argv, g_strdup(a));
	va_end(ap);
	g_ptr_array_add(argv, NULL);
	return g_subprocess_newv((const gchar *const *)argv->pdata, flags, error);
}

GSubprocess *
pd_test_communicate(GPtrArray *argv, gchar **out, gchar **err)
{
	g_autoptr(GError) error = NULL;
	GSubprocess *proc;

	g_ptr_array_add(argv, NULL);
	proc = g_subprocess_newv((const gchar *const *)argv->pdata,
				 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(proc, NULL, NULL, out, err, &error);
	g_assert_no_error(error);
	return proc;
}

gchar *
pd_test_run_polld(gint *exit_status, gchar **stderr_out, const gchar *const *args)
{
	g_autoptr(GPtrArray) argv = pd_test_polld_argv();
	g_autoptr(GSubprocess) proc = NULL;
	gchar *out = NULL;
	gchar *err = NULL;

	for (guint i = 0; args != NULL && args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	proc = pd_test_communicate(argv, &out, &err);
	if (exit_status != NULL)
		*exit_status =
		  g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc) : -1;
	if (err != NULL && err[0] != '\0')
		g_test_message("polld stderr:\n%s", err);
	if (stderr_out != NULL)
		*stderr_out = err;
	else
		g_free(err);
	return out;
}

JsonObject *
pd_test_parse_message(const gchar *line, GError **error)
{
	g_autoptr(JsonParser) outer = json_parser_new();
	g_autoptr(JsonParser) inner = json_parser_new();
	JsonObject *envelope;
	const gchar *text;

	if (!json_parser_load_from_data(outer, line, -1, error))
		return NULL;
	envelope = json_node_get_object(json_parser_get_root(outer));
	text = json_object_get_string_member(envelope, "oslo.message");
	if (!json_parser_load_from_data(inner, text, -1, error))
		return NULL;
	return json_object_ref(json_node_get_object(json_parser_get_root(inner)));
}

GPtrArray *
pd_test_collect_samples(const gchar *output)
{
	GPtrArray *samples = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_auto(GStrv) lines = g_strsplit(output, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonObject) msg = NULL;
		JsonArray *arr;
		if (lines[i][0] == '\0')
			continue;
		msg = pd_test_parse_message(lines[i], &error);
		g_assert_no_error(error);
		arr = json_object_get_array_member(json_object_get_object_member(msg, "payload"),
						   "samples");
		for (guint j = 0; j < json_array_get_length(arr); j++)
			g_ptr_array_add(samples,
					json_object_ref(json_array_get_object_element(arr, j)));
	}
	return samples;
}

static gboolean
pd_test_timeout_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

static gboolean
pd_test_tick_cb(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

/* tests/meson.build's valgrind setup: timeout_multiplier */
#define PD_TEST_VALGRIND_SLOWDOWN 10

guint
pd_test_slowdown(void)
{
	const gchar *wrapper = g_getenv("POLLD_WRAPPER");

	return wrapper != NULL && wrapper[0] != '\0' ? PD_TEST_VALGRIND_SLOWDOWN : 1;
}

gboolean
pd_test_wait_for(gboolean (*cond)(gpointer), gpointer data, guint timeout_ms)
{
	gboolean timed_out = FALSE;
	guint id = g_timeout_add(timeout_ms * pd_test_slowdown(), pd_test_timeout_cb, &timed_out);
	/* conditions set by other processes or threads don't wake the main
	 * context: re-check them every 20 ms as well */
	guint tick = g_timeout_add(20, pd_test_tick_cb, NULL);

	while (!cond(data) && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!timed_out)
		g_source_remove(id);
	g_source_remove(tick);
	return cond(data);
}

/* --- one central --once run --- */

typedef struct {
	gchar **out;
	gchar **err;
	gboolean done;
} PdTestOnceRun;

static void
pd_test_once_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdTestOnceRun *run = user_data;
	g_autoptr(GError) error = NULL;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), res, run->out, run->err, &error);
	g_assert_no_error(error);
	run->done = TRUE;
}

static gboolean
pd_test_once_is_done(gpointer data)
{
	return ((PdTestOnceRun *)data)->done;
}

static gboolean
pd_test_once_has_ended(gpointer data)
{
	return g_subprocess_get_if_exited(data) || g_subprocess_get_if_signaled(data);
}

gint
pd_test_run_central_once(const gchar *dir,
			 GKeyFile *conf,
			 const gchar *source,
			 const gchar *meters,
			 const gchar *extra,
			 gchar **out,
			 gchar **err)
{
	g_autofree gchar *yaml = g_strdup_printf(
	  "sources:\n  - name: %s\n    interval: 60\n    meters: %s\n", source, meters);
	g_autofree gchar *polling = pd_test_write_file(dir, "polling.yaml", yaml);
	g_autofree gchar *conf_text = NULL;
	g_autofree gchar *conf_path = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	PdTestOnceRun run = { out, err, FALSE };

	g_clear_pointer(out, g_free);
	g_clear_pointer(err, g_free);
	g_key_file_set_string(conf, "polling", "cfg_file", polling);
	conf_text = g_key_file_to_data(conf, NULL, NULL);
	conf_path = pd_test_write_file(dir, "polld.conf", conf_text);
	proc = pd_test_spawn_polld(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				   &error,
				   "--once",
				   "--dry-run",
				   "--polling-namespaces",
				   "central",
				   "--config-file",
				   conf_path,
				   extra,
				   NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, pd_test_once_done_cb, &run);
	g_assert_true(pd_test_wait_for(pd_test_once_is_done, &run, 120000));
	/* its pipes closed: the exit follows */
	g_assert_true(pd_test_wait_for(pd_test_once_has_ended, proc, 5000));
	return g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc) : -1;
}

/* --- a private bus --- */

void
pd_test_die_with_parent(gpointer user_data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocess *
pd_test_bus_start(const gchar *dir,
		  const gchar *type,
		  const gchar *policy,
		  gchar **address,
		  GDBusConnection **conn)
{
	g_autofree gchar *xml = g_strdup_printf(
	  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
	  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	  "<busconfig>\n  <type>%s</type>\n  <listen>unix:dir=%s</listen>\n"
	  "  <auth>EXTERNAL</auth>\n%s</busconfig>\n",
	  type,
	  dir,
	  policy != NULL ? policy
			 : "  <policy context=\"default\"><allow user=\"*\"/>"
			   "<allow send_destination=\"*\" eavesdrop=\"true\"/>"
			   "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy>\n");
	g_autofree gchar *conf = pd_test_write_file(dir, "bus.conf", xml);
	g_autoptr(GSubprocessLauncher) launcher =
	  g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_autoptr(GDataInputStream) in = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line = NULL;
	GSubprocess *bus;

	g_subprocess_launcher_set_child_setup(launcher, pd_test_die_with_parent, NULL, NULL);
	bus = g_subprocess_launcher_spawn(launcher,
					  &error,
					  "dbus-daemon",
					  "--nofork",
					  "--print-address=1",
					  "--config-file",
					  conf,
					  NULL);
	g_assert_no_error(error);
	/* the address is printed once the bus listens */
	in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(bus));
	line = g_data_input_stream_read_line(in, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line);
	*address = g_strdup(g_strstrip(line));
	if (conn != NULL) {
		*conn = g_dbus_connection_new_for_address_sync(
		  *address,
		  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		  NULL,
		  NULL,
		  &error);
		g_assert_no_error(error);
	}
	return bus;
}

/* --- a test PKI (openssl CLI) --- */

static gboolean
run_openssl(const gchar *dir, const gchar *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *err = NULL;
	gint status = 0;

	g_ptr_array_add(argv, "openssl");
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_sync(dir,
			  (gchar **)argv->pdata,
			  NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
			  NULL,
			  NULL,
			  NULL,
			  &err,
			  &status,
			  &error)) {
		g_printerr("# openssl: %s\n", error->message);
		return FALSE;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_printerr("# openssl %s: %s\n", args[0], err);
		return FALSE;
	}
	return TRUE;
}

gboolean
pd_test_make_pki(const gchar *dir)
{
	const gchar *ca[] = { "req",	"-x509",    "-newkey",
			      "ec",	"-pkeyopt", "ec_paramgen_curve:P-256",
			      "-nodes", "-keyout",  "ca.key",
			      "-out",	"ca.pem",   "-days",
			      "2",	"-subj",    "/CN=polld test CA",
			      NULL };
	const gchar *other[] = { "req",	   "-x509",	"-newkey",
				 "ec",	   "-pkeyopt",	"ec_paramgen_curve:P-256",
				 "-nodes", "-keyout",	"other.key",
				 "-out",   "other.pem", "-days",
				 "2",	   "-subj",	"/CN=polld other CA",
				 NULL };
	const gchar *csr[] = { "req",		"-new",
			       "-newkey",	"ec",
			       "-pkeyopt",	"ec_paramgen_curve:P-256",
			       "-nodes",	"-keyout",
			       "server.key",	"-out",
			       "server.csr",	"-subj",
			       "/CN=127.0.0.1", NULL };
	const gchar *sign[] = { "x509",	      "-req",	"-in",
				"server.csr", "-CA",	"ca.pem",
				"-CAkey",     "ca.key", "-CAcreateserial",
				"-days",      "2",	"-extfile",
				"server.ext", "-out",	"server.pem",
				NULL };
	g_autofree gchar *ext = pd_test_write_file(dir,
						   "server.ext",
						   "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
						   "basicConstraints = CA:FALSE\n"
						   "keyUsage = digitalSignature, keyEncipherment\n"
						   "extendedKeyUsage = serverAuth\n");

	return run_openssl(dir, ca) && run_openssl(dir, other) && run_openssl(dir, csr) &&
	       run_openssl(dir, sign);
}

/* LeakSanitizer in a fork() of a test that never execs: GTestDBus's watcher
 * (gio/gtestdbus.c, watcher_init()) is such a copy, forked at the first
 * private bus and ending with exit(0) when the test does. Its leak check
 * lists the threads the test had at the fork, which the copy lacks, and
 * reports what only they referenced, GLib's per-thread data (a GSlice
 * magazine table, a main-dispatch record: 2 or 4 blocks, 2-4 KB, "Running
 * thread ... was not suspended. False leaks are possible."). The copy runs
 * GLib's watcher and no code of polld or of the tests, so no check is made
 * in it; the test process itself, polld and every other process it starts
 * (each an exec) are checked as before. */
static pid_t pd_test_pid;

__attribute__((constructor)) static void
pd_test_note_pid(void)
{
	pd_test_pid = getpid();
}

/* LeakSanitizer's hook (sanitizer/lsan_interface.h), read at exit */
__attribute__((visibility("default"))) int
__lsan_is_turned_off(void);

__attribute__((visibility("default"))) int
__lsan_is_turned_off(void)
{
	return pd_test_pid != 0 && getpid() != pd_test_pid;
}
