/*
 * polld - PdConfig as plugins and the daemon read it: typed getters, '-' and
 * '_' alike, defaults, malformed values warned about (naming file and key)
 * and replaced by the default, later files and the command line win, I/O
 * errors name the file, unknown keys are reported
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pd-config-private.h"
#include "pd-test-util.h"

typedef struct {
	gchar *dir;
	PdConfig *config;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	fx->dir = pd_test_mkdtemp();
	fx->config = pd_config_new();
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_object(&fx->config);
	pd_test_rmtree(fx->dir);
	g_free(fx->dir);
}

static gchar *
load(Fixture *fx, const gchar *name, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	gchar *fn = pd_test_write_file(fx->dir, name, text);

	g_assert_true(pd_config_load_file(fx->config, fn, &error));
	g_assert_no_error(error);
	return fn;
}

static void
test_config_typed(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *fn = load(fx,
				    "polld.conf",
				    "# a comment\n"
				    "; an oslo comment\n"
				    "[DEFAULT]\n"
				    "host = node-1  \n"
				    "batch-size = 50\n"
				    "[polling]\n"
				    "ratio = 0.25\n"
				    "flag = Yes\n"
				    "off = 0\n"
				    "list = a, b,, c ,\n"
				    "empty =\n");
	g_auto(GStrv) list = pd_config_get_list(fx->config, "polling", "list", NULL);
	g_auto(GStrv) deflist = pd_config_get_list(fx->config, "polling", "missing", "x,y");
	g_auto(GStrv) nolist = pd_config_get_list(fx->config, "polling", "missing", NULL);
	const gchar *want_list[] = { "a", "b", "c", NULL };
	const gchar *want_deflist[] = { "x", "y", NULL };
	const gchar *want_nolist[] = { NULL };

	/* group NULL is DEFAULT; values are stripped */
	g_assert_cmpstr(pd_config_get_string(fx->config, NULL, "host", NULL), ==, "node-1");
	g_assert_cmpstr(pd_config_get_string(fx->config, "DEFAULT", "host", NULL), ==, "node-1");
	/* '-' and '_' name the same option, as in oslo.config */
	g_assert_cmpint(pd_config_get_int(fx->config, NULL, "batch_size", 0), ==, 50);
	g_assert_cmpint(pd_config_get_int(fx->config, NULL, "batch-size", 0), ==, 50);
	g_assert_cmpfloat(pd_config_get_double(fx->config, "polling", "ratio", 0), ==, 0.25);
	g_assert_true(pd_config_get_bool(fx->config, "polling", "flag", FALSE));
	g_assert_false(pd_config_get_bool(fx->config, "polling", "off", TRUE));
	g_assert_cmpstrv(list, want_list);
	g_assert_cmpstrv(deflist, want_deflist);
	g_assert_cmpstrv(nolist, want_nolist);
	g_assert_cmpstr(pd_config_get_string(fx->config, "polling", "empty", "def"), ==, "");
	/* absent keys give the default */
	g_assert_false(pd_config_has_key(fx->config, "polling", "nope"));
	g_assert_true(pd_config_has_key(fx->config, "polling", "flag"));
	g_assert_cmpint(pd_config_get_int(fx->config, "polling", "nope", -7), ==, -7);
	g_assert_cmpstr(pd_config_get_string(fx->config, "nope", "host", "d"), ==, "d");
	g_assert_cmpstr(pd_config_get_origin(fx->config, NULL, "host"), ==, fn);
	g_assert_null(pd_config_get_origin(fx->config, NULL, "nope"));
	g_assert_cmpuint(pd_config_get_files(fx->config)->len, ==, 1);
}

