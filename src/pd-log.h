/*
 * polld - logging as oslo.log does it: a file, syslog, the journal or stderr
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "pd-config-private.h"
#include "pd-log-control.h"

G_BEGIN_DECLS

/* journal MESSAGE_IDs, for journalctl MESSAGE_ID=... */
#define PD_LOG_MSGID_START "5d0b6c1e4f2a4c7f9a3e8b1d2c6f7a01"
#define PD_LOG_MSGID_CYCLE "5d0b6c1e4f2a4c7f9a3e8b1d2c6f7a02"
#define PD_LOG_MSGID_RELOAD "5d0b6c1e4f2a4c7f9a3e8b1d2c6f7a03"
#define PD_LOG_MSGID_PUBLISHER "5d0b6c1e4f2a4c7f9a3e8b1d2c6f7a04"
#define PD_LOG_MSGID_PLUGIN_DISABLED "5d0b6c1e4f2a4c7f9a3e8b1d2c6f7a05"

/* the writer, to stderr (or the journal when stderr is connected to it) */
void
pd_log_install(void);
/* G_LOG_LEVEL_MESSAGE (default), _INFO or _DEBUG */
void
pd_log_set_level(GLogLevelFlags level);
/* reads the [DEFAULT] logging options of @config (command line flags are set
 * there too) and opens the log file, syslog or journal they ask for */
gboolean
pd_log_configure(PdConfig *config, GError **error);
/* SIGHUP: opens the log file again (logrotate's copy, or a fresh one) */
void
pd_log_reopen(void);
/* the log file in use, or NULL */
const gchar *
pd_log_get_file(void);
/* LogControl1's level and target, for the D-Bus service */
const PdLogControlBackend *
pd_log_get_control_backend(void);

G_END_DECLS
