/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdLog"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "pd-error.h"
#include "pd-log-control.h"
#include "pd-log.h"

/*
 * Lines look like oslo.log's default format, so the tools that read
 * ceilometer-polling's log read polld's:
 *   2026-12-05 10:34:52.123 4711 WARNING polld.PdEngine [-] message
 * The log file is opened for appending, never truncated, and checked by
 * inode before each line: after logrotate moved it, the next line goes to a
 * fresh file at the configured path, as oslo's watch_log_file does.
 * LogControl1 (systemctl service-log-level/-log-target) changes the level
 * and the target of the running daemon: "auto" is what the options say.
 */

typedef struct {
	GMutex lock;
	GLogLevelFlags level;
	GHashTable *domain_levels; /* G_LOG_DOMAIN -> level, from default_log_levels */
	gchar *date_format;
	gchar *path;
	gint fd;
	dev_t dev;
	ino_t ino;
	gboolean to_stderr;
	gboolean stderr_is_journal;
	gboolean to_journal;
	gboolean to_syslog;
	const gchar *target; /* LogControl1's: auto, console, journal, null */
} PdLog;

static PdLog pd_log = { .level = G_LOG_LEVEL_MESSAGE,
			.fd = -1,
			.to_stderr = TRUE,
			.target = "auto" };

static const gchar *
pd_log_level_name(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return "CRITICAL";
	if (level & G_LOG_LEVEL_CRITICAL)
		return "ERROR";
	if (level & G_LOG_LEVEL_WARNING)
		return "WARNING";
	if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return "INFO";
	return "DEBUG";
}

static gint
pd_log_syslog_priority(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return LOG_CRIT;
	if (level & G_LOG_LEVEL_CRITICAL)
		return LOG_ERR;
	if (level & G_LOG_LEVEL_WARNING)
		return LOG_WARNING;
	if (level & G_LOG_LEVEL_MESSAGE)
		return LOG_NOTICE;
	if (level & G_LOG_LEVEL_INFO)
		return LOG_INFO;
	return LOG_DEBUG;
}

static gboolean
pd_log_wanted(GLogLevelFlags level, const gchar *domain)
{
	gpointer threshold = NULL;
	GLogLevelFlags limit = pd_log.level;

	level &= G_LOG_LEVEL_MASK;
	if (domain != NULL && pd_log.domain_levels != NULL &&
	    g_hash_table_lookup_extended(pd_log.domain_levels, domain, NULL, &threshold))
		limit = GPOINTER_TO_UINT(threshold);
	if (level <= limit)
		return TRUE;
	/* G_MESSAGES_DEBUG keeps working for developers */
	return (level & G_LOG_LEVEL_DEBUG) && g_getenv("G_MESSAGES_DEBUG") != NULL;
}

static gchar *
pd_log_format_line(GLogLevelFlags level, const gchar *domain, const gchar *message)
{
	gint64 now = g_get_real_time();
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(now / G_USEC_PER_SEC);
	g_autofree gchar *date = NULL;

	date = dt != NULL
		 ? g_date_time_format(
		     dt, pd_log.date_format != NULL ? pd_log.date_format : "%Y-%m-%d %H:%M:%S")
		 : NULL;
	return g_strdup_printf("%s.%03d %d %s polld%s%s [-] %s\n",
			       date != NULL ? date : "?",
			       (gint)(now % G_USEC_PER_SEC / 1000),
			       (gint)getpid(),
			       pd_log_level_name(level),
			       domain != NULL ? "." : "",
			       domain != NULL ? domain : "",
			       message);
}

static gboolean
pd_log_open_file(GError **error)
{
	struct stat st;
	gint fd = g_open(pd_log.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0 || fstat(fd, &st) != 0) {
		gint saved = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(saved),
			    "log file %s: %s",
			    pd_log.path,
			    g_strerror(saved));
		return FALSE;
	}
	if (pd_log.fd >= 0)
		close(pd_log.fd);
	pd_log.fd = fd;
	pd_log.dev = st.st_dev;
	pd_log.ino = st.st_ino;
	return TRUE;
}

/* with the lock held: a file moved away or deleted is opened anew */
static void
pd_log_check_file(void)
{
	struct stat st;

	if (g_stat(pd_log.path, &st) == 0 && st.st_dev == pd_log.dev && st.st_ino == pd_log.ino)
		return;
	pd_log_open_file(NULL);
}

static void
pd_log_write_all(gint fd, const gchar *line)
{
	gsize len = strlen(line);

	while (len > 0) {
		gssize n = write(fd, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (gsize)n;
	}
}

static const gchar *
pd_log_field(const GLogField *fields, gsize n_fields, const gchar *name)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, name) == 0)
			return fields[i].length < 0 ? fields[i].value : NULL;
	}
	return NULL;
}