static void
test_config_malformed_values(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *fn =
	  load(fx, "polld.conf", "[x]\nint = 12abc\ndouble = 1.5.2\nbool = maybe\n");
	g_autofree gchar *int_msg = g_strdup_printf("%s*[x] int*12abc*", fn);
	g_autofree gchar *dbl_msg = g_strdup_printf("%s*[x] double*1.5.2*", fn);
	g_autofree gchar *bool_msg = g_strdup_printf("%s*[x] bool*maybe*", fn);

	g_test_expect_message("PdConfig", G_LOG_LEVEL_WARNING, int_msg);
	g_assert_cmpint(pd_config_get_int(fx->config, "x", "int", 3), ==, 3);
	g_test_expect_message("PdConfig", G_LOG_LEVEL_WARNING, dbl_msg);
	g_assert_cmpfloat(pd_config_get_double(fx->config, "x", "double", 2.5), ==, 2.5);
	g_test_expect_message("PdConfig", G_LOG_LEVEL_WARNING, bool_msg);
	g_assert_true(pd_config_get_bool(fx->config, "x", "bool", TRUE));
	g_test_assert_expected_messages();
}

static void
test_config_precedence(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *confd = g_build_filename(fx->dir, "conf.d", NULL);
	g_autofree gchar *first = NULL;
	g_autofree gchar *b = NULL;

	first = load(fx, "polld.conf", "[a]\nk = file\nonly_first = 1\n");
	g_assert_cmpint(g_mkdir(confd, 0700), ==, 0);
	/* name order, whatever order the directory lists them in */
	b = pd_test_write_file(confd, "20-b.conf", "[a]\nk = b\n");
	g_free(pd_test_write_file(confd, "10-a.conf", "[a]\nk = a\n"));
	g_free(pd_test_write_file(confd, "30-c.txt", "[a]\nk = not a conf file\n"));
	g_assert_true(pd_config_load_dir(fx->config, confd, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(pd_config_get_string(fx->config, "a", "k", NULL), ==, "b");
	g_assert_cmpstr(pd_config_get_origin(fx->config, "a", "k"), ==, b);
	g_assert_cmpstr(pd_config_get_origin(fx->config, "a", "only_first"), ==, first);
	g_assert_cmpuint(pd_config_get_files(fx->config)->len, ==, 3);

	/* the command line wins over every file */
	pd_config_set_string(fx->config, "a", "k", "cli");
	g_assert_cmpstr(pd_config_get_string(fx->config, "a", "k", NULL), ==, "cli");
	g_assert_cmpstr(pd_config_get_origin(fx->config, "a", "k"), ==, "command line");
}

static void
test_config_io_errors(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *missing = g_build_filename(fx->dir, "missing.conf", NULL);

	g_assert_false(pd_config_load_file(fx->config, missing, &error));
	g_assert_error(error, PD_CONFIG_ERROR, PD_CONFIG_ERROR_IO);
	g_assert_true(g_str_has_prefix(error->message, missing));
	g_clear_error(&error);
	g_assert_false(pd_config_load_dir(fx->config, missing, &error));
	g_assert_error(error, PD_CONFIG_ERROR, PD_CONFIG_ERROR_IO);
	g_assert_true(g_str_has_prefix(error->message, missing));
}

static void
test_config_unknown_keys(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *fn = load(fx,
				    "polld.conf",
				    "[DEFAULT]\nhost = h\ntypo = 1\n"
				    "[whole]\nanything = 1\nelse = 2\n"
				    "[part]\nknown = 1\nunknown_key = 2\n");
	g_autofree gchar *msg1 = g_strdup_printf("%s*unknown option [DEFAULT] typo*", fn);
	g_autofree gchar *msg2 = g_strdup_printf("%s*unknown option [part] unknown_key*", fn);

	pd_config_register_key(fx->config, NULL, "host");
	pd_config_register_key(fx->config, "whole", "*");
	pd_config_register_key(fx->config, "part", "known");
	/* sorted, so the log reads the same every time */
	g_test_expect_message("PdConfig", G_LOG_LEVEL_WARNING, msg1);
	g_test_expect_message("PdConfig", G_LOG_LEVEL_WARNING, msg2);
	g_assert_cmpuint(pd_config_warn_unknown(fx->config), ==, 2);
	g_test_assert_expected_messages();
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/config-read/typed", test_config_typed);
	ADD("/config-read/malformed-values", test_config_malformed_values);
	ADD("/config-read/precedence", test_config_precedence);
	ADD("/config-read/io-errors", test_config_io_errors);
	ADD("/config-read/unknown-keys", test_config_unknown_keys);
#undef ADD
	return g_test_run();
}
