/*
 * polld - what the compute tests share: libvirt test driver domain files
 * (tests/gen-domains.py) and the meters the test driver can't feed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-test-compute.h"

#include "pd-compute-discovery.h"
#include "pd-compute-instance.h"
#include "pd-cycle-cache-private.h"
#include "pd-poll-context-private.h"
#include "pd-test-util.h"

const gchar *const pd_test_compute_unfed_meters[] = {
	"memory.usage",
	"memory.resident",
	"memory.available",
	"memory.swap.in",
	"memory.swap.out",
	"disk.device.read.latency",
	"disk.device.write.latency",
	"perf.cpu.cycles",
	"perf.instructions",
	"perf.cache.references",
	"perf.cache.misses",
	NULL,
};

/* writes domains.xml in @dir for test:///<path>, as gen-domains.py @options says */
gchar *
pd_test_compute_gen_domains(const gchar *dir, const gchar *const *options)
{
	g_autofree gchar *script =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "gen-domains.py", NULL);
	gchar *path = g_build_filename(dir, "domains.xml", NULL);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	gint status = -1;

	g_ptr_array_add(argv, (gpointer) "python3");
	g_ptr_array_add(argv, script);
	g_ptr_array_add(argv, (gpointer) "--out");
	g_ptr_array_add(argv, path);
	for (guint i = 0; options != NULL && options[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)options[i]);
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(NULL,
		     (gchar **)argv->pdata,
		     NULL,
		     G_SPAWN_SEARCH_PATH,
		     NULL,
		     NULL,
		     NULL,
		     NULL,
		     &status,
		     &error);
	g_assert_no_error(error);
	g_assert_cmpint(status, ==, 0);
	return path;
}

gchar *
pd_test_compute_gen_running(const gchar *dir, guint domains)
{
	g_autofree gchar *n = g_strdup_printf("%u", domains);
	const gchar *opts[] = {
		"--domains", n, "--shutoff-every", "0", "--plain-every", "0", NULL
	};

	return pd_test_compute_gen_domains(dir, opts);
}

void
pd_test_compute_set_instance(virDomainPtr dom, const gchar *name, const gchar *flavor_xml)
{
	g_autofree gchar *meta = g_strdup_printf("<instance><name>%s</name>%s<owner><user "
						 "uuid='u'/><project uuid='p'/></owner></instance>",
						 name,
						 flavor_xml);

	g_assert_cmpint(virDomainSetMetadata(dom,
					     VIR_DOMAIN_METADATA_ELEMENT,
					     meta,
					     "nova",
					     PD_COMPUTE_NOVA_NS_1_1,
					     VIR_DOMAIN_AFFECT_LIVE),
			==,
			0);
}

PdDiscovery *
pd_test_compute_discovery_new(PdComputePool *pool, virConnectPtr conn)
{
	PdDiscovery *discovery;

	g_assert_nonnull(conn);
	pd_compute_pool_set_conn(pool, conn);
	discovery = pd_compute_discovery_new(pool);
	pd_compute_discovery_set_refresh(PD_COMPUTE_DISCOVERY(discovery), 600 * G_USEC_PER_SEC, 0);
	return discovery;
}

typedef struct {
	GPtrArray *rest;
	GError *error;
	gboolean done;
} PdTestDiscoverRun;

static void
pd_test_discover_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdTestDiscoverRun *run = user_data;

	run->rest = pd_discovery_discover_finish(PD_DISCOVERY(source), res, &run->error);
	run->done = TRUE;
}

static gboolean
pd_test_discover_is_done(gpointer data)
{
	return ((PdTestDiscoverRun *)data)->done;
}

GPtrArray *
pd_test_compute_discover_parts(PdDiscovery *discovery,
			       PdCycleCache *cache,
			       PdDiscoveryPartFunc part_func,
			       gpointer part_data)
{
	PdTestDiscoverRun run = { NULL, NULL, FALSE };

	pd_discovery_discover_parts_async(
	  discovery, NULL, cache, part_func, part_data, NULL, pd_test_discover_done_cb, &run);
	g_assert_true(pd_test_wait_for(pd_test_discover_is_done, &run, 120000));
	g_assert_no_error(run.error);
	return run.rest;
}

static gpointer
pd_test_parts_poll_thread(gpointer data)
{
	gpointer *args = data;
	PdTestComputeParts *pt = args[0];
	GPtrArray *resources = args[1];
	g_autoptr(PdPollContext) ctx = pd_poll_context_new(pt->config, pt->cache, "test");
	g_autoptr(GError) error = NULL;

	g_assert_true(
	  PD_POLLSTER_GET_CLASS(pt->pollster)->poll(pt->pollster, ctx, resources, NULL, &error));
	g_assert_no_error(error);
	return pd_poll_context_steal_batch(ctx);
}

/* main context, before the result */
static void
pd_test_parts_part_cb(GPtrArray *resources, gpointer user_data)
{
	PdTestComputeParts *pt = user_data;
	gpointer args[] = { pt, resources };
	GThread *thread = g_thread_new("parts-poll", pd_test_parts_poll_thread, args);
	g_autoptr(PdSampleBatch) batch = g_thread_join(thread);

	if (pt->seen != NULL)
		pt->seen(pt, resources, batch);
	g_array_append_val(pt->sizes, resources->len);
	pt->polled += pd_sample_batch_get_size(batch);
}

void
pd_test_compute_parts_run(PdTestComputeParts *pt, PdDiscovery *discovery)
{
	pt->cache = pd_cycle_cache_new(pt->config);
	pt->sizes = g_array_new(FALSE, FALSE, sizeof(guint));
	pt->polled = 0;
	pt->rest = pd_test_compute_discover_parts(discovery, pt->cache, pd_test_parts_part_cb, pt);
}

void
pd_test_compute_parts_clear(PdTestComputeParts *pt)
{
	g_clear_pointer(&pt->cache, pd_cycle_cache_unref);
	g_clear_pointer(&pt->sizes, g_array_unref);
	g_clear_pointer(&pt->rest, g_ptr_array_unref);
}
