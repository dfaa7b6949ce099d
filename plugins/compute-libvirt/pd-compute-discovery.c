/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include "pd-compute-discovery.h"
#include "pd-compute-domain.h"

/* what we know of one domain UUID between cycles */
typedef struct {
	gchar *checksum;	 /* of the XML the entry was parsed from */
	PdComputeInstance *inst; /* NULL: not a Nova instance */
	PdComputeDomain *snapshot;
	guint64 generation; /* last discovery that saw the domain */
} PdComputeCacheEntry;

struct _PdComputeDiscovery {
	PdDiscovery parent_instance;
	PdComputeConnection *conn;
	GMutex lock; /* discoveries of two tasks may overlap */
	GHashTable *cache; /* uuid -> PdComputeCacheEntry */
	guint64 generation;
	gchar *host;
	GHashTable *flavor_ids; /* flavor name -> id */
};

G_DEFINE_TYPE(PdComputeDiscovery, pd_compute_discovery, PD_TYPE_DISCOVERY)

static void
pd_compute_cache_entry_free(PdComputeCacheEntry *entry)
{
	g_free(entry->checksum);
	g_clear_pointer(&entry->inst, pd_compute_instance_unref);
	g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	g_free(entry);
}

static const gchar *
pd_compute_discovery_flavor_id(PdComputeDiscovery *self, PdComputeInstance *inst)
{
	const gchar *id;

	if (inst->flavor_id != NULL)
		return inst->flavor_id;
	id = g_hash_table_lookup(self->flavor_ids, inst->flavor_name);
	/* Ceilometer asks Nova and falls back to the name when Nova doesn't know */
	return id != NULL ? id : inst->flavor_name;
}

static void
pd_compute_cache_entry_update_xml(PdComputeCacheEntry *entry, const gchar *uuid, const gchar *xml)
{
	g_autofree gchar *checksum = g_compute_checksum_for_string(G_CHECKSUM_SHA1, xml, -1);
	g_autoptr(GError) error = NULL;

	if (g_strcmp0(checksum, entry->checksum) == 0)
		return;
	g_free(entry->checksum);
	entry->checksum = g_steal_pointer(&checksum);
	g_clear_pointer(&entry->inst, pd_compute_instance_unref);
	g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	entry->inst = pd_compute_instance_parse(xml, strlen(xml), &error);
	/* logged once per XML change, not once per cycle */
	if (error != NULL)
		g_warning("domain %s skipped: %s", uuid, error->message);
}

static PdComputeCacheEntry *
pd_compute_discovery_lookup(PdComputeDiscovery *self, const gchar *uuid)
{
	PdComputeCacheEntry *entry = g_hash_table_lookup(self->cache, uuid);

	if (entry == NULL) {
		entry = g_new0(PdComputeCacheEntry, 1);
		g_hash_table_insert(self->cache, g_strdup(uuid), entry);
	}
	entry->generation = self->generation;
	return entry;
}

/* NULL when the domain is no instance or vanished meanwhile */
static PdComputeDomain *
pd_compute_discovery_visit(PdComputeDiscovery *self, virConnectPtr conn, virDomainPtr dom)
{
	gchar uuid[VIR_UUID_STRING_BUFLEN];
	g_autofree gchar *xml = NULL;
	PdComputeCacheEntry *entry;
	gint state, reason;

	if (virDomainGetUUIDString(dom, uuid) < 0 || virDomainGetState(dom, &state, &reason, 0) < 0)
		return NULL;
	xml = virDomainGetXMLDesc(dom, 0);
	if (xml == NULL)
		return NULL;
	entry = pd_compute_discovery_lookup(self, uuid);
	pd_compute_cache_entry_update_xml(entry, uuid, xml);
	if (entry->inst == NULL)
		return NULL;
	/* the snapshot holds a domain handle: rebuild it after a reconnection */
	if (entry->snapshot != NULL &&
	    (entry->snapshot->state != state || virDomainGetConnect(entry->snapshot->dom) != conn))
		g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	if (entry->snapshot == NULL) {
		entry->snapshot = pd_compute_domain_new(entry->inst, dom, state, self->host,
							pd_compute_discovery_flavor_id(self, entry->inst));
	}
	return pd_compute_domain_ref(entry->snapshot);
}

static void
pd_compute_discovery_prune(PdComputeDiscovery *self)
{
	GHashTableIter iter;
	PdComputeCacheEntry *entry;

	g_hash_table_iter_init(&iter, self->cache);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&entry)) {
		if (entry->generation != self->generation)
			g_hash_table_iter_remove(&iter);
	}
}

