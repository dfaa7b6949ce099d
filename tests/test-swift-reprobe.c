/*
 * polld test suite - a Swift account that is not there (404) or refused
 * (403) is asked again with back-off by the running daemon: measured once it
 * appears, without a restart, and warned about once per project while the
 * five Swift pollsters wait for it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <string.h>

#include "openstack-server/pd-os-test-server.h"
#include "pd-test-util.h"

/* the five Swift meters, each its own pollster */
#define SWIFT_METERS                                                                               \
	"['storage.objects', 'storage.objects.size', 'storage.objects.containers', "               \
	"'storage.containers.objects', 'storage.containers.objects.size']"

typedef struct {
	PdOsTestServer *server;
	gchar *dir;
	gchar *log;
	GSubprocess *proc;
	GDataInputStream *out;
	GString *samples; /* polld's stdout so far */
	gboolean eof;
} Reprobe;

static void
reprobe_read_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Reprobe *r = user_data;
	g_autofree gchar *line =
	  g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, NULL, NULL);

	if (line == NULL) {
		r->eof = TRUE;
		return;
	}
	g_string_append(r->samples, line);
	g_string_append_c(r->samples, '\n');
	g_data_input_stream_read_line_async(r->out, G_PRIORITY_DEFAULT, NULL, reprobe_read_cb, r);
}

static gchar *
reprobe_write_config(Reprobe *r)
{
	g_autofree gchar *yaml = g_strdup_printf(
	  "sources:\n  - name: swift\n    interval: 1\n    meters: %s\n", SWIFT_METERS);
	g_autofree gchar *polling = pd_test_write_file(r->dir, "polling.yaml", yaml);
	g_autofree gchar *text =
	  g_strdup_printf("[polling]\ncfg_file = %s\n"
			  "[service_credentials]\nauth_url = %s/identity/v3\n"
			  "username = ceilometer\npassword = s3cret\nproject_name = service\n"
			  "user_domain_name = Default\nproject_domain_name = Default\n"
			  "interface = internalURL\nregion_name = RegionOne\ntimeout = %s\n",
			  polling,
			  pd_os_test_server_get_url(r->server),
			  g_getenv("POLLD_WRAPPER") != NULL ? "120" : "10");

	return pd_test_write_file(r->dir, "polld.conf", text);
}

static void
reprobe_start(Reprobe *r)
{
	g_autofree gchar *fixture = g_build_filename(
	  g_getenv("POLLD_SOURCE_ROOT"), "tests", "openstack-server", "fixture.json", NULL);
	g_autofree gchar *conf = NULL;
	g_autofree gchar *log_arg = NULL;
	g_autoptr(GError) error = NULL;

	r->server = pd_os_test_server_new(fixture, NULL, &error);
	g_assert_no_error(error);
	r->dir = pd_test_mkdtemp();
	r->log = g_build_filename(r->dir, "polld.log", NULL);
	r->samples = g_string_new(NULL);
	conf = reprobe_write_config(r);
	log_arg = g_strdup_printf("--log-file=%s", r->log);
	r->proc = pd_test_spawn_polld(G_SUBPROCESS_FLAGS_STDOUT_PIPE,
				      &error,
				      "--dry-run",
				      "--polling-namespaces",
				      "central",
				      "--config-file",
				      conf,
				      log_arg,
				      NULL);
	g_assert_no_error(error);
	r->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(r->proc));
	g_data_input_stream_read_line_async(r->out, G_PRIORITY_DEFAULT, NULL, reprobe_read_cb, r);
}

static gboolean
reprobe_eof(gpointer data)
{
	return ((Reprobe *)data)->eof;
}

