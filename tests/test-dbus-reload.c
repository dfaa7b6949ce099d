/*
 * polld integration tests: Reload over org.polld.Agent1 on a private bus:
 * invalid and valid configurations, plugin options, coordination, the
 * pollster selection, dynamic pollster definitions
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

/* --- reload --- */

static void
test_reload_invalid(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) before = NULL;
	g_autoptr(GVariant) after = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autofree gchar *where = NULL;

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	before = pd_test_dbus_call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	/* line 4, column 15: interval is not a number */
	g_free(pd_test_dbus_write_file(
	  f,
	  "polling.yaml",
	  "sources:\n  - name: fast\n    meters: [\"test.*\"]\n    interval: soon\n"));
	where = g_strdup_printf("%s:4:", f->yaml);
	pd_test_dbus_assert_reload_refused(f, where, 1);
	/* the old tasks still run */
	after = pd_test_dbus_call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	g_assert_true(g_variant_equal(before, after) || g_variant_n_children(after) == 1);
	list = g_variant_get_child_value(after, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 3);
	reply = pd_test_dbus_poll_now(f, (const gchar *const[]){ "fast", NULL });

	/* a broken config file is refused the same way */
	g_free(pd_test_dbus_write_file(f, "polld.conf", "[DEFAULT\nhost = x\n"));
	pd_test_dbus_assert_reload_refused(f, "polld.conf:1:", 1);
}

static gboolean
have_three_cycles(Fixture *f)
{
	return f->cycles->len >= 3;
}

static gboolean
generation_is_3(Fixture *f)
{
	return pd_test_dbus_generation(f) == 3;
}

/* Reload refuses the configuration on disk (InvalidConfig naming @what at
 * @line of polld.conf); the first configuration keeps polling */
static void
assert_reload_refused(Fixture *f, guint line, const gchar *what)
{
	g_autoptr(GVariant) polled = NULL;
	g_autofree gchar *where = g_strdup_printf("%s:%u: %s", f->conf, line, what);

	pd_test_dbus_assert_reload_refused(f, where, 1);
	/* still polling with the old configuration */
	polled = pd_test_dbus_poll_now(f, NULL);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_two_cycles, f, 10000));
}

/* a plugin option out of its range is a reload error, as a core one is:
 * file:line in the D-Bus error, the old configuration keeps running */
static void
test_reload_plugin_range(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) reply = NULL;

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));
	/* the test plugin's delay_ms is 0 to 3600000 */
	pd_test_dbus_write_config(f, "resources = 2\ndelay_ms = -1", pd_test_dbus_default_yaml);
	assert_reload_refused(
	  f, 9, "[test] delay_ms = '-1': expected an integer from 0 to 3600000");
	/* corrected, it applies */
	pd_test_dbus_write_config(f, "resources = 2\ndelay_ms = 1", pd_test_dbus_default_yaml);
	reply = pd_test_dbus_call_ok(f, "Reload", NULL, "(tas)");
	g_assert_cmpuint(pd_test_dbus_generation(f), ==, 2);
}

/* [coordination] stale_action is read at start only, but a word it does
 * not take is a reload error (file:line), not a note that it changed: the
 * old configuration keeps running */
static void
test_reload_stale_action(Fixture *f, gconstpointer data)
{
	const gchar *bad =
	  "[DEFAULT]\nhost = test-host\npolling_namespaces = test\n"
	  "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
	  "[coordination]\nstale_action = poll_everything\n[test]\nresources = 2\n";

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));
	g_free(pd_test_dbus_write_file(f, "polld.conf", bad));
	assert_reload_refused(
	  f, 8, "[coordination] stale_action = 'poll_everything': want keep or poll_all");
	/* a valid word is named as changed, as before */
	pd_test_dbus_write_config(
	  f, "resources = 2\n[coordination]\nstale_action = poll_all", pd_test_dbus_default_yaml);
	pd_test_dbus_assert_reload_notes(
	  f,
	  2,
	  ((const gchar *const[]){
	    "[coordination] stale_action changed: it takes effect when polld restarts", NULL }));
}

/* [coordination] is read once, when polld joins: a reload names each
 * changed key in the log and in its result instead of dropping it */
