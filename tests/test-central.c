/*
 * polld test suite - the openstack plugin against the in-process OpenStack
 * test server: exact samples of every central meter, and the faults
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "openstack-server/pd-os-test-server.h"
#include "pd-test-util.h"

typedef struct {
	PdOsTestServer *server;
	gchar *dir;
	GKeyFile *conf;
	gchar *out;
	gchar *err;
	gint status;
	gboolean exited;
	gint64 duration_us;
	GPtrArray *samples;
} Central;

static void
central_setup_with(Central *c, GTlsCertificate *cert)
{
	g_autofree gchar *fixture = g_build_filename(
	  g_getenv("POLLD_SOURCE_ROOT"), "tests", "openstack-server", "fixture.json", NULL);
	g_autoptr(GError) error = NULL;

	c->server = pd_os_test_server_new(fixture, cert, &error);
	g_assert_no_error(error);
	c->dir = pd_test_mkdtemp();
	c->conf = g_key_file_new();
	pd_os_test_server_set_credentials(c->server, c->conf);
	/* under valgrind both ends are many times slower */
	g_key_file_set_string(c->conf,
			      "service_credentials",
			      "timeout",
			      g_getenv("POLLD_WRAPPER") != NULL ? "120" : "10");
}

static void
central_setup(Central *c, gconstpointer data)
{
	central_setup_with(c, NULL);
}

static void
central_teardown(Central *c, gconstpointer data)
{
	g_clear_object(&c->server);
	pd_test_rmtree(c->dir);
	g_free(c->dir);
	g_key_file_unref(c->conf);
	g_free(c->out);
	g_free(c->err);
	g_clear_pointer(&c->samples, g_ptr_array_unref);
	/* let the server's connections close */
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* runs polld --once with one source polling @meters (a YAML list) */
static void
central_run(Central *c, const gchar *meters)
{
	gint64 start = g_get_monotonic_time();

	c->status =
	  pd_test_run_central_once(c->dir, c->conf, "central", meters, NULL, &c->out, &c->err);
	c->duration_us = g_get_monotonic_time() - start;
	c->exited = c->status >= 0;
	if (g_test_verbose() || !c->exited || c->status != 0)
		g_printerr("--- polld stderr:\n%s---\n", c->err);
	/* under valgrind a memory error makes this 1 */
	g_assert_true(c->exited);
	g_clear_pointer(&c->samples, g_ptr_array_unref);
	c->samples = pd_test_collect_samples(c->out);
	/* --once exits 4 when nothing was polled (polld(8)) */
	if (c->samples->len == 0)
		g_assert_cmpint(c->status, ==, 4);
	else if (strstr(c->err, " 0 pollster errors") != NULL)
		g_assert_cmpint(c->status, ==, 0);
	else
		g_assert_cmpint(c->status, ==, 3);
}

/* a missing sample has its reason in polld's log, which the assertion alone would hide */
static void
central_assert_samples(Central *c, guint expected)
{
	if (c->samples->len != expected)
		g_printerr("--- polld stderr:\n%s---\n", c->err);
	g_assert_cmpuint(c->samples->len, ==, expected);
}

static guint
central_count(Central *c, const gchar *name)
{
	guint n = 0;
	for (guint i = 0; i < c->samples->len; i++) {
		JsonObject *s = g_ptr_array_index(c->samples, i);
		n += g_strcmp0(json_object_get_string_member(s, "counter_name"), name) == 0;
	}
	return n;
}

static JsonObject *
central_find(Central *c, const gchar *name, const gchar *resource_id)
{
	for (guint i = 0; i < c->samples->len; i++) {
		JsonObject *s = g_ptr_array_index(c->samples, i);
		if (g_strcmp0(json_object_get_string_member(s, "counter_name"), name) == 0 &&
		    g_strcmp0(json_object_get_string_member(s, "resource_id"), resource_id) == 0)
			return s;
	}
	g_error("no %s sample for %s", name, resource_id);
	return NULL;
}

static const gchar *
central_str(JsonObject *obj, const gchar *key)
{
	JsonNode *node = json_object_get_member(obj, key);
	g_assert_nonnull(node);
	return JSON_NODE_HOLDS_NULL(node) ? NULL : json_node_get_string(node);
}

/* the sample's identity, type and unit */
static JsonObject *
central_check(Central *c,
	      const gchar *name,
	      const gchar *rid,
	      const gchar *unit,
	      const gchar *user,
	      const gchar *project)
{
	JsonObject *s = central_find(c, name, rid);

	g_assert_cmpstr(central_str(s, "counter_type"), ==, "gauge");
	g_assert_cmpstr(central_str(s, "counter_unit"), ==, unit);
	g_assert_cmpstr(central_str(s, "user_id"), ==, user);
	g_assert_cmpstr(central_str(s, "project_id"), ==, project);
	g_assert_cmpstr(central_str(s, "source"), ==, "openstack");
	return s;
}

static void
central_assert_int(JsonObject *s, gint64 value)
{
	JsonNode *node = json_object_get_member(s, "counter_volume");
	g_assert_cmpint(json_node_get_value_type(node), ==, G_TYPE_INT64);
	g_assert_cmpint(json_node_get_int(node), ==, value);
}

static void
central_assert_double(JsonObject *s, gdouble value)
{
	JsonNode *node = json_object_get_member(s, "counter_volume");
	g_assert_cmpint(json_node_get_value_type(node), ==, G_TYPE_DOUBLE);
	g_assert_cmpfloat_with_epsilon(json_node_get_double(node), value, 1e-9);
}

/* the metadata as compact JSON, for whole-object comparisons */
static gchar *
central_metadata(JsonObject *s)
{
	return json_to_string(json_object_get_member(s, "resource_metadata"), FALSE);
}

static void
central_assert_metadata(JsonObject *s, const gchar *expected)
{
	g_autofree gchar *md = central_metadata(s);
	g_autoptr(JsonNode) want = json_from_string(expected, NULL);
	g_autofree gchar *want_text = json_to_string(want, FALSE);
	g_assert_cmpstr(md, ==, want_text);
}

/* --- exact samples --- */

static void
test_image_size(Central *c, gconstpointer data)
{
	JsonObject *s;

	central_run(c, "['image.size']");
	g_assert_cmpint(c->status, ==, 0);
	g_assert_cmpuint(central_count(c, "image.size"), ==, 5);
	/* five images two to a page */
	g_assert_cmpuint(pd_os_test_server_get_request_count(c->server, "image"), ==, 3);
	s = central_check(c, "image.size", "img-1", "B", NULL, "p-demo");
	central_assert_int(s, 13267968);
	central_assert_metadata(
	  s,
	  "{\"status\":\"active\",\"visibility\":\"public\",\"name\":\"cirros\","
	  "\"container_format\":\"bare\",\"created_at\":\"2024-01-01T00:00:00Z\","
	  "\"disk_format\":\"qcow2\",\"updated_at\":\"2024-01-02T00:00:00Z\","
	  "\"min_disk\":0,\"is_protected\":false,"
	  "\"checksum\":\"443b7623e27ecf03dc9e01ee93f67afe\",\"min_ram\":0,"
	  "\"tags\":[\"base\",\"tiny\"],\"virtual_size\":117440512}");
	s = central_check(c, "image.size", "img-2", "B", NULL, "p-service");
	central_assert_int(s, 654311424);
	/* a queued image has no size: Ceilometer sends None */
	s = central_check(c, "image.size", "img-3", "B", NULL, "p-demo");
	g_assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(s, "counter_volume")));
	central_assert_int(central_check(c, "image.size", "img-4", "B", NULL, "p-demo"),
			   1073741824);
	central_assert_int(central_check(c, "image.size", "img-5", "B", NULL, "p-service"), 5);
	g_assert_cmpuint(pd_os_test_server_get_auth_count(c->server), ==, 1);
}

