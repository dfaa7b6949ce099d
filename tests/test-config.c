/*
 * PdConfig: the ceilometer.conf reader (oslo.config's syntax, positions in
 * every error), the range-checked getters and the seconds to milliseconds
 * conversion every timeout goes through
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "pd-config-private.h"
#include "pd-test-util.h"

typedef struct {
	gchar *dir;
	gchar *file;
	PdConfig *config;
} PdFixture;

static void
pd_fixture_init(PdFixture *fx, gconstpointer data)
{
	fx->dir = pd_test_mkdtemp();
	fx->file = g_build_filename(fx->dir, "polld.conf", NULL);
	fx->config = pd_config_new();
}

static void
pd_fixture_fini(PdFixture *fx, gconstpointer data)
{
	pd_test_rmtree(fx->dir);
	g_free(fx->dir);
	g_free(fx->file);
	g_object_unref(fx->config);
}

/* loads @len bytes of @text as polld.conf */
static gboolean
pd_fixture_load(PdFixture *fx, const gchar *text, gssize len, GError **error)
{
	g_autoptr(GError) write_error = NULL;

	g_file_set_contents(fx->file, text, len, &write_error);
	g_assert_no_error(write_error);
	return pd_config_load_file(fx->config, fx->file, error);
}

/* loads @text, which must fail with an error starting "<file>:<@where>: " */
static void
pd_fixture_assert_error(PdFixture *fx, const gchar *text, gssize len, const gchar *where)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *prefix = g_strdup_printf("%s:%s: ", fx->file, where);

	g_assert_false(pd_fixture_load(fx, text, len, &error));
	g_assert_error(error, PD_CONFIG_ERROR, PD_CONFIG_ERROR_SYNTAX);
	if (!g_str_has_prefix(error->message, prefix))
		g_error("expected '%s...', got '%s'", prefix, error->message);
}

static void
test_config_nul_byte(PdFixture *fx, gconstpointer data)
{
	/* everything after the NUL used to be ignored, the syntax error too */
	const gchar text[] = "[DEFAULT]\nhost = a\nsample_source = b\0c\nthis is wrong\n";

	pd_fixture_assert_error(fx, text, sizeof(text) - 1, "3:18");
}

static void
test_config_invalid_utf8(PdFixture *fx, gconstpointer data)
{
	/* a sample_source that would reach the samples as U+FFFD */
	pd_fixture_assert_error(fx, "[DEFAULT]\nsample_source = caf\xe9\n", -1, "2:20");
	g_assert_null(pd_config_get_string(fx->config, NULL, "sample_source", NULL));
}

