/*
 * polld - what the D-Bus integration tests share: a private dbus-daemon,
 * the real daemon on it (the test plugin's pollsters), calls and waits
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>

#include "pd-test-dbus.h"
#include "pd-test-util.h"

/* --- helpers --- */

guint
pd_test_dbus_timeout_ms(guint ms)
{
	/* under valgrind everything is an order of magnitude slower */
	return g_getenv("POLLD_WRAPPER") != NULL ? ms * 20 : ms;
}

static gboolean
tick_cb(gpointer user_data)
{
	return G_SOURCE_CONTINUE;
}

/* iterates the main context until @cond holds or the deadline passes */
gboolean
pd_test_dbus_wait_for(gboolean (*cond)(Fixture *f), Fixture *f, guint ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)pd_test_dbus_timeout_ms(ms) * 1000;
	guint tick = g_timeout_add(20, tick_cb, NULL);
	gboolean ok;

	while (!(ok = cond(f)) && g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(tick);
	return ok;
}

gchar *
pd_test_dbus_write_file(Fixture *f, const gchar *name, const gchar *contents)
{
	gchar *path = g_build_filename(f->tmpdir, name, NULL);
	g_autoptr(GError) error = NULL;
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	return path;
}

static void
rmtree(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			rmtree(child);
		else
			g_unlink(child);
	}
	g_rmdir(path);
}

const gchar *
pd_test_dbus_source_root(void)
{
	const gchar *root = g_getenv("POLLD_SOURCE_ROOT");
	g_assert_nonnull(root);
	return root;
}

gchar *
pd_test_dbus_build_path(const gchar *rel)
{
	const gchar *root = g_getenv("POLLD_BUILD_ROOT");
	g_assert_nonnull(root);
	return g_build_filename(root, rel, NULL);
}

/* --- the private bus --- */

static const gchar *session_policy = "  <policy context=\"default\">\n"
				     "    <allow user=\"*\"/>\n"
				     "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
				     "    <allow eavesdrop=\"true\"/>\n"
				     "    <allow own=\"*\"/>\n"
				     "  </policy>\n";

/* what /usr/share/dbus-1/system.conf says, without the includes */
#define SYSTEM_POLICY                                                                              \
	"  <policy context=\"default\">\n"                                                         \
	"    <allow user=\"*\"/>\n"                                                                \
	"    <deny own=\"*\"/>\n"                                                                  \
	"    <deny send_type=\"method_call\"/>\n"                                                  \
	"    <allow send_type=\"signal\"/>\n"                                                      \
	"    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"                 \
	"    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"                         \
	"    <allow receive_type=\"method_call\"/>\n"                                              \
	"    <allow receive_type=\"method_return\"/>\n"                                            \
	"    <allow receive_type=\"error\"/>\n"                                                    \
	"    <allow receive_type=\"signal\"/>\n"                                                   \
	"    <allow send_destination=\"org.freedesktop.DBus\" "                                    \
	"send_interface=\"org.freedesktop.DBus\"/>\n"                                              \
	"    <allow send_destination=\"org.freedesktop.DBus\" "                                    \
	"send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"                               \
	"    <allow send_destination=\"org.freedesktop.DBus\" "                                    \
	"send_interface=\"org.freedesktop.DBus.Properties\"/>\n"                                   \
	"  </policy>\n"                                                                            \
	"  <include>%s/data/org.polld.Agent1.conf</include>\n"

void
pd_test_dbus_start_bus(Fixture *f, BusKind kind)
{
	g_autofree gchar *policy = kind == BUS_SYSTEM
				     ? g_strdup_printf(SYSTEM_POLICY, pd_test_dbus_source_root())
				     : g_strdup(session_policy);

	f->bus_proc = pd_test_bus_start(
	  f->tmpdir, kind == BUS_SYSTEM ? "system" : "session", policy, &f->address, &f->conn);
}

/* --- the daemon --- */

static void
read_line_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Fixture *f = user_data;
	g_autoptr(GError) error = NULL;
	gchar *line =
	  g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, NULL, &error);

	if (line == NULL)
		return;
	g_ptr_array_add(f->lines, line);
	g_data_input_stream_read_line_async(
	  f->out, G_PRIORITY_DEFAULT, f->cancellable, read_line_cb, f);
}

