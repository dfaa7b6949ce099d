/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdNotifierSink"

#include "config.h"

#include "pd-config-private.h"
#include "pd-inflight.h"
#include "pd-sample-private.h"
#include "pd-notifier-sink.h"
#include "pd-serializer.h"

/*
 * Serialisation runs in the threads that hand batches over, each with a
 * serializer of its own taken from a pool; a reload bumps the generation and
 * stale serializers are freed as they come back. The messages are handed to
 * the publisher from the main loop, through one queue: a thread that hands
 * chunks over wakes the main loop only when no earlier hand-over is still
 * waiting for it, and the main loop takes all that queued at once (one
 * wake-up of the main loop, and of the publisher, for a burst of chunks),
 * then looks again every few milliseconds while chunks keep coming.
 */

/* how long the main loop goes on taking hand-overs by itself once one woke
 * it: the main loop kept up with the pool, and a hand-over that found none
 * pending woke it (an idle attached under the main context's lock, an
 * eventfd write) 156 times a steady cycle at N=5000; 56-65 since */
#define PD_NOTIFIER_LINGER_MS 5

typedef struct {
	PdSerializer *serializer;
	guint generation;
} PdPooledSerializer;

struct _PdNotifierSink {
	PdSink parent_instance;
	PdPublisher *publisher;
	PdConfig *config; /* the one started or last reconfigured with */
	GMutex mutex;	  /* the settings and the pool */
	GPtrArray *serializers;
	guint generation;
	gchar *sample_source;
	gchar *telemetry_secret;
	gboolean identity_names;
	guint batch_size;
	PdInflight *inflight; /* serialised chunks not yet handed to the publisher */
	/* the publisher releases the bytes itself, once a message is sent or
	 * spooled: the budget then covers its queue too */
	gboolean publisher_releases;
	/* bytes a sample's messages hold (pd_inflight_next_estimate(): the
	 * largest of the last batches, slowly down to a smaller one): what a
	 * thread counts in the budget before it serialises, so that threads
	 * waiting for it hold samples, not messages as well, and a batch of a
	 * meter with larger samples than the last one does not take the bytes
	 * in flight past the budget when it is corrected */
	gint sample_bytes;
	guint64 messages_built; /* main thread */
	GQueue handovers;	/* PdNotifierHandOver for the main loop, under mutex */
	gboolean handover_due;	/* ... and the main loop is woken or looks for them */
	guint handover_wakeups; /* main thread: times it took hand-overs */
	guint handover_idles;	/* under mutex: times a hand-over woke it */
	/* [polling] enable_notifications: false on scrape-only nodes, where
	 * nothing is published and the broker is never connected */
	gboolean enabled;
};

G_DEFINE_TYPE(PdNotifierSink, pd_notifier_sink, PD_TYPE_SINK)

/* the keys this sink reads: the publisher's and the message format's */
static const gchar *const pd_notifier_sink_keys[] = {
	"DEFAULT",
	"transport_url",
	"DEFAULT",
	"control_exchange",
	"DEFAULT",
	"sample_source",
	"publisher",
	"telemetry_secret",
	"oslo_messaging_notifications",
	"transport_url",
	"oslo_messaging_notifications",
	"topics",
	"oslo_messaging_notifications",
	"driver",
	"oslo_messaging_notifications",
	"retry",
	"oslo_messaging_rabbit",
	"amqp_durable_queues",
	"oslo_messaging_rabbit",
	"amqp_auto_delete",
	"oslo_messaging_rabbit",
	"rabbit_quorum_queue",
	"oslo_messaging_rabbit",
	"heartbeat_timeout_threshold",
	"oslo_messaging_rabbit",
	"heartbeat_rate",
	"oslo_messaging_rabbit",
	"ssl",
	"oslo_messaging_rabbit",
	"ssl_ca_file",
	"oslo_messaging_rabbit",
	"ssl_cert_file",
	"oslo_messaging_rabbit",
	"ssl_key_file",
	"oslo_messaging_rabbit",
	"ssl_enforce_hostname_verification",
	"oslo_messaging_rabbit",
	"rabbit_retry_interval",
	"oslo_messaging_rabbit",
	"rabbit_retry_backoff",
	"oslo_messaging_rabbit",
	"rabbit_interval_max",
	"publisher",
	"spool_dir",
	"publisher",
	"spool_max_bytes",
	"publisher",
	"confirm_window",
	"publisher",
	"memory_queue_max_bytes",
	"polld",
	"identity_names",
	"polld",
	"ceilometer_compat",
	"polld",
	"max_inflight_bytes",
	"polling",
	"enable_notifications",
	NULL,
};

