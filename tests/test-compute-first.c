/*
 * compute-libvirt's first discovery: the first samples do not wait for the
 * listing of every domain. A first part of a few running domains (found by
 * ID) is handed over before the listing, and the statistics the pollsters
 * ask for it are fetched before the listing too; every domain is still
 * handed over exactly once, and a later discovery (domains known) lists
 * first, as before.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <libvirt/libvirt.h>

#include "pd-compute-discovery.h"
#include "pd-compute-domain.h"
#include "pd-compute-pollster.h"
#include "pd-config-private.h"
#include "pd-cycle-cache-private.h"
#include "pd-poll-context-private.h"
#include "pd-test-compute.h"
#include "pd-test-util.h"
#include "polld.h"

static gchar *
gen_domains(const gchar *dir, const gchar *domains)
{
	const gchar *opts[] = { "--domains", domains, "--shutoff-every", "0", "--plain-every",
				"0",	     NULL };

	return pd_test_compute_gen_domains(dir, opts);
}

typedef struct {
	PdConfig *config;
	PdCycleCache *cache;
	PdPollster *pollster;  /* cpu: statistics from the pipeline */
	GArray *sizes;	       /* of the parts, as they came */
	GHashTable *seen;      /* resource ids handed over */
	gdouble first_fetched; /* latest monotonic_time of the first part's samples */
	guint polled;
	GPtrArray *rest;
} First;

/* as the engine: the pollster polls in a thread (it waits for the
 * pipeline's statistics) */
static gpointer
first_poll_thread(gpointer data)
{
	gpointer *args = data;
	First *f = args[0];
	GPtrArray *resources = args[1];
	g_autoptr(PdPollContext) ctx = pd_poll_context_new(f->config, f->cache, "test");
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSampleBatch) batch = NULL;

	g_assert_true(
	  PD_POLLSTER_GET_CLASS(f->pollster)->poll(f->pollster, ctx, resources, NULL, &error));
	g_assert_no_error(error);
	return pd_poll_context_steal_batch(ctx);
}

static void
first_part_cb(GPtrArray *resources, gpointer user_data)
{
	First *f = user_data;
	gpointer args[] = { f, resources };
	GThread *thread = g_thread_new("first-poll", first_poll_thread, args);
	g_autoptr(PdSampleBatch) batch = g_thread_join(thread);

	for (guint i = 0; i < resources->len; i++) {
		const gchar *id = pd_resource_get_id(g_ptr_array_index(resources, i));
		/* each domain once per run */
		g_assert_true(g_hash_table_add(f->seen, g_strdup(id)));
	}
	for (guint i = 0; f->sizes->len == 0 && i < pd_sample_batch_get_size(batch); i++) {
		PdSample *s = pd_sample_batch_index(batch, i);
		f->first_fetched = MAX(f->first_fetched, s->monotonic_time);
	}
	g_array_append_val(f->sizes, resources->len);
	f->polled += pd_sample_batch_get_size(batch);
}

static void
first_run(First *f, PdDiscovery *discovery)
{
	f->cache = pd_cycle_cache_new(f->config);
	f->sizes = g_array_new(FALSE, FALSE, sizeof(guint));
	f->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	f->first_fetched = 0;
	f->polled = 0;
	f->rest = pd_test_compute_discover_parts(discovery, f->cache, first_part_cb, f);
	g_assert_cmpuint(f->rest->len, ==, 0);
}

static void
first_clear(First *f)
{
	g_clear_pointer(&f->cache, pd_cycle_cache_unref);
	g_clear_pointer(&f->sizes, g_array_unref);
	g_clear_pointer(&f->seen, g_hash_table_unref);
	g_clear_pointer(&f->rest, g_ptr_array_unref);
}

static void
test_first_part(void)
{
	const guint domains = 200;
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = gen_domains(dir, "200");
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr conn = virConnectOpen(uri);
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GArray) log = NULL;
	First f = { pd_config_new() };

	g_assert_nonnull(conn);
	pd_compute_pool_set_conn(pool, conn);
	discovery = pd_compute_discovery_new(pool);
	pd_compute_discovery_set_refresh(PD_COMPUTE_DISCOVERY(discovery), 600 * G_USEC_PER_SEC, 0);
	f.pollster = pd_compute_pollster_new(pd_compute_meter_lookup("cpu"), pool);

	/* nothing known: a first part of 2, before the listing, whose
	 * statistics were fetched before the listing began */
	first_run(&f, discovery);
	log = pd_compute_discovery_get_parts(PD_COMPUTE_DISCOVERY(discovery));
	g_assert_cmpuint(f.sizes->len, >, 2);
	g_assert_cmpuint(g_array_index(f.sizes, guint, 0), ==, 2);
	g_assert_cmpuint(g_array_index(log, guint, 1), ==, 2);
	g_assert_cmpfloat(f.first_fetched, >, 0);
	g_assert_cmpfloat(
	  f.first_fetched, <, pd_compute_discovery_get_listed_at(PD_COMPUTE_DISCOVERY(discovery)));
	/* every domain once, the early ones not again from the listing */
	g_assert_cmpuint(g_hash_table_size(f.seen), ==, domains);
	g_assert_cmpuint(f.polled, ==, domains);
	g_assert_cmpuint(
	  pd_compute_discovery_get_cache_size(PD_COMPUTE_DISCOVERY(discovery)), ==, domains);
	first_clear(&f);
	g_clear_pointer(&log, g_array_unref);

	/* known domains: the listing first, all of them in one part */
	first_run(&f, discovery);
	g_assert_cmpuint(f.sizes->len, ==, 1);
	g_assert_cmpuint(g_array_index(f.sizes, guint, 0), ==, domains);
	g_assert_cmpfloat(
	  f.first_fetched, >, pd_compute_discovery_get_listed_at(PD_COMPUTE_DISCOVERY(discovery)));
	g_assert_cmpuint(f.polled, ==, domains);
	first_clear(&f);

	g_object_unref(f.pollster);
	g_clear_object(&discovery);
	g_object_unref(f.config);
	virConnectClose(conn);
	pd_test_rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/compute/first-part", test_first_part);
	return g_test_run();
}
