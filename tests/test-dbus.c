/*
 * polld integration tests: the real daemon on a private bus, driven over
 * org.polld.Agent1 and through polldctl
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

#include "pd-test-util.h"

#define AGENT_NAME "org.polld.Agent1"
#define AGENT_PATH "/org/polld/Agent1"
#define AGENT_IFACE "org.polld.Agent1"

typedef enum {
	BUS_SESSION, /* permissive: every uid may send anything */
	BUS_SYSTEM,  /* the default system policy plus data/org.polld.Agent1.conf */
} BusKind;

typedef struct {
	gchar *tmpdir;
	gchar *conf;
	gchar *yaml;
	gchar *address;
	GSubprocess *bus_proc;
	GSubprocess *polld;
	gboolean polld_exited;
	GDBusConnection *conn;
	GPtrArray *lines; /* stdout of polld: one message per line */
	GDataInputStream *out;
	GCancellable *cancellable;
	GPtrArray *cycles;  /* task names of CycleFinished signals */
	GPtrArray *changed; /* names of changed properties */
	guint cycle_sub;
	guint props_sub;
	/* sd_notify */
	GSocket *notify;
	GPtrArray *notifications;
	gboolean ready_had_owner;
	/* what assert_samples() waits for */
	const gchar *want_meter;
	guint want_n;
} Fixture;

/* --- helpers --- */

