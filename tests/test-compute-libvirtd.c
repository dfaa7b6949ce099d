/*
 * polld - compute-libvirt plugin tests of the daemon as a service: against a
 * private libvirtd that goes away (restarted, stopped answering: keepalive),
 * its domain events, and what GetPollsters says of the compute pollsters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <link.h>
#include <signal.h>
#include <sys/prctl.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "pd-compute-instance.h"
#include "pd-test-compute.h"
#include "pd-test-util.h"

/* generous for an ASan build on a loaded machine; waits end on the event, so
 * a passing run never waits this long */
#define RESTART_DEADLINE_S 90

static guint
count_in_file(const gchar *path, const gchar *needle, gsize from)
{
	g_autofree gchar *text = NULL;
	gsize len = 0;
	guint n = 0;

	if (!g_file_get_contents(path, &text, &len, NULL) || from >= len)
		return 0;
	for (const gchar *p = strstr(text + from, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* the XML reads all discoveries logged in @path say they made */
static guint
xml_reads_in_file(const gchar *path)
{
	g_autoptr(GRegex) re =
	  g_regex_new("discovery: [0-9]+ domains, ([0-9]+) XML reads", 0, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	g_autofree gchar *text = NULL;
	guint n = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	for (g_regex_match(re, text, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
		g_autofree gchar *reads = g_match_info_fetch(m, 1);
		n += (guint)g_ascii_strtoull(reads, NULL, 10);
	}
	return n;
}

typedef struct {
	GSubprocess *polld;
	gchar *dir;
	gchar *err;
	gboolean polld_exited;
	gboolean libvirtd_died;	   /* only where the test watches libvirtd */
	gboolean libvirtd_may_die; /* wait_file returns early if it died */
} Restart;

typedef struct {
	const gchar *path;
	const gchar *needle;
	guint min_count;
	gsize from;
	gboolean changed; /* the directory changed since the last count */
	gboolean timed_out;
} FileWait;

static void
file_wait_changed_cb(GFileMonitor *m,
		     GFile *file,
		     GFile *other,
		     GFileMonitorEvent ev,
		     gpointer data)
{
	((FileWait *)data)->changed = TRUE;
}

static gboolean
file_wait_timeout_cb(gpointer data)
{
	((FileWait *)data)->timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

static void
polld_exited_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
	*(gboolean *)data = TRUE;
}

/* waits, woken by changes in the test directory, until @path holds @min_count
 * times @needle after offset @from; fails at once when polld dies, returns
 * early when a watched libvirtd died (the caller decides) */
static void
wait_file(Restart *rs, const gchar *path, const gchar *needle, guint min_count, gsize from)
{
	g_autoptr(GFile) dir = g_file_new_for_path(rs->dir);
	g_autoptr(GError) error = NULL;
	g_autoptr(GFileMonitor) monitor =
	  g_file_monitor_directory(dir, G_FILE_MONITOR_NONE, NULL, &error);
	FileWait fw = { path, needle, min_count, from, TRUE, FALSE };
	gint64 start = g_get_monotonic_time();
	guint timeout;
	g_autofree gchar *err_text = NULL;

	g_assert_no_error(error);
	g_file_monitor_set_rate_limit(monitor, 50);
	g_signal_connect(monitor, "changed", G_CALLBACK(file_wait_changed_cb), &fw);
	timeout = g_timeout_add_seconds(RESTART_DEADLINE_S, file_wait_timeout_cb, &fw);
	while (!fw.timed_out && !rs->polld_exited && !rs->libvirtd_died) {
		if (fw.changed) {
			fw.changed = FALSE;
			if (count_in_file(path, needle, from) >= min_count)
				break;
		}
		g_main_context_iteration(NULL, TRUE);
	}
	if (!fw.timed_out)
		g_source_remove(timeout);
	if (count_in_file(path, needle, from) >= min_count) {
		g_test_message("%u x '%s' after %.1f s",
			       min_count,
			       needle,
			       (g_get_monotonic_time() - start) / 1e6);
		return;
	}
	if (rs->libvirtd_died && rs->libvirtd_may_die)
		return;
	g_file_get_contents(rs->err, &err_text, NULL, NULL);
	g_error("no %u x '%s' in %s: %s; polld stderr:\n%s",
		min_count,
		needle,
		path,
		rs->polld_exited    ? "polld exited"
		: rs->libvirtd_died ? "libvirtd died"
				    : "deadline passed",
		err_text);
}

static gsize
file_size(const gchar *path)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileInfo) info =
	  g_file_query_info(file, G_FILE_ATTRIBUTE_STANDARD_SIZE, 0, NULL, NULL);
	return info != NULL ? (gsize)g_file_info_get_size(info) : 0;
}

/* children die with the test, even when it aborts: an orphaned libvirtd
 * would keep the test's output pipe open, and meson would wait for it */
static void
die_with_test_cb(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* libvirtd tells a service manager it is ready (sd_notify's READY=1 on
 * $NOTIFY_SOCKET) once its sockets listen: a private datagram socket stands
 * in for systemd, so a test starts polld on a libvirtd that answers (else
 * polld's first cycle may find no libvirt and, at a long interval, no cycle
 * follows for the test to read) */
static GSocket *
notify_socket_new(const gchar *path)
{
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GError) error = NULL;
	GSocket *sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);

	g_assert_no_error(error);
	g_unlink(path);
	g_assert_true(g_socket_bind(sock, addr, TRUE, &error));
	g_assert_no_error(error);
	/* libvirtd writes when ready: the timeout only guards a failure */
	g_socket_set_timeout(sock, 120);
	return sock;
}

static void
notify_wait_ready(GSocket *sock)
{
	for (;;) {
		g_autoptr(GError) error = NULL;
		gchar buf[4096];
		gssize n = g_socket_receive(sock, buf, sizeof(buf) - 1, NULL, &error);

		g_assert_no_error(error);
		buf[MAX(n, 0)] = '\0';
		if (strstr(buf, "READY=1") != NULL)
			return;
	}
}

static GSubprocess *
start_libvirtd(const gchar *dir)
{
	g_autofree gchar *harness =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "libvirtd-harness.sh", NULL);
	g_autofree gchar *log = g_build_filename(dir, "libvirtd.log", NULL);
	g_autofree gchar *notify_path = g_build_filename(dir, "notify", NULL);
	g_autoptr(GSubprocessLauncher) l =
	  g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) notify = NULL;
	GSubprocess *proc;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	notify = notify_socket_new(notify_path);
	g_subprocess_launcher_setenv(l, "NOTIFY_SOCKET", notify_path, TRUE);
	g_subprocess_launcher_set_stderr_file_path(l, log);
	g_subprocess_launcher_set_child_setup(l, die_with_test_cb, NULL, NULL);
	proc = g_subprocess_launcher_spawn(l, &error, "sh", harness, dir, NULL);
	g_assert_no_error(error);
	notify_wait_ready(notify);
	g_unlink(notify_path);
	return proc;
}

