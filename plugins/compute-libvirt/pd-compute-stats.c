/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <string.h>

#include <libvirt/virterror.h>

#include "pd-compute-stats.h"

#define PD_COMPUTE_STATS_KEY "compute-libvirt-stats"
#define PD_COMPUTE_STATS_SLOT_KEY "compute-libvirt-stats-slot"

/* domains a pipeline answers between two wake-ups of the waiting meters:
 * few at a job's start (the first samples wait for them), more while the
 * meters run behind (each chunk answered woke every meter waiting: 440
 * sleeps a steady cycle at N=5000 with 64), and no more than TAIL or half
 * of what is left at its end (the meters read the last chunk once the
 * pipeline is done) */
#define PD_COMPUTE_STATS_CHUNK_FIRST 16
#define PD_COMPUTE_STATS_CHUNK_MAX 256
#define PD_COMPUTE_STATS_CHUNK_TAIL 64

/* PD_COMPUTE_STATS_LEAD: records alive past which a pipeline waits for the
 * meters to release some before it fetches another chunk, unless a meter
 * waits for one of its domains. The meters read the part in runs of both
 * connections' domains, so a pipeline faster than the other (under load,
 * or libvirtd's workers serving one connection first) fetched its whole
 * shard while the meters waited for the other's, and every record of it
 * was alive at once. A pipeline with another job queued (the next cycle's
 * statistics, a discovery's reads) does not hold: that job's meters may be
 * what the records wait for (their worker threads), and they are not this
 * cycle's waiters. Holds look at the queue every HOLD_TICK_USEC, and last
 * HOLD_USEC (the header) at most (records nobody releases: a source whose meters skip
 * some domains keeps theirs to the cycle's end) */
#define PD_COMPUTE_STATS_HOLD_TICK_USEC (10 * G_TIME_SPAN_MILLISECOND)

/* Lives as long as the cycle cache entry and the pipeline jobs that fill it.
 * A domain's values are written by the one pipeline that owns its handle,
 * without a lock (each field once per cycle; the `have` bits atomically); the
 * lock guards the table and the group bits, and publishes the values with
 * them to the meters waiting in lookup().
 *
 * A meter takes the records of a window of domains under the lock, then
 * reads each without it once the record's `done` bits (set under the lock,
 * atomically) show its group; it waits under the lock only for a record not
 * answered yet. Records die when the last meter that reads them has
 * released them, so a cycle does not hold every domain's record at once
 * while the meters are behind the pipelines.
 *
 * A meter waits for one domain, on a condition of its own: a pipeline that
 * has answered a few domains wakes the meters waiting for those and no
 * other (one shared condition woke every waiting meter, of both connections'
 * domains, each few domains, most of them to sleep again). */
struct _PdComputeStats {
	PdComputePool *pool;
	gboolean use_bulk;
	gint cancelled; /* atomic: the cycle is over, stop calling */
	GMutex lock;
	GHashTable *domains; /* PdComputeDomain (a reference) -> PdComputeDomainStats,
			      * or the groups queued for it, tagged */
	guint requested;     /* groups asked for every domain */
	GPtrArray *waiters;  /* PdComputeStatsWaiter, on the meters' stacks */
	GCond lead;	     /* a pipeline ahead waits on it: records freed, a
			      * meter waiting, the cycle over */
	guint held;	     /* chunks a pipeline waited before (holds) */
	gint64 held_usec;    /* ... and how long, all holds together */
	guint wakeups;	     /* meters woken, each with its domain answered */
	guint chunks;	     /* chunks the pipelines answered */
	guint64 meters;	     /* meters (bits) that read records this cycle or
			      * before: a record dies once all released it */
	guint live;	     /* records in the table */
	guint peak;	     /* ... at most, this cycle */
	guint made;	     /* records made this cycle */
	guint freed;	     /* ... and freed before the cycle's end */
	GPtrArray *sources;  /* names of the sources whose meters read */
};

typedef struct {
	GCond cond;
	PdComputeDomainStats *ds;
	guint groups;
	guint shard; /* the pipeline that answers ds */
} PdComputeStatsWaiter;

/* How the discovery finds the cycle's statistics: a job invokes its
 * pollster on one part at a time, so a later part's statistics, queued only
 * by a meter asking, waited for every meter of the first part (the second
 * connection idle while the first fetched its shard). The discovery queues
 * them as the engine accepts the part, through this slot, a value of the
 * same cycle cache (no table outside it: it lives and dies with the cycle).
 * A part accepted before any meter asked waits in @pending for the first. */
typedef struct {
	GMutex lock;
	PdComputeStats *stats; /* a reference, once the first meter asked */
	GPtrArray *pending;    /* PdResource accepted before, or NULL */
} PdComputeStatsSlot;

typedef struct {
	PdComputePool *pool;
	gboolean use_bulk;
	PdComputeStatsSlot *slot;
	GPtrArray *resources;
	guint asked;			  /* the group of the meter asking */
	guint groups;			  /* ... and those its source asked for before */
	virDomainStatsRecordPtr *records; /* a test's, instead of the bulk call */
} PdComputeStatsArgs;

/* one pipeline's share of a fetch */
typedef struct {
	PdComputeStats *stats; /* a reference */
	GPtrArray *entries;    /* PdComputeDomain, borrowed from the table's keys */
	guint shard;
	guint groups;
	gboolean bulk;
} PdComputeStatsJob;

guint
pd_compute_group_index(guint group)
{
	return (guint)g_bit_nth_lsf(group, -1);
}

/* one allocation: the record, then its disks' and its vnics' (one record a
 * domain a cycle: thousands at once) */
PdComputeDomainStats *
pd_compute_domain_stats_new(PdComputeInstance *inst)
{
	gsize size = sizeof(PdComputeDomainStats) + inst->n_disks * sizeof(PdComputeDiskStats) +
		     inst->n_vnics * sizeof(PdComputeNetStats);
	PdComputeDomainStats *ds = g_malloc0(size);

	G_STATIC_ASSERT(sizeof(PdComputeDomainStats) % G_ALIGNOF(PdComputeDiskStats) == 0);
	G_STATIC_ASSERT(sizeof(PdComputeDiskStats) % G_ALIGNOF(PdComputeNetStats) == 0);
	ds->disks = (PdComputeDiskStats *)(ds + 1);
	ds->vnics = (PdComputeNetStats *)(ds->disks + inst->n_disks);
	return ds;
}

