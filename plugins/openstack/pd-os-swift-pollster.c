/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include "config.h"

#include <string.h>

#include "pd-os-json.h"
#include "pd-os-pollster.h"
#include "pd-os-swift-pollster.h"

/* accounts asked at once by one invocation */
#define PD_OS_SWIFT_PARALLEL 8

typedef struct {
	const gchar *name;
	const gchar *unit;
	const gchar *header; /* HEAD meters; NULL: container listing */
	const gchar *field;  /* listing meters */
} PdOsSwiftMeter;

static const PdOsSwiftMeter pd_os_swift_meters[] = {
    {"storage.objects", "object", "X-Account-Object-Count", NULL},
    {"storage.objects.size", "B", "X-Account-Bytes-Used", NULL},
    {"storage.objects.containers", "container", "X-Account-Container-Count", NULL},
    {"storage.containers.objects", "object", NULL, "count"},
    {"storage.containers.objects.size", "B", NULL, "bytes"},
};

const gchar *const pd_os_swift_meter_names[] = {
    "storage.objects", "storage.objects.size", "storage.objects.containers", "storage.containers.objects",
    "storage.containers.objects.size", NULL,
};

struct _PdOsSwiftPollster {
	PdPollster parent_instance;
	const PdOsSwiftMeter *meter;
	PdOsClient *client;
	PdOsNames *names;
};

G_DEFINE_TYPE(PdOsSwiftPollster, pd_os_swift_pollster, PD_TYPE_POLLSTER)

/* one invocation */
typedef struct {
	PdPollContext *ctx;
	GPtrArray *resources;
	gchar *endpoint;
	gchar *prefix;
	guint next;
	guint running;
	guint first;
	guint failed;
	GError *error; /* the first one */
} PdOsSwiftRun;

static void
pd_os_swift_run_free(PdOsSwiftRun *run)
{
	g_ptr_array_unref(run->resources);
	g_free(run->endpoint);
	g_free(run->prefix);
	g_clear_error(&run->error);
	g_free(run);
}

/* one account, one listing in progress */
typedef struct {
	GTask *task; /* the invocation's */
	PdResource *tenant;
	gchar *url;
	gchar *marker;
} PdOsSwiftAccount;

static void
pd_os_swift_account_free(PdOsSwiftAccount *acc)
{
	pd_resource_unref(acc->tenant);
	g_free(acc->url);
	g_free(acc->marker);
	g_free(acc);
}

gchar *
pd_os_swift_account_url(const gchar *endpoint, const gchar *reseller_prefix, const gchar *project_id)
{
	const gchar *v1 = strstr(endpoint, "/v1");
	g_autofree gchar *root = v1 != NULL ? g_strndup(endpoint, (gsize)(v1 - endpoint)) : g_strdup(endpoint);
	gsize len = strlen(root);
	g_autofree gchar *escaped = g_uri_escape_string(project_id, NULL, TRUE);

	while (len > 0 && root[len - 1] == '/')
		root[--len] = '\0';
	return g_strdup_printf("%s/v1/%s%s", root, reseller_prefix, escaped);
}

static void
pd_os_swift_pump(GTask *task);

static void
pd_os_swift_account_done(PdOsSwiftAccount *acc, GError *error)
{
	GTask *task = acc->task;
	PdOsSwiftRun *run = g_task_get_task_data(task);
	const gchar *id = pd_resource_get_id(acc->tenant);

	if (error != NULL && (g_error_matches(error, PD_OS_HTTP_ERROR, 404) ||
			      g_error_matches(error, PD_OS_HTTP_ERROR, 403))) {
		g_warning("Swift account of project %s unusable: %s", id, error->message);
		pd_poll_context_add_permanent_failure(run->ctx, acc->tenant, error->message);
	} else if (error != NULL) {
		if (run->failed++ == 0)
			run->error = g_error_new(PD_ERROR, PD_ERROR_FAILED, "project %s: %s", id, error->message);
	}
	if (error != NULL)
		g_error_free(error);
	run->running--;
	pd_os_swift_account_free(acc);
	pd_os_swift_pump(task);
}

static void
pd_os_swift_add_sample(GTask *task, const gchar *resource_id, const gchar *project_id, gint64 value)
{
	PdOsSwiftPollster *self = g_task_get_source_object(task);
	PdOsSwiftRun *run = g_task_get_task_data(task);
	PdSample *s = pd_pollster_add_sample(PD_POLLSTER(self), run->ctx, resource_id, NULL, project_id, NULL);
	pd_sample_set_int(s, value);
}