static void
kill_and_wait(GSubprocess *proc, gint sig)
{
	g_subprocess_send_signal(proc, sig);
	g_assert_true(g_subprocess_wait(proc, NULL, NULL));
}

#if defined(__SANITIZE_ADDRESS__)
static gint
find_tirpc_cb(struct dl_phdr_info *info, gsize size, gpointer data)
{
	if (strstr(info->dlpi_name, "/libtirpc.so") == NULL)
		return 0;
	*(gchar **)data = g_strdup(info->dlpi_name);
	return 1;
}

/* ASan intercepts the xdr_* functions and forwards them to glibc's old
 * sunrpc copies, whose XDR ops table differs from libtirpc's that libvirt
 * is built against: the first remote call jumps to NULL. Preloading libtirpc
 * puts its functions ahead of the interceptors. */
static void
launcher_avoid_xdr_interceptors(GSubprocessLauncher *l)
{
	g_autofree gchar *tirpc = NULL;
	g_autofree gchar *asan = NULL;

	dl_iterate_phdr(find_tirpc_cb, &tirpc);
	g_assert_nonnull(tirpc);
	asan = g_strdup_printf("%s%sverify_asan_link_order=0",
			       g_getenv("ASAN_OPTIONS") ?: "",
			       g_getenv("ASAN_OPTIONS") != NULL ? ":" : "");
	g_subprocess_launcher_setenv(l, "LD_PRELOAD", tirpc, TRUE);
	g_subprocess_launcher_setenv(l, "ASAN_OPTIONS", asan, TRUE);
}
#else
static void
launcher_avoid_xdr_interceptors(GSubprocessLauncher *l)
{
}
#endif

/* @bus: serve D-Bus on the session bus (a GTestDBus) and print samples
 * through the stdout publisher, instead of --dry-run without a bus */
static void
start_polld_full(Restart *rs, const gchar *conf, gboolean bus, const gchar *debug_domains)
{
	g_autofree gchar *out = g_build_filename(rs->dir, "out.txt", NULL);
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	g_autoptr(GError) error = NULL;

	g_subprocess_launcher_set_stdout_file_path(l, out);
	g_subprocess_launcher_set_stderr_file_path(l, rs->err);
	g_subprocess_launcher_set_child_setup(l, die_with_test_cb, NULL, NULL);
	launcher_avoid_xdr_interceptors(l);
	if (debug_domains != NULL)
		g_subprocess_launcher_setenv(l, "G_MESSAGES_DEBUG", debug_domains, TRUE);
	rs->polld = g_subprocess_launcher_spawn(l,
						&error,
						g_getenv("POLLD_BINARY"),
						bus ? "--session" : "--dry-run",
						"--polling-namespaces",
						"compute",
						"--config-file",
						conf,
						NULL);
	g_assert_no_error(error);
	g_subprocess_wait_async(rs->polld, NULL, polld_exited_cb, &rs->polld_exited);
}

