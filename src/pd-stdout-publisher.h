/*
 * polld - the embedded default publisher: one message body per line on stdout
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-publisher.h"

G_BEGIN_DECLS

#define PD_TYPE_STDOUT_PUBLISHER (pd_stdout_publisher_get_type())
G_DECLARE_FINAL_TYPE(PdStdoutPublisher, pd_stdout_publisher, PD, STDOUT_PUBLISHER, PdPublisher)

/* @fd: where to write, normally STDOUT_FILENO */
PdPublisher *
pd_stdout_publisher_new(gint fd);

G_END_DECLS
