/*
 * polld test helpers: run the daemon binary, read its messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* a temp directory removed (recursively) at free */
gchar *
pd_test_mkdtemp(void);
/* @text (taken) kept until the test program ends, for assertions that
 * compare strings a test makes inline */
const gchar *
pd_test_keep(gchar *text);
void
pd_test_rmtree(const gchar *path);
/* writes @contents to @dir/@name and returns the path */
gchar *
pd_test_write_file(const gchar *dir, const gchar *name, const gchar *contents);

/* how many times @needle occurs in @haystack (overlapping counted) */
guint
pd_test_count(const gchar *haystack, const gchar *needle);

/* argv for the daemon: $POLLD_WRAPPER (split on spaces) + $POLLD_BINARY + @args
 * (NULL terminated); POLLD_PLUGIN_DIR is inherited from the test env */
GSubprocess *
pd_test_spawn_polld(GSubprocessFlags flags, GError **error, const gchar *first_arg, ...)
  G_GNUC_NULL_TERMINATED;
/* runs the daemon to completion, returns stdout; @exit_status gets the status */
gchar *
pd_test_run_polld(gint *exit_status, gchar **stderr_out, const gchar *const *args);
/* runs @argv (NULL-terminated here) to its end, its stdout and stderr in
 * @out and @err; returns the finished process (fails the test when it could
 * not run) */
GSubprocess *
pd_test_communicate(GPtrArray *argv, gchar **out, gchar **err);

/* polld --once --dry-run --polling-namespaces central with @conf written to
 * @dir/polld.conf, its [polling] cfg_file set to a polling.yaml of one
 * source @source polling @meters (a YAML list), and @extra (NULL, or one
 * more argument); iterates the default main context (test servers answer
 * from it) until polld ends. @out and @err get its output (what they held
 * is freed); returns its exit status, or -1 when a signal ended it. */
gint
pd_test_run_central_once(const gchar *dir,
			 GKeyFile *conf,
			 const gchar *source,
			 const gchar *meters,
			 const gchar *extra,
			 gchar **out,
			 gchar **err);

/* parses one message body line into the inner oslo.message object; the
 * samples array is payload.samples */
JsonObject *
pd_test_parse_message(const gchar *line, GError **error);
/* all samples of all lines of @output, as JsonObject refs */
GPtrArray *
pd_test_collect_samples(const gchar *output);

/* how much slower the daemon runs here: 10 under the valgrind setup
 * (POLLD_WRAPPER set), else 1 */
guint
pd_test_slowdown(void);

/* waits for @cond to become true, iterating the default main context, for
 * at most @timeout_ms (times the valgrind setup's timeout multiplier when
 * polld runs under valgrind: the wait is for an event, the time only a
 * safeguard); returns the final value */
gboolean
pd_test_wait_for(gboolean (*cond)(gpointer), gpointer data, guint timeout_ms);

/* a private dbus-daemon of @type ("session" or "system") listening in
 * @dir, with @policy (the <policy> elements and whatever else goes inside
 * <busconfig>; NULL: anyone may own, send and eavesdrop); the daemon dies
 * with the test. Returns the daemon; @address gets its address and @conn
 * (may be NULL) a message bus connection to it. */
GSubprocess *
pd_test_bus_start(const gchar *dir,
		  const gchar *type,
		  const gchar *policy,
		  gchar **address,
		  GDBusConnection **conn);
/* a child setup function: the child gets SIGKILL when the test dies */
void
pd_test_die_with_parent(gpointer user_data);

/* in @dir: ca.pem/ca.key, a server.pem/server.key it signs for 127.0.0.1
 * and localhost, and an unrelated other.pem; FALSE (and why on stderr)
 * when openssl fails */
gboolean
pd_test_make_pki(const gchar *dir);

G_END_DECLS
