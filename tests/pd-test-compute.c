/*
 * polld - what the compute tests share: libvirt test driver domain files
 * (tests/gen-domains.py) and the meters the test driver can't feed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-test-compute.h"

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
