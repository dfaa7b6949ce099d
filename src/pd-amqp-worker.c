/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdAmqpPublisher"

#include "config.h"

#include <glib-unix.h>
#include <math.h>
#include <string.h>

#include "pd-amqp-worker.h"
#include "pd-config.h"

/*
 * Everything below the inbox runs in the worker thread. Messages go, in
 * this order of preference: to the wire (window of unconfirmed messages),
 * to the memory queue (bounded), to the spool. While the broker is
 * unreachable nothing stays in memory, so a SIGKILL loses at most the
 * messages of the batch being written. Sending order after a reconnect:
 * the unconfirmed window, then the spool, then the memory queue; the
 * window stays in memory (retry) with a held spool copy that the spool
 * reader skips and that is released when the broker confirms.
 */

typedef enum {
	PD_AMQP_DISCONNECTED,
	PD_AMQP_CONNECTING,
	PD_AMQP_CONNECTED,
} PdAmqpConnState;

typedef struct {
	PdMessage *msg;
	guint64 seq;	 /* hand-over number; 0 once durable or read from the spool */
	guint64 segment; /* spool segment it was read from or holds its copy, 0 if none */
	guint64 tag;
	guint topic;
	gboolean returned;
	PdInflight *budget; /* its body's bytes are counted there until released */
} PdAmqpEntry;

typedef struct {
	PdMessage *msg; /* NULL for a flush */
	GTask *task;
	guint64 seq;
	PdInflight *budget;
} PdAmqpItem;

typedef struct {
	GTask *task;
	guint64 target;
	gint64 started;
} PdAmqpFlush;

typedef enum {
	PD_AMQP_DROP_SPOOL_FULL,
	PD_AMQP_DROP_SPOOL_FULL_GAUGES,
	PD_AMQP_DROP_SPOOL_ERROR,
	PD_AMQP_DROP_LAST,
} PdAmqpDrop;

static const gchar *const pd_amqp_drop_names[] = { "spool_full",
						   "spool_full_gauges",
						   "spool_error" };

struct _PdAmqpWorker {
	PdAmqpWorkerOptions opts;
	GObject *owner;
	PdAmqpStateFunc state_func;
	GMainContext *main_ctx;
	GMainContext *ctx;
	GMainLoop *loop;
	GThread *thread;

	/* shared with the main thread, under lock */
	GMutex lock;
	GQueue inbox;
	gboolean wake_pending;
	gboolean waits_for_confirms; /* window full: no use waking it for messages */
	guint64 pushes_woke;
	guint64 handed;
	PdAmqpStats shared;

	/* worker thread only */
	PdAmqpStats st;
	PdSpool *spool;
	gboolean spool_dirty;
	PdAmqpLink *link;
	PdAmqpConnState cstate;
	gboolean blocked;
	gboolean need_reset;
	gboolean ever_connected;
	guint attempt;
	guint host_index;
	GSource *fd_source;
	GSource *retry_source;
	GSource *tick_source;
	GSource *stop_source;
	GSource *pause_source; /* after a nack: a pause before publishing again */
	gboolean nack_logged;
	GQueue retry;	 /* to send first: unconfirmed on a lost connection, nacked */
	GQueue inflight; /* by delivery tag */
	guint64 inflight_bytes;
	GQueue memq;
	guint64 memq_bytes;
	GQueue flushes;
	PdInflight *give_back; /* budget bytes of messages sent in this pass */
	guint64 give_back_bytes;
	gint64 last_progress;
	gint64 sent_at;	 /* monotonic µs: the link last sent a frame, at the latest */
	gint64 heard_at; /* ... and the broker's last frame was read, at the latest */
	gboolean stopping;
	gboolean finished;
	gchar *state;
	gchar *state_error;
	gchar *logged_error;
	gboolean drop_episode[PD_AMQP_DROP_LAST];
	guint64 dropped_in_episode[PD_AMQP_DROP_LAST];
};

static void
pd_amqp_worker_pump(PdAmqpWorker *self);
static void
pd_amqp_worker_link_failed(PdAmqpWorker *self, GError *error);
static void
pd_amqp_worker_after_event(PdAmqpWorker *self);
static void
pd_amqp_worker_arm_tick(PdAmqpWorker *self);
static void
pd_amqp_worker_finish_stop(PdAmqpWorker *self);
static void
pd_amqp_worker_wake(PdAmqpWorker *self, GSourceFunc func);
static gboolean
pd_amqp_worker_inbox_cb(gpointer user_data);

void
pd_amqp_worker_options_clear(PdAmqpWorkerOptions *opts)
{
	pd_amqp_link_options_clear(&opts->link);
	g_clear_pointer(&opts->hosts, g_ptr_array_unref);
}

/* --- entries --- */

static PdAmqpEntry *
pd_amqp_entry_new(PdMessage *msg, guint64 seq, guint topic)
{
	PdAmqpEntry *e = g_new0(PdAmqpEntry, 1);
	e->msg = pd_message_ref(msg);
	e->seq = seq;
	e->topic = topic;
	return e;
}

static gsize
pd_amqp_entry_size(PdAmqpEntry *e)
{
	return g_bytes_get_size(e->msg->body);
}

/* the message left the memory queue (or will wait in it for long): the
 * pollsters may serialise more */
static void
pd_amqp_entry_release(PdAmqpEntry *e)
{
	if (e->budget == NULL)
		return;
	pd_inflight_release(e->budget, e->msg->held);
	g_clear_pointer(&e->budget, pd_inflight_unref);
}

/* the budget's lock is the pollster threads' too, and a release may wake
 * some of them: a pass of the pump gives back what it sent at once, one
 * release, not one a message */
static void
pd_amqp_worker_give_back_now(PdAmqpWorker *self)
{
	if (self->give_back == NULL)
		return;
	pd_inflight_release(self->give_back, self->give_back_bytes);
	g_clear_pointer(&self->give_back, pd_inflight_unref);
	self->give_back_bytes = 0;
}

