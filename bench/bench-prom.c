/*
 * polld Prometheus exporter cost: N instances x 14 meters (70,000 series at
 * N=5000) with compute-shaped metadata, ingested as one cycle, then scraped
 * over real HTTP by a client thread. Prints ingest and scrape times and the
 * RSS the exporter adds (metadata and samples are built before the first
 * RSS reading: they are the agent's, not the exporter's).
 *
 * usage: bench-prom [N] [scrapes]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "pd-prom-server.h"
#include "pd-prom-store.h"
#include "pd-sample.h"

static const gchar *const meters[][2] = {
	{ "cpu", "ns" },
	{ "vcpus", "vcpu" },
	{ "memory.usage", "MB" },
	{ "memory.resident", "MB" },
	{ "disk.device.read.bytes", "B" },
	{ "disk.device.write.bytes", "B" },
	{ "disk.device.read.requests", "request" },
	{ "disk.device.write.requests", "request" },
	{ "disk.device.capacity", "B" },
	{ "disk.device.allocation", "B" },
	{ "network.incoming.bytes", "B" },
	{ "network.outgoing.bytes", "B" },
	{ "network.incoming.packets", "packet" },
	{ "network.outgoing.packets", "packet" },
};

static glong
rss_kb(void)
{
	g_autofree gchar *status = NULL;
	const gchar *p;

	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
		return -1;
	p = strstr(status, "VmRSS:");
	return p != NULL ? strtol(p + 6, NULL, 10) : -1;
}

static PdMetadata *
instance_md(guint i, const gchar *device)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autofree gchar *display = g_strdup_printf("vm-%u", i);
	g_autofree gchar *name = g_strdup_printf("instance-%08x", i);
	g_autofree gchar *id = g_strdup_printf("%08x-e1df-5b64-9b7d-d850e2082558", i);

	pd_metadata_builder_add_string(b, "display_name", display);
	pd_metadata_builder_add_string(b, "name", device != NULL ? device : name);
	pd_metadata_builder_add_string(b, "instance_id", id);
	pd_metadata_builder_add_string(b, "instance_type", "m1.small");
	pd_metadata_builder_add_string(
	  b, "host", "475517ea808ddf20fd4be2f851e92e5c4a14f40acc8c124c8d012f1d");
	pd_metadata_builder_add_string(b, "instance_host", "compute-0");
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_string(b, "id", "2");
	pd_metadata_builder_add_string(b, "name", "m1.small");
	pd_metadata_builder_add_int(b, "vcpus", 1);
	pd_metadata_builder_add_int(b, "ram", 2048);
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_string(b, "status", "active");
	pd_metadata_builder_add_string(b, "state", "running");
	pd_metadata_builder_add_string(b, "image_ref", "855dc4d6-a70b-558f-be73-9c2084110086");
	pd_metadata_builder_add_int(b, "memory_mb", 2048);
	return pd_metadata_builder_end_flat(b);
}

static PdSampleBatch *
make_cycle(guint n)
{
	PdSampleBatch *batch = pd_sample_batch_new();

	for (guint i = 0; i < n; i++) {
		g_autofree gchar *rid = g_strdup_printf("%08x-e1df-5b64-9b7d-d850e2082558", i);
		g_autofree gchar *disk = g_strdup_printf("%s-vda", rid);
		g_autofree gchar *vnic = g_strdup_printf("instance-%08x-%s-tap%07u-00", i, rid, i);
		g_autoptr(PdMetadata) md = instance_md(i, NULL);
		g_autoptr(PdMetadata) disk_md = instance_md(i, "vda");
		g_autoptr(PdMetadata) vnic_md = instance_md(i, "tap");

		for (guint m = 0; m < G_N_ELEMENTS(meters); m++) {
			const gchar *r = m < 4 ? rid : m < 10 ? disk : vnic;
			PdMetadata *mdm = m < 4 ? md : m < 10 ? disk_md : vnic_md;
			PdSample *s = pd_sample_batch_add(batch,
							  meters[m][0],
							  PD_SAMPLE_TYPE_CUMULATIVE,
							  meters[m][1],
							  r,
							  "a1b2c3d4e5f60718293a4b5c6d7e8f90",
							  "p0000000000000000000000000000002",
							  mdm);
			pd_sample_set_int(s, (gint64)i * 1000 + m);
		}
	}
	return batch;
}

static gdouble
thread_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (gdouble)ru.ru_utime.tv_sec * 1e3 + (gdouble)ru.ru_utime.tv_usec / 1e3 +
	       (gdouble)ru.ru_stime.tv_sec * 1e3 + (gdouble)ru.ru_stime.tv_usec / 1e3;
}

typedef struct {
	GMainLoop *loop;
	gchar *out;
} PdCurl;

static void
curl_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdCurl *c = user_data;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), res, &c->out, NULL, NULL);
	g_main_loop_quit(c->loop);
}

/* one scrape by curl, a process of its own, while this loop serves it */
static gdouble
scrape_once(const gchar *uri, gdouble *bytes)
{
	g_autoptr(GSubprocess) proc = NULL;
	PdCurl c = { g_main_loop_new(NULL, FALSE), NULL };
	gdouble secs = -1;

	proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE,
				NULL,
				"curl",
				"-s",
				"-o",
				"/dev/null",
				"-w",
				"%{time_total} %{size_download}",
				uri,
				NULL);
	g_assert(proc != NULL);
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, curl_done_cb, &c);
	g_main_loop_run(c.loop);
	g_main_loop_unref(c.loop);
	if (c.out != NULL && sscanf(c.out, "%lf %lf", &secs, bytes) != 2)
		secs = -1;
	g_free(c.out);
	return secs * 1000.0;
}

