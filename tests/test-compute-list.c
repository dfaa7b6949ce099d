/*
 * compute-libvirt's listing past libvirtd's limit of domains an answer may
 * carry (16,384): made small here, on the test driver, the listing in
 * slices (inactive domains apart, running ones by ID, states in chunks)
 * must give the same domains and states as the one-answer listing, also
 * after domains stop and start (new IDs) between two discoveries. Within
 * the limit, the states come with the handles, from answers by state (the
 * rare other states, and the states of a listing whose answers by state do
 * not add up, in slices of a bounded size, each pipeline's for its own
 * shard's domains only).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-compute-discovery.h"
#include "pd-compute-listing.h"
#include "pd-compute-domain.h"
#include "pd-config-private.h"
#include "pd-cycle-cache-private.h"
#include "pd-test-util.h"
#include "polld.h"

static gchar *
gen_domains(const gchar *dir, const gchar *transient_every)
{
	g_autofree gchar *script =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "gen-domains.py", NULL);
	gchar *path = g_build_filename(dir, "domains.xml", NULL);
	const gchar *argv[] = { "python3",
				script,
				"--out",
				path,
				"--domains",
				"10",
				"--shutoff-every",
				"3",
				"--plain-every",
				"0",
				"--transient-every",
				transient_every,
				NULL };
	g_autoptr(GError) error = NULL;
	gint status = -1;

	g_spawn_sync(
	  NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return path;
}

static gint
pd_compare_lines(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* "uuid=state" of every instance, sorted */
static gchar *
discover(PdDiscovery *discovery, PdConfig *config)
{
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
	  PD_DISCOVERY_GET_CLASS(discovery)->discover(discovery, NULL, cache, NULL, &error);
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);

	g_assert_no_error(error);
	for (guint i = 0; i < resources->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, i));
		g_ptr_array_add(lines, g_strdup_printf("%s=%d", cd->inst->uuid, cd->state));
	}
	g_ptr_array_sort(lines, pd_compare_lines);
	g_ptr_array_add(lines, NULL);
	return g_strjoinv("\n", (gchar **)lines->pdata);
}

enum { BY_ID, SPLIT, BY_ID_SHARDS };

/* SPLIT: half the running domains are transient, so the listing by state
 * split into persistent and transient ones fits (at most 4 each): no
 * lookup by ID, no state answer; else the running ones are found by ID. BY_ID_SHARDS: by two
 * pipelines, each keeping handles by ID of its own shard's running domains
 * the listing's answer gave (the others' IDs only), and of all those past
 * the answer (found by ID, their states asked) */
static void
test_list_sliced(gconstpointer data)
{
	gint mode = GPOINTER_TO_INT(data);
	gboolean split = mode == SPLIT;
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = gen_domains(dir, split ? "2" : "0");
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr rw = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) whole_pool = pd_compute_pool_new(NULL);
	g_autoptr(PdComputePool) sliced_pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) whole = NULL;
	g_autoptr(PdDiscovery) sliced = NULL;
	virDomainPtr running, stopped;

	g_assert_nonnull(rw);
	pd_compute_pool_set_conn(whole_pool, rw);
	if (mode == BY_ID_SHARDS)
		pd_compute_pool_set_conn_shared(sliced_pool, rw, 2);
	else
		pd_compute_pool_set_conn(sliced_pool, rw);
	whole = pd_compute_discovery_new(whole_pool);
	sliced = pd_compute_discovery_new(sliced_pool);
	/* 7 running, 3 shut off: more than 4 running are listed by ID */
	pd_compute_discovery_set_list_max(PD_COMPUTE_DISCOVERY(sliced), 4);
	/* every answer of handles (inactive, running, split by filters) is
	 * followed by their states in slices */
	pd_compute_discovery_set_list_slice(PD_COMPUTE_DISCOVERY(sliced), 3);
	g_assert_cmpint(virConnectNumOfDomains(rw), ==, 7);
	g_assert_cmpint(virConnectNumOfDefinedDomains(rw), ==, 3);

	for (guint round = 0; round < 3; round++) {
		g_autofree gchar *want = discover(whole, config);
		g_autofree gchar *got = discover(sliced, config);
		guint largest = 0, answers;
		g_assert_cmpstr(got, ==, want);
		g_assert_cmpuint(
		  pd_compute_discovery_get_cache_size(PD_COMPUTE_DISCOVERY(sliced)), ==, 10);
		/* SPLIT: the answers by state, split into persistent and
		 * transient ones, carry the states (no state answer) */
		answers =
		  pd_compute_discovery_take_list_answers(PD_COMPUTE_DISCOVERY(sliced), &largest);
		if (split)
			g_assert_cmpuint(answers, ==, 0);
		else
			g_assert_cmpuint(answers, >, 0);
		g_assert_cmpuint(largest, <=, 3);
		g_assert_cmpint(
		  pd_compute_discovery_get_listed_by_id(PD_COMPUTE_DISCOVERY(sliced)), ==, !split);
		if (mode == BY_ID_SHARDS) {
			guint n_running = (guint)virConnectNumOfDomains(rw);
			guint handles =
			  pd_compute_discovery_get_by_id_handles(PD_COMPUTE_DISCOVERY(sliced));
			g_test_message(
			  "round %u: %u running, %u handles", round, n_running, handles);
			/* the answer's 4 once, the rest twice (each pipeline all: 14) */
			g_assert_cmpuint(handles, <=, 4 + 2 * (n_running - 4));
			g_assert_cmpuint(handles, >=, n_running);
		}
		if (round == 0) {
			/* one stops: its kept handle now says shut off (a
			 * persistent one: a transient domain would be gone) */
			gint ids[10];
			g_assert_cmpint(virConnectListDomains(rw, ids, 10), ==, 7);
			running = NULL;
			for (guint i = 0; running == NULL && i < 7; i++) {
				running = virDomainLookupByID(rw, ids[i]);
				g_assert_nonnull(running);
				if (virDomainIsPersistent(running) != 1)
					g_clear_pointer(&running, virDomainFree);
			}
			g_assert_nonnull(running);
			g_assert_cmpint(virDomainDestroy(running), ==, 0);
			virDomainFree(running);
		} else if (round == 1) {
			/* one starts under an ID no listing gave before */
			stopped = virDomainLookupByName(rw, "instance-00000002");
			g_assert_nonnull(stopped);
			g_assert_cmpint(virDomainCreate(stopped), ==, 0);
			g_assert_cmpuint(virDomainGetID(stopped), >, 7);
			virDomainFree(stopped);
		}
	}
	g_clear_object(&sliced);
	g_clear_object(&whole);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

