/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include "pd-compute-discovery.h"
#include "pd-compute-domain.h"
#include "pd-compute-stats.h"

#include <libvirt/virterror.h>
#include <string.h>

/* what we know of one domain UUID between cycles */
#define PD_COMPUTE_SUM_LEN 20 /* SHA-1 */

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

/* what reading one due XML found; lives from the read to the visit only,
 * so a listing of every domain stays small */
typedef struct {
	/* the cache's checksum when the read began: the pipeline parses the
	 * XML at once when it differs, so no XML outlives its read */
	guint8 old_checksum[PD_COMPUTE_SUM_LEN];
	gboolean have_old;
	guint8 checksum[PD_COMPUTE_SUM_LEN];
	gboolean changed;	 /* read, and not what the cache holds */
	PdComputeInstance *inst; /* parsed when changed; NULL: no instance */
	gchar *parse_error;
} PdComputeRead;

/* one domain of this cycle's listing */
typedef struct {
	virDomainPtr dom;
	gint state;
	guchar uuid[VIR_UUID_BUFLEN];
	gboolean xml_due;  /* read this cycle, else the cached one stands */
	gboolean read;	   /* due and read (FALSE: vanished, or a failure) */
	PdComputeRead *rd; /* between the read and the visit */
} PdComputeListed;

struct _PdComputeDiscovery {
	PdDiscovery parent_instance;
	PdComputePool *pool;
	GMutex lock;	   /* discoveries of two tasks may overlap */
	GHashTable *cache; /* raw uuid -> PdComputeCacheEntry */
	guint64 generation;
	gchar *host;
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
	guint list_max;		       /* PD_COMPUTE_RPC_LIST_MAX; tests make it small */
	GFunc between_answers;	       /* for tests: see set_between_answers() */
	gpointer between_data;
	/* for tests: per part of the last run, its size and the XML reads
	 * done by then (guint pairs) */
	GArray *parts_log;
	gdouble listed_at; /* for tests: when the last listing began */
};

/* what this discovery knows about changes since the last one */
typedef struct {
	gboolean events;     /* domain events on the connection: only changed XML is due */
	gboolean all;	     /* events were missed: everything is due */
	GHashTable *changed; /* raw UUIDs with an event */
} PdComputeChanges;

G_DEFINE_TYPE(PdComputeDiscovery, pd_compute_discovery, PD_TYPE_DISCOVERY)

static gint64
pd_compute_discovery_now(PdComputeDiscovery *self)
{
	return g_get_monotonic_time() + self->clock_offset;
}

static void
pd_compute_cache_entry_free(PdComputeCacheEntry *entry)
{
	g_clear_pointer(&entry->inst, pd_compute_instance_unref);
	g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	g_free(entry);
}

static const gchar *
pd_compute_discovery_flavor_id(PdComputeDiscovery *self, PdComputeInstance *inst)
{
	const gchar *id;

	if (inst->profile->flavor_id != NULL)
		return inst->profile->flavor_id;
	id = g_hash_table_lookup(self->flavor_ids, inst->profile->flavor_name);
	/* Ceilometer asks Nova and falls back to the name when Nova doesn't know */
	return id != NULL ? id : inst->profile->flavor_name;
}

static void
pd_compute_read_free(PdComputeRead *rd)
{
	g_clear_pointer(&rd->inst, pd_compute_instance_unref);
	g_free(rd->parse_error);
	g_free(rd);
}

static void
pd_compute_cache_entry_update_xml(PdComputeCacheEntry *entry, PdComputeListed *l)
{
	PdComputeRead *rd = l->rd;

	if (rd == NULL || !rd->changed)
		return;
	memcpy(entry->checksum, rd->checksum, PD_COMPUTE_SUM_LEN);
	entry->have_checksum = TRUE;
	g_clear_pointer(&entry->inst, pd_compute_instance_unref);
	g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	entry->inst = g_steal_pointer(&rd->inst);
	/* logged once per XML change, not once per cycle */
	if (rd->parse_error != NULL) {
		gchar uuid[VIR_UUID_STRING_BUFLEN];
		virDomainGetUUIDString(l->dom, uuid);
		g_warning("domain %s skipped: %s", uuid, rd->parse_error);
	}
}

/* is @entry's snapshot's handle one of @conn's? The listing's own handle
 * is (a kept listing hands the same one every cycle, and the snapshot holds
 * a reference to its handle, so the address is not reused meanwhile);
 * virDomainGetConnect() logs the domain's UUID formatted, about 7,000
 * instructions, every domain every cycle. */
static gboolean
pd_compute_snapshot_is_of(PdComputeCacheEntry *entry, PdComputeListed *l, virConnectPtr conn)
{
	return entry->snapshot->dom == l->dom || virDomainGetConnect(entry->snapshot->dom) == conn;
}

/* NULL when the domain is no instance */
static PdComputeDomain *
pd_compute_discovery_visit(PdComputeDiscovery *self,
			   virConnectPtr conn,
			   PdComputeListed *l,
			   gint64 now,
			   guint64 generation)
{
	PdComputeCacheEntry *entry;

	/* vanished meanwhile */
	if (l->xml_due && !l->read)
		return NULL;
	entry = g_hash_table_lookup(self->cache, l->uuid);
	if (entry == NULL) {
		entry = g_new0(PdComputeCacheEntry, 1);
		memcpy(entry->uuid, l->uuid, VIR_UUID_BUFLEN);
		g_hash_table_insert(self->cache, entry->uuid, entry);
	}
	entry->generation = MAX(entry->generation, generation);
	if (l->read) {
		pd_compute_cache_entry_update_xml(entry, l);
		entry->xml_time = now;
		entry->xml_state = l->state;
	}
	if (entry->inst == NULL)
		return NULL;
	/* the snapshot holds a domain handle: rebuild it after a reconnection */
	if (entry->snapshot != NULL &&
	    (entry->snapshot->state != l->state || !pd_compute_snapshot_is_of(entry, l, conn)))
		g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	if (entry->snapshot == NULL) {
		entry->snapshot =
		  pd_compute_domain_new(entry->inst,
					l->dom,
					l->state,
					self->host,
					pd_compute_discovery_flavor_id(self, entry->inst));
	}
	return pd_compute_domain_ref(entry->snapshot);
}

/* the domains no run since @generation saw (runs of two tasks may overlap) */
static void
pd_compute_discovery_prune(PdComputeDiscovery *self, guint64 generation)
{
	GHashTableIter iter;
	PdComputeCacheEntry *entry;

	g_hash_table_iter_init(&iter, self->cache);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&entry)) {
		if (entry->generation < generation)
			g_hash_table_iter_remove(&iter);
	}
}

/* The XML of a known domain is read again when its state changed (a started
 * domain gets its tap devices), when [compute] resource_update_interval is over
 * (0: every cycle, unless domain events say what changed), when an event came
 * for it, or when the connection is new (libvirtd restarted, events missed). */
