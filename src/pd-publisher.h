/*
 * polld - publisher extension point: delivers serialised messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-config.h"
#include "pd-inflight.h"
#include "pd-message.h"

G_BEGIN_DECLS

#define PD_TYPE_PUBLISHER (pd_publisher_get_type())
G_DECLARE_DERIVABLE_TYPE(PdPublisher, pd_publisher, PD, PUBLISHER, GObject)

/* all vfuncs are called on the main thread and must not block */
struct _PdPublisherClass {
	GObjectClass parent_class;
	gboolean (*start)(PdPublisher *self, PdConfig *config, GError **error);
	/* hands over one message; the publisher owns buffering from here */
	void (*publish)(PdPublisher *self, PdMessage *msg);
	/* completes once everything handed over so far is delivered, or held
	 * durably (spooled) when the destination is unreachable */
	void (*flush_async)(PdPublisher *self,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data);
	gboolean (*flush_finish)(PdPublisher *self, GAsyncResult *res, GError **error);
	void (*stop)(PdPublisher *self);
	/* adds counters (published, confirmed, spooled...) as uint64 entries,
	 * among them "samples_delivered", "samples_dropped" and, if it queues,
	 * "samples_queued" */
	void (*add_statistics)(PdPublisher *self, GVariantDict *dict);
	/* optional, called once after start: TRUE if the publisher releases
	 * each message's body bytes from @budget itself, once the message is
	 * sent, spooled or dropped (it keeps a reference); otherwise they are
	 * released when the message is handed over */
	gboolean (*take_budget)(PdPublisher *self, PdInflight *budget);
	gpointer padding[9];
};

/* "connected", "connecting", "blocked", "disconnected"; emits notify::state */
const gchar *
pd_publisher_get_state(PdPublisher *self);
/* @last_error: why the publisher is not connected, NULL to keep the last
 * one; becoming "connected" clears it */
void
pd_publisher_set_state(PdPublisher *self, const gchar *state, const gchar *last_error);
const gchar *
pd_publisher_get_last_error(PdPublisher *self);

gboolean
pd_publisher_start(PdPublisher *self, PdConfig *config, GError **error);
void
pd_publisher_publish(PdPublisher *self, PdMessage *msg);
void
pd_publisher_flush_async(PdPublisher *self,
			 GCancellable *cancellable,
			 GAsyncReadyCallback callback,
			 gpointer user_data);
gboolean
pd_publisher_flush_finish(PdPublisher *self, GAsyncResult *res, GError **error);
void
pd_publisher_stop(PdPublisher *self);
void
pd_publisher_add_statistics(PdPublisher *self, GVariantDict *dict);
gboolean
pd_publisher_take_budget(PdPublisher *self, PdInflight *budget);

G_END_DECLS
