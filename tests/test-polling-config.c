/*
 * polld - tests for the polling.yaml loader
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pd-polling-config.h"

#define LOG_DOMAIN "PdPollingConfig"
#define FAKE_FILE "polling.yaml"

/* a valid source; tests append keys or swap one line */
#define SOURCE_HEAD "sources:\n  - name: s\n"
#define INTERVAL_60 "    interval: 60\n"
#define METERS_CPU "    meters: [cpu]\n"

static PdPollingConfig *
load_ok(const gchar *yaml)
{
	g_autoptr(GError) error = NULL;
	PdPollingConfig *cfg = pd_polling_config_load_data(yaml, -1, FAKE_FILE, &error);

	g_assert_no_error(error);
	g_assert_nonnull(cfg);
	return cfg;
}

static void
assert_load_fails(const gchar *yaml, gint code, const gchar *message)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPollingConfig) cfg = NULL;

	cfg = pd_polling_config_load_data(yaml, -1, FAKE_FILE, &error);
	g_assert_null(cfg);
	g_assert_error(error, PD_POLLING_CONFIG_ERROR, code);
	g_assert_cmpstr(error->message, ==, message);
}

static void
assert_invalid(const gchar *yaml, const gchar *message)
{
	assert_load_fails(yaml, PD_POLLING_CONFIG_ERROR_INVALID, message);
}

static void
assert_syntax(const gchar *yaml, const gchar *message)
{
	assert_load_fails(yaml, PD_POLLING_CONFIG_ERROR_SYNTAX, message);
}

static const PdSourceDef *
source_at(PdPollingConfig *cfg, guint i)
{
	g_assert_cmpuint(i, <, cfg->sources->len);
	return g_ptr_array_index(cfg->sources, i);
}

static void
assert_strv(gchar **got, const gchar *const *want)
{
	g_assert_nonnull(got);
	g_assert_cmpuint(g_strv_length(got), ==, g_strv_length((gchar **)want));
	for (guint i = 0; want[i] != NULL; i++)
		g_assert_cmpstr(got[i], ==, want[i]);
}

/* valid files */

static void
test_valid_ceilometer_default(void)
{
	/* the shape of Ceilometer's shipped polling.yaml */
	const gchar *yaml = "---\n"
			    "sources:\n"
			    "    - name: some_pollsters\n"
			    "      interval: 300\n"
			    "      meters:\n"
			    "        - cpu\n"
			    "        - cpu_l3_cache\n"
			    "        - memory.usage\n"
			    "        - network.incoming.bytes\n"
			    "        - network.incoming.packets\n"
			    "        - network.outgoing.bytes\n"
			    "        - network.outgoing.packets\n"
			    "        - disk.device.read.bytes\n"
			    "        - disk.device.read.requests\n"
			    "        - disk.device.write.bytes\n"
			    "        - disk.device.write.requests\n";
	g_autoptr(PdPollingConfig) cfg = load_ok(yaml);
	const PdSourceDef *src;

	g_assert_cmpstr(cfg->filename, ==, FAKE_FILE);
	g_assert_cmpuint(cfg->sources->len, ==, 1);
	src = source_at(cfg, 0);
	g_assert_cmpstr(src->name, ==, "some_pollsters");
	g_assert_cmpuint(src->interval, ==, 300);
	g_assert_cmpuint(g_strv_length(src->meters), ==, 11);
	g_assert_cmpstr(src->meters[0], ==, "cpu");
	g_assert_cmpstr(src->meters[10], ==, "disk.device.write.requests");
	g_assert_nonnull(src->resources);
	g_assert_null(src->resources[0]);
	g_assert_nonnull(src->discovery);
	g_assert_null(src->discovery[0]);
	g_assert_cmpuint(src->line, ==, 3);
	g_assert_cmpuint(src->column, ==, 7);
	g_assert_true(pd_polling_config_source_matches(src, "memory.usage"));
	g_assert_false(pd_polling_config_source_matches(src, "image.size"));
}

/* the example of Ceilometer's polling.yaml documentation, every key used */
static void
test_valid_documented_example(void)
{
	const gchar *yaml = "sources:\n"
			    "  - name: some_pollsters        # required\n"
			    "    interval: 300               # required, integer seconds > 0\n"
			    "    meters: [\"cpu\", \"memory.usage\", \"disk.*\"]\n"
			    "    resources: [\"http://x\"]\n"
			    "    discovery: [\"endpoint:image\"]\n";
	const gchar *meters[] = { "cpu", "memory.usage", "disk.*", NULL };
	const gchar *resources[] = { "http://x", NULL };
	const gchar *discovery[] = { "endpoint:image", NULL };
	g_autoptr(PdPollingConfig) cfg = load_ok(yaml);
	const PdSourceDef *src = source_at(cfg, 0);

	g_assert_cmpstr(src->name, ==, "some_pollsters");
	g_assert_cmpuint(src->interval, ==, 300);
	assert_strv(src->meters, meters);
	assert_strv(src->resources, resources);
	assert_strv(src->discovery, discovery);
}

static void
test_valid_multiple_sources_keep_order(void)
{
	const gchar *yaml = "sources:\n"
			    "  - name: fast\n"
			    "    interval: 60\n"
			    "    meters: [cpu]\n"
			    "  - {name: slow, interval: 3600, meters: [image.size]}\n";
	g_autoptr(PdPollingConfig) cfg = load_ok(yaml);

	g_assert_cmpuint(cfg->sources->len, ==, 2);
	g_assert_cmpstr(source_at(cfg, 0)->name, ==, "fast");
	g_assert_cmpuint(source_at(cfg, 0)->interval, ==, 60);
	g_assert_cmpuint(source_at(cfg, 0)->line, ==, 2);
	g_assert_cmpuint(source_at(cfg, 0)->column, ==, 5);
	g_assert_cmpstr(source_at(cfg, 1)->name, ==, "slow");
	g_assert_cmpuint(source_at(cfg, 1)->interval, ==, 3600);
	g_assert_cmpuint(source_at(cfg, 1)->line, ==, 5);
	g_assert_cmpuint(source_at(cfg, 1)->column, ==, 5);
}

