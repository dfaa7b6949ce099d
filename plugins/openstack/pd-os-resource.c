/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include "pd-os-resource.h"

static GMutex pd_os_resource_lock;
static GHashTable *pd_os_resource_nodes; /* JsonNode made by us */

static void
pd_os_resource_forget(gpointer data)
{
	g_mutex_lock(&pd_os_resource_lock);
	g_hash_table_remove(pd_os_resource_nodes, data);
	g_mutex_unlock(&pd_os_resource_lock);
	json_node_unref(data);
}

PdResource *
pd_os_resource_new(const gchar *id, JsonNode *node)
{
	JsonNode *copy = json_node_ref(node);

	g_mutex_lock(&pd_os_resource_lock);
	if (pd_os_resource_nodes == NULL)
		pd_os_resource_nodes = g_hash_table_new(g_direct_hash, g_direct_equal);
	/* each node backs exactly one resource */
	g_hash_table_add(pd_os_resource_nodes, copy);
	g_mutex_unlock(&pd_os_resource_lock);
	return pd_resource_new(id, copy, pd_os_resource_forget);
}

JsonNode *
pd_os_resource_get_node(PdResource *res)
{
	gpointer data = pd_resource_get_data(res);
	gboolean ours;

	if (data == NULL)
		return NULL;
	g_mutex_lock(&pd_os_resource_lock);
	ours = pd_os_resource_nodes != NULL && g_hash_table_contains(pd_os_resource_nodes, data);
	g_mutex_unlock(&pd_os_resource_lock);
	return ours ? data : NULL;
}
