/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "pd-compute-events.h"

/*
 * libvirt's event loop (keepalive, the close callback, domain events) on a
 * thread of its own, on epoll. libvirt's RPC client switches its socket
 * watch off and on around every call and moves the keepalive timer on every
 * reply; with GLib's implementation each of those destroys or attaches a
 * GSource on the main context and wakes it: three wake-ups of another thread
 * per call, more than the call itself costs. Here a watch or timer change is
 * one epoll_ctl() or timerfd_settime() by the calling thread, and the event
 * thread wakes only when something is due. Callbacks run on the event
 * thread; the plugin's are thread-safe.
 *
 * Two changes are lazy, as they come with every call:
 * - the keepalive timer is moved to the same timeout on every reply: that
 *   only records the new deadline; when the timerfd fires before it, it is
 *   re-armed for the rest instead of dispatching (one timerfd_settime() per
 *   keepalive interval, not per reply);
 * - the socket watch goes off before a call and on after it. Off is applied
 *   at once (the reply must not wake the event thread), but on from a
 *   pipeline thread waits until that thread ends its job
 *   (pd_compute_events_flush()): a job's calls follow one another, and while
 *   the watch is off whatever arrives is read by the next call. So a job of
 *   thousands of calls changes the epoll set twice, not twice per call.
 */

typedef struct {
	gint id;
	gint fd;      /* the watched fd, or the timer's timerfd */
	gint events;  /* VIR_EVENT_HANDLE_* of a watch, as libvirt last set them */
	gint applied; /* ... and as the epoll set has them */
	gint timeout; /* ms of a timer: -1 off, 0 every iteration */
	gint64 due;   /* monotonic µs of a timer's next dispatch, timeout > 0 */
	gboolean is_timer;
	gboolean removed;
	gpointer cb; /* virEventHandleCallback or virEventTimeoutCallback */
	void *opaque;
	virFreeCallback ff;
} PdComputeWatchEntry;

static GMutex pd_events_lock;
/* a watch and a keepalive timer a connection: a few entries, looked up
 * about five times a libvirt call, faster scanned than hashed */
static GPtrArray *pd_events_entries;
static GPtrArray *pd_events_dead; /* removed entries whose ff is due */
static gint pd_events_epfd = -1;
static gint pd_events_wakefd = -1;
static gint pd_events_next_id = 1;
static gint pd_events_deferred;	  /* atomic: watches whose "on" waits for a flush */
static GPrivate pd_events_defers; /* set on threads that defer "on" */

#define PD_EVENTS_WAKE_ID 0

static guint32
pd_events_to_epoll(gint events)
{
	guint32 ev = 0;

	if (events & VIR_EVENT_HANDLE_READABLE)
		ev |= EPOLLIN;
	if (events & VIR_EVENT_HANDLE_WRITABLE)
		ev |= EPOLLOUT;
	return ev;
}

static gint
pd_events_from_epoll(guint32 ev)
{
	gint events = 0;

	if (ev & EPOLLIN)
		events |= VIR_EVENT_HANDLE_READABLE;
	if (ev & EPOLLOUT)
		events |= VIR_EVENT_HANDLE_WRITABLE;
	if (ev & EPOLLERR)
		events |= VIR_EVENT_HANDLE_ERROR;
	if (ev & EPOLLHUP)
		events |= VIR_EVENT_HANDLE_HANGUP;
	return events;
}

/* called with the lock held; a watch with no events leaves the epoll set
 * (errors and hang-ups would be reported even with none) */
static void
pd_events_apply_watch(PdComputeWatchEntry *e)
{
	struct epoll_event ev = { .events = pd_events_to_epoll(e->events), .data.u64 = e->id };

	if (e->applied == e->events)
		return;
	if (e->applied == 0)
		epoll_ctl(pd_events_epfd, EPOLL_CTL_ADD, e->fd, &ev);
	else if (e->events == 0)
		epoll_ctl(pd_events_epfd, EPOLL_CTL_DEL, e->fd, NULL);
	else
		epoll_ctl(pd_events_epfd, EPOLL_CTL_MOD, e->fd, &ev);
	e->applied = e->events;
}

/* called with the lock held: fire at @at (monotonic µs; 0: at once), then
 * every @interval_ms (0: once) */
