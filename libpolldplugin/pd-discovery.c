/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdDiscovery"

#include "config.h"

#include "pd-discovery-private.h"
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

/* Parts go to the caller's main context in the order they were added, each
 * in an idle of the default priority, so all of them are dispatched before
 * the GTask's result (returned after the last add, in an idle of the same
 * priority). Without a part function they are kept for the result. */
struct _PdDiscoveryParts {
	gint ref_count; /* atomic */
	GMainContext *context;
	PdDiscoveryPartFunc func;
	PdDiscoveryFilterFunc filter; /* NULL: the caller takes everything */
	gpointer data;
	GMutex lock;
	GPtrArray *kept; /* PdResource, when there is no func */
};

/* A part's done notification: the part holds it until it is dispatched or
 * dropped, each worker-thread invocation its part function started until it
 * returned (pd_discovery_part_hold()); the last to let go calls it. */
struct _PdDiscoveryPartDone {
	gint holds; /* atomic */
	gboolean dispatched;
	PdDiscoveryPartDoneFunc func;
	gpointer data;
};

typedef struct {
	PdDiscoveryParts *parts;
	GPtrArray *resources;
	PdDiscoveryAcceptedFunc accepted_func; /* the discovery's, or NULL */
	gpointer accepted_data;
	PdDiscoveryPartDone *done; /* or NULL */
} PdDiscoveryPart;

/* the part whose part function runs on this thread, or NULL */
static GPrivate pd_discovery_current_part;

static PdDiscoveryParts *
pd_discovery_parts_new(GMainContext *context,
		       PdDiscoveryFilterFunc filter,
		       PdDiscoveryPartFunc func,
		       gpointer data)
{
	PdDiscoveryParts *parts = g_new0(PdDiscoveryParts, 1);

	parts->ref_count = 1;
	parts->context = context != NULL ? g_main_context_ref(context) : NULL;
	parts->func = func;
	parts->filter = filter;
	parts->data = data;
	g_mutex_init(&parts->lock);
	if (func == NULL)
		parts->kept = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	return parts;
}

static void
pd_discovery_parts_unref(PdDiscoveryParts *parts)
{
	if (!g_atomic_int_dec_and_test(&parts->ref_count))
		return;
	if (parts->context != NULL)
		g_main_context_unref(parts->context);
	if (parts->kept != NULL)
		g_ptr_array_unref(parts->kept);
	g_mutex_clear(&parts->lock);
	g_free(parts);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDiscoveryParts, pd_discovery_parts_unref)

/* the discovery learns what the caller keeps before the caller polls it */
static void
pd_discovery_part_accept(PdDiscoveryPart *part)
{
	PdDiscoveryParts *parts = part->parts;
	g_autoptr(GPtrArray) accepted = NULL;

	if (parts->filter == NULL) {
		part->accepted_func(part->resources, part->accepted_data);
		return;
	}
	accepted = g_ptr_array_sized_new(part->resources->len);
	for (guint i = 0; i < part->resources->len; i++) {
		PdResource *res = g_ptr_array_index(part->resources, i);
		if (parts->filter(res, parts->data))
			g_ptr_array_add(accepted, res);
	}
	if (accepted->len > 0)
		part->accepted_func(accepted, part->accepted_data);
}

PdDiscoveryPartDone *
pd_discovery_part_hold(void)
{
	PdDiscoveryPart *part = g_private_get(&pd_discovery_current_part);

	if (part == NULL || part->done == NULL)
		return NULL;
	g_atomic_int_inc(&part->done->holds);
	return part->done;
}

void
pd_discovery_part_release(PdDiscoveryPartDone *done)
{
	if (done == NULL || !g_atomic_int_dec_and_test(&done->holds))
		return;
	done->func(done->dispatched, done->data);
	g_free(done);
}

static gboolean
pd_discovery_part_dispatch(gpointer user_data)
{
	PdDiscoveryPart *part = user_data;
	gpointer outer = g_private_get(&pd_discovery_current_part);

	if (part->accepted_func != NULL)
		pd_discovery_part_accept(part);
	g_private_set(&pd_discovery_current_part, part);
	part->parts->func(part->resources, part->parts->data);
	g_private_set(&pd_discovery_current_part, outer);
	if (part->done != NULL)
		part->done->dispatched = TRUE;
	return G_SOURCE_REMOVE;
}

/* after the dispatch, or instead of it (the source destroyed unrun) */
static void
pd_discovery_part_free(gpointer user_data)
{
	PdDiscoveryPart *part = user_data;

	pd_discovery_part_release(part->done);
	g_ptr_array_unref(part->resources);
	pd_discovery_parts_unref(part->parts);
	g_free(part);
}

void
pd_discovery_parts_add(PdDiscoveryParts *parts, GPtrArray *resources)
{
	pd_discovery_parts_add_accepted(parts, resources, NULL, NULL);
}

void
pd_discovery_parts_add_accepted(PdDiscoveryParts *parts,
				GPtrArray *resources,
				PdDiscoveryAcceptedFunc accepted_func,
				gpointer user_data)
{
	pd_discovery_parts_add_full(parts, resources, accepted_func, user_data, NULL, NULL);
}

