/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <libvirt/virterror.h>

#include "pd-compute-stats.h"

#define PD_COMPUTE_STATS_KEY "compute-libvirt-stats"

struct _PdComputeStats {
	PdComputeConnection *conn;
	GMutex lock;
	GHashTable *domains; /* uuid -> PdComputeDomainStats */
};

typedef struct {
	PdComputeConnection *conn;
	gboolean use_bulk;
	GPtrArray *resources;
	virDomainStatsRecordPtr *records; /* a test's, instead of the bulk call */
} PdComputeStatsArgs;

guint
pd_compute_group_index(guint group)
{
	return (guint)g_bit_nth_lsf(group, -1);
}

PdComputeDomainStats *
pd_compute_domain_stats_new(PdComputeInstance *inst)
{
	PdComputeDomainStats *ds = g_new0(PdComputeDomainStats, 1);

	g_mutex_init(&ds->lock);
	ds->disks = g_new0(PdComputeDiskStats, MAX(inst->disks->len, 1));
	ds->vnics = g_new0(PdComputeNetStats, MAX(inst->vnics->len, 1));
	return ds;
}

void
pd_compute_domain_stats_free(PdComputeDomainStats *ds)
{
	g_mutex_clear(&ds->lock);
	g_free(ds->disks);
	g_free(ds->vnics);
	g_free(ds);
}

static void
pd_compute_stats_free(PdComputeStats *stats)
{
	g_object_unref(stats->conn);
	g_hash_table_unref(stats->domains);
	g_mutex_clear(&stats->lock);
	g_free(stats);
}

static void
pd_compute_domain_stats_set(PdComputeDomainStats *ds, PdComputeDomField field, gint64 value)
{
	ds->v[field] = value;
	ds->have |= 1u << field;
}

static void
pd_compute_mark_fetched(PdComputeDomainStats *ds, guint groups)
{
	gdouble now = pd_sample_monotonic_now();

	ds->fetched |= groups;
	for (guint i = 0; i < PD_COMPUTE_N_GROUPS; i++) {
		if (groups & (1u << i))
			ds->monotonic[i] = now;
	}
}

/* --- the bulk answer --- */

static gboolean
pd_param_get(virTypedParameterPtr params, gint n, const gchar *name, gint64 *out)
{
	virTypedParameterPtr p = virTypedParamsGet(params, n, name);

	if (p == NULL)
		return FALSE;
	switch (p->type) {
		case VIR_TYPED_PARAM_INT:
			*out = p->value.i;
			return TRUE;
		case VIR_TYPED_PARAM_UINT:
			*out = p->value.ui;
			return TRUE;
		case VIR_TYPED_PARAM_LLONG:
			*out = p->value.l;
			return TRUE;
		case VIR_TYPED_PARAM_ULLONG:
			*out = (gint64)p->value.ul;
			return TRUE;
		default:
			return FALSE;
	}
}

static gboolean
pd_param_getf(virTypedParameterPtr params, gint n, gint64 *out, const gchar *fmt, ...)
  G_GNUC_PRINTF(4, 5);

static gboolean
pd_param_getf(virTypedParameterPtr params, gint n, gint64 *out, const gchar *fmt, ...)
{
	gchar name[VIR_TYPED_PARAM_FIELD_LENGTH];
	va_list args;

	va_start(args, fmt);
	g_vsnprintf(name, sizeof(name), fmt, args);
	va_end(args);
	return pd_param_get(params, n, name, out);
}

/* Ceilometer: sum of vcpu.N.time + vcpu.N.wait when every vcpu reports both,
 * else cpu.time */
static void
pd_compute_apply_cpu(PdComputeDomainStats *ds, virTypedParameterPtr params, gint n)
{
	gint64 current, maximum = 0, sum = 0, cpu_time;
	gint64 counted = 0;

	if (!pd_param_get(params, n, "vcpu.current", &current))
		return;
	pd_compute_domain_stats_set(ds, PD_COMPUTE_CPU_NUMBER, current);
	pd_param_get(params, n, "vcpu.maximum", &maximum);
	for (gint64 i = 0; i < maximum; i++) {
		gint64 t, w;
		if (pd_param_getf(params, n, &t, "vcpu.%" G_GINT64_FORMAT ".time", i) &&
		    pd_param_getf(params, n, &w, "vcpu.%" G_GINT64_FORMAT ".wait", i)) {
			sum += t + w;
			counted++;
		}
	}
	if (counted == current)
		pd_compute_domain_stats_set(ds, PD_COMPUTE_CPU_TIME, sum);
	else if (pd_param_get(params, n, "cpu.time", &cpu_time))
		pd_compute_domain_stats_set(ds, PD_COMPUTE_CPU_TIME, cpu_time);
	else
		return;
	pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_INFO);
}