static guint
timeout_ms(guint ms)
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
static gboolean
wait_for(gboolean (*cond)(Fixture *f), Fixture *f, guint ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms(ms) * 1000;
	guint tick = g_timeout_add(20, tick_cb, NULL);
	gboolean ok;

	while (!(ok = cond(f)) && g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(tick);
	return ok;
}

static gchar *
write_file(Fixture *f, const gchar *name, const gchar *contents)
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

static const gchar *
source_root(void)
{
	const gchar *root = g_getenv("POLLD_SOURCE_ROOT");
	g_assert_nonnull(root);
	return root;
}

static gchar *
build_path(const gchar *rel)
{
	const gchar *root = g_getenv("POLLD_BUILD_ROOT");
	g_assert_nonnull(root);
	return g_build_filename(root, rel, NULL);
}

/* children die with the test, even when an assertion aborts it */
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

static void
start_bus(Fixture *f, BusKind kind)
{
	g_autofree gchar *policy = kind == BUS_SYSTEM
				     ? g_strdup_printf(SYSTEM_POLICY, source_root())
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

static void
write_config(Fixture *f, const gchar *test_section, const gchar *yaml)
{
	g_autofree gchar *conf =
	  g_strdup_printf("[DEFAULT]\nhost = test-host\npolling_namespaces = test\n"
			  "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
			  "[test]\n%s\n",
			  test_section);
	g_free(f->conf);
	g_free(f->yaml);
	f->conf = write_file(f, "polld.conf", conf);
	f->yaml = write_file(f, "polling.yaml", yaml);
}

static const gchar *default_yaml = "sources:\n"
				   "  - name: fast\n"
				   "    interval: 3600\n"
				   "    meters: [\"test.*\"]\n";

static GSubprocess *
spawn_polld(Fixture *f,
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

static gboolean
name_owned(Fixture *f)
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

static GVariant *
get_property(Fixture *f, const gchar *name);

static gboolean
polld_running(Fixture *f)
{
	g_autoptr(GVariant) state = NULL;

	g_assert_false(f->polld_exited);
	if (!name_owned(f))
		return FALSE;
	state = get_property(f, "State");
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

static void
start_polld_full(Fixture *f, BusKind kind, const gchar *notify_path)
{
	g_autoptr(GError) error = NULL;

	f->polld = spawn_polld(f, kind, G_SUBPROCESS_FLAGS_STDOUT_PIPE, notify_path, &error);
	g_assert_no_error(error);
	g_subprocess_wait_async(f->polld, f->cancellable, polld_exited_cb, f);
	f->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(f->polld));
	g_data_input_stream_read_line_async(
	  f->out, G_PRIORITY_DEFAULT, f->cancellable, read_line_cb, f);
	subscribe(f);
	g_assert_true(wait_for(polld_running, f, 10000));
}

static void
start_polld(Fixture *f, BusKind kind)
{
	start_polld_full(f, kind, NULL);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
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
	write_config(f, "resources = 2", default_yaml);
}

static gboolean
polld_gone(Fixture *f)
{
	return f->polld_exited;
}

static void
stop_polld(Fixture *f)
{
	if (f->polld == NULL)
		return;
	g_subprocess_send_signal(f->polld, SIGTERM);
	g_assert_true(wait_for(polld_gone, f, 10000));
	/* a clean stop: exit status 0 (valgrind: no leaks) */
	g_assert_true(g_subprocess_get_if_exited(f->polld));
	g_assert_cmpint(g_subprocess_get_exit_status(f->polld), ==, 0);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	if (f->polld != NULL && !f->polld_exited)
		stop_polld(f);
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

static GVariant *
call(Fixture *f, const gchar *method, GVariant *params, const gchar *type, GError **error)
{
	return g_dbus_connection_call_sync(f->conn,
					   AGENT_NAME,
					   AGENT_PATH,
					   AGENT_IFACE,
					   method,
					   params,
					   type != NULL ? G_VARIANT_TYPE(type) : NULL,
					   G_DBUS_CALL_FLAGS_NONE,
					   (gint)timeout_ms(20000),
					   NULL,
					   error);
}

static GVariant *
call_ok(Fixture *f, const gchar *method, GVariant *params, const gchar *type)
{
	g_autoptr(GError) error = NULL;
	GVariant *reply = call(f, method, params, type, &error);
	g_assert_no_error(error);
	return reply;
}

static GVariant *
get_property(Fixture *f, const gchar *name)
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

static void
assert_remote_error(GError *error, const gchar *name)
{
	g_autofree gchar *remote = NULL;

	g_assert_nonnull(error);
	remote = g_dbus_error_get_remote_error(error);
	if (g_strcmp0(remote, name) != 0)
		g_error("expected %s, got %s: %s", name, remote, error->message);
}

static GVariant *
poll_now(Fixture *f, const gchar *const *names)
{
	const gchar *const all[] = { NULL };
	return call_ok(
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
static void
assert_samples(Fixture *f, const gchar *meter, guint n)
{
	guint got;

	f->want_meter = meter;
	f->want_n = n;
	g_assert_true(wait_for(have_samples, f, 5000));
	check_volumes(f, meter, TRUE, &got);
	if (got != n) {
		for (guint i = 0; i < f->cycles->len; i++)
			g_printerr("cycle: %s\n", (const gchar *)g_ptr_array_index(f->cycles, i));
		g_error("%s: %u samples, expected %u", meter, got, n);
	}
}

static GVariant *
find_by_name(GVariant *list, const gchar *name)
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

/* --- properties, reads, introspection --- */

static void
test_properties(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) props = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree const gchar **files = NULL;
	g_autofree const gchar **ns = NULL;
	g_autofree gchar *canonical = NULL;
	const gchar *s;
	guint64 t;

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	reply = g_dbus_connection_call_sync(f->conn,
					    AGENT_NAME,
					    AGENT_PATH,
					    "org.freedesktop.DBus.Properties",
					    "GetAll",
					    g_variant_new("(s)", AGENT_IFACE),
					    G_VARIANT_TYPE("(a{sv})"),
					    G_DBUS_CALL_FLAGS_NONE,
					    -1,
					    NULL,
					    NULL);
	g_assert_nonnull(reply);
	props = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(props), ==, 11);
	/* no [coordination] backend_url: every agent polls everything */
	g_assert_true(g_variant_lookup(props, "Coordination", "&s", &s));
	g_assert_cmpstr(s, ==, "disabled");
	g_assert_true(g_variant_lookup(props, "Version", "&s", &s));
	g_assert_cmpstr(s, ==, PACKAGE_VERSION);
	g_assert_true(g_variant_lookup(props, "State", "&s", &s));
	g_assert_cmpstr(s, ==, "running");
	g_assert_true(g_variant_lookup(props, "StartTime", "t", &t));
	g_assert_cmpuint(t, <=, (guint64)g_get_real_time());
	g_assert_cmpuint(t, >, (guint64)g_get_real_time() - 600 * G_USEC_PER_SEC);
	g_assert_true(g_variant_lookup(props, "Host", "&s", &s));
	g_assert_cmpstr(s, ==, "test-host");
	g_assert_true(g_variant_lookup(props, "Namespaces", "^a&s", &ns));
	g_assert_cmpstrv(ns, ((const gchar *const[]){ "test", NULL }));
	g_assert_true(g_variant_lookup(props, "ConfigFiles", "^a&s", &files));
	canonical = g_canonicalize_filename(f->conf, NULL);
	g_assert_cmpstrv(files, ((const gchar *const[]){ canonical, NULL }));
	g_assert_true(g_variant_lookup(props, "ConfigGeneration", "t", &t));
	g_assert_cmpuint(t, ==, 1);
	g_assert_true(g_variant_lookup(props, "PublisherState", "&s", &s));
	g_assert_cmpstr(s, ==, "connected");
	g_assert_true(g_variant_lookup(props, "PublisherError", "&s", &s));
	g_assert_cmpstr(s, ==, "");
}

static void
assert_args_equal(GDBusArgInfo **a, GDBusArgInfo **b, const gchar *what)
{
	guint i;

	for (i = 0; a != NULL && a[i] != NULL; i++) {
		g_assert_nonnull(b);
		if (b[i] == NULL)
			g_error("%s: argument %s missing", what, a[i]->name);
		g_assert_cmpstr(a[i]->name, ==, b[i]->name);
		g_assert_cmpstr(a[i]->signature, ==, b[i]->signature);
	}
	g_assert_true(b == NULL || b[i] == NULL);
}

/* the interface the daemon exports is the one dbus/org.polld.Agent1.xml documents */
static void
assert_interfaces_equal(GDBusInterfaceInfo *want, GDBusInterfaceInfo *got)
{
	guint i;

	for (i = 0; want->methods[i] != NULL; i++) {
		GDBusMethodInfo *m =
		  g_dbus_interface_info_lookup_method(got, want->methods[i]->name);
		if (m == NULL)
			g_error("method %s not exported", want->methods[i]->name);
		assert_args_equal(want->methods[i]->in_args, m->in_args, m->name);
		assert_args_equal(want->methods[i]->out_args, m->out_args, m->name);
	}
	g_assert_null(got->methods[i]);
	for (i = 0; want->signals[i] != NULL; i++) {
		GDBusSignalInfo *sig =
		  g_dbus_interface_info_lookup_signal(got, want->signals[i]->name);
		g_assert_nonnull(sig);
		assert_args_equal(want->signals[i]->args, sig->args, sig->name);
	}
	g_assert_null(got->signals[i]);
	for (i = 0; want->properties[i] != NULL; i++) {
		GDBusPropertyInfo *p =
		  g_dbus_interface_info_lookup_property(got, want->properties[i]->name);
		if (p == NULL)
			g_error("property %s not exported", want->properties[i]->name);
		g_assert_cmpstr(p->signature, ==, want->properties[i]->signature);
		g_assert_cmpint(p->flags, ==, want->properties[i]->flags);
	}
	g_assert_null(got->properties[i]);
}

static void
test_introspection(Fixture *f, gconstpointer data)
{
	g_autofree gchar *xml_path =
	  g_build_filename(source_root(), "dbus", "org.polld.Agent1.xml", NULL);
	g_autofree gchar *xml = NULL;
	g_autofree gchar *live = NULL;
	g_autoptr(GDBusNodeInfo) want = NULL;
	g_autoptr(GDBusNodeInfo) got = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) gdbus = NULL;

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_file_get_contents(xml_path, &xml, NULL, &error);
	g_assert_no_error(error);
	want = g_dbus_node_info_new_for_xml(xml, &error);
	g_assert_no_error(error);
	/* what an operator sees with gdbus introspect */
	gdbus = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE,
				 &error,
				 "gdbus",
				 "introspect",
				 "--address",
				 f->address,
				 "--dest",
				 AGENT_NAME,
				 "--object-path",
				 AGENT_PATH,
				 "--xml",
				 NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(gdbus, NULL, NULL, &live, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_successful(gdbus));
	got = g_dbus_node_info_new_for_xml(live, &error);
	g_assert_no_error(error);
	assert_interfaces_equal(g_dbus_node_info_lookup_interface(want, AGENT_IFACE),
				g_dbus_node_info_lookup_interface(got, AGENT_IFACE));
	g_assert_nonnull(g_dbus_node_info_lookup_interface(got, "org.freedesktop.DBus.Peer"));
	g_assert_nonnull(g_dbus_node_info_lookup_interface(got, "org.freedesktop.DBus.Properties"));
}

static void
assert_keys(GVariant *dict, const gchar *const *keys_types)
{
	for (guint i = 0; keys_types[i] != NULL; i += 2) {
		g_autoptr(GVariant) v = g_variant_lookup_value(dict, keys_types[i], NULL);
		if (v == NULL)
			g_error("key %s missing", keys_types[i]);
		g_assert_cmpstr(g_variant_get_type_string(v), ==, keys_types[i + 1]);
	}
}

static const gchar *const pollster_keys[] = {
	"name",
	"s",
	"plugin",
	"s",
	"namespace",
	"s",
	"sources",
	"as",
	"interval",
	"u",
	"state",
	"s",
	"plugin_status",
	"s",
	"last_run",
	"x",
	"last_duration_us",
	"x",
	"last_samples",
	"u",
	"last_error",
	"s",
	"runs",
	"t",
	"errors",
	"t",
	"samples",
	"t",
	"skipped",
	"t",
	"busy",
	"b",
	"blacklisted",
	"u",
	NULL,
};

static const gchar *const task_keys[] = {
	"name",	    "s", "interval",	     "u", "pollsters", "as", "running", "b",
	"next_run", "x", "last_duration_us", "x", "overruns",  "t",  "cycles",	"t",
	NULL,
};

static gboolean
have_first_cycle(Fixture *f)
{
	return f->cycles->len >= 1;
}

static void
test_get_methods(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GVariant) gauge = NULL;
	g_autoptr(GVariant) task = NULL;
	g_autoptr(GVariant) stats = NULL;
	g_autofree const gchar **sources = NULL;
	const gchar *s;
	guint32 u;
	guint64 t;

	write_config(f, "resources = 3\npermanent = test-2", default_yaml);
	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_assert_true(wait_for(have_first_cycle, f, 10000));

	reply = call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 3);
	for (gsize i = 0; i < g_variant_n_children(list); i++) {
		g_autoptr(GVariant) p = g_variant_get_child_value(list, i);
		assert_keys(p, pollster_keys);
	}
	gauge = find_by_name(list, "test.gauge");
	g_assert_nonnull(gauge);
	g_assert_true(g_variant_lookup(gauge, "plugin", "&s", &s));
	g_assert_cmpstr(s, ==, "test");
	g_assert_true(g_variant_lookup(gauge, "namespace", "&s", &s));
	g_assert_cmpstr(s, ==, "test");
	g_assert_true(g_variant_lookup(gauge, "state", "&s", &s));
	g_assert_cmpstr(s, ==, "enabled");
	g_assert_true(g_variant_lookup(gauge, "sources", "^a&s", &sources));
	g_assert_cmpstrv(sources, ((const gchar *const[]){ "fast", NULL }));
	g_assert_true(g_variant_lookup(gauge, "interval", "u", &u));
	g_assert_cmpuint(u, ==, 3600);
	g_assert_true(g_variant_lookup(gauge, "last_samples", "u", &u));
	g_assert_cmpuint(u, ==, 2);
	g_assert_true(g_variant_lookup(gauge, "blacklisted", "u", &u));
	g_assert_cmpuint(u, ==, 1);
	g_assert_true(g_variant_lookup(gauge, "runs", "t", &t));
	g_assert_cmpuint(t, ==, 1);

	g_clear_pointer(&reply, g_variant_unref);
	g_clear_pointer(&list, g_variant_unref);
	reply = call_ok(f, "GetTasks", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 1);
	task = g_variant_get_child_value(list, 0);
	assert_keys(task, task_keys);
	g_assert_true(g_variant_lookup(task, "interval", "u", &u));
	g_assert_cmpuint(u, ==, 3600);
	g_assert_true(g_variant_lookup(task, "cycles", "t", &t));
	g_assert_cmpuint(t, ==, 1);

	g_clear_pointer(&reply, g_variant_unref);
	reply = call_ok(f, "GetStatistics", NULL, "(a{sv})");
	stats = g_variant_get_child_value(reply, 0);
	assert_keys(stats,
		    (const gchar *const[]){ "cycles",
					    "t",
					    "samples_polled",
					    "t",
					    "cycle_errors",
					    "t",
					    "resources_blacklisted",
					    "t",
					    "uptime_us",
					    "t",
					    "sinks",
					    "a{sv}",
					    NULL });
	g_assert_true(g_variant_lookup(stats, "cycles", "t", &t));
	g_assert_cmpuint(t, ==, 1);
	g_assert_true(g_variant_lookup(stats, "samples_polled", "t", &t));
	g_assert_cmpuint(t, ==, 6);
	/* every sink reports the same counters under the same names */
	{
		g_autoptr(GVariant) sinks = g_variant_lookup_value(stats, "sinks", NULL);
		g_autoptr(GVariant) notifier = g_variant_lookup_value(sinks, "notifier", NULL);
		g_assert_nonnull(notifier);
		assert_keys(notifier,
			    (const gchar *const[]){ "state",
						    "s",
						    "error",
						    "s",
						    "samples_received",
						    "t",
						    "samples_delivered",
						    "t",
						    "samples_dropped",
						    "t",
						    "samples_queued",
						    "t",
						    NULL });
		g_assert_true(g_variant_lookup(notifier, "samples_received", "t", &t));
		g_assert_cmpuint(t, ==, 6);
		g_assert_true(g_variant_lookup(notifier, "samples_delivered", "t", &t));
		g_assert_cmpuint(t, ==, 6);
	}
}

/* --- control --- */

static gboolean
have_two_cycles(Fixture *f)
{
	return f->cycles->len >= 2;
}

static void
test_poll_now(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_assert_true(wait_for(have_first_cycle, f, 10000));
	/* returns once the cycle is published: the samples are on stdout
	 * (the stdout publisher writes before confirming) */
	g_clear_pointer(&reply, g_variant_unref);
	reply = poll_now(f, NULL);
	g_assert_true(wait_for(have_two_cycles, f, 5000));
	g_assert_cmpstr(g_ptr_array_index(f->cycles, 1), ==, "every 3600s 6 0");
	g_clear_pointer(&reply, g_variant_unref);
	reply = poll_now(f, (const gchar *const[]){ "test.gauge", NULL });
	g_clear_pointer(&reply, g_variant_unref);
	reply = poll_now(f, (const gchar *const[]){ "fast", NULL });
	assert_samples(f, "test.gauge", 8);
	assert_samples(f, "test.delta", 6);

	g_clear_pointer(&reply, g_variant_unref);
	reply = call(f,
		     "PollNow",
		     g_variant_new("(^as)", (const gchar *const[]){ "nope", NULL }),
		     "(a{sv})",
		     &error);
	g_assert_null(reply);
	assert_remote_error(error, "org.polld.Agent1.Error.NotFound");
	g_assert_nonnull(strstr(error->message, "nope"));
}

/* a PropertiesChanged signal seen so far named @property */
static gboolean
changed_mentions(Fixture *f, const gchar *property)
{
	for (guint i = 0; i < f->changed->len; i++) {
		if (strstr(g_ptr_array_index(f->changed, i), property) != NULL)
			return TRUE;
	}
	return FALSE;
}

static gboolean
state_changed(Fixture *f)
{
	return changed_mentions(f, "State");
}

static void
test_pause_resume(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) state = NULL;

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_ptr_array_set_size(f->changed, 0);
	reply = call_ok(f, "Pause", NULL, "()");
	state = get_property(f, "State");
	g_assert_cmpstr(g_variant_get_string(state, NULL), ==, "paused");
	g_assert_true(wait_for(state_changed, f, 5000));
	/* PollNow still works while paused */
	g_clear_pointer(&reply, g_variant_unref);
	reply = poll_now(f, NULL);
	g_clear_pointer(&reply, g_variant_unref);
	reply = call_ok(f, "Resume", NULL, "()");
	g_clear_pointer(&state, g_variant_unref);
	state = get_property(f, "State");
	g_assert_cmpstr(g_variant_get_string(state, NULL), ==, "running");
}

