/*
 * polld test suite - polld as systemd sees it, with test sockets standing in
 * for systemd: the structured fields of its journal entries (the journal's
 * native datagram protocol, read from a private /run/systemd/journal/socket
 * in a mount namespace) and the watchdog at start (NOTIFY_SOCKET and
 * WATCHDOG_USEC: pings from the start, and no "no watchdog ping" warning
 * before the first cycle)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "pd-test-util.h"

#define MSGID_START "5d0b6c1e4f2a4c7f9a3e8b1d2c6f7a01"
#define MSGID_CYCLE "5d0b6c1e4f2a4c7f9a3e8b1d2c6f7a02"
#define MSGID_PLUGIN_DISABLED "5d0b6c1e4f2a4c7f9a3e8b1d2c6f7a05"

typedef struct {
	gchar *dir;
	GSocket *socket;
	GSource *source;
	GPtrArray *datagrams; /* of GHashTable field -> value (the last one of a name) */
	gboolean exited;
} Listener;

/* KEY=value\n, or KEY\n<64-bit little-endian length><value>\n for values
 * with a newline: the journal's native protocol */
static GHashTable *
parse_entry(const gchar *buf, gsize len)
{
	GHashTable *fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	gsize i = 0;

	while (i < len) {
		const gchar *nl = memchr(buf + i, '\n', len - i);
		const gchar *eq = memchr(buf + i, '=', len - i);
		guint64 n = 0;

		/* sd_notify's last line has no newline */
		if (nl == NULL)
			nl = buf + len;
		if (eq != NULL && eq < nl) {
			g_hash_table_replace(fields,
					     g_strndup(buf + i, (gsize)(eq - buf - i)),
					     g_strndup(eq + 1, (gsize)(nl - eq - 1)));
			i = (gsize)(nl - buf) + 1;
			continue;
		}
		g_assert_cmpuint((gsize)(nl - buf) + 1 + 8, <=, len);
		g_assert_true(nl < buf + len);
		for (guint b = 0; b < 8; b++)
			n |= (guint64)(guchar)nl[1 + b] << (8 * b);
		g_assert_cmpuint((gsize)(nl - buf) + 9 + n + 1, <=, len);
		g_hash_table_replace(
		  fields, g_strndup(buf + i, (gsize)(nl - buf - i)), g_strndup(nl + 9, n));
		i = (gsize)(nl - buf) + 9 + n + 1;
	}
	return fields;
}

static gboolean
listener_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	Listener *l = user_data;
	gchar buf[65536];
	gssize n = g_socket_receive(socket, buf, sizeof(buf), NULL, NULL);

	if (n > 0)
		g_ptr_array_add(l->datagrams, parse_entry(buf, (gsize)n));
	return G_SOURCE_CONTINUE;
}

/* a datagram socket at @dir/@rel bound and read from the main loop */
static void
listener_init(Listener *l, const gchar *rel)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *parent = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	g_autoptr(GError) error = NULL;

	l->dir = pd_test_mkdtemp();
	path = g_build_filename(l->dir, rel, NULL);
	parent = g_path_get_dirname(path);
	g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
	addr = g_unix_socket_address_new(path);
	l->socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(l->socket, addr, FALSE, &error));
	g_assert_no_error(error);
	l->datagrams = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
	l->source = g_socket_create_source(l->socket, G_IO_IN, NULL);
	g_source_set_callback(l->source, (GSourceFunc)(GCallback)listener_cb, l, NULL);
	g_source_attach(l->source, NULL);
}

static void
listener_clear(Listener *l)
{
	g_source_destroy(l->source);
	g_source_unref(l->source);
	g_object_unref(l->socket);
	g_ptr_array_unref(l->datagrams);
	pd_test_rmtree(l->dir);
	g_free(l->dir);
}

/* the first entry whose field @name is @value, or NULL */
static GHashTable *
find_entry(Listener *l, const gchar *name, const gchar *value)
{
	for (guint i = 0; i < l->datagrams->len; i++) {
		GHashTable *e = g_ptr_array_index(l->datagrams, i);
		if (g_strcmp0(g_hash_table_lookup(e, name), value) == 0)
			return e;
	}
	return NULL;
}

static void
exited_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	((Listener *)user_data)->exited = TRUE;
}

static gboolean
listener_exited(gpointer data)
{
	return ((Listener *)data)->exited;
}

static gboolean
can_unshare(void)
{
	gint status = -1;

	return g_spawn_command_line_sync(
		 "unshare -m sh -c 'mount -t tmpfs none /run'", NULL, NULL, &status, NULL) &&
	       g_spawn_check_wait_status(status, NULL);
}

