/*
 * polld openstack plugin - the central agent's OpenStack API pollsters
 * (Glance, Cinder, Neutron, Swift, Octavia, Designate, Manila) and their
 * discoveries, over one shared Keystone-authenticated client
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include <gmodule.h>

#include "pd-os-client.h"
#include "pd-os-discovery.h"
#include "pd-os-names.h"
#include "pd-os-pollster.h"
#include "pd-os-recordset-pollster.h"
#include "pd-os-rgw-pollster.h"
#include "pd-os-swift-pollster.h"
#include "pd-plugin-openstack.h"

/* identity name cache: entries and lifetime */
#define PD_OS_NAMES_MAX 10000
#define PD_OS_NAMES_TTL_S 600

struct _PdPluginOpenstack {
	PdPlugin parent_instance;
	PdOsClient *client;
	PdOsNames *names;
	GHashTable *swift_warned; /* projects whose Swift account was warned about */
};

G_DEFINE_TYPE(PdPluginOpenstack, pd_plugin_openstack, PD_TYPE_PLUGIN)

static void
pd_plugin_openstack_wire(PdPluginOpenstack *self)
{
	GPtrArray *pollsters = pd_plugin_get_pollsters(PD_PLUGIN(self));
	GPtrArray *discoveries = pd_plugin_get_discoveries(PD_PLUGIN(self));

	for (guint i = 0; i < pollsters->len; i++) {
		PdPollster *p = g_ptr_array_index(pollsters, i);
		if (PD_IS_OS_POLLSTER(p))
			pd_os_pollster_set_names(PD_OS_POLLSTER(p), self->names);
		else if (PD_IS_OS_SWIFT_POLLSTER(p)) {
			pd_os_swift_pollster_set_client(
			  PD_OS_SWIFT_POLLSTER(p), self->client, self->names);
			pd_os_swift_pollster_set_warned(PD_OS_SWIFT_POLLSTER(p),
							self->swift_warned);
		} else if (PD_IS_OS_RECORDSET_POLLSTER(p))
			pd_os_recordset_pollster_set_client(
			  PD_OS_RECORDSET_POLLSTER(p), self->client, self->names);
		else if (PD_IS_OS_RGW_POLLSTER(p))
			pd_os_rgw_pollster_set_client(
			  PD_OS_RGW_POLLSTER(p), self->client, self->names);
	}
	for (guint i = 0; i < discoveries->len; i++)
		pd_os_discovery_set_client(PD_OS_DISCOVERY(g_ptr_array_index(discoveries, i)),
					   self->client);
}

static gboolean
pd_plugin_openstack_start(PdPlugin *plugin, PdConfig *config, GError **error)
{
	PdPluginOpenstack *self = PD_PLUGIN_OPENSTACK(plugin);
	g_autoptr(PdOsClient) client = pd_os_client_new(config, error);

	if (client == NULL)
		return FALSE;
	if (self->client != NULL)
		pd_os_client_shutdown(self->client);
	g_set_object(&self->client, client);
	g_clear_object(&self->names);
	if (pd_config_get_bool(
	      config,
	      "polling",
	      "identity_name_discovery",
	      pd_config_get_bool(config, "polling", "tenant_name_discovery", FALSE)))
		self->names = pd_os_names_new(client, PD_OS_NAMES_MAX, PD_OS_NAMES_TTL_S);
	pd_plugin_openstack_wire(self);
	return TRUE;
}

/* the client (credentials, endpoints, timeouts) is built again when one of
 * its keys changed; the other keys are read at every cycle */
static void
pd_plugin_openstack_reconfigure(PdPlugin *plugin,
				PdConfig *old_config,
				PdConfig *new_config,
				GPtrArray *restart_keys)
{
	const gchar *const name_keys[] = { "polling", "identity_name_discovery",
					   "polling", "tenant_name_discovery",
					   NULL,      NULL };
	g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;

	g_autoptr(GPtrArray) client_keys = g_ptr_array_new();

	/* the client's list ends with one NULL, the call's with a NULL key */
	for (guint i = 0; pd_os_client_config_keys[i] != NULL; i++)
		g_ptr_array_add(client_keys, (gpointer)pd_os_client_config_keys[i]);
	g_ptr_array_add(client_keys, NULL);
	g_ptr_array_add(client_keys, NULL);
	pd_plugin_note_changed_keys(
	  old_config, new_config, (const gchar *const *)client_keys->pdata, changed);
	pd_plugin_note_changed_keys(old_config, new_config, name_keys, changed);
	if (changed->len == 0)
		return;
	if (pd_plugin_openstack_start(plugin, new_config, &error))
		return;
	/* the old client keeps running */
	g_warning("the new service credentials can't be used: %s", error->message);
	for (guint i = 0; i < changed->len; i++)
		g_ptr_array_add(restart_keys, g_strdup(g_ptr_array_index(changed, i)));
}

