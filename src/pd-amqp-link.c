/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdAmqpLink"

#include "config.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pd-amqp-link.h"

#define PD_AMQP_CHANNEL 1
#define PD_AMQP_FRAME_MAX 131072
/* a frame: type, channel and payload size, the payload, the end octet */
#define PD_AMQP_FRAME_HEAD 7
/* a message's method and content header frames: the exchange and the
 * routing key are short strings (255 bytes at most) */
#define PD_AMQP_MESSAGE_HEAD_MAX 2048
/* body frames handed to one sendmsg() */
#define PD_AMQP_BODY_FRAMES_PER_SEND 64

struct _PdAmqpLink {
	amqp_connection_state_t conn;
	const PdAmqpLinkOptions *opts;
	guint64 next_tag;
	gboolean channel_open;
	gboolean plain; /* TCP without TLS: messages are written by pd_amqp_link_send_frames() */
};

/* not G_DEFINE_QUARK(): clang-format spaces out its dashed name, and so the quark's string */
GQuark
pd_amqp_link_error_quark(void)
{
	return g_quark_from_static_string("pd-amqp-link-error-quark");
}

void
pd_amqp_link_options_clear(PdAmqpLinkOptions *opts)
{
	g_clear_pointer(&opts->exchange, g_free);
	g_clear_pointer(&opts->routing_keys, g_strfreev);
	g_clear_pointer(&opts->ssl_ca_file, g_free);
	g_clear_pointer(&opts->ssl_cert_file, g_free);
	g_clear_pointer(&opts->ssl_key_file, g_free);
}

static gchar *
pd_amqp_bytes_dup(amqp_bytes_t b)
{
	return g_strndup(b.bytes, b.len);
}

/* "403 ACCESS_REFUSED - ..." from a connection.close or channel.close */
static gchar *
pd_amqp_describe_close(const amqp_method_t *method, guint16 *code)
{
	if (method->id == AMQP_CONNECTION_CLOSE_METHOD) {
		const amqp_connection_close_t *m = method->decoded;
		g_autofree gchar *text = pd_amqp_bytes_dup(m->reply_text);
		*code = m->reply_code;
		return g_strdup_printf("%u %s", m->reply_code, text);
	}
	if (method->id == AMQP_CHANNEL_CLOSE_METHOD) {
		const amqp_channel_close_t *m = method->decoded;
		g_autofree gchar *text = pd_amqp_bytes_dup(m->reply_text);
		*code = m->reply_code;
		return g_strdup_printf("%u %s", m->reply_code, text);
	}
	*code = 0;
	return g_strdup_printf("unexpected method 0x%08x", method->id);
}

static gint
pd_amqp_code_to_error(guint16 code)
{
	switch (code) {
		case AMQP_ACCESS_REFUSED:
		case AMQP_NOT_ALLOWED:
			return PD_AMQP_LINK_ERROR_REFUSED;
		case AMQP_PRECONDITION_FAILED:
			return PD_AMQP_LINK_ERROR_PRECONDITION;
		default:
			return PD_AMQP_LINK_ERROR_CLOSED;
	}
}

/* FALSE with @error set unless @r is a success */
static gboolean
pd_amqp_check_result(PdAmqpLink *self, amqp_rpc_reply_t r, const gchar *what, GError **error)
{
	g_autofree gchar *text = NULL;
	guint16 code = 0;

	switch (r.reply_type) {
		case AMQP_RESPONSE_NORMAL:
			return TRUE;
		case AMQP_RESPONSE_LIBRARY_EXCEPTION:
			g_set_error(error,
				    PD_AMQP_LINK_ERROR,
				    PD_AMQP_LINK_ERROR_CLOSED,
				    "%s: %s",
				    what,
				    amqp_error_string2(r.library_error));
			return FALSE;
		case AMQP_RESPONSE_SERVER_EXCEPTION:
			text = pd_amqp_describe_close(&r.reply, &code);
			if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD)
				self->channel_open = FALSE;
			g_set_error(error,
				    PD_AMQP_LINK_ERROR,
				    pd_amqp_code_to_error(code),
				    "%s: %s",
				    what,
				    text);
			return FALSE;
		default:
			g_set_error(error,
				    PD_AMQP_LINK_ERROR,
				    PD_AMQP_LINK_ERROR_CLOSED,
				    "%s: no reply",
				    what);
			return FALSE;
	}
}

