/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-ipmi"

#include <math.h>
#include <string.h>

#include "pd-error.h"
#include "pd-ipmi-sdr.h"

/* the three spellings ipmitool uses, tried in Ceilometer's order */
static const gchar *const pd_ipmi_type_keys[] = {
	"Sensor Type (Analog)",
	"Sensor Type (Discrete)",
	"Sensor Type (Threshold)",
};

void
pd_ipmi_sdr_sensor_free(PdIpmiSensor *sensor)
{
	if (sensor == NULL)
		return;
	g_free(sensor->id);
	g_free(sensor->type);
	g_free(sensor->reading);
	g_free(sensor->normal_maximum);
	g_free(sensor);
}

/* "key : value" with exactly one colon; other lines (continuations,
 * values holding a colon) are ignored as Ceilometer ignores them */
static void
pd_ipmi_sdr_add_line(GHashTable *fields, const gchar *line)
{
	const gchar *colon = strchr(line, ':');
	g_autofree gchar *key = NULL;

	if (colon == NULL || strchr(colon + 1, ':') != NULL)
		return;
	key = g_strstrip(g_strndup(line, colon - line));
	g_hash_table_insert(fields, g_steal_pointer(&key), g_strstrip(g_strdup(colon + 1)));
}

static gchar *
pd_ipmi_sdr_block_type(GHashTable *fields)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_ipmi_type_keys); i++) {
		const gchar *value = g_hash_table_lookup(fields, pd_ipmi_type_keys[i]);
		const gchar *space;
		if (value == NULL)
			continue;
		space = strchr(value, ' ');
		return space != NULL ? g_strndup(value, space - value) : g_strdup(value);
	}
	return NULL;
}

/* blocks without a type (MC locator, FRU records of a full `sdr -v`),
 * without an id or without a reading carry no sample */
static PdIpmiSensor *
pd_ipmi_sdr_block_sensor(GHashTable *fields)
{
	const gchar *id = g_hash_table_lookup(fields, "Sensor ID");
	const gchar *reading = g_hash_table_lookup(fields, "Sensor Reading");
	g_autofree gchar *type = pd_ipmi_sdr_block_type(fields);
	PdIpmiSensor *sensor;

	if (type == NULL || id == NULL || reading == NULL)
		return NULL;
	sensor = g_new0(PdIpmiSensor, 1);
	sensor->id = g_strdup(id);
	sensor->type = g_steal_pointer(&type);
	sensor->reading = g_strdup(reading);
	sensor->normal_maximum = g_strdup(g_hash_table_lookup(fields, "Normal Maximum"));
	return sensor;
}

static void
pd_ipmi_sdr_add_sensor(GPtrArray *sensors, PdIpmiSensor *sensor)
{
	for (guint i = 0; i < sensors->len; i++) {
		PdIpmiSensor *old = g_ptr_array_index(sensors, i);
		if (g_strcmp0(old->type, sensor->type) == 0 &&
		    g_strcmp0(old->id, sensor->id) == 0) {
			pd_ipmi_sdr_sensor_free(old);
			sensors->pdata[i] = sensor;
			return;
		}
	}
	g_ptr_array_add(sensors, sensor);
}

static void
pd_ipmi_sdr_end_block(GPtrArray *sensors, GHashTable *fields)
{
	PdIpmiSensor *sensor;

	if (g_hash_table_size(fields) == 0)
		return;
	sensor = pd_ipmi_sdr_block_sensor(fields);
	if (sensor != NULL)
		pd_ipmi_sdr_add_sensor(sensors, sensor);
	g_hash_table_remove_all(fields);
}

GPtrArray *
pd_ipmi_sdr_parse(const gchar *text, gsize len, GError **error)
{
	g_autoptr(GPtrArray) sensors =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_ipmi_sdr_sensor_free);
	g_autoptr(GHashTable) fields =
	  g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autofree gchar *valid = g_utf8_make_valid(text, len);
	g_auto(GStrv) lines = g_strsplit(valid, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_strchomp(lines[i]); /* also drops a '\r' */
		if (lines[i][0] == '\0')
			pd_ipmi_sdr_end_block(sensors, fields);
		else
			pd_ipmi_sdr_add_line(fields, lines[i]);
	}
	pd_ipmi_sdr_end_block(sensors, fields);
	if (sensors->len == 0) {
		g_set_error(
		  error, PD_ERROR, PD_ERROR_FAILED, "no sensor reading in ipmitool's output");
		return NULL;
	}
	return g_steal_pointer(&sensors);
}

static const gchar *
pd_ipmi_unit_map(const gchar *unit)
{
	if (g_strcmp0(unit, "Watts") == 0)
		return "W";
	if (g_strcmp0(unit, "Volts") == 0)
		return "V";
	return unit;
}

gboolean
pd_ipmi_sdr_reading_parse(const gchar *reading, gdouble *volume, gchar **unit)
{
	const gchar *space = strchr(reading, ' ');
	const gchar *last_space;
	g_autofree gchar *number = NULL;
	gchar *end = NULL;
	gdouble value;

	/* a number, a space, then anything ending in the unit's last word */
	if (space == NULL || space == reading)
		return FALSE;
	number = g_strndup(reading, space - reading);
	/* decimal only: strtod would take hex ("0x00" of discrete states) */
	if (number[strspn(number, "0123456789+-.eE")] != '\0')
		return FALSE;
	value = g_ascii_strtod(number, &end);
	if (end == number || *end != '\0' || !isfinite(value))
		return FALSE;
	last_space = strrchr(space, ' ');
	*volume = value;
	*unit = g_strdup(pd_ipmi_unit_map(last_space + 1));
	return TRUE;
}

gchar *
pd_ipmi_sdr_sensor_id_transform(const gchar *id)
{
	g_autofree gchar *lower = g_utf8_strdown(id, -1);
	return g_strdelimit(g_steal_pointer(&lower), " ", '_');
}
