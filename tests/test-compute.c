/*
 * polld - compute-libvirt plugin tests: the daemon against libvirt's test
 * driver (golden message, every meter's value, scale), plus in-process tests
 * of the parts the test driver can't reach (bulk statistics, lifecycle)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <link.h>
#include <signal.h>
#include <sys/prctl.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "pd-compute-pool.h"
#include "pd-compute-discovery.h"
#include "pd-compute-domain.h"
#include "pd-compute-instance.h"
#include "pd-compute-pollster.h"
#include "pd-compute-stats.h"
#include "pd-poll-context-private.h"
#include "pd-test-signature.h"
#include "pd-test-util.h"

/* what the test expects of each meter, written independently of the plugin */
typedef enum { SCOPE_INSTANCE, SCOPE_DISK, SCOPE_VNIC } Scope;

typedef struct {
	const gchar *name;
	const gchar *type;
	const gchar *unit;
	Scope scope;
} ExpectedMeter;

/* the meters the test driver can feed (memory.*, latency and perf are not),
 * with the default release's (2026.1) units */
static const ExpectedMeter expected_meters[] = {
	{ "cpu", "cumulative", "ns", SCOPE_INSTANCE },
	{ "vcpus", "gauge", "vcpu", SCOPE_INSTANCE },
	{ "memory", "gauge", "MiB", SCOPE_INSTANCE },
	{ "disk.root.size", "gauge", "GiB", SCOPE_INSTANCE },
	{ "disk.ephemeral.size", "gauge", "GiB", SCOPE_INSTANCE },
	{ "power.state", "gauge", "state", SCOPE_INSTANCE },
	{ "disk.device.read.requests", "cumulative", "request", SCOPE_DISK },
	{ "disk.device.write.requests", "cumulative", "request", SCOPE_DISK },
	{ "disk.device.read.bytes", "cumulative", "B", SCOPE_DISK },
	{ "disk.device.write.bytes", "cumulative", "B", SCOPE_DISK },
	{ "disk.device.capacity", "gauge", "B", SCOPE_DISK },
	{ "disk.device.allocation", "gauge", "B", SCOPE_DISK },
	{ "disk.device.usage", "gauge", "B", SCOPE_DISK },
	{ "network.incoming.bytes", "cumulative", "B", SCOPE_VNIC },
	{ "network.outgoing.bytes", "cumulative", "B", SCOPE_VNIC },
	{ "network.incoming.packets", "cumulative", "packet", SCOPE_VNIC },
	{ "network.outgoing.packets", "cumulative", "packet", SCOPE_VNIC },
	{ "network.incoming.packets.drop", "cumulative", "packet", SCOPE_VNIC },
	{ "network.outgoing.packets.drop", "cumulative", "packet", SCOPE_VNIC },
	{ "network.incoming.packets.error", "cumulative", "packet", SCOPE_VNIC },
	{ "network.outgoing.packets.error", "cumulative", "packet", SCOPE_VNIC },
	{ "network.incoming.bytes.delta", "delta", "B", SCOPE_VNIC },
	{ "network.outgoing.bytes.delta", "delta", "B", SCOPE_VNIC },
};

static const gchar *const unfed_meters[] = {
	"memory.usage",
	"memory.resident",
	"memory.available",
	"memory.swap.in",
	"memory.swap.out",
	"disk.device.read.latency",
	"disk.device.write.latency",
	"perf.cpu.cycles",
	"perf.instructions",
	"perf.cache.references",
	"perf.cache.misses",
	NULL,
};

static const ExpectedMeter *
find_expected(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(expected_meters); i++) {
		if (g_str_equal(expected_meters[i].name, name))
			return &expected_meters[i];
	}
	return NULL;
}

/* every compute-libvirt meter by name: other plugins have compute meters too */
static gchar *
all_meters(void)
{
	GString *list = g_string_new("[");

	for (guint i = 0; i < G_N_ELEMENTS(expected_meters); i++)
		g_string_append_printf(list, "'%s', ", expected_meters[i].name);
	for (guint i = 0; unfed_meters[i] != NULL; i++)
		g_string_append_printf(list, "'%s', ", unfed_meters[i]);
	g_string_truncate(list, list->len - 2);
	g_string_append_c(list, ']');
	return g_string_free(list, FALSE);
}

static gchar *
write_config(const gchar *dir, const gchar *uri, const gchar *extra)
{
	g_autofree gchar *meters = all_meters();
	g_autofree gchar *yaml = g_strdup_printf(
	  "sources:\n  - name: compute\n    interval: 300\n    meters: %s\n", meters);
	g_autofree gchar *yaml_path = pd_test_write_file(dir, "polling.yaml", yaml);
	g_autofree gchar *conf =
	  g_strdup_printf("[DEFAULT]\nlibvirt_uri = %s\nhost = anchor-compute-0\n"
			  "[polling]\ncfg_file = %s\n"
			  "[publisher]\ntelemetry_secret = anchor-secret\n"
			  "[compute]\nflavor_ids = m1.small:2\n%s\n",
			  uri,
			  yaml_path,
			  extra != NULL ? extra : "");
	return pd_test_write_file(dir, "polld.conf", conf);
}

static GPtrArray *
run_once(const gchar *conf, gchar **err_out)
{
	const gchar *args[] = { "--once",  "--dry-run",	    "--polling-namespaces",
				"compute", "--config-file", conf,
				NULL };
	gint status = -1;
	g_autofree gchar *out = pd_test_run_polld(&status, err_out, args);

	g_assert_cmpint(status, ==, 0);
	return pd_test_collect_samples(out);
}

static gchar *
gen_domains(const gchar *dir, const gchar *const *options)
{
	g_autofree gchar *script =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "gen-domains.py", NULL);
	gchar *path = g_build_filename(dir, "domains.xml", NULL);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	gint status = -1;

	g_ptr_array_add(argv, (gpointer) "python3");
	g_ptr_array_add(argv, script);
	g_ptr_array_add(argv, (gpointer) "--out");
	g_ptr_array_add(argv, path);
	for (guint i = 0; options != NULL && options[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)options[i]);
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(NULL,
		     (gchar **)argv->pdata,
		     NULL,
		     G_SPAWN_SEARCH_PATH,
		     NULL,
		     NULL,
		     NULL,
		     NULL,
		     &status,
		     &error);
	g_assert_no_error(error);
	g_assert_cmpint(status, ==, 0);
	return path;
}

static JsonObject *
find_sample(GPtrArray *samples, const gchar *name, const gchar *resource_id)
{
	for (guint i = 0; i < samples->len; i++) {
		JsonObject *s = g_ptr_array_index(samples, i);
		if (g_str_equal(json_object_get_string_member(s, "counter_name"), name) &&
		    g_str_equal(json_object_get_string_member(s, "resource_id"), resource_id))
			return s;
	}
	return NULL;
}

static gchar *
node_text(JsonNode *node)
{
	return json_to_string(node, FALSE);
}

/* ------------------------------------------------------------------ golden */

static void
check_same_keys(JsonObject *ours, JsonObject *golden)
{
	g_autoptr(GList) a = json_object_get_members(ours);
	g_autoptr(GList) b = json_object_get_members(golden);

	for (GList *x = a, *y = b; x != NULL || y != NULL; x = x->next, y = y->next) {
		g_assert_nonnull(x);
		g_assert_nonnull(y);
		g_assert_cmpstr(x->data, ==, y->data);
	}
}

static void
check_golden_sample(JsonObject *ours, JsonObject *golden)
{
	static const gchar *const same[] = { "source",	     "counter_name",
					     "counter_type", "counter_unit",
					     "user_id",	     "project_id",
					     "resource_id",  NULL };
	static const gchar *const taken[] = {
		"counter_volume", "timestamp", "message_id", "monotonic_time", NULL
	};
	g_autofree gchar *md_ours = node_text(json_object_get_member(ours, "resource_metadata"));
	g_autofree gchar *md_golden =
	  node_text(json_object_get_member(golden, "resource_metadata"));
	g_autoptr(JsonObject) copy = json_object_new();
	g_autofree gchar *sig = NULL;
	g_autoptr(GList) members = json_object_get_members(ours);

	check_same_keys(ours, golden);
	for (guint i = 0; same[i] != NULL; i++)
		g_assert_cmpstr(json_object_get_string_member(ours, same[i]),
				==,
				json_object_get_string_member(golden, same[i]));
	g_assert_cmpstr(md_ours, ==, md_golden);
	g_assert_true(JSON_NODE_HOLDS_VALUE(json_object_get_member(ours, "monotonic_time")));
	/* with the run-dependent fields set equal, the signature must be Ceilometer's */
	for (GList *m = members; m != NULL; m = m->next) {
		JsonObject *from = g_strv_contains(taken, m->data) ? golden : ours;
		json_object_set_member(
		  copy, m->data, json_node_copy(json_object_get_member(from, m->data)));
	}
	sig = pd_test_signature_compute_json("anchor-secret", copy);
	g_assert_cmpstr(sig, ==, json_object_get_string_member(golden, "message_signature"));
}

static void
test_golden(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *golden_dir = g_strdup(g_getenv("POLLD_GOLDEN_DIR"));
	g_autofree gchar *xml = g_build_filename(golden_dir, "domains.xml", NULL);
	g_autofree gchar *body_path = g_build_filename(golden_dir, "msg-0000.body", NULL);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	g_autofree gchar *body = NULL;
	/* the golden message is Zed's: no user_name/project_name keys */
	g_autofree gchar *conf = write_config(dir, uri, "[polld]\nceilometer_compat = zed\n");
	g_autoptr(GPtrArray) ours = run_once(conf, NULL);
	g_autoptr(GPtrArray) golden = NULL;

	g_assert_true(g_file_get_contents(body_path, &body, NULL, NULL));
	golden = pd_test_collect_samples(body);
	g_assert_cmpuint(golden->len, >, 0);
	for (guint i = 0; i < golden->len; i++) {
		JsonObject *g = g_ptr_array_index(golden, i);
		JsonObject *o = find_sample(ours,
					    json_object_get_string_member(g, "counter_name"),
					    json_object_get_string_member(g, "resource_id"));
		g_assert_nonnull(o);
		check_golden_sample(o, g);
	}
	pd_test_rmtree(dir);
}