static void
test_valid_empty_sources_list(void)
{
	/* Ceilometer accepts it (and then polls nothing) */
	g_autoptr(PdPollingConfig) cfg = load_ok("sources: []\n");

	g_assert_cmpuint(cfg->sources->len, ==, 0);
}

static void
test_valid_static_resources(void)
{
	const gchar *yaml = SOURCE_HEAD INTERVAL_60 METERS_CPU "    resources:\n"
							       "      - http://a.example/x\n"
							       "      - 'snmp://10.0.0.1'\n";
	const gchar *want[] = { "http://a.example/x", "snmp://10.0.0.1", NULL };
	g_autoptr(PdPollingConfig) cfg = load_ok(yaml);

	assert_strv(source_at(cfg, 0)->resources, want);
	g_assert_null(source_at(cfg, 0)->discovery[0]);
}

static void
test_valid_discovery(void)
{
	const gchar *yaml = SOURCE_HEAD INTERVAL_60 METERS_CPU
	  "    discovery: [local_instances, \"endpoint:image\"]\n";
	const gchar *want[] = { "local_instances", "endpoint:image", NULL };
	g_autoptr(PdPollingConfig) cfg = load_ok(yaml);

	assert_strv(source_at(cfg, 0)->discovery, want);
	g_assert_null(source_at(cfg, 0)->resources[0]);
}

static void
test_valid_null_resources_and_discovery(void)
{
	/* Ceilometer reads a null list as an empty one */
	const gchar *yaml = SOURCE_HEAD INTERVAL_60 METERS_CPU "    resources:\n"
							       "    discovery: ~\n";
	g_autoptr(PdPollingConfig) cfg = load_ok(yaml);

	g_assert_nonnull(source_at(cfg, 0)->resources);
	g_assert_null(source_at(cfg, 0)->resources[0]);
	g_assert_nonnull(source_at(cfg, 0)->discovery);
	g_assert_null(source_at(cfg, 0)->discovery[0]);
}

static void
test_valid_interval_int_tag(void)
{
	g_autoptr(PdPollingConfig) cfg =
	  load_ok(SOURCE_HEAD "    interval: !!int 120\n" METERS_CPU);

	g_assert_cmpuint(source_at(cfg, 0)->interval, ==, 120);
}

static void
test_valid_interval_max(void)
{
	g_autoptr(PdPollingConfig) cfg =
	  load_ok(SOURCE_HEAD "    interval: 4294967295\n" METERS_CPU);

	g_assert_cmpuint(source_at(cfg, 0)->interval, ==, G_MAXUINT);
}

static void
test_valid_quoted_strings(void)
{
	const gchar *yaml = "sources:\n"
			    "  - name: 'my source'\n"
			    "    interval: 60\n"
			    "    meters: ['!memory.usage', \"!disk.*\"]\n";
	g_autoptr(PdPollingConfig) cfg = load_ok(yaml);

	g_assert_cmpstr(source_at(cfg, 0)->name, ==, "my source");
	g_assert_cmpstr(source_at(cfg, 0)->meters[0], ==, "!memory.usage");
	g_assert_cmpstr(source_at(cfg, 0)->meters[1], ==, "!disk.*");
}

static void
test_valid_unknown_source_key_warns(void)
{
	const gchar *yaml = SOURCE_HEAD INTERVAL_60 METERS_CPU "    sinks: [meter_sink]\n";
	g_autoptr(PdPollingConfig) cfg = NULL;

	g_test_expect_message(LOG_DOMAIN,
			      G_LOG_LEVEL_WARNING,
			      "polling.yaml:5:5: unknown key 'sinks' in source, ignored");
	cfg = load_ok(yaml);
	g_test_assert_expected_messages();
	g_assert_cmpuint(cfg->sources->len, ==, 1);
}

static void
test_valid_unknown_top_level_key_warns(void)
{
	const gchar *yaml = SOURCE_HEAD INTERVAL_60 METERS_CPU "sinks: []\n";
	g_autoptr(PdPollingConfig) cfg = NULL;

	g_test_expect_message(LOG_DOMAIN,
			      G_LOG_LEVEL_WARNING,
			      "polling.yaml:5:1: unknown key 'sinks' at top level, ignored");
	cfg = load_ok(yaml);
	g_test_assert_expected_messages();
	g_assert_cmpuint(cfg->sources->len, ==, 1);
}

static void
test_valid_anchor_without_alias(void)
{
	g_autoptr(PdPollingConfig) cfg = load_ok(SOURCE_HEAD "    interval: &i 60\n" METERS_CPU);

	g_assert_cmpuint(source_at(cfg, 0)->interval, ==, 60);
}

static void
test_valid_null_filename(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPollingConfig) cfg = pd_polling_config_load_data("[]", -1, NULL, &error);

	g_assert_null(cfg);
	g_assert_error(error, PD_POLLING_CONFIG_ERROR, PD_POLLING_CONFIG_ERROR_INVALID);
	g_assert_cmpstr(error->message,
			==,
			"<data>:1:1: top level must be a mapping with key 'sources', not a list");
}

static void
test_valid_explicit_length(void)
{
	/* the bytes after @len must not be read */
	const gchar *yaml = SOURCE_HEAD INTERVAL_60 METERS_CPU "garbage: [";
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPollingConfig) cfg = NULL;

	cfg = pd_polling_config_load_data(
	  yaml, (gssize)(strlen(yaml) - strlen("garbage: [")), FAKE_FILE, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cfg->sources->len, ==, 1);
}

