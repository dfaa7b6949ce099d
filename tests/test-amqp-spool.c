/*
 * polld spool and transport_url unit tests: order, release and deletion of
 * segments, torn tails and garbage never failing startup, URL forms
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "pd-amqp-url.h"
#include "pd-spool.h"
#include "pd-test-util.h"

static PdMessage *
make_message(guint i, guint n_counters)
{
	g_autofree gchar *body =
	  g_strdup_printf("{\"oslo.version\": \"2.0\", \"n\": %u, \"pad\": \"%0200u\"}", i, i);
	g_autofree gchar *id = g_strdup_printf("00000000-0000-0000-0000-%012u", i);
	g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
	return pd_message_new(bytes, id, 10, n_counters);
}

static guint
body_number(PdMessage *msg)
{
	const gchar *p =
	  g_strstr_len(g_bytes_get_data(msg->body, NULL), g_bytes_get_size(msg->body), "\"n\": ");
	return (guint)g_ascii_strtoull(p + 5, NULL, 10);
}

static void
fill(const gchar *dir, guint n)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSpool) spool = pd_spool_open(dir, 100 * 1024 * 1024, &error);
	guint64 before = 0;

	g_assert_no_error(error);
	before = pd_spool_get_samples(spool);
	for (guint i = 0; i < n; i++) {
		g_autoptr(PdMessage) msg = make_message(i, 10);
		g_assert_true(pd_spool_append(spool, msg, 0, &error));
	}
	g_assert_true(pd_spool_sync(spool, &error));
	g_assert_cmpuint(pd_spool_get_samples(spool), ==, before + 10 * n);
}

/* reads everything in order, releasing each record; returns the count */
static guint
drain(const gchar *dir, guint64 *damaged)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSpool) spool = pd_spool_open(dir, 100 * 1024 * 1024, &error);
	PdMessage *msg;
	guint64 segment;
	guint topic, n = 0;

	g_assert_no_error(error);
	while ((msg = pd_spool_read(spool, &topic, &segment)) != NULL) {
		g_assert_cmpuint(body_number(msg), ==, n);
		g_assert_cmpuint(msg->n_samples, ==, 10);
		pd_spool_release(spool, segment, msg->n_samples);
		pd_message_unref(msg);
		n++;
	}
	g_assert_false(pd_spool_has_unread(spool));
	g_assert_cmpuint(pd_spool_get_samples(spool), ==, 0);
	*damaged = pd_spool_get_damaged(spool);
	return n;
}

static guint
drain_any(const gchar *dir)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSpool) spool = pd_spool_open(dir, 100 * 1024 * 1024, &error);
	PdMessage *msg;
	guint64 segment;
	guint topic, n = 0;

	while ((msg = pd_spool_read(spool, &topic, &segment)) != NULL) {
		g_assert_cmpuint(body_number(msg), ==, n % 50);
		pd_spool_release(spool, segment, msg->n_samples);
		pd_message_unref(msg);
		n++;
	}
	return n;
}

static guint
count_segments(const gchar *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	guint n = 0;
	while (g_dir_read_name(d) != NULL)
		n++;
	return n;
}

static void
test_order_and_delete(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	guint64 damaged = 0;

	fill(dir, 100);
	g_assert_cmpuint(drain(dir, &damaged), ==, 100);
	fill(dir, 50);
	fill(dir, 50); /* a second run appends a new segment; numbers restart */
	g_assert_cmpuint(drain_any(dir), ==, 100);
	g_assert_cmpuint(damaged, ==, 0);
	/* everything confirmed: nothing left on disk */
	g_assert_cmpuint(count_segments(dir), ==, 0);
	pd_test_rmtree(dir);
}

/*
 * The worker after a lost connection: the spool already holds unread
 * records (10..14, spilled from the memory queue while connected), the
 * window holds earlier unconfirmed messages (0..4). The window gets held
 * copies and is sent first on reconnect; the reader then yields only the
 * spooled records, so the order is 0..4, 10..14 with no duplicates. A kill
 * before the confirms loses nothing.
 */