/* [polld] ceilometer_compat = 2025.2: 25.0.0's MB and GB where the default
 * (2026.1, expected_meters) has MiB and GiB, the other units the same */
static void
test_compat_2025(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = g_build_filename(g_getenv("POLLD_GOLDEN_DIR"), "domains.xml", NULL);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	g_autofree gchar *conf = write_config(dir, uri, "[polld]\nceilometer_compat = 2025.2\n");
	g_autoptr(GPtrArray) ours = run_once(conf, NULL);
	guint renamed = 0;

	for (guint i = 0; i < ours->len; i++) {
		JsonObject *s = g_ptr_array_index(ours, i);
		const gchar *name = json_object_get_string_member(s, "counter_name");
		const gchar *unit = json_object_get_string_member(s, "counter_unit");

		for (guint j = 0; j < G_N_ELEMENTS(expected_meters); j++) {
			const gchar *want = expected_meters[j].unit;
			if (!g_str_equal(expected_meters[j].name, name))
				continue;
			if (g_str_equal(want, "MiB"))
				want = "MB";
			else if (g_str_equal(want, "GiB"))
				want = "GB";
			renamed += !g_str_equal(want, expected_meters[j].unit);
			g_assert_cmpstr(unit, ==, want);
		}
	}
	/* memory, disk.root.size and disk.ephemeral.size of each instance */
	g_assert_cmpuint(renamed, >=, 3);
	pd_test_rmtree(dir);
}

/* ------------------------------------------------------------------ values */

/* the test driver's counters follow the clock: ours were read first */
static void
check_counter(const gchar *what, gint64 ours, gint64 now)
{
	if (ours > now || now - ours > now / 100000 + 10) {
		g_error(
		  "%s: polld %" G_GINT64_FORMAT ", libvirt %" G_GINT64_FORMAT, what, ours, now);
	}
}

static gint64
disk_value(virDomainPtr dom, const gchar *meter, const gchar *dev, gboolean *is_counter)
{
	virDomainBlockStatsStruct bs;
	virDomainBlockInfo info;

	*is_counter = g_str_has_suffix(meter, "requests") || g_str_has_suffix(meter, "bytes");
	if (*is_counter) {
		g_assert_cmpint(virDomainBlockStats(dom, dev, &bs, sizeof(bs)), ==, 0);
		if (g_str_equal(meter, "disk.device.read.requests"))
			return bs.rd_req;
		if (g_str_equal(meter, "disk.device.write.requests"))
			return bs.wr_req;
		if (g_str_equal(meter, "disk.device.read.bytes"))
			return bs.rd_bytes;
		return bs.wr_bytes;
	}
	g_assert_cmpint(virDomainGetBlockInfo(dom, dev, &info, 0), ==, 0);
	if (g_str_equal(meter, "disk.device.capacity"))
		return (gint64)MAX(info.capacity, info.physical);
	if (g_str_equal(meter, "disk.device.allocation"))
		return (gint64)info.allocation;
	return (gint64)info.physical;
}

static gint64
vnic_value(virDomainPtr dom, const gchar *meter, const gchar *tap)
{
	virDomainInterfaceStatsStruct st;
	static const struct {
		const gchar *name;
		gsize offset;
	} fields[] = {
		{ "network.incoming.bytes",
		  G_STRUCT_OFFSET(virDomainInterfaceStatsStruct, rx_bytes) },
		{ "network.outgoing.bytes",
		  G_STRUCT_OFFSET(virDomainInterfaceStatsStruct, tx_bytes) },
		{ "network.incoming.packets",
		  G_STRUCT_OFFSET(virDomainInterfaceStatsStruct, rx_packets) },
		{ "network.outgoing.packets",
		  G_STRUCT_OFFSET(virDomainInterfaceStatsStruct, tx_packets) },
		{ "network.incoming.packets.drop",
		  G_STRUCT_OFFSET(virDomainInterfaceStatsStruct, rx_drop) },
		{ "network.outgoing.packets.drop",
		  G_STRUCT_OFFSET(virDomainInterfaceStatsStruct, tx_drop) },
		{ "network.incoming.packets.error",
		  G_STRUCT_OFFSET(virDomainInterfaceStatsStruct, rx_errs) },
		{ "network.outgoing.packets.error",
		  G_STRUCT_OFFSET(virDomainInterfaceStatsStruct, tx_errs) },
	};

	g_assert_cmpint(virDomainInterfaceStats(dom, tap, &st, sizeof(st)), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		if (g_str_equal(fields[i].name, meter))
			return G_STRUCT_MEMBER(long long, &st, fields[i].offset);
	}
	g_assert_not_reached();
}

static gint64
instance_value(virDomainPtr dom, JsonObject *md, const gchar *meter, gboolean *is_counter)
{
	virDomainInfo info;
	gint state, reason;

	*is_counter = g_str_equal(meter, "cpu");
	g_assert_cmpint(virDomainGetInfo(dom, &info), ==, 0);
	if (g_str_equal(meter, "cpu")) {
		g_assert_cmpint(json_object_get_int_member(md, "cpu_number"), ==, info.nrVirtCpu);
		return (gint64)info.cpuTime;
	}
	if (g_str_equal(meter, "vcpus"))
		return info.nrVirtCpu;
	if (g_str_equal(meter, "memory"))
		return json_object_get_int_member(md, "memory_mb");
	if (g_str_equal(meter, "disk.root.size"))
		return json_object_get_int_member(md, "root_gb");
	if (g_str_equal(meter, "disk.ephemeral.size"))
		return json_object_get_int_member(md, "ephemeral_gb");
	g_assert_cmpstr(meter, ==, "power.state");
	g_assert_cmpint(virDomainGetState(dom, &state, &reason, 0), ==, 0);
	return state;
}

static void
check_sample_value(virConnectPtr conn, JsonObject *s)
{
	const gchar *name = json_object_get_string_member(s, "counter_name");
	const gchar *rid = json_object_get_string_member(s, "resource_id");
	const ExpectedMeter *em = find_expected(name);
	JsonObject *md = json_object_get_object_member(s, "resource_metadata");
	const gchar *uuid = json_object_get_string_member(md, "instance_id");
	virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid);
	gint64 ours = json_object_get_int_member(s, "counter_volume");
	gint64 expected = 0;
	gboolean is_counter = FALSE;

	g_assert_nonnull(em);
	g_assert_nonnull(dom);
	g_assert_cmpstr(json_object_get_string_member(s, "counter_type"), ==, em->type);
	g_assert_cmpstr(json_object_get_string_member(s, "counter_unit"), ==, em->unit);
	g_assert_cmpstr(json_object_get_string_member(s, "project_id"),
			==,
			json_object_get_string_member(s, "project_id"));
	if (em->scope == SCOPE_INSTANCE) {
		g_assert_cmpstr(rid, ==, uuid);
		expected = instance_value(dom, md, name, &is_counter);
	} else if (em->scope == SCOPE_DISK) {
		const gchar *dev = json_object_get_string_member(md, "disk_name");
		g_autofree gchar *want = g_strdup_printf("%s-%s", uuid, dev);
		g_assert_cmpstr(rid, ==, want);
		expected = disk_value(dom, name, dev, &is_counter);
	} else {
		const gchar *tap = json_object_get_string_member(md, "vnic_name");
		g_autofree gchar *want =
		  g_strdup_printf("%s-%s-%s", virDomainGetName(dom), uuid, tap);
		g_assert_cmpstr(rid, ==, want);
		g_assert_cmpstr(json_object_get_string_member(md, "name"), ==, tap);
		g_assert_true(json_object_has_member(md, "mac"));
		g_assert_true(json_object_has_member(md, "parameters"));
		is_counter = !g_str_has_suffix(name, ".delta");
		/* first poll of a delta meter: no predecessor, 0 like Ceilometer */
		expected = is_counter ? vnic_value(dom, name, tap) : 0;
	}
	if (is_counter)
		check_counter(name, ours, expected);
	else
		g_assert_cmpint(ours, ==, expected);
	virDomainFree(dom);
}

/* instance count, per-instance devices and what polld published agree */
static void
check_counts(virConnectPtr conn, GPtrArray *samples, guint disks, guint nics)
{
	g_autoptr(GHashTable) per_meter = g_hash_table_new(g_str_hash, g_str_equal);
	virDomainPtr *doms = NULL;
	gint n = virConnectListAllDomains(conn, &doms, 0);
	guint running = 0, instances = 0;

	for (gint i = 0; i < n; i++) {
		gint state, reason;
		g_autofree gchar *meta = virDomainGetMetadata(
		  doms[i], VIR_DOMAIN_METADATA_ELEMENT, PD_COMPUTE_NOVA_NS_1_1, 0);
		if (meta == NULL)
			meta = virDomainGetMetadata(
			  doms[i], VIR_DOMAIN_METADATA_ELEMENT, PD_COMPUTE_NOVA_NS_1_0, 0);
		virDomainGetState(doms[i], &state, &reason, 0);
		if (meta != NULL) {
			instances++;
			running += state != VIR_DOMAIN_SHUTOFF;
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	for (guint i = 0; i < samples->len; i++) {
		const gchar *name =
		  json_object_get_string_member(g_ptr_array_index(samples, i), "counter_name");
		g_hash_table_insert(
		  per_meter,
		  (gpointer)name,
		  GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(per_meter, name)) + 1));
	}
	for (guint i = 0; i < G_N_ELEMENTS(expected_meters); i++) {
		const ExpectedMeter *em = &expected_meters[i];
		guint want = em->scope == SCOPE_DISK		    ? running * disks
			     : em->scope == SCOPE_VNIC		    ? running * nics
			     : g_str_equal(em->name, "power.state") ? instances
								    : running;
		g_assert_cmpuint(
		  GPOINTER_TO_UINT(g_hash_table_lookup(per_meter, em->name)), ==, want);
	}
	for (guint i = 0; unfed_meters[i] != NULL; i++)
		g_assert_null(g_hash_table_lookup(per_meter, unfed_meters[i]));
}

