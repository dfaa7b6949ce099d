/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-ipmi"

#include <string.h>

#include "pd-ipmi-pollster.h"
#include "pd-ipmi-sdr.h"
#include "pd-ipmi-tool.h"
#include "pd-plugin-ipmi.h"

#define PD_IPMI_DEFAULT_POLLING_RETRY 3
#define PD_IPMI_DEFAULT_BACKOFF_S 60
#define PD_IPMI_DEFAULT_BACKOFF_MAX_S 3600
#define PD_IPMI_POWER_ID "Pwr Consumption"

struct _PdIpmiPollster {
	PdPollster parent_instance;
	const PdIpmiMeter *meter;
	GMutex lock;
	guint failures;	       /* consecutive */
	gint64 backoff_s;      /* the last back-off, doubled on each new one */
	gint64 disabled_until; /* monotonic µs; 0 when enabled */
};

G_DEFINE_TYPE(PdIpmiPollster, pd_ipmi_pollster, PD_TYPE_POLLSTER)

/* --- the sensor listing, read once per cycle for every ipmi meter --- */

static gpointer
pd_ipmi_pollster_read_sensors(gpointer user_data, GError **error)
{
	static const gchar *const args[] = { "sdr", "-v", NULL };
	PdConfig *config = user_data;
	g_autoptr(PdIpmiToolConfig) tc = pd_ipmi_tool_config_new(config, error);
	g_autoptr(GBytes) out = NULL;
	gsize len = 0;
	const gchar *text;

	if (tc == NULL)
		return NULL;
	out = pd_ipmi_tool_run(tc, args, NULL, error);
	if (out == NULL)
		return NULL;
	text = g_bytes_get_data(out, &len);
	return pd_ipmi_sdr_parse(text != NULL ? text : "", len, error);
}

/* --- [ipmi] polling_retry: consecutive failures, then a capped back-off --- */

static void
pd_ipmi_pollster_report(PdIpmiPollster *self, const gchar *status)
{
	PdPlugin *plugin = pd_pollster_get_plugin(PD_POLLSTER(self));
	if (PD_IS_PLUGIN_IPMI(plugin))
		pd_plugin_ipmi_set_meter_status(
		  PD_PLUGIN_IPMI(plugin), pd_pollster_get_name(PD_POLLSTER(self)), status);
}

