/*
 * polld - the AMQP publisher thread: owns the connection, the in-memory
 * queue and the spool; fed by the main thread through an inbox
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-amqp-link.h"
#include "pd-inflight.h"
#include "pd-message.h"
#include "pd-spool.h"

G_BEGIN_DECLS

typedef struct {
	PdAmqpLinkOptions link;
	GPtrArray *hosts;     /* PdAmqpHost, tried in turn */
	guint window;	      /* unconfirmed messages on the wire */
	guint64 window_bytes; /* ... and their bytes (one message always goes) */
	guint64 memory_max_bytes;
	gdouble retry_interval; /* seconds before the first retry */
	gdouble retry_backoff;	/* seconds added for each further failed attempt */
	gdouble interval_max;	/* seconds, the most back-off added to retry_interval */
	guint heartbeat_rate;	/* heartbeats a negotiated interval when idle (0: 1) */
	guint flush_timeout_ms; /* a flush seeing no confirm this long settles by spooling */
	guint stop_timeout_ms;	/* how long stop waits for confirms */
} PdAmqpWorkerOptions;

void
pd_amqp_worker_options_clear(PdAmqpWorkerOptions *opts);
/* seconds to wait before connecting again after @attempt + 1 failures in
 * a row (0: the first failure) */
gdouble
pd_amqp_worker_retry_delay(const PdAmqpWorkerOptions *opts, guint attempt);

typedef struct {
	guint64 published; /* messages sent, republishing included */
	guint64 confirmed; /* messages the broker confirmed */
	guint64 confirmed_samples;
	guint64 in_flight;
	guint64 returned;
	guint64 nacked;
	guint64 memory_queue;
	guint64 spooled_samples;
	guint64 spooled_bytes;
	guint64 spool_damaged;
	guint64 dropped_spool_full; /* samples, by reason */
	guint64 dropped_spool_full_gauges;
	guint64 dropped_spool_error;
	guint64 reconnects;
	guint64 ticks;	       /* the heartbeat and flush deadline timer's dispatches */
	guint64 rearms;	       /* that timer's deadline moved (each wakes the worker's loop once) */
	guint64 polls;	       /* the worker's loop's poll() calls */
	guint64 dispatches;    /* ... and its callbacks run: socket, inbox, timers */
	guint64 socket_events; /* ... of which the socket's */
	guint64 idle_reads;    /* reads of the socket that found nothing */
	guint64 inbox_wakes;   /* dispatches for the main thread's hand-overs */
	guint64 pushes_woke;   /* hand-overs that woke the worker (the main thread's count) */
	guint64 heartbeats;    /* heartbeat frames sent for heartbeat_rate */
	guint64 corks;	       /* setsockopt(TCP_CORK) calls around bursts */
} PdAmqpStats;

/* runs in the main context; @state is "connected", "connecting"... */
typedef void (*PdAmqpStateFunc)(GObject *owner, const gchar *state, const gchar *error);

typedef struct _PdAmqpWorker PdAmqpWorker;

/* takes @opts' contents and @spool; starts the thread, which connects */
PdAmqpWorker *
pd_amqp_worker_new(PdAmqpWorkerOptions *opts,
		   PdSpool *spool,
		   GObject *owner,
		   PdAmqpStateFunc state_func);
/* main thread, never blocks; the message's body bytes are released from
 * @budget (may be NULL) once it is sent, spooled or dropped */
void
pd_amqp_worker_push(PdAmqpWorker *self, PdMessage *msg, PdInflight *budget);
/* @task returns TRUE once everything pushed before is confirmed or spooled */
void
pd_amqp_worker_flush(PdAmqpWorker *self, GTask *task);
void
pd_amqp_worker_get_stats(PdAmqpWorker *self, PdAmqpStats *out);
/* spools what is unconfirmed, closes the connection, joins the thread,
 * stores the final counters in @final (may be NULL) and frees */
void
pd_amqp_worker_stop(PdAmqpWorker *self, PdAmqpStats *final);

G_END_DECLS