/* between the inactive domains' answer and the running ones' (or the
 * first two answers by state): a shut off domain starts, once */
static void
start_between_cb(gpointer conn, gpointer data)
{
	virDomainPtr dom = data;

	if (virDomainIsActive(dom) == 0)
		g_assert_cmpint(virDomainCreate(dom), ==, 0);
}

/* The listing in several answers sees each domain at another moment: a
 * domain that starts after the inactive ones were answered is in the
 * running ones' answer too (split by filters here: the listing by ID stops
 * at as many running domains as were counted before). A discovery gives it
 * once (the engine keeps no set of the ids a discovery in parts gives), as
 * the later answer has it. */
static void
list_split_moving(gboolean by_state)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = gen_domains(dir, "2");
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr rw = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) sliced = NULL;
	virDomainPtr dom;
	gchar uuid[VIR_UUID_STRING_BUFLEN];

	g_assert_nonnull(rw);
	pd_compute_pool_set_conn(pool, rw);
	sliced = pd_compute_discovery_new(pool);
	pd_compute_discovery_set_list_max(PD_COMPUTE_DISCOVERY(sliced), 4);
	pd_compute_discovery_set_list_split_by_state(PD_COMPUTE_DISCOVERY(sliced), by_state);
	/* persistent and shut off: it stays defined when it stops */
	dom = virDomainLookupByName(rw, "instance-00000002");
	g_assert_nonnull(dom);
	g_assert_cmpint(virDomainIsPersistent(dom), ==, 1);
	g_assert_cmpint(virDomainIsActive(dom), ==, 0);
	g_assert_cmpint(virDomainGetUUIDString(dom, uuid), ==, 0);
	pd_compute_discovery_set_between_answers(
	  PD_COMPUTE_DISCOVERY(sliced), start_between_cb, dom);
	for (guint round = 0; round < 3; round++) {
		g_autofree gchar *got = discover(sliced, config);
		g_auto(GStrv) lines = g_strsplit(got, "\n", -1);
		g_autofree gchar *running = g_strdup_printf("%s=%d", uuid, VIR_DOMAIN_RUNNING);
		g_test_message("round %u, %s flips:\n%s", round, uuid, got);
		g_assert_cmpint(virDomainIsActive(dom), ==, 1);
		g_assert_cmpuint(g_strv_length(lines), ==, 10);
		/* sorted: a domain given twice is on two lines in a row */
		for (guint i = 1; lines[i] != NULL; i++)
			g_assert_cmpint(strncmp(lines[i - 1], lines[i], 36), !=, 0);
		/* in the running ones' answer: that one stands */
		g_assert_true(g_strv_contains((const gchar *const *)lines, running));
		g_assert_cmpint(virDomainDestroy(dom), ==, 0);
	}
	pd_compute_discovery_set_between_answers(PD_COMPUTE_DISCOVERY(sliced), NULL, NULL);
	virDomainFree(dom);
	g_clear_object(&sliced);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

static void
test_list_split_moving(void)
{
	list_split_moving(FALSE);
}

/* the same with the answers by state split into persistent and transient
 * ones first: the domain started between the first two of them is in none,
 * so they do not add up and the listing goes on in slices */
static void
test_list_split_moving_by_state(void)
{
	list_split_moving(TRUE);
}

/* Within one answer's limit each pipeline asks the states of its own
 * shard's domains only, in answers of at most the slice: the domains and
 * states are the one-pipeline listing's, each domain's state is asked once
 * in all, and no answer carries more records than the slice */