static const struct {
	const gchar *name;
	PdComputeDomField field;
} pd_compute_bulk_dom_fields[] = {
	{ "balloon.available", PD_COMPUTE_MEM_AVAILABLE },
	{ "balloon.usable", PD_COMPUTE_MEM_USABLE },
	{ "balloon.unused", PD_COMPUTE_MEM_UNUSED },
	{ "balloon.rss", PD_COMPUTE_MEM_RSS },
	{ "balloon.swap_in", PD_COMPUTE_MEM_SWAP_IN },
	{ "balloon.swap_out", PD_COMPUTE_MEM_SWAP_OUT },
	{ "perf.cpu_cycles", PD_COMPUTE_PERF_CPU_CYCLES },
	{ "perf.instructions", PD_COMPUTE_PERF_INSTRUCTIONS },
	{ "perf.cache_references", PD_COMPUTE_PERF_CACHE_REFERENCES },
	{ "perf.cache_misses", PD_COMPUTE_PERF_CACHE_MISSES },
};

static void
pd_compute_apply_dom_fields(PdComputeDomainStats *ds, virTypedParameterPtr params, gint n)
{
	gint64 value;

	for (guint i = 0; i < G_N_ELEMENTS(pd_compute_bulk_dom_fields); i++) {
		if (pd_param_get(params, n, pd_compute_bulk_dom_fields[i].name, &value))
			pd_compute_domain_stats_set(ds, pd_compute_bulk_dom_fields[i].field, value);
	}
	/* the balloon group always carries "current" when it answered */
	if (pd_param_get(params, n, "balloon.current", &value))
		pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_MEMORY);
	/* perf values exist only in the bulk answer: absent means not enabled */
	pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_PERF);
}

static const gchar *const pd_compute_bulk_disk_keys[PD_COMPUTE_DISK_N_FIELDS] = {
	"rd.reqs",  "rd.bytes", "wr.reqs",    "wr.bytes", "rd.times",
	"wr.times", "capacity", "allocation", "physical",
};

static guint
pd_compute_apply_disk(PdComputeDiskStats *st, virTypedParameterPtr params, gint n, gint64 idx)
{
	guint groups = 0;

	for (guint f = 0; f < PD_COMPUTE_DISK_N_FIELDS; f++) {
		gint64 value;
		if (!pd_param_getf(params,
				   n,
				   &value,
				   "block.%" G_GINT64_FORMAT ".%s",
				   idx,
				   pd_compute_bulk_disk_keys[f]))
			continue;
		st->v[f] = value;
		st->have |= 1u << f;
		if (f <= PD_COMPUTE_DISK_WR_BYTES)
			groups |= PD_COMPUTE_GROUP_BLOCK;
		else if (f <= PD_COMPUTE_DISK_WR_TIMES)
			groups |= PD_COMPUTE_GROUP_BLOCK_TIMES;
		else
			groups |= PD_COMPUTE_GROUP_BLOCK_INFO;
	}
	return groups;
}

static void
pd_compute_apply_disks(PdComputeDomainStats *ds,
		       PdComputeInstance *inst,
		       virTypedParameterPtr params,
		       gint n)
{
	gint64 count = 0;
	guint groups = 0;

	if (!pd_param_get(params, n, "block.count", &count))
		return;
	for (gint64 i = 0; i < count; i++) {
		g_autofree gchar *key = g_strdup_printf("block.%" G_GINT64_FORMAT ".name", i);
		const gchar *name = NULL;
		gint idx;
		if (virTypedParamsGetString(params, n, key, &name) != 1)
			continue;
		idx = pd_compute_instance_find_disk(inst, name);
		if (idx >= 0)
			groups |= pd_compute_apply_disk(&ds->disks[idx], params, n, i);
	}
	pd_compute_mark_fetched(ds, groups);
}