static void
test_volumes(Central *c, gconstpointer data)
{
	JsonObject *s;

	central_run(c, "['volume.size', 'volume.snapshot.size', 'volume.backup.size']");
	central_assert_samples(c, 6);
	/* the default, 2026.1: Cinder API 3.64, volume_type_id, GiB; snapshots
	 * and backups without image_id and instance_id; backups with their user */
	g_assert_cmpuint(
	  pd_os_test_server_get_request_count(c->server, "volume [volume 3.64]"), ==, 2 + 1 + 1);
	s = central_check(c, "volume.size", "vol-1", "GiB", "u-alice", "p-demo");
	central_assert_int(s, 10);
	/* user_name and project_name are there, null without identity discovery */
	g_assert_null(central_str(s, "user_name"));
	g_assert_null(central_str(s, "project_name"));
	central_assert_metadata(
	  s,
	  "{\"name\":\"data\",\"status\":\"in-use\",\"volume_type\":\"lvmdriver-1\","
	  "\"volume_type_id\":\"vt-1\",\"availability_zone\":\"nova\",\"os-vol-host-attr:host\":"
	  "\"node1@lvm#lvm\","
	  "\"migration_status\":null,\"attachments\":[{\"server_id\":\"srv-1\","
	  "\"attachment_id\":\"att-1\",\"device\":\"/dev/vdb\"}],"
	  "\"snapshot_id\":null,\"source_volid\":null,\"image_id\":\"img-1\","
	  "\"instance_id\":\"srv-1\"}");
	s = central_check(c, "volume.size", "vol-2", "GiB", "u-ceilo", "p-service");
	central_assert_int(s, 1);
	central_assert_int(central_check(c, "volume.size", "vol-3", "GiB", "u-alice", "p-demo"),
			   2048);
	s = central_check(c, "volume.snapshot.size", "snap-1", "GiB", "u-alice", "p-demo");
	central_assert_int(s, 10);
	central_assert_metadata(
	  s,
	  "{\"name\":\"before-upgrade\",\"volume_id\":\"vol-1\",\"status\":\"available\","
	  "\"description\":\"pre\",\"metadata\":{\"k\":\"v\"},"
	  "\"os-extended-snapshot-attributes:progress\":\"100%\"}");
	central_assert_int(
	  central_check(c, "volume.snapshot.size", "snap-2", "GiB", "u-ceilo", "p-service"), 1);
	s = central_check(c, "volume.backup.size", "bak-1", "GiB", "u-alice", "p-demo");
	central_assert_int(s, 10);
	central_assert_metadata(
	  s,
	  "{\"name\":\"nightly\",\"is_incremental\":true,\"object_count\":22,"
	  "\"container\":\"volumebackups\",\"volume_id\":\"vol-1\",\"status\":\"available\","
	  "\"description\":null}");
}

static void
test_pools(Central *c, gconstpointer data)
{
	JsonObject *s;

	central_run(c, "['volume.provider.pool.*']");
	/* provisioned and virtual_free only for the pool reporting provisioning */
	central_assert_samples(c, 8);
	s = central_check(
	  c, "volume.provider.pool.capacity.total", "node1@lvm#lvm", "GiB", NULL, NULL);
	central_assert_double(s, 1000.0);
	central_assert_metadata(s, "{\"pool_name\":\"lvm\"}");
	central_assert_double(
	  central_check(
	    c, "volume.provider.pool.capacity.free", "node1@lvm#lvm", "GiB", NULL, NULL),
	  250.5);
	central_assert_int(
	  central_check(
	    c, "volume.provider.pool.capacity.allocated", "node1@lvm#lvm", "GiB", NULL, NULL),
	  700);
	central_assert_int(
	  central_check(
	    c, "volume.provider.pool.capacity.provisioned", "node1@lvm#lvm", "GiB", NULL, NULL),
	  800);
	/* 20 * (1000 - floor(5% of 1000)) - 800 */
	central_assert_double(
	  central_check(
	    c, "volume.provider.pool.capacity.virtual_free", "node1@lvm#lvm", "GiB", NULL, NULL),
	  18200.0);
	central_assert_int(
	  central_check(
	    c, "volume.provider.pool.capacity.total", "node2@ceph#rbd", "GiB", NULL, NULL),
	  500);
}

static void
test_floating_ip(Central *c, gconstpointer data)
{
	JsonObject *s;

	central_run(c, "['ip.floating']");
	central_assert_samples(c, 4);
	s = central_check(c, "ip.floating", "fip-1", "ip", NULL, "p-demo");
	central_assert_int(s, 1);
	central_assert_metadata(
	  s,
	  "{\"router_id\":\"r-1\",\"status\":\"ACTIVE\",\"floating_network_id\":\"net-ext\","
	  "\"fixed_ip_address\":\"10.0.0.5\",\"port_id\":\"port-1\","
	  "\"floating_ip_address\":\"172.24.4.10\"}");
	central_assert_int(central_check(c, "ip.floating", "fip-2", "ip", NULL, "p-demo"), 3);
	/* unknown status: -1 and a warning */
	central_assert_int(central_check(c, "ip.floating", "fip-3", "ip", NULL, "p-service"), -1);
	g_assert_nonnull(strstr(c->err, "SLEEPING"));
	/* no status: -1 as well since 25.0.0 (2025.2 and the default, 2026.1) */
	central_assert_int(central_check(c, "ip.floating", "fip-4", "ip", NULL, "p-demo"), -1);
	g_assert_nonnull(
	  strstr(c->err, "unknown floating IP status '(none)' for fip-4, setting volume to -1"));
	g_assert_cmpuint(pd_os_test_server_get_request_count(c->server, "network"), ==, 2);
}

