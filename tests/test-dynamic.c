/*
 * polld test suite - dynamic pollsters end to end: polld --once --dry-run
 * with definitions in a pollsters_definitions_dirs directory, against the
 * OpenStack test server and host commands
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "openstack-server/pd-os-test-server.h"
#include "pd-test-util.h"

typedef struct {
	PdOsTestServer *server;
	gchar *dir;
	gchar *defs;
	GKeyFile *conf;
	gchar *out;
	gchar *err;
	gboolean done;
	GPtrArray *samples;
} Dyn;

static void
dyn_setup(Dyn *d, gconstpointer data)
{
	g_autofree gchar *fixture = g_build_filename(
	  g_getenv("POLLD_SOURCE_ROOT"), "tests", "openstack-server", "fixture.json", NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *auth_url = NULL;

	d->server = pd_os_test_server_new(fixture, NULL, &error);
	g_assert_no_error(error);
	d->dir = pd_test_mkdtemp();
	d->defs = g_build_filename(d->dir, "pollsters.d", NULL);
	g_assert_cmpint(g_mkdir(d->defs, 0755), ==, 0);
	d->conf = g_key_file_new();
	auth_url = g_strdup_printf("%s/identity/v3", pd_os_test_server_get_url(d->server));
	g_key_file_set_string(d->conf, "service_credentials", "auth_url", auth_url);
	g_key_file_set_string(d->conf, "service_credentials", "username", "ceilometer");
	g_key_file_set_string(d->conf, "service_credentials", "password", "s3cret");
	g_key_file_set_string(d->conf, "service_credentials", "project_name", "service");
	g_key_file_set_string(d->conf, "service_credentials", "user_domain_name", "Default");
	g_key_file_set_string(d->conf, "service_credentials", "project_domain_name", "Default");
	g_key_file_set_string(d->conf, "service_credentials", "interface", "internalURL");
	g_key_file_set_string(d->conf, "service_credentials", "region_name", "RegionOne");
	g_key_file_set_string(d->conf, "polling", "pollsters_definitions_dirs", d->defs);
}

static void
dyn_teardown(Dyn *d, gconstpointer data)
{
	g_clear_object(&d->server);
	pd_test_rmtree(d->dir);
	g_free(d->dir);
	g_free(d->defs);
	g_key_file_unref(d->conf);
	g_free(d->out);
	g_free(d->err);
	g_clear_pointer(&d->samples, g_ptr_array_unref);
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static void
dyn_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Dyn *d = user_data;
	g_autoptr(GError) error = NULL;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), res, &d->out, &d->err, &error);
	g_assert_no_error(error);
	d->done = TRUE;
}

static gboolean
dyn_is_done(gpointer data)
{
	return ((Dyn *)data)->done;
}

static void
dyn_run(Dyn *d, const gchar *meters)
{
	g_autofree gchar *yaml =
	  g_strdup_printf("sources:\n  - name: dyn\n    interval: 60\n    meters: %s\n", meters);
	g_autofree gchar *polling = pd_test_write_file(d->dir, "polling.yaml", yaml);
	g_autofree gchar *conf_text = NULL;
	g_autofree gchar *conf = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;

	g_key_file_set_string(d->conf, "polling", "cfg_file", polling);
	conf_text = g_key_file_to_data(d->conf, NULL, NULL);
	conf = pd_test_write_file(d->dir, "polld.conf", conf_text);
	proc = pd_test_spawn_polld(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				   &error,
				   "--once",
				   "--dry-run",
				   "--polling-namespaces",
				   "central",
				   "--config-file",
				   conf,
				   NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, dyn_done_cb, d);
	g_assert_true(pd_test_wait_for(dyn_is_done, d, 120000));
	g_assert_true(
	  pd_test_wait_for((gboolean(*)(gpointer))g_subprocess_get_if_exited, proc, 5000));
	if (g_test_verbose())
		g_printerr("--- polld stderr:\n%s---\n", d->err);
	d->samples = pd_test_collect_samples(d->out);
}

static JsonObject *
dyn_find(Dyn *d, const gchar *name, const gchar *resource_id)
{
	for (guint i = 0; i < d->samples->len; i++) {
		JsonObject *s = g_ptr_array_index(d->samples, i);
		if (g_strcmp0(json_object_get_string_member(s, "counter_name"), name) == 0 &&
		    g_strcmp0(json_object_get_string_member_with_default(s, "resource_id", NULL),
			      resource_id) == 0)
			return s;
	}
	g_printerr("--- polld stderr:\n%s---\n", d->err);
	g_error("no sample %s of %s", name, resource_id);
	return NULL;
}

static gchar *
dyn_member_json(JsonObject *o, const gchar *key)
{
	return json_to_string(json_object_get_member(o, key), FALSE);
}

/* a Keystone-catalog endpoint: Glance images, entries key, id attributes */
static void
test_dynamic_openstack(Dyn *d, gconstpointer data)
{
	g_autofree gchar *v = NULL;
	g_autofree gchar *md = NULL;
	JsonObject *s;

	g_free(pd_test_write_file(d->defs,
				  "images.yaml",
				  "- name: dynamic.image.size\n"
				  "  sample_type: gauge\n"
				  "  unit: B\n"
				  "  value_attribute: size\n"
				  "  endpoint_type: image\n"
				  "  url_path: v2/images\n"
				  "  response_entries_key: images\n"
				  "  project_id_attribute: owner\n"
				  "  skip_sample_values: [null]\n"
				  "  headers:\n    X-Test: yes\n"
				  "  metadata_fields: [name, \"tags | ','.join(value)\", status]\n"
				  "  metadata_mapping:\n    name: display_name\n"
				  "  preserve_mapped_metadata: false\n"));
	dyn_run(d, "[dynamic.image.size]");
	s = dyn_find(d, "dynamic.image.size", "img-1");
	v = dyn_member_json(s, "counter_volume");
	g_assert_cmpstr(v, ==, "13267968");
	g_assert_cmpstr(json_object_get_string_member(s, "project_id"), ==, "p-demo");
	g_assert_cmpstr(json_object_get_string_member(s, "counter_unit"), ==, "B");
	md = dyn_member_json(s, "resource_metadata");
	g_assert_cmpstr(
	  md,
	  ==,
	  "{\"tags | "
	  "','.join(value)\":\"base,tiny\",\"status\":\"active\",\"display_name\":\"cirros\"}");
}