static void
test_journal_fields(void)
{
	Listener l = { NULL };
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *conf = NULL;
	g_autofree gchar *yaml = NULL;
	g_autofree gchar *conf_text = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *wrapper = g_getenv("POLLD_WRAPPER");
	GHashTable *e;

	if (!can_unshare()) {
		g_test_skip("unshare -m is not permitted here: no private journal socket");
		return;
	}
	/* @dir stands in for /run: @dir/systemd/journal/socket */
	listener_init(&l, "systemd/journal/socket");
	yaml = pd_test_write_file(l.dir,
				  "polling.yaml",
				  "sources:\n  - name: t\n    interval: 60\n"
				  "    meters: ['test.gauge', 'image.size']\n");
	/* the test pollster fails (a warning naming it); the openstack plugin
	 * has no credentials and is disabled */
	conf_text = g_strdup_printf(
	  "[DEFAULT]\nhost = test-host\n[polling]\ncfg_file = %s\n[test]\nfail = true\n", yaml);
	conf = pd_test_write_file(l.dir, "polld.conf", conf_text);
	g_ptr_array_add(argv, g_strdup("unshare"));
	g_ptr_array_add(argv, g_strdup("-m"));
	g_ptr_array_add(argv, g_strdup("sh"));
	g_ptr_array_add(argv, g_strdup("-c"));
	g_ptr_array_add(argv, g_strdup("mount --bind \"$0\" /run && exec \"$@\""));
	g_ptr_array_add(argv, g_strdup(l.dir));
	if (wrapper != NULL && wrapper[0] != '\0') {
		g_auto(GStrv) words = g_strsplit(wrapper, " ", -1);
		for (guint i = 0; words[i] != NULL; i++)
			if (words[i][0] != '\0')
				g_ptr_array_add(argv, g_strdup(words[i]));
	}
	g_ptr_array_add(argv, g_strdup(g_getenv("POLLD_BINARY")));
	g_ptr_array_add(argv, g_strdup("--once"));
	g_ptr_array_add(argv, g_strdup("--dry-run"));
	g_ptr_array_add(argv, g_strdup("--use-journal"));
	g_ptr_array_add(argv, g_strdup("--polling-namespaces"));
	g_ptr_array_add(argv, g_strdup("test"));
	g_ptr_array_add(argv, g_strdup("central"));
	g_ptr_array_add(argv, g_strdup("--config-file"));
	g_ptr_array_add(argv, g_strdup(conf));
	g_ptr_array_add(argv, NULL);
	proc =
	  g_subprocess_newv((const gchar *const *)argv->pdata,
			    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
			    &error);
	g_assert_no_error(error);
	/* read while it runs: a unix datagram queue holds only a few */
	g_subprocess_wait_async(proc, NULL, exited_cb, &l);
	g_assert_true(pd_test_wait_for(listener_exited, &l, 120000));
	g_assert_true(g_subprocess_get_if_exited(proc));
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_test_message("%u journal entries", l.datagrams->len);
	g_assert_cmpuint(l.datagrams->len, >, 0);

	e = find_entry(&l, "MESSAGE_ID", MSGID_START);
	g_assert_nonnull(e);
	g_assert_nonnull(strstr(g_hash_table_lookup(e, "MESSAGE"), "starting"));
	g_assert_cmpstr(g_hash_table_lookup(e, "PRIORITY"), ==, "5");

	e = find_entry(&l, "MESSAGE_ID", MSGID_CYCLE);
	g_assert_nonnull(e);
	g_assert_cmpstr(g_hash_table_lookup(e, "POLLD_TASK"), ==, "every 60s");

	e = find_entry(&l, "POLLD_POLLSTER", "test.gauge");
	g_assert_nonnull(e);
	g_assert_cmpstr(g_hash_table_lookup(e, "POLLD_TASK"), ==, "every 60s");
	g_assert_cmpstr(g_hash_table_lookup(e, "PRIORITY"), ==, "4");

	e = find_entry(&l, "MESSAGE_ID", MSGID_PLUGIN_DISABLED);
	g_assert_nonnull(e);
	g_assert_cmpstr(g_hash_table_lookup(e, "POLLD_PLUGIN"), ==, "openstack");
	g_assert_nonnull(strstr(g_hash_table_lookup(e, "MESSAGE"), "plugin disabled"));
	listener_clear(&l);
}

/* --- the watchdog --- */

static guint
count_pings(Listener *l)
{
	guint n = 0;

	for (guint i = 0; i < l->datagrams->len; i++)
		n += g_hash_table_contains(g_ptr_array_index(l->datagrams, i), "WATCHDOG");
	return n;
}

static gboolean
have_pings(gpointer data)
{
	return count_pings(data) >= 5 || ((Listener *)data)->exited;
}

/* @extra: more configuration; under partitioning with etcd out of reach the
 * first cycle never comes, and the watchdog must still be fed */
