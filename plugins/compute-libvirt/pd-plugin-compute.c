/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include "pd-compute-discovery.h"
#include "pd-compute-pollster.h"
#include "pd-compute-stats.h"
#include "pd-plugin-compute.h"

struct _PdPluginCompute {
	PdPlugin parent_instance;
	PdComputePool *pool;
	PdDiscovery *discovery;
};

G_DEFINE_TYPE(PdPluginCompute, pd_plugin_compute, PD_TYPE_PLUGIN)

PD_PLUGIN_DEFINE("compute-libvirt", pd_plugin_compute_get_type)

static const gchar *const pd_compute_config_keys[] = {
	NULL,	   "libvirt_uri",
	NULL,	   "libvirt_type",
	NULL,	   "host",
	"compute", "libvirt_uri",
	"compute", "libvirt_type",
	"compute", "instance_discovery_method",
	"compute", "resource_update_interval",
	"compute", "resource_cache_expiry",
	"compute", "flavor_ids",
	"compute", "bulk_stats",
	"compute", "reconnect_max_interval",
	"compute", "libvirt_keepalive_interval",
	"compute", "libvirt_keepalive_count",
	"compute", "domain_events",
	"compute", "libvirt_connections",
	NULL,	   NULL,
};

/* the [compute] settings, read and range-checked */
typedef struct {
	gchar *uri;
	gchar **flavor_ids;
	gchar *host;
	gboolean use_bulk;
	gboolean domain_events;
	gint64 backoff_max;
	gint64 keepalive_interval;
	gint64 keepalive_count;
	gint64 update_interval;
	gint64 cache_expiry;
	gint64 connections;
	PdCeilometerRelease release; /* [polld] ceilometer_compat */
} PdComputeSettings;

static void
pd_compute_settings_clear(PdComputeSettings *s)
{
	g_free(s->uri);
	g_strfreev(s->flavor_ids);
	g_free(s->host);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PdComputeSettings, pd_compute_settings_clear)

static gboolean
pd_compute_settings_read(PdComputeSettings *s, PdConfig *config, GError **error)
{
	const gchar *host = pd_config_get_string(config, NULL, "host", NULL);

	s->uri = pd_compute_connection_uri_from_config(config);
	s->flavor_ids = pd_config_get_list(config, "compute", "flavor_ids", NULL);
	s->host = g_strdup(host != NULL ? host : g_get_host_name());
	s->use_bulk = pd_config_get_bool(config, "compute", "bulk_stats", TRUE);
	s->domain_events = pd_config_get_bool(config, "compute", "domain_events", TRUE);
	/* the daemon refuses a config with another value */
	pd_config_get_ceilometer_compat(config, &s->release, NULL);
	/* the ranges polld.conf(5) documents */
	return pd_config_get_int_range(config,
				       "compute",
				       "reconnect_max_interval",
				       60,
				       1,
				       3600,
				       &s->backoff_max,
				       error) &&
	       pd_config_get_int_range(config,
				       "compute",
				       "libvirt_keepalive_interval",
				       5,
				       0,
				       3600,
				       &s->keepalive_interval,
				       error) &&
	       pd_config_get_int_range(config,
				       "compute",
				       "libvirt_keepalive_count",
				       5,
				       1,
				       100,
				       &s->keepalive_count,
				       error) &&
	       pd_config_get_int_range(config,
				       "compute",
				       "resource_update_interval",
				       0,
				       0,
				       86400,
				       &s->update_interval,
				       error) &&
	       pd_config_get_int_range(config,
				       "compute",
				       "resource_cache_expiry",
				       3600,
				       0,
				       604800,
				       &s->cache_expiry,
				       error) &&
	       pd_config_get_int_range(config,
				       "compute",
				       "libvirt_connections",
				       PD_COMPUTE_POOL_DEFAULT_SIZE,
				       1,
				       PD_COMPUTE_POOL_MAX_SIZE,
				       &s->connections,
				       error);
}

static void
pd_compute_warn_method(PdConfig *config)
{
	const gchar *method =
	  pd_config_get_string(config, "compute", "instance_discovery_method", "libvirt_metadata");

	/* the other methods ask Nova's API, which a compute node shouldn't need */
	if (g_strcmp0(method, "libvirt_metadata") != 0)
		g_warning("[compute] instance_discovery_method = %s is not supported, "
			  "using libvirt_metadata",
			  method);
}

/* what every cycle reads: applies at once, at start and on reload */
static void
pd_plugin_compute_apply(PdPluginCompute *self, const PdComputeSettings *s, guint connections)
{
	GPtrArray *pollsters = pd_plugin_get_pollsters(PD_PLUGIN(self));

	pd_compute_discovery_set_refresh(PD_COMPUTE_DISCOVERY(self->discovery),
					 s->update_interval * G_USEC_PER_SEC,
					 s->cache_expiry * G_USEC_PER_SEC);
	for (guint i = 0; i < pollsters->len; i++)
		pd_compute_pollster_set_use_bulk(g_ptr_array_index(pollsters, i), s->use_bulk);
	/* as Nova: a libvirtd that stops answering is noticed within
	 * interval * (count + 1) seconds, not when a call finally fails; with
	 * events, a domain's XML is read again only when it changed. A new URI,
	 * keepalive or event setting makes the next call reopen the connection. */
	pd_compute_pool_configure(self->pool,
				  s->uri,
				  connections,
				  s->backoff_max * G_USEC_PER_SEC,
				  (gint)s->keepalive_interval,
				  (guint)s->keepalive_count,
				  s->domain_events);
}

