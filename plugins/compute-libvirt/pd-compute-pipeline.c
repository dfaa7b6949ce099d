/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include "pd-compute-events.h"
#include "pd-compute-pipeline.h"

/* libvirt 9.0's RPC client is not safe with two threads calling on one
 * connection (a second caller can leave a socket watch behind that points into
 * the first caller's stack). So each connection has exactly one thread that
 * opens it, calls on it and closes it, fed by a queue: no call ever waits for
 * another thread's call, and the race cannot happen. Keepalive probes and the
 * close callback run on the main loop, which libvirt allows. */

typedef struct {
	PdComputePipelineFunc func;
	gpointer data;
	GDestroyNotify destroy;
} PdComputeJob;

/* what the thread owns; the GObject may go first */
typedef struct {
	GAsyncQueue *queue;
	PdComputeConnection *conn;
} PdComputeLine;

struct _PdComputePipeline {
	GObject parent_instance;
	GThread *thread;
	GAsyncQueue *queue;
	PdComputeConnection *conn;
};

G_DEFINE_TYPE(PdComputePipeline, pd_compute_pipeline, G_TYPE_OBJECT)

/* the job that ends the thread: no func */
static const PdComputeJob pd_compute_job_stop = { NULL, NULL, NULL };

static gpointer
pd_compute_pipeline_thread(gpointer data)
{
	PdComputeLine *line = data;

	/* the socket watch goes on again once per job, not once per call */
	pd_compute_events_defer_on_this_thread();
	for (;;) {
		PdComputeJob *job = g_async_queue_pop(line->queue);
		if (job == &pd_compute_job_stop)
			break;
		job->func(line->conn, job->data);
		pd_compute_events_flush();
		if (job->destroy != NULL)
			job->destroy(job->data);
		g_free(job);
	}
	/* the last call on the connection, from the thread that made the others */
	pd_compute_connection_close(line->conn);
	g_object_unref(line->conn);
	g_async_queue_unref(line->queue);
	g_free(line);
	return NULL;
}

static PdComputeJob *
pd_compute_job_new(PdComputePipelineFunc func, gpointer data, GDestroyNotify destroy)
{
	PdComputeJob *job = g_new0(PdComputeJob, 1);

	job->func = func;
	job->data = data;
	job->destroy = destroy;
	return job;
}

void
pd_compute_pipeline_push(PdComputePipeline *self,
			 PdComputePipelineFunc func,
			 gpointer data,
			 GDestroyNotify destroy)
{
	g_async_queue_push(self->queue, pd_compute_job_new(func, data, destroy));
}

void
pd_compute_pipeline_push_front(PdComputePipeline *self,
			       PdComputePipelineFunc func,
			       gpointer data,
			       GDestroyNotify destroy)
{
	g_async_queue_push_front(self->queue, pd_compute_job_new(func, data, destroy));
}

static void
pd_compute_pipeline_nothing_cb(PdComputeConnection *conn, gpointer data)
{
}

void
pd_compute_pipeline_wake(PdComputePipeline *self)
{
	pd_compute_pipeline_push(self, pd_compute_pipeline_nothing_cb, NULL, NULL);
}

gboolean
pd_compute_pipeline_has_jobs(PdComputePipeline *self)
{
	return g_async_queue_length(self->queue) > 0;
}

gboolean
pd_compute_pipeline_wait_job(PdComputePipeline *self, gint64 timeout_usec)
{
	gpointer job;

	g_return_val_if_fail(pd_compute_pipeline_is_current(self), FALSE);
	/* idle meanwhile: the socket is the event thread's to watch */
	pd_compute_events_flush();
	/* only this thread pops: the job goes back where it was */
	job = g_async_queue_timeout_pop(self->queue, (guint64)MAX(timeout_usec, 0));
	if (job == NULL)
		return FALSE;
	g_async_queue_push_front(self->queue, job);
	return TRUE;
}

gboolean
pd_compute_pipeline_is_current(PdComputePipeline *self)
{
	return g_thread_self() == self->thread;
}

PdComputeConnection *
pd_compute_pipeline_get_connection(PdComputePipeline *self)
{
	return self->conn;
}

PdComputePipeline *
pd_compute_pipeline_new(PdPlugin *plugin, guint index)
{
	PdComputePipeline *self = g_object_new(PD_TYPE_COMPUTE_PIPELINE, NULL);
	PdComputeLine *line = g_new0(PdComputeLine, 1);
	g_autofree gchar *name = g_strdup_printf("pd-libvirt-%u", index);

	self->conn = pd_compute_connection_new(plugin);
	self->queue = g_async_queue_new();
	line->queue = g_async_queue_ref(self->queue);
	line->conn = g_object_ref(self->conn);
	self->thread = g_thread_new(name, pd_compute_pipeline_thread, line);
	return self;
}

static void
pd_compute_pipeline_finalize(GObject *obj)
{
	PdComputePipeline *self = PD_COMPUTE_PIPELINE(obj);

	/* queued jobs run first; their data keep what they need alive */
	g_async_queue_push(self->queue, (gpointer)&pd_compute_job_stop);
	if (pd_compute_pipeline_is_current(self))
		g_thread_unref(self->thread); /* the last reference went in a job */
	else
		g_thread_join(self->thread);
	g_async_queue_unref(self->queue);
	g_object_unref(self->conn);
	G_OBJECT_CLASS(pd_compute_pipeline_parent_class)->finalize(obj);
}

static void
pd_compute_pipeline_init(PdComputePipeline *self)
{
}

static void
pd_compute_pipeline_class_init(PdComputePipelineClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_compute_pipeline_finalize;
}
