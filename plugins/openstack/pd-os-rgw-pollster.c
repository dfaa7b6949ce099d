/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include <string.h>

#include "pd-os-json.h"
#include "pd-os-pollster.h"
#include "pd-os-projects.h"
#include "pd-os-rgw-pollster.h"
#include "pd-os-swift-fetch.h"

typedef enum {
	PD_OS_RGW_OBJECTS,
	PD_OS_RGW_SIZE,
	PD_OS_RGW_CONTAINERS,
	PD_OS_RGW_CONTAINER_OBJECTS,
	PD_OS_RGW_CONTAINER_SIZE,
	PD_OS_RGW_REQUESTS,
} PdOsRgwValue;

typedef struct {
	const gchar *name;
	const gchar *sample_name; /* Ceilometer's UsagePollster emits another name */
	const gchar *unit;
	PdOsRgwValue value;
} PdOsRgwMeter;

/* names, units (radosgw.objects.containers counts in "object" upstream) and
 * sample names of Ceilometer's objectstore/rgw.py */
static const PdOsRgwMeter pd_os_rgw_meters[] = {
	{ "radosgw.objects", "radosgw.objects", "object", PD_OS_RGW_OBJECTS },
	{ "radosgw.objects.size", "radosgw.objects.size", "B", PD_OS_RGW_SIZE },
	{ "radosgw.objects.containers",
	  "radosgw.objects.containers",
	  "object",
	  PD_OS_RGW_CONTAINERS },
	{ "radosgw.containers.objects",
	  "radosgw.containers.objects",
	  "object",
	  PD_OS_RGW_CONTAINER_OBJECTS },
	{ "radosgw.containers.objects.size",
	  "radosgw.containers.objects.size",
	  "B",
	  PD_OS_RGW_CONTAINER_SIZE },
	{ "radosgw.usage", "radosgw.api.request", "request", PD_OS_RGW_REQUESTS },
};

const gchar *const pd_os_rgw_meter_names[] = {
	"radosgw.objects",
	"radosgw.objects.size",
	"radosgw.objects.containers",
	"radosgw.containers.objects",
	"radosgw.containers.objects.size",
	"radosgw.usage",
	NULL,
};

const gchar *const pd_os_rgw_config_keys[] = {
	"service_types",
	"radosgw",
	"rgw_admin_credentials",
	"access_key",
	"rgw_admin_credentials",
	"secret_key",
	"rgw_client",
	"implicit_tenants",
	NULL,
};

struct _PdOsRgwPollster {
	PdPollster parent_instance;
	const PdOsRgwMeter *meter;
	PdOsClient *client;
	PdOsNames *names;
};

G_DEFINE_TYPE(PdOsRgwPollster, pd_os_rgw_pollster, PD_TYPE_POLLSTER)

/* --- the signature --- */

gchar *
pd_os_rgw_authorization(const gchar *access_key,
			const gchar *secret_key,
			const gchar *date,
			const gchar *resource)
{
	/* method, Content-MD5, Content-Type, Date, no x-amz-* headers, resource */
	g_autofree gchar *to_sign = g_strdup_printf("GET\n\n\n%s\n%s", date, resource);
	g_autoptr(GHmac) hmac =
	  g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)secret_key, strlen(secret_key));
	guint8 digest[20];
	gsize len = sizeof(digest);
	g_autofree gchar *b64 = NULL;

	g_hmac_update(hmac, (const guchar *)to_sign, -1);
	g_hmac_get_digest(hmac, digest, &len);
	b64 = g_base64_encode(digest, len);
	return g_strdup_printf("AWS %s:%s", access_key, b64);
}

/* RFC 1123 in English whatever the locale, as HTTP wants it */
static gchar *
pd_os_rgw_http_date(void)
{
	static const gchar *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const gchar *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();

	return g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d GMT",
			       days[g_date_time_get_day_of_week(now) - 1],
			       g_date_time_get_day_of_month(now),
			       months[g_date_time_get_month(now) - 1],
			       g_date_time_get_year(now),
			       g_date_time_get_hour(now),
			       g_date_time_get_minute(now),
			       g_date_time_get_second(now));
}

/* --- one invocation --- */

typedef struct {
	PdOsProjects projects;
	gchar *admin; /* scheme://host:port/admin */
	gchar *access_key;
	gchar *secret_key;
	gboolean implicit_tenants;
} PdOsRgwRun;

static void
pd_os_rgw_run_free(PdOsRgwRun *run)
{
	pd_os_projects_clear(&run->projects);
	g_free(run->admin);
	g_free(run->access_key);
	g_free(run->secret_key);
	g_free(run);
}

