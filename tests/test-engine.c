/*
 * polld engine tests: grouping into tasks, poll history, blacklist,
 * discovery cache, batching, deadlines and reload, with an in-process fake
 * plugin and a publisher that keeps what it is given
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <unistd.h>

#include "pd-blacklist.h"
#include "pd-engine.h"
#include "pd-error.h"
#include "pd-inflight.h"
#include "pd-notifier-sink.h"
#include "pd-polling-task.h"
#include "pd-settings.h"
#include "pd-test-engine.h"
#include "pd-test-publisher.h"
#include "pd-test-util.h"
#include "polld.h"

/* --- tests --- */

static void
test_engine_grouping(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *tasks;
	guint entries = 0;

	pd_fixture_write(fx,
			 "sources:\n"
			 "  - name: a\n    interval: 60\n    meters: [fake.a, fake.b]\n"
			 "  - name: b\n    interval: 60\n    meters: ['*', '!fake.slow']\n"
			 "  - name: c\n    interval: 30\n    meters: ['fake.?']\n"
			 "  - name: none\n    interval: 10\n    meters: [nothing.here]\n",
			 NULL);
	g_test_expect_message("PdPollingConfig",
			      G_LOG_LEVEL_WARNING,
			      "*meter 'nothing.here' of source 'none' matches no pollster*");
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	g_assert_no_error(error);
	tasks = pd_engine_get_tasks(fx->engine);
	/* one task per interval that has pollsters: 60 and 30, not 10 */
	g_assert_cmpuint(tasks->len, ==, 2);
	for (guint i = 0; i < tasks->len; i++) {
		PdPollingTask *t = g_ptr_array_index(tasks, i);
		g_autoptr(GPtrArray) e = pd_polling_task_get_entries(t);
		if (pd_polling_task_get_interval(t) == 60) {
			/* a: fake.a fake.b; b: fake.a fake.b fake.c */
			g_assert_cmpuint(e->len, ==, 5);
			g_assert_true(
			  g_ptr_array_find_with_equal_func(e, "b/fake.c", g_str_equal, NULL));
			g_assert_false(
			  g_ptr_array_find_with_equal_func(e, "b/fake.slow", g_str_equal, NULL));
		} else {
			g_assert_cmpuint(pd_polling_task_get_interval(t), ==, 30);
			g_assert_cmpuint(e->len, ==, 3);
		}
		entries += e->len;
	}
	g_assert_cmpuint(entries, ==, 8);
}

static void
test_engine_dedupe(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	/* r2 is in both sources of the same interval: polled once */
	pd_fixture_write(
	  fx,
	  "sources:\n"
	  "  - name: a\n    interval: 60\n    meters: [fake.a]\n    resources: [r1, r2]\n"
	  "  - name: b\n    interval: 60\n    meters: [fake.a]\n    resources: [r2, r3]\n",
	  NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	pd_fixture_poll(fx);
	g_assert_cmpuint(pd_fake_polled("fake.a", "r1"), ==, 1);
	g_assert_cmpuint(pd_fake_polled("fake.a", "r2"), ==, 1);
	g_assert_cmpuint(pd_fake_polled("fake.a", "r3"), ==, 1);
	/* the default discovery isn't used when a source names resources */
	g_assert_cmpint(fake.discoveries, ==, 0);
	g_assert_cmpuint(fx->last_cycle_samples, ==, 3);
}

/* a source's own resources named twice: polled once (Ceilometer's poll
 * history), though the job has one origin and no other source polls fake.a */
static void
test_engine_dedupe_static(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	pd_fixture_write(
	  fx,
	  "sources:\n"
	  "  - name: a\n    interval: 60\n    meters: [fake.a]\n    resources: [r1, r2, r1]\n",
	  NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	pd_fixture_poll(fx);
	g_assert_cmpuint(pd_fake_polled("fake.a", "r1"), ==, 1);
	g_assert_cmpuint(pd_fake_polled("fake.a", "r2"), ==, 1);
	g_assert_cmpuint(fx->last_cycle_samples, ==, 2);
}

/* an engine polling fake.a and fake.b on the fake_parts discovery */
static void
pd_parts_engine_setup(PdFixture *fx)
{
	g_autoptr(GError) error = NULL;

	pd_fixture_write(fx,
			 "sources:\n"
			 "  - name: p\n    interval: 60\n    meters: [fake.a, fake.b]\n"
			 "    discovery: [fake_parts]\n",
			 NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
}

/* a discovery in parts: its first part is polled and published while it
 * still runs; every resource polled once per pollster, in more than one
 * invocation; the size shown is every part's */
static void
test_engine_discovery_parts(PdFixture *fx, gconstpointer data)
{
	const gchar *const ids[] = { "p0", "p1", "p2", "p3", "p4" };
	GPtrArray *tasks;
	GHashTable *sizes;

	pd_parts_engine_setup(fx);
	pd_fixture_poll(fx);
	g_assert_cmpint(fake.discoveries, ==, 1);
	g_assert_true(fake.published_while_discovering);
	/* the first part's done notification came once, after both
	 * pollsters' invocations on it had returned */
	g_assert_cmpuint(fake.first_part_done, ==, 1);
	g_assert_true(fake.first_part_dispatched);
	g_assert_cmpuint(fake.first_part_polled, ==, 4);
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_assert_cmpuint(pd_fake_polled("fake.a", ids[i]), ==, 1);
		g_assert_cmpuint(pd_fake_polled("fake.b", ids[i]), ==, 1);
	}
	g_assert_cmpuint(fake.a_polls->len, >=, 2);
	g_assert_cmpuint(fx->last_cycle_samples, ==, 10);
	tasks = pd_engine_get_tasks(fx->engine);
	g_assert_cmpuint(tasks->len, ==, 1);
	sizes = pd_polling_task_get_discovery_sizes(g_ptr_array_index(tasks, 0));
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(sizes, "fake_parts")), ==, 5);
}

/* Worker-thread pollsters fed by a discovery in parts take their
 * resources in slices of at most 256 and give their worker back between
 * slices (the job queues again behind those waiting for a thread: with 2
 * worker threads for 4 pollsters, the last two no longer wait until the
 * first two have polled everything). A slice's last samples share a
 * message with the next slice's: full messages of batch_size, each
 * resource once. Their invocations return through the task's queue. */
