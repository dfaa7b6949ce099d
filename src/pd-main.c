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
#include <unistd.h>

#include "pd-coordination.h"
#include "pd-dbus-service.h"
#include "pd-engine.h"
#include "pd-heartbeat.h"
#include "pd-notifier-sink.h"
#include "pd-plugin-loader.h"
#include "pd-prom-self.h"
#include "pd-prom-sink.h"
#include "pd-sd-notify.h"
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
} PdMain;

static gint pd_log_level = G_LOG_LEVEL_MESSAGE;
/* LogControl1's LogTarget: "auto" (the journal when stderr is connected to
 * it), "console" (stderr), "journal" or "null" */
static const gchar *pd_log_target = "auto";

/* everything to stderr (or the journal): stdout carries samples */
static GLogWriterOutput
pd_main_log_writer(GLogLevelFlags level,
		   const GLogField *fields,
		   gsize n_fields,
		   gpointer user_data)
{
	g_autofree gchar *line = NULL;
	gboolean journal =
	  g_str_equal(pd_log_target, "journal") ||
	  (g_str_equal(pd_log_target, "auto") && g_log_writer_is_journald(fileno(stderr)));

	if ((level & G_LOG_LEVEL_MASK) > (GLogLevelFlags)pd_log_level &&
	    !((level & G_LOG_LEVEL_DEBUG) && g_getenv("G_MESSAGES_DEBUG") != NULL))
		return G_LOG_WRITER_HANDLED;
	if (g_str_equal(pd_log_target, "null"))
		return G_LOG_WRITER_HANDLED;
	if (journal &&
	    g_log_writer_journald(level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	line = g_log_writer_format_fields(level, fields, n_fields, isatty(fileno(stderr)));
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
	return G_LOG_WRITER_HANDLED;
}

/* --- org.freedesktop.LogControl1: syslog level names, mapped as the
 * journal maps GLib's levels (ERROR "crit", CRITICAL "err"...) --- */

static const struct {
	const gchar *name;
	GLogLevelFlags level;
} pd_log_levels[] = {
	{ "emerg", G_LOG_LEVEL_ERROR },	    { "alert", G_LOG_LEVEL_ERROR },
	{ "crit", G_LOG_LEVEL_ERROR },	    { "err", G_LOG_LEVEL_CRITICAL },
	{ "warning", G_LOG_LEVEL_WARNING }, { "notice", G_LOG_LEVEL_MESSAGE },
	{ "info", G_LOG_LEVEL_INFO },	    { "debug", G_LOG_LEVEL_DEBUG },
};

static const gchar *
pd_main_get_log_level(void)
{
	for (guint i = G_N_ELEMENTS(pd_log_levels); i-- > 0;) {
		if (pd_log_levels[i].level == (GLogLevelFlags)pd_log_level)
			return pd_log_levels[i].name;
	}
	return "notice";
}

static gboolean
pd_main_set_log_level(const gchar *name, GError **error)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_log_levels); i++) {
		if (g_str_equal(pd_log_levels[i].name, name)) {
			pd_log_level = pd_log_levels[i].level;
			return TRUE;
		}
	}
	g_set_error(
	  error,
	  G_IO_ERROR,
	  G_IO_ERROR_INVALID_ARGUMENT,
	  "'%s' is not a log level (emerg, alert, crit, err, warning, notice, info, debug)",
	  name);
	return FALSE;
}

static const gchar *
pd_main_get_log_target(void)
{
	return pd_log_target;
}

static gboolean
pd_main_set_log_target(const gchar *name, GError **error)
{
	static const gchar *const targets[] = { "auto", "console", "journal", "null", NULL };

	for (guint i = 0; targets[i] != NULL; i++) {
		if (g_str_equal(targets[i], name)) {
			pd_log_target = targets[i];
			return TRUE;
		}
	}
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_INVALID_ARGUMENT,
		    "log target '%s' is not supported (auto, console, journal, null)",
		    name);
	return FALSE;
}

static const gchar *
pd_main_get_syslog_identifier(void)
{
	return "polld";
}

