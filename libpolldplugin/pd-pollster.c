/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPollster"

#include "config.h"

#include "pd-error.h"
#include "pd-plugin.h"
#include "pd-pollster.h"
#include "pd-worker.h"

typedef struct {
	gchar *name;
	gchar *namespace;
	gchar *default_discovery;
	gchar *unit;
	PdSampleType sample_type;
	PdPlugin *plugin; /* weak: the plugin owns its pollsters */
} PdPollsterPrivate;

G_DEFINE_TYPE_WITH_PRIVATE(PdPollster, pd_pollster, G_TYPE_OBJECT)
#define GET_PRIVATE(o) ((PdPollsterPrivate *)pd_pollster_get_instance_private(o))

enum {
	PROP_0,
	PROP_NAME,
	PROP_NAMESPACE,
	PROP_DEFAULT_DISCOVERY,
	PROP_UNIT,
	PROP_SAMPLE_TYPE,
	PROP_LAST
};
static GParamSpec *props[PROP_LAST] = { NULL };

const gchar *
pd_pollster_get_name(PdPollster *self)
{
	g_return_val_if_fail(PD_IS_POLLSTER(self), NULL);
	return GET_PRIVATE(self)->name;
}

const gchar *
pd_pollster_get_namespace(PdPollster *self)
{
	g_return_val_if_fail(PD_IS_POLLSTER(self), NULL);
	return GET_PRIVATE(self)->namespace;
}

const gchar *
pd_pollster_get_default_discovery(PdPollster *self)
{
	g_return_val_if_fail(PD_IS_POLLSTER(self), NULL);
	return GET_PRIVATE(self)->default_discovery;
}

const gchar *
pd_pollster_get_unit(PdPollster *self)
{
	g_return_val_if_fail(PD_IS_POLLSTER(self), NULL);
	return GET_PRIVATE(self)->unit;
}

const gchar *
pd_pollster_get_unit_for(PdPollster *self, PdConfig *config)
{
	const gchar *unit = NULL;

	g_return_val_if_fail(PD_IS_POLLSTER(self), NULL);
	if (PD_POLLSTER_GET_CLASS(self)->get_unit_for != NULL)
		unit = PD_POLLSTER_GET_CLASS(self)->get_unit_for(self, config);
	return unit != NULL ? unit : GET_PRIVATE(self)->unit;
}

PdSampleType
pd_pollster_get_sample_type(PdPollster *self)
{
	g_return_val_if_fail(PD_IS_POLLSTER(self), PD_SAMPLE_TYPE_GAUGE);
	return GET_PRIVATE(self)->sample_type;
}

PdPlugin *
pd_pollster_get_plugin(PdPollster *self)
{
	g_return_val_if_fail(PD_IS_POLLSTER(self), NULL);
	return GET_PRIVATE(self)->plugin;
}

void
pd_pollster_set_plugin(PdPollster *self, PdPlugin *plugin)
{
	g_return_if_fail(PD_IS_POLLSTER(self));
	GET_PRIVATE(self)->plugin = plugin;
}

PdSample *
pd_pollster_add_sample(PdPollster *self,
		       PdPollContext *ctx,
		       const gchar *resource_id,
		       const gchar *user_id,
		       const gchar *project_id,
		       PdMetadata *metadata)
{
	PdPollsterPrivate *priv = GET_PRIVATE(self);
	return pd_poll_context_add_sample(ctx,
					  priv->name,
					  priv->sample_type,
					  priv->unit,
					  resource_id,
					  user_id,
					  project_id,
					  metadata);
}

typedef struct {
	PdPollContext *ctx;
	GPtrArray *resources;
} PdPollData;

static void
pd_poll_data_free(PdPollData *data)
{
	g_ptr_array_unref(data->resources);
	g_free(data);
}

