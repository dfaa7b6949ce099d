/*
 * polld - the "notifier" sink: Ceilometer messages (serialised, signed) to
 * a publisher (AMQP, or stdout)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-inflight.h"
#include "pd-publisher.h"
#include "pd-sink.h"

G_BEGIN_DECLS

#define PD_TYPE_NOTIFIER_SINK (pd_notifier_sink_get_type())
G_DECLARE_FINAL_TYPE(PdNotifierSink, pd_notifier_sink, PD, NOTIFIER_SINK, PdSink)

PdSink *
pd_notifier_sink_new(PdPublisher *publisher);
PdPublisher *
pd_notifier_sink_get_publisher(PdNotifierSink *self);
/* messages built so far */
guint64
pd_notifier_sink_get_messages_built(PdNotifierSink *self);
/* times the main loop took the chunks handed over (once for all that
 * queued since it last did) */
guint
pd_notifier_sink_get_handover_wakeups(PdNotifierSink *self);
/* for tests: times a hand-over woke the main loop (not while it went on
 * looking by itself), and whether one would not now */
guint
pd_notifier_sink_get_handover_idles(PdNotifierSink *self);
gboolean
pd_notifier_sink_get_handover_due(PdNotifierSink *self);
/* for tests: the budget of messages in flight */
PdInflight *
pd_notifier_sink_get_inflight(PdNotifierSink *self);

G_END_DECLS
