/*
 * compute-libvirt's pipelines work at once: the engine invokes a pollster on
 * one part of the discovery at a time, so the statistics of a later part
 * (another connection's shard) are queued as the engine accepts the part,
 * not once the invocation on the first part has returned; and only for the
 * domains the engine accepts (a blacklisted or partitioned-away domain's
 * statistics are never fetched).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <libvirt/libvirt.h>

#include "pd-compute-discovery.h"
#include "pd-compute-domain.h"
#include "pd-compute-pollster.h"
#include "pd-compute-stats.h"
#include "pd-config-private.h"
#include "pd-cycle-cache-private.h"
#include "pd-test-compute.h"
#include "pd-test-util.h"
#include "polld.h"

#define TURNS_DOMAINS 40
#define TURNS_WAIT_S 60

typedef struct {
	PdComputePool *pool;
	PdCycleCache *cache;
	GHashTable *rejected; /* ids the "engine" drops */
	GMutex lock;
	GCond cond;
	guint parts;
	gboolean first_in; /* the first invocation has its statistics */
	gboolean release;  /* ... and may return */
	gboolean returned; /* ... and did */
	GPtrArray *first;  /* taken of the first part */
	GPtrArray *second; /* taken of the second part */
	GThread *invocation;
	gboolean done;
	GPtrArray *rest;
} Turns;

static gboolean
turns_filter(PdResource *res, gpointer data)
{
	Turns *t = data;

	return !g_hash_table_contains(t->rejected, pd_resource_get_id(res));
}

/* as a compute meter invoked on the first part: it asks for the cycle's
 * statistics, then stays out until the test lets it return */
static gpointer
turns_first_invocation(gpointer data)
{
	Turns *t = data;
	g_autoptr(GError) error = NULL;
	PdComputeStats *stats = pd_compute_stats_get(
	  t->cache, t->pool, FALSE, t->first, PD_COMPUTE_GROUP_INFO, 0, &error);

	g_assert_no_error(error);
	g_mutex_lock(&t->lock);
	t->first_in = TRUE;
	g_cond_broadcast(&t->cond);
	while (!t->release)
		g_cond_wait(&t->cond, &t->lock);
	g_mutex_unlock(&t->lock);
	for (guint i = 0; i < t->first->len; i++)
		pd_compute_stats_lookup(stats,
					pd_resource_get_data(g_ptr_array_index(t->first, i)),
					PD_COMPUTE_GROUP_INFO);
	g_mutex_lock(&t->lock);
	t->returned = TRUE;
	g_mutex_unlock(&t->lock);
	return NULL;
}

/* the engine's side: what it takes of the steady cycle's one part (both
 * shards'); an invocation on the first shard's domains starts and stays out
 * while the second shard's are fetched */
static void
turns_part_cb(GPtrArray *resources, gpointer data)
{
	Turns *t = data;

	g_assert_cmpuint(t->parts++, ==, 0);
	t->first = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	t->second = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	for (guint i = 0; i < resources->len; i++) {
		PdResource *res = g_ptr_array_index(resources, i);
		PdComputeDomain *cd = pd_resource_get_data(res);
		if (turns_filter(res, t))
			g_ptr_array_add(pd_compute_pool_shard(t->pool, cd->uuid) == 0 ? t->first
										      : t->second,
					pd_resource_ref(res));
	}
	t->invocation = g_thread_new("first-invocation", turns_first_invocation, t);
}

static void
turns_done_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	Turns *t = data;
	g_autoptr(GError) error = NULL;

	t->rest = pd_discovery_discover_finish(PD_DISCOVERY(source), res, &error);
	g_assert_no_error(error);
	t->done = TRUE;
}

static gboolean
turns_is_done(gpointer data)
{
	return ((Turns *)data)->done;
}

/* waits (bounded: a failure, not a hang) for the first invocation to hold
 * its statistics */
static void
turns_wait_first_in(Turns *t)
{
	gint64 end = g_get_monotonic_time() + TURNS_WAIT_S * G_USEC_PER_SEC;

	g_mutex_lock(&t->lock);
	while (!t->first_in && g_cond_wait_until(&t->cond, &t->lock, end))
		;
	g_assert_true(t->first_in);
	g_mutex_unlock(&t->lock);
}

static void
turns_keep(GPtrArray *out, GPtrArray *resources)
{
	for (guint i = 0; i < resources->len; i++)
		g_ptr_array_add(out, pd_resource_ref(g_ptr_array_index(resources, i)));
}

static void
turns_noop_part_cb(GPtrArray *resources, gpointer data)
{
	turns_keep(data, resources);
}

