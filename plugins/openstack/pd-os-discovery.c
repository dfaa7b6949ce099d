/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include "pd-os-discovery.h"
#include "pd-os-json.h"
#include "pd-os-pager.h"
#include "pd-os-resource.h"

typedef enum {
	PD_OS_DISCOVERY_ENDPOINT,
	PD_OS_DISCOVERY_TENANT,
	PD_OS_DISCOVERY_LIST,
} PdOsDiscoveryKind;

typedef struct {
	const gchar *name;
	PdOsDiscoveryKind kind;
	const gchar *service; /* [service_types] key */
	const gchar *version; /* inserted after the endpoint unless already there */
	const gchar *path;
	const gchar *key; /* the collection in the answer */
	const gchar *id_key;
	const gchar *const *headers;
	gboolean extension;	  /* a Neutron extension: 404 means not deployed */
	const gchar *drop_status; /* items with this "status" are not resources */
} PdOsDiscoveryDef;

/* 3.43 as Zed's cinderclient: the oldest with user_id on snapshots; 25.0.0
 * asks for 3.64 (user_id on backups since 3.56, volume_type_id since 3.63) */
static const gchar *const pd_os_cinder_headers[] = { "OpenStack-API-Version", "volume 3.43", NULL };
static const gchar *const pd_os_cinder_headers_2025[] = { "OpenStack-API-Version",
							  "volume 3.64",
							  NULL };
static const gchar *const pd_os_designate_headers[] = { "X-Auth-All-Projects", "True", NULL };

static const PdOsDiscoveryDef pd_os_discovery_defs[] = {
	{ "endpoint", PD_OS_DISCOVERY_ENDPOINT },
	{ "tenant", PD_OS_DISCOVERY_TENANT },
	{ "images", PD_OS_DISCOVERY_LIST, "glance", "v2", "/images", "images", "id" },
	{ "volumes",
	  PD_OS_DISCOVERY_LIST,
	  "cinder",
	  NULL,
	  "/volumes/detail?all_tenants=True",
	  "volumes",
	  "id",
	  pd_os_cinder_headers },
	{ "volume_snapshots",
	  PD_OS_DISCOVERY_LIST,
	  "cinder",
	  NULL,
	  "/snapshots/detail?all_tenants=True",
	  "snapshots",
	  "id",
	  pd_os_cinder_headers },
	{ "volume_backups",
	  PD_OS_DISCOVERY_LIST,
	  "cinder",
	  NULL,
	  "/backups/detail?all_tenants=True",
	  "backups",
	  "id",
	  pd_os_cinder_headers },
	{ "volume_pools",
	  PD_OS_DISCOVERY_LIST,
	  "cinder",
	  NULL,
	  "/scheduler-stats/get_pools?detail=True",
	  "pools",
	  "name",
	  pd_os_cinder_headers },
	{ "fip_services",
	  PD_OS_DISCOVERY_LIST,
	  "neutron",
	  "v2.0",
	  "/floatingips",
	  "floatingips",
	  "id" },
	{ "lb_services",
	  PD_OS_DISCOVERY_LIST,
	  "octavia",
	  "v2",
	  "/lbaas/loadbalancers",
	  "loadbalancers",
	  "id" },
	{ "dns_zones",
	  PD_OS_DISCOVERY_LIST,
	  "designate",
	  "v2",
	  "/zones",
	  "zones",
	  "id",
	  pd_os_designate_headers },
	{ "manila_shares",
	  PD_OS_DISCOVERY_LIST,
	  "manila",
	  NULL,
	  "/shares/detail?all_tenants=True",
	  "shares",
	  "id" },
	/* VPNaaS and FWaaS v2; Ceilometer leaves out firewall groups in status
	 * "error", and Zed VPN services in status "error" too */
	{ "vpn_services",
	  PD_OS_DISCOVERY_LIST,
	  "neutron",
	  "v2.0",
	  "/vpn/vpnservices",
	  "vpnservices",
	  "id",
	  NULL,
	  TRUE,
	  "error" },
	{ "ipsec_connections",
	  PD_OS_DISCOVERY_LIST,
	  "neutron",
	  "v2.0",
	  "/vpn/ipsec-site-connections",
	  "ipsec_site_connections",
	  "id",
	  NULL,
	  TRUE },
	{ "fw_services",
	  PD_OS_DISCOVERY_LIST,
	  "neutron",
	  "v2.0",
	  "/fwaas/firewall_groups",
	  "firewall_groups",
	  "id",
	  NULL,
	  TRUE,
	  "error" },
	{ "fw_policy",
	  PD_OS_DISCOVERY_LIST,
	  "neutron",
	  "v2.0",
	  "/fwaas/firewall_policies",
	  "firewall_policies",
	  "id",
	  NULL,
	  TRUE },
};

