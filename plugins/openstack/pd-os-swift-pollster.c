/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include <string.h>

#include "pd-os-json.h"
#include "pd-os-pollster.h"
#include "pd-os-projects.h"
#include "pd-os-swift-fetch.h"
#include "pd-os-swift-pollster.h"

typedef struct {
	const gchar *name;
	const gchar *unit;
	const gchar *header; /* HEAD meters; NULL: container listing */
	const gchar *field;  /* listing meters */
} PdOsSwiftMeter;

static const PdOsSwiftMeter pd_os_swift_meters[] = {
	{ "storage.objects", "object", "X-Account-Object-Count", NULL },
	{ "storage.objects.size", "B", "X-Account-Bytes-Used", NULL },
	{ "storage.objects.containers", "container", "X-Account-Container-Count", NULL },
	{ "storage.containers.objects", "object", NULL, "count" },
	{ "storage.containers.objects.size", "B", NULL, "bytes" },
};

const gchar *const pd_os_swift_meter_names[] = {
	"storage.objects",
	"storage.objects.size",
	"storage.objects.containers",
	"storage.containers.objects",
	"storage.containers.objects.size",
	NULL,
};

struct _PdOsSwiftPollster {
	PdPollster parent_instance;
	const PdOsSwiftMeter *meter;
	PdOsClient *client;
	PdOsNames *names;
	GHashTable *warned; /* the plugin's, shared by its Swift pollsters */
};

G_DEFINE_TYPE(PdOsSwiftPollster, pd_os_swift_pollster, PD_TYPE_POLLSTER)

/* one invocation */
typedef struct {
	PdOsProjects projects; /* one account each */
	gchar *endpoint;
	gchar *prefix;
} PdOsSwiftRun;

static void
pd_os_swift_run_free(PdOsSwiftRun *run)
{
	pd_os_projects_clear(&run->projects);
	g_free(run->endpoint);
	g_free(run->prefix);
	g_free(run);
}

/* one account, one listing in progress */
typedef struct {
	GTask *task; /* the invocation's */
	PdResource *tenant;
	gchar *url;
} PdOsSwiftAccount;

gchar *
pd_os_swift_account_url(const gchar *endpoint,
			const gchar *reseller_prefix,
			const gchar *project_id)
{
	const gchar *v1 = strstr(endpoint, "/v1");
	g_autofree gchar *root =
	  v1 != NULL ? g_strndup(endpoint, (gsize)(v1 - endpoint)) : g_strdup(endpoint);
	gsize len = strlen(root);
	g_autofree gchar *escaped = g_uri_escape_string(project_id, NULL, TRUE);

	while (len > 0 && root[len - 1] == '/')
		root[--len] = '\0';
	return g_strdup_printf("%s/v1/%s%s", root, reseller_prefix, escaped);
}

/* the five Swift pollsters see the same account fail, cycle after cycle
 * while it is re-probed: the warning goes out once per project until the
 * account answers again (the set is the plugin's; the lock guards every one) */
G_LOCK_DEFINE_STATIC(pd_os_swift_warned);

static gboolean
pd_os_swift_first_warning(PdOsSwiftPollster *self, const gchar *id)
{
	gboolean first;

	if (self->warned == NULL)
		return TRUE;
	G_LOCK(pd_os_swift_warned);
	first = g_hash_table_add(self->warned, g_strdup(id));
	G_UNLOCK(pd_os_swift_warned);
	return first;
}

static void
pd_os_swift_answered(PdOsSwiftPollster *self, const gchar *id)
{
	if (self->warned == NULL)
		return;
	G_LOCK(pd_os_swift_warned);
	g_hash_table_remove(self->warned, id);
	G_UNLOCK(pd_os_swift_warned);
}

