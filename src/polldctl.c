/*
 * polldctl - inspect and control a running polld over D-Bus
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "polldctl"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <unistd.h>

#include "pd-dbus-error.h"

#define PD_CTL_NAME "org.polld.Agent1"
#define PD_CTL_PATH "/org/polld/Agent1"
#define PD_CTL_IFACE "org.polld.Agent1"

/* exit codes scripts can test (documented in polldctl(1)) */
typedef enum {
	PD_CTL_EXIT_OK = 0,
	PD_CTL_EXIT_FAILED = 1,
	PD_CTL_EXIT_USAGE = 2,
	PD_CTL_EXIT_NOT_RUNNING = 3,
	PD_CTL_EXIT_DENIED = 4,
	PD_CTL_EXIT_INVALID_CONFIG = 5,
	PD_CTL_EXIT_NOT_FOUND = 6,
} PdCtlExit;

typedef struct {
	GDBusConnection *bus;
	gboolean json;
	gboolean color;
	/* read-only commands never start polld through D-Bus activation */
	GDBusCallFlags flags;
} PdCtl;

/* --- calls and errors --- */

static PdCtlExit
pd_ctl_exit_for_error(const gchar *remote)
{
	static const struct {
		const gchar *name;
		PdCtlExit code;
	} map[] = {
		{ "org.freedesktop.DBus.Error.ServiceUnknown", PD_CTL_EXIT_NOT_RUNNING },
		{ "org.freedesktop.DBus.Error.NameHasNoOwner", PD_CTL_EXIT_NOT_RUNNING },
		{ "org.freedesktop.DBus.Error.UnknownObject", PD_CTL_EXIT_NOT_RUNNING },
		{ "org.freedesktop.DBus.Error.AccessDenied", PD_CTL_EXIT_DENIED },
		{ "org.polld.Agent1.Error.PermissionDenied", PD_CTL_EXIT_DENIED },
		{ "org.polld.Agent1.Error.NotRunning", PD_CTL_EXIT_NOT_RUNNING },
		{ "org.polld.Agent1.Error.InvalidConfig", PD_CTL_EXIT_INVALID_CONFIG },
		{ "org.polld.Agent1.Error.NotFound", PD_CTL_EXIT_NOT_FOUND },
	};
	for (guint i = 0; remote != NULL && i < G_N_ELEMENTS(map); i++) {
		if (g_strcmp0(remote, map[i].name) == 0)
			return map[i].code;
	}
	return PD_CTL_EXIT_FAILED;
}

static PdCtlExit
pd_ctl_report_error(GError *error)
{
	g_autofree gchar *remote = g_dbus_error_get_remote_error(error);
	PdCtlExit code = pd_ctl_exit_for_error(remote);

	g_dbus_error_strip_remote_error(error);
	switch (code) {
		case PD_CTL_EXIT_NOT_RUNNING:
			g_printerr(_("polld is not running on this bus (%s)\n"), error->message);
			break;
		case PD_CTL_EXIT_DENIED:
			g_printerr(_("Permission denied: %s\n"), error->message);
			g_printerr(_("Control commands are allowed to root only; try sudo.\n"));
			break;
		default:
			g_printerr("%s\n", error->message);
			break;
	}
	return code;
}

static GVariant *
pd_ctl_call(PdCtl *ctl,
	    const gchar *method,
	    GVariant *params,
	    const gchar *reply_type,
	    gint timeout_ms,
	    GError **error)
{
	return g_dbus_connection_call_sync(ctl->bus,
					   PD_CTL_NAME,
					   PD_CTL_PATH,
					   PD_CTL_IFACE,
					   method,
					   params,
					   G_VARIANT_TYPE(reply_type),
					   ctl->flags,
					   timeout_ms,
					   NULL,
					   error);
}

/* the single value of a reply tuple */
static GVariant *
pd_ctl_get(PdCtl *ctl, const gchar *method, const gchar *reply_type, GError **error)
{
	g_autoptr(GVariant) reply = pd_ctl_call(ctl, method, NULL, reply_type, -1, error);
	if (reply == NULL)
		return NULL;
	return g_variant_get_child_value(reply, 0);
}

static GVariant *
pd_ctl_get_properties(PdCtl *ctl, GError **error)
{
	g_autoptr(GVariant) reply = NULL;

	reply = g_dbus_connection_call_sync(ctl->bus,
					    PD_CTL_NAME,
					    PD_CTL_PATH,
					    "org.freedesktop.DBus.Properties",
					    "GetAll",
					    g_variant_new("(s)", PD_CTL_IFACE),
					    G_VARIANT_TYPE("(a{sv})"),
					    ctl->flags,
					    -1,
					    NULL,
					    error);
	if (reply == NULL)
		return NULL;
	return g_variant_get_child_value(reply, 0);
}

static void
pd_ctl_print_json(GVariant *value)
{
	g_autoptr(JsonNode) node = json_gvariant_serialize(value);
	g_autofree gchar *str = json_to_string(node, TRUE);
	g_print("%s\n", str);
}

/* --- formatting --- */

static const gchar *
pd_ctl_str(GVariant *dict, const gchar *key)
{
	const gchar *value = NULL;
	if (!g_variant_lookup(dict, key, "&s", &value))
		return "";
	return value;
}

static guint64
pd_ctl_u64(GVariant *dict, const gchar *key)
{
	g_autoptr(GVariant) v = g_variant_lookup_value(dict, key, NULL);

	if (v == NULL)
		return 0;
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
		return g_variant_get_uint64(v);
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
		return (guint64)MAX(g_variant_get_int64(v), 0);
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
		return g_variant_get_uint32(v);
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
		return g_variant_get_boolean(v);
	return 0;
}