static void
start_polld(Restart *rs, const gchar *conf)
{
	start_polld_full(rs, conf, FALSE, NULL);
}

static gchar *
write_restart_config(const gchar *dir, const gchar *lvd_dir)
{
	g_autofree gchar *xml = g_build_filename(g_getenv("POLLD_GOLDEN_DIR"), "domains.xml", NULL);
	g_autofree gchar *uri =
	  g_strdup_printf("test+unix://%s?socket=%s/sock/libvirt-sock-ro", xml, lvd_dir);
	g_autofree gchar *yaml_path =
	  pd_test_write_file(dir,
			     "polling.yaml",
			     "sources:\n  - name: fast\n    interval: 1\n"
			     "    meters: ['power.state', 'cpu']\n");
	/* retry every second: recovery must not depend on where the back-off stood */
	g_autofree gchar *conf =
	  g_strdup_printf("[DEFAULT]\nlibvirt_uri = %s\n[polling]\ncfg_file = %s\n"
			  "[compute]\nreconnect_max_interval = 1\n",
			  uri,
			  yaml_path);
	return pd_test_write_file(dir, "polld.conf", conf);
}

static void
test_libvirtd_restart(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *lvd_dir = g_build_filename(dir, "libvirtd", NULL);
	g_autofree gchar *conf = write_restart_config(dir, lvd_dir);
	g_autofree gchar *out = g_build_filename(dir, "out.txt", NULL);
	g_autofree gchar *lvd = g_find_program_in_path("libvirtd");
	g_autoptr(GSubprocess) libvirtd = NULL;
	Restart rs = { NULL, dir, g_build_filename(dir, "err.txt", NULL), FALSE };
	gsize seen;

	if (lvd == NULL || getuid() != 0) {
		g_test_skip("needs libvirtd, run as root");
		g_free(rs.err);
		return;
	}
	/* libvirt isn't there: polld keeps running and says why */
	start_polld(&rs, conf);
	wait_file(&rs, rs.err, "cannot connect to libvirt", 1, 0);
	g_assert_cmpuint(count_in_file(out, "power.state", 0), ==, 0);

	/* it comes: samples */
	libvirtd = start_libvirtd(lvd_dir);
	wait_file(&rs, out, "\\\"power.state\\\"", 3, 0);

	/* it dies: the connection is dropped, polld survives and retries */
	kill_and_wait(libvirtd, SIGKILL);
	g_clear_object(&libvirtd);
	wait_file(&rs, rs.err, "cannot connect to libvirt", 2, 0);
	seen = file_size(out);

	/* it is back: samples again */
	libvirtd = start_libvirtd(lvd_dir);
	wait_file(&rs, out, "\\\"power.state\\\"", 3, seen);
	g_assert_true(count_in_file(rs.err, "connected to libvirt at", 0) >= 1);

	kill_and_wait(rs.polld, SIGTERM);
	g_assert_true(g_subprocess_get_if_exited(rs.polld));
	g_assert_cmpint(g_subprocess_get_exit_status(rs.polld), ==, 0);
	/* let the wait_async callback run before its flag goes out of scope */
	while (!rs.polld_exited)
		g_main_context_iteration(NULL, TRUE);
	g_clear_object(&rs.polld);
	kill_and_wait(libvirtd, SIGTERM);
	g_free(rs.err);
	pd_test_rmtree(dir);
}

static void
stop_polld(Restart *rs)
{
	kill_and_wait(rs->polld, SIGTERM);
	g_assert_true(g_subprocess_get_if_exited(rs->polld));
	g_assert_cmpint(g_subprocess_get_exit_status(rs->polld), ==, 0);
	/* let the wait_async callback run before its flag goes out of scope */
	while (!rs->polld_exited)
		g_main_context_iteration(NULL, TRUE);
	g_clear_object(&rs->polld);
}

/* a private session bus (a GTestDBus, @test_bus_out) and a connection to it */
static GDBusConnection *
test_bus_connect(GTestDBus **test_bus_out)
{
	g_autoptr(GError) error = NULL;
	GDBusConnection *bus;

	*test_bus_out = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(*test_bus_out);
	bus =
	  g_dbus_connection_new_for_address_sync(g_test_dbus_get_bus_address(*test_bus_out),
						 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
						   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
						 NULL,
						 NULL,
						 &error);
	g_assert_no_error(error);
	return bus;
}

/* the string @key of @pollster as GetPollsters reports it; NULL when polld
 * is not on the bus yet */