/* the same for the last RPC */
static gboolean
pd_amqp_check_reply(PdAmqpLink *self, const gchar *what, GError **error)
{
	return pd_amqp_check_result(self, amqp_get_rpc_reply(self->conn), what, error);
}

static amqp_socket_t *
pd_amqp_link_new_socket(PdAmqpLink *self, const PdAmqpHost *host, GError **error)
{
	const PdAmqpLinkOptions *o = self->opts;
	amqp_socket_t *sock = NULL;

	if (!o->ssl && !host->ssl) {
		self->plain = TRUE;
		return amqp_tcp_socket_new(self->conn);
	}
	sock = amqp_ssl_socket_new(self->conn);
	if (sock == NULL)
		return NULL;
	amqp_ssl_socket_set_verify_peer(sock, o->ssl_ca_file != NULL);
	amqp_ssl_socket_set_verify_hostname(sock, o->ssl_verify_hostname);
	if (o->ssl_ca_file != NULL &&
	    amqp_ssl_socket_set_cacert(sock, o->ssl_ca_file) != AMQP_STATUS_OK) {
		g_set_error(error,
			    PD_AMQP_LINK_ERROR,
			    PD_AMQP_LINK_ERROR_CONNECT,
			    "ssl_ca_file %s: cannot load it",
			    o->ssl_ca_file);
		return NULL;
	}
	if (o->ssl_cert_file != NULL && o->ssl_key_file != NULL &&
	    amqp_ssl_socket_set_key(sock, o->ssl_cert_file, o->ssl_key_file) != AMQP_STATUS_OK) {
		g_set_error(error,
			    PD_AMQP_LINK_ERROR,
			    PD_AMQP_LINK_ERROR_CONNECT,
			    "ssl_cert_file %s / ssl_key_file %s: cannot load them",
			    o->ssl_cert_file,
			    o->ssl_key_file);
		return NULL;
	}
	return sock;
}

static gboolean
pd_amqp_link_open_socket(PdAmqpLink *self, const PdAmqpHost *host, GError **error)
{
	struct timeval tv = { self->opts->timeout_s, 0 };
	amqp_socket_t *sock = pd_amqp_link_new_socket(self, host, error);
	gint rc;

	if (sock == NULL) {
		if (error != NULL && *error == NULL)
			g_set_error(error,
				    PD_AMQP_LINK_ERROR,
				    PD_AMQP_LINK_ERROR_CONNECT,
				    "cannot create a socket");
		return FALSE;
	}
	amqp_set_handshake_timeout(self->conn, &tv);
	amqp_set_rpc_timeout(self->conn, &tv);
	rc = amqp_socket_open_noblock(sock, host->host, host->port, &tv);
	if (rc != AMQP_STATUS_OK) {
		g_set_error(error,
			    PD_AMQP_LINK_ERROR,
			    PD_AMQP_LINK_ERROR_CONNECT,
			    "connect: %s",
			    amqp_error_string2(rc));
		return FALSE;
	}
	return TRUE;
}

/* asks for connection.blocked notifications and names the client */
static gboolean
pd_amqp_link_login(PdAmqpLink *self, const PdAmqpHost *host, GError **error)
{
	g_autofree gchar *name = g_strdup_printf("polld:%s:%d", g_get_host_name(), (gint)getpid());
	amqp_table_entry_t caps[3];
	amqp_table_entry_t props[3];
	amqp_table_t props_table = { G_N_ELEMENTS(props), props };
	const gchar *cap_names[] = { "connection.blocked",
				     "publisher_confirms",
				     "authentication_failure_close" };
	amqp_rpc_reply_t r;

	for (guint i = 0; i < G_N_ELEMENTS(caps); i++) {
		caps[i].key = amqp_cstring_bytes(cap_names[i]);
		caps[i].value.kind = AMQP_FIELD_KIND_BOOLEAN;
		caps[i].value.value.boolean = 1;
	}
	props[0].key = amqp_cstring_bytes("capabilities");
	props[0].value.kind = AMQP_FIELD_KIND_TABLE;
	props[0].value.value.table.num_entries = G_N_ELEMENTS(caps);
	props[0].value.value.table.entries = caps;
	props[1].key = amqp_cstring_bytes("product");
	props[1].value.kind = AMQP_FIELD_KIND_UTF8;
	props[1].value.value.bytes = amqp_cstring_bytes("polld");
	props[2].key = amqp_cstring_bytes("connection_name");
	props[2].value.kind = AMQP_FIELD_KIND_UTF8;
	props[2].value.value.bytes = amqp_cstring_bytes(name);
	r = amqp_login_with_properties(self->conn,
				       host->vhost,
				       0,
				       PD_AMQP_FRAME_MAX,
				       (gint)self->opts->heartbeat,
				       &props_table,
				       AMQP_SASL_METHOD_PLAIN,
				       host->user,
				       host->password);
	return pd_amqp_check_result(self, r, "login", error);
}