void
pd_compute_domain_stats_free(PdComputeDomainStats *ds)
{
	g_clear_pointer(&ds->cd, pd_compute_domain_unref);
	g_free(ds);
}

static void
pd_compute_stats_clear(gpointer data)
{
	PdComputeStats *stats = data;

	/* what the records' lifetime came to (bench/README.md counts it) */
	g_debug("statistics: %u records made this cycle, at most %u alive at once, %u freed "
		"before the end, pipelines held back %u times for %" G_GINT64_FORMAT " ms",
		stats->made,
		stats->peak,
		stats->freed,
		stats->held,
		stats->held_usec / 1000);
	pd_compute_pool_note_records(stats->pool, stats->peak);
	g_object_unref(stats->pool);
	g_ptr_array_unref(stats->sources);
	g_hash_table_unref(stats->domains);
	g_ptr_array_unref(stats->waiters);
	g_cond_clear(&stats->lead);
	g_mutex_clear(&stats->lock);
}

static void
pd_compute_stats_unref(PdComputeStats *stats)
{
	g_atomic_rc_box_release_full(stats, pd_compute_stats_clear);
}

/* the cycle is over: the jobs still queued stop calling libvirt */
static void
pd_compute_stats_cancel(PdComputeStats *stats)
{
	g_atomic_int_set(&stats->cancelled, 1);
	/* every source of the cycle has joined by now (a late pollster holds
	 * the cycle cache): the next cycle's know each other's meters */
	g_mutex_lock(&stats->lock);
	g_cond_broadcast(&stats->lead);
	if (stats->sources->len > 0)
		pd_compute_pool_set_peers(stats->pool, stats->sources);
	g_mutex_unlock(&stats->lock);
	pd_compute_stats_unref(stats);
}

static gpointer
pd_compute_stats_slot_new_cb(gpointer user_data, GError **error)
{
	PdComputeStatsSlot *slot = g_new0(PdComputeStatsSlot, 1);

	g_mutex_init(&slot->lock);
	return slot;
}

/* with the cycle cache, before or after the statistics (either order) */
static void
pd_compute_stats_slot_free(PdComputeStatsSlot *slot)
{
	g_clear_pointer(&slot->stats, pd_compute_stats_unref);
	g_clear_pointer(&slot->pending, g_ptr_array_unref);
	g_mutex_clear(&slot->lock);
	g_free(slot);
}

static PdComputeStatsSlot *
pd_compute_stats_slot_get(PdCycleCache *cache)
{
	return pd_cycle_cache_get(cache,
				  PD_COMPUTE_STATS_SLOT_KEY,
				  pd_compute_stats_slot_new_cb,
				  NULL,
				  (GDestroyNotify)pd_compute_stats_slot_free,
				  NULL);
}

static void
pd_compute_domain_stats_set(PdComputeDomainStats *ds, PdComputeDomField field, gint64 value)
{
	ds->v[field] = value;
	g_atomic_int_or(&ds->have, 1u << field);
}

static void
pd_compute_mark_fetched(PdComputeDomainStats *ds, guint groups)
{
	gdouble now = pd_sample_monotonic_now();

	g_atomic_int_or(&ds->fetched, groups);
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
	/* the balloon group always carries "current" when it answered: the
	 * balloon's size memoryStats calls "actual" (see README.md) */
	if (pd_param_get(params, n, "balloon.current", &value)) {
		pd_compute_domain_stats_set(ds, PD_COMPUTE_MEM_ACTUAL, value);
		pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_MEMORY);
	}
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
		g_atomic_int_or(&st->have, 1u << f);
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
				g_atomic_int_or(&ds->vnics[idx].have, 1u << f);
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

static void
pd_compute_call_failed(PdComputeConnection *conn,
		       PdComputeDomainStats *ds,
		       guint group,
		       PdComputeDomain *cd,
		       const gchar *what)
{
	gint code = pd_compute_last_error_code();

	if (code == VIR_ERR_NO_SUPPORT) {
		g_atomic_int_or(&ds->unsupported, group);
		return;
	}
	/* a domain that vanished since discovery just has no samples */
	if (code != VIR_ERR_NO_DOMAIN && code != VIR_ERR_OPERATION_INVALID)
		g_debug("%s of %s failed: %s", what, cd->inst->uuid, virGetLastErrorMessage());
	pd_compute_connection_check_failure(conn, virDomainGetConnect(cd->dom));
}

static void
pd_compute_fetch_info(PdComputeConnection *conn, PdComputeDomainStats *ds, PdComputeDomain *cd)
{
	virDomainInfo info;

	if (virDomainGetInfo(cd->dom, &info) < 0) {
		pd_compute_call_failed(conn, ds, PD_COMPUTE_GROUP_INFO, cd, "virDomainGetInfo");
		return;
	}
	pd_compute_domain_stats_set(ds, PD_COMPUTE_CPU_TIME, (gint64)info.cpuTime);
	pd_compute_domain_stats_set(ds, PD_COMPUTE_CPU_NUMBER, info.nrVirtCpu);
	/* the balloon's size, as the bulk answer's balloon.current */
	pd_compute_domain_stats_set(ds, PD_COMPUTE_MEM_ACTUAL, (gint64)info.memory);
	pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_INFO);
}