static gchar *
pollster_value(GDBusConnection *bus, const gchar *pollster, const gchar *key)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariantIter) iter = NULL;
	g_autoptr(GError) error = NULL;
	GVariant *entry;

	reply = g_dbus_connection_call_sync(bus,
					    "org.polld.Agent1",
					    "/org/polld/Agent1",
					    "org.polld.Agent1",
					    "GetPollsters",
					    NULL,
					    G_VARIANT_TYPE("(aa{sv})"),
					    G_DBUS_CALL_FLAGS_NONE,
					    5000,
					    NULL,
					    &error);
	if (reply == NULL)
		return NULL; /* not on the bus yet */
	g_variant_get(reply, "(aa{sv})", &iter);
	while ((entry = g_variant_iter_next_value(iter)) != NULL) {
		const gchar *name = NULL, *value = NULL;
		gchar *found = NULL;
		if (g_variant_lookup(entry, "name", "&s", &name) &&
		    g_strcmp0(name, pollster) == 0 && g_variant_lookup(entry, key, "&s", &value))
			found = g_strdup(value);
		g_variant_unref(entry);
		if (found != NULL)
			return found;
	}
	return NULL;
}

/* plugin_status of the compute pollster power.state, as GetPollsters reports it */
static gchar *
compute_status(GDBusConnection *bus)
{
	return pollster_value(bus, "power.state", "plugin_status");
}

typedef struct {
	GDBusConnection *bus;
	const gchar *needle; /* "": the status must be empty */
	Restart *rs;
} StatusWait;

static gboolean
status_reached(gpointer data)
{
	StatusWait *sw = data;
	g_autofree gchar *status = NULL;

	if (sw->rs->polld_exited || (sw->rs->libvirtd_died && sw->rs->libvirtd_may_die))
		return TRUE;
	status = compute_status(sw->bus);
	if (status == NULL)
		return FALSE;
	return sw->needle[0] == '\0' ? status[0] == '\0' : strstr(status, sw->needle) != NULL;
}

static void
wait_status(Restart *rs, GDBusConnection *bus, const gchar *needle)
{
	StatusWait sw = { bus, needle, rs };
	g_autofree gchar *status = NULL;

	g_assert_true(pd_test_wait_for(status_reached, &sw, RESTART_DEADLINE_S * 1000));
	g_assert_false(rs->polld_exited);
	if (rs->libvirtd_died && rs->libvirtd_may_die)
		return;
	status = compute_status(bus);
	g_test_message("compute plugin status: '%s'", status);
}

/* libvirtd 9.0 itself sometimes dies of a SIGSEGV in its RPC worker when it
 * is thawed with clients that closed while it was frozen (it reads a freed
 * event callback of such a client). That is libvirtd's bug, not polld's, and
 * a crashed libvirtd is restarted in production; polld must then reconnect
 * to the new one, which the test goes on to check. Any other exit fails. */
static void
restart_crashed_libvirtd(Restart *rs, GSubprocess **libvirtd, const gchar *lvd_dir)
{
	g_assert_true(g_subprocess_get_if_signaled(*libvirtd));
	g_test_message("libvirtd died of signal %d after the thaw; restarted",
		       g_subprocess_get_term_sig(*libvirtd));
	g_clear_object(libvirtd);
	rs->libvirtd_died = FALSE;
	*libvirtd = start_libvirtd(lvd_dir);
	g_subprocess_wait_async(*libvirtd, NULL, polld_exited_cb, &rs->libvirtd_died);
}

/* after a thaw: the reopens (which a frozen libvirtd holds up) complete, the
 * status clears and samples fetched on the new connections follow; FALSE
 * when libvirtd died meanwhile */
static gboolean
thawed(Restart *rs, GDBusConnection *bus, const gchar *out, guint round)
{
	gsize seen;

	wait_file(rs, rs->err, "connected to libvirt at", 2 * round, 0);
	if (rs->libvirtd_died)
		return FALSE;
	wait_status(rs, bus, "");
	if (rs->libvirtd_died)
		return FALSE;
	seen = file_size(out);
	wait_file(rs, out, "\\\"power.state\\\"", 40, seen);
	return !rs->libvirtd_died;
}

/* A libvirtd that stops answering (SIGSTOP) without closing its socket is
 * noticed by libvirt's keepalive, not by a call that would hang forever. Both
 * connections have calls in flight for the meters of 40 domains when the
 * keepalive fires, which crashed libvirt 9.0's client when several threads
 * called on one connection (each connection has its one thread now); three
 * freezes in a row, each connection lost and reopened once per freeze. D-Bus
 * reports the state and answers throughout. */