static void
pd_os_swift_head_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdOsSwiftAccount *acc = user_data;
	PdOsSwiftPollster *self = g_task_get_source_object(acc->task);
	GError *error = NULL;
	g_autoptr(PdOsResponse) resp = pd_os_client_request_finish(PD_OS_CLIENT(source), res, &error);
	const gchar *text = NULL;
	gint64 value = 0;

	if (resp != NULL) {
		text = soup_message_headers_get_one(resp->headers, self->meter->header);
		if (text == NULL || !g_ascii_string_to_signed(text, 10, 0, G_MAXINT64, &value, NULL))
			error = g_error_new(PD_ERROR, PD_ERROR_FAILED, "HEAD %s: %s is %s%s%s", acc->url,
					    self->meter->header, text != NULL ? "'" : "missing",
					    text != NULL ? text : "", text != NULL ? "', not a count" : "");
		else
			pd_os_swift_add_sample(acc->task, pd_resource_get_id(acc->tenant),
					       pd_resource_get_id(acc->tenant), value);
	}
	pd_os_swift_account_done(acc, error);
}

static void
pd_os_swift_list_page(PdOsSwiftAccount *acc);

/* one page of containers; FALSE when the listing is over */
static gboolean
pd_os_swift_take_containers(PdOsSwiftAccount *acc, JsonNode *body, GError **error)
{
	PdOsSwiftPollster *self = g_task_get_source_object(acc->task);
	const gchar *project = pd_resource_get_id(acc->tenant);
	JsonArray *list = body != NULL && JSON_NODE_HOLDS_ARRAY(body) ? json_node_get_array(body) : NULL;
	guint n = list != NULL ? json_array_get_length(list) : 0;

	if (list == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "GET %s: the answer is not a list", acc->url);
		return FALSE;
	}
	for (guint i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(list, i);
		JsonObject *c = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
		const gchar *name = pd_os_json_get_string(c, "name");
		PdOsNumber num;
		g_autofree gchar *rid = NULL;

		if (name == NULL || !pd_os_json_get_number(c, self->meter->field, &num) || num.is_double) {
			g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "GET %s: container %u lacks a name or an integer '%s'",
				    acc->url, i, self->meter->field);
			return FALSE;
		}
		rid = g_strdup_printf("%s/%s", project, name);
		pd_os_swift_add_sample(acc->task, rid, project, num.i);
		g_free(acc->marker);
		acc->marker = g_strdup(name);
	}
	return n > 0;
}

static void
pd_os_swift_list_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdOsSwiftAccount *acc = user_data;
	GError *error = NULL;
	g_autoptr(PdOsResponse) resp = pd_os_client_request_finish(PD_OS_CLIENT(source), res, &error);

	/* 204 No Content: an account without containers */
	if (resp != NULL && resp->status != 204 && pd_os_swift_take_containers(acc, resp->body, &error)) {
		pd_os_swift_list_page(acc);
		return;
	}
	pd_os_swift_account_done(acc, error);
}

static void
pd_os_swift_list_page(PdOsSwiftAccount *acc)
{
	PdOsSwiftPollster *self = g_task_get_source_object(acc->task);
	g_autofree gchar *escaped = acc->marker != NULL ? g_uri_escape_string(acc->marker, NULL, TRUE) : NULL;
	g_autofree gchar *url = g_strdup_printf("%s?format=json%s%s", acc->url, escaped != NULL ? "&marker=" : "",
						escaped != NULL ? escaped : "");

	pd_os_client_request_async(self->client, "GET", url, NULL, PD_OS_REQUEST_JSON, NULL, pd_os_swift_list_cb,
				   acc);
}

static void
pd_os_swift_start_account(GTask *task, PdResource *tenant)
{
	PdOsSwiftPollster *self = g_task_get_source_object(task);
	PdOsSwiftRun *run = g_task_get_task_data(task);
	PdOsSwiftAccount *acc = g_new0(PdOsSwiftAccount, 1);

	acc->task = task;
	acc->tenant = pd_resource_ref(tenant);
	acc->url = pd_os_swift_account_url(run->endpoint, run->prefix, pd_resource_get_id(tenant));
	run->running++;
	if (self->meter->header != NULL)
		pd_os_client_request_async(self->client, "HEAD", acc->url, NULL, PD_OS_REQUEST_NONE, NULL,
					   pd_os_swift_head_cb, acc);
	else
		pd_os_swift_list_page(acc);
}