static void
pd_amqp_worker_give_back(PdAmqpWorker *self, PdInflight **budget, guint64 bytes)
{
	if (*budget == NULL)
		return;
	if (self->give_back != *budget)
		pd_amqp_worker_give_back_now(self);
	if (self->give_back == NULL)
		self->give_back = g_steal_pointer(budget);
	else
		g_clear_pointer(budget, pd_inflight_unref);
	self->give_back_bytes += bytes;
}

static void
pd_amqp_entry_free(PdAmqpEntry *e)
{
	pd_amqp_entry_release(e);
	pd_message_unref(e->msg);
	g_free(e);
}

static void
pd_amqp_item_free(PdAmqpItem *item)
{
	if (item->budget != NULL) {
		if (item->msg != NULL)
			pd_inflight_release(item->budget, item->msg->held);
		pd_inflight_unref(item->budget);
	}
	if (item->msg != NULL)
		pd_message_unref(item->msg);
	g_free(item);
}

/* --- state reporting (to the main context) --- */

typedef struct {
	GObject *owner;
	PdAmqpStateFunc func;
	gchar *state;
	gchar *error;
} PdAmqpStateEvent;

static void
pd_amqp_state_event_free(PdAmqpStateEvent *ev)
{
	g_object_unref(ev->owner);
	g_free(ev->state);
	g_free(ev->error);
	g_free(ev);
}

static gboolean
pd_amqp_state_event_cb(gpointer user_data)
{
	PdAmqpStateEvent *ev = user_data;
	ev->func(ev->owner, ev->state, ev->error);
	return G_SOURCE_REMOVE;
}

static void
pd_amqp_worker_set_state(PdAmqpWorker *self, const gchar *state, const gchar *error)
{
	PdAmqpStateEvent *ev;

	if (g_strcmp0(self->state, state) == 0 && g_strcmp0(self->state_error, error) == 0)
		return;
	g_free(self->state);
	self->state = g_strdup(state);
	g_free(self->state_error);
	self->state_error = g_strdup(error);
	ev = g_new0(PdAmqpStateEvent, 1);
	ev->owner = g_object_ref(self->owner);
	ev->func = self->state_func;
	ev->state = g_strdup(state);
	ev->error = g_strdup(error);
	g_main_context_invoke_full(self->main_ctx,
				   G_PRIORITY_DEFAULT,
				   pd_amqp_state_event_cb,
				   ev,
				   (GDestroyNotify)pd_amqp_state_event_free);
}

/* --- spool --- */

static void
pd_amqp_worker_drop(PdAmqpWorker *self, PdAmqpEntry *e, PdAmqpDrop reason, const gchar *detail)
{
	guint64 *counter[] = { &self->st.dropped_spool_full,
			       &self->st.dropped_spool_full_gauges,
			       &self->st.dropped_spool_error };

	*counter[reason] += e->msg->n_samples;
	self->dropped_in_episode[reason] += e->msg->n_samples;
	if (self->drop_episode[reason])
		return;
	self->drop_episode[reason] = TRUE;
	g_warning(
	  "dropping samples (%s): %s; further drops for this reason are counted, not logged, "
	  "until the spool has room again",
	  pd_amqp_drop_names[reason],
	  detail);
}

/* @why: what ended them, "spool accepts samples again" or a connection */
static void
pd_amqp_worker_end_drop_episodes(PdAmqpWorker *self, const gchar *why)
{
	for (guint i = 0; i < PD_AMQP_DROP_LAST; i++) {
		if (!self->drop_episode[i])
			continue;
		g_message("%s; %" G_GUINT64_FORMAT " samples were dropped (%s)",
			  why,
			  self->dropped_in_episode[i],
			  pd_amqp_drop_names[i]);
		self->drop_episode[i] = FALSE;
		self->dropped_in_episode[i] = 0;
	}
}

/* connected, not blocked, nothing left to read from the spool: new
 * messages go to the broker, not to the spool, so no more drops. While the
 * spool still drains, new messages queue behind it and a full disk still
 * drops them, so connecting alone does not end an episode. */
static void
pd_amqp_worker_end_drops_if_drained(PdAmqpWorker *self)
{
	if (self->cstate == PD_AMQP_CONNECTED && !self->blocked && !self->stopping &&
	    !pd_spool_has_unread(self->spool))
		pd_amqp_worker_end_drop_episodes(self, "publishing to the broker again");
}

/* makes a memory entry durable, FALSE when it was dropped. Without @held
 * the entry is settled afterwards either way; with @held the spool keeps a
 * copy the reader skips, the entry stays to be sent from memory and
 * releases the copy once confirmed. */
static gboolean
pd_amqp_worker_spool_entry(PdAmqpWorker *self, PdAmqpEntry *e, gboolean held)
{
	g_autoptr(GError) error = NULL;
	gboolean gauges_only = e->msg->n_counters == 0;
	gboolean ok;

	if (!pd_spool_fits(self->spool, pd_amqp_entry_size(e), gauges_only)) {
		g_autofree gchar *detail = g_strdup_printf(
		  "spool %s holds %" G_GUINT64_FORMAT " bytes, its limit is %s",
		  pd_spool_get_dir(self->spool),
		  pd_spool_get_bytes(self->spool),
		  gauges_only ? "90 % of spool_max_bytes for gauges" : "spool_max_bytes");
		pd_amqp_worker_drop(self,
				    e,
				    gauges_only ? PD_AMQP_DROP_SPOOL_FULL_GAUGES
						: PD_AMQP_DROP_SPOOL_FULL,
				    detail);
		return FALSE;
	}
	if (held)
		ok = pd_spool_append_held(self->spool, e->msg, e->topic, &e->segment, &error);
	else
		ok = pd_spool_append(self->spool, e->msg, e->topic, &error);
	if (!ok) {
		g_autofree gchar *detail =
		  g_strdup_printf("spool %s: %s", pd_spool_get_dir(self->spool), error->message);
		pd_amqp_worker_drop(self, e, PD_AMQP_DROP_SPOOL_ERROR, detail);
		return FALSE;
	}
	if (held)
		e->seq = 0;
	self->spool_dirty = TRUE;
	if (self->drop_episode[PD_AMQP_DROP_SPOOL_FULL] ||
	    self->drop_episode[PD_AMQP_DROP_SPOOL_FULL_GAUGES] ||
	    self->drop_episode[PD_AMQP_DROP_SPOOL_ERROR]) {
		if (pd_spool_fits(self->spool, 0, TRUE))
			pd_amqp_worker_end_drop_episodes(self, "spool accepts samples again");
	}
	return TRUE;
}

