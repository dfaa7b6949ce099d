/*
 * polld - org.freedesktop.LogControl1: the log level and target of a
 * running daemon, as systemctl service-log-level sets them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* what the logging code offers; names are systemd's */
typedef struct {
	const gchar *(*get_level)(void);
	gboolean (*set_level)(const gchar *level, GError **error);
	const gchar *(*get_target)(void);
	gboolean (*set_target)(const gchar *target, GError **error);
	const gchar *(*get_identifier)(void);
} PdLogControlBackend;

typedef struct _PdLogControl PdLogControl;

/* exports /org/freedesktop/LogControl1 on @connection */
PdLogControl *
pd_log_control_new(GDBusConnection *connection, const PdLogControlBackend *backend, GError **error);
void
pd_log_control_free(PdLogControl *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdLogControl, pd_log_control_free)

G_END_DECLS
