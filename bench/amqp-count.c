/*
 * amqp-count: the bench's broker-side sample counter.
 *
 * Declares the Ceilometer exchange and the notifications queue (same flags as
 * oslo.messaging, so either agent may declare first), purges it, consumes with
 * no-ack and prints one line per delivered message:
 *   <unix time, us> <body bytes> <samples in the body>
 * A sample is counted per "counter_name" key in the body, which holds for both
 * the oslo envelope (inner JSON as an escaped string) and a plain JSON body.
 * Optionally the first K bodies are saved to DIR/msg-NNNN.body.
 *
 * usage: amqp-count [-h host] [-p port] [-u user] [-P password] [-v vhost]
 *                   [-e exchange] [-k routing key] [-q queue] [-D] [-N] [-s DIR -n K]
 * -D: durable exchange and queue; -N: keep what the queue holds (no purge).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
die_on_reply(amqp_rpc_reply_t r, const char *what)
{
	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return;
	fprintf(stderr, "amqp-count: %s failed (reply type %d)\n", what, (int)r.reply_type);
	exit(1);
}

static unsigned
count_samples(const char *body, size_t len)
{
	static const char key[] = "counter_name";
	const size_t klen = sizeof key - 1;
	unsigned n = 0;

	for (size_t i = 0; i + klen <= len; i++) {
		if (body[i] == 'c' && memcmp(body + i, key, klen) == 0) {
			n++;
			i += klen - 1;
		}
	}
	return n;
}

static void
save_body(const char *dir, unsigned idx, const amqp_bytes_t *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/msg-%04u.body", dir, idx);
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	fwrite(b->bytes, 1, b->len, f);
	fclose(f);
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *user = "guest", *pass = "guest", *vhost = "/";
	const char *exchange = "ceilometer", *key = "notifications.sample";
	const char *queue = "notifications.sample", *save_dir = NULL;
	int port = 5672, durable = 0, purge = 1, opt;
	unsigned save_max = 0, seen = 0;
	amqp_connection_state_t conn;
	amqp_socket_t *sock;
	struct sigaction sa = { .sa_handler = on_signal };

	while ((opt = getopt(argc, argv, "h:p:u:P:v:e:k:q:DNs:n:")) != -1) {
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
			case 'q':
				queue = optarg;
				break;
			case 'D':
				durable = 1;
				break;
			case 'N':
				purge = 0;
				break;
			case 's':
				save_dir = optarg;
				break;
			case 'n':
				save_max = (unsigned)atoi(optarg);
				break;
			default:
				return 2;
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	conn = amqp_new_connection();
	sock = amqp_tcp_socket_new(conn);
	if (sock == NULL || amqp_socket_open(sock, host, port) != AMQP_STATUS_OK) {
		fprintf(stderr, "amqp-count: cannot connect to %s:%d\n", host, port);
		return 1;
	}
	die_on_reply(amqp_login(conn, vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, user, pass),
		     "login");
	amqp_channel_open(conn, 1);
	die_on_reply(amqp_get_rpc_reply(conn), "channel.open");
	amqp_exchange_declare(conn,
			      1,
			      amqp_cstring_bytes(exchange),
			      amqp_cstring_bytes("topic"),
			      0,
			      durable,
			      0,
			      0,
			      amqp_empty_table);
	die_on_reply(amqp_get_rpc_reply(conn), "exchange.declare");
	amqp_queue_declare(conn, 1, amqp_cstring_bytes(queue), 0, durable, 0, 0, amqp_empty_table);
	die_on_reply(amqp_get_rpc_reply(conn), "queue.declare");
	amqp_queue_bind(conn,
			1,
			amqp_cstring_bytes(queue),
			amqp_cstring_bytes(exchange),
			amqp_cstring_bytes(key),
			amqp_empty_table);
	die_on_reply(amqp_get_rpc_reply(conn), "queue.bind");
	if (purge) {
		amqp_queue_purge(conn, 1, amqp_cstring_bytes(queue));
		die_on_reply(amqp_get_rpc_reply(conn), "queue.purge");
	}
	amqp_basic_qos(conn, 1, 0, 2000, 0);
	die_on_reply(amqp_get_rpc_reply(conn), "basic.qos");
	amqp_basic_consume(
	  conn, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 1, 0, amqp_empty_table);
	die_on_reply(amqp_get_rpc_reply(conn), "basic.consume");
	printf("ready\n");
	fflush(stdout);

	while (!stop_requested) {
		amqp_envelope_t env;
		struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 }, now;
		amqp_rpc_reply_t r;

		amqp_maybe_release_buffers(conn);
		r = amqp_consume_message(conn, &env, &tv, 0);
		if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    r.library_error == AMQP_STATUS_TIMEOUT)
			continue;
		if (r.reply_type != AMQP_RESPONSE_NORMAL) {
			fprintf(stderr, "amqp-count: connection lost\n");
			return 1;
		}
		gettimeofday(&now, NULL);
		printf("%ld.%06ld %zu %u\n",
		       (long)now.tv_sec,
		       (long)now.tv_usec,
		       env.message.body.len,
		       count_samples(env.message.body.bytes, env.message.body.len));
		fflush(stdout);
		if (save_dir != NULL && seen < save_max)
			save_body(save_dir, seen, &env.message.body);
		seen++;
		amqp_destroy_envelope(&env);
	}
	amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
	amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(conn);
	return 0;
}