static gchar *
pd_ctl_format_span(gint64 us)
{
	gint64 s = us / G_USEC_PER_SEC;

	if (us < 1000)
		return g_strdup_printf("%" G_GINT64_FORMAT " µs", us);
	if (us < G_USEC_PER_SEC)
		return g_strdup_printf("%.1f ms", (gdouble)us / 1000);
	if (s < 60)
		return g_strdup_printf("%.1f s", (gdouble)us / G_USEC_PER_SEC);
	if (s < 3600)
		return g_strdup_printf(
		  "%" G_GINT64_FORMAT "m %02" G_GINT64_FORMAT "s", s / 60, s % 60);
	if (s < 86400)
		return g_strdup_printf(
		  "%" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT "m", s / 3600, s % 3600 / 60);
	return g_strdup_printf(
	  "%" G_GINT64_FORMAT "d %02" G_GINT64_FORMAT "h", s / 86400, s % 86400 / 3600);
}

/* "3.1 s ago", "in 2m 05s", "never" for a wall clock time in us */
static gchar *
pd_ctl_format_when(gint64 when)
{
	gint64 now = g_get_real_time();
	g_autofree gchar *span = NULL;

	if (when <= 0)
		return g_strdup(_("never"));
	span = pd_ctl_format_span(ABS(now - when));
	if (when > now)
		return g_strdup_printf(_("in %s"), span);
	return g_strdup_printf(_("%s ago"), span);
}

static gchar *
pd_ctl_format_date(gint64 when)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(when / G_USEC_PER_SEC);
	if (dt == NULL)
		return g_strdup("?");
	return g_date_time_format(dt, "%a %Y-%m-%d %H:%M:%S %Z");
}

static const gchar *
pd_ctl_color(PdCtl *ctl, const gchar *what)
{
	if (!ctl->color)
		return "";
	if (g_strcmp0(what, "bad") == 0)
		return "\033[1;31m";
	if (g_strcmp0(what, "warn") == 0)
		return "\033[1;33m";
	if (g_strcmp0(what, "good") == 0)
		return "\033[1;32m";
	return "\033[0m";
}

/* --- tables --- */

typedef struct {
	GPtrArray *rows; /* of GStrv */
	guint columns;
} PdCtlTable;

static PdCtlTable *
pd_ctl_table_new(guint columns)
{
	PdCtlTable *t = g_new0(PdCtlTable, 1);
	t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	t->columns = columns;
	return t;
}