static const gchar *const pd_compute_bulk_net_keys[PD_COMPUTE_NET_N_FIELDS] = {
	"rx.bytes", "rx.pkts", "rx.errs", "rx.drop", "tx.bytes", "tx.pkts", "tx.errs", "tx.drop",
};

static void
pd_compute_apply_vnics(PdComputeDomainStats *ds,
		       PdComputeInstance *inst,
		       virTypedParameterPtr params,
		       gint n)
{
	gint64 count = 0;

	if (!pd_param_get(params, n, "net.count", &count))
		return;
	for (gint64 i = 0; i < count; i++) {
		g_autofree gchar *key = g_strdup_printf("net.%" G_GINT64_FORMAT ".name", i);
		const gchar *name = NULL;
		gint idx;
		if (virTypedParamsGetString(params, n, key, &name) != 1)
			continue;
		idx = pd_compute_instance_find_vnic(inst, name);
		for (guint f = 0; idx >= 0 && f < PD_COMPUTE_NET_N_FIELDS; f++) {
			gint64 value;
			if (pd_param_getf(params,
					  n,
					  &value,
					  "net.%" G_GINT64_FORMAT ".%s",
					  i,
					  pd_compute_bulk_net_keys[f])) {
				ds->vnics[idx].v[f] = value;
				ds->vnics[idx].have |= 1u << f;
			}
		}
	}
	pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_IFACE);
}

void
pd_compute_domain_stats_apply_bulk(PdComputeDomainStats *ds,
				   PdComputeInstance *inst,
				   virTypedParameterPtr params,
				   gint nparams)
{
	pd_compute_apply_cpu(ds, params, nparams);
	pd_compute_apply_dom_fields(ds, params, nparams);
	pd_compute_apply_disks(ds, inst, params, nparams);
	pd_compute_apply_vnics(ds, inst, params, nparams);
}

/* --- per-domain calls for what the bulk answer lacked --- */

static gboolean
pd_compute_call_failed(PdComputeStats *stats,
		       PdComputeDomainStats *ds,
		       guint group,
		       PdComputeDomain *cd,
		       const gchar *what)
{
	gint code = pd_compute_last_error_code();

	if (code == VIR_ERR_NO_SUPPORT) {
		ds->unsupported |= group;
		return TRUE;
	}
	/* a domain that vanished since discovery just has no samples */
	if (code != VIR_ERR_NO_DOMAIN && code != VIR_ERR_OPERATION_INVALID)
		g_debug("%s of %s failed: %s", what, cd->inst->uuid, virGetLastErrorMessage());
	pd_compute_connection_check_failure(stats->conn, virDomainGetConnect(cd->dom));
	return FALSE;
}

static void
pd_compute_fetch_info(PdComputeStats *stats, PdComputeDomainStats *ds, PdComputeDomain *cd)
{
	virDomainInfo info;

	if (virDomainGetInfo(cd->dom, &info) < 0) {
		pd_compute_call_failed(stats, ds, PD_COMPUTE_GROUP_INFO, cd, "virDomainGetInfo");
		return;
	}
	pd_compute_domain_stats_set(ds, PD_COMPUTE_CPU_TIME, (gint64)info.cpuTime);
	pd_compute_domain_stats_set(ds, PD_COMPUTE_CPU_NUMBER, info.nrVirtCpu);
	pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_INFO);
}

static void
pd_compute_fetch_memory(PdComputeStats *stats, PdComputeDomainStats *ds, PdComputeDomain *cd)
{
	virDomainMemoryStatStruct mem[VIR_DOMAIN_MEMORY_STAT_NR];
	gint n = virDomainMemoryStats(cd->dom, mem, VIR_DOMAIN_MEMORY_STAT_NR, 0);

	if (n < 0) {
		pd_compute_call_failed(
		  stats, ds, PD_COMPUTE_GROUP_MEMORY, cd, "virDomainMemoryStats");
		return;
	}
	for (gint i = 0; i < n; i++) {
		static const gint tags[] = {
			[PD_COMPUTE_MEM_AVAILABLE] = VIR_DOMAIN_MEMORY_STAT_AVAILABLE,
			[PD_COMPUTE_MEM_USABLE] = VIR_DOMAIN_MEMORY_STAT_USABLE,
			[PD_COMPUTE_MEM_UNUSED] = VIR_DOMAIN_MEMORY_STAT_UNUSED,
			[PD_COMPUTE_MEM_RSS] = VIR_DOMAIN_MEMORY_STAT_RSS,
			[PD_COMPUTE_MEM_SWAP_IN] = VIR_DOMAIN_MEMORY_STAT_SWAP_IN,
			[PD_COMPUTE_MEM_SWAP_OUT] = VIR_DOMAIN_MEMORY_STAT_SWAP_OUT,
		};
		for (guint f = PD_COMPUTE_MEM_AVAILABLE; f <= PD_COMPUTE_MEM_SWAP_OUT; f++) {
			if (mem[i].tag == tags[f])
				pd_compute_domain_stats_set(ds, f, (gint64)mem[i].val);
		}
	}
	pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_MEMORY);
}

