/*
 * libFuzzer target for the dynamic pollsters' expression language: any text
 * parses or is refused, and any tree evaluates within its limits; without
 * libFuzzer it replays tests/fuzz/corpus/dynamic-expr
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-dyn-expr.h"
#include "pd-dyn-value.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	static const gchar *const names[] = { "value", NULL };
	g_autofree gchar *text = g_strndup((const gchar *)data, size);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdDynExpr) expr = pd_dyn_expr_parse(text, names, &error);
	g_autoptr(JsonNode) value =
	  json_from_string("{\"a\": [1, 2.5, \"x$y\", null, true, {\"b\": \"c\"}], \"s\": \"Hello "
			   "World\", \"n\": -7}",
			   NULL);
	g_autoptr(JsonNode) result = NULL;

	if (expr == NULL) {
		g_assert_nonnull(error);
		g_assert_true(g_str_has_prefix(error->message, "column "));
		return 0;
	}
	result = pd_dyn_eval_expr(expr, &value, &error);
	if (result != NULL) {
		g_autofree gchar *repr = pd_dyn_value_repr(result);
		g_assert_nonnull(repr);
	} else {
		g_assert_nonnull(error);
	}
	return 0;
}