static gint
pd_compute_list_domains(PdComputeDiscovery *self, virConnectPtr *conn, virDomainPtr **doms,
			GError **error)
{
	for (guint attempt = 0; attempt < 2; attempt++) {
		gint n;
		*conn = pd_compute_connection_get(self->conn, error);
		if (*conn == NULL)
			return -1;
		n = virConnectListAllDomains(*conn, doms, 0);
		if (n >= 0)
			return n;
		/* a dead connection is reopened once right away */
		if (!pd_compute_connection_check_failure(self->conn, *conn) || attempt == 1) {
			pd_compute_set_virt_error(error, "listing libvirt domains");
			return -1;
		}
		g_clear_pointer(conn, virConnectClose);
	}
	return -1;
}

static GPtrArray *
pd_compute_discovery_discover(PdDiscovery *discovery,
			      const gchar *param,
			      PdCycleCache *cache,
			      GCancellable *cancellable,
			      GError **error)
{
	PdComputeDiscovery *self = PD_COMPUTE_DISCOVERY(discovery);
	GPtrArray *resources;
	virConnectPtr conn = NULL;
	virDomainPtr *doms = NULL;
	gint n = pd_compute_list_domains(self, &conn, &doms, error);

	if (n < 0) {
		if (conn != NULL)
			virConnectClose(conn);
		return NULL;
	}
	resources = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	g_mutex_lock(&self->lock);
	self->generation++;
	for (gint i = 0; i < n; i++) {
		PdComputeDomain *cd = pd_compute_discovery_visit(self, conn, doms[i]);
		if (cd != NULL)
			g_ptr_array_add(resources, pd_resource_new(cd->inst->uuid, cd,
								   (GDestroyNotify)pd_compute_domain_unref));
		virDomainFree(doms[i]);
	}
	pd_compute_discovery_prune(self);
	g_mutex_unlock(&self->lock);
	free(doms);
	virConnectClose(conn);
	return resources;
}

void
pd_compute_discovery_configure(PdComputeDiscovery *self, const gchar *host, gchar **flavor_ids)
{
	GHashTableIter iter;
	PdComputeCacheEntry *entry;

	g_mutex_lock(&self->lock);
	g_free(self->host);
	self->host = g_strdup(host);
	g_hash_table_remove_all(self->flavor_ids);
	for (guint i = 0; flavor_ids != NULL && flavor_ids[i] != NULL; i++) {
		g_auto(GStrv) kv = g_strsplit(flavor_ids[i], ":", 2);
		if (g_strv_length(kv) == 2)
			g_hash_table_insert(self->flavor_ids, g_strdup(kv[0]), g_strdup(kv[1]));
		else
			g_warning("[compute] flavor_ids: ignoring '%s', expected name:id", flavor_ids[i]);
	}
	/* metadata carries the host and flavor id: rebuild it */
	g_hash_table_iter_init(&iter, self->cache);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&entry))
		g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	g_mutex_unlock(&self->lock);
}

guint
pd_compute_discovery_get_cache_size(PdComputeDiscovery *self)
{
	guint n;

	g_mutex_lock(&self->lock);
	n = g_hash_table_size(self->cache);
	g_mutex_unlock(&self->lock);
	return n;
}

PdDiscovery *
pd_compute_discovery_new(PdComputeConnection *conn)
{
	PdComputeDiscovery *self = g_object_new(PD_TYPE_COMPUTE_DISCOVERY, "name", "local_instances", NULL);
	self->conn = g_object_ref(conn);
	return PD_DISCOVERY(self);
}

static void
pd_compute_discovery_finalize(GObject *obj)
{
	PdComputeDiscovery *self = PD_COMPUTE_DISCOVERY(obj);

	g_clear_object(&self->conn);
	g_hash_table_unref(self->cache);
	g_hash_table_unref(self->flavor_ids);
	g_free(self->host);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(pd_compute_discovery_parent_class)->finalize(obj);
}

static void
pd_compute_discovery_init(PdComputeDiscovery *self)
{
	g_mutex_init(&self->lock);
	self->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)pd_compute_cache_entry_free);
	self->flavor_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->host = g_strdup(g_get_host_name());
}

static void
pd_compute_discovery_class_init(PdComputeDiscoveryClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_compute_discovery_finalize;
	PD_DISCOVERY_CLASS(klass)->discover = pd_compute_discovery_discover;
}
