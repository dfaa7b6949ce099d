/*
 * polld integration tests: the real daemon on a private bus, driven over
 * org.polld.Agent1: properties, introspection, reads, control, a hanging
 * pollster. Reload is in test-dbus-reload.c, polldctl, authorization and
 * sd_notify in test-dbus-polldctl.c.
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

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
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
	  g_build_filename(pd_test_dbus_source_root(), "dbus", "org.polld.Agent1.xml", NULL);
	g_autofree gchar *xml = NULL;
	g_autofree gchar *live = NULL;
	g_autoptr(GDBusNodeInfo) want = NULL;
	g_autoptr(GDBusNodeInfo) got = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) gdbus = NULL;

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
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
	"name",	    "s",  "plugin",	      "s", "namespace",	   "s", "unit",		 "s",
	"sources",  "as", "interval",	      "u", "state",	   "s", "plugin_status", "s",
	"last_run", "x",  "last_duration_us", "x", "last_samples", "u", "last_error",	 "s",
	"runs",	    "t",  "errors",	      "t", "samples",	   "t", "skipped",	 "t",
	"busy",	    "b",  "blacklisted",      "u", NULL,
};

static const gchar *const task_keys[] = {
	"name",	    "s", "interval",	     "u", "pollsters", "as", "running", "b",
	"next_run", "x", "last_duration_us", "x", "overruns",  "t",  "cycles",	"t",
	NULL,
};

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

	pd_test_dbus_write_config(
	  f, "resources = 3\npermanent = test-2", pd_test_dbus_default_yaml);
	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));

	reply = pd_test_dbus_call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 3);
	for (gsize i = 0; i < g_variant_n_children(list); i++) {
		g_autoptr(GVariant) p = g_variant_get_child_value(list, i);
		assert_keys(p, pollster_keys);
	}
	gauge = pd_test_dbus_find_by_name(list, "test.gauge");
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
	reply = pd_test_dbus_call_ok(f, "GetTasks", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 1);
	task = g_variant_get_child_value(list, 0);
	assert_keys(task, task_keys);
	g_assert_true(g_variant_lookup(task, "interval", "u", &u));
	g_assert_cmpuint(u, ==, 3600);
	g_assert_true(g_variant_lookup(task, "cycles", "t", &t));
	g_assert_cmpuint(t, ==, 1);

	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_call_ok(f, "GetStatistics", NULL, "(a{sv})");
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

static void
test_poll_now(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));
	/* returns once the cycle is published: the samples are on stdout
	 * (the stdout publisher writes before confirming) */
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_poll_now(f, NULL);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_two_cycles, f, 5000));
	g_assert_cmpstr(g_ptr_array_index(f->cycles, 1), ==, "every 3600s 6 0");
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_poll_now(f, (const gchar *const[]){ "test.gauge", NULL });
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_poll_now(f, (const gchar *const[]){ "fast", NULL });
	pd_test_dbus_assert_samples(f, "test.gauge", 8);
	pd_test_dbus_assert_samples(f, "test.delta", 6);

	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_call(f,
				  "PollNow",
				  g_variant_new("(^as)", (const gchar *const[]){ "nope", NULL }),
				  "(a{sv})",
				  &error);
	g_assert_null(reply);
	pd_test_dbus_assert_remote_error(error, "org.polld.Agent1.Error.NotFound");
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

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_ptr_array_set_size(f->changed, 0);
	reply = pd_test_dbus_call_ok(f, "Pause", NULL, "()");
	state = pd_test_dbus_get_property(f, "State");
	g_assert_cmpstr(g_variant_get_string(state, NULL), ==, "paused");
	g_assert_true(pd_test_dbus_wait_for(state_changed, f, 5000));
	/* PollNow still works while paused */
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_poll_now(f, NULL);
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_call_ok(f, "Resume", NULL, "()");
	g_clear_pointer(&state, g_variant_unref);
	state = pd_test_dbus_get_property(f, "State");
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

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_ptr_array_set_size(f->changed, 0);
	g_file_get_contents(f->conf, &conf, NULL, NULL);
	/* the host goes back to the default, the namespaces stay */
	new_conf =
	  g_strconcat("[DEFAULT]\npolling_namespaces = test\n", strstr(conf, "[polling]"), NULL);
	g_free(pd_test_dbus_write_file(f, "polld.conf", new_conf));
	reply = pd_test_dbus_call_ok(f, "Reload", NULL, "(tas)");
	host = pd_test_dbus_get_property(f, "Host");
	g_assert_cmpstr(g_variant_get_string(host, NULL), !=, "test-host");
	g_assert_true(pd_test_dbus_wait_for(have_generation_change, f, 5000));
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

	g_free(pd_test_dbus_write_file(f, "not-ready", ""));
	pd_test_dbus_write_config(f, section, pd_test_dbus_default_yaml);
	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	reply = pd_test_dbus_call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	gauge = pd_test_dbus_find_by_name(list, "test.gauge");
	g_assert_true(g_variant_lookup(gauge, "state", "&s", &s));
	g_assert_cmpstr(s, ==, "backing-off");
	g_assert_true(g_variant_lookup(gauge, "plugin_status", "&s", &s));
	g_assert_cmpstr(s, !=, "");
}

/* --- a hanging pollster --- */

static gboolean
task_running(Fixture *f)
{
	g_autoptr(GVariant) reply = pd_test_dbus_call_ok(f, "GetTasks", NULL, "(aa{sv})");
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

	g_free(pd_test_dbus_write_file(f, "hang", ""));
	pd_test_dbus_write_config(f, section, pd_test_dbus_default_yaml);
	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	/* the first cycle hangs in the pollsters */
	g_assert_true(pd_test_dbus_wait_for(task_running, f, 5000));
	start = g_get_monotonic_time();
	reply = g_dbus_connection_call_sync(f->conn,
					    AGENT_NAME,
					    AGENT_PATH,
					    AGENT_IFACE,
					    "GetStatistics",
					    NULL,
					    G_VARIANT_TYPE("(a{sv})"),
					    G_DBUS_CALL_FLAGS_NONE,
					    (gint)pd_test_dbus_timeout_ms(2000),
					    NULL,
					    &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_get_monotonic_time() - start, <, pd_test_dbus_timeout_ms(2000) * 1000);
	stats = g_variant_get_child_value(reply, 0);
	g_variant_lookup(stats, "cycles", "t", &cycles);
	g_assert_cmpuint(cycles, ==, 0);
	/* still hanging: the answer came while it was in progress */
	g_assert_true(task_running(f));
	g_unlink(hang);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));
}

int
main(int argc, char *argv[])
{
	pd_test_dbus_init(&argc, &argv);
	pd_test_dbus_add("/dbus/properties", test_properties);
	pd_test_dbus_add("/dbus/introspection", test_introspection);
	pd_test_dbus_add("/dbus/get-methods", test_get_methods);
	pd_test_dbus_add("/dbus/poll-now", test_poll_now);
	pd_test_dbus_add("/dbus/pause-resume", test_pause_resume);
	pd_test_dbus_add("/dbus/batched-changes", test_batched_changes);
	pd_test_dbus_add("/dbus/backing-off", test_backing_off);
	pd_test_dbus_add("/dbus/hang", test_hang);
	return g_test_run();
}
