/*
 * polld - the compute discovery's insides, shared by its files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-compute-discovery.h"
#include "pd-compute-domain.h"
#include "pd-compute-listing.h"
#include "pd-compute-stats.h"

#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* what we know of one domain UUID between cycles */
typedef struct {
	guchar uuid[VIR_UUID_BUFLEN];	     /* raw, the cache's key */
	guint8 checksum[PD_COMPUTE_SUM_LEN]; /* of the XML the entry was parsed from */
	gboolean have_checksum;
	PdComputeInstance *inst; /* NULL: not a Nova instance */
	PdComputeDomain *snapshot;
	guint64 generation; /* last discovery that saw the domain */
	gint64 xml_time;    /* when the XML was last read (monotonic usec) */
	gint xml_state;	    /* the state then */
} PdComputeCacheEntry;

struct _PdComputeDiscovery {
	PdDiscovery parent_instance;
	PdComputePool *pool;
	GMutex lock;	   /* discoveries of two tasks may overlap */
	GHashTable *cache; /* raw uuid -> PdComputeCacheEntry */
	guint64 generation;
	gchar *host;
	PdCeilometerRelease release;		       /* whose metadata keys */
	GHashTable *flavor_ids;			       /* flavor name -> id */
	gint64 update_interval;			       /* usec; 0: read every XML every cycle */
	gint64 cache_expiry;			       /* usec; 0: never */
	gint64 cache_time;			       /* when the cache was last emptied */
	gint64 clock_offset;			       /* tests move the clock */
	guint64 conn_serial[PD_COMPUTE_POOL_MAX_SIZE]; /* the connections the cache
							   was last checked against */
	/* past libvirtd's listing limit: running domains' handles by ID, one
	 * table per pipeline, used by that pipeline's thread only */
	GHashTable *by_id[PD_COMPUTE_POOL_MAX_SIZE];
	/* each pipeline's last listing of its shard (PdComputeListed without
	 * the per-run fields), the connection and the time it was made */
	GArray *kept[PD_COMPUTE_POOL_MAX_SIZE];
	guint64 kept_serial[PD_COMPUTE_POOL_MAX_SIZE];
	gint64 kept_at[PD_COMPUTE_POOL_MAX_SIZE];
	guint listings, listings_kept; /* for tests: made, and reused instead */
	guint runs;		       /* discovery runs at work */
	/* for tests, per pipeline: listings of every domain on its own
	 * connection, listings taken from another's, and lookups by UUID */
	guint own_listings[PD_COMPUTE_POOL_MAX_SIZE];
	guint taken_listings[PD_COMPUTE_POOL_MAX_SIZE];
	guint lookups[PD_COMPUTE_POOL_MAX_SIZE];
	guint stated;		    /* for tests: domains whose state a roster gave */
	guint list_max;		    /* PD_COMPUTE_RPC_LIST_MAX; tests make it small */
	guint list_slice;	    /* PD_COMPUTE_LIST_SLICE; tests make it small */
	gboolean no_split_by_state; /* tests: past list_max, the slices only */
	guint answer_largest;	    /* for tests: see take_list_answers() */
	guint answer_records;
	GFunc between_answers; /* for tests: see set_between_answers() */
	gpointer between_data;
	GFunc roster_hook; /* for tests: see set_roster_hook() */
	gpointer roster_hook_data;
	PdComputeEarlyHook early_hook; /* for tests: see set_early_hook() */
	gpointer early_hook_data;
	/* for tests: per part of the last run, its size and the XML reads
	 * done by then (guint pairs) */
	GArray *parts_log;
	gdouble listed_at; /* for tests: when the last listing began */
	/* for tests: per pipeline, the domains its early part handed over in
	 * the last run */
	guint early_handed[PD_COMPUTE_POOL_MAX_SIZE];
	/* for tests: per pipeline, the ID listings its early part made in
	 * the last run */
	guint early_listings[PD_COMPUTE_POOL_MAX_SIZE];
	/* for tests: per pipeline, whether its early part's wait in the last
	 * run ended on a job (statistics, or the engine done with the part) */
	gboolean early_woken[PD_COMPUTE_POOL_MAX_SIZE];
	/* for tests: per pipeline, when its shard of the last run began */
	gdouble started_at[PD_COMPUTE_POOL_MAX_SIZE];
};