static void
pd_os_swift_account_done(PdOsSwiftAccount *acc, GError *error)
{
	GTask *task = acc->task;
	PdOsSwiftRun *run = g_task_get_task_data(task);
	PdOsSwiftPollster *self = g_task_get_source_object(task);
	g_autoptr(PdResource) tenant = acc->tenant;
	const gchar *id = pd_resource_get_id(tenant);

	if (error == NULL)
		pd_os_swift_answered(self, id);
	if (error != NULL && (g_error_matches(error, PD_OS_HTTP_ERROR, 404) ||
			      g_error_matches(error, PD_OS_HTTP_ERROR, 403))) {
		if (pd_os_swift_first_warning(self, id))
			g_warning("Swift account of project %s unusable: %s; asked again with "
				  "back-off, logged once",
				  id,
				  error->message);
		pd_poll_context_add_permanent_failure(run->projects.ctx, tenant, error->message);
		g_clear_error(&error);
	}
	g_free(acc->url);
	g_free(acc);
	pd_os_projects_done(&run->projects, task, self->names, tenant, error);
}

static void
pd_os_swift_add_sample(GTask *task,
		       const gchar *resource_id,
		       const gchar *project_id,
		       gint64 value,
		       PdMetadata *metadata)
{
	PdOsSwiftPollster *self = g_task_get_source_object(task);
	PdOsSwiftRun *run = g_task_get_task_data(task);
	PdSample *s = pd_pollster_add_sample(
	  PD_POLLSTER(self), run->projects.ctx, resource_id, NULL, project_id, metadata);
	pd_sample_set_int(s, value);
}

/* a container's metadata: none in Zed; its storage_policy (null when the
 * listing lacks it) since 24.0.0 */
static PdMetadata *
pd_os_swift_container_metadata(GTask *task, JsonObject *container)
{
	PdOsSwiftRun *run = g_task_get_task_data(task);
	g_autoptr(PdMetadataBuilder) b = NULL;
	PdCeilometerRelease release;

	pd_config_get_ceilometer_compat(
	  pd_poll_context_get_config(run->projects.ctx), &release, NULL);
	if (release < PD_CEILOMETER_2025_2)
		return NULL;
	b = pd_metadata_builder_new();
	pd_os_json_copy_member(b, "storage_policy", container, "storage_policy");
	return pd_metadata_builder_end(b);
}

static void
pd_os_swift_head_ready(const PdOsSwiftAccountData *data,
		       const GError *fetch_error,
		       gpointer user_data)
{
	PdOsSwiftAccount *acc = user_data;
	PdOsSwiftPollster *self = g_task_get_source_object(acc->task);
	const gchar *text = NULL;
	GError *error = NULL;
	gint64 value = 0;

	if (data == NULL) {
		pd_os_swift_account_done(acc, g_error_copy(fetch_error));
		return;
	}
	text = soup_message_headers_get_one(data->head->headers, self->meter->header);
	if (text == NULL || !g_ascii_string_to_signed(text, 10, 0, G_MAXINT64, &value, NULL))
		error = g_error_new(PD_ERROR,
				    PD_ERROR_FAILED,
				    "HEAD %s: %s is %s%s%s",
				    acc->url,
				    self->meter->header,
				    text != NULL ? "'" : "missing",
				    text != NULL ? text : "",
				    text != NULL ? "', not a count" : "");
	else
		pd_os_swift_add_sample(acc->task,
				       pd_resource_get_id(acc->tenant),
				       pd_resource_get_id(acc->tenant),
				       value,
				       NULL);
	pd_os_swift_account_done(acc, error);
}

