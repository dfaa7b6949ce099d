/*
 * polld tests - a publisher keeping every message it is handed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "pd-test-publisher.h"

G_DEFINE_TYPE(PdKeepPublisher, pd_keep_publisher, PD_TYPE_PUBLISHER)

static void
pd_keep_publisher_publish(PdPublisher *publisher, PdMessage *msg)
{
	PdKeepPublisher *self = PD_KEEP_PUBLISHER(publisher);

	g_ptr_array_add(self->messages, pd_message_ref(msg));
	if (self->published != NULL)
		self->published(self->user_data);
}

static void
pd_keep_publisher_finalize(GObject *obj)
{
	g_ptr_array_unref(PD_KEEP_PUBLISHER(obj)->messages);
	G_OBJECT_CLASS(pd_keep_publisher_parent_class)->finalize(obj);
}

static void
pd_keep_publisher_init(PdKeepPublisher *self)
{
	self->messages = g_ptr_array_new_with_free_func((GDestroyNotify)pd_message_unref);
}

static void
pd_keep_publisher_class_init(PdKeepPublisherClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_keep_publisher_finalize;
	PD_PUBLISHER_CLASS(klass)->publish = pd_keep_publisher_publish;
}

PdKeepPublisher *
pd_keep_publisher_new(void)
{
	return g_object_new(PD_TYPE_KEEP_PUBLISHER, NULL);
}
