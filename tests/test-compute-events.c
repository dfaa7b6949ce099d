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

/* what the event thread's callbacks tell the test: how often one ran and
 * whether libvirt freed its opaque; first in a Timer and a Watch */
typedef struct {
	GMutex lock;
	GCond cond;
	guint calls;
	gboolean freed;
} Seen;

static void
seen_init(Seen *s)
{
	g_mutex_init(&s->lock);
	g_cond_init(&s->cond);
}

static void
seen_clear(Seen *s)
{
	g_cond_clear(&s->cond);
	g_mutex_clear(&s->lock);
}

/* with the lock held */
static void
seen_call_locked(Seen *s)
{
	s->calls++;
	g_cond_broadcast(&s->cond);
}

static void
seen_free_cb(void *opaque)
{
	Seen *s = opaque;

	g_mutex_lock(&s->lock);
	s->freed = TRUE;
	g_cond_broadcast(&s->cond);
	g_mutex_unlock(&s->lock);
}

/* with the lock held: at most 10 s for @pred */
#define SEEN_WAIT(s, pred)                                                                         \
	G_STMT_START                                                                               \
	{                                                                                          \
		gint64 end_ = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;                        \
		while (!(pred) && g_cond_wait_until(&(s)->cond, &(s)->lock, end_))                 \
			;                                                                          \
		g_assert_true(pred);                                                               \
	}                                                                                          \
	G_STMT_END

/* at most 10 s for @n calls, no more */
static void
seen_wait_calls(Seen *s, guint n)
{
	g_mutex_lock(&s->lock);
	SEEN_WAIT(s, s->calls == n);
	g_mutex_unlock(&s->lock);
}

/* at most 10 s for the free callback */
static void
seen_wait_freed(Seen *s)
{
	g_mutex_lock(&s->lock);
	SEEN_WAIT(s, s->freed);
	g_mutex_unlock(&s->lock);
}

typedef struct {
	Seen seen;	/* first: the free callback's opaque */
	gint64 moved;	/* monotonic µs of the last update, before it was made */
	gint64 soonest; /* shortest time from a move to a dispatch, µs */
} Timer;

static void
timer_cb(int id, void *opaque)
{
	Timer *t = opaque;
	gint64 now = g_get_monotonic_time();

	g_mutex_lock(&t->seen.lock);
	t->soonest = MIN(t->soonest, now - t->moved);
	seen_call_locked(&t->seen);
	g_mutex_unlock(&t->seen.lock);
}

static void
timer_move(Timer *t, gint id, gint timeout)
{
	g_mutex_lock(&t->seen.lock);
	t->moved = g_get_monotonic_time();
	g_mutex_unlock(&t->seen.lock);
	virEventUpdateTimeout(id, timeout);
}

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
	Seen s = { 0 };
	gint id;

	seen_init(&s);
	id = virEventAddTimeout(-1, never_cb, &s, seen_free_cb);
	g_assert_cmpint(id, >, 0);
	g_assert_cmpint(virEventRemoveTimeout(id), ==, 0);
	seen_wait_freed(&s);
	seen_clear(&s);
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

	seen_init(&t.seen);
	t.moved = g_get_monotonic_time();
	id = virEventAddTimeout(TIMER_MS, timer_cb, &t, seen_free_cb);
	g_assert_cmpint(id, >, 0);
	for (guint i = 0; i < 30; i++) {
		timer_move(&t, id, TIMER_MS);
		g_usleep(10 * 1000); /* the replies' pace, not a synchronisation */
	}
	g_mutex_lock(&t.seen.lock);
	fired = t.seen.calls;
	SEEN_WAIT(&t.seen, t.seen.calls > fired);
	g_assert_cmpint(t.soonest, >=, TIMER_MS * 1000);
	g_mutex_unlock(&t.seen.lock);

	/* another timeout applies at once: from its move on (off first, so
	 * that no dispatch of the old arming is still under way) */
	virEventUpdateTimeout(id, -1);
	events_sync();
	g_mutex_lock(&t.seen.lock);
	t.soonest = G_MAXINT64;
	fired = t.seen.calls;
	g_mutex_unlock(&t.seen.lock);
	timer_move(&t, id, TIMER_MS / 3);
	g_mutex_lock(&t.seen.lock);
	SEEN_WAIT(&t.seen, t.seen.calls >= fired + 2);
	g_assert_cmpint(t.soonest, >=, TIMER_MS / 3 * 1000);
	g_mutex_unlock(&t.seen.lock);

	/* off: no more dispatches; the free callback comes from the event thread */
	virEventUpdateTimeout(id, -1);
	g_assert_cmpint(virEventRemoveTimeout(id), ==, 0);
	seen_wait_freed(&t.seen);
	seen_clear(&t.seen);
}

typedef struct {
	Seen seen; /* first: the free callback's opaque */
	gint fds[2];
} Watch;

static void
watch_cb(int id, int fd, int events, void *opaque)
{
	Watch *w = opaque;
	gchar byte;

	g_assert_cmpint(read(fd, &byte, 1), ==, 1);
	g_mutex_lock(&w->seen.lock);
	seen_call_locked(&w->seen);
	g_mutex_unlock(&w->seen.lock);
}

static void
watch_init(Watch *w)
{
	seen_init(&w->seen);
	g_assert_cmpint(pipe(w->fds), ==, 0);
}

static void
watch_clear(Watch *w)
{
	close(w->fds[0]);
	close(w->fds[1]);
	seen_clear(&w->seen);
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
	seen_wait_calls(&p->marker->seen, 1);
	g_assert_cmpint(virEventRemoveHandle(p->marker_id), ==, 0);
	seen_wait_freed(&p->marker->seen);
	g_mutex_lock(&p->deferred->seen.lock);
	g_assert_cmpuint(p->deferred->seen.calls, ==, 0);
	g_mutex_unlock(&p->deferred->seen.lock);

	/* the end of the job */
	pd_compute_events_flush();
	seen_wait_calls(&p->deferred->seen, 1);
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
	  deferred.fds[0], VIR_EVENT_HANDLE_READABLE, watch_cb, &deferred, seen_free_cb);
	p.marker_id = virEventAddHandle(
	  marker.fds[0], VIR_EVENT_HANDLE_READABLE, watch_cb, &marker, seen_free_cb);
	g_assert_cmpint(p.id, >, 0);
	g_assert_cmpint(p.marker_id, >, 0);
	g_thread_join(g_thread_new("pipeline", pipeline_thread, &p));

	/* off from any thread is at once; on from a thread that does not defer too */
	virEventUpdateHandle(p.id, 0);
	g_assert_cmpint(write(deferred.fds[1], "x", 1), ==, 1);
	virEventUpdateHandle(p.id, VIR_EVENT_HANDLE_READABLE);
	seen_wait_calls(&deferred.seen, 2);
	g_assert_cmpint(virEventRemoveHandle(p.id), ==, 0);
	seen_wait_freed(&deferred.seen);
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