/* names the setting that differs when the broker answers 406 */
static void
pd_amqp_link_explain_precondition(PdAmqpLink *self, GError *error)
{
	const PdAmqpLinkOptions *o = self->opts;
	const gchar *hint = NULL;
	gboolean value = FALSE;

	if (strstr(error->message, "'durable'") != NULL) {
		hint = "amqp_durable_queues";
		value = o->durable;
	} else if (strstr(error->message, "'auto_delete'") != NULL) {
		hint = "amqp_auto_delete";
		value = o->auto_delete;
	} else if (strstr(error->message, "'x-queue-type'") != NULL) {
		hint = "rabbit_quorum_queue";
		value = o->quorum;
	}
	if (hint == NULL)
		return;
	g_prefix_error(
	  &error,
	  "flags differ from the existing object ([oslo_messaging_rabbit] %s = %s here): ",
	  hint,
	  value ? "true" : "false");
}

static gboolean
pd_amqp_link_declare_queue(PdAmqpLink *self, const gchar *name, GError **error)
{
	const PdAmqpLinkOptions *o = self->opts;
	amqp_table_entry_t arg;
	amqp_table_t args = { 0, NULL };
	g_autofree gchar *what = g_strdup_printf("queue '%s'", name);

	if (o->quorum) {
		arg.key = amqp_cstring_bytes("x-queue-type");
		arg.value.kind = AMQP_FIELD_KIND_UTF8;
		arg.value.value.bytes = amqp_cstring_bytes("quorum");
		args.num_entries = 1;
		args.entries = &arg;
	}
	amqp_queue_declare(self->conn,
			   PD_AMQP_CHANNEL,
			   amqp_cstring_bytes(name),
			   0,
			   o->durable,
			   0,
			   o->auto_delete,
			   args);
	if (!pd_amqp_check_reply(self, what, error))
		return FALSE;
	g_free(what);
	what = g_strdup_printf("binding of queue '%s' to exchange '%s'", name, o->exchange);
	amqp_queue_bind(self->conn,
			PD_AMQP_CHANNEL,
			amqp_cstring_bytes(name),
			amqp_cstring_bytes(o->exchange),
			amqp_cstring_bytes(name),
			amqp_empty_table);
	return pd_amqp_check_reply(self, what, error);
}

/* what Ceilometer's notifier declares: a topic exchange and, per topic, a
 * queue named after the routing key */
static gboolean
pd_amqp_link_declare(PdAmqpLink *self, GError **error)
{
	const PdAmqpLinkOptions *o = self->opts;
	g_autofree gchar *what = g_strdup_printf("exchange '%s'", o->exchange);

	amqp_channel_open(self->conn, PD_AMQP_CHANNEL);
	if (!pd_amqp_check_reply(self, "channel.open", error))
		return FALSE;
	self->channel_open = TRUE;
	amqp_exchange_declare(self->conn,
			      PD_AMQP_CHANNEL,
			      amqp_cstring_bytes(o->exchange),
			      amqp_cstring_bytes("topic"),
			      0,
			      o->durable,
			      o->auto_delete,
			      0,
			      amqp_empty_table);
	if (!pd_amqp_check_reply(self, what, error))
		return FALSE;
	for (guint i = 0; o->routing_keys[i] != NULL; i++) {
		if (!pd_amqp_link_declare_queue(self, o->routing_keys[i], error))
			return FALSE;
	}
	amqp_confirm_select(self->conn, PD_AMQP_CHANNEL);
	if (!pd_amqp_check_reply(self, "confirm.select", error))
		return FALSE;
	self->next_tag = 1;
	return TRUE;
}