static void
test_list_slices(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = gen_domains(dir, "2");
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr rw = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) whole_pool = pd_compute_pool_new(NULL);
	g_autoptr(PdComputePool) shared_pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) whole = NULL;
	g_autoptr(PdDiscovery) sliced = NULL;
	guint largest = 0, records, stated;

	g_assert_nonnull(rw);
	pd_compute_pool_set_conn(whole_pool, rw);
	pd_compute_pool_set_conn_shared(shared_pool, rw, 2);
	whole = pd_compute_discovery_new(whole_pool);
	sliced = pd_compute_discovery_new(shared_pool);
	pd_compute_discovery_set_list_slice(PD_COMPUTE_DISCOVERY(sliced), 3);
	for (guint round = 0; round < 2; round++) {
		guint n = (guint)(virConnectNumOfDomains(rw) + virConnectNumOfDefinedDomains(rw));
		g_autofree gchar *want = discover(whole, config);
		g_autofree gchar *got = discover(sliced, config);
		g_assert_cmpstr(got, ==, want);
		g_assert_cmpuint(n, ==, 10 - round);
		/* within the limit a listing's filters tell the states: no
		 * state answer on one pipeline, nor on two in a first discovery
		 * (past the limit, /compute/list-sliced, and where the answers
		 * by state do not add up, /compute/list-by-state-moving, the
		 * states come in slices) */
		g_assert_cmpuint(
		  pd_compute_discovery_take_list_answers(PD_COMPUTE_DISCOVERY(whole), &largest),
		  ==,
		  0);
		records =
		  pd_compute_discovery_take_list_answers(PD_COMPUTE_DISCOVERY(sliced), &largest);
		/* then the second pipeline takes its shard's states from the
		 * first one's answers by state, with the handles it holds: no
		 * state answer either */
		g_assert_cmpuint(records, ==, 0);
		stated = pd_compute_discovery_take_stated(PD_COMPUTE_DISCOVERY(sliced));
		if (round == 0) {
			g_assert_cmpuint(stated, ==, 0);
		} else {
			g_assert_cmpuint(stated, >, 0);
			g_assert_cmpuint(stated, <, n);
		}
		if (round == 0) {
			/* a transient one, gone between two discoveries */
			virDomainPtr dom = virDomainLookupByName(rw, "instance-00000001");
			g_assert_nonnull(dom);
			g_assert_cmpint(virDomainDestroy(dom), ==, 0);
			virDomainFree(dom);
		}
	}
	g_clear_object(&sliced);
	g_clear_object(&whole);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

/* "uuid=state" of every instance on @conn as virDomainGetState() says,
 * sorted: what a discovery must find */
static gchar *
states_asked(virConnectPtr conn)
{
	virDomainPtr *doms = NULL;
	gint n = virConnectListAllDomains(conn, &doms, 0);
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);

	g_assert_cmpint(n, >, 0);
	for (gint i = 0; i < n; i++) {
		gchar uuid[VIR_UUID_STRING_BUFLEN];
		gint state, reason;
		g_assert_cmpint(virDomainGetUUIDString(doms[i], uuid), ==, 0);
		g_assert_cmpint(virDomainGetState(doms[i], &state, &reason, 0), ==, 0);
		g_ptr_array_add(lines, g_strdup_printf("%s=%d", uuid, state));
		virDomainFree(doms[i]);
	}
	free(doms);
	g_ptr_array_sort(lines, pd_compare_lines);
	g_ptr_array_add(lines, NULL);
	return g_strjoinv("\n", (gchar **)lines->pdata);
}

/* 10 instances, 3 shut off, the first of those crashed instead (a state
 * the filters lump as "other") and one running domain paused */
static virConnectPtr
open_four_states(const gchar *dir)
{
	g_autofree gchar *xml = gen_domains(dir, "0");
	g_autofree gchar *text = NULL;
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	g_autoptr(GError) error = NULL;
	const gchar *shutoff = "<test:runstate>5</test:runstate>";
	virConnectPtr rw;
	virDomainPtr dom;
	gchar *at;

	g_assert_true(g_file_get_contents(xml, &text, NULL, &error));
	at = strstr(text, shutoff);
	g_assert_nonnull(at);
	at[strlen("<test:runstate>")] = '6';
	g_assert_true(g_file_set_contents(xml, text, -1, &error));
	rw = virConnectOpen(uri);
	g_assert_nonnull(rw);
	dom = virDomainLookupByName(rw, "instance-00000001");
	g_assert_nonnull(dom);
	g_assert_cmpint(virDomainSuspend(dom), ==, 0);
	virDomainFree(dom);
	return rw;
}

/* running, paused, shut off and crashed domains: one pipeline and two
 * find each one's state as asked, from the listing's answers by state
 * (the second pipeline from the first's, once it holds handles): one state
 * answer, of one record (the crashed domain, the other states' answer),
 * not 10 in all */