static gboolean
have_generation_change(Fixture *f)
{
	return changed_mentions(f, "ConfigGeneration");
}

/* two property changes of one reload travel in one signal */
static void
test_batched_changes(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) host = NULL;
	g_autofree gchar *conf = NULL;
	g_autofree gchar *new_conf = NULL;

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_ptr_array_set_size(f->changed, 0);
	g_file_get_contents(f->conf, &conf, NULL, NULL);
	/* the host goes back to the default, the namespaces stay */
	new_conf =
	  g_strconcat("[DEFAULT]\npolling_namespaces = test\n", strstr(conf, "[polling]"), NULL);
	g_free(write_file(f, "polld.conf", new_conf));
	reply = call_ok(f, "Reload", NULL, "(tas)");
	host = get_property(f, "Host");
	g_assert_cmpstr(g_variant_get_string(host, NULL), !=, "test-host");
	g_assert_true(wait_for(have_generation_change, f, 5000));
	/* State may still come from the start-up, separately */
	for (guint i = 0; i < f->changed->len; i++) {
		const gchar *names = g_ptr_array_index(f->changed, i);
		if (strstr(names, "Host") != NULL || strstr(names, "ConfigGeneration") != NULL)
			g_assert_cmpstr(names, ==, "Host,ConfigGeneration");
	}
}

