/*
 * polld - the host plugin, end to end: runs the real daemon once in dry-run
 * mode and checks its samples against /proc read around the run
 *
 * Needs POLLD_BINARY (the daemon) and POLLD_PLUGIN_DIR (where libpd_host.so
 * is) in the environment; skips without them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/statvfs.h>

#define TEST_HOST "testhost"
#define TEST_URL "snmp://" TEST_HOST

/* memory and disk usage move while the daemon runs (other tests in parallel) */
#define USAGE_SLACK_PERCENT 5
#define LOAD_SLACK 1.0

typedef struct {
	const gchar *name;
	const gchar *type;
	const gchar *unit;
} ExpectedMeter;

static const ExpectedMeter node_meters[] = {
	{ "hardware.cpu.load.1min", "gauge", "process" },
	{ "hardware.cpu.load.5min", "gauge", "process" },
	{ "hardware.cpu.load.15min", "gauge", "process" },
	{ "hardware.cpu.util", "gauge", "%" },
	{ "hardware.system_stats.cpu.idle", "gauge", "%" },
	{ "hardware.memory.total", "gauge", "KB" },
	{ "hardware.memory.used", "gauge", "KB" },
	{ "hardware.memory.buffer", "gauge", "KB" },
	{ "hardware.memory.cached", "gauge", "KB" },
	{ "hardware.memory.swap.total", "gauge", "KB" },
	{ "hardware.memory.swap.avail", "gauge", "KB" },
	{ "hardware.system_stats.io.incoming.blocks", "cumulative", "blocks" },
	{ "hardware.system_stats.io.outgoing.blocks", "cumulative", "blocks" },
};

static const ExpectedMeter net_meters[] = {
	{ "hardware.network.incoming.bytes", "cumulative", "B" },
	{ "hardware.network.outgoing.bytes", "cumulative", "B" },
	{ "hardware.network.outgoing.errors", "cumulative", "packet" },
};

static const ExpectedMeter disk_meters[] = {
	{ "hardware.disk.size.total", "gauge", "KB" },
	{ "hardware.disk.size.used", "gauge", "KB" },
};

/* what the test reads itself, before or after the run */
typedef struct {
	gchar *meminfo;
	gchar *vmstat;
	gdouble load[3];
	GHashTable *net; /* ifname -> guint64[3]: rx bytes, tx bytes, tx errors */
} ProcSnapshot;

typedef struct {
	ProcSnapshot before;
	ProcSnapshot after;
	GPtrArray *samples; /* JsonNode */
} HostRun;

static HostRun *host_run = NULL;

/* ---- reading /proc the simple way ---- */

static gchar *
read_text(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gchar *text = NULL;

	g_file_get_contents(path, &text, NULL, &error);
	g_assert_no_error(error);
	return text;
}

static guint64
keyed_value(const gchar *text, const gchar *key)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	gsize key_len = strlen(key);

	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *p = lines[i] + key_len;
		if (strncmp(lines[i], key, key_len) != 0 || (*p != ':' && *p != ' '))
			continue;
		if (*p == ':')
			p++;
		return g_ascii_strtoull(p, NULL, 10);
	}
	g_error("no %s in text", key);
	return 0;
}

/* whitespace separated fields, empty ones dropped */
static GStrv
split_fields(const gchar *line)
{
	g_auto(GStrv) parts = g_strsplit_set(line, " \t", -1);
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] != '\0')
			g_strv_builder_add(builder, parts[i]);
	}
	return g_strv_builder_end(builder);
}

static GHashTable *
read_net_dev(void)
{
	g_autofree gchar *text = read_text("/proc/net/dev");
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GHashTable *net = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	for (guint i = 0; lines[i] != NULL; i++) {
		gchar *colon = strchr(lines[i], ':');
		g_auto(GStrv) fields = NULL;
		guint64 *stats;

		if (colon == NULL)
			continue;
		*colon = '\0';
		fields = split_fields(colon + 1);
		g_assert_cmpuint(g_strv_length(fields), >=, 11);
		/* receive bytes, transmit bytes, transmit errors */
		stats = g_new0(guint64, 3);
		stats[0] = g_ascii_strtoull(fields[0], NULL, 10);
		stats[1] = g_ascii_strtoull(fields[8], NULL, 10);
		stats[2] = g_ascii_strtoull(fields[10], NULL, 10);
		g_hash_table_insert(net, g_strdup(g_strstrip(lines[i])), stats);
	}
	return net;
}