static void
test_list_by_state(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	virConnectPtr rw = open_four_states(dir);
	g_autofree gchar *want = states_asked(rw);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) one_pool = pd_compute_pool_new(NULL);
	g_autoptr(PdComputePool) two_pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) one = NULL;
	g_autoptr(PdDiscovery) two = NULL;
	guint largest = 0, records, stated;

	pd_compute_pool_set_conn(one_pool, rw);
	pd_compute_pool_set_conn_shared(two_pool, rw, 2);
	one = pd_compute_discovery_new(one_pool);
	two = pd_compute_discovery_new(two_pool);
	g_assert_nonnull(strstr(want, "=3"));
	g_assert_nonnull(strstr(want, "=1"));
	g_assert_nonnull(strstr(want, "=6"));
	g_assert_nonnull(strstr(want, "=5"));
	for (guint round = 0; round < 2; round++) {
		g_autofree gchar *got_one = discover(one, config);
		g_autofree gchar *got_two = discover(two, config);
		g_assert_cmpstr(got_one, ==, want);
		g_assert_cmpstr(got_two, ==, want);
		g_assert_cmpuint(
		  pd_compute_discovery_take_list_answers(PD_COMPUTE_DISCOVERY(one), &largest),
		  ==,
		  1);
		/* then the second pipeline takes its shard from the first's
		 * listing, the states with it (the crashed one's asked: the
		 * answer of the other states does not tell it) */
		records =
		  pd_compute_discovery_take_list_answers(PD_COMPUTE_DISCOVERY(two), &largest);
		g_assert_cmpuint(records, ==, 1);
		stated = pd_compute_discovery_take_stated(PD_COMPUTE_DISCOVERY(two));
		if (round == 0)
			g_assert_cmpuint(stated, ==, 0);
		else
			g_assert_cmpuint(stated, >, 0);
	}
	g_clear_object(&two);
	g_clear_object(&one);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

/* between the running domains' answer and the others': the paused domain
 * resumed (in none of the answers) */
static void
resume_between_cb(gpointer conn, gpointer data)
{
	virDomainPtr dom = data;

	if (virDomainIsActive(dom) == 1) {
		gint state, reason;
		g_assert_cmpint(virDomainGetState(dom, &state, &reason, 0), ==, 0);
		if (state == VIR_DOMAIN_PAUSED)
			g_assert_cmpint(virDomainResume(dom), ==, 0);
	}
}

/* a domain that changes state between the listing's answers by state is
 * in none of them: the answers fall short of the domains counted, and the
 * listing asks the states instead (state answers made) and finds it */