static void
test_libvirtd_keepalive(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *lvd_dir = g_build_filename(dir, "libvirtd", NULL);
	const gchar *opts[] = { "--domains", "40", "--disks", "2", "--nics", "2", NULL };
	g_autofree gchar *xml = pd_test_compute_gen_domains(dir, opts);
	g_autofree gchar *yaml_path = pd_test_write_file(
	  dir, "polling.yaml", "sources:\n  - name: all\n    interval: 1\n    meters: ['*']\n");
	g_autofree gchar *conf_text =
	  g_strdup_printf("[DEFAULT]\nlibvirt_uri = test+unix://%s?socket=%s/sock/libvirt-sock-ro\n"
			  "[polling]\ncfg_file = %s\n[compute]\nreconnect_max_interval = 1\n"
			  "libvirt_keepalive_interval = 1\nlibvirt_keepalive_count = 2\n"
			  "libvirt_connections = 2\n",
			  xml,
			  lvd_dir,
			  yaml_path);
	g_autofree gchar *conf = pd_test_write_file(dir, "polld.conf", conf_text);
	g_autofree gchar *out = g_build_filename(dir, "out.txt", NULL);
	g_autofree gchar *lvd = g_find_program_in_path("libvirtd");
	g_autoptr(GSubprocess) libvirtd = NULL;
	g_autoptr(GTestDBus) test_bus = NULL;
	g_autoptr(GDBusConnection) bus = NULL;
	Restart rs = { NULL, dir, g_build_filename(dir, "err.txt", NULL), FALSE };

	if (lvd == NULL || getuid() != 0) {
		g_test_skip("needs libvirtd, run as root");
		g_free(rs.err);
		return;
	}
	bus = test_bus_connect(&test_bus);
	libvirtd = start_libvirtd(lvd_dir);
	g_subprocess_wait_async(libvirtd, NULL, polld_exited_cb, &rs.libvirtd_died);
	start_polld_full(&rs, conf, TRUE, NULL);
	wait_file(&rs, out, "\\\"power.state\\\"", 40, 0);
	wait_status(&rs, bus, "");

	for (guint round = 1; round <= 3; round++) {
		/* frozen: the socket stays open, only keepalive can tell */
		g_subprocess_send_signal(libvirtd, SIGSTOP);
		wait_status(&rs, bus, "keepalive timeout");
		wait_file(&rs, rs.err, "lost: keepalive timeout", 2 * round, 0);
		g_assert_cmpuint(
		  count_in_file(rs.err, "lost: keepalive timeout", 0), ==, 2 * round);

		g_subprocess_send_signal(libvirtd, SIGCONT);
		rs.libvirtd_may_die = TRUE;
		while (!thawed(&rs, bus, out, round))
			restart_crashed_libvirtd(&rs, &libvirtd, lvd_dir);
		rs.libvirtd_may_die = FALSE;
	}
	g_assert_cmpuint(count_in_file(rs.err, "CRITICAL", 0), ==, 0);

	stop_polld(&rs);
	kill_and_wait(libvirtd, SIGTERM);
	while (!rs.libvirtd_died) /* its watch points into this frame */
		g_main_context_iteration(NULL, TRUE);
	g_dbus_connection_close_sync(bus, NULL, NULL);
	g_test_dbus_down(test_bus);
	g_free(rs.err);
	pd_test_rmtree(dir);
}

static void
assert_unit(GDBusConnection *bus, const gchar *pollster, const gchar *want)
{
	g_autofree gchar *unit = pollster_value(bus, pollster, "unit");

	g_assert_cmpstr(unit, ==, want);
}

static gchar *
write_units_config(const gchar *dir, const gchar *compat)
{
	g_autofree gchar *xml = g_build_filename(g_getenv("POLLD_GOLDEN_DIR"), "domains.xml", NULL);
	g_autofree gchar *yaml_path =
	  pd_test_write_file(dir,
			     "polling.yaml",
			     "sources:\n  - name: fast\n    interval: 1\n"
			     "    meters: ['memory', 'disk.root.size', 'cpu']\n");
	g_autofree gchar *conf =
	  g_strdup_printf("[DEFAULT]\nlibvirt_uri = test://%s\n[polling]\ncfg_file = %s\n"
			  "[polld]\nceilometer_compat = %s\n",
			  xml,
			  yaml_path,
			  compat);
	return pd_test_write_file(dir, "polld.conf", conf);
}

/* GetPollsters shows the unit the samples carry under [polld]
 * ceilometer_compat: 26.0.0's MiB and GiB by default, 25.0.0's MB and GB
 * once a reload asks for 2025.2 */
static void
test_dbus_units(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *conf = write_units_config(dir, "2026.1");
	g_autofree gchar *out = g_build_filename(dir, "out.txt", NULL);
	g_autoptr(GTestDBus) test_bus = NULL;
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	Restart rs = { NULL, dir, g_build_filename(dir, "err.txt", NULL), FALSE };
	gsize seen;

	bus = test_bus_connect(&test_bus);
	start_polld_full(&rs, conf, TRUE, NULL);
	wait_file(&rs, out, "\\\"counter_unit\\\": \\\"MiB\\\"", 1, 0);
	wait_status(&rs, bus, "");
	assert_unit(bus, "memory", "MiB");
	assert_unit(bus, "disk.root.size", "GiB");
	assert_unit(bus, "cpu", "ns");

	g_free(write_units_config(dir, "2025.2"));
	reply = g_dbus_connection_call_sync(bus,
					    "org.polld.Agent1",
					    "/org/polld/Agent1",
					    "org.polld.Agent1",
					    "Reload",
					    NULL,
					    G_VARIANT_TYPE("(tas)"),
					    G_DBUS_CALL_FLAGS_NONE,
					    20000,
					    NULL,
					    &error);
	g_assert_no_error(error);
	assert_unit(bus, "memory", "MB");
	assert_unit(bus, "disk.root.size", "GB");
	assert_unit(bus, "cpu", "ns");
	/* and the samples polled from then on say the same */
	seen = file_size(out);
	wait_file(&rs, out, "\\\"counter_unit\\\": \\\"MB\\\"", 1, seen);
	wait_file(&rs, out, "\\\"counter_unit\\\": \\\"GB\\\"", 1, seen);

	stop_polld(&rs);
	g_dbus_connection_close_sync(bus, NULL, NULL);
	g_test_dbus_down(test_bus);
	g_free(rs.err);
	pd_test_rmtree(dir);
}

