/*
 * polld - the compute discovery's listings: each pipeline's listing of its
 * shard, kept between cycles, and the first pipeline's roster the others
 * take theirs from
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include "pd-compute-discovery-private.h"

#include <string.h>

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
	g_array_set_clear_func(kept, (GDestroyNotify)pd_compute_listing_clear);
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
		sh->listed = pd_compute_listing_borrow(self->kept[i]);
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
	GArray *kept = NULL;

	/* a fresh listing is kept as it is and the run borrows its handles,
	 * as from a kept one: a copy would reference every handle again, and
	 * libvirt formats the domain's UUID in each virDomainRef() and
	 * virDomainFree() (about 6,400 instructions a call) */
	if (sh->listed != NULL) {
		kept = g_steal_pointer(&sh->listed);
		sh->listed = pd_compute_listing_borrow(kept);
		sh->owner = g_array_ref(kept);
	}
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

static gboolean
pd_compute_shard_keeps(const guchar *uuid, gpointer data)
{
	PdComputeShard *sh = data;

	return pd_compute_pool_shard(sh->run->self->pool, uuid) == sh->index;
}

/* One connection relists for all: a listing costs polld about 30,000
 * instructions a domain (handles, UUIDs read for the shard, the other
 * shards' handles released) and libvirtd 23,000. The first pipeline hands
 * the UUIDs it read to the others; one holding handles of its last listing
 * on the same connection asks its shard's states with them, looks up by
 * UUID only the domains new to it and drops those gone. Without such
 * handles (a first discovery, a new connection) a pipeline lists itself:
 * N/2 lookups, a round trip each, cost more than a listing. */
void
pd_compute_discovery_listing_publish_roster(PdComputeRun *run,
					    GByteArray *roster,
					    GByteArray *states)
{
	/* states for every UUID, or none */
	if (roster == NULL || (states != NULL && states->len * VIR_UUID_BUFLEN != roster->len))
		g_clear_pointer(&states, g_byte_array_unref);
	g_mutex_lock(&run->lock);
	if (!run->roster_done) {
		run->roster = g_steal_pointer(&roster);
		run->roster_states = g_steal_pointer(&states);
		run->roster_done = TRUE;
		g_cond_broadcast(&run->roster_cond);
	}
	g_mutex_unlock(&run->lock);
	g_clear_pointer(&roster, g_byte_array_unref);
	g_clear_pointer(&states, g_byte_array_unref);
}

/* the listing's handles are in: the other pipelines can go on */
static void
pd_compute_shard_roster_cb(gpointer data)
{
	PdComputeListingArgs *args = data;
	PdComputeShard *sh = args->listed_data;

	if (sh->run->self->roster_hook != NULL)
		sh->run->self->roster_hook(sh->conn, sh->run->self->roster_hook_data);
	pd_compute_discovery_listing_publish_roster(
	  sh->run, g_steal_pointer(&args->roster), g_steal_pointer(&args->roster_states));
}

/* the roster (NULL: none) and in *@states its states (NULL: not known),
 * both the run's */
static GByteArray *
pd_compute_run_wait_roster(PdComputeRun *run, GByteArray **states)
{
	GByteArray *roster;

	g_mutex_lock(&run->lock);
	while (!run->roster_done)
		g_cond_wait(&run->roster_cond, &run->lock);
	roster = run->roster;
	*states = run->roster_states;
	g_mutex_unlock(&run->lock);
	return roster;
}

/* the handles of this pipeline's last listing on this connection into
 * args->known, and that listing (NULL: none); its handles move to the new
 * listing when no other run borrows it (no reference taken, none
 * released: the snapshots keep theirs) */
static GArray *
pd_compute_shard_last(PdComputeShard *sh, PdComputeListingArgs *args)
{
	PdComputeDiscovery *self = sh->run->self;
	GArray *last = NULL;

	g_mutex_lock(&self->lock);
	if (self->kept[sh->index] != NULL && self->kept_serial[sh->index] == sh->serial)
		last = g_array_ref(self->kept[sh->index]);
	args->keep_known = last != NULL && self->runs == 1;
	g_mutex_unlock(&self->lock);
	if (last != NULL)
		args->known = pd_compute_listing_index(last);
	return last;
}

