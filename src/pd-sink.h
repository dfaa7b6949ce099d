/*
 * polld - sample sink extension point: where polled samples go
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-config.h"
#include "pd-sample.h"

G_BEGIN_DECLS

#define PD_TYPE_SINK (pd_sink_get_type())
G_DECLARE_DERIVABLE_TYPE(PdSink, pd_sink, PD, SINK, GObject)

/* called once per consumed batch, on the main context, when the sink is done
 * with it: delivered, queued for delivery or held durably; @error is NULL
 * unless the samples are lost */
typedef void (*PdSinkDoneFunc)(gpointer user_data, const GError *error);

/* the counters every sink kind reports under the same names */
typedef struct {
	guint64 received;  /* samples handed to the sink ("samples_received") */
	guint64 delivered; /* reached their destination ("samples_delivered") */
	guint64 dropped;   /* lost on the way ("samples_dropped") */
	guint64 queued;	   /* waiting in memory or on disk ("samples_queued") */
} PdSinkCounters;

struct _PdSinkClass {
	GObjectClass parent_class;
	/* main thread: registers the (group, key) config keys the sink reads */
	void (*register_keys)(PdSink *self, PdConfig *config);
	/* main thread, must not block */
	gboolean (*start)(PdSink *self, PdConfig *config, GError **error);
	/* main thread, on reload with the new, valid config: applies what it can
	 * and appends "[group] key" for each changed key that needs a restart */
	void (*reconfigure)(PdSink *self, PdConfig *config, GPtrArray *restart_keys);
	/* any thread, any number at once: takes what it needs from @batch
	 * before returning (the caller frees the batch then: serialise here
	 * when the sink needs bytes) and later calls @done on the main context */
	void (*consume)(PdSink *self,
			PdSampleBatch *batch,
			PdSinkDoneFunc done,
			gpointer user_data);
	/* completes once everything consumed so far is done with */
	void (*flush_async)(PdSink *self,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data);
	gboolean (*flush_finish)(PdSink *self, GAsyncResult *res, GError **error);
	void (*stop)(PdSink *self);
	/* fills delivered, dropped and queued (received is counted here) */
	void (*get_counters)(PdSink *self, PdSinkCounters *counters);
	/* adds counters of its own kind as uint64 entries */
	void (*add_statistics)(PdSink *self, GVariantDict *dict);
	/* optional, main thread: @pollster was called with resources to poll;
	 * its samples carry @timestamp_us (the heartbeat socket records it) */
	void (*pollster_polled)(PdSink *self, const gchar *pollster, gint64 timestamp_us);
	/* optional, main thread: a cycle of a task polling @pollsters every
	 * @interval seconds, started at @started_mono_us (monotonic), closed
	 * (the Prometheus exporter drops what it did not see again) */
	void (*cycle_finished)(PdSink *self,
			       const gchar *const *pollsters,
			       gint64 started_mono_us,
			       guint interval);
	/* optional, in place of consume: any thread, any number at once; done
	 * with @batch when it returns, without an error. A sink list counts
	 * such a sink done at once, where a @done would wake the main loop */
	void (*consume_now)(PdSink *self, PdSampleBatch *batch);
	gpointer padding[5];
};

/* "notifier", "prometheus"...: unique among the engine's sinks */
const gchar *
pd_sink_get_name(PdSink *self);
/* "connected", "connecting", "blocked", "disconnected", "listening"...;
 * emits notify::state */
const gchar *
pd_sink_get_state(PdSink *self);
/* why the sink is not working, NULL when fine */
const gchar *
pd_sink_get_last_error(PdSink *self);
/* @last_error NULL clears it */
void
pd_sink_set_state(PdSink *self, const gchar *state, const gchar *last_error);

void
pd_sink_register_keys(PdSink *self, PdConfig *config);
gboolean
pd_sink_start(PdSink *self, PdConfig *config, GError **error);
void
pd_sink_reconfigure(PdSink *self, PdConfig *config, GPtrArray *restart_keys);
void
pd_sink_consume(PdSink *self, PdSampleBatch *batch, PdSinkDoneFunc done, gpointer user_data);
/* TRUE when the sink was done with @batch on return (it has consume_now):
 * no @done follows; FALSE, and nothing consumed, when it has not */
gboolean
pd_sink_consume_now(PdSink *self, PdSampleBatch *batch);
void
pd_sink_flush_async(PdSink *self,
		    GCancellable *cancellable,
		    GAsyncReadyCallback callback,
		    gpointer user_data);
gboolean
pd_sink_flush_finish(PdSink *self, GAsyncResult *res, GError **error);
void
pd_sink_stop(PdSink *self);
void
pd_sink_get_counters(PdSink *self, PdSinkCounters *counters);
/* a{sv}: "state" s, "error" s, the common counters ("t"), the sink's own */
GVariant *
pd_sink_get_statistics(PdSink *self);
void
pd_sink_add_statistics(PdSink *self, GVariantDict *dict);
/* for sinks done with a batch once consume returns: calls @done from the
 * main context, as consume promises */
void
pd_sink_done_later(PdSinkDoneFunc done, gpointer user_data);
/* idles pd_sink_done_later() added so far, in every sink (tests) */
guint
pd_sink_get_done_later_idles(void);
void
pd_sink_pollster_polled(PdSink *self, const gchar *pollster, gint64 timestamp_us);
void
pd_sink_cycle_finished(PdSink *self,
		       const gchar *const *pollsters,
		       gint64 started_mono_us,
		       guint interval);

G_END_DECLS