static void
run_values(const gchar *extra)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	const gchar *opts[] = { "--domains", "12", "--disks", "2", "--nics", "2", NULL };
	g_autofree gchar *xml = gen_domains(dir, opts);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	g_autofree gchar *conf = write_config(dir, uri, extra);
	g_autofree gchar *err = NULL;
	g_autoptr(GPtrArray) samples = run_once(conf, &err);
	/* same file, same clock: the driver's counters continue from polld's */
	virConnectPtr conn = virConnectOpenReadOnly(uri);

	g_assert_nonnull(conn);
	check_counts(conn, samples, 2, 2);
	for (guint i = 0; i < samples->len; i++)
		check_sample_value(conn, g_ptr_array_index(samples, i));
	/* unsupported meters are blacklisted (and so logged) once per instance */
	g_assert_nonnull(
	  strstr(err, "disk.device.read.latency: the libvirt driver does not provide it"));
	g_assert_nonnull(strstr(err, "cannot poll "));
	g_assert_nonnull(strstr(err, "perf.cpu.cycles: "));
	virConnectClose(conn);
	pd_test_rmtree(dir);
}

static void
test_values_bulk(void)
{
	run_values(NULL);
}

static void
test_values_per_domain(void)
{
	run_values("bulk_stats = false\n");
}

/* ------------------------------------------------------------------ scale */

static void
test_scale_1000(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	/* under valgrind 1000 domains outlast the cycle's deadline: the scale
	 * is measured without it, memory errors show with fewer */
	guint domains = g_getenv("POLLD_WRAPPER") != NULL ? 50 : 1000;
	g_autofree gchar *n = g_strdup_printf("%u", domains);
	const gchar *opts[] = {
		"--domains", n, "--shutoff-every", "0", "--plain-every", "0", NULL
	};
	g_autofree gchar *xml = gen_domains(dir, opts);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	g_autofree gchar *conf = write_config(dir, uri, NULL);
	gint64 start = g_get_monotonic_time();
	g_autoptr(GPtrArray) samples = run_once(conf, NULL);

	g_test_message("%u domains: %u samples in %.2f s",
		       domains,
		       samples->len,
		       (g_get_monotonic_time() - start) / 1e6);
	/* every meter the test driver feeds, one disk and one vnic each */
	g_assert_cmpuint(samples->len, ==, domains * G_N_ELEMENTS(expected_meters));
	pd_test_rmtree(dir);
}

/* ------------------------------------------------------------ in process */

static const gchar nova_xml[] =
  "<domain type='test'><name>instance-0000abcd</name>"
  "<uuid>11111111-2222-3333-4444-555555555555</uuid><metadata>"
  "<nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.0'>"
  "<nova:name>legacy</nova:name><nova:flavor name='f1' id='42'><nova:memory>64</nova:memory>"
  "<nova:disk>3</nova:disk><nova:ephemeral>1</nova:ephemeral></nova:flavor>"
  "<nova:owner><nova:user uuid='u1'>bob</nova:user><nova:project uuid='p1'>proj</nova:project>"
  "</nova:owner><nova:root type='volume' uuid='v1'/></nova:instance></metadata>"
  "<memory>65536</memory><vcpu>1</vcpu><os><type arch='aarch64'>hvm</type></os><devices>"
  "<disk type='file' device='disk'><source file='/x'/><target dev='vda'/></disk>"
  "<disk type='file' device='cdrom'><target dev='hdc'/></disk>"
  "<interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='br0'/>"
  "<target dev='tapx'/><filterref filter='nova-instance-x'><parameter name='IP' value='10.0.0.1'/>"
  "</filterref><virtualport><parameters interfaceid='if-1'/></virtualport></interface>"
  "<interface type='network'><mac address='52:54:00:aa:bb:cd'/></interface>"
  "</devices></domain>";

static void
test_parse(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdComputeInstance) inst =
	  pd_compute_instance_parse(nova_xml, strlen(nova_xml), &error);
	PdComputeVnic *vnic;

	g_assert_no_error(error);
	g_assert_nonnull(inst);
	g_assert_cmpstr(inst->display_name, ==, "legacy");
	g_assert_cmpstr(inst->flavor_id, ==, "42");
	g_assert_cmpint(inst->memory_mb, ==, 64);
	g_assert_cmpint(inst->vcpus, ==, 0); /* missing: 0, like Ceilometer */
	g_assert_null(inst->image_id);	     /* booted from volume */
	g_assert_cmpstr(inst->architecture, ==, "aarch64");
	g_assert_cmpstr(inst->user_name, ==, "bob");
	g_assert_cmpuint(inst->disks->len, ==, 1); /* the empty cdrom has no source */
	g_assert_cmpuint(inst->vnics->len, ==, 1); /* the second has no target */
	vnic = g_ptr_array_index(inst->vnics, 0);
	g_assert_cmpstr(vnic->fref, ==, "nova-instance-x");
	g_assert_cmpuint(vnic->param_names->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(vnic->param_names, 0), ==, "ip");
	g_assert_cmpstr(g_ptr_array_index(vnic->param_values, 1), ==, "if-1");
	g_assert_cmpstr(g_ptr_array_index(vnic->param_values, 2), ==, "br0");

	/* no Nova element: not an instance, no error */
	g_clear_pointer(&inst, pd_compute_instance_unref);
	inst = pd_compute_instance_parse("<domain><name>x</name></domain>", 31, &error);
	g_assert_no_error(error);
	g_assert_null(inst);
	inst = pd_compute_instance_parse("<domain", 7, &error);
	g_assert_error(error, PD_ERROR, PD_ERROR_FAILED);
	g_assert_null(inst);
}

static void
add_ull(virTypedParameterPtr *params, gint *n, gint *max, const gchar *name, guint64 value)
{
	g_assert_cmpint(virTypedParamsAddULLong(params, n, max, name, value), ==, 0);
}

/* the test driver's bulk answer carries only the state: feed a full one */
static void
test_bulk_params(void)
{
	g_autoptr(PdComputeInstance) inst =
	  pd_compute_instance_parse(nova_xml, strlen(nova_xml), NULL);
	PdComputeDomainStats *ds = pd_compute_domain_stats_new(inst);
	virTypedParameterPtr params = NULL;
	gint n = 0, max = 0;

	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "vcpu.current", 2), ==, 0);
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "vcpu.maximum", 2), ==, 0);
	add_ull(&params, &n, &max, "vcpu.0.time", 100);
	add_ull(&params, &n, &max, "vcpu.0.wait", 1);
	add_ull(&params, &n, &max, "vcpu.1.time", 200);
	add_ull(&params, &n, &max, "vcpu.1.wait", 2);
	add_ull(&params, &n, &max, "cpu.time", 999);
	add_ull(&params, &n, &max, "balloon.current", 4096);
	add_ull(&params, &n, &max, "balloon.available", 4096);
	add_ull(&params, &n, &max, "balloon.usable", 1024);
	add_ull(&params, &n, &max, "balloon.rss", 2048);
	add_ull(&params, &n, &max, "perf.cpu_cycles", 77);
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "block.count", 2), ==, 0);
	g_assert_cmpint(virTypedParamsAddString(&params, &n, &max, "block.0.name", "sdz"), ==, 0);
	g_assert_cmpint(virTypedParamsAddString(&params, &n, &max, "block.1.name", "vda"), ==, 0);
	add_ull(&params, &n, &max, "block.1.rd.reqs", 5);
	add_ull(&params, &n, &max, "block.1.rd.times", 6);
	add_ull(&params, &n, &max, "block.1.capacity", 7);
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "net.count", 1), ==, 0);
	g_assert_cmpint(virTypedParamsAddString(&params, &n, &max, "net.0.name", "tapx"), ==, 0);
	add_ull(&params, &n, &max, "net.0.rx.bytes", 8);
	add_ull(&params, &n, &max, "net.0.tx.drop", 9);

	pd_compute_domain_stats_apply_bulk(ds, inst, params, n);
	/* every vcpu reported time and wait: their sum, not cpu.time */
	g_assert_cmpint(ds->v[PD_COMPUTE_CPU_TIME], ==, 303);
	g_assert_cmpint(ds->v[PD_COMPUTE_CPU_NUMBER], ==, 2);
	g_assert_cmpint(ds->v[PD_COMPUTE_MEM_USABLE], ==, 1024);
	g_assert_cmpint(ds->v[PD_COMPUTE_PERF_CPU_CYCLES], ==, 77);
	g_assert_false(ds->have & (1u << PD_COMPUTE_PERF_INSTRUCTIONS));
	g_assert_cmpint(ds->disks[0].v[PD_COMPUTE_DISK_RD_REQ], ==, 5);
	g_assert_cmpint(ds->disks[0].v[PD_COMPUTE_DISK_RD_TIMES], ==, 6);
	g_assert_cmpint(ds->disks[0].v[PD_COMPUTE_DISK_CAPACITY], ==, 7);
	g_assert_cmpint(ds->vnics[0].v[PD_COMPUTE_NET_RX_BYTES], ==, 8);
	g_assert_cmpint(ds->vnics[0].v[PD_COMPUTE_NET_TX_DROP], ==, 9);
	g_assert_cmphex(ds->fetched, ==, 0x7f);
	pd_compute_domain_stats_free(ds);
	virTypedParamsFree(params, n);

	/* a vcpu without wait time: Ceilometer falls back to cpu.time */
	ds = pd_compute_domain_stats_new(inst);
	params = NULL;
	n = max = 0;
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "vcpu.current", 2), ==, 0);
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "vcpu.maximum", 2), ==, 0);
	add_ull(&params, &n, &max, "vcpu.0.time", 100);
	add_ull(&params, &n, &max, "cpu.time", 999);
	pd_compute_domain_stats_apply_bulk(ds, inst, params, n);
	g_assert_cmpint(ds->v[PD_COMPUTE_CPU_TIME], ==, 999);
	g_assert_false(ds->fetched & PD_COMPUTE_GROUP_MEMORY);
	pd_compute_domain_stats_free(ds);
	virTypedParamsFree(params, n);
}

