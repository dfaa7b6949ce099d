/*
 * Hand-overs between threads wake only the threads that have work: the
 * in-flight budget wakes the waiting pollster threads whose chunks now fit
 * and no other, the notifier sink wakes the main loop once for the chunks
 * handed over while it had not taken the earlier ones, and the sinks done
 * with a chunk when they return (the exporter, the heartbeat) wake it not
 * at all.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "pd-config-private.h"
#include "pd-heartbeat.h"
#include "pd-inflight.h"
#include "pd-notifier-sink.h"
#include "pd-prom-sink.h"
#include "pd-returns.h"
#include "pd-sink-list.h"
#include "pd-test-publisher.h"
#include "pd-test-util.h"
#include "polld.h"

/* --- the in-flight budget --- */

typedef struct {
	PdInflight *inflight;
	GAsyncQueue *passed;
	guint64 bytes;
	gint id;
	guint64 held;
} InflightWaiter;

static gpointer
inflight_waiter(gpointer data)
{
	InflightWaiter *w = data;

	pd_inflight_acquire_holding(w->inflight, w->bytes, w->held);
	g_async_queue_push(w->passed, GINT_TO_POINTER(w->id));
	return NULL;
}

/* starts a thread acquiring @bytes; returns once it waits in the queue */
static GThread *
inflight_waiter_start(InflightWaiter *w, guint waiting)
{
	GThread *thread = g_thread_new("inflight", inflight_waiter, w);

	while (pd_inflight_get_waiting(w->inflight) < waiting)
		g_thread_yield();
	return thread;
}

static gint
inflight_pop_two(GAsyncQueue *passed)
{
	gint a = GPOINTER_TO_INT(g_async_queue_pop(passed));
	gint b = GPOINTER_TO_INT(g_async_queue_pop(passed));

	return (1 << a) | (1 << b);
}

/* a release wakes exactly the waiting threads whose chunks now fit, in the
 * order they came, and a thread that would fit waits behind earlier ones */
static void
test_inflight_wakeups(void)
{
	g_autoptr(PdInflight) inflight = pd_inflight_new(64 * 1024);
	g_autoptr(GAsyncQueue) passed = g_async_queue_new();
	InflightWaiter w[4];
	GThread *threads[4];

	pd_inflight_acquire(inflight, 60 * 1024);
	for (gint i = 0; i < 3; i++) {
		w[i] = (InflightWaiter){ inflight, passed, 20 * 1024, i + 1 };
		threads[i] = inflight_waiter_start(&w[i], (guint)i + 1);
	}
	/* 50 KiB in flight: the first chunk does not fit, nobody is woken */
	pd_inflight_release(inflight, 10 * 1024);
	g_assert_cmpuint(pd_inflight_get_wakeups(inflight), ==, 0);
	g_assert_cmpuint(pd_inflight_get_waiting(inflight), ==, 3);
	/* 40 KiB: room for the first, not the second */
	pd_inflight_release(inflight, 10 * 1024);
	g_assert_cmpint(GPOINTER_TO_INT(g_async_queue_pop(passed)), ==, 1);
	g_assert_cmpuint(pd_inflight_get_wakeups(inflight), ==, 1);
	g_assert_cmpuint(pd_inflight_get_waiting(inflight), ==, 2);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 60 * 1024);
	/* 20 KiB: both others (woken together: either may pass first) */
	pd_inflight_release(inflight, 40 * 1024);
	g_assert_cmpint(inflight_pop_two(passed), ==, (1 << 2) | (1 << 3));
	g_assert_cmpuint(pd_inflight_get_wakeups(inflight), ==, 3);
	g_assert_cmpuint(pd_inflight_get_waits(inflight), ==, 3);
	for (guint i = 0; i < 3; i++)
		g_thread_join(threads[i]);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 60 * 1024);

	/* a small chunk that would fit waits behind a large one that does not,
	 * and both go once there is room for the large one */
	w[0] = (InflightWaiter){ inflight, passed, 20 * 1024, 1 };
	w[1] = (InflightWaiter){ inflight, passed, 1024, 2 };
	threads[0] = inflight_waiter_start(&w[0], 1);
	threads[1] = inflight_waiter_start(&w[1], 2);
	g_assert_cmpuint(pd_inflight_get_waits(inflight), ==, 5);
	g_assert_null(g_async_queue_try_pop(passed));
	pd_inflight_release(inflight, 60 * 1024);
	g_assert_cmpint(inflight_pop_two(passed), ==, (1 << 1) | (1 << 2));
	g_assert_cmpuint(pd_inflight_get_wakeups(inflight), ==, 5);
	g_thread_join(threads[0]);
	g_thread_join(threads[1]);
	pd_inflight_release(inflight, 21 * 1024);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 0);
	g_assert_cmpuint(pd_inflight_get_peak(inflight), <=, 64 * 1024);
}