static void
test_turns(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	const gchar *opts[] = { "--domains",
				G_STRINGIFY(TURNS_DOMAINS),
				"--shutoff-every",
				"0",
				"--plain-every",
				"0",
				NULL };
	g_autofree gchar *xml = pd_test_compute_gen_domains(dir, opts);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr conn = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GPtrArray) known =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	g_autoptr(GPtrArray) rest = NULL;
	PdComputeStats *stats; /* the cycle cache's */
	Turns t = { NULL };
	gboolean rejected_in[2] = { FALSE, FALSE };
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(conn);
	t.pool = pd_compute_pool_new(NULL);
	pd_compute_pool_set_conn_shared(t.pool, conn, 2);
	discovery = pd_compute_discovery_new(t.pool);
	pd_compute_discovery_set_refresh(PD_COMPUTE_DISCOVERY(discovery), 600 * G_USEC_PER_SEC, 0);

	/* a first cycle learns the domains: the next hands both shards over
	 * in one part after their listings; nobody asks for statistics here */
	t.cache = pd_cycle_cache_new(config);
	rest = pd_test_compute_discover_parts(discovery, t.cache, turns_noop_part_cb, known);
	turns_keep(known, rest);
	g_assert_cmpuint(known->len, ==, TURNS_DOMAINS);
	g_clear_pointer(&t.cache, pd_cycle_cache_unref);

	/* the engine drops one domain of each shard (blacklist, partitioning) */
	t.rejected = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < known->len; i++) {
		PdResource *res = g_ptr_array_index(known, i);
		PdComputeDomain *cd = pd_resource_get_data(res);
		guint shard = pd_compute_pool_shard(t.pool, cd->uuid);
		if (!rejected_in[shard]) {
			rejected_in[shard] = TRUE;
			g_hash_table_add(t.rejected, (gpointer)pd_resource_get_id(res));
		}
	}
	g_assert_true(rejected_in[0] && rejected_in[1]);

	g_mutex_init(&t.lock);
	g_cond_init(&t.cond);
	t.cache = pd_cycle_cache_new(config);
	pd_discovery_discover_parts_filtered_async(
	  discovery, NULL, t.cache, turns_filter, turns_part_cb, &t, NULL, turns_done_cb, &t);
	g_assert_true(pd_test_wait_for(turns_is_done, &t, TURNS_WAIT_S * 1000));
	g_assert_cmpuint(t.rest->len, ==, 0);
	g_assert_cmpuint(t.parts, ==, 1);
	g_assert_cmpuint(t.first->len + t.second->len, ==, TURNS_DOMAINS - 2);

	/* the second shard's statistics are queued while the invocation on
	 * the first is out (as the part arrived, or with the first meter's
	 * when that came later) ... */
	turns_wait_first_in(&t);
	for (guint i = 0; i < t.second->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(t.second, i));
		g_assert_cmpuint(
		  pd_compute_stats_peek_requested(t.cache, cd), ==, PD_COMPUTE_GROUP_INFO);
	}
	/* ... and their pipeline fetches them before that invocation returns:
	 * nothing asked for them but the discovery */
	stats =
	  pd_compute_stats_get(t.cache, t.pool, FALSE, t.second, PD_COMPUTE_GROUP_INFO, 0, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < t.second->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(t.second, i));
		PdComputeDomainStats *ds =
		  pd_compute_stats_lookup(stats, cd, PD_COMPUTE_GROUP_INFO);
		g_assert_true(g_atomic_int_get(&ds->fetched) & PD_COMPUTE_GROUP_INFO);
	}
	g_mutex_lock(&t.lock);
	g_assert_false(t.returned);
	t.release = TRUE;
	g_cond_broadcast(&t.cond);
	g_mutex_unlock(&t.lock);
	g_thread_join(t.invocation);

	/* the dropped domains' statistics were never asked for */
	for (guint i = 0; i < known->len; i++) {
		PdResource *res = g_ptr_array_index(known, i);
		guint requested =
		  pd_compute_stats_peek_requested(t.cache, pd_resource_get_data(res));
		if (g_hash_table_contains(t.rejected, pd_resource_get_id(res)))
			g_assert_cmpuint(requested, ==, 0);
		else
			g_assert_cmpuint(requested, ==, PD_COMPUTE_GROUP_INFO);
	}

	g_clear_pointer(&t.cache, pd_cycle_cache_unref);

	/* a cycle cut short: its cache goes while the statistics of both
	 * parts are still queued (the jobs stop calling), and the next cycle's
	 * cache, maybe at the same address, starts from nothing */
	for (guint cycle = 0; cycle < 2; cycle++) {
		g_autoptr(GPtrArray) parts =
		  g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
		t.cache = pd_cycle_cache_new(config);
		g_assert_cmpuint(pd_compute_stats_peek_requested(
				   t.cache, pd_resource_get_data(g_ptr_array_index(known, 0))),
				 ==,
				 0);
		g_ptr_array_unref(
		  pd_test_compute_discover_parts(discovery, t.cache, turns_noop_part_cb, parts));
		g_assert_nonnull(pd_compute_stats_get(
		  t.cache, t.pool, FALSE, parts, PD_COMPUTE_GROUP_INFO, 0, &error));
		g_assert_no_error(error);
		g_clear_pointer(&t.cache, pd_cycle_cache_unref);
	}

	g_ptr_array_unref(t.first);
	g_ptr_array_unref(t.second);
	g_ptr_array_unref(t.rest);
	g_hash_table_unref(t.rejected);
	g_mutex_clear(&t.lock);
	g_cond_clear(&t.cond);
	g_clear_object(&discovery);
	g_object_unref(t.pool);
	virConnectClose(conn);
	pd_test_rmtree(dir);
}