static void
test_ref_unref(void)
{
	PdPollingConfig *cfg = load_ok(SOURCE_HEAD INTERVAL_60 METERS_CPU);

	g_assert_true(pd_polling_config_ref(cfg) == cfg);
	g_assert_cmpint(cfg->ref_count, ==, 2);
	pd_polling_config_unref(cfg);
	g_assert_cmpint(cfg->ref_count, ==, 1);
	g_assert_cmpstr(source_at(cfg, 0)->name, ==, "s");
	pd_polling_config_unref(cfg);
	pd_polling_config_unref(NULL);
}

/* files that are not YAML */

static void
test_syntax_unclosed_flow_list(void)
{
	assert_syntax("sources: [a, b\n",
		      "polling.yaml:2:1: did not find expected ',' or ']' "
		      "(while parsing a flow sequence started at 1:10)");
}

static void
test_syntax_tab_indent(void)
{
	assert_syntax("sources:\n\t- name: s\n",
		      "polling.yaml:2:1: found character that cannot start any token "
		      "(while scanning for the next token)");
}

static void
test_syntax_bad_indent(void)
{
	assert_syntax("sources:\n  - name: s\n   interval: 60\n",
		      "polling.yaml:3:4: did not find expected '-' indicator "
		      "(while parsing a block collection started at 2:3)");
}

static void
test_syntax_unterminated_quote(void)
{
	assert_syntax("sources: 'abc\n",
		      "polling.yaml:2:1: found unexpected end of stream "
		      "(while scanning a quoted scalar started at 1:10)");
}

static void
test_syntax_invalid_utf8(void)
{
	assert_syntax("sources:\n  - name: \xc3\x28\n",
		      "polling.yaml:2:12: invalid trailing UTF-8 octet (#28)");
}

static void
test_syntax_control_character(void)
{
	assert_syntax("sources: \x01\n",
		      "polling.yaml:1:10: control characters are not allowed (#1)");
}

/* YAML, but not a polling definition */

static void
test_invalid_empty_file(void)
{
	assert_invalid("", "polling.yaml:1:1: empty file, expected a mapping with key 'sources'");
}

static void
test_invalid_comments_only(void)
{
	assert_invalid("# nothing here\n\n",
		       "polling.yaml:1:1: empty file, expected a mapping with key 'sources'");
}

static void
test_invalid_empty_document(void)
{
	assert_invalid(
	  "---\n", "polling.yaml:2:1: top level must be a mapping with key 'sources', not null");
}

static void
test_invalid_two_documents(void)
{
	assert_invalid("sources: []\n---\nsources: []\n",
		       "polling.yaml:2:1: expected a single YAML document, found a second one");
}

static void
test_invalid_top_level_list(void)
{
	assert_invalid(
	  "- name: s\n  interval: 60\n",
	  "polling.yaml:1:1: top level must be a mapping with key 'sources', not a list");
}

static void
test_invalid_top_level_scalar(void)
{
	assert_invalid("just some text\n",
		       "polling.yaml:1:1: top level must be a mapping with key "
		       "'sources', not a string");
}

static void
test_invalid_missing_sources(void)
{
	g_test_expect_message(LOG_DOMAIN,
			      G_LOG_LEVEL_WARNING,
			      "polling.yaml:1:1: unknown key 'source' at top level, ignored");
	assert_invalid("source:\n  - name: s\n",
		       "polling.yaml:1:1: missing required key 'sources'");
	g_test_assert_expected_messages();
}

static void
test_invalid_sources_scalar(void)
{
	assert_invalid("sources: cpu\n",
		       "polling.yaml:1:10: 'sources' must be a list, not a string");
}

static void
test_invalid_sources_mapping(void)
{
	assert_invalid("sources:\n  name: s\n",
		       "polling.yaml:2:3: 'sources' must be a list, not a mapping");
}

static void
test_invalid_sources_null(void)
{
	assert_invalid("sources:\n", "polling.yaml:1:9: 'sources' must be a list, not null");
}

static void
test_invalid_source_not_mapping(void)
{
	assert_invalid("sources:\n  - cpu\n",
		       "polling.yaml:2:5: a source must be a mapping, not a string");
}

static void
test_invalid_name_missing(void)
{
	assert_invalid("sources:\n  - interval: 60\n    meters: [cpu]\n",
		       "polling.yaml:2:5: source is missing required key 'name'");
}

static void
test_invalid_name_list(void)
{
	assert_invalid("sources:\n  - name: [a]\n" INTERVAL_60 METERS_CPU,
		       "polling.yaml:2:11: 'name' must be a string, not a list");
}

static void
test_invalid_name_integer(void)
{
	assert_invalid("sources:\n  - name: 42\n" INTERVAL_60 METERS_CPU,
		       "polling.yaml:2:11: 'name' must be a string, not an integer");
}

static void
test_invalid_name_empty(void)
{
	assert_invalid("sources:\n  - name: \"\"\n" INTERVAL_60 METERS_CPU,
		       "polling.yaml:2:11: 'name' must not be empty");
}

static void
test_invalid_name_duplicate(void)
{
	const gchar *yaml = "sources:\n"
			    "  - name: a\n"
			    "    interval: 60\n"
			    "    meters: [cpu]\n"
			    "  - name: a\n"
			    "    interval: 300\n"
			    "    meters: [memory.usage]\n";

	assert_invalid(yaml, "polling.yaml:5:11: duplicate source name 'a' (first defined at 2:5)");
}

static void
test_invalid_interval_missing(void)
{
	assert_invalid(SOURCE_HEAD METERS_CPU,
		       "polling.yaml:2:5: source 's' is missing required key 'interval'");
}

static void
test_invalid_interval_string(void)
{
	assert_invalid(SOURCE_HEAD "    interval: \"300\"\n" METERS_CPU,
		       "polling.yaml:3:15: 'interval' must be an integer > 0, not a string");
}

static void
test_invalid_interval_word(void)
{
	assert_invalid(SOURCE_HEAD "    interval: often\n" METERS_CPU,
		       "polling.yaml:3:15: 'interval' must be an integer > 0, not a string");
}