static void
test_engine_discovery_parts_slices(PdFixture *fx, gconstpointer data)
{
	const gchar *const pollsters[] = { "fake.a", "fake.b", "fake.c", "fake.slow" };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	PdReturns *returns;

	pd_fixture_write(fx,
			 "sources:\n"
			 "  - name: m\n    interval: 60\n"
			 "    meters: [fake.a, fake.b, fake.c, fake.slow]\n"
			 "    discovery: [fake_many]\n",
			 "[polld]\nworker_threads = 2\n");
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	pd_fixture_poll(fx);
	for (guint p = 0; p < G_N_ELEMENTS(pollsters); p++) {
		guint calls = 0, lasts = 0;
		for (guint i = 0; i < fake.many_calls->len; i++) {
			PdFakeCall *call = &g_array_index(fake.many_calls, PdFakeCall, i);
			if (!g_str_equal(call->pollster, pollsters[p]))
				continue;
			g_assert_cmpuint(call->len, <=, 256);
			calls++;
			lasts += call->last;
		}
		g_assert_cmpuint(calls, ==, (FAKE_MANY_N + 255) / 256);
		g_assert_cmpuint(lasts, ==, 1);
		for (guint r = 0; r < FAKE_MANY_N; r += 97) {
			g_autofree gchar *id = g_strdup_printf("m%u", r);
			g_assert_cmpuint(pd_fake_polled(pollsters[p], id), ==, 1);
		}
	}
	g_assert_cmpuint(fx->last_cycle_samples, ==, 4 * FAKE_MANY_N);
	/* the invocations came back through the task's queue of returns, not
	 * a GTask each (an idle, a wake-up of the main loop each) */
	returns =
	  pd_polling_task_get_returns(g_ptr_array_index(pd_engine_get_tasks(fx->engine), 0));
	g_assert_nonnull(returns);
	g_assert_cmpuint(pd_returns_get_items(returns), ==, 4 * ((FAKE_MANY_N + 255) / 256));
	g_assert_cmpuint(pd_returns_get_wakeups(returns), <=, pd_returns_get_takes(returns));
	/* batch_size 50: no message cut short where a slice ended */
	g_assert_cmpuint(fx->publisher->messages->len, ==, 4 * FAKE_MANY_N / 50);
	samples = pd_keep_publisher_samples(fx->publisher);
	g_assert_cmpuint(samples->len, ==, 4 * FAKE_MANY_N);
}

static guint pd_blacklist_lines;
static gchar *pd_blacklist_last_line;

static void
pd_count_blacklist_lines(const gchar *domain,
			 GLogLevelFlags level,
			 const gchar *message,
			 gpointer data)
{
	if (strstr(message, "cannot poll") == NULL)
		return;
	pd_blacklist_lines++;
	g_free(pd_blacklist_last_line);
	pd_blacklist_last_line = g_strdup(message);
}

/* a pollster invoked in slices that fails for every resource blacklists
 * them all and says so in one line for the cycle, not one per slice */
static void
test_engine_blacklist_slices(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint calls = 0;
	guint handler;

	pd_fixture_write(fx,
			 "sources:\n"
			 "  - name: m\n    interval: 60\n    meters: [fake.b]\n"
			 "    discovery: [fake_many]\n",
			 NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	fake.fail_all_permanently = TRUE;
	pd_blacklist_lines = 0;
	handler =
	  g_log_set_handler("PdPollingTask", G_LOG_LEVEL_MESSAGE, pd_count_blacklist_lines, NULL);
	pd_fixture_poll(fx);
	g_log_remove_handler("PdPollingTask", handler);
	for (guint i = 0; i < fake.many_calls->len; i++)
		calls +=
		  g_str_equal(g_array_index(fake.many_calls, PdFakeCall, i).pollster, "fake.b");
	/* several invocations, every resource blacklisted, one line */
	g_assert_cmpuint(calls, ==, (FAKE_MANY_N + 255) / 256);
	g_assert_cmpuint(pd_engine_get_blacklist_size(fx->engine, "fake.b"), ==, FAKE_MANY_N);
	g_assert_cmpuint(pd_blacklist_lines, ==, 1);
	g_assert_nonnull(strstr(pd_blacklist_last_line,
				"cannot poll " G_STRINGIFY(FAKE_MANY_N) " resources (first: m"));
	g_assert_nonnull(strstr(pd_blacklist_last_line, ": never works)"));
	g_clear_pointer(&pd_blacklist_last_line, g_free);
}

/* a source naming the one discovery in parts twice polls each resource
 * once: two names are two origins, whatever each gives */
static void
test_engine_dedupe_parts_twice(PdFixture *fx, gconstpointer data)
{
	const gchar *const ids[] = { "p0", "p1", "p2", "p3", "p4" };
	g_autoptr(GError) error = NULL;

	pd_fixture_write(fx,
			 "sources:\n"
			 "  - name: p\n    interval: 60\n    meters: [fake.a]\n"
			 "    discovery: [fake_parts, fake_parts]\n",
			 NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	pd_fixture_poll(fx);
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++)
		g_assert_cmpuint(pd_fake_polled("fake.a", ids[i]), ==, 1);
	g_assert_cmpuint(fx->last_cycle_samples, ==, 5);
}

/* partitioning that leaves p2 to another agent */
static gpointer
pd_fake_share_begin(gpointer user_data)
{
	return user_data;
}

static gboolean
pd_fake_share_owns(gpointer share, const gchar *source, const gchar *discovery, PdResource *res)
{
	return !g_str_equal(pd_resource_get_id(res), "p2");
}

static void
pd_fake_share_end(gpointer share)
{
}

static const PdResourceFilter pd_fake_share = {
	pd_fake_share_begin,
	pd_fake_share_owns,
	pd_fake_share_end,
};

/* One worker thread, which the discovery holds while it waits for the
 * engine to be done with its first part (as compute's first discovery): the
 * part's invocation cannot start before the discovery returns, so the
 * engine does not hold the notification for it (it did, and the two
 * waited for each other until the discovery's bound ran out). In a
 * process of its own: after the other tests GLib may still run an idle
 * thread of theirs beyond the new limit, which would start the invocation
 * and hide the wait. */
static void
test_engine_discovery_parts_one_worker(PdFixture *fx, gconstpointer data)
{
	const gchar *const ids[] = { "p0", "p1", "p2", "p3", "p4" };
	g_autoptr(GError) error = NULL;

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed();
		return;
	}
	pd_fixture_write(fx,
			 "sources:\n"
			 "  - name: p\n    interval: 60\n    meters: [fake.a, fake.b]\n"
			 "    discovery: [fake_parts]\n",
			 "[polld]\nworker_threads = 1\n");
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	fake.parts_wait_done = TRUE;
	pd_fixture_poll(fx);
	/* the notification came while the discovery waited (with the
	 * invocation held it could not start before the discovery returned) */
	g_assert_false(fake.parts_wait_ran_out);
	g_assert_cmpuint(fake.first_part_done, ==, 1);
	g_assert_true(fake.first_part_dispatched);
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_assert_cmpuint(pd_fake_polled("fake.a", ids[i]), ==, 1);
		g_assert_cmpuint(pd_fake_polled("fake.b", ids[i]), ==, 1);
	}
}

