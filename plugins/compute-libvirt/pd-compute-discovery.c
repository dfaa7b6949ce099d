/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include "pd-compute-discovery.h"
#include "pd-compute-domain.h"

#include <libvirt/virterror.h>
#include <string.h>

/* what we know of one domain UUID between cycles */
typedef struct {
	gchar *checksum;	 /* of the XML the entry was parsed from */
	PdComputeInstance *inst; /* NULL: not a Nova instance */
	PdComputeDomain *snapshot;
	guint64 generation; /* last discovery that saw the domain */
	gint64 xml_time;    /* when the XML was last read (monotonic usec) */
	gint xml_state;	    /* the state then */
} PdComputeCacheEntry;

/* one domain of this cycle's listing */
typedef struct {
	virDomainPtr dom;
	gint state;
	guchar uuid[VIR_UUID_BUFLEN];
	gboolean xml_due; /* read this cycle, else the cached one stands */
	gchar *xml;	  /* NULL when due: the read failed */
} PdComputeListed;

/* XML reads spread over a few threads: the RPC client multiplexes calls on
 * one connection and libvirtd answers them from its worker pool */
#define PD_COMPUTE_XML_THREADS 4

struct _PdComputeDiscovery {
	PdDiscovery parent_instance;
	PdComputeConnection *conn;
	GMutex lock;	   /* discoveries of two tasks may overlap */
	GHashTable *cache; /* raw uuid -> PdComputeCacheEntry */
	guint64 generation;
	gchar *host;
	GHashTable *flavor_ids; /* flavor name -> id */
	gint64 update_interval; /* usec; 0: read every XML every cycle */
	gint64 cache_expiry;	/* usec; 0: never */
	gint64 cache_time;	/* when the cache was last emptied */
	gint64 clock_offset;	/* tests move the clock */
	guint64 conn_serial;	/* the connection the cache was last checked against */
};

/* what this discovery knows about changes since the last one */
typedef struct {
	gboolean events;     /* domain events on the connection: only changed XML is due */
	gboolean all;	     /* events were missed: everything is due */
	GHashTable *changed; /* raw UUIDs with an event */
} PdComputeChanges;

G_DEFINE_TYPE(PdComputeDiscovery, pd_compute_discovery, PD_TYPE_DISCOVERY)

static gint64
pd_compute_discovery_now(PdComputeDiscovery *self)
{
	return g_get_monotonic_time() + self->clock_offset;
}

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
pd_compute_cache_entry_update_xml(PdComputeCacheEntry *entry, PdComputeListed *l)
{
	g_autofree gchar *checksum = g_compute_checksum_for_string(G_CHECKSUM_SHA1, l->xml, -1);
	g_autoptr(GError) error = NULL;

	if (g_strcmp0(checksum, entry->checksum) == 0)
		return;
	g_free(entry->checksum);
	entry->checksum = g_steal_pointer(&checksum);
	g_clear_pointer(&entry->inst, pd_compute_instance_unref);
	g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	entry->inst = pd_compute_instance_parse(l->xml, strlen(l->xml), &error);
	/* logged once per XML change, not once per cycle */
	if (error != NULL) {
		gchar uuid[VIR_UUID_STRING_BUFLEN];
		virDomainGetUUIDString(l->dom, uuid);
		g_warning("domain %s skipped: %s", uuid, error->message);
	}
}