const gchar *const pd_os_discovery_names[] = {
	"endpoint",	     "tenant",	       "images",	"volumes",
	"volume_snapshots",  "volume_backups", "volume_pools",	"fip_services",
	"lb_services",	     "dns_zones",      "manila_shares", "vpn_services",
	"ipsec_connections", "fw_services",    "fw_policy",	NULL,
};

struct _PdOsDiscovery {
	PdDiscovery parent_instance;
	const PdOsDiscoveryDef *def;
	PdOsClient *client;
};

G_DEFINE_TYPE(PdOsDiscovery, pd_os_discovery, PD_TYPE_DISCOVERY)

static GPtrArray *
pd_os_resources_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
}

/* --- endpoint:<type> --- */

static void
pd_os_discovery_endpoint_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) urls = pd_os_client_get_endpoints_finish(PD_OS_CLIENT(source), res, &error);
	GPtrArray *out;

	if (urls == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (urls[0] == NULL)
		g_warning("no endpoints found for service %s",
			  (const gchar *)g_task_get_task_data(task));
	out = pd_os_resources_new();
	for (guint i = 0; urls[i] != NULL; i++) {
		g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), urls[i]);
		g_ptr_array_add(out, pd_os_resource_new(urls[i], node));
	}
	g_task_return_pointer(task, out, (GDestroyNotify)g_ptr_array_unref);
}

/* --- tenant: every project of every domain --- */

typedef struct {
	GPtrArray *domains; /* JsonNode */
	guint next;
	GPtrArray *out;
	gboolean enabled_only;
} PdOsTenantRun;

static void
pd_os_tenant_run_free(PdOsTenantRun *run)
{
	g_clear_pointer(&run->domains, g_ptr_array_unref);
	g_ptr_array_unref(run->out);
	g_free(run);
}

static void
pd_os_discovery_next_domain(GTask *task);

static void
pd_os_discovery_projects_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdOsTenantRun *run = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) projects = pd_os_pager_list_finish(res, &error);

	if (projects == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	for (guint i = 0; i < projects->len; i++) {
		JsonNode *node = g_ptr_array_index(projects, i);
		JsonObject *project = json_node_get_object(node);
		const gchar *id = pd_os_json_get_string(project, "id");
		if (id == NULL)
			continue;
		/* the filter is the server's job, but be sure */
		if (run->enabled_only && !pd_os_json_get_truthy(project, "enabled"))
			continue;
		g_ptr_array_add(run->out, pd_os_resource_new(id, node));
	}
	pd_os_discovery_next_domain(g_steal_pointer(&task));
}

static void
pd_os_discovery_next_domain(GTask *task)
{
	PdOsDiscovery *self = g_task_get_source_object(task);
	PdOsTenantRun *run = g_task_get_task_data(task);
	const gchar *identity = pd_os_client_get_identity_url(self->client);
	g_autofree gchar *escaped = NULL;
	g_autofree gchar *url = NULL;
	const gchar *id = NULL;

	while (id == NULL && run->next < run->domains->len) {
		JsonNode *node = g_ptr_array_index(run->domains, run->next++);
		id = pd_os_json_get_string(json_node_get_object(node), "id");
	}
	if (id == NULL) {
		g_debug("tenant discovery found %u projects", run->out->len);
		g_task_return_pointer(
		  task, g_ptr_array_ref(run->out), (GDestroyNotify)g_ptr_array_unref);
		g_object_unref(task);
		return;
	}
	escaped = g_uri_escape_string(id, NULL, TRUE);
	url = g_strdup_printf("%s/projects?domain_id=%s%s",
			      identity,
			      escaped,
			      run->enabled_only ? "&enabled=True" : "");
	pd_os_pager_list_async(
	  self->client, identity, url, "projects", NULL, NULL, pd_os_discovery_projects_cb, task);
}

