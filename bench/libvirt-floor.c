/*
 * polld - the libvirt floor: the fewest libvirt calls that give the bench's
 * compute meters, on one connection, and nothing else (not a test)
 *
 * Per cycle: one bulk call lists every domain with its state and whatever
 * statistics groups the driver answers (cpu, vcpu, block, interface; past
 * libvirtd's 16,384 records an answer, by ID and in slices as polld does); per
 * domain, only the groups missing from that answer: virDomainGetInfo for
 * cpu, virDomainGetBlockInfo per disk, virDomainInterfaceStats per vnic.
 * A domain's XML is read once, when it is first seen, for its disk and vnic
 * names (the bench re-reads known XML every 10 minutes only). No samples, no
 * JSON, no threads. Prints one line per cycle and a summary line of
 * key=value pairs for bench/run.
 *
 * Usage: libvirt-floor [--first] URI [cycles] [samples_per_domain] [step] [k/K]
 *
 * With --first, right after the open (libvirtd has parsed the fixture then,
 * the point polld's "connected to libvirt" line marks) it times the first
 * answer any client can have: one running domain found the cheapest way (an
 * ID listing of one, a lookup by that ID), its XML read for its disk and
 * vnic names, then that domain's 3 calls; it prints a line "first: ..."
 * (open -> the domain's answers, and each step), then the cycles as usual
 * (cycle 0, which reads every XML, runs whatever the cycles asked).
 *
 * With step 1, after each cycle's line it waits for a line on standard input
 * before going on (and before closing): a tool profiling libvirtd can switch
 * its counters at the cycles' ends (bench/libvirtd-callgrind).
 *
 * With a slice k/K it takes only every K-th domain of its listing, starting
 * at the k-th (0 <= k < K), and counts only those domains' samples: K such
 * clients on their own connections split a cycle's domains K ways, as
 * polld's K pipelines do (they by UUID, these by listing order;
 * bench/switches --floor-split K).
 *
 * Built a second time as bench/once-floor (-DONCE_FLOOR, with polld's core
 * library): the floor of `polld --once`, from process start to exit on one
 * connection: the open, cycle 0 above (the listing with every domain's
 * state and statistics groups, every domain's XML read once, the per-domain
 * calls for the groups missing: 3 a running domain of the bench's fixture),
 * then the samples serialised and signed as bench-serializer's floor does
 * (its batch of 50 samples, metadata rendered whole, polld's serializer and
 * signature: samples_per_domain a running domain, in messages of 50), not
 * published, and the connection closed. No other cycles. One line:
 *   once-floor domains=D running=R calls=C xml=X samples=S messages=M
 *   bytes=B open_cpu_s=.. list_cpu_s=.. serialize_cpu_s=.. cpu_s=.. user_s=..
 *   system_s=..
 * (cpu_s: the process's user + sys at exit, start-up included).
 *
 * Usage: once-floor URI [samples_per_domain]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#ifdef ONCE_FLOOR
#include "bench-batch.h"
#include "pd-serializer.h"
#endif

#define MAX_DEVS 8

typedef struct {
	unsigned char uuid[VIR_UUID_BUFLEN];
	char *disks[MAX_DEVS];
	char *vnics[MAX_DEVS];
	int n_disks, n_vnics;
	int seen;
} Known;

static Known *known;
static int n_known, cap_known;

static double
now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* user and system CPU s of the process (tick-sampled, split of the total) */
static void
rusage_s(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
quiet(void *data, virErrorPtr err)
{
	(void)data;
	(void)err;
}

static int find_next; /* records come in the same order every cycle */
static int n_running; /* running domains whose calls were made, all cycles */
static int slice_k, slice_n = 1, slice_next,
		    slice_read; /* this client's share: slice_k of slice_n */

static Known *
find(const unsigned char *uuid)
{
	if (find_next < n_known && memcmp(known[find_next].uuid, uuid, VIR_UUID_BUFLEN) == 0)
		return &known[find_next++];
	for (int i = 0; i < n_known; i++) {
		if (memcmp(known[i].uuid, uuid, VIR_UUID_BUFLEN) == 0) {
			find_next = i + 1;
			return &known[i];
		}
	}
	return NULL;
}

/* the dev='...' of every <target> inside <tag> elements (with a <source>
 * if @need_source: a cdrom without one has no statistics, as in Ceilometer);
 * a string scan is enough for the fixture, and cheaper than any parser */
static int
scan_targets(const char *xml, const char *tag, int need_source, char **out)
{
	char open[32], close[32];
	int n = 0;

	snprintf(open, sizeof(open), "<%s ", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	for (const char *p = strstr(xml, open); p != NULL && n < MAX_DEVS; p = strstr(p, open)) {
		const char *end = strstr(p, close);
		const char *t = strstr(p, "<target dev='");
		const char *src = strstr(p, "<source");
		if (end == NULL)
			break;
		if (t != NULL && t < end && (!need_source || (src != NULL && src < end))) {
			const char *v = t + strlen("<target dev='");
			const char *q = strchr(v, '\'');
			if (q != NULL)
				out[n++] = strndup(v, q - v);
		}
		p = end;
	}
	return n;
}

static Known *
learn(virDomainPtr dom, const unsigned char *uuid)
{
	char *xml = virDomainGetXMLDesc(dom, 0);
	Known *k;

	if (xml == NULL)
		return NULL;
	if (n_known == cap_known) {
		cap_known = cap_known ? cap_known * 2 : 1024;
		known = realloc(known, cap_known * sizeof(*known));
	}
	find_next = n_known + 1;
	k = &known[n_known++];
	memset(k, 0, sizeof(*k));
	memcpy(k->uuid, uuid, VIR_UUID_BUFLEN);
	k->n_disks = scan_targets(xml, "disk", 1, k->disks);
	k->n_vnics = scan_targets(xml, "interface", 0, k->vnics);
	free(xml);
	return k;
}

#ifndef ONCE_FLOOR
/* open -> one running domain's statistics: what the cheapest client that
 * knows nothing yet needs before its first sample; 0 on success */
static int
first_answer(virConnectPtr conn, double t_open)
{
	double t_list, t_lookup, t_xml, t_end;
	unsigned char uuid[VIR_UUID_BUFLEN];
	virDomainInfo info;
	virDomainPtr dom;
	Known *k;
	int id, n, calls = 0;

	/* libvirtd walks its domains for the first running one's ID, and again
	 * for the lookup by ID; a listing of handles (virConnectListAllDomains)
	 * would build an answer of every domain */
	n = virConnectListDomains(conn, &id, 1);
	t_list = now_s(CLOCK_MONOTONIC);
	if (n != 1)
		return -1;
	dom = virDomainLookupByID(conn, id);
	t_lookup = now_s(CLOCK_MONOTONIC);
	if (dom == NULL || virDomainGetUUID(dom, uuid) < 0)
		return -1;
	/* the device names the per-domain calls take */
	k = learn(dom, uuid);
	t_xml = now_s(CLOCK_MONOTONIC);
	if (k == NULL || k->n_disks < 1 || k->n_vnics < 1)
		return -1;
	calls += virDomainGetInfo(dom, &info) == 0;
	for (int i = 0; i < k->n_disks; i++) {
		virDomainBlockInfo bi;
		calls += virDomainGetBlockInfo(dom, k->disks[i], &bi, 0) == 0;
	}
	for (int i = 0; i < k->n_vnics; i++) {
		virDomainInterfaceStatsStruct st;
		calls += virDomainInterfaceStats(dom, k->vnics[i], &st, sizeof(st)) == 0;
	}
	t_end = now_s(CLOCK_MONOTONIC);
	virDomainFree(dom);
	n = calls == 1 + k->n_disks + k->n_vnics ? 0 : -1;
	/* the cycles start from nothing known, as without --first */
	for (int i = 0; i < k->n_disks; i++)
		free(k->disks[i]);
	for (int i = 0; i < k->n_vnics; i++)
		free(k->vnics[i]);
	n_known = 0;
	if (n < 0)
		return -1;
	printf("first: %.4f s open -> first domain's answers (ID listing %.4f, lookup %.4f, "
	       "XML %.4f, %d calls %.4f)\n",
	       t_end - t_open,
	       t_list - t_open,
	       t_lookup - t_list,
	       t_xml - t_lookup,
	       calls,
	       t_end - t_xml);
	return 0;
}

#endif

static int
has(virDomainStatsRecordPtr r, const char *key)
{
	return virTypedParamsGet(r->params, r->nparams, key) != NULL;
}

/* per-domain calls for the groups the bulk record lacks; returns the calls */
static int
fill(virDomainStatsRecordPtr r, Known *k)
{
	int calls = 0;

	if (!has(r, "cpu.time")) {
		virDomainInfo info;
		calls++;
		if (virDomainGetInfo(r->dom, &info) < 0)
			return calls;
	}
	if (!has(r, "block.0.allocation")) {
		for (int i = 0; i < k->n_disks; i++) {
			virDomainBlockInfo bi;
			calls++;
			virDomainGetBlockInfo(r->dom, k->disks[i], &bi, 0);
		}
	}
	if (!has(r, "net.0.rx.bytes")) {
		for (int i = 0; i < k->n_vnics; i++) {
			virDomainInterfaceStatsStruct st;
			calls++;
			virDomainInterfaceStats(r->dom, k->vnics[i], &st, sizeof(st));
		}
	}
	return calls;
}

/* libvirtd answers at most this many domains or records at once */
#define LIST_MAX 16384
#define CHUNK 1024

/* the records of one answer; returns the calls made for them */
static int
process(virDomainStatsRecordPtr *records, int n, int *n_xml)
{
	int calls = 0;

	for (int i = 0; i < n; i++) {
		unsigned char uuid[VIR_UUID_BUFLEN];
		int state = 0;
		Known *k;
		if (slice_next++ % slice_n != slice_k)
			continue;
		slice_read++;
		if (virDomainGetUUID(records[i]->dom, uuid) < 0)
			continue;
		k = find(uuid);
		if (k == NULL) {
			(*n_xml)++;
			calls++;
			k = learn(records[i]->dom, uuid);
		}
		virTypedParamsGetInt(
		  records[i]->params, records[i]->nparams, "state.state", &state);
		if (k != NULL && state == VIR_DOMAIN_RUNNING) {
			n_running++;
			calls += fill(records[i], k);
		}
	}
	return calls;
}

/* past LIST_MAX running domains (polld's discovery does the same): the
 * listed IDs, then the IDs the listing left out, each looked up */
static int
list_by_id(virConnectPtr conn, int n_active, virDomainPtr **out, int *n_calls)
{
	int *ids = malloc(LIST_MAX * sizeof(int));
	char *seen;
	virDomainPtr *doms = malloc((n_active + 1) * sizeof(virDomainPtr));
	int n_ids = virConnectListDomains(conn, ids, LIST_MAX), n = 0, max_id = 0;

	(*n_calls)++;
	if (n_ids < 0) {
		free(ids);
		free(doms);
		return -1;
	}
	for (int i = 0; i < n_ids; i++)
		max_id = ids[i] > max_id ? ids[i] : max_id;
	seen = calloc(max_id + 1, 1);
	for (int i = 0; i < n_ids && n < n_active; i++) {
		seen[ids[i]] = 1;
		(*n_calls)++;
		if ((doms[n] = virDomainLookupByID(conn, ids[i])) != NULL)
			n++;
	}
	for (int id = 1; n < n_active && id <= max_id + 1024; id++) {
		if (id <= max_id && seen[id])
			continue;
		(*n_calls)++;
		if ((doms[n] = virDomainLookupByID(conn, id)) != NULL)
			n++;
	}
	free(seen);
	free(ids);
	*out = doms;
	return n;
}

/* the running domains in a persistent and a transient answer; -1 when one
 * of them does not fit either */
static int
list_split(virConnectPtr conn, unsigned int groups, int *n_domains, int *n_calls, int *n_xml)
{
	unsigned int filters[] = { VIR_CONNECT_GET_ALL_DOMAINS_STATS_PERSISTENT,
				   VIR_CONNECT_GET_ALL_DOMAINS_STATS_TRANSIENT };
	virDomainStatsRecordPtr *records[2] = { NULL, NULL };
	int n[2] = { -1, -1 };

	for (int i = 0; i < 2; i++) {
		(*n_calls)++;
		n[i] = virConnectGetAllDomainStats(
		  conn, groups, &records[i], VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE | filters[i]);
		if (n[i] < 0) {
			if (i == 1)
				virDomainStatsRecordListFree(records[0]);
			virResetLastError();
			return -1;
		}
	}
	for (int i = 0; i < 2; i++) {
		*n_domains += n[i];
		*n_calls += process(records[i], n[i], n_xml);
		virDomainStatsRecordListFree(records[i]);
	}
	return 0;
}

static int
cycle(virConnectPtr conn, int *n_domains, int *n_calls, int *n_xml)
{
	virDomainStatsRecordPtr *records = NULL;
	unsigned int groups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
			      VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_BLOCK |
			      VIR_DOMAIN_STATS_INTERFACE;
	int n_active = virConnectNumOfDomains(conn);
	virDomainPtr *doms = NULL;
	int n;

	*n_calls = 2;
	*n_xml = 0;
	*n_domains = 0;
	if (n_active < 0)
		return -1;
	/* the bench's fixtures have running domains only */
	if (n_active <= LIST_MAX) {
		n = virConnectGetAllDomainStats(conn, groups, &records, 0);
		if (n < 0)
			return -1;
		*n_domains = n;
		*n_calls += 1 + process(records, n, n_xml);
		virDomainStatsRecordListFree(records);
		return 0;
	}
	/* split into persistent and transient ones (polld does the same;
	 * the bench's fixture past the limit has both), else by ID */
	if (list_split(conn, groups, n_domains, n_calls, n_xml) == 0)
		return 0;
	n = list_by_id(conn, n_active, &doms, n_calls);
	if (n < 0)
		return -1;
	for (int off = 0; off < n; off += CHUNK) {
		int len = n - off < CHUNK ? n - off : CHUNK;
		virDomainPtr slice[CHUNK + 1];
		int got;
		memcpy(slice, doms + off, len * sizeof(virDomainPtr));
		slice[len] = NULL;
		(*n_calls)++;
		got = virDomainListGetStats(slice, groups, &records, 0);
		if (got < 0)
			return -1;
		*n_domains += got;
		*n_calls += process(records, got, n_xml);
		virDomainStatsRecordListFree(records);
	}
	for (int i = 0; i < n; i++)
		virDomainFree(doms[i]);
	free(doms);
	return 0;
}

#ifdef ONCE_FLOOR
static double
cpu_now_s(void)
{
	return now_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* bench/once-floor: open, cycle 0, serialise + sign, close, exit */
int
main(int argc, char **argv)
{
	const char *uri = argc > 1 ? argv[1] : NULL;
	int per_domain = argc > 2 ? atoi(argv[2]) : 14;
	int n_domains = 0, n_calls = 0, n_xml = 0;
	double c_open, c_list, c_ser, user, sys;
	long samples, messages = 0, bytes = 0;
	PdSerializer *ser;
	PdSampleBatch *batch;
	PdSample *ptrs[BATCH_SIZE];
	virConnectPtr conn;

	if (uri == NULL) {
		fprintf(stderr, "usage: once-floor URI [samples_per_domain]\n");
		return 2;
	}
	virSetErrorFunc(NULL, quiet);
	conn = virConnectOpenReadOnly(uri);
	if (conn == NULL) {
		fprintf(stderr, "cannot open %s: %s\n", uri, virGetLastErrorMessage());
		return 1;
	}
	c_open = cpu_now_s();
	if (cycle(conn, &n_domains, &n_calls, &n_xml) < 0) {
		fprintf(stderr, "cycle: %s\n", virGetLastErrorMessage());
		return 1;
	}
	c_list = cpu_now_s();
	/* bench-serializer's floor: the same batch, polld's serializer, signed
	 * with the bench's secret; every message built is freed, not sent */
	ser = pd_serializer_new("openstack", "bench-secret", FALSE);
	batch = bench_make_batch(0);
	for (int i = 0; i < BATCH_SIZE; i++)
		ptrs[i] = pd_sample_batch_index(batch, i);
	samples = (long)n_running * per_domain;
	for (long done = 0; done < samples; done += BATCH_SIZE) {
		long len = samples - done < BATCH_SIZE ? samples - done : BATCH_SIZE;
		PdMessage *msg = pd_serializer_build_message(ser, ptrs, (guint)len);
		bytes += (long)g_bytes_get_size(msg->body);
		messages++;
		pd_message_unref(msg);
	}
	pd_sample_batch_free(batch);
	pd_serializer_free(ser);
	c_ser = cpu_now_s();
	virConnectClose(conn);
	for (int i = 0; i < n_known; i++) {
		for (int j = 0; j < known[i].n_disks; j++)
			free(known[i].disks[j]);
		for (int j = 0; j < known[i].n_vnics; j++)
			free(known[i].vnics[j]);
	}
	free(known);
	rusage_s(&user, &sys);
	printf("once-floor domains=%d running=%d calls=%d xml=%d samples=%ld messages=%ld "
	       "bytes=%ld open_cpu_s=%.4f list_cpu_s=%.4f serialize_cpu_s=%.4f cpu_s=%.4f "
	       "user_s=%.3f system_s=%.3f\n",
	       n_domains,
	       n_running,
	       n_calls,
	       n_xml,
	       samples,
	       messages,
	       bytes,
	       c_open,
	       c_list - c_open,
	       c_ser - c_list,
	       cpu_now_s(),
	       user,
	       sys);
	return 0;
}
#else
int
main(int argc, char **argv)
{
	int first = argc > 1 && strcmp(argv[1], "--first") == 0;
	const char *uri, *slice;
	int cycles, per_domain, step;
	double open_wall, open_cpu, sum_wall = 0, sum_cpu = 0, sum_user = 0, sum_sys = 0;
	long samples = 0;
	virConnectPtr conn;

	argc -= first;
	argv += first;
	uri = argc > 1 ? argv[1] : NULL;
	cycles = argc > 2 ? atoi(argv[2]) : 3;
	per_domain = argc > 3 ? atoi(argv[3]) : 14;
	step = argc > 4 ? atoi(argv[4]) : 0;
	slice = argc > 5 ? argv[5] : NULL;
	if (uri == NULL) {
		fprintf(stderr,
			"usage: libvirt-floor [--first] URI [cycles] [samples_per_domain] [step] "
			"[k/K]\n");
		return 2;
	}
	if (slice != NULL && (sscanf(slice, "%d/%d", &slice_k, &slice_n) != 2 || slice_n < 1 ||
			      slice_k < 0 || slice_k >= slice_n)) {
		fprintf(stderr, "slice must be k/K with 0 <= k < K\n");
		return 2;
	}
	virSetErrorFunc(NULL, quiet);
	open_wall = now_s(CLOCK_MONOTONIC);
	open_cpu = now_s(CLOCK_PROCESS_CPUTIME_ID);
	conn = virConnectOpenReadOnly(uri);
	if (conn == NULL) {
		fprintf(stderr, "cannot open %s: %s\n", uri, virGetLastErrorMessage());
		return 1;
	}
	{
		double t_open = now_s(CLOCK_MONOTONIC);

		printf("open: %.3f s wall, %.4f CPU s\n",
		       t_open - open_wall,
		       now_s(CLOCK_PROCESS_CPUTIME_ID) - open_cpu);
		if (first && first_answer(conn, t_open) < 0) {
			fprintf(stderr, "first answer: %s\n", virGetLastErrorMessage());
			return 1;
		}
	}
	/* cycle 0 reads every XML, like an agent's first discovery */
	for (int c = 0; c <= cycles; c++) {
		double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
		/* wall-clock ends let bench/run read libvirtd's CPU over the cycle */
		double t0 = now_s(CLOCK_REALTIME);
		int n_domains = 0, n_calls = 0, n_xml = 0;
		double wall, cpu, u0, s0, u1, s1;

		rusage_s(&u0, &s0);
		find_next = 0;
		slice_next = slice_read = 0;
		if (cycle(conn, &n_domains, &n_calls, &n_xml) < 0) {
			fprintf(stderr, "cycle %d: %s\n", c, virGetLastErrorMessage());
			return 1;
		}
		wall = now_s(CLOCK_MONOTONIC) - w0;
		cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		rusage_s(&u1, &s1);
		printf("cycle %d: %d domains, %d calls (%d XML), %.3f s wall, %.4f CPU s, "
		       "at %.6f-%.6f\n",
		       c,
		       n_domains,
		       n_calls,
		       n_xml,
		       wall,
		       cpu,
		       t0,
		       now_s(CLOCK_REALTIME));
		fflush(stdout);
		if (step) {
			char go[16];
			if (fgets(go, sizeof(go), stdin) == NULL)
				step = 0;
		}
		if (c > 0) {
			sum_wall += wall;
			sum_cpu += cpu;
			sum_user += u1 - u0;
			sum_sys += s1 - s0;
			samples += (long)slice_read * per_domain;
		}
	}
	virConnectClose(conn);
	printf("floor cycles=%d cycle_wall_s=%.4f cpu_s_per_cycle=%.5f "
	       "cpu_s_per_1000_samples=%.5f user_s_per_cycle=%.4f system_s_per_cycle=%.4f\n",
	       cycles,
	       cycles ? sum_wall / cycles : 0,
	       cycles ? sum_cpu / cycles : 0,
	       samples ? 1000.0 * sum_cpu / samples : 0,
	       cycles ? sum_user / cycles : 0,
	       cycles ? sum_sys / cycles : 0);
	return 0;
}
#endif
