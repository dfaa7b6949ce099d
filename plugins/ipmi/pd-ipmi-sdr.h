/*
 * polld ipmi plugin - parser for ipmitool's verbose sensor listing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* one sensor block of `ipmitool sdr -v` / `ipmitool sensor get` that has a
 * "Sensor Reading" line; the strings are the output's, trimmed */
typedef struct {
	gchar *id;	       /* "Sensor ID", e.g. "CPU Temp (0x1)" */
	gchar *type;	       /* first word of "Sensor Type (...)", e.g. "Temperature" */
	gchar *reading;	       /* "Sensor Reading", e.g. "45 (+/- 0) degrees C" */
	gchar *normal_maximum; /* "Normal Maximum" or NULL */
} PdIpmiSensor;

void
pd_ipmi_sdr_sensor_free(PdIpmiSensor *sensor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdIpmiSensor, pd_ipmi_sdr_sensor_free)

/* every sensor with a reading, in output order (a repeated id replaces the
 * earlier block in place); fails when there is none at all */
GPtrArray *
pd_ipmi_sdr_parse(const gchar *text, gsize len, GError **error);

/* "45 (+/- 0) degrees C" -> 45.0, "C"; FALSE for "Disabled", "No Reading",
 * "na", hex discrete states and anything else without a finite number and
 * a unit */
gboolean
pd_ipmi_sdr_reading_parse(const gchar *reading, gdouble *volume, gchar **unit);

/* the sensor part of a resource id: lower case, spaces as '_' */
gchar *
pd_ipmi_sdr_sensor_id_transform(const gchar *id);

G_END_DECLS