typedef struct {
	PdConfig *config;
	PdComputePool *conn;
	PdDiscovery *discovery;
	GPtrArray *pollsters;
	guint64 cycle;
} Lifecycle;

static const PdComputeMeter lifecycle_meters[] = {
	{ "network.incoming.bytes.delta",
	  "B",
	  PD_SAMPLE_TYPE_DELTA,
	  PD_COMPUTE_VALUE_NET_DELTA,
	  PD_COMPUTE_GROUP_IFACE,
	  PD_COMPUTE_NET_RX_BYTES },
	{ "power.state", "state", PD_SAMPLE_TYPE_GAUGE, PD_COMPUTE_VALUE_POWER_STATE, 0, 0 },
	{ "cpu",
	  "ns",
	  PD_SAMPLE_TYPE_CUMULATIVE,
	  PD_COMPUTE_VALUE_CPU,
	  PD_COMPUTE_GROUP_INFO,
	  PD_COMPUTE_CPU_TIME },
};

/* one cycle: discovery then every pollster, samples of all */
static PdSampleBatch *
lifecycle_cycle(Lifecycle *lc, GPtrArray **resources_out)
{
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(lc->config);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
	  PD_DISCOVERY_GET_CLASS(lc->discovery)->discover(lc->discovery, NULL, cache, NULL, &error);
	PdSampleBatch *all = pd_sample_batch_new();

	g_assert_no_error(error);
	lc->cycle++;
	for (guint i = 0; i < lc->pollsters->len; i++) {
		PdPollster *p = g_ptr_array_index(lc->pollsters, i);
		g_autoptr(PdPollContext) ctx = pd_poll_context_new(lc->config, cache, "test");
		g_autoptr(PdSampleBatch) batch = NULL;
		g_assert_true(PD_POLLSTER_GET_CLASS(p)->poll(p, ctx, resources, NULL, &error));
		g_assert_no_error(error);
		batch = pd_poll_context_steal_batch(ctx);
		pd_sample_batch_take(all, batch);
	}
	if (resources_out != NULL)
		*resources_out = g_steal_pointer(&resources);
	return all;
}

static guint
count_samples(PdSampleBatch *batch, const gchar *name, const gchar *rid_prefix, gint64 *value)
{
	guint n = 0;

	for (guint i = 0; i < pd_sample_batch_get_size(batch); i++) {
		PdSample *s = pd_sample_batch_index(batch, i);
		if (g_str_equal(s->name, name) && g_str_has_prefix(s->resource_id, rid_prefix)) {
			n++;
			if (value != NULL)
				*value = s->volume.i;
		}
	}
	return n;
}

static gchar *
new_domain_xml(const gchar *name, const gchar *uuid, const gchar *display)
{
	return g_strdup_printf(
	  "<domain type='test'><name>%s</name><uuid>%s</uuid><metadata>"
	  "<nova:instance xmlns:nova='" PD_COMPUTE_NOVA_NS_1_1 "'><nova:name>%s</nova:name>"
	  "<nova:flavor name='m1.tiny'><nova:memory>512</nova:memory></nova:flavor><nova:owner>"
	  "<nova:user uuid='u'>u</nova:user><nova:project uuid='p'>p</nova:project></nova:owner>"
	  "</nova:instance></metadata><memory>524288</memory><vcpu>1</vcpu>"
	  "<os><type arch='x86_64'>hvm</type></os><devices><interface type='network'>"
	  "<mac address='52:54:00:00:99:99'/><source network='default'/><target dev='tapnew'/>"
	  "</interface></devices></domain>",
	  name,
	  uuid,
	  display);
}

static const gchar *
domain_display_name(GPtrArray *resources, const gchar *uuid)
{
	for (guint i = 0; i < resources->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, i));
		if (g_str_equal(cd->inst->uuid, uuid))
			return cd->inst->display_name;
	}
	return NULL;
}

/* domains come and go between cycles; delta state follows them */
static void
test_lifecycle(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	const gchar *opts[] = {
		"--domains", "5", "--shutoff-every", "5", "--plain-every", "0", NULL
	};
	g_autofree gchar *xml = gen_domains(dir, opts);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	g_autofree gchar *new_xml =
	  new_domain_xml("instance-new", "99999999-0000-0000-0000-000000000001", "fresh");
	virConnectPtr rw = virConnectOpen(uri);
	virDomainPtr gone, added;
	PdComputePollster *delta;
	g_autoptr(PdSampleBatch) b1 = NULL;
	g_autoptr(PdSampleBatch) b2 = NULL;
	g_autoptr(PdSampleBatch) b3 = NULL;
	g_autoptr(GPtrArray) res3 = NULL;
	g_autofree gchar *meta = NULL;
	gint64 value = -1;
	Lifecycle lc = { pd_config_new(), pd_compute_pool_new(NULL), NULL, NULL, 0 };

	g_assert_nonnull(rw);
	pd_compute_pool_set_conn(lc.conn, rw);
	lc.discovery = pd_compute_discovery_new(lc.conn);
	pd_compute_discovery_configure(PD_COMPUTE_DISCOVERY(lc.discovery), "h", NULL);
	lc.pollsters = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < G_N_ELEMENTS(lifecycle_meters); i++)
		g_ptr_array_add(lc.pollsters,
				pd_compute_pollster_new(&lifecycle_meters[i], lc.conn));
	delta = g_ptr_array_index(lc.pollsters, 0);

	/* 4 running + 1 shut off: power.state for 5, the rest for 4 */
	b1 = lifecycle_cycle(&lc, NULL);
	g_assert_cmpuint(count_samples(b1, "power.state", "", NULL), ==, 5);
	g_assert_cmpuint(count_samples(b1, "cpu", "", NULL), ==, 4);
	g_assert_cmpuint(count_samples(b1, "network.incoming.bytes.delta", "", NULL), ==, 4);
	g_assert_cmpuint(count_samples(b1, "power.state", "", NULL), ==, 5);
	g_assert_cmpuint(pd_compute_pollster_get_delta_size(delta), ==, 4);

	/* one domain goes away, one appears, one is renamed in its Nova metadata */
	gone = virDomainLookupByName(rw, "instance-00000000");
	g_assert_cmpint(virDomainDestroy(gone), ==, 0);
	g_assert_cmpint(virDomainUndefine(gone), ==, 0);
	virDomainFree(gone);
	added = virDomainCreateXML(rw, new_xml, 0);
	g_assert_nonnull(added);
	b2 = lifecycle_cycle(&lc, NULL);
	g_assert_cmpuint(count_samples(b2, "cpu", "", NULL), ==, 4);
	g_assert_cmpuint(
	  count_samples(b2, "network.incoming.bytes.delta", "instance-new-", &value), ==, 1);
	g_assert_cmpint(value, ==, 0); /* first sight: no predecessor */
	g_assert_cmpuint(
	  count_samples(b2, "network.incoming.bytes.delta", "instance-00000000-", NULL), ==, 0);
	/* a pollster may be called once per part of a discovery: the delta
	 * state of the vanished vnic goes when the next cycle starts */
	g_assert_cmpuint(pd_compute_pollster_get_delta_size(delta), ==, 5);
	g_assert_cmpuint(
	  pd_compute_discovery_get_cache_size(PD_COMPUTE_DISCOVERY(lc.discovery)), ==, 5);

	/* libvirt puts the element into the namespace given with the key */
	meta = g_strdup("<instance><name>renamed</name><flavor name='m1.tiny'/><owner>"
			"<user uuid='u'/><project uuid='p'/></owner></instance>");
	g_assert_cmpint(virDomainSetMetadata(added,
					     VIR_DOMAIN_METADATA_ELEMENT,
					     meta,
					     "nova",
					     PD_COMPUTE_NOVA_NS_1_1,
					     VIR_DOMAIN_AFFECT_LIVE),
			==,
			0);
	b3 = lifecycle_cycle(&lc, &res3);
	g_assert_cmpstr(
	  domain_display_name(res3, "99999999-0000-0000-0000-000000000001"), ==, "renamed");
	/* the test driver counts bytes by the clock: the delta is never negative */
	g_assert_cmpuint(
	  count_samples(b3, "network.incoming.bytes.delta", "instance-new-", &value), ==, 1);
	g_assert_cmpint(value, >=, 0);
	g_assert_cmpuint(pd_compute_pollster_get_delta_size(delta), ==, 4);
	virDomainFree(added);

	g_ptr_array_unref(lc.pollsters);
	g_object_unref(lc.discovery);
	g_object_unref(lc.conn);
	g_object_unref(lc.config);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