/* read by the publisher once at start: a change needs a restart */
static const gchar *const pd_notifier_sink_restart_groups[] = {
	"oslo_messaging_notifications",
	"oslo_messaging_rabbit",
	NULL,
};

static void
pd_pooled_serializer_free(PdPooledSerializer *p)
{
	pd_serializer_free(p->serializer);
	g_free(p);
}

/* user_name and project_name exist in the wire format since Ceilometer
 * 20.0.0: a Zed consumer gets samples without them unless asked */
static gboolean
pd_notifier_sink_identity_names(PdConfig *config)
{
	PdCeilometerRelease release;

	/* checked by the engine before any apply: NULL error */
	pd_config_get_ceilometer_compat(config, &release, NULL);
	return pd_config_get_bool(config, "polld", "identity_names", release > PD_CEILOMETER_ZED);
}

static void
pd_notifier_sink_apply(PdNotifierSink *self, PdConfig *config)
{
	gint64 batch_size = pd_config_get_int(config, "polling", "batch_size", 50);
	/* within its range: the engine refused the config otherwise */
	gint64 inflight =
	  pd_config_get_int(config, "polld", "max_inflight_bytes", PD_INFLIGHT_DEFAULT_MAX);

	pd_inflight_set_max(self->inflight, (guint64)MAX(inflight, PD_INFLIGHT_MIN));

	g_mutex_lock(&self->mutex);
	self->batch_size = batch_size > 0 ? (guint)batch_size : 0;
	g_free(self->sample_source);
	g_free(self->telemetry_secret);
	self->sample_source =
	  g_strdup(pd_config_get_string(config, NULL, "sample_source", "openstack"));
	self->telemetry_secret = g_strdup(pd_config_get_string(
	  config, "publisher", "telemetry_secret", PD_DEFAULT_TELEMETRY_SECRET));
	self->identity_names = pd_notifier_sink_identity_names(config);
	self->generation++;
	g_ptr_array_set_size(self->serializers, 0);
	g_mutex_unlock(&self->mutex);
	g_set_object(&self->config, config);
}

static void
pd_notifier_sink_register_keys(PdSink *sink, PdConfig *config)
{
	for (guint i = 0; pd_notifier_sink_keys[i] != NULL; i += 2)
		pd_config_register_key(
		  config, pd_notifier_sink_keys[i], pd_notifier_sink_keys[i + 1]);
}

static void
pd_notifier_sink_publisher_state_cb(GObject *publisher, GParamSpec *pspec, gpointer user_data)
{
	PdPublisher *p = PD_PUBLISHER(publisher);
	pd_sink_set_state(
	  PD_SINK(user_data), pd_publisher_get_state(p), pd_publisher_get_last_error(p));
}

static gboolean
pd_notifier_sink_start(PdSink *sink, PdConfig *config, GError **error)
{
	PdNotifierSink *self = PD_NOTIFIER_SINK(sink);

	pd_notifier_sink_apply(self, config);
	self->enabled = pd_config_get_bool(config, "polling", "enable_notifications", TRUE);
	if (!self->enabled) {
		g_message("[polling] enable_notifications is false: publishing nothing");
		pd_sink_set_state(sink, "disabled", NULL);
		return TRUE;
	}
	g_signal_connect_object(self->publisher,
				"notify::state",
				G_CALLBACK(pd_notifier_sink_publisher_state_cb),
				self,
				0);
	if (!pd_publisher_start(self->publisher, config, error))
		return FALSE;
	self->publisher_releases = pd_publisher_take_budget(self->publisher, self->inflight);
	pd_notifier_sink_publisher_state_cb(G_OBJECT(self->publisher), NULL, self);
	return TRUE;
}

static gboolean
pd_notifier_sink_key_changed(PdConfig *a, PdConfig *b, const gchar *group, const gchar *key)
{
	return g_strcmp0(pd_config_get_string(a, group, key, NULL),
			 pd_config_get_string(b, group, key, NULL)) != 0;
}