static void
test_invalid_interval_float(void)
{
	assert_invalid(SOURCE_HEAD "    interval: 300.0\n" METERS_CPU,
		       "polling.yaml:3:15: 'interval' must be an integer > 0, not a float");
}

static void
test_invalid_interval_zero(void)
{
	assert_invalid(SOURCE_HEAD "    interval: 0\n" METERS_CPU,
		       "polling.yaml:3:15: 'interval' must be > 0, not 0");
}

static void
test_invalid_interval_negative(void)
{
	assert_invalid(SOURCE_HEAD "    interval: -300\n" METERS_CPU,
		       "polling.yaml:3:15: 'interval' must be > 0, not -300");
}

static void
test_invalid_interval_boolean(void)
{
	assert_invalid(SOURCE_HEAD "    interval: true\n" METERS_CPU,
		       "polling.yaml:3:15: 'interval' must be an integer > 0, not a boolean");
}

static void
test_invalid_interval_yaml11_boolean(void)
{
	/* yaml.safe_load reads `yes` as True */
	assert_invalid(SOURCE_HEAD "    interval: yes\n" METERS_CPU,
		       "polling.yaml:3:15: 'interval' must be an integer > 0, not a boolean");
}

static void
test_invalid_interval_null(void)
{
	assert_invalid(SOURCE_HEAD "    interval:\n" METERS_CPU,
		       "polling.yaml:3:14: 'interval' must be an integer > 0, not null");
}

static void
test_invalid_interval_list(void)
{
	assert_invalid(SOURCE_HEAD "    interval: [60]\n" METERS_CPU,
		       "polling.yaml:3:15: 'interval' must be an integer > 0, not a list");
}

static void
test_invalid_interval_hex(void)
{
	assert_invalid(
	  SOURCE_HEAD "    interval: 0x12c\n" METERS_CPU,
	  "polling.yaml:3:15: 'interval' must be a plain decimal integer, not '0x12c'");
}

static void
test_invalid_interval_octal(void)
{
	assert_invalid(SOURCE_HEAD "    interval: 0300\n" METERS_CPU,
		       "polling.yaml:3:15: 'interval' must be a plain decimal integer, not '0300'");
}

static void
test_invalid_interval_too_large(void)
{
	assert_invalid(SOURCE_HEAD "    interval: 4294967296\n" METERS_CPU,
		       "polling.yaml:3:15: 'interval' must be at most 4294967295, not 4294967296");
}

static void
test_invalid_meters_missing(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60,
		       "polling.yaml:2:5: source 's' is missing required key 'meters'");
}

static void
test_invalid_meters_scalar(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 "    meters: cpu\n",
		       "polling.yaml:4:13: 'meters' must be a list, not a string");
}

static void
test_invalid_meters_empty(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 "    meters: []\n",
		       "polling.yaml:4:13: 'meters' must not be empty");
}

static void
test_invalid_meters_null(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 "    meters:\n",
		       "polling.yaml:4:12: 'meters' must be a list, not null");
}

static void
test_invalid_meter_entry_integer(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 "    meters: [cpu, 42]\n",
		       "polling.yaml:4:19: 'meters' entries must be strings, not an integer");
}

static void
test_invalid_meter_entry_mapping(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 "    meters:\n      - cpu\n      - {a: b}\n",
		       "polling.yaml:6:9: 'meters' entries must be strings, not a mapping");
}

static void
test_invalid_meter_entry_empty(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 "    meters: [cpu, \"\"]\n",
		       "polling.yaml:4:19: meter pattern must not be empty");
}

static void
test_invalid_meter_unquoted_exclusion(void)
{
	/* YAML reads an unquoted !disk.* as a tag */
	assert_invalid(SOURCE_HEAD INTERVAL_60 "    meters:\n      - !disk.*\n",
		       "polling.yaml:5:9: unsupported tag '!disk.*' "
		       "(quote meter patterns that start with '!')");
}

static void
test_invalid_meters_mixed_position(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 "    meters:\n      - cpu\n      - \"!disk.*\"\n",
		       "polling.yaml:6:9: included and excluded ('!') meters cannot be mixed: "
		       "'!disk.*' after 'cpu'");
}

static void
test_invalid_meters_wildcard_position(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 "    meters: ['*', 'cpu']\n",
		       "polling.yaml:4:19: '*' cannot stand beside other included meters: "
		       "'cpu' after '*'");
}

static void
test_invalid_resources_scalar(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 METERS_CPU "    resources: http://x\n",
		       "polling.yaml:5:16: 'resources' must be a list, not a string");
}

static void
test_invalid_resources_entry(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 METERS_CPU "    resources: [1]\n",
		       "polling.yaml:5:17: 'resources' entries must be strings, not an integer");
}

static void
test_invalid_discovery_mapping(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 METERS_CPU "    discovery: {a: b}\n",
		       "polling.yaml:5:16: 'discovery' must be a list, not a mapping");
}

static void
test_invalid_duplicate_key(void)
{
	assert_invalid(SOURCE_HEAD INTERVAL_60 "    interval: 300\n" METERS_CPU,
		       "polling.yaml:4:5: duplicate key 'interval' (first at 3:5)");
}

static void
test_invalid_non_scalar_key(void)
{
	assert_invalid("sources:\n  - {[a]: 1, name: s}\n",
		       "polling.yaml:2:6: keys must be strings, not a list");
}

static void
test_invalid_alias(void)
{
	const gchar *yaml = "sources:\n"
			    "  - name: s\n"
			    "    interval: &every 60\n"
			    "    meters: [cpu]\n"
			    "  - name: t\n"
			    "    interval: *every\n"
			    "    meters: [cpu]\n";

	assert_invalid(yaml, "polling.yaml:6:15: aliases (*every) are not supported");
}