static void
pd_amqp_worker_sync_spool(PdAmqpWorker *self)
{
	g_autoptr(GError) error = NULL;

	if (!self->spool_dirty)
		return;
	self->spool_dirty = FALSE;
	if (!pd_spool_sync(self->spool, &error))
		g_warning("spool %s: %s", pd_spool_get_dir(self->spool), error->message);
}

/* makes the memory-only entries of @q durable: moved to the spool, or with
 * @held kept in @q (sent before the spool) with a held spool copy */
static void
pd_amqp_worker_spill_queue(PdAmqpWorker *self, GQueue *q, gboolean held)
{
	GQueue keep = G_QUEUE_INIT;
	PdAmqpEntry *e;

	while ((e = g_queue_pop_head(q)) != NULL) {
		if (e->seq == 0) {
			g_queue_push_tail(&keep, e);
			continue;
		}
		if (pd_amqp_worker_spool_entry(self, e, held) && held)
			g_queue_push_tail(&keep, e);
		else
			pd_amqp_entry_free(e);
	}
	*q = keep;
}

static void
pd_amqp_worker_spill(PdAmqpWorker *self)
{
	pd_amqp_worker_spill_queue(self, &self->retry, TRUE);
	pd_amqp_worker_spill_queue(self, &self->memq, FALSE);
	self->memq_bytes = 0;
	pd_amqp_worker_sync_spool(self);
}

/* unconfirmed messages stay on the wire but get a held durable copy; the
 * copy is sent again (a duplicate) only if the process restarts first */
static void
pd_amqp_worker_copy_inflight(PdAmqpWorker *self)
{
	for (GList *l = self->inflight.head; l != NULL; l = l->next) {
		PdAmqpEntry *e = l->data;
		if (e->seq == 0)
			continue;
		if (!pd_amqp_worker_spool_entry(self, e, TRUE))
			e->seq = 0;
	}
	pd_amqp_worker_sync_spool(self);
}

/* the broker takes nothing for now: the pollsters must not wait for the
 * memory queue */
static void
pd_amqp_worker_release_memq(PdAmqpWorker *self)
{
	for (GList *l = self->memq.head; l != NULL; l = l->next)
		pd_amqp_entry_release(l->data);
}

/* --- accepting messages --- */

static void
pd_amqp_worker_accept(PdAmqpWorker *self, PdMessage *msg, guint64 seq, PdInflight **budget)
{
	guint n_topics = g_strv_length(self->opts.link.routing_keys);

	for (guint t = 0; t < n_topics; t++) {
		PdAmqpEntry *e = pd_amqp_entry_new(msg, seq, t);
		/* the first copy carries the budget; only while the broker takes
		 * messages: otherwise the pollsters must not wait for it */
		if (t == 0 && self->cstate == PD_AMQP_CONNECTED && !self->blocked)
			e->budget = g_steal_pointer(budget);
		/* keep the order: once anything is spooled, new messages queue behind it */
		if (self->cstate == PD_AMQP_DISCONNECTED || self->stopping ||
		    pd_spool_has_unread(self->spool)) {
			pd_amqp_worker_spool_entry(self, e, FALSE);
			pd_amqp_entry_free(e);
			continue;
		}
		g_queue_push_tail(&self->memq, e);
		self->memq_bytes += pd_amqp_entry_size(e);
	}
	if (self->memq_bytes > self->opts.memory_max_bytes) {
		g_info("memory queue over %" G_GUINT64_FORMAT " bytes, spooling",
		       self->opts.memory_max_bytes);
		pd_amqp_worker_spill_queue(self, &self->memq, FALSE);
		self->memq_bytes = 0;
	}
}

static void
pd_amqp_worker_add_flush(PdAmqpWorker *self, GTask *task, guint64 target)
{
	PdAmqpFlush *f = g_new0(PdAmqpFlush, 1);
	f->task = task;
	f->target = target;
	f->started = g_get_monotonic_time();
	g_queue_push_tail(&self->flushes, f);
}

/* what the main thread handed over: @woken when this is the wake-up's
 * own dispatch (a later hand-over wakes the thread again), not a socket
 * event or the tick taking what was handed over while the window was full */
static void
pd_amqp_worker_take_inbox(PdAmqpWorker *self, gboolean woken)
{
	GQueue items = G_QUEUE_INIT;
	PdAmqpItem *item;

	g_mutex_lock(&self->lock);
	items = self->inbox;
	g_queue_init(&self->inbox);
	if (woken)
		self->wake_pending = FALSE;
	g_mutex_unlock(&self->lock);
	while ((item = g_queue_pop_head(&items)) != NULL) {
		if (item->msg != NULL) {
			pd_amqp_worker_accept(self, item->msg, item->seq, &item->budget);
			/* not taken: spooled, or the broker does not take messages now */
			pd_amqp_worker_give_back(self, &item->budget, item->msg->held);
		} else
			pd_amqp_worker_add_flush(self, item->task, item->seq);
		pd_amqp_item_free(item);
	}
	pd_amqp_worker_sync_spool(self);
}

static gboolean
pd_amqp_worker_inbox_cb(gpointer user_data)
{
	PdAmqpWorker *self = user_data;

	self->st.dispatches++;
	self->st.inbox_wakes++;
	pd_amqp_worker_take_inbox(self, TRUE);
	pd_amqp_worker_pump(self);
	pd_amqp_worker_after_event(self);
	return G_SOURCE_REMOVE;
}

/* --- flushes --- */

