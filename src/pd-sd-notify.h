/*
 * polld - systemd readiness, status and watchdog over $NOTIFY_SOCKET
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-engine.h"

G_BEGIN_DECLS

#define PD_TYPE_SD_NOTIFY (pd_sd_notify_get_type())
G_DECLARE_FINAL_TYPE(PdSdNotify, pd_sd_notify, PD, SD_NOTIFY, GObject)

/* reads (and unsets, so children don't inherit them) NOTIFY_SOCKET,
 * WATCHDOG_USEC and WATCHDOG_PID; without NOTIFY_SOCKET every call is a no-op */
PdSdNotify *
pd_sd_notify_new(void);
gboolean
pd_sd_notify_is_enabled(PdSdNotify *self);
/* sends "KEY=value\n..." as one datagram */
gboolean
pd_sd_notify_send(PdSdNotify *self, const gchar *state, GError **error);
/* the watchdog period systemd asked for, 0 = none */
guint64
pd_sd_notify_get_watchdog_usec(PdSdNotify *self);
/* READY=1 with a STATUS line; then STATUS= after every cycle and, with
 * WatchdogSec=, WATCHDOG=1 pings while the engine's scheduler really runs */
void
pd_sd_notify_ready(PdSdNotify *self, PdEngine *engine);
/* STOPPING=1; pings stop */
void
pd_sd_notify_stopping(PdSdNotify *self);

G_END_DECLS