#define INTERLEAVE_DOMAINS 400

static void
interleave_part_cb(GPtrArray *resources, gpointer data)
{
	GPtrArray *parts = data;

	g_ptr_array_add(parts, g_ptr_array_ref(resources));
}

/* A steady cycle's known domains come in one part for both connections,
 * interleaved: whatever prefix a meter has read, it holds as many of one
 * shard's domains as of the other's, within one window (a meter reads a
 * part in its order, each pipeline fetches its shard in that order) */
static void
test_steady_interleaved(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = pd_test_compute_gen_running(dir, INTERLEAVE_DOMAINS);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr conn = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GPtrArray) parts =
	  g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	guint total[2] = { 0, 0 };
	guint seen[2] = { 0, 0 };
	GPtrArray *part;

	g_assert_nonnull(conn);
	pd_compute_pool_set_conn_shared(pool, conn, 2);
	discovery = pd_compute_discovery_new(pool);
	pd_compute_discovery_set_refresh(PD_COMPUTE_DISCOVERY(discovery), 600 * G_USEC_PER_SEC, 0);
	for (guint cycle = 0; cycle < 2; cycle++) {
		PdCycleCache *cache = pd_cycle_cache_new(config);
		g_ptr_array_set_size(parts, 0);
		g_ptr_array_unref(
		  pd_test_compute_discover_parts(discovery, cache, interleave_part_cb, parts));
		pd_cycle_cache_unref(cache);
	}
	g_assert_cmpuint(parts->len, ==, 1);
	part = g_ptr_array_index(parts, 0);
	g_assert_cmpuint(part->len, ==, INTERLEAVE_DOMAINS);
	for (guint i = 0; i < part->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(part, i));
		total[pd_compute_pool_shard(pool, cd->uuid)]++;
	}
	g_assert_cmpuint(MIN(total[0], total[1]), >, PD_COMPUTE_STATS_WINDOW);
	for (guint i = 0; i < part->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(part, i));
		seen[pd_compute_pool_shard(pool, cd->uuid)]++;
		/* until one shard is all read */
		if (seen[0] < total[0] && seen[1] < total[1])
			g_assert_cmpuint(MAX(seen[0], seen[1]) - MIN(seen[0], seen[1]),
					 <=,
					 PD_COMPUTE_STATS_WINDOW);
	}
	g_clear_object(&discovery);
	g_clear_object(&pool);
	virConnectClose(conn);
	pd_test_rmtree(dir);
}

/* a pipeline held at a gate until the test opens it */
typedef struct {
	GMutex lock;
	GCond cond;
	gboolean open;
} Gate;

static void
gate_cb(PdComputeConnection *conn, gpointer data)
{
	Gate *g = data;

	g_mutex_lock(&g->lock);
	while (!g->open)
		g_cond_wait(&g->cond, &g->lock);
	g_mutex_unlock(&g->lock);
}

static void
gate_open(Gate *g)
{
	g_mutex_lock(&g->lock);
	g->open = TRUE;
	g_cond_broadcast(&g->cond);
	g_mutex_unlock(&g->lock);
}

typedef struct {
	PdComputeStats *stats;
	PdComputeDomain *cd;
	GAsyncQueue *done;
} Meter;

static gpointer
meter_thread(gpointer data)
{
	Meter *m = data;
	PdComputeDomainStats *ds = pd_compute_stats_lookup(m->stats, m->cd, PD_COMPUTE_GROUP_INFO);

	g_assert_true(g_atomic_int_get(&ds->fetched) & PD_COMPUTE_GROUP_INFO);
	g_async_queue_push(m->done, m);
	return NULL;
}

#define WAKE_DOMAINS 300

/* a meter waiting for a domain's statistics is woken once, when that
 * domain's pipeline has answered it: not for every few domains either
 * pipeline answers before (each answers its ~150 in chunks of 64) */