static void
pd_ctl_table_free(PdCtlTable *t)
{
	g_ptr_array_unref(t->rows);
	g_free(t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdCtlTable, pd_ctl_table_free)

/* takes the strings */
static void
pd_ctl_table_add(PdCtlTable *t, ...)
{
	gchar **row = g_new0(gchar *, t->columns + 1);
	va_list args;

	va_start(args, t);
	for (guint i = 0; i < t->columns; i++)
		row[i] = va_arg(args, gchar *);
	va_end(args);
	g_ptr_array_add(t->rows, row);
}

static void
pd_ctl_table_print(PdCtlTable *t, const gchar *indent)
{
	g_autofree guint *width = g_new0(guint, t->columns);

	for (guint r = 0; r < t->rows->len; r++) {
		gchar **row = g_ptr_array_index(t->rows, r);
		for (guint c = 0; c < t->columns; c++)
			width[c] = MAX(width[c], (guint)g_utf8_strlen(row[c], -1));
	}
	for (guint r = 0; r < t->rows->len; r++) {
		gchar **row = g_ptr_array_index(t->rows, r);
		g_autoptr(GString) line = g_string_new(indent);
		for (guint c = 0; c < t->columns; c++) {
			g_string_append(line, row[c]);
			if (c + 1 == t->columns)
				break;
			for (guint pad = g_utf8_strlen(row[c], -1); pad < width[c] + 2; pad++)
				g_string_append_c(line, ' ');
		}
		while (line->len > 0 && line->str[line->len - 1] == ' ')
			g_string_truncate(line, line->len - 1);
		g_print("%s\n", line->str);
	}
}

/* --- commands --- */

static void
pd_ctl_print_tasks(GVariant *tasks)
{
	g_autoptr(PdCtlTable) t = pd_ctl_table_new(7);

	pd_ctl_table_add(t,
			 g_strdup(_("TASK")),
			 g_strdup(_("INTERVAL")),
			 g_strdup(_("POLLSTERS")),
			 g_strdup(_("CYCLES")),
			 g_strdup(_("OVERRUNS")),
			 g_strdup(_("LAST CYCLE")),
			 g_strdup(_("NEXT RUN")));
	for (gsize i = 0; i < g_variant_n_children(tasks); i++) {
		g_autoptr(GVariant) task = g_variant_get_child_value(tasks, i);
		g_autofree const gchar **entries = NULL;
		gint64 next = (gint64)pd_ctl_u64(task, "next_run");
		g_variant_lookup(task, "pollsters", "^a&s", &entries);
		pd_ctl_table_add(
		  t,
		  g_strdup(pd_ctl_str(task, "name")),
		  g_strdup_printf("%" G_GUINT64_FORMAT " s", pd_ctl_u64(task, "interval")),
		  g_strdup_printf("%u", entries != NULL ? g_strv_length((gchar **)entries) : 0),
		  g_strdup_printf("%" G_GUINT64_FORMAT, pd_ctl_u64(task, "cycles")),
		  g_strdup_printf("%" G_GUINT64_FORMAT, pd_ctl_u64(task, "overruns")),
		  pd_ctl_u64(task, "running")
		    ? g_strdup(_("running now"))
		    : pd_ctl_format_span((gint64)pd_ctl_u64(task, "last_duration_us")),
		  next > 0 ? pd_ctl_format_when(next) : g_strdup(_("not scheduled")));
	}
	pd_ctl_table_print(t, "  ");
}

static void
pd_ctl_append_problem(GString *str, gchar *text)
{
	if (str->len > 0)
		g_string_append(str, "; ");
	g_string_append(str, text);
	g_free(text);
}

/* a pollster's own trouble; its plugin's is told once per plugin */
static gchar *
pd_ctl_pollster_problem(GVariant *p)
{
	const gchar *error = pd_ctl_str(p, "last_error");
	guint64 blacklisted = pd_ctl_u64(p, "blacklisted");
	g_autoptr(GString) str = g_string_new(NULL);

	if (error[0] != '\0') {
		g_autofree gchar *when = pd_ctl_format_when((gint64)pd_ctl_u64(p, "last_run"));
		pd_ctl_append_problem(str,
				      g_strdup_printf(_("last poll failed %s: %s"), when, error));
	}
	if (pd_ctl_u64(p, "busy"))
		pd_ctl_append_problem(str,
				      g_strdup(_("hung: still running from an earlier cycle")));
	if (blacklisted > 0)
		pd_ctl_append_problem(
		  str,
		  g_strdup_printf(
		    _("%" G_GUINT64_FORMAT " resources blacklisted after permanent errors"),
		    blacklisted));
	if (str->len == 0)
		return NULL;
	return g_string_free(g_steal_pointer(&str), FALSE);
}

static void
pd_ctl_print_problem(PdCtl *ctl, const gchar *what, const gchar *text)
{
	g_print(
	  "  %s%s%s %s: %s\n", pd_ctl_color(ctl, "bad"), "✗", pd_ctl_color(ctl, NULL), what, text);
}

/* one line per plugin that is disabled or waiting, with how many of its
 * selected pollsters that stops; "selected by no source" is no problem */
static guint
pd_ctl_print_plugin_problems(PdCtl *ctl, GVariant *pollsters)
{
	g_autoptr(GHashTable) affected = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	g_autoptr(GHashTable) status = g_hash_table_new(g_str_hash, g_str_equal);

	for (gsize i = 0; i < g_variant_n_children(pollsters); i++) {
		g_autoptr(GVariant) p = g_variant_get_child_value(pollsters, i);
		const gchar *plugin = g_intern_string(pd_ctl_str(p, "plugin"));
		const gchar *plugin_status = pd_ctl_str(p, "plugin_status");
		guint n;
		if (plugin_status[0] == '\0' || pd_ctl_u64(p, "interval") == 0)
			continue;
		n = GPOINTER_TO_UINT(g_hash_table_lookup(affected, plugin));
		if (n == 0) {
			g_ptr_array_add(order, (gpointer)plugin);
			g_hash_table_insert(
			  status, (gpointer)plugin, (gpointer)g_intern_string(plugin_status));
		}
		g_hash_table_insert(affected, (gpointer)plugin, GUINT_TO_POINTER(n + 1));
	}
	for (guint i = 0; i < order->len; i++) {
		const gchar *plugin = g_ptr_array_index(order, i);
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(affected, plugin));
		g_autofree gchar *what = g_strdup_printf(_("plugin %s"), plugin);
		g_autofree gchar *text =
		  g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
					      "%s (%u selected pollster not polling)",
					      "%s (%u selected pollsters not polling)",
					      n),
				  (const gchar *)g_hash_table_lookup(status, plugin),
				  n);
		pd_ctl_print_problem(ctl, what, text);
	}
	return order->len;
}

static void
pd_ctl_print_problems(PdCtl *ctl, GVariant *props, GVariant *pollsters)
{
	const gchar *perror = pd_ctl_str(props, "PublisherError");
	g_autofree const gchar **unsupported = NULL;
	guint n = 0;

	g_print("\n%s\n", _("Problems:"));
	if (perror[0] != '\0') {
		pd_ctl_print_problem(ctl, _("publisher"), perror);
		n++;
	}
	n += pd_ctl_print_plugin_problems(ctl, pollsters);
	for (gsize i = 0; i < g_variant_n_children(pollsters); i++) {
		g_autoptr(GVariant) p = g_variant_get_child_value(pollsters, i);
		g_autofree gchar *problem = pd_ctl_pollster_problem(p);
		if (problem == NULL)
			continue;
		pd_ctl_print_problem(ctl, pd_ctl_str(p, "name"), problem);
		n++;
	}
	g_variant_lookup(props, "UnsupportedOptions", "^a&s", &unsupported);
	for (guint i = 0; unsupported != NULL && unsupported[i] != NULL; i++) {
		pd_ctl_print_problem(ctl, unsupported[i], _("not supported by polld yet; ignored"));
		n++;
	}
	if (n == 0)
		g_print("  %s\n", _("none"));
}

static void
pd_ctl_print_plugins(PdCtl *ctl, GVariant *pollsters)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(PdCtlTable) t = pd_ctl_table_new(2);

	for (gsize i = 0; i < g_variant_n_children(pollsters); i++) {
		g_autoptr(GVariant) p = g_variant_get_child_value(pollsters, i);
		const gchar *plugin = pd_ctl_str(p, "plugin");
		const gchar *status = pd_ctl_str(p, "plugin_status");
		if (!g_hash_table_add(seen, (gpointer)g_intern_string(plugin)))
			continue;
		pd_ctl_table_add(
		  t, g_strdup(plugin), g_strdup(status[0] != '\0' ? status : _("ok")));
	}
	g_print("\n%s\n", _("Plugins:"));
	pd_ctl_table_print(t, "  ");
}

static const gchar *
pd_ctl_state_color(PdCtl *ctl, const gchar *state)
{
	if (g_strcmp0(state, "running") == 0)
		return pd_ctl_color(ctl, "good");
	return pd_ctl_color(ctl, "warn");
}