typedef struct {
	GTask *task;
	PdResource *tenant;
	gchar *url;
} PdOsRgwAccount;

static void
pd_os_rgw_account_done(PdOsRgwAccount *acc, GError *error)
{
	GTask *task = acc->task;
	PdOsRgwPollster *self = g_task_get_source_object(task);
	PdOsRgwRun *run = g_task_get_task_data(task);
	g_autoptr(PdResource) tenant = acc->tenant;

	g_free(acc->url);
	g_free(acc);
	pd_os_projects_done(&run->projects, task, self->names, tenant, error);
}

static void
pd_os_rgw_add_sample(GTask *task, const gchar *resource_id, const gchar *project, gint64 value)
{
	PdOsRgwPollster *self = g_task_get_source_object(task);
	PdOsRgwRun *run = g_task_get_task_data(task);
	PdSample *s = pd_poll_context_add_sample(run->projects.ctx,
						 self->meter->sample_name,
						 PD_SAMPLE_TYPE_GAUGE,
						 self->meter->unit,
						 resource_id,
						 NULL,
						 project,
						 NULL);
	pd_sample_set_int(s, value);
}

/* an integer member of @obj, else FALSE with @error */
static gboolean
pd_os_rgw_int(JsonObject *obj, const gchar *key, const gchar *url, gint64 *out, GError **error)
{
	PdOsNumber num;

	if (!pd_os_json_get_number(obj, key, &num) || num.is_double) {
		g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "GET %s: no integer '%s'", url, key);
		return FALSE;
	}
	*out = num.i;
	return TRUE;
}

/* as Ceilometer's get_bucket(): every usage category of every bucket is a
 * "bucket" (one sample each for the container meters) and adds to the totals */
static gboolean
pd_os_rgw_bucket_samples(GTask *task, PdOsRgwAccount *acc, JsonArray *buckets, GError **error)
{
	PdOsRgwPollster *self = g_task_get_source_object(task);
	const gchar *project = pd_resource_get_id(acc->tenant);
	gint64 objects = 0, size_kb = 0;

	for (guint i = 0; i < json_array_get_length(buckets); i++) {
		JsonNode *node = json_array_get_element(buckets, i);
		JsonObject *b = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
		JsonObject *usage = pd_os_json_get_object(b, "usage");
		const gchar *name = pd_os_json_get_string(b, "bucket");
		g_autoptr(GList) categories = usage != NULL ? json_object_get_values(usage) : NULL;
		g_autofree gchar *rid = NULL;

		if (name == NULL || usage == NULL) {
			g_set_error(error,
				    PD_ERROR,
				    PD_ERROR_FAILED,
				    "GET %s: bucket %u unusable",
				    acc->url,
				    i);
			return FALSE;
		}
		rid = g_strdup_printf("%s/%s", project, name);
		for (GList *l = categories; l != NULL; l = l->next) {
			JsonObject *cat =
			  JSON_NODE_HOLDS_OBJECT(l->data) ? json_node_get_object(l->data) : NULL;
			gint64 n, kb;
			if (!pd_os_rgw_int(cat, "num_objects", acc->url, &n, error) ||
			    !pd_os_rgw_int(cat, "size_kb", acc->url, &kb, error))
				return FALSE;
			objects += n;
			size_kb += kb;
			if (self->meter->value == PD_OS_RGW_CONTAINER_OBJECTS)
				pd_os_rgw_add_sample(task, rid, project, n);
			else if (self->meter->value == PD_OS_RGW_CONTAINER_SIZE)
				pd_os_rgw_add_sample(task, rid, project, kb * 1024);
		}
	}
	if (self->meter->value == PD_OS_RGW_OBJECTS)
		pd_os_rgw_add_sample(task, project, project, objects);
	else if (self->meter->value == PD_OS_RGW_SIZE)
		pd_os_rgw_add_sample(task, project, project, size_kb * 1024);
	else if (self->meter->value == PD_OS_RGW_CONTAINERS)
		pd_os_rgw_add_sample(task, project, project, json_array_get_length(buckets));
	return TRUE;
}