static gboolean
pd_compute_fetch_block_stats(PdComputeDomain *cd, const gchar *dev, PdComputeDiskStats *st)
{
	virDomainBlockStatsStruct bs;

	if (virDomainBlockStats(cd->dom, dev, &bs, sizeof(bs)) < 0)
		return FALSE;
	st->v[PD_COMPUTE_DISK_RD_REQ] = bs.rd_req;
	st->v[PD_COMPUTE_DISK_RD_BYTES] = bs.rd_bytes;
	st->v[PD_COMPUTE_DISK_WR_REQ] = bs.wr_req;
	st->v[PD_COMPUTE_DISK_WR_BYTES] = bs.wr_bytes;
	st->have |= (1u << PD_COMPUTE_DISK_RD_REQ) | (1u << PD_COMPUTE_DISK_RD_BYTES) |
		    (1u << PD_COMPUTE_DISK_WR_REQ) | (1u << PD_COMPUTE_DISK_WR_BYTES);
	return TRUE;
}

static gboolean
pd_compute_fetch_block_times(PdComputeDomain *cd, const gchar *dev, PdComputeDiskStats *st)
{
	g_autofree virTypedParameter *params = NULL;
	gint n = 0;
	gint64 value;

	if (virDomainBlockStatsFlags(cd->dom, dev, NULL, &n, 0) < 0)
		return FALSE;
	params = g_new0(virTypedParameter, MAX(n, 1));
	if (virDomainBlockStatsFlags(cd->dom, dev, params, &n, 0) < 0)
		return FALSE;
	if (pd_param_get(params, n, VIR_DOMAIN_BLOCK_STATS_READ_TOTAL_TIMES, &value)) {
		st->v[PD_COMPUTE_DISK_RD_TIMES] = value;
		st->have |= 1u << PD_COMPUTE_DISK_RD_TIMES;
	}
	if (pd_param_get(params, n, VIR_DOMAIN_BLOCK_STATS_WRITE_TOTAL_TIMES, &value)) {
		st->v[PD_COMPUTE_DISK_WR_TIMES] = value;
		st->have |= 1u << PD_COMPUTE_DISK_WR_TIMES;
	}
	virTypedParamsClear(params, n);
	return TRUE;
}

static gboolean
pd_compute_fetch_block_info(PdComputeDomain *cd, const gchar *dev, PdComputeDiskStats *st)
{
	virDomainBlockInfo info;

	if (virDomainGetBlockInfo(cd->dom, dev, &info, 0) < 0)
		return FALSE;
	st->v[PD_COMPUTE_DISK_CAPACITY] = (gint64)info.capacity;
	st->v[PD_COMPUTE_DISK_ALLOCATION] = (gint64)info.allocation;
	st->v[PD_COMPUTE_DISK_PHYSICAL] = (gint64)info.physical;
	st->have |= (1u << PD_COMPUTE_DISK_CAPACITY) | (1u << PD_COMPUTE_DISK_ALLOCATION) |
		    (1u << PD_COMPUTE_DISK_PHYSICAL);
	return TRUE;
}

typedef gboolean (*PdComputeDiskFetch)(PdComputeDomain *cd,
				       const gchar *dev,
				       PdComputeDiskStats *st);

static void
pd_compute_fetch_disks(PdComputeStats *stats,
		       PdComputeDomainStats *ds,
		       PdComputeDomain *cd,
		       guint group,
		       PdComputeDiskFetch fetch)
{
	for (guint i = 0; i < cd->inst->disks->len; i++) {
		PdComputeDisk *disk = g_ptr_array_index(cd->inst->disks, i);
		/* one disk failing (e.g. during a migration) doesn't hide the others */
		if (!fetch(cd, disk->dev, &ds->disks[i]) &&
		    pd_compute_call_failed(stats, ds, group, cd, "disk statistics"))
			return;
	}
	pd_compute_mark_fetched(ds, group);
}