/* the estimate a thread counts in before its messages exist: up at once
 * to a larger sample, down slowly to a smaller one (the meters' batches
 * come in turn: one figure for all must not under-count the larger) */
static void
test_inflight_estimate(void)
{
	gint estimate = 1000;

	pd_inflight_next_estimate(&estimate, 2000);
	g_assert_cmpint(estimate, ==, 2000);
	pd_inflight_next_estimate(&estimate, 1000);
	g_assert_cmpint(estimate, ==, 1875);
	pd_inflight_next_estimate(&estimate, 1000);
	g_assert_cmpint(estimate, ==, 1765);
	pd_inflight_next_estimate(&estimate, 1900);
	g_assert_cmpint(estimate, ==, 1900);
	for (guint i = 0; i < 100; i++)
		pd_inflight_next_estimate(&estimate, 1000);
	g_assert_cmpint(estimate, ==, 1000);
	pd_inflight_next_estimate(&estimate, 0);
	g_assert_cmpint(estimate, >=, 1);
	g_assert_cmpint(estimate, <, 1000);
}

/* a waiting thread's batch takes room as bytes in flight do: the chunk
 * that would fit alone waits while its batch does not fit beside it, the
 * batch is counted (held) meanwhile and in flight once the thread passes;
 * with nothing in flight a thread passes whatever it holds */
static void
test_inflight_held(void)
{
	g_autoptr(PdInflight) inflight = pd_inflight_new(64 * 1024);
	g_autoptr(GAsyncQueue) passed = g_async_queue_new();
	InflightWaiter w = { inflight, passed, 20 * 1024, 1, 16 * 1024 };
	GThread *thread;

	pd_inflight_acquire(inflight, 40 * 1024);
	/* 40 + 20 fits, 40 + 20 + 16 does not */
	thread = inflight_waiter_start(&w, 1);
	g_assert_cmpuint(pd_inflight_get_held(inflight), ==, 16 * 1024);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 40 * 1024);
	/* 30 + 20 would fit, not with the batch */
	pd_inflight_release(inflight, 10 * 1024);
	g_assert_cmpuint(pd_inflight_get_wakeups(inflight), ==, 0);
	g_assert_cmpuint(pd_inflight_get_waiting(inflight), ==, 1);
	/* 10 + 20 + 16 fits */
	pd_inflight_release(inflight, 20 * 1024);
	g_assert_cmpint(GPOINTER_TO_INT(g_async_queue_pop(passed)), ==, 1);
	g_thread_join(thread);
	g_assert_cmpuint(pd_inflight_get_held(inflight), ==, 0);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 46 * 1024);
	g_assert_cmpuint(pd_inflight_get_peak(inflight), ==, 56 * 1024);
	/* the batch freed */
	pd_inflight_adjust(inflight, -16 * 1024);
	pd_inflight_release(inflight, 30 * 1024);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 0);
	/* something always goes */
	pd_inflight_acquire_holding(inflight, 60 * 1024, 30 * 1024);
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 90 * 1024);
	g_assert_cmpuint(pd_inflight_get_waits(inflight), ==, 1);
}

/* --- the notifier sink --- */

typedef struct {
	PdSink *sink;
	guint first, n;
	guint done; /* main thread */
} HandOvers;

static void
handovers_done(gpointer data, const GError *error)
{
	g_assert_no_error(error);
	((HandOvers *)data)->done++;
}

/* a pollster's thread: @n chunks of 3 samples, resources r<chunk>-<j> */
static gpointer
handovers_thread(gpointer data)
{
	HandOvers *h = data;

	for (guint i = h->first; i < h->first + h->n; i++) {
		PdSampleBatch *batch = pd_sample_batch_new();
		for (guint j = 0; j < 3; j++) {
			g_autofree gchar *rid = g_strdup_printf("r%u-%u", i, j);
			PdSample *sample = pd_sample_batch_add(
			  batch, "fake.a", PD_SAMPLE_TYPE_GAUGE, "B", rid, "u1", "p1", NULL);
			pd_sample_set_double(sample, i);
		}
		pd_sample_batch_stamp(batch, 0, g_get_real_time(), NAN);
		pd_sink_consume(h->sink, batch, handovers_done, h);
		pd_sample_batch_free(batch);
	}
	return NULL;
}

static gboolean
handovers_all_done(gpointer data)
{
	HandOvers *h = data;

	return h->done == h->first + h->n;
}

static gboolean
handover_not_due(gpointer data)
{
	return !pd_notifier_sink_get_handover_due(data);
}

