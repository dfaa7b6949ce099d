/*
 * polld - one cycle's libvirt statistics for all instances: one bulk call,
 * per-domain calls for what it lacks, shared by every compute meter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-compute-domain.h"
#include "pd-compute-pool.h"

G_BEGIN_DECLS

/* what one libvirt call (or one part of the bulk answer) provides */
typedef enum {
	PD_COMPUTE_GROUP_INFO = 1 << 0,	       /* cpu time, vcpu count */
	PD_COMPUTE_GROUP_MEMORY = 1 << 1,      /* balloon / memoryStats */
	PD_COMPUTE_GROUP_BLOCK = 1 << 2,       /* blockStats */
	PD_COMPUTE_GROUP_BLOCK_TIMES = 1 << 3, /* blockStatsFlags rd/wr_total_times */
	PD_COMPUTE_GROUP_BLOCK_INFO = 1 << 4,  /* blockInfo */
	PD_COMPUTE_GROUP_IFACE = 1 << 5,       /* interfaceStats */
	PD_COMPUTE_GROUP_PERF = 1 << 6,	       /* perf events, bulk call only */
} PdComputeGroup;
#define PD_COMPUTE_N_GROUPS 7

typedef enum {
	PD_COMPUTE_CPU_TIME,
	PD_COMPUTE_CPU_NUMBER,
	PD_COMPUTE_MEM_AVAILABLE,
	PD_COMPUTE_MEM_USABLE,
	PD_COMPUTE_MEM_UNUSED,
	PD_COMPUTE_MEM_RSS,
	PD_COMPUTE_MEM_SWAP_IN,
	PD_COMPUTE_MEM_SWAP_OUT,
	PD_COMPUTE_MEM_ACTUAL, /* the balloon's size, KiB */
	PD_COMPUTE_PERF_CPU_CYCLES,
	PD_COMPUTE_PERF_INSTRUCTIONS,
	PD_COMPUTE_PERF_CACHE_REFERENCES,
	PD_COMPUTE_PERF_CACHE_MISSES,
	PD_COMPUTE_DOM_N_FIELDS,
} PdComputeDomField;

typedef enum {
	PD_COMPUTE_DISK_RD_REQ,
	PD_COMPUTE_DISK_RD_BYTES,
	PD_COMPUTE_DISK_WR_REQ,
	PD_COMPUTE_DISK_WR_BYTES,
	PD_COMPUTE_DISK_RD_TIMES,
	PD_COMPUTE_DISK_WR_TIMES,
	PD_COMPUTE_DISK_CAPACITY,
	PD_COMPUTE_DISK_ALLOCATION,
	PD_COMPUTE_DISK_PHYSICAL,
	PD_COMPUTE_DISK_N_FIELDS,
} PdComputeDiskField;

typedef enum {
	PD_COMPUTE_NET_RX_BYTES,
	PD_COMPUTE_NET_RX_PACKETS,
	PD_COMPUTE_NET_RX_ERRS,
	PD_COMPUTE_NET_RX_DROP,
	PD_COMPUTE_NET_TX_BYTES,
	PD_COMPUTE_NET_TX_PACKETS,
	PD_COMPUTE_NET_TX_ERRS,
	PD_COMPUTE_NET_TX_DROP,
	PD_COMPUTE_NET_N_FIELDS,
} PdComputeNetField;

/* the `have`, `fetched` and `unsupported` bits are read and set atomically:
 * the pipeline fills one group while meters read another */
typedef struct {
	gint64 v[PD_COMPUTE_DISK_N_FIELDS];
	guint have; /* bit per field */
} PdComputeDiskStats;

typedef struct {
	gint64 v[PD_COMPUTE_NET_N_FIELDS];
	guint have;
} PdComputeNetStats;

/* statistics of one domain in one cycle; filled group by group, by the
 * pipeline that holds the domain's handle */
typedef struct {
	PdComputeDomain *cd;
	guint requested;   /* PdComputeGroup bits queued (under the stats lock) */
	guint done;	   /* ... and answered or failed (set under the stats lock,
			    * atomically: a meter reads it without the lock) */
	guint takers;	   /* windows holding the record (under the stats lock) */
	gboolean pinned;   /* handed out by lookup(): lives as long as the cycle */
	guint64 read_by;   /* meters (bits) that released it (under the stats lock) */
	guint fetched;	   /* PdComputeGroup bits answered (maybe partially) */
	guint unsupported; /* PdComputeGroup bits the driver refused */
	gint64 v[PD_COMPUTE_DOM_N_FIELDS];
	guint have;
	PdComputeDiskStats *disks; /* parallel to inst->disks, in the same allocation */
	PdComputeNetStats *vnics;  /* parallel to inst->vnics, in the same allocation */
	gdouble monotonic[PD_COMPUTE_N_GROUPS];
} PdComputeDomainStats;

typedef struct _PdComputeStats PdComputeStats;

/* this cycle's statistics, created by the first meter asking, which queues
 * its group @asked and the @groups its source needed before for @resources
 * (its PdComputeDomain resources) on the pipelines: a bulk call per chunk
 * of domains, per-domain calls for what it lacks */
PdComputeStats *
pd_compute_stats_get(PdCycleCache *cache,
		     PdComputePool *pool,
		     gboolean use_bulk,
		     GPtrArray *resources,
		     guint asked,
		     guint groups,
		     GError **error);
