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
	/* what the message keeps allocated: the body's block (the serializer
	 * trims it to the text) and the message's and the GBytes' own blocks
	 * with malloc's headers. The in-flight budget counts these bytes. */
	gsize held;
} PdMessage;

/* a message's own blocks beside its body: this struct, the GBytes (40
 * bytes on 64-bit) and malloc's header of each of the three */
#define PD_MESSAGE_HELD_OVERHEAD (sizeof(PdMessage) + 64)

PdMessage *
pd_message_new(GBytes *body, const gchar *message_id, guint n_samples, guint n_counters);
PdMessage *
pd_message_ref(PdMessage *msg);
void
pd_message_unref(PdMessage *msg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdMessage, pd_message_unref)

G_END_DECLS