/* what start() refuses as a config error: a value out of its range */
static gboolean
pd_plugin_openstack_check_config(PdPlugin *plugin, PdConfig *config, GError **error)
{
	gint64 timeout;

	return pd_config_get_int_range(
	  config, "service_credentials", "timeout", 30, 0, 3600, &timeout, error);
}

static void
pd_plugin_openstack_stop(PdPlugin *plugin)
{
	PdPluginOpenstack *self = PD_PLUGIN_OPENSTACK(plugin);

	if (self->client != NULL)
		pd_os_client_shutdown(self->client);
}

static void
pd_plugin_openstack_constructed(GObject *obj)
{
	PdPlugin *plugin = PD_PLUGIN(obj);

	G_OBJECT_CLASS(pd_plugin_openstack_parent_class)->constructed(obj);
	for (guint i = 0; pd_os_meters[i].name != NULL; i++) {
		g_autoptr(PdPollster) p = pd_os_pollster_new(&pd_os_meters[i]);
		pd_plugin_add_pollster(plugin, p);
	}
	for (guint i = 0; pd_os_swift_meter_names[i] != NULL; i++) {
		g_autoptr(PdPollster) p = pd_os_swift_pollster_new(pd_os_swift_meter_names[i]);
		pd_plugin_add_pollster(plugin, p);
	}
	{
		g_autoptr(PdPollster) p = pd_os_recordset_pollster_new();
		pd_plugin_add_pollster(plugin, p);
	}
	for (guint i = 0; pd_os_rgw_meter_names[i] != NULL; i++) {
		g_autoptr(PdPollster) p = pd_os_rgw_pollster_new(pd_os_rgw_meter_names[i]);
		pd_plugin_add_pollster(plugin, p);
	}
	for (guint i = 0; pd_os_rgw_config_keys[i] != NULL; i += 2)
		pd_plugin_add_config_key(
		  plugin, pd_os_rgw_config_keys[i], pd_os_rgw_config_keys[i + 1]);
	for (guint i = 0; pd_os_discovery_names[i] != NULL; i++) {
		g_autoptr(PdDiscovery) d = pd_os_discovery_new(pd_os_discovery_names[i]);
		pd_plugin_add_discovery(plugin, d);
	}
	for (guint i = 0; pd_os_client_config_keys[i] != NULL; i += 2)
		pd_plugin_add_config_key(
		  plugin, pd_os_client_config_keys[i], pd_os_client_config_keys[i + 1]);
}

static void
pd_plugin_openstack_dispose(GObject *obj)
{
	PdPluginOpenstack *self = PD_PLUGIN_OPENSTACK(obj);

	if (self->client != NULL)
		pd_os_client_shutdown(self->client);
	g_clear_object(&self->names);
	g_clear_object(&self->client);
	g_clear_pointer(&self->swift_warned, g_hash_table_unref);
	G_OBJECT_CLASS(pd_plugin_openstack_parent_class)->dispose(obj);
}

static void
pd_plugin_openstack_init(PdPluginOpenstack *self)
{
	/* one per plugin, shared by its five Swift pollsters, kept across reloads */
	self->swift_warned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static void
pd_plugin_openstack_class_init(PdPluginOpenstackClass *klass)
{
	G_OBJECT_CLASS(klass)->constructed = pd_plugin_openstack_constructed;
	G_OBJECT_CLASS(klass)->dispose = pd_plugin_openstack_dispose;
	PD_PLUGIN_CLASS(klass)->start = pd_plugin_openstack_start;
	PD_PLUGIN_CLASS(klass)->stop = pd_plugin_openstack_stop;
	PD_PLUGIN_CLASS(klass)->reconfigure = pd_plugin_openstack_reconfigure;
	PD_PLUGIN_CLASS(klass)->check_config = pd_plugin_openstack_check_config;
}

PD_PLUGIN_DEFINE("openstack", pd_plugin_openstack_get_type)