void
pd_discovery_parts_add_full(PdDiscoveryParts *parts,
			    GPtrArray *resources,
			    PdDiscoveryAcceptedFunc accepted_func,
			    gpointer accepted_data,
			    PdDiscoveryPartDoneFunc done_func,
			    gpointer done_data)
{
	PdDiscoveryPart *part;
	GSource *idle;

	g_return_if_fail(parts != NULL);
	if (resources == NULL || resources->len == 0 || parts->func == NULL) {
		if (resources != NULL && parts->func == NULL) {
			g_mutex_lock(&parts->lock);
			for (guint i = 0; i < resources->len; i++)
				g_ptr_array_add(parts->kept,
						pd_resource_ref(g_ptr_array_index(resources, i)));
			g_mutex_unlock(&parts->lock);
		}
		if (done_func != NULL)
			done_func(FALSE, done_data);
		return;
	}
	part = g_new0(PdDiscoveryPart, 1);
	g_atomic_int_inc(&parts->ref_count);
	part->parts = parts;
	part->accepted_func = accepted_func;
	part->accepted_data = accepted_data;
	if (done_func != NULL) {
		part->done = g_new0(PdDiscoveryPartDone, 1);
		part->done->holds = 1;
		part->done->func = done_func;
		part->done->data = done_data;
	}
	part->resources = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	for (guint i = 0; i < resources->len; i++)
		g_ptr_array_add(part->resources, pd_resource_ref(g_ptr_array_index(resources, i)));
	idle = g_idle_source_new();
	g_source_set_priority(idle, G_PRIORITY_DEFAULT);
	g_source_set_callback(idle, pd_discovery_part_dispatch, part, pd_discovery_part_free);
	g_source_set_static_name(idle, "[polld] discovery part");
	g_source_attach(idle, parts->context);
	g_source_unref(idle);
}

typedef struct {
	gchar *param;
	PdCycleCache *cache;
	PdDiscoveryParts *parts;
} PdDiscoverData;

static void
pd_discover_data_free(PdDiscoverData *data)
{
	g_free(data->param);
	if (data->parts != NULL)
		pd_discovery_parts_unref(data->parts);
	g_free(data);
}

/* ->discover_parts for a caller that takes no parts: one result */
static GPtrArray *
pd_discovery_run_parts(PdDiscovery *self,
		       PdDiscoverData *data,
		       GCancellable *cancellable,
		       GError **error)
{
	PdDiscoveryClass *klass = PD_DISCOVERY_GET_CLASS(self);
	PdDiscoveryParts *parts = data->parts;
	g_autoptr(PdDiscoveryParts) own = NULL;
	GPtrArray *rest;

	if (parts == NULL)
		parts = own = pd_discovery_parts_new(NULL, NULL, NULL, NULL);
	rest = klass->discover_parts(self, data->param, data->cache, parts, cancellable, error);
	if (rest == NULL || parts->kept == NULL)
		return rest;
	g_mutex_lock(&parts->lock);
	for (guint i = 0; i < rest->len; i++)
		g_ptr_array_add(parts->kept, pd_resource_ref(g_ptr_array_index(rest, i)));
	g_ptr_array_unref(rest);
	rest = g_ptr_array_ref(parts->kept);
	g_mutex_unlock(&parts->lock);
	return rest;
}

static void
pd_discovery_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	PdDiscovery *self = PD_DISCOVERY(source);
	PdDiscoveryClass *klass = PD_DISCOVERY_GET_CLASS(self);
	PdDiscoverData *data = task_data;
	g_autoptr(GError) error = NULL;
	GPtrArray *res;

	if (klass->discover_parts != NULL)
		res = pd_discovery_run_parts(self, data, cancellable, &error);
	else
		res = klass->discover(self, data->param, data->cache, cancellable, &error);
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

	if (PD_DISCOVERY_GET_CLASS(self)->discover == NULL &&
	    PD_DISCOVERY_GET_CLASS(self)->discover_parts == NULL) {
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

void
pd_discovery_discover_parts_async(PdDiscovery *self,
				  const gchar *param,
				  PdCycleCache *cache,
				  PdDiscoveryPartFunc part_func,
				  gpointer part_data,
				  GCancellable *cancellable,
				  GAsyncReadyCallback callback,
				  gpointer user_data)
{
	pd_discovery_discover_parts_filtered_async(
	  self, param, cache, NULL, part_func, part_data, cancellable, callback, user_data);
}

void
pd_discovery_discover_parts_filtered_async(PdDiscovery *self,
					   const gchar *param,
					   PdCycleCache *cache,
					   PdDiscoveryFilterFunc filter_func,
					   PdDiscoveryPartFunc part_func,
					   gpointer part_data,
					   GCancellable *cancellable,
					   GAsyncReadyCallback callback,
					   gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	PdDiscoverData *data;

	g_return_if_fail(PD_IS_DISCOVERY(self));
	/* a discovery of its own making, or one that has no parts */
	if (PD_DISCOVERY_GET_CLASS(self)->discover_parts == NULL || part_func == NULL ||
	    PD_DISCOVERY_GET_CLASS(self)->discover_async != pd_discovery_real_discover_async) {
		pd_discovery_discover_async(self, param, cache, cancellable, callback, user_data);
		return;
	}
	task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, pd_discovery_discover_parts_async);
	data = g_new0(PdDiscoverData, 1);
	data->param = g_strdup(param);
	data->cache = cache;
	data->parts = pd_discovery_parts_new(
	  g_main_context_get_thread_default(), filter_func, part_func, part_data);
	g_task_set_task_data(task, data, (GDestroyNotify)pd_discover_data_free);
	pd_worker_run(task, pd_discovery_thread);
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

gboolean
pd_discovery_gives_each_once(PdDiscovery *self)
{
	PdDiscoveryClass *klass = PD_DISCOVERY_GET_CLASS(self);

	return klass->discover_parts != NULL &&
	       klass->discover_async == pd_discovery_real_discover_async;
}