static void
pd_compute_fetch_memory(PdComputeConnection *conn, PdComputeDomainStats *ds, PdComputeDomain *cd)
{
	virDomainMemoryStatStruct mem[VIR_DOMAIN_MEMORY_STAT_NR];
	gint n = virDomainMemoryStats(cd->dom, mem, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	static const gint tags[] = {
		[PD_COMPUTE_MEM_AVAILABLE] = VIR_DOMAIN_MEMORY_STAT_AVAILABLE,
		[PD_COMPUTE_MEM_USABLE] = VIR_DOMAIN_MEMORY_STAT_USABLE,
		[PD_COMPUTE_MEM_UNUSED] = VIR_DOMAIN_MEMORY_STAT_UNUSED,
		[PD_COMPUTE_MEM_RSS] = VIR_DOMAIN_MEMORY_STAT_RSS,
		[PD_COMPUTE_MEM_SWAP_IN] = VIR_DOMAIN_MEMORY_STAT_SWAP_IN,
		[PD_COMPUTE_MEM_SWAP_OUT] = VIR_DOMAIN_MEMORY_STAT_SWAP_OUT,
	};

	if (n < 0) {
		pd_compute_call_failed(
		  conn, ds, PD_COMPUTE_GROUP_MEMORY, cd, "virDomainMemoryStats");
		return;
	}
	for (gint i = 0; i < n; i++) {
		for (guint f = PD_COMPUTE_MEM_AVAILABLE; f <= PD_COMPUTE_MEM_SWAP_OUT; f++) {
			if (mem[i].tag == tags[f])
				pd_compute_domain_stats_set(ds, f, (gint64)mem[i].val);
		}
	}
	pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_MEMORY);
}

static void
pd_compute_disk_set(PdComputeDiskStats *st, PdComputeDiskField f, gint64 value)
{
	st->v[f] = value;
	g_atomic_int_or(&st->have, 1u << f);
}

static gboolean
pd_compute_fetch_block_stats(PdComputeDomain *cd, const gchar *dev, PdComputeDiskStats *st)
{
	virDomainBlockStatsStruct bs;

	if (virDomainBlockStats(cd->dom, dev, &bs, sizeof(bs)) < 0)
		return FALSE;
	pd_compute_disk_set(st, PD_COMPUTE_DISK_RD_REQ, bs.rd_req);
	pd_compute_disk_set(st, PD_COMPUTE_DISK_RD_BYTES, bs.rd_bytes);
	pd_compute_disk_set(st, PD_COMPUTE_DISK_WR_REQ, bs.wr_req);
	pd_compute_disk_set(st, PD_COMPUTE_DISK_WR_BYTES, bs.wr_bytes);
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
	if (pd_param_get(params, n, VIR_DOMAIN_BLOCK_STATS_READ_TOTAL_TIMES, &value))
		pd_compute_disk_set(st, PD_COMPUTE_DISK_RD_TIMES, value);
	if (pd_param_get(params, n, VIR_DOMAIN_BLOCK_STATS_WRITE_TOTAL_TIMES, &value))
		pd_compute_disk_set(st, PD_COMPUTE_DISK_WR_TIMES, value);
	virTypedParamsClear(params, n);
	return TRUE;
}

static gboolean
pd_compute_fetch_block_info(PdComputeDomain *cd, const gchar *dev, PdComputeDiskStats *st)
{
	virDomainBlockInfo info;

	if (virDomainGetBlockInfo(cd->dom, dev, &info, 0) < 0)
		return FALSE;
	pd_compute_disk_set(st, PD_COMPUTE_DISK_CAPACITY, (gint64)info.capacity);
	pd_compute_disk_set(st, PD_COMPUTE_DISK_ALLOCATION, (gint64)info.allocation);
	pd_compute_disk_set(st, PD_COMPUTE_DISK_PHYSICAL, (gint64)info.physical);
	return TRUE;
}

typedef gboolean (*PdComputeDiskFetch)(PdComputeDomain *cd,
				       const gchar *dev,
				       PdComputeDiskStats *st);

static void
pd_compute_fetch_disks(PdComputeConnection *conn,
		       PdComputeDomainStats *ds,
		       PdComputeDomain *cd,
		       guint group,
		       PdComputeDiskFetch fetch)
{
	for (guint i = 0; i < cd->inst->n_disks; i++) {
		PdComputeDisk *disk = &cd->inst->disks[i];
		/* one disk failing (e.g. during a migration) doesn't hide the others */
		if (!fetch(cd, disk->dev, &ds->disks[i])) {
			pd_compute_call_failed(conn, ds, group, cd, "disk statistics");
			if (g_atomic_int_get(&ds->unsupported) & group)
				return;
		}
	}
	pd_compute_mark_fetched(ds, group);
}