static void
test_list_by_state_moving(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	virConnectPtr rw = open_four_states(dir);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	virDomainPtr paused = virDomainLookupByName(rw, "instance-00000001");
	g_autofree gchar *got = NULL;
	g_autofree gchar *want = NULL;
	guint largest = 0;

	g_assert_nonnull(paused);
	pd_compute_pool_set_conn(pool, rw);
	discovery = pd_compute_discovery_new(pool);
	pd_compute_discovery_set_between_answers(
	  PD_COMPUTE_DISCOVERY(discovery), resume_between_cb, paused);
	got = discover(discovery, config);
	want = states_asked(rw);
	g_assert_null(strstr(want, "=3"));
	g_assert_cmpstr(got, ==, want);
	/* the crashed domain's state in the answers by state, then all 10 */
	g_assert_cmpuint(
	  pd_compute_discovery_take_list_answers(PD_COMPUTE_DISCOVERY(discovery), &largest),
	  ==,
	  11);
	pd_compute_discovery_set_between_answers(PD_COMPUTE_DISCOVERY(discovery), NULL, NULL);
	g_clear_object(&discovery);
	virDomainFree(paused);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

/* between the running domains' answer and the others': a running domain
 * of the second pipeline's shard stops (in two answers) and a shut off
 * one starts (in none), once */
typedef struct {
	virDomainPtr stop, start;
	gboolean done;
} Swap;

static void
swap_between_cb(gpointer conn, gpointer data)
{
	Swap *sw = data;

	if (sw->done)
		return;
	sw->done = TRUE;
	g_assert_cmpint(virDomainDestroy(sw->stop), ==, 0);
	g_assert_cmpint(virDomainCreate(sw->start), ==, 0);
}

/* the answers by state add up to the domains counted with one domain
 * twice (another's shard: not in the first pipeline's listing) and one
 * missing: the first pipeline's listing, whose UUIDs the second takes its
 * shard from, asks the states instead, so each domain is found once, in
 * its state, and no handle is the listing's twice */
static void
list_by_state_twice(guint connections)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = gen_domains(dir, "0");
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr rw = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autofree gchar *first = NULL;
	g_autofree gchar *got = NULL;
	g_autofree gchar *want = NULL;
	virDomainPtr *doms = NULL;
	Swap sw = { NULL };
	gint n;

	g_assert_nonnull(rw);
	if (connections > 1)
		pd_compute_pool_set_conn_shared(pool, rw, connections);
	else
		pd_compute_pool_set_conn(pool, rw);
	n = virConnectListAllDomains(rw, &doms, 0);
	g_assert_cmpint(n, >, 0);
	for (gint i = 0; i < n; i++) {
		guchar raw[VIR_UUID_BUFLEN];
		gboolean active = virDomainIsActive(doms[i]) == 1;
		g_assert_cmpint(virDomainGetUUID(doms[i], raw), ==, 0);
		if (active && sw.stop == NULL &&
		    (connections == 1 || pd_compute_pool_shard(pool, raw) == 1))
			sw.stop = g_steal_pointer(&doms[i]);
		else if (!active && sw.start == NULL)
			sw.start = g_steal_pointer(&doms[i]);
		else
			virDomainFree(doms[i]);
	}
	free(doms);
	g_assert_nonnull(sw.stop);
	g_assert_nonnull(sw.start);
	discovery = pd_compute_discovery_new(pool);
	/* the first discovery lists on each pipeline: the second takes its
	 * shard from the first's listing from then on */
	first = discover(discovery, config);
	want = states_asked(rw);
	g_assert_cmpstr(first, ==, want);
	g_clear_pointer(&want, g_free);
	pd_compute_discovery_set_between_answers(
	  PD_COMPUTE_DISCOVERY(discovery), swap_between_cb, &sw);
	got = discover(discovery, config);
	g_assert_true(sw.done);
	want = states_asked(rw);
	g_assert_cmpstr(got, ==, want);
	pd_compute_discovery_set_between_answers(PD_COMPUTE_DISCOVERY(discovery), NULL, NULL);
	g_clear_object(&discovery);
	virDomainFree(sw.stop);
	virDomainFree(sw.start);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

static void
test_list_by_state_twice(void)
{
	list_by_state_twice(2);
}

/* one connection: its own listing holds the domain twice */
static void
test_list_by_state_twice_one(void)
{
	list_by_state_twice(1);
}

static virDomainPtr
define_inactive(virConnectPtr conn, const gchar *name)
{
	g_autofree gchar *xml =
	  g_strdup_printf("<domain type='test'><name>%s</name><memory>1024</memory>"
			  "<os><type>hvm</type></os></domain>",
			  name);
	virDomainPtr dom = virDomainDefineXML(conn, xml);

	g_assert_nonnull(dom);
	return dom;
}

/* the listed domain's raw UUID */
static const guchar *
listed_uuid(GArray *listed, guint i)
{
	return g_array_index(listed, PdComputeListed, i).uuid;
}

/* A state answer's record takes the UUID read with the handle asked that
 * it answers by name (libvirt is not asked again), also when a domain
 * asked is gone from the answer; a record whose name is none asked (its
 * domain renamed between the handles' answer and the states') is asked
 * its UUID. The UUIDs passed as read are made up, so a record that took
 * one shows it. */
static void
test_list_uuid_by_name(void)
{
	virConnectPtr conn = virConnectOpen("test:///default");
	virDomainPtr part[4] = { NULL };
	virDomainPtr renamed, gone;
	virDomainStatsRecordPtr *records = NULL;
	guchar read[3 * VIR_UUID_BUFLEN], real[VIR_UUID_BUFLEN];
	g_autoptr(GArray) listed = g_array_new(FALSE, TRUE, sizeof(PdComputeListed));
	gint n;

	g_assert_nonnull(conn);
	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listing_clear);
	memset(read, 0x11, VIR_UUID_BUFLEN);
	memset(read + VIR_UUID_BUFLEN, 0x22, VIR_UUID_BUFLEN);
	memset(read + 2 * VIR_UUID_BUFLEN, 0x33, VIR_UUID_BUFLEN);
	part[0] = virDomainLookupByName(conn, "test");
	part[1] = define_inactive(conn, "uuid-by-name-a");
	part[2] = define_inactive(conn, "uuid-by-name-b");
	g_assert_nonnull(part[0]);

	/* the second renamed after its handle was listed */
	renamed = virDomainLookupByName(conn, "uuid-by-name-a");
	g_assert_cmpint(virDomainRename(renamed, "uuid-by-name-a2", 0), ==, 0);
	g_assert_cmpint(virDomainGetUUID(renamed, real), ==, 0);
	n = virDomainListGetStats(part, VIR_DOMAIN_STATS_STATE, &records, 0);
	g_assert_cmpint(n, ==, 3);
	pd_compute_listing_take_records(listed, records, n, part, read, 3);
	g_assert_cmpuint(listed->len, ==, 3);
	g_assert_cmpmem(listed_uuid(listed, 0), VIR_UUID_BUFLEN, read, VIR_UUID_BUFLEN);
	g_assert_cmpmem(listed_uuid(listed, 1), VIR_UUID_BUFLEN, real, VIR_UUID_BUFLEN);
	g_assert_cmpmem(
	  listed_uuid(listed, 2), VIR_UUID_BUFLEN, read + 2 * VIR_UUID_BUFLEN, VIR_UUID_BUFLEN);
	g_assert_cmpstr(
	  virDomainGetName(g_array_index(listed, PdComputeListed, 1).dom), ==, "uuid-by-name-a2");
	g_array_set_size(listed, 0);

	/* the first one asked gone from the answer: the others keep theirs
	 * (a handle keeps the name it was made with) */
	virDomainFree(part[1]);
	part[1] = part[0];
	part[0] = part[2];
	part[2] = virDomainLookupByName(conn, "uuid-by-name-a2");
	g_assert_nonnull(part[2]);
	gone = virDomainLookupByName(conn, "uuid-by-name-b");
	g_assert_cmpint(virDomainUndefine(gone), ==, 0);
	virDomainFree(gone);
	n = virDomainListGetStats(part, VIR_DOMAIN_STATS_STATE, &records, 0);
	g_assert_cmpint(n, ==, 2);
	pd_compute_listing_take_records(listed, records, n, part, read, 3);
	g_assert_cmpuint(listed->len, ==, 2);
	g_assert_cmpmem(
	  listed_uuid(listed, 0), VIR_UUID_BUFLEN, read + VIR_UUID_BUFLEN, VIR_UUID_BUFLEN);
	g_assert_cmpmem(
	  listed_uuid(listed, 1), VIR_UUID_BUFLEN, read + 2 * VIR_UUID_BUFLEN, VIR_UUID_BUFLEN);

	g_assert_cmpint(virDomainUndefine(renamed), ==, 0);
	virDomainFree(renamed);
	for (guint i = 0; i < 3; i++)
		virDomainFree(part[i]);
	g_clear_pointer(&listed, g_array_unref);
	virConnectClose(conn);
}

