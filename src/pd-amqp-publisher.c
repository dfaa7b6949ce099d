/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdAmqpPublisher"

#include "config.h"

#include "pd-amqp-publisher.h"
#include "pd-amqp-worker.h"
#include "pd-inflight.h"

#define PD_AMQP_DEFAULT_WINDOW 256
#define PD_AMQP_DEFAULT_MEMORY_MAX (64 * 1024 * 1024)
#define PD_AMQP_DEFAULT_SPOOL_MAX (1024 * 1024 * 1024)

struct _PdAmqpPublisher {
	PdPublisher parent_instance;
	PdAmqpWorker *worker;
	PdInflight *budget; /* the notifier sink's, released by the worker */
};

G_DEFINE_TYPE(PdAmqpPublisher, pd_amqp_publisher, PD_TYPE_PUBLISHER)

static void
pd_amqp_publisher_state_cb(GObject *owner, const gchar *state, const gchar *error)
{
	pd_publisher_set_state(PD_PUBLISHER(owner), state, error);
}

/* [oslo_messaging_notifications] transport_url wins over [DEFAULT]'s */
static GPtrArray *
pd_amqp_publisher_hosts(PdConfig *config, GError **error)
{
	const gchar *url =
	  pd_config_get_string(config, "oslo_messaging_notifications", "transport_url", NULL);
	const gchar *group = "oslo_messaging_notifications";
	g_autoptr(GError) local = NULL;
	GPtrArray *hosts;

	if (url == NULL || url[0] == '\0') {
		url = pd_config_get_string(config, NULL, "transport_url", NULL);
		group = NULL;
	}
	hosts = pd_amqp_url_parse(url != NULL ? url : "rabbit://", &local);
	if (hosts == NULL) {
		g_set_error(error,
			    local->domain,
			    local->code,
			    "%s: %s",
			    pd_config_get_origin(config, group, "transport_url"),
			    local->message);
		return NULL;
	}
	return hosts;
}

static gchar **
pd_amqp_publisher_routing_keys(PdConfig *config)
{
	g_auto(GStrv) topics =
	  pd_config_get_list(config, "oslo_messaging_notifications", "topics", "notifications");
	g_autoptr(GStrvBuilder) keys = g_strv_builder_new();

	for (guint i = 0; topics != NULL && topics[i] != NULL; i++) {
		g_autofree gchar *key = g_strdup_printf("%s.sample", topics[i]);
		g_strv_builder_add(keys, key);
	}
	if (topics == NULL || topics[0] == NULL)
		g_strv_builder_add(keys, "notifications.sample");
	return g_strv_builder_end(keys);
}

/* the numeric options and their documented ranges (polld.conf(5)) */
static const struct {
	const gchar *group;
	const gchar *key;
	gdouble def, min, max;
	gboolean integer;
} pd_amqp_publisher_numbers[] = {
	{ "oslo_messaging_rabbit", "heartbeat_timeout_threshold", 60, 0, 65535, TRUE },
	{ "oslo_messaging_rabbit", "rabbit_retry_interval", 1, 0, 86400, FALSE },
	{ "oslo_messaging_rabbit", "rabbit_interval_max", 30, 0, 86400, FALSE },
	{ "oslo_messaging_rabbit", "rabbit_retry_backoff", 2, 0, 86400, FALSE },
	{ "oslo_messaging_rabbit", "heartbeat_rate", 3, 1, 65535, TRUE },
	{ "oslo_messaging_notifications", "retry", -1, -1, G_MAXINT32, TRUE },
	{ "publisher", "confirm_window", PD_AMQP_DEFAULT_WINDOW, 1, 65536, TRUE },
	{ "publisher", "memory_queue_max_bytes", PD_AMQP_DEFAULT_MEMORY_MAX, 0, 1ll << 40, TRUE },
	{ "publisher", "spool_max_bytes", PD_AMQP_DEFAULT_SPOOL_MAX, 0, 1ll << 50, TRUE },
};