static guint64
pd_amqp_worker_min_seq(GQueue *q, gboolean *spool_origin)
{
	guint64 min = G_MAXUINT64;

	for (GList *l = q->head; l != NULL; l = l->next) {
		PdAmqpEntry *e = l->data;
		if (e->seq != 0)
			min = MIN(min, e->seq);
		if (e->segment != 0)
			*spool_origin = TRUE;
	}
	return min;
}

static gboolean
pd_amqp_worker_flush_done(PdAmqpWorker *self, PdAmqpFlush *f, gboolean unreachable, gboolean late)
{
	gboolean spool_origin = FALSE;
	guint64 min = pd_amqp_worker_min_seq(&self->retry, &spool_origin);

	min = MIN(min, pd_amqp_worker_min_seq(&self->inflight, &spool_origin));
	if (self->memq.head != NULL)
		min = MIN(min, ((PdAmqpEntry *)self->memq.head->data)->seq);
	if (min <= f->target)
		return FALSE;
	/* while the broker takes messages, a flush also waits for the spool */
	return unreachable || late || (!spool_origin && !pd_spool_has_unread(self->spool));
}

static void
pd_amqp_worker_check_flushes(PdAmqpWorker *self)
{
	gboolean unreachable = self->cstate != PD_AMQP_CONNECTED || self->blocked || self->stopping;
	gint64 now = g_get_monotonic_time();
	gboolean late = FALSE;
	GList *l;

	if (self->flushes.head == NULL)
		return;
	/* late: the broker confirmed nothing for a while */
	late = now - MAX(((PdAmqpFlush *)self->flushes.head->data)->started, self->last_progress) >
	       (gint64)self->opts.flush_timeout_ms * 1000;
	if (unreachable || late) {
		pd_amqp_worker_spill(self);
		pd_amqp_worker_copy_inflight(self);
	}
	l = self->flushes.head;
	while (l != NULL) {
		PdAmqpFlush *f = l->data;
		GList *next = l->next;
		if (pd_amqp_worker_flush_done(self, f, unreachable, late)) {
			g_task_return_boolean(f->task, TRUE);
			g_object_unref(f->task);
			g_free(f);
			g_queue_delete_link(&self->flushes, l);
		}
		l = next;
	}
}

/* --- statistics --- */

/* connected, taking messages, and the window full: only confirms let
 * anything more go, and the socket's event for them takes what the main
 * thread handed over meanwhile. The main thread does not wake the worker
 * for messages then (a wake-up a hand-over for nothing to send: about 130
 * a cycle at N=5000, where the window is full most of the time); a flush
 * still wakes it. */
static gboolean
pd_amqp_worker_window_full(PdAmqpWorker *self)
{
	return self->cstate == PD_AMQP_CONNECTED && !self->blocked && !self->stopping &&
	       self->pause_source == NULL && self->inflight.length > 0 &&
	       (self->inflight.length >= self->opts.window ||
		self->inflight_bytes >= self->opts.window_bytes);
}

static void
pd_amqp_worker_publish_stats(PdAmqpWorker *self)
{
	gboolean wake = FALSE;

	self->st.in_flight = self->inflight.length;
	self->st.memory_queue = self->memq.length + self->retry.length;
	self->st.spooled_samples = pd_spool_get_samples(self->spool);
	self->st.spooled_bytes = pd_spool_get_bytes(self->spool);
	self->st.spool_damaged = pd_spool_get_damaged(self->spool);
	g_mutex_lock(&self->lock);
	self->shared = self->st;
	self->waits_for_confirms = pd_amqp_worker_window_full(self);
	/* handed over while the window was full, and it has room now */
	if (!self->waits_for_confirms && self->inbox.length > 0 && !self->wake_pending &&
	    !self->finished) {
		self->wake_pending = TRUE;
		wake = TRUE;
	}
	g_mutex_unlock(&self->lock);
	if (wake)
		pd_amqp_worker_wake(self, pd_amqp_worker_inbox_cb);
}

static void
pd_amqp_worker_after_event(PdAmqpWorker *self)
{
	if (self->need_reset) {
		g_autoptr(GError) error =
		  g_error_new_literal(PD_AMQP_LINK_ERROR,
				      PD_AMQP_LINK_ERROR_CLOSED,
				      "unroutable messages returned by the broker, "
				      "reconnecting to declare the queue again");
		self->need_reset = FALSE;
		pd_amqp_worker_link_failed(self, error);
	}
	pd_amqp_worker_end_drops_if_drained(self);
	pd_amqp_worker_check_flushes(self);
	pd_amqp_worker_publish_stats(self);
	if (self->stopping && self->stop_source != NULL && self->inflight.length == 0)
		pd_amqp_worker_finish_stop(self);
	pd_amqp_worker_arm_tick(self);
}

/* --- broker events --- */

static gboolean
pd_amqp_worker_unpause_cb(gpointer user_data)
{
	PdAmqpWorker *self = user_data;

	g_clear_pointer(&self->pause_source, g_source_unref);
	pd_amqp_worker_pump(self);
	pd_amqp_worker_after_event(self);
	return G_SOURCE_REMOVE;
}

/* a nack means the broker could not take it (a full queue with
 * reject-publish, an internal error): retry, but not in a tight loop */
static void
pd_amqp_worker_pause(PdAmqpWorker *self)
{
	if (self->pause_source != NULL)
		return;
	if (!self->nack_logged)
		g_warning(
		  "broker refused messages (basic.nack): publishing them again after a pause");
	self->nack_logged = TRUE;
	self->pause_source = g_timeout_source_new(1000);
	g_source_set_callback(self->pause_source, pd_amqp_worker_unpause_cb, self, NULL);
	g_source_attach(self->pause_source, self->ctx);
}

static void
pd_amqp_worker_settle(PdAmqpWorker *self, PdAmqpEntry *e, gboolean nack)
{
	if (nack || e->returned) {
		if (nack) {
			self->st.nacked++;
			pd_amqp_worker_pause(self);
		}
		e->returned = FALSE;
		g_queue_push_tail(&self->retry, e);
		return;
	}
	self->st.confirmed++;
	self->st.confirmed_samples += e->msg->n_samples;
	self->nack_logged = FALSE;
	self->last_progress = g_get_monotonic_time();
	if (e->segment != 0)
		pd_spool_release(self->spool, e->segment, e->msg->n_samples);
	pd_amqp_entry_free(e);
}