/* what this discovery knows about changes since the last one */
typedef struct {
	gboolean events;     /* domain events on the connection: only changed XML is due */
	gboolean all;	     /* events were missed: everything is due */
	GHashTable *changed; /* raw UUIDs with an event */
} PdComputeChanges;

/* One discovery run. Each pipeline lists the domains on its connection and
 * keeps its shard; the known domains whose XML is not due go to the
 * pollsters at once, the others as their XML is read, in chunks that grow
 * from a few domains (the first samples leave while the rest is read) to
 * PD_COMPUTE_READ_CHUNK_MAX. Each chunk is a job of its own, queued behind
 * what the pollsters queued meanwhile (the statistics of the domains handed
 * over), so reads and statistics take turns on the connection. */
#define PD_COMPUTE_READ_CHUNK_MIN 2
#define PD_COMPUTE_READ_CHUNK_MAX 256

typedef struct {
	PdComputeDiscovery *self;
	PdDiscoveryParts *parts; /* NULL: the run keeps what it finds */
	PdCycleCache *cache;	 /* the caller's cycle, with parts */
	GPtrArray *found;	 /* PdResource, without parts */
	guint64 generation;
	gint64 now;
	GMutex lock; /* the fields below, and found */
	GCond cond;
	guint pending; /* shards at work */
	guint listing; /* shards whose listing is not in yet */
	guint domains, reads, handed;
	guint reads_done; /* so far, every shard */
	gboolean early;	  /* nothing known yet: a first part before the listing */
	/* running domains of the other shards that an early part looked up:
	 * their early parts look these up by UUID (libvirtd's hash) instead
	 * of listing IDs, which walks every domain */
	guchar early_found[PD_COMPUTE_POOL_MAX_SIZE][PD_COMPUTE_READ_CHUNK_MIN][VIR_UUID_BUFLEN];
	guint n_early_found[PD_COMPUTE_POOL_MAX_SIZE];
	struct _PdComputeShard *shards; /* one per pipeline */
	guint n_shards;
	/* the first pipeline's listing of every domain in this run, raw UUIDs
	 * (NULL: none), once roster_done; the others take their shards from it */
	GByteArray *roster;
	/* the state of each roster domain (NULL: not known; see
	 * PdComputeListingArgs) */
	GByteArray *roster_states;
	gboolean roster_done;
	GCond roster_cond;
	GError *error;
} PdComputeRun;

/* one pipeline's part of a run: the domains whose handles its connection
 * holds */
typedef struct _PdComputeShard {
	PdComputeRun *run;
	guint index;
	virConnectPtr conn; /* a reference, NULL when it could not list */
	GArray *listed;	    /* PdComputeListed */
	GPtrArray *todo;    /* the listed whose XML is due, borrowed */
	guint next;	    /* the first of todo not read yet */
	guint chunk;	    /* how many the next read job reads */
	PdComputeChanges ch;
	guint64 serial;
	GArray *early;	   /* PdComputeListed handed over before the listing */
	gboolean kept;	   /* the last listing stands */
	gboolean taken;	   /* from the first pipeline's listing */
	GPtrArray *steady; /* PdResource: listed, XML not due, not handed over yet */
	GArray *owner;	   /* then: the kept listing, whose handles listed borrows */
	GError *error;
} PdComputeShard;

/* pd-compute-discovery-listing.c: every domain of the shard and its
 * state (or the last listing); FALSE: sh->error is set */
gboolean
pd_compute_discovery_listing_shard(PdComputeShard *sh, PdComputeConnection *conn);
/* the first pipeline's listing of this run (NULL: none) for the others */
void
pd_compute_discovery_listing_publish_roster(PdComputeRun *run,
					    GByteArray *roster,
					    GByteArray *states);

G_END_DECLS
