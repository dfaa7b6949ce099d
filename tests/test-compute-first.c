/*
 * compute-libvirt's first discovery: the first samples do not wait for the
 * listing of every domain. A first part of a few running domains (found by
 * ID) is handed over before the listing, and the statistics the pollsters
 * ask for it are fetched before the listing too; every domain is still
 * handed over exactly once, and a later discovery (domains known) lists
 * first, as before. Each connection finds a first part of its own shard,
 * however the first IDs listed fall, and the other connections start once
 * the first one's first part has its statistics, from the domains of their
 * shards the first one looked up, without listing IDs again.
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
#include "pd-poll-context-private.h"
#include "pd-test-compute.h"
#include "pd-test-util.h"
#include "polld.h"

typedef struct {
	PdTestComputeParts parts; /* first */
	GHashTable *seen;	  /* resource ids handed over */
	gdouble first_fetched;	  /* latest monotonic_time of the first part's samples */
	gchar *dir;		  /* the test driver's file */
	virConnectPtr conn;	  /* to it */
} First;

/* a test driver connection to a file of @domains running domains */
static virConnectPtr
first_open(First *f, guint domains)
{
	g_autofree gchar *xml = NULL;
	g_autofree gchar *uri = NULL;

	f->dir = pd_test_mkdtemp();
	xml = pd_test_compute_gen_running(f->dir, domains);
	uri = g_strconcat("test://", xml, NULL);
	f->conn = virConnectOpen(uri);
	g_assert_nonnull(f->conn);
	return f->conn;
}

/* after the test's discovery is gone */
static void
first_close(First *f)
{
	g_object_unref(f->parts.pollster);
	g_object_unref(f->parts.config);
	virConnectClose(f->conn);
	pd_test_rmtree(f->dir);
	g_free(f->dir);
}

static void
first_seen(PdTestComputeParts *pt, GPtrArray *resources, PdSampleBatch *batch)
{
	First *f = (First *)pt;

	for (guint i = 0; i < resources->len; i++) {
		const gchar *id = pd_resource_get_id(g_ptr_array_index(resources, i));
		/* each domain once per run */
		g_assert_true(g_hash_table_add(f->seen, g_strdup(id)));
	}
	for (guint i = 0; pt->sizes->len == 0 && i < pd_sample_batch_get_size(batch); i++) {
		PdSample *s = pd_sample_batch_index(batch, i);
		f->first_fetched = MAX(f->first_fetched, s->monotonic_time);
	}
}

static void
first_run(First *f, PdDiscovery *discovery)
{
	f->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	f->first_fetched = 0;
	pd_test_compute_parts_run(&f->parts, discovery);
	g_assert_cmpuint(f->parts.rest->len, ==, 0);
}

static void
first_clear(First *f)
{
	pd_test_compute_parts_clear(&f->parts);
	g_clear_pointer(&f->seen, g_hash_table_unref);
}