static void
test_stats_wakeups(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	const gchar *opts[] = { "--domains", G_STRINGIFY(WAKE_DOMAINS), "--shutoff-every",
				"0",	     "--plain-every",		"0",
				NULL };
	g_autofree gchar *xml = pd_test_compute_gen_domains(dir, opts);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr conn = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GPtrArray) known =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	g_autoptr(GAsyncQueue) done = g_async_queue_new();
	g_autoptr(GError) error = NULL;
	PdComputePool *pool = pd_compute_pool_new(NULL);
	PdCycleCache *cache;
	PdComputeStats *stats;
	Gate gates[2];
	Meter meters[2];
	GThread *threads[2];

	g_assert_nonnull(conn);
	pd_compute_pool_set_conn_shared(pool, conn, 2);
	discovery = pd_compute_discovery_new(pool);
	cache = pd_cycle_cache_new(config);
	g_ptr_array_unref(
	  pd_test_compute_discover_parts(discovery, cache, turns_noop_part_cb, known));
	pd_cycle_cache_unref(cache);
	g_assert_cmpuint(known->len, ==, WAKE_DOMAINS);

	/* both pipelines held: the statistics queue behind the gates */
	for (guint k = 0; k < 2; k++) {
		g_mutex_init(&gates[k].lock);
		g_cond_init(&gates[k].cond);
		gates[k].open = FALSE;
		pd_compute_pipeline_push(pd_compute_pool_get(pool, k), gate_cb, &gates[k], NULL);
	}
	cache = pd_cycle_cache_new(config);
	stats = pd_compute_stats_get(cache, pool, FALSE, known, PD_COMPUTE_GROUP_INFO, 0, &error);
	g_assert_no_error(error);
	/* a meter for the last domain of each pipeline's share */
	for (guint i = 0; i < known->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(known, i));
		meters[pd_compute_pool_shard(pool, cd->uuid)].cd = cd;
	}
	for (guint k = 0; k < 2; k++) {
		meters[k].stats = stats;
		meters[k].done = done;
		threads[k] = g_thread_new("meter", meter_thread, &meters[k]);
		while (pd_compute_stats_get_waiting(stats) < k + 1)
			g_thread_yield();
	}
	g_assert_cmpuint(pd_compute_stats_get_wakeups(stats), ==, 0);

	/* the first pipeline answers its share: its meter alone is woken */
	gate_open(&gates[0]);
	g_assert_true(g_async_queue_pop(done) == &meters[0]);
	g_assert_cmpuint(pd_compute_stats_get_wakeups(stats), ==, 1);
	g_assert_cmpuint(pd_compute_stats_get_waiting(stats), ==, 1);
	/* the second: one more */
	gate_open(&gates[1]);
	g_assert_true(g_async_queue_pop(done) == &meters[1]);
	g_assert_cmpuint(pd_compute_stats_get_wakeups(stats), ==, 2);
	g_assert_cmpuint(pd_compute_stats_get_waiting(stats), ==, 0);
	for (guint k = 0; k < 2; k++)
		g_thread_join(threads[k]);
	/* answered already: no wait, no wake-up */
	pd_compute_stats_lookup(stats, meters[0].cd, PD_COMPUTE_GROUP_INFO);
	g_assert_cmpuint(pd_compute_stats_get_wakeups(stats), ==, 2);

	pd_cycle_cache_unref(cache);
	g_clear_object(&discovery);
	g_object_unref(pool); /* joins the pipelines */
	for (guint k = 0; k < 2; k++) {
		g_mutex_clear(&gates[k].lock);
		g_cond_clear(&gates[k].cond);
	}
	virConnectClose(conn);
	pd_test_rmtree(dir);
}

#define RECORDS_DOMAINS 300

typedef struct {
	PdComputePool *pool;
	PdDiscovery *discovery;
	PdConfig *config;
	GPtrArray *known;
	virConnectPtr conn;
	gchar *dir;
} Records;

/* @domains generated domains (none shut off, all Nova instances) on @conns
 * pipelines over one test:// connection, discovered into r->known */
static void
records_setup_full(Records *r, guint domains, guint conns)
{
	g_autofree gchar *n = g_strdup_printf("%u", domains);
	const gchar *opts[] = {
		"--domains", n, "--shutoff-every", "0", "--plain-every", "0", NULL
	};
	g_autofree gchar *xml = NULL;
	g_autofree gchar *uri = NULL;
	PdCycleCache *cache;

	r->dir = pd_test_mkdtemp();
	xml = pd_test_compute_gen_domains(r->dir, opts);
	uri = g_strconcat("test://", xml, NULL);
	r->conn = virConnectOpen(uri);
	g_assert_nonnull(r->conn);
	r->config = pd_config_new();
	r->pool = pd_compute_pool_new(NULL);
	pd_compute_pool_set_conn_shared(r->pool, r->conn, conns);
	r->discovery = pd_compute_discovery_new(r->pool);
	r->known = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	cache = pd_cycle_cache_new(r->config);
	g_ptr_array_unref(
	  pd_test_compute_discover_parts(r->discovery, cache, turns_noop_part_cb, r->known));
	pd_cycle_cache_unref(cache);
	g_assert_cmpuint(r->known->len, ==, domains);
}