static void
test_swift(Central *c, gconstpointer data)
{
	JsonObject *s;

	central_run(c, "['storage.*']");
	/* p-frozen and p-old have no account: 404, blacklisted */
	g_assert_cmpuint(central_count(c, "storage.objects"), ==, 2);
	s = central_check(c, "storage.objects", "p-demo", "object", NULL, "p-demo");
	central_assert_int(s, 13);
	central_assert_metadata(s, "{}");
	central_assert_int(
	  central_check(c, "storage.objects", "p-service", "object", NULL, "p-service"), 0);
	central_assert_int(central_check(c, "storage.objects.size", "p-demo", "B", NULL, "p-demo"),
			   101023);
	central_assert_int(
	  central_check(c, "storage.objects.containers", "p-demo", "container", NULL, "p-demo"), 3);
	g_assert_cmpuint(central_count(c, "storage.containers.objects"), ==, 3);
	s = central_check(
	  c, "storage.containers.objects", "p-demo/backups", "object", NULL, "p-demo");
	central_assert_int(s, 3);
	/* since 24.0.0 (the default, 2026.1, too): the container's storage
	 * policy, null when unsaid */
	central_assert_metadata(s, "{\"storage_policy\":\"Policy-0\"}");
	central_assert_metadata(central_find(c, "storage.containers.objects.size", "p-demo/empty"),
				"{\"storage_policy\":null}");
	central_assert_int(
	  central_check(c, "storage.containers.objects", "p-demo/photos", "object", NULL, "p-demo"),
	  10);
	central_assert_int(
	  central_check(c, "storage.containers.objects.size", "p-demo/photos", "B", NULL, "p-demo"),
	  99999);
	central_assert_int(
	  central_check(c, "storage.containers.objects.size", "p-demo/empty", "B", NULL, "p-demo"),
	  0);
	g_assert_nonnull(strstr(c->err, "p-frozen"));
	/* the five pollsters share one HEAD and one listing per project (4 projects; p-demo's 3
	 * containers take pages of 2, 1 and an empty one) */
	g_assert_cmpuint(
	  pd_os_test_server_get_request_count(c->server, "object-store HEAD"), ==, 4);
	g_assert_cmpuint(
	  pd_os_test_server_get_request_count(c->server, "object-store GET"), ==, 3 + 1 + 1 + 1);
}

static void
test_swift_prefix_and_enabled(Central *c, gconstpointer data)
{
	g_key_file_set_string(c->conf, "polling", "ignore_disabled_projects", "true");
	central_run(c, "['storage.objects']");
	/* only enabled projects of enabled domains, so no 404 this time */
	central_assert_samples(c, 2);
	g_assert_null(strstr(c->err, "p-frozen"));
	g_assert_null(strstr(c->err, "p-old"));
	g_key_file_set_string(c->conf, "DEFAULT", "reseller_prefix", "KEY_");
	central_run(c, "['storage.objects']");
	central_assert_samples(c, 0);
	g_assert_nonnull(strstr(c->err, "/v1/KEY_p-demo"));
}

static void
test_octavia_designate_manila(Central *c, gconstpointer data)
{
	JsonObject *s;

	central_run(
	  c,
	  "['loadbalancer.*', 'dns.zone.status', 'dns.zone.ttl', 'dns.zone.serial', 'manila.*']");
	central_assert_samples(c, 4 + 6 + 4);
	s = central_check(c, "loadbalancer.operating", "lb-1", "status", NULL, "p-demo");
	central_assert_int(s, 1);
	central_assert_metadata(
	  s,
	  "{\"name\":\"web\",\"availability_zone\":null,\"vip_address\":\"10.0.0.100\","
	  "\"vip_port_id\":\"port-vip\",\"provisioning_status\":\"ACTIVE\","
	  "\"operating_status\":\"ONLINE\",\"provider\":\"amphora\",\"flavor_id\":null}");
	central_assert_int(
	  central_check(c, "loadbalancer.operating", "lb-2", "status", NULL, "p-service"), 4);
	central_assert_int(
	  central_check(c, "loadbalancer.provisioning", "lb-1", "status", NULL, "p-demo"), 1);
	central_assert_int(
	  central_check(c, "loadbalancer.provisioning", "lb-2", "status", NULL, "p-service"), 5);
	s = central_check(c, "dns.zone.status", "zone-1", "status", NULL, "p-demo");
	central_assert_int(s, 1);
	central_assert_metadata(
	  s,
	  "{\"name\":\"example.org.\",\"email\":\"admin@example.org\",\"ttl\":3600,"
	  "\"description\":null,\"type\":\"PRIMARY\",\"status\":\"ACTIVE\","
	  "\"action\":\"NONE\",\"serial\":1700000000,\"pool_id\":\"pool-1\"}");
	central_assert_int(
	  central_check(c, "dns.zone.status", "zone-2", "status", NULL, "p-service"), 2);
	central_assert_int(central_check(c, "dns.zone.ttl", "zone-1", "second", NULL, "p-demo"),
			   3600);
	central_assert_int(central_check(c, "dns.zone.ttl", "zone-2", "second", NULL, "p-service"),
			   0);
	central_assert_int(central_check(c, "dns.zone.serial", "zone-1", "serial", NULL, "p-demo"),
			   1700000000);
	central_assert_int(
	  central_check(c, "dns.zone.serial", "zone-2", "serial", NULL, "p-service"), 0);
	s = central_check(c, "manila.share.status", "share-1", "status", "u-alice", "p-demo");
	central_assert_int(s, 1);
	central_assert_metadata(
	  s,
	  "{\"name\":\"nfs1\",\"availability_zone\":\"nova\",\"share_type\":\"default\","
	  "\"share_network_id\":null,\"status\":\"available\",\"host\":\"m@generic#p\","
	  "\"is_public\":false,\"protocol\":\"NFS\"}");
	central_assert_int(
	  central_check(c, "manila.share.status", "share-2", "status", "u-ceilo", "p-service"), 16);
	central_assert_int(
	  central_check(c, "manila.share.size", "share-1", "GiB", "u-alice", "p-demo"), 100);
	central_assert_int(
	  central_check(c, "manila.share.size", "share-2", "GiB", "u-ceilo", "p-service"), 0);
}

