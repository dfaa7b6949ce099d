/*
 * polld test suite - the dynamic pollsters' expression language: every
 * operation of Ceilometer's dynamic pollster documentation gives the value
 * Python's eval() gives, and forms outside the grammar are refused with
 * their column
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-dyn-attr.h"
#include "pd-dyn-value.h"

typedef struct {
	const gchar *attr;  /* attribute reference as in a definition */
	const gchar *entry; /* JSON */
	const gchar *repr;  /* Python repr() of the result */
} Case;

static const Case cases[] = {
	/* the documentation's examples */
	{ "user | value.split('$')[0].strip()", "{\"user\": \"p1$p1 \"}", "'p1'" },
	{ "user | value.split ('$') | value[0] | value.strip()", "{\"user\": \" a$b\"}", "'a'" },
	{ "user | value.split('$')[0]", "{\"user\": \"u$x\"}", "'u'" },
	{ "user | value.split('$') | value[0]", "{\"user\": \"u$x\"}", "'u'" },
	{ "user  | value.split('$') | value[0]", "{\"user\": \"u\"}", "'u'" },
	{ ". | value['some_field'] if 'some_field' in value else ''", "{\"some_field\": 3}", "3" },
	{ ". | value['some_field'] if 'some_field' in value else ''", "{\"x\": 3}", "''" },
	{ "image | value or { 'id': '' } | value['id']", "{\"image\": {\"id\": \"i1\"}}", "'i1'" },
	{ "image | value or { 'id': '' } | value['id']", "{\"image\": \"\"}", "''" },
	{ "tags | ','.join(value)", "{\"tags\": [\"a\", \"b\"]}", "'a,b'" },
	{ "server_link | filter(lambda v: v.get('rel') == 'next', value) | list(value) | value[0] "
	  "| "
	  "value.get('href')",
	  "{\"server_link\": [{\"rel\": \"self\", \"href\": \"s\"}, {\"rel\": \"next\", \"href\": "
	  "\"http://n/2\"}]}",
	  "'http://n/2'" },
	{ "server_links | filter(lambda v: v.get('rel') == 'next', value) | list(value) | value[0] "
	  "| "
	  "value.get('href') | value.replace('http:', 'https:')",
	  "{\"server_links\": [{\"rel\": \"next\", \"href\": \"http://n/2\"}]}",
	  "'https://n/2'" },
	{ "NextToken | 'aws s3api list-objects --starting-token \"' + value + '\"'",
	  "{\"NextToken\": \"t1\"}",
	  "'aws s3api list-objects --starting-token \"t1\"'" },
	/* Python's types and arithmetic */
	{ "a | value + 1", "{\"a\": 1}", "2" },
	{ "a | value * 2", "{\"a\": 2.5}", "5.0" },
	{ "a | value / 2", "{\"a\": 4}", "2.0" },
	{ "a | value // 3", "{\"a\": -7}", "-3" },
	{ "a | value % 3", "{\"a\": -7}", "2" },
	{ "a | value / 1024 / 1024", "{\"a\": 5662310400}", "5400.0" },
	{ "a | int(value)", "{\"a\": \" 42 \"}", "42" },
	{ "a | float(value)", "{\"a\": \"1e3\"}", "1000.0" },
	{ "a | str(value)", "{\"a\": 1.0}", "'1.0'" },
	{ "a | str(value)", "{\"a\": 1e16}", "'1e+16'" },
	{ "a | str(value)", "{\"a\": null}", "'None'" },
	{ "a | round(value)", "{\"a\": 2.5}", "2" },
	{ "a | round(value, 1)", "{\"a\": 0.26}", "0.3" },
	{ "a | len(value)", "{\"a\": \"h\xc3\xa9\"}", "2" },
	{ "a | value.lower()", "{\"a\": \"AbC\"}", "'abc'" },
	{ "a | value.upper()", "{\"a\": \"AbC\"}", "'ABC'" },
	{ "a | value.startswith('Ab')", "{\"a\": \"AbC\"}", "True" },
	{ "a | value.endswith('x')", "{\"a\": \"AbC\"}", "False" },
	{ "a | value.split()", "{\"a\": \" x  y \"}", "['x', 'y']" },
	{ "a | value.split(',', 1)", "{\"a\": \"a,b,c\"}", "['a', 'b,c']" },
	{ "a | value[1:]", "{\"a\": \"abc\"}", "'bc'" },
	{ "a | value[-1]", "{\"a\": [1, 2, 3]}", "3" },
	{ "a | not value", "{\"a\": []}", "True" },
	{ "a | value and 'y'", "{\"a\": 0}", "0" },
	{ "a | 1 < value <= 3", "{\"a\": 3}", "True" },
	{ "a | value is None", "{\"a\": null}", "True" },
	{ "a | 'x' not in value", "{\"a\": {\"x\": 1}}", "False" },
	{ "a.b.c", "{\"a\": {\"b\": {\"c\": \"1\"}}}", "'1'" },
	{ "a | str(value)", "{\"a\": {\"k\": [1, \"v\"]}}", "\"{'k': [1, 'v']}\"" },
	{ "a | value + [3]", "{\"a\": [1]}", "[1, 3]" },
	{ "a | map(lambda x: x * 2, value) | list(value)", "{\"a\": [1, 2]}", "[2, 4]" },
	{ "a | max(value)", "{\"a\": [1, 7, 2]}", "7" },
	{ "a | abs(value)", "{\"a\": -3}", "3" },
	{ "tags | ','.join(map(str, value))", "{\"tags\": [\"t1\", 2]}", "'t1,2'" },
	{ "a | list(filter(None, value))", "{\"a\": [0, 1, \"\", \"x\"]}", "[1, 'x']" },
};

