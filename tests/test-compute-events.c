/*
 * compute-libvirt's implementation of libvirt's event loop (an epoll thread):
 * the keepalive timer libvirt moves on every reply must never fire sooner
 * than its timeout after the last move, even though a move to the same
 * timeout no longer touches the timerfd; and a socket watch a pipeline turns
 * on again is applied at its flush, not before.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "pd-compute-events.h"
#include "pd-test-util.h"

#define TIMER_MS 150

typedef struct {
	GMutex lock;
	GCond cond;
	gint64 moved;	/* monotonic µs of the last update, before it was made */
	gint64 soonest; /* shortest time from a move to a dispatch, µs */
	guint fired;
	gboolean freed;
} Timer;

static void
timer_cb(int id, void *opaque)
{
	Timer *t = opaque;
	gint64 now = g_get_monotonic_time();

	g_mutex_lock(&t->lock);
	t->soonest = MIN(t->soonest, now - t->moved);
	t->fired++;
	g_cond_broadcast(&t->cond);
	g_mutex_unlock(&t->lock);
}

static void
timer_free_cb(void *opaque)
{
	Timer *t = opaque;

	g_mutex_lock(&t->lock);
	t->freed = TRUE;
	g_cond_broadcast(&t->cond);
	g_mutex_unlock(&t->lock);
}

static void
timer_move(Timer *t, gint id, gint timeout)
{
	g_mutex_lock(&t->lock);
	t->moved = g_get_monotonic_time();
	g_mutex_unlock(&t->lock);
	virEventUpdateTimeout(id, timeout);
}

/* with the lock held: at most 10 s for @pred */
#define TIMER_WAIT(obj, pred)                                                                      \
	G_STMT_START                                                                               \
	{                                                                                          \
		gint64 end_ = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;                        \
		while (!(pred) && g_cond_wait_until(&(obj)->cond, &(obj)->lock, end_))             \
			;                                                                          \
		g_assert_true(pred);                                                               \
	}                                                                                          \
	G_STMT_END

static void
never_cb(int id, void *opaque)
{
	g_assert_not_reached();
}

/* returns once the event thread has ended the round it was in: the free
 * callback of a removed timer runs after a round's dispatches */
static void
events_sync(void)
{
	Timer t = { 0 };
	gint id;

	g_mutex_init(&t.lock);
	g_cond_init(&t.cond);
	id = virEventAddTimeout(-1, never_cb, &t, timer_free_cb);
	g_assert_cmpint(id, >, 0);
	g_assert_cmpint(virEventRemoveTimeout(id), ==, 0);
	g_mutex_lock(&t.lock);
	TIMER_WAIT(&t, t.freed);
	g_mutex_unlock(&t.lock);
	g_cond_clear(&t.cond);
	g_mutex_clear(&t.lock);
}

/* libvirt's keepalive moves its timer to the same timeout on every reply:
 * however late the moves come (a loaded machine), no dispatch comes sooner
 * than the timeout after the last one, and once they stop it fires */
static void
test_timer_moved(void)
{
	Timer t = { .soonest = G_MAXINT64 };
	gint id;
	guint fired;

	g_mutex_init(&t.lock);
	g_cond_init(&t.cond);
	t.moved = g_get_monotonic_time();
	id = virEventAddTimeout(TIMER_MS, timer_cb, &t, timer_free_cb);
	g_assert_cmpint(id, >, 0);
	for (guint i = 0; i < 30; i++) {
		timer_move(&t, id, TIMER_MS);
		g_usleep(10 * 1000); /* the replies' pace, not a synchronisation */
	}
	g_mutex_lock(&t.lock);
	fired = t.fired;
	TIMER_WAIT(&t, t.fired > fired);
	g_assert_cmpint(t.soonest, >=, TIMER_MS * 1000);
	g_mutex_unlock(&t.lock);

	/* another timeout applies at once: from its move on (off first, so
	 * that no dispatch of the old arming is still under way) */
	virEventUpdateTimeout(id, -1);
	events_sync();
	g_mutex_lock(&t.lock);
	t.soonest = G_MAXINT64;
	fired = t.fired;
	g_mutex_unlock(&t.lock);
	timer_move(&t, id, TIMER_MS / 3);
	g_mutex_lock(&t.lock);
	TIMER_WAIT(&t, t.fired >= fired + 2);
	g_assert_cmpint(t.soonest, >=, TIMER_MS / 3 * 1000);
	g_mutex_unlock(&t.lock);

	/* off: no more dispatches; the free callback comes from the event thread */
	virEventUpdateTimeout(id, -1);
	g_assert_cmpint(virEventRemoveTimeout(id), ==, 0);
	g_mutex_lock(&t.lock);
	TIMER_WAIT(&t, t.freed);
	g_mutex_unlock(&t.lock);
	g_cond_clear(&t.cond);
	g_mutex_clear(&t.lock);
}