static const PdLogControlBackend pd_main_log_backend = {
	pd_main_get_log_level,	pd_main_set_log_level,	       pd_main_get_log_target,
	pd_main_set_log_target, pd_main_get_syslog_identifier,
};

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

	/* what it could not apply is logged by the engine */
	if (!pd_engine_reload(m->engine, &error))
		g_warning("reload refused, the running configuration stays: %s", error->message);
	return G_SOURCE_CONTINUE;
}

static void
pd_main_once_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdMain *m = user_data;
	g_autoptr(GError) error = NULL;

	if (!pd_engine_poll_now_finish(PD_ENGINE(source), res, &error)) {
		g_warning("%s", error->message);
		m->exit_code = 1;
	}
	if (pd_engine_get_exit_errors(m->engine) > 0) {
		g_warning("every plugin failed to start");
		m->exit_code = 1;
	}
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
		pd_engine_poll_now_async(m->engine, NULL, NULL, pd_main_once_cb, m);
		return;
	}
	if (!use_bus) {
		pd_main_started(m);
		return;
	}
	m->service = pd_dbus_service_new(m->engine);
	pd_dbus_service_set_log_backend(m->service, &pd_main_log_backend);
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

int
main(int argc, char *argv[])
{
	gboolean once = FALSE;
	gboolean dry_run = FALSE;
	gboolean verbose = FALSE;
	gboolean debug = FALSE;
	gboolean version = FALSE;
	gboolean session = FALSE;
	g_auto(GStrv) config_files = NULL;
	g_auto(GStrv) config_dirs = NULL;
	g_auto(GStrv) namespaces_cli = NULL;
	g_auto(GStrv) pollster_list_cli = NULL;
	g_autofree gchar *plugin_dir = NULL;
	g_auto(GStrv) args = NULL;
	g_auto(GStrv) plugin_dirs = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(PdSettings) settings = NULL;
	PdConfig *config;
	g_autoptr(PdEngine) engine = NULL;
	g_autoptr(PdPublisher) publisher = NULL;
	g_autoptr(PdSink) notifier = NULL;
	g_autoptr(PdSink) prometheus = NULL;
	g_autoptr(PdSink) heartbeat = NULL;
	g_autoptr(PdPromSelf) self_metrics = NULL;
	g_auto(GStrv) namespaces = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	g_autoptr(PdSdNotify) notify = NULL;
	g_autoptr(PdDbusService) service = NULL;
	g_autoptr(PdCoordination) coordination = NULL;
	PdMain m = { 0 };
	const GOptionEntry options[] = {
		{ "config-file",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME_ARRAY,
		  &config_files,
		  N_("Configuration file (may repeat; later files win)"),
		  N_("FILE") },
		{ "config-dir",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME_ARRAY,
		  &config_dirs,
		  N_("Read every *.conf file of this directory"),
		  N_("DIR") },
		{ "polling-namespaces",
		  0,
		  0,
		  G_OPTION_ARG_STRING_ARRAY,
		  &namespaces_cli,
		  N_("Namespaces whose pollsters load (default: compute central)"),
		  N_("NS") },
		{ "pollster-list",
		  0,
		  0,
		  G_OPTION_ARG_STRING_ARRAY,
		  &pollster_list_cli,
		  N_("Load only pollsters matching these glob patterns"),
		  N_("GLOB") },
		{ "plugin-dir",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME,
		  &plugin_dir,
		  N_("Load plugins from these directories only (colon separated list)"),
		  N_("DIR") },
		{ "once",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &once,
		  N_("Run every polling task once, publish, and exit"),
		  NULL },
		{ "dry-run",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &dry_run,
		  N_("Print messages on stdout instead of publishing them"),
		  NULL },
		{ "session",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &session,
		  N_("Serve org.polld.Agent1 on the session bus instead of the system bus"),
		  NULL },
		{ "verbose",
		  'v',
		  0,
		  G_OPTION_ARG_NONE,
		  &verbose,
		  N_("Log informational messages"),
		  NULL },
		{ "debug", 0, 0, G_OPTION_ARG_NONE, &debug, N_("Log debug messages"), NULL },
		{ "version",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &version,
		  N_("Print the version and exit"),
		  NULL },
		{ NULL }
	};

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	g_log_set_writer_func(pd_main_log_writer, NULL, NULL);

	args = pd_main_fold_lists(argc, argv);
	context = g_option_context_new(NULL);
	g_option_context_set_summary(context,
				     _("Polls resources (VMs, OpenStack services, this host) and "
				       "publishes Ceilometer samples."));
	g_option_context_add_main_entries(context, options, GETTEXT_PACKAGE);
	if (!g_option_context_parse_strv(context, &args, &error)) {
		g_printerr("%s: %s\n", g_get_prgname(), error->message);
		return 2;
	}
	if (version) {
		g_print("polld %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (verbose)
		pd_log_level = G_LOG_LEVEL_INFO;
	if (debug)
		pd_log_level = G_LOG_LEVEL_DEBUG;

	/* before any thread starts: it unsets the NOTIFY_SOCKET environment */
	notify = pd_sd_notify_new();
	m.notify = notify;
	/* the one config object: the files, and the options that override them */
	settings = pd_settings_new(config_files, config_dirs, namespaces_cli, pollster_list_cli);
	if (!pd_settings_load(settings, &error)) {
		g_printerr("polld: %s\n", error->message);
		return 1;
	}
	config = pd_settings_get_config(settings);
	if (pd_config_get_bool(config, NULL, "debug", FALSE))
		pd_log_level = G_LOG_LEVEL_DEBUG;
	plugin_dirs =
	  pd_plugin_loader_get_dirs(plugin_dir, g_getenv("POLLD_PLUGIN_DIR"), PD_PLUGINDIR);

	engine = pd_engine_new(settings);
	pd_engine_set_plugin_dirs(engine, plugin_dirs);
	if (!pd_engine_load_plugins(engine, &error)) {
		g_printerr("polld: %s\n", error->message);
		return 1;
	}
	publisher = pd_main_make_publisher(config, dry_run, &error);
	if (publisher == NULL) {
		g_printerr("polld: %s\n", error->message);
		return 1;
	}
	notifier = pd_notifier_sink_new(publisher);
	self_metrics = pd_prom_self_new(engine);
	prometheus = pd_prom_sink_new(pd_prom_self_collect, self_metrics);
	namespaces = pd_settings_dup_namespaces(settings, config);
	heartbeat = pd_heartbeat_new((const gchar *const *)namespaces);
	if (!pd_engine_add_sink(engine, notifier, &error) ||
	    !pd_engine_add_sink(engine, prometheus, &error) ||
	    !pd_engine_add_sink(engine, heartbeat, &error)) {
		g_printerr("polld: %s\n", error->message);
		return 1;
	}
	coordination = pd_coordination_new(config, &error);
	if (coordination == NULL) {
		g_printerr("polld: %s\n", error->message);
		return 1;
	}
	pd_prom_self_set_coordination(self_metrics, coordination);
	if (!pd_engine_setup(engine, &error)) {
		g_printerr("polld: %s\n", error->message);
		return 1;
	}
	if (once && pd_coordination_is_enabled(coordination))
		g_message(
		  "--once polls everything: workload partitioning is for the running agent");
	else
		pd_coordination_attach(coordination, engine);
	m.coordination = coordination;

	loop = g_main_loop_new(NULL, FALSE);
	m.loop = loop;
	m.engine = engine;
	/* a peer closing a socket (libvirtd, the broker) must not kill us */
	signal(SIGPIPE, SIG_IGN);
	g_unix_signal_add(SIGTERM, pd_main_sigterm_cb, &m);
	g_unix_signal_add(SIGINT, pd_main_sigterm_cb, &m);
	g_unix_signal_add(SIGHUP, pd_main_sighup_cb, &m);
	pd_main_run(&m, once, !once && !dry_run, session);
	service = m.service;
	g_main_loop_run(loop);
	return m.exit_code;
}