/* ------------------------------------------------------------ in parts */

typedef struct {
	PdComputePool *pool;
	PdConfig *config;
	PdCycleCache *cache;
	PdPollster *pollster; /* cpu: statistics from the pipeline */
	GArray *sizes;	      /* of the parts, as they came */
	guint polled;	      /* samples of the pollster on the parts */
	gboolean done;
	GPtrArray *rest;
	GError *error;
} Parts;

/* main context, before the result: a pollster polls each part as the
 * engine does (in a thread: it waits for the pipeline's statistics) */
static gpointer
parts_poll_thread(gpointer data)
{
	gpointer *args = data;
	Parts *pt = args[0];
	GPtrArray *resources = args[1];
	g_autoptr(PdPollContext) ctx = pd_poll_context_new(pt->config, pt->cache, "test");
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSampleBatch) batch = NULL;

	g_assert_true(
	  PD_POLLSTER_GET_CLASS(pt->pollster)->poll(pt->pollster, ctx, resources, NULL, &error));
	g_assert_no_error(error);
	batch = pd_poll_context_steal_batch(ctx);
	return GUINT_TO_POINTER(pd_sample_batch_get_size(batch));
}

static void
parts_part_cb(GPtrArray *resources, gpointer user_data)
{
	Parts *pt = user_data;
	gpointer args[] = { pt, resources };
	GThread *thread = g_thread_new("parts-poll", parts_poll_thread, args);

	g_array_append_val(pt->sizes, resources->len);
	pt->polled += GPOINTER_TO_UINT(g_thread_join(thread));
}

static void
parts_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Parts *pt = user_data;

	pt->rest = pd_discovery_discover_finish(PD_DISCOVERY(source), res, &pt->error);
	pt->done = TRUE;
}

static gboolean
parts_is_done(gpointer data)
{
	return ((Parts *)data)->done;
}

static void
parts_run(Parts *pt, PdDiscovery *discovery)
{
	pt->cache = pd_cycle_cache_new(pt->config);
	pt->sizes = g_array_new(FALSE, FALSE, sizeof(guint));
	pt->polled = 0;
	pt->done = FALSE;
	pd_discovery_discover_parts_async(
	  discovery, NULL, pt->cache, parts_part_cb, pt, NULL, parts_done_cb, pt);
	g_assert_true(pd_test_wait_for(parts_is_done, pt, 120000));
	g_assert_no_error(pt->error);
}

static void
parts_clear(Parts *pt)
{
	g_clear_pointer(&pt->cache, pd_cycle_cache_unref);
	g_clear_pointer(&pt->sizes, g_array_unref);
	g_clear_pointer(&pt->rest, g_ptr_array_unref);
}

/* the first discovery hands the domains over as their XML is read: the
 * first part after a few reads, samples polled on it, every domain once;
 * a later one (nothing due) hands all known domains over at once */
static void
test_parts(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	guint domains = g_getenv("POLLD_WRAPPER") != NULL ? 100 : 1000;
	g_autofree gchar *n = g_strdup_printf("%u", domains);
	const gchar *opts[] = {
		"--domains", n, "--shutoff-every", "0", "--plain-every", "0", NULL
	};
	g_autofree gchar *xml = gen_domains(dir, opts);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr conn = virConnectOpen(uri);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GArray) log = NULL;
	Parts pt = { pd_compute_pool_new(NULL), pd_config_new() };
	guint sum = 0;

	g_assert_nonnull(conn);
	pd_compute_pool_set_conn(pt.pool, conn);
	discovery = pd_compute_discovery_new(pt.pool);
	pd_compute_discovery_set_refresh(PD_COMPUTE_DISCOVERY(discovery), 600 * G_USEC_PER_SEC, 0);
	pt.pollster = pd_compute_pollster_new(pd_compute_meter_lookup("cpu"), pt.pool);

	parts_run(&pt, discovery);
	log = pd_compute_discovery_get_parts(PD_COMPUTE_DISCOVERY(discovery));
	g_assert_cmpuint(pt.sizes->len, >, 2);
	g_assert_cmpuint(log->len, ==, 2 * pt.sizes->len);
	/* the first part: 2 domains, handed over when only their XML was read */
	g_assert_cmpuint(g_array_index(pt.sizes, guint, 0), ==, 2);
	g_assert_cmpuint(g_array_index(log, guint, 0), ==, 2);
	g_assert_cmpuint(g_array_index(log, guint, 1), ==, 2);
	for (guint i = 0; i < pt.sizes->len; i++)
		sum += g_array_index(pt.sizes, guint, i);
	g_assert_cmpuint(sum, ==, domains);
	g_assert_cmpuint(pt.rest->len, ==, 0);
	g_assert_cmpuint(pt.polled, ==, domains);
	parts_clear(&pt);
	g_clear_pointer(&log, g_array_unref);

	/* known domains, XML not due: one part, right after the listing */
	parts_run(&pt, discovery);
	log = pd_compute_discovery_get_parts(PD_COMPUTE_DISCOVERY(discovery));
	g_assert_cmpuint(pt.sizes->len, ==, 1);
	g_assert_cmpuint(g_array_index(pt.sizes, guint, 0), ==, domains);
	g_assert_cmpuint(g_array_index(log, guint, 1), ==, 0);
	g_assert_cmpuint(pt.polled, ==, domains);
	parts_clear(&pt);

	g_object_unref(pt.pollster);
	g_clear_object(&discovery);
	g_object_unref(pt.pool);
	g_object_unref(pt.config);
	virConnectClose(conn);
	pd_test_rmtree(dir);
}

/* the value of @name for @rid in @batch; fails unless exactly one sample has it */
static PdSample *
batch_sample(PdSampleBatch *batch, const gchar *name, const gchar *rid)
{
	PdSample *found = NULL;

	for (guint i = 0; i < pd_sample_batch_get_size(batch); i++) {
		PdSample *s = pd_sample_batch_index(batch, i);
		if (g_str_equal(s->name, name) && g_str_equal(s->resource_id, rid)) {
			g_assert_null(found);
			found = s;
		}
	}
	g_assert_nonnull(found);
	return found;
}

static virTypedParameterPtr
synthetic_record(PdComputeDomain *cd, gint k, gint *n_out)
{
	virTypedParameterPtr params = NULL;
	gint n = 0, max = 0;

	add_ull(&params, &n, &max, "balloon.available", 4096000 + k * 1024);
	/* domain 0 has no "usable" (older guest drivers): usage falls back to unused */
	add_ull(&params, &n, &max, k == 0 ? "balloon.unused" : "balloon.usable", 1024000 + k);
	add_ull(&params, &n, &max, "balloon.rss", 2048000 + k * 2048);
	add_ull(&params, &n, &max, "balloon.swap_in", 10240 * k);
	add_ull(&params, &n, &max, "balloon.swap_out", 20480 * k);
	add_ull(&params, &n, &max, "perf.cpu_cycles", 1000 + k);
	add_ull(&params, &n, &max, "perf.instructions", 2000 + k);
	add_ull(&params, &n, &max, "perf.cache_references", 3000 + k);
	add_ull(&params, &n, &max, "perf.cache_misses", 4000 + k);
	g_assert_cmpint(
	  virTypedParamsAddUInt(&params, &n, &max, "block.count", cd->inst->disks->len), ==, 0);
	for (guint i = 0; i < cd->inst->disks->len; i++) {
		PdComputeDisk *disk = g_ptr_array_index(cd->inst->disks, i);
		g_autofree gchar *name = g_strdup_printf("block.%u.name", i);
		g_autofree gchar *rd = g_strdup_printf("block.%u.rd.times", i);
		g_autofree gchar *wr = g_strdup_printf("block.%u.wr.times", i);
		g_assert_cmpint(virTypedParamsAddString(&params, &n, &max, name, disk->dev), ==, 0);
		add_ull(&params, &n, &max, rd, 500000 + k * 10 + i);
		add_ull(&params, &n, &max, wr, 700000 + k * 10 + i);
	}
	*n_out = n;
	return params;
}

/* The 11 meters the test driver can't feed (memory.*, latency, perf), end to
 * end through the real pollsters: the cycle's statistics come from synthetic
 * bulk records for the fixture's domains, then every value, unit and type is
 * checked against the record, memory.usage with both of Ceilometer's
 * formulas ((available - usable) / 1024, else (available - unused) / 1024). */
