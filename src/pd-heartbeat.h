/*
 * polld - the heartbeat socket: when each pollster last ran, for a
 * liveness check, in Ceilometer's protocol
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-sink.h"

G_BEGIN_DECLS

#define PD_TYPE_HEARTBEAT (pd_heartbeat_get_type())
G_DECLARE_FINAL_TYPE(PdHeartbeat, pd_heartbeat, PD, HEARTBEAT, PdSink)

/* <dir>/ceilometer-<namespaces, sorted, joined by '-'>.socket */
gchar *
pd_heartbeat_socket_path(const gchar *dir, const gchar *const *namespaces);

/* a sink named "heartbeat": while [polling] heartbeat_socket_dir is set it
 * serves the socket for @namespaces there */
PdSink *
pd_heartbeat_new(const gchar *const *namespaces);
/* binds and listens on @path, replacing a stale socket (start does this) */
gboolean
pd_heartbeat_listen(PdHeartbeat *self, const gchar *path, GError **error);
/* NULL when not listening */
const gchar *
pd_heartbeat_get_path(PdHeartbeat *self);
/* records that @pollster was polled at @timestamp_us (UTC wall clock) */
void
pd_heartbeat_beat(PdHeartbeat *self, const gchar *pollster, gint64 timestamp_us);
/* the report a client reads: "<pollster> <timestamp>" lines joined by '\n' */
gchar *
pd_heartbeat_dup_report(PdHeartbeat *self);

G_END_DECLS