static void
test_dns_recordsets(Central *c, gconstpointer data)
{
	JsonObject *s;

	central_run(c, "['dns.zone.recordsets']");
	central_assert_samples(c, 2);
	/* zone-1: 5 recordsets over 3 pages of 2 */
	s = central_check(c, "dns.zone.recordsets", "zone-1", "recordset", NULL, "p-demo");
	central_assert_int(s, 5);
	central_assert_metadata(
	  s,
	  "{\"name\":\"example.org.\",\"email\":\"admin@example.org\",\"ttl\":3600,"
	  "\"description\":null,\"type\":\"PRIMARY\",\"status\":\"ACTIVE\","
	  "\"action\":\"NONE\",\"serial\":1700000000,\"pool_id\":\"pool-1\"}");
	s = central_check(c, "dns.zone.recordsets", "zone-2", "recordset", NULL, "p-service");
	central_assert_int(s, 2);
	central_assert_metadata(
	  s,
	  "{\"name\":\"test.net.\",\"email\":\"x@test.net\",\"ttl\":null,"
	  "\"description\":\"d\",\"type\":\"SECONDARY\",\"status\":\"PENDING\","
	  "\"action\":\"CREATE\",\"serial\":null,\"pool_id\":\"pool-1\"}");
	/* one zone listing, 3 + 1 recordset pages */
	g_assert_cmpuint(pd_os_test_server_get_request_count(c->server, "dns"), ==, 1 + 3 + 1);
}

/* a failing zone costs that zone's sample only */
static void
test_dns_recordsets_faults(Central *c, gconstpointer data)
{
	/* vanished since the discovery: no sample, no error */
	pd_os_test_server_set_fault(c->server, "recordsets:zone-1", PD_OS_FAULT_NOT_FOUND);
	central_run(c, "['dns.zone.recordsets']");
	central_assert_samples(c, 1);
	central_assert_int(central_find(c, "dns.zone.recordsets", "zone-2"), 2);
	g_assert_nonnull(strstr(c->err, "DNS zone zone-1 vanished"));
	/* forbidden: blacklisted for good */
	pd_os_test_server_set_fault(c->server, "recordsets:zone-1", PD_OS_FAULT_FORBIDDEN);
	central_run(c, "['dns.zone.recordsets']");
	central_assert_samples(c, 1);
	central_assert_int(central_find(c, "dns.zone.recordsets", "zone-2"), 2);
	g_assert_nonnull(strstr(c->err, "recordsets of DNS zone zone-1 unreadable"));
	g_assert_nonnull(strstr(c->err, "HTTP 403"));
	/* a server error and malformed JSON fail those zones this cycle */
	pd_os_test_server_set_fault(c->server, "recordsets:zone-1", PD_OS_FAULT_ERROR);
	pd_os_test_server_set_fault(c->server, "recordsets:zone-2", PD_OS_FAULT_MALFORMED);
	central_run(c, "['dns.zone.recordsets', 'dns.zone.status']");
	central_assert_samples(c, 2);
	g_assert_cmpuint(central_count(c, "dns.zone.status"), ==, 2);
	/* both are in flight at once: either may come first */
	g_assert_nonnull(strstr(c->err, "2 of 2 zones failed, first: zone zone-"));
	g_assert_true(strstr(c->err, "HTTP 500") != NULL ||
		      strstr(c->err, "malformed JSON") != NULL);
}

static void
test_identity_names(Central *c, gconstpointer data)
{
	JsonObject *s;

	g_key_file_set_string(c->conf, "polling", "identity_name_discovery", "true");
	central_run(c, "['volume.size', 'volume.snapshot.size']");
	s = central_find(c, "volume.size", "vol-1");
	g_assert_cmpstr(central_str(s, "user_name"), ==, "alice");
	g_assert_cmpstr(central_str(s, "project_name"), ==, "demo");
	s = central_find(c, "volume.snapshot.size", "snap-2");
	g_assert_cmpstr(central_str(s, "user_name"), ==, "ceilometer");
	g_assert_cmpstr(central_str(s, "project_name"), ==, "service");
	/* two users, two projects: one lookup each, shared by both pollsters */
	g_assert_cmpuint(pd_os_test_server_get_request_count(c->server, "identity"), ==, 1 + 4);
}

/* --- [polld] ceilometer_compat --- */

/* Zed (19.0.0, Debian 12): Cinder API 3.43 and its metadata, backups without
 * a user, a floating IP without status and a VPN in an unknown status or in
 * error skipped, no container metadata, no user_name/project_name keys even
 * with identity discovery */
static void
test_compat_zed(Central *c, gconstpointer data)
{
	JsonObject *s;

	g_key_file_set_string(c->conf, "polld", "ceilometer_compat", "zed");
	g_key_file_set_string(c->conf, "polling", "identity_name_discovery", "true");
	central_run(c,
		    "['volume.size', 'volume.snapshot.size', 'volume.backup.size', 'ip.floating', "
		    "'storage.containers.objects', 'network.services.vpn', "
		    "'volume.provider.pool.capacity.total', 'manila.share.size']");
	central_assert_samples(c, 3 + 2 + 1 + 3 + 3 + 2 + 2 + 2);
	g_assert_cmpuint(pd_os_test_server_get_request_count(c->server, "volume [volume 3.43]"),
			 ==,
			 2 + 1 + 1 + 1);
	g_assert_cmpuint(
	  pd_os_test_server_get_request_count(c->server, "volume [volume 3.64]"), ==, 0);
	s = central_check(c, "volume.size", "vol-1", "GB", "u-alice", "p-demo");
	g_assert_false(json_object_has_member(s, "user_name"));
	g_assert_false(json_object_has_member(s, "project_name"));
	central_assert_metadata(
	  s,
	  "{\"name\":\"data\",\"status\":\"in-use\",\"volume_type\":\"lvmdriver-1\","
	  "\"availability_zone\":\"nova\",\"os-vol-host-attr:host\":\"node1@lvm#lvm\","
	  "\"migration_status\":null,\"attachments\":[{\"server_id\":\"srv-1\","
	  "\"attachment_id\":\"att-1\",\"device\":\"/dev/vdb\"}],"
	  "\"snapshot_id\":null,\"source_volid\":null,\"image_id\":\"img-1\","
	  "\"instance_id\":\"srv-1\"}");
	central_assert_metadata(
	  central_check(c, "volume.snapshot.size", "snap-1", "GB", "u-alice", "p-demo"),
	  "{\"name\":\"before-upgrade\",\"volume_id\":\"vol-1\",\"status\":\"available\","
	  "\"description\":\"pre\",\"metadata\":{\"k\":\"v\"},"
	  "\"os-extended-snapshot-attributes:progress\":\"100%\",\"image_id\":null,"
	  "\"instance_id\":null}");
	central_assert_metadata(
	  central_check(c, "volume.backup.size", "bak-1", "GB", NULL, "p-demo"),
	  "{\"name\":\"nightly\",\"object_count\":22,\"container\":\"volumebackups\","
	  "\"volume_id\":\"vol-1\",\"status\":\"available\",\"description\":null,"
	  "\"image_id\":null,\"instance_id\":null}");
	central_check(c, "volume.provider.pool.capacity.total", "node1@lvm#lvm", "GB", NULL, NULL);
	central_check(c, "manila.share.size", "share-1", "GB", "u-alice", "p-demo");
	g_assert_cmpuint(central_count(c, "ip.floating"), ==, 3);
	g_assert_nonnull(strstr(c->err, "invalid status, skipping floating IP fip-4"));
	central_assert_metadata(central_find(c, "storage.containers.objects", "p-demo/backups"),
				"{}");
	/* vpn-3 ("error") is not discovered, vpn-4 (unknown status) skipped */
	g_assert_cmpuint(central_count(c, "network.services.vpn"), ==, 2);
	g_assert_nonnull(strstr(c->err, "unknown status SLEEPING received on vpn vpn-4"));
}