static void
test_first_part(void)
{
	const guint domains = 200;
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GArray) log = NULL;
	First f = { { pd_config_new(), NULL, first_seen } };
	virConnectPtr conn = first_open(&f, domains);

	discovery = pd_test_compute_discovery_new(pool, conn);
	f.parts.pollster = pd_compute_pollster_new(pd_compute_meter_lookup("cpu"), pool);

	/* nothing known: a first part of 2, before the listing, whose
	 * statistics were fetched before the listing began */
	first_run(&f, discovery);
	log = pd_compute_discovery_get_parts(PD_COMPUTE_DISCOVERY(discovery));
	g_assert_cmpuint(f.parts.sizes->len, >, 2);
	g_assert_cmpuint(g_array_index(f.parts.sizes, guint, 0), ==, 2);
	g_assert_cmpuint(g_array_index(log, guint, 1), ==, 2);
	g_assert_cmpfloat(f.first_fetched, >, 0);
	g_assert_cmpfloat(
	  f.first_fetched, <, pd_compute_discovery_get_listed_at(PD_COMPUTE_DISCOVERY(discovery)));
	/* every domain once, the early ones not again from the listing */
	g_assert_cmpuint(g_hash_table_size(f.seen), ==, domains);
	g_assert_cmpuint(f.parts.polled, ==, domains);
	g_assert_cmpuint(
	  pd_compute_discovery_get_cache_size(PD_COMPUTE_DISCOVERY(discovery)), ==, domains);
	first_clear(&f);
	g_clear_pointer(&log, g_array_unref);

	/* known domains: the listing first, all of them in one part */
	first_run(&f, discovery);
	g_assert_cmpuint(f.parts.sizes->len, ==, 1);
	g_assert_cmpuint(g_array_index(f.parts.sizes, guint, 0), ==, domains);
	g_assert_cmpfloat(
	  f.first_fetched, >, pd_compute_discovery_get_listed_at(PD_COMPUTE_DISCOVERY(discovery)));
	g_assert_cmpuint(f.parts.polled, ==, domains);
	first_clear(&f);

	g_clear_object(&discovery);
	first_close(&f);
}

/* the shard of the domain with ID @id, for a pool of @pool */
static guint
first_shard_of(virConnectPtr conn, PdComputePool *pool, gint id)
{
	virDomainPtr dom = virDomainLookupByID(conn, id);
	guchar uuid[VIR_UUID_BUFLEN];
	guint shard;

	g_assert_nonnull(dom);
	g_assert_cmpint(virDomainGetUUID(dom, uuid), ==, 0);
	shard = pd_compute_pool_shard(pool, uuid);
	virDomainFree(dom);
	return shard;
}

/* removes running domains of shard 0 until the first @first IDs listed are
 * all shard 1's; returns how many domains are left */
static guint
first_only_shard_1(virConnectPtr conn, PdComputePool *pool, guint domains, guint first)
{
	for (guint round = 0; round < domains; round++) {
		gint ids[512];
		gint n = virConnectListDomains(conn, ids, G_N_ELEMENTS(ids));
		gint victim = -1;

		g_assert_cmpint(n, >=, (gint)first);
		for (guint i = 0; i < first && victim < 0; i++) {
			if (first_shard_of(conn, pool, ids[i]) == 0)
				victim = ids[i];
		}
		if (victim < 0)
			return (guint)n;
		virDomainPtr dom = virDomainLookupByID(conn, victim);
		g_assert_cmpint(virDomainDestroy(dom), ==, 0);
		g_assert_cmpint(virDomainUndefine(dom), ==, 0);
		virDomainFree(dom);
	}
	g_assert_not_reached();
}

/* Two connections, and the first IDs listed are all the second one's: the
 * first connection still finds running domains of its own shard for its
 * early part (listing more IDs) instead of waiting for its whole listing. */