static gboolean
pd_compute_discovery_xml_due(PdComputeDiscovery *self,
			     virConnectPtr conn,
			     PdComputeListed *l,
			     gint64 now,
			     const PdComputeChanges *ch)
{
	PdComputeCacheEntry *entry = g_hash_table_lookup(self->cache, l->uuid);

	if (entry == NULL || entry->xml_state != l->state)
		return TRUE;
	if (self->update_interval > 0 && now - entry->xml_time >= self->update_interval)
		return TRUE;
	if (ch->events)
		return ch->all || g_hash_table_contains(ch->changed, l->uuid);
	if (self->update_interval <= 0)
		return TRUE;
	return entry->snapshot != NULL && !pd_compute_snapshot_is_of(entry, l, conn);
}

static void
pd_compute_listed_clear(PdComputeListed *l)
{
	g_clear_pointer(&l->dom, virDomainFree);
	g_clear_pointer(&l->rd, pd_compute_read_free);
}

/* --- listing: one round trip for every domain and its state --- */

static gboolean
pd_compute_listed_set(PdComputeListed *l, virDomainPtr dom, virTypedParameterPtr params, gint n)
{
	gint state = -1, reason;

	if (params != NULL && virTypedParamsGetInt(params, n, "state.state", &state) != 1)
		state = -1;
	/* a driver whose bulk answer lacks the state: ask per domain */
	if (state < 0 && virDomainGetState(dom, &state, &reason, 0) < 0)
		return FALSE;
	if (virDomainGetUUID(dom, l->uuid) < 0)
		return FALSE;
	virDomainRef(dom);
	l->dom = dom;
	l->state = state;
	return TRUE;
}

static GArray *
pd_compute_list_bulk(virConnectPtr conn)
{
	virDomainStatsRecordPtr *records = NULL;
	GArray *listed;
	gint n = virConnectGetAllDomainStats(conn, VIR_DOMAIN_STATS_STATE, &records, 0);

	if (n < 0)
		return NULL;
	listed = g_array_sized_new(FALSE, TRUE, sizeof(PdComputeListed), n);
	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listed_clear);
	for (gint i = 0; i < n; i++) {
		PdComputeListed l = { NULL };
		if (pd_compute_listed_set(
		      &l, records[i]->dom, records[i]->params, records[i]->nparams))
			g_array_append_val(listed, l);
	}
	virDomainStatsRecordListFree(records);
	return listed;
}

/* drivers without bulk statistics: a listing, then the state per domain */
static GArray *
pd_compute_list_each(virConnectPtr conn)
{
	virDomainPtr *doms = NULL;
	GArray *listed;
	gint n = virConnectListAllDomains(conn, &doms, 0);

	if (n < 0)
		return NULL;
	listed = g_array_sized_new(FALSE, TRUE, sizeof(PdComputeListed), n);
	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listed_clear);
	for (gint i = 0; i < n; i++) {
		PdComputeListed l = { NULL };
		if (pd_compute_listed_set(&l, doms[i], NULL, 0))
			g_array_append_val(listed, l);
		virDomainFree(doms[i]);
	}
	free(doms);
	return listed;
}

/* libvirtd refuses an answer with more domains (or statistics records)
 * than this: a longer listing goes in slices */
#define PD_COMPUTE_RPC_LIST_MAX 16384
#define PD_COMPUTE_STATE_CHUNK 1024

static void
pd_compute_listed_add_records(GArray *listed, virDomainStatsRecordPtr *records, gint n)
{
	for (gint i = 0; i < n; i++) {
		PdComputeListed l = { NULL };
		if (pd_compute_listed_set(
		      &l, records[i]->dom, records[i]->params, records[i]->nparams))
			g_array_append_val(listed, l);
	}
}

static void
pd_compute_dom_free(gpointer dom)
{
	virDomainFree(dom);
}

/* the running domains beyond one answer, by ID */
typedef struct {
	virConnectPtr conn;
	GArray *listed;	   /* where they go */
	GHashTable *uuids; /* raw UUIDs listed so far: each domain once */
	GHashTable *old;   /* ID -> handle, from the last cycle */
	GHashTable *next;  /* ID -> handle, for the next cycle */
	guint found;	   /* running domains listed */
	gint max_id;
} PdComputeById;

/* the states of @ids' handles, in answers of a bounded size; the running
 * ones are listed (once by UUID) and their handles kept for the next cycle,
 * the others (stopped since, or started again under another ID) dropped */
static gboolean
pd_compute_by_id_states(PdComputeById *b, GArray *ids, GPtrArray *doms)
{
	g_autoptr(GHashTable) added =
	  g_hash_table_new_full(pd_compute_uuid_hash, pd_compute_uuid_equal, g_free, NULL);

	for (guint off = 0; off < doms->len; off += PD_COMPUTE_STATE_CHUNK) {
		guint n = MIN(PD_COMPUTE_STATE_CHUNK, doms->len - off);
		g_autofree virDomainPtr *slice = g_new0(virDomainPtr, n + 1);
		virDomainStatsRecordPtr *records = NULL;
		gint got;

		memcpy(slice, doms->pdata + off, n * sizeof(virDomainPtr));
		got = virDomainListGetStats(slice, VIR_DOMAIN_STATS_STATE, &records, 0);
		if (got < 0)
			return FALSE;
		for (gint i = 0; i < got; i++) {
			PdComputeListed l = { NULL };
			if (!pd_compute_listed_set(
			      &l, records[i]->dom, records[i]->params, records[i]->nparams))
				continue;
			if (l.state == VIR_DOMAIN_SHUTOFF ||
			    g_hash_table_contains(b->uuids, l.uuid)) {
				pd_compute_listed_clear(&l);
				continue;
			}
			g_hash_table_add(b->uuids, g_memdup2(l.uuid, VIR_UUID_BUFLEN));
			g_hash_table_add(added, g_memdup2(l.uuid, VIR_UUID_BUFLEN));
			g_array_append_val(b->listed, l);
			b->found++;
		}
		virDomainStatsRecordListFree(records);
	}
	for (guint i = 0; i < doms->len; i++) {
		guchar uuid[VIR_UUID_BUFLEN];
		virDomainPtr dom = g_ptr_array_index(doms, i);
		if (virDomainGetUUID(dom, uuid) == 0 && g_hash_table_contains(added, uuid))
			g_hash_table_insert(
			  b->next, GINT_TO_POINTER(g_array_index(ids, gint, i)), dom);
		else
			virDomainFree(dom);
	}
	return TRUE;
}

/* the IDs the listing gave: handles kept from the last cycle, or looked
 * up (a lookup by ID is a scan of every domain in libvirt's test driver,
 * so only new IDs are looked up) */
static gboolean
pd_compute_by_id_listed(PdComputeById *b, guint list_max)
{
	g_autofree gint *ids = g_new(gint, list_max);
	gint n_ids = virConnectListDomains(b->conn, ids, (gint)list_max);
	g_autoptr(GArray) batch_ids = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autoptr(GPtrArray) batch = g_ptr_array_new();

	if (n_ids < 0)
		return FALSE;
	for (gint i = 0; i < n_ids; i++) {
		gpointer dom = NULL;
		b->max_id = MAX(b->max_id, ids[i]);
		if (!g_hash_table_steal_extended(b->old, GINT_TO_POINTER(ids[i]), NULL, &dom))
			dom = virDomainLookupByID(b->conn, ids[i]);
		/* NULL: stopped meanwhile */
		if (dom == NULL)
			continue;
		g_array_append_val(batch_ids, ids[i]);
		g_ptr_array_add(batch, dom);
	}
	return pd_compute_by_id_states(b, batch_ids, batch);
}

