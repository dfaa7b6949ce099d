/*
 * polld - main(): options, config, signals
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "Pd"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pd-coordination.h"
#include "pd-dbus-service.h"
#include "pd-engine.h"
#include "pd-heartbeat.h"
#include "pd-log.h"
#include "pd-malloc.h"
#include "pd-notifier-sink.h"
#include "pd-plugin-loader.h"
#include "pd-prom-self.h"
#include "pd-prom-sink.h"
#include "pd-sanitizer.h"
#include "pd-sd-notify.h"
#include "pd-start-report.h"
#include "pd-stdout-publisher.h"
#ifdef HAVE_AMQP
#include "pd-amqp-publisher.h"
#endif

typedef struct {
	GMainLoop *loop;
	PdEngine *engine;
	PdDbusService *service; /* NULL without a bus */
	PdCoordination *coordination;
	PdSdNotify *notify;
	gint exit_code;
	gboolean stopping;
	guint stop_pending; /* the engine, the coordination */
	PdSink *notifier;
	PdPromSelf *self_metrics; /* freed by main() before the engine */
	/* --once: what its cycles did */
	guint once_tasks;
	guint64 once_samples;
	guint64 once_errors;
	gint64 once_start_us;
} PdMain;

/* polld --once exit codes, documented in polld(8) */
enum {
	PD_EXIT_OK = 0,
	PD_EXIT_CONFIG = 1,
	PD_EXIT_USAGE = 2,
	PD_EXIT_SOME_FAILED = 3,
	PD_EXIT_NOTHING_POLLED = 4,
	PD_EXIT_PUBLISH_FAILED = 5,
};

/* oslo.config/oslo.log flags become [DEFAULT] key = value overrides of
 * the files (origin "command line") */
typedef struct {
	const gchar *flag; /* without the leading dashes */
	const gchar *key;
	const gchar *value; /* NULL: the flag's argument */
} PdMainFlag;

static const PdMainFlag pd_main_flags[] = {
	{ "debug", "debug", "true" },
	{ "d", "debug", "true" },
	{ "nodebug", "debug", "false" },
	{ "use-syslog", "use_syslog", "true" },
	{ "nouse-syslog", "use_syslog", "false" },
	{ "use-journal", "use_journal", "true" },
	{ "nouse-journal", "use_journal", "false" },
	{ "use-json", "use_json", "true" },
	{ "nouse-json", "use_json", "false" },
	{ "watch-log-file", "watch_log_file", "true" },
	{ "nowatch-log-file", "watch_log_file", "false" },
	{ "log-file", "log_file", NULL },
	{ "logfile", "log_file", NULL },
	{ "log-dir", "log_dir", NULL },
	{ "logdir", "log_dir", NULL },
	{ "log-date-format", "log_date_format", NULL },
	{ "syslog-log-facility", "syslog_log_facility", NULL },
	{ "log-config-append", "log_config_append", NULL },
	{ "log-config", "log_config_append", NULL },
	{ "log_config", "log_config_append", NULL },
};

/* the flags seen, in order: key, value, key, value... */
static GPtrArray *pd_main_overrides;

static gboolean
pd_main_flag_cb(const gchar *name, const gchar *value, gpointer data, GError **error)
{
	const gchar *bare = name + strspn(name, "-");

	for (guint i = 0; i < G_N_ELEMENTS(pd_main_flags); i++) {
		if (g_strcmp0(pd_main_flags[i].flag, bare) != 0)
			continue;
		g_ptr_array_add(pd_main_overrides, g_strdup(pd_main_flags[i].key));
		g_ptr_array_add(
		  pd_main_overrides,
		  g_strdup(pd_main_flags[i].value != NULL ? pd_main_flags[i].value : value));
		return TRUE;
	}
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "unknown %s", name);
	return FALSE;
}

static void
pd_main_stop_done(gpointer user_data)
{
	PdMain *m = user_data;

	if (--m->stop_pending == 0)
		g_main_loop_quit(m->loop);
}