static void
set_nova_name(virDomainPtr dom, const gchar *name)
{
	pd_test_compute_set_instance(
	  dom, name, "<flavor name='m1.tiny'><memory>512</memory></flavor>");
}

/* polld polling power.state every second from a private libvirtd's
 * test:///default (one domain, "test") with domain events, read-only; the
 * test changes the domains through a read-write connection on rw_uri */
typedef struct {
	gchar *dir;
	gchar *out; /* polld's samples */
	gchar *rw_uri;
	GSubprocess *libvirtd;
	Restart rs;
} EventsRun;

/* FALSE: skipped (no libvirtd, or not root) */
static gboolean
events_run_start(EventsRun *er)
{
	g_autofree gchar *lvd = g_find_program_in_path("libvirtd");
	g_autofree gchar *lvd_dir = NULL;
	g_autofree gchar *yaml_path = NULL;
	g_autofree gchar *conf_text = NULL;
	g_autofree gchar *conf = NULL;

	if (lvd == NULL || getuid() != 0) {
		g_test_skip("needs libvirtd, run as root");
		return FALSE;
	}
	er->dir = pd_test_mkdtemp();
	lvd_dir = g_build_filename(er->dir, "libvirtd", NULL);
	yaml_path = pd_test_write_file(
	  er->dir,
	  "polling.yaml",
	  "sources:\n  - name: fast\n    interval: 1\n    meters: ['power.state']\n");
	conf_text = g_strdup_printf(
	  "[DEFAULT]\nlibvirt_uri = test+unix:///default?socket=%s/sock/libvirt-sock-ro\n"
	  "[polling]\ncfg_file = %s\n[compute]\nreconnect_max_interval = 1\n",
	  lvd_dir,
	  yaml_path);
	conf = pd_test_write_file(er->dir, "polld.conf", conf_text);
	er->rw_uri = g_strdup_printf("test+unix:///default?socket=%s/sock/libvirt-sock", lvd_dir);
	er->out = g_build_filename(er->dir, "out.txt", NULL);
	er->rs.dir = er->dir;
	er->rs.err = g_build_filename(er->dir, "err.txt", NULL);
	er->libvirtd = start_libvirtd(lvd_dir);
	start_polld_full(&er->rs, conf, FALSE, "PdPlugin-compute");
	return TRUE;
}

static void
events_run_stop(EventsRun *er)
{
	stop_polld(&er->rs);
	kill_and_wait(er->libvirtd, SIGTERM);
	g_clear_object(&er->libvirtd);
	pd_test_rmtree(er->dir);
	g_free(er->rs.err);
	g_free(er->rw_uri);
	g_free(er->out);
	g_free(er->dir);
}

/* With domain events a domain's XML is read once, then only after an event
 * for it: libvirtd's shared test:///default domain "test" has no Nova
 * metadata (no samples, and no XML reads cycle after cycle) until the test
 * gives it some through a second, read-write connection; a rename follows. */
static void
test_domain_events(void)
{
	EventsRun er = { 0 };
	Restart *rs = &er.rs;
	virConnectPtr rw;
	virDomainPtr dom;
	gsize seen;

	if (!events_run_start(&er))
		return;
	/* read once when new, then left alone */
	wait_file(rs, rs->err, "discovery: 1 domains, 0 XML reads", 2, 0);
	/* the first discoveries may see the domain before they read it (a
	 * connection still opening, parts): the reads add up to one */
	g_assert_cmpuint(xml_reads_in_file(rs->err), ==, 1);
	g_assert_cmpuint(count_in_file(er.out, "power.state", 0), ==, 0);

	/* libvirtd is up (polld discovered its domain): connect read-write */
	rw = virConnectOpen(er.rw_uri);
	g_assert_nonnull(rw);
	dom = virDomainLookupByName(rw, "test");
	g_assert_nonnull(dom);
	set_nova_name(dom, "first");
	wait_file(rs, er.out, "\\\"display_name\\\": \\\"first\\\"", 1, 0);
	/* the discovery logs its summary after it has handed the domain over,
	 * so its sample can be out before the line for this read is */
	wait_file(rs, rs->err, "discovery: 1 domains, 1 XML reads", 2, 0);
	seen = file_size(rs->err);
	set_nova_name(dom, "second");
	wait_file(rs, er.out, "\\\"display_name\\\": \\\"second\\\"", 1, 0);
	/* a few quiet cycles: no more reads */
	wait_file(rs, rs->err, "discovery: 1 domains, 0 XML reads", 2, file_size(rs->err));
	g_assert_cmpuint(count_in_file(rs->err, "discovery: 1 domains, 1 XML reads", 0), ==, 3);
	g_assert_cmpuint(count_in_file(rs->err, "discovery: 1 domains, 1 XML reads", seen), ==, 1);

	virDomainFree(dom);
	virConnectClose(rw);
	events_run_stop(&er);
}

