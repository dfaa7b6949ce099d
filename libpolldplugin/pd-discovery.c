/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdDiscovery"

#include "config.h"

#include "pd-discovery.h"
#include "pd-error.h"
#include "pd-worker.h"

typedef struct {
	gchar *name;
	PdPlugin *plugin; /* weak: the plugin owns its discoveries */
} PdDiscoveryPrivate;

G_DEFINE_TYPE_WITH_PRIVATE(PdDiscovery, pd_discovery, G_TYPE_OBJECT)
#define GET_PRIVATE(o) ((PdDiscoveryPrivate *)pd_discovery_get_instance_private(o))

enum { PROP_0, PROP_NAME, PROP_LAST };
static GParamSpec *props[PROP_LAST] = { NULL };

const gchar *
pd_discovery_get_name(PdDiscovery *self)
{
	g_return_val_if_fail(PD_IS_DISCOVERY(self), NULL);
	return GET_PRIVATE(self)->name;
}

PdPlugin *
pd_discovery_get_plugin(PdDiscovery *self)
{
	g_return_val_if_fail(PD_IS_DISCOVERY(self), NULL);
	return GET_PRIVATE(self)->plugin;
}

void
pd_discovery_set_plugin(PdDiscovery *self, PdPlugin *plugin)
{
	g_return_if_fail(PD_IS_DISCOVERY(self));
	GET_PRIVATE(self)->plugin = plugin;
}

typedef struct {
	gchar *param;
	PdCycleCache *cache;
} PdDiscoverData;

static void
pd_discover_data_free(PdDiscoverData *data)
{
	g_free(data->param);
	g_free(data);
}

static void
pd_discovery_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	PdDiscovery *self = PD_DISCOVERY(source);
	PdDiscoverData *data = task_data;
	g_autoptr(GError) error = NULL;
	GPtrArray *res;

	res = PD_DISCOVERY_GET_CLASS(self)->discover(
	  self, data->param, data->cache, cancellable, &error);
	if (res == NULL) {
		if (error == NULL)
			g_set_error(&error, PD_ERROR, PD_ERROR_INTERNAL, "failed without an error");
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_pointer(task, res, (GDestroyNotify)g_ptr_array_unref);
}

static void
pd_discovery_real_discover_async(PdDiscovery *self,
				 const gchar *param,
				 PdCycleCache *cache,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	PdDiscoverData *data;

	if (PD_DISCOVERY_GET_CLASS(self)->discover == NULL) {
		g_task_return_new_error(
		  task,
		  PD_ERROR,
		  PD_ERROR_INTERNAL,
		  "discovery %s implements neither discover nor discover_async",
		  pd_discovery_get_name(self));
		return;
	}
	data = g_new0(PdDiscoverData, 1);
	data->param = g_strdup(param);
	data->cache = cache;
	g_task_set_task_data(task, data, (GDestroyNotify)pd_discover_data_free);
	pd_worker_run(task, pd_discovery_thread);
}

static GPtrArray *
pd_discovery_real_discover_finish(PdDiscovery *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

void
pd_discovery_discover_async(PdDiscovery *self,
			    const gchar *param,
			    PdCycleCache *cache,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data)
{
	g_return_if_fail(PD_IS_DISCOVERY(self));
	PD_DISCOVERY_GET_CLASS(self)->discover_async(
	  self, param, cache, cancellable, callback, user_data);
}

GPtrArray *
pd_discovery_discover_finish(PdDiscovery *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(PD_IS_DISCOVERY(self), NULL);
	return PD_DISCOVERY_GET_CLASS(self)->discover_finish(self, res, error);
}

static void
pd_discovery_get_property(GObject *obj, guint prop_id, GValue *value, GParamSpec *pspec)
{
	PdDiscoveryPrivate *priv = GET_PRIVATE(PD_DISCOVERY(obj));
	switch (prop_id) {
		case PROP_NAME:
			g_value_set_string(value, priv->name);
			break;
		default:
			G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, prop_id, pspec);
	}
}

static void
pd_discovery_set_property(GObject *obj, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	PdDiscoveryPrivate *priv = GET_PRIVATE(PD_DISCOVERY(obj));
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
pd_discovery_finalize(GObject *obj)
{
	PdDiscoveryPrivate *priv = GET_PRIVATE(PD_DISCOVERY(obj));
	g_free(priv->name);
	G_OBJECT_CLASS(pd_discovery_parent_class)->finalize(obj);
}

static void
pd_discovery_init(PdDiscovery *self)
{
}

static void
pd_discovery_class_init(PdDiscoveryClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->get_property = pd_discovery_get_property;
	object_class->set_property = pd_discovery_set_property;
	object_class->finalize = pd_discovery_finalize;
	klass->discover_async = pd_discovery_real_discover_async;
	klass->discover_finish = pd_discovery_real_discover_finish;

	props[PROP_NAME] =
	  g_param_spec_string("name",
			      NULL,
			      NULL,
			      NULL,
			      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, props);
}