static void
test_invalid_unknown_tag(void)
{
	assert_invalid(SOURCE_HEAD "    interval: !!python/int 60\n" METERS_CPU,
		       "polling.yaml:3:15: unsupported tag 'tag:yaml.org,2002:python/int'");
}

static void
test_invalid_nul_in_scalar(void)
{
	assert_invalid("sources:\n  - name: \"a\\0b\"\n" INTERVAL_60 METERS_CPU,
		       "polling.yaml:2:11: NUL characters are not allowed in scalars");
}

static void
test_invalid_too_deep(void)
{
	g_autofree gchar *open = g_strnfill(40, '[');
	g_autofree gchar *close = g_strnfill(40, ']');
	g_autofree gchar *yaml = g_strconcat("sources: ", open, close, "\n", NULL);

	/* the root mapping is level 1, so the 32nd '[' (column 41) is level 33 */
	assert_invalid(yaml, "polling.yaml:1:41: nested more than 32 levels deep");
}

/* meter pattern list shapes (pd_polling_config_validate_patterns) */

static void
assert_patterns_valid(const gchar *const *patterns)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(pd_polling_config_validate_patterns((gchar **)patterns, &error));
	g_assert_no_error(error);
}

static void
assert_patterns_invalid(const gchar *const *patterns, const gchar *message)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(pd_polling_config_validate_patterns((gchar **)patterns, &error));
	g_assert_error(error, PD_POLLING_CONFIG_ERROR, PD_POLLING_CONFIG_ERROR_INVALID);
	g_assert_cmpstr(error->message, ==, message);
}

static void
test_patterns_all_plain(void)
{
	const gchar *patterns[] = { "cpu", "disk.*", "network.?ncoming.bytes", NULL };
	g_autoptr(PdPollingConfig) cfg = NULL;

	assert_patterns_valid(patterns);
	cfg =
	  load_ok(SOURCE_HEAD INTERVAL_60 "    meters: [cpu, disk.*, network.?ncoming.bytes]\n");
	g_assert_cmpuint(g_strv_length(source_at(cfg, 0)->meters), ==, 3);
}

static void
test_patterns_all_excluded(void)
{
	const gchar *patterns[] = { "!cpu", "!disk.*", NULL };
	g_autoptr(PdPollingConfig) cfg = NULL;

	assert_patterns_valid(patterns);
	cfg = load_ok(SOURCE_HEAD INTERVAL_60 "    meters: ['!cpu', '!disk.*']\n");
	g_assert_cmpuint(g_strv_length(source_at(cfg, 0)->meters), ==, 2);
}

static void
test_patterns_wildcard_with_excluded(void)
{
	const gchar *patterns[] = { "*", "!cpu", "!disk.*", NULL };
	g_autoptr(PdPollingConfig) cfg = NULL;

	assert_patterns_valid(patterns);
	cfg = load_ok(SOURCE_HEAD INTERVAL_60 "    meters: ['*', '!cpu', '!disk.*']\n");
	g_assert_cmpuint(g_strv_length(source_at(cfg, 0)->meters), ==, 3);
}

static void
test_patterns_wildcard_alone(void)
{
	const gchar *patterns[] = { "*", NULL };
	g_autoptr(PdPollingConfig) cfg = NULL;

	assert_patterns_valid(patterns);
	cfg = load_ok(SOURCE_HEAD INTERVAL_60 "    meters: ['*']\n");
	g_assert_cmpstr(source_at(cfg, 0)->meters[0], ==, "*");
}

static void
test_patterns_star_prefixed_beside_excluded(void)
{
	/* Ceilometer checks x[0] not in '!*': a pattern starting with '*' is not "plain" */
	const gchar *patterns[] = { "*.bytes", "!disk.*", NULL };
	const gchar *with_wildcard[] = { "*", "*.bytes", NULL };

	assert_patterns_valid(patterns);
	assert_patterns_valid(with_wildcard);
}

static void
test_patterns_plain_then_excluded(void)
{
	const gchar *patterns[] = { "cpu", "!disk.*", NULL };

	assert_patterns_invalid(patterns,
				"included and excluded ('!') meters cannot be mixed: "
				"'!disk.*' after 'cpu'");
}

static void
test_patterns_excluded_then_plain(void)
{
	const gchar *patterns[] = { "!disk.*", "cpu", NULL };

	assert_patterns_invalid(patterns,
				"included and excluded ('!') meters cannot be mixed: "
				"'cpu' after '!disk.*'");
}

static void
test_patterns_plain_then_wildcard(void)
{
	const gchar *patterns[] = { "cpu", "*", NULL };

	assert_patterns_invalid(patterns,
				"'*' cannot stand beside other included meters: '*' after 'cpu'");
}

static void
test_patterns_wildcard_then_plain(void)
{
	const gchar *patterns[] = { "*", "!cpu", "memory.usage", NULL };

	assert_patterns_invalid(patterns,
				"included and excluded ('!') meters cannot be mixed: "
				"'memory.usage' after '!cpu'");
}

static void
test_patterns_wildcard_then_plain_no_excluded(void)
{
	const gchar *patterns[] = { "*", "memory.usage", NULL };

	assert_patterns_invalid(patterns,
				"'*' cannot stand beside other included meters: "
				"'memory.usage' after '*'");
}

static void
test_patterns_empty(void)
{
	const gchar *patterns[] = { NULL };

	assert_patterns_invalid(patterns, "no meters specified");
	assert_patterns_invalid(NULL, "no meters specified");
}

static void
test_patterns_empty_entry(void)
{
	const gchar *patterns[] = { "cpu", "", NULL };

	assert_patterns_invalid(patterns, "meter pattern must not be empty");
}

/* matching truth table */

static gboolean
match(const gchar *const *patterns, const gchar *meter)
{
	PdSourceDef src = { 0 };

	src.meters = (gchar **)patterns;
	return pd_polling_config_source_matches(&src, meter);
}

