/*
 * polld AMQP publisher recovering: PublisherError cleared once connected on
 * a second host, and the spool's disk filling up while the broker is down
 * (a real 192 KiB tmpfs): no empty segment, no torn record, counters equal
 * to what is on disk, one log line at the start and one at the end of the
 * drop episode, also when it ends by reconnecting
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "amqp-consumer.h"
#include "pd-test-util.h"

static PdTestBroker *broker = NULL;

/* @needle is in @log @expected times; if not, the log's drop and connection
 * lines say why */
static void
assert_logged(const gchar *log, const gchar *needle, guint expected)
{
	g_auto(GStrv) lines = NULL;
	g_autoptr(GString) relevant = NULL;

	if (pd_test_count(log, needle) == expected)
		return;
	lines = g_strsplit(log, "\n", -1);
	relevant = g_string_new(NULL);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (strstr(lines[i], "dropp") != NULL || strstr(lines[i], "connect") != NULL ||
		    strstr(lines[i], "spool") != NULL)
			g_string_append_printf(relevant, "%s\n", lines[i]);
	}
	g_error("'%s' logged %u times, expected %u:\n%s",
		needle,
		pd_test_count(log, needle),
		expected,
		relevant->str);
}

/* --- the spool's disk full --- */

static gboolean
run_tool(const gchar *const *argv, gchar **why)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *err = NULL;
	gint status = 0;

	if (!g_spawn_sync(NULL,
			  (gchar **)argv,
			  NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
			  NULL,
			  NULL,
			  NULL,
			  &err,
			  &status,
			  &error)) {
		*why = g_strdup(error->message);
		return FALSE;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		*why = g_strdup(err);
		return FALSE;
	}
	return TRUE;
}

/* the spool's segment files: their count and total size; none may be a
 * magic-only (8 byte) leftover */
static guint
spool_files(const gchar *spool_dir, guint64 *total)
{
	g_autoptr(GDir) d = g_dir_open(spool_dir, 0, NULL);
	const gchar *name;
	guint n = 0;

	*total = 0;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename(spool_dir, name, NULL);
		GStatBuf st;
		g_assert_cmpint(g_stat(path, &st), ==, 0);
		if ((guint64)st.st_size <= 8)
			g_error(
			  "spool: %s is %lu bytes, an empty segment", name, (gulong)st.st_size);
		*total += (guint64)st.st_size;
		n++;
	}
	return n;
}

static void
test_spool_disk_full(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *spool_dir = g_build_filename(dir, "spool", NULL);
	g_autofree gchar *conf = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *why = NULL;
	g_autoptr(PdTestPolld) polld = NULL;
	const gchar *log;
	guint64 bytes, dropped;
	guint files;

	if (broker == NULL) {
		g_test_skip("no broker");
		return;
	}
	g_assert_cmpint(g_mkdir(spool_dir, 0700), ==, 0);
	/* a real full disk: a 192 KiB tmpfs, a few cycles' worth */
	if (!run_tool(
	      (const gchar *const[]){
		"mount", "-t", "tmpfs", "-o", "size=192k,mode=0700", "tmpfs", spool_dir, NULL },
	      &why)) {
		g_autofree gchar *msg = g_strdup_printf("cannot mount a tmpfs: %s", why);
		g_test_skip(msg);
		pd_test_rmtree(dir);
		return;
	}
	conf = pd_test_write_durable_config(broker, dir, "diskfull");
	g_assert_true(g_file_get_contents(conf, &text, NULL, NULL));
	g_free(conf);
	{
		g_autofree gchar *more =
		  g_strconcat(text, "[test]\nresources = 20\nsamples = 10\n", NULL);
		conf = pd_test_write_file(dir, "polld.conf", more);
	}
	g_assert_true(pd_test_broker_ctl(broker, "stop_app", NULL));
	polld = pd_test_polld_start(conf, FALSE);
	g_assert_true(pd_test_polld_wait_log(polld, "dropping samples (spool_error)", 60000));
	/* a few more cycles into a full disk */
	dropped = pd_test_polld_live_stat(polld, "dropped_spool_error");
	g_assert_true(pd_test_polld_wait_stat(
	  polld, "dropped_spool_error", dropped + 3 * 200, G_MAXUINT64, 60000));
	files = spool_files(spool_dir, &bytes);
	/* the counters are what is on disk, no more */
	g_assert_cmpuint(pd_test_polld_live_stat(polld, "spooled_bytes"), ==, bytes);
	g_assert_cmpuint(files, <=, 192 * 1024 / (64 * 1024) + 1);
	g_assert_true(pd_test_broker_ctl(broker, "start_app", NULL));
	g_assert_true(pd_test_polld_wait_log(polld, "publishing to the broker again", 60000));
	g_assert_true(pd_test_polld_wait_stat(polld, "spooled_samples", 0, 0, 120000));
	g_assert_cmpuint(pd_test_polld_live_stat(polld, "spool_damaged"), ==, 0);
	pd_test_polld_signal(polld, SIGTERM);
	g_assert_cmpint(pd_test_polld_wait(polld, 30000), ==, 0);
	log = pd_test_polld_get_log(polld);
	/* one start and one end of the episode; nothing taken for damage */
	assert_logged(log, "dropping samples (spool_error)", 1);
	g_assert_nonnull(strstr(log, "No space left on device"));
	assert_logged(log, "samples were dropped (spool_error)", 1);
	assert_logged(log, "not a spool segment", 0);
	assert_logged(log, "cut short", 0);
	g_assert_cmpuint(pd_test_polld_stat(polld, "dropped_spool_error"), >=, dropped + 3 * 200);
	g_assert_true(run_tool((const gchar *const[]){ "umount", spool_dir, NULL }, &why));
	pd_test_rmtree(dir);
}

/* --- failing over to a second host --- */

static void
test_failover_clears_error(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *conf = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *error = NULL;
	g_autoptr(PdTestPolld) polld = NULL;

	if (broker == NULL) {
		g_test_skip("no broker");
		return;
	}
	conf = pd_test_write_durable_config(broker, dir, "failover");
	/* port 1 refuses: the first attempt fails, the second host answers */
	g_assert_true(g_file_get_contents(conf, &text, NULL, NULL));
	{
		g_autofree gchar *from = g_strdup_printf("@127.0.0.1:%u/", broker->port);
		g_autofree gchar *to =
		  g_strdup_printf("@127.0.0.1:1,guest:guest@127.0.0.1:%u/", broker->port);
		g_auto(GStrv) parts = g_strsplit(text, from, 2);
		g_autofree gchar *joined = g_strjoinv(to, parts);
		g_free(conf);
		conf = pd_test_write_file(dir, "polld.conf", joined);
	}
	polld = pd_test_polld_start(conf, FALSE);
	g_assert_true(pd_test_polld_wait_log(polld, "samples are kept", 60000));
	g_assert_true(pd_test_polld_wait_log(polld, "connected to", 60000));
	/* connected on the second host: the first one's failure is history */
	g_assert_true(pd_test_polld_wait_property(polld, "PublisherState", "connected", 60000));
	error = pd_test_polld_get_property(polld, "PublisherError");
	g_assert_cmpstr(error, ==, "");
	pd_test_polld_signal(polld, SIGTERM);
	g_assert_cmpint(pd_test_polld_wait(polld, 30000), ==, 0);
	pd_test_rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/amqp/failover-clears-error", test_failover_clears_error);
	g_test_add_func("/amqp/spool-disk-full", test_spool_disk_full);
	return pd_test_run_with_broker(&broker, TRUE, NULL);
}