/* LogControl1's targets other than "auto" replace the configured ones */
static GLogWriterOutput
pd_log_write_target(GLogLevelFlags level,
		    const GLogField *fields,
		    gsize n_fields,
		    const gchar *line)
{
	if (g_str_equal(pd_log.target, "journal") &&
	    g_log_writer_journald(level, fields, n_fields, NULL) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	if (!g_str_equal(pd_log.target, "null"))
		pd_log_write_all(STDERR_FILENO, line);
	return G_LOG_WRITER_HANDLED;
}

static GLogWriterOutput
pd_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const gchar *domain = pd_log_field(fields, n_fields, "GLIB_DOMAIN");
	const gchar *message = pd_log_field(fields, n_fields, "MESSAGE");
	g_autofree gchar *line = NULL;

	if (!pd_log_wanted(level, domain))
		return G_LOG_WRITER_HANDLED;
	line = pd_log_format_line(level, domain, message != NULL ? message : "");
	if (!g_str_equal(pd_log.target, "auto"))
		return pd_log_write_target(level, fields, n_fields, line);
	/* the journal gets the structured fields (MESSAGE_ID, POLLD_TASK...) */
	if (pd_log.to_journal || (pd_log.to_stderr && pd_log.stderr_is_journal))
		g_log_writer_journald(level, fields, n_fields, user_data);
	if (pd_log.to_syslog)
		syslog(pd_log_syslog_priority(level),
		       "%s %s",
		       domain != NULL ? domain : "polld",
		       message != NULL ? message : "");
	g_mutex_lock(&pd_log.lock);
	if (pd_log.fd >= 0) {
		pd_log_check_file();
		pd_log_write_all(pd_log.fd, line);
	}
	g_mutex_unlock(&pd_log.lock);
	if (pd_log.to_stderr && !pd_log.stderr_is_journal)
		pd_log_write_all(STDERR_FILENO, line);
	return G_LOG_WRITER_HANDLED;
}

void
pd_log_install(void)
{
	pd_log.stderr_is_journal = g_log_writer_is_journald(fileno(stderr));
	g_log_set_writer_func(pd_log_writer, NULL, NULL);
}

void
pd_log_set_level(GLogLevelFlags level)
{
	pd_log.level = level;
}

static GLogLevelFlags
pd_log_parse_level(const gchar *name)
{
	if (g_ascii_strcasecmp(name, "DEBUG") == 0)
		return G_LOG_LEVEL_DEBUG;
	if (g_ascii_strcasecmp(name, "INFO") == 0)
		return G_LOG_LEVEL_MESSAGE;
	if (g_ascii_strncasecmp(name, "WARN", 4) == 0)
		return G_LOG_LEVEL_WARNING;
	if (g_ascii_strcasecmp(name, "ERROR") == 0)
		return G_LOG_LEVEL_CRITICAL;
	if (g_ascii_strcasecmp(name, "CRITICAL") == 0 || g_ascii_strcasecmp(name, "FATAL") == 0)
		return G_LOG_LEVEL_ERROR;
	return 0;
}

/* "logger=LEVEL" pairs: a logger named like one of polld's log domains
 * ("PdEngine", or "polld.PdEngine") sets that domain's level; Python logger
 * names (amqp, urllib3...) have no counterpart and are skipped */
static void
pd_log_set_domain_levels(gchar **pairs)
{
	g_clear_pointer(&pd_log.domain_levels, g_hash_table_unref);
	pd_log.domain_levels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; pairs != NULL && pairs[i] != NULL; i++) {
		const gchar *eq = strchr(pairs[i], '=');
		g_autofree gchar *name = NULL;
		GLogLevelFlags level;
		if (eq == NULL || (level = pd_log_parse_level(eq + 1)) == 0)
			continue;
		name = g_strndup(pairs[i], eq - pairs[i]);
		if (g_str_has_prefix(name, "polld."))
			memmove(name, name + 6, strlen(name + 6) + 1);
		if (g_str_has_prefix(name, "Pd"))
			g_hash_table_replace(
			  pd_log.domain_levels, g_steal_pointer(&name), GUINT_TO_POINTER(level));
	}
}