static void
pd_main_stopped_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdMain *m = user_data;
	g_autoptr(GError) error = NULL;

	if (!pd_engine_stop_finish(PD_ENGINE(source), res, &error)) {
		g_warning("stopping: %s", error->message);
		m->exit_code = 1;
	}
	pd_main_stop_done(m);
}

static void
pd_main_stop(PdMain *m)
{
	if (m->stopping)
		return;
	m->stopping = TRUE;
	m->stop_pending = 2;
	pd_coordination_stop(m->coordination, G_CALLBACK(pd_main_stop_done), m);
	if (m->service != NULL)
		pd_dbus_service_set_stopping(m->service);
	pd_sd_notify_stopping(m->notify);
	pd_engine_stop_async(m->engine, pd_main_stopped_cb, m);
}

static gboolean
pd_main_sigterm_cb(gpointer user_data)
{
	PdMain *m = user_data;
	g_message("stopping: publishing the running cycle first");
	pd_main_stop(m);
	return G_SOURCE_CONTINUE;
}

static gboolean
pd_main_sighup_cb(gpointer user_data)
{
	PdMain *m = user_data;
	g_autoptr(GError) error = NULL;

	pd_log_reopen();
	/* what it could not apply is logged by the engine */
	if (!pd_engine_reload(m->engine, &error))
		g_warning("reload refused, the running configuration stays: %s", error->message);
	return G_SOURCE_CONTINUE;
}

static void
pd_main_once_cycle_cb(PdEngine *engine,
		      const gchar *task,
		      guint64 duration_us,
		      guint samples,
		      guint errors,
		      gpointer user_data)
{
	PdMain *m = user_data;

	m->once_tasks++;
	m->once_samples += samples;
	m->once_errors += errors;
}

/* --once: the exit status says what happened, one line on stderr too */
static void
pd_main_once_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdMain *m = user_data;
	g_autoptr(GError) error = NULL;
	PdSinkCounters counters = { 0 };
	const gchar *verdict = "ok";
	gboolean plugins_failed = pd_engine_get_exit_errors(m->engine) > 0;

	if (!pd_engine_poll_now_finish(PD_ENGINE(source), res, &error)) {
		g_warning("%s", error->message);
		m->exit_code = PD_EXIT_PUBLISH_FAILED;
		verdict = "publishing failed";
	} else if (plugins_failed || m->once_samples == 0) {
		m->exit_code = PD_EXIT_NOTHING_POLLED;
		verdict = plugins_failed ? "every plugin failed to start" : "nothing polled";
	} else if (m->once_errors > 0) {
		m->exit_code = PD_EXIT_SOME_FAILED;
		verdict = "some pollsters failed";
	}
	pd_sink_get_counters(m->notifier, &counters);
	g_printerr("polld: once: %s: %u tasks, %" G_GUINT64_FORMAT
		   " samples polled, %" G_GUINT64_FORMAT " published, %" G_GUINT64_FORMAT
		   " pollster errors, %.1f s (exit %d)\n",
		   verdict,
		   m->once_tasks,
		   m->once_samples,
		   counters.delivered,
		   m->once_errors,
		   (gdouble)(g_get_monotonic_time() - m->once_start_us) / G_USEC_PER_SEC,
		   m->exit_code);
	pd_main_stop(m);
}

/* with partitioning the first cycle waits for the first join attempt, so
 * it already polls a share */
static void
pd_main_coordinated(gpointer user_data)
{
	PdMain *m = user_data;

	if (!m->stopping)
		pd_engine_start(m->engine);
}

static void
pd_main_started(PdMain *m)
{
	pd_coordination_start(m->coordination, G_CALLBACK(pd_main_coordinated), m);
	if (m->service != NULL)
		pd_dbus_service_set_running(m->service);
	pd_sd_notify_ready(m->notify, m->engine);
}