PdAmqpLink *
pd_amqp_link_connect(const PdAmqpLinkOptions *opts, const PdAmqpHost *host, GError **error)
{
	g_autoptr(PdAmqpLink) self = g_new0(PdAmqpLink, 1);
	g_autoptr(GError) local = NULL;

	self->opts = opts;
	self->conn = amqp_new_connection();
	if (!pd_amqp_link_open_socket(self, host, &local) ||
	    !pd_amqp_link_login(self, host, &local) || !pd_amqp_link_declare(self, &local)) {
		if (local->code == PD_AMQP_LINK_ERROR_PRECONDITION)
			pd_amqp_link_explain_precondition(self, local);
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	return g_steal_pointer(&self);
}

gint
pd_amqp_link_get_fd(PdAmqpLink *self)
{
	return amqp_get_sockfd(self->conn);
}

guint
pd_amqp_link_get_heartbeat(PdAmqpLink *self)
{
	return (guint)MAX(amqp_get_heartbeat(self->conn), 0);
}

guint64
pd_amqp_link_get_next_tag(PdAmqpLink *self)
{
	return self->next_tag;
}

/* while corked, the kernel sends full segments only: in a burst of
 * messages one's tail and the next one's head share a segment instead of
 * each message ending in a short one of its own */
void
pd_amqp_link_set_corked(PdAmqpLink *self, gboolean corked)
{
	int on = corked ? 1 : 0;
	int fd = amqp_get_sockfd(self->conn);

	if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) != 0)
		g_debug("TCP_CORK: %s", g_strerror(errno));
}

gboolean
pd_amqp_link_get_plain(PdAmqpLink *self)
{
	return self->plain;
}

/* exactly what oslo.messaging sets for a notification */
static void
pd_amqp_notification_properties(amqp_basic_properties_t *props)
{
	memset(props, 0, sizeof(*props));
	props->_flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG |
			AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
			AMQP_BASIC_PRIORITY_FLAG;
	props->content_type = amqp_cstring_bytes("application/json");
	props->content_encoding = amqp_cstring_bytes("utf-8");
	props->headers = amqp_empty_table;
	props->delivery_mode = 2;
	props->priority = 0;
}

static void
pd_amqp_put_be(guint8 *p, guint64 v, guint bytes)
{
	for (guint i = 0; i < bytes; i++)
		p[i] = (guint8)(v >> (8 * (bytes - 1 - i)));
}

static void
pd_amqp_frame_head(guint8 *p, guint8 type, guint16 channel, guint32 size)
{
	p[0] = type;
	pd_amqp_put_be(p + 1, channel, 2);
	pd_amqp_put_be(p + 3, size, 4);
}

/* the basic.publish method frame and the content header frame of a
 * message of @body_len bytes, into @buf: their length, 0 if they do not fit */
