/*
 * replays every file of a corpus directory through a fuzz target, so the
 * checked-in corpus runs as a plain (valgrind/ASan-able) meson test
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
main(int argc, char **argv)
{
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *name;
	guint n = 0;

	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
	/* warnings (unknown keys...) are expected on odd input */
	g_log_set_handler(
	  NULL, G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, g_log_default_handler, NULL);
	if (argc != 2) {
		g_printerr("usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	dir = g_dir_open(argv[1], 0, &error);
	g_assert_no_error(error);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *fn = g_build_filename(argv[1], name, NULL);
		g_autofree gchar *data = NULL;
		gsize len = 0;
		g_assert_true(g_file_get_contents(fn, &data, &len, NULL));
		LLVMFuzzerTestOneInput((const guint8 *)data, len);
		n++;
	}
	g_print("1..1\nok 1 replayed %u inputs of %s\n", n, argv[1]);
	return n > 0 ? 0 : 1;
}
