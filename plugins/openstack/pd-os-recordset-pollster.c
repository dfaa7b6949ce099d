/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include "pd-os-meters.h"
#include "pd-os-pager.h"
#include "pd-os-pollster.h"
#include "pd-os-recordset-pollster.h"
#include "pd-os-resource.h"

/* zones listed at once by one invocation */
#define PD_OS_RECORDSET_PARALLEL 8

/* upstream lists the recordsets with all_projects=True */
static const gchar *const pd_os_recordset_headers[] = { "X-Auth-All-Projects", "True", NULL };

struct _PdOsRecordsetPollster {
	PdPollster parent_instance;
	PdOsClient *client;
	PdOsNames *names;
};

G_DEFINE_TYPE(PdOsRecordsetPollster, pd_os_recordset_pollster, PD_TYPE_POLLSTER)

/* one invocation */
typedef struct {
	PdPollContext *ctx;
	GPtrArray *resources;
	gchar *endpoint;
	guint next;
	guint running;
	guint first;
	guint failed;
	GError *error; /* the first one */
} PdOsRecordsetRun;

static void
pd_os_recordset_run_free(PdOsRecordsetRun *run)
{
	g_ptr_array_unref(run->resources);
	g_free(run->endpoint);
	g_clear_error(&run->error);
	g_free(run);
}

/* one zone, its listing in progress */
typedef struct {
	GTask *task; /* the invocation's */
	PdResource *zone;
	PdOsReading reading; /* strings borrowed from the zone's node */
} PdOsRecordsetZone;

static void
pd_os_recordset_zone_free(PdOsRecordsetZone *z)
{
	pd_os_reading_clear(&z->reading);
	pd_resource_unref(z->zone);
	g_free(z);
}

static void
pd_os_recordset_pump(GTask *task);

/* a 404 is a zone deleted since the discovery: no sample, no fault; a 403
 * will not heal, so the zone is blacklisted; anything else fails this zone
 * this cycle */
static void
pd_os_recordset_zone_failed(PdOsRecordsetRun *run, PdResource *zone, const GError *error)
{
	const gchar *id = pd_resource_get_id(zone);

	if (g_error_matches(error, PD_OS_HTTP_ERROR, 404)) {
		g_message("DNS zone %s vanished, no recordset count: %s", id, error->message);
	} else if (g_error_matches(error, PD_OS_HTTP_ERROR, 403)) {
		g_warning("recordsets of DNS zone %s unreadable: %s", id, error->message);
		pd_poll_context_add_permanent_failure(run->ctx, zone, error->message);
	} else if (run->failed++ == 0) {
		run->error =
		  g_error_new(PD_ERROR, PD_ERROR_FAILED, "zone %s: %s", id, error->message);
	}
}

static void
pd_os_recordset_list_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdOsRecordsetZone *z = user_data;
	GTask *task = z->task;
	PdOsRecordsetRun *run = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) items = pd_os_pager_list_finish(res, &error);

	if (items != NULL) {
		PdSample *s = pd_pollster_add_sample(g_task_get_source_object(task),
						     run->ctx,
						     z->reading.resource_id,
						     NULL,
						     z->reading.project_id,
						     z->reading.metadata);
		pd_sample_set_int(s, items->len);
	} else {
		pd_os_recordset_zone_failed(run, z->zone, error);
	}
	run->running--;
	pd_os_recordset_zone_free(z);
	pd_os_recordset_pump(task);
}

/* FALSE with @error when @zone is not a zone object of our discovery */
static gboolean
pd_os_recordset_start_zone(GTask *task, PdResource *zone, GError **error)
{
	PdOsRecordsetPollster *self = g_task_get_source_object(task);
	PdOsRecordsetRun *run = g_task_get_task_data(task);
	JsonNode *node = pd_os_resource_get_node(zone);
	PdOsRecordsetZone *z;
	g_autofree gchar *escaped = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *url = NULL;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_FAILED,
			    "resource %s is no dns_zones object (wrong discovery for this meter?)",
			    pd_resource_get_id(zone));
		return FALSE;
	}
	z = g_new0(PdOsRecordsetZone, 1);
	if (!pd_os_zone_read_ids(json_node_get_object(node), &z->reading, error)) {
		g_prefix_error(error, "%s: ", pd_resource_get_id(zone));
		pd_os_reading_clear(&z->reading);
		g_free(z);
		return FALSE;
	}
	z->task = task;
	z->zone = pd_resource_ref(zone);
	escaped = g_uri_escape_string(z->reading.resource_id, NULL, TRUE);
	path = g_strdup_printf("/zones/%s/recordsets", escaped);
	url = pd_os_url_join(run->endpoint, "v2", path);
	run->running++;
	pd_os_pager_list_async(self->client,
			       run->endpoint,
			       url,
			       "recordsets",
			       pd_os_recordset_headers,
			       g_task_get_cancellable(task),
			       pd_os_recordset_list_cb,
			       z);
	return TRUE;
}

