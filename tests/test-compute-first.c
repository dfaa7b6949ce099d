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

typedef struct {
	PdTestComputeParts parts; /* first */
	GHashTable *seen;	  /* resource ids handed over */
	gdouble first_fetched;	  /* latest monotonic_time of the first part's samples */
} First;

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
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = pd_test_compute_gen_running(dir, domains);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr conn = virConnectOpen(uri);
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GArray) log = NULL;
	First f = { { pd_config_new(), NULL, first_seen } };

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

	g_object_unref(f.parts.pollster);
	g_clear_object(&discovery);
	g_object_unref(f.parts.config);
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
