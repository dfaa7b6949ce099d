/*
 * amqp-floor: the publish floor, the fewest syscalls that put polld's bytes
 * on the broker's socket.
 *
 * Connects with librabbitmq (plain TCP), enables publisher confirms, then
 * sends @messages pre-built messages of @bytes body bytes each, every one as
 * polld writes it (basic.publish with mandatory set, the content header with
 * polld's notification properties, the body frame) in one sendmsg() (more,
 * with a poll() each, when the socket is full), keeping at most polld's
 * unconfirmed window in flight (256 messages and, past the first,
 * @window_bytes of bodies), and reads the confirms with recv() only when the
 * window is full or everything is sent. Nothing else: no samples, no JSON,
 * no threads, no event loop. The body is @samples "counter_name" keys padded
 * to @bytes, so the bench's amqp-count counts it as @samples samples.
 *
 * Prints one line from the first send to the last confirm:
 *   publish-floor messages=M bytes=B samples=S cpu_s=.. user_s=.. system_s=..
 *   wall_s=.. sendmsg=.. recv=.. poll=.. cpu_s_per_1000_samples=..
 *
 * With -r R the bodies come from R distinct buffers in turn, each written
 * once before the clock starts (R x @bytes; default 1: the same body, in
 * the cache, every time). polld sends bodies its pollster threads wrote
 * moments before on either core, each once: -r with a cycle's messages
 * reads each body from memory, not from the cache. With -x as well a
 * second thread writes each body into its buffer just before it is sent,
 * at most R messages ahead of the sender, as polld's pollster threads
 * serialise ahead of its publisher thread (R = 27: 2 MiB of bodies, the
 * budget's default); the line then gives the sending thread's CPU alone,
 * without its waits for the writer (yield=, yield_s=: sched_yield() calls
 * and their CPU, left out of cpu_s; user_s and system_s keep them).
 *
 * usage: amqp-floor [-h host] [-p port] [-u user] [-P password] [-v vhost]
 *                   [-e exchange] [-k routing key] [-n messages] [-b bytes]
 *                   [-s samples a message] [-w window bytes] [-r bodies [-x]]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define FRAME_HEAD 7

static void
die_on_reply(amqp_rpc_reply_t r, const char *what)
{
	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return;
	fprintf(stderr, "amqp-floor: %s failed (%d)\n", what, (int)r.reply_type);
	exit(1);
}

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void
frame_head(uint8_t *p, uint8_t type, uint16_t channel, uint32_t size)
{
	p[0] = type;
	put_be(p + 1, channel, 2);
	put_be(p + 3, size, 4);
}

/* basic.publish and the content header, as polld's pd_amqp_message_head() */
static size_t
message_head(uint8_t *buf, size_t size, const char *exchange, const char *key, uint64_t body_len)
{
	amqp_basic_publish_t m = { 0 };
	amqp_basic_properties_t props;
	amqp_bytes_t out;
	size_t at;
	int n;

	m.exchange = amqp_cstring_bytes(exchange);
	m.routing_key = amqp_cstring_bytes(key);
	m.mandatory = 1;
	out.bytes = buf + FRAME_HEAD + 4;
	out.len = size / 2;
	n = amqp_encode_method(AMQP_BASIC_PUBLISH_METHOD, &m, out);
	if (n < 0)
		return 0;
	frame_head(buf, AMQP_FRAME_METHOD, 1, 4 + (uint32_t)n);
	put_be(buf + FRAME_HEAD, AMQP_BASIC_PUBLISH_METHOD, 4);
	at = FRAME_HEAD + 4 + (size_t)n;
	buf[at++] = AMQP_FRAME_END;
	memset(&props, 0, sizeof(props));
	props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG |
		       AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
		       AMQP_BASIC_PRIORITY_FLAG;
	props.content_type = amqp_cstring_bytes("application/json");
	props.content_encoding = amqp_cstring_bytes("utf-8");
	props.headers = amqp_empty_table;
	props.delivery_mode = 2;
	out.bytes = buf + at + FRAME_HEAD + 12;
	out.len = size - at - FRAME_HEAD - 13;
	n = amqp_encode_properties(AMQP_BASIC_CLASS, &props, out);
	if (n < 0)
		return 0;
	frame_head(buf + at, AMQP_FRAME_HEADER, 1, 12 + (uint32_t)n);
	put_be(buf + at + FRAME_HEAD, AMQP_BASIC_CLASS, 2);
	put_be(buf + at + FRAME_HEAD + 2, 0, 2);
	put_be(buf + at + FRAME_HEAD + 4, body_len, 8);
	at += FRAME_HEAD + 12 + (size_t)n;
	buf[at++] = AMQP_FRAME_END;
	return at;
}