static void
polld_exited_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Fixture *f = user_data;
	if (g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL))
		f->polld_exited = TRUE;
}

void
pd_test_dbus_write_config(Fixture *f, const gchar *test_section, const gchar *yaml)
{
	g_autofree gchar *conf =
	  g_strdup_printf("[DEFAULT]\nhost = test-host\npolling_namespaces = test\n"
			  "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
			  "[test]\n%s\n",
			  test_section);
	g_free(f->conf);
	g_free(f->yaml);
	f->conf = pd_test_dbus_write_file(f, "polld.conf", conf);
	f->yaml = pd_test_dbus_write_file(f, "polling.yaml", yaml);
}

const gchar *pd_test_dbus_default_yaml = "sources:\n"
					 "  - name: fast\n"
					 "    interval: 3600\n"
					 "    meters: [\"test.*\"]\n";

GSubprocess *
pd_test_dbus_spawn_polld(Fixture *f,
			 BusKind kind,
			 GSubprocessFlags flags,
			 const gchar *notify_path,
			 GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(flags);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	const gchar *wrapper = g_getenv("POLLD_WRAPPER");

	if (wrapper != NULL && wrapper[0] != '\0') {
		g_auto(GStrv) words = g_strsplit(wrapper, " ", -1);
		for (guint i = 0; words[i] != NULL; i++)
			g_ptr_array_add(argv, g_strdup(words[i]));
	}
	g_ptr_array_add(argv, g_strdup(g_getenv("POLLD_BINARY")));
	if (kind == BUS_SESSION)
		g_ptr_array_add(argv, g_strdup("--session"));
	g_ptr_array_add(argv, g_strdup("--config-file"));
	g_ptr_array_add(argv, g_strdup(f->conf));
	g_ptr_array_add(argv, g_strdup("--verbose"));
	g_ptr_array_add(argv, NULL);
	g_subprocess_launcher_setenv(launcher,
				     kind == BUS_SYSTEM ? "DBUS_SYSTEM_BUS_ADDRESS"
							: "DBUS_SESSION_BUS_ADDRESS",
				     f->address,
				     TRUE);
	g_subprocess_launcher_unsetenv(launcher, "NOTIFY_SOCKET");
	g_subprocess_launcher_set_child_setup(launcher, pd_test_die_with_parent, NULL, NULL);
	if (notify_path != NULL) {
		g_subprocess_launcher_setenv(launcher, "NOTIFY_SOCKET", notify_path, TRUE);
		g_subprocess_launcher_setenv(launcher, "WATCHDOG_USEC", "200000", TRUE);
	}
	return g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, error);
}

gboolean
pd_test_dbus_name_owned(Fixture *f)
{
	g_autoptr(GVariant) reply = NULL;
	gboolean owned = FALSE;

	reply = g_dbus_connection_call_sync(f->conn,
					    "org.freedesktop.DBus",
					    "/org/freedesktop/DBus",
					    "org.freedesktop.DBus",
					    "NameHasOwner",
					    g_variant_new("(s)", AGENT_NAME),
					    G_VARIANT_TYPE("(b)"),
					    G_DBUS_CALL_FLAGS_NONE,
					    -1,
					    NULL,
					    NULL);
	if (reply != NULL)
		g_variant_get(reply, "(b)", &owned);
	return owned;
}

static gboolean
polld_running(Fixture *f)
{
	g_autoptr(GVariant) state = NULL;

	g_assert_false(f->polld_exited);
	if (!pd_test_dbus_name_owned(f))
		return FALSE;
	state = pd_test_dbus_get_property(f, "State");
	return g_strcmp0(g_variant_get_string(state, NULL), "running") == 0;
}

static void
cycle_finished_cb(GDBusConnection *conn,
		  const gchar *sender,
		  const gchar *path,
		  const gchar *iface,
		  const gchar *signal,
		  GVariant *params,
		  gpointer user_data)
{
	Fixture *f = user_data;
	const gchar *task;
	guint64 duration;
	guint samples, errors;

	g_variant_get(params, "(&stuuu)", &task, &duration, &samples, &errors, NULL);
	g_ptr_array_add(f->cycles, g_strdup_printf("%s %u %u", task, samples, errors));
}