static void
pd_main_owned_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdMain *m = user_data;
	g_autoptr(GError) error = NULL;

	if (!pd_dbus_service_own_finish(PD_DBUS_SERVICE(source), res, &error)) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		g_printerr("polld: %s\n", error->message);
		m->exit_code = 1;
		pd_main_stop(m);
		return;
	}
	pd_main_started(m);
}

static void
pd_main_name_lost_cb(PdDbusService *service, gpointer user_data)
{
	PdMain *m = user_data;
	m->exit_code = 1;
	pd_main_stop(m);
}

/* with a bus the scheduler starts once the name is ours: a second instance
 * exits without polling */
static void
pd_main_run(PdMain *m, gboolean once, gboolean use_bus, gboolean session)
{
	if (once) {
		m->once_start_us = g_get_monotonic_time();
		g_signal_connect(m->engine, "cycle-finished", G_CALLBACK(pd_main_once_cycle_cb), m);
		pd_engine_poll_now_async(m->engine, NULL, NULL, pd_main_once_cb, m);
		return;
	}
	if (!use_bus) {
		pd_main_started(m);
		return;
	}
	m->service = pd_dbus_service_new(m->engine);
	pd_dbus_service_set_log_backend(m->service, pd_log_get_control_backend());
	pd_dbus_service_set_coordination(m->service, m->coordination);
	g_signal_connect(m->service, "name-lost", G_CALLBACK(pd_main_name_lost_cb), m);
	pd_dbus_service_own_async(
	  m->service, session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, pd_main_owned_cb, m);
}

/* Ceilometer's CLI takes "--polling-namespaces compute central": fold the
 * words after such an option into one comma separated value for GOption */
static gchar **
pd_main_fold_lists(gint argc, gchar **argv)
{
	g_autoptr(GStrvBuilder) out = g_strv_builder_new();

	for (gint i = 0; i < argc; i++) {
		g_autoptr(GString) value = NULL;
		if (g_strcmp0(argv[i], "--polling-namespaces") != 0 &&
		    g_strcmp0(argv[i], "--pollster-list") != 0) {
			g_strv_builder_add(out, argv[i]);
			continue;
		}
		g_strv_builder_add(out, argv[i]);
		value = g_string_new(NULL);
		while (i + 1 < argc && argv[i + 1][0] != '-') {
			if (value->len > 0)
				g_string_append_c(value, ',');
			g_string_append(value, argv[++i]);
		}
		g_strv_builder_add(out, value->str);
	}
	return g_strv_builder_end(out);
}

static PdPublisher *
pd_main_make_publisher(PdConfig *config, gboolean dry_run, GError **error)
{
	const gchar *url = pd_config_get_string(config, NULL, "transport_url", NULL);
	if (dry_run || url == NULL || url[0] == '\0')
		return pd_stdout_publisher_new(STDOUT_FILENO);
#ifdef HAVE_AMQP
	return pd_amqp_publisher_new();
#else
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_NOT_SUPPORTED,
		    "%s: transport_url is set but this build has no AMQP publisher; use --dry-run",
		    pd_config_get_origin(config, NULL, "transport_url"));
	return NULL;
#endif
}

#define PD_FLAG(name, short_name, help)                                                            \
	{                                                                                          \
		name, short_name, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, pd_main_flag_cb,    \
		  help, NULL                                                                       \
	}
#define PD_FLAG_ARG(name, help, arg)                                                               \
	{                                                                                          \
		name, 0, 0, G_OPTION_ARG_CALLBACK, pd_main_flag_cb, help, arg                      \
	}
#define PD_FLAG_HIDDEN(name)                                                                       \
	{                                                                                          \
		name, 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, pd_main_flag_cb, NULL, NULL  \
	}