/* chunks handed over while the main loop has not taken the earlier ones
 * wake it once: it takes them all, in order */
static void
test_handover_wakeups(void)
{
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdKeepPublisher) publisher = pd_keep_publisher_new();
	g_autoptr(PdSink) sink = pd_notifier_sink_new(PD_PUBLISHER(publisher));
	HandOvers h = { sink, 0, 10, 0 };
	g_autoptr(GError) error = NULL;
	PdInflight *inflight = pd_notifier_sink_get_inflight(PD_NOTIFIER_SINK(sink));
	guint64 queued, held = 0, bodies = 0;

	g_assert_true(pd_sink_start(sink, config, &error));
	g_assert_no_error(error);
	/* the main loop does not run meanwhile: all ten queue */
	g_thread_join(g_thread_new("pollster", handovers_thread, &h));
	g_assert_cmpuint(publisher->messages->len, ==, 0);
	queued = pd_inflight_get_bytes(inflight);
	g_assert_true(pd_test_wait_for(handovers_all_done, &h, 5000));
	g_assert_cmpuint(pd_notifier_sink_get_handover_wakeups(PD_NOTIFIER_SINK(sink)), ==, 1);
	g_assert_cmpuint(publisher->messages->len, ==, 10);
	for (guint i = 0; i < 10; i++) {
		PdMessage *msg = g_ptr_array_index(publisher->messages, i);
		g_autofree gchar *rid = g_strdup_printf("r%u-0", i);
		g_autofree gchar *body =
		  g_strndup(g_bytes_get_data(msg->body, NULL), g_bytes_get_size(msg->body));
		g_assert_cmpuint(msg->n_samples, ==, 3);
		g_assert_nonnull(strstr(body, rid));
		held += msg->held;
		bodies += g_bytes_get_size(msg->body);
	}
	/* the budget counted what the queued messages hold, not only their
	 * bodies' bytes, and let it go when they were handed over */
	g_assert_cmpuint(queued, ==, held);
	g_assert_cmpuint(held, >=, bodies + 10 * sizeof(PdMessage));
	g_assert_cmpuint(pd_inflight_get_bytes(inflight), ==, 0);
	g_assert_cmpuint(pd_notifier_sink_get_handover_idles(PD_NOTIFIER_SINK(sink)), ==, 1);
	/* the main loop looks again by itself a moment later (it has not
	 * yet): a chunk handed over meanwhile does not wake it */
	h.first = 10;
	h.n = 1;
	g_thread_join(g_thread_new("pollster", handovers_thread, &h));
	g_assert_cmpuint(pd_notifier_sink_get_handover_idles(PD_NOTIFIER_SINK(sink)), ==, 1);
	g_assert_true(pd_test_wait_for(handovers_all_done, &h, 5000));
	g_assert_cmpuint(pd_notifier_sink_get_handover_wakeups(PD_NOTIFIER_SINK(sink)), ==, 2);
	g_assert_cmpuint(publisher->messages->len, ==, 11);
	/* once a look found nothing, the next chunk wakes it again */
	g_assert_true(pd_test_wait_for(handover_not_due, sink, 5000));
	h.first = 11;
	g_thread_join(g_thread_new("pollster", handovers_thread, &h));
	g_assert_true(pd_test_wait_for(handovers_all_done, &h, 5000));
	g_assert_cmpuint(pd_notifier_sink_get_handover_idles(PD_NOTIFIER_SINK(sink)), ==, 2);
	g_assert_cmpuint(pd_notifier_sink_get_handover_wakeups(PD_NOTIFIER_SINK(sink)), ==, 3);
	g_assert_cmpuint(publisher->messages->len, ==, 12);
	pd_sink_stop(sink);
}

/* the daemon's three sinks: the exporter and the heartbeat are done with a
 * chunk when they return, and add no idle to the main loop for it (two a
 * chunk before); each chunk is done once, on the main thread, after the
 * notifier's hand-over */