static void
props_changed_cb(GDBusConnection *conn,
		 const gchar *sender,
		 const gchar *path,
		 const gchar *iface,
		 const gchar *signal,
		 GVariant *params,
		 gpointer user_data)
{
	Fixture *f = user_data;
	g_autoptr(GVariant) changed = g_variant_get_child_value(params, 1);
	g_autoptr(GString) names = g_string_new(NULL);
	GVariantIter iter;
	const gchar *key;

	/* one entry per signal: checks that changes are batched */
	g_variant_iter_init(&iter, changed);
	while (g_variant_iter_next(&iter, "{&sv}", &key, NULL))
		g_string_append_printf(names, "%s%s", names->len > 0 ? "," : "", key);
	g_ptr_array_add(f->changed, g_string_free(g_steal_pointer(&names), FALSE));
}

static void
subscribe(Fixture *f)
{
	f->cycle_sub = g_dbus_connection_signal_subscribe(f->conn,
							  AGENT_NAME,
							  AGENT_IFACE,
							  "CycleFinished",
							  AGENT_PATH,
							  NULL,
							  G_DBUS_SIGNAL_FLAGS_NONE,
							  cycle_finished_cb,
							  f,
							  NULL);
	f->props_sub = g_dbus_connection_signal_subscribe(f->conn,
							  AGENT_NAME,
							  "org.freedesktop.DBus.Properties",
							  "PropertiesChanged",
							  AGENT_PATH,
							  AGENT_IFACE,
							  G_DBUS_SIGNAL_FLAGS_NONE,
							  props_changed_cb,
							  f,
							  NULL);
}

void
pd_test_dbus_start_polld_full(Fixture *f, BusKind kind, const gchar *notify_path)
{
	g_autoptr(GError) error = NULL;

	f->polld =
	  pd_test_dbus_spawn_polld(f, kind, G_SUBPROCESS_FLAGS_STDOUT_PIPE, notify_path, &error);
	g_assert_no_error(error);
	g_subprocess_wait_async(f->polld, f->cancellable, polld_exited_cb, f);
	f->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(f->polld));
	g_data_input_stream_read_line_async(
	  f->out, G_PRIORITY_DEFAULT, f->cancellable, read_line_cb, f);
	subscribe(f);
	g_assert_true(pd_test_dbus_wait_for(polld_running, f, 10000));
}

void
pd_test_dbus_start_polld(Fixture *f, BusKind kind)
{
	pd_test_dbus_start_polld_full(f, kind, NULL);
}

static void
pd_test_dbus_fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->tmpdir = g_dir_make_tmp("polld-dbus-XXXXXX", &error);
	g_assert_no_error(error);
	/* unprivileged clients must reach the bus socket */
	g_chmod(f->tmpdir, 0755);
	f->lines = g_ptr_array_new_with_free_func(g_free);
	f->cycles = g_ptr_array_new_with_free_func(g_free);
	f->changed = g_ptr_array_new_with_free_func(g_free);
	f->notifications = g_ptr_array_new_with_free_func(g_free);
	f->cancellable = g_cancellable_new();
	pd_test_dbus_write_config(f, "resources = 2", pd_test_dbus_default_yaml);
}

static gboolean
polld_gone(Fixture *f)
{
	return f->polld_exited;
}

void
pd_test_dbus_stop_polld(Fixture *f)
{
	if (f->polld == NULL)
		return;
	g_subprocess_send_signal(f->polld, SIGTERM);
	g_assert_true(pd_test_dbus_wait_for(polld_gone, f, 10000));
	/* a clean stop: exit status 0 (valgrind: no leaks) */
	g_assert_true(g_subprocess_get_if_exited(f->polld));
	g_assert_cmpint(g_subprocess_get_exit_status(f->polld), ==, 0);
}