static void
snapshot_take(ProcSnapshot *snap)
{
	g_autofree gchar *loadavg = read_text("/proc/loadavg");
	g_auto(GStrv) load = split_fields(loadavg);

	g_assert_cmpuint(g_strv_length(load), >=, 3);
	for (guint i = 0; i < 3; i++)
		snap->load[i] = g_ascii_strtod(load[i], NULL);
	snap->meminfo = read_text("/proc/meminfo");
	snap->vmstat = read_text("/proc/vmstat");
	snap->net = read_net_dev();
}

static void
snapshot_clear(ProcSnapshot *snap)
{
	g_free(snap->meminfo);
	g_free(snap->vmstat);
	g_hash_table_unref(snap->net);
}

/* ---- running the daemon ---- */

static gchar *
write_config(const gchar *dir, gboolean with_host, const gchar *meters)
{
	g_autofree gchar *yaml_path = g_build_filename(dir, "polling.yaml", NULL);
	g_autofree gchar *yaml = NULL;
	g_autofree gchar *conf = NULL;
	gchar *conf_path = g_build_filename(dir, "polld.conf", NULL);
	g_autoptr(GError) error = NULL;

	yaml = g_strdup_printf("---\nsources:\n"
			       "  - name: all\n"
			       "    interval: 60\n"
			       "    meters: %s\n",
			       meters);
	g_file_set_contents(yaml_path, yaml, -1, &error);
	g_assert_no_error(error);
	conf = g_strdup_printf("[DEFAULT]\n%s\n[polling]\ncfg_file = %s\n",
			       with_host ? "host = " TEST_HOST "\n" : "",
			       yaml_path);
	g_file_set_contents(conf_path, conf, -1, &error);
	g_assert_no_error(error);
	return conf_path;
}

/* the samples of one stdout line: {"oslo.version": "2.0", "oslo.message": "<json>"} */
static void
collect_line(const gchar *line, GPtrArray *samples)
{
	g_autoptr(JsonParser) outer = json_parser_new();
	g_autoptr(JsonParser) inner = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *obj;
	JsonObject *payload;
	JsonArray *array;

	json_parser_load_from_data(outer, line, -1, &error);
	g_assert_no_error(error);
	obj = json_node_get_object(json_parser_get_root(outer));
	g_assert_cmpstr(json_object_get_string_member(obj, "oslo.version"), ==, "2.0");
	json_parser_load_from_data(
	  inner, json_object_get_string_member(obj, "oslo.message"), -1, &error);
	g_assert_no_error(error);
	obj = json_node_get_object(json_parser_get_root(inner));
	payload = json_object_get_object_member(obj, "payload");
	array = json_object_get_array_member(payload, "samples");
	for (guint i = 0; i < json_array_get_length(array); i++)
		g_ptr_array_add(samples, json_node_copy(json_array_get_element(array, i)));
}

static GPtrArray *
run_daemon(gboolean with_host, const gchar *meters)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("polld-host-XXXXXX", &error);
	g_autofree gchar *conf = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_auto(GStrv) lines = NULL;
	GPtrArray *samples = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);

	g_assert_no_error(error);
	conf = write_config(dir, with_host, meters);
	proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				&error,
				g_getenv("POLLD_BINARY"),
				"--once",
				"--dry-run",
				"--polling-namespaces",
				"compute",
				"--config-file",
				conf,
				NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(proc, NULL, NULL, &out, &err, &error);
	g_assert_no_error(error);
	if (!g_subprocess_get_successful(proc))
		g_error("polld failed; its stderr:\n%s", err);
	if (err != NULL && err[0] != '\0')
		g_test_message("polld stderr:\n%s", err);
	lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] != '\0')
			collect_line(lines[i], samples);
	}
	g_assert_cmpint(g_remove(conf), ==, 0);
	g_clear_pointer(&conf, g_free);
	conf = g_build_filename(dir, "polling.yaml", NULL);
	g_assert_cmpint(g_remove(conf), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	return samples;
}

static gboolean
have_env(void)
{
	if (g_getenv("POLLD_BINARY") != NULL && g_getenv("POLLD_PLUGIN_DIR") != NULL)
		return TRUE;
	g_test_skip("POLLD_BINARY and POLLD_PLUGIN_DIR must be set");
	return FALSE;
}

/* one daemon run shared by the value tests, /proc read right around it */
static HostRun *
host_run_get(void)
{
	if (host_run != NULL)
		return host_run;
	host_run = g_new0(HostRun, 1);
	snapshot_take(&host_run->before);
	host_run->samples = run_daemon(TRUE, "[\"hardware.*\"]");
	snapshot_take(&host_run->after);
	return host_run;
}