static void
pd_os_swift_pump(GTask *task)
{
	PdOsSwiftPollster *self = g_task_get_source_object(task);
	PdOsSwiftRun *run = g_task_get_task_data(task);
	GError *error;

	while (run->running < PD_OS_SWIFT_PARALLEL && run->next < run->resources->len)
		pd_os_swift_start_account(task, g_ptr_array_index(run->resources, run->next++));
	if (run->running > 0)
		return;
	error = g_steal_pointer(&run->error);
	if (error != NULL && run->failed > 1)
		g_prefix_error(&error, "%u projects failed, first: ", run->failed);
	pd_os_pollster_finish_task(task, self->names, run->ctx, run->first, error);
}

static void
pd_os_swift_endpoints_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdOsSwiftPollster *self = g_task_get_source_object(task);
	PdOsSwiftRun *run = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) urls = pd_os_client_get_endpoints_finish(PD_OS_CLIENT(source), res, &error);
	const gchar *type = pd_os_client_get_service_type(self->client, "swift");

	if (urls == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		g_object_unref(task);
		return;
	}
	if (urls[0] == NULL) {
		if (pd_os_client_note_missing(self->client, type))
			g_warning("Swift endpoint not found: service type '%s' is not in the Keystone catalog", type);
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	run->endpoint = g_strdup(urls[0]);
	pd_os_swift_pump(task);
}

static void
pd_os_swift_pollster_poll_async(PdPollster *pollster,
				PdPollContext *ctx,
				GPtrArray *resources,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	PdOsSwiftPollster *self = PD_OS_SWIFT_POLLSTER(pollster);
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	PdOsSwiftRun *run = g_new0(PdOsSwiftRun, 1);
	PdConfig *config = pd_poll_context_get_config(ctx);

	run->ctx = ctx;
	run->resources = g_ptr_array_ref(resources);
	run->prefix = g_strdup(pd_config_get_string(config, NULL, "reseller_prefix", "AUTH_"));
	run->first = pd_sample_batch_get_size(pd_poll_context_get_batch(ctx));
	g_task_set_task_data(task, run, (GDestroyNotify)pd_os_swift_run_free);
	if (self->client == NULL) {
		g_task_return_new_error(task, PD_ERROR, PD_ERROR_NOT_READY, "the openstack plugin is not started");
		g_object_unref(task);
		return;
	}
	pd_os_client_get_endpoints_async(self->client, pd_os_client_get_service_type(self->client, "swift"), NULL,
					 pd_os_swift_endpoints_cb, task);
}

static gboolean
pd_os_swift_pollster_poll_finish(PdPollster *pollster, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
pd_os_swift_pollster_set_client(PdOsSwiftPollster *self, PdOsClient *client, PdOsNames *names)
{
	g_set_object(&self->client, client);
	g_set_object(&self->names, names);
}

PdPollster *
pd_os_swift_pollster_new(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_os_swift_meters); i++) {
		PdOsSwiftPollster *self;
		if (g_strcmp0(pd_os_swift_meters[i].name, name) != 0)
			continue;
		self = g_object_new(PD_TYPE_OS_SWIFT_POLLSTER,
				    "name", name,
				    "namespace", "central",
				    "default-discovery", "tenant",
				    "unit", pd_os_swift_meters[i].unit,
				    "sample-type", PD_SAMPLE_TYPE_GAUGE,
				    NULL);
		self->meter = &pd_os_swift_meters[i];
		return PD_POLLSTER(self);
	}
	g_return_val_if_reached(NULL);
}

static void
pd_os_swift_pollster_finalize(GObject *obj)
{
	PdOsSwiftPollster *self = PD_OS_SWIFT_POLLSTER(obj);
	g_clear_object(&self->client);
	g_clear_object(&self->names);
	G_OBJECT_CLASS(pd_os_swift_pollster_parent_class)->finalize(obj);
}

static void
pd_os_swift_pollster_init(PdOsSwiftPollster *self)
{
}

static void
pd_os_swift_pollster_class_init(PdOsSwiftPollsterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_os_swift_pollster_finalize;
	PD_POLLSTER_CLASS(klass)->poll_async = pd_os_swift_pollster_poll_async;
	PD_POLLSTER_CLASS(klass)->poll_finish = pd_os_swift_pollster_poll_finish;
}
