/*
 * polld test suite - dynamic pollsters end to end: polld --once --dry-run
 * with definitions in a pollsters_definitions_dirs directory, against the
 * OpenStack test server and host commands
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <string.h>

#include "dynamic-server.h"
#include "openstack-server/pd-os-test-server.h"
#include "pd-test-util.h"

typedef struct {
	PdOsTestServer *server;
	PdDynTestServer *web;
	gchar *dir;
	gchar *defs;
	GKeyFile *conf;
	gchar *out;
	gchar *err;
	GPtrArray *samples;
} Dyn;

static void
dyn_setup(Dyn *d, gconstpointer data)
{
	g_autofree gchar *fixture = g_build_filename(
	  g_getenv("POLLD_SOURCE_ROOT"), "tests", "openstack-server", "fixture.json", NULL);
	g_autoptr(GError) error = NULL;

	d->server = pd_os_test_server_new(fixture, NULL, &error);
	g_assert_no_error(error);
	d->web = pd_dyn_test_server_new(&error);
	g_assert_no_error(error);
	d->dir = pd_test_mkdtemp();
	d->defs = g_build_filename(d->dir, "pollsters.d", NULL);
	g_assert_cmpint(g_mkdir(d->defs, 0755), ==, 0);
	d->conf = g_key_file_new();
	pd_os_test_server_set_credentials(d->server, d->conf);
	g_key_file_set_string(d->conf, "polling", "pollsters_definitions_dirs", d->defs);
}

static void
dyn_teardown(Dyn *d, gconstpointer data)
{
	g_clear_object(&d->server);
	g_clear_pointer(&d->web, pd_dyn_test_server_free);
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

/* @extra: one more command line argument, or NULL */
static void
dyn_run_with(Dyn *d, const gchar *meters, const gchar *extra)
{
	gint status =
	  pd_test_run_central_once(d->dir, d->conf, "dyn", meters, extra, &d->out, &d->err);

	/* 0, 3 or 4 (polld(8)); 1 would be a config error, or a finding of
	 * valgrind's under its setup */
	if (status != 0 && status != 3 && status != 4)
		g_printerr("--- polld stderr:\n%s---\n", d->err);
	g_assert_true(status == 0 || status == 3 || status == 4);
	if (g_test_verbose())
		g_printerr("--- polld stderr:\n%s---\n", d->err);
	g_clear_pointer(&d->samples, g_ptr_array_unref);
	d->samples = pd_test_collect_samples(d->out);
}