/* the IDs the listing left out: those the last cycle found, then new ones
 * tried one by one (IDs are handed out in order: up to 1024 past the
 * highest known) */
static gboolean
pd_compute_by_id_rest(PdComputeById *b, guint n_active)
{
	g_autoptr(GArray) batch_ids = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autoptr(GPtrArray) batch = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, b->old);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		gint id = GPOINTER_TO_INT(key);
		g_hash_table_iter_steal(&iter);
		b->max_id = MAX(b->max_id, id);
		g_array_append_val(batch_ids, id);
		g_ptr_array_add(batch, value);
	}
	if (!pd_compute_by_id_states(b, batch_ids, batch))
		return FALSE;
	for (gint id = 0; b->found < n_active && id <= b->max_id + 1024; id++) {
		g_autoptr(GArray) one_id = NULL;
		g_autoptr(GPtrArray) one = NULL;
		virDomainPtr dom;

		if (g_hash_table_contains(b->next, GINT_TO_POINTER(id)))
			continue;
		dom = virDomainLookupByID(b->conn, id);
		if (dom == NULL)
			continue;
		b->max_id = MAX(b->max_id, id);
		one_id = g_array_new(FALSE, FALSE, sizeof(gint));
		one = g_ptr_array_new();
		g_array_append_val(one_id, id);
		g_ptr_array_add(one, dom);
		if (!pd_compute_by_id_states(b, one_id, one))
			return FALSE;
	}
	virResetLastError();
	return TRUE;
}

/* the running domains when there are more than one answer carries; the
 * handles are kept by ID in @by_id from cycle to cycle */
static gboolean
pd_compute_list_active_by_id(virConnectPtr conn,
			     guint n_active,
			     guint list_max,
			     GHashTable **by_id,
			     GArray *listed)
{
	g_autoptr(GHashTable) uuids =
	  g_hash_table_new_full(pd_compute_uuid_hash, pd_compute_uuid_equal, g_free, NULL);
	g_autoptr(GHashTable) old = g_steal_pointer(by_id);
	g_autoptr(GHashTable) next = g_hash_table_new_full(NULL, NULL, NULL, pd_compute_dom_free);
	PdComputeById b = { conn, listed, uuids, NULL, next, 0, 0 };

	if (old == NULL)
		old = g_hash_table_new_full(NULL, NULL, NULL, pd_compute_dom_free);
	b.old = old;
	if (!pd_compute_by_id_listed(&b, list_max) || !pd_compute_by_id_rest(&b, n_active))
		return FALSE;
	g_debug("listing: %u running domains by ID", b.found);
	*by_id = g_steal_pointer(&next);
	return TRUE;
}

/* the filters the running domains' listing is split by when it does not
 * fit one answer: persistent or transient, then running, paused or other */
static const guint pd_compute_split_dims[][3] = {
	{ VIR_CONNECT_GET_ALL_DOMAINS_STATS_PERSISTENT,
	  VIR_CONNECT_GET_ALL_DOMAINS_STATS_TRANSIENT,
	  0 },
	{ VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING,
	  VIR_CONNECT_GET_ALL_DOMAINS_STATS_PAUSED,
	  VIR_CONNECT_GET_ALL_DOMAINS_STATS_OTHER },
};

/* the running domains matching @flags into @out, in one answer, or in
 * answers split by the filters from @dim on; FALSE when one still does not
 * fit (libvirtd refuses it; @list_max checks it here too, for tests) */
static gboolean
pd_compute_list_split(virConnectPtr conn, guint flags, guint dim, guint list_max, GArray *out)
{
	virDomainStatsRecordPtr *records = NULL;
	gint n = virConnectGetAllDomainStats(
	  conn, VIR_DOMAIN_STATS_STATE, &records, VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE | flags);

	if (n >= 0 && (guint)n <= list_max) {
		pd_compute_listed_add_records(out, records, n);
		virDomainStatsRecordListFree(records);
		return TRUE;
	}
	if (records != NULL)
		virDomainStatsRecordListFree(records);
	/* a connection that is gone is no reason to split */
	if (dim >= G_N_ELEMENTS(pd_compute_split_dims) || virConnectIsAlive(conn) != 1)
		return FALSE;
	for (guint i = 0; i < 3 && pd_compute_split_dims[dim][i] != 0; i++) {
		if (!pd_compute_list_split(
		      conn, flags | pd_compute_split_dims[dim][i], dim + 1, list_max, out))
			return FALSE;
	}
	return TRUE;
}

/* the running domains past one answer, split by filters (no lookup by ID,
 * which libvirt's test driver answers with a scan of every domain); FALSE:
 * some filter still matches too many, nothing added */
static gboolean
pd_compute_list_active_split(virConnectPtr conn, guint list_max, GArray *listed)
{
	g_autoptr(GArray) part = g_array_new(FALSE, TRUE, sizeof(PdComputeListed));

	g_array_set_clear_func(part, (GDestroyNotify)pd_compute_listed_clear);
	/* all running ones in one answer is known not to fit */
	for (guint i = 0; i < 3 && pd_compute_split_dims[0][i] != 0; i++) {
		if (!pd_compute_list_split(conn, pd_compute_split_dims[0][i], 1, list_max, part)) {
			virResetLastError();
			return FALSE;
		}
	}
	g_debug("listing: %u running domains in answers split by filters", part->len);
	for (guint i = 0; i < part->len; i++) {
		g_array_append_val(listed, g_array_index(part, PdComputeListed, i));
		memset(&g_array_index(part, PdComputeListed, i), 0, sizeof(PdComputeListed));
	}
	return TRUE;
}

/* A listing in several answers sees each domain at another moment: one
 * started after the inactive ones were answered, or paused between the
 * running and the paused answer, is in two of them. The later answer
 * stands: a discovery gives each domain once a run (the engine keeps no set
 * of the ids a discovery in parts gives). */
static void
pd_compute_listed_dedupe(GArray *listed)
{
	g_autoptr(GHashTable) last = g_hash_table_new(pd_compute_uuid_hash, pd_compute_uuid_equal);
	g_autofree gboolean *keep = NULL;
	guint w = 0;

	for (guint i = 0; i < listed->len; i++)
		g_hash_table_insert(
		  last, g_array_index(listed, PdComputeListed, i).uuid, GUINT_TO_POINTER(i));
	if (g_hash_table_size(last) == listed->len)
		return;
	/* decided before anything moves: the table's keys point into @listed */
	keep = g_new(gboolean, listed->len);
	for (guint i = 0; i < listed->len; i++)
		keep[i] = GPOINTER_TO_UINT(g_hash_table_lookup(
			    last, g_array_index(listed, PdComputeListed, i).uuid)) == i;
	for (guint i = 0; i < listed->len; i++) {
		PdComputeListed *l = &g_array_index(listed, PdComputeListed, i);
		if (!keep[i])
			pd_compute_listed_clear(l);
		else
			g_array_index(listed, PdComputeListed, w++) = *l;
	}
	/* the entries past @w were moved or cleared above */
	g_array_set_clear_func(listed, NULL);
	g_array_set_size(listed, w);
	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listed_clear);
}