static void
records_setup(Records *r)
{
	records_setup_full(r, RECORDS_DOMAINS, 2);
}

static void
records_teardown(Records *r)
{
	g_ptr_array_unref(r->known);
	g_clear_object(&r->discovery);
	g_object_unref(r->pool); /* joins the pipelines */
	g_object_unref(r->config);
	virConnectClose(r->conn);
	pd_test_rmtree(r->dir);
	g_free(r->dir);
}

#define CHUNK_DOMAINS 2000

/* A pipeline answers its share in chunks that grow (16 domains first, up to
 * 256): each chunk answered wakes the meters waiting for it, and with
 * chunks of 64 a steady cycle at N=5000 woke them 440 times. About 1,000
 * domains a pipeline here: about 10 chunks each (16 or 17 of 64). */
static void
test_stats_chunks(void)
{
	Records r;
	PdCycleCache *cache;
	PdComputeStats *stats;
	g_autoptr(GError) error = NULL;
	guint share[2] = { 0, 0 };

	records_setup_full(&r, CHUNK_DOMAINS, 2);
	cache = pd_cycle_cache_new(r.config);
	stats =
	  pd_compute_stats_get(cache, r.pool, FALSE, r.known, PD_COMPUTE_GROUP_INFO, 0, &error);
	g_assert_no_error(error);
	/* every domain answered: every chunk of both jobs published */
	for (guint i = 0; i < r.known->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(r.known, i));
		PdComputeDomainStats *ds =
		  pd_compute_stats_lookup(stats, cd, PD_COMPUTE_GROUP_INFO);
		g_assert_true(g_atomic_int_get(&ds->fetched) & PD_COMPUTE_GROUP_INFO);
		share[pd_compute_pool_shard(r.pool, cd->uuid)]++;
	}
	g_test_message(
	  "shares %u and %u: %u chunks", share[0], share[1], pd_compute_stats_get_chunks(stats));
	g_assert_cmpuint(share[0], >, 0);
	g_assert_cmpuint(share[1], >, 0);
	/* in chunks of 64: 31 or more */
	g_assert_cmpuint(pd_compute_stats_get_chunks(stats), <=, 24);

	pd_cycle_cache_unref(cache);
	records_teardown(&r);
}

#define LEAD_DOMAINS 1200

typedef struct {
	PdComputeStats *stats;
	PdComputePool *pool;
} LeadWait;

static gboolean
lead_settled(gpointer data)
{
	LeadWait *lw = data;

	return pd_compute_stats_get_held(lw->stats) > 0 || pd_compute_pool_get_jobs(lw->pool) == 0;
}

static gboolean
lead_done(gpointer data)
{
	return pd_compute_pool_get_jobs(data) == 0;
}

/* LEAD_DOMAINS on two pipelines, one cycle's statistics asked with no meter
 * reading them: returns them once the pipelines hold at the lead (or are
 * done) */
static PdComputeStats *
lead_hold(Records *r, PdCycleCache **cache)
{
	g_autoptr(GError) error = NULL;
	PdComputeStats *stats;
	LeadWait lw;

	records_setup_full(r, LEAD_DOMAINS, 2);
	*cache = pd_cycle_cache_new(r->config);
	stats =
	  pd_compute_stats_get(*cache, r->pool, FALSE, r->known, PD_COMPUTE_GROUP_INFO, 0, &error);
	g_assert_no_error(error);
	lw = (LeadWait){ stats, r->pool };
	g_assert_true(pd_test_wait_for(lead_settled, &lw, 60000));
	return stats;
}

/* Nobody reads the records (no meter known): the pipelines hold back at the
 * lead instead of making every domain's record at once (before: never
 * held), a domain a meter waits for is answered past the lead, and with
 * nobody releasing or waiting the jobs still finish, each hold lasting
 * PD_COMPUTE_STATS_HOLD_USEC at most (the pipeline's queue behind them,
 * a discovery's reads, is not stuck until the cycle's end). */