static void
test_first_part_other_shard(void)
{
	const guint domains = 200;
	/* twice what one round of IDs covers for 2 connections (8) */
	const guint first = 16;
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	First f = { { pd_config_new(), NULL, first_seen } };
	virConnectPtr conn = first_open(&f, domains);
	guint left, shard0 = 0;
	gint ids[256];
	gint n;

	pd_compute_pool_set_conn_shared(pool, conn, 2);
	left = first_only_shard_1(conn, pool, domains, first);
	/* shard 0 still has running domains, none among the first IDs */
	n = virConnectListDomains(conn, ids, G_N_ELEMENTS(ids));
	g_assert_cmpint(n, ==, (gint)left);
	for (gint i = 0; i < n; i++) {
		guint shard = first_shard_of(conn, pool, ids[i]);
		if (i < (gint)first)
			g_assert_cmpuint(shard, ==, 1);
		shard0 += shard == 0;
	}
	g_assert_cmpuint(shard0, >=, 2);

	f.parts.pollster = pd_compute_pollster_new(pd_compute_meter_lookup("cpu"), pool);
	/* a few first discoveries: the second connection's start and the
	 * first part's statistics are on two threads */
	for (guint round = 0; round < 4; round++) {
		g_clear_object(&discovery);
		discovery = pd_compute_discovery_new(pool);
		pd_compute_discovery_set_refresh(
		  PD_COMPUTE_DISCOVERY(discovery), 600 * G_USEC_PER_SEC, 0);
		first_run(&f, discovery);
		/* both connections handed 2 over before their listings */
		g_assert_cmpuint(
		  pd_compute_discovery_get_early(PD_COMPUTE_DISCOVERY(discovery), 0), ==, 2);
		g_assert_cmpuint(
		  pd_compute_discovery_get_early(PD_COMPUTE_DISCOVERY(discovery), 1), ==, 2);
		/* the second connection started once the first one's first
		 * part had its statistics (the first part handed over is the
		 * first shard's) */
		g_assert_cmpfloat(f.first_fetched, >, 0);
		g_assert_cmpfloat(
		  f.first_fetched,
		  <,
		  pd_compute_discovery_get_started_at(PD_COMPUTE_DISCOVERY(discovery), 1));
		g_assert_cmpuint(g_hash_table_size(f.seen), ==, left);
		g_assert_cmpuint(f.parts.polled, ==, left);
		first_clear(&f);
	}

	g_clear_object(&discovery);
	first_close(&f);
}

/* Two connections: the first one's early part looks up listed IDs until it
 * has 2 domains of its shard, and the second shard's domains it met on the
 * way are the second connection's first part, looked up by UUID: the
 * second early part lists no IDs (libvirtd walks every domain for that). */
static void
test_first_part_found_by_first(void)
{
	const guint domains = 200;
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	First f = { { pd_config_new(), NULL, first_seen } };
	virConnectPtr conn = first_open(&f, domains);
	guint own = 0, met = 0, left = domains;
	gint ids[8];
	gint n;

	pd_compute_pool_set_conn_shared(pool, conn, 2);
	/* the first IDs listed hold a domain of the second shard before the
	 * first shard's second one (the first shard's first ones removed
	 * until they do; the second shard's first one when fewer than 2 of
	 * the first shard are among them) */
	for (;; left--) {
		gint victim = -1, other = -1;
		virDomainPtr dom;
		n = virConnectListDomains(conn, ids, G_N_ELEMENTS(ids));
		own = met = 0;
		for (gint i = 0; i < n && own < 2; i++) {
			if (first_shard_of(conn, pool, ids[i]) == 0) {
				victim = victim < 0 ? ids[i] : victim;
				own++;
			} else {
				other = other < 0 ? ids[i] : other;
				met++;
			}
		}
		if (own == 2 && met > 0)
			break;
		dom = virDomainLookupByID(conn, own == 2 ? victim : other);
		g_assert_cmpint(virDomainDestroy(dom), ==, 0);
		g_assert_cmpint(virDomainUndefine(dom), ==, 0);
		virDomainFree(dom);
	}

	f.parts.pollster = pd_compute_pollster_new(pd_compute_meter_lookup("cpu"), pool);
	for (guint round = 0; round < 2; round++) {
		g_clear_object(&discovery);
		discovery = pd_compute_discovery_new(pool);
		pd_compute_discovery_set_refresh(
		  PD_COMPUTE_DISCOVERY(discovery), 600 * G_USEC_PER_SEC, 0);
		first_run(&f, discovery);
		g_assert_cmpuint(
		  pd_compute_discovery_get_early_listings(PD_COMPUTE_DISCOVERY(discovery), 0),
		  ==,
		  1);
		g_assert_cmpuint(
		  pd_compute_discovery_get_early_listings(PD_COMPUTE_DISCOVERY(discovery), 1),
		  ==,
		  0);
		g_assert_cmpuint(
		  pd_compute_discovery_get_early(PD_COMPUTE_DISCOVERY(discovery), 0), ==, 2);
		g_assert_cmpuint(pd_compute_discovery_get_early(PD_COMPUTE_DISCOVERY(discovery), 1),
				 ==,
				 MIN(met, 2));
		/* every domain once */
		g_assert_cmpuint(g_hash_table_size(f.seen), ==, left);
		g_assert_cmpuint(f.parts.polled, ==, left);
		first_clear(&f);
	}

	g_clear_object(&discovery);
	first_close(&f);
}