static gboolean
pd_amqp_publisher_check_numbers(PdConfig *config, GError **error)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_amqp_publisher_numbers); i++) {
		const gchar *group = pd_amqp_publisher_numbers[i].group;
		const gchar *key = pd_amqp_publisher_numbers[i].key;
		gdouble def = pd_amqp_publisher_numbers[i].def;
		gdouble min = pd_amqp_publisher_numbers[i].min;
		gdouble max = pd_amqp_publisher_numbers[i].max;
		gint64 ival;
		gdouble dval;
		gboolean ok =
		  pd_amqp_publisher_numbers[i].integer
		    ? pd_config_get_int_range(
			config, group, key, (gint64)def, (gint64)min, (gint64)max, &ival, error)
		    : pd_config_get_double_range(config, group, key, def, min, max, &dval, error);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static void
pd_amqp_publisher_link_options(PdConfig *config, PdAmqpLinkOptions *o)
{
	const gchar *rabbit = "oslo_messaging_rabbit";
	const gchar *ca = pd_config_get_string(config, rabbit, "ssl_ca_file", NULL);
	const gchar *cert = pd_config_get_string(config, rabbit, "ssl_cert_file", NULL);
	const gchar *key = pd_config_get_string(config, rabbit, "ssl_key_file", NULL);
	gint64 heartbeat = pd_config_get_int(config, rabbit, "heartbeat_timeout_threshold", 60);

	o->exchange =
	  g_strdup(pd_config_get_string(config, NULL, "control_exchange", "ceilometer"));
	o->routing_keys = pd_amqp_publisher_routing_keys(config);
	o->durable = pd_config_get_bool(config, rabbit, "amqp_durable_queues", FALSE);
	o->auto_delete = pd_config_get_bool(config, rabbit, "amqp_auto_delete", FALSE);
	o->quorum = pd_config_get_bool(config, rabbit, "rabbit_quorum_queue", FALSE);
	o->heartbeat = (guint)heartbeat;
	o->ssl = pd_config_get_bool(config, rabbit, "ssl", FALSE);
	o->ssl_ca_file = ca != NULL && ca[0] != '\0' ? g_strdup(ca) : NULL;
	o->ssl_cert_file = cert != NULL && cert[0] != '\0' ? g_strdup(cert) : NULL;
	o->ssl_key_file = key != NULL && key[0] != '\0' ? g_strdup(key) : NULL;
	o->ssl_verify_hostname =
	  pd_config_get_bool(config, rabbit, "ssl_enforce_hostname_verification", FALSE);
	o->timeout_s = 5;
}

static void
pd_amqp_publisher_worker_options(PdConfig *config, PdAmqpWorkerOptions *o)
{
	const gchar *rabbit = "oslo_messaging_rabbit";
	gint64 window =
	  pd_config_get_int(config, "publisher", "confirm_window", PD_AMQP_DEFAULT_WINDOW);
	gint64 memory = pd_config_get_int(
	  config, "publisher", "memory_queue_max_bytes", PD_AMQP_DEFAULT_MEMORY_MAX);

	pd_amqp_publisher_link_options(config, &o->link);
	o->window = (guint)window;
	/* the unconfirmed window is messages in flight too: at most the
	 * serialised ones' budget (256 messages of 50 samples are ~19 MB) */
	o->window_bytes = (guint64)MAX(
	  pd_config_get_int(config, "polld", "max_inflight_bytes", PD_INFLIGHT_DEFAULT_MAX),
	  PD_INFLIGHT_MIN);
	o->memory_max_bytes = (guint64)memory;
	/* documented: a shorter interval than 50 ms waits 50 ms */
	o->retry_interval =
	  MAX(pd_config_get_double(config, rabbit, "rabbit_retry_interval", 1.0), 0.05);
	o->retry_backoff = pd_config_get_double(config, rabbit, "rabbit_retry_backoff", 2.0);
	o->interval_max = pd_config_get_double(config, rabbit, "rabbit_interval_max", 30.0);
	o->heartbeat_rate = (guint)pd_config_get_int(config, rabbit, "heartbeat_rate", 3);
	o->flush_timeout_ms = 10000;
	o->stop_timeout_ms = 2000;
}

static PdSpool *
pd_amqp_publisher_open_spool(PdConfig *config, GError **error)
{
	g_autofree gchar *def = g_build_filename(PD_STATEDIR, "spool", NULL);
	const gchar *dir = pd_config_get_string(config, "publisher", "spool_dir", def);
	gint64 max =
	  pd_config_get_int(config, "publisher", "spool_max_bytes", PD_AMQP_DEFAULT_SPOOL_MAX);
	g_autoptr(GError) local = NULL;
	PdSpool *spool = pd_spool_open(dir, (guint64)max, &local);

	if (spool == NULL)
		g_set_error(error,
			    local->domain,
			    local->code,
			    "%s (set [publisher] spool_dir to a writable directory)",
			    local->message);
	return spool;
}

static gboolean
pd_amqp_publisher_start(PdPublisher *publisher, PdConfig *config, GError **error)
{
	PdAmqpPublisher *self = PD_AMQP_PUBLISHER(publisher);
	PdAmqpWorkerOptions opts = { 0 };
	PdSpool *spool = NULL;

	if (!pd_amqp_publisher_check_numbers(config, error))
		return FALSE;
	opts.hosts = pd_amqp_publisher_hosts(config, error);
	if (opts.hosts == NULL)
		return FALSE;
	spool = pd_amqp_publisher_open_spool(config, error);
	if (spool == NULL) {
		pd_amqp_worker_options_clear(&opts);
		return FALSE;
	}
	pd_amqp_publisher_worker_options(config, &opts);
	pd_publisher_set_state(publisher, "connecting", NULL);
	self->worker = pd_amqp_worker_new(&opts, spool, G_OBJECT(self), pd_amqp_publisher_state_cb);
	return TRUE;
}

static void
pd_amqp_publisher_publish(PdPublisher *publisher, PdMessage *msg)
{
	PdAmqpPublisher *self = PD_AMQP_PUBLISHER(publisher);

	if (self->worker == NULL) {
		g_warning("publisher not started, message %s lost", msg->message_id);
		if (self->budget != NULL)
			pd_inflight_release(self->budget, msg->held);
		return;
	}
	pd_amqp_worker_push(self->worker, msg, self->budget);
}

/* the worker releases a message's bytes once it is on the wire, spooled
 * or dropped: the budget covers the memory queue while the broker takes
 * messages, so a broker slower than the pollsters holds them back instead
 * of queueing in memory */
static gboolean
pd_amqp_publisher_take_budget(PdPublisher *publisher, PdInflight *budget)
{
	PdAmqpPublisher *self = PD_AMQP_PUBLISHER(publisher);

	if (self->budget != NULL)
		pd_inflight_unref(self->budget);
	self->budget = pd_inflight_ref(budget);
	return TRUE;
}

static void
pd_amqp_publisher_flush_async(PdPublisher *publisher,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data)
{
	PdAmqpPublisher *self = PD_AMQP_PUBLISHER(publisher);
	GTask *task = g_task_new(self, cancellable, callback, user_data);

	g_task_set_source_tag(task, pd_amqp_publisher_flush_async);
	if (self->worker == NULL) {
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	pd_amqp_worker_flush(self->worker, task);
}

static gboolean
pd_amqp_publisher_flush_finish(PdPublisher *publisher, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

static void
pd_amqp_publisher_stop(PdPublisher *publisher)
{
	PdAmqpPublisher *self = PD_AMQP_PUBLISHER(publisher);
	PdAmqpStats st = { 0 };

	if (self->worker == NULL)
		return;
	pd_amqp_worker_stop(g_steal_pointer(&self->worker), &st);
	/* one summary line: operators and the test suite read it */
	g_message("publisher stopped: published=%" G_GUINT64_FORMAT " confirmed=%" G_GUINT64_FORMAT
		  " confirmed_samples=%" G_GUINT64_FORMAT " returned=%" G_GUINT64_FORMAT
		  " nacked=%" G_GUINT64_FORMAT " spooled_samples=%" G_GUINT64_FORMAT
		  " dropped_spool_full=%" G_GUINT64_FORMAT
		  " dropped_spool_full_gauges=%" G_GUINT64_FORMAT
		  " dropped_spool_error=%" G_GUINT64_FORMAT " reconnects=%" G_GUINT64_FORMAT,
		  st.published,
		  st.confirmed,
		  st.confirmed_samples,
		  st.returned,
		  st.nacked,
		  st.spooled_samples,
		  st.dropped_spool_full,
		  st.dropped_spool_full_gauges,
		  st.dropped_spool_error,
		  st.reconnects);
	pd_publisher_set_state(publisher, "disconnected", NULL);
}

static void
pd_amqp_publisher_add_statistics(PdPublisher *publisher, GVariantDict *dict)
{
	PdAmqpPublisher *self = PD_AMQP_PUBLISHER(publisher);
	PdAmqpStats st = { 0 };

	if (self->worker != NULL)
		pd_amqp_worker_get_stats(self->worker, &st);
	g_variant_dict_insert(dict, "published", "t", st.published);
	g_variant_dict_insert(dict, "confirmed", "t", st.confirmed);
	g_variant_dict_insert(dict, "confirmed_samples", "t", st.confirmed_samples);
	g_variant_dict_insert(dict, "in_flight", "t", st.in_flight);
	g_variant_dict_insert(dict, "returned", "t", st.returned);
	g_variant_dict_insert(dict, "nacked", "t", st.nacked);
	g_variant_dict_insert(dict, "memory_queue", "t", st.memory_queue);
	g_variant_dict_insert(dict, "spooled_samples", "t", st.spooled_samples);
	g_variant_dict_insert(dict, "spooled_bytes", "t", st.spooled_bytes);
	g_variant_dict_insert(dict, "spool_damaged", "t", st.spool_damaged);
	g_variant_dict_insert(dict, "dropped_spool_full", "t", st.dropped_spool_full);
	g_variant_dict_insert(dict, "dropped_spool_full_gauges", "t", st.dropped_spool_full_gauges);
	g_variant_dict_insert(dict, "dropped_spool_error", "t", st.dropped_spool_error);
	g_variant_dict_insert(dict, "reconnects", "t", st.reconnects);
	/* the names every publisher reports, for the notifier sink's counters */
	g_variant_dict_insert(dict, "samples_delivered", "t", st.confirmed_samples);
	g_variant_dict_insert(dict,
			      "samples_dropped",
			      "t",
			      st.dropped_spool_full + st.dropped_spool_full_gauges +
				st.dropped_spool_error);
	g_variant_dict_insert(dict, "samples_queued", "t", st.spooled_samples);
}

static void
pd_amqp_publisher_dispose(GObject *obj)
{
	pd_amqp_publisher_stop(PD_PUBLISHER(obj));
	g_clear_pointer(&PD_AMQP_PUBLISHER(obj)->budget, pd_inflight_unref);
	G_OBJECT_CLASS(pd_amqp_publisher_parent_class)->dispose(obj);
}

static void
pd_amqp_publisher_init(PdAmqpPublisher *self)
{
}

static void
pd_amqp_publisher_class_init(PdAmqpPublisherClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	PdPublisherClass *publisher_class = PD_PUBLISHER_CLASS(klass);

	object_class->dispose = pd_amqp_publisher_dispose;
	publisher_class->start = pd_amqp_publisher_start;
	publisher_class->publish = pd_amqp_publisher_publish;
	publisher_class->flush_async = pd_amqp_publisher_flush_async;
	publisher_class->flush_finish = pd_amqp_publisher_flush_finish;
	publisher_class->stop = pd_amqp_publisher_stop;
	publisher_class->add_statistics = pd_amqp_publisher_add_statistics;
	publisher_class->take_budget = pd_amqp_publisher_take_budget;
}

PdPublisher *
pd_amqp_publisher_new(void)
{
	return g_object_new(PD_TYPE_AMQP_PUBLISHER, NULL);
}