static void
watchdog_run(const gchar *extra)
{
	Listener l = { NULL };
	g_autoptr(GSubprocessLauncher) launcher =
	  g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *notify = NULL;
	g_autofree gchar *yaml = NULL;
	g_autofree gchar *conf_text = NULL;
	g_autofree gchar *conf = NULL;
	g_autofree gchar *log_path = NULL;
	g_autofree gchar *log = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *wrapper = g_getenv("POLLD_WRAPPER");

	listener_init(&l, "notify");
	notify = g_build_filename(l.dir, "notify", NULL);
	log_path = g_build_filename(l.dir, "polld.log", NULL);
	yaml =
	  pd_test_write_file(l.dir,
			     "polling.yaml",
			     "sources:\n  - name: t\n    interval: 1\n    meters: ['test.*']\n");
	conf_text = g_strdup_printf("[DEFAULT]\nhost = test-host\n[polling]\ncfg_file = %s\n%s",
				    yaml,
				    extra != NULL ? extra : "");
	conf = pd_test_write_file(l.dir, "polld.conf", conf_text);
	if (wrapper != NULL && wrapper[0] != '\0') {
		g_auto(GStrv) words = g_strsplit(wrapper, " ", -1);
		for (guint i = 0; words[i] != NULL; i++)
			if (words[i][0] != '\0')
				g_ptr_array_add(argv, g_strdup(words[i]));
	}
	g_ptr_array_add(argv, g_strdup(g_getenv("POLLD_BINARY")));
	g_ptr_array_add(argv, g_strdup("--dry-run"));
	g_ptr_array_add(argv, g_strdup("--polling-namespaces"));
	g_ptr_array_add(argv, g_strdup("test"));
	g_ptr_array_add(argv, g_strdup("--config-file"));
	g_ptr_array_add(argv, g_strdup(conf));
	g_ptr_array_add(argv, g_strdup_printf("--log-file=%s", log_path));
	g_ptr_array_add(argv, NULL);
	g_subprocess_launcher_setenv(launcher, "NOTIFY_SOCKET", notify, TRUE);
	/* a ping every 100 ms */
	g_subprocess_launcher_setenv(launcher, "WATCHDOG_USEC", "200000", TRUE);
	g_subprocess_launcher_unsetenv(launcher, "WATCHDOG_PID");
	proc = g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_subprocess_wait_async(proc, NULL, exited_cb, &l);
	g_assert_true(pd_test_wait_for(have_pings, &l, 60000));
	g_assert_false(l.exited);
	if (!g_file_get_contents(log_path, &log, NULL, NULL))
		log = g_strdup("");
	/* still before the first cycle */
	if (extra != NULL && strstr(log, "cycle 1") != NULL)
		g_error("a cycle already ran:\n%s", log);
	g_subprocess_send_signal(proc, SIGTERM);
	g_assert_true(pd_test_wait_for(listener_exited, &l, 60000));
	g_assert_true(g_subprocess_get_if_exited(proc));
	g_clear_pointer(&log, g_free);
	g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
	g_test_message("%u watchdog pings", count_pings(&l));
	if (strstr(log, "watchdog") != NULL)
		g_error("a watchdog warning:\n%s", log);
	g_assert_nonnull(find_entry(&l, "READY", "1"));
	listener_clear(&l);
}

static void
test_watchdog_start(void)
{
	watchdog_run(NULL);
}

static void
hold_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GPtrArray *held = user_data;
	GSocketConnection *conn =
	  g_socket_listener_accept_finish(G_SOCKET_LISTENER(source), res, NULL, NULL);

	/* accepted and never answered: etcd's first answer never comes */
	if (conn == NULL)
		return;
	g_ptr_array_add(held, conn);
	g_socket_listener_accept_async(G_SOCKET_LISTENER(source), NULL, hold_cb, held);
}

static void
test_watchdog_partitioned(void)
{
	g_autoptr(GSocketListener) listener = g_socket_listener_new();
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *extra = NULL;

	/* an etcd that accepts and never answers: polld waits for its first
	 * join (the engine not started) for the 30 s of the request timeout */
	g_socket_listener_add_address(
	  listener, addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
	g_assert_no_error(error);
	g_socket_listener_accept_async(listener, NULL, hold_cb, held);
	extra =
	  g_strdup_printf("[coordination]\nbackend_url = etcd3+http://127.0.0.1:%u?timeout=30\n",
			  g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)));
	watchdog_run(extra);
	g_assert_cmpuint(held->len, >, 0);
	g_socket_listener_close(listener);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/systemd/journal-fields", test_journal_fields);
	g_test_add_func("/systemd/watchdog-start", test_watchdog_start);
	g_test_add_func("/systemd/watchdog-partitioned", test_watchdog_partitioned);
	return g_test_run();
}