/* a UUID that falls in @pool's shard @shard, raw and as a string */
static void
uuid_in_shard(PdComputePool *pool, guint shard, guchar *raw, gchar *uuid)
{
	memset(raw, 0, VIR_UUID_BUFLEN);
	raw[0] = 0xaa;
	while (pd_compute_pool_shard(pool, raw) != shard)
		raw[VIR_UUID_BUFLEN - 4]++;
	g_snprintf(uuid,
		   VIR_UUID_STRING_BUFLEN,
		   "aa000000-0000-0000-0000-0000%02x000000",
		   raw[VIR_UUID_BUFLEN - 4]);
}

/* a running copy of @from (a Nova instance) under another name and the
 * UUID @uuid */
static virDomainPtr
create_copy(virConnectPtr conn, virDomainPtr from, const gchar *uuid)
{
	g_autofree gchar *xml = virDomainGetXMLDesc(from, 0);
	g_autoptr(GRegex) uuid_re = g_regex_new("<uuid>[^<]*</uuid>", 0, 0, NULL);
	g_autoptr(GRegex) name_re = g_regex_new("<name>[^<]*</name>", 0, 0, NULL);
	g_autofree gchar *renamed = NULL;
	g_autofree gchar *copy = NULL;
	virDomainPtr dom;

	g_assert_nonnull(xml);
	{
		g_autofree gchar *tag = g_strdup_printf("<uuid>%s</uuid>", uuid);
		renamed = g_regex_replace_literal(
		  name_re, xml, -1, 0, "<name>instance-roster</name>", G_REGEX_MATCH_DEFAULT, NULL);
		copy = g_regex_replace_literal(
		  uuid_re, renamed, -1, 0, tag, G_REGEX_MATCH_DEFAULT, NULL);
	}
	dom = virDomainCreateXML(conn, copy, 0);
	g_assert_nonnull(dom);
	return dom;
}

static void
assert_listings(PdDiscovery *discovery, guint pipeline, guint own, guint taken, guint lookups)
{
	guint t = 0, l = 0;

	g_assert_cmpuint(pd_compute_discovery_get_pipeline_listings(
			   PD_COMPUTE_DISCOVERY(discovery), pipeline, &t, &l),
			 ==,
			 own);
	g_assert_cmpuint(t, ==, taken);
	g_assert_cmpuint(l, ==, lookups);
}

/* One connection relists for all. The first discovery lists on each
 * connection; from then on the first pipeline lists every domain and the
 * second takes its shard from that listing's UUIDs: the handles it holds
 * stand, a domain new to it is looked up by UUID (once: known from then
 * on), a domain gone is dropped; the domains and states are the one-pipeline
 * listing's every time. A new connection (its handles gone) lists itself. */
static void
list_roster(guint list_max)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = gen_domains(dir, "2");
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr rw = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) whole_pool = pd_compute_pool_new(NULL);
	g_autoptr(PdComputePool) shared_pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) whole = NULL;
	g_autoptr(PdDiscovery) shared = NULL;
	gchar uuid[VIR_UUID_STRING_BUFLEN];
	guchar raw[VIR_UUID_BUFLEN];
	virDomainPtr from, added = NULL;

	g_assert_nonnull(rw);
	pd_compute_pool_set_conn(whole_pool, rw);
	pd_compute_pool_set_conn_shared(shared_pool, rw, 2);
	whole = pd_compute_discovery_new(whole_pool);
	shared = pd_compute_discovery_new(shared_pool);
	if (list_max > 0)
		pd_compute_discovery_set_list_max(PD_COMPUTE_DISCOVERY(shared), list_max);
	for (guint round = 0; round < 5; round++) {
		g_autofree gchar *want = discover(whole, config);
		g_autofree gchar *got = discover(shared, config);
		g_assert_cmpstr(got, ==, want);
		/* past the limit too, the first pipeline's answers by state
		 * (split) hand their UUIDs over: the counts below */
		g_assert_false(pd_compute_discovery_get_listed_by_id(PD_COMPUTE_DISCOVERY(shared)));
		g_test_message("round %u: %s", round, got);
		switch (round) {
			case 0:
				assert_listings(shared, 0, 1, 0, 0);
				assert_listings(shared, 1, 1, 0, 0);
				/* new to the second pipeline's shard */
				from = virDomainLookupByName(rw, "instance-00000001");
				g_assert_nonnull(from);
				uuid_in_shard(shared_pool, 1, raw, uuid);
				added = create_copy(rw, from, uuid);
				virDomainFree(from);
				break;
			case 1:
				g_assert_nonnull(strstr(got, uuid));
				assert_listings(shared, 0, 2, 0, 0);
				assert_listings(shared, 1, 1, 1, 1);
				break;
			case 2:
				/* known now: no lookup */
				assert_listings(shared, 0, 3, 0, 0);
				assert_listings(shared, 1, 1, 2, 1);
				g_assert_cmpint(virDomainDestroy(added), ==, 0);
				g_clear_pointer(&added, virDomainFree);
				break;
			case 3:
				g_assert_null(strstr(got, uuid));
				assert_listings(shared, 1, 1, 3, 1);
				/* a new connection: the handles kept are not its */
				pd_compute_pool_set_conn_shared(shared_pool, rw, 2);
				break;
			case 4:
				assert_listings(shared, 0, 5, 0, 0);
				assert_listings(shared, 1, 2, 3, 1);
				break;
		}
	}
	g_clear_object(&shared);
	g_clear_object(&whole);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