/* a discovery in parts learns which resources of a part the engine keeps,
 * before any pollster gets them: neither one the partitioning leaves to
 * another agent nor one blacklisted for every pollster of the source */
static void
test_engine_discovery_parts_accepted(PdFixture *fx, gconstpointer data)
{
	pd_parts_engine_setup(fx);
	pd_engine_set_resource_filter(fx->engine, &pd_fake_share, GINT_TO_POINTER(1));
	g_hash_table_add(fake.permanent, g_strdup("p0"));
	pd_fixture_poll(fx);
	/* p4 came in the result, not in a part */
	g_assert_cmpuint(g_hash_table_size(fake.accepted), ==, 3);
	g_assert_true(g_hash_table_contains(fake.accepted, "p0"));
	g_assert_true(g_hash_table_contains(fake.accepted, "p1"));
	g_assert_true(g_hash_table_contains(fake.accepted, "p3"));
	g_assert_false(fake.accepted_after_poll);
	g_assert_cmpuint(pd_fake_polled("fake.a", "p2"), ==, 0);
	g_assert_cmpuint(pd_fake_polled("fake.a", "p3"), ==, 1);

	/* p0 failed for both pollsters: blacklisted, no longer accepted */
	g_assert_cmpuint(pd_engine_get_blacklist_size(fx->engine, "fake.a"), ==, 1);
	g_assert_cmpuint(pd_engine_get_blacklist_size(fx->engine, "fake.b"), ==, 1);
	g_hash_table_remove_all(fake.accepted);
	g_mutex_lock(&fake.mutex);
	g_hash_table_remove_all(fake.polled);
	g_mutex_unlock(&fake.mutex);
	pd_fixture_poll(fx);
	g_assert_cmpuint(g_hash_table_size(fake.accepted), ==, 2);
	g_assert_true(g_hash_table_contains(fake.accepted, "p1"));
	g_assert_true(g_hash_table_contains(fake.accepted, "p3"));
	g_assert_false(fake.accepted_after_poll);
	g_assert_cmpuint(pd_fake_polled("fake.a", "p1"), ==, 1);
	g_assert_cmpuint(pd_fake_polled("fake.a", "p0"), ==, 0);
}

