/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include "pd-compute-domain.h"
#include "pd-compute-pool.h"

struct _PdComputePool {
	GObject parent_instance;
	PdPlugin *plugin; /* not a reference: the plugin owns us */
	GMutex lock;
	GPtrArray *pipelines; /* fixed once filled */
	GHashTable *sources;  /* source name -> PdComputePoolSource */
	gint jobs;	      /* atomic: statistics jobs queued or running */
	guint cycles_done;    /* cycles whose statistics are gone (under the lock) */
	guint records_peak;   /* ... the last one's records alive at most */
};

/* what a source's meters asked for in earlier cycles */
typedef struct {
	guint groups;	/* statistics groups */
	guint64 meters; /* meters reading statistics (bits) */
	guint64 peers;	/* ... and those of the sources that shared its last
			 * cycle's statistics (the same interval) */
} PdComputePoolSource;

G_DEFINE_TYPE(PdComputePool, pd_compute_pool, G_TYPE_OBJECT)

/* called with the lock held */
static PdComputePoolSource *
pd_compute_pool_source_locked(PdComputePool *self, const gchar *source)
{
	const gchar *key = source != NULL ? source : "";
	PdComputePoolSource *src = g_hash_table_lookup(self->sources, key);

	if (src == NULL) {
		src = g_new0(PdComputePoolSource, 1);
		g_hash_table_insert(self->sources, g_strdup(key), src);
	}
	return src;
}

/* the pipelines, created on first use: tests inject a connection instead */
static void
pd_compute_pool_fill_locked(PdComputePool *self, guint n)
{
	for (guint i = self->pipelines->len; i < n; i++)
		g_ptr_array_add(self->pipelines, pd_compute_pipeline_new(self->plugin, i));
}

void
pd_compute_pool_configure(PdComputePool *self,
			  const gchar *uri,
			  guint connections,
			  gint64 backoff_max_usec,
			  gint keepalive_interval,
			  guint keepalive_count,
			  gboolean domain_events)
{
	guint n = CLAMP(connections, 1, PD_COMPUTE_POOL_MAX_SIZE);

	/* the in-process test driver parses its file once per connection */
	if (uri != NULL && g_str_has_prefix(uri, "test:///"))
		n = 1;
	g_mutex_lock(&self->lock);
	if (self->pipelines->len > n)
		g_message("[compute] libvirt_connections: %u connections until polld restarts",
			  self->pipelines->len);
	pd_compute_pool_fill_locked(self, MAX(n, 1));
	for (guint i = 0; i < self->pipelines->len; i++) {
		PdComputeConnection *conn =
		  pd_compute_pipeline_get_connection(g_ptr_array_index(self->pipelines, i));
		pd_compute_connection_set_uri(conn, uri);
		pd_compute_connection_set_backoff_max(conn, backoff_max_usec);
		pd_compute_connection_set_keepalive(conn, keepalive_interval, keepalive_count);
		pd_compute_connection_set_domain_events(conn, domain_events);
	}
	g_mutex_unlock(&self->lock);
}

void
pd_compute_pool_set_conn(PdComputePool *self, virConnectPtr conn)
{
	g_mutex_lock(&self->lock);
	pd_compute_pool_fill_locked(self, 1);
	pd_compute_connection_set_conn(
	  pd_compute_pipeline_get_connection(g_ptr_array_index(self->pipelines, 0)), conn);
	g_mutex_unlock(&self->lock);
}

void
pd_compute_pool_set_conn_shared(PdComputePool *self, virConnectPtr conn, guint n)
{
	g_mutex_lock(&self->lock);
	pd_compute_pool_fill_locked(self, CLAMP(n, 1, PD_COMPUTE_POOL_MAX_SIZE));
	for (guint i = 0; i < self->pipelines->len; i++)
		pd_compute_connection_set_conn(
		  pd_compute_pipeline_get_connection(g_ptr_array_index(self->pipelines, i)), conn);
	g_mutex_unlock(&self->lock);
}

guint
pd_compute_pool_get_size(PdComputePool *self)
{
	guint n;

	g_mutex_lock(&self->lock);
	pd_compute_pool_fill_locked(self, 1);
	n = self->pipelines->len;
	g_mutex_unlock(&self->lock);
	return n;
}

PdComputePipeline *
pd_compute_pool_get(PdComputePool *self, guint index)
{
	PdComputePipeline *pipeline;

	g_mutex_lock(&self->lock);
	pd_compute_pool_fill_locked(self, 1);
	pipeline = g_ptr_array_index(self->pipelines, index % self->pipelines->len);
	g_mutex_unlock(&self->lock);
	return pipeline;
}