/* NULL when the domain is no instance */
static PdComputeDomain *
pd_compute_discovery_visit(PdComputeDiscovery *self,
			   virConnectPtr conn,
			   PdComputeListed *l,
			   gint64 now)
{
	PdComputeCacheEntry *entry;

	/* vanished meanwhile */
	if (l->xml_due && l->xml == NULL)
		return NULL;
	entry = g_hash_table_lookup(self->cache, l->uuid);
	if (entry == NULL) {
		entry = g_new0(PdComputeCacheEntry, 1);
		g_hash_table_insert(self->cache, g_memdup2(l->uuid, VIR_UUID_BUFLEN), entry);
	}
	entry->generation = self->generation;
	if (l->xml != NULL) {
		pd_compute_cache_entry_update_xml(entry, l);
		entry->xml_time = now;
		entry->xml_state = l->state;
	}
	if (entry->inst == NULL)
		return NULL;
	/* the snapshot holds a domain handle: rebuild it after a reconnection */
	if (entry->snapshot != NULL && (entry->snapshot->state != l->state ||
					virDomainGetConnect(entry->snapshot->dom) != conn))
		g_clear_pointer(&entry->snapshot, pd_compute_domain_unref);
	if (entry->snapshot == NULL) {
		entry->snapshot =
		  pd_compute_domain_new(entry->inst,
					l->dom,
					l->state,
					self->host,
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

/* The XML of a known domain is read again when its state changed (a started
 * domain gets its tap devices), when [compute] resource_update_interval is over
 * (0: every cycle, unless domain events say what changed), when an event came
 * for it, or when the connection is new (libvirtd restarted, events missed). */
static gboolean
pd_compute_discovery_xml_due(PdComputeDiscovery *self,
			     virConnectPtr conn,
			     PdComputeListed *l,
			     gint64 now,
			     const PdComputeChanges *ch)
{
	PdComputeCacheEntry *entry = g_hash_table_lookup(self->cache, l->uuid);

	if (entry == NULL || entry->xml_state != l->state)
		return TRUE;
	if (self->update_interval > 0 && now - entry->xml_time >= self->update_interval)
		return TRUE;
	if (ch->events)
		return ch->all || g_hash_table_contains(ch->changed, l->uuid);
	if (self->update_interval <= 0)
		return TRUE;
	return entry->snapshot != NULL && virDomainGetConnect(entry->snapshot->dom) != conn;
}

static void
pd_compute_listed_clear(PdComputeListed *l)
{
	g_clear_pointer(&l->dom, virDomainFree);
	g_free(l->xml);
}

/* --- listing: one round trip for every domain and its state --- */

static gboolean
pd_compute_listed_set(PdComputeListed *l, virDomainPtr dom, virTypedParameterPtr params, gint n)
{
	gint state = -1, reason;

	if (params != NULL && virTypedParamsGetInt(params, n, "state.state", &state) != 1)
		state = -1;
	/* a driver whose bulk answer lacks the state: ask per domain */
	if (state < 0 && virDomainGetState(dom, &state, &reason, 0) < 0)
		return FALSE;
	if (virDomainGetUUID(dom, l->uuid) < 0)
		return FALSE;
	virDomainRef(dom);
	l->dom = dom;
	l->state = state;
	return TRUE;
}

static GArray *
pd_compute_list_bulk(virConnectPtr conn)
{
	virDomainStatsRecordPtr *records = NULL;
	GArray *listed;
	gint n = virConnectGetAllDomainStats(conn, VIR_DOMAIN_STATS_STATE, &records, 0);

	if (n < 0)
		return NULL;
	listed = g_array_sized_new(FALSE, TRUE, sizeof(PdComputeListed), n);
	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listed_clear);
	for (gint i = 0; i < n; i++) {
		PdComputeListed l = { NULL };
		if (pd_compute_listed_set(
		      &l, records[i]->dom, records[i]->params, records[i]->nparams))
			g_array_append_val(listed, l);
	}
	virDomainStatsRecordListFree(records);
	return listed;
}

/* drivers without bulk statistics: a listing, then the state per domain */
static GArray *
pd_compute_list_each(virConnectPtr conn)
{
	virDomainPtr *doms = NULL;
	GArray *listed;
	gint n = virConnectListAllDomains(conn, &doms, 0);

	if (n < 0)
		return NULL;
	listed = g_array_sized_new(FALSE, TRUE, sizeof(PdComputeListed), n);
	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listed_clear);
	for (gint i = 0; i < n; i++) {
		PdComputeListed l = { NULL };
		if (pd_compute_listed_set(&l, doms[i], NULL, 0))
			g_array_append_val(listed, l);
		virDomainFree(doms[i]);
	}
	free(doms);
	return listed;
}

static GArray *
pd_compute_list_domains_once(virConnectPtr conn)
{
	GArray *listed = pd_compute_list_bulk(conn);

	if (listed == NULL && pd_compute_last_error_code() == VIR_ERR_NO_SUPPORT)
		listed = pd_compute_list_each(conn);
	return listed;
}

static GArray *
pd_compute_list_domains(PdComputeDiscovery *self, virConnectPtr *conn, GError **error)
{
	for (guint attempt = 0; attempt < 2; attempt++) {
		GArray *listed;
		GMutexLocker *calls;
		*conn = pd_compute_connection_get(self->conn, error);
		if (*conn == NULL)
			return NULL;
		calls = pd_compute_connection_lock_calls(self->conn);
		listed = pd_compute_list_domains_once(*conn);
		g_clear_pointer(&calls, g_mutex_locker_free);
		if (listed != NULL)
			return listed;
		/* a dead connection is reopened once right away */
		if (!pd_compute_connection_check_failure(self->conn, *conn) || attempt == 1) {
			pd_compute_set_virt_error(error, "listing libvirt domains");
			return NULL;
		}
		g_clear_pointer(conn, virConnectClose);
	}
	return NULL;
}

/* --- XML reads, from a few threads --- */

typedef struct {
	GPtrArray *todo; /* PdComputeListed, borrowed */
	gint next;
} PdComputeXmlJob;

static gpointer
pd_compute_xml_thread(gpointer data)
{
	PdComputeXmlJob *job = data;
	gint i;

	while ((i = g_atomic_int_add(&job->next, 1)) < (gint)job->todo->len) {
		PdComputeListed *l = g_ptr_array_index(job->todo, i);
		/* NULL: vanished meanwhile, or a failure the next cycle retries */
		l->xml = virDomainGetXMLDesc(l->dom, 0);
	}
	return NULL;
}

static void
pd_compute_read_xmls(PdComputeDiscovery *self, GPtrArray *todo)
{
	PdComputeXmlJob job = { todo, 0 };
	GThread *threads[PD_COMPUTE_XML_THREADS] = { NULL };
	/* remote connections take one call at a time: no helpers then */
	g_autoptr(GMutexLocker) calls = pd_compute_connection_lock_calls(self->conn);
	/* the calling thread reads too: a short list needs no helpers */
	guint n = calls != NULL ? 0 : MIN(PD_COMPUTE_XML_THREADS - 1, todo->len / 16);

	for (guint i = 0; i < n; i++)
		threads[i] = g_thread_try_new("pd-compute-xml", pd_compute_xml_thread, &job, NULL);
	pd_compute_xml_thread(&job);
	for (guint i = 0; i < n; i++) {
		if (threads[i] != NULL)
			g_thread_join(threads[i]);
	}
}

static void
pd_compute_discovery_fetch_xmls(PdComputeDiscovery *self,
				virConnectPtr conn,
				GArray *listed,
				gint64 now)
{
	g_autoptr(GPtrArray) todo = g_ptr_array_new();
	PdComputeChanges ch = { FALSE, FALSE, NULL };
	guint64 serial = 0;

	/* taken after the listing: a failed discovery keeps them for the next */
	ch.events = pd_compute_connection_take_changes(self->conn, conn, &ch.changed, &serial);
	ch.all = ch.changed == NULL || serial != self->conn_serial;
	self->conn_serial = serial;
	/* a full refresh now and then, as Ceilometer's resource_cache_expiry */
	if (self->cache_expiry > 0 && now - self->cache_time >= self->cache_expiry) {
		g_hash_table_remove_all(self->cache);
		self->cache_time = now;
	}
	for (guint i = 0; i < listed->len; i++) {
		PdComputeListed *l = &g_array_index(listed, PdComputeListed, i);
		l->xml_due = pd_compute_discovery_xml_due(self, conn, l, now, &ch);
		if (l->xml_due)
			g_ptr_array_add(todo, l);
	}
	g_clear_pointer(&ch.changed, g_hash_table_unref);
	pd_compute_read_xmls(self, todo);
	g_debug("discovery: %u domains, %u XML reads in %.3f s",
		listed->len,
		todo->len,
		(pd_compute_discovery_now(self) - now) / (gdouble)G_USEC_PER_SEC);
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
	g_autoptr(GArray) listed = pd_compute_list_domains(self, &conn, error);
	gint64 now;

	if (listed == NULL) {
		if (conn != NULL)
			virConnectClose(conn);
		return NULL;
	}
	resources = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	g_mutex_lock(&self->lock);
	now = pd_compute_discovery_now(self);
	self->generation++;
	pd_compute_discovery_fetch_xmls(self, conn, listed, now);
	for (guint i = 0; i < listed->len; i++) {
		PdComputeListed *l = &g_array_index(listed, PdComputeListed, i);
		PdComputeDomain *cd = pd_compute_discovery_visit(self, conn, l, now);
		if (cd != NULL)
			g_ptr_array_add(resources,
					pd_resource_new(cd->inst->uuid,
							cd,
							(GDestroyNotify)pd_compute_domain_unref));
	}
	pd_compute_discovery_prune(self);
	g_mutex_unlock(&self->lock);
	virConnectClose(conn);
	return resources;
}

void
pd_compute_discovery_set_refresh(PdComputeDiscovery *self,
				 gint64 update_interval,
				 gint64 cache_expiry)
{
	g_mutex_lock(&self->lock);
	self->update_interval = MAX(update_interval, 0);
	self->cache_expiry = MAX(cache_expiry, 0);
	g_mutex_unlock(&self->lock);
}

void
pd_compute_discovery_advance_clock(PdComputeDiscovery *self, gint64 usec)
{
	g_mutex_lock(&self->lock);
	self->clock_offset += usec;
	g_mutex_unlock(&self->lock);
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
			g_warning("[compute] flavor_ids: ignoring '%s', expected name:id",
				  flavor_ids[i]);
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
	PdComputeDiscovery *self =
	  g_object_new(PD_TYPE_COMPUTE_DISCOVERY, "name", "local_instances", NULL);
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
	self->cache = g_hash_table_new_full(pd_compute_uuid_hash,
					    pd_compute_uuid_equal,
					    g_free,
					    (GDestroyNotify)pd_compute_cache_entry_free);
	self->flavor_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->host = g_strdup(g_get_host_name());
	self->cache_time = pd_compute_discovery_now(self);
}

static void
pd_compute_discovery_class_init(PdComputeDiscoveryClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_compute_discovery_finalize;
	PD_DISCOVERY_CLASS(klass)->discover = pd_compute_discovery_discover;
}
