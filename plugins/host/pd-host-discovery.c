/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-host"

#include "pd-host-discovery.h"

struct _PdHostDiscovery {
	PdDiscovery parent_instance;
};

G_DEFINE_TYPE(PdHostDiscovery, pd_host_discovery, PD_TYPE_DISCOVERY)

/* one resource, named after [DEFAULT] host like Ceilometer's local_node; read
 * every cycle so that a reload renames the node */
static GPtrArray *
pd_host_discovery_discover(PdDiscovery *discovery,
			   const gchar *param,
			   PdCycleCache *cache,
			   GCancellable *cancellable,
			   GError **error)
{
	PdConfig *config = pd_cycle_cache_get_config(cache);
	const gchar *host = NULL;
	GPtrArray *resources = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);

	if (config != NULL)
		host = pd_config_get_string(config, NULL, "host", NULL);
	if (host == NULL || host[0] == '\0')
		host = g_get_host_name();
	g_ptr_array_add(resources, pd_resource_new(host, NULL, NULL));
	return resources;
}

static void
pd_host_discovery_init(PdHostDiscovery *self)
{
}

static void
pd_host_discovery_class_init(PdHostDiscoveryClass *klass)
{
	PD_DISCOVERY_CLASS(klass)->discover = pd_host_discovery_discover;
}

PdDiscovery *
pd_host_discovery_new(void)
{
	return g_object_new(PD_TYPE_HOST_DISCOVERY, "name", "local_node", NULL);
}