static void
test_reload_coordination(Fixture *f, gconstpointer data)
{
	g_autofree gchar *conf = NULL;

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	conf = g_strdup_printf("[DEFAULT]\nhost = test-host\npolling_namespaces = test\n"
			       "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
			       "partitioning_group_prefix = blue\n"
			       "[coordination]\nbackend_url = etcd3+http://127.0.0.1:1\n"
			       "stale_action = poll_all\n[test]\nresources = 2\n");
	g_free(pd_test_dbus_write_file(f, "polld.conf", conf));
	pd_test_dbus_assert_reload_notes(
	  f,
	  2,
	  ((const gchar *const[]){
	    "[coordination] backend_url changed: it takes effect when polld restarts",
	    "[coordination] stale_action changed: it takes effect when polld restarts",
	    "[polling] partitioning_group_prefix changed: it takes effect when polld restarts",
	    NULL }));
	/* out of range is refused, not named */
	g_free(pd_test_dbus_write_file(
	  f,
	  "polld.conf",
	  "[DEFAULT]\nhost = test-host\npolling_namespaces = test\n"
	  "[polling]\ncfg_file = polling.yaml\n"
	  "[coordination]\nmax_stale_seconds = -1\n[test]\nresources = 2\n"));
	pd_test_dbus_assert_reload_refused(f, "[coordination] max_stale_seconds = '-1'", 2);
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
	const gchar *s;
	guint64 runs;

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));
	reply = pd_test_dbus_poll_now(f, NULL);

	/* drop test.cumulative, add a source for test.delta */
	g_free(pd_test_dbus_write_file(f, "polling.yaml", yaml2));
	/* all of it applied */
	pd_test_dbus_assert_reload_notes(f, 2, (const gchar *const[]){ NULL });
	g_assert_cmpuint(pd_test_dbus_generation(f), ==, 2);
	/* the new 7200 s task runs at once, the 3600 s one keeps its schedule */
	g_assert_true(pd_test_dbus_wait_for(have_three_cycles, f, 5000));
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	cumulative = pd_test_dbus_find_by_name(list, "test.cumulative");
	g_assert_true(g_variant_lookup(cumulative, "state", "&s", &s));
	g_assert_cmpstr(s, ==, "disabled");
	delta = pd_test_dbus_find_by_name(list, "test.delta");
	g_assert_true(g_variant_lookup(delta, "sources", "^a&s", &sources));
	g_assert_cmpstrv(sources, ((const gchar *const[]){ "fast", "slow", NULL }));
	/* unchanged pollsters keep their state */
	g_assert_true(g_variant_lookup(delta, "runs", "t", &runs));
	g_assert_cmpuint(runs, ==, 3);
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_call_ok(f, "GetTasks", NULL, "(aa{sv})");
	g_assert_cmpuint(g_variant_n_children(reply), ==, 1);
	g_clear_pointer(&list, g_variant_unref);
	list = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 2);
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_poll_now(f, NULL);

	/* SIGHUP does the same */
	g_free(pd_test_dbus_write_file(f, "polling.yaml", yaml3));
	g_subprocess_send_signal(f->polld, SIGHUP);
	g_assert_true(pd_test_dbus_wait_for(generation_is_3, f, 5000));
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_poll_now(f, NULL);

	/* no sample polled around the reloads went missing, and the
	 * counters went on from where they were */
	pd_test_dbus_assert_samples(f, "test.gauge", 8);
	pd_test_dbus_assert_samples(f, "test.delta", 10);
	pd_test_dbus_assert_samples(f, "test.cumulative", 6);
}

static void
reload_notes(Fixture *f, const gchar *conf, GPtrArray *out)
{
	g_autoptr(GVariant) reply = NULL;
	g_autofree const gchar **notes = NULL;
	guint64 gen;

	g_free(pd_test_dbus_write_file(f, "polld.conf", conf));
	reply = pd_test_dbus_call_ok(f, "Reload", NULL, "(tas)");
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

	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));
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
	ns = pd_test_dbus_get_property(f, "Namespaces");
	nsv = g_variant_get_strv(ns, NULL);
	g_assert_cmpstrv(nsv, ((const gchar *const[]){ "central", NULL }));
	reply = pd_test_dbus_call_ok(f, "GetTasks", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	g_assert_cmpuint(g_variant_n_children(list), ==, 0);

	/* and back: polling again, nothing to say */
	reload_notes(f, conf, notes);
	g_assert_false(has_note(notes, "*nothing to poll"));
	g_clear_pointer(&reply, g_variant_unref);
	g_clear_pointer(&list, g_variant_unref);
	reply = pd_test_dbus_call_ok(f, "GetTasks", NULL, "(aa{sv})");
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
	f->conf = pd_test_dbus_write_file(f, "polld.conf", conf);
	g_free(pd_test_dbus_write_file(f,
				       "polling.yaml",
				       "sources:\n  - name: fast\n    interval: 3600\n"
				       "    meters: [\"dynamic.*\"]\n"));
	g_assert_true(g_file_set_contents(a_file, a_yaml, -1, NULL));
	pd_test_dbus_start_bus(f, BUS_SESSION);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));
	pd_test_dbus_assert_samples(f, "dynamic.a", 1);

	/* a goes, b comes */
	g_assert_cmpint(g_unlink(a_file), ==, 0);
	g_assert_true(g_file_set_contents(b_file, b_yaml, -1, NULL));
	reply = pd_test_dbus_call_ok(f, "Reload", NULL, "(tas)");
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	a = pd_test_dbus_find_by_name(list, "dynamic.a");
	b = pd_test_dbus_find_by_name(list, "dynamic.b");
	g_assert_null(a);
	g_assert_nonnull(b);
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_poll_now(f, NULL);
	pd_test_dbus_assert_samples(f, "dynamic.b", 1);
	pd_test_dbus_assert_samples(f, "dynamic.a", 1);

	/* b changes under the same name: the new definition polls */
	g_assert_true(g_file_set_contents(b_file, b2_yaml, -1, NULL));
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_call_ok(f, "Reload", NULL, "(tas)");
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_poll_now(f, NULL);
	pd_test_dbus_assert_samples(f, "dynamic.b", 2);

	/* a new pollster list selects again among today's pollsters: the
	 * removed definition stays gone */
	g_free(conf);
	conf = g_strdup_printf("[DEFAULT]\nhost = test-host\n"
			       "polling_namespaces = test\npollster_list = dynamic.*\n"
			       "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
			       "pollsters_definitions_dirs = %s\n",
			       dir);
	g_free(pd_test_dbus_write_file(f, "polld.conf", conf));
	g_clear_pointer(&reply, g_variant_unref);
	reply = pd_test_dbus_call_ok(f, "Reload", NULL, "(tas)");
	g_clear_pointer(&reply, g_variant_unref);
	g_clear_pointer(&list, g_variant_unref);
	g_clear_pointer(&b, g_variant_unref);
	reply = pd_test_dbus_call_ok(f, "GetPollsters", NULL, "(aa{sv})");
	list = g_variant_get_child_value(reply, 0);
	g_assert_null(pd_test_dbus_find_by_name(list, "dynamic.a"));
	b = pd_test_dbus_find_by_name(list, "dynamic.b");
	g_assert_nonnull(b);
}