/* how many discoveries after offset @from ended before the first that found
 * @needle ("discovery: N domains") */
static guint
discoveries_before(const gchar *path, const gchar *needle, gsize from)
{
	g_autofree gchar *text = NULL;
	gsize len = 0;
	const gchar *end;
	guint n = 0;

	g_assert_true(g_file_get_contents(path, &text, &len, NULL) && from < len);
	end = strstr(text + from, needle);
	g_assert_nonnull(end);
	for (const gchar *p = strstr(text + from, "discovery: "); p != NULL && p < end;
	     p = strstr(p + 1, "discovery: ")) {
		if (g_ascii_isdigit(p[strlen("discovery: ")]))
			n++;
	}
	return n;
}

/* With domain events a connection keeps its last listing while no event
 * came: quiet cycles list nothing (each connection listed all domains a
 * cycle to keep its shard); a domain started, then destroyed, through
 * another connection is found, then dropped, by the cycles after */
static void
test_listing_kept(void)
{
	EventsRun er = { 0 };
	Restart *rs = &er.rs;
	virConnectPtr rw;
	virDomainPtr dom;
	gsize seen;

	if (!events_run_start(&er))
		return;
	/* both connections keep their listing once they have one */
	wait_file(rs, rs->err, "kept its listing", 2, 0);
	seen = file_size(rs->err);
	wait_file(rs, rs->err, "discovery: 1 domains", 2, seen);
	g_assert_cmpuint(count_in_file(rs->err, "kept its listing", seen), >=, 2);
	g_assert_cmpuint(count_in_file(rs->err, " listed ", seen), ==, 0);

	/* a new domain: its events make the next cycles list again */
	rw = virConnectOpen(er.rw_uri);
	g_assert_nonnull(rw);
	seen = file_size(rs->err);
	dom = virDomainCreateXML(rw,
				 "<domain type='test'><name>extra</name><memory>8192</memory>"
				 "<os><type>hvm</type></os></domain>",
				 0);
	g_assert_nonnull(dom);
	wait_file(rs, rs->err, "discovery: 2 domains", 1, seen);
	g_assert_cmpuint(count_in_file(rs->err, " listed ", seen), >=, 1);
	/* found by the cycle after the event, not by a listing made at last
	 * (the one running then may have missed it) */
	g_assert_cmpuint(discoveries_before(rs->err, "discovery: 2 domains", seen), <=, 2);
	/* gone: dropped at the next listing, then quiet again */
	seen = file_size(rs->err);
	g_assert_cmpint(virDomainDestroy(dom), ==, 0);
	wait_file(rs, rs->err, "discovery: 1 domains", 1, seen);
	g_assert_cmpuint(discoveries_before(rs->err, "discovery: 1 domains", seen), <=, 2);
	seen = file_size(rs->err);
	wait_file(rs, rs->err, "kept its listing", 2, seen);
	g_assert_cmpuint(count_in_file(rs->err, "discovery: 2 domains", seen), ==, 0);

	virDomainFree(dom);
	virConnectClose(rw);
	events_run_stop(&er);
}

/* the statistics records alive at most in each cycle polld logged in @path
 * (each cycle's line in the test's log: the pipelines' holds with them) */
