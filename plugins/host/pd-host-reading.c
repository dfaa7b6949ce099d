/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-host"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/statvfs.h>

#include "pd-host-reading.h"

static GPtrArray *
pd_host_reading_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)pd_host_proc_entry_free);
}

/* a reading with one entry: the node itself */
static GPtrArray *
pd_host_reading_new_node(PdHostEntry **entry)
{
	GPtrArray *reading = pd_host_reading_new();
	*entry = pd_host_proc_entry_new(NULL);
	g_ptr_array_add(reading, *entry);
	return reading;
}

static gchar *
pd_host_read_file(const gchar *path, GError **error)
{
	gchar *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, error))
		return NULL;
	return text;
}

static gpointer
pd_host_read_loadavg(gpointer user_data, GError **error)
{
	g_autofree gchar *text = pd_host_read_file("/proc/loadavg", error);
	gdouble load[3];
	PdHostEntry *entry;
	GPtrArray *reading;

	if (text == NULL || !pd_host_proc_parse_loadavg(text, load, error))
		return NULL;
	reading = pd_host_reading_new_node(&entry);
	entry->values[PD_HOST_LOAD_1MIN].d = load[0];
	entry->values[PD_HOST_LOAD_5MIN].d = load[1];
	entry->values[PD_HOST_LOAD_15MIN].d = load[2];
	return reading;
}

static gpointer
pd_host_read_cpu(gpointer user_data, GError **error)
{
	PdHostState *state = user_data;
	g_autofree gchar *text = pd_host_read_file("/proc/stat", error);
	guint64 times[PD_HOST_CPU_N_TIMES];
	gdouble idle;
	PdHostEntry *entry;
	GPtrArray *reading;

	if (text == NULL || !pd_host_proc_parse_cpu_times(text, times, error))
		return NULL;
	idle = pd_host_state_update_cpu(state, times);
	reading = pd_host_reading_new_node(&entry);
	entry->values[PD_HOST_CPU_UTIL].d = 100.0 - idle;
	entry->values[PD_HOST_CPU_IDLE].d = idle;
	return reading;
}

static gpointer
pd_host_read_meminfo(gpointer user_data, GError **error)
{
	const gchar *const keys[] = { "MemTotal",  "MemFree",  "Buffers", "Cached",
				      "SwapTotal", "SwapFree", NULL };
	g_autofree gchar *text = pd_host_read_file("/proc/meminfo", error);
	guint64 v[G_N_ELEMENTS(keys) - 1];
	PdHostEntry *entry;
	GPtrArray *reading;

	if (text == NULL)
		return NULL;
	if (!pd_host_proc_parse_keyed(text, keys, v, error)) {
		g_prefix_error(error, "/proc/meminfo: ");
		return NULL;
	}
	reading = pd_host_reading_new_node(&entry);
	entry->values[PD_HOST_MEM_TOTAL].i = (gint64)v[0];
	/* what UCD-SNMP memTotalReal - memAvailReal gives: free excludes buffers and cache */
	entry->values[PD_HOST_MEM_USED].i = (gint64)(v[0] - MIN(v[1], v[0]));
	entry->values[PD_HOST_MEM_BUFFER].i = (gint64)v[2];
	entry->values[PD_HOST_MEM_CACHED].i = (gint64)v[3];
	entry->values[PD_HOST_MEM_SWAP_TOTAL].i = (gint64)v[4];
	entry->values[PD_HOST_MEM_SWAP_AVAIL].i = (gint64)v[5];
	return reading;
}

static gpointer
pd_host_read_vmstat(gpointer user_data, GError **error)
{
	const gchar *const keys[] = { "pgpgin", "pgpgout", NULL };
	g_autofree gchar *text = pd_host_read_file("/proc/vmstat", error);
	guint64 v[G_N_ELEMENTS(keys) - 1];
	PdHostEntry *entry;
	GPtrArray *reading;

	if (text == NULL)
		return NULL;
	if (!pd_host_proc_parse_keyed(text, keys, v, error)) {
		g_prefix_error(error, "/proc/vmstat: ");
		return NULL;
	}
	reading = pd_host_reading_new_node(&entry);
	entry->values[PD_HOST_IO_PGPGIN].i = (gint64)v[0];
	entry->values[PD_HOST_IO_PGPGOUT].i = (gint64)v[1];
	return reading;
}

/* first IPv4 address of every interface, as the SNMP ipAddrTable gives */
static GHashTable *
pd_host_iface_addresses(void)
{
	GHashTable *addrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	struct ifaddrs *list = NULL;

	if (getifaddrs(&list) != 0) {
		g_debug("getifaddrs: %s", g_strerror(errno));
		return addrs;
	}
	for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
		gchar buf[INET_ADDRSTRLEN];
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ifa->ifa_addr;

		if (sin == NULL || sin->sin_family != AF_INET ||
		    g_hash_table_contains(addrs, ifa->ifa_name))
			continue;
		if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) != NULL)
			g_hash_table_insert(addrs, g_strdup(ifa->ifa_name), g_strdup(buf));
	}
	freeifaddrs(list);
	return addrs;
}

static gchar *
pd_host_read_sys_net(const gchar *ifname, const gchar *attr)
{
	g_autofree gchar *path = g_build_filename("/sys/class/net", ifname, attr, NULL);
	gchar *text = NULL;

	/* virtual interfaces lack some attributes, or fail reading them */
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return g_strstrip(text);
}

