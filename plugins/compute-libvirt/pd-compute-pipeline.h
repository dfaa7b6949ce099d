/*
 * polld - one libvirt connection and the one thread that makes every call on it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-compute-connection.h"

G_BEGIN_DECLS

#define PD_TYPE_COMPUTE_PIPELINE (pd_compute_pipeline_get_type())
G_DECLARE_FINAL_TYPE(PdComputePipeline, pd_compute_pipeline, PD, COMPUTE_PIPELINE, GObject)

/* runs on the pipeline's thread, the only thread that calls libvirt on @conn */
typedef void (*PdComputePipelineFunc)(PdComputeConnection *conn, gpointer data);

PdComputePipeline *
pd_compute_pipeline_new(PdPlugin *plugin, guint index);
/* for settings (URI, keepalive...); libvirt calls go through push() */
PdComputeConnection *
pd_compute_pipeline_get_connection(PdComputePipeline *self);
/* queues @func(conn, @data) behind the jobs already queued; @destroy(@data)
 * runs on the pipeline's thread after it, or when the pipeline is gone */
void
pd_compute_pipeline_push(PdComputePipeline *self,
			 PdComputePipelineFunc func,
			 gpointer data,
			 GDestroyNotify destroy);
/* like push(), but ahead of the jobs already queued: for short jobs a
 * caller waits for (the discovery's), not to wait behind statistics */
void
pd_compute_pipeline_push_front(PdComputePipeline *self,
			       PdComputePipelineFunc func,
			       gpointer data,
			       GDestroyNotify destroy);
/* on the pipeline's own thread, from a job: waits until another job is
 * queued or @timeout_usec passes, and leaves that job first in the queue;
 * TRUE when one came */
gboolean
pd_compute_pipeline_wait_job(PdComputePipeline *self, gint64 timeout_usec);
/* queues a job that does nothing: ends a wait_job() */
void
pd_compute_pipeline_wake(PdComputePipeline *self);
/* whether a job is queued (not counting the one running) */
gboolean
pd_compute_pipeline_has_jobs(PdComputePipeline *self);
/* TRUE on the pipeline's own thread */
gboolean
pd_compute_pipeline_is_current(PdComputePipeline *self);

G_END_DECLS