static void
host_run_free(void)
{
	if (host_run == NULL)
		return;
	snapshot_clear(&host_run->before);
	snapshot_clear(&host_run->after);
	g_ptr_array_unref(host_run->samples);
	g_clear_pointer(&host_run, g_free);
}

/* ---- looking at samples ---- */

static JsonObject *
sample_obj(JsonNode *node)
{
	return json_node_get_object(node);
}

static const gchar *
sample_md_string(JsonObject *sample, const gchar *key)
{
	JsonObject *md = json_object_get_object_member(sample, "resource_metadata");
	g_assert_true(json_object_has_member(md, key));
	return json_object_get_string_member(md, key);
}

/* the one sample of @meter for @resource_id, or NULL */
static JsonObject *
find_sample(GPtrArray *samples, const gchar *meter, const gchar *resource_id)
{
	JsonObject *found = NULL;

	for (guint i = 0; i < samples->len; i++) {
		JsonObject *s = sample_obj(g_ptr_array_index(samples, i));
		if (g_strcmp0(json_object_get_string_member(s, "counter_name"), meter) != 0 ||
		    g_strcmp0(json_object_get_string_member(s, "resource_id"), resource_id) != 0)
			continue;
		g_assert_null(found);
		found = s;
	}
	return found;
}

static JsonObject *
get_sample(GPtrArray *samples, const gchar *meter, const gchar *resource_id)
{
	JsonObject *s = find_sample(samples, meter, resource_id);
	if (s == NULL)
		g_error("no %s sample for %s", meter, resource_id);
	return s;
}

static gint64
sample_int(JsonObject *sample)
{
	JsonNode *volume = json_object_get_member(sample, "counter_volume");
	g_assert_cmpint(json_node_get_value_type(volume), ==, G_TYPE_INT64);
	return json_node_get_int(volume);
}

static gdouble
sample_double(JsonObject *sample)
{
	JsonNode *volume = json_object_get_member(sample, "counter_volume");
	g_assert_cmpint(JSON_NODE_TYPE(volume), ==, JSON_NODE_VALUE);
	return json_node_get_double(volume);
}

static void
assert_sample_shape(JsonObject *sample, const ExpectedMeter *meter)
{
	g_assert_cmpstr(json_object_get_string_member(sample, "counter_type"), ==, meter->type);
	g_assert_cmpstr(json_object_get_string_member(sample, "counter_unit"), ==, meter->unit);
	g_assert_true(json_object_get_null_member(sample, "user_id"));
	g_assert_true(json_object_get_null_member(sample, "project_id"));
	g_assert_cmpstr(sample_md_string(sample, "resource_url"), ==, TEST_URL);
}

static void
assert_between_u64(gint64 value, guint64 before, guint64 after)
{
	g_assert_cmpint(value, >=, (gint64)MIN(before, after));
	g_assert_cmpint(value, <=, (gint64)MAX(before, after));
}

static void
assert_near_u64(gint64 value, guint64 before, guint64 after, guint64 slack)
{
	g_assert_cmpint(value, >=, (gint64)MIN(before, after) - (gint64)slack);
	g_assert_cmpint(value, <=, (gint64)MAX(before, after) + (gint64)slack);
}

/* ---- the tests ---- */

static void
test_host_node_meters(void)
{
	HostRun *run;

	if (!have_env())
		return;
	run = host_run_get();
	for (guint i = 0; i < G_N_ELEMENTS(node_meters); i++) {
		JsonObject *s = get_sample(run->samples, node_meters[i].name, TEST_HOST);
		JsonObject *md = json_object_get_object_member(s, "resource_metadata");

		assert_sample_shape(s, &node_meters[i]);
		/* node-wide meters carry only the url, as Ceilometer's did */
		g_assert_cmpuint(json_object_get_size(md), ==, 1);
	}
}

static void
test_host_load(void)
{
	const gchar *names[] = { "hardware.cpu.load.1min",
				 "hardware.cpu.load.5min",
				 "hardware.cpu.load.15min" };
	HostRun *run;

	if (!have_env())
		return;
	run = host_run_get();
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		gdouble v = sample_double(get_sample(run->samples, names[i], TEST_HOST));
		g_assert_cmpfloat(v, >=, MIN(run->before.load[i], run->after.load[i]) - LOAD_SLACK);
		g_assert_cmpfloat(v, <=, MAX(run->before.load[i], run->after.load[i]) + LOAD_SLACK);
	}
}