static gboolean
pd_log_open_syslog(PdConfig *config, GError **error)
{
	static const struct {
		const gchar *name;
		gint facility;
	} map[] = {
		{ "user", LOG_USER },	      { "daemon", LOG_DAEMON }, { "local0", LOG_LOCAL0 },
		{ "local1", LOG_LOCAL1 },     { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 },     { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 },     { "syslog", LOG_SYSLOG }, { "auth", LOG_AUTH },
		{ "authpriv", LOG_AUTHPRIV },
	};
	const gchar *name = pd_config_get_string(config, NULL, "syslog_log_facility", "LOG_USER");
	const gchar *bare = g_ascii_strncasecmp(name, "LOG_", 4) == 0 ? name + 4 : name;

	for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
		if (g_ascii_strcasecmp(bare, map[i].name) != 0)
			continue;
		openlog("polld", LOG_PID, map[i].facility);
		pd_log.to_syslog = TRUE;
		return TRUE;
	}
	g_set_error(error,
		    PD_ERROR,
		    PD_ERROR_INVALID_CONFIG,
		    "%s: [DEFAULT] syslog_log_facility = %s: not a syslog facility (LOG_USER, "
		    "LOG_DAEMON, LOG_LOCAL0 ... LOG_LOCAL7)",
		    pd_config_get_origin(config, NULL, "syslog_log_facility"),
		    name);
	return FALSE;
}

/* oslo's rule: log_dir + log_file, log_dir alone gives <program>.log */
static gchar *
pd_log_path(PdConfig *config)
{
	const gchar *file = pd_config_get_string(config, NULL, "log_file", NULL);
	const gchar *dir = pd_config_get_string(config, NULL, "log_dir", NULL);

	if (file != NULL && file[0] == '\0')
		file = NULL;
	if (dir != NULL && dir[0] == '\0')
		dir = NULL;
	if (file != NULL && dir != NULL && !g_path_is_absolute(file))
		return g_build_filename(dir, file, NULL);
	if (file != NULL)
		return g_strdup(file);
	if (dir != NULL)
		return g_build_filename(dir, "polld.log", NULL);
	return NULL;
}

gboolean
pd_log_configure(PdConfig *config, GError **error)
{
	g_autofree gchar *path = pd_log_path(config);
	g_auto(GStrv) levels = pd_config_get_list(config, NULL, "default_log_levels", NULL);
	const gchar *date_format = pd_config_get_string(config, NULL, "log_date_format", NULL);

	g_free(pd_log.date_format);
	pd_log.date_format = g_strdup(date_format);
	pd_log_set_domain_levels(levels);
	if (pd_config_get_bool(config, NULL, "use_syslog", FALSE) &&
	    !pd_log_open_syslog(config, error))
		return FALSE;
	pd_log.to_journal = pd_config_get_bool(config, NULL, "use_journal", FALSE);
	if (path != NULL) {
		g_mutex_lock(&pd_log.lock);
		g_free(pd_log.path);
		pd_log.path = g_steal_pointer(&path);
		if (!pd_log_open_file(error)) {
			g_clear_pointer(&pd_log.path, g_free);
			g_mutex_unlock(&pd_log.lock);
			return FALSE;
		}
		g_mutex_unlock(&pd_log.lock);
	}
	/* oslo: stderr only when nothing else is configured, or asked for */
	pd_log.to_stderr = pd_config_get_bool(config, NULL, "use_stderr", FALSE) ||
			   (pd_log.fd < 0 && !pd_log.to_syslog && !pd_log.to_journal);
	return TRUE;
}

void
pd_log_reopen(void)
{
	g_autoptr(GError) error = NULL;

	g_mutex_lock(&pd_log.lock);
	if (pd_log.path != NULL && !pd_log_open_file(&error)) {
		g_mutex_unlock(&pd_log.lock);
		g_warning("%s; logging to the old file", error->message);
		return;
	}
	g_mutex_unlock(&pd_log.lock);
}

const gchar *
pd_log_get_file(void)
{
	return pd_log.path;
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
pd_log_control_get_level(void)
{
	for (guint i = G_N_ELEMENTS(pd_log_levels); i-- > 0;) {
		if (pd_log_levels[i].level == pd_log.level)
			return pd_log_levels[i].name;
	}
	return "notice";
}

static gboolean
pd_log_control_set_level(const gchar *name, GError **error)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_log_levels); i++) {
		if (g_str_equal(pd_log_levels[i].name, name)) {
			pd_log.level = pd_log_levels[i].level;
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
pd_log_control_get_target(void)
{
	return pd_log.target;
}

static gboolean
pd_log_control_set_target(const gchar *name, GError **error)
{
	static const gchar *const targets[] = { "auto", "console", "journal", "null", NULL };

	for (guint i = 0; targets[i] != NULL; i++) {
		if (g_str_equal(targets[i], name)) {
			pd_log.target = targets[i];
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
pd_log_control_get_identifier(void)
{
	return "polld";
}

static const PdLogControlBackend pd_log_control_backend = {
	pd_log_control_get_level,  pd_log_control_set_level,	  pd_log_control_get_target,
	pd_log_control_set_target, pd_log_control_get_identifier,
};

const PdLogControlBackend *
pd_log_get_control_backend(void)
{
	return &pd_log_control_backend;
}