static void
dyn_run(Dyn *d, const gchar *meters)
{
	dyn_run_with(d, meters, NULL);
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
				  "  headers:\n    X-Test: \"yes\"\n"
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

static gchar *
dyn_echo_def(const gchar *name, guint value)
{
	return g_strdup_printf("- name: %s\n"
			       "  sample_type: gauge\n"
			       "  unit: x\n"
			       "  value_attribute: v\n"
			       "  host_command: \"echo '[{\\\"v\\\": %u, \\\"id\\\": "
			       "\\\"r\\\"}]'\"\n",
			       name,
			       value);
}

static guint
dyn_count(Dyn *d, const gchar *name)
{
	guint n = 0;

	for (guint i = 0; i < d->samples->len; i++) {
		JsonObject *s = g_ptr_array_index(d->samples, i);
		n += g_strcmp0(json_object_get_string_member(s, "counter_name"), name) == 0;
	}
	return n;
}

/* directories in the order given, files in name order: a name defined
 * again is warned about with both places and the first definition polls;
 * --pollster-list selects dynamic pollsters like built-in ones */
static void
test_dynamic_duplicate(Dyn *d, gconstpointer data)
{
	g_autofree gchar *second = g_build_filename(d->dir, "second.d", NULL);
	g_autofree gchar *dirs = g_strdup_printf("%s,%s", d->defs, second);
	g_autofree gchar *a_def = dyn_echo_def("dynamic.dup", 1);
	g_autofree gchar *b_def = dyn_echo_def("dynamic.dup", 2);
	g_autofree gchar *c_text = NULL;
	g_autofree gchar *a = NULL;
	g_autofree gchar *b = NULL;
	g_autofree gchar *c = NULL;
	g_autofree gchar *expect_b = NULL;
	g_autofree gchar *expect_c = NULL;
	g_autofree gchar *v = NULL;

	g_assert_cmpint(g_mkdir(second, 0755), ==, 0);
	g_key_file_set_string(d->conf, "polling", "pollsters_definitions_dirs", dirs);
	{
		g_autofree gchar *c_dup = dyn_echo_def("dynamic.dup", 3);
		g_autofree gchar *c_other = dyn_echo_def("dynamic.other", 4);
		c_text = g_strconcat(c_other, c_dup, NULL);
	}
	/* written in the opposite order of their names */
	c = pd_test_write_file(second, "a0.yaml", c_text);
	b = pd_test_write_file(d->defs, "b.yaml", b_def);
	a = pd_test_write_file(d->defs, "a.yaml", a_def);
	expect_b = g_strdup_printf(
	  "%s:1: pollster definition 'dynamic.dup' is already defined in %s:1", b, a);
	expect_c = g_strdup_printf(
	  "%s:6: pollster definition 'dynamic.dup' is already defined in %s:1", c, a);

	dyn_run(d, "[dynamic.*]");
	if (strstr(d->err, expect_b) == NULL || strstr(d->err, expect_c) == NULL)
		g_printerr("--- polld stderr:\n%s---\n", d->err);
	g_assert_nonnull(strstr(d->err, expect_b));
	g_assert_nonnull(strstr(d->err, expect_c));
	g_assert_cmpuint(dyn_count(d, "dynamic.dup"), ==, 1);
	v = dyn_member_json(dyn_find(d, "dynamic.dup", "r"), "counter_volume");
	g_assert_cmpstr(v, ==, "1");
	g_clear_pointer(&v, g_free);
	v = dyn_member_json(dyn_find(d, "dynamic.other", "r"), "counter_volume");
	g_assert_cmpstr(v, ==, "4");

	/* the same definitions, one selected on the command line */
	g_clear_pointer(&d->samples, g_ptr_array_unref);
	dyn_run_with(d, "[dynamic.*]", "--pollster-list=dynamic.other");
	g_assert_cmpuint(dyn_count(d, "dynamic.dup"), ==, 0);
	g_assert_cmpuint(dyn_count(d, "dynamic.other"), ==, 1);
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

/* a non-OpenStack API: HTTP Basic, multi metric, composite ids */
static void
test_dynamic_multi_basic(Dyn *d, gconstpointer data)
{
	const gchar *url = pd_dyn_test_server_get_url(d->web);
	g_autofree gchar *def = NULL;
	g_autofree gchar *v = NULL;
	g_autofree gchar *md = NULL;
	JsonObject *s;

	/* admin:secret */
	pd_dyn_test_server_add(
	  d->web,
	  "/admin/usage",
	  "Basic YWRtaW46c2VjcmV0",
	  NULL,
	  "{\"entries\": [], \"summary\": [{\"user\": \"p1$p1\", \"categories\": ["
	  "{\"category\": \"get_obj\", \"ops\": 5, \"successful_ops\": 4},"
	  "{\"category\": \"put_obj\", \"ops\": 0, \"successful_ops\": 0},"
	  "{\"category\": \"list_bucket\", \"ops\": 2.5, \"successful_ops\": 2}],"
	  " \"total\": {\"ops\": 7}}]}");
	def = g_strdup_printf("- name: \"dynamic.radosgw.api.request.{category}\"\n"
			      "  sample_type: gauge\n"
			      "  unit: request\n"
			      "  value_attribute: \"[categories].ops\"\n"
			      "  url_path: \"%s/admin/usage\"\n"
			      "  module: requests.auth\n"
			      "  authentication_object: HTTPBasicAuth\n"
			      "  authentication_parameters: \"admin, secret\"\n"
			      "  user_id_attribute: \"user | value.split('$')[0]\"\n"
			      "  project_id_attribute: \"user | value.split('$') | value[0]\"\n"
			      "  resource_id_attribute: \"user  | value.split('$') | value[0]\"\n"
			      "  response_entries_key: summary\n"
			      "  skip_sample_values: [list_bucket]\n"
			      "  metadata_fields: [total.ops, \"user\"]\n",
			      url);
	g_free(pd_test_write_file(d->defs, "rgw.yaml", def));
	dyn_run(d, "[\"dynamic.radosgw.api.request.{category}\"]");
	g_assert_cmpuint(d->samples->len, ==, 2);
	s = dyn_find(d, "dynamic.radosgw.api.request.get_obj", "p1");
	v = dyn_member_json(s, "counter_volume");
	g_assert_cmpstr(v, ==, "5");
	g_assert_cmpstr(json_object_get_string_member(s, "user_id"), ==, "p1");
	g_assert_cmpstr(json_object_get_string_member(s, "project_id"), ==, "p1");
	md = dyn_member_json(s, "resource_metadata");
	g_assert_cmpstr(md, ==, "{\"total.ops\":7,\"user\":\"p1$p1\"}");
	g_clear_pointer(&v, g_free);
	v = dyn_member_json(dyn_find(d, "dynamic.radosgw.api.request.put_obj", "p1"),
			    "counter_volume");
	g_assert_cmpstr(v, ==, "0");
}

/* next_sample_url_attribute: an absolute path, then a full URL; bearer auth */
static void
test_dynamic_paging_bearer(Dyn *d, gconstpointer data)
{
	const gchar *url = pd_dyn_test_server_get_url(d->web);
	g_autofree gchar *page2 = g_strdup_printf(
	  "{\"items\": [{\"id\": \"b\", \"v\": 2}], \"next\": \"%s/items?page=3\"}", url);
	g_autofree gchar *def = NULL;

	pd_dyn_test_server_add(d->web,
			       "/items",
			       "Bearer tok123",
			       NULL,
			       "{\"items\": [{\"id\": \"a\", \"v\": 1}], \"next\": "
			       "\"/items?page=2\"}");
	pd_dyn_test_server_add(d->web, "/items?page=2", "Bearer tok123", NULL, page2);
	pd_dyn_test_server_add(d->web,
			       "/items?page=3",
			       "Bearer tok123",
			       NULL,
			       "{\"items\": [{\"id\": \"c\", \"v\": 3}], \"next\": null}");
	def = g_strdup_printf("- name: dynamic.paged\n"
			      "  sample_type: cumulative\n"
			      "  unit: item\n"
			      "  value_attribute: v\n"
			      "  url_path: \"%s/items\"\n"
			      "  module: polld.auth\n"
			      "  authentication_object: HTTPBearerAuth\n"
			      "  authentication_parameters: tok123\n"
			      "  next_sample_url_attribute: next\n"
			      "  response_entries_key: items\n",
			      url);
	g_free(pd_test_write_file(d->defs, "paged.yaml", def));
	dyn_run(d, "[dynamic.paged]");
	g_assert_cmpuint(d->samples->len, ==, 3);
	dyn_find(d, "dynamic.paged", "a");
	dyn_find(d, "dynamic.paged", "b");
	dyn_find(d, "dynamic.paged", "c");
	g_assert_cmpuint(pd_dyn_test_server_get_hits(d->web, "/items?page=3"), ==, 1);
}

/* the XML and text response handlers (the documentation's host command) */
static void
test_dynamic_xml_text(Dyn *d, gconstpointer data)
{
	g_autofree gchar *v = NULL;
	g_autofree gchar *md = NULL;
	JsonObject *s;

	g_free(pd_test_write_file(
	  d->defs,
	  "xml.yaml",
	  "- name: dynamic.host.command\n"
	  "  sample_type: gauge\n"
	  "  unit: request\n"
	  "  value_attribute: value\n"
	  "  response_entries_key: test\n"
	  "  host_command: \"echo '<test><user_id>id1_u</user_id><project_id>id1_p</project_id>"
	  "<id>id1</id><meta>meta-data-to-store</meta><value>1</value></test>'\"\n"
	  "  metadata_fields:\n    - meta\n"
	  "  response_handlers:\n    - xml\n"
	  "- name: dynamic.text\n"
	  "  sample_type: gauge\n"
	  "  unit: B\n"
	  "  value_attribute: \"out | int(value.split()[0])\"\n"
	  "  resource_id_attribute: \"out | value.split()[1]\"\n"
	  "  host_command: \"printf '42 disk0\\\\n'\"\n"
	  "  response_handlers: [json, text]\n"));
	dyn_run(d, "[dynamic.host.command, dynamic.text]");
	s = dyn_find(d, "dynamic.host.command", "id1");
	v = dyn_member_json(s, "counter_volume");
	g_assert_cmpstr(v, ==, "\"1\"");
	g_assert_cmpstr(json_object_get_string_member(s, "user_id"), ==, "id1_u");
	g_assert_cmpstr(json_object_get_string_member(s, "project_id"), ==, "id1_p");
	md = dyn_member_json(s, "resource_metadata");
	g_assert_cmpstr(md, ==, "{\"meta\":\"meta-data-to-store\"}");
	g_clear_pointer(&v, g_free);
	v = dyn_member_json(dyn_find(d, "dynamic.text", "disk0"), "counter_volume");
	g_assert_cmpstr(v, ==, "42");
}

/* a command that hangs is killed at its timeout; one that prints 100 MB is
 * cut off at the cap; a wrong password is an error, not samples */
static void
test_dynamic_bounded(Dyn *d, gconstpointer data)
{
	const gchar *url = pd_dyn_test_server_get_url(d->web);
	g_autofree gchar *def = NULL;
	gint64 start = g_get_monotonic_time();
	/* the hang outlasts twice the bound below, at any speed */
	guint hang_s = 60 * pd_test_slowdown();
	g_autofree gchar *hang_note = g_strdup_printf("sleep %u: no end within 1 s", hang_s);

	pd_dyn_test_server_add(d->web, "/secret", "Basic YWRtaW46c2VjcmV0", NULL, "[]");
	pd_dyn_test_server_add_big(d->web, "/big", 64 * 1024 * 1024);
	def = g_strdup_printf("- name: dynamic.hang\n"
			      "  sample_type: gauge\n"
			      "  unit: s\n"
			      "  value_attribute: v\n"
			      "  host_command: sleep %u\n"
			      "  timeout: 1\n"
			      "- name: dynamic.flood\n"
			      "  sample_type: gauge\n"
			      "  unit: B\n"
			      "  value_attribute: v\n"
			      "  host_command: head -c 104857600 /dev/zero\n"
			      "- name: dynamic.big\n"
			      "  sample_type: gauge\n"
			      "  unit: B\n"
			      "  value_attribute: v\n"
			      "  url_path: \"%s/big\"\n"
			      "  module: requests.auth\n"
			      "  authentication_object: HTTPBasicAuth\n"
			      "  authentication_parameters: \"a, b\"\n"
			      "- name: dynamic.denied\n"
			      "  sample_type: gauge\n"
			      "  unit: B\n"
			      "  value_attribute: v\n"
			      "  url_path: \"%s/secret\"\n"
			      "  module: requests.auth\n"
			      "  authentication_object: HTTPBasicAuth\n"
			      "  authentication_parameters: \"admin, wrong\"\n",
			      hang_s,
			      url,
			      url);
	g_free(pd_test_write_file(d->defs, "bounded.yaml", def));
	dyn_run(d, "[dynamic.hang, dynamic.flood, dynamic.big, dynamic.denied]");
	g_assert_cmpuint(d->samples->len, ==, 0);
	if (g_test_verbose() || strstr(d->err, hang_note) == NULL)
		g_printerr("--- polld stderr:\n%s---\n", d->err);
	g_assert_nonnull(strstr(d->err, hang_note));
	g_assert_nonnull(strstr(d->err, "/dev/zero: output larger than 16777216 bytes"));
	g_assert_nonnull(strstr(d->err, "/big: output larger than 16777216 bytes"));
	g_assert_nonnull(strstr(d->err, "/secret: HTTP 401"));
	/* the hanging command did not hold the cycle for its whole sleep */
	g_assert_cmpint(g_get_monotonic_time() - start, <, (gint64)hang_s / 2 * G_USEC_PER_SEC);
}

/* 10,000 definitions in one file load, and one of them polls */
static void
test_dynamic_many(Dyn *d, gconstpointer data)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_autofree gchar *v = NULL;
	gint64 start;

	for (guint i = 0; i < 10000; i++)
		g_string_append_printf(
		  text,
		  "- name: dynamic.n.%u\n"
		  "  sample_type: gauge\n"
		  "  unit: x\n"
		  "  value_attribute: \"v | value + %u\"\n"
		  "  host_command: \"echo '[{\\\"v\\\": 1, \\\"id\\\": \\\"r\\\"}]'\"\n",
		  i,
		  i);
	g_free(pd_test_write_file(d->defs, "many.yaml", text->str));
	start = g_get_monotonic_time();
	dyn_run(d, "[dynamic.n.9999]");
	g_test_message("10,000 definitions: polld --once took %.2f s",
		       (g_get_monotonic_time() - start) / 1e6);
	g_assert_cmpuint(d->samples->len, ==, 1);
	v = dyn_member_json(dyn_find(d, "dynamic.n.9999", "r"), "counter_volume");
	g_assert_cmpstr(v, ==, "10000");
}

/* extra_metadata_fields: a Keystone lookup through the catalog (cached), a
 * host command reading what the first captured, and the skip list */
static void
test_dynamic_enrich(Dyn *d, gconstpointer data)
{
	g_autofree gchar *script = pd_test_write_file(
	  d->dir,
	  "servers.sh",
	  "#!/bin/sh\n"
	  "echo '{\"servers\": [{\"id\": \"vm1\", \"status\": \"ACTIVE\", \"tenant_id\": "
	  "\"p-demo\"},"
	  " {\"id\": \"vm2\", \"status\": \"ACTIVE\", \"tenant_id\": \"p-demo\"},"
	  " {\"id\": \"vm3\", \"status\": \"ERROR\", \"tenant_id\": \"p-demo\"}]}'\n");
	g_autofree gchar *def = NULL;
	g_autofree gchar *md = NULL;
	g_autofree gchar *v = NULL;

	g_assert_cmpint(g_chmod(script, 0755), ==, 0);
	def = g_strdup_printf(
	  "- name: dynamic.instance.status\n"
	  "  sample_type: gauge\n"
	  "  unit: server\n"
	  "  value_attribute: status\n"
	  "  host_command: %s\n"
	  "  project_id_attribute: tenant_id\n"
	  "  metadata_fields: [status]\n"
	  "  value_mapping:\n    ACTIVE: \"1\"\n"
	  "  default_value: 0\n"
	  "  extra_metadata_fields_skip:\n"
	  "    - value: '1'\n"
	  "      id: vm2\n"
	  "  extra_metadata_fields:\n"
	  "    - name: project_name\n"
	  "      endpoint_type: identity\n"
	  "      url_path: \"'projects/' + str(sample['project_id'])\"\n"
	  "      value: name\n"
	  "      metadata_fields: [domain_id]\n"
	  "    - name: project_tag\n"
	  "      host_command: \"'echo ' + extra_metadata_captured['domain_id'] + '-' + "
	  "extra_metadata_by_name['project_name']['value']\"\n"
	  "      response_handlers: [text]\n"
	  "      value: out\n",
	  script);
	g_free(pd_test_write_file(d->defs, "servers.yaml", def));
	dyn_run(d, "[dynamic.instance.status]");
	g_assert_cmpuint(d->samples->len, ==, 3);
	md = dyn_member_json(dyn_find(d, "dynamic.instance.status", "vm1"), "resource_metadata");
	g_assert_cmpstr(
	  md,
	  ==,
	  "{\"status\":\"ACTIVE\",\"project_name\":\"demo\",\"domain_id\":\"default\","
	  "\"project_tag\":\"default-demo\"}");
	g_clear_pointer(&md, g_free);
	/* skipped: its value is '1' and its id vm2 */
	md = dyn_member_json(dyn_find(d, "dynamic.instance.status", "vm2"), "resource_metadata");
	g_assert_cmpstr(md, ==, "{\"status\":\"ACTIVE\"}");
	v = dyn_member_json(dyn_find(d, "dynamic.instance.status", "vm3"), "counter_volume");
	g_assert_cmpstr(v, ==, "0");
	/* vm1 and vm3 share one Keystone answer */
	g_assert_cmpuint(pd_os_test_server_get_request_count(d->server, "identity GET"), ==, 1);
}

/* an API failing, or Keystone revoking the token mid-cycle, costs only the
 * samples concerned: other definitions poll, a 401 re-authenticates */
static void
test_dynamic_faults(Dyn *d, gconstpointer data)
{
	g_free(pd_test_write_file(
	  d->defs,
	  "faults.yaml",
	  "- name: dynamic.image.size\n"
	  "  sample_type: gauge\n"
	  "  unit: B\n"
	  "  value_attribute: size\n"
	  "  endpoint_type: image\n"
	  "  url_path: v2/images\n"
	  "- name: dynamic.volume.size\n"
	  "  sample_type: gauge\n"
	  "  unit: GB\n"
	  "  value_attribute: size\n"
	  "  endpoint_type: volumev3\n"
	  "  url_path: volumes/detail?all_tenants=True\n"
	  "  response_entries_key: volumes\n"
	  "- name: dynamic.local\n"
	  "  sample_type: gauge\n"
	  "  unit: x\n"
	  "  value_attribute: v\n"
	  "  host_command: \"echo '[{\\\"v\\\": 1, \\\"id\\\": \\\"r\\\"}]'\"\n"));
	pd_os_test_server_set_fault(d->server, "image", PD_OS_FAULT_ERROR);
	/* the token dies after the catalog and the first API call */
	pd_os_test_server_expire_tokens_after(d->server, 1);
	dyn_run(d, "[dynamic.image.size, dynamic.volume.size, dynamic.local]");
	dyn_find(d, "dynamic.local", "r");
	dyn_find(d, "dynamic.volume.size", "vol-1");
	g_assert_nonnull(strstr(d->err, "HTTP 500"));
	/* the volumes came after a new token */
	g_assert_cmpuint(pd_os_test_server_get_auth_count(d->server), >=, 2);
	for (guint i = 0; i < d->samples->len; i++)
		g_assert_cmpstr(
		  json_object_get_string_member(g_ptr_array_index(d->samples, i), "counter_name"),
		  !=,
		  "dynamic.image.size");
}

/* host command definitions that Ceilometer 19 runs as well as polld */
static const gchar compare_defs[] =
  "- name: dynamic.host.command\n"
  "  sample_type: gauge\n"
  "  unit: request\n"
  "  value_attribute: value\n"
  "  response_entries_key: test\n"
  "  host_command: \"echo '<test><user_id>id1_u</user_id><project_id>id1_p</project_id>"
  "<id>id1</id><meta>meta-data-to-store</meta><value>1</value></test>'\"\n"
  "  metadata_fields: [meta]\n"
  "  response_handlers: [xml]\n"
  "- name: dynamic.vm.state\n"
  "  sample_type: gauge\n"
  "  unit: state\n"
  "  value_attribute: state\n"
  "  host_command: \"echo '{\\\"vms\\\": [{\\\"id\\\": \\\"vm1\\\", \\\"state\\\": "
  "\\\"ACTIVE\\\", \\\"mem\\\": 5662310400, \\\"a\\\": \\\"x$y\\\", \\\"tags\\\": "
  "[\\\"t1\\\", 2, 2.5, null, true], \\\"f\\\": {\\\"x\\\": null, \\\"y\\\": [1]}, "
  "\\\"on\\\": false}, {\\\"id\\\": \\\"vm2\\\", \\\"state\\\": \\\"BUILD\\\", "
  "\\\"mem\\\": 1.5, \\\"a\\\": \\\"q\\\", \\\"tags\\\": [], \\\"f\\\": {}, "
  "\\\"on\\\": true}, {\\\"id\\\": \\\"vm3\\\", \\\"state\\\": \\\"DELETED\\\", "
  "\\\"mem\\\": 0, \\\"a\\\": \\\"\\\", \\\"tags\\\": [], \\\"f\\\": null, "
  "\\\"on\\\": null}]}'\"\n"
  "  user_id_attribute: \"a | value.split('$')[0]\"\n"
  "  project_id_attribute: \"a | value.lower()\"\n"
  "  skip_sample_values: [DELETED]\n"
  "  metadata_fields: [\"tags | ','.join(map(str, value))\", \"mem | value / 1024 / 1024\", f, a, "
  "\"mem | value // 1024\", tags, \"on\", \"mem | int(value) % 7\", \"a | value.upper() or "
  "None\"]\n"
  "  metadata_mapping:\n    a: renamed\n    f: ff\n    \"on\": a\n"
  "  preserve_mapped_metadata: false\n"
  "  value_mapping:\n    ACTIVE: \"1\"\n    BUILD: 2.5\n"
  "  default_value: 0\n"
  "- name: \"dynamic.rgw.{category}\"\n"
  "  sample_type: cumulative\n"
  "  unit: request\n"
  "  value_attribute: \"[categories].stats.ops\"\n"
  "  host_command: \"echo '{\\\"summary\\\": [{\\\"user\\\": \\\"p1$p1\\\", "
  "\\\"categories\\\": [{\\\"category\\\": \\\"get_obj\\\", \\\"stats\\\": "
  "{\\\"ops\\\": 5}}, {\\\"category\\\": \\\"put_obj\\\", \\\"stats\\\": "
  "{\\\"ops\\\": 0}}]}]}'\"\n"
  "  response_entries_key: summary\n"
  "  resource_id_attribute: \"user | value.split('$') | value[0]\"\n"
  "  skip_sample_values: [0]\n"
  "  metadata_fields: [user]\n";

static gchar *
compare_text(JsonObject *o, const gchar *key)
{
	JsonNode *n = json_object_get_member(o, key);
	return n != NULL ? json_to_string(n, FALSE) : g_strdup("(missing)");
}

/* the same definitions through Ceilometer 19's own code give the same samples */
static void
test_dynamic_ceilometer(Dyn *d, gconstpointer data)
{
	g_autofree gchar *defs = pd_test_write_file(d->defs, "compare.yaml", compare_defs);
	g_autofree gchar *script =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "ceilometer-dynamic.py", NULL);
	const gchar *argv[] = { "/usr/bin/python3", script, defs, NULL };
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) expected = NULL;
	JsonArray *list;
	gint status = 0;

	g_assert_true(g_spawn_sync(
	  NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
	g_assert_no_error(error);
	if (g_spawn_check_wait_status(status, NULL) == FALSE && WEXITSTATUS(status) == 77) {
		g_test_skip("python3-ceilometer is not installed");
		return;
	}
	if (!g_spawn_check_wait_status(status, NULL))
		g_printerr("%s%s", out, err);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	expected = json_from_string(out, &error);
	g_assert_no_error(error);
	list = json_node_get_array(expected);
	g_assert_cmpuint(json_array_get_length(list), ==, 4);
	dyn_run(d, "[\"dynamic.*\"]");
	g_assert_cmpuint(d->samples->len, ==, json_array_get_length(list));
	for (guint i = 0; i < json_array_get_length(list); i++) {
		static const gchar *const keys[] = { "counter_type",	  "counter_unit",
						     "counter_volume",	  "user_id",
						     "project_id",	  "resource_id",
						     "resource_metadata", NULL };
		JsonObject *want = json_array_get_object_element(list, i);
		JsonObject *got = dyn_find(d,
					   json_object_get_string_member(want, "counter_name"),
					   json_object_get_string_member(want, "resource_id"));
		for (guint k = 0; keys[k] != NULL; k++) {
			g_autofree gchar *a = compare_text(want, keys[k]);
			g_autofree gchar *b = compare_text(got, keys[k]);
			if (g_strcmp0(a, b) != 0)
				g_printerr("%s %s: %s\n",
					   json_object_get_string_member(want, "counter_name"),
					   keys[k],
					   a);
			g_assert_cmpstr(b, ==, a);
		}
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add(
	  "/dynamic/openstack", Dyn, NULL, dyn_setup, test_dynamic_openstack, dyn_teardown);
	g_test_add("/dynamic/command", Dyn, NULL, dyn_setup, test_dynamic_command, dyn_teardown);
	g_test_add("/dynamic/refused", Dyn, NULL, dyn_setup, test_dynamic_refused, dyn_teardown);
	g_test_add(
	  "/dynamic/duplicate", Dyn, NULL, dyn_setup, test_dynamic_duplicate, dyn_teardown);
	g_test_add(
	  "/dynamic/multi-basic", Dyn, NULL, dyn_setup, test_dynamic_multi_basic, dyn_teardown);
	g_test_add(
	  "/dynamic/paging-bearer", Dyn, NULL, dyn_setup, test_dynamic_paging_bearer, dyn_teardown);
	g_test_add("/dynamic/xml-text", Dyn, NULL, dyn_setup, test_dynamic_xml_text, dyn_teardown);
	g_test_add("/dynamic/bounded", Dyn, NULL, dyn_setup, test_dynamic_bounded, dyn_teardown);
	g_test_add("/dynamic/many", Dyn, NULL, dyn_setup, test_dynamic_many, dyn_teardown);
	g_test_add("/dynamic/enrich", Dyn, NULL, dyn_setup, test_dynamic_enrich, dyn_teardown);
	g_test_add(
	  "/dynamic/ceilometer", Dyn, NULL, dyn_setup, test_dynamic_ceilometer, dyn_teardown);
	g_test_add("/dynamic/faults", Dyn, NULL, dyn_setup, test_dynamic_faults, dyn_teardown);
	return g_test_run();
}