static void
test_list_roster(void)
{
	list_roster(0);
}

/* the same past one answer's limit: each state's answer split into the
 * persistent and the transient domains (at most 5 each here) */
static void
test_list_roster_split(void)
{
	list_roster(5);
}

/* the handle of each instance, by UUID */
static GHashTable *
handles_of_domains(PdDiscovery *discovery, PdConfig *config)
{
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
	  PD_DISCOVERY_GET_CLASS(discovery)->discover(discovery, NULL, cache, NULL, &error);
	GHashTable *handles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	g_assert_no_error(error);
	for (guint i = 0; i < resources->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, i));
		g_hash_table_insert(handles, g_strdup(cd->inst->uuid), cd->dom);
	}
	return handles;
}

/* A relisting keeps the handles of the last listing on the same
 * connection, the first pipeline's (which lists every domain: the handles
 * of its answer are released at once for the domains it knows) and the
 * second's (its shard taken from the first's listing): the snapshots keep
 * theirs (no reference taken and released a domain, each formatting the
 * UUID twice), and nothing is released twice (the kept listing they came
 * from hands them over) */
static void
test_list_roster_handles(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = gen_domains(dir, "2");
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr rw = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GHashTable) first = NULL;
	g_autoptr(GHashTable) second = NULL;
	g_autoptr(GHashTable) third = NULL;
	GHashTableIter iter;
	gpointer uuid, dom;
	guint taken = 0, lookups = 0;

	g_assert_nonnull(rw);
	pd_compute_pool_set_conn_shared(pool, rw, 2);
	discovery = pd_compute_discovery_new(pool);
	first = handles_of_domains(discovery, config);
	second = handles_of_domains(discovery, config);
	third = handles_of_domains(discovery, config);
	pd_compute_discovery_get_pipeline_listings(
	  PD_COMPUTE_DISCOVERY(discovery), 1, &taken, &lookups);
	g_assert_cmpuint(taken, ==, 2);
	g_assert_cmpuint(g_hash_table_size(first), >, 0);
	g_assert_cmpuint(g_hash_table_size(second), ==, g_hash_table_size(first));
	g_hash_table_iter_init(&iter, first);
	while (g_hash_table_iter_next(&iter, &uuid, &dom)) {
		g_assert_true(g_hash_table_lookup(second, uuid) == dom);
		g_assert_true(g_hash_table_lookup(third, uuid) == dom);
		/* alive, and the connection's */
		g_assert_true(virDomainGetConnect(dom) == rw);
	}
	g_clear_object(&discovery);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

typedef struct {
	virConnectPtr rw;
	gchar uuid[VIR_UUID_STRING_BUFLEN];
	virDomainPtr added;
} RosterEvent;

/* once the first pipeline's handles are in: a domain starts */
static void
start_after_roster_cb(gpointer conn, gpointer data)
{
	RosterEvent *re = data;
	virDomainPtr from;

	if (re->added != NULL)
		return;
	from = virDomainLookupByName(re->rw, "instance-00000001");
	g_assert_nonnull(from);
	re->added = create_copy(re->rw, from, re->uuid);
	virDomainFree(from);
}

/* A domain defined after the first pipeline's listing whose event the
 * second pipeline takes is found by the second pipeline in the same run
 * (looked up by UUID): with domain events it keeps its listing in the
 * next cycles, which would not list again for it */
static void
test_list_roster_event(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = gen_domains(dir, "2");
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GHashTable) changed =
	  g_hash_table_new_full(pd_compute_uuid_hash, pd_compute_uuid_equal, g_free, NULL);
	g_autofree gchar *first = NULL;
	g_autofree gchar *second = NULL;
	RosterEvent re = { virConnectOpen(uri) };
	guchar raw[VIR_UUID_BUFLEN];
	guint taken = 0, lookups = 0;

	g_assert_nonnull(re.rw);
	pd_compute_pool_set_conn_shared(pool, re.rw, 2);
	discovery = pd_compute_discovery_new(pool);
	first = discover(discovery, config);
	uuid_in_shard(pool, 1, raw, re.uuid);
	g_hash_table_add(changed, g_memdup2(raw, VIR_UUID_BUFLEN));
	pd_compute_connection_set_changes(
	  pd_compute_pipeline_get_connection(pd_compute_pool_get(pool, 1)), changed);
	pd_compute_discovery_set_roster_hook(
	  PD_COMPUTE_DISCOVERY(discovery), start_after_roster_cb, &re);
	second = discover(discovery, config);
	g_assert_nonnull(re.added);
	g_assert_null(strstr(first, re.uuid));
	g_assert_nonnull(strstr(second, re.uuid));
	g_assert_cmpuint(pd_compute_discovery_get_pipeline_listings(
			   PD_COMPUTE_DISCOVERY(discovery), 1, &taken, &lookups),
			 ==,
			 1);
	g_assert_cmpuint(taken, ==, 1);
	g_assert_cmpuint(lookups, ==, 1);

	g_assert_cmpint(virDomainDestroy(re.added), ==, 0);
	virDomainFree(re.added);
	g_clear_object(&discovery);
	virConnectClose(re.rw);
	pd_test_rmtree(dir);
}

