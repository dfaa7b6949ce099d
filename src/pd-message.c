/*
 * polld - one serialised AMQP notification (a batch of samples)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdMessage"

#include "pd-message.h"

PdMessage *
pd_message_new(GBytes *body, const gchar *message_id, guint n_samples, guint n_counters)
{
	PdMessage *msg;

	g_return_val_if_fail(body != NULL, NULL);
	msg = g_new0(PdMessage, 1);
	msg->ref_count = 1;
	msg->body = g_bytes_ref(body);
	if (message_id != NULL)
		g_strlcpy(msg->message_id, message_id, sizeof(msg->message_id));
	msg->n_samples = n_samples;
	msg->n_counters = n_counters;
	msg->held = g_bytes_get_size(body) + PD_MESSAGE_HELD_OVERHEAD;
	return msg;
}

PdMessage *
pd_message_ref(PdMessage *msg)
{
	g_return_val_if_fail(msg != NULL, NULL);
	g_atomic_int_inc(&msg->ref_count);
	return msg;
}

void
pd_message_unref(PdMessage *msg)
{
	g_return_if_fail(msg != NULL);
	if (!g_atomic_int_dec_and_test(&msg->ref_count))
		return;
	g_bytes_unref(msg->body);
	g_free(msg);
}