/* a plugin whose service isn't there yet: its pollsters back off */
static void
test_backing_off(Fixture *f, gconstpointer data)
{
	g_autofree gchar *flag = g_build_filename(f->tmpdir, "not-ready", NULL);
	g_autofree gchar *section = g_strdup_printf("not_ready = %s", flag);
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GVariant) gauge = NULL;
	const gchar *s;

	g_free(write_file(f, "not-ready", ""));
	write_config(f, section, default_yaml);
	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	reply = call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	gauge = find_by_name(list, "test.gauge");
	g_assert_true(g_variant_lookup(gauge, "state", "&s", &s));
	g_assert_cmpstr(s, ==, "backing-off");
	g_assert_true(g_variant_lookup(gauge, "plugin_status", "&s", &s));
	g_assert_cmpstr(s, !=, "");
}

/* --- reload --- */

static guint64
generation(Fixture *f)
{
	g_autoptr(GVariant) v = get_property(f, "ConfigGeneration");
	return g_variant_get_uint64(v);
}

static void
test_reload_invalid(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) before = NULL;
	g_autoptr(GVariant) after = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autofree gchar *where = NULL;

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	before = call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	/* line 4, column 15: interval is not a number */
	g_free(
	  write_file(f,
		     "polling.yaml",
		     "sources:\n  - name: fast\n    meters: [\"test.*\"]\n    interval: soon\n"));
	reply = call(f, "Reload", NULL, "(tas)", &error);
	g_assert_null(reply);
	assert_remote_error(error, "org.polld.Agent1.Error.InvalidConfig");
	where = g_strdup_printf("%s:4:", f->yaml);
	if (strstr(error->message, where) == NULL)
		g_error("no %s in \"%s\"", where, error->message);
	g_assert_cmpuint(generation(f), ==, 1);
	/* the old tasks still run */
	after = call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	g_assert_true(g_variant_equal(before, after) || g_variant_n_children(after) == 1);
	list = g_variant_get_child_value(after, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 3);
	g_clear_pointer(&reply, g_variant_unref);
	reply = poll_now(f, (const gchar *const[]){ "fast", NULL });
	g_clear_error(&error);

	/* a broken config file is refused the same way */
	g_free(write_file(f, "polld.conf", "[DEFAULT\nhost = x\n"));
	g_clear_pointer(&reply, g_variant_unref);
	reply = call(f, "Reload", NULL, "(tas)", &error);
	assert_remote_error(error, "org.polld.Agent1.Error.InvalidConfig");
	g_assert_nonnull(strstr(error->message, "polld.conf:1:"));
	g_assert_cmpuint(generation(f), ==, 1);
}