/* once the first pipeline's answers by state are in: a domain pauses */
static void
pause_after_roster_cb(gpointer conn, gpointer data)
{
	virDomainPtr *dom = data;

	if (*dom == NULL)
		return;
	g_assert_cmpint(virDomainSuspend(*dom), ==, 0);
	g_clear_pointer(dom, virDomainFree);
}

/* The second pipeline takes its shard's states from the first pipeline's
 * answers by state, but asks the state of a domain an event came for: the
 * event may be newer than the answer (here the domain paused after it). */
static void
test_list_roster_state_changed(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *xml = gen_domains(dir, "2");
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr rw = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GHashTable) changed =
	  g_hash_table_new_full(pd_compute_uuid_hash, pd_compute_uuid_equal, g_free, NULL);
	g_autofree gchar *got = NULL;
	g_autofree gchar *want = NULL;
	g_autofree gchar *paused = NULL;
	virDomainPtr *doms = NULL, pause = NULL;
	gint n;

	g_assert_nonnull(rw);
	pd_compute_pool_set_conn_shared(pool, rw, 2);
	discovery = pd_compute_discovery_new(pool);
	/* the second pipeline holds handles from then on */
	for (guint round = 0; round < 2; round++) {
		g_autofree gchar *before = discover(discovery, config);
	}
	g_assert_cmpuint(pd_compute_discovery_take_stated(PD_COMPUTE_DISCOVERY(discovery)), >, 0);
	n = virConnectListAllDomains(rw, &doms, VIR_CONNECT_LIST_DOMAINS_RUNNING);
	g_assert_cmpint(n, >, 0);
	for (gint i = 0; i < n; i++) {
		guchar raw[VIR_UUID_BUFLEN];
		g_assert_cmpint(virDomainGetUUID(doms[i], raw), ==, 0);
		if (pause == NULL && pd_compute_pool_shard(pool, raw) == 1) {
			gchar uuid[VIR_UUID_STRING_BUFLEN];
			g_assert_cmpint(virDomainGetUUIDString(doms[i], uuid), ==, 0);
			paused = g_strdup_printf("%s=%d", uuid, VIR_DOMAIN_PAUSED);
			g_hash_table_add(changed, g_memdup2(raw, VIR_UUID_BUFLEN));
			pause = g_steal_pointer(&doms[i]);
		} else {
			virDomainFree(doms[i]);
		}
	}
	free(doms);
	g_assert_nonnull(pause);
	pd_compute_connection_set_changes(
	  pd_compute_pipeline_get_connection(pd_compute_pool_get(pool, 1)), changed);
	pd_compute_discovery_set_roster_hook(
	  PD_COMPUTE_DISCOVERY(discovery), pause_after_roster_cb, &pause);
	got = discover(discovery, config);
	g_assert_null(pause);
	want = states_asked(rw);
	g_assert_nonnull(strstr(want, paused));
	g_assert_cmpstr(got, ==, want);
	pd_compute_discovery_set_roster_hook(PD_COMPUTE_DISCOVERY(discovery), NULL, NULL);
	g_clear_object(&discovery);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/compute/list-sliced", GINT_TO_POINTER(BY_ID), test_list_sliced);
	g_test_add_data_func(
	  "/compute/list-split-by-filters", GINT_TO_POINTER(SPLIT), test_list_sliced);
	g_test_add_data_func(
	  "/compute/list-by-id-shards", GINT_TO_POINTER(BY_ID_SHARDS), test_list_sliced);
	g_test_add_func("/compute/list-split-moving", test_list_split_moving);
	g_test_add_func("/compute/list-split-moving-by-state", test_list_split_moving_by_state);
	g_test_add_func("/compute/list-slices", test_list_slices);
	g_test_add_func("/compute/list-by-state", test_list_by_state);
	g_test_add_func("/compute/list-by-state-moving", test_list_by_state_moving);
	g_test_add_func("/compute/list-by-state-twice", test_list_by_state_twice);
	g_test_add_func("/compute/list-by-state-twice-one", test_list_by_state_twice_one);
	g_test_add_func("/compute/list-uuid-by-name", test_list_uuid_by_name);
	g_test_add_func("/compute/list-roster", test_list_roster);
	g_test_add_func("/compute/list-roster-split", test_list_roster_split);
	g_test_add_func("/compute/list-roster-event", test_list_roster_event);
	g_test_add_func("/compute/list-roster-state-changed", test_list_roster_state_changed);
	g_test_add_func("/compute/list-roster-handles", test_list_roster_handles);
	return g_test_run();
}