/* @resources (PdComputeDomain resources) are a part of the discovery the
 * engine accepted: their statistics are queued now, for every group asked
 * so far this cycle, or with the first meter's when none asked yet; called
 * on the main thread, before any pollster is invoked on them */
void
pd_compute_stats_prefetch(PdCycleCache *cache, GPtrArray *resources);
/* for tests: @cd's entry in the statistics of @cache's cycle: the groups
 * queued for it so far, 0 when it has none (never asked, never fetched) */
guint
pd_compute_stats_peek_requested(PdCycleCache *cache, PdComputeDomain *cd);
/* for tests: the cycle's statistics from @records (NULL-terminated, as
 * virDomainListGetStats returns them) instead of the bulk call, which
 * libvirt's test driver answers with the state only */
PdComputeStats *
pd_compute_stats_get_from_records(PdCycleCache *cache,
				  PdComputePool *pool,
				  GPtrArray *resources,
				  virDomainStatsRecordPtr *records,
				  GError **error);
/* the statistics of @cd once @groups are answered (or failed); waits for
 * the pipeline that owns the domain, and queues groups no one asked for
 * yet. Never NULL; lives as long as the cycle. Read the bits with
 * g_atomic_int_get(). */
PdComputeDomainStats *
pd_compute_stats_lookup(PdComputeStats *stats, PdComputeDomain *cd, guint groups);
/* Meters read the statistics of up to PD_COMPUTE_STATS_WINDOW domains at a
 * time: one lock to release the records of the previous window and take
 * those of the next (the statistics lock was taken once per meter and
 * domain: 70,000 times a cycle at N=5000); then, per domain, a record whose
 * groups are answered is read without the lock. A record dies once every
 * meter known to read it (this cycle's, and those its sources had in
 * earlier cycles) has released it; a meter that comes later fetches it
 * again. Lives on the meter's stack. */
#define PD_COMPUTE_STATS_WINDOW 64
typedef struct {
	PdComputeStats *stats;
	guint64 meter; /* the meter's bit */
	guint groups;
	guint n;
	PdComputeDomainStats *ds[PD_COMPUTE_STATS_WINDOW];
} PdComputeStatsWindow;

/* @meter_index: the meter's index in pd_compute_meter_table() (below 64,
 * else the records it reads live until the cycle's end), remembered per
 * @source in the pool for the next cycles */
void
pd_compute_stats_window_init(PdComputeStatsWindow *w,
			     PdComputeStats *stats,
			     const gchar *source,
			     guint meter_index,
			     guint groups);
/* releases the window's records and takes those of @resources from @first
 * (up to PD_COMPUTE_STATS_WINDOW), queueing groups no one asked for yet */
void
pd_compute_stats_window_take(PdComputeStatsWindow *w, GPtrArray *resources, guint first);
/* the record of the @i-th domain taken, once its groups are answered */
PdComputeDomainStats *
pd_compute_stats_window_wait(PdComputeStatsWindow *w, guint i);
/* releases what the window holds */
void
pd_compute_stats_window_clear(PdComputeStatsWindow *w);
/* for tests: records alive, and freed before the cycle's end */
guint
pd_compute_stats_get_live(PdComputeStats *stats);
guint
pd_compute_stats_get_freed(PdComputeStats *stats);
/* for tests: the records alive past which a pipeline waits for the meters
 * (unless one waits for its domains), the times one waited so (a hold: one
 * before a chunk at most, however often it looked at its queue meanwhile),
 * and the µs all holds lasted */
#define PD_COMPUTE_STATS_LEAD 512
/* ... and how long a hold lasts at most */
#define PD_COMPUTE_STATS_HOLD_USEC (200 * G_TIME_SPAN_MILLISECOND)
guint
pd_compute_stats_get_held(PdComputeStats *stats);
gint64
pd_compute_stats_get_held_usec(PdComputeStats *stats);

/* for tests: meters woken in lookup() so far (each once its domain was
 * answered: a pipeline wakes no meter that would wait on), and waiting now */
guint
pd_compute_stats_get_wakeups(PdComputeStats *stats);
guint
pd_compute_stats_get_waiting(PdComputeStats *stats);
/* for tests: chunks of domains the pipelines answered (each wakes the
 * meters waiting for one of them) */
guint
pd_compute_stats_get_chunks(PdComputeStats *stats);
/* group index for PdComputeDomainStats.monotonic */
guint
pd_compute_group_index(guint group);

/* The bulk answer's record for each domain asked: @matched[r] is the one of
 * @asked (@n, in the order they were asked) that @records[r] answers, or
 * NULL: by name (pd_compute_connection_match_records()), by UUID only when that finds
 * none. Returns how many went by UUID (for tests). */
guint
pd_compute_stats_match_records(PdComputeDomainStats **asked,
			       guint n,
			       virDomainStatsRecordPtr *records,
			       PdComputeDomainStats **matched);

/* for tests: feed a bulk record of @inst into @ds */
PdComputeDomainStats *
pd_compute_domain_stats_new(PdComputeInstance *inst);
void
pd_compute_domain_stats_free(PdComputeDomainStats *ds);
void
pd_compute_domain_stats_apply_bulk(PdComputeDomainStats *ds,
				   PdComputeInstance *inst,
				   virTypedParameterPtr params,
				   gint nparams);

G_END_DECLS