/* past PD_COMPUTE_RPC_LIST_MAX domains: the inactive ones in one answer,
 * the running ones in answers split by filters, else by ID */
static GArray *
pd_compute_list_sliced(virConnectPtr conn,
		       gint n_active,
		       gint n_inactive,
		       GHashTable **by_id,
		       guint list_max,
		       GFunc between,
		       gpointer between_data)
{
	g_autoptr(GArray) listed =
	  g_array_sized_new(FALSE, TRUE, sizeof(PdComputeListed), (guint)(n_active + n_inactive));

	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listed_clear);
	if (n_inactive > 0) {
		virDomainStatsRecordPtr *records = NULL;
		gint n = virConnectGetAllDomainStats(conn,
						     VIR_DOMAIN_STATS_STATE,
						     &records,
						     VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE);
		if (n < 0)
			return NULL;
		pd_compute_listed_add_records(listed, records, n);
		virDomainStatsRecordListFree(records);
	}
	if (between != NULL)
		between(conn, between_data);
	if ((guint)n_active <= list_max) {
		virDomainStatsRecordPtr *records = NULL;
		gint n = virConnectGetAllDomainStats(
		  conn, VIR_DOMAIN_STATS_STATE, &records, VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE);
		if (n < 0)
			return NULL;
		pd_compute_listed_add_records(listed, records, n);
		virDomainStatsRecordListFree(records);
	} else if (pd_compute_list_active_split(conn, list_max, listed)) {
		g_clear_pointer(by_id, g_hash_table_unref);
	} else if (!pd_compute_list_active_by_id(conn, (guint)n_active, list_max, by_id, listed)) {
		return NULL;
	}
	pd_compute_listed_dedupe(listed);
	return g_steal_pointer(&listed);
}

static gboolean
pd_compute_by_id_is_of(GHashTable *by_id, virConnectPtr conn)
{
	GHashTableIter iter;
	gpointer dom;

	g_hash_table_iter_init(&iter, by_id);
	return !g_hash_table_iter_next(&iter, NULL, &dom) || virDomainGetConnect(dom) == conn;
}

/* @by_id: the handles kept by ID by an earlier listing on this pipeline */
static GArray *
pd_compute_list_domains_once(virConnectPtr conn,
			     GHashTable **by_id,
			     guint list_max,
			     GFunc between,
			     gpointer between_data)
{
	gint n_active = virConnectNumOfDomains(conn);
	gint n_inactive = n_active >= 0 ? virConnectNumOfDefinedDomains(conn) : -1;
	GArray *listed;

	if (n_active < 0 || n_inactive < 0)
		return NULL;
	if ((guint)(n_active + n_inactive) > list_max) {
		/* handles of an older connection are no use on this one */
		if (*by_id != NULL && !pd_compute_by_id_is_of(*by_id, conn))
			g_clear_pointer(by_id, g_hash_table_unref);
		return pd_compute_list_sliced(
		  conn, n_active, n_inactive, by_id, list_max, between, between_data);
	}
	g_clear_pointer(by_id, g_hash_table_unref);
	listed = pd_compute_list_bulk(conn);

	if (listed == NULL && pd_compute_last_error_code() == VIR_ERR_NO_SUPPORT)
		listed = pd_compute_list_each(conn);
	return listed;
}

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
	guint domains, reads, handed;
	guint reads_done;		/* so far, every shard */
	gboolean early;			/* nothing known yet: a first part before the listing */
	struct _PdComputeShard *shards; /* one per pipeline */
	guint n_shards;
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
	GArray *early; /* PdComputeListed handed over before the listing */
	gboolean kept; /* the last listing stands */
	GArray *owner; /* then: the kept listing, whose handles listed borrows */
	GError *error;
} PdComputeShard;

static void
pd_compute_shard_clear(PdComputeShard *sh)
{
	g_clear_pointer(&sh->listed, g_array_unref);
	g_clear_pointer(&sh->owner, g_array_unref);
	g_clear_pointer(&sh->early, g_array_unref);
	g_clear_pointer(&sh->todo, g_ptr_array_unref);
	g_clear_pointer(&sh->ch.changed, g_hash_table_unref);
	g_clear_pointer(&sh->conn, virConnectClose);
	g_clear_error(&sh->error);
}

/* keeps the domains of this shard only */
static void
pd_compute_shard_filter(PdComputeShard *sh)
{
	PdComputePool *pool = sh->run->self->pool;

	GArray *kept;

	if (pd_compute_pool_get_size(pool) == 1)
		return;
	for (guint i = sh->listed->len; i-- > 0;) {
		PdComputeListed *l = &g_array_index(sh->listed, PdComputeListed, i);
		if (pd_compute_pool_shard(pool, l->uuid) != sh->index)
			g_array_remove_index_fast(sh->listed, i);
	}
	/* the array was sized for every domain, and lives as long as the run */
	kept = g_array_sized_new(FALSE, FALSE, sizeof(PdComputeListed), sh->listed->len);
	g_array_set_clear_func(kept, (GDestroyNotify)pd_compute_listed_clear);
	g_array_append_vals(kept, sh->listed->data, sh->listed->len);
	g_array_set_clear_func(sh->listed, NULL);
	g_array_unref(sh->listed);
	sh->listed = kept;
}

/* the listing leaves out the domains the early part read */
static void
pd_compute_shard_drop_early(PdComputeShard *sh)
{
	if (sh->early == NULL || sh->early->len == 0)
		return;
	for (guint i = sh->listed->len; i-- > 0;) {
		PdComputeListed *l = &g_array_index(sh->listed, PdComputeListed, i);
		for (guint k = 0; k < sh->early->len; k++) {
			PdComputeListed *e = &g_array_index(sh->early, PdComputeListed, k);
			if (memcmp(l->uuid, e->uuid, VIR_UUID_BUFLEN) == 0) {
				g_array_remove_index_fast(sh->listed, i);
				break;
			}
		}
	}
}

/* a copy of @from's domains: handles (referenced), states and UUIDs */
static GArray *
pd_compute_listed_copy(GArray *from)
{
	GArray *to = g_array_sized_new(FALSE, TRUE, sizeof(PdComputeListed), from->len);

	g_array_set_clear_func(to, (GDestroyNotify)pd_compute_listed_clear);
	for (guint i = 0; i < from->len; i++) {
		PdComputeListed *f = &g_array_index(from, PdComputeListed, i);
		PdComputeListed l = { f->dom, f->state };
		memcpy(l.uuid, f->uuid, VIR_UUID_BUFLEN);
		virDomainRef(l.dom);
		g_array_append_val(to, l);
	}
	return to;
}