static void
pd_amqp_worker_on_ack(gpointer user_data, guint64 tag, gboolean multiple, gboolean nack)
{
	PdAmqpWorker *self = user_data;
	GList *l = self->inflight.head;

	while (l != NULL) {
		PdAmqpEntry *e = l->data;
		GList *next = l->next;
		if (e->tag > tag)
			break;
		if (multiple || e->tag == tag) {
			g_queue_delete_link(&self->inflight, l);
			self->inflight_bytes -= MIN(self->inflight_bytes, pd_amqp_entry_size(e));
			pd_amqp_worker_settle(self, e, nack);
		}
		l = next;
	}
}

static void
pd_amqp_worker_on_return(gpointer user_data, GBytes *body, const gchar *why)
{
	PdAmqpWorker *self = user_data;

	self->st.returned++;
	for (GList *l = self->inflight.head; l != NULL; l = l->next) {
		PdAmqpEntry *e = l->data;
		if (!e->returned && g_bytes_equal(e->msg->body, body)) {
			e->returned = TRUE;
			break;
		}
	}
	if (!self->need_reset)
		g_warning("broker returned a message as unroutable (%s): will publish it again",
			  why);
	self->need_reset = TRUE;
}

static void
pd_amqp_worker_on_blocked(gpointer user_data, gboolean blocked, const gchar *reason)
{
	PdAmqpWorker *self = user_data;

	self->blocked = blocked;
	if (blocked) {
		pd_amqp_worker_release_memq(self);
		g_warning(
		  "broker blocked publishing (%s): polling goes on, samples are queued and spooled",
		  reason);
		pd_amqp_worker_set_state(self, "blocked", reason);
	} else {
		g_message("broker unblocked publishing");
		pd_amqp_worker_set_state(self, "connected", NULL);
	}
}

static const PdAmqpLinkEvents pd_amqp_worker_events = {
	.ack = pd_amqp_worker_on_ack,
	.returned = pd_amqp_worker_on_return,
	.blocked = pd_amqp_worker_on_blocked,
};

/* --- sending --- */

static PdAmqpEntry *
pd_amqp_worker_next_entry(PdAmqpWorker *self)
{
	PdAmqpEntry *e = g_queue_pop_head(&self->retry);
	PdMessage *msg = NULL;
	guint64 segment = 0;
	guint topic = 0;

	if (e != NULL)
		return e;
	msg = pd_spool_read(self->spool, &topic, &segment);
	if (msg != NULL) {
		guint n_topics = g_strv_length(self->opts.link.routing_keys);
		e = pd_amqp_entry_new(msg, 0, topic < n_topics ? topic : 0);
		e->segment = segment;
		pd_message_unref(msg);
		return e;
	}
	e = g_queue_pop_head(&self->memq);
	if (e != NULL) {
		self->memq_bytes -= MIN(self->memq_bytes, pd_amqp_entry_size(e));
		pd_amqp_worker_give_back(self, &e->budget, e->msg->held);
	}
	return e;
}

/* another message goes right after @e in this pass: one is queued and the
 * window still has room once @e is in flight (the pump's own test) */
static gboolean
pd_amqp_worker_more_after(PdAmqpWorker *self, PdAmqpEntry *e)
{
	if (self->retry.head == NULL && self->memq.head == NULL)
		return FALSE;
	return self->inflight.length + 1 < self->opts.window &&
	       self->inflight_bytes + pd_amqp_entry_size(e) < self->opts.window_bytes;
}

static void
pd_amqp_worker_pump(PdAmqpWorker *self)
{
	gboolean plain = self->link != NULL && pd_amqp_link_get_plain(self->link);
	gboolean corked = FALSE, more = FALSE;

	while (self->cstate == PD_AMQP_CONNECTED && !self->blocked && !self->stopping &&
	       self->pause_source == NULL && self->inflight.length < self->opts.window &&
	       (self->inflight.length == 0 || self->inflight_bytes < self->opts.window_bytes)) {
		g_autoptr(GError) error = NULL;
		PdAmqpEntry *e = pd_amqp_worker_next_entry(self);
		if (e == NULL)
			break;
		/* more to send after this one: a burst, whose messages share
		 * segments (one's tail and the next one's head). Over plain TCP
		 * every message but the burst's last goes with MSG_MORE; over
		 * TLS the socket is corked around the burst */
		more = pd_amqp_worker_more_after(self, e);
		if (!plain && !corked && more) {
			pd_amqp_link_set_corked(self->link, TRUE);
			self->st.corks++;
			corked = TRUE;
		}
		e->tag = pd_amqp_link_get_next_tag(self->link);
		if (!pd_amqp_link_publish(self->link, e->topic, e->msg->body, more, &error)) {
			g_queue_push_head(&self->retry, e);
			pd_amqp_worker_give_back_now(self);
			pd_amqp_worker_link_failed(self, error);
			return;
		}
		self->st.published++;
		self->sent_at = g_get_monotonic_time();
		g_queue_push_tail(&self->inflight, e);
		self->inflight_bytes += pd_amqp_entry_size(e);
	}
	/* the burst leaves now, its last segment too (a message sent with
	 * MSG_MORE and none after it: only if the loop's test and
	 * pd_amqp_worker_more_after() ever disagree) */
	if (corked || (plain && more && self->link != NULL)) {
		pd_amqp_link_set_corked(self->link, FALSE);
		self->st.corks++;
	}
	pd_amqp_worker_give_back_now(self);
}

/* after pd_amqp_link_process() called at @called or later: when the
 * heartbeat interval had passed by then since anything was sent,
 * librabbitmq sent a heartbeat */
static void
pd_amqp_worker_heartbeat_sent(PdAmqpWorker *self, gint64 called)
{
	guint heartbeat = self->link != NULL ? pd_amqp_link_get_heartbeat(self->link) : 0;

	if (heartbeat > 0 && called >= self->sent_at + heartbeat * G_USEC_PER_SEC)
		self->sent_at = g_get_monotonic_time();
}

