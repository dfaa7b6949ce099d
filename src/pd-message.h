/*
 * polld - one serialised AMQP notification (a batch of samples)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Immutable once built. The body is the exact message body (the oslo v2
 * envelope); publishers send it as is, spool it, or print it.
 */
typedef struct {
	gint ref_count;
	GBytes *body;
	gchar message_id[37]; /* envelope message_id */
	guint n_samples;
	guint n_counters; /* cumulative or delta samples: dropped last */
} PdMessage;

PdMessage *
pd_message_new(GBytes *body, const gchar *message_id, guint n_samples, guint n_counters);
PdMessage *
pd_message_ref(PdMessage *msg);
void
pd_message_unref(PdMessage *msg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdMessage, pd_message_unref)

G_END_DECLS