static void
test_stats_lead(void)
{
	Records r;
	PdCycleCache *cache;
	PdComputeStats *stats;
	PdComputeDomainStats *ds;
	guint held;
	gint64 usec;

	stats = lead_hold(&r, &cache);
	g_assert_cmpuint(pd_compute_stats_get_held(stats), >, 0);
	/* the last domain, past the lead */
	ds = pd_compute_stats_lookup(
	  stats,
	  pd_resource_get_data(g_ptr_array_index(r.known, LEAD_DOMAINS - 1)),
	  PD_COMPUTE_GROUP_INFO);
	g_assert_true(g_atomic_int_get(&ds->fetched) & PD_COMPUTE_GROUP_INFO);
	g_assert_true(pd_test_wait_for(lead_done, r.pool, 60000));
	held = pd_compute_stats_get_held(stats);
	usec = pd_compute_stats_get_held_usec(stats);
	g_test_message("%u records alive, pipelines held back %u times for %" G_GINT64_FORMAT
		       " ms, %u chunks",
		       pd_compute_stats_get_live(stats),
		       held,
		       usec / 1000,
		       pd_compute_stats_get_chunks(stats));
	g_assert_cmpuint(pd_compute_stats_get_live(stats), ==, LEAD_DOMAINS);
	/* every chunk past the lead (688 domains, chunks of 256 at most, two
	 * pipelines) came after a hold */
	g_assert_cmpuint(held, >=, 2);
	/* a hold is counted once before its chunk, not at each look at the
	 * queue (20 a hold of 200 ms: 04f775a's count) */
	g_assert_cmpuint(held, <=, pd_compute_stats_get_chunks(stats));
	/* nobody releases: each hold lasted its limit, but the one the lookup
	 * above ended (a meter waiting for its pipeline's domain) */
	g_assert_cmpint(usec, >=, (gint64)(held - 1) * PD_COMPUTE_STATS_HOLD_USEC);

	pd_cycle_cache_unref(cache);
	records_teardown(&r);
}

/* the next cycle's statistics (their own PdComputeStats, on the same
 * pipelines) are answered while the first cycle's pipelines are held with
 * nobody reading its records: a hold must not keep another cycle's jobs
 * queued behind it (the meters of the next cycle would take the worker
 * threads the first cycle's late meters need to release the records) */
static void
test_stats_lead_next_cycle(void)
{
	Records r;
	PdCycleCache *cache, *next;
	PdComputeStats *stats, *stats2;
	g_autoptr(GError) error = NULL;
	g_autoptr(GAsyncQueue) done = g_async_queue_new();
	Meter meters[2] = { { NULL } };
	GThread *threads[2] = { NULL };
	guint answered = 0;

	stats = lead_hold(&r, &cache);
	next = pd_cycle_cache_new(r.config);
	stats2 =
	  pd_compute_stats_get(next, r.pool, FALSE, r.known, PD_COMPUTE_GROUP_INFO, 0, &error);
	g_assert_no_error(error);
	/* the last domain of each shard */
	for (guint i = LEAD_DOMAINS; i-- > 0;) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(r.known, i));
		guint k = pd_compute_pool_shard(r.pool, cd->uuid);
		if (meters[k].cd == NULL)
			meters[k] = (Meter){ stats2, cd, done };
	}
	for (guint k = 0; k < 2; k++)
		threads[k] = g_thread_new("meter", meter_thread, &meters[k]);
	while (answered < 2 && g_async_queue_timeout_pop(done, 30 * G_USEC_PER_SEC) != NULL)
		answered++;
	g_test_message("answered %u of 2 with the first cycle held (%u holds)",
		       answered,
		       pd_compute_stats_get_held(stats));
	/* the first cycle's end lets its pipelines go: the threads end */
	pd_cycle_cache_unref(cache);
	for (guint k = 0; k < 2; k++)
		g_thread_join(threads[k]);
	g_assert_cmpuint(answered, ==, 2);
	pd_cycle_cache_unref(next);
	records_teardown(&r);
}

#define MATCH_DOMAINS 6

/* the bulk answer's records are told apart by name, in the order asked,
 * without asking libvirt for a UUID (which it formats for a debug line);
 * a domain left out is skipped, records out of order still find their
 * domain by UUID */