static void
window_then_spool(const gchar *dir, gboolean kill_before_confirm)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSpool) spool = pd_spool_open(dir, 100 * 1024 * 1024, &error);
	g_autoptr(GPtrArray) retry =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_message_unref);
	g_autoptr(GArray) held = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(GArray) read_from = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(GArray) sent = g_array_new(FALSE, FALSE, sizeof(guint));
	PdMessage *msg;
	guint64 segment = 0;
	guint topic = 0;

	g_assert_no_error(error);
	for (guint i = 10; i < 15; i++) {
		g_autoptr(PdMessage) m = make_message(i, 10);
		g_assert_true(pd_spool_append(spool, m, 0, &error));
	}
	/* link fails: the window is made durable, kept to be sent first */
	for (guint i = 0; i < 5; i++) {
		PdMessage *m = make_message(i, 10);
		g_assert_true(pd_spool_append_held(spool, m, 0, &segment, &error));
		g_assert_cmpuint(segment, !=, 0);
		g_array_append_val(held, segment);
		g_ptr_array_add(retry, m);
	}
	g_assert_true(pd_spool_sync(spool, &error));
	g_assert_cmpuint(pd_spool_get_samples(spool), ==, 100);
	if (kill_before_confirm)
		return;
	/* reconnect: retry first, then the spool */
	for (guint i = 0; i < retry->len; i++) {
		guint n = body_number(g_ptr_array_index(retry, i));
		g_array_append_val(sent, n);
	}
	while ((msg = pd_spool_read(spool, &topic, &segment)) != NULL) {
		guint n = body_number(msg);
		g_array_append_val(sent, n);
		g_array_append_val(read_from, segment);
		pd_message_unref(msg);
	}
	g_assert_cmpuint(sent->len, ==, 10);
	for (guint i = 0; i < 10; i++)
		g_assert_cmpuint(g_array_index(sent, guint, i), ==, i < 5 ? i : i + 5);
	/* confirms: the spooled records, then the window (still outstanding) */
	for (guint i = 0; i < read_from->len; i++)
		pd_spool_release(spool, g_array_index(read_from, guint64, i), 10);
	g_assert_cmpuint(pd_spool_get_samples(spool), ==, 50);
	g_assert_cmpuint(count_segments(dir), >, 0);
	for (guint i = 0; i < held->len; i++)
		pd_spool_release(spool, g_array_index(held, guint64, i), 10);
	g_assert_cmpuint(pd_spool_get_samples(spool), ==, 0);
	g_assert_false(pd_spool_has_unread(spool));
	g_assert_cmpuint(count_segments(dir), ==, 0);
}

static void
test_window_first(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();

	window_then_spool(dir, FALSE);
	g_assert_cmpuint(count_segments(dir), ==, 0);
	/* killed before the broker confirmed: every copy is read after a restart */
	window_then_spool(dir, TRUE);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(PdSpool) spool = pd_spool_open(dir, 100 * 1024 * 1024, &error);
		PdMessage *msg;
		guint64 segment = 0;
		guint topic = 0, n = 0;

		g_assert_no_error(error);
		while ((msg = pd_spool_read(spool, &topic, &segment)) != NULL) {
			/* in spool order: a duplicate of the window is the price of the kill */
			g_assert_cmpuint(body_number(msg), ==, n < 5 ? n + 10 : n - 5);
			pd_spool_release(spool, segment, msg->n_samples);
			pd_message_unref(msg);
			n++;
		}
		g_assert_cmpuint(n, ==, 10);
	}
	g_assert_cmpuint(count_segments(dir), ==, 0);
	pd_test_rmtree(dir);
}

static gchar *
only_segment(const gchar *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	return g_build_filename(dir, g_dir_read_name(d), NULL);
}

static void
test_torn_tail(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *seg = NULL;
	guint64 damaged = 0;
	GStatBuf st;

	fill(dir, 20);
	seg = only_segment(dir);
	g_assert_cmpint(g_stat(seg, &st), ==, 0);
	/* a crash in the middle of the last record */
	g_assert_cmpint(truncate(seg, st.st_size - 17), ==, 0);
	g_test_expect_message("PdSpool", G_LOG_LEVEL_MESSAGE, "*left from an earlier run*");
	g_test_expect_message("PdSpool", G_LOG_LEVEL_WARNING, "*damaged record*");
	g_assert_cmpuint(drain(dir, &damaged), ==, 19);
	g_test_assert_expected_messages();
	g_assert_cmpuint(damaged, ==, 1);
	pd_test_rmtree(dir);
}