/* oslo.log's flags, as ceilometer-polling --help lists them */
static const GOptionEntry pd_main_log_options[] = {
	PD_FLAG("debug", 'd', N_("Log debug messages")),
	PD_FLAG("nodebug", 0, N_("The inverse of --debug")),
	PD_FLAG_ARG("log-file",
		    N_("Log to this file (appended to, reopened after rotation)"),
		    N_("PATH")),
	PD_FLAG_ARG("log-dir", N_("Base directory of a relative --log-file"), N_("DIR")),
	PD_FLAG_ARG("log-date-format", N_("strftime format of the log timestamps"), N_("FORMAT")),
	PD_FLAG("use-syslog", 0, N_("Log to syslog")),
	PD_FLAG("nouse-syslog", 0, N_("The inverse of --use-syslog")),
	PD_FLAG_ARG("syslog-log-facility",
		    N_("Syslog facility (default LOG_USER)"),
		    N_("FACILITY")),
	PD_FLAG("use-journal", 0, N_("Log to the systemd journal, with structured fields")),
	PD_FLAG("nouse-journal", 0, N_("The inverse of --use-journal")),
	PD_FLAG("watch-log-file", 0, N_("Reopen the log file when it is moved (always done)")),
	PD_FLAG("nowatch-log-file", 0, N_("The inverse of --watch-log-file")),
	PD_FLAG("use-json", 0, N_("Not supported by polld yet (warned about)")),
	PD_FLAG("nouse-json", 0, N_("The inverse of --use-json")),
	PD_FLAG_ARG("log-config-append",
		    N_("Refused: polld cannot read Python logging configuration files"),
		    N_("PATH")),
	PD_FLAG_HIDDEN("logfile"),
	PD_FLAG_HIDDEN("logdir"),
	PD_FLAG_HIDDEN("log-config"),
	PD_FLAG_HIDDEN("log_config"),
	{ NULL }
};

typedef struct {
	gboolean once;
	gboolean dry_run;
	gboolean verbose;
	gboolean version;
	gboolean session;
	gchar **config_files;
	gchar **config_dirs;
	gchar **namespaces;
	gchar **pollster_list;
	gchar *plugin_dir;
} PdMainArgs;