static void
pd_os_recordset_pump(GTask *task)
{
	PdOsRecordsetPollster *self = g_task_get_source_object(task);
	PdOsRecordsetRun *run = g_task_get_task_data(task);
	GError *error;

	while (run->running < PD_OS_RECORDSET_PARALLEL && run->next < run->resources->len) {
		g_autoptr(GError) local = NULL;
		if (!pd_os_recordset_start_zone(
		      task, g_ptr_array_index(run->resources, run->next++), &local) &&
		    run->failed++ == 0)
			run->error = g_steal_pointer(&local);
	}
	if (run->running > 0)
		return;
	error = g_steal_pointer(&run->error);
	if (error != NULL && run->failed > 1)
		g_prefix_error(
		  &error, "%u of %u zones failed, first: ", run->failed, run->resources->len);
	pd_os_pollster_finish_task(task, self->names, run->ctx, run->first, error);
}

static void
pd_os_recordset_endpoints_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	/* NULL: the task is completed and gone, run with it */
	gchar *endpoint =
	  pd_os_pollster_task_endpoint(task, PD_OS_CLIENT(source), res, "designate", "Designate");
	PdOsRecordsetRun *run;

	if (endpoint == NULL)
		return;
	run = g_task_get_task_data(task);
	run->endpoint = endpoint;
	pd_os_recordset_pump(task);
}

static void
pd_os_recordset_pollster_poll_async(PdPollster *pollster,
				    PdPollContext *ctx,
				    GPtrArray *resources,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data)
{
	PdOsRecordsetPollster *self = PD_OS_RECORDSET_POLLSTER(pollster);
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	PdOsRecordsetRun *run = g_new0(PdOsRecordsetRun, 1);

	run->ctx = ctx;
	run->resources = g_ptr_array_ref(resources);
	run->first = pd_sample_batch_get_size(pd_poll_context_get_batch(ctx));
	g_task_set_task_data(task, run, (GDestroyNotify)pd_os_recordset_run_free);
	if (self->client == NULL) {
		g_task_return_new_error(
		  task, PD_ERROR, PD_ERROR_NOT_READY, "the openstack plugin is not started");
		g_object_unref(task);
		return;
	}
	if (resources->len == 0) {
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	pd_os_client_get_endpoints_async(self->client,
					 pd_os_client_get_service_type(self->client, "designate"),
					 NULL,
					 pd_os_recordset_endpoints_cb,
					 task);
}

static gboolean
pd_os_recordset_pollster_poll_finish(PdPollster *pollster, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
pd_os_recordset_pollster_set_client(PdOsRecordsetPollster *self,
				    PdOsClient *client,
				    PdOsNames *names)
{
	g_set_object(&self->client, client);
	g_set_object(&self->names, names);
}

PdPollster *
pd_os_recordset_pollster_new(void)
{
	return g_object_new(PD_TYPE_OS_RECORDSET_POLLSTER,
			    "name",
			    "dns.zone.recordsets",
			    "namespace",
			    "central",
			    "default-discovery",
			    "dns_zones",
			    "unit",
			    "recordset",
			    "sample-type",
			    PD_SAMPLE_TYPE_GAUGE,
			    NULL);
}

static void
pd_os_recordset_pollster_finalize(GObject *obj)
{
	PdOsRecordsetPollster *self = PD_OS_RECORDSET_POLLSTER(obj);
	g_clear_object(&self->client);
	g_clear_object(&self->names);
	G_OBJECT_CLASS(pd_os_recordset_pollster_parent_class)->finalize(obj);
}

static void
pd_os_recordset_pollster_init(PdOsRecordsetPollster *self)
{
}

static void
pd_os_recordset_pollster_class_init(PdOsRecordsetPollsterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_os_recordset_pollster_finalize;
	PD_POLLSTER_CLASS(klass)->poll_async = pd_os_recordset_pollster_poll_async;
	PD_POLLSTER_CLASS(klass)->poll_finish = pd_os_recordset_pollster_poll_finish;
}