static void
pd_events_set_timerfd(PdComputeWatchEntry *e, gint64 at, gint interval_ms)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (at <= 0) {
		its.it_value.tv_nsec = 1;
		timerfd_settime(e->fd, 0, &its, NULL);
		return;
	}
	/* g_get_monotonic_time() reads CLOCK_MONOTONIC, the timerfd's clock */
	its.it_value.tv_sec = at / G_USEC_PER_SEC;
	its.it_value.tv_nsec = (at % G_USEC_PER_SEC) * 1000L;
	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000L;
	timerfd_settime(e->fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* called with the lock held; 0 fires at once and again after each dispatch */
static void
pd_events_arm_timer(PdComputeWatchEntry *e)
{
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };

	if (e->timeout == 0) {
		pd_events_set_timerfd(e, 0, 0);
	} else if (e->timeout > 0) {
		e->due = g_get_monotonic_time() + (gint64)e->timeout * 1000;
		pd_events_set_timerfd(e, e->due, e->timeout);
	} else {
		timerfd_settime(e->fd, 0, &off, NULL);
	}
}

static void
pd_events_wake(void)
{
	guint64 one = 1;

	if (write(pd_events_wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		g_debug("waking libvirt's event thread: %s", g_strerror(errno));
}

static gint
pd_events_add_handle(gint fd,
		     gint events,
		     virEventHandleCallback cb,
		     void *opaque,
		     virFreeCallback ff)
{
	PdComputeWatchEntry *e = g_new0(PdComputeWatchEntry, 1);
	gint id;

	e->fd = fd;
	e->events = events;
	e->cb = cb;
	e->opaque = opaque;
	e->ff = ff;
	g_mutex_lock(&pd_events_lock);
	id = e->id = pd_events_next_id++;
	g_ptr_array_add(pd_events_entries, e);
	pd_events_apply_watch(e);
	g_mutex_unlock(&pd_events_lock);
	return id;
}

/* called with the lock held */
static PdComputeWatchEntry *
pd_events_find_locked(gint id)
{
	for (guint i = 0; i < pd_events_entries->len; i++) {
		PdComputeWatchEntry *e = g_ptr_array_index(pd_events_entries, i);
		if (e->id == id)
			return e;
	}
	return NULL;
}

static PdComputeWatchEntry *
pd_events_lookup_locked(gint id, gboolean is_timer)
{
	PdComputeWatchEntry *e = pd_events_find_locked(id);

	return e != NULL && e->is_timer == is_timer && !e->removed ? e : NULL;
}

static void
pd_events_update_handle(gint id, gint events)
{
	PdComputeWatchEntry *e;

	g_mutex_lock(&pd_events_lock);
	e = pd_events_lookup_locked(id, FALSE);
	if (e != NULL) {
		e->events = events;
		/* "on" again from a pipeline thread: at the end of its job */
		if (events != 0 && e->applied == 0 && g_private_get(&pd_events_defers) != NULL)
			g_atomic_int_set(&pd_events_deferred, 1);
		else
			pd_events_apply_watch(e);
	}
	g_mutex_unlock(&pd_events_lock);
}

void
pd_compute_events_defer_on_this_thread(void)
{
	g_private_set(&pd_events_defers, GINT_TO_POINTER(1));
}

void
pd_compute_events_flush(void)
{
	if (!g_atomic_int_compare_and_exchange(&pd_events_deferred, 1, 0))
		return;
	g_mutex_lock(&pd_events_lock);
	for (guint i = 0; i < pd_events_entries->len; i++) {
		PdComputeWatchEntry *e = g_ptr_array_index(pd_events_entries, i);
		if (!e->is_timer)
			pd_events_apply_watch(e);
	}
	g_mutex_unlock(&pd_events_lock);
}

/* the free callback runs on the event thread, never during a dispatch of
 * the entry: a callback in flight may still use its opaque */
static gint
pd_events_remove(gint id, gboolean is_timer)
{
	PdComputeWatchEntry *e;

	g_mutex_lock(&pd_events_lock);
	e = pd_events_lookup_locked(id, is_timer);
	if (e == NULL) {
		g_mutex_unlock(&pd_events_lock);
		return -1;
	}
	e->removed = TRUE;
	if (is_timer)
		close(e->fd);
	else if (e->applied != 0)
		epoll_ctl(pd_events_epfd, EPOLL_CTL_DEL, e->fd, NULL);
	g_ptr_array_remove_fast(pd_events_entries, e);
	g_ptr_array_add(pd_events_dead, e);
	g_mutex_unlock(&pd_events_lock);
	pd_events_wake();
	return 0;
}

static gint
pd_events_remove_handle(gint id)
{
	return pd_events_remove(id, FALSE);
}

static gint
pd_events_add_timeout(gint timeout, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff)
{
	PdComputeWatchEntry *e = g_new0(PdComputeWatchEntry, 1);
	struct epoll_event ev = { .events = EPOLLIN };
	gint id;

	e->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->fd < 0) {
		g_free(e);
		return -1;
	}
	e->is_timer = TRUE;
	e->timeout = timeout;
	e->cb = cb;
	e->opaque = opaque;
	e->ff = ff;
	g_mutex_lock(&pd_events_lock);
	id = e->id = pd_events_next_id++;
	ev.data.u64 = id;
	g_ptr_array_add(pd_events_entries, e);
	epoll_ctl(pd_events_epfd, EPOLL_CTL_ADD, e->fd, &ev);
	pd_events_arm_timer(e);
	g_mutex_unlock(&pd_events_lock);
	return id;
}

static void
pd_events_update_timeout(gint id, gint timeout)
{
	PdComputeWatchEntry *e;

	g_mutex_lock(&pd_events_lock);
	e = pd_events_lookup_locked(id, TRUE);
	if (e != NULL && timeout > 0 && e->timeout == timeout) {
		/* keepalive, on every reply: the timerfd stays, see dispatch */
		e->due = g_get_monotonic_time() + (gint64)timeout * 1000;
	} else if (e != NULL) {
		e->timeout = timeout;
		pd_events_arm_timer(e);
	}
	g_mutex_unlock(&pd_events_lock);
}

static gint
pd_events_remove_timeout(gint id)
{
	return pd_events_remove(id, TRUE);
}

static void
pd_events_dispatch(guint64 id, guint32 revents)
{
	PdComputeWatchEntry *e, copy;
	guint64 expirations;

	g_mutex_lock(&pd_events_lock);
	e = pd_events_find_locked((gint)id);
	if (e == NULL || e->removed) {
		g_mutex_unlock(&pd_events_lock);
		return;
	}
	copy = *e;
	if (e->is_timer) {
		gint64 now;
		if (read(e->fd, &expirations, sizeof(expirations)) < 0) {
			g_mutex_unlock(&pd_events_lock);
			return; /* re-armed meanwhile: not due */
		}
		now = g_get_monotonic_time();
		if (e->timeout > 0 && now < e->due) {
			/* moved since it was armed: wait for the rest */
			pd_events_set_timerfd(e, e->due, e->timeout);
			g_mutex_unlock(&pd_events_lock);
			return;
		}
		if (e->timeout == 0)
			pd_events_arm_timer(e);
	}
	g_mutex_unlock(&pd_events_lock);
	if (copy.is_timer)
		((virEventTimeoutCallback)copy.cb)(copy.id, copy.opaque);
	else
		((virEventHandleCallback)copy.cb)(
		  copy.id, copy.fd, pd_events_from_epoll(revents), copy.opaque);
}

/* on the event thread, after a round of dispatches */
static void
pd_events_free_dead(void)
{
	g_autoptr(GPtrArray) dead = NULL;
	guint64 count;

	g_mutex_lock(&pd_events_lock);
	if (read(pd_events_wakefd, &count, sizeof(count)) < 0)
		count = 0;
	dead = g_steal_pointer(&pd_events_dead);
	pd_events_dead = g_ptr_array_new();
	g_mutex_unlock(&pd_events_lock);
	for (guint i = 0; i < dead->len; i++) {
		PdComputeWatchEntry *e = g_ptr_array_index(dead, i);
		if (e->ff != NULL)
			e->ff(e->opaque);
		g_free(e);
	}
}

static gpointer
pd_events_thread(gpointer data)
{
	struct epoll_event evs[32];

	for (;;) {
		gint n = epoll_wait(pd_events_epfd, evs, G_N_ELEMENTS(evs), -1);
		gboolean wake = FALSE;
		for (gint i = 0; i < n; i++) {
			if (evs[i].data.u64 == PD_EVENTS_WAKE_ID)
				wake = TRUE;
			else
				pd_events_dispatch(evs[i].data.u64, evs[i].events);
		}
		if (wake)
			pd_events_free_dead();
	}
	return NULL;
}

gboolean
pd_compute_events_register(GError **error)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = PD_EVENTS_WAKE_ID };

	pd_events_epfd = epoll_create1(EPOLL_CLOEXEC);
	pd_events_wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pd_events_epfd < 0 || pd_events_wakefd < 0 ||
	    epoll_ctl(pd_events_epfd, EPOLL_CTL_ADD, pd_events_wakefd, &ev) < 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "epoll for libvirt's events: %s",
			    g_strerror(errno));
		return FALSE;
	}
	pd_events_entries = g_ptr_array_new();
	pd_events_dead = g_ptr_array_new();
	virEventRegisterImpl(pd_events_add_handle,
			     pd_events_update_handle,
			     pd_events_remove_handle,
			     pd_events_add_timeout,
			     pd_events_update_timeout,
			     pd_events_remove_timeout);
	/* for the process lifetime, like any libvirt event implementation */
	g_thread_unref(g_thread_new("pd-libvirt-events", pd_events_thread, NULL));
	return TRUE;
}