/* the second connection's early part ends before the third one's begins */
typedef struct {
	GMutex lock;
	GCond cond;
	gboolean second_done;
} EarlyOrder;

static void
early_order_hook(guint pipeline, gboolean done, gpointer data)
{
	EarlyOrder *o = data;
	gint64 deadline = g_get_monotonic_time() + 30 * G_TIME_SPAN_SECOND;

	g_mutex_lock(&o->lock);
	if (pipeline == 1 && done) {
		o->second_done = TRUE;
		g_cond_broadcast(&o->cond);
	}
	while (pipeline == 2 && !done && !o->second_done)
		g_assert_true(g_cond_wait_until(&o->cond, &o->lock, deadline));
	g_mutex_unlock(&o->lock);
}

/* Three connections, and the first one's early part meets one domain of
 * the third shard and none of the second's before its own 2: the second
 * connection lists IDs and meets that domain again. The third connection's
 * early part, after the second's, hands it over once (twice without the
 * check in pd_compute_run_keep_found()). */
static void
test_first_part_found_by_two(void)
{
	const guint domains = 200;
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	First f = { { pd_config_new(), NULL, first_seen } };
	virConnectPtr conn = first_open(&f, domains);
	EarlyOrder order = { 0 };
	guint left = domains;

	pd_compute_pool_set_conn_shared(pool, conn, 3);
	/* the first IDs up to the first shard's second: one of the third
	 * shard, none of the second (domains removed until they are) */
	for (;; left--) {
		gint ids[12], victim = -1, first[3] = { -1, -1, -1 };
		guint count[3] = { 0 };
		gint n = virConnectListDomains(conn, ids, G_N_ELEMENTS(ids));
		virDomainPtr dom;

		for (gint i = 0; i < n && count[0] < 2; i++) {
			guint shard = first_shard_of(conn, pool, ids[i]);
			first[shard] = first[shard] < 0 ? ids[i] : first[shard];
			count[shard]++;
		}
		if (count[0] == 2 && count[1] == 0 && count[2] == 1)
			break;
		/* fewer than 2 of the first shard: more than 1 of the others */
		victim = count[1] > 0 ? first[1] : count[2] > 1 ? first[2] : first[0];
		g_assert_cmpint(victim, >=, 0);
		dom = virDomainLookupByID(conn, victim);
		g_assert_cmpint(virDomainDestroy(dom), ==, 0);
		g_assert_cmpint(virDomainUndefine(dom), ==, 0);
		virDomainFree(dom);
	}

	g_mutex_init(&order.lock);
	g_cond_init(&order.cond);
	f.parts.pollster = pd_compute_pollster_new(pd_compute_meter_lookup("cpu"), pool);
	discovery = pd_compute_discovery_new(pool);
	pd_compute_discovery_set_refresh(PD_COMPUTE_DISCOVERY(discovery), 600 * G_USEC_PER_SEC, 0);
	pd_compute_discovery_set_early_hook(
	  PD_COMPUTE_DISCOVERY(discovery), early_order_hook, &order);
	/* first_seen() fails on a domain handed over twice */
	first_run(&f, discovery);
	g_assert_true(order.second_done);
	/* the second lists IDs, the third starts from what the others met */
	g_assert_cmpuint(
	  pd_compute_discovery_get_early_listings(PD_COMPUTE_DISCOVERY(discovery), 1), >=, 1);
	g_assert_cmpuint(
	  pd_compute_discovery_get_early_listings(PD_COMPUTE_DISCOVERY(discovery), 2), ==, 0);
	/* that domain, and maybe one more the second one met */
	g_assert_cmpuint(pd_compute_discovery_get_early(PD_COMPUTE_DISCOVERY(discovery), 2), >=, 1);
	g_assert_cmpuint(g_hash_table_size(f.seen), ==, left);
	g_assert_cmpuint(f.parts.polled, ==, left);
	first_clear(&f);

	g_clear_object(&discovery);
	g_mutex_clear(&order.lock);
	g_cond_clear(&order.cond);
	first_close(&f);
}