static void
test_sink_list_wakeups(void)
{
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdKeepPublisher) publisher = pd_keep_publisher_new();
	g_autoptr(PdSink) notifier = pd_notifier_sink_new(PD_PUBLISHER(publisher));
	g_autoptr(PdSink) prometheus = pd_prom_sink_new(NULL, NULL);
	const gchar *ns[] = { "compute", NULL };
	g_autoptr(PdSink) heartbeat = pd_heartbeat_new(ns);
	g_autoptr(PdSinkList) list = pd_sink_list_new();
	HandOvers h = { PD_SINK(list), 0, 10, 0 };
	PdSinkCounters counters = { 0 };
	g_autoptr(GError) error = NULL;
	guint idles;

	g_assert_true(pd_sink_list_add(list, notifier, &error));
	g_assert_true(pd_sink_list_add(list, prometheus, &error));
	g_assert_true(pd_sink_list_add(list, heartbeat, &error));
	g_assert_true(pd_sink_start(notifier, config, &error));
	g_assert_no_error(error);
	idles = pd_sink_get_done_later_idles();
	g_thread_join(g_thread_new("pollster", handovers_thread, &h));
	g_assert_cmpuint(pd_sink_get_done_later_idles(), ==, idles);
	g_assert_cmpuint(h.done, ==, 0);
	g_assert_true(pd_test_wait_for(handovers_all_done, &h, 5000));
	g_assert_cmpuint(publisher->messages->len, ==, 10);
	pd_sink_get_counters(prometheus, &counters);
	g_assert_cmpuint(counters.received, ==, 30);
	pd_sink_get_counters(heartbeat, &counters);
	g_assert_cmpuint(counters.received, ==, 30);
	/* alone, such a sink still calls done later, on the main context */
	h.sink = heartbeat;
	h.first = 10;
	h.n = 1;
	g_thread_join(g_thread_new("pollster", handovers_thread, &h));
	g_assert_cmpuint(pd_sink_get_done_later_idles(), ==, idles + 1);
	g_assert_cmpuint(h.done, ==, 10);
	g_assert_true(pd_test_wait_for(handovers_all_done, &h, 5000));
	pd_sink_stop(notifier);
}

/* --- worker threads' results --- */

typedef struct {
	PdReturns *returns;
	guint first, n;
	GArray *taken; /* main thread */
} Returns;

static void
returns_taken(gpointer item, gpointer user_data)
{
	guint i = GPOINTER_TO_UINT(item);

	g_array_append_val(((Returns *)user_data)->taken, i);
}

static gpointer
returns_thread(gpointer data)
{
	Returns *r = data;

	for (guint i = r->first; i < r->first + r->n; i++)
		pd_returns_push(r->returns, GUINT_TO_POINTER(i));
	return NULL;
}

static gboolean
returns_all_taken(gpointer data)
{
	Returns *r = data;

	return r->taken->len == r->first + r->n;
}

static gboolean
returns_not_due(gpointer data)
{
	return !pd_returns_get_due(data);
}

/* results pushed while the main loop has not taken the earlier wake it
 * once (a GTask returned from a thread adds an idle, a wake-up, each); it
 * takes them in order, looks again by itself a moment later, and once a
 * look found none the next wakes it again */
static void
test_returns_wakeups(void)
{
	g_autoptr(GArray) taken = g_array_new(FALSE, FALSE, sizeof(guint));
	Returns r = { NULL, 0, 10, taken };

	r.returns = pd_returns_new(NULL, returns_taken, &r);
	g_thread_join(g_thread_new("pollster", returns_thread, &r));
	g_assert_cmpuint(taken->len, ==, 0);
	g_assert_true(pd_test_wait_for(returns_all_taken, &r, 5000));
	for (guint i = 0; i < 10; i++)
		g_assert_cmpuint(g_array_index(taken, guint, i), ==, i);
	g_assert_cmpuint(pd_returns_get_wakeups(r.returns), ==, 1);
	g_assert_cmpuint(pd_returns_get_takes(r.returns), ==, 1);
	/* pushed before the main loop looks again: no wake-up */
	r.first = 10;
	r.n = 1;
	g_thread_join(g_thread_new("pollster", returns_thread, &r));
	g_assert_true(pd_test_wait_for(returns_all_taken, &r, 5000));
	g_assert_cmpuint(pd_returns_get_wakeups(r.returns), ==, 1);
	g_assert_cmpuint(pd_returns_get_takes(r.returns), ==, 2);
	/* a look found nothing: the next push wakes it */
	g_assert_true(pd_test_wait_for(returns_not_due, r.returns, 5000));
	r.first = 11;
	g_thread_join(g_thread_new("pollster", returns_thread, &r));
	g_assert_true(pd_test_wait_for(returns_all_taken, &r, 5000));
	g_assert_cmpuint(pd_returns_get_wakeups(r.returns), ==, 2);
	g_assert_cmpuint(pd_returns_get_takes(r.returns), ==, 3);
	g_assert_cmpuint(pd_returns_get_items(r.returns), ==, 12);
	pd_returns_free(r.returns);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wakeups/inflight", test_inflight_wakeups);
	g_test_add_func("/wakeups/inflight-estimate", test_inflight_estimate);
	g_test_add_func("/wakeups/inflight-held", test_inflight_held);
	g_test_add_func("/wakeups/sink-handover", test_handover_wakeups);
	g_test_add_func("/wakeups/sink-list", test_sink_list_wakeups);
	g_test_add_func("/wakeups/returns", test_returns_wakeups);
	return g_test_run();
}
