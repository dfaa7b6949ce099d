/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pd_amqp_link_send_frames() writes a notification's frames itself (no copy of
 * the body, one sendmsg() a message): its bytes must be exactly those of
 * librabbitmq's amqp_basic_publish() with the properties oslo.messaging
 * sets, for every body size and frame size, also when the socket is full.
 */
#include "config.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pd-amqp-link.h"

#define EXCHANGE "openstack"
#define ROUTING_KEY "notifications.sample"

typedef struct {
	gint fd;
	gboolean handshake; /* play the broker's part of amqp_login() first */
	gsize frame_max;
} Peer;

static void
read_exactly(gint fd, guint8 *buf, gsize len)
{
	while (len > 0) {
		gssize n = read(fd, buf, len);
		g_assert_cmpint(n, >, 0);
		buf += n;
		len -= (gsize)n;
	}
}

/* one frame from the client: its method id (0 for other frames) */
static guint32
read_frame(gint fd)
{
	guint8 head[7], *payload;
	guint32 size, id = 0;

	read_exactly(fd, head, sizeof(head));
	size = (guint32)head[3] << 24 | (guint32)head[4] << 16 | (guint32)head[5] << 8 | head[6];
	payload = g_malloc(size + 1);
	read_exactly(fd, payload, size + 1);
	g_assert_cmpuint(payload[size], ==, AMQP_FRAME_END);
	if (head[0] == AMQP_FRAME_METHOD)
		id = (guint32)payload[0] << 24 | (guint32)payload[1] << 16 |
		     (guint32)payload[2] << 8 | payload[3];
	g_free(payload);
	return id;
}

static void
send_method(gint fd, amqp_method_number_t id, void *decoded)
{
	guint8 buf[4096];
	amqp_bytes_t out = { sizeof(buf) - 12, buf + 11 };
	gint n = amqp_encode_method(id, decoded, out);
	guint32 size;

	g_assert_cmpint(n, >=, 0);
	size = (guint32)n + 4;
	buf[0] = AMQP_FRAME_METHOD;
	buf[1] = buf[2] = 0;
	buf[3] = (guint8)(size >> 24);
	buf[4] = (guint8)(size >> 16);
	buf[5] = (guint8)(size >> 8);
	buf[6] = (guint8)size;
	buf[7] = (guint8)(id >> 24);
	buf[8] = (guint8)(id >> 16);
	buf[9] = (guint8)(id >> 8);
	buf[10] = (guint8)id;
	buf[11 + n] = AMQP_FRAME_END;
	g_assert_cmpint(write(fd, buf, 12 + (gsize)n), ==, 12 + n);
}

/* the broker's part of a login: start, tune, open-ok */
static void
play_broker(Peer *peer)
{
	guint8 proto[8];
	amqp_connection_start_t start = { 0 };
	amqp_connection_tune_t tune = { 0 };
	amqp_connection_open_ok_t open_ok = { 0 };

	read_exactly(peer->fd, proto, sizeof(proto));
	g_assert_cmpmem(proto, 4, "AMQP", 4);
	start.version_major = 0;
	start.version_minor = 9;
	start.server_properties = amqp_empty_table;
	start.mechanisms = amqp_cstring_bytes("PLAIN");
	start.locales = amqp_cstring_bytes("en_US");
	send_method(peer->fd, AMQP_CONNECTION_START_METHOD, &start);
	g_assert_cmpuint(read_frame(peer->fd), ==, AMQP_CONNECTION_START_OK_METHOD);
	tune.channel_max = 0;
	tune.frame_max = (guint32)peer->frame_max;
	tune.heartbeat = 0;
	send_method(peer->fd, AMQP_CONNECTION_TUNE_METHOD, &tune);
	g_assert_cmpuint(read_frame(peer->fd), ==, AMQP_CONNECTION_TUNE_OK_METHOD);
	g_assert_cmpuint(read_frame(peer->fd), ==, AMQP_CONNECTION_OPEN_METHOD);
	open_ok.known_hosts = amqp_empty_bytes;
	send_method(peer->fd, AMQP_CONNECTION_OPEN_OK_METHOD, &open_ok);
}

/* reads its end of the pair until the writer shuts down */
static gpointer
reader_thread(gpointer data)
{
	Peer *peer = data;
	gint fd = peer->fd;
	GByteArray *got = g_byte_array_new();
	guint8 buf[65536];
	gssize n;

	if (peer->handshake)
		play_broker(peer);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		g_assert_cmpint(n, >, 0);
		g_byte_array_append(got, buf, (guint)n);
	}
	return got;
}