static void
test_expr_table(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PdDynAttr) attr = pd_dyn_attr_parse(cases[i].attr, &error);
		g_autoptr(JsonNode) entry = json_from_string(cases[i].entry, NULL);
		g_autoptr(JsonNode) result = NULL;
		g_autofree gchar *repr = NULL;

		g_assert_no_error(error);
		result = pd_dyn_attr_eval(attr, entry, &error);
		g_assert_no_error(error);
		repr = pd_dyn_value_repr(result);
		if (g_strcmp0(repr, cases[i].repr) != 0)
			g_printerr("%s on %s\n", cases[i].attr, cases[i].entry);
		g_assert_cmpstr(repr, ==, cases[i].repr);
	}
}

static const struct {
	const gchar *attr;
	const gchar *message;
} refused[] = {
	{ "a | value.__class__()", "column 11: unknown method .__class__()" },
	{ "a | __import__(value)", "column 5: unknown function __import__()" },
	{ "a | value.real", "column 11: attribute access .real is not supported" },
	{ "a | open(value)", "column 5: unknown function open()" },
	{ "a | [x for x in value]", "column 6: unknown name 'x'" },
	{ "a | value ** 2", "column 12: unexpected '*'" },
	{ "a | x + value", "column 5: unknown name 'x'" },
	{ "a | 1 + 2", "column 4: the operation must use the variable value" },
	{ "a | value; 1", "column 10: ';' is not part of the expression language" },
	{ "a | f'{value}'", "column 5: unknown name 'f'" },
};

static void
test_expr_refused(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PdDynAttr) attr = pd_dyn_attr_parse(refused[i].attr, &error);
		g_assert_null(attr);
		g_assert_nonnull(error);
		if (!g_str_has_prefix(error->message, refused[i].message))
			g_printerr("%s: %s\n", refused[i].attr, error->message);
		g_assert_true(g_str_has_prefix(error->message, refused[i].message));
	}
}

static void
test_expr_bounded(void)
{
	static const gchar *const bombs[] = {
		"a | value * 100000000",
		"a | (value * 1000) * 1000",
		"a | value.replace('x', value * 50000)",
		"a | 9223372036854775807 + value",
	};
	for (guint i = 0; i < G_N_ELEMENTS(bombs); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PdDynAttr) attr = pd_dyn_attr_parse(bombs[i], &error);
		g_autoptr(JsonNode) entry =
		  json_from_string("{\"a\": \"xxxxxxxxxxxxxxxxxxxx\"}", NULL);
		g_autoptr(JsonNode) result = NULL;
		g_assert_no_error(error);
		if (i == 3)
			json_object_set_int_member(json_node_get_object(entry), "a", 1);
		result = pd_dyn_attr_eval(attr, entry, &error);
		g_assert_null(result);
		g_assert_error(error, PD_DYN_EXPR_ERROR, PD_DYN_EXPR_ERROR_LIMIT);
	}
	{
		/* deep nesting is refused at parse time, not on the stack */
		g_autoptr(GString) deep = g_string_new("a | ");
		g_autoptr(GError) error = NULL;
		g_autoptr(PdDynAttr) attr = NULL;
		for (guint i = 0; i < 1000; i++)
			g_string_append_c(deep, '(');
		g_string_append(deep, "value");
		for (guint i = 0; i < 1000; i++)
			g_string_append_c(deep, ')');
		attr = pd_dyn_attr_parse(deep->str, &error);
		g_assert_null(attr);
		g_assert_nonnull(error);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dynamic/expr/table", test_expr_table);
	g_test_add_func("/dynamic/expr/refused", test_expr_refused);
	g_test_add_func("/dynamic/expr/bounded", test_expr_bounded);
	return g_test_run();
}
