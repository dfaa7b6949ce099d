/*
 * polld - who may control the daemon over D-Bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef void (*PdDbusAuthFunc)(GDBusMethodInvocation *invocation, gpointer user_data);

/* root, and the user the daemon runs as, may control it */
gboolean
pd_dbus_auth_uid_allowed(guint32 uid);

/* asks the bus for the caller's uid (never blocking the loop), then runs
 * @func if the caller may control the daemon, or returns PermissionDenied;
 * @destroy frees @user_data either way */
void
pd_dbus_auth_run(GDBusMethodInvocation *invocation,
		 PdDbusAuthFunc func,
		 gpointer user_data,
		 GDestroyNotify destroy);

G_END_DECLS
