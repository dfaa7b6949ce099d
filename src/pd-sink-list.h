/*
 * polld - a sink handing every batch to each of a list of sinks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-sink.h"

G_BEGIN_DECLS

#define PD_TYPE_SINK_LIST (pd_sink_list_get_type())
G_DECLARE_FINAL_TYPE(PdSinkList, pd_sink_list, PD, SINK_LIST, PdSink)

PdSinkList *
pd_sink_list_new(void);
/* before start; names are unique */
gboolean
pd_sink_list_add(PdSinkList *self, PdSink *sink, GError **error);
/* of PdSink, in the order added */
GPtrArray *
pd_sink_list_get_sinks(PdSinkList *self);
PdSink *
pd_sink_list_lookup(PdSinkList *self, const gchar *name);

G_END_DECLS