static void
test_values_synthetic(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	const gchar *opts[] = { "--domains",	 "4", "--disks", "2", "--shutoff-every", "0",
				"--plain-every", "0", NULL };
	g_autofree gchar *xml = gen_domains(dir, opts);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr rw = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) conn = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	g_autoptr(GPtrArray) resources = NULL;
	g_autoptr(PdSampleBatch) all = pd_sample_batch_new();
	g_autoptr(GError) error = NULL;
	g_autofree virDomainStatsRecordPtr *records = NULL;
	g_autofree virDomainStatsRecord *recs = NULL;

	g_assert_nonnull(rw);
	pd_compute_pool_set_conn(conn, rw);
	discovery = pd_compute_discovery_new(conn);
	resources =
	  PD_DISCOVERY_GET_CLASS(discovery)->discover(discovery, NULL, cache, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(resources->len, ==, 4);
	recs = g_new0(virDomainStatsRecord, resources->len);
	records = g_new0(virDomainStatsRecordPtr, resources->len + 1);
	for (guint k = 0; k < resources->len; k++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, k));
		recs[k].dom = cd->dom;
		recs[k].params = synthetic_record(cd, k, &recs[k].nparams);
		records[k] = &recs[k];
	}
	g_assert_nonnull(
	  pd_compute_stats_get_from_records(cache, conn, resources, records, &error));
	g_assert_no_error(error);

	for (guint i = 0; unfed_meters[i] != NULL; i++) {
		const PdComputeMeter *meter = pd_compute_meter_lookup(unfed_meters[i]);
		g_autoptr(PdPollster) pollster = PD_POLLSTER(pd_compute_pollster_new(meter, conn));
		g_autoptr(PdPollContext) ctx = pd_poll_context_new(config, cache, "test");
		g_autoptr(PdSampleBatch) batch = NULL;
		g_assert_true(
		  PD_POLLSTER_GET_CLASS(pollster)->poll(pollster, ctx, resources, NULL, &error));
		g_assert_no_error(error);
		batch = pd_poll_context_steal_batch(ctx);
		pd_sample_batch_take(all, batch);
	}
	for (guint k = 0; k < resources->len; k++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, k));
		const gchar *id = cd->inst->uuid;
		gdouble avail = 4096000 + k * 1024;
		PdSample *s = batch_sample(all, "memory.usage", id);

		g_assert_cmpfloat_with_epsilon(s->volume.d, (avail - (1024000 + k)) / 1024.0, 1e-9);
		g_assert_cmpstr(s->unit, ==, "MiB");
		g_assert_cmpint(s->type, ==, PD_SAMPLE_TYPE_GAUGE);
		s = batch_sample(all, "memory.available", id);
		g_assert_cmpfloat_with_epsilon(s->volume.d, avail / 1024.0, 1e-9);
		s = batch_sample(all, "memory.resident", id);
		g_assert_cmpfloat_with_epsilon(s->volume.d, (2048000 + k * 2048) / 1024.0, 1e-9);
		s = batch_sample(all, "memory.swap.in", id);
		g_assert_cmpfloat_with_epsilon(s->volume.d, 10240 * k / 1024.0, 1e-9);
		g_assert_cmpint(s->type, ==, PD_SAMPLE_TYPE_CUMULATIVE);
		s = batch_sample(all, "memory.swap.out", id);
		g_assert_cmpfloat_with_epsilon(s->volume.d, 20480 * k / 1024.0, 1e-9);
		g_assert_cmpint(batch_sample(all, "perf.cpu.cycles", id)->volume.i, ==, 1000 + k);
		g_assert_cmpint(batch_sample(all, "perf.instructions", id)->volume.i, ==, 2000 + k);
		g_assert_cmpint(
		  batch_sample(all, "perf.cache.references", id)->volume.i, ==, 3000 + k);
		g_assert_cmpint(batch_sample(all, "perf.cache.misses", id)->volume.i, ==, 4000 + k);
		g_assert_cmpuint(cd->inst->disks->len, ==, 2);
		for (guint i = 0; i < cd->inst->disks->len; i++) {
			g_autofree gchar *rid = pd_compute_domain_disk_resource_id(cd, i);
			s = batch_sample(all, "disk.device.read.latency", rid);
			g_assert_cmpint(s->volume.i, ==, 500000 + k * 10 + i);
			g_assert_cmpstr(s->unit, ==, "ns");
			g_assert_cmpint(
			  batch_sample(all, "disk.device.write.latency", rid)->volume.i,
			  ==,
			  700000 + k * 10 + i);
		}
	}
	/* 9 instance meters per domain plus 2 latency meters per disk */
	g_assert_cmpuint(pd_sample_batch_get_size(all), ==, resources->len * (9 + 2 * 2));
	for (guint k = 0; k < resources->len; k++)
		virTypedParamsFree(recs[k].params, recs[k].nparams);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

static gchar *
discover_display_name(PdDiscovery *discovery, const gchar *uuid)
{
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
	  PD_DISCOVERY_GET_CLASS(discovery)->discover(discovery, NULL, cache, NULL, &error);

	g_assert_no_error(error);
	return g_strdup(domain_display_name(resources, uuid));
}

static void
rename_instance(virDomainPtr dom, const gchar *name)
{
	g_autofree gchar *meta =
	  g_strdup_printf("<instance><name>%s</name><flavor name='m1.tiny'/><owner>"
			  "<user uuid='u'/><project uuid='p'/></owner></instance>",
			  name);

	g_assert_cmpint(virDomainSetMetadata(dom,
					     VIR_DOMAIN_METADATA_ELEMENT,
					     meta,
					     "nova",
					     PD_COMPUTE_NOVA_NS_1_1,
					     VIR_DOMAIN_AFFECT_LIVE),
			==,
			0);
}

/* [compute] resource_update_interval: 0 reads every XML every cycle, else a
 * known domain's XML is read again once the interval is over (or its state
 * changed); resource_cache_expiry forgets everything */
static void
test_update_interval(void)
{
	const gchar *uuid = "99999999-0000-0000-0000-000000000002";
	g_autofree gchar *xml = new_domain_xml("instance-upd", uuid, "first");
	virConnectPtr rw = virConnectOpen("test:///default");
	g_autoptr(PdComputePool) conn = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	PdComputeDiscovery *cd;
	virDomainPtr dom;
	gchar *name;

	g_assert_nonnull(rw);
	dom = virDomainCreateXML(rw, xml, 0);
	g_assert_nonnull(dom);
	pd_compute_pool_set_conn(conn, rw);
	discovery = pd_compute_discovery_new(conn);
	cd = PD_COMPUTE_DISCOVERY(discovery);
	pd_compute_discovery_configure(cd, "h", NULL);

	/* the default, 0: a change shows at the next cycle */
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "first");
	g_free(name);
	rename_instance(dom, "second");
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "second");
	g_free(name);

	/* 600 s: the cached XML stands until the interval is over */
	pd_compute_discovery_set_refresh(cd, 600 * G_USEC_PER_SEC, 0);
	name = discover_display_name(discovery, uuid);
	g_free(name);
	rename_instance(dom, "third");
	pd_compute_discovery_advance_clock(cd, 599 * G_USEC_PER_SEC);
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "second");
	g_free(name);
	pd_compute_discovery_advance_clock(cd, 1 * G_USEC_PER_SEC);
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "third");
	g_free(name);

	/* a state change reads the XML at once */
	rename_instance(dom, "fourth");
	g_assert_cmpint(virDomainSuspend(dom), ==, 0);
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "fourth");
	g_free(name);

	/* the cache expiry forgets everything, whatever the interval */
	pd_compute_discovery_set_refresh(cd, 600 * G_USEC_PER_SEC, 60 * G_USEC_PER_SEC);
	rename_instance(dom, "fifth");
	pd_compute_discovery_advance_clock(cd, 61 * G_USEC_PER_SEC);
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "fifth");
	g_free(name);

	g_assert_cmpint(virDomainDestroy(dom), ==, 0);
	virDomainFree(dom);
	g_clear_object(&discovery);
	virConnectClose(rw);
}

/* ------------------------------------------------- libvirtd comes and goes */

/* generous for an ASan build on a loaded machine; waits end on the event, so
 * a passing run never waits this long */
#define RESTART_DEADLINE_S 90