static gboolean
have_three_cycles(Fixture *f)
{
	return f->cycles->len >= 3;
}

static gboolean
generation_is_3(Fixture *f)
{
	return generation(f) == 3;
}

/* a plugin option out of its range is a reload error, as a core one is:
 * file:line in the D-Bus error, the old configuration keeps running */
static void
test_reload_plugin_range(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree gchar *where = NULL;

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_assert_true(wait_for(have_first_cycle, f, 10000));
	/* the test plugin's delay_ms is 0 to 3600000 */
	write_config(f, "resources = 2\ndelay_ms = -1", default_yaml);
	reply = call(f, "Reload", NULL, "(tas)", &error);
	g_assert_null(reply);
	assert_remote_error(error, "org.polld.Agent1.Error.InvalidConfig");
	where = g_strdup_printf(
	  "%s:9: [test] delay_ms = '-1': expected an integer from 0 to 3600000", f->conf);
	if (strstr(error->message, where) == NULL)
		g_error("no '%s' in \"%s\"", where, error->message);
	g_assert_cmpuint(generation(f), ==, 1);
	/* still polling with the old configuration */
	reply = poll_now(f, NULL);
	g_assert_true(wait_for(have_two_cycles, f, 10000));
	/* corrected, it applies */
	write_config(f, "resources = 2\ndelay_ms = 1", default_yaml);
	g_clear_pointer(&reply, g_variant_unref);
	reply = call_ok(f, "Reload", NULL, "(tas)");
	g_assert_cmpuint(generation(f), ==, 2);
}

/* [coordination] is read once, when polld joins: a reload names each
 * changed key in the log and in its result instead of dropping it */
static void
test_reload_coordination(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree const gchar **notes = NULL;
	g_autofree gchar *conf = NULL;
	guint64 gen;

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	conf = g_strdup_printf("[DEFAULT]\nhost = test-host\npolling_namespaces = test\n"
			       "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
			       "partitioning_group_prefix = blue\n"
			       "[coordination]\nbackend_url = etcd3+http://127.0.0.1:1\n"
			       "stale_action = poll_all\n[test]\nresources = 2\n");
	g_free(write_file(f, "polld.conf", conf));
	reply = call_ok(f, "Reload", NULL, "(tas)");
	g_variant_get(reply, "(t^a&s)", &gen, &notes);
	g_assert_cmpuint(gen, ==, 2);
	g_assert_cmpstrv(
	  notes,
	  ((const gchar *const[]){
	    "[coordination] backend_url changed: it takes effect when polld restarts",
	    "[coordination] stale_action changed: it takes effect when polld restarts",
	    "[polling] partitioning_group_prefix changed: it takes effect when polld restarts",
	    NULL }));
	/* out of range is refused, not named */
	g_free(write_file(f,
			  "polld.conf",
			  "[DEFAULT]\nhost = test-host\npolling_namespaces = test\n"
			  "[polling]\ncfg_file = polling.yaml\n"
			  "[coordination]\nmax_stale_seconds = -1\n[test]\nresources = 2\n"));
	g_clear_pointer(&reply, g_variant_unref);
	reply = call(f, "Reload", NULL, "(tas)", &error);
	g_assert_null(reply);
	assert_remote_error(error, "org.polld.Agent1.Error.InvalidConfig");
	g_assert_nonnull(strstr(error->message, "[coordination] max_stale_seconds = '-1'"));
	g_assert_cmpuint(generation(f), ==, 2);
}

