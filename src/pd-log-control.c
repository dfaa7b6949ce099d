/*
 * polld - org.freedesktop.LogControl1
 *
 * Properties are served through method_call (no get/set_property vfuncs) so
 * that a Set can wait for the caller's uid without blocking the loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdLogControl"

#include "config.h"

#include <string.h>

#include "pd-dbus-auth.h"
#include "pd-log-control.h"

#define PD_LOG_CONTROL_PATH "/org/freedesktop/LogControl1"
#define PD_LOG_CONTROL_IFACE "org.freedesktop.LogControl1"

struct _PdLogControl {
	GDBusConnection *connection;
	const PdLogControlBackend *backend;
	guint registration;
};

typedef struct {
	const PdLogControlBackend *backend;
	gchar *prop;
	GVariant *value;
} PdLogControlSet;

static void
pd_log_control_set_free(gpointer p)
{
	PdLogControlSet *set = p;

	g_free(set->prop);
	g_variant_unref(set->value);
	g_free(set);
}

static GVariant *
pd_log_control_get(const PdLogControlBackend *backend, const gchar *prop)
{
	if (strcmp(prop, "LogLevel") == 0)
		return g_variant_new_string(backend->get_level());
	if (strcmp(prop, "LogTarget") == 0)
		return g_variant_new_string(backend->get_target());
	if (strcmp(prop, "SyslogIdentifier") == 0)
		return g_variant_new_string(backend->get_identifier());
	return NULL;
}

static void
pd_log_control_do_set(GDBusMethodInvocation *invocation, gpointer user_data)
{
	PdLogControlSet *set = user_data;
	g_autoptr(GError) error = NULL;
	const gchar *value;
	gboolean ok;

	if (!g_variant_is_of_type(set->value, G_VARIANT_TYPE_STRING)) {
		g_dbus_method_invocation_return_error(invocation,
						      G_DBUS_ERROR,
						      G_DBUS_ERROR_INVALID_ARGS,
						      "%s takes a string",
						      set->prop);
		return;
	}
	value = g_variant_get_string(set->value, NULL);
	if (strcmp(set->prop, "LogLevel") == 0)
		ok = set->backend->set_level(value, &error);
	else
		ok = set->backend->set_target(value, &error);
	if (!ok) {
		g_dbus_method_invocation_return_error_literal(
		  invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, error->message);
		return;
	}
	g_message("%s set to %s over D-Bus", set->prop, value);
	g_dbus_method_invocation_return_value(invocation, NULL);
}

static void
pd_log_control_properties_set(PdLogControl *self,
			      GDBusMethodInvocation *invocation,
			      GVariant *params)
{
	PdLogControlSet *set;
	const gchar *iface, *prop;
	GVariant *value;

	g_variant_get(params, "(&s&s@v)", &iface, &prop, &value);
	if (strcmp(prop, "LogLevel") != 0 && strcmp(prop, "LogTarget") != 0) {
		g_variant_unref(value);
		g_dbus_method_invocation_return_error(invocation,
						      G_DBUS_ERROR,
						      G_DBUS_ERROR_PROPERTY_READ_ONLY,
						      "%s is read-only",
						      prop);
		return;
	}
	set = g_new0(PdLogControlSet, 1);
	set->backend = self->backend;
	set->prop = g_strdup(prop);
	set->value = g_variant_get_variant(value);
	g_variant_unref(value);
	pd_dbus_auth_run(invocation, pd_log_control_do_set, set, pd_log_control_set_free);
}

static void
pd_log_control_get_all(PdLogControl *self, GDBusMethodInvocation *invocation)
{
	static const gchar *const props[] = { "LogLevel", "LogTarget", "SyslogIdentifier" };
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	for (guint i = 0; i < G_N_ELEMENTS(props); i++)
		g_variant_builder_add(
		  &b, "{sv}", props[i], pd_log_control_get(self->backend, props[i]));
	g_dbus_method_invocation_return_value(invocation, g_variant_new("(a{sv})", &b));
}

static void
pd_log_control_method_call(GDBusConnection *connection,
			   const gchar *sender,
			   const gchar *object_path,
			   const gchar *interface_name,
			   const gchar *method_name,
			   GVariant *params,
			   GDBusMethodInvocation *invocation,
			   gpointer user_data)
{
	PdLogControl *self = user_data;
	const gchar *iface, *prop;
	GVariant *value;

	if (strcmp(method_name, "Set") == 0) {
		pd_log_control_properties_set(self, invocation, params);
		return;
	}
	if (strcmp(method_name, "GetAll") == 0) {
		pd_log_control_get_all(self, invocation);
		return;
	}
	g_variant_get(params, "(&s&s)", &iface, &prop);
	value = pd_log_control_get(self->backend, prop);
	if (value == NULL) {
		g_dbus_method_invocation_return_error(
		  invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
		return;
	}
	g_dbus_method_invocation_return_value(invocation, g_variant_new("(v)", value));
}

static const GDBusInterfaceVTable pd_log_control_vtable = {
	pd_log_control_method_call,
	NULL,
	NULL,
	{ 0 },
};

PdLogControl *
pd_log_control_new(GDBusConnection *connection, const PdLogControlBackend *backend, GError **error)
{
	g_autoptr(GBytes) xml = NULL;
	g_autoptr(GDBusNodeInfo) info = NULL;
	PdLogControl *self;

	xml = g_resources_lookup_data(
	  "/org/polld/org.freedesktop.LogControl1.xml", G_RESOURCE_LOOKUP_FLAGS_NONE, error);
	if (xml == NULL)
		return NULL;
	info = g_dbus_node_info_new_for_xml(g_bytes_get_data(xml, NULL), error);
	if (info == NULL)
		return NULL;
	self = g_new0(PdLogControl, 1);
	self->connection = g_object_ref(connection);
	self->backend = backend;
	self->registration = g_dbus_connection_register_object(
	  connection,
	  PD_LOG_CONTROL_PATH,
	  g_dbus_node_info_lookup_interface(info, PD_LOG_CONTROL_IFACE),
	  &pd_log_control_vtable,
	  self,
	  NULL,
	  error);
	if (self->registration == 0) {
		pd_log_control_free(self);
		return NULL;
	}
	return self;
}

void
pd_log_control_free(PdLogControl *self)
{
	if (self == NULL)
		return;
	if (self->registration != 0)
		g_dbus_connection_unregister_object(self->connection, self->registration);
	g_object_unref(self->connection);
	g_free(self);
}
