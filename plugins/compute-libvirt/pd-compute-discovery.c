/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include "pd-compute-discovery-private.h"

#include <libvirt/virterror.h>
#include <string.h>

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
	/* a new listing's handle (the kept listing's is the same every cycle):
	 * the snapshot moves to it, and the old set of handles goes with the
	 * listing that made it, instead of living on beside the new one (N
	 * handles, about 100 B each). Only while no one else holds the
	 * snapshot: a reference is handed out here only, under the lock. */
	if (entry->snapshot != NULL && entry->snapshot->dom != l->dom &&
	    g_atomic_int_get(&entry->snapshot->ref_count) == 1) {
		virDomainRef(l->dom);
		virDomainFree(entry->snapshot->dom);
		entry->snapshot->dom = l->dom;
	}
	if (entry->snapshot == NULL) {
		entry->snapshot =
		  pd_compute_domain_new(entry->inst,
					l->dom,
					l->uuid,
					l->state,
					self->host,
					pd_compute_discovery_flavor_id(self, entry->inst),
					self->release);
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
pd_compute_shard_clear(PdComputeShard *sh)
{
	g_clear_pointer(&sh->listed, g_array_unref);
	g_clear_pointer(&sh->owner, g_array_unref);
	g_clear_pointer(&sh->early, g_array_unref);
	g_clear_pointer(&sh->todo, g_ptr_array_unref);
	g_clear_pointer(&sh->steady, g_ptr_array_unref);
	g_clear_pointer(&sh->ch.changed, g_hash_table_unref);
	g_clear_pointer(&sh->conn, virConnectClose);
	g_clear_error(&sh->error);
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
	for (guint i = first; i < first + n; i++) {
		PdComputeListed *l = g_ptr_array_index(todo, i);
		/* NULL: vanished meanwhile, or a failure the next cycle retries */
		g_autofree gchar *xml = virDomainGetXMLDesc(l->dom, 0);
		g_autoptr(GError) error = NULL;
		gsize len;
		PdComputeRead *rd = l->rd;

		if (xml == NULL)
			continue;
		l->read = TRUE;
		len = strlen(xml);
		pd_compute_sum_xml(xml, len, rd->checksum);
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

	g_clear_pointer(&l->rd, pd_compute_listing_read_free);
	if (cd != NULL)
		g_ptr_array_add(out,
				pd_resource_new_borrowed(
				  cd->inst->uuid, cd, (GDestroyNotify)pd_compute_domain_unref));
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

/* any thread: the engine is done with an early part (the pollsters'
 * invocations on it returned, and whatever statistics they asked for are
 * queued), or dropped it: the pipeline's wait ends, behind those */
static void
pd_compute_run_part_done_cb(gboolean dispatched, gpointer user_data)
{
	PdComputePipeline *pipeline = user_data;

	pd_compute_pipeline_wake(pipeline);
	g_object_unref(pipeline);
}

/* to the pollsters now, or kept for the result; @wake (or NULL) gets a job
 * once the caller is done with the part */
static void
pd_compute_run_hand_over(PdComputeRun *run,
			 GPtrArray *resources,
			 guint reads,
			 PdComputePipeline *wake)
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
		pd_discovery_parts_add_full(run->parts,
					    resources,
					    pd_compute_run_accepted_cb,
					    run->cache,
					    wake != NULL ? pd_compute_run_part_done_cb : NULL,
					    wake != NULL ? g_object_ref(wake) : NULL);
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

/* The known domains whose XML is not due (a steady cycle: all of them) go
 * to the pollsters in one part for every shard, interleaved in runs of
 * PD_COMPUTE_STATS_WINDOW domains of each: the meters read a part in its
 * order and each pipeline fetches its shard in the same order, so a meter
 * reads both connections' domains as they are answered. Handed over shard
 * by shard, a meter read the first connection's domains, then the
 * second's, whose statistics, fetched meanwhile, waited for it. */
static GPtrArray *
pd_compute_run_interleave(PdComputeRun *run)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	gboolean more = TRUE;

	for (guint at = 0; more; at += PD_COMPUTE_STATS_WINDOW) {
		more = FALSE;
		for (guint k = 0; k < run->n_shards; k++) {
			GPtrArray *steady = run->shards[k].steady;
			guint end =
			  steady != NULL ? MIN(at + PD_COMPUTE_STATS_WINDOW, steady->len) : 0;
			for (guint i = at; i < end; i++)
				g_ptr_array_add(out, pd_resource_ref(g_ptr_array_index(steady, i)));
			more = more || (steady != NULL && end < steady->len);
		}
	}
	return out;
}

/* on the pipeline's thread: @sh listed (or failed to); the last shard to
 * list hands every shard's steady domains over, interleaved */
static void
pd_compute_shard_listed(PdComputeShard *sh, GPtrArray *steady)
{
	PdComputeRun *run = sh->run;
	g_autoptr(GPtrArray) part = NULL;
	gboolean last;

	g_mutex_lock(&run->lock);
	sh->steady = steady != NULL ? g_ptr_array_ref(steady) : NULL;
	last = --run->listing == 0;
	g_mutex_unlock(&run->lock);
	if (!last)
		return;
	/* every other shard stored its own before the count came down */
	part = pd_compute_run_interleave(run);
	pd_compute_run_hand_over(run, part, 0, NULL);
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
	pd_compute_run_hand_over(run, found, n, NULL);
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
 * for them go before the listing: the pipeline waits until a job is queued,
 * that one or the wake-up the engine's done notification pushes once the
 * pollsters' invocations on the part returned (no meter asked for
 * statistics) or the part was dropped (none of it accepted: the
 * invocations take nothing). Not on a timer: under load the hand-over's
 * idle on the main loop, the engine's feed and a worker's invocation took
 * longer than any short one, and the listing (seconds at N=5000) went
 * first. PD_COMPUTE_EARLY_WAIT_MAX_USEC only guards against a caller that
 * never iterates its main context again (polld's engine keeps it running
 * until its cycles are stopped).
 *
 * Which shard an ID's domain falls in is known only after its lookup, so
 * the first IDs listed may all be another shard's: the listing of IDs then
 * grows (PD_COMPUTE_EARLY_IDS_PER_SHARD per connection, times
 * PD_COMPUTE_EARLY_IDS_GROWTH each round) and the lookups go on over the new
 * IDs, up to PD_COMPUTE_EARLY_LOOKUPS_MAX lookups (a round trip each) per
 * shard. With UUIDs' hash spread evenly a shard of n finds its 2 domains in
 * about 2n lookups. */
#define PD_COMPUTE_EARLY_IDS_PER_SHARD (2 * PD_COMPUTE_READ_CHUNK_MIN)
#define PD_COMPUTE_EARLY_IDS_GROWTH 8
#define PD_COMPUTE_EARLY_LOOKUPS_MAX 64
#define PD_COMPUTE_EARLY_WAIT_MAX_USEC (30 * G_USEC_PER_SEC)

/* TRUE when @id is among the @n first of @ids */
static gboolean
pd_compute_ids_contain(const gint *ids, guint n, gint id)
{
	for (guint i = 0; i < n; i++) {
		if (ids[i] == id)
			return TRUE;
	}
	return FALSE;
}

/* an early part looked up a running domain of another shard: that
 * shard's early part can start from it */
static void
pd_compute_run_keep_found(PdComputeRun *run, guint shard, const guchar *uuid)
{
	guint n, i;

	g_mutex_lock(&run->lock);
	n = run->n_early_found[shard];
	/* once: two early parts (of more than two connections) that list
	 * IDs meet the same domains in the same order */
	for (i = 0; i < n && memcmp(run->early_found[shard][i], uuid, VIR_UUID_BUFLEN) != 0; i++)
		;
	if (i == n && n < PD_COMPUTE_READ_CHUNK_MIN)
		memcpy(run->early_found[shard][run->n_early_found[shard]++], uuid, VIR_UUID_BUFLEN);
	g_mutex_unlock(&run->lock);
}

/* the running domains of this shard an earlier early part looked up, by
 * UUID: one hash lookup each in libvirtd, where an ID listing walks every
 * domain (11-50 ms at 20,000) */
static void
pd_compute_shard_take_found(PdComputeShard *sh, virConnectPtr conn)
{
	PdComputeRun *run = sh->run;
	guchar found[PD_COMPUTE_READ_CHUNK_MIN][VIR_UUID_BUFLEN];
	guint n;

	g_mutex_lock(&run->lock);
	n = run->n_early_found[sh->index];
	memcpy(found, run->early_found[sh->index], n * VIR_UUID_BUFLEN);
	g_mutex_unlock(&run->lock);
	for (guint i = 0; i < n; i++) {
		virDomainPtr dom = virDomainLookupByUUID(conn, found[i]);
		PdComputeListed l = { NULL };

		/* NULL or no ID: gone or stopped meanwhile */
		if (dom == NULL)
			continue;
		if (virDomainGetID(dom) != (guint)-1 && pd_compute_listing_set(&l, dom, NULL, 0)) {
			l.xml_due = TRUE;
			g_array_append_val(sh->early, l);
		}
		virDomainFree(dom);
	}
}

/* the early part: running domains of this shard, with their state */
static void
pd_compute_shard_find_early(PdComputeShard *sh, virConnectPtr conn)
{
	PdComputePool *pool = sh->run->self->pool;
	guint max_ids = PD_COMPUTE_EARLY_IDS_PER_SHARD * pd_compute_pool_get_size(pool);
	gint tried[PD_COMPUTE_EARLY_LOOKUPS_MAX];
	guint n_tried = 0;
	gboolean more = TRUE; /* the last answer was full: there may be more IDs */

	/* one found is a first part: no walk */
	pd_compute_shard_take_found(sh, conn);
	if (sh->early->len > 0) {
		virResetLastError();
		return;
	}
	for (; more && sh->early->len < PD_COMPUTE_READ_CHUNK_MIN &&
	       n_tried < PD_COMPUTE_EARLY_LOOKUPS_MAX;
	     max_ids *= PD_COMPUTE_EARLY_IDS_GROWTH) {
		g_autofree gint *ids = g_new0(gint, max_ids);
		gint n = virConnectListDomains(conn, ids, (gint)max_ids);

		g_mutex_lock(&sh->run->self->lock);
		sh->run->self->early_listings[sh->index]++;
		g_mutex_unlock(&sh->run->self->lock);
		more = n == (gint)max_ids;
		for (gint i = 0; i < n && sh->early->len < PD_COMPUTE_READ_CHUNK_MIN &&
				 n_tried < PD_COMPUTE_EARLY_LOOKUPS_MAX;
		     i++) {
			virDomainPtr dom;
			guchar uuid[VIR_UUID_BUFLEN];
			PdComputeListed l = { NULL };
			guint shard;

			/* looked up in an earlier round (the IDs' order may
			 * change between answers: each is looked up once) */
			if (pd_compute_ids_contain(tried, n_tried, ids[i]))
				continue;
			tried[n_tried++] = ids[i];
			dom = virDomainLookupByID(conn, ids[i]);
			/* NULL: stopped meanwhile */
			if (dom == NULL)
				continue;
			if (virDomainGetUUID(dom, uuid) < 0) {
				virDomainFree(dom);
				continue;
			}
			shard = pd_compute_pool_shard(pool, uuid);
			if (shard != sh->index)
				pd_compute_run_keep_found(sh->run, shard, uuid);
			else if (pd_compute_listing_set(&l, dom, NULL, 0)) {
				l.xml_due = TRUE;
				g_array_append_val(sh->early, l);
			}
			virDomainFree(dom);
		}
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
	g_array_set_clear_func(sh->early, (GDestroyNotify)pd_compute_listing_clear);
	if (run->self->early_hook != NULL)
		run->self->early_hook(sh->index, FALSE, run->self->early_hook_data);
	pd_compute_shard_find_early(sh, sh->conn);
	if (run->self->early_hook != NULL)
		run->self->early_hook(sh->index, TRUE, run->self->early_hook_data);
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
	g_mutex_lock(&run->self->lock);
	run->self->early_handed[sh->index] = found->len;
	g_mutex_unlock(&run->self->lock);
	pd_compute_run_hand_over(
	  run, found, todo->len, pd_compute_pool_get(run->self->pool, sh->index));
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
	gboolean listed;

	g_mutex_lock(&self->lock);
	self->listed_at = pd_sample_monotonic_now();
	g_mutex_unlock(&self->lock);
	listed = pd_compute_discovery_listing_shard(sh, conn);
	/* the other pipelines list themselves when no roster came */
	if (sh->index == 0)
		pd_compute_discovery_listing_publish_roster(run, NULL, NULL);
	if (!listed) {
		pd_compute_shard_listed(sh, NULL);
		pd_compute_shard_done(sh);
		return;
	}
	g_debug("discovery: connection %u %s %u domains of its shard in %.3f s",
		sh->index,
		sh->kept    ? "kept its listing (no domain event) of"
		: sh->taken ? "took from connection 0's listing"
			    : "listed",
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
	pd_compute_shard_listed(sh, found);
	sh->chunk = PD_COMPUTE_READ_CHUNK_MIN;
	if (sh->todo->len == 0) {
		pd_compute_shard_done(sh);
		return;
	}
	pd_compute_shard_read_cb(conn, sh);
}

static void
pd_compute_run_start_shard(PdComputeRun *run, guint i);

/* on the first pipeline's thread: the other shards of a first discovery */
static void
pd_compute_run_start_others_cb(PdComputeConnection *conn, gpointer data)
{
	PdComputeRun *run = data;

	for (guint i = 1; i < run->n_shards; i++)
		pd_compute_run_start_shard(run, i);
}

/* on the pipeline's thread: the first discovery hands a first part over
 * before the listing, and lets the statistics the pollsters queue for it
 * go before the listing too. The first shard starts the others (opening
 * their connections) once those statistics are answered: behind libvirtd
 * an open of the test driver parses the whole file on one of libvirtd's
 * threads for seconds, and the first samples' calls are not to share the
 * two cores with it. */
static void
pd_compute_shard_start_cb(PdComputeConnection *conn, gpointer data)
{
	PdComputeShard *sh = data;
	PdComputeRun *run = sh->run;
	PdComputePipeline *pipeline = pd_compute_pool_get(run->self->pool, sh->index);
	gboolean starts = run->early && sh->index == 0;
	gboolean handed, queued;
	gint64 start;

	g_mutex_lock(&run->self->lock);
	run->self->started_at[sh->index] = pd_sample_monotonic_now();
	g_mutex_unlock(&run->self->lock);
	handed = run->early && pd_compute_shard_early(sh, conn);
	if (!handed) {
		if (starts)
			pd_compute_run_start_others_cb(conn, run);
		pd_compute_shard_list_cb(conn, sh);
		return;
	}
	start = g_get_monotonic_time();
	queued = pd_compute_pipeline_wait_job(pipeline, PD_COMPUTE_EARLY_WAIT_MAX_USEC);
	g_mutex_lock(&run->self->lock);
	run->self->early_woken[sh->index] = queued;
	g_mutex_unlock(&run->self->lock);
	g_debug("discovery: connection %u: %s in %.3f s, then the listing",
		sh->index,
		queued ? "a job queued (statistics, or the engine done with the part)"
		       : "nothing queued (the caller's main context stopped?)",
		(g_get_monotonic_time() - start) / (gdouble)G_USEC_PER_SEC);
	/* behind the job queued (the first part's statistics), if any */
	if (starts)
		pd_compute_pipeline_push(pipeline, pd_compute_run_start_others_cb, run, NULL);
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
	g_cond_init(&run->roster_cond);
	g_mutex_lock(&self->lock);
	run->now = pd_compute_discovery_now(self);
	run->generation = ++self->generation;
	self->runs++;
	g_array_set_size(self->parts_log, 0);
	memset(self->early_handed, 0, sizeof(self->early_handed));
	memset(self->early_listings, 0, sizeof(self->early_listings));
	memset(self->started_at, 0, sizeof(self->started_at));
	memset(self->early_woken, 0, sizeof(self->early_woken));
	/* a full refresh now and then, as Ceilometer's resource_cache_expiry */
	if (self->cache_expiry > 0 && run->now - self->cache_time >= self->cache_expiry) {
		g_hash_table_remove_all(self->cache);
		for (guint i = 0; i < PD_COMPUTE_POOL_MAX_SIZE; i++)
			g_clear_pointer(&self->kept[i], g_array_unref);
		self->cache_time = run->now;
	}
	run->early = run->parts != NULL && g_hash_table_size(self->cache) == 0;
	/* a first discovery's pipelines list each on its own */
	run->roster_done = run->early || run->n_shards == 1;
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
	run.listing = n;
	run.shards = shards;
	run.n_shards = n;
	pd_compute_run_begin(self, &run);
	for (guint i = 0; i < n; i++)
		shards[i] = (PdComputeShard){ .run = &run, .index = i };
	/* the first discovery starts the other shards (opening their
	 * connections) once the first one's early part has its statistics */
	for (guint i = 0; i < (run.early ? 1 : n); i++)
		pd_compute_run_start_shard(&run, i);
	g_mutex_lock(&run.lock);
	while (run.pending > 0)
		g_cond_wait(&run.cond, &run.lock);
	g_mutex_unlock(&run.lock);
	/* the shards' borrowed listings go before the run stops counting */
	for (guint i = 0; i < n; i++)
		pd_compute_shard_clear(&shards[i]);
	g_mutex_lock(&self->lock);
	self->runs--;
	g_mutex_unlock(&self->lock);
	g_clear_pointer(&run.roster, g_byte_array_unref);
	g_clear_pointer(&run.roster_states, g_byte_array_unref);
	g_cond_clear(&run.roster_cond);
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
pd_compute_discovery_configure(PdComputeDiscovery *self,
			       const gchar *host,
			       gchar **flavor_ids,
			       PdCeilometerRelease release)
{
	GHashTableIter iter;
	PdComputeCacheEntry *entry;

	g_mutex_lock(&self->lock);
	g_free(self->host);
	self->host = g_strdup(host);
	self->release = release;
	g_hash_table_remove_all(self->flavor_ids);
	for (guint i = 0; flavor_ids != NULL && flavor_ids[i] != NULL; i++) {
		g_auto(GStrv) kv = g_strsplit(flavor_ids[i], ":", 2);
		if (g_strv_length(kv) == 2)
			g_hash_table_insert(self->flavor_ids, g_strdup(kv[0]), g_strdup(kv[1]));
		else
			g_warning("[compute] flavor_ids: ignoring '%s', expected name:id",
				  flavor_ids[i]);
	}
	/* metadata carries the host, flavor id and release's keys: rebuild it */
	g_hash_table_iter_init(&iter, self->cache);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&entry))
		g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	g_mutex_unlock(&self->lock);
}

guint
pd_compute_discovery_get_pipeline_listings(PdComputeDiscovery *self,
					   guint pipeline,
					   guint *taken,
					   guint *lookups)
{
	guint own;

	g_return_val_if_fail(pipeline < PD_COMPUTE_POOL_MAX_SIZE, 0);
	g_mutex_lock(&self->lock);
	own = self->own_listings[pipeline];
	*taken = self->taken_listings[pipeline];
	*lookups = self->lookups[pipeline];
	g_mutex_unlock(&self->lock);
	return own;
}

guint
pd_compute_discovery_take_stated(PdComputeDiscovery *self)
{
	guint n;

	g_mutex_lock(&self->lock);
	n = self->stated;
	self->stated = 0;
	g_mutex_unlock(&self->lock);
	return n;
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
pd_compute_discovery_set_list_slice(PdComputeDiscovery *self, guint slice)
{
	self->list_slice = MAX(slice, 1);
}

void
pd_compute_discovery_set_list_split_by_state(PdComputeDiscovery *self, gboolean split)
{
	self->no_split_by_state = !split;
}

guint
pd_compute_discovery_take_list_answers(PdComputeDiscovery *self, guint *largest)
{
	guint records;

	g_mutex_lock(&self->lock);
	records = self->answer_records;
	*largest = self->answer_largest;
	self->answer_records = 0;
	self->answer_largest = 0;
	g_mutex_unlock(&self->lock);
	return records;
}

void
pd_compute_discovery_set_roster_hook(PdComputeDiscovery *self, GFunc func, gpointer data)
{
	self->roster_hook = func;
	self->roster_hook_data = data;
}

void
pd_compute_discovery_set_between_answers(PdComputeDiscovery *self, GFunc func, gpointer data)
{
	self->between_answers = func;
	self->between_data = data;
}

void
pd_compute_discovery_set_early_hook(PdComputeDiscovery *self,
				    PdComputeEarlyHook func,
				    gpointer data)
{
	self->early_hook = func;
	self->early_hook_data = data;
}

guint
pd_compute_discovery_get_by_id_handles(PdComputeDiscovery *self)
{
	guint n = 0;

	for (guint i = 0; i < PD_COMPUTE_POOL_MAX_SIZE; i++) {
		if (self->by_id[i] != NULL)
			n += pd_compute_listing_by_id_handles(self->by_id[i]);
	}
	return n;
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

guint
pd_compute_discovery_get_early(PdComputeDiscovery *self, guint pipeline)
{
	guint n;

	g_return_val_if_fail(pipeline < PD_COMPUTE_POOL_MAX_SIZE, 0);
	g_mutex_lock(&self->lock);
	n = self->early_handed[pipeline];
	g_mutex_unlock(&self->lock);
	return n;
}

guint
pd_compute_discovery_get_early_listings(PdComputeDiscovery *self, guint pipeline)
{
	guint n;

	g_return_val_if_fail(pipeline < PD_COMPUTE_POOL_MAX_SIZE, 0);
	g_mutex_lock(&self->lock);
	n = self->early_listings[pipeline];
	g_mutex_unlock(&self->lock);
	return n;
}

gboolean
pd_compute_discovery_get_early_woken(PdComputeDiscovery *self, guint pipeline)
{
	gboolean woken;

	g_return_val_if_fail(pipeline < PD_COMPUTE_POOL_MAX_SIZE, FALSE);
	g_mutex_lock(&self->lock);
	woken = self->early_woken[pipeline];
	g_mutex_unlock(&self->lock);
	return woken;
}

gdouble
pd_compute_discovery_get_started_at(PdComputeDiscovery *self, guint pipeline)
{
	gdouble t;

	g_return_val_if_fail(pipeline < PD_COMPUTE_POOL_MAX_SIZE, 0);
	g_mutex_lock(&self->lock);
	t = self->started_at[pipeline];
	g_mutex_unlock(&self->lock);
	return t;
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
	self->list_slice = PD_COMPUTE_LIST_SLICE;
	self->parts_log = g_array_new(FALSE, FALSE, sizeof(guint));
	self->host = g_strdup(g_get_host_name());
	self->release = PD_CEILOMETER_DEFAULT;
	self->cache_time = pd_compute_discovery_now(self);
}

static void
pd_compute_discovery_class_init(PdComputeDiscoveryClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_compute_discovery_finalize;
	PD_DISCOVERY_CLASS(klass)->discover = pd_compute_discovery_discover;
	PD_DISCOVERY_CLASS(klass)->discover_parts = pd_compute_discovery_discover_parts;
}