/* 2025.2 (25.0.0): GB, image protected, a firewall group in an unknown
 * status skipped (its VPNaaS keys: test_network_services) */
static void
test_compat_2025(Central *c, gconstpointer data)
{
	g_key_file_set_string(c->conf, "polld", "ceilometer_compat", "2025.2");
	central_run(c,
		    "['image.size', 'volume.size', 'volume.snapshot.size', 'volume.backup.size', "
		    "'volume.provider.pool.capacity.total', 'manila.share.size', "
		    "'network.services.firewall']");
	central_assert_samples(c, 5 + 3 + 2 + 1 + 2 + 2 + 2);
	central_assert_metadata(
	  central_check(c, "image.size", "img-2", "B", NULL, "p-service"),
	  "{\"status\":\"active\",\"visibility\":\"private\",\"name\":\"ubuntu\","
	  "\"container_format\":\"bare\",\"created_at\":\"2024-02-01T00:00:00Z\","
	  "\"disk_format\":\"raw\",\"updated_at\":\"2024-02-01T00:00:00Z\","
	  "\"min_disk\":10,\"protected\":true,\"checksum\":\"abc\",\"min_ram\":512,"
	  "\"tags\":[],\"virtual_size\":null}");
	central_check(c, "volume.size", "vol-1", "GB", "u-alice", "p-demo");
	central_check(c, "volume.snapshot.size", "snap-1", "GB", "u-alice", "p-demo");
	central_check(c, "volume.backup.size", "bak-1", "GB", "u-alice", "p-demo");
	central_check(c, "volume.provider.pool.capacity.total", "node1@lvm#lvm", "GB", NULL, NULL);
	central_check(c, "manila.share.size", "share-1", "GB", "u-alice", "p-demo");
	g_assert_cmpuint(central_count(c, "network.services.firewall"), ==, 2);
	g_assert_nonnull(strstr(c->err, "unknown status SLEEPING received on fw fwg-4"));
}

/* the default is 2026.1 (26.0.0): GiB, image is_protected, VPNaaS keys as
 * openstacksdk names them, a firewall group in an unknown status -1 */
static void
test_compat_2026(Central *c, gconstpointer data)
{
	JsonObject *s;

	/* no ceilometer_compat in the config */
	g_assert_false(g_key_file_has_key(c->conf, "polld", "ceilometer_compat", NULL));
	central_run(c,
		    "['image.size', 'volume.size', 'volume.snapshot.size', 'volume.backup.size', "
		    "'volume.provider.pool.capacity.total', 'manila.share.size', "
		    "'network.services.vpn', 'network.services.vpn.connections', "
		    "'network.services.firewall']");
	central_assert_samples(c, 5 + 3 + 2 + 1 + 2 + 2 + 4 + 1 + 3);
	s = central_check(c, "image.size", "img-2", "B", NULL, "p-service");
	central_assert_metadata(
	  s,
	  "{\"status\":\"active\",\"visibility\":\"private\",\"name\":\"ubuntu\","
	  "\"container_format\":\"bare\",\"created_at\":\"2024-02-01T00:00:00Z\","
	  "\"disk_format\":\"raw\",\"updated_at\":\"2024-02-01T00:00:00Z\","
	  "\"min_disk\":10,\"is_protected\":true,\"checksum\":\"abc\",\"min_ram\":512,"
	  "\"tags\":[],\"virtual_size\":null}");
	central_check(c, "volume.size", "vol-1", "GiB", "u-alice", "p-demo");
	central_check(c, "volume.snapshot.size", "snap-1", "GiB", "u-alice", "p-demo");
	central_check(c, "volume.backup.size", "bak-1", "GiB", "u-alice", "p-demo");
	central_check(c, "volume.provider.pool.capacity.total", "node1@lvm#lvm", "GiB", NULL, NULL);
	central_check(c, "manila.share.size", "share-1", "GiB", "u-alice", "p-demo");
	central_assert_metadata(
	  central_find(c, "network.services.vpn", "vpn-1"),
	  "{\"is_admin_state_up\":true,\"description\":\"\",\"name\":\"site-a\","
	  "\"status\":\"ACTIVE\",\"subnet_id\":null,\"router_id\":\"r-1\",\"flavor_id\":null,"
	  "\"external_v4_ip\":\"172.24.4.20\",\"external_v6_ip\":null}");
	central_assert_metadata(
	  central_find(c, "network.services.vpn.connections", "ipsec-1"),
	  "{\"name\":\"to-b\",\"description\":\"\",\"peer_address\":\"172.24.4.30\","
	  "\"peer_id\":\"172.24.4.30\",\"peer_cidrs\":[\"10.2.0.0/24\"],"
	  "\"peer_ep_group_id\":null,\"psk\":\"secret\",\"initiator\":\"bi-directional\","
	  "\"ikepolicy_id\":\"ike-1\",\"ipsecpolicy_id\":\"ipsec-pol-1\","
	  "\"vpnservice_id\":\"vpn-1\",\"mtu\":1500,\"is_admin_state_up\":true,"
	  "\"status\":\"DOWN\",\"project_id\":\"p-demo\"}");
	central_assert_int(
	  central_check(c, "network.services.firewall", "fwg-4", "firewall", NULL, "p-demo"), -1);
}

/* --- faults --- */