/* as Ceilometer's get_usage(): the operations of every summary entry */
static gboolean
pd_os_rgw_usage_sample(GTask *task, PdOsRgwAccount *acc, JsonObject *usage, GError **error)
{
	JsonArray *summary = pd_os_json_get_array(usage, "summary");
	const gchar *project = pd_resource_get_id(acc->tenant);
	gint64 ops = 0;

	if (summary == NULL) {
		g_set_error(
		  error, PD_ERROR, PD_ERROR_FAILED, "GET %s: no 'summary' list", acc->url);
		return FALSE;
	}
	for (guint i = 0; i < json_array_get_length(summary); i++) {
		JsonNode *node = json_array_get_element(summary, i);
		JsonObject *entry =
		  JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
		gint64 n;
		if (!pd_os_rgw_int(
		      pd_os_json_get_object(entry, "total"), "ops", acc->url, &n, error))
			return FALSE;
		ops += n;
	}
	pd_os_rgw_add_sample(task, project, project, ops);
	return TRUE;
}

static void
pd_os_rgw_ready(const PdOsSwiftAccountData *data, const GError *fetch_error, gpointer user_data)
{
	PdOsRgwAccount *acc = user_data;
	PdOsRgwPollster *self = g_task_get_source_object(acc->task);
	JsonNode *body = data != NULL ? data->head->body : NULL;
	GError *error = NULL;

	if (data == NULL) {
		pd_os_rgw_account_done(acc, g_error_copy(fetch_error));
		return;
	}
	if (self->meter->value == PD_OS_RGW_REQUESTS) {
		if (body == NULL || !JSON_NODE_HOLDS_OBJECT(body))
			error = g_error_new(PD_ERROR,
					    PD_ERROR_FAILED,
					    "GET %s: the answer is not an object",
					    acc->url);
		else
			pd_os_rgw_usage_sample(acc->task, acc, json_node_get_object(body), &error);
	} else {
		if (body == NULL || !JSON_NODE_HOLDS_ARRAY(body))
			error = g_error_new(
			  PD_ERROR, PD_ERROR_FAILED, "GET %s: the answer is not a list", acc->url);
		else
			pd_os_rgw_bucket_samples(acc->task, acc, json_node_get_array(body), &error);
	}
	pd_os_rgw_account_done(acc, error);
}

static void
pd_os_rgw_start_account(GTask *task, PdResource *tenant)
{
	PdOsRgwPollster *self = g_task_get_source_object(task);
	PdOsRgwRun *run = g_task_get_task_data(task);
	PdOsRgwAccount *acc = g_new0(PdOsRgwAccount, 1);
	gboolean usage = self->meter->value == PD_OS_RGW_REQUESTS;
	const gchar *id = pd_resource_get_id(tenant);
	g_autofree gchar *uid =
	  run->implicit_tenants ? g_strdup_printf("%s$%s", id, id) : g_strdup(id);
	g_autofree gchar *escaped = g_uri_escape_string(uid, NULL, FALSE);
	g_autofree gchar *date = pd_os_rgw_http_date();
	g_autofree gchar *resource = NULL;
	g_autofree gchar *auth = NULL;
	g_autoptr(GUri) uri = NULL;

	acc->task = task;
	acc->tenant = pd_resource_ref(tenant);
	/* the parameters in Ceilometer's order */
	acc->url = usage ? g_strdup_printf("%s/usage?uid=%s", run->admin, escaped)
			 : g_strdup_printf("%s/bucket?uid=%s&stats=true", run->admin, escaped);
	uri = g_uri_parse(acc->url, G_URI_FLAGS_ENCODED, NULL);
	resource = g_strdup(uri != NULL ? g_uri_get_path(uri) : "/");
	auth = pd_os_rgw_authorization(run->access_key, run->secret_key, date, resource);
	{
		const gchar *headers[] = { "Date", date, "Authorization", auth, NULL };
		pd_os_swift_fetch_signed(
		  self->client, run->projects.ctx, acc->url, headers, pd_os_rgw_ready, acc);
	}
}

/* urljoin(<catalog URL>, "/admin"): the admin API at the root of the host */
static gchar *
pd_os_rgw_admin_url(const gchar *endpoint)
{
	g_autoptr(GUri) uri = g_uri_parse(endpoint, G_URI_FLAGS_ENCODED, NULL);

	if (uri == NULL)
		return NULL;
	return g_uri_join(G_URI_FLAGS_ENCODED,
			  g_uri_get_scheme(uri),
			  g_uri_get_userinfo(uri),
			  g_uri_get_host(uri),
			  g_uri_get_port(uri),
			  "/admin",
			  NULL,
			  NULL);
}

static void
pd_os_rgw_endpoints_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdOsRgwPollster *self = g_task_get_source_object(task);
	/* NULL: the task is completed and gone, run with it */
	gchar *endpoint =
	  pd_os_pollster_task_endpoint(task, PD_OS_CLIENT(source), res, "radosgw", "RadosGW");
	PdOsRgwRun *run;

	if (endpoint == NULL)
		return;
	run = g_task_get_task_data(task);
	run->admin = pd_os_rgw_admin_url(endpoint);
	g_free(endpoint);
	if (run->admin == NULL) {
		g_task_return_new_error(
		  task, PD_ERROR, PD_ERROR_FAILED, "the RadosGW catalog URL is not a URL");
		g_object_unref(task);
		return;
	}
	pd_os_projects_pump(&run->projects, task, self->names);
}

