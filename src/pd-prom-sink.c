/*
 * polld - the Prometheus exporter as a sample sink
 *
 * Always in the engine's sink list, so its keys are known; it serves and
 * keeps series only while [polling] enable_prometheus_exporter is true. A
 * reload that changes its keys restarts the HTTP side at once. Series of
 * resources that were not polled again are dropped when the cycle of their
 * pollster ends, and any series not updated for three times the longest
 * interval goes as well (a pollster whose samples carry other names than
 * its own).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPromSink"

#include "config.h"

#include "pd-config-private.h"
#include "pd-error.h"
#include "pd-prom-sink.h"

struct _PdPromSink {
	PdSink parent_instance;
	PdPromCollectFunc collect;
	gpointer collect_data;
	PdPromStore *store;
	PdPromServer *server;
	gboolean enabled;
	gchar *settings;	/* the keys it was started with, to tell a change */
	guint longest_interval; /* seconds */
	gsize delivered;	/* atomic */
	gsize skipped;		/* atomic */
};

G_DEFINE_TYPE(PdPromSink, pd_prom_sink, PD_TYPE_SINK)

static const gchar *const pd_prom_sink_keys[] = {
	"enable_prometheus_exporter", "prometheus_listen_addresses", "prometheus_tls_enable",
	"prometheus_tls_certfile",    "prometheus_tls_keyfile",	     NULL,
};

static void
pd_prom_sink_register_keys(PdSink *sink, PdConfig *config)
{
	for (guint i = 0; pd_prom_sink_keys[i] != NULL; i++)
		pd_config_register_key(config, "polling", pd_prom_sink_keys[i]);
}

static gchar *
pd_prom_sink_settings(PdConfig *config)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; pd_prom_sink_keys[i] != NULL; i++)
		g_string_append_printf(
		  out, "%s\n", pd_config_get_string(config, "polling", pd_prom_sink_keys[i], ""));
	return g_string_free(out, FALSE);
}

static void
pd_prom_sink_stop_serving(PdPromSink *self)
{
	if (self->server == NULL)
		return;
	pd_prom_server_stop(self->server);
	g_clear_object(&self->server);
}

/* the real addresses: a port 0 in the config picks a free one */
static void
pd_prom_sink_log_uris(PdPromSink *self)
{
	GSList *uris = pd_prom_server_get_uris(self->server);

	for (GSList *l = uris; l != NULL; l = l->next) {
		g_autofree gchar *uri = g_uri_to_string(l->data);
		g_message("prometheus exporter serving %smetrics", uri);
	}
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
}

static gboolean
pd_prom_sink_serve(PdPromSink *self, PdConfig *config, GError **error)
{
	g_auto(GStrv) addrs = NULL;
	const gchar *cert = NULL, *key = NULL;

	addrs =
	  pd_config_get_list(config, "polling", "prometheus_listen_addresses", "127.0.0.1:9101");
	if (pd_config_get_bool(config, "polling", "prometheus_tls_enable", FALSE)) {
		cert = pd_config_get_string(config, "polling", "prometheus_tls_certfile", NULL);
		key = pd_config_get_string(config, "polling", "prometheus_tls_keyfile", NULL);
		if (cert == NULL || key == NULL || cert[0] == '\0' || key[0] == '\0') {
			g_set_error_literal(error,
					    PD_ERROR,
					    PD_ERROR_INVALID_CONFIG,
					    "[polling] prometheus_tls_enable = true needs "
					    "prometheus_tls_certfile and prometheus_tls_keyfile");
			return FALSE;
		}
	}
	self->server = pd_prom_server_new(self->store, self->collect, self->collect_data);
	if (!pd_prom_server_listen(self->server, (const gchar *const *)addrs, cert, key, error)) {
		g_clear_object(&self->server);
		return FALSE;
	}
	pd_prom_sink_log_uris(self);
	return TRUE;
}

static gboolean
pd_prom_sink_apply(PdPromSink *self, PdConfig *config, GError **error)
{
	pd_prom_sink_stop_serving(self);
	g_free(self->settings);
	self->settings = pd_prom_sink_settings(config);
	self->enabled = pd_config_get_bool(config, "polling", "enable_prometheus_exporter", FALSE);
	if (!self->enabled) {
		pd_prom_store_expire(self->store, NULL, G_MAXINT64);
		pd_sink_set_state(PD_SINK(self), "disabled", NULL);
		return TRUE;
	}
	if (!pd_prom_sink_serve(self, config, error)) {
		self->enabled = FALSE;
		pd_sink_set_state(PD_SINK(self), "disabled", (*error)->message);
		return FALSE;
	}
	pd_sink_set_state(PD_SINK(self), "listening", NULL);
	return TRUE;
}