/* host_command: argv without a shell, JSON on stdout, value mapping to a string */
static void
test_dynamic_command(Dyn *d, gconstpointer data)
{
	g_autofree gchar *script = pd_test_write_file(
	  d->dir,
	  "vms.sh",
	  "#!/bin/sh\n"
	  "echo '{\"vms\": [{\"id\": \"vm1\", \"state\": \"ACTIVE\", \"mem\": 5662310400, \"a\": "
	  "\"x$y\"},"
	  " {\"id\": \"vm2\", \"state\": \"SHUTOFF\", \"mem\": 1.5, \"a\": \"q$r\"}]}'\n");
	g_autofree gchar *def = NULL;
	g_autofree gchar *v = NULL;
	JsonObject *s;

	g_assert_cmpint(g_chmod(script, 0755), ==, 0);
	def = g_strdup_printf("- name: dynamic.vm.state\n"
			      "  sample_type: gauge\n"
			      "  unit: state\n"
			      "  value_attribute: state\n"
			      "  host_command: \"%s --ignored 'a b'\"\n"
			      "  user_id_attribute: \"a | value.split('$')[0]\"\n"
			      "  value_mapping:\n    ACTIVE: \"1\"\n"
			      "  default_value: 0\n"
			      "- name: dynamic.vm.mem\n"
			      "  sample_type: gauge\n"
			      "  unit: MB\n"
			      "  value_attribute: \"mem | value / 1024 / 1024\"\n"
			      "  host_command: %s\n"
			      "  namespaces: [central]\n",
			      script,
			      script);
	g_free(pd_test_write_file(d->defs, "vms.yaml", def));
	dyn_run(d, "[dynamic.vm.*]");
	s = dyn_find(d, "dynamic.vm.state", "vm1");
	v = dyn_member_json(s, "counter_volume");
	g_assert_cmpstr(v, ==, "\"1\"");
	g_assert_cmpstr(json_object_get_string_member(s, "user_id"), ==, "x");
	g_clear_pointer(&v, g_free);
	v = dyn_member_json(dyn_find(d, "dynamic.vm.state", "vm2"), "counter_volume");
	g_assert_cmpstr(v, ==, "0");
	g_clear_pointer(&v, g_free);
	v = dyn_member_json(dyn_find(d, "dynamic.vm.mem", "vm1"), "counter_volume");
	g_assert_cmpstr(v, ==, "5400.0");
}

/* a bad definition is refused with file, line, column, definition and key;
 * the others of the file load */
static void
test_dynamic_refused(Dyn *d, gconstpointer data)
{
	g_autofree gchar *fn =
	  pd_test_write_file(d->defs,
			     "bad.yaml",
			     "- name: dynamic.ok\n"
			     "  sample_type: gauge\n"
			     "  unit: x\n"
			     "  value_attribute: v\n"
			     "  host_command: \"echo '[{\\\"v\\\": 3, \\\"id\\\": \\\"r\\\"}]'\"\n"
			     "- name: dynamic.bad\n"
			     "  sample_type: gauge\n"
			     "  unit: x\n"
			     "  value_attribute: \"v | value.__dict__()\"\n"
			     "  host_command: \"true\"\n"
			     "- name: dynamic.bogus\n"
			     "  bogus_key: 1\n");
	g_autofree gchar *expect1 =
	  g_strdup_printf("%s:9:20: pollster definition 'dynamic.bad': key 'value_attribute': 'v | "
			  "value.__dict__()': "
			  "column 11: unknown method .__dict__()",
			  fn);
	g_autofree gchar *expect2 = g_strdup_printf(
	  "%s:12:3: pollster definition 'dynamic.bogus': key 'bogus_key': unknown key", fn);
	g_autofree gchar *v = NULL;

	dyn_run(d, "[dynamic.*]");
	if (strstr(d->err, expect1) == NULL || strstr(d->err, expect2) == NULL)
		g_printerr("--- polld stderr:\n%s---\n", d->err);
	g_assert_nonnull(strstr(d->err, expect1));
	g_assert_nonnull(strstr(d->err, expect2));
	v = dyn_member_json(dyn_find(d, "dynamic.ok", "r"), "counter_volume");
	g_assert_cmpstr(v, ==, "3");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add(
	  "/dynamic/openstack", Dyn, NULL, dyn_setup, test_dynamic_openstack, dyn_teardown);
	g_test_add("/dynamic/command", Dyn, NULL, dyn_setup, test_dynamic_command, dyn_teardown);
	g_test_add("/dynamic/refused", Dyn, NULL, dyn_setup, test_dynamic_refused, dyn_teardown);
	return g_test_run();
}
