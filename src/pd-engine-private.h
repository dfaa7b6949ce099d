/*
 * polld - engine services for the polling tasks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-engine.h"
#include "pd-poll-context-private.h"
#include "pd-polling-task.h"

G_BEGIN_DECLS

PdDiscovery *
pd_engine_lookup_discovery(PdEngine *self, const gchar *name);
gboolean
pd_engine_is_blacklisted(PdEngine *self,
			 const gchar *source,
			 const gchar *pollster,
			 const gchar *id);
/* TRUE if @res is newly blacklisted (logged at debug level only: callers
 * summarise) */
gboolean
pd_engine_blacklist(PdEngine *self,
		    const gchar *source,
		    const gchar *pollster,
		    PdResource *res,
		    const gchar *reason);
/* the partitioning share of a cycle (NULL: keep everything) */
gpointer
pd_engine_share_begin(PdEngine *self);
void
pd_engine_share_end(PdEngine *self, gpointer share);
gboolean
pd_engine_filter_resource(PdEngine *self,
			  gpointer share,
			  const gchar *source,
			  const gchar *discovery,
			  PdResource *res);
/* serialises @batch off the main thread and hands the messages to the
 * publisher; takes ownership of @batch */
void
pd_engine_publish_batch_async(PdEngine *self,
			      PdSampleBatch *batch,
			      GAsyncReadyCallback callback,
			      gpointer user_data);
gboolean
pd_engine_publish_batch_finish(PdEngine *self, GAsyncResult *res, GError **error);
/* any thread: serialises @batch (taken) in the calling thread and publishes
 * the messages from the main loop, then calls @done(@done_data) there */
void
pd_engine_publish_chunk(PdEngine *self, PdSampleBatch *batch, GFunc done, gpointer done_data);
/* samples a pollster accumulates before they are handed over */
guint
pd_engine_get_flush_size(PdEngine *self);
void
pd_engine_cycle_finished(PdEngine *self,
			 PdPollingTask *task,
			 gint64 duration_us,
			 guint samples,
			 guint errors);
gint64
pd_engine_get_pollster_timeout(PdEngine *self, guint interval);
gboolean
pd_engine_is_stopping(PdEngine *self);

G_END_DECLS