static guint
count_in_file(const gchar *path, const gchar *needle, gsize from)
{
	g_autofree gchar *text = NULL;
	gsize len = 0;
	guint n = 0;

	if (!g_file_get_contents(path, &text, &len, NULL) || from >= len)
		return 0;
	for (const gchar *p = strstr(text + from, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* the XML reads all discoveries logged in @path say they made */
static guint
xml_reads_in_file(const gchar *path)
{
	g_autoptr(GRegex) re =
	  g_regex_new("discovery: [0-9]+ domains, ([0-9]+) XML reads", 0, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	g_autofree gchar *text = NULL;
	guint n = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	for (g_regex_match(re, text, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
		g_autofree gchar *reads = g_match_info_fetch(m, 1);
		n += (guint)g_ascii_strtoull(reads, NULL, 10);
	}
	return n;
}

typedef struct {
	GSubprocess *polld;
	gchar *dir;
	gchar *err;
	gboolean polld_exited;
} Restart;

typedef struct {
	const gchar *path;
	const gchar *needle;
	guint min_count;
	gsize from;
	gboolean changed; /* the directory changed since the last count */
	gboolean timed_out;
} FileWait;

static void
file_wait_changed_cb(GFileMonitor *m,
		     GFile *file,
		     GFile *other,
		     GFileMonitorEvent ev,
		     gpointer data)
{
	((FileWait *)data)->changed = TRUE;
}

static gboolean
file_wait_timeout_cb(gpointer data)
{
	((FileWait *)data)->timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

static void
polld_exited_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
	*(gboolean *)data = TRUE;
}

/* waits, woken by changes in the test directory, until @path holds @min_count
 * times @needle after offset @from; fails at once when polld dies */
static void
wait_file(Restart *rs, const gchar *path, const gchar *needle, guint min_count, gsize from)
{
	g_autoptr(GFile) dir = g_file_new_for_path(rs->dir);
	g_autoptr(GError) error = NULL;
	g_autoptr(GFileMonitor) monitor =
	  g_file_monitor_directory(dir, G_FILE_MONITOR_NONE, NULL, &error);
	FileWait fw = { path, needle, min_count, from, TRUE, FALSE };
	gint64 start = g_get_monotonic_time();
	guint timeout;
	g_autofree gchar *err_text = NULL;

	g_assert_no_error(error);
	g_file_monitor_set_rate_limit(monitor, 50);
	g_signal_connect(monitor, "changed", G_CALLBACK(file_wait_changed_cb), &fw);
	timeout = g_timeout_add_seconds(RESTART_DEADLINE_S, file_wait_timeout_cb, &fw);
	while (!fw.timed_out && !rs->polld_exited) {
		if (fw.changed) {
			fw.changed = FALSE;
			if (count_in_file(path, needle, from) >= min_count)
				break;
		}
		g_main_context_iteration(NULL, TRUE);
	}
	if (!fw.timed_out)
		g_source_remove(timeout);
	if (count_in_file(path, needle, from) >= min_count) {
		g_test_message("%u x '%s' after %.1f s",
			       min_count,
			       needle,
			       (g_get_monotonic_time() - start) / 1e6);
		return;
	}
	g_file_get_contents(rs->err, &err_text, NULL, NULL);
	g_error("no %u x '%s' in %s: %s; polld stderr:\n%s",
		min_count,
		needle,
		path,
		rs->polld_exited ? "polld exited" : "deadline passed",
		err_text);
}

static gsize
file_size(const gchar *path)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileInfo) info =
	  g_file_query_info(file, G_FILE_ATTRIBUTE_STANDARD_SIZE, 0, NULL, NULL);
	return info != NULL ? (gsize)g_file_info_get_size(info) : 0;
}

/* children die with the test, even when it aborts: an orphaned libvirtd
 * would keep the test's output pipe open, and meson would wait for it */
static void
die_with_test_cb(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
start_libvirtd(const gchar *dir)
{
	g_autofree gchar *harness =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "libvirtd-harness.sh", NULL);
	g_autofree gchar *log = g_build_filename(dir, "libvirtd.log", NULL);
	g_autoptr(GSubprocessLauncher) l =
	  g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autoptr(GError) error = NULL;
	GSubprocess *proc;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_subprocess_launcher_set_stderr_file_path(l, log);
	g_subprocess_launcher_set_child_setup(l, die_with_test_cb, NULL, NULL);
	proc = g_subprocess_launcher_spawn(l, &error, "sh", harness, dir, NULL);
	g_assert_no_error(error);
	return proc;
}

static void
kill_and_wait(GSubprocess *proc, gint sig)
{
	g_subprocess_send_signal(proc, sig);
	g_assert_true(g_subprocess_wait(proc, NULL, NULL));
}

#if defined(__SANITIZE_ADDRESS__)
static gint
find_tirpc_cb(struct dl_phdr_info *info, gsize size, gpointer data)
{
	if (strstr(info->dlpi_name, "/libtirpc.so") == NULL)
		return 0;
	*(gchar **)data = g_strdup(info->dlpi_name);
	return 1;
}

/* ASan intercepts the xdr_* functions and forwards them to glibc's old
 * sunrpc copies, whose XDR ops table differs from libtirpc's that libvirt
 * is built against: the first remote call jumps to NULL. Preloading libtirpc
 * puts its functions ahead of the interceptors. */
static void
launcher_avoid_xdr_interceptors(GSubprocessLauncher *l)
{
	g_autofree gchar *tirpc = NULL;
	g_autofree gchar *asan = NULL;

	dl_iterate_phdr(find_tirpc_cb, &tirpc);
	g_assert_nonnull(tirpc);
	asan = g_strdup_printf("%s%sverify_asan_link_order=0",
			       g_getenv("ASAN_OPTIONS") ?: "",
			       g_getenv("ASAN_OPTIONS") != NULL ? ":" : "");
	g_subprocess_launcher_setenv(l, "LD_PRELOAD", tirpc, TRUE);
	g_subprocess_launcher_setenv(l, "ASAN_OPTIONS", asan, TRUE);
}
#else
static void
launcher_avoid_xdr_interceptors(GSubprocessLauncher *l)
{
}
#endif

/* @bus: serve D-Bus on the session bus (a GTestDBus) and print samples
 * through the stdout publisher, instead of --dry-run without a bus */
static void
start_polld_full(Restart *rs, const gchar *conf, gboolean bus, const gchar *debug_domains)
{
	g_autofree gchar *out = g_build_filename(rs->dir, "out.txt", NULL);
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	g_autoptr(GError) error = NULL;

	g_subprocess_launcher_set_stdout_file_path(l, out);
	g_subprocess_launcher_set_stderr_file_path(l, rs->err);
	g_subprocess_launcher_set_child_setup(l, die_with_test_cb, NULL, NULL);
	launcher_avoid_xdr_interceptors(l);
	if (debug_domains != NULL)
		g_subprocess_launcher_setenv(l, "G_MESSAGES_DEBUG", debug_domains, TRUE);
	rs->polld = g_subprocess_launcher_spawn(l,
						&error,
						g_getenv("POLLD_BINARY"),
						bus ? "--session" : "--dry-run",
						"--polling-namespaces",
						"compute",
						"--config-file",
						conf,
						NULL);
	g_assert_no_error(error);
	g_subprocess_wait_async(rs->polld, NULL, polld_exited_cb, &rs->polld_exited);
}

static void
start_polld(Restart *rs, const gchar *conf)
{
	start_polld_full(rs, conf, FALSE, NULL);
}

static gchar *
write_restart_config(const gchar *dir, const gchar *lvd_dir)
{
	g_autofree gchar *xml = g_build_filename(g_getenv("POLLD_GOLDEN_DIR"), "domains.xml", NULL);
	g_autofree gchar *uri =
	  g_strdup_printf("test+unix://%s?socket=%s/sock/libvirt-sock-ro", xml, lvd_dir);
	g_autofree gchar *yaml_path =
	  pd_test_write_file(dir,
			     "polling.yaml",
			     "sources:\n  - name: fast\n    interval: 1\n"
			     "    meters: ['power.state', 'cpu']\n");
	/* retry every second: recovery must not depend on where the back-off stood */
	g_autofree gchar *conf =
	  g_strdup_printf("[DEFAULT]\nlibvirt_uri = %s\n[polling]\ncfg_file = %s\n"
			  "[compute]\nreconnect_max_interval = 1\n",
			  uri,
			  yaml_path);
	return pd_test_write_file(dir, "polld.conf", conf);
}

static void
test_libvirtd_restart(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *lvd_dir = g_build_filename(dir, "libvirtd", NULL);
	g_autofree gchar *conf = write_restart_config(dir, lvd_dir);
	g_autofree gchar *out = g_build_filename(dir, "out.txt", NULL);
	g_autofree gchar *lvd = g_find_program_in_path("libvirtd");
	g_autoptr(GSubprocess) libvirtd = NULL;
	Restart rs = { NULL, dir, g_build_filename(dir, "err.txt", NULL), FALSE };
	gsize seen;

	if (lvd == NULL || getuid() != 0) {
		g_test_skip("needs libvirtd, run as root");
		g_free(rs.err);
		return;
	}
	/* libvirt isn't there: polld keeps running and says why */
	start_polld(&rs, conf);
	wait_file(&rs, rs.err, "cannot connect to libvirt", 1, 0);
	g_assert_cmpuint(count_in_file(out, "power.state", 0), ==, 0);

	/* it comes: samples */
	libvirtd = start_libvirtd(lvd_dir);
	wait_file(&rs, out, "\\\"power.state\\\"", 3, 0);

	/* it dies: the connection is dropped, polld survives and retries */
	kill_and_wait(libvirtd, SIGKILL);
	g_clear_object(&libvirtd);
	wait_file(&rs, rs.err, "cannot connect to libvirt", 2, 0);
	seen = file_size(out);

	/* it is back: samples again */
	libvirtd = start_libvirtd(lvd_dir);
	wait_file(&rs, out, "\\\"power.state\\\"", 3, seen);
	g_assert_true(count_in_file(rs.err, "connected to libvirt at", 0) >= 1);

	kill_and_wait(rs.polld, SIGTERM);
	g_assert_true(g_subprocess_get_if_exited(rs.polld));
	g_assert_cmpint(g_subprocess_get_exit_status(rs.polld), ==, 0);
	/* let the wait_async callback run before its flag goes out of scope */
	while (!rs.polld_exited)
		g_main_context_iteration(NULL, TRUE);
	g_clear_object(&rs.polld);
	kill_and_wait(libvirtd, SIGTERM);
	g_free(rs.err);
	pd_test_rmtree(dir);
}

static void
stop_polld(Restart *rs)
{
	kill_and_wait(rs->polld, SIGTERM);
	g_assert_true(g_subprocess_get_if_exited(rs->polld));
	g_assert_cmpint(g_subprocess_get_exit_status(rs->polld), ==, 0);
	/* let the wait_async callback run before its flag goes out of scope */
	while (!rs->polld_exited)
		g_main_context_iteration(NULL, TRUE);
	g_clear_object(&rs->polld);
}

/* plugin_status of the compute pollster power.state, as GetPollsters reports it */
static gchar *
compute_status(GDBusConnection *bus)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariantIter) iter = NULL;
	g_autoptr(GError) error = NULL;
	GVariant *entry;

	reply = g_dbus_connection_call_sync(bus,
					    "org.polld.Agent1",
					    "/org/polld/Agent1",
					    "org.polld.Agent1",
					    "GetPollsters",
					    NULL,
					    G_VARIANT_TYPE("(aa{sv})"),
					    G_DBUS_CALL_FLAGS_NONE,
					    5000,
					    NULL,
					    &error);
	if (reply == NULL)
		return NULL; /* not on the bus yet */
	g_variant_get(reply, "(aa{sv})", &iter);
	while ((entry = g_variant_iter_next_value(iter)) != NULL) {
		const gchar *name = NULL, *status = NULL;
		gchar *found = NULL;
		if (g_variant_lookup(entry, "name", "&s", &name) &&
		    g_strcmp0(name, "power.state") == 0 &&
		    g_variant_lookup(entry, "plugin_status", "&s", &status))
			found = g_strdup(status);
		g_variant_unref(entry);
		if (found != NULL)
			return found;
	}
	return NULL;
}

typedef struct {
	GDBusConnection *bus;
	const gchar *needle; /* "": the status must be empty */
	Restart *rs;
} StatusWait;

static gboolean
status_reached(gpointer data)
{
	StatusWait *sw = data;
	g_autofree gchar *status = NULL;

	if (sw->rs->polld_exited)
		return TRUE;
	status = compute_status(sw->bus);
	if (status == NULL)
		return FALSE;
	return sw->needle[0] == '\0' ? status[0] == '\0' : strstr(status, sw->needle) != NULL;
}

static void
wait_status(Restart *rs, GDBusConnection *bus, const gchar *needle)
{
	StatusWait sw = { bus, needle, rs };
	g_autofree gchar *status = NULL;

	g_assert_true(pd_test_wait_for(status_reached, &sw, RESTART_DEADLINE_S * 1000));
	g_assert_false(rs->polld_exited);
	status = compute_status(bus);
	g_test_message("compute plugin status: '%s'", status);
}

/* A libvirtd that stops answering (SIGSTOP) without closing its socket is
 * noticed by libvirt's keepalive, not by a call that would hang forever. Both
 * connections have calls in flight for the meters of 40 domains when the
 * keepalive fires, which crashed libvirt 9.0's client when several threads
 * called on one connection (each connection has its one thread now); three
 * freezes in a row, each connection lost and reopened once per freeze. D-Bus
 * reports the state and answers throughout. */
static void
test_libvirtd_keepalive(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *lvd_dir = g_build_filename(dir, "libvirtd", NULL);
	const gchar *opts[] = { "--domains", "40", "--disks", "2", "--nics", "2", NULL };
	g_autofree gchar *xml = gen_domains(dir, opts);
	g_autofree gchar *yaml_path = pd_test_write_file(
	  dir, "polling.yaml", "sources:\n  - name: all\n    interval: 1\n    meters: ['*']\n");
	g_autofree gchar *conf_text =
	  g_strdup_printf("[DEFAULT]\nlibvirt_uri = test+unix://%s?socket=%s/sock/libvirt-sock-ro\n"
			  "[polling]\ncfg_file = %s\n[compute]\nreconnect_max_interval = 1\n"
			  "libvirt_keepalive_interval = 1\nlibvirt_keepalive_count = 2\n"
			  "libvirt_connections = 2\n",
			  xml,
			  lvd_dir,
			  yaml_path);
	g_autofree gchar *conf = pd_test_write_file(dir, "polld.conf", conf_text);
	g_autofree gchar *out = g_build_filename(dir, "out.txt", NULL);
	g_autofree gchar *lvd = g_find_program_in_path("libvirtd");
	g_autoptr(GSubprocess) libvirtd = NULL;
	g_autoptr(GTestDBus) test_bus = NULL;
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GError) error = NULL;
	Restart rs = { NULL, dir, g_build_filename(dir, "err.txt", NULL), FALSE };

	if (lvd == NULL || getuid() != 0) {
		g_test_skip("needs libvirtd, run as root");
		g_free(rs.err);
		return;
	}
	test_bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(test_bus);
	bus =
	  g_dbus_connection_new_for_address_sync(g_test_dbus_get_bus_address(test_bus),
						 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
						   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
						 NULL,
						 NULL,
						 &error);
	g_assert_no_error(error);
	libvirtd = start_libvirtd(lvd_dir);
	start_polld_full(&rs, conf, TRUE, NULL);
	wait_file(&rs, out, "\\\"power.state\\\"", 40, 0);
	wait_status(&rs, bus, "");

	for (guint round = 1; round <= 3; round++) {
		gsize seen;
		/* frozen: the socket stays open, only keepalive can tell */
		g_subprocess_send_signal(libvirtd, SIGSTOP);
		wait_status(&rs, bus, "keepalive timeout");
		wait_file(&rs, rs.err, "lost: keepalive timeout", 2 * round, 0);
		g_assert_cmpuint(
		  count_in_file(rs.err, "lost: keepalive timeout", 0), ==, 2 * round);

		/* thawed: the reopens (which a frozen libvirtd holds up) complete, the
		 * status clears and samples fetched on the new connections follow */
		g_subprocess_send_signal(libvirtd, SIGCONT);
		wait_file(&rs, rs.err, "connected to libvirt at", 2 * round, 0);
		wait_status(&rs, bus, "");
		seen = file_size(out);
		wait_file(&rs, out, "\\\"power.state\\\"", 40, seen);
	}
	g_assert_cmpuint(count_in_file(rs.err, "CRITICAL", 0), ==, 0);

	stop_polld(&rs);
	kill_and_wait(libvirtd, SIGTERM);
	g_dbus_connection_close_sync(bus, NULL, NULL);
	g_test_dbus_down(test_bus);
	g_free(rs.err);
	pd_test_rmtree(dir);
}