/* FALSE when the task is completed */
static gboolean
pd_os_rgw_read_config(PdOsRgwPollster *self, GTask *task, PdConfig *config)
{
	PdOsRgwRun *run = g_task_get_task_data(task);
	const gchar *type = pd_config_get_string(config, "service_types", "radosgw", NULL);

	/* Ceilometer has no default type: without one the meters are silent */
	if (type == NULL || type[0] == '\0') {
		if (pd_os_client_note_missing(self->client, "[service_types] radosgw"))
			g_message("radosgw.*: [service_types] radosgw is not set, no samples");
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return FALSE;
	}
	run->access_key =
	  g_strdup(pd_config_get_string(config, "rgw_admin_credentials", "access_key", NULL));
	run->secret_key =
	  g_strdup(pd_config_get_string(config, "rgw_admin_credentials", "secret_key", NULL));
	run->implicit_tenants = pd_config_get_bool(config, "rgw_client", "implicit_tenants", FALSE);
	if (run->access_key == NULL || run->secret_key == NULL) {
		g_task_return_new_error(
		  task,
		  PD_ERROR,
		  PD_ERROR_INVALID_CONFIG,
		  "[rgw_admin_credentials] access_key and secret_key must be set");
		g_object_unref(task);
		return FALSE;
	}
	return TRUE;
}

static void
pd_os_rgw_pollster_poll_async(PdPollster *pollster,
			      PdPollContext *ctx,
			      GPtrArray *resources,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data)
{
	PdOsRgwPollster *self = PD_OS_RGW_POLLSTER(pollster);
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	PdOsRgwRun *run = g_new0(PdOsRgwRun, 1);
	PdConfig *config = pd_poll_context_get_config(ctx);

	pd_os_projects_init(&run->projects, ctx, resources, pd_os_rgw_start_account);
	g_task_set_task_data(task, run, (GDestroyNotify)pd_os_rgw_run_free);
	if (self->client == NULL) {
		g_task_return_new_error(
		  task, PD_ERROR, PD_ERROR_NOT_READY, "the openstack plugin is not started");
		g_object_unref(task);
		return;
	}
	if (!pd_os_rgw_read_config(self, task, config))
		return;
	pd_os_client_get_endpoints_async(self->client,
					 pd_os_client_get_service_type(self->client, "radosgw"),
					 NULL,
					 pd_os_rgw_endpoints_cb,
					 task);
}

static gboolean
pd_os_rgw_pollster_poll_finish(PdPollster *pollster, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
pd_os_rgw_pollster_set_client(PdOsRgwPollster *self, PdOsClient *client, PdOsNames *names)
{
	g_set_object(&self->client, client);
	g_set_object(&self->names, names);
}

PdPollster *
pd_os_rgw_pollster_new(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_os_rgw_meters); i++) {
		PdOsRgwPollster *self;
		if (g_strcmp0(pd_os_rgw_meters[i].name, name) != 0)
			continue;
		self = g_object_new(PD_TYPE_OS_RGW_POLLSTER,
				    "name",
				    name,
				    "namespace",
				    "central",
				    "default-discovery",
				    "tenant",
				    "unit",
				    pd_os_rgw_meters[i].unit,
				    "sample-type",
				    PD_SAMPLE_TYPE_GAUGE,
				    NULL);
		self->meter = &pd_os_rgw_meters[i];
		return PD_POLLSTER(self);
	}
	g_return_val_if_reached(NULL);
}

static void
pd_os_rgw_pollster_finalize(GObject *obj)
{
	PdOsRgwPollster *self = PD_OS_RGW_POLLSTER(obj);
	g_clear_object(&self->client);
	g_clear_object(&self->names);
	G_OBJECT_CLASS(pd_os_rgw_pollster_parent_class)->finalize(obj);
}

static void
pd_os_rgw_pollster_init(PdOsRgwPollster *self)
{
}

static void
pd_os_rgw_pollster_class_init(PdOsRgwPollsterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_os_rgw_pollster_finalize;
	PD_POLLSTER_CLASS(klass)->poll_async = pd_os_rgw_pollster_poll_async;
	PD_POLLSTER_CLASS(klass)->poll_finish = pd_os_rgw_pollster_poll_finish;
}