static void
test_host_cpu(void)
{
	HostRun *run;
	gdouble util;
	gdouble idle;

	if (!have_env())
		return;
	run = host_run_get();
	util = sample_double(get_sample(run->samples, "hardware.cpu.util", TEST_HOST));
	idle = sample_double(get_sample(run->samples, "hardware.system_stats.cpu.idle", TEST_HOST));
	g_assert_cmpfloat(util, >=, 0.0);
	g_assert_cmpfloat(util, <=, 100.0);
	g_assert_cmpfloat(idle, >=, 0.0);
	g_assert_cmpfloat(idle, <=, 100.0);
	g_assert_cmpfloat_with_epsilon(util + idle, 100.0, 0.001);
}

static void
test_host_memory(void)
{
	const gchar *b;
	const gchar *a;
	guint64 total;
	guint64 slack;
	HostRun *run;
	GPtrArray *samples;

	if (!have_env())
		return;
	run = host_run_get();
	samples = run->samples;
	b = run->before.meminfo;
	a = run->after.meminfo;
	total = keyed_value(b, "MemTotal");
	slack = total * USAGE_SLACK_PERCENT / 100;
	g_assert_cmpint(
	  sample_int(get_sample(samples, "hardware.memory.total", TEST_HOST)), ==, (gint64)total);
	assert_near_u64(sample_int(get_sample(samples, "hardware.memory.used", TEST_HOST)),
			total - keyed_value(b, "MemFree"),
			total - keyed_value(a, "MemFree"),
			slack);
	assert_near_u64(sample_int(get_sample(samples, "hardware.memory.buffer", TEST_HOST)),
			keyed_value(b, "Buffers"),
			keyed_value(a, "Buffers"),
			slack);
	assert_near_u64(sample_int(get_sample(samples, "hardware.memory.cached", TEST_HOST)),
			keyed_value(b, "Cached"),
			keyed_value(a, "Cached"),
			slack);
	g_assert_cmpint(sample_int(get_sample(samples, "hardware.memory.swap.total", TEST_HOST)),
			==,
			(gint64)keyed_value(b, "SwapTotal"));
	assert_near_u64(sample_int(get_sample(samples, "hardware.memory.swap.avail", TEST_HOST)),
			keyed_value(b, "SwapFree"),
			keyed_value(a, "SwapFree"),
			slack);
}

/* what net-snmp's ssIORawReceived/ssIORawSent report on Linux 2.6+ */
static void
test_host_io(void)
{
	const gchar *meters[] = { "hardware.system_stats.io.incoming.blocks",
				  "hardware.system_stats.io.outgoing.blocks" };
	const gchar *keys[] = { "pgpgin", "pgpgout" };
	HostRun *run;

	if (!have_env())
		return;
	run = host_run_get();
	for (guint i = 0; i < G_N_ELEMENTS(meters); i++) {
		JsonObject *s = get_sample(run->samples, meters[i], TEST_HOST);
		assert_between_u64(sample_int(s),
				   keyed_value(run->before.vmstat, keys[i]),
				   keyed_value(run->after.vmstat, keys[i]));
	}
}

/* ifPhysAddress as Ceilometer printed it: hex digits, no colons */
static gchar *
expected_mac(const gchar *ifname)
{
	g_autofree gchar *path = g_build_filename("/sys/class/net", ifname, "address", NULL);
	g_autofree gchar *text = NULL;
	g_auto(GStrv) parts = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	parts = g_strsplit(g_strstrip(text), ":", -1);
	return g_strjoinv("", parts);
}

static void
assert_net_sample(JsonObject *s, const ExpectedMeter *meter, const gchar *ifname, const gchar *rid)
{
	JsonObject *md = json_object_get_object_member(s, "resource_metadata");
	g_autofree gchar *mac = expected_mac(ifname);

	assert_sample_shape(s, meter);
	g_assert_cmpstr(sample_md_string(s, "name"), ==, ifname);
	g_assert_cmpstr(sample_md_string(s, "mac"), ==, mac);
	g_assert_nonnull(sample_md_string(s, "ip"));
	g_assert_cmpstr(sample_md_string(s, "resource_id"), ==, rid);
	g_assert_true(json_object_has_member(md, "speed"));
	g_assert_cmpfloat(json_object_get_double_member(md, "speed"), >=, 0.0);
}