static double
secs(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static double
now_s(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* one message's iovecs: more sendmsg() calls only when the socket is full
 * (librabbitmq's socket is non-blocking: waited for with poll(), as polld
 * does); the number of sendmsg() calls */
static long
send_message(int fd, struct iovec *v, size_t n, long *n_poll)
{
	long calls = 0;

	while (n > 0) {
		struct msghdr msg = { .msg_iov = v, .msg_iovlen = n };
		ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
		calls++;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, -1);
			(*n_poll)++;
			continue;
		}
		if (w < 0 && errno != EINTR) {
			perror("amqp-floor: sendmsg");
			exit(1);
		}
		while (w > 0 && n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0 && w > 0) {
			v->iov_base = (uint8_t *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return calls;
}

/* the confirms in @in's @have bytes: basic.ack frames, single or multiple;
 * the bytes of a frame not complete yet are moved to the front, their count
 * returned */
static size_t
read_acks(uint8_t *in, size_t have, long *confirmed)
{
	size_t at = 0;

	while (have - at >= FRAME_HEAD + 1) {
		uint32_t size = (uint32_t)get_be(in + at + 3, 4);
		if (have - at < FRAME_HEAD + size + 1)
			break;
		const uint8_t *p = in + at + FRAME_HEAD;
		if (in[at] == AMQP_FRAME_METHOD && get_be(p, 4) == AMQP_BASIC_ACK_METHOD) {
			uint64_t tag = get_be(p + 4, 8);
			*confirmed = (p[12] & 1) ? (long)tag : *confirmed + 1;
		} else if (in[at] == AMQP_FRAME_METHOD) {
			fprintf(stderr,
				"amqp-floor: method 0x%08x from the broker\n",
				(unsigned)get_be(p, 4));
			exit(1);
		}
		at += FRAME_HEAD + size + 1;
	}
	memmove(in, in + at, have - at);
	return have - at;
}

/* logged in, channel 1 open with confirms */
static amqp_connection_state_t
connect_broker(const char *host, int port, const char *vhost, const char *user, const char *pass)
{
	amqp_connection_state_t conn = amqp_new_connection();
	amqp_socket_t *sock = amqp_tcp_socket_new(conn);

	if (sock == NULL || amqp_socket_open(sock, host, port) != AMQP_STATUS_OK) {
		fprintf(stderr, "amqp-floor: cannot connect to %s:%d\n", host, port);
		exit(1);
	}
	die_on_reply(amqp_login(conn, vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, user, pass),
		     "login");
	amqp_channel_open(conn, 1);
	die_on_reply(amqp_get_rpc_reply(conn), "channel.open");
	amqp_confirm_select(conn, 1);
	die_on_reply(amqp_get_rpc_reply(conn), "confirm.select");
	return conn;
}

/* -x: the bodies written by another thread, at most ring ahead */
typedef struct {
	uint8_t *body;
	long bytes, samples, ring, messages;
	long written; /* __atomic: bodies written so far */
	long sent;    /* __atomic: bodies the sender is done with */
} Writer;

static void
write_body(uint8_t *b, long bytes, long samples)
{
	memset(b, ' ', (size_t)bytes);
	for (long i = 0; i < samples; i++)
		memcpy(b + i * 16, "\"counter_name\":1", 16);
}

static void *
writer_thread(void *data)
{
	Writer *w = data;

	for (long k = 0; k < w->messages; k++) {
		while (k - __atomic_load_n(&w->sent, __ATOMIC_ACQUIRE) >= w->ring)
			sched_yield();
		write_body(w->body + (k % w->ring) * w->bytes, w->bytes, w->samples);
		__atomic_store_n(&w->written, k + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* the sender, until body @sent is written: the CPU it took, which is the
 * floor's own artefact, not sending */
static double
wait_for_writer(Writer *w, long sent, long *n_yield)
{
	double y0;

	if (__atomic_load_n(&w->written, __ATOMIC_ACQUIRE) > sent)
		return 0;
	y0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	while (__atomic_load_n(&w->written, __ATOMIC_ACQUIRE) <= sent) {
		sched_yield();
		(*n_yield)++;
	}
	return now_s(CLOCK_THREAD_CPUTIME_ID) - y0;
}

static uint8_t *
bodies_new(long bytes, long samples, long ring)
{
	uint8_t *body = malloc((size_t)bytes * (size_t)ring);

	for (long r = 0; r < ring; r++)
		write_body(body + r * bytes, bytes, samples);
	return body;
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *user = "guest", *pass = "guest", *vhost = "/";
	const char *exchange = "ceilometer", *key = "notifications.sample";
	int port = 5672, opt;
	long messages = 1000, bytes = 76000, samples = 50, window_bytes = 2 * 1024 * 1024;
	const long window = 256;
	amqp_connection_state_t conn;
	uint8_t head[512], bhead[FRAME_HEAD], end = AMQP_FRAME_END;
	static uint8_t in[1 << 16];
	size_t head_len, have = 0;
	uint8_t *body;
	long ring = 1;
	int cross = 0;
	Writer writer = { 0 };
	pthread_t wthread;
	clockid_t cpu_clock = CLOCK_PROCESS_CPUTIME_ID;
	int who = RUSAGE_SELF;
	long sent = 0, confirmed = 0, n_sendmsg = 0, n_recv = 0, n_poll = 0, n_yield = 0;
	struct rusage r0, r1;
	double c0, w0, yield_s = 0;
	int fd;

	while ((opt = getopt(argc, argv, "h:p:u:P:v:e:k:n:b:s:w:r:x")) != -1) {
		switch (opt) {
			case 'h':
				host = optarg;
				break;
			case 'p':
				port = atoi(optarg);
				break;
			case 'u':
				user = optarg;
				break;
			case 'P':
				pass = optarg;
				break;
			case 'v':
				vhost = optarg;
				break;
			case 'e':
				exchange = optarg;
				break;
			case 'k':
				key = optarg;
				break;
			case 'n':
				messages = atol(optarg);
				break;
			case 'b':
				bytes = atol(optarg);
				break;
			case 's':
				samples = atol(optarg);
				break;
			case 'w':
				window_bytes = atol(optarg);
				break;
			case 'r':
				ring = atol(optarg) > 0 ? atol(optarg) : 1;
				break;
			case 'x':
				cross = 1;
				break;
			default:
				fprintf(stderr, "usage: see the comment in amqp-floor.c\n");
				return 2;
		}
	}
	/* one body frame a message: polld's messages fit the default frame_max */
	if (bytes < 16 * samples || bytes > 131072 - FRAME_HEAD - 1) {
		fprintf(stderr, "amqp-floor: -b must be 16 x -s .. 131064\n");
		return 2;
	}
	body = bodies_new(bytes, samples, ring);

	conn = connect_broker(host, port, vhost, user, pass);
	fd = amqp_get_sockfd(conn);
	head_len = message_head(head, sizeof(head), exchange, key, (uint64_t)bytes);
	frame_head(bhead, AMQP_FRAME_BODY, 1, (uint32_t)bytes);

	if (cross) {
		writer = (Writer){ body, bytes, samples, ring, messages, 0, 0 };
		pthread_create(&wthread, NULL, writer_thread, &writer);
		cpu_clock = CLOCK_THREAD_CPUTIME_ID;
		who = RUSAGE_THREAD;
	}
	getrusage(who, &r0);
	c0 = now_s(cpu_clock);
	w0 = now_s(CLOCK_MONOTONIC);
	while (confirmed < messages) {
		/* polld's window: 256 messages, bodies past the first up to window_bytes */
		while (sent < messages && sent - confirmed < window &&
		       (sent == confirmed || (sent - confirmed) * bytes < window_bytes)) {
			if (cross)
				yield_s += wait_for_writer(&writer, sent, &n_yield);
			struct iovec iov[4] = { { head, head_len },
						{ bhead, FRAME_HEAD },
						{ body + (sent % ring) * bytes, (size_t)bytes },
						{ &end, 1 } };
			n_sendmsg += send_message(fd, iov, 4, &n_poll);
			sent++;
			if (cross)
				__atomic_store_n(&writer.sent, sent, __ATOMIC_RELEASE);
		}
		/* the confirms: basic.ack frames, single or multiple */
		ssize_t got = recv(fd, in + have, sizeof(in) - have, 0);
		n_recv++;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			poll(&p, 1, -1);
			n_poll++;
			continue;
		}
		if (got <= 0) {
			fprintf(stderr, "amqp-floor: connection closed\n");
			return 1;
		}
		have += (size_t)got;
		have = read_acks(in, have, &confirmed);
	}
	double cpu = now_s(cpu_clock) - c0 - yield_s, wall = now_s(CLOCK_MONOTONIC) - w0;
	getrusage(who, &r1);
	if (cross)
		pthread_join(wthread, NULL);
	printf("publish-floor messages=%ld bytes=%ld samples=%ld ring=%ld cross=%d cpu_s=%.4f "
	       "user_s=%.4f "
	       "system_s=%.4f wall_s=%.3f sendmsg=%ld recv=%ld poll=%ld yield=%ld yield_s=%.4f "
	       "cpu_s_per_1000_samples=%.5f\n",
	       messages,
	       bytes,
	       samples,
	       ring,
	       cross,
	       cpu,
	       secs(r1.ru_utime) - secs(r0.ru_utime),
	       secs(r1.ru_stime) - secs(r0.ru_stime),
	       wall,
	       n_sendmsg,
	       n_recv,
	       n_poll,
	       n_yield,
	       yield_s,
	       cpu * 1000.0 / ((double)messages * (double)samples));
	amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
	amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(conn);
	free(body);
	return 0;
}