/* reads what the broker sent, then fills the window again, until quiet */
static void
pd_amqp_worker_service(PdAmqpWorker *self)
{
	gint64 called = g_get_monotonic_time();

	for (guint round = 0; round < 64 && self->cstate == PD_AMQP_CONNECTED; round++) {
		g_autoptr(GError) error = NULL;
		guint64 published = self->st.published;
		if (!pd_amqp_link_process(
		      self->link, &pd_amqp_worker_events, self, &self->st.idle_reads, &error)) {
			pd_amqp_worker_link_failed(self, error);
			return;
		}
		pd_amqp_worker_pump(self);
		/* confirms that come later wake the socket's watch: reading
		 * again only pays when the window was filled again */
		if (self->st.published == published)
			break;
	}
	pd_amqp_worker_heartbeat_sent(self, called);
}

static gboolean
pd_amqp_worker_fd_cb(gint fd, GIOCondition condition, gpointer user_data)
{
	PdAmqpWorker *self = user_data;

	self->st.dispatches++;
	self->st.socket_events++;
	pd_amqp_worker_take_inbox(self, FALSE);
	pd_amqp_worker_service(self);
	self->heard_at = g_get_monotonic_time();
	pd_amqp_worker_after_event(self);
	return G_SOURCE_CONTINUE;
}

/* --- connecting --- */

static gboolean
pd_amqp_worker_connect_cb(gpointer user_data);

static void
pd_amqp_worker_clear_source(GSource **source)
{
	if (*source == NULL)
		return;
	g_source_destroy(*source);
	g_source_unref(*source);
	*source = NULL;
}

/* as oslo.messaging asks kombu for: rabbit_retry_interval, then
 * rabbit_retry_backoff more after each further failure, the added part at
 * most rabbit_interval_max (the largest multiple of the back-off within it:
 * kombu's range stops before passing interval_max + retry_interval); no
 * jitter, as there */
gdouble
pd_amqp_worker_retry_delay(const PdAmqpWorkerOptions *opts, guint attempt)
{
	guint steps = attempt;

	if (opts->retry_backoff <= 0)
		return opts->retry_interval;
	steps =
	  (guint)MIN((gdouble)attempt, floor(opts->interval_max / opts->retry_backoff + 1e-9));
	return opts->retry_interval + steps * opts->retry_backoff;
}

static void
pd_amqp_worker_schedule_connect(PdAmqpWorker *self)
{
	gdouble delay = pd_amqp_worker_retry_delay(&self->opts, self->attempt);

	if (self->attempt < G_MAXUINT)
		self->attempt++;
	pd_amqp_worker_clear_source(&self->retry_source);
	self->retry_source = g_timeout_source_new(pd_config_seconds_to_ms(delay));
	g_source_set_callback(self->retry_source, pd_amqp_worker_connect_cb, self, NULL);
	g_source_attach(self->retry_source, self->ctx);
	g_debug("next connection attempt in %.1f s", delay);
}

/* logs an error once per episode: again only when the text changes */
static void
pd_amqp_worker_log_error(PdAmqpWorker *self, const gchar *where, const gchar *message)
{
	g_autofree gchar *line = g_strdup_printf("%s: %s", where, message);

	if (g_strcmp0(self->logged_error, line) == 0)
		return;
	g_free(self->logged_error);
	self->logged_error = g_strdup(line);
	g_warning("%s; retrying with back-off, samples are kept", line);
}

static void
pd_amqp_worker_link_failed(PdAmqpWorker *self, GError *error)
{
	PdAmqpHost *host = g_ptr_array_index(self->opts.hosts, self->host_index);
	g_autofree gchar *where = pd_amqp_url_host_describe(host);

	pd_amqp_worker_log_error(self, where, error->message);
	pd_amqp_worker_clear_source(&self->fd_source);
	pd_amqp_worker_clear_source(&self->pause_source);
	g_clear_pointer(&self->link, pd_amqp_link_free);
	pd_amqp_worker_release_memq(self);
	/* the unconfirmed window goes first next time */
	while (self->inflight.tail != NULL)
		g_queue_push_head(&self->retry, g_queue_pop_tail(&self->inflight));
	self->inflight_bytes = 0;
	for (GList *l = self->retry.head; l != NULL; l = l->next)
		((PdAmqpEntry *)l->data)->returned = FALSE;
	self->cstate = PD_AMQP_DISCONNECTED;
	self->blocked = FALSE;
	self->host_index = (self->host_index + 1) % self->opts.hosts->len;
	pd_amqp_worker_spill(self);
	pd_amqp_worker_set_state(self, "disconnected", error->message);
	if (!self->stopping)
		pd_amqp_worker_schedule_connect(self);
}

