/*
 * polld - the Prometheus exporter as a sample sink
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-prom-server.h"
#include "pd-sink.h"

G_BEGIN_DECLS

#define PD_TYPE_PROM_SINK (pd_prom_sink_get_type())
G_DECLARE_FINAL_TYPE(PdPromSink, pd_prom_sink, PD, PROM_SINK, PdSink)

/* named "prometheus"; serves only when [polling] enable_prometheus_exporter
 * is true; @collect adds the agent's own metrics to each scrape */
PdSink *
pd_prom_sink_new(PdPromCollectFunc collect, gpointer collect_data);
/* the URIs it serves /metrics under, empty when disabled */
GSList *
pd_prom_sink_get_uris(PdPromSink *self);

G_END_DECLS