static void
pd_compute_listed_clear_borrowed(PdComputeListed *l)
{
	g_clear_pointer(&l->rd, pd_compute_read_free);
}

/* a copy of @from's domains that borrows their handles: @from (never
 * changed once kept) is referenced for as long as the copy is used.
 * libvirt logs every virDomainRef() and virDomainFree() with the domain's
 * UUID formatted (about 17,000 instructions the pair): N pairs a cycle. */
static GArray *
pd_compute_listed_borrow(GArray *from)
{
	GArray *to = g_array_sized_new(FALSE, FALSE, sizeof(PdComputeListed), from->len);

	g_array_set_clear_func(to, (GDestroyNotify)pd_compute_listed_clear_borrowed);
	/* kept entries have no read state: xml_due, read and rd are clear */
	g_array_append_vals(to, from->data, from->len);
	return to;
}

/* With domain events on the connection and none since its last listing
 * (lifecycle: defined, started, stopped, undefined...; metadata; devices),
 * that listing stands: the same domains, handles and states. Each
 * connection would list all N domains a cycle to keep its shard. A domain
 * that came or went without an event (never seen: a lost event means a new
 * connection, an overflow of the set means everything changed) shows at
 * the next listing anyway, at most PD_COMPUTE_RELIST_USEC later. */
#define PD_COMPUTE_RELIST_USEC (60 * G_USEC_PER_SEC)

static gboolean
pd_compute_shard_reuse_listing(PdComputeShard *sh)
{
	PdComputeDiscovery *self = sh->run->self;
	guint i = sh->index;
	gboolean quiet =
	  sh->ch.events && sh->ch.changed != NULL && g_hash_table_size(sh->ch.changed) == 0;

	g_mutex_lock(&self->lock);
	if (quiet && self->kept[i] != NULL && self->kept_serial[i] == sh->serial &&
	    sh->run->now - self->kept_at[i] < PD_COMPUTE_RELIST_USEC) {
		sh->listed = pd_compute_listed_borrow(self->kept[i]);
		sh->owner = g_array_ref(self->kept[i]);
		sh->kept = TRUE;
		self->listings_kept++;
	}
	g_mutex_unlock(&self->lock);
	return sh->listed != NULL;
}

static void
pd_compute_shard_keep_listing(PdComputeShard *sh)
{
	PdComputeDiscovery *self = sh->run->self;
	GArray *kept = sh->listed != NULL ? pd_compute_listed_copy(sh->listed) : NULL;

	g_mutex_lock(&self->lock);
	g_clear_pointer(&self->kept[sh->index], g_array_unref);
	self->kept[sh->index] = kept;
	self->kept_serial[sh->index] = sh->serial;
	self->kept_at[sh->index] = sh->run->now;
	if (kept != NULL)
		self->listings++;
	/* the changes were taken before a listing that failed: everything
	 * is due at the next one */
	if (kept == NULL)
		self->conn_serial[sh->index] = G_MAXUINT64;
	g_mutex_unlock(&self->lock);
}

/* every domain and its state in one round trip (or the last listing, see
 * above); FALSE: sh->error is set */
static gboolean
pd_compute_shard_list(PdComputeShard *sh, PdComputeConnection *conn)
{
	PdComputeDiscovery *self = sh->run->self;

	for (guint attempt = 0; attempt < 2; attempt++) {
		sh->conn = pd_compute_connection_get(conn, &sh->error);
		if (sh->conn == NULL)
			return FALSE;
		/* taken before the listing, which they may make unneeded; what
		 * comes meanwhile is the next cycle's */
		g_clear_pointer(&sh->ch.changed, g_hash_table_unref);
		sh->ch.events =
		  pd_compute_connection_take_changes(conn, sh->conn, &sh->ch.changed, &sh->serial);
		if (pd_compute_shard_reuse_listing(sh)) {
			pd_compute_shard_drop_early(sh);
			return TRUE;
		}
		sh->listed = pd_compute_list_domains_once(sh->conn,
							  &self->by_id[sh->index],
							  self->list_max,
							  self->between_answers,
							  self->between_data);
		if (sh->listed != NULL)
			break;
		/* a dead connection is reopened once right away */
		if (!pd_compute_connection_check_failure(conn, sh->conn) || attempt == 1) {
			pd_compute_set_virt_error(&sh->error, "listing libvirt domains");
			g_clear_pointer(&sh->conn, virConnectClose);
			pd_compute_shard_keep_listing(sh);
			return FALSE;
		}
		g_clear_pointer(&sh->conn, virConnectClose);
	}
	pd_compute_shard_filter(sh);
	pd_compute_shard_keep_listing(sh);
	pd_compute_shard_drop_early(sh);
	return TRUE;
}

/* before todo[first, first + n) are read: what the cache holds of them */
static void
pd_compute_discovery_begin_reads(PdComputeDiscovery *self, GPtrArray *todo, guint first, guint n)
{
	g_mutex_lock(&self->lock);
	for (guint i = first; i < first + n; i++) {
		PdComputeListed *l = g_ptr_array_index(todo, i);
		PdComputeCacheEntry *entry = g_hash_table_lookup(self->cache, l->uuid);
		l->rd = g_new0(PdComputeRead, 1);
		if (entry != NULL && entry->have_checksum) {
			memcpy(l->rd->old_checksum, entry->checksum, PD_COMPUTE_SUM_LEN);
			l->rd->have_old = TRUE;
		}
	}
	g_mutex_unlock(&self->lock);
}

/* the due XML of todo[first, first + n): read, hashed, parsed when changed */
static void
pd_compute_listed_read(GPtrArray *todo, guint first, guint n)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);

	for (guint i = first; i < first + n; i++) {
		PdComputeListed *l = g_ptr_array_index(todo, i);
		/* NULL: vanished meanwhile, or a failure the next cycle retries */
		g_autofree gchar *xml = virDomainGetXMLDesc(l->dom, 0);
		g_autoptr(GError) error = NULL;
		gsize len, sum_len = PD_COMPUTE_SUM_LEN;
		PdComputeRead *rd = l->rd;

		if (xml == NULL)
			continue;
		l->read = TRUE;
		len = strlen(xml);
		g_checksum_reset(sum);
		g_checksum_update(sum, (const guchar *)xml, (gssize)len);
		g_checksum_get_digest(sum, rd->checksum, &sum_len);
		if (rd->have_old && memcmp(rd->checksum, rd->old_checksum, PD_COMPUTE_SUM_LEN) == 0)
			continue;
		/* parsed here, beside the read: the pipelines parse in parallel
		 * and the discovery never holds every domain's XML at once */
		rd->changed = TRUE;
		rd->inst = pd_compute_instance_parse(xml, len, &error);
		if (error != NULL)
			rd->parse_error = g_strdup(error->message);
	}
}

