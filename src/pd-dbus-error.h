/*
 * polld - the org.polld.Agent1.Error.* D-Bus error domain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PD_DBUS_ERROR (pd_dbus_error_quark())
GQuark
pd_dbus_error_quark(void);

/* keep in step with the table in pd-dbus-error.c and dbus/org.polld.Agent1.xml */
typedef enum {
	PD_DBUS_ERROR_FAILED,
	PD_DBUS_ERROR_INVALID_CONFIG,
	PD_DBUS_ERROR_NOT_FOUND,
	PD_DBUS_ERROR_PERMISSION_DENIED,
	PD_DBUS_ERROR_NOT_RUNNING,
	PD_DBUS_ERROR_CANCELLED,
	PD_DBUS_ERROR_LAST, /*< skip >*/
} PdDbusErrorCode;

/* the D-Bus error for an engine (PD_ERROR) or GIO error */
GError *
pd_dbus_error_from_error(const GError *error);

G_END_DECLS