/* the main context held (busy, as under load) from the moment the early
 * part is about to be handed over until the listing begins, at most
 * LATE_HOLD_USEC: far past what a timer on the hand-over (100 ms before)
 * waited */
#define LATE_HOLD_USEC (G_USEC_PER_SEC / 2)

typedef struct {
	GMutex lock;
	GCond cond;
	gboolean listing;     /* the listing's first answer came */
	gboolean held;	      /* the main context was held */
	gboolean listed_held; /* ... and the listing came meanwhile */
} LateDispatch;

/* main context, ahead of the early part's dispatch */
static gboolean
late_hold_cb(gpointer data)
{
	LateDispatch *d = data;
	gint64 deadline = g_get_monotonic_time() + LATE_HOLD_USEC;

	g_mutex_lock(&d->lock);
	while (!d->listing && g_cond_wait_until(&d->cond, &d->lock, deadline))
		;
	d->held = TRUE;
	d->listed_held = d->listing;
	g_mutex_unlock(&d->lock);
	return G_SOURCE_REMOVE;
}

/* the pipeline's thread, right before the early part is handed over: the
 * main context is held before it dispatches the part */
static void
late_early_hook(guint pipeline, gboolean done, gpointer data)
{
	GSource *hold;

	if (!done)
		return;
	hold = g_idle_source_new();
	g_source_set_priority(hold, G_PRIORITY_HIGH);
	g_source_set_callback(hold, late_hold_cb, data, NULL);
	g_source_attach(hold, g_main_context_default());
	g_source_unref(hold);
}

static void
late_listing_cb(gpointer conn, gpointer data)
{
	LateDispatch *d = data;

	g_mutex_lock(&d->lock);
	d->listing = TRUE;
	g_cond_broadcast(&d->cond);
	g_mutex_unlock(&d->lock);
}

/* The main context dispatches the early part late (busy, as under load):
 * the pipeline waits for the engine to be done with the part, not for a
 * time, and the part's statistics still come before the listing. */
static void
test_first_part_dispatched_late(void)
{
	const guint domains = 200;
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	First f = { { pd_config_new(), NULL, first_seen } };
	virConnectPtr conn = first_open(&f, domains);
	LateDispatch d = { 0 };

	g_mutex_init(&d.lock);
	g_cond_init(&d.cond);
	discovery = pd_test_compute_discovery_new(pool, conn);
	f.parts.pollster = pd_compute_pollster_new(pd_compute_meter_lookup("cpu"), pool);
	pd_compute_discovery_set_early_hook(PD_COMPUTE_DISCOVERY(discovery), late_early_hook, &d);
	pd_compute_discovery_set_between_answers(
	  PD_COMPUTE_DISCOVERY(discovery), late_listing_cb, &d);

	first_run(&f, discovery);
	g_assert_true(d.held);
	/* the listing did not start while the part waited for the main
	 * context */
	g_assert_false(d.listed_held);
	g_assert_true(d.listing);
	g_assert_true(pd_compute_discovery_get_early_woken(PD_COMPUTE_DISCOVERY(discovery), 0));
	g_assert_cmpuint(g_array_index(f.parts.sizes, guint, 0), ==, 2);
	g_assert_cmpfloat(f.first_fetched, >, 0);
	g_assert_cmpfloat(
	  f.first_fetched, <, pd_compute_discovery_get_listed_at(PD_COMPUTE_DISCOVERY(discovery)));
	g_assert_cmpuint(g_hash_table_size(f.seen), ==, domains);
	g_assert_cmpuint(f.parts.polled, ==, domains);
	first_clear(&f);

	g_clear_object(&discovery);
	g_mutex_clear(&d.lock);
	g_cond_clear(&d.cond);
	first_close(&f);
}

