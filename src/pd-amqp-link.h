/*
 * polld - one AMQP 0-9-1 connection (librabbitmq), owned by one thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "pd-amqp-url.h"

G_BEGIN_DECLS

#define PD_AMQP_LINK_ERROR (pd_amqp_link_error_quark())
GQuark
pd_amqp_link_error_quark(void);

typedef enum {
	PD_AMQP_LINK_ERROR_CONNECT,	 /* DNS, TCP, TLS */
	PD_AMQP_LINK_ERROR_REFUSED,	 /* login or vhost refused */
	PD_AMQP_LINK_ERROR_PRECONDITION, /* 406: exchange/queue exists with other flags */
	PD_AMQP_LINK_ERROR_CLOSED,	 /* the broker or the network closed it */
} PdAmqpLinkError;

typedef struct {
	gchar *exchange;
	gchar **routing_keys; /* "<topic>.sample", also the queue names */
	gboolean durable;
	gboolean auto_delete;
	gboolean quorum;
	guint heartbeat;
	gboolean ssl;
	gchar *ssl_ca_file;
	gchar *ssl_cert_file;
	gchar *ssl_key_file;
	gboolean ssl_verify_hostname;
	guint timeout_s; /* connect, handshake and RPC timeout */
} PdAmqpLinkOptions;

void
pd_amqp_link_options_clear(PdAmqpLinkOptions *opts);

/* what the broker told us; called from pd_amqp_link_process() */
typedef struct {
	void (*ack)(gpointer user_data, guint64 tag, gboolean multiple, gboolean nack);
	void (*returned)(gpointer user_data, GBytes *body, const gchar *why);
	void (*blocked)(gpointer user_data, gboolean blocked, const gchar *reason);
} PdAmqpLinkEvents;

typedef struct _PdAmqpLink PdAmqpLink;

/* blocking: connects, logs in, declares exchange, queues and bindings,
 * enables publisher confirms */
PdAmqpLink *
pd_amqp_link_connect(const PdAmqpLinkOptions *opts, const PdAmqpHost *host, GError **error);
gint
pd_amqp_link_get_fd(PdAmqpLink *self);
/* seconds, as negotiated with the broker: 0 for none */
guint
pd_amqp_link_get_heartbeat(PdAmqpLink *self);
/* the delivery tag the next publish gets */
guint64
pd_amqp_link_get_next_tag(PdAmqpLink *self);
/* TCP_CORK on or off (off also sends what MSG_MORE held back) */
void
pd_amqp_link_set_corked(PdAmqpLink *self, gboolean corked);
/* plain TCP, not TLS: a message's frames leave by pd_amqp_link_send_frames() */
gboolean
pd_amqp_link_get_plain(PdAmqpLink *self);
/* @more: another message follows at once (plain TCP: sent with MSG_MORE) */
gboolean
pd_amqp_link_publish(PdAmqpLink *self,
		     guint routing_key,
		     GBytes *body,
		     gboolean more,
		     GError **error);
/* one heartbeat frame, now */
gboolean
pd_amqp_link_send_heartbeat(PdAmqpLink *self, GError **error);
/* a notification's frames (basic.publish, content header with the
 * properties oslo.messaging sets, body frames of at most @frame_max) written
 * to @fd in as few sendmsg() as it takes: the bytes amqp_basic_publish()
 * sends, without copying the body; @more: the last sendmsg() has MSG_MORE
 * too (another message follows at once) */
gboolean
pd_amqp_link_send_frames(gint fd,
			 guint16 channel,
			 const gchar *exchange,
			 const gchar *routing_key,
			 gsize frame_max,
			 const guint8 *body,
			 gsize len,
			 gboolean more,
			 GError **error);
/* handles every frame already received, without blocking; also sends a
 * heartbeat when one is due and notices a silent broker. @idle_reads counts
 * the reads that found nothing */
gboolean
pd_amqp_link_process(PdAmqpLink *self,
		     const PdAmqpLinkEvents *events,
		     gpointer user_data,
		     guint64 *idle_reads,
		     GError **error);
/* closes politely (bounded by the RPC timeout) and frees */
void
pd_amqp_link_close(PdAmqpLink *self);
void
pd_amqp_link_free(PdAmqpLink *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdAmqpLink, pd_amqp_link_free)

G_END_DECLS