static void
pd_test_dbus_fixture_teardown(Fixture *f, gconstpointer data)
{
	if (f->polld != NULL && !f->polld_exited)
		pd_test_dbus_stop_polld(f);
	g_cancellable_cancel(f->cancellable);
	if (f->cycle_sub != 0)
		g_dbus_connection_signal_unsubscribe(f->conn, f->cycle_sub);
	if (f->props_sub != 0)
		g_dbus_connection_signal_unsubscribe(f->conn, f->props_sub);
	if (f->conn != NULL)
		g_dbus_connection_close_sync(f->conn, NULL, NULL);
	g_clear_object(&f->conn);
	if (f->bus_proc != NULL) {
		g_subprocess_force_exit(f->bus_proc);
		g_subprocess_wait(f->bus_proc, NULL, NULL);
	}
	/* let cancelled reads finish */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_clear_object(&f->bus_proc);
	g_clear_object(&f->polld);
	g_clear_object(&f->out);
	g_clear_object(&f->notify);
	g_clear_object(&f->cancellable);
	g_ptr_array_unref(f->lines);
	g_ptr_array_unref(f->cycles);
	g_ptr_array_unref(f->changed);
	g_ptr_array_unref(f->notifications);
	rmtree(f->tmpdir);
	g_free(f->tmpdir);
	g_free(f->conf);
	g_free(f->yaml);
	g_free(f->address);
}

/* --- calls --- */

GVariant *
pd_test_dbus_call(Fixture *f,
		  const gchar *method,
		  GVariant *params,
		  const gchar *type,
		  GError **error)
{
	return g_dbus_connection_call_sync(f->conn,
					   AGENT_NAME,
					   AGENT_PATH,
					   AGENT_IFACE,
					   method,
					   params,
					   type != NULL ? G_VARIANT_TYPE(type) : NULL,
					   G_DBUS_CALL_FLAGS_NONE,
					   (gint)pd_test_dbus_timeout_ms(20000),
					   NULL,
					   error);
}

GVariant *
pd_test_dbus_call_ok(Fixture *f, const gchar *method, GVariant *params, const gchar *type)
{
	g_autoptr(GError) error = NULL;
	GVariant *reply = pd_test_dbus_call(f, method, params, type, &error);
	g_assert_no_error(error);
	return reply;
}

GVariant *
pd_test_dbus_get_property(Fixture *f, const gchar *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	GVariant *value;

	reply = g_dbus_connection_call_sync(f->conn,
					    AGENT_NAME,
					    AGENT_PATH,
					    "org.freedesktop.DBus.Properties",
					    "Get",
					    g_variant_new("(ss)", AGENT_IFACE, name),
					    G_VARIANT_TYPE("(v)"),
					    G_DBUS_CALL_FLAGS_NONE,
					    -1,
					    NULL,
					    &error);
	g_assert_no_error(error);
	g_variant_get(reply, "(v)", &value);
	return value;
}

void
pd_test_dbus_assert_remote_error(GError *error, const gchar *name)
{
	g_autofree gchar *remote = NULL;

	g_assert_nonnull(error);
	remote = g_dbus_error_get_remote_error(error);
	if (g_strcmp0(remote, name) != 0)
		g_error("expected %s, got %s: %s", name, remote, error->message);
}

GVariant *
pd_test_dbus_poll_now(Fixture *f, const gchar *const *names)
{
	const gchar *const all[] = { NULL };
	return pd_test_dbus_call_ok(
	  f, "PollNow", g_variant_new("(^as)", names != NULL ? names : all), "(a{sv})");
}

/* every counter_volume of @meter seen on stdout, which the test plugin
 * counts up from 0: contiguous means no sample went missing */