/* samples that reached the publishers: the notifier sink's delivered count
 * (the exporter and heartbeat sinks see the same samples, so a sum over the
 * sinks counts each sample once per sink) */
static guint64
pd_ctl_published(GVariant *stats)
{
	g_autoptr(GVariant) sinks = g_variant_lookup_value(stats, "sinks", G_VARIANT_TYPE_VARDICT);
	g_autoptr(GVariant) notifier =
	  sinks != NULL ? g_variant_lookup_value(sinks, "notifier", G_VARIANT_TYPE_VARDICT) : NULL;

	/* an older daemon: its top-level counters are the notifier's */
	return pd_ctl_u64(notifier != NULL ? notifier : stats, "samples_delivered");
}

/* one line a sink: state and the counters every sink kind has */
static void
pd_ctl_print_sinks(PdCtl *ctl, GVariant *stats)
{
	g_autoptr(GVariant) sinks = g_variant_lookup_value(stats, "sinks", G_VARIANT_TYPE_VARDICT);
	GVariantIter iter;
	const gchar *name;
	GVariant *sink;

	if (sinks == NULL)
		return;
	g_variant_iter_init(&iter, sinks);
	while (g_variant_iter_next(&iter, "{&sv}", &name, &sink)) {
		const gchar *state = pd_ctl_str(sink, "state");
		const gchar *error = pd_ctl_str(sink, "error");
		/* a sink the configuration leaves off (exporter, heartbeat) */
		if (g_strcmp0(state, "disabled") == 0) {
			g_print(
			  "  %-11s %s%s%s\n", name, state, error[0] != '\0' ? " - " : "", error);
			g_variant_unref(sink);
			continue;
		}
		g_print("  %-11s %s%s%s: %" G_GUINT64_FORMAT " %s, %" G_GUINT64_FORMAT
			" %s, %" G_GUINT64_FORMAT " %s, %" G_GUINT64_FORMAT " %s%s%s\n",
			name,
			g_strcmp0(state, "connected") == 0 || g_strcmp0(state, "listening") == 0
			  ? pd_ctl_color(ctl, "good")
			  : pd_ctl_color(ctl, "bad"),
			state,
			pd_ctl_color(ctl, NULL),
			pd_ctl_u64(sink, "samples_received"),
			_("received"),
			pd_ctl_u64(sink, "samples_delivered"),
			_("delivered"),
			pd_ctl_u64(sink, "samples_dropped"),
			_("dropped"),
			pd_ctl_u64(sink, "samples_queued"),
			_("queued"),
			error[0] != '\0' ? " - " : "",
			error);
		g_variant_unref(sink);
	}
}

static void
pd_ctl_print_header(PdCtl *ctl, GVariant *props, GVariant *stats)
{
	const gchar *state = pd_ctl_str(props, "State");
	const gchar *pstate = pd_ctl_str(props, "PublisherState");
	gint64 start = (gint64)pd_ctl_u64(props, "StartTime");
	g_autofree gchar *since = pd_ctl_format_date(start);
	g_autofree gchar *up = pd_ctl_format_span(g_get_real_time() - start);
	g_autofree const gchar **files = NULL;
	g_autofree const gchar **namespaces = NULL;
	g_autofree gchar *files_str = NULL;
	g_autofree gchar *ns_str = NULL;

	g_variant_lookup(props, "ConfigFiles", "^a&s", &files);
	g_variant_lookup(props, "Namespaces", "^a&s", &namespaces);
	files_str = files != NULL && files[0] != NULL ? g_strjoinv(", ", (gchar **)files)
						      : g_strdup(_("(built-in defaults)"));
	ns_str = namespaces != NULL ? g_strjoinv(" ", (gchar **)namespaces) : g_strdup("");
	g_print("%s●%s polld %s on %s: %s%s%s\n",
		pd_ctl_state_color(ctl, state),
		pd_ctl_color(ctl, NULL),
		pd_ctl_str(props, "Version"),
		pd_ctl_str(props, "Host"),
		pd_ctl_state_color(ctl, state),
		state,
		pd_ctl_color(ctl, NULL));
	g_print("  %-11s %s (%s %s)\n", _("Since:"), since, _("up"), up);
	g_print("  %-11s %s%s%s\n",
		_("Publisher:"),
		g_strcmp0(pstate, "connected") == 0 ? pd_ctl_color(ctl, "good")
						    : pd_ctl_color(ctl, "bad"),
		pstate,
		pd_ctl_color(ctl, NULL));
	g_print("  %-11s %s (%s %" G_GUINT64_FORMAT ")\n",
		_("Config:"),
		files_str,
		_("generation"),
		pd_ctl_u64(props, "ConfigGeneration"));
	g_print("  %-11s %s\n", _("Namespaces:"), ns_str);
	g_print("  %-11s %" G_GUINT64_FORMAT " %s, %" G_GUINT64_FORMAT " %s, %" G_GUINT64_FORMAT
		" %s, %" G_GUINT64_FORMAT " %s\n",
		_("Totals:"),
		pd_ctl_u64(stats, "cycles"),
		_("cycles"),
		pd_ctl_u64(stats, "samples_polled"),
		_("samples polled"),
		pd_ctl_published(stats),
		_("published"),
		pd_ctl_u64(stats, "cycle_errors"),
		_("pollster errors"));
}