/* the format settings apply at once; the connection's need a restart */
static void
pd_notifier_sink_reconfigure(PdSink *sink, PdConfig *config, GPtrArray *restart_keys)
{
	PdNotifierSink *self = PD_NOTIFIER_SINK(sink);

	for (guint i = 0; self->config != NULL && pd_notifier_sink_keys[i] != NULL; i += 2) {
		const gchar *group = pd_notifier_sink_keys[i];
		const gchar *key = pd_notifier_sink_keys[i + 1];
		gboolean restart =
		  g_strv_contains(pd_notifier_sink_restart_groups, group) ||
		  g_str_equal(key, "transport_url") || g_str_equal(key, "control_exchange") ||
		  g_str_has_prefix(key, "spool_") || g_str_equal(key, "confirm_window") ||
		  g_str_equal(key, "memory_queue_max_bytes");
		if (restart && pd_notifier_sink_key_changed(self->config, config, group, key))
			g_ptr_array_add(restart_keys, g_strdup_printf("[%s] %s", group, key));
	}
	if (self->config != NULL &&
	    pd_config_get_bool(config, "polling", "enable_notifications", TRUE) != self->enabled)
		g_ptr_array_add(restart_keys, g_strdup("[polling] enable_notifications"));
	pd_notifier_sink_apply(self, config);
}

static PdPooledSerializer *
pd_notifier_sink_acquire(PdNotifierSink *self, guint *chunk)
{
	PdPooledSerializer *p;

	g_mutex_lock(&self->mutex);
	*chunk = self->batch_size > 0 ? self->batch_size : 1;
	if (self->serializers->len > 0) {
		p = g_ptr_array_steal_index_fast(self->serializers, self->serializers->len - 1);
	} else {
		p = g_new0(PdPooledSerializer, 1);
		p->serializer = pd_serializer_new(
		  self->sample_source, self->telemetry_secret, self->identity_names);
		p->generation = self->generation;
	}
	g_mutex_unlock(&self->mutex);
	return p;
}

static void
pd_notifier_sink_release(PdNotifierSink *self, PdPooledSerializer *p)
{
	g_mutex_lock(&self->mutex);
	if (p->generation == self->generation) {
		g_ptr_array_add(self->serializers, p);
		p = NULL;
	}
	g_mutex_unlock(&self->mutex);
	if (p != NULL)
		pd_pooled_serializer_free(p);
}

/* any thread: messages of batch_size samples */
static GPtrArray *
pd_notifier_sink_serialize(PdNotifierSink *self, PdSampleBatch *batch)
{
	guint n = pd_sample_batch_get_size(batch);
	guint chunk = 1;
	PdPooledSerializer *p = pd_notifier_sink_acquire(self, &chunk);
	g_autofree PdSample **samples = g_new(PdSample *, chunk);
	GPtrArray *messages = g_ptr_array_new_with_free_func((GDestroyNotify)pd_message_unref);

	for (guint i = 0; i < n; i += chunk) {
		guint len = MIN(chunk, n - i);
		for (guint j = 0; j < len; j++)
			samples[j] = pd_sample_batch_index(batch, i + j);
		g_ptr_array_add(messages, pd_serializer_build_message(p->serializer, samples, len));
	}
	pd_notifier_sink_release(self, p);
	return messages;
}

typedef struct {
	PdNotifierSink *sink;
	GPtrArray *messages;
	guint64 bytes; /* counted in the in-flight budget */
	PdSinkDoneFunc done;
	gpointer done_data;
} PdNotifierHandOver;

static void
pd_notifier_sink_publish(PdNotifierHandOver *h)
{
	for (guint i = 0; i < h->messages->len; i++)
		pd_publisher_publish(h->sink->publisher, g_ptr_array_index(h->messages, i));
	/* with the log line of the hypervisor's or API's connection, how long
	 * the first samples took (the bench reads both) */
	if (h->sink->messages_built == 0 && h->messages->len > 0)
		g_log_structured(G_LOG_DOMAIN,
				 G_LOG_LEVEL_INFO,
				 "MESSAGE",
				 "first message published (%u samples)",
				 ((PdMessage *)g_ptr_array_index(h->messages, 0))->n_samples);
	h->sink->messages_built += h->messages->len;
	if (!h->sink->publisher_releases)
		pd_inflight_release(h->sink->inflight, h->bytes);
	h->done(h->done_data, NULL);
	g_ptr_array_unref(h->messages);
	g_object_unref(h->sink);
	g_free(h);
}