static void
pd_os_discovery_domains_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdOsTenantRun *run = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	run->domains = pd_os_pager_list_finish(res, &error);
	if (run->domains == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		g_object_unref(task);
		return;
	}
	pd_os_discovery_next_domain(task);
}

static void
pd_os_discovery_tenant(PdOsDiscovery *self, GTask *task)
{
	PdConfig *config = pd_os_client_get_config(self->client);
	PdOsTenantRun *run = g_new0(PdOsTenantRun, 1);
	const gchar *identity = pd_os_client_get_identity_url(self->client);
	g_autofree gchar *url = NULL;

	run->out = pd_os_resources_new();
	run->enabled_only =
	  pd_config_get_bool(config, "polling", "ignore_disabled_projects", FALSE);
	g_task_set_task_data(task, run, (GDestroyNotify)pd_os_tenant_run_free);
	url = g_strdup_printf("%s/domains%s", identity, run->enabled_only ? "?enabled=True" : "");
	pd_os_pager_list_async(
	  self->client, identity, url, "domains", NULL, NULL, pd_os_discovery_domains_cb, task);
}

/* --- API listings --- */

/* a Neutron without the VPNaaS or FWaaS extension answers 404 for its
 * collections: nothing to discover, said once, and no error that would
 * count against the Neutron endpoint */
static gboolean
pd_os_discovery_extension_absent(PdOsDiscovery *self, const GError *error)
{
	g_autofree gchar *key = NULL;

	if (!self->def->extension || !g_error_matches(error, PD_OS_HTTP_ERROR, 404))
		return FALSE;
	key = g_strconcat("extension:", self->def->path, NULL);
	if (pd_os_client_note_missing(self->client, key))
		g_message("%s: Neutron has no %s (HTTP 404): the extension is not deployed, "
			  "nothing to discover",
			  self->def->name,
			  self->def->path);
	return TRUE;
}

/* the release the listing was asked for ([polld] ceilometer_compat) */
static PdCeilometerRelease
pd_os_discovery_release(GTask *task)
{
	return (PdCeilometerRelease)GPOINTER_TO_INT(g_task_get_task_data(task));
}

static gboolean
pd_os_discovery_drops(PdOsDiscovery *self, GTask *task)
{
	if (self->def->drop_status == NULL)
		return FALSE;
	/* 25.0.0 keeps VPN services in error (volume 7) */
	return !(g_strcmp0(self->def->name, "vpn_services") == 0 &&
		 pd_os_discovery_release(task) >= PD_CEILOMETER_2025_2);
}

static void
pd_os_discovery_list_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdOsDiscovery *self = g_task_get_source_object(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) items = pd_os_pager_list_finish(res, &error);
	GPtrArray *out;
	guint skipped = 0;

	if (items == NULL && pd_os_discovery_extension_absent(self, error)) {
		g_task_return_pointer(
		  task, pd_os_resources_new(), (GDestroyNotify)g_ptr_array_unref);
		return;
	}
	if (items == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	out = pd_os_resources_new();
	for (guint i = 0; i < items->len; i++) {
		JsonNode *node = g_ptr_array_index(items, i);
		const gchar *id =
		  pd_os_json_get_string(json_node_get_object(node), self->def->id_key);
		if (pd_os_discovery_drops(self, task) &&
		    g_strcmp0(pd_os_json_get_string(json_node_get_object(node), "status"),
			      self->def->drop_status) == 0)
			continue;
		if (id == NULL) {
			skipped++;
			continue;
		}
		g_ptr_array_add(out, pd_os_resource_new(id, node));
	}
	if (skipped > 0)
		g_warning("%s: skipped %u %s without a string '%s'",
			  self->def->name,
			  skipped,
			  self->def->key,
			  self->def->id_key);
	g_task_return_pointer(task, out, (GDestroyNotify)g_ptr_array_unref);
}

