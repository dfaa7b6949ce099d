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
 * waits for them, so this cannot deadlock. */
struct _PdInflight {
	gint ref_count;
	GMutex lock;
	GCond cond;
	guint64 max;
	guint64 bytes;
	guint64 peak;
	guint64 waits;
	guint waiting; /* threads in acquire's wait now */
};

PdInflight *
pd_inflight_new(guint64 max_bytes)
{
	PdInflight *self = g_new0(PdInflight, 1);

	self->ref_count = 1;
	g_mutex_init(&self->lock);
	g_cond_init(&self->cond);
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
	g_cond_clear(&self->cond);
	g_mutex_clear(&self->lock);
	g_free(self);
}

void
pd_inflight_set_max(PdInflight *self, guint64 max_bytes)
{
	g_mutex_lock(&self->lock);
	self->max = MAX(max_bytes, PD_INFLIGHT_MIN);
	g_cond_broadcast(&self->cond);
	g_mutex_unlock(&self->lock);
}

/* GLib's GCond makes a futex call on every broadcast, waiter or not: two a
 * message (the sink's correction and the publisher's release) */
static void
wake_waiting(PdInflight *self)
{
	if (self->waiting > 0)
		g_cond_broadcast(&self->cond);
}

void
pd_inflight_acquire(PdInflight *self, guint64 bytes)
{
	g_mutex_lock(&self->lock);
	if (self->bytes > 0 && self->bytes + bytes > self->max) {
		self->waits++;
		self->waiting++;
		while (self->bytes > 0 && self->bytes + bytes > self->max)
			g_cond_wait(&self->cond, &self->lock);
		self->waiting--;
	}
	self->bytes += bytes;
	self->peak = MAX(self->peak, self->bytes);
	g_mutex_unlock(&self->lock);
}

void
pd_inflight_adjust(PdInflight *self, gint64 delta)
{
	g_mutex_lock(&self->lock);
	if (delta >= 0) {
		self->bytes += (guint64)delta;
		self->peak = MAX(self->peak, self->bytes);
	} else {
		self->bytes -= MIN((guint64)-delta, self->bytes);
		wake_waiting(self);
	}
	g_mutex_unlock(&self->lock);
}

void
pd_inflight_release(PdInflight *self, guint64 bytes)
{
	g_mutex_lock(&self->lock);
	self->bytes -= MIN(bytes, self->bytes);
	wake_waiting(self);
	g_mutex_unlock(&self->lock);
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
pd_inflight_get_peak(PdInflight *self)
{
	return pd_inflight_get(self, &self->peak);
}

guint64
pd_inflight_get_waits(PdInflight *self)
{
	return pd_inflight_get(self, &self->waits);
}