static void
test_reload_valid(Fixture *f, gconstpointer data)
{
	const gchar *yaml2 = "sources:\n"
			     "  - name: fast\n"
			     "    interval: 3600\n"
			     "    meters: [\"test.gauge\", \"test.delta\"]\n"
			     "  - name: slow\n"
			     "    interval: 7200\n"
			     "    meters: [\"test.delta\"]\n"
			     "    discovery: [\"test_resources:1\"]\n";
	const gchar *yaml3 = "sources:\n"
			     "  - name: fast\n"
			     "    interval: 3600\n"
			     "    meters: [\"test.*\"]\n";
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GVariant) cumulative = NULL;
	g_autoptr(GVariant) delta = NULL;
	g_autofree const gchar **sources = NULL;
	g_autofree const gchar **notes = NULL;
	const gchar *s;
	guint64 gen, runs;

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_assert_true(wait_for(have_first_cycle, f, 10000));
	reply = poll_now(f, NULL);

	/* drop test.cumulative, add a source for test.delta */
	g_free(write_file(f, "polling.yaml", yaml2));
	g_clear_pointer(&reply, g_variant_unref);
	reply = call_ok(f, "Reload", NULL, "(tas)");
	g_variant_get(reply, "(t^a&s)", &gen, &notes);
	/* all of it applied */
	g_assert_cmpuint(g_strv_length((gchar **)notes), ==, 0);
	g_assert_cmpuint(gen, ==, 2);
	g_assert_cmpuint(generation(f), ==, 2);
	/* the new 7200 s task runs at once, the 3600 s one keeps its schedule */
	g_assert_true(wait_for(have_three_cycles, f, 5000));
	g_clear_pointer(&reply, g_variant_unref);
	reply = call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	cumulative = find_by_name(list, "test.cumulative");
	g_assert_true(g_variant_lookup(cumulative, "state", "&s", &s));
	g_assert_cmpstr(s, ==, "disabled");
	delta = find_by_name(list, "test.delta");
	g_assert_true(g_variant_lookup(delta, "sources", "^a&s", &sources));
	g_assert_cmpstrv(sources, ((const gchar *const[]){ "fast", "slow", NULL }));
	/* unchanged pollsters keep their state */
	g_assert_true(g_variant_lookup(delta, "runs", "t", &runs));
	g_assert_cmpuint(runs, ==, 3);
	g_clear_pointer(&reply, g_variant_unref);
	reply = call_ok(f, "GetTasks", NULL, "(aa{sv})");
	g_assert_cmpuint(g_variant_n_children(reply), ==, 1);
	g_clear_pointer(&list, g_variant_unref);
	list = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 2);
	g_clear_pointer(&reply, g_variant_unref);
	reply = poll_now(f, NULL);

	/* SIGHUP does the same */
	g_free(write_file(f, "polling.yaml", yaml3));
	g_subprocess_send_signal(f->polld, SIGHUP);
	g_assert_true(wait_for(generation_is_3, f, 5000));
	g_clear_pointer(&reply, g_variant_unref);
	reply = poll_now(f, NULL);

	/* no sample polled around the reloads went missing, and the
	 * counters went on from where they were */
	assert_samples(f, "test.gauge", 8);
	assert_samples(f, "test.delta", 10);
	assert_samples(f, "test.cumulative", 6);
}

static void
reload_notes(Fixture *f, const gchar *conf, GPtrArray *out)
{
	g_autoptr(GVariant) reply = NULL;
	g_autofree const gchar **notes = NULL;
	guint64 gen;

	g_free(write_file(f, "polld.conf", conf));
	reply = call_ok(f, "Reload", NULL, "(tas)");
	g_variant_get(reply, "(t^a&s)", &gen, &notes);
	g_ptr_array_set_size(out, 0);
	for (guint i = 0; notes[i] != NULL; i++) {
		g_test_message("reload note: %s", notes[i]);
		g_ptr_array_add(out, g_strdup(notes[i]));
	}
}

static gboolean
has_note(GPtrArray *notes, const gchar *pattern)
{
	for (guint i = 0; i < notes->len; i++) {
		if (g_pattern_match_simple(pattern, g_ptr_array_index(notes, i)))
			return TRUE;
	}
	return FALSE;
}