static void
pd_main_args_clear(PdMainArgs *a)
{
	g_strfreev(a->config_files);
	g_strfreev(a->config_dirs);
	g_strfreev(a->namespaces);
	g_strfreev(a->pollster_list);
	g_free(a->plugin_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PdMainArgs, pd_main_args_clear)

static gboolean
pd_main_parse_args(PdMainArgs *a, gint argc, gchar **argv, GError **error)
{
	g_auto(GStrv) args = pd_main_fold_lists(argc, argv);
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	const GOptionEntry options[] = {
		{ "config-file",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME_ARRAY,
		  &a->config_files,
		  N_("Configuration file (may repeat; later files win)"),
		  N_("FILE") },
		{ "config-dir",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME_ARRAY,
		  &a->config_dirs,
		  N_("Read every *.conf file of this directory"),
		  N_("DIR") },
		{ "polling-namespaces",
		  0,
		  0,
		  G_OPTION_ARG_STRING_ARRAY,
		  &a->namespaces,
		  N_("Namespaces whose pollsters load (default: compute central)"),
		  N_("NS") },
		{ "pollster-list",
		  0,
		  0,
		  G_OPTION_ARG_STRING_ARRAY,
		  &a->pollster_list,
		  N_("Load only pollsters matching these glob patterns"),
		  N_("GLOB") },
		{ "plugin-dir",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME,
		  &a->plugin_dir,
		  N_("Load plugins from these directories only (colon separated list)"),
		  N_("DIR") },
		{ "once",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &a->once,
		  N_("Run every polling task once, publish, and exit (exit status: polld(8))"),
		  NULL },
		{ "dry-run",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &a->dry_run,
		  N_("Print messages on stdout instead of publishing them"),
		  NULL },
		{ "session",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &a->session,
		  N_("Serve org.polld.Agent1 on the session bus instead of the system bus"),
		  NULL },
		{ "verbose",
		  'v',
		  0,
		  G_OPTION_ARG_NONE,
		  &a->verbose,
		  N_("Log informational messages"),
		  NULL },
		{ "version",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &a->version,
		  N_("Print the version and exit"),
		  NULL },
		{ NULL }
	};

	g_option_context_set_summary(context,
				     _("Polls resources (VMs, OpenStack services, this host) and "
				       "publishes Ceilometer samples."));
	g_option_context_add_main_entries(context, options, GETTEXT_PACKAGE);
	g_option_context_add_main_entries(context, pd_main_log_options, GETTEXT_PACKAGE);
	return g_option_context_parse_strv(context, &args, error);
}

/* logging as the (file and command line) options ask; a Python logging
 * file is refused with what to use instead */
static gboolean
pd_main_setup_logging(PdConfig *config, gboolean verbose, GError **error)
{
	if (pd_config_get_string(config, NULL, "log_config_append", NULL) != NULL) {
		g_set_error(error,
			    G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "%s: log_config_append = %s: polld cannot read Python logging "
			    "configuration files; use --log-file or --log-dir, --use-syslog or "
			    "--use-journal, --debug and [DEFAULT] default_log_levels instead",
			    pd_config_get_origin(config, NULL, "log_config_append"),
			    pd_config_get_string(config, NULL, "log_config_append", ""));
		return FALSE;
	}
	if (pd_config_get_bool(config, NULL, "debug", FALSE))
		pd_log_set_level(G_LOG_LEVEL_DEBUG);
	else if (verbose || pd_config_get_bool(config, NULL, "verbose", FALSE))
		pd_log_set_level(G_LOG_LEVEL_INFO);
	return pd_log_configure(config, error);
}

/* the sinks every batch goes to: the notifier (publisher), the Prometheus
 * exporter and the heartbeat socket */
static gboolean
pd_main_add_sinks(PdMain *m, PdSettings *settings, gboolean dry_run, GError **error)
{
	PdConfig *config = pd_settings_get_config(settings);
	g_autoptr(PdPublisher) publisher = pd_main_make_publisher(config, dry_run, error);
	g_autoptr(PdSink) notifier = NULL;
	g_autoptr(PdSink) prometheus = NULL;
	g_autoptr(PdSink) heartbeat = NULL;
	g_auto(GStrv) namespaces = NULL;

	if (publisher == NULL)
		return FALSE;
	notifier = pd_notifier_sink_new(publisher);
	m->self_metrics = pd_prom_self_new(m->engine);
	prometheus = pd_prom_sink_new(pd_prom_self_collect, m->self_metrics);
	namespaces = pd_settings_dup_namespaces(settings, config);
	heartbeat = pd_heartbeat_new((const gchar *const *)namespaces);
	if (!pd_engine_add_sink(m->engine, notifier, error) ||
	    !pd_engine_add_sink(m->engine, prometheus, error) ||
	    !pd_engine_add_sink(m->engine, heartbeat, error))
		return FALSE;
	m->notifier = notifier; /* the engine holds it */
	m->coordination = pd_coordination_new(config, error);
	if (m->coordination == NULL)
		return FALSE;
	pd_prom_self_set_coordination(m->self_metrics, m->coordination);
	return TRUE;
}

/* the engine with its plugins, sinks and tasks; m->engine and
 * m->coordination are set (and owned by the caller) even on failure */
static gboolean
pd_main_setup(PdMain *m, PdSettings *settings, PdMainArgs *a, GError **error)
{
	g_auto(GStrv) plugin_dirs =
	  pd_plugin_loader_get_dirs(a->plugin_dir, g_getenv("POLLD_PLUGIN_DIR"), PD_PLUGINDIR);

	m->engine = pd_engine_new(settings);
	pd_engine_set_plugin_dirs(m->engine, plugin_dirs);
	if (!pd_engine_load_plugins(m->engine, error) ||
	    !pd_main_add_sinks(m, settings, a->dry_run, error) ||
	    !pd_engine_setup(m->engine, error))
		return FALSE;
	if (a->once && pd_coordination_is_enabled(m->coordination))
		g_message(
		  "--once polls everything: workload partitioning is for the running agent");
	else
		pd_coordination_attach(m->coordination, m->engine);
	return TRUE;
}

/* the one config object: the files, and the command line over them */
static PdSettings *
pd_main_load_settings(PdMainArgs *a, GError **error)
{
	g_autoptr(PdSettings) settings =
	  pd_settings_new(a->config_files, a->config_dirs, a->namespaces, a->pollster_list);

	for (guint i = 0; i + 1 < pd_main_overrides->len; i += 2)
		pd_settings_add_override(settings,
					 g_ptr_array_index(pd_main_overrides, i),
					 g_ptr_array_index(pd_main_overrides, i + 1));
	if (!pd_settings_load(settings, error))
		return NULL;
	return g_steal_pointer(&settings);
}

static gint
pd_main_fail(GError *error, gint code)
{
	/* with a log file the operator looks there first */
	if (pd_log_get_file() != NULL)
		g_warning("%s", error->message);
	g_printerr("polld: %s\n", error->message);
	return code;
}

/* --once, the engine and its sinks stopped and the messages gone: what is
 * still allocated (every domain's libvirt handle and snapshot, the plugins)
 * goes with the process instead of being freed one by one (26 M
 * instructions at N=1000, 4 % of the run, libvirt formatting a UUID for
 * each handle's debug line; bench/README.md) */
static void
pd_main_once_exit(gint code)
{
	if (PD_FREE_AT_EXIT)
		return;
	fflush(NULL);
	_exit(code);
}

int
main(int argc, char *argv[])
{
	g_auto(PdMainArgs) a = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSettings) settings = NULL;
	g_autoptr(PdEngine) engine = NULL;
	g_autoptr(PdPromSelf) self_metrics = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	g_autoptr(PdSdNotify) notify = NULL;
	g_autoptr(PdDbusService) service = NULL;
	g_autoptr(PdCoordination) coordination = NULL;
	g_autoptr(GPtrArray) overrides = g_ptr_array_new_with_free_func(g_free);
	gboolean ok;
	PdMain m = { 0 };

	pd_malloc_setup();
	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	pd_log_install();

	pd_main_overrides = overrides;
	if (!pd_main_parse_args(&a, argc, argv, &error)) {
		g_printerr("%s: %s\n", g_get_prgname(), error->message);
		return PD_EXIT_USAGE;
	}
	if (a.version) {
		g_print("polld %s\n", PACKAGE_VERSION);
		return PD_EXIT_OK;
	}

	/* before any thread starts: it unsets the NOTIFY_SOCKET environment */
	notify = pd_sd_notify_new();
	m.notify = notify;
	settings = pd_main_load_settings(&a, &error);
	if (settings == NULL)
		return pd_main_fail(error, PD_EXIT_CONFIG);
	if (!pd_main_setup_logging(pd_settings_get_config(settings), a.verbose, &error))
		return pd_main_fail(error,
				    g_error_matches(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE)
				      ? PD_EXIT_USAGE
				      : PD_EXIT_CONFIG);
	ok = pd_main_setup(&m, settings, &a, &error);
	engine = m.engine;
	self_metrics = m.self_metrics;
	coordination = m.coordination;
	if (!ok)
		return pd_main_fail(error, PD_EXIT_CONFIG);
	pd_start_report_log(engine, a.dry_run);

	loop = g_main_loop_new(NULL, FALSE);
	m.loop = loop;
	/* a peer closing a socket (libvirtd, the broker) must not kill us */
	signal(SIGPIPE, SIG_IGN);
	g_unix_signal_add(SIGTERM, pd_main_sigterm_cb, &m);
	g_unix_signal_add(SIGINT, pd_main_sigterm_cb, &m);
	g_unix_signal_add(SIGHUP, pd_main_sighup_cb, &m);
	/* --dry-run alone is a local run; with --session it serves that bus */
	pd_main_run(&m, a.once, !a.once && (!a.dry_run || a.session), a.session);
	service = m.service;
	g_main_loop_run(loop);
	if (a.once)
		pd_main_once_exit(m.exit_code);
	return m.exit_code;
}