static void
pd_compute_fetch_vnics(PdComputeConnection *conn, PdComputeDomainStats *ds, PdComputeDomain *cd)
{
	for (guint i = 0; i < cd->inst->n_vnics; i++) {
		PdComputeVnic *vnic = &cd->inst->vnics[i];
		PdComputeNetStats *st = &ds->vnics[i];
		virDomainInterfaceStatsStruct is;
		if (virDomainInterfaceStats(cd->dom, vnic->name, &is, sizeof(is)) < 0) {
			pd_compute_call_failed(
			  conn, ds, PD_COMPUTE_GROUP_IFACE, cd, "virDomainInterfaceStats");
			if (g_atomic_int_get(&ds->unsupported) & PD_COMPUTE_GROUP_IFACE)
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
		g_atomic_int_or(&st->have, (1u << PD_COMPUTE_NET_N_FIELDS) - 1);
	}
	pd_compute_mark_fetched(ds, PD_COMPUTE_GROUP_IFACE);
}

/* on the pipeline's thread */
static void
pd_compute_fetch_group(PdComputeConnection *conn,
		       PdComputeDomainStats *ds,
		       PdComputeDomain *cd,
		       guint group)
{
	switch (group) {
		case PD_COMPUTE_GROUP_INFO:
			pd_compute_fetch_info(conn, ds, cd);
			break;
		case PD_COMPUTE_GROUP_MEMORY:
			pd_compute_fetch_memory(conn, ds, cd);
			break;
		case PD_COMPUTE_GROUP_BLOCK:
			pd_compute_fetch_disks(conn, ds, cd, group, pd_compute_fetch_block_stats);
			break;
		case PD_COMPUTE_GROUP_BLOCK_TIMES:
			pd_compute_fetch_disks(conn, ds, cd, group, pd_compute_fetch_block_times);
			break;
		case PD_COMPUTE_GROUP_BLOCK_INFO:
			pd_compute_fetch_disks(conn, ds, cd, group, pd_compute_fetch_block_info);
			break;
		case PD_COMPUTE_GROUP_IFACE:
			pd_compute_fetch_vnics(conn, ds, cd);
			break;
		case PD_COMPUTE_GROUP_PERF:
			/* no per-domain call reads perf counters */
			g_atomic_int_or(&ds->unsupported, group);
			break;
		default:
			g_assert_not_reached();
	}
}

/* --- the pipelines' jobs --- */

static const guint pd_compute_bulk_groups = VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |
					    VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE |
					    VIR_DOMAIN_STATS_BLOCK | VIR_DOMAIN_STATS_PERF;

guint
pd_compute_stats_match_records(PdComputeDomainStats **asked,
			       guint n,
			       virDomainStatsRecordPtr *records,
			       PdComputeDomainStats **matched)
{
	g_autofree virDomainPtr *doms = g_new(virDomainPtr, n + 1);
	g_autofree gint *index = NULL;
	guint nrec = 0, by_uuid;

	for (guint i = 0; i < n; i++)
		doms[i] = asked[i]->cd->dom;
	while (records[nrec] != NULL)
		nrec++;
	index = g_new(gint, nrec + 1);
	by_uuid = pd_compute_connection_match_records(doms, n, records, index);
	for (guint r = 0; r < nrec; r++) {
		guchar uuid[VIR_UUID_BUFLEN];
		matched[r] = index[r] >= 0 ? asked[index[r]] : NULL;
		if (matched[r] != NULL || virDomainGetUUID(records[r]->dom, uuid) < 0)
			continue;
		for (guint i = 0; i < n && matched[r] == NULL; i++) {
			if (memcmp(asked[i]->cd->uuid, uuid, VIR_UUID_BUFLEN) == 0)
				matched[r] = asked[i];
		}
	}
	return by_uuid;
}

/* one bulk call for the @n records @chunk; a driver without it answers
 * NO_SUPPORT and every group goes per domain. Whether it answered any of
 * @groups is remembered per connection: when not, the next chunks skip it. */
static void
pd_compute_stats_bulk(PdComputeConnection *conn,
		      PdComputeDomainStats **chunk,
		      guint n,
		      guint groups)
{
	g_autofree virDomainPtr *doms = g_new0(virDomainPtr, n + 1);
	g_autofree PdComputeDomainStats **asked = g_new0(PdComputeDomainStats *, n + 1);
	g_autofree PdComputeDomainStats **matched = NULL;
	virDomainStatsRecordPtr *records = NULL;
	guint k = 0, got = 0, nrec = 0;

	for (guint i = 0; i < n; i++) {
		PdComputeDomainStats *ds = chunk[i];
		/* shut off domains have no statistics */
		if (ds->cd->state != VIR_DOMAIN_SHUTOFF) {
			asked[k] = ds;
			doms[k++] = ds->cd->dom;
		}
	}
	if (k == 0)
		return;
	if (virDomainListGetStats(doms, pd_compute_bulk_groups, &records, 0) < 0) {
		g_debug("bulk statistics unavailable, per-domain calls only: %s",
			virGetLastErrorMessage());
		if (pd_compute_last_error_code() == VIR_ERR_NO_SUPPORT)
			pd_compute_connection_set_bulk_useless(conn, TRUE);
		pd_compute_connection_check_failure(conn, virDomainGetConnect(doms[0]));
		return;
	}
	while (records[nrec] != NULL)
		nrec++;
	matched = g_new0(PdComputeDomainStats *, nrec + 1);
	pd_compute_stats_match_records(asked, k, records, matched);
	for (guint r = 0; records[r] != NULL; r++) {
		PdComputeDomainStats *ds = matched[r];
		guint before;
		if (ds == NULL)
			continue;
		before = g_atomic_int_get(&ds->fetched);
		pd_compute_domain_stats_apply_bulk(
		  ds, ds->cd->inst, records[r]->params, records[r]->nparams);
		got |= g_atomic_int_get(&ds->fetched) & ~before;
	}
	virDomainStatsRecordListFree(records);
	pd_compute_connection_set_bulk_useless(conn, (got & groups) == 0);
}

/* the groups the bulk answer lacked, per domain */
static void
pd_compute_stats_fill(PdComputeConnection *conn, PdComputeDomainStats *ds, guint groups)
{
	guint have = g_atomic_int_get(&ds->fetched) | g_atomic_int_get(&ds->unsupported);

	if (ds->cd->state == VIR_DOMAIN_SHUTOFF)
		return;
	for (guint i = 0; i < PD_COMPUTE_N_GROUPS; i++) {
		guint group = 1u << i;
		if ((groups & group) && !(have & group))
			pd_compute_fetch_group(conn, ds, ds->cd, group);
	}
}

/* called with the lock held: the meters whose domains are answered now */
static void
pd_compute_stats_wake_locked(PdComputeStats *stats)
{
	for (guint i = 0; i < stats->waiters->len;) {
		PdComputeStatsWaiter *w = g_ptr_array_index(stats->waiters, i);
		if ((w->ds->done & w->groups) != w->groups) {
			i++;
			continue;
		}
		g_ptr_array_remove_index_fast(stats->waiters, i);
		stats->wakeups++;
		g_cond_signal(&w->cond);
	}
}

/* called with the lock held: @ds dies once every meter known to read
 * statistics this cycle has released it and no job still fills it (a
 * record lookup() handed out lives as long as the cycle) */
static void
pd_compute_stats_maybe_free_locked(PdComputeStats *stats, PdComputeDomainStats *ds)
{
	if (ds->pinned || ds->takers > 0 || ds->read_by == 0 ||
	    (stats->meters & ~ds->read_by) != 0 || (ds->requested & ~ds->done) != 0)
		return;
	stats->live--;
	stats->freed++;
	g_hash_table_remove(stats->domains, ds->cd);
	if (stats->live == PD_COMPUTE_STATS_LEAD - PD_COMPUTE_STATS_CHUNK_TAIL)
		g_cond_broadcast(&stats->lead);
}

/* called with the lock held: whether a meter waits for a domain of @shard */
static gboolean
pd_compute_stats_awaited_locked(PdComputeStats *stats, guint shard)
{
	for (guint i = 0; i < stats->waiters->len; i++) {
		const PdComputeStatsWaiter *w = g_ptr_array_index(stats->waiters, i);
		if (w->shard == shard)
			return TRUE;
	}
	return FALSE;
}

/* called with the lock held: a pipeline this far ahead waits for the
 * meters to release records. Never while a meter waits for one of its
 * domains: then the meters holding the records may be the waiting ones,
 * or wait for a worker thread the waiting ones hold. A meter that waits
 * for another pipeline's domain gets it from that one, which is not held
 * back meanwhile (it has a waiter), so the records are released in time. */
static guint
pd_compute_stats_hold_locked(PdComputeStats *stats,
			     guint shard,
			     guint n,
			     gint64 start,
			     gboolean *waited)
{
	gint64 until = start + PD_COMPUTE_STATS_HOLD_USEC;
	PdComputePipeline *line = pd_compute_pool_get(stats->pool, shard);

	while (!g_atomic_int_get(&stats->cancelled)) {
		gint64 now = g_get_monotonic_time();
		if (pd_compute_stats_awaited_locked(stats, shard))
			return n;
		/* a chunk that does not take it past the lead, of TAIL
		 * domains at least (each chunk wakes the meters) */
		if (stats->live + MIN(n, PD_COMPUTE_STATS_CHUNK_TAIL) <= PD_COMPUTE_STATS_LEAD)
			return MIN(n, PD_COMPUTE_STATS_LEAD - stats->live);
		if (now >= until || pd_compute_pipeline_has_jobs(line))
			return n;
		if (!*waited)
			stats->held++;
		*waited = TRUE;
		g_cond_wait_until(
		  &stats->lead, &stats->lock, MIN(until, now + PD_COMPUTE_STATS_HOLD_TICK_USEC));
	}
	return n;
}

/* a hold is counted once as it begins, however many times it looks at the
 * queue (every PD_COMPUTE_STATS_HOLD_TICK_USEC), and its time as it ends */
static guint
pd_compute_stats_pace_locked(PdComputeStats *stats, guint shard, guint n)
{
	gint64 start = g_get_monotonic_time();
	gboolean waited = FALSE;

	n = pd_compute_stats_hold_locked(stats, shard, n, start, &waited);
	if (waited)
		stats->held_usec += g_get_monotonic_time() - start;
	return n;
}

static PdComputeDomainStats *
pd_compute_stats_entry_locked(PdComputeStats *stats, PdComputeDomain *cd);

/* the size of a job's next chunk, @done of its domains answered, @left to go */
static guint
pd_compute_stats_chunk_size(guint done, guint left)
{
	guint n = CLAMP(done, PD_COMPUTE_STATS_CHUNK_FIRST, PD_COMPUTE_STATS_CHUNK_MAX);

	n = MIN(n, MAX(PD_COMPUTE_STATS_CHUNK_TAIL, left / 2));
	return MIN(n, left);
}

static void
pd_compute_stats_job_cb(PdComputeConnection *conn, gpointer data)
{
	PdComputeStatsJob *job = data;
	PdComputeStats *stats = job->stats;
	PdComputeDomainStats *chunk[PD_COMPUTE_STATS_CHUNK_MAX];
	guint n;

	for (guint first = 0; first < job->entries->len; first += n) {
		n = pd_compute_stats_chunk_size(first, job->entries->len - first);
		gboolean skip;
		/* the records come to life as they are fetched (or taken by a
		 * meter before): not all of a cycle's at once when it queues */
		g_mutex_lock(&stats->lock);
		n = pd_compute_stats_pace_locked(stats, job->shard, n);
		/* nobody waits any more: the values would go nowhere */
		skip = g_atomic_int_get(&stats->cancelled);
		for (guint i = 0; i < n; i++)
			chunk[i] = pd_compute_stats_entry_locked(
			  stats, g_ptr_array_index(job->entries, first + i));
		g_mutex_unlock(&stats->lock);
		if (job->bulk && !skip && pd_compute_connection_bulk_wanted(conn))
			pd_compute_stats_bulk(conn, chunk, n, job->groups);
		for (guint i = 0; i < n && !skip; i++)
			pd_compute_stats_fill(conn, chunk[i], job->groups);
		g_mutex_lock(&stats->lock);
		/* after the values: a meter that sees the bits reads them */
		for (guint i = 0; i < n; i++)
			g_atomic_int_or(&chunk[i]->done, job->groups);
		/* released by every meter before the last group came in */
		for (guint i = 0; i < n; i++)
			pd_compute_stats_maybe_free_locked(stats, chunk[i]);
		stats->chunks++;
		/* last: a meter woken takes the lock at once (it found it held
		 * while the records were freed: 605 contended takes a cycle) */
		pd_compute_stats_wake_locked(stats);
		g_mutex_unlock(&stats->lock);
	}
}

static void
pd_compute_stats_job_free(gpointer data)
{
	PdComputeStatsJob *job = data;

	pd_compute_pool_count_jobs(job->stats->pool, -1);
	pd_compute_stats_unref(job->stats);
	g_ptr_array_unref(job->entries);
	g_free(job);
}

/* a domain queued but not fetched yet has no record: the table keeps the
 * groups queued for it, tagged (a record is aligned, the tag is odd) */
#define PD_COMPUTE_STATS_PENDING(groups) GSIZE_TO_POINTER(((gsize)(groups) << 1) | 1)

static gboolean
pd_compute_stats_is_record(gpointer value)
{
	return (GPOINTER_TO_SIZE(value) & 1) == 0;
}

static void
pd_compute_stats_value_free(gpointer value)
{
	if (pd_compute_stats_is_record(value))
		pd_compute_domain_stats_free(value);
}

/* called with the lock held: the groups queued for @cd (0: not in the table) */
static guint
pd_compute_stats_requested_locked(PdComputeStats *stats, PdComputeDomain *cd)
{
	gpointer value = g_hash_table_lookup(stats->domains, cd);

	if (value == NULL)
		return 0;
	if (pd_compute_stats_is_record(value))
		return ((PdComputeDomainStats *)value)->requested;
	return (guint)(GPOINTER_TO_SIZE(value) >> 1);
}

/* called with the lock held: @groups queued for @cd from now on */
static void
pd_compute_stats_add_requested_locked(PdComputeStats *stats, PdComputeDomain *cd, guint groups)
{
	gpointer value = g_hash_table_lookup(stats->domains, cd);

	if (value != NULL && pd_compute_stats_is_record(value)) {
		((PdComputeDomainStats *)value)->requested |= groups;
		return;
	}
	/* the key passed is unreferenced when the table has one already */
	g_hash_table_insert(
	  stats->domains,
	  pd_compute_domain_ref(cd),
	  PD_COMPUTE_STATS_PENDING(pd_compute_stats_requested_locked(stats, cd) | groups));
}

/* called with the lock held: @groups for the domains in @todo
 * (PdComputeDomain), each on the pipeline that holds its handle; the bulk
 * call goes with the first pass */
static void
pd_compute_stats_queue_locked(PdComputeStats *stats, GPtrArray *todo, guint groups, gboolean bulk)
{
	guint n = pd_compute_pool_get_size(stats->pool);
	g_autofree PdComputeStatsJob **jobs = g_new0(PdComputeStatsJob *, n);

	for (guint i = 0; i < todo->len; i++) {
		PdComputeDomain *cd = g_ptr_array_index(todo, i);
		guint k = pd_compute_pool_shard(stats->pool, cd->uuid);
		pd_compute_stats_add_requested_locked(stats, cd, groups);
		if (jobs[k] == NULL) {
			jobs[k] = g_new0(PdComputeStatsJob, 1);
			jobs[k]->stats = g_atomic_rc_box_acquire(stats);
			jobs[k]->entries = g_ptr_array_new();
			jobs[k]->shard = k;
			jobs[k]->groups = groups;
			jobs[k]->bulk = bulk && stats->use_bulk;
		}
		g_ptr_array_add(jobs[k]->entries, cd);
	}
	for (guint k = 0; k < n; k++) {
		if (jobs[k] != NULL)
			pd_compute_pool_count_jobs(stats->pool, 1);
		if (jobs[k] != NULL)
			pd_compute_pipeline_push(pd_compute_pool_get(stats->pool, k),
						 pd_compute_stats_job_cb,
						 jobs[k],
						 pd_compute_stats_job_free);
	}
}

/* called with the lock held: @cd's record, made now if it has none yet */
static PdComputeDomainStats *
pd_compute_stats_entry_locked(PdComputeStats *stats, PdComputeDomain *cd)
{
	gpointer value = g_hash_table_lookup(stats->domains, cd);
	PdComputeDomainStats *ds;

	if (value != NULL && pd_compute_stats_is_record(value))
		return value;
	ds = pd_compute_domain_stats_new(cd->inst);
	ds->cd = pd_compute_domain_ref(cd);
	ds->requested = pd_compute_stats_requested_locked(stats, cd);
	g_hash_table_insert(stats->domains, pd_compute_domain_ref(cd), ds);
	stats->made++;
	stats->live++;
	stats->peak = MAX(stats->peak, stats->live);
	return ds;
}

/* called with the lock held: queues @missing (groups nobody asked for yet
 * this cycle) for every domain at once */
static void
pd_compute_stats_ask_all_locked(PdComputeStats *stats, guint missing)
{
	g_autoptr(GPtrArray) todo = g_ptr_array_new();
	GHashTableIter iter;
	PdComputeDomain *cd;

	stats->requested |= missing;
	g_hash_table_iter_init(&iter, stats->domains);
	while (g_hash_table_iter_next(&iter, (gpointer *)&cd, NULL)) {
		if ((pd_compute_stats_requested_locked(stats, cd) & missing) != missing)
			g_ptr_array_add(todo, cd);
	}
	pd_compute_stats_queue_locked(stats, todo, missing, FALSE);
}

/* called with the lock held: until @ds has @groups; the pipeline wakes us
 * once it has answered this domain */
static void
pd_compute_stats_wait_locked(PdComputeStats *stats, PdComputeDomainStats *ds, guint groups)
{
	PdComputeStatsWaiter w = { .ds = ds, .groups = groups };

	if ((ds->done & groups) == groups)
		return;
	w.shard = pd_compute_pool_shard(stats->pool, ds->cd->uuid);
	g_cond_init(&w.cond);
	g_ptr_array_add(stats->waiters, &w);
	g_cond_broadcast(&stats->lead);
	while ((ds->done & groups) != groups)
		g_cond_wait(&w.cond, &stats->lock);
	/* removed by the waker (a spurious wake-up leaves it listed) */
	g_cond_clear(&w.cond);
}

PdComputeDomainStats *
pd_compute_stats_lookup(PdComputeStats *stats, PdComputeDomain *cd, guint groups)
{
	PdComputeDomainStats *ds;

	g_mutex_lock(&stats->lock);
	ds = pd_compute_stats_entry_locked(stats, cd);
	ds->pinned = TRUE;
	if ((ds->requested & groups) != groups) {
		guint missing = groups & ~ds->requested;
		/* a group nobody asked for yet this cycle: for every domain at once */
		if ((stats->requested & missing) != missing) {
			pd_compute_stats_ask_all_locked(stats, missing);
		} else {
			g_autoptr(GPtrArray) todo = g_ptr_array_new();
			g_ptr_array_add(todo, cd);
			pd_compute_stats_queue_locked(stats, todo, missing, FALSE);
		}
	}
	pd_compute_stats_wait_locked(stats, ds, groups);
	g_mutex_unlock(&stats->lock);
	return ds;
}

/* --- the meters' windows --- */

/* called with the lock held: @source's meters read this cycle */
static void
pd_compute_stats_add_source_locked(PdComputeStats *stats, const gchar *source)
{
	const gchar *name = source != NULL ? source : "";

	for (guint i = 0; i < stats->sources->len; i++) {
		if (g_str_equal(g_ptr_array_index(stats->sources, i), name))
			return;
	}
	g_ptr_array_add(stats->sources, g_strdup(name));
}

void
pd_compute_stats_window_init(PdComputeStatsWindow *w,
			     PdComputeStats *stats,
			     const gchar *source,
			     guint meter_index,
			     guint groups)
{
	/* a meter without a place (a test's own) keeps what it reads alive
	 * until the cycle's end */
	guint64 meter = meter_index < 64 ? G_GUINT64_CONSTANT(1) << meter_index : 0;
	guint64 known = meter != 0 ? pd_compute_pool_add_meter(stats->pool, source, meter) : 0;

	w->stats = stats;
	w->meter = meter;
	w->groups = groups;
	w->n = 0;
	g_mutex_lock(&stats->lock);
	/* the meters this source (and those sharing the statistics) had
	 * before too: a record is not freed before a meter whose invocation
	 * has not started yet has read it */
	stats->meters |= known;
	if (meter != 0)
		pd_compute_stats_add_source_locked(stats, source);
	g_mutex_unlock(&stats->lock);
}

/* called with the lock held */
static void
pd_compute_stats_window_release_locked(PdComputeStatsWindow *w)
{
	for (guint i = 0; i < w->n; i++) {
		PdComputeDomainStats *ds = w->ds[i];
		ds->takers--;
		ds->read_by |= w->meter;
		pd_compute_stats_maybe_free_locked(w->stats, ds);
	}
	w->n = 0;
}

void
pd_compute_stats_window_take(PdComputeStatsWindow *w, GPtrArray *resources, guint first)
{
	PdComputeStats *stats = w->stats;
	g_autoptr(GPtrArray) todo = NULL;
	guint n = MIN(PD_COMPUTE_STATS_WINDOW, resources->len - MIN(first, resources->len));
	guint missing;

	g_mutex_lock(&stats->lock);
	pd_compute_stats_window_release_locked(w);
	for (guint i = 0; i < n; i++) {
		PdComputeDomainStats *ds = pd_compute_stats_entry_locked(
		  stats, pd_resource_get_data(g_ptr_array_index(resources, first + i)));
		ds->takers++;
		w->ds[i] = ds;
	}
	w->n = n;
	/* a group nobody asked for yet this cycle: for every domain at once */
	missing = w->groups & ~stats->requested;
	if (n > 0 && missing != 0)
		pd_compute_stats_ask_all_locked(stats, missing);
	for (guint i = 0; i < n; i++) {
		if ((w->ds[i]->requested & w->groups) == w->groups)
			continue;
		if (todo == NULL)
			todo = g_ptr_array_new();
		g_ptr_array_add(todo, w->ds[i]->cd);
	}
	if (todo != NULL)
		pd_compute_stats_queue_locked(stats, todo, w->groups, FALSE);
	g_mutex_unlock(&stats->lock);
}

PdComputeDomainStats *
pd_compute_stats_window_wait(PdComputeStatsWindow *w, guint i)
{
	PdComputeDomainStats *ds;

	g_return_val_if_fail(i < w->n, NULL);
	ds = w->ds[i];
	/* answered: the values were written before the bits */
	if ((g_atomic_int_get(&ds->done) & w->groups) == w->groups)
		return ds;
	g_mutex_lock(&w->stats->lock);
	pd_compute_stats_wait_locked(w->stats, ds, w->groups);
	g_mutex_unlock(&w->stats->lock);
	return ds;
}

void
pd_compute_stats_window_clear(PdComputeStatsWindow *w)
{
	if (w->n == 0)
		return;
	g_mutex_lock(&w->stats->lock);
	pd_compute_stats_window_release_locked(w);
	g_mutex_unlock(&w->stats->lock);
}

/* one of the table's counters, read under its lock (for tests) */
static guint
pd_compute_stats_read_counter(PdComputeStats *stats, const guint *counter)
{
	guint n;

	g_mutex_lock(&stats->lock);
	n = *counter;
	g_mutex_unlock(&stats->lock);
	return n;
}

guint
pd_compute_stats_get_live(PdComputeStats *stats)
{
	return pd_compute_stats_read_counter(stats, &stats->live);
}

guint
pd_compute_stats_get_held(PdComputeStats *stats)
{
	return pd_compute_stats_read_counter(stats, &stats->held);
}

gint64
pd_compute_stats_get_held_usec(PdComputeStats *stats)
{
	gint64 usec;

	g_mutex_lock(&stats->lock);
	usec = stats->held_usec;
	g_mutex_unlock(&stats->lock);
	return usec;
}

guint
pd_compute_stats_get_freed(PdComputeStats *stats)
{
	return pd_compute_stats_read_counter(stats, &stats->freed);
}

guint
pd_compute_stats_get_wakeups(PdComputeStats *stats)
{
	return pd_compute_stats_read_counter(stats, &stats->wakeups);
}

guint
pd_compute_stats_get_chunks(PdComputeStats *stats)
{
	return pd_compute_stats_read_counter(stats, &stats->chunks);
}

guint
pd_compute_stats_get_waiting(PdComputeStats *stats)
{
	/* the array is made once with the table; its length moves under the lock */
	return pd_compute_stats_read_counter(stats, &stats->waiters->len);
}

/* --- the cycle's statistics --- */

static void
pd_compute_stats_apply_records(PdComputeStats *stats, virDomainStatsRecordPtr *records)
{
	g_autoptr(GHashTable) by_uuid =
	  g_hash_table_new(pd_compute_uuid_hash, pd_compute_uuid_equal);
	g_autoptr(GPtrArray) cds = g_ptr_array_new();
	GHashTableIter iter;
	PdComputeDomainStats *ds;
	PdComputeDomain *cd;

	g_hash_table_iter_init(&iter, stats->domains);
	while (g_hash_table_iter_next(&iter, (gpointer *)&cd, NULL))
		g_ptr_array_add(cds, cd);
	for (guint i = 0; i < cds->len; i++) {
		ds = pd_compute_stats_entry_locked(stats, g_ptr_array_index(cds, i));
		g_hash_table_insert(by_uuid, ds->cd->uuid, ds);
	}
	for (virDomainStatsRecordPtr *r = records; *r != NULL; r++) {
		guchar uuid[VIR_UUID_BUFLEN];
		if (virDomainGetUUID((*r)->dom, uuid) < 0)
			continue;
		ds = g_hash_table_lookup(by_uuid, uuid);
		if (ds == NULL)
			continue;
		pd_compute_domain_stats_apply_bulk(ds, ds->cd->inst, (*r)->params, (*r)->nparams);
		/* a test's answer for the whole cycle: nothing to fetch again */
		ds->pinned = TRUE;
	}
}

/* called with the lock held: @res (a PdComputeDomain resource) to @todo
 * unless this cycle has it already */
static void
pd_compute_stats_todo_locked(PdComputeStats *stats, GPtrArray *todo, PdResource *res)
{
	PdComputeDomain *cd = pd_resource_get_data(res);

	if (g_hash_table_contains(stats->domains, cd))
		return;
	g_hash_table_insert(stats->domains, pd_compute_domain_ref(cd), PD_COMPUTE_STATS_PENDING(0));
	g_ptr_array_add(todo, cd);
}

static gpointer
pd_compute_stats_create_cb(gpointer user_data, GError **error)
{
	PdComputeStatsArgs *args = user_data;
	PdComputeStats *stats = g_atomic_rc_box_new0(PdComputeStats);
	g_autoptr(GPtrArray) todo = g_ptr_array_new();
	g_autoptr(GPtrArray) pending = NULL;

	stats->pool = g_object_ref(args->pool);
	stats->use_bulk = args->use_bulk;
	g_mutex_init(&stats->lock);
	g_cond_init(&stats->lead);
	stats->waiters = g_ptr_array_new();
	stats->sources = g_ptr_array_new_with_free_func(g_free);
	stats->domains = g_hash_table_new_full(
	  NULL, NULL, (GDestroyNotify)pd_compute_domain_unref, pd_compute_stats_value_free);
	g_mutex_lock(&stats->lock);
	/* from now on the discovery extends these statistics itself */
	g_mutex_lock(&args->slot->lock);
	args->slot->stats = g_atomic_rc_box_acquire(stats);
	pending = g_steal_pointer(&args->slot->pending);
	g_mutex_unlock(&args->slot->lock);
	for (guint i = 0; i < args->resources->len; i++)
		pd_compute_stats_todo_locked(stats, todo, g_ptr_array_index(args->resources, i));
	for (guint i = 0; pending != NULL && i < pending->len; i++)
		pd_compute_stats_todo_locked(stats, todo, g_ptr_array_index(pending, i));
	if (args->records != NULL)
		pd_compute_stats_apply_records(stats, args->records);
	else if (args->asked != 0) {
		/* every group this cycle's meters need, in one pass per domain; but
		 * while earlier cycles' passes are still queued (libvirt slower than
		 * the interval) only what is asked, so the queue cannot grow with
		 * cycles whose meters are skipped */
		guint groups = pd_compute_pool_get_jobs(stats->pool) > 0
				 ? args->asked
				 : args->groups | args->asked;
		stats->requested = groups;
		pd_compute_stats_queue_locked(stats, todo, groups, TRUE);
	}
	g_mutex_unlock(&stats->lock);
	return stats;
}

/* domains of a later part of the discovery: queued like the first ones, in
 * one job per pipeline, for every group asked so far this cycle */
static void
pd_compute_stats_extend(PdComputeStats *stats, GPtrArray *resources)
{
	g_autoptr(GPtrArray) todo = g_ptr_array_new();

	g_mutex_lock(&stats->lock);
	for (guint i = 0; i < resources->len; i++)
		pd_compute_stats_todo_locked(stats, todo, g_ptr_array_index(resources, i));
	if (todo->len > 0 && stats->requested != 0)
		pd_compute_stats_queue_locked(stats, todo, stats->requested, TRUE);
	g_mutex_unlock(&stats->lock);
}

void
pd_compute_stats_prefetch(PdCycleCache *cache, GPtrArray *resources)
{
	PdComputeStatsSlot *slot = pd_compute_stats_slot_get(cache);
	PdComputeStats *stats = NULL;

	g_mutex_lock(&slot->lock);
	if (slot->stats != NULL) {
		stats = g_atomic_rc_box_acquire(slot->stats);
	} else {
		if (slot->pending == NULL)
			slot->pending =
			  g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
		for (guint i = 0; i < resources->len; i++)
			g_ptr_array_add(slot->pending,
					pd_resource_ref(g_ptr_array_index(resources, i)));
	}
	g_mutex_unlock(&slot->lock);
	if (stats == NULL)
		return;
	if (!g_atomic_int_get(&stats->cancelled))
		pd_compute_stats_extend(stats, resources);
	pd_compute_stats_unref(stats);
}

PdComputeStats *
pd_compute_stats_get(PdCycleCache *cache,
		     PdComputePool *pool,
		     gboolean use_bulk,
		     GPtrArray *resources,
		     guint asked,
		     guint groups,
		     GError **error)
{
	PdComputeStatsArgs args = { pool,      use_bulk, pd_compute_stats_slot_get(cache),
				    resources, asked,	 groups,
				    NULL };
	PdComputeStats *stats = pd_cycle_cache_get(cache,
						   PD_COMPUTE_STATS_KEY,
						   pd_compute_stats_create_cb,
						   &args,
						   (GDestroyNotify)pd_compute_stats_cancel,
						   error);

	if (stats != NULL)
		pd_compute_stats_extend(stats, resources);
	return stats;
}

PdComputeStats *
pd_compute_stats_get_from_records(PdCycleCache *cache,
				  PdComputePool *pool,
				  GPtrArray *resources,
				  virDomainStatsRecordPtr *records,
				  GError **error)
{
	PdComputeStatsArgs args = { pool, FALSE,  pd_compute_stats_slot_get(cache), resources, 0,
				    0,	  records };

	return pd_cycle_cache_get(cache,
				  PD_COMPUTE_STATS_KEY,
				  pd_compute_stats_create_cb,
				  &args,
				  (GDestroyNotify)pd_compute_stats_cancel,
				  error);
}

guint
pd_compute_stats_peek_requested(PdCycleCache *cache, PdComputeDomain *cd)
{
	PdComputeStatsSlot *slot = pd_compute_stats_slot_get(cache);
	PdComputeStats *stats = NULL;
	guint requested = 0;

	g_mutex_lock(&slot->lock);
	if (slot->stats != NULL)
		stats = g_atomic_rc_box_acquire(slot->stats);
	g_mutex_unlock(&slot->lock);
	if (stats == NULL)
		return 0;
	g_mutex_lock(&stats->lock);
	requested = pd_compute_stats_requested_locked(stats, cd);
	g_mutex_unlock(&stats->lock);
	pd_compute_stats_unref(stats);
	return requested;
}