static void
test_reload_selection(Fixture *f, gconstpointer data)
{
	const gchar *central = "[DEFAULT]\nhost = test-host\npolling_namespaces = central\n"
			       "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
			       "[oslo_messaging_rabbit]\nrabbit_retry_interval = 5\n"
			       "[test]\nnot_ready = /nonexistent\n";
	g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GVariant) ns = NULL;
	g_autofree const gchar **nsv = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autofree gchar *conf = NULL;

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_assert_true(wait_for(have_first_cycle, f, 10000));
	g_assert_true(g_file_get_contents(f->conf, &conf, NULL, NULL));

	/* another namespace: the test pollsters go, nothing is left to poll,
	 * and a connection setting can only apply at restart: all said */
	reload_notes(f, central, notes);
	g_assert_true(has_note(notes,
			       "*polling.yaml: no source matches any loaded pollster, "
			       "nothing to poll"));
	g_assert_true(has_note(notes,
			       "[oslo_messaging_rabbit] rabbit_retry_interval changed: "
			       "it takes effect when polld restarts"));
	/* the test plugin reads not_ready at start only: its reconfigure says so */
	g_assert_true(has_note(notes, "[test] not_ready changed: *"));
	ns = get_property(f, "Namespaces");
	nsv = g_variant_get_strv(ns, NULL);
	g_assert_cmpstrv(nsv, ((const gchar *const[]){ "central", NULL }));
	reply = call_ok(f, "GetTasks", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 0);

	/* and back: polling again, nothing to say */
	reload_notes(f, conf, notes);
	g_assert_false(has_note(notes, "*nothing to poll"));
	g_clear_pointer(&reply, g_variant_unref);
	g_clear_pointer(&list, g_variant_unref);
	reply = call_ok(f, "GetTasks", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 1);
}

static gchar *
dynamic_def(const gchar *name, guint value)
{
	return g_strdup_printf("- name: dynamic.%s\n"
			       "  sample_type: gauge\n"
			       "  unit: x\n"
			       "  value_attribute: v\n"
			       "  namespaces: [test]\n"
			       "  host_command: \"echo '[{\\\"id\\\": \\\"r\\\", "
			       "\\\"v\\\": %u}]'\"\n",
			       name,
			       value);
}

/* a reload reads the dynamic pollster definitions again */
static void
test_reload_dynamic(Fixture *f, gconstpointer data)
{
	g_autofree gchar *dir = g_build_filename(f->tmpdir, "pollsters.d", NULL);
	g_autofree gchar *conf =
	  g_strdup_printf("[DEFAULT]\nhost = test-host\n"
			  "polling_namespaces = test\n"
			  "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
			  "pollsters_definitions_dirs = %s\n",
			  dir);
	g_autofree gchar *a_yaml = dynamic_def("a", 0);
	g_autofree gchar *b_yaml = dynamic_def("b", 0);
	g_autofree gchar *b2_yaml = dynamic_def("b", 1);
	g_autofree gchar *a_file = g_build_filename(dir, "a.yaml", NULL);
	g_autofree gchar *b_file = g_build_filename(dir, "b.yaml", NULL);
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GVariant) a = NULL;
	g_autoptr(GVariant) b = NULL;

	g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	g_free(f->conf);
	f->conf = write_file(f, "polld.conf", conf);
	g_free(write_file(f,
			  "polling.yaml",
			  "sources:\n  - name: fast\n    interval: 3600\n"
			  "    meters: [\"dynamic.*\"]\n"));
	g_assert_true(g_file_set_contents(a_file, a_yaml, -1, NULL));
	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_assert_true(wait_for(have_first_cycle, f, 10000));
	assert_samples(f, "dynamic.a", 1);

	/* a goes, b comes */
	g_assert_cmpint(g_unlink(a_file), ==, 0);
	g_assert_true(g_file_set_contents(b_file, b_yaml, -1, NULL));
	reply = call_ok(f, "Reload", NULL, "(tas)");
	g_clear_pointer(&reply, g_variant_unref);
	reply = call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	a = find_by_name(list, "dynamic.a");
	b = find_by_name(list, "dynamic.b");
	g_assert_null(a);
	g_assert_nonnull(b);
	g_clear_pointer(&reply, g_variant_unref);
	reply = poll_now(f, NULL);
	assert_samples(f, "dynamic.b", 1);
	assert_samples(f, "dynamic.a", 1);

	/* b changes under the same name: the new definition polls */
	g_assert_true(g_file_set_contents(b_file, b2_yaml, -1, NULL));
	g_clear_pointer(&reply, g_variant_unref);
	reply = call_ok(f, "Reload", NULL, "(tas)");
	g_clear_pointer(&reply, g_variant_unref);
	reply = poll_now(f, NULL);
	assert_samples(f, "dynamic.b", 2);

	/* a new pollster list selects again among today's pollsters: the
	 * removed definition stays gone */
	g_free(conf);
	conf = g_strdup_printf("[DEFAULT]\nhost = test-host\n"
			       "polling_namespaces = test\npollster_list = dynamic.*\n"
			       "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
			       "pollsters_definitions_dirs = %s\n",
			       dir);
	g_free(write_file(f, "polld.conf", conf));
	g_clear_pointer(&reply, g_variant_unref);
	reply = call_ok(f, "Reload", NULL, "(tas)");
	g_clear_pointer(&reply, g_variant_unref);
	g_clear_pointer(&list, g_variant_unref);
	g_clear_pointer(&b, g_variant_unref);
	reply = call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	g_assert_null(find_by_name(list, "dynamic.a"));
	b = find_by_name(list, "dynamic.b");
	g_assert_nonnull(b);
}

/* --- a hanging pollster --- */

static gboolean
task_running(Fixture *f)
{
	g_autoptr(GVariant) reply = call_ok(f, "GetTasks", NULL, "(aa{sv})");
	g_autoptr(GVariant) list = g_variant_get_child_value(reply, 0);
	g_autoptr(GVariant) task = g_variant_get_child_value(list, 0);
	gboolean running = FALSE;

	g_variant_lookup(task, "running", "b", &running);
	return running;
}

