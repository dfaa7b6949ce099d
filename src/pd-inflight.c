/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "pd-inflight.h"

/* Pollsters run in worker threads and hand serialised chunks to the main
 * loop, which publishes them. When the main loop or the publisher lags,
 * chunks would pile up in memory without limit (a cycle of a few thousand
 * instances is hundreds of MB of messages); with the budget the pollster
 * threads wait instead, and memory stays flat in the number of resources.
 * Only worker threads ever wait, and only for the main loop, which never
 * waits for them, so this cannot deadlock.
 *
 * Waiters queue in arrival order, each on a condition of its own, and the
 * thread that makes room grants it to them: a release wakes exactly the
 * threads whose chunks now fit, none that would only go back to sleep (with
 * one shared condition every release woke every waiter: at N=5000 a cycle
 * passes ~50 MB of messages through the budget, a release a message). */
typedef struct {
	GCond cond;
	guint64 bytes;
	guint64 held;
	gboolean granted;
} PdInflightWaiter;

struct _PdInflight {
	gint ref_count;
	GMutex lock;
	guint64 max;
	guint64 bytes;
	guint64 held; /* what the waiting threads hold meanwhile (their batches) */
	guint64 peak;
	guint64 waits;
	guint64 wakeups;
	guint64 releases;
	GQueue waiters; /* PdInflightWaiter on their threads' stacks, first first */
};

PdInflight *
pd_inflight_new(guint64 max_bytes)
{
	PdInflight *self = g_new0(PdInflight, 1);

	self->ref_count = 1;
	g_mutex_init(&self->lock);
	g_queue_init(&self->waiters);
	self->max = MAX(max_bytes, PD_INFLIGHT_MIN);
	return self;
}

PdInflight *
pd_inflight_ref(PdInflight *self)
{
	g_atomic_int_inc(&self->ref_count);
	return self;
}

void
pd_inflight_unref(PdInflight *self)
{
	if (!g_atomic_int_dec_and_test(&self->ref_count))
		return;
	g_mutex_clear(&self->lock);
	g_free(self);
}

/* called with the lock held: what the waiting threads hold takes room
 * too; something always goes, even a chunk larger than the budget, when
 * nothing has gone on ahead (what waits cannot drain) */
static gboolean
fits(PdInflight *self, guint64 bytes)
{
	return self->bytes == 0 || self->bytes + self->held + bytes <= self->max;
}

static void
count_in(PdInflight *self, guint64 bytes)
{
	self->bytes += bytes;
	self->peak = MAX(self->peak, self->bytes + self->held);
}

/* called with the lock held: the room made goes to the waiters in turn, as
 * far as it reaches; each one granted is woken, no other */
static void
grant_waiting(PdInflight *self)
{
	PdInflightWaiter *w;

	while ((w = g_queue_peek_head(&self->waiters)) != NULL && fits(self, w->bytes)) {
		g_queue_pop_head(&self->waiters);
		self->held -= w->held;
		count_in(self, w->bytes + w->held);
		w->granted = TRUE;
		self->wakeups++;
		g_cond_signal(&w->cond);
	}
}

void
pd_inflight_set_max(PdInflight *self, guint64 max_bytes)
{
	g_mutex_lock(&self->lock);
	self->max = MAX(max_bytes, PD_INFLIGHT_MIN);
	grant_waiting(self);
	g_mutex_unlock(&self->lock);
}

void
pd_inflight_acquire(PdInflight *self, guint64 bytes)
{
	pd_inflight_acquire_holding(self, bytes, 0);
}

void
pd_inflight_acquire_holding(PdInflight *self, guint64 bytes, guint64 held)
{
	PdInflightWaiter w = { .bytes = bytes, .held = held };

	g_mutex_lock(&self->lock);
	/* behind those already waiting, so none of them starves */
	if (self->waiters.length == 0 && fits(self, bytes + held)) {
		count_in(self, bytes + held);
		g_mutex_unlock(&self->lock);
		return;
	}
	self->waits++;
	self->held += held;
	self->peak = MAX(self->peak, self->bytes + self->held);
	g_cond_init(&w.cond);
	g_queue_push_tail(&self->waiters, &w);
	while (!w.granted)
		g_cond_wait(&w.cond, &self->lock);
	g_mutex_unlock(&self->lock);
	g_cond_clear(&w.cond);
}

void
pd_inflight_adjust(PdInflight *self, gint64 delta)
{
	g_mutex_lock(&self->lock);
	if (delta >= 0) {
		count_in(self, (guint64)delta);
	} else {
		self->bytes -= MIN((guint64)-delta, self->bytes);
		grant_waiting(self);
	}
	g_mutex_unlock(&self->lock);
}

void
pd_inflight_release(PdInflight *self, guint64 bytes)
{
	g_mutex_lock(&self->lock);
	self->releases++;
	self->bytes -= MIN(bytes, self->bytes);
	grant_waiting(self);
	g_mutex_unlock(&self->lock);
}

void
pd_inflight_next_estimate(gint *estimate, gint measured)
{
	gint old, next;

	measured = MAX(measured, 1);
	do {
		old = g_atomic_int_get(estimate);
		next = measured >= old ? measured : old - (old - measured + 7) / 8;
	} while (old != next && !g_atomic_int_compare_and_exchange(estimate, old, next));
}

static guint64
pd_inflight_get(PdInflight *self, const guint64 *field)
{
	guint64 v;

	g_mutex_lock(&self->lock);
	v = *field;
	g_mutex_unlock(&self->lock);
	return v;
}

guint64
pd_inflight_get_bytes(PdInflight *self)
{
	return pd_inflight_get(self, &self->bytes);
}

guint64
pd_inflight_get_held(PdInflight *self)
{
	return pd_inflight_get(self, &self->held);
}

guint64
pd_inflight_get_peak(PdInflight *self)
{
	return pd_inflight_get(self, &self->peak);
}

guint64
pd_inflight_get_waits(PdInflight *self)
{
	return pd_inflight_get(self, &self->waits);
}

guint64
pd_inflight_get_wakeups(PdInflight *self)
{
	return pd_inflight_get(self, &self->wakeups);
}

guint64
pd_inflight_get_releases(PdInflight *self)
{
	return pd_inflight_get(self, &self->releases);
}

guint
pd_inflight_get_waiting(PdInflight *self)
{
	guint n;

	g_mutex_lock(&self->lock);
	n = self->waiters.length;
	g_mutex_unlock(&self->lock);
	return n;
}