typedef struct {
	GArray *sizes; /* of the parts, as they came */
	guint seen;
	PdResource *first; /* of the early part */
	gboolean done;
	GPtrArray *rest;
} Rejected;

static gboolean
rejected_filter(PdResource *res, gpointer data)
{
	return FALSE;
}

static void
rejected_part_cb(GPtrArray *resources, gpointer data)
{
	Rejected *r = data;

	if (r->first == NULL)
		r->first = pd_resource_ref(g_ptr_array_index(resources, 0));
	g_array_append_val(r->sizes, resources->len);
	r->seen += resources->len;
}

static void
rejected_done_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	Rejected *r = data;
	g_autoptr(GError) error = NULL;

	r->rest = pd_discovery_discover_finish(PD_DISCOVERY(source), res, &error);
	g_assert_no_error(error);
	r->done = TRUE;
}

static gboolean
rejected_is_done(gpointer data)
{
	return ((Rejected *)data)->done;
}

/* The caller's filter (blacklist, partitioning) accepts none of the early
 * part: no statistics are queued for it, and the pipeline's wait ends as
 * the part is dispatched (it ran out after 100 ms before), the listing
 * next. */
static void
test_first_part_rejected(void)
{
	const guint domains = 50;
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	First f = { { NULL } };
	virConnectPtr conn = first_open(&f, domains);
	Rejected r = { g_array_new(FALSE, FALSE, sizeof(guint)) };

	discovery = pd_test_compute_discovery_new(pool, conn);
	pd_discovery_discover_parts_filtered_async(discovery,
						   NULL,
						   cache,
						   rejected_filter,
						   rejected_part_cb,
						   &r,
						   NULL,
						   rejected_done_cb,
						   &r);
	g_assert_true(pd_test_wait_for(rejected_is_done, &r, 120000));
	g_assert_nonnull(r.rest);
	g_assert_cmpuint(r.rest->len, ==, 0);
	/* the early part, then the listing's */
	g_assert_cmpuint(r.sizes->len, >=, 2);
	g_assert_cmpuint(g_array_index(r.sizes, guint, 0), ==, 2);
	g_assert_cmpuint(r.seen, ==, domains);
	g_assert_true(pd_compute_discovery_get_early_woken(PD_COMPUTE_DISCOVERY(discovery), 0));
	/* nothing accepted: no statistics this cycle */
	g_assert_cmpuint(
	  pd_compute_stats_peek_requested(cache, pd_resource_get_data(r.first)), ==, 0);

	pd_resource_unref(r.first);
	g_array_unref(r.sizes);
	g_ptr_array_unref(r.rest);
	g_clear_object(&discovery);
	virConnectClose(f.conn);
	pd_test_rmtree(f.dir);
	g_free(f.dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/compute/first-part", test_first_part);
	g_test_add_func("/compute/first-part/other-shard", test_first_part_other_shard);
	g_test_add_func("/compute/first-part/found-by-the-first", test_first_part_found_by_first);
	g_test_add_func("/compute/first-part/found-by-two", test_first_part_found_by_two);
	g_test_add_func("/compute/first-part/dispatched-late", test_first_part_dispatched_late);
	g_test_add_func("/compute/first-part/rejected", test_first_part_rejected);
	return g_test_run();
}