static void
reprobe_stop(Reprobe *r)
{
	g_autoptr(GError) error = NULL;

	g_subprocess_send_signal(r->proc, SIGTERM);
	g_subprocess_wait_check(r->proc, NULL, &error);
	g_assert_no_error(error);
	/* the pending read ends with the pipe */
	g_assert_true(pd_test_wait_for(reprobe_eof, r, 10000));
	g_clear_object(&r->out);
	g_clear_object(&r->proc);
	g_clear_object(&r->server);
	pd_test_rmtree(r->dir);
	g_free(r->dir);
	g_free(r->log);
	g_string_free(r->samples, TRUE);
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static gchar *
reprobe_read_log(Reprobe *r)
{
	gchar *text = NULL;

	if (!g_file_get_contents(r->log, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

typedef struct {
	Reprobe *r;
	const gchar *needle;
	guint count;
} ReprobeWait;

static gboolean
reprobe_log_has(gpointer data)
{
	ReprobeWait *w = data;
	g_autofree gchar *log = reprobe_read_log(w->r);

	return pd_test_count(log, w->needle) >= w->count || w->r->eof;
}

static void
reprobe_wait_log(Reprobe *r, const gchar *needle, guint count)
{
	ReprobeWait w = { r, needle, count };

	if (!pd_test_wait_for(reprobe_log_has, &w, 120000) || r->eof) {
		g_autofree gchar *log = reprobe_read_log(r);
		g_error("the log never showed '%s' %u times:\n%s", needle, count, log);
	}
}

/* a sample of @meter for @resource among what polld printed so far */
static gboolean
reprobe_has_sample(Reprobe *r, const gchar *meter, const gchar *resource)
{
	g_autoptr(GPtrArray) samples = pd_test_collect_samples(r->samples->str);

	for (guint i = 0; i < samples->len; i++) {
		JsonObject *s = g_ptr_array_index(samples, i);
		if (g_strcmp0(json_object_get_string_member(s, "counter_name"), meter) == 0 &&
		    g_strcmp0(json_object_get_string_member(s, "resource_id"), resource) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
reprobe_all_measured(gpointer data)
{
	Reprobe *r = data;

	return r->eof || (reprobe_has_sample(r, "storage.objects", "p-frozen") &&
			  reprobe_has_sample(r, "storage.objects", "p-old") &&
			  reprobe_has_sample(r, "storage.objects.size", "p-old") &&
			  reprobe_has_sample(r, "storage.objects.containers", "p-old") &&
			  reprobe_has_sample(r, "storage.containers.objects", "p-old/c0") &&
			  reprobe_has_sample(r, "storage.containers.objects.size", "p-frozen/c1"));
}

static void
test_swift_reprobe(void)
{
	Reprobe r = { NULL };
	g_autofree gchar *log = NULL;
	const gchar *frozen = "Swift account of project p-frozen unusable";
	const gchar *old = "Swift account of project p-old unusable";

	reprobe_start(&r);
	/* p-frozen has no account (404); p-old's is refused (403) */
	pd_os_test_server_set_fault(r.server, "swift:p-old", PD_OS_FAULT_FORBIDDEN);
	/* cycle 3 re-probed both once (1 s after cycle 1) and failed again */
	reprobe_wait_log(&r, "cycle 4 polled", 1);
	g_assert_false(reprobe_has_sample(&r, "storage.objects", "p-frozen"));
	g_assert_false(reprobe_has_sample(&r, "storage.objects", "p-old"));
	g_assert_true(reprobe_has_sample(&r, "storage.objects", "p-demo"));

	/* the accounts appear: measured by the same process */
	pd_os_test_server_set_swift_account(r.server, "p-frozen", 2);
	pd_os_test_server_set_swift_account(r.server, "p-old", 1);
	pd_os_test_server_set_fault(r.server, "swift:p-old", PD_OS_FAULT_NONE);
	if (!pd_test_wait_for(reprobe_all_measured, &r, 120000) || r.eof) {
		log = reprobe_read_log(&r);
		g_error("p-frozen and p-old never measured:\n%s\n%s", r.samples->str, log);
	}

	/* p-frozen's account goes away again: a new episode, warned again */
	pd_os_test_server_set_swift_account(r.server, "p-frozen", G_MAXUINT);
	reprobe_wait_log(&r, frozen, 2);
	log = reprobe_read_log(&r);
	/* five pollsters waited for each project through several cycles: one
	 * warning per project and episode */
	g_assert_cmpuint(pd_test_count(log, frozen), ==, 2);
	g_assert_cmpuint(pd_test_count(log, old), ==, 1);
	g_assert_nonnull(strstr(log, "HTTP 403"));
	g_assert_nonnull(strstr(log, "asking again in 1 s, then with back-off up to 3600 s"));
	reprobe_stop(&r);
}

int
main(int argc, char **argv)
{
	g_autofree gchar *plugins =
	  g_build_filename(g_getenv("POLLD_BUILD_ROOT"), "plugins", "openstack", NULL);

	g_test_init(&argc, &argv, NULL);
	g_setenv("POLLD_PLUGIN_DIR", plugins, TRUE);
	/* the first re-probe after 1 s instead of a minute (polld(8): for tests) */
	g_setenv("POLLD_TEST_REPROBE_MIN_SECONDS", "1", TRUE);
	g_test_add_func("/swift/reprobe", test_swift_reprobe);
	return g_test_run();
}