static void
set_nova_name(virDomainPtr dom, const gchar *name)
{
	g_autofree gchar *meta = g_strdup_printf(
	  "<instance><name>%s</name><flavor name='m1.tiny'><memory>512</memory></flavor><owner>"
	  "<user uuid='u'/><project uuid='p'/></owner></instance>",
	  name);
	g_assert_cmpint(virDomainSetMetadata(dom,
					     VIR_DOMAIN_METADATA_ELEMENT,
					     meta,
					     "nova",
					     PD_COMPUTE_NOVA_NS_1_1,
					     VIR_DOMAIN_AFFECT_LIVE),
			==,
			0);
}

/* With domain events a domain's XML is read once, then only after an event
 * for it: libvirtd's shared test:///default domain "test" has no Nova
 * metadata (no samples, and no XML reads cycle after cycle) until the test
 * gives it some through a second, read-write connection; a rename follows. */
static void
test_domain_events(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *lvd_dir = g_build_filename(dir, "libvirtd", NULL);
	g_autofree gchar *yaml_path = pd_test_write_file(
	  dir,
	  "polling.yaml",
	  "sources:\n  - name: fast\n    interval: 1\n    meters: ['power.state']\n");
	g_autofree gchar *conf_text = g_strdup_printf(
	  "[DEFAULT]\nlibvirt_uri = test+unix:///default?socket=%s/sock/libvirt-sock-ro\n"
	  "[polling]\ncfg_file = %s\n[compute]\nreconnect_max_interval = 1\n",
	  lvd_dir,
	  yaml_path);
	g_autofree gchar *conf = pd_test_write_file(dir, "polld.conf", conf_text);
	g_autofree gchar *rw_uri =
	  g_strdup_printf("test+unix:///default?socket=%s/sock/libvirt-sock", lvd_dir);
	g_autofree gchar *out = g_build_filename(dir, "out.txt", NULL);
	g_autofree gchar *lvd = g_find_program_in_path("libvirtd");
	g_autoptr(GSubprocess) libvirtd = NULL;
	Restart rs = { NULL, dir, g_build_filename(dir, "err.txt", NULL), FALSE };
	virConnectPtr rw;
	virDomainPtr dom;
	gsize seen;

	if (lvd == NULL || getuid() != 0) {
		g_test_skip("needs libvirtd, run as root");
		g_free(rs.err);
		return;
	}
	libvirtd = start_libvirtd(lvd_dir);
	start_polld_full(&rs, conf, FALSE, "PdPlugin-compute");
	/* read once when new, then left alone */
	wait_file(&rs, rs.err, "discovery: 1 domains, 0 XML reads", 2, 0);
	/* the first discoveries may see the domain before they read it (a
	 * connection still opening, parts): the reads add up to one */
	g_assert_cmpuint(xml_reads_in_file(rs.err), ==, 1);
	g_assert_cmpuint(count_in_file(out, "power.state", 0), ==, 0);

	/* libvirtd is up (polld discovered its domain): connect read-write */
	rw = virConnectOpen(rw_uri);
	g_assert_nonnull(rw);
	dom = virDomainLookupByName(rw, "test");
	g_assert_nonnull(dom);
	set_nova_name(dom, "first");
	wait_file(&rs, out, "\\\"display_name\\\": \\\"first\\\"", 1, 0);
	seen = file_size(rs.err);
	set_nova_name(dom, "second");
	wait_file(&rs, out, "\\\"display_name\\\": \\\"second\\\"", 1, 0);
	/* a few quiet cycles: no more reads */
	wait_file(&rs, rs.err, "discovery: 1 domains, 0 XML reads", 2, file_size(rs.err));
	g_assert_cmpuint(count_in_file(rs.err, "discovery: 1 domains, 1 XML reads", 0), ==, 3);
	g_assert_cmpuint(count_in_file(rs.err, "discovery: 1 domains, 1 XML reads", seen), ==, 1);

	virDomainFree(dom);
	virConnectClose(rw);
	stop_polld(&rs);
	kill_and_wait(libvirtd, SIGTERM);
	g_free(rs.err);
	pd_test_rmtree(dir);
}

gint
main(gint argc, gchar **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(virInitialize(), ==, 0);
	g_test_add_func("/compute/parse", test_parse);
	g_test_add_func("/compute/bulk-params", test_bulk_params);
	g_test_add_func("/compute/lifecycle", test_lifecycle);
	g_test_add_func("/compute/parts", test_parts);
	g_test_add_func("/compute/golden", test_golden);
	g_test_add_func("/compute/compat-2025.2", test_compat_2025);
	g_test_add_func("/compute/values-synthetic", test_values_synthetic);
	g_test_add_func("/compute/values-bulk", test_values_bulk);
	g_test_add_func("/compute/values-per-domain", test_values_per_domain);
	g_test_add_func("/compute/scale-1000", test_scale_1000);
	g_test_add_func("/compute/update-interval", test_update_interval);
	g_test_add_func("/compute/libvirtd-restart", test_libvirtd_restart);
	g_test_add_func("/compute/libvirtd-keepalive", test_libvirtd_keepalive);
	g_test_add_func("/compute/domain-events", test_domain_events);
	return g_test_run();
}
