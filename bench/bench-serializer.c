/*
 * polld - serializer micro benchmark (not a test)
 *
 * Serialises 1,000,000 samples in messages of 50 with compute metadata
 * shaped like Ceilometer's (see the golden message), signed, and prints the
 * throughput; the last line (floor cpu_s_per_1000_samples=...) is the signed
 * run's CPU per 1000 samples, bench/run's serializer floor. The "overlay"
 * run has the same texts as overlays (what the compute plugin keeps per
 * domain: its own members on a base shared by its class), rendered as
 * they are written; the "kept" run the same overlays as the compute plugin
 * builds them, their strings borrowed from a keeper and the members they
 * repeat interned.
 * Usage: bench-serializer [n_samples]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <time.h>

#include "bench-batch.h"
#include "pd-serializer.h"

static gint64
cpu_time_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* CPU seconds per 1000 samples */
static gdouble
run(const gchar *label, const gchar *secret, gint overlay, guint n_samples)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", secret, FALSE);
	g_autoptr(PdSampleBatch) batch = bench_make_batch(overlay);
	PdSample *ptrs[BATCH_SIZE];
	guint n_messages = n_samples / BATCH_SIZE;
	guint64 bytes = 0;
	gint64 start, elapsed, cpu_start, cpu;
	guint n;

	for (guint i = 0; i < BATCH_SIZE; i++)
		ptrs[i] = pd_sample_batch_index(batch, i);
	start = g_get_monotonic_time();
	cpu_start = cpu_time_us();
	for (guint m = 0; m < n_messages; m++) {
		PdMessage *msg = pd_serializer_build_message(ser, ptrs, BATCH_SIZE);
		bytes += g_bytes_get_size(msg->body);
		pd_message_unref(msg);
	}
	elapsed = MAX(g_get_monotonic_time() - start, 1);
	cpu = MAX(cpu_time_us() - cpu_start, 1);
	n = MAX(n_messages * BATCH_SIZE, 1);
	g_print("%-8s %u samples in %.3f s (cpu %.3f s): %.0f samples/s, %.0f ns/sample "
		"(cpu %.0f), %.0f bytes/sample\n",
		label,
		n,
		elapsed / 1e6,
		cpu / 1e6,
		n / (elapsed / 1e6),
		elapsed * 1e3 / n,
		cpu * 1e3 / n,
		(gdouble)bytes / n);
	return cpu / 1e3 / n;
}

int
main(int argc, char **argv)
{
	guint n_samples = argc > 1 ? (guint)strtoul(argv[1], NULL, 10) : 1000000;

	gdouble signed_cpu;

	run("unsigned", NULL, 0, n_samples);
	signed_cpu = run("signed", "anchor-secret", 0, n_samples);
	run("unsigned", NULL, 0, n_samples);
	run("overlay", "anchor-secret", 1, n_samples);
	run("kept", "anchor-secret", 2, n_samples);
	/* the serializer's floor for bench/run: serialise + sign, nothing else */
	g_print("floor cpu_s_per_1000_samples=%.5f\n", signed_cpu);
	return 0;
}
