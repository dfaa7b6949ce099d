/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdReturns"

#include "config.h"

#include "pd-returns.h"

/*
 * A GTask returned from another thread completes through an idle attached
 * to its context: the context's lock and a wake-up each. Here a worker
 * thread queues its result and wakes the main loop only when the loop has
 * not looked since the last one it woke it for; once woken the loop looks
 * again every PD_RETURNS_LINGER_MS while it finds results (its own ready
 * time: no wake-up), and in any pass it makes anyway (prepare), so results
 * that come in a stream wake it a few times, not once each. Like the
 * notifier sink's hand-over, whose linger the two passes then share.
 */

struct _PdReturns {
	GSource source;
	GMutex mutex;
	GQueue queue;  /* under mutex */
	gboolean due;  /* under mutex: the loop is woken or looks by itself */
	gint queued;   /* atomic: the queue's length, for prepare */
	guint wakeups; /* under mutex */
	guint takes;   /* main thread */
	guint items;   /* main thread: items taken */
	PdReturnsFunc func;
	gpointer user_data;
};

static gboolean
pd_returns_prepare(GSource *source, gint *timeout)
{
	*timeout = -1;
	return g_atomic_int_get(&((PdReturns *)source)->queued) > 0;
}

static gboolean
pd_returns_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	PdReturns *self = (PdReturns *)source;
	GQueue queue;

	g_mutex_lock(&self->mutex);
	queue = self->queue;
	g_queue_init(&self->queue);
	g_atomic_int_set(&self->queued, 0);
	/* the ready time changes under the mutex: a push that finds due unset
	 * sets it after this, never before */
	if (queue.length == 0) {
		self->due = FALSE;
		g_source_set_ready_time(source, -1);
	} else {
		g_source_set_ready_time(source,
					g_source_get_time(source) + PD_RETURNS_LINGER_MS * 1000);
	}
	g_mutex_unlock(&self->mutex);
	if (queue.length == 0)
		return G_SOURCE_CONTINUE;
	self->takes++;
	/* the last item may free the owner, and with it this source (GLib
	 * holds a reference for the dispatch) */
	self->items += queue.length;
	while (!g_queue_is_empty(&queue))
		self->func(g_queue_pop_head(&queue), self->user_data);
	return G_SOURCE_CONTINUE;
}

static void
pd_returns_finalize(GSource *source)
{
	PdReturns *self = (PdReturns *)source;

	g_warn_if_fail(self->queue.length == 0);
	g_mutex_clear(&self->mutex);
}

static GSourceFuncs pd_returns_funcs = {
	.prepare = pd_returns_prepare,
	.dispatch = pd_returns_dispatch,
	.finalize = pd_returns_finalize,
};

PdReturns *
pd_returns_new(GMainContext *context, PdReturnsFunc func, gpointer user_data)
{
	GSource *source = g_source_new(&pd_returns_funcs, sizeof(PdReturns));
	PdReturns *self = (PdReturns *)source;

	g_mutex_init(&self->mutex);
	g_queue_init(&self->queue);
	self->func = func;
	self->user_data = user_data;
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_name(source, "[polld] worker returns");
	g_source_attach(source, context);
	return self;
}

void
pd_returns_free(PdReturns *self)
{
	g_source_destroy(&self->source);
	g_source_unref(&self->source);
}

void
pd_returns_push(PdReturns *self, gpointer item)
{
	g_mutex_lock(&self->mutex);
	g_queue_push_tail(&self->queue, item);
	g_atomic_int_inc(&self->queued);
	if (!self->due) {
		self->due = TRUE;
		self->wakeups++;
		g_source_set_ready_time(&self->source, 0);
	}
	g_mutex_unlock(&self->mutex);
}

guint
pd_returns_get_wakeups(PdReturns *self)
{
	guint n;

	g_mutex_lock(&self->mutex);
	n = self->wakeups;
	g_mutex_unlock(&self->mutex);
	return n;
}

guint
pd_returns_get_takes(PdReturns *self)
{
	return self->takes;
}

guint
pd_returns_get_items(PdReturns *self)
{
	return self->items;
}

gboolean
pd_returns_get_due(PdReturns *self)
{
	gboolean due;

	g_mutex_lock(&self->mutex);
	due = self->due;
	g_mutex_unlock(&self->mutex);
	return due;
}