/* main loop: every hand-over queued since it last looked, in order; FALSE
 * when none was, and the next hand-over wakes it again */
static gboolean
pd_notifier_sink_take(PdNotifierSink *self)
{
	GQueue queue;
	PdNotifierHandOver *h;

	g_mutex_lock(&self->mutex);
	queue = self->handovers;
	g_queue_init(&self->handovers);
	if (queue.length == 0)
		self->handover_due = FALSE;
	g_mutex_unlock(&self->mutex);
	if (queue.length == 0)
		return FALSE;
	self->handover_wakeups++;
	while ((h = g_queue_pop_head(&queue)) != NULL)
		pd_notifier_sink_publish(h);
	return TRUE;
}

static gboolean
pd_notifier_sink_linger_cb(gpointer user_data)
{
	return pd_notifier_sink_take(user_data) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* main loop, woken by a hand-over: it looks again every
 * PD_NOTIFIER_LINGER_MS while hand-overs keep coming, and meanwhile they
 * queue without waking it (a timer armed by the loop's own thread is no
 * wake-up); once a look finds none, the next wakes it */
static gboolean
pd_notifier_sink_publish_cb(gpointer user_data)
{
	PdNotifierSink *self = user_data;

	if (pd_notifier_sink_take(self))
		g_timeout_add_full(G_PRIORITY_DEFAULT,
				   PD_NOTIFIER_LINGER_MS,
				   pd_notifier_sink_linger_cb,
				   g_object_ref(self),
				   g_object_unref);
	return G_SOURCE_REMOVE;
}

/* any thread */
static void
pd_notifier_sink_hand_over(PdNotifierSink *self, PdNotifierHandOver *h)
{
	gboolean wake;

	g_mutex_lock(&self->mutex);
	g_queue_push_tail(&self->handovers, h);
	wake = !self->handover_due;
	self->handover_due = TRUE;
	self->handover_idles += wake;
	g_mutex_unlock(&self->mutex);
	if (wake)
		g_idle_add_full(G_PRIORITY_DEFAULT,
				pd_notifier_sink_publish_cb,
				g_object_ref(self),
				g_object_unref);
}

static void
pd_notifier_sink_consume(PdSink *sink, PdSampleBatch *batch, PdSinkDoneFunc done, gpointer data)
{
	PdNotifierSink *self = PD_NOTIFIER_SINK(sink);
	PdNotifierHandOver *h;
	guint64 estimate, held;
	guint n;

	if (!self->enabled) {
		pd_sink_done_later(done, data);
		return;
	}
	n = pd_sample_batch_get_size(batch);
	estimate = (guint64)n * (guint64)g_atomic_int_get(&self->sample_bytes);
	held = pd_sample_batch_get_held(batch);
	/* the calling (worker) thread waits here while the main loop (or the
	 * publisher) lags behind, before its messages exist; its batch counts
	 * meanwhile (a few waiting threads' batches were on top of the
	 * budget), until the caller frees it right after this returns */
	pd_inflight_acquire_holding(self->inflight, estimate, held);
	h = g_new0(PdNotifierHandOver, 1);
	h->sink = g_object_ref(self);
	h->messages = pd_notifier_sink_serialize(self, batch);
	h->done = done;
	h->done_data = data;
	for (guint i = 0; i < h->messages->len; i++)
		h->bytes += ((PdMessage *)g_ptr_array_index(h->messages, i))->held;
	if (n > 0)
		pd_inflight_next_estimate(&self->sample_bytes, (gint)MIN(h->bytes / n, G_MAXINT));
	pd_inflight_adjust(self->inflight, (gint64)h->bytes - (gint64)estimate - (gint64)held);
	pd_notifier_sink_hand_over(self, h);
}

static void
pd_notifier_sink_flushed_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;

	if (!pd_publisher_flush_finish(PD_PUBLISHER(source), res, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

static void
pd_notifier_sink_flush_async(PdSink *sink,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer user_data)
{
	PdNotifierSink *self = PD_NOTIFIER_SINK(sink);
	GTask *task = g_task_new(self, cancellable, callback, user_data);

	if (!self->enabled) {
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	pd_publisher_flush_async(self->publisher, cancellable, pd_notifier_sink_flushed_cb, task);
}

static gboolean
pd_notifier_sink_flush_finish(PdSink *sink, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

static void
pd_notifier_sink_stop(PdSink *sink)
{
	if (PD_NOTIFIER_SINK(sink)->enabled)
		pd_publisher_stop(PD_NOTIFIER_SINK(sink)->publisher);
}

static guint64
pd_notifier_sink_lookup(GVariantDict *dict, const gchar *key)
{
	guint64 value = 0;
	g_variant_dict_lookup(dict, key, "t", &value);
	return value;
}

static void
pd_notifier_sink_get_counters(PdSink *sink, PdSinkCounters *counters)
{
	PdNotifierSink *self = PD_NOTIFIER_SINK(sink);
	g_auto(GVariantDict) dict;

	g_variant_dict_init(&dict, NULL);
	pd_publisher_add_statistics(self->publisher, &dict);
	counters->delivered = pd_notifier_sink_lookup(&dict, "samples_delivered");
	counters->dropped = pd_notifier_sink_lookup(&dict, "samples_dropped");
	counters->queued = pd_notifier_sink_lookup(&dict, "samples_queued");
}

static void
pd_notifier_sink_add_statistics(PdSink *sink, GVariantDict *dict)
{
	PdNotifierSink *self = PD_NOTIFIER_SINK(sink);

	g_variant_dict_insert(dict, "messages_built", "t", self->messages_built);
	pd_publisher_add_statistics(self->publisher, dict);
}

PdPublisher *
pd_notifier_sink_get_publisher(PdNotifierSink *self)
{
	return self->publisher;
}

guint64
pd_notifier_sink_get_messages_built(PdNotifierSink *self)
{
	return self->messages_built;
}

guint
pd_notifier_sink_get_handover_wakeups(PdNotifierSink *self)
{
	return self->handover_wakeups;
}

guint
pd_notifier_sink_get_handover_idles(PdNotifierSink *self)
{
	guint n;

	g_mutex_lock(&self->mutex);
	n = self->handover_idles;
	g_mutex_unlock(&self->mutex);
	return n;
}

gboolean
pd_notifier_sink_get_handover_due(PdNotifierSink *self)
{
	gboolean due;

	g_mutex_lock(&self->mutex);
	due = self->handover_due;
	g_mutex_unlock(&self->mutex);
	return due;
}

PdInflight *
pd_notifier_sink_get_inflight(PdNotifierSink *self)
{
	return self->inflight;
}

static void
pd_notifier_sink_finalize(GObject *obj)
{
	PdNotifierSink *self = PD_NOTIFIER_SINK(obj);

	g_clear_object(&self->publisher);
	g_clear_object(&self->config);
	g_ptr_array_unref(self->serializers);
	g_free(self->sample_source);
	g_free(self->telemetry_secret);
	g_mutex_clear(&self->mutex);
	pd_inflight_unref(self->inflight);
	G_OBJECT_CLASS(pd_notifier_sink_parent_class)->finalize(obj);
}

static void
pd_notifier_sink_init(PdNotifierSink *self)
{
	g_mutex_init(&self->mutex);
	g_queue_init(&self->handovers);
	self->serializers =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_pooled_serializer_free);
	self->batch_size = 50;
	self->inflight = pd_inflight_new(PD_INFLIGHT_DEFAULT_MAX);
	self->sample_bytes = 1024;
	self->sample_source = g_strdup("openstack");
	self->identity_names = TRUE;
}

static void
pd_notifier_sink_class_init(PdNotifierSinkClass *klass)
{
	PdSinkClass *sink_class = PD_SINK_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = pd_notifier_sink_finalize;
	sink_class->register_keys = pd_notifier_sink_register_keys;
	sink_class->start = pd_notifier_sink_start;
	sink_class->reconfigure = pd_notifier_sink_reconfigure;
	sink_class->consume = pd_notifier_sink_consume;
	sink_class->flush_async = pd_notifier_sink_flush_async;
	sink_class->flush_finish = pd_notifier_sink_flush_finish;
	sink_class->stop = pd_notifier_sink_stop;
	sink_class->get_counters = pd_notifier_sink_get_counters;
	sink_class->add_statistics = pd_notifier_sink_add_statistics;
}

PdSink *
pd_notifier_sink_new(PdPublisher *publisher)
{
	PdNotifierSink *self = g_object_new(PD_TYPE_NOTIFIER_SINK, "name", "notifier", NULL);
	self->publisher = g_object_ref(publisher);
	return PD_SINK(self);
}