static void
test_token_expiry(Central *c, gconstpointer data)
{
	pd_os_test_server_expire_tokens_after(c->server, 3);
	central_run(c, "['image.size', 'volume.size', 'ip.floating', 'storage.objects']");
	central_assert_samples(c, 5 + 3 + 4 + 2);
	g_assert_cmpuint(pd_os_test_server_get_auth_count(c->server), ==, 2);
}

static void
test_missing_service(Central *c, gconstpointer data)
{
	pd_os_test_server_remove_service(c->server, "image");
	pd_os_test_server_remove_service(c->server, "object-store");
	central_run(c, "['image.size', 'volume.size', 'storage.objects']");
	g_assert_cmpuint(central_count(c, "image.size"), ==, 0);
	g_assert_cmpuint(central_count(c, "storage.objects"), ==, 0);
	g_assert_cmpuint(central_count(c, "volume.size"), ==, 3);
	g_assert_nonnull(strstr(c->err, "'image' is not in the Keystone catalog"));
	/* a pollster (not a discovery) that finds no endpoint says so once */
	g_assert_nonnull(strstr(c->err, "Swift endpoint not found: service type 'object-store'"));
	g_assert_cmpint(c->status, ==, 0);
}

static void
test_wrong_password(Central *c, gconstpointer data)
{
	g_key_file_set_string(c->conf, "service_credentials", "password", "wrong");
	central_run(c, "['image.size', 'volume.size']");
	central_assert_samples(c, 0);
	g_assert_nonnull(strstr(c->err, "Keystone authentication of user 'ceilometer' failed"));
	g_assert_nonnull(strstr(c->err, "HTTP 401"));
	/* both discoveries waited for the same attempt */
	g_assert_cmpuint(pd_os_test_server_get_auth_count(c->server), ==, 1);
}

static void
test_hung_glance(Central *c, gconstpointer data)
{
	/* valgrind slows everything down: keep the healthy requests in time */
	const gchar *timeout = pd_test_slowdown() > 1 ? "10" : "1";
	g_autofree gchar *expect = g_strdup_printf("no answer within %s s", timeout);

	pd_os_test_server_set_fault(c->server, "image", PD_OS_FAULT_HANG);
	g_key_file_set_string(c->conf, "service_credentials", "timeout", timeout);
	central_run(c, "['image.size', 'volume.size', 'ip.floating']");
	g_assert_cmpuint(central_count(c, "image.size"), ==, 0);
	g_assert_cmpuint(central_count(c, "volume.size"), ==, 3);
	g_assert_cmpuint(central_count(c, "ip.floating"), ==, 4);
	g_assert_nonnull(strstr(c->err, expect));
	/* the hung request does not hold the run: bounded, whatever its speed */
	g_assert_cmpint(c->duration_us, <, 30 * G_USEC_PER_SEC * (gint64)pd_test_slowdown());
}

static void
test_fault_each_service(Central *c, PdOsFault fault, const gchar *expect)
{
	const gchar *services[] = { "image",	     "volume", "network", "object-store",
				    "load-balancer", "dns",    "share" };

	for (guint i = 0; i < G_N_ELEMENTS(services); i++)
		pd_os_test_server_set_fault(c->server, services[i], fault);
	central_run(c, "['*']");
	central_assert_samples(c, 0);
	g_assert_nonnull(strstr(c->err, expect));
}

static void
test_http_500(Central *c, gconstpointer data)
{
	test_fault_each_service(c, PD_OS_FAULT_ERROR, "HTTP 500");
}

static void
test_malformed(Central *c, gconstpointer data)
{
	test_fault_each_service(c, PD_OS_FAULT_MALFORMED, "malformed JSON");
}

static void
test_wrong_types(Central *c, gconstpointer data)
{
	const gchar *services[] = { "image",	     "volume", "network", "object-store",
				    "load-balancer", "dns",    "share" };

	for (guint i = 0; i < G_N_ELEMENTS(services); i++)
		pd_os_test_server_set_fault(c->server, services[i], PD_OS_FAULT_WRONG_TYPES);
	central_run(c, "['*']");
	/* the pollsters that got nothing usable failed: --once says so */
	g_assert_cmpint(c->status, ==, 3);
	g_assert_nonnull(strstr(c->err, "is not a number"));
	/* whatever got through carries the types the notification agent wants */
	for (guint i = 0; i < c->samples->len; i++) {
		JsonObject *s = g_ptr_array_index(c->samples, i);
		JsonNode *v = json_object_get_member(s, "counter_volume");
		g_assert_true(JSON_NODE_HOLDS_NULL(v) ||
			      json_node_get_value_type(v) == G_TYPE_INT64 ||
			      json_node_get_value_type(v) == G_TYPE_DOUBLE);
		g_assert_true(json_node_get_value_type(json_object_get_member(s, "resource_id")) ==
			      G_TYPE_STRING);
	}
}

/* --- TLS --- */

static GTlsCertificate *
central_make_cert(const gchar *dir, gchar **ca_path)
{
	g_autofree gchar *cert = g_build_filename(dir, "cert.pem", NULL);
	g_autofree gchar *key = g_build_filename(dir, "key.pem", NULL);
	/* P-256 rather than RSA: key generation and handshakes stay quick under valgrind */
	const gchar *argv[] = { "openssl",
				"req",
				"-x509",
				"-newkey",
				"ec",
				"-pkeyopt",
				"ec_paramgen_curve:prime256v1",
				"-nodes",
				"-days",
				"1",
				"-subj",
				"/CN=127.0.0.1",
				"-addext",
				"subjectAltName=IP:127.0.0.1",
				"-keyout",
				key,
				"-out",
				cert,
				NULL };
	g_autoptr(GError) error = NULL;
	gint status = 0;
	GTlsCertificate *tls;

	if (!g_spawn_sync(NULL,
			  (gchar **)argv,
			  NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
			    G_SPAWN_STDERR_TO_DEV_NULL,
			  NULL,
			  NULL,
			  NULL,
			  NULL,
			  &status,
			  &error) ||
	    !g_spawn_check_wait_status(status, NULL))
		return NULL;
	tls = g_tls_certificate_new_from_files(cert, key, &error);
	g_assert_no_error(error);
	*ca_path = g_steal_pointer(&cert);
	return tls;
}