static gsize
pd_amqp_message_head(guint8 *buf,
		     gsize size,
		     guint16 channel,
		     const gchar *exchange,
		     const gchar *routing_key,
		     guint64 body_len)
{
	/* method id; class, weight and body size: before the encoded parts */
	const gsize method_pre = PD_AMQP_FRAME_HEAD + 4, header_pre = PD_AMQP_FRAME_HEAD + 12;
	amqp_basic_publish_t m = { 0 };
	amqp_basic_properties_t props;
	amqp_bytes_t out;
	gsize at;
	gint n;

	if (size < method_pre + 1 + header_pre + 1)
		return 0;
	m.exchange = amqp_cstring_bytes(exchange);
	m.routing_key = amqp_cstring_bytes(routing_key);
	m.mandatory = 1;
	m.immediate = 0;
	out.bytes = buf + method_pre;
	out.len = size - method_pre - 1 - header_pre - 1;
	n = amqp_encode_method(AMQP_BASIC_PUBLISH_METHOD, &m, out);
	if (n < 0)
		return 0;
	pd_amqp_frame_head(buf, AMQP_FRAME_METHOD, channel, 4 + (guint32)n);
	pd_amqp_put_be(buf + PD_AMQP_FRAME_HEAD, AMQP_BASIC_PUBLISH_METHOD, 4);
	at = method_pre + (gsize)n;
	buf[at++] = AMQP_FRAME_END;
	pd_amqp_notification_properties(&props);
	out.bytes = buf + at + header_pre;
	out.len = size - at - header_pre - 1;
	n = amqp_encode_properties(AMQP_BASIC_CLASS, &props, out);
	if (n < 0)
		return 0;
	pd_amqp_frame_head(buf + at, AMQP_FRAME_HEADER, channel, 12 + (guint32)n);
	pd_amqp_put_be(buf + at + PD_AMQP_FRAME_HEAD, AMQP_BASIC_CLASS, 2);
	pd_amqp_put_be(buf + at + PD_AMQP_FRAME_HEAD + 2, 0, 2); /* weight */
	pd_amqp_put_be(buf + at + PD_AMQP_FRAME_HEAD + 4, body_len, 8);
	at += header_pre + (gsize)n;
	buf[at++] = AMQP_FRAME_END;
	return at;
}

/* all of @iov, waiting while the socket (non-blocking) is full, as
 * librabbitmq's own sends wait without a deadline when publishing; @more:
 * MSG_MORE, more bytes follow at once (the kernel holds a partial segment
 * for them, as TCP_CORK does, without two setsockopt() a burst) */
static gboolean
pd_amqp_sendv_all(gint fd, struct iovec *iov, gsize n, gboolean more, GError **error)
{
	gint flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);

	while (n > 0) {
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = n };
		gssize w = sendmsg(fd, &msg, flags);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				break;
			continue;
		}
		if (w < 0)
			break;
		while (n > 0 && (gsize)w >= iov->iov_len) {
			w -= (gssize)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (guint8 *)iov->iov_base + w;
			iov->iov_len -= (gsize)w;
		}
	}
	if (n == 0)
		return TRUE;
	g_set_error(
	  error, PD_AMQP_LINK_ERROR, PD_AMQP_LINK_ERROR_CLOSED, "publish: %s", g_strerror(errno));
	return FALSE;
}

gboolean
pd_amqp_link_send_frames(gint fd,
			 guint16 channel,
			 const gchar *exchange,
			 const gchar *routing_key,
			 gsize frame_max,
			 const guint8 *body,
			 gsize len,
			 gboolean more,
			 GError **error)
{
	static const guint8 end = AMQP_FRAME_END;
	guint8 head[PD_AMQP_MESSAGE_HEAD_MAX];
	guint8 heads[PD_AMQP_BODY_FRAMES_PER_SEND][PD_AMQP_FRAME_HEAD];
	struct iovec iov[1 + 3 * PD_AMQP_BODY_FRAMES_PER_SEND];
	gsize room = frame_max - PD_AMQP_FRAME_HEAD - 1, off = 0, n = 0;
	gsize head_len =
	  pd_amqp_message_head(head, sizeof(head), channel, exchange, routing_key, len);

	g_return_val_if_fail(frame_max > PD_AMQP_FRAME_HEAD + 1, FALSE);
	if (head_len == 0) {
		g_set_error(error,
			    PD_AMQP_LINK_ERROR,
			    PD_AMQP_LINK_ERROR_CLOSED,
			    "publish: exchange or routing key too long");
		return FALSE;
	}
	iov[n++] = (struct iovec){ head, head_len };
	do {
		for (guint k = 0; off < len && k < PD_AMQP_BODY_FRAMES_PER_SEND; k++) {
			gsize part = MIN(room, len - off);
			pd_amqp_frame_head(heads[k], AMQP_FRAME_BODY, channel, (guint32)part);
			iov[n++] = (struct iovec){ heads[k], PD_AMQP_FRAME_HEAD };
			iov[n++] = (struct iovec){ (guint8 *)body + off, part };
			iov[n++] = (struct iovec){ (guint8 *)&end, 1 };
			off += part;
		}
		if (!pd_amqp_sendv_all(fd, iov, n, more || off < len, error))
			return FALSE;
		n = 0;
	} while (off < len);
	return TRUE;
}

