/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "pd-dbus-error.h"
#include "pd-error.h"

static const GDBusErrorEntry pd_dbus_error_entries[] = {
	{ PD_DBUS_ERROR_FAILED, "org.polld.Agent1.Error.Failed" },
	{ PD_DBUS_ERROR_INVALID_CONFIG, "org.polld.Agent1.Error.InvalidConfig" },
	{ PD_DBUS_ERROR_NOT_FOUND, "org.polld.Agent1.Error.NotFound" },
	{ PD_DBUS_ERROR_PERMISSION_DENIED, "org.polld.Agent1.Error.PermissionDenied" },
	{ PD_DBUS_ERROR_NOT_RUNNING, "org.polld.Agent1.Error.NotRunning" },
	{ PD_DBUS_ERROR_CANCELLED, "org.polld.Agent1.Error.Cancelled" },
};

G_STATIC_ASSERT(G_N_ELEMENTS(pd_dbus_error_entries) == PD_DBUS_ERROR_LAST);

GQuark
pd_dbus_error_quark(void)
{
	static gsize quark = 0;

	/* registration makes both ends map names and codes */
	g_dbus_error_register_error_domain("pd-dbus-error-quark",
					   &quark,
					   pd_dbus_error_entries,
					   G_N_ELEMENTS(pd_dbus_error_entries));
	return (GQuark)quark;
}

static PdDbusErrorCode
pd_dbus_error_code_for(const GError *error)
{
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return PD_DBUS_ERROR_CANCELLED;
	if (error->domain != PD_ERROR)
		return PD_DBUS_ERROR_FAILED;
	switch (error->code) {
		case PD_ERROR_INVALID_CONFIG:
			return PD_DBUS_ERROR_INVALID_CONFIG;
		case PD_ERROR_NOT_FOUND:
			return PD_DBUS_ERROR_NOT_FOUND;
		case PD_ERROR_CANCELLED:
			return PD_DBUS_ERROR_CANCELLED;
		default:
			return PD_DBUS_ERROR_FAILED;
	}
}

GError *
pd_dbus_error_from_error(const GError *error)
{
	if (error->domain == PD_DBUS_ERROR)
		return g_error_copy(error);
	return g_error_new_literal(PD_DBUS_ERROR, pd_dbus_error_code_for(error), error->message);
}