static void
pd_pollster_poll_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	PdPollster *self = PD_POLLSTER(source);
	PdPollData *data = task_data;
	g_autoptr(GError) error = NULL;

	if (!PD_POLLSTER_GET_CLASS(self)->poll(
	      self, data->ctx, data->resources, cancellable, &error)) {
		if (error == NULL)
			g_set_error(&error, PD_ERROR, PD_ERROR_INTERNAL, "failed without an error");
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

static void
pd_pollster_real_poll_async(PdPollster *self,
			    PdPollContext *ctx,
			    GPtrArray *resources,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	PdPollData *data;

	g_task_set_source_tag(task, pd_pollster_real_poll_async);
	if (PD_POLLSTER_GET_CLASS(self)->poll == NULL) {
		g_task_return_new_error(task,
					PD_ERROR,
					PD_ERROR_INTERNAL,
					"pollster %s implements neither poll nor poll_async",
					pd_pollster_get_name(self));
		return;
	}
	data = g_new0(PdPollData, 1);
	data->ctx = ctx;
	data->resources = g_ptr_array_ref(resources);
	g_task_set_task_data(task, data, (GDestroyNotify)pd_poll_data_free);
	pd_worker_run(task, pd_pollster_poll_thread);
}

static gboolean
pd_pollster_real_poll_finish(PdPollster *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

/* a class with neither vfunc is not: the engine calls ->poll itself for
 * synchronous ones, and pd_pollster_real_poll_async() reports the mistake */
gboolean
pd_pollster_is_synchronous(PdPollster *self)
{
	PdPollsterClass *klass = PD_POLLSTER_GET_CLASS(self);

	return klass->poll_async == pd_pollster_real_poll_async && klass->poll != NULL;
}

void
pd_pollster_poll_async(PdPollster *self,
		       PdPollContext *ctx,
		       GPtrArray *resources,
		       GCancellable *cancellable,
		       GAsyncReadyCallback callback,
		       gpointer user_data)
{
	g_return_if_fail(PD_IS_POLLSTER(self));
	PD_POLLSTER_GET_CLASS(self)->poll_async(
	  self, ctx, resources, cancellable, callback, user_data);
}

gboolean
pd_pollster_poll_finish(PdPollster *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(PD_IS_POLLSTER(self), FALSE);
	return PD_POLLSTER_GET_CLASS(self)->poll_finish(self, res, error);
}

static void
pd_pollster_get_property(GObject *obj, guint prop_id, GValue *value, GParamSpec *pspec)
{
	PdPollsterPrivate *priv = GET_PRIVATE(PD_POLLSTER(obj));
	switch (prop_id) {
		case PROP_NAME:
			g_value_set_string(value, priv->name);
			break;
		case PROP_NAMESPACE:
			g_value_set_string(value, priv->namespace);
			break;
		case PROP_DEFAULT_DISCOVERY:
			g_value_set_string(value, priv->default_discovery);
			break;
		case PROP_UNIT:
			g_value_set_string(value, priv->unit);
			break;
		case PROP_SAMPLE_TYPE:
			g_value_set_int(value, priv->sample_type);
			break;
		default:
			G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, prop_id, pspec);
	}
}

static void
pd_pollster_set_property(GObject *obj, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	PdPollsterPrivate *priv = GET_PRIVATE(PD_POLLSTER(obj));
	switch (prop_id) {
		case PROP_NAME:
			g_free(priv->name);
			priv->name = g_value_dup_string(value);
			break;
		case PROP_NAMESPACE:
			g_free(priv->namespace);
			priv->namespace = g_value_dup_string(value);
			break;
		case PROP_DEFAULT_DISCOVERY:
			g_free(priv->default_discovery);
			priv->default_discovery = g_value_dup_string(value);
			break;
		case PROP_UNIT:
			g_free(priv->unit);
			priv->unit = g_value_dup_string(value);
			break;
		case PROP_SAMPLE_TYPE:
			priv->sample_type = g_value_get_int(value);
			break;
		default:
			G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, prop_id, pspec);
	}
}

static void
pd_pollster_finalize(GObject *obj)
{
	PdPollsterPrivate *priv = GET_PRIVATE(PD_POLLSTER(obj));
	g_free(priv->name);
	g_free(priv->namespace);
	g_free(priv->default_discovery);
	g_free(priv->unit);
	G_OBJECT_CLASS(pd_pollster_parent_class)->finalize(obj);
}

static void
pd_pollster_init(PdPollster *self)
{
	GET_PRIVATE(self)->unit = g_strdup("");
}

static void
pd_pollster_class_init(PdPollsterClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

	object_class->get_property = pd_pollster_get_property;
	object_class->set_property = pd_pollster_set_property;
	object_class->finalize = pd_pollster_finalize;
	klass->poll_async = pd_pollster_real_poll_async;
	klass->poll_finish = pd_pollster_real_poll_finish;

	props[PROP_NAME] = g_param_spec_string("name", NULL, NULL, NULL, flags);
	props[PROP_NAMESPACE] = g_param_spec_string("namespace", NULL, NULL, "compute", flags);
	props[PROP_DEFAULT_DISCOVERY] =
	  g_param_spec_string("default-discovery", NULL, NULL, NULL, flags);
	props[PROP_UNIT] = g_param_spec_string("unit", NULL, NULL, "", flags);
	props[PROP_SAMPLE_TYPE] = g_param_spec_int("sample-type",
						   NULL,
						   NULL,
						   PD_SAMPLE_TYPE_GAUGE,
						   PD_SAMPLE_TYPE_CUMULATIVE,
						   PD_SAMPLE_TYPE_GAUGE,
						   flags);
	g_object_class_install_properties(object_class, PROP_LAST, props);
}
