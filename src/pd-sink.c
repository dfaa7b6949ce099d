/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdSink"

#include "config.h"

#include "pd-sink.h"
#include "pd-state.h"

typedef struct {
	gchar *name;
	PdState state;
	gsize received; /* atomic: consumed from any thread */
} PdSinkPrivate;

G_DEFINE_TYPE_WITH_PRIVATE(PdSink, pd_sink, G_TYPE_OBJECT)
#define GET_PRIVATE(o) ((PdSinkPrivate *)pd_sink_get_instance_private(o))

enum { PROP_0, PROP_NAME, PROP_STATE, PROP_LAST };
static GParamSpec *props[PROP_LAST] = { NULL };

const gchar *
pd_sink_get_name(PdSink *self)
{
	g_return_val_if_fail(PD_IS_SINK(self), NULL);
	return GET_PRIVATE(self)->name;
}

const gchar *
pd_sink_get_state(PdSink *self)
{
	g_return_val_if_fail(PD_IS_SINK(self), NULL);
	return GET_PRIVATE(self)->state.state;
}

const gchar *
pd_sink_get_last_error(PdSink *self)
{
	g_return_val_if_fail(PD_IS_SINK(self), NULL);
	return GET_PRIVATE(self)->state.last_error;
}

void
pd_sink_set_state(PdSink *self, const gchar *state, const gchar *last_error)
{
	g_return_if_fail(PD_IS_SINK(self));
	if (pd_state_set(&GET_PRIVATE(self)->state, state, last_error))
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

void
pd_sink_register_keys(PdSink *self, PdConfig *config)
{
	PdSinkClass *klass = PD_SINK_GET_CLASS(self);
	if (klass->register_keys != NULL)
		klass->register_keys(self, config);
}

gboolean
pd_sink_start(PdSink *self, PdConfig *config, GError **error)
{
	PdSinkClass *klass = PD_SINK_GET_CLASS(self);
	if (klass->start == NULL)
		return TRUE;
	return klass->start(self, config, error);
}

void
pd_sink_reconfigure(PdSink *self, PdConfig *config, GPtrArray *restart_keys)
{
	PdSinkClass *klass = PD_SINK_GET_CLASS(self);
	if (klass->reconfigure != NULL)
		klass->reconfigure(self, config, restart_keys);
}

gboolean
pd_sink_consume_now(PdSink *self, PdSampleBatch *batch)
{
	PdSinkClass *klass = PD_SINK_GET_CLASS(self);

	if (klass->consume_now == NULL)
		return FALSE;
	g_atomic_pointer_add(&GET_PRIVATE(self)->received, pd_sample_batch_get_size(batch));
	klass->consume_now(self, batch);
	return TRUE;
}

void
pd_sink_consume(PdSink *self, PdSampleBatch *batch, PdSinkDoneFunc done, gpointer user_data)
{
	if (pd_sink_consume_now(self, batch)) {
		pd_sink_done_later(done, user_data);
		return;
	}
	g_atomic_pointer_add(&GET_PRIVATE(self)->received, pd_sample_batch_get_size(batch));
	PD_SINK_GET_CLASS(self)->consume(self, batch, done, user_data);
}

typedef struct {
	PdSinkDoneFunc done;
	gpointer data;
} PdSinkDoneLater;

static guint done_later_idles; /* atomic */

static gboolean
pd_sink_done_later_cb(gpointer user_data)
{
	PdSinkDoneLater *d = user_data;

	d->done(d->data, NULL);
	g_free(d);
	return G_SOURCE_REMOVE;
}

void
pd_sink_done_later(PdSinkDoneFunc done, gpointer user_data)
{
	PdSinkDoneLater *d = g_new(PdSinkDoneLater, 1);

	d->done = done;
	d->data = user_data;
	g_atomic_int_inc(&done_later_idles);
	g_idle_add_full(G_PRIORITY_DEFAULT, pd_sink_done_later_cb, d, NULL);
}

guint
pd_sink_get_done_later_idles(void)
{
	return (guint)g_atomic_int_get(&done_later_idles);
}

static void
pd_sink_real_flush_async(PdSink *self,
			 GCancellable *cancellable,
			 GAsyncReadyCallback callback,
			 gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_task_return_boolean(task, TRUE);
}

static gboolean
pd_sink_real_flush_finish(PdSink *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
pd_sink_flush_async(PdSink *self,
		    GCancellable *cancellable,
		    GAsyncReadyCallback callback,
		    gpointer user_data)
{
	PD_SINK_GET_CLASS(self)->flush_async(self, cancellable, callback, user_data);
}

gboolean
pd_sink_flush_finish(PdSink *self, GAsyncResult *res, GError **error)
{
	return PD_SINK_GET_CLASS(self)->flush_finish(self, res, error);
}

void
pd_sink_stop(PdSink *self)
{
	PdSinkClass *klass = PD_SINK_GET_CLASS(self);
	if (klass->stop != NULL)
		klass->stop(self);
}

void
pd_sink_get_counters(PdSink *self, PdSinkCounters *counters)
{
	PdSinkClass *klass = PD_SINK_GET_CLASS(self);

	memset(counters, 0, sizeof(*counters));
	if (klass->get_counters != NULL)
		klass->get_counters(self, counters);
	counters->received = (guint64)g_atomic_pointer_get(&GET_PRIVATE(self)->received);
}

void
pd_sink_add_statistics(PdSink *self, GVariantDict *dict)
{
	PdSinkClass *klass = PD_SINK_GET_CLASS(self);
	if (klass->add_statistics != NULL)
		klass->add_statistics(self, dict);
}

void
pd_sink_pollster_polled(PdSink *self, const gchar *pollster, gint64 timestamp_us)
{
	PdSinkClass *klass = PD_SINK_GET_CLASS(self);
	if (klass->pollster_polled != NULL)
		klass->pollster_polled(self, pollster, timestamp_us);
}

void
pd_sink_cycle_finished(PdSink *self,
		       const gchar *const *pollsters,
		       gint64 started_mono_us,
		       guint interval)
{
	PdSinkClass *klass = PD_SINK_GET_CLASS(self);
	if (klass->cycle_finished != NULL)
		klass->cycle_finished(self, pollsters, started_mono_us, interval);
}

GVariant *
pd_sink_get_statistics(PdSink *self)
{
	PdState *state = &GET_PRIVATE(self)->state;
	PdSinkCounters c;
	g_auto(GVariantDict) dict;

	g_variant_dict_init(&dict, NULL);
	pd_sink_add_statistics(self, &dict);
	pd_sink_get_counters(self, &c);
	g_variant_dict_insert(&dict, "state", "s", state->state != NULL ? state->state : "");
	g_variant_dict_insert(
	  &dict, "error", "s", state->last_error != NULL ? state->last_error : "");
	g_variant_dict_insert(&dict, "samples_received", "t", c.received);
	g_variant_dict_insert(&dict, "samples_delivered", "t", c.delivered);
	g_variant_dict_insert(&dict, "samples_dropped", "t", c.dropped);
	g_variant_dict_insert(&dict, "samples_queued", "t", c.queued);
	return g_variant_dict_end(&dict);
}

static void
pd_sink_get_property(GObject *obj, guint prop_id, GValue *value, GParamSpec *pspec)
{
	PdSinkPrivate *priv = GET_PRIVATE(PD_SINK(obj));
	switch (prop_id) {
		case PROP_NAME:
			g_value_set_string(value, priv->name);
			break;
		case PROP_STATE:
			g_value_set_string(value, priv->state.state);
			break;
		default:
			G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, prop_id, pspec);
	}
}

static void
pd_sink_set_property(GObject *obj, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	PdSinkPrivate *priv = GET_PRIVATE(PD_SINK(obj));
	switch (prop_id) {
		case PROP_NAME:
			g_free(priv->name);
			priv->name = g_value_dup_string(value);
			break;
		default:
			G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, prop_id, pspec);
	}
}

static void
pd_sink_finalize(GObject *obj)
{
	PdSinkPrivate *priv = GET_PRIVATE(PD_SINK(obj));
	g_free(priv->name);
	pd_state_clear(&priv->state);
	G_OBJECT_CLASS(pd_sink_parent_class)->finalize(obj);
}

static void
pd_sink_init(PdSink *self)
{
	pd_state_set(&GET_PRIVATE(self)->state, "disconnected", NULL);
}

static void
pd_sink_class_init(PdSinkClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->get_property = pd_sink_get_property;
	object_class->set_property = pd_sink_set_property;
	object_class->finalize = pd_sink_finalize;
	klass->flush_async = pd_sink_real_flush_async;
	klass->flush_finish = pd_sink_real_flush_finish;
	props[PROP_NAME] =
	  g_param_spec_string("name",
			      NULL,
			      NULL,
			      NULL,
			      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	props[PROP_STATE] =
	  g_param_spec_string("state", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, props);
}