/* through librabbitmq, which then counts it as sent for its own clock */
gboolean
pd_amqp_link_send_heartbeat(PdAmqpLink *self, GError **error)
{
	amqp_frame_t frame = { 0 };
	gint rc;

	frame.frame_type = AMQP_FRAME_HEARTBEAT;
	frame.channel = 0;
	rc = amqp_send_frame(self->conn, &frame);
	if (rc != AMQP_STATUS_OK) {
		g_set_error(error,
			    PD_AMQP_LINK_ERROR,
			    PD_AMQP_LINK_ERROR_CLOSED,
			    "heartbeat: %s",
			    amqp_error_string2(rc));
		return FALSE;
	}
	return TRUE;
}

gboolean
pd_amqp_link_publish(PdAmqpLink *self,
		     guint routing_key,
		     GBytes *body,
		     gboolean more,
		     GError **error)
{
	amqp_basic_properties_t props;
	amqp_bytes_t data;
	gsize len = 0;
	gint frame_max = amqp_get_frame_max(self->conn);
	gint rc;

	data.bytes = (void *)g_bytes_get_data(body, &len);
	data.len = len;
	/* over plain TCP a message's frames leave in one sendmsg() straight
	 * from the body: librabbitmq copies each body into its frame buffer
	 * and sends every frame on its own; the bytes are the same */
	if (self->plain && frame_max > PD_AMQP_FRAME_HEAD + 1) {
		if (!pd_amqp_link_send_frames(amqp_get_sockfd(self->conn),
					      PD_AMQP_CHANNEL,
					      self->opts->exchange,
					      self->opts->routing_keys[routing_key],
					      (gsize)frame_max,
					      data.bytes,
					      len,
					      more,
					      error))
			return FALSE;
		self->next_tag++;
		return TRUE;
	}
	pd_amqp_notification_properties(&props);
	rc = amqp_basic_publish(self->conn,
				PD_AMQP_CHANNEL,
				amqp_cstring_bytes(self->opts->exchange),
				amqp_cstring_bytes(self->opts->routing_keys[routing_key]),
				1,
				0,
				&props,
				data);
	if (rc != AMQP_STATUS_OK) {
		g_set_error(error,
			    PD_AMQP_LINK_ERROR,
			    PD_AMQP_LINK_ERROR_CLOSED,
			    "publish: %s",
			    amqp_error_string2(rc));
		return FALSE;
	}
	self->next_tag++;
	return TRUE;
}

static gboolean
pd_amqp_link_on_return(PdAmqpLink *self,
		       const amqp_frame_t *frame,
		       const PdAmqpLinkEvents *events,
		       gpointer user_data,
		       GError **error)
{
	const amqp_basic_return_t *m = frame->payload.method.decoded;
	g_autofree gchar *why = g_strdup_printf(
	  "%u %.*s", m->reply_code, (gint)m->reply_text.len, (const gchar *)m->reply_text.bytes);
	amqp_message_t message;
	g_autoptr(GBytes) body = NULL;
	amqp_rpc_reply_t r = amqp_read_message(self->conn, frame->channel, &message, 0);

	if (r.reply_type != AMQP_RESPONSE_NORMAL) {
		g_set_error(error,
			    PD_AMQP_LINK_ERROR,
			    PD_AMQP_LINK_ERROR_CLOSED,
			    "reading a returned message failed");
		return FALSE;
	}
	body = g_bytes_new(message.body.bytes, message.body.len);
	amqp_destroy_message(&message);
	events->returned(user_data, body, why);
	return TRUE;
}

