/*
 * polld - the heartbeat socket
 *
 * As Ceilometer's polling agent does: a Unix stream socket; each client that
 * connects is sent one line per pollster, "<name> <timestamp>", joined by
 * newlines (no newline after the last), in the order the pollsters first ran,
 * and the connection is closed. The timestamp is the polling timestamp of the
 * pollster's last run, the one its samples carry (UTC, ISO 8601 without a
 * zone, microseconds left out when zero, as Python's isoformat() writes it).
 * Ceilometer updates it when a pollster is called with resources to poll;
 * polld does the same.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdHeartbeat"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>

#include "pd-config-private.h"
#include "pd-error.h"
#include "pd-heartbeat.h"
#include "pd-serializer.h"

struct _PdHeartbeat {
	PdSink parent_instance;
	gchar **namespaces;
	gchar *dir;  /* configured, NULL when off */
	gchar *path; /* listening on, NULL when not */
	GSocketService *service;
	GPtrArray *order;   /* pollster names in first-beat order */
	GHashTable *status; /* name -> timestamp text */
};

G_DEFINE_TYPE(PdHeartbeat, pd_heartbeat, PD_TYPE_SINK)

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

gchar *
pd_heartbeat_socket_path(const gchar *dir, const gchar *const *namespaces)
{
	g_autoptr(GPtrArray) sorted = g_ptr_array_new();
	g_autofree gchar *joined = NULL;
	g_autofree gchar *base = NULL;

	for (guint i = 0; namespaces != NULL && namespaces[i] != NULL; i++)
		g_ptr_array_add(sorted, (gpointer)namespaces[i]);
	g_ptr_array_sort(sorted, cmp_str);
	g_ptr_array_add(sorted, NULL);
	joined = g_strjoinv("-", (gchar **)sorted->pdata);
	base = g_strdup_printf("ceilometer-%s.socket", joined);
	return g_build_filename(dir, base, NULL);
}

static void
pd_heartbeat_close(PdHeartbeat *self)
{
	if (self->service == NULL)
		return;
	g_socket_service_stop(self->service);
	g_socket_listener_close(G_SOCKET_LISTENER(self->service));
	g_clear_object(&self->service);
	if (unlink(self->path) != 0 && errno != ENOENT)
		g_debug("can't remove %s: %s", self->path, g_strerror(errno));
	g_clear_pointer(&self->path, g_free);
}

static void
pd_heartbeat_finalize(GObject *object)
{
	PdHeartbeat *self = PD_HEARTBEAT(object);

	pd_heartbeat_close(self);
	g_ptr_array_unref(self->order);
	g_hash_table_unref(self->status);
	g_strfreev(self->namespaces);
	g_free(self->dir);
	G_OBJECT_CLASS(pd_heartbeat_parent_class)->finalize(object);
}

static void
pd_heartbeat_register_keys(PdSink *sink, PdConfig *config)
{
	pd_config_register_key(config, "polling", "heartbeat_socket_dir");
}

static gboolean
pd_heartbeat_apply(PdHeartbeat *self, PdConfig *config, GError **error)
{
	const gchar *dir = pd_config_get_string(config, "polling", "heartbeat_socket_dir", NULL);
	g_autofree gchar *path = NULL;

	pd_heartbeat_close(self);
	g_free(self->dir);
	self->dir = dir != NULL && dir[0] != '\0' ? g_strdup(dir) : NULL;
	if (self->dir == NULL) {
		pd_sink_set_state(PD_SINK(self), "disabled", NULL);
		return TRUE;
	}
	path = pd_heartbeat_socket_path(self->dir, (const gchar *const *)self->namespaces);
	if (!pd_heartbeat_listen(self, path, error)) {
		pd_sink_set_state(PD_SINK(self), "disabled", (*error)->message);
		return FALSE;
	}
	return TRUE;
}

static gboolean
pd_heartbeat_start(PdSink *sink, PdConfig *config, GError **error)
{
	return pd_heartbeat_apply(PD_HEARTBEAT(sink), config, error);
}

/* a new directory takes effect at once */
static void
pd_heartbeat_reconfigure(PdSink *sink, PdConfig *config, GPtrArray *restart_keys)
{
	PdHeartbeat *self = PD_HEARTBEAT(sink);
	const gchar *dir = pd_config_get_string(config, "polling", "heartbeat_socket_dir", NULL);
	g_autoptr(GError) error = NULL;

	if (g_strcmp0(dir != NULL && dir[0] != '\0' ? dir : NULL, self->dir) == 0)
		return;
	if (!pd_heartbeat_apply(self, config, &error))
		g_warning("%s", error->message);
}

