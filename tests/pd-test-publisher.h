/*
 * polld tests - a publisher keeping every message it is handed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-publisher.h"

G_BEGIN_DECLS

#define PD_TYPE_KEEP_PUBLISHER (pd_keep_publisher_get_type())
G_DECLARE_FINAL_TYPE(PdKeepPublisher, pd_keep_publisher, PD, KEEP_PUBLISHER, PdPublisher)
struct _PdKeepPublisher {
	PdPublisher parent_instance;
	GPtrArray *messages; /* PdMessage, in the order published */
	/* called after each message is kept, on the publishing thread */
	void (*published)(gpointer user_data);
	gpointer user_data;
};

PdKeepPublisher *
pd_keep_publisher_new(void);

G_END_DECLS