static void
test_engine_discovery_cache(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	/* three pollsters, two sources, one discovery: called once per cycle */
	pd_fixture_write(
	  fx,
	  "sources:\n"
	  "  - name: a\n    interval: 60\n    meters: [fake.a, fake.b]\n"
	  "  - name: b\n    interval: 60\n    meters: [fake.c]\n    discovery: [fake_disc]\n",
	  NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	pd_fixture_poll(fx);
	g_assert_cmpint(fake.discoveries, ==, 1);
	g_assert_cmpuint(pd_fake_polled("fake.a", "d0"), ==, 1);
	g_assert_cmpuint(pd_fake_polled("fake.c", "d2"), ==, 1);
	pd_fixture_poll(fx);
	g_assert_cmpint(fake.discoveries, ==, 2);
	g_assert_cmpuint(pd_fake_polled("fake.b", "d1"), ==, 2);
}

static void
test_engine_blacklist(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	pd_fixture_write(
	  fx, "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a, fake.b]\n", NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	g_hash_table_add(fake.permanent, g_strdup("d1"));
	pd_fixture_poll(fx);
	g_assert_cmpuint(pd_engine_get_blacklist_size(fx->engine, "fake.a"), ==, 1);
	/* d1 is not offered again before its back-off runs out, even once it
	 * would work */
	g_hash_table_remove_all(fake.permanent);
	pd_fixture_poll(fx);
	g_assert_cmpuint(pd_fake_polled("fake.a", "d0"), ==, 2);
	g_assert_cmpuint(pd_fake_polled("fake.a", "d1"), ==, 0);
	g_assert_cmpuint(pd_fake_polled("fake.b", "d1"), ==, 0);

	/* a PERMANENT error blacklists every resource of the call */
	fake.fail_all_permanently = TRUE;
	pd_fixture_poll(fx);
	g_assert_cmpuint(pd_engine_get_blacklist_size(fx->engine, "fake.b"), ==, 3);
	g_assert_cmpuint(pd_engine_get_blacklist_size(fx->engine, "fake.a"), ==, 1);
}

/* a resource that cannot be polled is asked again after 60 s, 120 s...
 * up to an hour, and only its first failure is news */
static void
test_engine_blacklist_backoff(void)
{
	g_autoptr(PdBlacklist) bl = pd_blacklist_new();
	const gint64 s = G_USEC_PER_SEC;
	gint64 t = 1000 * s;
	gint64 wait = PD_BLACKLIST_RETRY_MIN_S;

	g_assert_false(pd_blacklist_contains_at(bl, "src", "storage.objects", "p1", t));
	g_assert_true(pd_blacklist_add_at(bl, "src", "storage.objects", "p1", "HTTP 404", t));
	/* a second failure within the same wait is nothing new */
	g_assert_false(pd_blacklist_add_at(bl, "src", "storage.objects", "p1", "HTTP 404", t));
	g_assert_true(pd_blacklist_contains_at(bl, "src", "storage.objects", "p1", t + 59 * s));
	/* other pollsters and sources are not affected */
	g_assert_false(pd_blacklist_contains_at(bl, "src", "storage.objects.size", "p1", t));
	g_assert_false(pd_blacklist_contains_at(bl, "other", "storage.objects", "p1", t));
	for (guint i = 0; i < 12; i++) {
		t += wait * s;
		/* re-probed once its wait is over */
		g_assert_false(pd_blacklist_contains_at(bl, "src", "storage.objects", "p1", t));
		/* failing again: the wait doubles, capped, and is not news */
		g_assert_false(
		  pd_blacklist_add_at(bl, "src", "storage.objects", "p1", "HTTP 404", t));
		wait = MIN(wait * 2, PD_BLACKLIST_RETRY_MAX_S);
		g_assert_true(
		  pd_blacklist_contains_at(bl, "src", "storage.objects", "p1", t + wait * s - 1));
		g_assert_false(
		  pd_blacklist_contains_at(bl, "src", "storage.objects", "p1", t + wait * s));
	}
	g_assert_cmpint(wait, ==, PD_BLACKLIST_RETRY_MAX_S);
	g_assert_cmpuint(pd_blacklist_get_added(bl), ==, 1);
}

static void
test_engine_batching(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	GHashTable *seen = NULL;

	/* 3 resources x 40 samples = 120 samples: messages of 50, 50, 20 */
	pd_fixture_write(
	  fx, "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a]\n", NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	fake.samples_per_resource = 40;
	pd_fixture_poll(fx);
	g_assert_cmpuint(fx->publisher->messages->len, ==, 3);
	g_assert_cmpuint(
	  ((PdMessage *)g_ptr_array_index(fx->publisher->messages, 0))->n_samples, ==, 50);
	g_assert_cmpuint(
	  ((PdMessage *)g_ptr_array_index(fx->publisher->messages, 2))->n_samples, ==, 20);
	samples = pd_keep_publisher_samples(fx->publisher);
	g_assert_cmpuint(samples->len, ==, 120);
	/* one timestamp per pollster invocation */
	seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < samples->len; i++)
		g_hash_table_add(seen,
				 (gpointer)json_object_get_string_member(
				   g_ptr_array_index(samples, i), "timestamp"));
	g_assert_cmpuint(g_hash_table_size(seen), ==, 1);
	g_hash_table_unref(seen);
}

static void
test_engine_streaming(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
	guint full = 0;

	/* 3 resources x 300 samples: a synchronous pollster's samples are
	 * handed over in chunks while it runs (flush size 4 x batch_size), and
	 * every message still holds batch_size samples */
	pd_fixture_write(
	  fx, "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a]\n", NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	fake.samples_per_resource = 300;
	pd_fixture_poll(fx);
	for (guint i = 0; i < fx->publisher->messages->len; i++) {
		PdMessage *msg = g_ptr_array_index(fx->publisher->messages, i);
		if (msg->n_samples == 50)
			full++;
	}
	g_assert_cmpuint(fx->publisher->messages->len, ==, 18);
	g_assert_cmpuint(full, ==, 18);
	g_assert_cmpuint(fx->last_cycle_samples, ==, 900);
	samples = pd_keep_publisher_samples(fx->publisher);
	g_assert_cmpuint(samples->len, ==, 900);
	/* still one timestamp for the whole invocation */
	for (guint i = 0; i < samples->len; i++)
		g_hash_table_add(ids,
				 (gpointer)json_object_get_string_member(
				   g_ptr_array_index(samples, i), "timestamp"));
	g_assert_cmpuint(g_hash_table_size(ids), ==, 1);
	g_assert_cmpuint(pd_engine_get_pollster_stats(fx->engine, "fake.a")->last_samples, ==, 900);
}

static void
test_engine_batch_size_zero(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *conf = NULL;

	pd_fixture_write(fx, "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a]\n", "");
	conf = g_strdup_printf("[polling]\ncfg_file = %s/polling.yaml\nbatch_size = 0\n", fx->dir);
	g_assert_true(g_file_set_contents(fx->conf, conf, -1, NULL));
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	pd_fixture_poll(fx);
	/* 0 means one message per sample */
	g_assert_cmpuint(fx->publisher->messages->len, ==, 3);
}

static void
test_engine_unknown_discovery(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	pd_fixture_write(fx,
			 "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a]\n"
			 "    discovery: ['nosuch:thing']\n",
			 NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	g_test_expect_message(
	  "PdPollingTask", G_LOG_LEVEL_WARNING, "*unknown discovery 'nosuch:thing'*");
	pd_fixture_poll(fx);
	g_test_assert_expected_messages();
	/* nothing from the source's discovery: the pollster's default is used */
	g_assert_cmpuint(pd_fake_polled("fake.a", "d0"), ==, 1);
}

/* a pollster class that implements neither poll nor poll_async (a plugin's
 * mistake): its job fails with an error that says so, the others of the
 * source are polled, and polld goes on */
static void
test_engine_pollster_without_poll(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PdPollsterStats *none;
	GLogLevelFlags fatal;

	fake.with_none = TRUE;
	pd_fixture_write(
	  fx, "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a, fake.none]\n", NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	/* the job's warning (a structured one: not caught by expect_message) */
	fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	pd_fixture_poll(fx);
	g_log_set_always_fatal(fatal);
	none = pd_engine_get_pollster_stats(fx->engine, "fake.none");
	g_assert_cmpuint(none->errors, ==, 1);
	g_assert_nonnull(strstr(none->last_error, "implements neither poll nor poll_async"));
	g_assert_cmpuint(pd_fake_polled("fake.a", "d0"), ==, 1);
}

static gboolean
pd_fake_slow_entered(gpointer data)
{
	gboolean entered;
	g_mutex_lock(&fake.mutex);
	entered = fake.slow_entered;
	g_mutex_unlock(&fake.mutex);
	return entered;
}

static gboolean
pd_fixture_has_samples(gpointer data)
{
	PdFixture *fx = data;
	return fx->publisher->messages->len >= 3;
}

static void
test_engine_deadline(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) samples = NULL;

	/* a hung pollster: the cycle closes at its deadline with the other
	 * pollster's samples published, and the late samples still arrive */
	pd_fixture_write(
	  fx,
	  "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a, fake.slow]\n",
	  "[polld]\npollster_timeout = 1\n");
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	fake.hold = TRUE;
	g_test_expect_message("PdPollingTask", G_LOG_LEVEL_WARNING, "*fake.slow*still running*");
	pd_fixture_poll(fx);
	g_test_assert_expected_messages();
	g_assert_true(pd_fake_slow_entered(NULL));
	g_assert_cmpuint(fx->publisher->messages->len, ==, 1);
	g_assert_cmpuint(fx->last_cycle_samples, ==, 3);

	/* GetPollsters reports it busy */
	g_assert_cmpuint(pd_engine_get_pollster_stats(fx->engine, "fake.slow")->late_jobs, ==, 1);
	/* while it hangs, the next cycle skips it rather than pile up */
	g_test_expect_message("PdPollingTask", G_LOG_LEVEL_WARNING, "*skipping a/fake.slow*");
	pd_fixture_poll(fx);
	g_test_assert_expected_messages();
	g_assert_cmpuint(pd_fake_polled("fake.a", "d0"), ==, 2);

	g_mutex_lock(&fake.mutex);
	fake.hold = FALSE;
	g_cond_broadcast(&fake.cond);
	g_mutex_unlock(&fake.mutex);
	g_assert_true(pd_test_wait_for(pd_fixture_has_samples, fx, 10000));
	samples = pd_keep_publisher_samples(fx->publisher);
	g_assert_cmpuint(samples->len, ==, 9);
}

static void
pd_fixture_stopped_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdFixture *fx = user_data;
	pd_engine_stop_finish(PD_ENGINE(source), res, &fx->error);
	fx->done = TRUE;
}

static void
test_engine_stop_waits_for_late_jobs(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) samples = NULL;

	/* --once and SIGTERM: a pollster that outlived its cycle still gets
	 * its samples published before the engine reports stopped */
	pd_fixture_write(
	  fx,
	  "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a, fake.slow]\n",
	  "[polld]\npollster_timeout = 1\nstop_timeout = 30\n");
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	fake.hold = TRUE;
	g_test_expect_message("PdPollingTask", G_LOG_LEVEL_WARNING, "*fake.slow*still running*");
	pd_fixture_poll(fx);
	g_test_assert_expected_messages();

	fx->done = FALSE;
	pd_engine_stop_async(fx->engine, pd_fixture_stopped_cb, fx);
	/* let the loop run a while: not stopped while the job is out */
	g_assert_false(pd_test_wait_for(pd_fixture_is_done, fx, 300));
	g_mutex_lock(&fake.mutex);
	fake.hold = FALSE;
	g_cond_broadcast(&fake.cond);
	g_mutex_unlock(&fake.mutex);
	g_assert_true(pd_test_wait_for(pd_fixture_is_done, fx, 10000));
	g_assert_no_error(fx->error);
	samples = pd_keep_publisher_samples(fx->publisher);
	g_assert_cmpuint(samples->len, ==, 6);
}

static void
pd_fake_release(void)
{
	g_mutex_lock(&fake.mutex);
	fake.hold = FALSE;
	g_cond_broadcast(&fake.cond);
	g_mutex_unlock(&fake.mutex);
}

static gboolean
pd_fake_a_polled_5(gpointer data)
{
	gboolean enough;
	g_mutex_lock(&fake.mutex);
	enough = fake.a_polls->len >= 5;
	g_mutex_unlock(&fake.mutex);
	return enough;
}

/* the late-pollster warnings are expected, in numbers that depend on timing:
 * count them instead of aborting */
static guint pd_late_warnings;
static guint pd_skip_warnings;

static gboolean
pd_is_late_warning(const gchar *domain, const gchar *message)
{
	return g_strcmp0(domain, "PdPollingTask") == 0 &&
	       (strstr(message, "fake.slow (source a) still running") != NULL ||
		strstr(message, "skipping a/fake.slow") != NULL);
}

static void
pd_count_late_warnings(const gchar *domain,
		       GLogLevelFlags level,
		       const gchar *message,
		       gpointer user_data)
{
	if (strstr(message, "still running") != NULL)
		pd_late_warnings++;
	else if (strstr(message, "skipping") != NULL)
		pd_skip_warnings++;
	if (!pd_is_late_warning(domain, message))
		g_log_default_handler(domain, level, message, user_data);
}

static gboolean
pd_late_warnings_not_fatal(const gchar *domain,
			   GLogLevelFlags level,
			   const gchar *message,
			   gpointer user_data)
{
	return !pd_is_late_warning(domain, message);
}

static void
test_engine_late_pollster_alone(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PdPollsterStats *slow;
	gint64 first, fifth;
	guint handler;

	/* a pollster taking 1.5 intervals, with the default pollster timeout
	 * (the interval): the fast one beside it in the same task is still
	 * polled every interval, the slow one is skipped while it runs,
	 * counted each time and logged once per late invocation */
	pd_fixture_write(
	  fx, "sources:\n  - name: a\n    interval: 1\n    meters: [fake.a, fake.slow]\n", NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	fake.slow_us = 1500 * 1000;
	pd_late_warnings = pd_skip_warnings = 0;
	g_test_log_set_fatal_handler(pd_late_warnings_not_fatal, NULL);
	handler = g_log_set_handler("PdPollingTask",
				    G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
				    pd_count_late_warnings,
				    NULL);
	pd_engine_start(fx->engine);
	g_assert_true(pd_test_wait_for(pd_fake_a_polled_5, NULL, 30000));
	g_mutex_lock(&fake.mutex);
	first = g_array_index(fake.a_polls, gint64, 0);
	fifth = g_array_index(fake.a_polls, gint64, 4);
	g_mutex_unlock(&fake.mutex);
	/* four periods of 1 s; cycles held up by the slow pollster would make
	 * them 2 s each */
	g_test_message("fake.a: 5 polls in %.2f s", (gdouble)(fifth - first) / G_USEC_PER_SEC);
	g_assert_cmpint(fifth - first, <, 6 * G_USEC_PER_SEC);
	slow = pd_engine_get_pollster_stats(fx->engine, "fake.slow");
	g_assert_cmpuint(slow->skipped, >=, 1);
	g_assert_cmpuint(pd_late_warnings, >=, 1);
	g_assert_cmpuint(pd_skip_warnings, <=, pd_late_warnings);
	g_assert_cmpuint(pd_skip_warnings, <=, slow->skipped);

	/* stop (waits for the slow one) before the fixture goes */
	fx->done = FALSE;
	pd_engine_stop_async(fx->engine, pd_fixture_stopped_cb, fx);
	g_assert_true(pd_test_wait_for(pd_fixture_is_done, fx, 10000));
	g_log_remove_handler("PdPollingTask", handler);
	g_test_log_set_fatal_handler(NULL, NULL);
}

static gboolean
pd_fixture_no_jobs(gpointer data)
{
	PdFixture *fx = data;
	GPtrArray *tasks = pd_engine_get_tasks(fx->engine);
	for (guint i = 0; i < tasks->len; i++) {
		if (pd_polling_task_get_running_jobs(g_ptr_array_index(tasks, i)) > 0)
			return FALSE;
	}
	return TRUE;
}

static void
test_engine_stop_timeout_counts_running(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	/* stopping while a cycle's own job hangs: the warning counts it */
	pd_fixture_write(
	  fx,
	  "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a, fake.slow]\n",
	  "[polld]\nstop_timeout = 1\n");
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	fake.hold = TRUE;
	pd_engine_poll_now_async(fx->engine, NULL, NULL, NULL, NULL);
	g_assert_true(pd_test_wait_for(pd_fake_slow_entered, NULL, 10000));
	fx->done = FALSE;
	g_test_expect_message("PdEngine",
			      G_LOG_LEVEL_WARNING,
			      "stopping without 1 pollster invocations still running*");
	pd_engine_stop_async(fx->engine, pd_fixture_stopped_cb, fx);
	g_assert_true(pd_test_wait_for(pd_fixture_is_done, fx, 10000));
	g_test_assert_expected_messages();
	pd_fake_release();
	/* the job finishes and hands its samples over before the fixture goes */
	g_assert_true(pd_test_wait_for(pd_fixture_no_jobs, fx, 10000));
}

static void
test_engine_reload(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PdPollingTask *before;

	pd_fixture_write(
	  fx, "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a]\n", NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	pd_engine_start(fx->engine);
	before = g_ptr_array_index(pd_engine_get_tasks(fx->engine), 0);
	g_assert_cmpuint(pd_engine_get_config_generation(fx->engine), ==, 1);

	/* invalid: refused with the position, old tasks kept */
	g_free(
	  pd_test_write_file(fx->dir,
			     "polling.yaml",
			     "sources:\n  - name: a\n    interval: 0\n    meters: [fake.a]\n"));
	g_assert_false(pd_engine_reload(fx->engine, &error));
	g_assert_error(error, PD_ERROR, PD_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "polling.yaml:3:15"));
	g_clear_error(&error);
	g_assert_true(g_ptr_array_index(pd_engine_get_tasks(fx->engine), 0) == before);
	g_assert_cmpuint(pd_engine_get_config_generation(fx->engine), ==, 1);

	/* unchanged: the very same task object stays */
	g_free(
	  pd_test_write_file(fx->dir,
			     "polling.yaml",
			     "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a]\n"));
	g_assert_true(pd_engine_reload(fx->engine, &error));
	g_assert_no_error(error);
	g_assert_true(g_ptr_array_index(pd_engine_get_tasks(fx->engine), 0) == before);
	g_assert_cmpuint(pd_engine_get_config_generation(fx->engine), ==, 2);

	/* changed: a new task with both pollsters */
	g_free(pd_test_write_file(
	  fx->dir,
	  "polling.yaml",
	  "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a, fake.b]\n"));
	g_assert_true(pd_engine_reload(fx->engine, &error));
	g_assert_true(g_ptr_array_index(pd_engine_get_tasks(fx->engine), 0) != before);
	{
		g_autoptr(GPtrArray) e = pd_polling_task_get_entries(
		  g_ptr_array_index(pd_engine_get_tasks(fx->engine), 0));
		g_assert_cmpuint(e->len, ==, 2);
	}
}

static void
test_engine_reload_pollster_list(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const gchar *yaml = "sources:\n  - name: a\n    interval: 60\n    meters: ['*']\n";

	/* [DEFAULT] pollster_list applies on reload: the selection changes
	 * and the tasks with it */
	pd_fixture_write(fx, yaml, "[DEFAULT]\npollster_list = fake.a, fake.b\n");
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	g_assert_cmpuint(g_hash_table_size(pd_engine_get_pollsters(fx->engine)), ==, 2);
	pd_fixture_write(fx, yaml, "[DEFAULT]\npollster_list = fake.c\n");
	g_assert_true(pd_engine_reload(fx->engine, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_hash_table_size(pd_engine_get_pollsters(fx->engine)), ==, 1);
	g_assert_true(g_hash_table_contains(pd_engine_get_pollsters(fx->engine), "fake.c"));
	{
		g_autoptr(GPtrArray) e = pd_polling_task_get_entries(
		  g_ptr_array_index(pd_engine_get_tasks(fx->engine), 0));
		g_assert_cmpuint(e->len, ==, 1);
		g_assert_cmpstr(g_ptr_array_index(e, 0), ==, "a/fake.c");
	}
	g_assert_cmpuint(pd_engine_get_reload_notes(fx->engine)->len, ==, 0);

	/* a list that selects nothing: accepted, and said */
	pd_fixture_write(fx, yaml, "[DEFAULT]\npollster_list = nothing.*\n");
	g_test_expect_message("PdEngine", G_LOG_LEVEL_MESSAGE, "now polling*0 pollsters selected");
	g_test_expect_message("PdEngine", G_LOG_LEVEL_INFO, "source a matches no loaded pollster");
	g_test_expect_message("PdEngine", G_LOG_LEVEL_WARNING, "*nothing to poll*");
	g_assert_true(pd_engine_reload(fx->engine, &error));
	g_test_assert_expected_messages();
	g_assert_cmpuint(pd_engine_get_tasks(fx->engine)->len, ==, 0);
	g_assert_cmpuint(pd_engine_get_reload_notes(fx->engine)->len, ==, 1);

	/* a plugin without a reconfigure vfunc: its changed keys need a
	 * restart, and the notes say so */
	pd_fixture_write(fx, yaml, "[DEFAULT]\npollster_list = nothing.*\n[fake]\nknob = 2\n");
	g_test_expect_message("PdEngine", G_LOG_LEVEL_WARNING, "*[fake] knob changed*");
	g_test_expect_message("PdEngine", G_LOG_LEVEL_INFO, "source a matches no loaded pollster");
	g_test_expect_message("PdEngine", G_LOG_LEVEL_WARNING, "*nothing to poll*");
	g_assert_true(pd_engine_reload(fx->engine, &error));
	g_test_assert_expected_messages();
	g_assert_cmpstr(g_ptr_array_index(pd_engine_get_reload_notes(fx->engine), 0),
			==,
			"[fake] knob changed: it takes effect when polld restarts");
}

static void
test_engine_unknown_config_key(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	pd_fixture_write(
	  fx,
	  "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a]\n",
	  "[fake]\nknob = 1\n[publisher]\ntelemetry_secrett = x\n[database]\nconnection = y\n");
	/* the plugin's key and a whole foreign section are fine, the typo isn't */
	g_test_expect_message("PdConfig",
			      G_LOG_LEVEL_WARNING,
			      "*polld.conf:*: unknown option [publisher] telemetry_secrett*");
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	g_test_assert_expected_messages();
}

/* the last published sample has user_name and project_name (both or neither) */
static gboolean
pd_fixture_last_has_names(PdFixture *fx)
{
	g_autoptr(GPtrArray) samples = pd_keep_publisher_samples(fx->publisher);
	JsonObject *last;

	g_assert_cmpuint(samples->len, >, 0);
	last = g_ptr_array_index(samples, samples->len - 1);
	g_assert_true(json_object_has_member(last, "user_name") ==
		      json_object_has_member(last, "project_name"));
	return json_object_has_member(last, "user_name");
}

/* [polld] ceilometer_compat: a bad value is a config error with file and
 * line at start and on reload (the old config keeps running); zed leaves
 * user_name and project_name out of the wire format, as Zed's has none,
 * and a reload applies it */
static void
test_engine_ceilometer_compat(PdFixture *fx, gconstpointer data)
{
	const gchar *yaml = "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a]\n";
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expect = NULL;

	pd_fixture_write(fx, yaml, "[polld]\nceilometer_compat = wallaby\n");
	g_assert_false(pd_fixture_setup_engine(fx, &error));
	expect = g_strdup_printf("%s:5: [polld] ceilometer_compat = 'wallaby': expected one of "
				 "zed (or 2022.2), 2025.2, 2026.1",
				 fx->conf);
	g_assert_cmpstr(error->message, ==, expect);
	g_clear_error(&error);
	g_clear_object(&fx->engine);
	g_clear_object(&fx->publisher);

	/* the default (2026.1) has the names, null without identity discovery */
	pd_fixture_write(fx, yaml, NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	pd_fixture_poll(fx);
	g_assert_true(pd_fixture_last_has_names(fx));

	pd_fixture_write(fx, yaml, "[polld]\n# Zed\nceilometer_compat = Zed\n");
	g_assert_false(pd_engine_reload(fx->engine, &error));
	g_assert_error(error, PD_ERROR, PD_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "polld.conf:6: [polld] ceilometer_compat = 'Zed'"));
	g_clear_error(&error);
	g_assert_cmpuint(pd_engine_get_config_generation(fx->engine), ==, 1);
	pd_fixture_poll(fx);
	g_assert_true(pd_fixture_last_has_names(fx));

	pd_fixture_write(fx, yaml, "[polld]\nceilometer_compat = zed\n");
	g_assert_true(pd_engine_reload(fx->engine, &error));
	g_assert_no_error(error);
	pd_fixture_poll(fx);
	g_assert_false(pd_fixture_last_has_names(fx));

	/* identity_names set explicitly wins over the release's default */
	pd_fixture_write(fx, yaml, "[polld]\nceilometer_compat = zed\nidentity_names = true\n");
	g_assert_true(pd_engine_reload(fx->engine, &error));
	pd_fixture_poll(fx);
	g_assert_true(pd_fixture_last_has_names(fx));
}

static void
test_engine_poll_now_unknown(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const gchar *names[] = { "nosuch", NULL };

	pd_fixture_write(
	  fx, "sources:\n  - name: a\n    interval: 60\n    meters: [fake.a]\n", NULL);
	g_assert_true(pd_fixture_setup_engine(fx, &error));
	fx->done = FALSE;
	pd_engine_poll_now_async(fx->engine, names, NULL, pd_fixture_polled_cb, fx);
	g_assert_true(pd_test_wait_for(pd_fixture_is_done, fx, 5000));
	g_assert_error(fx->error, PD_ERROR, PD_ERROR_NOT_FOUND);
}

typedef struct {
	PdInflight *inflight;
	GAsyncQueue *passed;
} InflightWorker;

static gpointer
inflight_worker(gpointer data)
{
	InflightWorker *w = data;

	pd_inflight_acquire(w->inflight, 40 * 1024);
	g_async_queue_push(w->passed, GINT_TO_POINTER(1));
	return NULL;
}

/* [polld] max_inflight_bytes: a pollster thread whose chunk would take the
 * bytes in flight past the budget waits until the main loop hands earlier
 * chunks to the publisher; a chunk larger than the budget goes alone */
static void
test_engine_inflight_budget(void)
{
	g_autoptr(PdInflight) inflight = pd_inflight_new(64 * 1024);
	g_autoptr(GAsyncQueue) passed = g_async_queue_new();
	InflightWorker w = { inflight, passed };
	GThread *thread;

	pd_inflight_acquire(inflight, 40 * 1024);
	thread = g_thread_new("inflight", inflight_worker, &w);
	/* the worker counts its wait before it blocks */
	while (pd_inflight_get_waits(inflight) == 0)
		g_thread_yield();
	g_assert_null(g_async_queue_try_pop(passed));
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 40 * 1024);
	pd_inflight_release(inflight, 40 * 1024);
	g_assert_nonnull(g_async_queue_pop(passed));
	g_thread_join(thread);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 40 * 1024);
	g_assert_cmpuint(pd_inflight_get_peak(inflight), <=, 64 * 1024);
	pd_inflight_release(inflight, 40 * 1024);

	/* an estimate corrected afterwards: up past the budget without a
	 * wait, down to what the chunk took */
	pd_inflight_acquire(inflight, 16 * 1024);
	pd_inflight_adjust(inflight, 80 * 1024);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 96 * 1024);
	g_assert_cmpuint(pd_inflight_get_waits(inflight), ==, 1);
	pd_inflight_adjust(inflight, -90 * 1024);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 6 * 1024);
	pd_inflight_release(inflight, 6 * 1024);

	/* a correction downwards wakes a waiting thread too (wake-ups are
	 * made only while a thread waits) */
	pd_inflight_acquire(inflight, 40 * 1024);
	thread = g_thread_new("inflight", inflight_worker, &w);
	while (pd_inflight_get_waits(inflight) == 1)
		g_thread_yield();
	g_assert_null(g_async_queue_try_pop(passed));
	pd_inflight_adjust(inflight, -40 * 1024);
	g_assert_nonnull(g_async_queue_pop(passed));
	g_thread_join(thread);
	pd_inflight_release(inflight, 40 * 1024);

	/* nothing in flight: even an oversized chunk passes at once */
	pd_inflight_acquire(inflight, 1024 * 1024);
	g_assert_cmpuint(pd_inflight_get_waits(inflight), ==, 2);
	pd_inflight_release(inflight, 1024 * 1024);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 0);
}