/* "member of 2 groups as host.id: polls 200 of 600 resources" */
static gchar *
pd_ctl_partitions_summary(GVariant *parts)
{
	const gchar *state = pd_ctl_str(parts, "state");
	g_autoptr(GVariant) groups =
	  g_variant_lookup_value(parts, "groups", G_VARIANT_TYPE("aa{sv}"));
	guint64 share = 0, total = 0;
	gsize n = groups != NULL ? g_variant_n_children(groups) : 0;

	if (g_strcmp0(state, "disabled") == 0 || state[0] == '\0')
		return g_strdup(_("disabled (this agent polls everything)"));
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) g = g_variant_get_child_value(groups, i);
		share += pd_ctl_u64(g, "share");
		total += pd_ctl_u64(g, "resources");
	}
	return g_strdup_printf(_("%s, %" G_GSIZE_FORMAT " group(s) as %s: polls %" G_GUINT64_FORMAT
				 " of %" G_GUINT64_FORMAT " resources"),
			       state,
			       n,
			       pd_ctl_str(parts, "member_id"),
			       share,
			       total);
}

static PdCtlExit
pd_ctl_status(PdCtl *ctl, gchar **args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) props = pd_ctl_get_properties(ctl, &error);
	g_autoptr(GVariant) stats = NULL;
	g_autoptr(GVariant) tasks = NULL;
	g_autoptr(GVariant) pollsters = NULL;
	g_autoptr(GVariant) parts = NULL;

	if (props == NULL ||
	    (stats = pd_ctl_get(ctl, "GetStatistics", "(a{sv})", &error)) == NULL ||
	    (tasks = pd_ctl_get(ctl, "GetTasks", "(aa{sv})", &error)) == NULL ||
	    (pollsters = pd_ctl_get(ctl, "GetPollsters", "(aa{sv})", &error)) == NULL)
		return pd_ctl_report_error(error);
	/* an older daemon has no partitioning: the line is left out */
	parts = pd_ctl_get(ctl, "GetPartitions", "(a{sv})", NULL);
	if (ctl->json) {
		g_auto(GVariantDict) dict;
		g_variant_dict_init(&dict, NULL);
		g_variant_dict_insert_value(&dict, "properties", props);
		g_variant_dict_insert_value(&dict, "statistics", stats);
		g_variant_dict_insert_value(&dict, "tasks", tasks);
		g_variant_dict_insert_value(&dict, "pollsters", pollsters);
		if (parts != NULL)
			g_variant_dict_insert_value(&dict, "partitions", parts);
		pd_ctl_print_json(g_variant_dict_end(&dict));
		return PD_CTL_EXIT_OK;
	}
	pd_ctl_print_header(ctl, props, stats);
	if (parts != NULL) {
		g_autofree gchar *line = pd_ctl_partitions_summary(parts);
		g_print("  %-11s %s\n", _("Partitions:"), line);
	}
	g_print("\n%s\n", _("Sinks:"));
	pd_ctl_print_sinks(ctl, stats);
	g_print("\n%s\n", _("Tasks:"));
	pd_ctl_print_tasks(tasks);
	pd_ctl_print_plugins(ctl, pollsters);
	pd_ctl_print_problems(ctl, props, pollsters);
	return PD_CTL_EXIT_OK;
}

static PdCtlExit
pd_ctl_tasks(PdCtl *ctl, gchar **args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) tasks = pd_ctl_get(ctl, "GetTasks", "(aa{sv})", &error);

	if (tasks == NULL)
		return pd_ctl_report_error(error);
	if (ctl->json) {
		pd_ctl_print_json(tasks);
		return PD_CTL_EXIT_OK;
	}
	pd_ctl_print_tasks(tasks);
	for (gsize i = 0; i < g_variant_n_children(tasks); i++) {
		g_autoptr(GVariant) task = g_variant_get_child_value(tasks, i);
		g_autofree const gchar **entries = NULL;
		g_variant_lookup(task, "pollsters", "^a&s", &entries);
		g_print("\n%s:\n", pd_ctl_str(task, "name"));
		for (guint j = 0; entries != NULL && entries[j] != NULL; j++)
			g_print("  %s\n", entries[j]);
	}
	return PD_CTL_EXIT_OK;
}

static void
pd_ctl_print_groups(GVariant *groups)
{
	g_autoptr(PdCtlTable) t = pd_ctl_table_new(6);

	pd_ctl_table_add(t,
			 g_strdup(_("GROUP")),
			 g_strdup(_("MEMBERS")),
			 g_strdup(_("SHARE")),
			 g_strdup(_("RESOURCES")),
			 g_strdup(_("BALANCED")),
			 g_strdup(_("LAST CHANGE")));
	for (gsize i = 0; i < g_variant_n_children(groups); i++) {
		g_autoptr(GVariant) g = g_variant_get_child_value(groups, i);
		g_autofree const gchar **members = NULL;
		g_variant_lookup(g, "members", "^a&s", &members);
		pd_ctl_table_add(
		  t,
		  g_strdup(pd_ctl_str(g, "name")),
		  g_strdup_printf("%u", members != NULL ? g_strv_length((gchar **)members) : 0),
		  g_strdup_printf("%" G_GUINT64_FORMAT, pd_ctl_u64(g, "share")),
		  g_strdup_printf("%" G_GUINT64_FORMAT, pd_ctl_u64(g, "resources")),
		  /* a static group's shares are balanced over its resource
		   * list; a discovered one's resources each go to their owner */
		  g_strdup(pd_ctl_u64(g, "balanced") ? _("yes") : _("no")),
		  pd_ctl_format_when((gint64)pd_ctl_u64(g, "last_change")));
	}
	pd_ctl_table_print(t, "  ");
	for (gsize i = 0; i < g_variant_n_children(groups); i++) {
		g_autoptr(GVariant) g = g_variant_get_child_value(groups, i);
		g_autofree const gchar **members = NULL;
		g_variant_lookup(g, "members", "^a&s", &members);
		g_print("\n%s:\n", pd_ctl_str(g, "name"));
		for (guint j = 0; members != NULL && members[j] != NULL; j++)
			g_print("  %s\n", members[j]);
	}
}

