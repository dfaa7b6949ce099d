/*
 * polld - what the log says at start: one line an operator can read, the
 * effective options at debug level, meters polling.yaml names in vain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-config-private.h"
#include "pd-engine.h"
#include "pd-polling-config.h"

G_BEGIN_DECLS

/* the start line (version, config files, plugins, pollsters per namespace,
 * tasks, publisher target without its password) and, with [DEFAULT]
 * log_options, every option's value at debug level */
void
pd_start_report_log(PdEngine *engine, gboolean dry_run);
G_END_DECLS
