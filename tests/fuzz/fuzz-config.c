/*
 * libFuzzer target for the INI config reader; without libFuzzer the same
 * file replays a corpus (tests/fuzz/corpus/config) as a plain test
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
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
		(void)pd_config_get_bool(config, NULL, "debug", FALSE);
	} else {
		g_assert_true(g_str_has_prefix(error->message, fn));
	}
	g_unlink(fn);
	return 0;
}