static void
test_stats_match_records(void)
{
	Records r;
	PdComputeDomainStats *asked[MATCH_DOMAINS];
	PdComputeDomainStats *matched[MATCH_DOMAINS + 1];
	virDomainPtr doms[MATCH_DOMAINS + 1] = { NULL };
	virDomainStatsRecordPtr *records = NULL;
	virDomainStatsRecordPtr swap;
	gint n;

	records_setup_full(&r, MATCH_DOMAINS, 1);
	for (guint i = 0; i < MATCH_DOMAINS; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(r.known, i));
		asked[i] = pd_compute_domain_stats_new(cd->inst);
		asked[i]->cd = pd_compute_domain_ref(cd);
		doms[i] = cd->dom;
	}

	/* all of them, in order: by name, each the one asked at its place */
	n = virDomainListGetStats(doms, VIR_DOMAIN_STATS_STATE, &records, 0);
	g_assert_cmpint(n, ==, MATCH_DOMAINS);
	g_assert_cmpuint(
	  pd_compute_stats_match_records(asked, MATCH_DOMAINS, records, matched), ==, 0);
	for (guint i = 0; i < MATCH_DOMAINS; i++)
		g_assert_true(matched[i] == asked[i]);
	/* out of order: the first two swapped, the second found by UUID */
	swap = records[0];
	records[0] = records[1];
	records[1] = swap;
	g_assert_cmpuint(
	  pd_compute_stats_match_records(asked, MATCH_DOMAINS, records, matched), ==, 1);
	g_assert_true(matched[0] == asked[1]);
	g_assert_true(matched[1] == asked[0]);
	for (guint i = 2; i < MATCH_DOMAINS; i++)
		g_assert_true(matched[i] == asked[i]);
	virDomainStatsRecordListFree(records);

	/* the second and the fifth left out (gone since the listing) */
	doms[0] = asked[0]->cd->dom;
	doms[1] = asked[2]->cd->dom;
	doms[2] = asked[3]->cd->dom;
	doms[3] = asked[5]->cd->dom;
	doms[4] = NULL;
	n = virDomainListGetStats(doms, VIR_DOMAIN_STATS_STATE, &records, 0);
	g_assert_cmpint(n, ==, 4);
	g_assert_cmpuint(
	  pd_compute_stats_match_records(asked, MATCH_DOMAINS, records, matched), ==, 0);
	g_assert_true(matched[0] == asked[0]);
	g_assert_true(matched[1] == asked[2]);
	g_assert_true(matched[2] == asked[3]);
	g_assert_true(matched[3] == asked[5]);
	virDomainStatsRecordListFree(records);

	for (guint i = 0; i < MATCH_DOMAINS; i++)
		pd_compute_domain_stats_free(asked[i]);
	records_teardown(&r);
}

/* --- statistics records' lifetime --- */

#define RECORDS_ROUNDS 20

static guint
meter_index(const gchar *name)
{
	guint n;
	const PdComputeMeter *table = pd_compute_meter_table(&n);
	const PdComputeMeter *m = pd_compute_meter_lookup(name);

	g_assert_nonnull(m);
	return (guint)(m - table);
}

/* as a compute meter reads them: a window at a time, each record once its
 * group is answered, its values there */
static void
records_read(PdComputeStats *stats, GPtrArray *resources, const gchar *source, const gchar *meter)
{
	const PdComputeMeter *m = pd_compute_meter_lookup(meter);
	PdComputeStatsWindow w;

	pd_compute_stats_window_init(&w, stats, source, meter_index(meter), m->group);
	for (guint i = 0; i < resources->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, i));
		PdComputeDomainStats *ds;
		if (i % PD_COMPUTE_STATS_WINDOW == 0)
			pd_compute_stats_window_take(&w, resources, i);
		ds = pd_compute_stats_window_wait(&w, i % PD_COMPUTE_STATS_WINDOW);
		g_assert_true(ds->cd == cd);
		g_assert_cmpuint(g_atomic_int_get(&ds->done) & m->group, ==, m->group);
		g_assert_cmpuint(g_atomic_int_get(&ds->fetched) & m->group, ==, m->group);
		if (m->group == PD_COMPUTE_GROUP_INFO)
			g_assert_cmpint(ds->v[PD_COMPUTE_CPU_NUMBER], >, 0);
		else if (m->group == PD_COMPUTE_GROUP_IFACE)
			g_assert_cmpuint(g_atomic_int_get(&ds->vnics[0].have), !=, 0);
	}
	pd_compute_stats_window_clear(&w);
}

/* A record dies once every meter that reads statistics has released it:
 * not before the second of two meters has read it (also when that meter's
 * invocation starts later, from the next cycle on: the pool remembers the
 * source's meters, and those of the sources that shared the cycle's
 * statistics), and a meter nobody knew of when the records died fetches
 * them again (ASan: nothing is read after its free). */
static void
test_stats_records_freed(void)
{
	Records r;
	g_autoptr(GError) error = NULL;

	records_setup(&r);
	for (guint cycle = 0; cycle < 2; cycle++) {
		PdCycleCache *cache = pd_cycle_cache_new(r.config);
		PdComputeStats *stats = pd_compute_stats_get(
		  cache, r.pool, FALSE, r.known, PD_COMPUTE_GROUP_INFO, 0, &error);
		PdComputeStatsWindow second;

		g_assert_no_error(error);
		/* the first cycle: both meters' invocations have begun; the next
		 * knows the second from the first */
		if (cycle == 0)
			pd_compute_stats_window_init(
			  &second, stats, "test", meter_index("vcpus"), PD_COMPUTE_GROUP_INFO);
		records_read(stats, r.known, "test", "cpu");
		g_assert_cmpuint(pd_compute_stats_get_live(stats), ==, RECORDS_DOMAINS);
		g_assert_cmpuint(pd_compute_stats_get_freed(stats), ==, 0);
		records_read(stats, r.known, "test", "vcpus");
		if (cycle == 0) {
			g_assert_cmpuint(pd_compute_stats_get_live(stats), ==, 0);
			g_assert_cmpuint(pd_compute_stats_get_freed(stats), ==, RECORDS_DOMAINS);
		} else {
			/* the other source read this cycle's before: kept for it */
			g_assert_cmpuint(pd_compute_stats_get_live(stats), ==, RECORDS_DOMAINS);
			g_assert_cmpuint(pd_compute_stats_get_freed(stats), ==, 0);
		}

		/* a meter of another source whose invocation starts after the
		 * records died (the first cycle, known to nobody): fetched again;
		 * from the next cycle on, the sources that shared one know each
		 * other's meters, and its last reader frees each record once */
		records_read(stats, r.known, "late", "network.incoming.bytes");
		if (cycle == 0) {
			g_assert_cmpuint(pd_compute_stats_get_live(stats), ==, RECORDS_DOMAINS);
		} else {
			g_assert_cmpuint(pd_compute_stats_get_live(stats), ==, 0);
			g_assert_cmpuint(pd_compute_stats_get_freed(stats), ==, RECORDS_DOMAINS);
		}
		pd_cycle_cache_unref(cache);
	}
	records_teardown(&r);
}