static void
pd_compute_discovery_mark_due(PdComputeDiscovery *self, PdComputeShard *sh, gint64 now)
{
	sh->ch.all = sh->ch.changed == NULL || sh->serial != self->conn_serial[sh->index];
	self->conn_serial[sh->index] = sh->serial;
	sh->todo = g_ptr_array_new();
	for (guint i = 0; i < sh->listed->len; i++) {
		PdComputeListed *l = &g_array_index(sh->listed, PdComputeListed, i);
		l->xml_due = pd_compute_discovery_xml_due(self, sh->conn, l, now, &sh->ch);
		if (l->xml_due)
			g_ptr_array_add(sh->todo, l);
	}
}

/* called with the discovery's lock held */
static void
pd_compute_run_visit(PdComputeRun *run, PdComputeShard *sh, PdComputeListed *l, GPtrArray *out)
{
	PdComputeDomain *cd =
	  pd_compute_discovery_visit(run->self, sh->conn, l, run->now, run->generation);

	g_clear_pointer(&l->rd, pd_compute_read_free);
	if (cd != NULL)
		g_ptr_array_add(
		  out,
		  pd_resource_new(cd->inst->uuid, cd, (GDestroyNotify)pd_compute_domain_unref));
}

/* main thread: the engine keeps these domains of a part (the blacklist
 * and partitioning let them through): their statistics are queued now, not
 * once a meter's invocation on the earlier parts has returned, so that
 * every pipeline fetches its shard at once */
static void
pd_compute_run_accepted_cb(GPtrArray *accepted, gpointer user_data)
{
	pd_compute_stats_prefetch(user_data, accepted);
}

/* to the pollsters now, or kept for the result */
static void
pd_compute_run_hand_over(PdComputeRun *run, GPtrArray *resources, guint reads)
{
	guint entry[2] = { resources->len, 0 };

	g_mutex_lock(&run->lock);
	run->reads_done += reads;
	entry[1] = run->reads_done;
	g_mutex_unlock(&run->lock);
	if (resources->len == 0)
		return;
	if (run->parts != NULL) {
		g_mutex_lock(&run->self->lock);
		g_array_append_vals(run->self->parts_log, entry, 2);
		g_mutex_unlock(&run->self->lock);
		pd_discovery_parts_add_accepted(
		  run->parts, resources, pd_compute_run_accepted_cb, run->cache);
		g_mutex_lock(&run->lock);
		run->handed += resources->len;
		g_mutex_unlock(&run->lock);
		return;
	}
	g_mutex_lock(&run->lock);
	for (guint i = 0; i < resources->len; i++)
		g_ptr_array_add(run->found, pd_resource_ref(g_ptr_array_index(resources, i)));
	g_mutex_unlock(&run->lock);
}

static void
pd_compute_shard_done(PdComputeShard *sh)
{
	PdComputeRun *run = sh->run;

	g_mutex_lock(&run->lock);
	if (sh->error != NULL && run->error == NULL)
		run->error = g_steal_pointer(&sh->error);
	if (sh->listed != NULL)
		run->domains += sh->listed->len;
	if (sh->todo != NULL)
		run->reads += sh->todo->len;
	if (sh->early != NULL) {
		run->domains += sh->early->len;
		run->reads += sh->early->len;
	}
	if (--run->pending == 0)
		g_cond_signal(&run->cond);
	g_mutex_unlock(&run->lock);
}

/* on the pipeline's thread: the next chunk of due XML, then the domains
 * read to the pollsters; the rest in a job queued behind theirs */
static void
pd_compute_shard_read_cb(PdComputeConnection *conn, gpointer data)
{
	PdComputeShard *sh = data;
	PdComputeRun *run = sh->run;
	guint n = MIN(sh->chunk, sh->todo->len - sh->next);
	g_autoptr(GPtrArray) found =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);

	pd_compute_discovery_begin_reads(run->self, sh->todo, sh->next, n);
	pd_compute_listed_read(sh->todo, sh->next, n);
	g_mutex_lock(&run->self->lock);
	for (guint i = sh->next; i < sh->next + n; i++)
		pd_compute_run_visit(run, sh, g_ptr_array_index(sh->todo, i), found);
	g_mutex_unlock(&run->self->lock);
	sh->next += n;
	sh->chunk = MIN(sh->chunk * 2, PD_COMPUTE_READ_CHUNK_MAX);
	pd_compute_run_hand_over(run, found, n);
	if (sh->next < sh->todo->len) {
		pd_compute_pipeline_push(pd_compute_pool_get(run->self->pool, sh->index),
					 pd_compute_shard_read_cb,
					 sh,
					 NULL);
		return;
	}
	pd_compute_shard_done(sh);
}

/* The first discovery (nothing known yet) does not make the first samples
 * wait for the listing, one answer of every domain with its state (about
 * 60 ms of libvirtd's and polld's CPU at N=5000, four times that at 20,000):
 * each pipeline first finds a few running domains of its shard by ID (a
 * listing of a few IDs, then a lookup each), reads their XML and hands them
 * over; the listing then leaves them out. The statistics the pollsters queue
 * for them go before the listing: the pipeline waits for that job (up to
 * PD_COMPUTE_EARLY_WAIT_USEC, in case no meter asks for statistics). */
#define PD_COMPUTE_EARLY_IDS_PER_SHARD (2 * PD_COMPUTE_READ_CHUNK_MIN)
#define PD_COMPUTE_EARLY_WAIT_USEC (100 * 1000)

/* the early part: running domains of this shard, with their state */
static void
pd_compute_shard_find_early(PdComputeShard *sh, virConnectPtr conn)
{
	PdComputePool *pool = sh->run->self->pool;
	guint max_ids = PD_COMPUTE_EARLY_IDS_PER_SHARD * pd_compute_pool_get_size(pool);
	g_autofree gint *ids = g_new0(gint, max_ids);
	gint n = virConnectListDomains(conn, ids, (gint)max_ids);

	for (gint i = 0; i < n && sh->early->len < PD_COMPUTE_READ_CHUNK_MIN; i++) {
		virDomainPtr dom = virDomainLookupByID(conn, ids[i]);
		guchar uuid[VIR_UUID_BUFLEN];
		PdComputeListed l = { NULL };

		/* NULL: stopped meanwhile */
		if (dom == NULL)
			continue;
		if (virDomainGetUUID(dom, uuid) == 0 &&
		    pd_compute_pool_shard(pool, uuid) == sh->index &&
		    pd_compute_listed_set(&l, dom, NULL, 0)) {
			l.xml_due = TRUE;
			g_array_append_val(sh->early, l);
		}
		virDomainFree(dom);
	}
	/* a failure here is the listing's to report */
	virResetLastError();
}