static void
test_match_plain(void)
{
	const gchar *p[] = { "cpu", "memory.usage", NULL };

	g_assert_true(match(p, "cpu"));
	g_assert_true(match(p, "memory.usage"));
	g_assert_false(match(p, "cpu_l3_cache"));
	g_assert_false(match(p, "memory"));
	g_assert_false(match(p, "memoryXusage"));
	g_assert_false(match(p, ""));
}

static void
test_match_glob_star(void)
{
	const gchar *p[] = { "disk.*", NULL };

	g_assert_true(match(p, "disk.read.bytes"));
	g_assert_true(match(p, "disk."));
	g_assert_false(match(p, "disk"));
	g_assert_false(match(p, "network.disk.x"));
}

static void
test_match_question_mark(void)
{
	const gchar *p[] = { "cpu?", NULL };

	g_assert_true(match(p, "cpu1"));
	g_assert_false(match(p, "cpu"));
	g_assert_false(match(p, "cpu12"));
}

static void
test_match_bracket(void)
{
	const gchar *p[] = { "disk.[ab]", NULL };
	const gchar *negated[] = { "disk.[!ab]", NULL };

	g_assert_true(match(p, "disk.a"));
	g_assert_true(match(p, "disk.b"));
	g_assert_false(match(p, "disk.c"));
	g_assert_false(match(p, "disk.ab"));
	g_assert_true(match(negated, "disk.c"));
	g_assert_false(match(negated, "disk.a"));
}

static void
test_match_excluded_only(void)
{
	const gchar *p[] = { "!cpu", "!disk.*", NULL };

	g_assert_false(match(p, "cpu"));
	g_assert_false(match(p, "disk.read.bytes"));
	g_assert_true(match(p, "memory.usage"));
	g_assert_true(match(p, "cpu_util"));
}

static void
test_match_wildcard_with_excluded(void)
{
	const gchar *p[] = { "*", "!cpu*", NULL };

	g_assert_false(match(p, "cpu"));
	g_assert_false(match(p, "cpu_l3_cache"));
	g_assert_true(match(p, "memory.usage"));
}

static void
test_match_wildcard_alone(void)
{
	const gchar *p[] = { "*", NULL };

	g_assert_true(match(p, "cpu"));
	g_assert_true(match(p, ""));
	g_assert_true(match(p, ".hidden"));
	g_assert_true(match(p, "a/b"));
}

static void
test_match_excluded_wins(void)
{
	/* any '!' hit rejects, whatever the order; no plain hit and not all '!' rejects */
	const gchar *p[] = { "*.bytes", "!disk.*", NULL };

	g_assert_false(match(p, "disk.read.bytes"));
	g_assert_true(match(p, "network.incoming.bytes"));
	g_assert_false(match(p, "cpu"));
}

static void
test_match_case_sensitive(void)
{
	const gchar *p[] = { "cpu", NULL };
	const gchar *upper[] = { "CPU*", NULL };

	g_assert_false(match(p, "CPU"));
	g_assert_false(match(upper, "cpu_util"));
}

static void
test_match_backslash_literal(void)
{
	/* Python's fnmatch has no escape character */
	const gchar *p[] = { "a\\b", NULL };

	g_assert_true(match(p, "a\\b"));
	g_assert_false(match(p, "ab"));
}

/* real files */

static gchar *
write_temp(const gchar *contents)
{
	g_autoptr(GError) error = NULL;
	gchar *path = NULL;
	gint fd = g_file_open_tmp("polling-XXXXXX.yaml", &path, &error);

	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	g_close(fd, NULL);
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	return path;
}

static void
test_load_file(void)
{
	g_autofree gchar *path = write_temp(SOURCE_HEAD INTERVAL_60 METERS_CPU);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPollingConfig) cfg = pd_polling_config_load_file(path, &error);

	g_assert_no_error(error);
	g_assert_nonnull(cfg);
	g_assert_cmpstr(cfg->filename, ==, path);
	g_assert_cmpstr(source_at(cfg, 0)->name, ==, "s");
	g_assert_cmpuint(source_at(cfg, 0)->interval, ==, 60);
	g_unlink(path);
}

static void
test_load_file_error_names_file(void)
{
	g_autofree gchar *path = write_temp(SOURCE_HEAD "    interval: 0\n" METERS_CPU);
	g_autofree gchar *want = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPollingConfig) cfg = pd_polling_config_load_file(path, &error);

	g_assert_null(cfg);
	g_assert_error(error, PD_POLLING_CONFIG_ERROR, PD_POLLING_CONFIG_ERROR_INVALID);
	want = g_strdup_printf("%s:3:15: 'interval' must be > 0, not 0", path);
	g_assert_cmpstr(error->message, ==, want);
	g_unlink(path);
}

static void
test_load_file_missing(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPollingConfig) cfg = NULL;
	const gchar *path = "/nonexistent/polld/polling.yaml";

	cfg = pd_polling_config_load_file(path, &error);
	g_assert_null(cfg);
	g_assert_error(error, PD_POLLING_CONFIG_ERROR, PD_POLLING_CONFIG_ERROR_IO);
	g_assert_true(g_str_has_prefix(error->message, "/nonexistent/polld/polling.yaml: "));
}

static void
test_invalid_too_many_sources(void)
{
	g_autoptr(GString) yaml = g_string_new("sources:\n");
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPollingConfig) cfg = NULL;

	/* 100,000 sources took 1.4 GB and 15 s: the 10,001st is refused */
	for (guint i = 0; i <= 10000; i++)
		g_string_append_printf(yaml, "- {name: s%u, interval: 60, meters: [a]}\n", i);
	cfg = pd_polling_config_load_data(yaml->str, (gssize)yaml->len, FAKE_FILE, &error);
	g_assert_null(cfg);
	g_assert_error(error, PD_POLLING_CONFIG_ERROR, PD_POLLING_CONFIG_ERROR_INVALID);
	g_assert_cmpstr(
	  error->message, ==, FAKE_FILE ":10002:3: 10001 sources, more than the 10000 polld polls");
	/* 10,000 are fine */
	g_clear_error(&error);
	g_string_truncate(yaml, (gsize)(strrchr(yaml->str, '-') - yaml->str));
	cfg = pd_polling_config_load_data(yaml->str, (gssize)yaml->len, FAKE_FILE, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cfg->sources->len, ==, 10000);
}

