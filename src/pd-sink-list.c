/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdSinkList"

#include "config.h"

#include "pd-error.h"
#include "pd-sink-list.h"

struct _PdSinkList {
	PdSink parent_instance;
	GPtrArray *sinks;
};

G_DEFINE_TYPE(PdSinkList, pd_sink_list, PD_TYPE_SINK)

gboolean
pd_sink_list_add(PdSinkList *self, PdSink *sink, GError **error)
{
	if (pd_sink_list_lookup(self, pd_sink_get_name(sink)) != NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_INVALID_CONFIG,
			    "two sinks are named %s",
			    pd_sink_get_name(sink));
		return FALSE;
	}
	g_ptr_array_add(self->sinks, g_object_ref(sink));
	return TRUE;
}

GPtrArray *
pd_sink_list_get_sinks(PdSinkList *self)
{
	return self->sinks;
}

PdSink *
pd_sink_list_lookup(PdSinkList *self, const gchar *name)
{
	for (guint i = 0; i < self->sinks->len; i++) {
		PdSink *sink = g_ptr_array_index(self->sinks, i);
		if (g_strcmp0(pd_sink_get_name(sink), name) == 0)
			return sink;
	}
	return NULL;
}

static void
pd_sink_list_register_keys(PdSink *sink, PdConfig *config)
{
	PdSinkList *self = PD_SINK_LIST(sink);
	for (guint i = 0; i < self->sinks->len; i++)
		pd_sink_register_keys(g_ptr_array_index(self->sinks, i), config);
}

static gboolean
pd_sink_list_start(PdSink *sink, PdConfig *config, GError **error)
{
	PdSinkList *self = PD_SINK_LIST(sink);

	if (self->sinks->len == 0) {
		g_set_error_literal(error, PD_ERROR, PD_ERROR_INTERNAL, "no sample sink");
		return FALSE;
	}
	for (guint i = 0; i < self->sinks->len; i++) {
		if (!pd_sink_start(g_ptr_array_index(self->sinks, i), config, error))
			return FALSE;
	}
	pd_sink_set_state(sink, "connected", NULL);
	return TRUE;
}

static void
pd_sink_list_reconfigure(PdSink *sink, PdConfig *config, GPtrArray *restart_keys)
{
	PdSinkList *self = PD_SINK_LIST(sink);
	for (guint i = 0; i < self->sinks->len; i++)
		pd_sink_reconfigure(g_ptr_array_index(self->sinks, i), config, restart_keys);
}

/* one batch handed to several sinks: done once all of them are */
typedef struct {
	gint pending; /* atomic */
	GError *error;
	PdSinkDoneFunc done;
	gpointer done_data;
} PdSinkFanOut;

static void
pd_sink_fan_out_complete(PdSinkFanOut *f)
{
	f->done(f->done_data, f->error);
	g_clear_error(&f->error);
	g_free(f);
}

static gboolean
pd_sink_fan_out_complete_cb(gpointer user_data)
{
	pd_sink_fan_out_complete(user_data);
	return G_SOURCE_REMOVE;
}

/* main context */
static void
pd_sink_fan_out_done(gpointer user_data, const GError *error)
{
	PdSinkFanOut *f = user_data;

	if (error != NULL && f->error == NULL)
		f->error = g_error_copy(error);
	if (g_atomic_int_dec_and_test(&f->pending))
		pd_sink_fan_out_complete(f);
}

static void
pd_sink_list_consume(PdSink *sink, PdSampleBatch *batch, PdSinkDoneFunc done, gpointer data)
{
	PdSinkList *self = PD_SINK_LIST(sink);
	PdSinkFanOut *f;

	/* the usual case costs nothing */
	if (self->sinks->len == 1) {
		pd_sink_consume(g_ptr_array_index(self->sinks, 0), batch, done, data);
		return;
	}
	f = g_new0(PdSinkFanOut, 1);
	f->pending = 1;
	f->done = done;
	f->done_data = data;
	/* a sink done on return (the exporter, the heartbeat) is done here:
	 * no idle for it on the main loop, two a chunk before */
	for (guint i = 0; i < self->sinks->len; i++) {
		PdSink *target = g_ptr_array_index(self->sinks, i);
		if (pd_sink_consume_now(target, batch))
			continue;
		g_atomic_int_inc(&f->pending);
		pd_sink_consume(target, batch, pd_sink_fan_out_done, f);
	}
	/* the last reference may be this thread's: complete on the main context */
	if (g_atomic_int_dec_and_test(&f->pending))
		g_idle_add(pd_sink_fan_out_complete_cb, f);
}