typedef struct {
	PdComputeStats *stats;
	GPtrArray *resources;
	const gchar *meter;
} RecordsMeter;

static gpointer
records_meter_thread(gpointer data)
{
	RecordsMeter *m = data;

	records_read(m->stats, m->resources, "test", m->meter);
	return NULL;
}

/* Four meters read while both pipelines answer, for a few cycles: each
 * record read without the lock once answered or waited for (no wake-up
 * lost: the test would hang), and every record freed by the last reader.
 * The first cycle's pipelines are held at a gate until every meter waits. */
static void
test_stats_records_race(void)
{
	static const gchar *const meters[] = {
		"cpu", "vcpus", "network.incoming.bytes", "network.outgoing.bytes"
	};
	Records r;
	g_autoptr(GError) error = NULL;

	records_setup(&r);
	for (guint cycle = 0; cycle < RECORDS_ROUNDS; cycle++) {
		PdCycleCache *cache = pd_cycle_cache_new(r.config);
		PdComputeStats *stats;
		RecordsMeter m[G_N_ELEMENTS(meters)];
		GThread *threads[G_N_ELEMENTS(meters)];
		Gate gates[2];

		for (guint k = 0; cycle == 0 && k < 2; k++) {
			g_mutex_init(&gates[k].lock);
			g_cond_init(&gates[k].cond);
			gates[k].open = FALSE;
			pd_compute_pipeline_push(
			  pd_compute_pool_get(r.pool, k), gate_cb, &gates[k], NULL);
		}
		stats = pd_compute_stats_get(
		  cache, r.pool, FALSE, r.known, PD_COMPUTE_GROUP_INFO, 0, &error);
		g_assert_no_error(error);
		/* queued, not fetched: no record yet */
		if (cycle == 0)
			g_assert_cmpuint(pd_compute_stats_get_live(stats), ==, 0);
		for (guint k = 0; k < G_N_ELEMENTS(meters); k++) {
			m[k] = (RecordsMeter){ stats, r.known, meters[k] };
			threads[k] = g_thread_new("meter", records_meter_thread, &m[k]);
		}
		if (cycle == 0) {
			while (pd_compute_stats_get_waiting(stats) < G_N_ELEMENTS(meters))
				g_thread_yield();
			for (guint k = 0; k < 2; k++)
				gate_open(&gates[k]);
		}
		for (guint k = 0; k < G_N_ELEMENTS(meters); k++)
			g_thread_join(threads[k]);
		g_assert_cmpuint(pd_compute_stats_get_live(stats), ==, 0);
		g_assert_cmpuint(pd_compute_stats_get_freed(stats), >=, RECORDS_DOMAINS);
		pd_cycle_cache_unref(cache);
		/* the jobs that held the gates are done once the next ones run */
		for (guint k = 0; cycle == 0 && k < 2; k++) {
			g_mutex_clear(&gates[k].lock);
			g_cond_clear(&gates[k].cond);
		}
	}
	records_teardown(&r);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/compute/turns", test_turns);
	g_test_add_func("/compute/steady-interleaved", test_steady_interleaved);
	g_test_add_func("/compute/stats-wakeups", test_stats_wakeups);
	g_test_add_func("/compute/stats-chunks", test_stats_chunks);
	g_test_add_func("/compute/stats-lead", test_stats_lead);
	g_test_add_func("/compute/stats-lead-next-cycle", test_stats_lead_next_cycle);
	g_test_add_func("/compute/stats-match-records", test_stats_match_records);
	g_test_add_func("/compute/stats-records-freed", test_stats_records_freed);
	g_test_add_func("/compute/stats-records-race", test_stats_records_race);
	return g_test_run();
}