static void
test_config_bom(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(pd_fixture_load(fx, "\xef\xbb\xbf[DEFAULT]\nhost = a\n", -1, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(pd_config_get_string(fx->config, NULL, "host", NULL), ==, "a");
}

static void
test_config_continuation(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) list = NULL;

	/* as oslo.config: an indented line continues the value above it, a
	 * blank line ends it; 'key: value' and quotes are accepted too */
	g_assert_true(pd_fixture_load(fx,
				      "[DEFAULT]\n"
				      "polling_namespaces = compute,\n"
				      "   central\n"
				      "\tthird\n"
				      "\n"
				      "  \n"
				      "host: 'node 1'\n"
				      "sample_source = \"src\"\n",
				      -1,
				      &error));
	g_assert_no_error(error);
	g_assert_cmpstr(pd_config_get_string(fx->config, NULL, "polling_namespaces", NULL),
			==,
			"compute,\ncentral\nthird");
	list = pd_config_get_list(fx->config, NULL, "polling_namespaces", NULL);
	g_assert_cmpuint(g_strv_length(list), ==, 2);
	g_assert_cmpstr(pd_config_get_string(fx->config, NULL, "host", NULL), ==, "node 1");
	g_assert_cmpstr(pd_config_get_string(fx->config, NULL, "sample_source", NULL), ==, "src");
}

static void
test_config_syntax_positions(PdFixture *fx, gconstpointer data)
{
	pd_fixture_assert_error(fx, "host = a\n", -1, "1:1");
	pd_fixture_assert_error(fx, "[DEFAULT]\n\n  no separator\n", -1, "3:3");
	pd_fixture_assert_error(fx, "[DEFAULT\nhost = a\n", -1, "1:1");
	pd_fixture_assert_error(fx, "[]\n", -1, "1:1");
	pd_fixture_assert_error(fx, "[DEFAULT]\n= a\n", -1, "2:1");
}

static void
test_config_long_text_is_cut(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GString) text = g_string_new("[");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *cut = NULL;

	/* a 10 MB section name used to be echoed whole into the log */
	for (guint i = 0; i < 10 * 1024 * 1024; i++)
		g_string_append_c(text, 'x');
	g_string_append(text, "\n");
	g_assert_false(pd_fixture_load(fx, text->str, (gssize)text->len, &error));
	g_assert_cmpuint(strlen(error->message), <, strlen(fx->file) + 200);
	g_assert_nonnull(strstr(error->message, "...(10485761 bytes)"));

	/* and unknown options, read in full, are warned about cut short */
	g_string_truncate(text, text->len - 1);
	g_string_append(text, "]\nkey = 1\n");
	g_clear_error(&error);
	g_assert_true(pd_fixture_load(fx, text->str, (gssize)text->len, &error));
	g_test_expect_message("PdConfig",
			      G_LOG_LEVEL_WARNING,
			      "*polld.conf:2: unknown option [xxx*(10485760 bytes)] key*");
	g_assert_cmpuint(pd_config_warn_unknown(fx->config), ==, 1);
	g_test_assert_expected_messages();

	/* on a character boundary, control characters escaped */
	cut = pd_config_abbreviate("\x01\xc3\xa9", -1);
	g_assert_cmpstr(cut, ==, "\\x01\xc3\xa9");
	g_clear_pointer(&cut, g_free);
	g_string_assign(text, "");
	for (guint i = 0; i < 40; i++)
		g_string_append(text, "\xc3\xa9");
	cut = pd_config_abbreviate(text->str, -1);
	g_assert_true(g_utf8_validate(cut, -1, NULL));
	g_assert_true(g_str_has_suffix(cut, "\xc3\xa9...(80 bytes)"));
}

static void
test_config_int_range(PdFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expect = NULL;
	gint64 value = 0;

	g_assert_true(pd_fixture_load(fx,
				      "[polling]\nbatch_size = -1\n[polld]\n"
				      "worker_threads = eight\nstop_timeout = 5\n",
				      -1,
				      &error));
	g_assert_false(pd_config_get_int_range(
	  fx->config, "polling", "batch_size", 50, 0, 100000, &value, &error));
	g_assert_error(error, PD_CONFIG_ERROR, PD_CONFIG_ERROR_INVALID);
	expect = g_strdup_printf(
	  "%s:2: [polling] batch_size = '-1': expected an integer from 0 to 100000", fx->file);
	g_assert_cmpstr(error->message, ==, expect);
	g_clear_error(&error);
	g_assert_false(
	  pd_config_get_int_range(fx->config, "polld", "worker_threads", 8, 1, 64, &value, &error));
	g_assert_nonnull(strstr(error->message, "polld.conf:4: [polld] worker_threads = 'eight'"));
	g_clear_error(&error);
	g_assert_true(pd_config_get_int_range(
	  fx->config, "polld", "stop_timeout", 30, 1, 3600, &value, &error));
	g_assert_cmpint(value, ==, 5);
	g_assert_true(pd_config_get_int_range(
	  fx->config, "polld", "pollster_timeout", 0, 0, 86400, &value, &error));
	g_assert_cmpint(value, ==, 0);
}

/* [polld] ceilometer_compat: the release names, 2022.2 for zed, the
 * default when unset, anything else an error with file and line */
