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
};

static gboolean
pd_plugin_compute_start(PdPlugin *plugin, PdConfig *config, GError **error)
{
	PdPluginCompute *self = PD_PLUGIN_COMPUTE(plugin);
	g_autofree gchar *uri = pd_compute_connection_uri_from_config(config);
	g_auto(GStrv) flavor_ids = pd_config_get_list(config, "compute", "flavor_ids", NULL);
	const gchar *host = pd_config_get_string(config, NULL, "host", NULL);
	const gchar *method =
	  pd_config_get_string(config, "compute", "instance_discovery_method", "libvirt_metadata");
	gboolean use_bulk = pd_config_get_bool(config, "compute", "bulk_stats", TRUE);
	gboolean domain_events = pd_config_get_bool(config, "compute", "domain_events", TRUE);
	gint64 backoff_max, keepalive_interval, keepalive_count, update_interval, cache_expiry;
	gint64 connections;
	GPtrArray *pollsters = pd_plugin_get_pollsters(plugin);

	/* the ranges polld.conf(5) documents */
	if (!pd_config_get_int_range(
	      config, "compute", "reconnect_max_interval", 60, 1, 3600, &backoff_max, error) ||
	    !pd_config_get_int_range(config,
				     "compute",
				     "libvirt_keepalive_interval",
				     5,
				     0,
				     3600,
				     &keepalive_interval,
				     error) ||
	    !pd_config_get_int_range(
	      config, "compute", "libvirt_keepalive_count", 5, 1, 100, &keepalive_count, error) ||
	    !pd_config_get_int_range(config,
				     "compute",
				     "resource_update_interval",
				     0,
				     0,
				     86400,
				     &update_interval,
				     error) ||
	    !pd_config_get_int_range(
	      config, "compute", "resource_cache_expiry", 3600, 0, 604800, &cache_expiry, error) ||
	    !pd_config_get_int_range(config,
				     "compute",
				     "libvirt_connections",
				     PD_COMPUTE_POOL_DEFAULT_SIZE,
				     1,
				     PD_COMPUTE_POOL_MAX_SIZE,
				     &connections,
				     error))
		return FALSE;

	/* the other methods ask Nova's API, which a compute node shouldn't need */
	if (g_strcmp0(method, "libvirt_metadata") != 0)
		g_warning("[compute] instance_discovery_method = %s is not supported, "
			  "using libvirt_metadata",
			  method);
	pd_compute_discovery_configure(PD_COMPUTE_DISCOVERY(self->discovery),
				       host != NULL ? host : g_get_host_name(),
				       flavor_ids);
	pd_compute_discovery_set_refresh(PD_COMPUTE_DISCOVERY(self->discovery),
					 update_interval * G_USEC_PER_SEC,
					 cache_expiry * G_USEC_PER_SEC);
	for (guint i = 0; i < pollsters->len; i++)
		pd_compute_pollster_set_use_bulk(g_ptr_array_index(pollsters, i), use_bulk);
	/* as Nova: a libvirtd that stops answering is noticed within
	 * interval * (count + 1) seconds, not when a call finally fails; with
	 * events, a domain's XML is read again only when it changed */
	pd_compute_pool_configure(self->pool,
				  uri,
				  (guint)connections,
				  backoff_max * G_USEC_PER_SEC,
				  (gint)keepalive_interval,
				  (guint)keepalive_count,
				  domain_events);
	/* connecting may block: never on the main loop. While libvirt is away
	 * the discovery fails with NOT_READY and the plugin status says why. */
	pd_compute_pool_open_in_background(self->pool);
	return TRUE;
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
	for (guint i = 0; i < G_N_ELEMENTS(pd_compute_config_keys); i += 2)
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
}