static void
check_volumes(Fixture *f, const gchar *meter, gboolean contiguous, guint *n_out)
{
	g_autoptr(GArray) seen = g_array_new(FALSE, TRUE, sizeof(gboolean));
	guint n = 0;

	for (guint i = 0; i < f->lines->len; i++) {
		g_autoptr(JsonParser) outer = json_parser_new();
		g_autoptr(JsonParser) inner = json_parser_new();
		JsonArray *samples;
		g_assert_true(
		  json_parser_load_from_data(outer, g_ptr_array_index(f->lines, i), -1, NULL));
		g_assert_true(json_parser_load_from_data(
		  inner,
		  json_object_get_string_member(json_node_get_object(json_parser_get_root(outer)),
						"oslo.message"),
		  -1,
		  NULL));
		samples = json_object_get_array_member(
		  json_object_get_object_member(json_node_get_object(json_parser_get_root(inner)),
						"payload"),
		  "samples");
		for (guint j = 0; j < json_array_get_length(samples); j++) {
			JsonObject *s = json_array_get_object_element(samples, j);
			guint v;
			if (g_strcmp0(json_object_get_string_member(s, "counter_name"), meter) != 0)
				continue;
			v = (guint)json_object_get_int_member(s, "counter_volume");
			if (v >= seen->len)
				g_array_set_size(seen, v + 1);
			g_assert_false(g_array_index(seen, gboolean, v));
			g_array_index(seen, gboolean, v) = TRUE;
			n++;
		}
	}
	for (guint v = 0; contiguous && v < seen->len; v++) {
		if (!g_array_index(seen, gboolean, v))
			g_error("%s: sample with volume %u is missing", meter, v);
	}
	*n_out = n;
}

static gboolean
have_samples(Fixture *f)
{
	guint n;
	check_volumes(f, f->want_meter, FALSE, &n);
	return n >= f->want_n;
}

/* stdout is read asynchronously: wait for @n samples of @meter, then check
 * there are exactly those, without a gap */
void
pd_test_dbus_assert_samples(Fixture *f, const gchar *meter, guint n)
{
	guint got;

	f->want_meter = meter;
	f->want_n = n;
	g_assert_true(pd_test_dbus_wait_for(have_samples, f, 5000));
	check_volumes(f, meter, TRUE, &got);
	if (got != n) {
		for (guint i = 0; i < f->cycles->len; i++)
			g_printerr("cycle: %s\n", (const gchar *)g_ptr_array_index(f->cycles, i));
		g_error("%s: %u samples, expected %u", meter, got, n);
	}
}

GVariant *
pd_test_dbus_find_by_name(GVariant *list, const gchar *name)
{
	for (gsize i = 0; i < g_variant_n_children(list); i++) {
		GVariant *d = g_variant_get_child_value(list, i);
		const gchar *n = NULL;
		if (g_variant_lookup(d, "name", "&s", &n) && g_strcmp0(n, name) == 0)
			return d;
		g_variant_unref(d);
	}
	return NULL;
}

gboolean
pd_test_dbus_have_first_cycle(Fixture *f)
{
	return f->cycles->len >= 1;
}

gboolean
pd_test_dbus_have_two_cycles(Fixture *f)
{
	return f->cycles->len >= 2;
}

guint64
pd_test_dbus_generation(Fixture *f)
{
	g_autoptr(GVariant) v = pd_test_dbus_get_property(f, "ConfigGeneration");
	return g_variant_get_uint64(v);
}

void
pd_test_dbus_assert_reload_refused(Fixture *f, const gchar *where, guint64 generation)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = pd_test_dbus_call(f, "Reload", NULL, "(tas)", &error);

	g_assert_null(reply);
	pd_test_dbus_assert_remote_error(error, "org.polld.Agent1.Error.InvalidConfig");
	if (strstr(error->message, where) == NULL)
		g_error("no '%s' in \"%s\"", where, error->message);
	g_assert_cmpuint(pd_test_dbus_generation(f), ==, generation);
}

void
pd_test_dbus_assert_reload_notes(Fixture *f, guint64 generation, const gchar *const *notes)
{
	g_autoptr(GVariant) reply = pd_test_dbus_call_ok(f, "Reload", NULL, "(tas)");
	g_autofree const gchar **got = NULL;
	guint64 gen;

	g_variant_get(reply, "(t^a&s)", &gen, &got);
	g_assert_cmpuint(gen, ==, generation);
	g_assert_cmpstrv(got, notes);
}

void
pd_test_dbus_init(gint *argc, gchar ***argv)
{
	g_test_init(argc, argv, NULL);
	/* polld must not find a developer's session or system bus */
	g_unsetenv("DBUS_SESSION_BUS_ADDRESS");
	g_unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

void
pd_test_dbus_add(const gchar *path, PdTestDbusFunc func)
{
	g_test_add(
	  path, Fixture, NULL, pd_test_dbus_fixture_setup, func, pd_test_dbus_fixture_teardown);
}