/* TRUE when some domains were handed over */
static gboolean
pd_compute_shard_early(PdComputeShard *sh, PdComputeConnection *conn)
{
	PdComputeRun *run = sh->run;
	g_autoptr(GPtrArray) todo = g_ptr_array_new();
	g_autoptr(GPtrArray) found =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	gint64 start;

	sh->conn = pd_compute_connection_get(conn, NULL);
	if (sh->conn == NULL)
		return FALSE;
	start = g_get_monotonic_time();
	sh->early = g_array_new(FALSE, TRUE, sizeof(PdComputeListed));
	g_array_set_clear_func(sh->early, (GDestroyNotify)pd_compute_listed_clear);
	pd_compute_shard_find_early(sh, sh->conn);
	for (guint i = 0; i < sh->early->len; i++)
		g_ptr_array_add(todo, &g_array_index(sh->early, PdComputeListed, i));
	pd_compute_discovery_begin_reads(run->self, todo, 0, todo->len);
	pd_compute_listed_read(todo, 0, todo->len);
	g_mutex_lock(&run->self->lock);
	for (guint i = 0; i < todo->len; i++)
		pd_compute_run_visit(run, sh, g_ptr_array_index(todo, i), found);
	g_mutex_unlock(&run->self->lock);
	/* those not read (vanished, a failure) are the listing's */
	for (guint i = sh->early->len; i-- > 0;) {
		if (!g_array_index(sh->early, PdComputeListed, i).read)
			g_array_remove_index_fast(sh->early, i);
	}
	g_clear_pointer(&sh->conn, virConnectClose);
	pd_compute_run_hand_over(run, found, todo->len);
	g_debug("discovery: connection %u handed %u domains over before the listing in %.3f s",
		sh->index,
		found->len,
		(g_get_monotonic_time() - start) / (gdouble)G_USEC_PER_SEC);
	return found->len > 0;
}

/* called with the discovery's lock held: an event that came for an early
 * domain (maybe after its read) makes its XML due at the next discovery */
static void
pd_compute_shard_early_stale(PdComputeShard *sh)
{
	for (guint k = 0; sh->early != NULL && sh->ch.events && k < sh->early->len; k++) {
		PdComputeListed *e = &g_array_index(sh->early, PdComputeListed, k);
		PdComputeCacheEntry *entry = g_hash_table_lookup(sh->run->self->cache, e->uuid);
		if (entry != NULL &&
		    (sh->ch.changed == NULL || g_hash_table_contains(sh->ch.changed, e->uuid)))
			entry->xml_state = -1;
	}
}

/* on the pipeline's thread: the listing, the known domains whose XML is
 * not due to the pollsters, then the first chunk of reads */
static void
pd_compute_shard_list_cb(PdComputeConnection *conn, gpointer data)
{
	PdComputeShard *sh = data;
	PdComputeRun *run = sh->run;
	PdComputeDiscovery *self = run->self;
	g_autoptr(GPtrArray) found =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	gint64 start = g_get_monotonic_time();

	g_mutex_lock(&self->lock);
	self->listed_at = pd_sample_monotonic_now();
	g_mutex_unlock(&self->lock);
	if (!pd_compute_shard_list(sh, conn)) {
		pd_compute_shard_done(sh);
		return;
	}
	g_debug("discovery: connection %u %s %u domains of its shard in %.3f s",
		sh->index,
		sh->kept ? "kept its listing (no domain event) of" : "listed",
		sh->listed->len,
		(g_get_monotonic_time() - start) / (gdouble)G_USEC_PER_SEC);
	g_mutex_lock(&self->lock);
	pd_compute_shard_early_stale(sh);
	pd_compute_discovery_mark_due(self, sh, run->now);
	for (guint i = 0; i < sh->listed->len; i++) {
		PdComputeListed *l = &g_array_index(sh->listed, PdComputeListed, i);
		if (!l->xml_due)
			pd_compute_run_visit(run, sh, l, found);
	}
	g_mutex_unlock(&self->lock);
	pd_compute_run_hand_over(run, found, 0);
	sh->chunk = PD_COMPUTE_READ_CHUNK_MIN;
	if (sh->todo->len == 0) {
		pd_compute_shard_done(sh);
		return;
	}
	pd_compute_shard_read_cb(conn, sh);
}

static void
pd_compute_run_start_shard(PdComputeRun *run, guint i);

/* on the pipeline's thread: the first discovery hands a first part over
 * before the listing, and lets the statistics the pollsters queue for it
 * go before the listing too */
static void
pd_compute_shard_start_cb(PdComputeConnection *conn, gpointer data)
{
	PdComputeShard *sh = data;
	PdComputePipeline *pipeline;
	gboolean handed = sh->run->early && pd_compute_shard_early(sh, conn);
	gboolean queued;
	gint64 start;

	for (guint i = 1; sh->run->early && sh->index == 0 && i < sh->run->n_shards; i++)
		pd_compute_run_start_shard(sh->run, i);
	if (!handed) {
		pd_compute_shard_list_cb(conn, sh);
		return;
	}
	pipeline = pd_compute_pool_get(sh->run->self->pool, sh->index);
	start = g_get_monotonic_time();
	queued = pd_compute_pipeline_wait_job(pipeline, PD_COMPUTE_EARLY_WAIT_USEC);
	g_debug("discovery: connection %u: %s in %.3f s, then the listing",
		sh->index,
		queued ? "a job queued" : "no job queued",
		(g_get_monotonic_time() - start) / (gdouble)G_USEC_PER_SEC);
	pd_compute_pipeline_push(pipeline, pd_compute_shard_list_cb, sh, NULL);
}

static void
pd_compute_run_start_shard(PdComputeRun *run, guint i)
{
	/* ahead of queued statistics: the discovery's caller waits */
	pd_compute_pipeline_push_front(pd_compute_pool_get(run->self->pool, i),
				       pd_compute_shard_start_cb,
				       &run->shards[i],
				       NULL);
}

static void
pd_compute_run_begin(PdComputeDiscovery *self, PdComputeRun *run)
{
	g_mutex_init(&run->lock);
	g_cond_init(&run->cond);
	g_mutex_lock(&self->lock);
	run->now = pd_compute_discovery_now(self);
	run->generation = ++self->generation;
	g_array_set_size(self->parts_log, 0);
	/* a full refresh now and then, as Ceilometer's resource_cache_expiry */
	if (self->cache_expiry > 0 && run->now - self->cache_time >= self->cache_expiry) {
		g_hash_table_remove_all(self->cache);
		for (guint i = 0; i < PD_COMPUTE_POOL_MAX_SIZE; i++)
			g_clear_pointer(&self->kept[i], g_array_unref);
		self->cache_time = run->now;
	}
	run->early = run->parts != NULL && g_hash_table_size(self->cache) == 0;
	g_mutex_unlock(&self->lock);
}

/* the shards start on their pipelines at once, ahead of queued statistics
 * (the caller waits); the cache is pruned once every shard is done */
