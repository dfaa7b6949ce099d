/*
 * polld - pollster extension point: turns resources into samples of one meter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-poll-context.h"

G_BEGIN_DECLS

#define PD_TYPE_POLLSTER (pd_pollster_get_type())
G_DECLARE_DERIVABLE_TYPE(PdPollster, pd_pollster, PD, POLLSTER, GObject)

typedef struct _PdPlugin PdPlugin;

struct _PdPollsterClass {
	GObjectClass parent_class;
	/* asynchronous implementation; the default runs ->poll in the bounded
	 * worker pool. Samples go to @ctx; an error with PD_ERROR_PERMANENT
	 * blacklists every resource of the call. */
	void (*poll_async)(PdPollster *self,
			   PdPollContext *ctx,
			   GPtrArray *resources,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data);
	gboolean (*poll_finish)(PdPollster *self, GAsyncResult *res, GError **error);
	/* synchronous implementation, always called in a worker thread */
	gboolean (*poll)(PdPollster *self,
			 PdPollContext *ctx,
			 GPtrArray *resources,
			 GCancellable *cancellable,
			 GError **error);
	/* since ABI 1.3: the unit its samples carry under @config, where it
	 * depends on [polld] ceilometer_compat; NULL (or not set): the "unit"
	 * property */
	const gchar *(*get_unit_for)(PdPollster *self, PdConfig *config);
	gpointer padding[11];
};

/* name is the meter name (the pollster name in polling.yaml) */
const gchar *
pd_pollster_get_name(PdPollster *self);
const gchar *
pd_pollster_get_namespace(PdPollster *self);
const gchar *
pd_pollster_get_default_discovery(PdPollster *self);
const gchar *
pd_pollster_get_unit(PdPollster *self);
/* since ABI 1.3: the unit of its samples under @config (->get_unit_for) */
const gchar *
pd_pollster_get_unit_for(PdPollster *self, PdConfig *config);
PdSampleType
pd_pollster_get_sample_type(PdPollster *self);
PdPlugin *
pd_pollster_get_plugin(PdPollster *self);
void
pd_pollster_set_plugin(PdPollster *self, PdPlugin *plugin);

/* convenience for table-driven pollsters: samples named and typed as declared */
PdSample *
pd_pollster_add_sample(PdPollster *self,
		       PdPollContext *ctx,
		       const gchar *resource_id,
		       const gchar *user_id,
		       const gchar *project_id,
		       PdMetadata *metadata);

/* TRUE when the pollster implements ->poll (run in the worker pool) */
gboolean
pd_pollster_is_synchronous(PdPollster *self);

void
pd_pollster_poll_async(PdPollster *self,
		       PdPollContext *ctx,
		       GPtrArray *resources,
		       GCancellable *cancellable,
		       GAsyncReadyCallback callback,
		       gpointer user_data);
gboolean
pd_pollster_poll_finish(PdPollster *self, GAsyncResult *res, GError **error);

G_END_DECLS
