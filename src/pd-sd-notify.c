/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdSdNotify"

#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <unistd.h>

#include "pd-polling-task.h"
#include "pd-sd-notify.h"

struct _PdSdNotify {
	GObject parent_instance;
	GSocket *socket;
	GSocketAddress *address;
	guint64 watchdog_usec;
	guint watchdog_id;
	PdEngine *engine;
	gboolean stopping;
};

G_DEFINE_TYPE(PdSdNotify, pd_sd_notify, G_TYPE_OBJECT)

static GSocketAddress *
pd_sd_notify_parse_address(const gchar *path)
{
	/* "@name" is an abstract socket, like sd_notify() accepts */
	if (path[0] == '@')
		return g_unix_socket_address_new_with_type(
		  path + 1, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
	if (path[0] == '/')
		return g_unix_socket_address_new(path);
	return NULL;
}

static guint64
pd_sd_notify_read_watchdog(void)
{
	const gchar *usec = g_getenv("WATCHDOG_USEC");
	const gchar *pid = g_getenv("WATCHDOG_PID");

	if (usec == NULL)
		return 0;
	/* the watchdog is meant for another process (we were forked off) */
	if (pid != NULL && g_ascii_strtoull(pid, NULL, 10) != (guint64)getpid())
		return 0;
	return g_ascii_strtoull(usec, NULL, 10);
}

gboolean
pd_sd_notify_is_enabled(PdSdNotify *self)
{
	return self->socket != NULL;
}

guint64
pd_sd_notify_get_watchdog_usec(PdSdNotify *self)
{
	return self->watchdog_usec;
}

gboolean
pd_sd_notify_send(PdSdNotify *self, const gchar *state, GError **error)
{
	if (self->socket == NULL)
		return TRUE;
	return g_socket_send_to(self->socket, self->address, state, strlen(state), NULL, error) >=
	       0;
}

static void
pd_sd_notify_send_or_warn(PdSdNotify *self, const gchar *state)
{
	g_autoptr(GError) error = NULL;
	if (!pd_sd_notify_send(self, state, &error))
		g_warning("cannot notify systemd: %s", error->message);
}

static gboolean
pd_sd_notify_scheduler_alive(PdSdNotify *self)
{
	GPtrArray *tasks = pd_engine_get_tasks(self->engine);
	gint64 oldest = g_get_real_time() - (gint64)self->watchdog_usec;

	/* before the first cycle (partitioning: the first join) no timer is
	 * armed yet */
	if (!pd_engine_get_started(self->engine))
		return TRUE;
	/* every armed timer must fire on time; an unarmed one means the
	 * scheduler lost a task */
	for (guint i = 0; tasks != NULL && i < tasks->len; i++) {
		gint64 next = pd_polling_task_get_next_run(g_ptr_array_index(tasks, i));
		if (next == 0 || next < oldest) {
			g_warning("task %s is not scheduled any more: no watchdog ping",
				  pd_polling_task_get_name(g_ptr_array_index(tasks, i)));
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
pd_sd_notify_watchdog_cb(gpointer user_data)
{
	PdSdNotify *self = PD_SD_NOTIFY(user_data);

	if (self->stopping)
		return G_SOURCE_CONTINUE;
	if (pd_sd_notify_scheduler_alive(self))
		pd_sd_notify_send_or_warn(self, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

static gchar *
pd_sd_notify_status_line(PdSdNotify *self,
			 const gchar *task,
			 guint64 duration_us,
			 guint samples,
			 guint errors)
{
	PdSink *notifier = pd_engine_lookup_sink(self->engine, "notifier");
	GPtrArray *tasks = pd_engine_get_tasks(self->engine);
	const gchar *pstate = notifier != NULL ? pd_sink_get_state(notifier) : NULL;
	g_autoptr(GString) str = g_string_new("STATUS=");

	if (pd_engine_get_paused(self->engine))
		g_string_append(str, "paused; ");
	g_string_append_printf(str,
			       "%u pollsters in %u tasks",
			       g_hash_table_size(pd_engine_get_pollsters(self->engine)),
			       tasks != NULL ? tasks->len : 0);
	if (task != NULL)
		g_string_append_printf(str,
				       "; last cycle %s: %u samples, %u errors in %.1f s",
				       task,
				       samples,
				       errors,
				       (gdouble)duration_us / G_USEC_PER_SEC);
	g_string_append_printf(str, "; publisher %s", pstate != NULL ? pstate : "none");
	return g_string_free(g_steal_pointer(&str), FALSE);
}

static void
pd_sd_notify_cycle_finished_cb(PdEngine *engine,
			       const gchar *task,
			       guint64 duration_us,
			       guint samples,
			       guint errors,
			       gpointer user_data)
{
	PdSdNotify *self = PD_SD_NOTIFY(user_data);
	g_autofree gchar *status =
	  pd_sd_notify_status_line(self, task, duration_us, samples, errors);
	pd_sd_notify_send_or_warn(self, status);
}

void
pd_sd_notify_ready(PdSdNotify *self, PdEngine *engine)
{
	g_autofree gchar *status = NULL;
	g_autofree gchar *msg = NULL;

	g_return_if_fail(self->engine == NULL);
	if (self->socket == NULL)
		return;
	self->engine = g_object_ref(engine);
	status = pd_sd_notify_status_line(self, NULL, 0, 0, 0);
	msg = g_strdup_printf("READY=1\n%s", status);
	pd_sd_notify_send_or_warn(self, msg);
	g_signal_connect_object(
	  engine, "cycle-finished", G_CALLBACK(pd_sd_notify_cycle_finished_cb), self, 0);
	if (self->watchdog_usec == 0)
		return;
	/* ping at half the period, as sd_watchdog_enabled(3) advises */
	self->watchdog_id =
	  g_timeout_add(MAX(self->watchdog_usec / 2000, 1), pd_sd_notify_watchdog_cb, self);
	pd_sd_notify_watchdog_cb(self);
}

void
pd_sd_notify_stopping(PdSdNotify *self)
{
	self->stopping = TRUE;
	g_clear_handle_id(&self->watchdog_id, g_source_remove);
	if (self->socket != NULL)
		pd_sd_notify_send_or_warn(
		  self, "STOPPING=1\nSTATUS=stopping: publishing the running cycle");
}

static void
pd_sd_notify_open(PdSdNotify *self)
{
	const gchar *path = g_getenv("NOTIFY_SOCKET");
	g_autoptr(GError) error = NULL;

	if (path == NULL || path[0] == '\0')
		return;
	self->address = pd_sd_notify_parse_address(path);
	if (self->address == NULL) {
		g_warning("NOTIFY_SOCKET=%s is not a unix socket path, ignored", path);
		return;
	}
	self->socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
	if (self->socket == NULL) {
		g_warning("cannot create the notify socket: %s", error->message);
		g_clear_object(&self->address);
	}
}

static void
pd_sd_notify_dispose(GObject *obj)
{
	PdSdNotify *self = PD_SD_NOTIFY(obj);

	g_clear_handle_id(&self->watchdog_id, g_source_remove);
	g_clear_object(&self->engine);
	G_OBJECT_CLASS(pd_sd_notify_parent_class)->dispose(obj);
}

static void
pd_sd_notify_finalize(GObject *obj)
{
	PdSdNotify *self = PD_SD_NOTIFY(obj);

	g_clear_object(&self->socket);
	g_clear_object(&self->address);
	G_OBJECT_CLASS(pd_sd_notify_parent_class)->finalize(obj);
}

static void
pd_sd_notify_init(PdSdNotify *self)
{
}

static void
pd_sd_notify_class_init(PdSdNotifyClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = pd_sd_notify_dispose;
	G_OBJECT_CLASS(klass)->finalize = pd_sd_notify_finalize;
}

PdSdNotify *
pd_sd_notify_new(void)
{
	PdSdNotify *self = g_object_new(PD_TYPE_SD_NOTIFY, NULL);

	pd_sd_notify_open(self);
	if (self->socket != NULL)
		self->watchdog_usec = pd_sd_notify_read_watchdog();
	g_unsetenv("NOTIFY_SOCKET");
	g_unsetenv("WATCHDOG_USEC");
	g_unsetenv("WATCHDOG_PID");
	return self;
}
