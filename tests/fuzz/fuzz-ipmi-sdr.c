/*
 * libFuzzer target for the ipmi plugin's parser of ipmitool output; without
 * libFuzzer the same file replays a corpus (tests/fuzz/corpus/ipmi) as a
 * plain test
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include "pd-ipmi-sdr.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) sensors = pd_ipmi_sdr_parse((const gchar *)data, size, &error);

	if (sensors == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	g_assert_cmpuint(sensors->len, >, 0);
	for (guint i = 0; i < sensors->len; i++) {
		PdIpmiSensor *s = g_ptr_array_index(sensors, i);
		g_autofree gchar *id = pd_ipmi_sdr_sensor_id_transform(s->id);
		g_autofree gchar *unit = NULL;
		gdouble volume;

		/* what becomes a resource id and a sample is valid UTF-8 and finite */
		g_assert_true(g_utf8_validate(id, -1, NULL));
		g_assert_null(strchr(id, ' '));
		if (pd_ipmi_sdr_reading_parse(s->reading, &volume, &unit)) {
			g_assert_true(isfinite(volume));
			g_assert_true(g_utf8_validate(unit, -1, NULL));
		}
	}
	return 0;
}