static void
test_garbage(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *seg = NULL;
	guint64 damaged = 0;
	g_autoptr(PdMessage) probe = make_message(0, 0);
	gsize len = g_bytes_get_size(probe->body);
	gint fd;

	fill(dir, 20);
	seg = only_segment(dir);
	/* a flipped byte in the 6th record's body fails its CRC */
	fd = open(seg, O_WRONLY);
	g_assert_cmpint(pwrite(fd, "X", 1, (off_t)(8 + 5 * (60 + len) + 100)), ==, 1);
	close(fd);
	g_test_expect_message("PdSpool", G_LOG_LEVEL_MESSAGE, "*left from an earlier run*");
	g_test_expect_message("PdSpool", G_LOG_LEVEL_WARNING, "*damaged record*");
	g_assert_cmpuint(drain(dir, &damaged), ==, 5);
	g_test_assert_expected_messages();
	g_assert_cmpuint(damaged, ==, 1);
	/* a file that is no segment at all */
	g_free(pd_test_write_file(dir, "00000000000000000099.seg", "not a spool"));
	g_test_expect_message("PdSpool", G_LOG_LEVEL_WARNING, "*not a spool segment*");
	g_assert_cmpuint(drain(dir, &damaged), ==, 0);
	g_test_assert_expected_messages();
	pd_test_rmtree(dir);
}

static void
test_gauge_reserve(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSpool) spool = pd_spool_open(dir, 10000, &error);
	guint gauges = 0, counters = 0;

	g_assert_no_error(error);
	for (guint i = 0; i < 100; i++) {
		g_autoptr(PdMessage) msg = make_message(i, i % 2 == 0 ? 0 : 10);
		gboolean gauge_only = msg->n_counters == 0;
		if (!pd_spool_fits(spool, g_bytes_get_size(msg->body), gauge_only))
			continue;
		g_assert_true(pd_spool_append(spool, msg, 0, &error));
		gauge_only ? gauges++ : counters++;
	}
	g_assert_cmpuint(pd_spool_get_bytes(spool), <=, 10000);
	g_assert_cmpuint(counters, >, gauges);
	pd_test_rmtree(dir);
}

static void
test_url(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) hosts =
	  pd_amqp_url_parse("rabbit://u%40x:p%3Aw@h1:5673,h2,[::1]:5674/v%2Fh?ssl=1", &error);
	PdAmqpHost *h;

	g_assert_no_error(error);
	g_assert_cmpuint(hosts->len, ==, 3);
	h = g_ptr_array_index(hosts, 0);
	g_assert_cmpstr(h->user, ==, "u@x");
	g_assert_cmpstr(h->password, ==, "p:w");
	g_assert_cmpstr(h->host, ==, "h1");
	g_assert_cmpuint(h->port, ==, 5673);
	g_assert_cmpstr(h->vhost, ==, "v/h");
	g_assert_true(h->ssl);
	/* user, password and port carry over, like oslo.messaging */
	h = g_ptr_array_index(hosts, 1);
	g_assert_cmpstr(h->user, ==, "u@x");
	g_assert_cmpuint(h->port, ==, 5673);
	h = g_ptr_array_index(hosts, 2);
	g_assert_cmpstr(h->host, ==, "::1");
	g_assert_cmpuint(h->port, ==, 5674);
	g_clear_pointer(&hosts, g_ptr_array_unref);

	hosts = pd_amqp_url_parse("rabbit://guest:guest@localhost:5672/", &error);
	g_assert_no_error(error);
	h = g_ptr_array_index(hosts, 0);
	g_assert_cmpstr(h->vhost, ==, "/");
	g_assert_false(h->ssl);
	g_clear_pointer(&hosts, g_ptr_array_unref);

	hosts = pd_amqp_url_parse("kafka://x", &error);
	g_assert_null(hosts);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
	g_clear_error(&error);
	hosts = pd_amqp_url_parse("rabbit://h:99999/", &error);
	g_assert_null(hosts);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/spool/order-and-delete", test_order_and_delete);
	g_test_add_func("/spool/window-first", test_window_first);
	g_test_add_func("/spool/torn-tail", test_torn_tail);
	g_test_add_func("/spool/garbage", test_garbage);
	g_test_add_func("/spool/gauge-reserve", test_gauge_reserve);
	g_test_add_func("/amqp/url", test_url);
	return g_test_run();
}
