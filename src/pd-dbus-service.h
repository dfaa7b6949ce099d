/*
 * polld - the org.polld.Agent1 bus service: owns the name, exports the
 * interface, authorizes callers and forwards to the engine
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-coordination.h"
#include "pd-engine.h"
#include "pd-log-control.h"

G_BEGIN_DECLS

#define PD_DBUS_SERVICE_NAME "org.polld.Agent1"
#define PD_DBUS_SERVICE_PATH "/org/polld/Agent1"

#define PD_TYPE_DBUS_SERVICE (pd_dbus_service_get_type())
G_DECLARE_FINAL_TYPE(PdDbusService, pd_dbus_service, PD, DBUS_SERVICE, GObject)

PdDbusService *
pd_dbus_service_new(PdEngine *engine);

/* connects to @bus_type, exports the object and owns the name; completes
 * once the name is ours, or fails if the bus or the name is unavailable.
 * Losing the name later emits "name-lost". */
void
pd_dbus_service_own_async(PdDbusService *self,
			  GBusType bus_type,
			  GAsyncReadyCallback callback,
			  gpointer user_data);
gboolean
pd_dbus_service_own_finish(PdDbusService *self, GAsyncResult *res, GError **error);

/* the scheduler is armed: State leaves "starting" */
void
pd_dbus_service_set_running(PdDbusService *self);
/* exports its state (Coordination, GetPartitions) */
void
pd_dbus_service_set_coordination(PdDbusService *self, PdCoordination *coordination);
/* shutting down: State becomes "stopping", control methods fail */
void
pd_dbus_service_set_stopping(PdDbusService *self);
const gchar *
pd_dbus_service_get_state(PdDbusService *self);

/* before owning the name: also serve org.freedesktop.LogControl1 */
void
pd_dbus_service_set_log_backend(PdDbusService *self, const PdLogControlBackend *backend);

G_END_DECLS