/* the broker closes the channel or the connection: acknowledge and fail */
static gboolean
pd_amqp_link_on_close(PdAmqpLink *self, const amqp_frame_t *frame, GError **error)
{
	guint16 code = 0;
	g_autofree gchar *text = pd_amqp_describe_close(&frame->payload.method, &code);

	if (frame->payload.method.id == AMQP_CHANNEL_CLOSE_METHOD) {
		amqp_channel_close_ok_t ok = { 0 };
		amqp_send_method(self->conn, frame->channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
		self->channel_open = FALSE;
	} else {
		amqp_connection_close_ok_t ok = { 0 };
		amqp_send_method(self->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
	}
	g_set_error(error,
		    PD_AMQP_LINK_ERROR,
		    pd_amqp_code_to_error(code),
		    "broker closed the %s: %s",
		    frame->payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ? "channel"
									  : "connection",
		    text);
	return FALSE;
}

static gboolean
pd_amqp_link_dispatch(PdAmqpLink *self,
		      const amqp_frame_t *frame,
		      const PdAmqpLinkEvents *events,
		      gpointer user_data,
		      GError **error)
{
	const amqp_method_t *method = &frame->payload.method;

	switch (method->id) {
		case AMQP_BASIC_ACK_METHOD: {
			const amqp_basic_ack_t *m = method->decoded;
			events->ack(user_data, m->delivery_tag, m->multiple, FALSE);
			return TRUE;
		}
		case AMQP_BASIC_NACK_METHOD: {
			const amqp_basic_nack_t *m = method->decoded;
			events->ack(user_data, m->delivery_tag, m->multiple, TRUE);
			return TRUE;
		}
		case AMQP_BASIC_RETURN_METHOD:
			return pd_amqp_link_on_return(self, frame, events, user_data, error);
		case AMQP_CONNECTION_BLOCKED_METHOD: {
			const amqp_connection_blocked_t *m = method->decoded;
			g_autofree gchar *reason = pd_amqp_bytes_dup(m->reason);
			events->blocked(user_data, TRUE, reason);
			return TRUE;
		}
		case AMQP_CONNECTION_UNBLOCKED_METHOD:
			events->blocked(user_data, FALSE, NULL);
			return TRUE;
		case AMQP_CHANNEL_CLOSE_METHOD:
		case AMQP_CONNECTION_CLOSE_METHOD:
			return pd_amqp_link_on_close(self, frame, error);
		default:
			g_debug("ignoring method 0x%08x", method->id);
			return TRUE;
	}
}

/* the first call reads the socket (and lets librabbitmq send a due
 * heartbeat); over plain TCP the next ones only take what that read left in
 * librabbitmq's buffer: reading on to EAGAIN costs a recv() and a poll() an
 * event, and what comes later makes the socket readable again for the
 * caller's watch. Over TLS a record may wait in the SSL layer, not the
 * socket, so it reads until nothing is left */
gboolean
pd_amqp_link_process(PdAmqpLink *self,
		     const PdAmqpLinkEvents *events,
		     gpointer user_data,
		     guint64 *idle_reads,
		     GError **error)
{
	for (gboolean first = TRUE;; first = FALSE) {
		struct timeval zero = { 0, 0 };
		amqp_frame_t frame;
		gint rc;

		if (!first && self->plain && !amqp_frames_enqueued(self->conn) &&
		    !amqp_data_in_buffer(self->conn))
			break;
		rc = amqp_simple_wait_frame_noblock(self->conn, &frame, &zero);
		if (rc == AMQP_STATUS_TIMEOUT) {
			(*idle_reads)++;
			break;
		}
		if (rc != AMQP_STATUS_OK) {
			g_set_error(error,
				    PD_AMQP_LINK_ERROR,
				    PD_AMQP_LINK_ERROR_CLOSED,
				    "%s",
				    amqp_error_string2(rc));
			return FALSE;
		}
		if (frame.frame_type != AMQP_FRAME_METHOD)
			continue;
		if (!pd_amqp_link_dispatch(self, &frame, events, user_data, error))
			return FALSE;
	}
	amqp_maybe_release_buffers(self->conn);
	return TRUE;
}

void
pd_amqp_link_close(PdAmqpLink *self)
{
	struct timeval tv = { 2, 0 };

	if (self == NULL)
		return;
	amqp_set_rpc_timeout(self->conn, &tv);
	if (self->channel_open)
		amqp_channel_close(self->conn, PD_AMQP_CHANNEL, AMQP_REPLY_SUCCESS);
	amqp_connection_close(self->conn, AMQP_REPLY_SUCCESS);
	pd_amqp_link_free(self);
}

void
pd_amqp_link_free(PdAmqpLink *self)
{
	if (self == NULL)
		return;
	amqp_destroy_connection(self->conn);
	g_free(self);
}