static void
test_host_network(void)
{
	HostRun *run;
	GHashTableIter iter;
	gpointer key;
	gpointer value;
	guint n = 0;

	if (!have_env())
		return;
	run = host_run_get();
	/* loopback is left out */
	g_assert_null(find_sample(run->samples, net_meters[0].name, TEST_HOST ".lo"));
	g_hash_table_iter_init(&iter, run->before.net);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const guint64 *before = value;
		const guint64 *after = g_hash_table_lookup(run->after.net, key);
		g_autofree gchar *rid = g_strconcat(TEST_HOST "-", key, NULL);

		if (g_strcmp0(key, "lo") == 0 || after == NULL)
			continue;
		for (guint i = 0; i < G_N_ELEMENTS(net_meters); i++) {
			JsonObject *s = get_sample(run->samples, net_meters[i].name, rid);
			assert_net_sample(s, &net_meters[i], key, rid);
			assert_between_u64(sample_int(s), before[i], after[i]);
		}
		n++;
	}
	if (n == 0)
		g_test_skip("no network interface but lo");
}

/* every /dev/ device whose first mount point statvfs() accepts */
static GPtrArray *
expected_disks(void)
{
	g_autofree gchar *text = read_text("/proc/self/mounts");
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GPtrArray *disks = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = g_strsplit(lines[i], " ", 3);
		g_autofree gchar *device = NULL;
		g_autofree gchar *path = NULL;
		struct statvfs st;

		if (g_strv_length(fields) < 3 || !g_str_has_prefix(fields[0], "/dev/"))
			continue;
		device = g_strcompress(fields[0]);
		path = g_strcompress(fields[1]);
		if (g_hash_table_contains(seen, device) || statvfs(path, &st) != 0)
			continue;
		g_hash_table_add(seen, g_strdup(device));
		g_ptr_array_add(disks, g_steal_pointer(&device));
	}
	return disks;
}

static void
test_host_disk(void)
{
	g_autoptr(GPtrArray) disks = NULL;
	HostRun *run;

	if (!have_env())
		return;
	run = host_run_get();
	disks = expected_disks();
	for (guint i = 0; i < disks->len; i++) {
		const gchar *device = g_ptr_array_index(disks, i);
		g_autofree gchar *rid = g_strconcat(TEST_HOST "-", device, NULL);
		JsonObject *total = get_sample(run->samples, "hardware.disk.size.total", rid);
		JsonObject *used = get_sample(run->samples, "hardware.disk.size.used", rid);
		const gchar *path = sample_md_string(total, "path");
		struct statvfs st;
		guint64 kb_total;
		guint64 kb_used;
		guint64 slack;

		assert_sample_shape(total, &disk_meters[0]);
		assert_sample_shape(used, &disk_meters[1]);
		g_assert_cmpstr(sample_md_string(total, "device"), ==, device);
		g_assert_cmpstr(sample_md_string(total, "resource_id"), ==, rid);
		g_assert_cmpstr(sample_md_string(used, "path"), ==, path);
		g_assert_cmpint(statvfs(path, &st), ==, 0);
		kb_total = st.f_blocks * st.f_frsize / 1024;
		kb_used = (st.f_blocks - st.f_bfree) * st.f_frsize / 1024;
		g_assert_cmpint(sample_int(total), ==, (gint64)kb_total);
		slack = kb_total * USAGE_SLACK_PERCENT / 100;
		assert_near_u64(sample_int(used), kb_used, kb_used, slack);
	}
	if (disks->len == 0)
		g_test_skip("no block device mounted");
}

/* without [DEFAULT] host the node is named after the machine */
static void
test_host_default_name(void)
{
	g_autoptr(GPtrArray) samples = NULL;
	JsonObject *s;

	if (!have_env())
		return;
	samples = run_daemon(FALSE, "[\"hardware.memory.total\"]");
	g_assert_cmpuint(samples->len, ==, 1);
	s = get_sample(samples, "hardware.memory.total", g_get_host_name());
	g_assert_nonnull(s);
}

int
main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/host/node-meters", test_host_node_meters);
	g_test_add_func("/host/load", test_host_load);
	g_test_add_func("/host/cpu", test_host_cpu);
	g_test_add_func("/host/memory", test_host_memory);
	g_test_add_func("/host/io", test_host_io);
	g_test_add_func("/host/network", test_host_network);
	g_test_add_func("/host/disk", test_host_disk);
	g_test_add_func("/host/default-name", test_host_default_name);
	ret = g_test_run();
	host_run_free();
	return ret;
}