static GByteArray *
capture(gboolean by_librabbitmq, gsize frame_max, const guint8 *body, gsize len)
{
	gint sv[2];
	GThread *reader;
	GByteArray *got;
	Peer peer = { 0, by_librabbitmq, frame_max };

	g_assert_no_errno(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	/* non-blocking like the broker connection: a full socket makes both wait */
	g_assert_no_errno(fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK));
	peer.fd = sv[1];
	reader = g_thread_new("reader", reader_thread, &peer);
	if (by_librabbitmq) {
		amqp_connection_state_t conn = amqp_new_connection();
		amqp_socket_t *sock = amqp_tcp_socket_new(conn);
		amqp_basic_properties_t props = { 0 };
		amqp_bytes_t data = { len, (void *)body };
		amqp_rpc_reply_t r;

		amqp_tcp_socket_set_sockfd(sock, sv[0]);
		/* librabbitmq publishes on a logged-in connection only */
		r = amqp_login(
		  conn, "/", 0, (int)frame_max, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
		g_assert_cmpint(r.reply_type, ==, AMQP_RESPONSE_NORMAL);
		g_assert_cmpint(amqp_get_frame_max(conn), ==, (int)frame_max);
		props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG |
			       AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
			       AMQP_BASIC_PRIORITY_FLAG;
		props.content_type = amqp_cstring_bytes("application/json");
		props.content_encoding = amqp_cstring_bytes("utf-8");
		props.headers = amqp_empty_table;
		props.delivery_mode = 2;
		props.priority = 0;
		g_assert_cmpint(amqp_basic_publish(conn,
						   1,
						   amqp_cstring_bytes(EXCHANGE),
						   amqp_cstring_bytes(ROUTING_KEY),
						   1,
						   0,
						   &props,
						   data),
				==,
				AMQP_STATUS_OK);
		shutdown(sv[0], SHUT_WR);
		got = g_thread_join(reader);
		amqp_destroy_connection(conn); /* closes sv[0] */
	} else {
		g_autoptr(GError) error = NULL;

		g_assert_true(pd_amqp_link_send_frames(
		  sv[0], 1, EXCHANGE, ROUTING_KEY, frame_max, body, len, FALSE, &error));
		g_assert_no_error(error);
		shutdown(sv[0], SHUT_WR);
		got = g_thread_join(reader);
		close(sv[0]);
	}
	close(sv[1]);
	return got;
}

static void
check_same(gsize frame_max, gsize len)
{
	g_autofree guint8 *body = g_malloc(MAX(len, 1));
	g_autoptr(GByteArray) want = NULL;
	g_autoptr(GByteArray) got = NULL;
	gsize frames;

	for (gsize i = 0; i < len; i++)
		body[i] = (guint8)('a' + i % 26);
	want = capture(TRUE, frame_max, body, len);
	got = capture(FALSE, frame_max, body, len);
	/* method + header frames, then one body frame per frame_max - 8 bytes */
	frames = (len + frame_max - 9) / (frame_max - 8);
	g_assert_cmpuint(want->len, >, len + 8 * frames + 2 * 8);
	g_assert_cmpmem(got->data, got->len, want->data, want->len);
}

static void
test_typical(void)
{
	/* a sample message's size, in one body frame */
	check_same(131072, 74000);
	check_same(131072, 1);
	check_same(131072, 0);
}

static void
test_frame_edges(void)
{
	/* exactly one full body frame, and one byte more: two */
	check_same(131072, 131072 - 8);
	check_same(131072, 131072 - 7);
	check_same(4096, 4096 * 3);
}

static void
test_many_frames(void)
{
	/* more body frames than one sendmsg() takes, through a socket that
	 * fills: the writer waits for the reader */
	check_same(4096, 1024 * 1024 + 5);
	check_same(4096, 300000);
}

static void
test_closed_peer(void)
{
	guint8 body[100] = { 0 };
	g_autoptr(GError) error = NULL;
	gint sv[2];

	g_assert_no_errno(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	close(sv[1]);
	/* no SIGPIPE: an error the worker reconnects on */
	g_assert_false(pd_amqp_link_send_frames(
	  sv[0], 1, EXCHANGE, ROUTING_KEY, 131072, body, sizeof(body), FALSE, &error));
	g_assert_error(error, PD_AMQP_LINK_ERROR, PD_AMQP_LINK_ERROR_CLOSED);
	close(sv[0]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/amqp/frames/typical", test_typical);
	g_test_add_func("/amqp/frames/frame-edges", test_frame_edges);
	g_test_add_func("/amqp/frames/many-frames", test_many_frames);
	g_test_add_func("/amqp/frames/closed-peer", test_closed_peer);
	return g_test_run();
}