static void
pd_compute_fetch_vnics(PdComputeStats *stats, PdComputeDomainStats *ds, PdComputeDomain *cd)
{
	for (guint i = 0; i < cd->inst->vnics->len; i++) {
		PdComputeVnic *vnic = g_ptr_array_index(cd->inst->vnics, i);
		PdComputeNetStats *st = &ds->vnics[i];
		virDomainInterfaceStatsStruct is;
		if (virDomainInterfaceStats(cd->dom, vnic->name, &is, sizeof(is)) < 0) {
			if (pd_compute_call_failed(
			      stats, ds, PD_COMPUTE_GROUP_IFACE, cd, "virDomainInterfaceStats"))
				return;
			continue;
		}
		st->v[PD_COMPUTE_NET_RX_BYTES] = is.rx_bytes;
		st->v[PD_COMPUTE_NET_RX_PACKETS] = is.rx_packets;
		st->v[PD_COMPUTE_NET_RX_ERRS] = is.rx_errs;
		st->v[PD_COMPUTE_NET_RX_DROP] = is.rx_drop;
		st->v[PD_COMPUTE_NET_TX_BYTES] = is.tx_bytes;
		st->v[PD_COMPUTE_NET_TX_PACKETS] = is.tx_packets;
		st->v[PD_COMPUTE_NET_TX_ERRS] = is.tx_errs;
		st->v[PD_COMPUTE_NET_TX_DROP] = is.tx_drop;
		st->have = (1u << PD_COMPUTE_NET_N_FIELDS) - 1;
	}
	pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_IFACE);
}

static void
pd_compute_fetch_group(PdComputeStats *stats,
		       PdComputeDomainStats *ds,
		       PdComputeDomain *cd,
		       guint group)
{
	g_autoptr(GMutexLocker) calls = pd_compute_connection_lock_calls(stats->conn);

	switch (group) {
		case PD_COMPUTE_GROUP_INFO:
			pd_compute_fetch_info(stats, ds, cd);
			break;
		case PD_COMPUTE_GROUP_MEMORY:
			pd_compute_fetch_memory(stats, ds, cd);
			break;
		case PD_COMPUTE_GROUP_BLOCK:
			pd_compute_fetch_disks(stats, ds, cd, group, pd_compute_fetch_block_stats);
			break;
		case PD_COMPUTE_GROUP_BLOCK_TIMES:
			pd_compute_fetch_disks(stats, ds, cd, group, pd_compute_fetch_block_times);
			break;
		case PD_COMPUTE_GROUP_BLOCK_INFO:
			pd_compute_fetch_disks(stats, ds, cd, group, pd_compute_fetch_block_info);
			break;
		case PD_COMPUTE_GROUP_IFACE:
			pd_compute_fetch_vnics(stats, ds, cd);
			break;
		case PD_COMPUTE_GROUP_PERF:
			/* no per-domain call reads perf counters */
			ds->unsupported |= group;
			break;
		default:
			g_assert_not_reached();
	}
}

static PdComputeDomainStats *
pd_compute_stats_entry(PdComputeStats *stats, PdComputeDomain *cd)
{
	PdComputeDomainStats *ds;

	g_mutex_lock(&stats->lock);
	ds = g_hash_table_lookup(stats->domains, cd->inst->uuid);
	if (ds == NULL) {
		ds = pd_compute_domain_stats_new(cd->inst);
		g_hash_table_insert(stats->domains, g_strdup(cd->inst->uuid), ds);
	}
	g_mutex_unlock(&stats->lock);
	return ds;
}

PdComputeDomainStats *
pd_compute_stats_lookup(PdComputeStats *stats, PdComputeDomain *cd, guint groups)
{
	PdComputeDomainStats *ds = pd_compute_stats_entry(stats, cd);

	/* concurrent meters of one domain wait here for one fetch */
	g_mutex_lock(&ds->lock);
	for (guint i = 0; i < PD_COMPUTE_N_GROUPS; i++) {
		guint group = 1u << i;
		if ((groups & group) && !((ds->fetched | ds->unsupported) & group))
			pd_compute_fetch_group(stats, ds, cd, group);
	}
	g_mutex_unlock(&ds->lock);
	return ds;
}