static void
test_invalid_long_text_is_cut(void)
{
	g_autofree gchar *name = g_strnfill(100000, 'x');
	g_autofree gchar *yaml = g_strdup_printf("sources:\n"
						 "  - {name: %s, interval: 60, meters: [a]}\n"
						 "  - {name: %s, interval: 60, meters: [a]}\n",
						 name,
						 name);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPollingConfig) cfg = pd_polling_config_load_data(yaml, -1, FAKE_FILE, &error);

	/* a message quotes at most 256 bytes of what the file says */
	g_assert_null(cfg);
	g_assert_true(g_str_has_prefix(error->message, FAKE_FILE ":3:12: duplicate source name"));
	g_assert_cmpuint(strlen(error->message), <, 320);
	g_assert_true(g_str_has_suffix(error->message, "bytes)"));
}

static void
test_invalid_too_big(void)
{
	g_autoptr(GString) yaml = g_string_new("sources: []\n");
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPollingConfig) cfg = NULL;

	while (yaml->len <= 1024 * 1024)
		g_string_append(yaml,
				"# a comment line making the file bigger than it should be\n");
	cfg = pd_polling_config_load_data(yaml->str, (gssize)yaml->len, FAKE_FILE, &error);
	g_assert_null(cfg);
	g_assert_error(error, PD_POLLING_CONFIG_ERROR, PD_POLLING_CONFIG_ERROR_INVALID);
	g_assert_true(g_str_has_prefix(error->message, FAKE_FILE ":1:1: "));
	g_assert_nonnull(strstr(error->message, "bytes, more than the 1048576 polld reads"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/polling-config/valid/ceilometer-default", test_valid_ceilometer_default);
	g_test_add_func("/polling-config/valid/documented-example", test_valid_documented_example);
	g_test_add_func("/polling-config/valid/multiple-sources-keep-order",
			test_valid_multiple_sources_keep_order);
	g_test_add_func("/polling-config/valid/empty-sources-list", test_valid_empty_sources_list);
	g_test_add_func("/polling-config/valid/static-resources", test_valid_static_resources);
	g_test_add_func("/polling-config/valid/discovery", test_valid_discovery);
	g_test_add_func("/polling-config/valid/null-resources-and-discovery",
			test_valid_null_resources_and_discovery);
	g_test_add_func("/polling-config/valid/interval-int-tag", test_valid_interval_int_tag);
	g_test_add_func("/polling-config/valid/interval-max", test_valid_interval_max);
	g_test_add_func("/polling-config/valid/quoted-strings", test_valid_quoted_strings);
	g_test_add_func("/polling-config/valid/unknown-source-key-warns",
			test_valid_unknown_source_key_warns);
	g_test_add_func("/polling-config/valid/unknown-top-level-key-warns",
			test_valid_unknown_top_level_key_warns);
	g_test_add_func("/polling-config/valid/anchor-without-alias",
			test_valid_anchor_without_alias);
	g_test_add_func("/polling-config/valid/null-filename", test_valid_null_filename);
	g_test_add_func("/polling-config/valid/explicit-length", test_valid_explicit_length);
	g_test_add_func("/polling-config/ref-unref", test_ref_unref);

	g_test_add_func("/polling-config/syntax/unclosed-flow-list",
			test_syntax_unclosed_flow_list);
	g_test_add_func("/polling-config/syntax/tab-indent", test_syntax_tab_indent);
	g_test_add_func("/polling-config/syntax/bad-indent", test_syntax_bad_indent);
	g_test_add_func("/polling-config/syntax/unterminated-quote",
			test_syntax_unterminated_quote);
	g_test_add_func("/polling-config/syntax/invalid-utf8", test_syntax_invalid_utf8);
	g_test_add_func("/polling-config/invalid/too-many-sources", test_invalid_too_many_sources);
	g_test_add_func("/polling-config/invalid/too-big", test_invalid_too_big);
	g_test_add_func("/polling-config/invalid/long-text-is-cut", test_invalid_long_text_is_cut);
	g_test_add_func("/polling-config/syntax/control-character", test_syntax_control_character);

	g_test_add_func("/polling-config/invalid/empty-file", test_invalid_empty_file);
	g_test_add_func("/polling-config/invalid/comments-only", test_invalid_comments_only);
	g_test_add_func("/polling-config/invalid/empty-document", test_invalid_empty_document);
	g_test_add_func("/polling-config/invalid/two-documents", test_invalid_two_documents);
	g_test_add_func("/polling-config/invalid/top-level-list", test_invalid_top_level_list);
	g_test_add_func("/polling-config/invalid/top-level-scalar", test_invalid_top_level_scalar);
	g_test_add_func("/polling-config/invalid/missing-sources", test_invalid_missing_sources);
	g_test_add_func("/polling-config/invalid/sources-scalar", test_invalid_sources_scalar);
	g_test_add_func("/polling-config/invalid/sources-mapping", test_invalid_sources_mapping);
	g_test_add_func("/polling-config/invalid/sources-null", test_invalid_sources_null);
	g_test_add_func("/polling-config/invalid/source-not-mapping",
			test_invalid_source_not_mapping);
	g_test_add_func("/polling-config/invalid/name-missing", test_invalid_name_missing);
	g_test_add_func("/polling-config/invalid/name-list", test_invalid_name_list);
	g_test_add_func("/polling-config/invalid/name-integer", test_invalid_name_integer);
	g_test_add_func("/polling-config/invalid/name-empty", test_invalid_name_empty);
	g_test_add_func("/polling-config/invalid/name-duplicate", test_invalid_name_duplicate);
	g_test_add_func("/polling-config/invalid/interval-missing", test_invalid_interval_missing);
	g_test_add_func("/polling-config/invalid/interval-string", test_invalid_interval_string);
	g_test_add_func("/polling-config/invalid/interval-word", test_invalid_interval_word);
	g_test_add_func("/polling-config/invalid/interval-float", test_invalid_interval_float);
	g_test_add_func("/polling-config/invalid/interval-zero", test_invalid_interval_zero);
	g_test_add_func("/polling-config/invalid/interval-negative",
			test_invalid_interval_negative);
	g_test_add_func("/polling-config/invalid/interval-boolean", test_invalid_interval_boolean);
	g_test_add_func("/polling-config/invalid/interval-yaml11-boolean",
			test_invalid_interval_yaml11_boolean);
	g_test_add_func("/polling-config/invalid/interval-null", test_invalid_interval_null);
	g_test_add_func("/polling-config/invalid/interval-list", test_invalid_interval_list);
	g_test_add_func("/polling-config/invalid/interval-hex", test_invalid_interval_hex);
	g_test_add_func("/polling-config/invalid/interval-octal", test_invalid_interval_octal);
	g_test_add_func("/polling-config/invalid/interval-too-large",
			test_invalid_interval_too_large);
	g_test_add_func("/polling-config/invalid/meters-missing", test_invalid_meters_missing);
	g_test_add_func("/polling-config/invalid/meters-scalar", test_invalid_meters_scalar);
	g_test_add_func("/polling-config/invalid/meters-empty", test_invalid_meters_empty);
	g_test_add_func("/polling-config/invalid/meters-null", test_invalid_meters_null);
	g_test_add_func("/polling-config/invalid/meter-entry-integer",
			test_invalid_meter_entry_integer);
	g_test_add_func("/polling-config/invalid/meter-entry-mapping",
			test_invalid_meter_entry_mapping);
	g_test_add_func("/polling-config/invalid/meter-entry-empty",
			test_invalid_meter_entry_empty);
	g_test_add_func("/polling-config/invalid/meter-unquoted-exclusion",
			test_invalid_meter_unquoted_exclusion);
	g_test_add_func("/polling-config/invalid/meters-mixed-position",
			test_invalid_meters_mixed_position);
	g_test_add_func("/polling-config/invalid/meters-wildcard-position",
			test_invalid_meters_wildcard_position);
	g_test_add_func("/polling-config/invalid/resources-scalar", test_invalid_resources_scalar);
	g_test_add_func("/polling-config/invalid/resources-entry", test_invalid_resources_entry);
	g_test_add_func("/polling-config/invalid/discovery-mapping",
			test_invalid_discovery_mapping);
	g_test_add_func("/polling-config/invalid/duplicate-key", test_invalid_duplicate_key);
	g_test_add_func("/polling-config/invalid/non-scalar-key", test_invalid_non_scalar_key);
	g_test_add_func("/polling-config/invalid/alias", test_invalid_alias);
	g_test_add_func("/polling-config/invalid/unknown-tag", test_invalid_unknown_tag);
	g_test_add_func("/polling-config/invalid/nul-in-scalar", test_invalid_nul_in_scalar);
	g_test_add_func("/polling-config/invalid/too-deep", test_invalid_too_deep);

	g_test_add_func("/polling-config/patterns/all-plain", test_patterns_all_plain);
	g_test_add_func("/polling-config/patterns/all-excluded", test_patterns_all_excluded);
	g_test_add_func("/polling-config/patterns/wildcard-with-excluded",
			test_patterns_wildcard_with_excluded);
	g_test_add_func("/polling-config/patterns/wildcard-alone", test_patterns_wildcard_alone);
	g_test_add_func("/polling-config/patterns/star-prefixed-beside-excluded",
			test_patterns_star_prefixed_beside_excluded);
	g_test_add_func("/polling-config/patterns/plain-then-excluded",
			test_patterns_plain_then_excluded);
	g_test_add_func("/polling-config/patterns/excluded-then-plain",
			test_patterns_excluded_then_plain);
	g_test_add_func("/polling-config/patterns/plain-then-wildcard",
			test_patterns_plain_then_wildcard);
	g_test_add_func("/polling-config/patterns/wildcard-then-plain",
			test_patterns_wildcard_then_plain);
	g_test_add_func("/polling-config/patterns/wildcard-then-plain-no-excluded",
			test_patterns_wildcard_then_plain_no_excluded);
	g_test_add_func("/polling-config/patterns/empty", test_patterns_empty);
	g_test_add_func("/polling-config/patterns/empty-entry", test_patterns_empty_entry);

	g_test_add_func("/polling-config/match/plain", test_match_plain);
	g_test_add_func("/polling-config/match/glob-star", test_match_glob_star);
	g_test_add_func("/polling-config/match/question-mark", test_match_question_mark);
	g_test_add_func("/polling-config/match/bracket", test_match_bracket);
	g_test_add_func("/polling-config/match/excluded-only", test_match_excluded_only);
	g_test_add_func("/polling-config/match/wildcard-with-excluded",
			test_match_wildcard_with_excluded);
	g_test_add_func("/polling-config/match/wildcard-alone", test_match_wildcard_alone);
	g_test_add_func("/polling-config/match/excluded-wins", test_match_excluded_wins);
	g_test_add_func("/polling-config/match/case-sensitive", test_match_case_sensitive);
	g_test_add_func("/polling-config/match/backslash-literal", test_match_backslash_literal);

	g_test_add_func("/polling-config/file/load", test_load_file);
	g_test_add_func("/polling-config/file/error-names-file", test_load_file_error_names_file);
	g_test_add_func("/polling-config/file/missing", test_load_file_missing);

	return g_test_run();
}