static void
pd_amqp_worker_connected(PdAmqpWorker *self, PdAmqpLink *link)
{
	PdAmqpHost *host = g_ptr_array_index(self->opts.hosts, self->host_index);
	g_autofree gchar *where = pd_amqp_url_host_describe(host);

	self->link = link;
	self->cstate = PD_AMQP_CONNECTED;
	self->attempt = 0;
	self->sent_at = self->heard_at = g_get_monotonic_time();
	if (self->ever_connected)
		self->st.reconnects++;
	if (self->logged_error != NULL || self->ever_connected)
		g_message("connected to %s", where);
	else
		g_info("connected to %s", where);
	self->ever_connected = TRUE;
	g_clear_pointer(&self->logged_error, g_free);
	self->fd_source =
	  g_unix_fd_source_new(pd_amqp_link_get_fd(link), G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(self->fd_source, G_SOURCE_FUNC(pd_amqp_worker_fd_cb), self, NULL);
	/* GLib takes a source's fds out of the poll set while it dispatches
	 * and puts them back after, waking its own context both times (two
	 * eventfd writes, a read and one more poll an event); the callback
	 * runs no loop of this context, so it need not be guarded */
	g_source_set_can_recurse(self->fd_source, TRUE);
	g_source_attach(self->fd_source, self->ctx);
	pd_amqp_worker_end_drops_if_drained(self);
	pd_amqp_worker_set_state(self, "connected", NULL);
}

static gboolean
pd_amqp_worker_connect_cb(gpointer user_data)
{
	PdAmqpWorker *self = user_data;
	PdAmqpHost *host = g_ptr_array_index(self->opts.hosts, self->host_index);
	g_autoptr(GError) error = NULL;
	PdAmqpLink *link;

	pd_amqp_worker_clear_source(&self->retry_source);
	if (self->stopping)
		return G_SOURCE_REMOVE;
	self->cstate = PD_AMQP_CONNECTING;
	pd_amqp_worker_set_state(self, "connecting", NULL);
	link = pd_amqp_link_connect(&self->opts.link, host, &error);
	if (link == NULL) {
		pd_amqp_worker_link_failed(self, error);
		pd_amqp_worker_after_event(self);
		return G_SOURCE_REMOVE;
	}
	pd_amqp_worker_connected(self, link);
	/* what arrived while connecting */
	pd_amqp_worker_inbox_cb(self);
	pd_amqp_worker_service(self);
	pd_amqp_worker_after_event(self);
	return G_SOURCE_REMOVE;
}

/* --- the tick: heartbeats and flush deadlines --- */

/* heartbeat_rate as oslo.messaging hands it to py-amqp's heartbeat_tick():
 * a heartbeat goes once nothing was sent for the negotiated interval over
 * the rate (librabbitmq on its own waits the whole interval); a silent
 * broker is still given up after twice the interval */
static gint64
pd_amqp_worker_heartbeat_every(PdAmqpWorker *self, gint64 heartbeat)
{
	guint rate = MAX(self->opts.heartbeat_rate, 1u);

	return MAX(heartbeat * G_USEC_PER_SEC / rate, 10 * 1000);
}

static void
pd_amqp_worker_heartbeat_if_due(PdAmqpWorker *self)
{
	g_autoptr(GError) error = NULL;
	gint64 heartbeat;

	if (self->cstate != PD_AMQP_CONNECTED)
		return;
	heartbeat = pd_amqp_link_get_heartbeat(self->link);
	if (heartbeat == 0 || g_get_monotonic_time() <
				self->sent_at + pd_amqp_worker_heartbeat_every(self, heartbeat))
		return;
	if (!pd_amqp_link_send_heartbeat(self->link, &error)) {
		pd_amqp_worker_link_failed(self, error);
		return;
	}
	self->st.heartbeats++;
	self->sent_at = g_get_monotonic_time();
}

/* only when one is due, not every second: librabbitmq sends a heartbeat
 * from pd_amqp_link_process() once the negotiated interval has passed since
 * it last sent anything, and gives a silent broker up after twice that
 * (sent_at and heard_at are taken after its own clocks, so they are never
 * early for it); a flush waiting for confirms or a stop is checked every
 * second. At least a second from now: a deadline librabbitmq did not see
 * passed (a frame read by another call) is checked again then. */
static void
pd_amqp_worker_arm_tick(PdAmqpWorker *self)
{
	gint64 now = g_get_monotonic_time();
	gint64 second = now + G_USEC_PER_SEC;
	gint64 heartbeat = self->link != NULL ? pd_amqp_link_get_heartbeat(self->link) : 0;
	gint64 due = -1, current;

	if (self->tick_source == NULL)
		return;
	current = g_source_get_ready_time(self->tick_source);
	if (self->flushes.head != NULL || self->stopping)
		due = second;
	else if (self->cstate == PD_AMQP_CONNECTED && heartbeat > 0) {
		gint64 every = pd_amqp_worker_heartbeat_every(self, heartbeat);
		due =
		  MAX(MIN(self->sent_at + every, self->heard_at + 2 * heartbeat * G_USEC_PER_SEC) +
			1000,
		      now + MIN(every, G_USEC_PER_SEC));
	}
	/* GLib wakes the context each time a ready time changes (an eventfd
	 * write, a poll and a read more), and while messages flow this one
	 * moves later at every event: a deadline still ahead and not later
	 * than the new one is kept. The tick then comes early, finds nothing
	 * due and sets the later one: at most once a second, not an event. */
	if (current > now && (due == -1 || due >= current))
		return;
	if (due == current)
		return;
	self->st.rearms++;
	g_source_set_ready_time(self->tick_source, due);
}

static gboolean
pd_amqp_worker_tick_cb(gpointer user_data)
{
	PdAmqpWorker *self = user_data;

	self->st.ticks++;
	self->st.dispatches++;
	pd_amqp_worker_take_inbox(self, FALSE);
	if (self->cstate == PD_AMQP_CONNECTED)
		pd_amqp_worker_service(self);
	pd_amqp_worker_heartbeat_if_due(self);
	pd_amqp_worker_after_event(self);
	return G_SOURCE_CONTINUE;
}

static gboolean
pd_amqp_worker_tick_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	return callback(user_data);
}

static GSourceFuncs pd_amqp_worker_tick_funcs = { NULL, NULL, pd_amqp_worker_tick_dispatch };

/* --- stopping --- */

static void
pd_amqp_worker_finish_stop(PdAmqpWorker *self)
{
	PdAmqpFlush *f;

	if (self->finished)
		return;
	self->finished = TRUE;
	pd_amqp_worker_give_back_now(self);
	pd_amqp_worker_clear_source(&self->stop_source);
	pd_amqp_worker_clear_source(&self->fd_source);
	pd_amqp_worker_clear_source(&self->pause_source);
	while (self->inflight.tail != NULL)
		g_queue_push_head(&self->retry, g_queue_pop_tail(&self->inflight));
	self->inflight_bytes = 0;
	pd_amqp_worker_spill(self);
	g_clear_pointer(&self->link, pd_amqp_link_close);
	self->cstate = PD_AMQP_DISCONNECTED;
	while ((f = g_queue_pop_head(&self->flushes)) != NULL) {
		g_task_return_boolean(f->task, TRUE);
		g_object_unref(f->task);
		g_free(f);
	}
	/* spool-origin entries need nothing: their records are still on disk */
	g_queue_clear_full(&self->retry, (GDestroyNotify)pd_amqp_entry_free);
	pd_amqp_worker_publish_stats(self);
	g_main_loop_quit(self->loop);
}