/* samples are not what it reports */
static void
pd_heartbeat_consume_now(PdSink *sink, PdSampleBatch *batch)
{
}

static void
pd_heartbeat_stop(PdSink *sink)
{
	pd_heartbeat_close(PD_HEARTBEAT(sink));
}

static void
pd_heartbeat_pollster_polled(PdSink *sink, const gchar *pollster, gint64 timestamp_us)
{
	pd_heartbeat_beat(PD_HEARTBEAT(sink), pollster, timestamp_us);
}

static void
pd_heartbeat_class_init(PdHeartbeatClass *klass)
{
	PdSinkClass *sink_class = PD_SINK_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = pd_heartbeat_finalize;
	sink_class->register_keys = pd_heartbeat_register_keys;
	sink_class->start = pd_heartbeat_start;
	sink_class->reconfigure = pd_heartbeat_reconfigure;
	sink_class->consume_now = pd_heartbeat_consume_now;
	sink_class->stop = pd_heartbeat_stop;
	sink_class->pollster_polled = pd_heartbeat_pollster_polled;
}

static void
pd_heartbeat_init(PdHeartbeat *self)
{
	self->order = g_ptr_array_new_with_free_func(g_free);
	self->status = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
}

gchar *
pd_heartbeat_dup_report(PdHeartbeat *self)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < self->order->len; i++) {
		const gchar *name = g_ptr_array_index(self->order, i);
		if (i > 0)
			g_string_append_c(out, '\n');
		g_string_append_printf(
		  out, "%s %s", name, (gchar *)g_hash_table_lookup(self->status, name));
	}
	return g_string_free(out, FALSE);
}

static void
report_written_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GSocketConnection) conn = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &error))
		g_debug("heartbeat client went away: %s", error->message);
	g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
}

static gboolean
incoming_cb(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer user_data)
{
	PdHeartbeat *self = user_data;
	gchar *report = pd_heartbeat_dup_report(self);
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));

	/* the report text lives as long as the connection does */
	g_object_set_data_full(G_OBJECT(conn), "pd-report", report, g_free);
	g_output_stream_write_all_async(out,
					report,
					strlen(report),
					G_PRIORITY_DEFAULT,
					NULL,
					report_written_cb,
					g_object_ref(conn));
	return TRUE;
}

PdSink *
pd_heartbeat_new(const gchar *const *namespaces)
{
	PdHeartbeat *self = g_object_new(PD_TYPE_HEARTBEAT, "name", "heartbeat", NULL);

	self->namespaces = g_strdupv((gchar **)namespaces);
	return PD_SINK(self);
}

gboolean
pd_heartbeat_listen(PdHeartbeat *self, const gchar *path, GError **error)
{
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GError) local = NULL;

	pd_heartbeat_close(self);
	/* a socket left by an agent that died is in the way */
	if (unlink(path) != 0 && errno != ENOENT) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_INVALID_CONFIG,
			    "heartbeat socket %s: %s",
			    path,
			    g_strerror(errno));
		return FALSE;
	}
	self->service = g_socket_service_new();
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(self->service),
					   addr,
					   G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_DEFAULT,
					   NULL,
					   NULL,
					   &local)) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_INVALID_CONFIG,
			    "can't open the heartbeat socket %s: %s",
			    path,
			    local->message);
		g_clear_object(&self->service);
		return FALSE;
	}
	self->path = g_strdup(path);
	g_signal_connect(self->service, "incoming", G_CALLBACK(incoming_cb), self);
	g_socket_service_start(self->service);
	g_message("heartbeat socket listening on %s", path);
	pd_sink_set_state(PD_SINK(self), "listening", NULL);
	return TRUE;
}

const gchar *
pd_heartbeat_get_path(PdHeartbeat *self)
{
	return self->path;
}

void
pd_heartbeat_beat(PdHeartbeat *self, const gchar *pollster, gint64 timestamp_us)
{
	gchar text[27];
	gchar *key;

	pd_serializer_format_timestamp(timestamp_us, 'T', text);
	/* Python's isoformat() leaves out a zero fraction */
	if (strcmp(text + 19, ".000000") == 0)
		text[19] = '\0';
	if (!g_hash_table_lookup_extended(self->status, pollster, (gpointer *)&key, NULL)) {
		key = g_strdup(pollster);
		g_ptr_array_add(self->order, key);
	}
	g_hash_table_insert(self->status, key, g_strdup(text));
}