typedef struct {
	GMutex lock;
	GCond cond;
	gint fds[2];
	guint calls;
	gboolean freed;
} Watch;

static void
watch_cb(int id, int fd, int events, void *opaque)
{
	Watch *w = opaque;
	gchar byte;

	g_assert_cmpint(read(fd, &byte, 1), ==, 1);
	g_mutex_lock(&w->lock);
	w->calls++;
	g_cond_broadcast(&w->cond);
	g_mutex_unlock(&w->lock);
}

static void
watch_free_cb(void *opaque)
{
	Watch *w = opaque;

	g_mutex_lock(&w->lock);
	w->freed = TRUE;
	g_cond_broadcast(&w->cond);
	g_mutex_unlock(&w->lock);
}

static void
watch_init(Watch *w)
{
	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	g_assert_cmpint(pipe(w->fds), ==, 0);
}

static void
watch_clear(Watch *w)
{
	close(w->fds[0]);
	close(w->fds[1]);
	g_cond_clear(&w->cond);
	g_mutex_clear(&w->lock);
}

typedef struct {
	Watch *deferred;
	gint id;
	gint marker_id;
	Watch *marker;
} Pipeline;

/* what libvirt's client does around a call, on a thread that defers */
static gpointer
pipeline_thread(gpointer data)
{
	Pipeline *p = data;

	pd_compute_events_defer_on_this_thread();
	virEventUpdateHandle(p->id, 0);
	g_assert_cmpint(write(p->deferred->fds[1], "x", 1), ==, 1);
	virEventUpdateHandle(p->id, VIR_EVENT_HANDLE_READABLE);

	/* a watch made ready later, then removed: its free callback runs after
	 * the event thread's round that saw it, and a watch in the epoll set
	 * that was ready before would have been dispatched in that round */
	g_assert_cmpint(write(p->marker->fds[1], "x", 1), ==, 1);
	g_mutex_lock(&p->marker->lock);
	TIMER_WAIT(p->marker, p->marker->calls == 1);
	g_mutex_unlock(&p->marker->lock);
	g_assert_cmpint(virEventRemoveHandle(p->marker_id), ==, 0);
	g_mutex_lock(&p->marker->lock);
	TIMER_WAIT(p->marker, p->marker->freed);
	g_mutex_unlock(&p->marker->lock);
	g_mutex_lock(&p->deferred->lock);
	g_assert_cmpuint(p->deferred->calls, ==, 0);
	g_mutex_unlock(&p->deferred->lock);

	/* the end of the job */
	pd_compute_events_flush();
	g_mutex_lock(&p->deferred->lock);
	TIMER_WAIT(p->deferred, p->deferred->calls == 1);
	g_mutex_unlock(&p->deferred->lock);
	return NULL;
}

static void
test_watch_deferred(void)
{
	Watch deferred = { 0 }, marker = { 0 };
	Pipeline p = { &deferred, 0, 0, &marker };

	watch_init(&deferred);
	watch_init(&marker);
	p.id = virEventAddHandle(
	  deferred.fds[0], VIR_EVENT_HANDLE_READABLE, watch_cb, &deferred, watch_free_cb);
	p.marker_id = virEventAddHandle(
	  marker.fds[0], VIR_EVENT_HANDLE_READABLE, watch_cb, &marker, watch_free_cb);
	g_assert_cmpint(p.id, >, 0);
	g_assert_cmpint(p.marker_id, >, 0);
	g_thread_join(g_thread_new("pipeline", pipeline_thread, &p));

	/* off from any thread is at once; on from a thread that does not defer too */
	virEventUpdateHandle(p.id, 0);
	g_assert_cmpint(write(deferred.fds[1], "x", 1), ==, 1);
	virEventUpdateHandle(p.id, VIR_EVENT_HANDLE_READABLE);
	g_mutex_lock(&deferred.lock);
	TIMER_WAIT(&deferred, deferred.calls == 2);
	g_mutex_unlock(&deferred.lock);
	g_assert_cmpint(virEventRemoveHandle(p.id), ==, 0);
	g_mutex_lock(&deferred.lock);
	TIMER_WAIT(&deferred, deferred.freed);
	g_mutex_unlock(&deferred.lock);
	watch_clear(&deferred);
	watch_clear(&marker);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;

	g_test_init(&argc, &argv, NULL);
	g_assert_true(pd_compute_events_register(&error));
	g_assert_no_error(error);
	g_test_add_func("/compute/events/timer-moved", test_timer_moved);
	g_test_add_func("/compute/events/watch-deferred", test_watch_deferred);
	return g_test_run();
}