/* --- the cycle's bulk call --- */

static void
pd_compute_stats_apply_records(PdComputeStats *stats,
			       GHashTable *by_uuid,
			       virDomainStatsRecordPtr *records)
{
	for (virDomainStatsRecordPtr *r = records; r != NULL && *r != NULL; r++) {
		guchar uuid[VIR_UUID_BUFLEN];
		PdComputeDomain *cd = NULL;
		PdComputeDomainStats *ds;
		/* records carry new domain handles: match them by (raw) UUID */
		if (virDomainGetUUID((*r)->dom, uuid) == 0)
			cd = g_hash_table_lookup(by_uuid, uuid);
		if (cd == NULL)
			continue;
		ds = pd_compute_stats_entry(stats, cd);
		g_mutex_lock(&ds->lock);
		pd_compute_domain_stats_apply_bulk(ds, cd->inst, (*r)->params, (*r)->nparams);
		g_mutex_unlock(&ds->lock);
	}
}

static void
pd_compute_stats_fetch_bulk(PdComputeStats *stats,
			    GPtrArray *resources,
			    virDomainStatsRecordPtr *given)
{
	g_autoptr(GHashTable) by_uuid =
	  g_hash_table_new(pd_compute_uuid_hash, pd_compute_uuid_equal);
	g_autofree virDomainPtr *doms = g_new0(virDomainPtr, resources->len + 1);
	virDomainStatsRecordPtr *records = NULL;
	GMutexLocker *calls;
	gint rc;
	guint n = 0;
	guint groups = VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |
		       VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK |
		       VIR_DOMAIN_STATS_PERF;

	for (guint i = 0; i < resources->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, i));
		/* shut off domains have no statistics */
		if (cd->state == VIR_DOMAIN_SHUTOFF || g_hash_table_contains(by_uuid, cd->uuid))
			continue;
		doms[n++] = cd->dom;
		g_hash_table_insert(by_uuid, cd->uuid, cd);
	}
	if (n == 0)
		return;
	if (given != NULL) {
		pd_compute_stats_apply_records(stats, by_uuid, given);
		return;
	}
	/* all domains of one discovery share one connection */
	calls = pd_compute_connection_lock_calls(stats->conn);
	rc = virDomainListGetStats(doms, groups, &records, 0);
	g_clear_pointer(&calls, g_mutex_locker_free);
	if (rc < 0) {
		g_debug("bulk statistics unavailable, per-domain calls only: %s",
			virGetLastErrorMessage());
		pd_compute_connection_check_failure(stats->conn, virDomainGetConnect(doms[0]));
		return;
	}
	pd_compute_stats_apply_records(stats, by_uuid, records);
	virDomainStatsRecordListFree(records);
}

static gpointer
pd_compute_stats_create_cb(gpointer user_data, GError **error)
{
	PdComputeStatsArgs *args = user_data;
	PdComputeStats *stats = g_new0(PdComputeStats, 1);

	stats->conn = g_object_ref(args->conn);
	g_mutex_init(&stats->lock);
	stats->domains = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)pd_compute_domain_stats_free);
	if (args->use_bulk || args->records != NULL)
		pd_compute_stats_fetch_bulk(stats, args->resources, args->records);
	return stats;
}

PdComputeStats *
pd_compute_stats_get(PdCycleCache *cache,
		     PdComputeConnection *conn,
		     gboolean use_bulk,
		     GPtrArray *resources,
		     GError **error)
{
	PdComputeStatsArgs args = { conn, use_bulk, resources, NULL };

	return pd_cycle_cache_get(cache,
				  PD_COMPUTE_STATS_KEY,
				  pd_compute_stats_create_cb,
				  &args,
				  (GDestroyNotify)pd_compute_stats_free,
				  error);
}

PdComputeStats *
pd_compute_stats_get_from_records(PdCycleCache *cache,
				  PdComputeConnection *conn,
				  GPtrArray *resources,
				  virDomainStatsRecordPtr *records,
				  GError **error)
{
	PdComputeStatsArgs args = { conn, TRUE, resources, records };

	return pd_cycle_cache_get(cache,
				  PD_COMPUTE_STATS_KEY,
				  pd_compute_stats_create_cb,
				  &args,
				  (GDestroyNotify)pd_compute_stats_free,
				  error);
}
