/*
 * polld - who may control the daemon over D-Bus
 *
 * The bus policy lets only root call the control methods and set
 * properties; this check holds when the bus config is permissive.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdDbusAuth"

#include "config.h"

#include <unistd.h>

#include "pd-dbus-auth.h"
#include "pd-dbus-error.h"

typedef struct {
	GDBusMethodInvocation *invocation;
	PdDbusAuthFunc func;
	gpointer user_data;
	GDestroyNotify destroy;
} PdDbusAuthData;

static void
pd_dbus_auth_data_free(PdDbusAuthData *data)
{
	if (data->destroy != NULL)
		data->destroy(data->user_data);
	g_object_unref(data->invocation);
	g_free(data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDbusAuthData, pd_dbus_auth_data_free)

gboolean
pd_dbus_auth_uid_allowed(guint32 uid)
{
	return uid == 0 || uid == (guint32)geteuid();
}

/* the method, or the property for a Properties.Set */
static gchar *
pd_dbus_auth_what(GDBusMethodInvocation *invocation)
{
	const gchar *method = g_dbus_method_invocation_get_method_name(invocation);
	GVariant *params = g_dbus_method_invocation_get_parameters(invocation);
	const gchar *iface = NULL, *prop = NULL;

	if (g_strcmp0(method, "Set") == 0 &&
	    g_variant_is_of_type(params, G_VARIANT_TYPE("(ssv)"))) {
		g_variant_get(params, "(&s&s@v)", &iface, &prop, NULL);
		return g_strdup_printf("setting %s.%s", iface, prop);
	}
	return g_strdup(method);
}

static void
pd_dbus_auth_uid_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(PdDbusAuthData) data = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree gchar *what = pd_dbus_auth_what(data->invocation);
	guint32 uid;

	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	if (reply == NULL) {
		g_dbus_method_invocation_return_error(data->invocation,
						      PD_DBUS_ERROR,
						      PD_DBUS_ERROR_PERMISSION_DENIED,
						      "%s: cannot identify the caller: %s",
						      what,
						      error->message);
		return;
	}
	g_variant_get(reply, "(u)", &uid);
	if (!pd_dbus_auth_uid_allowed(uid)) {
		g_message("denied %s to uid %u", what, uid);
		g_dbus_method_invocation_return_error(data->invocation,
						      PD_DBUS_ERROR,
						      PD_DBUS_ERROR_PERMISSION_DENIED,
						      "%s is allowed to root only (caller uid %u)",
						      what,
						      uid);
		return;
	}
	g_info("%s by uid %u", what, uid);
	data->func(data->invocation, data->user_data);
}

void
pd_dbus_auth_run(GDBusMethodInvocation *invocation,
		 PdDbusAuthFunc func,
		 gpointer user_data,
		 GDestroyNotify destroy)
{
	PdDbusAuthData *data = g_new0(PdDbusAuthData, 1);
	GDBusConnection *conn = g_dbus_method_invocation_get_connection(invocation);

	data->invocation = g_object_ref(invocation);
	data->func = func;
	data->user_data = user_data;
	data->destroy = destroy;
	g_dbus_connection_call(
	  conn,
	  "org.freedesktop.DBus",
	  "/org/freedesktop/DBus",
	  "org.freedesktop.DBus",
	  "GetConnectionUnixUser",
	  g_variant_new("(s)", g_dbus_method_invocation_get_sender(invocation)),
	  G_VARIANT_TYPE("(u)"),
	  G_DBUS_CALL_FLAGS_NONE,
	  -1,
	  NULL,
	  pd_dbus_auth_uid_cb,
	  data);
}