guint
pd_compute_pool_shard(PdComputePool *self, const guchar *uuid)
{
	guint n = pd_compute_pool_get_size(self);

	return n == 1 ? 0 : pd_compute_uuid_hash(uuid) % n;
}

static void
pd_compute_pool_open_cb(PdComputeConnection *conn, gpointer data)
{
	g_autoptr(GError) error = NULL;
	virConnectPtr c = pd_compute_connection_get(conn, &error);

	/* a failure set the plugin status; the next discovery retries */
	if (c != NULL)
		virConnectClose(c);
}

static void
pd_compute_pool_close_cb(PdComputeConnection *conn, gpointer data)
{
	pd_compute_connection_close(conn);
}

static void
pd_compute_pool_push_all(PdComputePool *self, PdComputePipelineFunc func)
{
	g_mutex_lock(&self->lock);
	for (guint i = 0; i < self->pipelines->len; i++)
		pd_compute_pipeline_push(g_ptr_array_index(self->pipelines, i), func, NULL, NULL);
	g_mutex_unlock(&self->lock);
}

void
pd_compute_pool_open_in_background(PdComputePool *self)
{
	pd_compute_pipeline_push(pd_compute_pool_get(self, 0), pd_compute_pool_open_cb, NULL, NULL);
}

void
pd_compute_pool_close(PdComputePool *self)
{
	pd_compute_pool_push_all(self, pd_compute_pool_close_cb);
}

guint
pd_compute_pool_get_groups(PdComputePool *self, const gchar *source)
{
	guint groups;

	g_mutex_lock(&self->lock);
	groups = pd_compute_pool_source_locked(self, source)->groups;
	g_mutex_unlock(&self->lock);
	return groups;
}

void
pd_compute_pool_add_groups(PdComputePool *self, const gchar *source, guint groups)
{
	g_mutex_lock(&self->lock);
	pd_compute_pool_source_locked(self, source)->groups |= groups;
	g_mutex_unlock(&self->lock);
}

guint64
pd_compute_pool_add_meter(PdComputePool *self, const gchar *source, guint64 meter)
{
	PdComputePoolSource *src;
	guint64 meters;

	g_mutex_lock(&self->lock);
	src = pd_compute_pool_source_locked(self, source);
	src->meters |= meter;
	meters = src->meters | src->peers;
	g_mutex_unlock(&self->lock);
	return meters;
}

void
pd_compute_pool_set_peers(PdComputePool *self, GPtrArray *sources)
{
	guint64 all = 0;

	g_mutex_lock(&self->lock);
	for (guint i = 0; i < sources->len; i++)
		all |= pd_compute_pool_source_locked(self, g_ptr_array_index(sources, i))->meters;
	/* replaced, not added: a source a reload moved away stops holding records */
	for (guint i = 0; i < sources->len; i++)
		pd_compute_pool_source_locked(self, g_ptr_array_index(sources, i))->peers = all;
	g_mutex_unlock(&self->lock);
}

void
pd_compute_pool_count_jobs(PdComputePool *self, gint delta)
{
	g_atomic_int_add(&self->jobs, delta);
}

gint
pd_compute_pool_get_jobs(PdComputePool *self)
{
	return g_atomic_int_get(&self->jobs);
}

void
pd_compute_pool_note_records(PdComputePool *self, guint peak)
{
	g_mutex_lock(&self->lock);
	self->cycles_done++;
	self->records_peak = peak;
	g_mutex_unlock(&self->lock);
}

guint
pd_compute_pool_get_records_peak(PdComputePool *self, guint *cycles_done)
{
	guint peak;

	g_mutex_lock(&self->lock);
	peak = self->records_peak;
	if (cycles_done != NULL)
		*cycles_done = self->cycles_done;
	g_mutex_unlock(&self->lock);
	return peak;
}

PdComputePool *
pd_compute_pool_new(PdPlugin *plugin)
{
	PdComputePool *self = g_object_new(PD_TYPE_COMPUTE_POOL, NULL);
	self->plugin = plugin;
	return self;
}

static void
pd_compute_pool_finalize(GObject *obj)
{
	PdComputePool *self = PD_COMPUTE_POOL(obj);

	g_ptr_array_unref(self->pipelines);
	g_hash_table_unref(self->sources);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(pd_compute_pool_parent_class)->finalize(obj);
}

static void
pd_compute_pool_init(PdComputePool *self)
{
	g_mutex_init(&self->lock);
	self->pipelines = g_ptr_array_new_with_free_func(g_object_unref);
	self->sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
pd_compute_pool_class_init(PdComputePoolClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_compute_pool_finalize;
}