static void
test_hang(Fixture *f, gconstpointer data)
{
	g_autofree gchar *hang = g_build_filename(f->tmpdir, "hang", NULL);
	g_autofree gchar *section = g_strdup_printf("resources = 1\nhang_file = %s", hang);
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) stats = NULL;
	g_autoptr(GError) error = NULL;
	guint64 cycles = 99;
	gint64 start;

	g_free(write_file(f, "hang", ""));
	write_config(f, section, default_yaml);
	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	/* the first cycle hangs in the pollsters */
	g_assert_true(wait_for(task_running, f, 5000));
	start = g_get_monotonic_time();
	reply = g_dbus_connection_call_sync(f->conn,
					    AGENT_NAME,
					    AGENT_PATH,
					    AGENT_IFACE,
					    "GetStatistics",
					    NULL,
					    G_VARIANT_TYPE("(a{sv})"),
					    G_DBUS_CALL_FLAGS_NONE,
					    (gint)timeout_ms(2000),
					    NULL,
					    &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_get_monotonic_time() - start, <, timeout_ms(2000) * 1000);
	stats = g_variant_get_child_value(reply, 0);
	g_variant_lookup(stats, "cycles", "t", &cycles);
	g_assert_cmpuint(cycles, ==, 0);
	/* still hanging: the answer came while it was in progress */
	g_assert_true(task_running(f));
	g_unlink(hang);
	g_assert_true(wait_for(have_first_cycle, f, 10000));
}

/* --- polldctl --- */

/* runs polldctl (as @user if not NULL) against the test bus */
static gint
polldctl(Fixture *f, const gchar *user, gchar **out, gchar **err, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
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
	g_ptr_array_add(argv, build_path("src/polldctl"));
	g_ptr_array_add(argv, g_strdup_printf("--address=%s", f->address));
	va_start(args, err);
	while ((arg = va_arg(args, const gchar *)) != NULL)
		g_ptr_array_add(argv, g_strdup(arg));
	va_end(args);
	g_ptr_array_add(argv, NULL);
	proc = g_subprocess_newv((const gchar *const *)argv->pdata,
				 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(proc, NULL, NULL, out, err, &error);
	g_assert_no_error(error);
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

	write_config(f, "resources = 2\npermanent = test-1", default_yaml);
	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_assert_true(wait_for(have_first_cycle, f, 10000));
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
	g_free(write_file(f, "polling.yaml", "sources: [\n"));
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "reload", NULL), ==, 5);
	g_assert_nonnull(strstr(err, "polling.yaml:"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(polldctl(f, NULL, &out, &err, "frobnicate", NULL), ==, 2);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	stop_polld(f);
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

	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	second = spawn_polld(f,
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
	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
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
	start_bus(f, BUS_SYSTEM);
	start_polld(f, BUS_SYSTEM);
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
	g_autoptr(GVariant) reply = call_ok(f, "GetStatistics", NULL, "(a{sv})");
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
	f->conf = write_file(f, "polld.conf", conf);
	start_bus(f, BUS_SESSION);
	start_polld(f, BUS_SESSION);
	g_assert_true(wait_for(have_first_cycle, f, 10000));
	/* the one cycle of the hour, through the publisher and the exporter */
	g_assert_true(wait_for(all_sinks_delivered, f, 10000));
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
		f->ready_had_owner = name_owned(f);
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

	start_bus(f, BUS_SESSION);
	start_polld_full(f, BUS_SESSION, path);
	g_assert_true(wait_for(have_pings, f, 10000));
	first = g_ptr_array_index(f->notifications, 0);
	g_assert_true(g_str_has_prefix(first, "READY=1\nSTATUS="));
	g_assert_true(f->ready_had_owner);
	g_assert_cmpuint(count_prefix(f, "last cycle every 3600s: 6 samples, 0 errors"), >=, 1);
	stop_polld(f);
	g_assert_true(wait_for(have_stopping, f, 5000));
	g_source_destroy(source);
}

int
main(int argc, char *argv[])
{
	const struct {
		const gchar *path;
		void (*func)(Fixture *, gconstpointer);
	} tests[] = {
		{ "/dbus/properties", test_properties },
		{ "/dbus/introspection", test_introspection },
		{ "/dbus/get-methods", test_get_methods },
		{ "/dbus/poll-now", test_poll_now },
		{ "/dbus/pause-resume", test_pause_resume },
		{ "/dbus/batched-changes", test_batched_changes },
		{ "/dbus/backing-off", test_backing_off },
		{ "/dbus/reload/invalid", test_reload_invalid },
		{ "/dbus/reload/valid", test_reload_valid },
		{ "/dbus/reload/plugin-range", test_reload_plugin_range },
		{ "/dbus/reload/coordination", test_reload_coordination },
		{ "/dbus/reload/selection", test_reload_selection },

		{ "/dbus/reload/dynamic", test_reload_dynamic },
		{ "/dbus/hang", test_hang },
		{ "/dbus/second-instance", test_second_instance },
		{ "/dbus/polldctl", test_polldctl },
		{ "/dbus/polldctl-totals", test_polldctl_totals },
		{ "/dbus/auth/daemon", test_auth_daemon },
		{ "/dbus/auth/policy", test_auth_policy },
		{ "/dbus/sd-notify", test_sd_notify },
	};

	g_test_init(&argc, &argv, NULL);
	/* polld must not find a developer's session or system bus */
	g_unsetenv("DBUS_SESSION_BUS_ADDRESS");
	g_unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	for (guint i = 0; i < G_N_ELEMENTS(tests); i++)
		g_test_add(
		  tests[i].path, Fixture, NULL, fixture_setup, tests[i].func, fixture_teardown);
	return g_test_run();
}