static gboolean
pd_plugin_compute_start(PdPlugin *plugin, PdConfig *config, GError **error)
{
	PdPluginCompute *self = PD_PLUGIN_COMPUTE(plugin);
	g_auto(PdComputeSettings) s = { NULL };

	if (!pd_compute_settings_read(&s, config, error))
		return FALSE;
	pd_compute_warn_method(config);
	pd_compute_discovery_configure(
	  PD_COMPUTE_DISCOVERY(self->discovery), s.host, s.flavor_ids, s.release);
	pd_plugin_compute_apply(self, &s, (guint)s.connections);
	/* connecting may block: never on the main loop. While libvirt is away
	 * the discovery fails with NOT_READY and the plugin status says why. */
	pd_compute_pool_open_in_background(self->pool);
	return TRUE;
}

static const gchar *const pd_compute_metadata_keys[] = {
	NULL, "host", "compute", "flavor_ids", "polld", "ceilometer_compat", NULL, NULL,
};

/* every key applies at once but the number of connections: domains are
 * sharded over them, and a cycle in flight holds handles of the old shards */
static void
pd_plugin_compute_reconfigure(PdPlugin *plugin,
			      PdConfig *old_config,
			      PdConfig *new_config,
			      GPtrArray *restart_keys)
{
	PdPluginCompute *self = PD_PLUGIN_COMPUTE(plugin);
	const gchar *const connection_keys[] = { "compute", "libvirt_connections", NULL, NULL };
	g_auto(PdComputeSettings) s = { NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func(g_free);

	if (!pd_compute_settings_read(&s, new_config, &error)) {
		/* the old settings keep running */
		g_warning("compute settings not applied: %s", error->message);
		pd_plugin_note_changed_keys(old_config,
					    new_config,
					    (const gchar *const *)pd_compute_config_keys,
					    restart_keys);
		return;
	}
	pd_compute_warn_method(new_config);
	/* metadata is rebuilt for every domain: only when it changes */
	if (pd_plugin_note_changed_keys(old_config, new_config, pd_compute_metadata_keys, changed) >
	    0)
		pd_compute_discovery_configure(
		  PD_COMPUTE_DISCOVERY(self->discovery), s.host, s.flavor_ids, s.release);
	pd_plugin_note_changed_keys(old_config, new_config, connection_keys, restart_keys);
	pd_plugin_compute_apply(self, &s, pd_compute_pool_get_size(self->pool));
}

/* a reload with a value out of range is refused before anything applies */
static gboolean
pd_plugin_compute_check_config(PdPlugin *plugin, PdConfig *config, GError **error)
{
	g_auto(PdComputeSettings) s = { NULL };

	return pd_compute_settings_read(&s, config, error);
}

static void
pd_plugin_compute_stop(PdPlugin *plugin)
{
	pd_compute_pool_close(PD_PLUGIN_COMPUTE(plugin)->pool);
}

static void
pd_plugin_compute_constructed(GObject *obj)
{
	PdPluginCompute *self = PD_PLUGIN_COMPUTE(obj);
	PdPlugin *plugin = PD_PLUGIN(obj);

	G_OBJECT_CLASS(pd_plugin_compute_parent_class)->constructed(obj);
	self->pool = pd_compute_pool_new(plugin);
	self->discovery = pd_compute_discovery_new(self->pool);
	pd_plugin_add_discovery(plugin, self->discovery);
	guint n_meters = 0;
	const PdComputeMeter *meters = pd_compute_meter_table(&n_meters);

	for (guint i = 0; i < n_meters; i++) {
		g_autoptr(PdPollster) pollster = pd_compute_pollster_new(&meters[i], self->pool);
		pd_plugin_add_pollster(plugin, pollster);
	}
	for (guint i = 0; pd_compute_config_keys[i + 1] != NULL; i += 2)
		pd_plugin_add_config_key(
		  plugin, pd_compute_config_keys[i], pd_compute_config_keys[i + 1]);
}

static void
pd_plugin_compute_finalize(GObject *obj)
{
	PdPluginCompute *self = PD_PLUGIN_COMPUTE(obj);

	g_clear_object(&self->discovery);
	g_clear_object(&self->pool);
	G_OBJECT_CLASS(pd_plugin_compute_parent_class)->finalize(obj);
}

static void
pd_plugin_compute_init(PdPluginCompute *self)
{
}

static void
pd_plugin_compute_class_init(PdPluginComputeClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->constructed = pd_plugin_compute_constructed;
	object_class->finalize = pd_plugin_compute_finalize;
	PD_PLUGIN_CLASS(klass)->start = pd_plugin_compute_start;
	PD_PLUGIN_CLASS(klass)->stop = pd_plugin_compute_stop;
	PD_PLUGIN_CLASS(klass)->reconfigure = pd_plugin_compute_reconfigure;
	PD_PLUGIN_CLASS(klass)->check_config = pd_plugin_compute_check_config;
}
