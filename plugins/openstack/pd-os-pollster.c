/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include "pd-os-pollster.h"
#include "pd-os-resource.h"

struct _PdOsPollster {
	PdPollster parent_instance;
	const PdOsMeter *meter;
	PdOsNames *names;
};

G_DEFINE_TYPE(PdOsPollster, pd_os_pollster, PD_TYPE_POLLSTER)

static void
pd_os_pollster_names_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GError *error = g_object_steal_data(G_OBJECT(task), "pd-os-error");

	pd_os_names_fill_finish(PD_OS_NAMES(source), res);
	if (error != NULL)
		g_task_return_error(task, error);
	else
		g_task_return_boolean(task, TRUE);
}

void
pd_os_pollster_finish_task(GTask *task,
			   PdOsNames *names,
			   PdPollContext *ctx,
			   guint first,
			   GError *error)
{
	PdSampleBatch *batch = pd_poll_context_get_batch(ctx);

	if (names == NULL || pd_sample_batch_get_size(batch) <= first) {
		if (error != NULL)
			g_task_return_error(task, error);
		else
			g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	if (error != NULL)
		g_object_set_data_full(
		  G_OBJECT(task), "pd-os-error", error, (GDestroyNotify)g_error_free);
	pd_os_names_fill_async(names, batch, first, pd_os_pollster_names_cb, task);
}

gchar *
pd_os_pollster_task_endpoint(GTask *task,
			     PdOsClient *client,
			     GAsyncResult *res,
			     const gchar *service,
			     const gchar *label)
{
	GError *error = NULL;
	gchar *endpoint = pd_os_client_first_endpoint_finish(client, res, service, label, &error);

	if (endpoint != NULL)
		return endpoint;
	/* no endpoint in the catalog: nothing to poll */
	if (error != NULL)
		g_task_return_error(task, error);
	else
		g_task_return_boolean(task, TRUE);
	g_object_unref(task);
	return NULL;
}

/* FALSE when @res gave no sample; @error set when that is a fault */
static gboolean
pd_os_pollster_poll_one(PdOsPollster *self,
			PdPollContext *ctx,
			PdCeilometerRelease release,
			PdResource *res,
			GError **error)
{
	JsonNode *node = pd_os_resource_get_node(res);
	PdOsReading reading = { 0 };
	PdSample *sample;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_FAILED,
			    "resource %s is no %s object (wrong discovery for this meter?)",
			    pd_resource_get_id(res),
			    self->meter->discovery);
		return FALSE;
	}
	if (!self->meter->func(self->meter, release, json_node_get_object(node), &reading, error))
		return FALSE;
	sample = pd_poll_context_add_sample(ctx,
					    self->meter->name,
					    PD_SAMPLE_TYPE_GAUGE,
					    pd_os_meters_unit(self->meter, release),
					    reading.resource_id,
					    reading.user_id,
					    reading.project_id,
					    reading.metadata);
	if (reading.has_volume)
		pd_os_number_set_sample(&reading.volume, sample);
	pd_os_reading_clear(&reading);
	return TRUE;
}

static void
pd_os_pollster_poll_async(PdPollster *pollster,
			  PdPollContext *ctx,
			  GPtrArray *resources,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data)
{
	PdOsPollster *self = PD_OS_POLLSTER(pollster);
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	guint first = pd_sample_batch_get_size(pd_poll_context_get_batch(ctx));
	GError *first_error = NULL;
	guint failed = 0;
	PdCeilometerRelease release;

	/* read every cycle, so a reload applies it */
	pd_config_get_ceilometer_compat(pd_poll_context_get_config(ctx), &release, NULL);

	for (guint i = 0; i < resources->len; i++) {
		PdResource *res = g_ptr_array_index(resources, i);
		g_autoptr(GError) error = NULL;
		if (pd_os_pollster_poll_one(self, ctx, release, res, &error) || error == NULL)
			continue;
		g_debug("%s: skipping %s: %s",
			self->meter->name,
			pd_resource_get_id(res),
			error->message);
		if (failed++ == 0)
			first_error = g_error_new(PD_ERROR,
						  PD_ERROR_FAILED,
						  "%s: %s",
						  pd_resource_get_id(res),
						  error->message);
	}
	if (first_error != NULL) {
		GError *summary = g_error_new(PD_ERROR,
					      PD_ERROR_FAILED,
					      "%u of %u resources unusable, first: %s",
					      failed,
					      resources->len,
					      first_error->message);
		g_error_free(first_error);
		first_error = summary;
	}
	pd_os_pollster_finish_task(task, self->names, ctx, first, first_error);
}

static gboolean
pd_os_pollster_poll_finish(PdPollster *pollster, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
pd_os_pollster_set_names(PdOsPollster *self, PdOsNames *names)
{
	g_set_object(&self->names, names);
}

PdPollster *
pd_os_pollster_new(const PdOsMeter *meter)
{
	PdOsPollster *self = g_object_new(PD_TYPE_OS_POLLSTER,
					  "name",
					  meter->name,
					  "namespace",
					  "central",
					  "default-discovery",
					  meter->discovery,
					  "unit",
					  meter->unit,
					  "sample-type",
					  PD_SAMPLE_TYPE_GAUGE,
					  NULL);
	self->meter = meter;
	return PD_POLLSTER(self);
}

/* what GetPollsters shows: the unit its samples carry */
static const gchar *
pd_os_pollster_get_unit_for(PdPollster *pollster, PdConfig *config)
{
	PdCeilometerRelease release;

	pd_config_get_ceilometer_compat(config, &release, NULL);
	return pd_os_meters_unit(PD_OS_POLLSTER(pollster)->meter, release);
}

static void
pd_os_pollster_finalize(GObject *obj)
{
	g_clear_object(&PD_OS_POLLSTER(obj)->names);
	G_OBJECT_CLASS(pd_os_pollster_parent_class)->finalize(obj);
}

static void
pd_os_pollster_init(PdOsPollster *self)
{
}

static void
pd_os_pollster_class_init(PdOsPollsterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_os_pollster_finalize;
	PD_POLLSTER_CLASS(klass)->poll_async = pd_os_pollster_poll_async;
	PD_POLLSTER_CLASS(klass)->poll_finish = pd_os_pollster_poll_finish;
	PD_POLLSTER_CLASS(klass)->get_unit_for = pd_os_pollster_get_unit_for;
}