static GArray *
records_peaks_in_file(const gchar *path)
{
	g_autoptr(GRegex) re = g_regex_new(
	  "statistics: [0-9]+ records made this cycle, at most ([0-9]+) alive[^\n]*", 0, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	g_autofree gchar *text = NULL;
	GArray *peaks = g_array_new(FALSE, FALSE, sizeof(guint));

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	for (g_regex_match(re, text, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
		g_autofree gchar *line = g_match_info_fetch(m, 0);
		g_autofree gchar *n = g_match_info_fetch(m, 1);
		guint peak = (guint)g_ascii_strtoull(n, NULL, 10);
		g_test_message("cycle %u: %s", peaks->len + 1, line);
		g_array_append_val(peaks, peak);
	}
	return peaks;
}

#define RECORDS_DOMAINS 2000

/* one cycle of every pollster, now; returns once it is done */
static void
poll_now(GDBusConnection *bus)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *all[] = { NULL };

	reply = g_dbus_connection_call_sync(bus,
					    "org.polld.Agent1",
					    "/org/polld/Agent1",
					    "org.polld.Agent1",
					    "PollNow",
					    g_variant_new("(^as)", all),
					    G_VARIANT_TYPE("(a{sv})"),
					    G_DBUS_CALL_FLAGS_NONE,
					    RESTART_DEADLINE_S * 1000,
					    NULL,
					    &error);
	g_assert_no_error(error);
}

/* In a steady cycle with two connections (the bench's 14 meters on the
 * default 8 worker threads), the meters read both connections' domains as
 * the pipelines answer them, all meters together, so a statistics record
 * dies soon after it is fetched: far fewer than the N domains' records are
 * alive at once (every one of them was, while the meters read one
 * connection's part, then the other's, and the last 6 meters started only
 * once the first 8 had read every domain). The cycles after the first are
 * asked for (PollNow) with an interval longer than the test: each runs to
 * its end whatever the machine's load (at a 6 s interval, a loaded machine
 * closed cycles with the meters still running, and the statistics the test
 * read were of a partial cycle, or of one whose late meters overlapped the
 * next cycle's). */
static void
test_records_steady(void)
{
	g_autofree gchar *lvd = g_find_program_in_path("libvirtd");
	g_autofree gchar *dir = NULL;
	g_autofree gchar *lvd_dir = NULL;
	g_autofree gchar *xml = NULL;
	g_autofree gchar *yaml = NULL;
	g_autofree gchar *conf_text = NULL;
	g_autofree gchar *conf = NULL;
	g_autoptr(GSubprocess) libvirtd = NULL;
	g_autoptr(GArray) peaks = NULL;
	g_autoptr(GTestDBus) test_bus = NULL;
	g_autoptr(GDBusConnection) bus = NULL;
	const gchar *opts[] = { "--domains", G_STRINGIFY(RECORDS_DOMAINS), NULL };
	Restart rs = { NULL };

	if (lvd == NULL || getuid() != 0) {
		g_test_skip("needs libvirtd, run as root");
		return;
	}
	dir = pd_test_mkdtemp();
	lvd_dir = g_build_filename(dir, "libvirtd", NULL);
	xml = pd_test_compute_gen_domains(dir, opts);
	yaml = pd_test_write_file(
	  dir,
	  "polling.yaml",
	  "sources:\n  - name: bench\n    interval: 86400\n"
	  "    meters: [cpu, disk.device.allocation, disk.device.capacity,\n"
	  "      disk.device.usage, network.incoming.bytes,\n"
	  "      network.incoming.bytes.delta, network.incoming.packets,\n"
	  "      network.incoming.packets.drop, network.incoming.packets.error,\n"
	  "      network.outgoing.bytes, network.outgoing.bytes.delta,\n"
	  "      network.outgoing.packets, network.outgoing.packets.drop,\n"
	  "      network.outgoing.packets.error]\n");
	conf_text =
	  g_strdup_printf("[DEFAULT]\nlibvirt_uri = test+unix://%s?socket=%s/sock/libvirt-sock-ro\n"
			  "[polling]\ncfg_file = %s\n[compute]\nlibvirt_connections = 2\n"
			  "resource_update_interval = 600\n",
			  xml,
			  lvd_dir,
			  yaml);
	conf = pd_test_write_file(dir, "polld.conf", conf_text);
	rs.dir = dir;
	rs.err = g_build_filename(dir, "err.txt", NULL);
	libvirtd = start_libvirtd(lvd_dir);
	bus = test_bus_connect(&test_bus);
	start_polld_full(&rs, conf, TRUE, "PdPlugin-compute");
	/* the first cycle's statistics, then two steady cycles' */
	wait_file(&rs, rs.err, "records made this cycle", 1, 0);
	wait_status(&rs, bus, "");
	for (guint i = 2; i <= 3; i++) {
		poll_now(bus);
		wait_file(&rs, rs.err, "records made this cycle", i, 0);
	}
	stop_polld(&rs);
	g_dbus_connection_close_sync(bus, NULL, NULL);
	g_test_dbus_down(test_bus);
	peaks = records_peaks_in_file(rs.err);
	g_assert_cmpuint(peaks->len, ==, 3);
	for (guint i = 1; i < peaks->len; i++) {
		guint peak = g_array_index(peaks, guint, i);
		g_test_message(
		  "cycle %u: at most %u of %u records alive", i + 1, peak, RECORDS_DOMAINS);
		g_assert_cmpuint(peak, >, 0);
		g_assert_cmpuint(peak, <=, RECORDS_DOMAINS / 2);
	}
	kill_and_wait(libvirtd, SIGTERM);
	g_free(rs.err);
	pd_test_rmtree(dir);
}

gint
main(gint argc, gchar **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(virInitialize(), ==, 0);
	g_test_add_func("/compute/libvirtd-restart", test_libvirtd_restart);
	g_test_add_func("/compute/libvirtd-keepalive", test_libvirtd_keepalive);
	g_test_add_func("/compute/domain-events", test_domain_events);
	g_test_add_func("/compute/dbus-units", test_dbus_units);
	g_test_add_func("/compute/listing-kept", test_listing_kept);
	g_test_add_func("/compute/records-steady", test_records_steady);
	return g_test_run();
}