/* bytes per second like Ceilometer's ifSpeed / 8; 0 when unknown */
static gdouble
pd_host_iface_speed(const gchar *ifname)
{
	g_autofree gchar *text = pd_host_read_sys_net(ifname, "speed");
	gint64 mbps;

	if (text == NULL || !g_ascii_string_to_signed(text, 10, 1, G_MAXINT32, &mbps, NULL))
		return 0;
	return (gdouble)mbps * 1000000.0 / 8.0;
}

/* hex digits without separators, as Ceilometer printed ifPhysAddress */
static gchar *
pd_host_iface_mac(const gchar *ifname)
{
	g_autofree gchar *text = pd_host_read_sys_net(ifname, "address");
	g_auto(GStrv) parts = NULL;

	if (text == NULL)
		return g_strdup("");
	parts = g_strsplit(text, ":", -1);
	return g_strjoinv("", parts);
}

static void
pd_host_iface_add_metadata(PdHostEntry *entry, GHashTable *addrs)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autofree gchar *mac = pd_host_iface_mac(entry->name);
	const gchar *ip = g_hash_table_lookup(addrs, entry->name);

	/* Ceilometer's snmp.yaml order: name, speed, mac, then ip from _post_op_net */
	pd_metadata_builder_add_string(b, "name", entry->name);
	pd_metadata_builder_add_double(b, "speed", pd_host_iface_speed(entry->name));
	pd_metadata_builder_add_string(b, "mac", mac);
	pd_metadata_builder_add_string(b, "ip", ip != NULL ? ip : "");
	entry->metadata = pd_metadata_builder_end(b);
}

static gpointer
pd_host_read_net_dev(gpointer user_data, GError **error)
{
	g_autofree gchar *text = pd_host_read_file("/proc/net/dev", error);
	g_autoptr(GHashTable) addrs = NULL;
	GPtrArray *reading;

	if (text == NULL)
		return NULL;
	reading = pd_host_proc_parse_net_dev(text, error);
	if (reading == NULL)
		return NULL;
	addrs = pd_host_iface_addresses();
	for (guint i = 0; i < reading->len; i++)
		pd_host_iface_add_metadata(g_ptr_array_index(reading, i), addrs);
	return reading;
}

static PdHostEntry *
pd_host_disk_entry_new(const PdHostMount *mount)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	struct statvfs st;
	PdHostEntry *entry;
	guint64 frsize;

	if (statvfs(mount->path, &st) != 0) {
		g_debug("statvfs %s: %s", mount->path, g_strerror(errno));
		return NULL;
	}
	/* KB like UCD-SNMP dskTotal/dskUsed: used counts the root-reserved blocks */
	frsize = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
	entry = pd_host_proc_entry_new(mount->device);
	entry->values[PD_HOST_DISK_TOTAL].i = (gint64)(st.f_blocks * frsize / 1024);
	entry->values[PD_HOST_DISK_USED].i = (gint64)((st.f_blocks - st.f_bfree) * frsize / 1024);
	pd_metadata_builder_add_string(b, "path", mount->path);
	pd_metadata_builder_add_string(b, "device", mount->device);
	entry->metadata = pd_metadata_builder_end(b);
	return entry;
}

static gpointer
pd_host_read_mounts(gpointer user_data, GError **error)
{
	g_autofree gchar *text = pd_host_read_file("/proc/self/mounts", error);
	g_autoptr(GPtrArray) mounts = NULL;
	GPtrArray *reading;

	if (text == NULL)
		return NULL;
	mounts = pd_host_proc_parse_mounts(text);
	reading = pd_host_reading_new();
	for (guint i = 0; i < mounts->len; i++) {
		PdHostEntry *entry = pd_host_disk_entry_new(g_ptr_array_index(mounts, i));
		if (entry != NULL)
			g_ptr_array_add(reading, entry);
	}
	return reading;
}

/* cache keys are shared with every plugin of the task: keep the prefix */
static const struct {
	const gchar *key;
	PdCycleCacheFunc func;
	gboolean is_double;
} pd_host_sources[] = {
	[PD_HOST_SOURCE_LOADAVG] = { "host:loadavg", pd_host_read_loadavg, TRUE },
	[PD_HOST_SOURCE_CPU] = { "host:cpu", pd_host_read_cpu, TRUE },
	[PD_HOST_SOURCE_MEMINFO] = { "host:meminfo", pd_host_read_meminfo, FALSE },
	[PD_HOST_SOURCE_VMSTAT] = { "host:vmstat", pd_host_read_vmstat, FALSE },
	[PD_HOST_SOURCE_NET_DEV] = { "host:net-dev", pd_host_read_net_dev, FALSE },
	[PD_HOST_SOURCE_MOUNTS] = { "host:mounts", pd_host_read_mounts, FALSE },
};

gboolean
pd_host_reading_source_is_double(PdHostSource source)
{
	g_return_val_if_fail(source < PD_HOST_SOURCE_LAST, FALSE);
	return pd_host_sources[source].is_double;
}

GPtrArray *
pd_host_reading_get(PdCycleCache *cache, PdHostSource source, PdHostState *state, GError **error)
{
	g_return_val_if_fail(source < PD_HOST_SOURCE_LAST, NULL);
	return pd_cycle_cache_get(cache,
				  pd_host_sources[source].key,
				  pd_host_sources[source].func,
				  state,
				  (GDestroyNotify)g_ptr_array_unref,
				  error);
}