static gboolean
pd_prom_sink_start(PdSink *sink, PdConfig *config, GError **error)
{
	return pd_prom_sink_apply(PD_PROM_SINK(sink), config, error);
}

/* a changed exporter setting takes effect at once: nothing needs a restart */
static void
pd_prom_sink_reconfigure(PdSink *sink, PdConfig *config, GPtrArray *restart_keys)
{
	PdPromSink *self = PD_PROM_SINK(sink);
	g_autofree gchar *settings = pd_prom_sink_settings(config);
	g_autoptr(GError) error = NULL;

	if (g_strcmp0(settings, self->settings) == 0)
		return;
	if (!pd_prom_sink_apply(self, config, &error))
		g_warning("prometheus exporter: %s; not serving", error->message);
}

static void
pd_prom_sink_consume_now(PdSink *sink, PdSampleBatch *batch)
{
	PdPromSink *self = PD_PROM_SINK(sink);
	guint n = pd_sample_batch_get_size(batch);

	if (self->enabled && n > 0) {
		g_autofree PdSample **samples = g_new(PdSample *, n);
		guint skipped;
		for (guint i = 0; i < n; i++)
			samples[i] = pd_sample_batch_index(batch, i);
		skipped = pd_prom_store_add(self->store, samples, n, g_get_monotonic_time());
		g_atomic_pointer_add(&self->delivered, (gsize)(n - skipped));
		g_atomic_pointer_add(&self->skipped, (gsize)skipped);
	}
}

static void
pd_prom_sink_stop(PdSink *sink)
{
	pd_prom_sink_stop_serving(PD_PROM_SINK(sink));
}

static void
pd_prom_sink_get_counters(PdSink *sink, PdSinkCounters *counters)
{
	PdPromSink *self = PD_PROM_SINK(sink);

	counters->delivered = (guint64)g_atomic_pointer_get(&self->delivered);
	/* a null volume has no Prometheus value */
	counters->dropped = (guint64)g_atomic_pointer_get(&self->skipped);
	counters->queued = 0;
}

static void
pd_prom_sink_add_statistics(PdSink *sink, GVariantDict *dict)
{
	PdPromSink *self = PD_PROM_SINK(sink);

	g_variant_dict_insert(
	  dict, "series", "t", (guint64)pd_prom_store_get_n_series(self->store));
	g_variant_dict_insert(dict,
			      "scrapes",
			      "t",
			      self->server != NULL ? pd_prom_server_get_scrapes(self->server) : 0);
}

static void
pd_prom_sink_cycle_finished(PdSink *sink,
			    const gchar *const *pollsters,
			    gint64 started_mono_us,
			    guint interval)
{
	PdPromSink *self = PD_PROM_SINK(sink);
	gint64 now = g_get_monotonic_time();
	guint gone;

	if (!self->enabled)
		return;
	self->longest_interval = MAX(self->longest_interval, interval);
	gone = pd_prom_store_expire(self->store, pollsters, started_mono_us);
	/* families named otherwise than their pollster */
	gone += pd_prom_store_expire(
	  self->store, NULL, now - 3 * (gint64)self->longest_interval * G_USEC_PER_SEC);
	if (gone > 0)
		g_debug("%u series of resources no longer polled removed", gone);
}

static void
pd_prom_sink_finalize(GObject *object)
{
	PdPromSink *self = PD_PROM_SINK(object);

	pd_prom_sink_stop_serving(self);
	pd_prom_store_free(self->store);
	g_free(self->settings);
	G_OBJECT_CLASS(pd_prom_sink_parent_class)->finalize(object);
}

static void
pd_prom_sink_class_init(PdPromSinkClass *klass)
{
	PdSinkClass *sink_class = PD_SINK_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = pd_prom_sink_finalize;
	sink_class->register_keys = pd_prom_sink_register_keys;
	sink_class->start = pd_prom_sink_start;
	sink_class->reconfigure = pd_prom_sink_reconfigure;
	sink_class->consume_now = pd_prom_sink_consume_now;
	sink_class->stop = pd_prom_sink_stop;
	sink_class->get_counters = pd_prom_sink_get_counters;
	sink_class->add_statistics = pd_prom_sink_add_statistics;
	sink_class->cycle_finished = pd_prom_sink_cycle_finished;
}

static void
pd_prom_sink_init(PdPromSink *self)
{
	self->store = pd_prom_store_new();
}

PdSink *
pd_prom_sink_new(PdPromCollectFunc collect, gpointer collect_data)
{
	PdPromSink *self = g_object_new(PD_TYPE_PROM_SINK, "name", "prometheus", NULL);

	self->collect = collect;
	self->collect_data = collect_data;
	return PD_SINK(self);
}

GSList *
pd_prom_sink_get_uris(PdPromSink *self)
{
	return self->server != NULL ? pd_prom_server_get_uris(self->server) : NULL;
}
