/*
 * polld - PdSdNotify against a datagram socket standing in for systemd:
 * nothing without NOTIFY_SOCKET, path and abstract addresses, the
 * environment unset for children, WATCHDOG_PID honoured, READY=1 with a
 * status line and a first watchdog ping, STOPPING=1
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gunixsocketaddress.h>
#include <unistd.h>

#include "pd-sd-notify.h"
#include "pd-test-util.h"

typedef struct {
	gchar *dir;
	GSocket *listener;
	gchar *address; /* what NOTIFY_SOCKET says */
} Fixture;

static void
fixture_bind(Fixture *fx, GSocketAddress *addr)
{
	g_autoptr(GError) error = NULL;

	fx->listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(fx->listener, addr, TRUE, &error));
	g_assert_no_error(error);
	/* the sender writes before we read: a timeout only guards a failure */
	g_socket_set_timeout(fx->listener, 30);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	gboolean abstract = GPOINTER_TO_INT(data);
	g_autoptr(GSocketAddress) addr = NULL;

	fx->dir = pd_test_mkdtemp();
	if (abstract) {
		g_autofree gchar *name = g_strdup_printf("polld-test-notify-%d", (gint)getpid());
		addr =
		  g_unix_socket_address_new_with_type(name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
		fx->address = g_strconcat("@", name, NULL);
	} else {
		fx->address = g_build_filename(fx->dir, "notify", NULL);
		addr = g_unix_socket_address_new(fx->address);
	}
	fixture_bind(fx, addr);
	g_setenv("NOTIFY_SOCKET", fx->address, TRUE);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_object(&fx->listener);
	pd_test_rmtree(fx->dir);
	g_free(fx->dir);
	g_free(fx->address);
	g_unsetenv("NOTIFY_SOCKET");
	g_unsetenv("WATCHDOG_USEC");
	g_unsetenv("WATCHDOG_PID");
}

static gchar *
receive(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	gchar buf[4096];
	gssize n = g_socket_receive(fx->listener, buf, sizeof(buf) - 1, NULL, &error);

	g_assert_no_error(error);
	g_assert_cmpint(n, >, 0);
	return g_strndup(buf, n);
}

static void
test_sd_notify_disabled(void)
{
	g_autoptr(PdSdNotify) notify = NULL;
	g_autoptr(GError) error = NULL;

	g_unsetenv("NOTIFY_SOCKET");
	g_setenv("WATCHDOG_USEC", "1000000", TRUE);
	notify = pd_sd_notify_new();
	g_assert_false(pd_sd_notify_is_enabled(notify));
	/* no socket, no watchdog: sending is a successful no-op */
	g_assert_cmpuint(pd_sd_notify_get_watchdog_usec(notify), ==, 0);
	g_assert_true(pd_sd_notify_send(notify, "READY=1", &error));
	g_assert_no_error(error);
	pd_sd_notify_stopping(notify);
	g_assert_null(g_getenv("WATCHDOG_USEC"));
}

static void
test_sd_notify_bad_address(void)
{
	g_autoptr(PdSdNotify) notify = NULL;

	g_setenv("NOTIFY_SOCKET", "relative/path", TRUE);
	g_test_expect_message(
	  "PdSdNotify", G_LOG_LEVEL_WARNING, "NOTIFY_SOCKET=relative/path is not a unix*");
	notify = pd_sd_notify_new();
	g_test_assert_expected_messages();
	g_assert_false(pd_sd_notify_is_enabled(notify));
	g_assert_null(g_getenv("NOTIFY_SOCKET"));
}

static void
test_sd_notify_send(Fixture *fx, gconstpointer data)
{
	g_autoptr(PdSdNotify) notify = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *pid = g_strdup_printf("%d", (gint)getpid());
	g_autofree gchar *got = NULL;

	g_setenv("WATCHDOG_USEC", "4000000", TRUE);
	g_setenv("WATCHDOG_PID", pid, TRUE);
	notify = pd_sd_notify_new();
	g_assert_true(pd_sd_notify_is_enabled(notify));
	g_assert_cmpuint(pd_sd_notify_get_watchdog_usec(notify), ==, 4000000);
	/* children (plugins' helpers) must not talk to systemd for us */
	g_assert_null(g_getenv("NOTIFY_SOCKET"));
	g_assert_null(g_getenv("WATCHDOG_USEC"));
	g_assert_null(g_getenv("WATCHDOG_PID"));
	g_assert_true(
	  pd_sd_notify_send(notify, "STATUS=one datagram\nEXTEND_TIMEOUT_USEC=1", &error));
	g_assert_no_error(error);
	got = receive(fx);
	g_assert_cmpstr(got, ==, "STATUS=one datagram\nEXTEND_TIMEOUT_USEC=1");
}

static void
test_sd_notify_watchdog_other_pid(Fixture *fx, gconstpointer data)
{
	g_autoptr(PdSdNotify) notify = NULL;
	g_autofree gchar *pid = g_strdup_printf("%d", (gint)getpid() + 1);

	/* the watchdog was meant for the process that forked us */
	g_setenv("WATCHDOG_USEC", "4000000", TRUE);
	g_setenv("WATCHDOG_PID", pid, TRUE);
	notify = pd_sd_notify_new();
	g_assert_true(pd_sd_notify_is_enabled(notify));
	g_assert_cmpuint(pd_sd_notify_get_watchdog_usec(notify), ==, 0);
}

static void
test_sd_notify_ready_stopping(Fixture *fx, gconstpointer data)
{
	g_autoptr(PdSettings) settings = pd_settings_new(NULL, NULL, NULL, NULL);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdEngine) engine = NULL;
	g_autoptr(PdSdNotify) notify = NULL;
	g_autofree gchar *ready = NULL;
	g_autofree gchar *ping = NULL;
	g_autofree gchar *stopping = NULL;

	pd_settings_set_config(settings, config);
	engine = pd_engine_new(settings);
	g_setenv("WATCHDOG_USEC", "60000000", TRUE);
	notify = pd_sd_notify_new();
	pd_sd_notify_ready(notify, engine);
	ready = receive(fx);
	g_assert_true(g_str_has_prefix(ready, "READY=1\nSTATUS=0 pollsters in 0 tasks"));
	g_assert_true(g_str_has_suffix(ready, "; publisher none"));
	/* with WatchdogSec= the first ping goes out right away */
	ping = receive(fx);
	g_assert_cmpstr(ping, ==, "WATCHDOG=1");
	pd_sd_notify_stopping(notify);
	stopping = receive(fx);
	g_assert_true(g_str_has_prefix(stopping, "STOPPING=1\nSTATUS=stopping"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sd-notify/disabled", test_sd_notify_disabled);
	g_test_add_func("/sd-notify/bad-address", test_sd_notify_bad_address);
#define ADD(path, func, abstract)                                                                  \
	g_test_add(path, Fixture, GINT_TO_POINTER(abstract), fixture_setup, func, fixture_teardown)
	ADD("/sd-notify/send", test_sd_notify_send, FALSE);
	ADD("/sd-notify/send-abstract", test_sd_notify_send, TRUE);
	ADD("/sd-notify/watchdog-other-pid", test_sd_notify_watchdog_other_pid, FALSE);
	ADD("/sd-notify/ready-stopping", test_sd_notify_ready_stopping, FALSE);
#undef ADD
	return g_test_run();
}