static void
test_tls(void)
{
	g_autofree gchar *certdir = pd_test_mkdtemp();
	g_autofree gchar *ca = NULL;
	g_autoptr(GTlsCertificate) cert = central_make_cert(certdir, &ca);
	Central c = { 0 };

	if (cert == NULL) {
		g_test_skip("openssl could not make a certificate");
		pd_test_rmtree(certdir);
		return;
	}
	central_setup_with(&c, cert);
	/* handshakes of a sanitized or valgrind-run polld on a loaded machine are slow: only the
	 * certificate may keep the samples away */
	g_key_file_set_string(c.conf, "service_credentials", "timeout", "60");
	/* verification is on by default: an unknown CA fails */
	central_run(&c, "['image.size']");
	central_assert_samples(&c, 0);
	g_assert_nonnull(strstr(c.err, "TLS certificate"));
	g_assert_cmpuint(pd_os_test_server_get_auth_count(c.server), ==, 0);
	g_key_file_set_string(c.conf, "service_credentials", "cafile", ca);
	central_run(&c, "['image.size']");
	central_assert_samples(&c, 5);
	central_teardown(&c, NULL);
	pd_test_rmtree(certdir);
}

/* --- Neutron VPNaaS and FWaaS v2 --- */

static void
test_network_services(Central *c, gconstpointer data)
{
	JsonObject *s;

	g_key_file_set_string(c->conf, "polld", "ceilometer_compat", "2025.2");
	central_run(c, "['network.services.*', 'ip.floating']");
	/* 2025.2: every vpn, one in "error" 7 and one in an
	 * unknown status -1; firewall: 2 of 4 (the one in "error" is not
	 * discovered, the one in an unknown status skipped) */
	central_assert_samples(c, 4 + 1 + 2 + 1 + 4);
	s = central_check(c, "network.services.vpn", "vpn-1", "vpnservice", NULL, "p-demo");
	central_assert_int(s, 1);
	central_assert_metadata(s,
				"{\"admin_state_up\":true,\"description\":\"\",\"name\":\"site-a\","
				"\"status\":\"ACTIVE\",\"subnet_id\":null,\"router_id\":\"r-1\"}");
	central_assert_int(
	  central_check(c, "network.services.vpn", "vpn-2", "vpnservice", NULL, "p-service"), 2);
	central_assert_int(
	  central_check(c, "network.services.vpn", "vpn-3", "vpnservice", NULL, "p-demo"), 7);
	central_assert_int(
	  central_check(c, "network.services.vpn", "vpn-4", "vpnservice", NULL, "p-demo"), -1);
	g_assert_nonnull(strstr(c->err, "unknown VPN status 'SLEEPING' for vpn-4"));

	s = central_check(c,
			  "network.services.vpn.connections",
			  "ipsec-1",
			  "ipsec_site_connection",
			  NULL,
			  "p-demo");
	central_assert_int(s, 1);
	central_assert_metadata(
	  s,
	  "{\"name\":\"to-b\",\"description\":\"\",\"peer_address\":\"172.24.4.30\","
	  "\"peer_id\":\"172.24.4.30\",\"peer_cidrs\":[\"10.2.0.0/24\"],\"psk\":\"secret\","
	  "\"initiator\":\"bi-directional\",\"ikepolicy_id\":\"ike-1\","
	  "\"dpd\":{\"action\":\"hold\",\"interval\":30,\"timeout\":120},"
	  "\"ipsecpolicy_id\":\"ipsec-pol-1\",\"vpnservice_id\":\"vpn-1\",\"mtu\":1500,"
	  "\"admin_state_up\":true,\"status\":\"DOWN\",\"tenant_id\":\"p-demo\"}");

	s = central_check(c, "network.services.firewall", "fwg-1", "firewall", NULL, "p-demo");
	central_assert_int(s, 1);
	central_assert_metadata(
	  s,
	  "{\"admin_state_up\":true,\"description\":\"\",\"name\":\"default\","
	  "\"status\":\"ACTIVE\",\"ingress_firewall_policy_id\":\"fwp-1\","
	  "\"egress_firewall_policy_id\":null}");
	central_assert_int(
	  central_check(c, "network.services.firewall", "fwg-2", "firewall", NULL, "p-service"), 0);
	/* up to 2025.2 an unknown status gives no sample */
	g_assert_cmpuint(central_count(c, "network.services.firewall"), ==, 2);
	g_assert_nonnull(strstr(c->err, "unknown status SLEEPING received on fw fwg-4"));

	s = central_check(
	  c, "network.services.firewall.policy", "fwp-1", "firewall_policy", NULL, "p-demo");
	central_assert_int(s, 1);
	central_assert_metadata(s,
				"{\"name\":\"allow-web\",\"description\":\"web\","
				"\"firewall_rules\":[\"fwr-1\",\"fwr-2\"],\"shared\":false,"
				"\"audited\":true}");
	g_assert_cmpuint(central_count(c, "ip.floating"), ==, 4);
}

/* a Neutron without VPNaaS and FWaaS: 404s, no samples for them, the rest
 * of Neutron (floating IPs) polled as before, each absence said once */
static void
test_network_services_absent(Central *c, gconstpointer data)
{
	static const gchar *const collections[] = {
		"vpnservices",
		"ipsec_site_connections",
		"firewall_groups",
		"firewall_policies",
	};

	for (guint i = 0; i < G_N_ELEMENTS(collections); i++)
		pd_os_test_server_remove_collection(c->server, collections[i]);
	central_run(c, "['network.services.*', 'ip.floating']");
	central_assert_samples(c, 4);
	g_assert_cmpuint(central_count(c, "ip.floating"), ==, 4);
	g_assert_nonnull(
	  strstr(c->err, "vpn_services: Neutron has no /vpn/vpnservices (HTTP 404)"));
	g_assert_nonnull(strstr(c->err, "fw_policy: Neutron has no /fwaas/firewall_policies"));
	g_assert_null(strstr(c->err, "blacklist"));
	/* no warning or error about the 404s: each is one message */
	{
		g_auto(GStrv) lines = g_strsplit(c->err, "\n", -1);
		guint said = 0;
		for (guint i = 0; lines[i] != NULL; i++) {
			/* "HTTP 404", not any 404: a time or a pid may hold one */
			if (strstr(lines[i], "HTTP 404") == NULL)
				continue;
			g_assert_null(strstr(lines[i], "WARNING"));
			g_assert_null(strstr(lines[i], "CRITICAL"));
			said++;
		}
		g_assert_cmpuint(said, ==, 4);
	}
	/* one try per extension listing, then the floating IPs' two pages */
	g_assert_cmpuint(pd_os_test_server_get_request_count(c->server, "network"), ==, 4 + 2);
}

/* --- RadosGW admin API --- */

static void
central_rgw_config(Central *c, const gchar *secret)
{
	g_key_file_set_string(c->conf, "service_types", "radosgw", "ceph-rgw");
	g_key_file_set_string(c->conf, "rgw_admin_credentials", "access_key", "RGWADMINKEY");
	g_key_file_set_string(c->conf, "rgw_admin_credentials", "secret_key", secret);
}