static void
pd_os_swift_list_ready(const PdOsSwiftAccountData *data,
		       const GError *fetch_error,
		       gpointer user_data)
{
	PdOsSwiftAccount *acc = user_data;
	PdOsSwiftPollster *self = g_task_get_source_object(acc->task);
	const gchar *project = pd_resource_get_id(acc->tenant);
	GError *error = NULL;

	if (data == NULL) {
		pd_os_swift_account_done(acc, g_error_copy(fetch_error));
		return;
	}
	for (guint i = 0; i < data->containers->len; i++) {
		JsonObject *c = json_node_get_object(g_ptr_array_index(data->containers, i));
		PdOsNumber num;
		g_autofree gchar *rid = NULL;
		PdMetadata *metadata;

		if (!pd_os_json_get_number(c, self->meter->field, &num) || num.is_double) {
			error = g_error_new(PD_ERROR,
					    PD_ERROR_FAILED,
					    "GET %s: container %u lacks an integer '%s'",
					    acc->url,
					    i,
					    self->meter->field);
			break;
		}
		rid = g_strdup_printf("%s/%s", project, pd_os_json_get_string(c, "name"));
		metadata = pd_os_swift_container_metadata(acc->task, c);
		pd_os_swift_add_sample(acc->task, rid, project, num.i, metadata);
		g_clear_pointer(&metadata, pd_metadata_unref);
	}
	pd_os_swift_account_done(acc, error);
}

static void
pd_os_swift_start_account(GTask *task, PdResource *tenant)
{
	PdOsSwiftPollster *self = g_task_get_source_object(task);
	PdOsSwiftRun *run = g_task_get_task_data(task);
	PdOsSwiftAccount *acc = g_new0(PdOsSwiftAccount, 1);
	gboolean listing = self->meter->header == NULL;

	acc->task = task;
	acc->tenant = pd_resource_ref(tenant);
	acc->url = pd_os_swift_account_url(run->endpoint, run->prefix, pd_resource_get_id(tenant));
	pd_os_swift_fetch(self->client,
			  run->projects.ctx,
			  acc->url,
			  listing,
			  listing ? pd_os_swift_list_ready : pd_os_swift_head_ready,
			  acc);
}

static void
pd_os_swift_endpoints_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdOsSwiftPollster *self = g_task_get_source_object(task);
	/* NULL: the task is completed and gone, run with it */
	gchar *endpoint =
	  pd_os_pollster_task_endpoint(task, PD_OS_CLIENT(source), res, "swift", "Swift");
	PdOsSwiftRun *run;

	if (endpoint == NULL)
		return;
	run = g_task_get_task_data(task);
	run->endpoint = endpoint;
	pd_os_projects_pump(&run->projects, task, self->names);
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

	pd_os_projects_init(&run->projects, ctx, resources, pd_os_swift_start_account);
	run->prefix = g_strdup(pd_config_get_string(config, NULL, "reseller_prefix", "AUTH_"));
	g_task_set_task_data(task, run, (GDestroyNotify)pd_os_swift_run_free);
	if (self->client == NULL) {
		g_task_return_new_error(
		  task, PD_ERROR, PD_ERROR_NOT_READY, "the openstack plugin is not started");
		g_object_unref(task);
		return;
	}
	pd_os_client_get_endpoints_async(self->client,
					 pd_os_client_get_service_type(self->client, "swift"),
					 NULL,
					 pd_os_swift_endpoints_cb,
					 task);
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

void
pd_os_swift_pollster_set_warned(PdOsSwiftPollster *self, GHashTable *warned)
{
	g_clear_pointer(&self->warned, g_hash_table_unref);
	self->warned = warned != NULL ? g_hash_table_ref(warned) : NULL;
}

PdPollster *
pd_os_swift_pollster_new(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_os_swift_meters); i++) {
		PdOsSwiftPollster *self;
		if (g_strcmp0(pd_os_swift_meters[i].name, name) != 0)
			continue;
		self = g_object_new(PD_TYPE_OS_SWIFT_POLLSTER,
				    "name",
				    name,
				    "namespace",
				    "central",
				    "default-discovery",
				    "tenant",
				    "unit",
				    pd_os_swift_meters[i].unit,
				    "sample-type",
				    PD_SAMPLE_TYPE_GAUGE,
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
	g_clear_pointer(&self->warned, g_hash_table_unref);
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
