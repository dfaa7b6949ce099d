/*
 * polld - the AMQP publisher: Ceilometer's wire format, publisher confirms,
 * reconnection and a disk spool (see docs/amqp.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-publisher.h"

G_BEGIN_DECLS

#define PD_TYPE_AMQP_PUBLISHER (pd_amqp_publisher_get_type())
G_DECLARE_FINAL_TYPE(PdAmqpPublisher, pd_amqp_publisher, PD, AMQP_PUBLISHER, PdPublisher)

PdPublisher *
pd_amqp_publisher_new(void);

G_END_DECLS