static GPtrArray *
pd_compute_discovery_run(PdComputeDiscovery *self,
			 PdDiscoveryParts *parts,
			 PdCycleCache *cache,
			 GError **error)
{
	guint n = pd_compute_pool_get_size(self->pool);
	g_autofree PdComputeShard *shards = g_new0(PdComputeShard, n);
	PdComputeRun run = { self, parts, cache, NULL };
	GPtrArray *resources = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);

	run.found = resources;
	run.pending = n;
	run.shards = shards;
	run.n_shards = n;
	pd_compute_run_begin(self, &run);
	for (guint i = 0; i < n; i++)
		shards[i] = (PdComputeShard){ .run = &run, .index = i };
	/* the first discovery starts the other shards (opening their
	 * connections) once the first one's early part is out */
	for (guint i = 0; i < (run.early ? 1 : n); i++)
		pd_compute_run_start_shard(&run, i);
	g_mutex_lock(&run.lock);
	while (run.pending > 0)
		g_cond_wait(&run.cond, &run.lock);
	g_mutex_unlock(&run.lock);
	for (guint i = 0; i < n; i++)
		pd_compute_shard_clear(&shards[i]);
	g_cond_clear(&run.cond);
	g_mutex_clear(&run.lock);
	if (run.error != NULL) {
		/* what was handed over is polled; nothing is forgotten */
		g_propagate_error(error, run.error);
		g_ptr_array_unref(resources);
		return NULL;
	}
	g_mutex_lock(&self->lock);
	pd_compute_discovery_prune(self, run.generation);
	g_mutex_unlock(&self->lock);
	g_debug("discovery: %u domains, %u XML reads, %u handed over in parts, in %.3f s",
		run.domains,
		run.reads,
		run.handed,
		(pd_compute_discovery_now(self) - run.now) / (gdouble)G_USEC_PER_SEC);
	return resources;
}

static GPtrArray *
pd_compute_discovery_discover(PdDiscovery *discovery,
			      const gchar *param,
			      PdCycleCache *cache,
			      GCancellable *cancellable,
			      GError **error)
{
	return pd_compute_discovery_run(PD_COMPUTE_DISCOVERY(discovery), NULL, NULL, error);
}

static GPtrArray *
pd_compute_discovery_discover_parts(PdDiscovery *discovery,
				    const gchar *param,
				    PdCycleCache *cache,
				    PdDiscoveryParts *parts,
				    GCancellable *cancellable,
				    GError **error)
{
	return pd_compute_discovery_run(PD_COMPUTE_DISCOVERY(discovery), parts, cache, error);
}

void
pd_compute_discovery_set_refresh(PdComputeDiscovery *self,
				 gint64 update_interval,
				 gint64 cache_expiry)
{
	g_mutex_lock(&self->lock);
	self->update_interval = MAX(update_interval, 0);
	self->cache_expiry = MAX(cache_expiry, 0);
	g_mutex_unlock(&self->lock);
}

void
pd_compute_discovery_advance_clock(PdComputeDiscovery *self, gint64 usec)
{
	g_mutex_lock(&self->lock);
	self->clock_offset += usec;
	g_mutex_unlock(&self->lock);
}

void
pd_compute_discovery_configure(PdComputeDiscovery *self, const gchar *host, gchar **flavor_ids)
{
	GHashTableIter iter;
	PdComputeCacheEntry *entry;

	g_mutex_lock(&self->lock);
	g_free(self->host);
	self->host = g_strdup(host);
	g_hash_table_remove_all(self->flavor_ids);
	for (guint i = 0; flavor_ids != NULL && flavor_ids[i] != NULL; i++) {
		g_auto(GStrv) kv = g_strsplit(flavor_ids[i], ":", 2);
		if (g_strv_length(kv) == 2)
			g_hash_table_insert(self->flavor_ids, g_strdup(kv[0]), g_strdup(kv[1]));
		else
			g_warning("[compute] flavor_ids: ignoring '%s', expected name:id",
				  flavor_ids[i]);
	}
	/* metadata carries the host and flavor id: rebuild it */
	g_hash_table_iter_init(&iter, self->cache);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&entry))
		g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	g_mutex_unlock(&self->lock);
}

guint
pd_compute_discovery_get_listings(PdComputeDiscovery *self, guint *kept)
{
	guint listings;

	g_mutex_lock(&self->lock);
	listings = self->listings;
	if (kept != NULL)
		*kept = self->listings_kept;
	g_mutex_unlock(&self->lock);
	return listings;
}

void
pd_compute_discovery_set_list_max(PdComputeDiscovery *self, guint list_max)
{
	self->list_max = MAX(list_max, 1);
}

void
pd_compute_discovery_set_between_answers(PdComputeDiscovery *self, GFunc func, gpointer data)
{
	self->between_answers = func;
	self->between_data = data;
}

gboolean
pd_compute_discovery_get_listed_by_id(PdComputeDiscovery *self)
{
	for (guint i = 0; i < PD_COMPUTE_POOL_MAX_SIZE; i++) {
		if (self->by_id[i] != NULL)
			return TRUE;
	}
	return FALSE;
}

GArray *
pd_compute_discovery_get_parts(PdComputeDiscovery *self)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(guint));

	g_mutex_lock(&self->lock);
	g_array_append_vals(out, self->parts_log->data, self->parts_log->len);
	g_mutex_unlock(&self->lock);
	return out;
}

gdouble
pd_compute_discovery_get_listed_at(PdComputeDiscovery *self)
{
	gdouble t;

	g_mutex_lock(&self->lock);
	t = self->listed_at;
	g_mutex_unlock(&self->lock);
	return t;
}

guint
pd_compute_discovery_get_cache_size(PdComputeDiscovery *self)
{
	guint n;

	g_mutex_lock(&self->lock);
	n = g_hash_table_size(self->cache);
	g_mutex_unlock(&self->lock);
	return n;
}

PdDiscovery *
pd_compute_discovery_new(PdComputePool *pool)
{
	PdComputeDiscovery *self =
	  g_object_new(PD_TYPE_COMPUTE_DISCOVERY, "name", "local_instances", NULL);
	self->pool = g_object_ref(pool);
	return PD_DISCOVERY(self);
}

static void
pd_compute_discovery_finalize(GObject *obj)
{
	PdComputeDiscovery *self = PD_COMPUTE_DISCOVERY(obj);

	g_clear_object(&self->pool);
	for (guint i = 0; i < PD_COMPUTE_POOL_MAX_SIZE; i++) {
		g_clear_pointer(&self->by_id[i], g_hash_table_unref);
		g_clear_pointer(&self->kept[i], g_array_unref);
	}
	g_hash_table_unref(self->cache);
	g_array_unref(self->parts_log);
	g_hash_table_unref(self->flavor_ids);
	g_free(self->host);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(pd_compute_discovery_parent_class)->finalize(obj);
}

static void
pd_compute_discovery_init(PdComputeDiscovery *self)
{
	g_mutex_init(&self->lock);
	/* the key lives in the entry */
	self->cache = g_hash_table_new_full(pd_compute_uuid_hash,
					    pd_compute_uuid_equal,
					    NULL,
					    (GDestroyNotify)pd_compute_cache_entry_free);
	self->flavor_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->list_max = PD_COMPUTE_RPC_LIST_MAX;
	self->parts_log = g_array_new(FALSE, FALSE, sizeof(guint));
	self->host = g_strdup(g_get_host_name());
	self->cache_time = pd_compute_discovery_now(self);
}

static void
pd_compute_discovery_class_init(PdComputeDiscoveryClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_compute_discovery_finalize;
	PD_DISCOVERY_CLASS(klass)->discover = pd_compute_discovery_discover;
	PD_DISCOVERY_CLASS(klass)->discover_parts = pd_compute_discovery_discover_parts;
}