static void
pd_os_discovery_list_endpoints_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdOsDiscovery *self = g_task_get_source_object(task);
	const PdOsDiscoveryDef *def = self->def;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) urls = pd_os_client_get_endpoints_finish(self->client, res, &error);
	const gchar *type = pd_os_client_get_service_type(self->client, def->service);
	const gchar *const *headers = def->headers;
	g_autofree gchar *url = NULL;

	if (urls == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (urls[0] == NULL) {
		if (pd_os_client_note_missing(self->client, type))
			g_warning("%s: service type '%s' is not in the Keystone catalog, nothing "
				  "to discover",
				  def->name,
				  type);
		g_task_return_pointer(
		  task, pd_os_resources_new(), (GDestroyNotify)g_ptr_array_unref);
		return;
	}
	url = pd_os_url_join(urls[0], def->version, def->path);
	if (headers == pd_os_cinder_headers &&
	    pd_os_discovery_release(task) >= PD_CEILOMETER_2025_2)
		headers = pd_os_cinder_headers_2025;
	pd_os_pager_list_async(self->client,
			       urls[0],
			       url,
			       def->key,
			       headers,
			       NULL,
			       pd_os_discovery_list_cb,
			       g_steal_pointer(&task));
}

static void
pd_os_discovery_discover_async(PdDiscovery *discovery,
			       const gchar *param,
			       PdCycleCache *cache,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data)
{
	PdOsDiscovery *self = PD_OS_DISCOVERY(discovery);
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	PdCeilometerRelease release;
	const gchar *type;

	if (self->client == NULL) {
		g_task_return_new_error(
		  task, PD_ERROR, PD_ERROR_NOT_READY, "the openstack plugin is not started");
		g_object_unref(task);
		return;
	}
	switch (self->def->kind) {
		case PD_OS_DISCOVERY_ENDPOINT:
			g_task_set_task_data(
			  task, g_strdup(param != NULL ? param : "<all services>"), g_free);
			pd_os_client_get_endpoints_async(
			  self->client, param, cancellable, pd_os_discovery_endpoint_cb, task);
			break;
		case PD_OS_DISCOVERY_TENANT:
			pd_os_discovery_tenant(self, task);
			break;
		case PD_OS_DISCOVERY_LIST:
			pd_config_get_ceilometer_compat(
			  pd_cycle_cache_get_config(cache), &release, NULL);
			g_task_set_task_data(task, GINT_TO_POINTER(release), NULL);
			type = pd_os_client_get_service_type(self->client, self->def->service);
			pd_os_client_get_endpoints_async(
			  self->client, type, cancellable, pd_os_discovery_list_endpoints_cb, task);
			break;
	}
}

static GPtrArray *
pd_os_discovery_discover_finish(PdDiscovery *discovery, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

void
pd_os_discovery_set_client(PdOsDiscovery *self, PdOsClient *client)
{
	g_set_object(&self->client, client);
}

PdDiscovery *
pd_os_discovery_new(const gchar *name)
{
	PdOsDiscovery *self;

	for (guint i = 0; i < G_N_ELEMENTS(pd_os_discovery_defs); i++) {
		if (g_strcmp0(pd_os_discovery_defs[i].name, name) != 0)
			continue;
		self = g_object_new(PD_TYPE_OS_DISCOVERY, "name", name, NULL);
		self->def = &pd_os_discovery_defs[i];
		return PD_DISCOVERY(self);
	}
	g_return_val_if_reached(NULL);
}

static void
pd_os_discovery_finalize(GObject *obj)
{
	g_clear_object(&PD_OS_DISCOVERY(obj)->client);
	G_OBJECT_CLASS(pd_os_discovery_parent_class)->finalize(obj);
}

static void
pd_os_discovery_init(PdOsDiscovery *self)
{
}

static void
pd_os_discovery_class_init(PdOsDiscoveryClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_os_discovery_finalize;
	PD_DISCOVERY_CLASS(klass)->discover_async = pd_os_discovery_discover_async;
	PD_DISCOVERY_CLASS(klass)->discover_finish = pd_os_discovery_discover_finish;
}