static gint
cmp_double(gconstpointer a, gconstpointer b)
{
	gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	guint n = argc > 1 ? (guint)atoi(argv[1]) : 5000;
	guint scrapes = argc > 2 ? (guint)atoi(argv[2]) : 5;
	g_autoptr(PdSampleBatch) batch = make_cycle(n);
	g_autoptr(GPtrArray) ptrs = g_ptr_array_new();
	const gchar *addrs[] = { "127.0.0.1:0", NULL };
	g_autofree gdouble *wall = g_new0(gdouble, scrapes);
	g_autofree gchar *uri = NULL;
	g_autofree gchar *base = NULL;
	gdouble cpu0, ingest_cpu, scrape_cpu, bytes = 0;
	glong rss0, rss1, rss2;
	PdPromStore *store;
	PdPromServer *server;
	GSList *uris;

	for (guint i = 0; i < pd_sample_batch_get_size(batch); i++)
		g_ptr_array_add(ptrs, pd_sample_batch_index(batch, i));
	rss0 = rss_kb();
	store = pd_prom_store_new();
	server = pd_prom_server_new(store, NULL, NULL);
	/* the first cycle creates every series, later ones find them */
	pd_prom_store_add(store, (PdSample *const *)ptrs->pdata, ptrs->len, G_USEC_PER_SEC);
	cpu0 = thread_cpu_ms();
	for (gint64 c = 2; c < 7; c++) {
		pd_prom_store_add(
		  store, (PdSample *const *)ptrs->pdata, ptrs->len, c * G_USEC_PER_SEC);
		pd_prom_store_expire(store, NULL, c * G_USEC_PER_SEC);
	}
	ingest_cpu = (thread_cpu_ms() - cpu0) / 5;
	rss1 = rss_kb();
	if (!pd_prom_server_listen(server, addrs, NULL, NULL, NULL))
		return 1;
	uris = pd_prom_server_get_uris(server);
	base = g_uri_to_string(uris->data);
	uri = g_strconcat(base, "metrics", NULL);
	cpu0 = thread_cpu_ms();
	for (guint i = 0; i < scrapes; i++)
		wall[i] = scrape_once(uri, &bytes);
	scrape_cpu = (thread_cpu_ms() - cpu0) / scrapes;
	rss2 = rss_kb();
	qsort(wall, scrapes, sizeof(gdouble), cmp_double);
	printf("| N | series | ingest CPU ms/cycle | scrape CPU ms | scrape wall ms (median of %u, "
	       "curl) | body MB | RSS added by the exporter MB | same, after the scrapes MB |\n",
	       scrapes);
	printf("|---|---|---|---|---|---|---|---|\n");
	printf("| %u | %u | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
	       n,
	       pd_prom_store_get_n_series(store),
	       ingest_cpu,
	       scrape_cpu,
	       wall[scrapes / 2],
	       bytes / 1e6,
	       (gdouble)(rss1 - rss0) / 1024.0,
	       (gdouble)(rss2 - rss0) / 1024.0);
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	g_object_unref(server);
	pd_prom_store_free(store);
	return 0;
}