static gboolean
pd_amqp_worker_stop_timeout_cb(gpointer user_data)
{
	pd_amqp_worker_finish_stop(user_data);
	return G_SOURCE_REMOVE;
}

static gboolean
pd_amqp_worker_stop_cb(gpointer user_data)
{
	PdAmqpWorker *self = user_data;

	pd_amqp_worker_inbox_cb(self);
	self->stopping = TRUE;
	pd_amqp_worker_clear_source(&self->retry_source);
	if (self->cstate != PD_AMQP_CONNECTED || self->inflight.length == 0) {
		pd_amqp_worker_finish_stop(self);
		return G_SOURCE_REMOVE;
	}
	/* give the broker a moment to confirm what is on the wire */
	self->stop_source = g_timeout_source_new(self->opts.stop_timeout_ms);
	g_source_set_callback(self->stop_source, pd_amqp_worker_stop_timeout_cb, self, NULL);
	g_source_attach(self->stop_source, self->ctx);
	pd_amqp_worker_arm_tick(self);
	return G_SOURCE_REMOVE;
}

/* --- thread --- */

/* the worker's loop polls only on its thread: its count is that thread's */
static __thread guint64 *pd_amqp_worker_polls;

static gint
pd_amqp_worker_poll(GPollFD *fds, guint n_fds, gint timeout)
{
	(*pd_amqp_worker_polls)++;
	return g_poll(fds, n_fds, timeout);
}

static gpointer
pd_amqp_worker_thread(gpointer user_data)
{
	PdAmqpWorker *self = user_data;

	pd_amqp_worker_polls = &self->st.polls;
	g_main_context_set_poll_func(self->ctx, pd_amqp_worker_poll);
	g_main_context_push_thread_default(self->ctx);
	self->tick_source = g_source_new(&pd_amqp_worker_tick_funcs, sizeof(GSource));
	g_source_set_callback(self->tick_source, pd_amqp_worker_tick_cb, self, NULL);
	g_source_attach(self->tick_source, self->ctx);
	pd_amqp_worker_connect_cb(self);
	g_main_loop_run(self->loop);
	pd_amqp_worker_clear_source(&self->tick_source);
	pd_amqp_worker_clear_source(&self->retry_source);
	g_main_context_pop_thread_default(self->ctx);
	return NULL;
}

static void
pd_amqp_worker_wake(PdAmqpWorker *self, GSourceFunc func)
{
	GSource *source = g_idle_source_new();
	g_source_set_callback(source, func, self, NULL);
	g_source_attach(source, self->ctx);
	g_source_unref(source);
}

PdAmqpWorker *
pd_amqp_worker_new(PdAmqpWorkerOptions *opts,
		   PdSpool *spool,
		   GObject *owner,
		   PdAmqpStateFunc state_func)
{
	PdAmqpWorker *self = g_new0(PdAmqpWorker, 1);

	self->opts = *opts;
	memset(opts, 0, sizeof *opts);
	self->spool = spool;
	self->owner = owner;
	self->state_func = state_func;
	self->main_ctx = g_main_context_ref_thread_default();
	self->ctx = g_main_context_new();
	self->loop = g_main_loop_new(self->ctx, FALSE);
	g_mutex_init(&self->lock);
	self->thread = g_thread_new("pd-amqp", pd_amqp_worker_thread, self);
	return self;
}

static void
pd_amqp_worker_post(PdAmqpWorker *self, PdAmqpItem *item)
{
	gboolean wake = FALSE;

	g_mutex_lock(&self->lock);
	if (item->msg != NULL)
		item->seq = ++self->handed;
	else
		item->seq = self->handed;
	g_queue_push_tail(&self->inbox, item);
	if (!self->wake_pending && (!self->waits_for_confirms || item->msg == NULL)) {
		self->wake_pending = TRUE;
		self->pushes_woke++;
		wake = TRUE;
	}
	g_mutex_unlock(&self->lock);
	if (wake)
		pd_amqp_worker_wake(self, pd_amqp_worker_inbox_cb);
}

void
pd_amqp_worker_push(PdAmqpWorker *self, PdMessage *msg, PdInflight *budget)
{
	PdAmqpItem *item = g_new0(PdAmqpItem, 1);
	item->msg = pd_message_ref(msg);
	item->budget = budget != NULL ? pd_inflight_ref(budget) : NULL;
	pd_amqp_worker_post(self, item);
}

void
pd_amqp_worker_flush(PdAmqpWorker *self, GTask *task)
{
	PdAmqpItem *item = g_new0(PdAmqpItem, 1);
	item->task = task;
	pd_amqp_worker_post(self, item);
}

void
pd_amqp_worker_get_stats(PdAmqpWorker *self, PdAmqpStats *out)
{
	g_mutex_lock(&self->lock);
	*out = self->shared;
	out->pushes_woke = self->pushes_woke;
	g_mutex_unlock(&self->lock);
}

void
pd_amqp_worker_stop(PdAmqpWorker *self, PdAmqpStats *final)
{
	pd_amqp_worker_wake(self, pd_amqp_worker_stop_cb);
	g_thread_join(self->thread);
	if (final != NULL) {
		*final = self->shared;
		final->pushes_woke = self->pushes_woke;
	}
	/* drained by the stop callback; nothing can arrive after it */
	g_queue_clear_full(&self->inbox, (GDestroyNotify)pd_amqp_item_free);
	g_queue_clear_full(&self->memq, (GDestroyNotify)pd_amqp_entry_free);
	pd_spool_free(self->spool);
	g_main_loop_unref(self->loop);
	g_main_context_unref(self->ctx);
	g_main_context_unref(self->main_ctx);
	g_mutex_clear(&self->lock);
	pd_amqp_worker_options_clear(&self->opts);
	g_free(self->state);
	g_free(self->state_error);
	g_free(self->logged_error);
	g_free(self);
}