static PdCtlExit
pd_ctl_partitions(PdCtl *ctl, gchar **args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) parts = pd_ctl_get(ctl, "GetPartitions", "(a{sv})", &error);
	g_autoptr(GVariant) groups = NULL;
	g_autofree gchar *summary = NULL;

	if (parts == NULL)
		return pd_ctl_report_error(error);
	if (ctl->json) {
		pd_ctl_print_json(parts);
		return PD_CTL_EXIT_OK;
	}
	summary = pd_ctl_partitions_summary(parts);
	g_print("%s\n", summary);
	if (g_strcmp0(pd_ctl_str(parts, "state"), "disabled") == 0)
		return PD_CTL_EXIT_OK;
	g_print("  %-12s %s\n", _("Backend:"), pd_ctl_str(parts, "backend"));
	g_print("  %-12s %s\n", _("Endpoint:"), pd_ctl_str(parts, "endpoint"));
	g_print("  %-12s %" G_GUINT64_FORMAT " s\n",
		_("Lease TTL:"),
		pd_ctl_u64(parts, "membership_timeout"));
	g_print("  %-12s %" G_GUINT64_FORMAT " %s, %" G_GUINT64_FORMAT " %s\n",
		_("Requests:"),
		pd_ctl_u64(parts, "etcd_requests"),
		_("etcd requests"),
		pd_ctl_u64(parts, "etcd_authentications"),
		_("authentications"));
	if (pd_ctl_u64(parts, "stale_seconds") > 0)
		g_print("  %-12s %" G_GUINT64_FORMAT " s (%s)\n",
			_("Stale for:"),
			pd_ctl_u64(parts, "stale_seconds"),
			pd_ctl_str(parts, "last_error"));
	groups = g_variant_lookup_value(parts, "groups", G_VARIANT_TYPE("aa{sv}"));
	if (groups != NULL && g_variant_n_children(groups) > 0) {
		g_print("\n");
		pd_ctl_print_groups(groups);
	}
	return PD_CTL_EXIT_OK;
}

static gchar *
pd_ctl_pollster_state(GVariant *p)
{
	if (pd_ctl_u64(p, "busy"))
		return g_strdup(_("hung"));
	if (pd_ctl_str(p, "last_error")[0] != '\0' &&
	    g_strcmp0(pd_ctl_str(p, "state"), "enabled") == 0)
		return g_strdup(_("failing"));
	return g_strdup(pd_ctl_str(p, "state"));
}

static PdCtlExit
pd_ctl_pollsters(PdCtl *ctl, gchar **args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) pollsters = pd_ctl_get(ctl, "GetPollsters", "(aa{sv})", &error);
	g_autoptr(PdCtlTable) t = pd_ctl_table_new(8);

	if (pollsters == NULL)
		return pd_ctl_report_error(error);
	if (ctl->json) {
		pd_ctl_print_json(pollsters);
		return PD_CTL_EXIT_OK;
	}
	pd_ctl_table_add(t,
			 g_strdup(_("POLLSTER")),
			 g_strdup(_("PLUGIN")),
			 g_strdup(_("STATE")),
			 g_strdup(_("INTERVAL")),
			 g_strdup(_("LAST RUN")),
			 g_strdup(_("SAMPLES")),
			 g_strdup(_("ERRORS")),
			 g_strdup(_("BLACKLISTED")));
	for (gsize i = 0; i < g_variant_n_children(pollsters); i++) {
		g_autoptr(GVariant) p = g_variant_get_child_value(pollsters, i);
		pd_ctl_table_add(
		  t,
		  g_strdup(pd_ctl_str(p, "name")),
		  g_strdup(pd_ctl_str(p, "plugin")),
		  pd_ctl_pollster_state(p),
		  g_strdup_printf("%" G_GUINT64_FORMAT " s", pd_ctl_u64(p, "interval")),
		  pd_ctl_format_when((gint64)pd_ctl_u64(p, "last_run")),
		  g_strdup_printf("%" G_GUINT64_FORMAT, pd_ctl_u64(p, "last_samples")),
		  g_strdup_printf("%" G_GUINT64_FORMAT, pd_ctl_u64(p, "errors")),
		  g_strdup_printf("%" G_GUINT64_FORMAT, pd_ctl_u64(p, "blacklisted")));
	}
	pd_ctl_table_print(t, "");
	return PD_CTL_EXIT_OK;
}

static gint
pd_ctl_compare_keys(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar **)a, *(const gchar **)b);
}

static PdCtlExit
pd_ctl_stats(PdCtl *ctl, gchar **args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) stats = pd_ctl_get(ctl, "GetStatistics", "(a{sv})", &error);
	g_autoptr(GPtrArray) keys = g_ptr_array_new();
	g_autoptr(PdCtlTable) t = pd_ctl_table_new(2);
	GVariantIter iter;
	const gchar *key;

	if (stats == NULL)
		return pd_ctl_report_error(error);
	if (ctl->json) {
		pd_ctl_print_json(stats);
		return PD_CTL_EXIT_OK;
	}
	g_variant_iter_init(&iter, stats);
	while (g_variant_iter_next(&iter, "{&sv}", &key, NULL))
		g_ptr_array_add(keys, (gpointer)key);
	g_ptr_array_sort(keys, pd_ctl_compare_keys);
	for (guint i = 0; i < keys->len; i++) {
		key = g_ptr_array_index(keys, i);
		if (g_strcmp0(key, "sinks") == 0)
			continue;
		pd_ctl_table_add(
		  t, g_strdup(key), g_strdup_printf("%" G_GUINT64_FORMAT, pd_ctl_u64(stats, key)));
	}
	pd_ctl_table_print(t, "");
	g_print("\n%s\n", _("Sinks:"));
	pd_ctl_print_sinks(ctl, stats);
	return PD_CTL_EXIT_OK;
}