typedef struct {
	guint pending;
	GError *error;
} PdSinkFlushData;

static void
pd_sink_flush_data_free(PdSinkFlushData *data)
{
	g_clear_error(&data->error);
	g_free(data);
}

static void
pd_sink_list_flush_step(GTask *task)
{
	PdSinkFlushData *data = g_task_get_task_data(task);

	if (--data->pending > 0) {
		g_object_unref(task);
		return;
	}
	if (data->error != NULL)
		g_task_return_error(task, g_steal_pointer(&data->error));
	else
		g_task_return_boolean(task, TRUE);
	g_object_unref(task);
}

static void
pd_sink_list_flushed_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	PdSinkFlushData *data = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	if (!pd_sink_flush_finish(PD_SINK(source), res, &error) && data->error == NULL)
		data->error = g_steal_pointer(&error);
	pd_sink_list_flush_step(task);
}

static void
pd_sink_list_flush_async(PdSink *sink,
			 GCancellable *cancellable,
			 GAsyncReadyCallback callback,
			 gpointer user_data)
{
	PdSinkList *self = PD_SINK_LIST(sink);
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	PdSinkFlushData *data = g_new0(PdSinkFlushData, 1);

	g_task_set_task_data(task, data, (GDestroyNotify)pd_sink_flush_data_free);
	data->pending = self->sinks->len + 1;
	for (guint i = 0; i < self->sinks->len; i++)
		pd_sink_flush_async(g_ptr_array_index(self->sinks, i),
				    cancellable,
				    pd_sink_list_flushed_cb,
				    g_object_ref(task));
	pd_sink_list_flush_step(task);
}

static gboolean
pd_sink_list_flush_finish(PdSink *sink, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

static void
pd_sink_list_stop(PdSink *sink)
{
	PdSinkList *self = PD_SINK_LIST(sink);
	for (guint i = 0; i < self->sinks->len; i++)
		pd_sink_stop(g_ptr_array_index(self->sinks, i));
}

static void
pd_sink_list_get_counters(PdSink *sink, PdSinkCounters *counters)
{
	PdSinkList *self = PD_SINK_LIST(sink);

	for (guint i = 0; i < self->sinks->len; i++) {
		PdSinkCounters c;
		pd_sink_get_counters(g_ptr_array_index(self->sinks, i), &c);
		counters->delivered += c.delivered;
		counters->dropped += c.dropped;
		counters->queued += c.queued;
	}
}

static void
pd_sink_list_pollster_polled(PdSink *sink, const gchar *pollster, gint64 timestamp_us)
{
	PdSinkList *self = PD_SINK_LIST(sink);

	for (guint i = 0; i < self->sinks->len; i++)
		pd_sink_pollster_polled(g_ptr_array_index(self->sinks, i), pollster, timestamp_us);
}

static void
pd_sink_list_cycle_finished(PdSink *sink,
			    const gchar *const *pollsters,
			    gint64 started_mono_us,
			    guint interval)
{
	PdSinkList *self = PD_SINK_LIST(sink);

	for (guint i = 0; i < self->sinks->len; i++)
		pd_sink_cycle_finished(
		  g_ptr_array_index(self->sinks, i), pollsters, started_mono_us, interval);
}

static void
pd_sink_list_finalize(GObject *obj)
{
	g_ptr_array_unref(PD_SINK_LIST(obj)->sinks);
	G_OBJECT_CLASS(pd_sink_list_parent_class)->finalize(obj);
}

static void
pd_sink_list_init(PdSinkList *self)
{
	self->sinks = g_ptr_array_new_with_free_func(g_object_unref);
}

static void
pd_sink_list_class_init(PdSinkListClass *klass)
{
	PdSinkClass *sink_class = PD_SINK_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = pd_sink_list_finalize;
	sink_class->register_keys = pd_sink_list_register_keys;
	sink_class->start = pd_sink_list_start;
	sink_class->reconfigure = pd_sink_list_reconfigure;
	sink_class->consume = pd_sink_list_consume;
	sink_class->flush_async = pd_sink_list_flush_async;
	sink_class->flush_finish = pd_sink_list_flush_finish;
	sink_class->stop = pd_sink_list_stop;
	sink_class->get_counters = pd_sink_list_get_counters;
	sink_class->pollster_polled = pd_sink_list_pollster_polled;
	sink_class->cycle_finished = pd_sink_list_cycle_finished;
}

PdSinkList *
pd_sink_list_new(void)
{
	return g_object_new(PD_TYPE_SINK_LIST, "name", "all", NULL);
}