static void
test_radosgw(Central *c, gconstpointer data)
{
	static const gchar *const projects[] = { "p-service", "p-demo", "p-frozen", "p-old" };
	JsonObject *s;

	central_rgw_config(c, "rgw/admin+secret");
	central_run(c, "['radosgw.*']");
	/* 4 projects x 4 account meters, 3 bucket usage categories x 2 container meters */
	central_assert_samples(c, 4 * 4 + 3 * 2);
	/* one bucket listing and one usage request per project, shared by the pollsters */
	g_assert_cmpuint(pd_os_test_server_get_rgw_checked(c->server), ==, 4 * 2);
	central_assert_int(central_check(c, "radosgw.objects", "p-demo", "object", NULL, "p-demo"),
			   10 + 2 + 1);
	central_assert_int(central_check(c, "radosgw.objects.size", "p-demo", "B", NULL, "p-demo"),
			   (100 + 5 + 0) * 1024);
	central_assert_int(
	  central_check(c, "radosgw.objects.containers", "p-demo", "object", NULL, "p-demo"), 3);
	/* the usage pollster's samples are named radosgw.api.request */
	s = central_check(c, "radosgw.api.request", "p-demo", "request", NULL, "p-demo");
	central_assert_int(s, 7 + 3);
	central_assert_metadata(s, "{}");
	g_assert_cmpuint(central_count(c, "radosgw.usage"), ==, 0);
	central_assert_int(
	  central_check(c, "radosgw.containers.objects", "p-demo/photos", "object", NULL, "p-demo"),
	  10);
	central_assert_int(
	  central_check(c, "radosgw.containers.objects.size", "p-demo/photos", "B", NULL, "p-demo"),
	  100 * 1024);
	/* a bucket with two usage categories counts as two, as in Ceilometer */
	g_assert_cmpuint(central_count(c, "radosgw.containers.objects"), ==, 3);
	for (guint i = 0; i < G_N_ELEMENTS(projects); i++) {
		if (g_strcmp0(projects[i], "p-demo") == 0)
			continue;
		central_assert_int(
		  central_check(c, "radosgw.objects", projects[i], "object", NULL, projects[i]), 0);
		central_assert_int(
		  central_check(
		    c, "radosgw.api.request", projects[i], "request", NULL, projects[i]),
		  0);
	}
}

static void
test_radosgw_implicit_tenants(Central *c, gconstpointer data)
{
	central_rgw_config(c, "rgw/admin+secret");
	g_key_file_set_string(c->conf, "rgw_client", "implicit_tenants", "true");
	central_run(c, "['radosgw.objects', 'radosgw.usage']");
	/* only "p-demo$p-demo" exists: the other three projects fail (404) */
	central_assert_samples(c, 2);
	central_assert_int(central_check(c, "radosgw.objects", "p-demo", "object", NULL, "p-demo"),
			   4);
	central_assert_int(
	  central_check(c, "radosgw.api.request", "p-demo", "request", NULL, "p-demo"), 42);
	g_assert_nonnull(strstr(c->err, "3 projects failed"));
	g_assert_nonnull(strstr(c->err, "uid=p-service%24p-service"));
}

static void
test_radosgw_bad_signature(Central *c, gconstpointer data)
{
	central_rgw_config(c, "not-the-secret");
	central_run(c, "['radosgw.objects']");
	central_assert_samples(c, 0);
	g_assert_cmpuint(pd_os_test_server_get_rgw_checked(c->server), ==, 4);
	g_assert_nonnull(strstr(c->err, "HTTP 403"));
	/* without [service_types] radosgw the meters are silent, as in Ceilometer */
	g_key_file_remove_key(c->conf, "service_types", "radosgw", NULL);
	central_run(c, "['radosgw.objects']");
	central_assert_samples(c, 0);
	g_assert_nonnull(strstr(c->err, "[service_types] radosgw is not set"));
	g_assert_cmpuint(pd_os_test_server_get_rgw_checked(c->server), ==, 4);
}

int
main(int argc, char **argv)
{
	g_autofree gchar *plugins =
	  g_build_filename(g_getenv("POLLD_BUILD_ROOT"), "plugins", "openstack", NULL);

	g_test_init(&argc, &argv, NULL);
	/* the openstack plugin alone: the others have nothing to do here */
	g_setenv("POLLD_PLUGIN_DIR", plugins, TRUE);
#define CENTRAL_TEST(path, func)                                                                   \
	g_test_add(path, Central, NULL, central_setup, func, central_teardown)
	CENTRAL_TEST("/central/image-size", test_image_size);
	CENTRAL_TEST("/central/volumes", test_volumes);
	CENTRAL_TEST("/central/volume-pools", test_pools);
	CENTRAL_TEST("/central/floating-ip", test_floating_ip);
	CENTRAL_TEST("/central/swift", test_swift);
	CENTRAL_TEST("/central/swift-prefix-enabled", test_swift_prefix_and_enabled);
	CENTRAL_TEST("/central/octavia-designate-manila", test_octavia_designate_manila);
	CENTRAL_TEST("/central/dns-recordsets", test_dns_recordsets);
	CENTRAL_TEST("/central/dns-recordsets-faults", test_dns_recordsets_faults);
	CENTRAL_TEST("/central/identity-names", test_identity_names);
	CENTRAL_TEST("/central/compat-zed", test_compat_zed);
	CENTRAL_TEST("/central/compat-2025.2", test_compat_2025);
	CENTRAL_TEST("/central/compat-default-2026.1", test_compat_2026);
	CENTRAL_TEST("/central/token-expiry", test_token_expiry);
	CENTRAL_TEST("/central/missing-service", test_missing_service);
	CENTRAL_TEST("/central/wrong-password", test_wrong_password);
	CENTRAL_TEST("/central/hung-glance", test_hung_glance);
	CENTRAL_TEST("/central/http-500", test_http_500);
	CENTRAL_TEST("/central/malformed-json", test_malformed);
	CENTRAL_TEST("/central/wrong-types", test_wrong_types);
	CENTRAL_TEST("/central/network-services", test_network_services);
	CENTRAL_TEST("/central/network-services-absent", test_network_services_absent);
	CENTRAL_TEST("/central/radosgw", test_radosgw);
	CENTRAL_TEST("/central/radosgw-implicit-tenants", test_radosgw_implicit_tenants);
	CENTRAL_TEST("/central/radosgw-bad-signature", test_radosgw_bad_signature);
	g_test_add_func("/central/tls", test_tls);
	return g_test_run();
}