/* TRUE when the pollster may run now; else why not in @error */
static gboolean
pd_ipmi_pollster_check_enabled(PdIpmiPollster *self, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	gint64 now = g_get_monotonic_time();

	if (self->disabled_until == 0 || now >= self->disabled_until)
		return TRUE;
	g_set_error(error,
		    PD_ERROR,
		    PD_ERROR_FAILED,
		    "disabled after %u consecutive failures, next try in %" G_GINT64_FORMAT " s",
		    self->failures,
		    (self->disabled_until - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
	return FALSE;
}

static void
pd_ipmi_pollster_succeeded(PdIpmiPollster *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	gboolean was_disabled = self->disabled_until != 0;

	if (self->failures == 0)
		return;
	if (was_disabled)
		g_message("pollster %s is enabled again: the BMC answers",
			  pd_pollster_get_name(PD_POLLSTER(self)));
	self->failures = 0;
	self->backoff_s = 0;
	self->disabled_until = 0;
	g_clear_pointer(&locker, g_mutex_locker_free);
	pd_ipmi_pollster_report(self, NULL);
}

static gint64
pd_ipmi_pollster_next_backoff(PdIpmiPollster *self, PdConfig *config)
{
	gint64 first =
	  pd_config_get_int(config, "ipmi", "retry_backoff", PD_IPMI_DEFAULT_BACKOFF_S);
	gint64 cap =
	  pd_config_get_int(config, "ipmi", "retry_backoff_max", PD_IPMI_DEFAULT_BACKOFF_MAX_S);

	first = CLAMP(first, 1, 86400);
	cap = CLAMP(cap, first, 86400);
	if (self->backoff_s == 0)
		return first;
	return MIN(self->backoff_s * 2, cap);
}

static void
pd_ipmi_pollster_failed(PdIpmiPollster *self, PdConfig *config, const GError *error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	const gchar *name = pd_pollster_get_name(PD_POLLSTER(self));
	gint64 retry =
	  pd_config_get_int(config, "ipmi", "polling_retry", PD_IPMI_DEFAULT_POLLING_RETRY);
	g_autofree gchar *status = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autoptr(GDateTime) until = NULL;

	self->failures++;
	g_warning("polling %s failed %u times in a row: %s", name, self->failures, error->message);
	/* like Ceilometer: negative retries forever, else disable once failures exceed it */
	if (retry < 0 || (gint64)self->failures <= retry) {
		self->disabled_until = 0;
		return;
	}
	self->backoff_s = pd_ipmi_pollster_next_backoff(self, config);
	self->disabled_until = g_get_monotonic_time() + self->backoff_s * G_USEC_PER_SEC;
	until = g_date_time_add_seconds(now, (gdouble)self->backoff_s);
	status = g_strdup_printf("disabled until %02d:%02d:%02d after %u failures: %s",
				 g_date_time_get_hour(until),
				 g_date_time_get_minute(until),
				 g_date_time_get_second(until),
				 self->failures,
				 error->message);
	g_warning("pollster %s is disabled for %" G_GINT64_FORMAT " s", name, self->backoff_s);
	g_clear_pointer(&locker, g_mutex_locker_free);
	pd_ipmi_pollster_report(self, status);
}

/* --- samples --- */

/* Zed (19.0.0) counts "Pwr Consumption" as a current; 22.0.0 moved it to
 * hardware.ipmi.power */
static gboolean
pd_ipmi_pollster_wants(PdIpmiPollster *self,
		       const PdIpmiSensor *sensor,
		       PdCeilometerRelease release)
{
	gboolean power = strstr(sensor->id, PD_IPMI_POWER_ID) != NULL;

	if (g_strcmp0(sensor->type, self->meter->sensor_type) != 0)
		return FALSE;
	if (self->meter->filter == PD_IPMI_ID_NOT_POWER)
		return !power || release < PD_CEILOMETER_2025_2;
	if (self->meter->filter == PD_IPMI_ID_POWER)
		return power;
	return TRUE;
}

/* maximum_rpm came with 25.0.0 */
static void
pd_ipmi_pollster_add_sample(PdIpmiPollster *self,
			    PdPollContext *ctx,
			    PdCeilometerRelease release,
			    const gchar *host,
			    const PdIpmiSensor *sensor)
{
	g_autoptr(PdMetadataBuilder) b = NULL;
	g_autoptr(PdMetadata) metadata = NULL;
	g_autofree gchar *unit = NULL;
	g_autofree gchar *suffix = NULL;
	g_autofree gchar *resource_id = NULL;
	gdouble volume;
	PdSample *sample;

	/* "Disabled", "No Reading", "na": no sample, as in Ceilometer */
	if (!pd_ipmi_sdr_reading_parse(sensor->reading, &volume, &unit))
		return;
	suffix = pd_ipmi_sdr_sensor_id_transform(sensor->id);
	resource_id = g_strconcat(host, "-", suffix, NULL);
	b = pd_metadata_builder_new();
	pd_metadata_builder_add_string(b, "node", host);
	if (self->meter->maximum_rpm && sensor->normal_maximum != NULL &&
	    release >= PD_CEILOMETER_2025_2)
		pd_metadata_builder_add_string(b, "maximum_rpm", sensor->normal_maximum);
	metadata = pd_metadata_builder_end(b);
	sample = pd_poll_context_add_sample(
	  ctx, self->meter->name, PD_SAMPLE_TYPE_GAUGE, unit, resource_id, NULL, NULL, metadata);
	pd_sample_set_double(sample, volume);
}

static const gchar *
pd_ipmi_pollster_host(PdConfig *config)
{
	const gchar *host =
	  config != NULL ? pd_config_get_string(config, NULL, "host", NULL) : NULL;
	return host != NULL && host[0] != '\0' ? host : g_get_host_name();
}

static gboolean
pd_ipmi_pollster_poll(PdPollster *pollster,
		      PdPollContext *ctx,
		      GPtrArray *resources,
		      GCancellable *cancellable,
		      GError **error)
{
	PdIpmiPollster *self = PD_IPMI_POLLSTER(pollster);
	PdConfig *config = pd_poll_context_get_config(ctx);
	g_autoptr(GError) error_local = NULL;
	GPtrArray *sensors;
	PdCeilometerRelease release;

	pd_config_get_ceilometer_compat(config, &release, NULL);
	if (!pd_ipmi_pollster_check_enabled(self, error))
		return FALSE;
	sensors = pd_cycle_cache_get(pd_poll_context_get_cache(ctx),
				     "ipmi:sdr",
				     pd_ipmi_pollster_read_sensors,
				     config,
				     (GDestroyNotify)g_ptr_array_unref,
				     &error_local);
	if (sensors == NULL) {
		pd_ipmi_pollster_failed(self, config, error_local);
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	pd_ipmi_pollster_succeeded(self);
	/* one BMC, the local node's: the samples don't depend on the resources */
	for (guint i = 0; i < sensors->len; i++) {
		PdIpmiSensor *sensor = g_ptr_array_index(sensors, i);
		if (pd_ipmi_pollster_wants(self, sensor, release))
			pd_ipmi_pollster_add_sample(
			  self, ctx, release, pd_ipmi_pollster_host(config), sensor);
	}
	return TRUE;
}

static void
pd_ipmi_pollster_finalize(GObject *obj)
{
	PdIpmiPollster *self = PD_IPMI_POLLSTER(obj);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(pd_ipmi_pollster_parent_class)->finalize(obj);
}

static void
pd_ipmi_pollster_init(PdIpmiPollster *self)
{
	g_mutex_init(&self->lock);
}

static void
pd_ipmi_pollster_class_init(PdIpmiPollsterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_ipmi_pollster_finalize;
	PD_POLLSTER_CLASS(klass)->poll = pd_ipmi_pollster_poll;
}

PdPollster *
pd_ipmi_pollster_new(const PdIpmiMeter *meter)
{
	PdIpmiPollster *self = g_object_new(PD_TYPE_IPMI_POLLSTER,
					    "name",
					    meter->name,
					    "namespace",
					    "ipmi",
					    "default-discovery",
					    "local_node",
					    "unit",
					    meter->unit,
					    "sample-type",
					    (gint)PD_SAMPLE_TYPE_GAUGE,
					    NULL);
	self->meter = meter;
	return PD_POLLSTER(self);
}