/* a module whose key file names none of the namespaces polled is not
 * loaded; a reload that polls one of them loads it, and its options are
 * known meanwhile (no unknown-option warning) */
static void
test_engine_held_module(PdFixture *fx, gconstpointer data)
{
	g_autofree gchar *plugins = g_build_filename(fx->dir, "plugins", NULL);
	g_autofree gchar *src =
	  g_strdup_printf("%s/libpd_abi_good.%s", g_getenv("POLLD_TEST_ABI_DIR"), G_MODULE_SUFFIX);
	g_autofree gchar *dst = g_build_filename(plugins, "libpd_abi_good.so", NULL);
	g_autoptr(PdPlugin) fake_plugin = pd_fake_plugin_new();
	g_autoptr(PdKeepPublisher) publisher = pd_keep_publisher_new();
	g_autoptr(PdSink) sink = pd_notifier_sink_new(PD_PUBLISHER(publisher));
	const gchar *yaml = "sources:\n  - name: a\n    interval: 60\n    meters: ['*']\n";
	gchar *dirs[] = { plugins, NULL };
	gchar *files[2] = { NULL, NULL };
	g_autoptr(PdSettings) settings = NULL;
	g_autoptr(PdEngine) engine = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir(plugins, 0700), ==, 0);
	g_assert_cmpint(symlink(src, dst), ==, 0);
	g_free(pd_test_write_file(plugins,
				  "libpd_abi_good.plugin",
				  "[Module]\nPlugins=abi-good;\nNamespaces=abi;\n"
				  "ConfigKeys=abi.knob;\n"));
	pd_fixture_write(
	  fx, yaml, "[DEFAULT]\npolling_namespaces = fake, bogus\n[abi]\nknob = 1\n");
	files[0] = fx->conf;
	settings = pd_settings_new(files, NULL, NULL, NULL);
	g_assert_true(pd_settings_load(settings, &error));
	engine = pd_engine_new(settings);
	pd_engine_add_plugin(engine, fake_plugin);
	g_assert_true(pd_engine_add_sink(engine, sink, NULL));
	pd_engine_set_plugin_dirs(engine, dirs);
	/* Ceilometer takes any namespace: one nothing serves is warned about */
	g_test_expect_message(
	  "PdEngine", G_LOG_LEVEL_INFO, "*libpd_abi_good.so not loaded: it serves namespaces abi");
	g_test_expect_message(
	  "PdEngine", G_LOG_LEVEL_WARNING, "no plugin serves polling namespace bogus (*abi*)");
	g_assert_true(pd_engine_load_plugins(engine, &error));
	g_test_assert_expected_messages();
	g_assert_cmpuint(pd_engine_get_plugins(engine)->len, ==, 1);
	g_assert_true(pd_engine_setup(engine, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(pd_engine_get_plugins(engine)->len, ==, 1);
	g_assert_false(g_hash_table_contains(pd_engine_get_pollsters(engine), "abi.meter"));

	pd_fixture_write(fx, yaml, "[DEFAULT]\npolling_namespaces = fake, abi\n[abi]\nknob = 1\n");
	g_assert_true(pd_engine_reload(engine, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(pd_engine_get_plugins(engine)->len, ==, 2);
	g_assert_cmpstr(
	  pd_plugin_get_name(g_ptr_array_index(pd_engine_get_plugins(engine), 1)), ==, "abi-good");
	g_assert_true(g_hash_table_contains(pd_engine_get_pollsters(engine), "abi.meter"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mutex_init(&fake.mutex);
	g_cond_init(&fake.cond);
#define ADD(path, func) g_test_add(path, PdFixture, NULL, pd_fixture_init, func, pd_fixture_fini)
	ADD("/engine/grouping", test_engine_grouping);
	ADD("/engine/dedupe", test_engine_dedupe);
	ADD("/engine/dedupe-static", test_engine_dedupe_static);
	ADD("/engine/dedupe-parts-twice", test_engine_dedupe_parts_twice);
	ADD("/engine/discovery-cache", test_engine_discovery_cache);
	ADD("/engine/discovery-parts", test_engine_discovery_parts);
	ADD("/engine/discovery-parts-one-worker", test_engine_discovery_parts_one_worker);
	ADD("/engine/discovery-parts-accepted", test_engine_discovery_parts_accepted);
	ADD("/engine/discovery-parts-slices", test_engine_discovery_parts_slices);
	ADD("/engine/blacklist-slices", test_engine_blacklist_slices);
	ADD("/engine/blacklist", test_engine_blacklist);
	g_test_add_func("/engine/blacklist-backoff", test_engine_blacklist_backoff);
	ADD("/engine/batching", test_engine_batching);
	ADD("/engine/batch-size-zero", test_engine_batch_size_zero);
	ADD("/engine/streaming", test_engine_streaming);
	ADD("/engine/unknown-discovery", test_engine_unknown_discovery);
	ADD("/engine/pollster-without-poll", test_engine_pollster_without_poll);
	ADD("/engine/deadline", test_engine_deadline);
	ADD("/engine/reload", test_engine_reload);
	ADD("/engine/stop-waits-for-late-jobs", test_engine_stop_waits_for_late_jobs);
	ADD("/engine/unknown-config-key", test_engine_unknown_config_key);
	ADD("/engine/reload-pollster-list", test_engine_reload_pollster_list);
	ADD("/engine/held-module", test_engine_held_module);
	ADD("/engine/late-pollster-alone", test_engine_late_pollster_alone);
	ADD("/engine/stop-timeout-counts-running", test_engine_stop_timeout_counts_running);
	ADD("/engine/poll-now-unknown", test_engine_poll_now_unknown);
	ADD("/engine/ceilometer-compat", test_engine_ceilometer_compat);
	g_test_add_func("/engine/inflight-budget", test_engine_inflight_budget);
	return g_test_run();
}