/* the state and error of sink @name in GetStatistics() */
static void
sink_state(Fixture *f, const gchar *name, gchar **state, gchar **error)
{
	g_autoptr(GVariant) reply = pd_test_dbus_call_ok(f, "GetStatistics", NULL, "(a{sv})");
	g_autoptr(GVariant) stats = g_variant_get_child_value(reply, 0);
	g_autoptr(GVariant) sinks = g_variant_lookup_value(stats, "sinks", NULL);
	g_autoptr(GVariant) sink = g_variant_lookup_value(sinks, name, NULL);

	g_assert_nonnull(sink);
	g_assert_true(g_variant_lookup(sink, "state", "s", state));
	g_assert_true(g_variant_lookup(sink, "error", "s", error));
}

/* a reload that turns the exporter on while the HTTP module can't be
 * opened: polld keeps polling with the exporter off, the reason (the file,
 * why) in the sink's state (before: the daemon aborted in the module's
 * loader) */
static void
test_reload_exporter_no_module(Fixture *f, gconstpointer data)
{
	g_autofree gchar *missing = g_build_filename(f->tmpdir, "missing.so", NULL);
	g_autofree gchar *old = g_strdup(g_getenv("POLLD_HTTP_MODULE"));
	g_autofree gchar *state = NULL;
	g_autofree gchar *error = NULL;
	g_autoptr(GVariant) reply = NULL;

	pd_test_dbus_start_bus(f, BUS_SESSION);
	/* the child's environment only: the tests after this one open it */
	g_setenv("POLLD_HTTP_MODULE", missing, TRUE);
	pd_test_dbus_start_polld(f, BUS_SESSION);
	if (old != NULL)
		g_setenv("POLLD_HTTP_MODULE", old, TRUE);
	else
		g_unsetenv("POLLD_HTTP_MODULE");
	g_assert_true(pd_test_dbus_wait_for(pd_test_dbus_have_first_cycle, f, 10000));
	g_free(pd_test_dbus_write_file(f,
				       "polld.conf",
				       "[DEFAULT]\nhost = test-host\npolling_namespaces = test\n"
				       "[polling]\ncfg_file = polling.yaml\nbatch_size = 1\n"
				       "enable_prometheus_exporter = true\n"
				       "prometheus_listen_addresses = 127.0.0.1:0\n"
				       "[test]\nresources = 2\n"));
	pd_test_dbus_assert_reload_notes(f, 2, (const gchar *const[]){ NULL });
	sink_state(f, "prometheus", &state, &error);
	g_test_message("prometheus: %s: %s", state, error);
	g_assert_cmpstr(state, ==, "disabled");
	g_assert_nonnull(strstr(error, missing));
	g_assert_nonnull(strstr(error, "No such file"));
	/* still polling, and publishing */
	reply = pd_test_dbus_poll_now(f, NULL);
	pd_test_dbus_assert_samples(f, "test.gauge", 4);
	g_assert_false(f->polld_exited);
}

int
main(int argc, char *argv[])
{
	pd_test_dbus_init(&argc, &argv);
	pd_test_dbus_add("/dbus/reload/invalid", test_reload_invalid);
	pd_test_dbus_add("/dbus/reload/valid", test_reload_valid);
	pd_test_dbus_add("/dbus/reload/plugin-range", test_reload_plugin_range);
	pd_test_dbus_add("/dbus/reload/coordination", test_reload_coordination);
	pd_test_dbus_add("/dbus/reload/stale-action", test_reload_stale_action);
	pd_test_dbus_add("/dbus/reload/selection", test_reload_selection);
	pd_test_dbus_add("/dbus/reload/dynamic", test_reload_dynamic);
	pd_test_dbus_add("/dbus/reload/exporter-no-module", test_reload_exporter_no_module);
	return g_test_run();
}
