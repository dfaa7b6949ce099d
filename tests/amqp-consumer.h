/*
 * polld AMQP test helpers: a private broker (rabbitmq-harness.sh), a
 * consumer thread on a real AMQP connection, polld runs with their stderr
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* --- broker --- */
typedef struct {
	gchar *dir;
	guint16 port;
} PdTestBroker;

/* NULL (and a skip message in @why) when rabbitmq-server is missing */
PdTestBroker *
pd_test_broker_start(gchar **why);
gboolean
pd_test_broker_ctl(PdTestBroker *broker, const gchar *first_arg, ...) G_GNUC_NULL_TERMINATED;
void
pd_test_broker_stop(PdTestBroker *broker);
/* AMQP connections the broker has open now */
guint
pd_test_broker_count_connections(PdTestBroker *broker);
/* a fresh vhost where guest may do everything */
void
pd_test_broker_add_vhost(PdTestBroker *broker, const gchar *vhost);
/* @dir/polld.conf for the test plugin (its polling.yaml polls test.* every
 * second, every 10 under valgrind) publishing to @url, signed with @secret, spooling in @dir/spool,
 * retrying the broker every 0.2 s to 1 s; @extra (may be NULL) is appended:
 * a section named again there adds to it */
gchar *
pd_test_write_amqp_config(const gchar *dir,
			  const gchar *url,
			  const gchar *secret,
			  const gchar *extra);
/* pd_test_write_amqp_config() for @broker's default vhost as guest, with
 * durable queues (a broker restart keeps only those and persistent
 * messages), samples from source @source: 2 resources x 5 samples a
 * pollster */
gchar *
pd_test_write_durable_config(PdTestBroker *broker, const gchar *dir, const gchar *source);
/* a test's directory, and the config written there */
typedef struct {
	gchar *dir;
	gchar *conf;
} PdTestAmqpFixture;

void
pd_test_amqp_fixture_set_up(PdTestAmqpFixture *f, gconstpointer data);
void
pd_test_amqp_fixture_tear_down(PdTestAmqpFixture *f, gconstpointer data);
/* runs the registered tests on a private session bus; with @start and
 * POLLD_BINARY set, with a private broker in *@broker too (@extra_conf:
 * rabbitmq.conf lines, or NULL). *@broker stays NULL when it does not start,
 * which the tests take as a reason to skip. */
gint
pd_test_run_with_broker(PdTestBroker **broker, gboolean start, const gchar *extra_conf);

/* --- consumer --- */
typedef struct {
	gchar *exchange;
	gchar *routing_key;
	guint32 flags; /* amqp_basic_properties_t._flags */
	gchar *content_type;
	gchar *content_encoding;
	guint delivery_mode;
	guint priority;
	gint headers; /* entries, -1 when absent */
	GBytes *body;
} PdTestDelivery;

typedef struct _PdTestConsumer PdTestConsumer;

/* consumes @queue (declared with @durable) in @vhost, reconnecting when the
 * broker goes away; acks each delivery once recorded (redeliveries possible) */
PdTestConsumer *
pd_test_consumer_start(PdTestBroker *broker,
		       const gchar *vhost,
		       const gchar *queue,
		       gboolean durable);
guint
pd_test_consumer_count(PdTestConsumer *self);
/* a copy of the deliveries so far */
GPtrArray *
pd_test_consumer_get(PdTestConsumer *self);
/* iterates the default context until @n deliveries arrived */
gboolean
pd_test_consumer_wait(PdTestConsumer *self, guint n, guint timeout_ms);
void
pd_test_consumer_stop(PdTestConsumer *self);
void
pd_test_delivery_free(PdTestDelivery *d);

/* one-shot admin calls on a short connection */
gboolean
pd_test_amqp_declare_exchange(PdTestBroker *broker,
			      const gchar *vhost,
			      const gchar *name,
			      gboolean durable);
gboolean
pd_test_amqp_delete_queue(PdTestBroker *broker, const gchar *vhost, const gchar *name);
gboolean
pd_test_amqp_delete_exchange(PdTestBroker *broker, const gchar *vhost, const gchar *name);

/* --- samples --- */
/* all samples of the deliveries (JsonObject refs), in arrival order */
GPtrArray *
pd_test_deliveries_samples(GPtrArray *deliveries);
/* per counter_name: checks volumes 0..max all arrived; returns samples,
 * counts duplicates (same sample message_id) into @duplicates */
gboolean
pd_test_samples_complete(GPtrArray *samples,
			 const gchar *source,
			 guint *n_unique,
			 guint *duplicates,
			 gchar **why);

/* --- polld with its stderr collected --- */
typedef struct _PdTestPolld PdTestPolld;

PdTestPolld *
pd_test_polld_start(const gchar *config_file, gboolean once);
/* iterates until stderr contains @needle */
gboolean
pd_test_polld_wait_log(PdTestPolld *self, const gchar *needle, guint timeout_ms);
const gchar *
pd_test_polld_get_log(PdTestPolld *self);
void
pd_test_polld_signal(PdTestPolld *self, gint signum);
/* waits for exit, returns the exit status (-1 on timeout) */
gint
pd_test_polld_wait(PdTestPolld *self, guint timeout_ms);
void
pd_test_polld_free(PdTestPolld *self);
/* parses "publisher stopped: k=v ..." from the log; G_MAXUINT64 if absent */
guint64
pd_test_polld_stat(PdTestPolld *self, const gchar *key);
/* a counter of the running daemon's GetStatistics() on the test's session
 * bus ("samples_polled", "spooled_samples", "reconnects"...); G_MAXUINT64
 * while the daemon is not on the bus */
guint64
pd_test_polld_live_stat(PdTestPolld *self, const gchar *key);
/* a string property of org.polld.Agent1 (PublisherState...), NULL when polld
 * doesn't answer */
gchar *
pd_test_polld_get_property(PdTestPolld *self, const gchar *name);
/* waits until that property reads @value */
gboolean
pd_test_polld_wait_property(PdTestPolld *self,
			    const gchar *name,
			    const gchar *value,
			    guint timeout_ms);
/* iterates until the live counter @key is in [@min, @max] */
gboolean
pd_test_polld_wait_stat(PdTestPolld *self,
			const gchar *key,
			guint64 min,
			guint64 max,
			guint timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdTestPolld, pd_test_polld_free)

G_END_DECLS