/* the first pipeline's listing of this run, for a pipeline that holds
 * handles of its last listing on this connection (NULL: it lists itself) */
static GArray *
pd_compute_shard_take_roster(PdComputeShard *sh, PdComputeListingArgs *args)
{
	PdComputeDiscovery *self = sh->run->self;
	g_autoptr(GByteArray) want = NULL;
	GByteArray *roster, *states;
	GArray *listed;

	/* too many events to keep: which domains came since is not known */
	if (sh->ch.events && sh->ch.changed == NULL)
		return NULL;
	roster = pd_compute_run_wait_roster(sh->run, &states);
	if (roster == NULL)
		return NULL;
	/* a domain defined after the roster's listing began, whose event this
	 * pipeline took (the next cycle would not list again for it) */
	want = pd_compute_listing_with_changed(roster, sh->ch.changed);
	g_clear_pointer(&self->by_id[sh->index], g_hash_table_unref);
	/* the states the roster's listing answered stand, but those of the
	 * domains an event came for since */
	listed = pd_compute_listing_from_uuids(sh->conn,
					       want->data,
					       want->len / VIR_UUID_BUFLEN,
					       states != NULL ? states->data : NULL,
					       states != NULL ? states->len : 0,
					       sh->ch.changed,
					       args->known,
					       args);
	g_mutex_lock(&self->lock);
	self->stated += args->stated;
	sh->taken = listed != NULL;
	self->taken_listings[sh->index] += sh->taken;
	self->lookups[sh->index] += args->lookups;
	g_mutex_unlock(&self->lock);
	return listed;
}

/* once the run began, roster_done is read and written under the run's
 * lock only (the first pipeline, its only writer, reads it here too) */
static gboolean
pd_compute_run_roster_done(PdComputeRun *run)
{
	gboolean done;

	g_mutex_lock(&run->lock);
	done = run->roster_done;
	g_mutex_unlock(&run->lock);
	return done;
}

/* the first pipeline lists every domain, handing the others its UUIDs;
 * the others take their shard from it, or list themselves */
static GArray *
pd_compute_shard_list_domains(PdComputeShard *sh, PdComputeListingArgs *args)
{
	PdComputeDiscovery *self = sh->run->self;
	g_autoptr(GArray) last = pd_compute_shard_last(sh, args);
	GArray *listed = NULL;

	if (sh->index == 0 && !pd_compute_run_roster_done(sh->run)) {
		args->roster = g_byte_array_new();
		args->roster_states = g_byte_array_new();
		args->listed = pd_compute_shard_roster_cb;
		args->listed_data = sh;
	} else if (sh->index > 0 && last != NULL) {
		listed = pd_compute_shard_take_roster(sh, args);
	}
	if (listed == NULL) {
		listed = pd_compute_listing_list(sh->conn, &self->by_id[sh->index], args);
		g_mutex_lock(&self->lock);
		self->own_listings[sh->index] += listed != NULL;
		g_mutex_unlock(&self->lock);
	}
	if (listed != NULL && args->keep_known)
		pd_compute_listing_hand_over(last, listed);
	g_clear_pointer(&args->roster, g_byte_array_unref);
	g_clear_pointer(&args->roster_states, g_byte_array_unref);
	g_clear_pointer(&args->known, g_hash_table_unref);
	return listed;
}

/* every domain of the shard and its state (or the last listing, see
 * above); FALSE: sh->error is set */
gboolean
pd_compute_discovery_listing_shard(PdComputeShard *sh, PdComputeConnection *conn)
{
	PdComputeDiscovery *self = sh->run->self;
	PdComputeListingArgs args = { .list_max = self->list_max,
				      .slice = self->list_slice,
				      .no_split_by_state = self->no_split_by_state,
				      .between = self->between_answers,
				      .between_data = self->between_data };

	/* one connection holds every domain */
	if (pd_compute_pool_get_size(self->pool) > 1) {
		args.keep = pd_compute_shard_keeps;
		args.keep_data = sh;
	}

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
		sh->listed = pd_compute_shard_list_domains(sh, &args);
		g_mutex_lock(&self->lock);
		self->answer_largest = MAX(self->answer_largest, args.largest_answer);
		self->answer_records += args.records;
		g_mutex_unlock(&self->lock);
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
