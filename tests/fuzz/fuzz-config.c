/*
 * libFuzzer target for the INI config reader; without libFuzzer the same
 * file replays a corpus (tests/fuzz/corpus/config) as a plain test
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "pd-config-private.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdConfig) config = pd_config_new();
	g_autofree gchar *fn = NULL;
	gint fd = g_file_open_tmp("polld-fuzz-XXXXXX.conf", &fn, NULL);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, data, size), ==, (gssize)size);
	close(fd);
	if (pd_config_load_file(config, fn, &error)) {
		g_auto(GStrv) list = pd_config_get_list(config, NULL, "polling_namespaces", NULL);
		(void)pd_config_get_int(config, "polling", "batch_size", 50);
		gint64 i64;
		gdouble d;
		g_autoptr(GError) range_error = NULL;
		(void)pd_config_get_bool(config, NULL, "debug", FALSE);
		if (!pd_config_get_int_range(
		      config, "polling", "batch_size", 50, 0, 100000, &i64, &range_error))
			g_assert_true(g_str_has_prefix(range_error->message, fn));
		g_clear_error(&range_error);
		if (!pd_config_get_double_range(config,
						"oslo_messaging_rabbit",
						"rabbit_retry_interval",
						1,
						0,
						86400,
						&d,
						&range_error))
			g_assert_true(g_str_has_prefix(range_error->message, fn));
		else
			g_assert_true(d >= 0 && d <= 86400);
		pd_config_warn_unknown(config);
	} else {
		/* what a message quotes from the file is bounded */
		g_assert_cmpuint(strlen(error->message), <, strlen(fn) + 256);
		g_assert_true(g_str_has_prefix(error->message, fn));
	}
	g_unlink(fn);
	return 0;
}