static PdCtlExit
pd_ctl_simple(PdCtl *ctl, const gchar *method, const gchar *json, const gchar *done)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = pd_ctl_call(ctl, method, NULL, "()", -1, &error);

	if (reply == NULL)
		return pd_ctl_report_error(error);
	g_print("%s\n", ctl->json ? json : done);
	return PD_CTL_EXIT_OK;
}

/* exits non-zero when nothing was polled or every pollster failed */
static PdCtlExit
pd_ctl_poll_now(PdCtl *ctl, gchar **args)
{
	const gchar *const none[] = { NULL };
	GVariant *names = g_variant_new_strv(args != NULL ? (const gchar *const *)args : none, -1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) summary = NULL;
	g_autofree gchar *took = NULL;
	guint64 samples, errors;

	/* PollNow waits for the cycle to be published: no call timeout */
	reply =
	  pd_ctl_call(ctl, "PollNow", g_variant_new_tuple(&names, 1), "(a{sv})", G_MAXINT, &error);
	if (reply == NULL)
		return pd_ctl_report_error(error);
	summary = g_variant_get_child_value(reply, 0);
	samples = pd_ctl_u64(summary, "samples");
	errors = pd_ctl_u64(summary, "errors");
	if (ctl->json) {
		pd_ctl_print_json(summary);
	} else {
		took = pd_ctl_format_span((gint64)pd_ctl_u64(summary, "duration_us"));
		g_print(_("Polled %" G_GUINT64_FORMAT " samples in %" G_GUINT64_FORMAT
			  " tasks, %" G_GUINT64_FORMAT " published, %" G_GUINT64_FORMAT
			  " pollster errors, in %s.\n"),
			samples,
			pd_ctl_u64(summary, "tasks"),
			pd_ctl_u64(summary, "published"),
			errors,
			took);
	}
	if (samples == 0) {
		g_printerr(errors > 0 ? _("Every pollster failed: see polldctl status.\n")
				      : _("Nothing was polled.\n"));
		return PD_CTL_EXIT_FAILED;
	}
	return PD_CTL_EXIT_OK;
}

static PdCtlExit
pd_ctl_pause(PdCtl *ctl, gchar **args)
{
	return pd_ctl_simple(ctl,
			     "Pause",
			     "{ \"paused\" : true }",
			     _("Paused: scheduled cycles are skipped until resumed."));
}

static PdCtlExit
pd_ctl_resume(PdCtl *ctl, gchar **args)
{
	return pd_ctl_simple(ctl, "Resume", "{ \"paused\" : false }", _("Resumed."));
}

/* the effective configuration, secrets redacted, with each key's source */
static PdCtlExit
pd_ctl_config(PdCtl *ctl, gchar **args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) options = pd_ctl_get(ctl, "GetConfig", "(aa{sv})", &error);
	g_autoptr(PdCtlTable) t = pd_ctl_table_new(4);
	g_autofree gchar *section = NULL;

	if (options == NULL)
		return pd_ctl_report_error(error);
	if (ctl->json) {
		pd_ctl_print_json(options);
		return PD_CTL_EXIT_OK;
	}
	for (gsize i = 0; i < g_variant_n_children(options); i++) {
		g_autoptr(GVariant) o = g_variant_get_child_value(options, i);
		const gchar *status = pd_ctl_str(o, "status");
		if (g_strcmp0(section, pd_ctl_str(o, "section")) != 0) {
			g_free(section);
			section = g_strdup(pd_ctl_str(o, "section"));
			pd_ctl_table_add(t,
					 g_strdup_printf("[%s]", section),
					 g_strdup(""),
					 g_strdup(""),
					 g_strdup(""));
		}
		pd_ctl_table_add(t,
				 g_strdup_printf("%s =", pd_ctl_str(o, "key")),
				 g_strdup(pd_ctl_str(o, "value")),
				 g_strdup_printf("# %s", pd_ctl_str(o, "source")),
				 g_strcmp0(status, "implemented") == 0
				   ? g_strdup("")
				   : g_strdup_printf("(%s)", status));
	}
	pd_ctl_table_print(t, "");
	return PD_CTL_EXIT_OK;
}

static PdCtlExit
pd_ctl_reload(PdCtl *ctl, gchar **args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = pd_ctl_call(ctl, "Reload", NULL, "(tas)", -1, &error);
	g_autofree const gchar **notes = NULL;
	guint64 generation;

	if (reply == NULL) {
		PdCtlExit code = pd_ctl_report_error(error);
		if (code == PD_CTL_EXIT_INVALID_CONFIG)
			g_printerr(_("The running configuration stays in effect.\n"));
		return code;
	}
	g_variant_get(reply, "(t^a&s)", &generation, &notes);
	if (ctl->json) {
		g_auto(GVariantDict) dict;
		g_variant_dict_init(&dict, NULL);
		g_variant_dict_insert(&dict, "generation", "t", generation);
		g_variant_dict_insert_value(&dict, "notes", g_variant_get_child_value(reply, 1));
		pd_ctl_print_json(g_variant_dict_end(&dict));
		return PD_CTL_EXIT_OK;
	}
	g_print(_("Reloaded: configuration generation %" G_GUINT64_FORMAT ".\n"), generation);
	for (guint i = 0; notes != NULL && notes[i] != NULL; i++)
		g_print("  %s%s%s\n", pd_ctl_color(ctl, "bad"), notes[i], pd_ctl_color(ctl, NULL));
	return PD_CTL_EXIT_OK;
}