static void
test_config_ceilometer_compat(PdFixture *fx, gconstpointer data)
{
	static const struct {
		const gchar *text;
		PdCeilometerRelease release;
	} good[] = {
		{ "zed", PD_CEILOMETER_ZED },
		{ "2022.2", PD_CEILOMETER_ZED },
		{ "2025.2", PD_CEILOMETER_2025_2 },
		{ "2026.1", PD_CEILOMETER_2026_1 },
	};
	const gchar *bad[] = { "Zed", "2025.1", "25", "", "flamingo", NULL };
	PdCeilometerRelease release = PD_CEILOMETER_ZED;
	g_autoptr(GError) error = NULL;

	g_assert_true(pd_fixture_load(fx, "[polld]\n", -1, &error));
	g_assert_true(pd_config_get_ceilometer_compat(fx->config, &release, &error));
	g_assert_cmpint(release, ==, PD_CEILOMETER_DEFAULT);
	g_assert_cmpint(PD_CEILOMETER_DEFAULT, ==, PD_CEILOMETER_2026_1);
	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autofree gchar *text =
		  g_strdup_printf("[polld]\nceilometer_compat = %s\n", good[i].text);
		g_assert_true(pd_fixture_load(fx, text, -1, &error));
		g_assert_true(pd_config_get_ceilometer_compat(fx->config, &release, &error));
		g_assert_no_error(error);
		g_assert_cmpint(release, ==, good[i].release);
	}
	for (guint i = 0; bad[i] != NULL; i++) {
		g_autofree gchar *text =
		  g_strdup_printf("[polld]\n\nceilometer_compat = %s\n", bad[i]);
		g_autofree gchar *expect = NULL;
		g_assert_true(pd_fixture_load(fx, text, -1, &error));
		g_assert_false(pd_config_get_ceilometer_compat(fx->config, &release, &error));
		g_assert_error(error, PD_CONFIG_ERROR, PD_CONFIG_ERROR_INVALID);
		expect = g_strdup_printf("%s:3: [polld] ceilometer_compat = '", fx->file);
		g_assert_true(g_str_has_prefix(error->message, expect));
		g_assert_true(g_str_has_suffix(error->message,
					       "expected one of zed (or 2022.2), 2025.2, 2026.1"));
		g_clear_error(&error);
	}
}

static void
test_config_double_range(PdFixture *fx, gconstpointer data)
{
	const gchar *bad[] = { "1e30", "inf", "-inf", "nan", "1e999", "-1", "0x", "", NULL };
	gdouble value = 0;

	for (guint i = 0; bad[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *text = g_strdup_printf(
		  "[oslo_messaging_rabbit]\n# a comment\nrabbit_retry_interval = %s\n", bad[i]);
		g_assert_true(pd_fixture_load(fx, text, -1, &error));
		g_assert_false(pd_config_get_double_range(fx->config,
							  "oslo_messaging_rabbit",
							  "rabbit_retry_interval",
							  1,
							  0,
							  86400,
							  &value,
							  &error));
		g_assert_error(error, PD_CONFIG_ERROR, PD_CONFIG_ERROR_INVALID);
		g_assert_nonnull(strstr(error->message, "polld.conf:3: [oslo_messaging_rabbit]"));
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_true(pd_fixture_load(
		  fx, "[oslo_messaging_rabbit]\nrabbit_retry_interval = 0.5\n", -1, &error));
		g_assert_true(pd_config_get_double_range(fx->config,
							 "oslo_messaging_rabbit",
							 "rabbit_retry_interval",
							 1,
							 0,
							 86400,
							 &value,
							 &error));
		g_assert_cmpfloat(value, ==, 0.5);
	}
}

static void
test_config_seconds_to_ms(void)
{
	g_assert_cmpuint(pd_config_seconds_to_ms(1.5), ==, 1500);
	g_assert_cmpuint(pd_config_seconds_to_ms(0), ==, 0);
	g_assert_cmpuint(pd_config_seconds_to_ms(-1), ==, 0);
	g_assert_cmpuint(pd_config_seconds_to_ms(NAN), ==, 0);
	g_assert_cmpuint(pd_config_seconds_to_ms(4294967.0), ==, 4294967000u);
	/* what used to wrap (polling task deadlines) or be undefined (1e30) */
	g_assert_cmpuint(pd_config_seconds_to_ms(4294968.0), ==, G_MAXUINT);
	g_assert_cmpuint(pd_config_seconds_to_ms(7.3e29), ==, G_MAXUINT);
	g_assert_cmpuint(pd_config_seconds_to_ms(INFINITY), ==, G_MAXUINT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, PdFixture, NULL, pd_fixture_init, func, pd_fixture_fini)
	ADD("/config/nul-byte", test_config_nul_byte);
	ADD("/config/invalid-utf8", test_config_invalid_utf8);
	ADD("/config/bom", test_config_bom);
	ADD("/config/continuation", test_config_continuation);
	ADD("/config/syntax-positions", test_config_syntax_positions);
	ADD("/config/long-text-is-cut", test_config_long_text_is_cut);
	ADD("/config/int-range", test_config_int_range);
	ADD("/config/double-range", test_config_double_range);
	ADD("/config/ceilometer-compat", test_config_ceilometer_compat);
	g_test_add_func("/config/seconds-to-ms", test_config_seconds_to_ms);
	return g_test_run();
}