/* --- main --- */

typedef struct {
	const gchar *name;
	PdCtlExit (*func)(PdCtl *ctl, gchar **args);
	gboolean takes_args;
	const gchar *summary;
	gboolean control; /* may start polld through D-Bus activation */
} PdCtlCommand;

static const PdCtlCommand pd_ctl_commands[] = {
	{ "status", pd_ctl_status, FALSE, N_("State, publisher, tasks, plugins and problems") },
	{ "pollsters",
	  pd_ctl_pollsters,
	  FALSE,
	  N_("Every loaded pollster and how its last run went") },
	{ "tasks", pd_ctl_tasks, FALSE, N_("Polling tasks, their schedule and pollsters") },
	{ "stats", pd_ctl_stats, FALSE, N_("Counters since start") },
	{ "partitions",
	  pd_ctl_partitions,
	  FALSE,
	  N_("Workload partitioning: groups, members, this agent's share") },
	{ "poll-now",
	  pd_ctl_poll_now,
	  TRUE,
	  N_("Poll now (all, or the named pollsters or sources) and wait until published"),
	  TRUE },
	{ "config",
	  pd_ctl_config,
	  FALSE,
	  N_("The effective configuration: each option, its value and the file that set it") },
	{ "pause", pd_ctl_pause, FALSE, N_("Skip scheduled cycles until resumed"), TRUE },
	{ "resume", pd_ctl_resume, FALSE, N_("Run scheduled cycles again"), TRUE },
	{ "reload", pd_ctl_reload, FALSE, N_("Re-read the configuration (like SIGHUP)"), TRUE },
};

static gchar *
pd_ctl_commands_help(void)
{
	g_autoptr(GString) str = g_string_new(_("Commands:"));

	for (guint i = 0; i < G_N_ELEMENTS(pd_ctl_commands); i++)
		g_string_append_printf(str,
				       "\n  %-20s %s",
				       pd_ctl_commands[i].takes_args ? "poll-now [NAME...]"
								     : pd_ctl_commands[i].name,
				       _(pd_ctl_commands[i].summary));
	g_string_append_printf(
	  str,
	  "\n\n%s",
	  _("Exit status: 0 ok, 1 failure, 2 usage, 3 polld not running, "
	    "4 permission denied, 5 invalid configuration, 6 no such pollster or source."));
	return g_string_free(g_steal_pointer(&str), FALSE);
}

static GDBusConnection *
pd_ctl_connect(const gchar *address, gboolean session, GError **error)
{
	if (address != NULL)
		return g_dbus_connection_new_for_address_sync(
		  address,
		  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		  NULL,
		  NULL,
		  error);
	return g_bus_get_sync(session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, error);
}

static const PdCtlCommand *
pd_ctl_find_command(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_ctl_commands); i++) {
		if (g_strcmp0(pd_ctl_commands[i].name, name) == 0)
			return &pd_ctl_commands[i];
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	gboolean session = FALSE;
	gboolean system = FALSE;
	gboolean json = FALSE;
	gboolean version = FALSE;
	g_autofree gchar *address = NULL;
	g_autofree gchar *help = NULL;
	g_auto(GStrv) rest = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	const PdCtlCommand *cmd;
	PdCtl ctl = { 0 };
	PdCtlExit code;
	const GOptionEntry options[] = {
		{ "system",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &system,
		  N_("Talk to polld on the system bus (default)"),
		  NULL },
		{ "session",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &session,
		  N_("Talk to polld on the session bus"),
		  NULL },
		{ "address",
		  0,
		  0,
		  G_OPTION_ARG_STRING,
		  &address,
		  N_("Talk to polld on the bus at this address"),
		  N_("ADDRESS") },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("Print JSON for scripts"), NULL },
		{ "version",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &version,
		  N_("Print the version and exit"),
		  NULL },
		{ G_OPTION_REMAINING,
		  0,
		  0,
		  G_OPTION_ARG_STRING_ARRAY,
		  &rest,
		  NULL,
		  N_("COMMAND [NAME...]") },
		{ NULL }
	};

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);

	context = g_option_context_new(NULL);
	g_option_context_set_summary(context, _("Inspect and control the polld polling agent."));
	help = pd_ctl_commands_help();
	g_option_context_set_description(context, help);
	g_option_context_add_main_entries(context, options, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("polldctl: %s\n", error->message);
		return PD_CTL_EXIT_USAGE;
	}
	if (version) {
		g_print("polldctl %s\n", PACKAGE_VERSION);
		return PD_CTL_EXIT_OK;
	}
	cmd = pd_ctl_find_command(rest != NULL ? rest[0] : "status");
	if (cmd == NULL || (session && system) ||
	    (!cmd->takes_args && rest != NULL && rest[1] != NULL)) {
		g_autofree gchar *usage = g_option_context_get_help(context, TRUE, NULL);
		g_printerr("%s", usage);
		return PD_CTL_EXIT_USAGE;
	}
	ctl.bus = pd_ctl_connect(address, session, &error);
	if (ctl.bus == NULL) {
		g_printerr(_("Cannot connect to the bus: %s\n"), error->message);
		return PD_CTL_EXIT_NOT_RUNNING;
	}
	ctl.json = json;
	ctl.flags = cmd->control ? G_DBUS_CALL_FLAGS_NONE : G_DBUS_CALL_FLAGS_NO_AUTO_START;
	ctl.color = isatty(STDOUT_FILENO) && g_getenv("NO_COLOR") == NULL;
	/* map org.polld.Agent1.Error.* names */
	(void)PD_DBUS_ERROR;
	code = cmd->func(&ctl, rest != NULL ? rest + 1 : NULL);
	g_object_unref(ctl.bus);
	return code;
}
