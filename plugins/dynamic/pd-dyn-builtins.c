/*
 * polld dynamic pollsters - the expression language's functions (int float
 * str len round bool abs min max list filter map) and methods (split strip
 * lstrip rstrip lower upper replace startswith endswith join find isdigit
 * get), with Python's results
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "pd-dyn-expr-private.h"
#include "pd-dyn-value.h"

#define RT PD_DYN_EXPR_ERROR_RUNTIME
#define raise pd_dyn_eval_raise

typedef JsonNode *(*PdDynBuiltin)(PdDynEval *ev, JsonNode **args, guint n);

static gboolean
is_str(JsonNode *n)
{
	return pd_dyn_value_kind(n) == PD_DYN_STR;
}

static gboolean
is_int(JsonNode *n)
{
	PdDynKind k = pd_dyn_value_kind(n);
	return k == PD_DYN_INT || k == PD_DYN_BOOL;
}

static gint64
get_int(JsonNode *n)
{
	if (pd_dyn_value_kind(n) == PD_DYN_BOOL)
		return json_node_get_boolean(n) ? 1 : 0;
	return json_node_get_int(n);
}

static JsonNode *
new_list(JsonArray *a)
{
	JsonNode *n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, a);
	return n;
}

static JsonNode *
arity(PdDynEval *ev, const gchar *name, guint n, guint min, guint max)
{
	if (n >= min && n <= max)
		return NULL;
	return raise(
	  ev, RT, "TypeError: %s() takes %u to %u arguments (%u given)", name, min, max, n);
}

/* --- functions --- */

static JsonNode *
fn_int_from_str(PdDynEval *ev, const gchar *s)
{
	g_autofree gchar *t = g_strstrip(g_strdup(s));
	gchar *end = NULL;
	gint64 v;

	errno = 0;
	v = g_ascii_strtoll(t, &end, 10);
	if (t[0] == '\0' || *end != '\0' || errno != 0 || g_ascii_isspace(t[0]))
		return raise(ev, RT, "ValueError: invalid literal for int() with base 10: '%s'", s);
	return pd_dyn_value_new_int(v);
}

static JsonNode *
fn_int(PdDynEval *ev, JsonNode **a, guint n)
{
	if (n != 1)
		return arity(ev, "int", n, 1, 1);
	if (is_int(a[0]))
		return pd_dyn_value_new_int(get_int(a[0]));
	if (pd_dyn_value_kind(a[0]) == PD_DYN_FLOAT) {
		gdouble d = trunc(json_node_get_double(a[0]));
		if (!(d >= -9.2e18 && d <= 9.2e18))
			return raise(ev, PD_DYN_EXPR_ERROR_LIMIT, "int() of %g is out of range", d);
		return pd_dyn_value_new_int((gint64)d);
	}
	if (is_str(a[0]))
		return fn_int_from_str(ev, json_node_get_string(a[0]));
	return raise(ev,
		     RT,
		     "TypeError: int() argument must be a string or a number, not '%s'",
		     pd_dyn_value_type_name(a[0]));
}

static JsonNode *
fn_float(PdDynEval *ev, JsonNode **a, guint n)
{
	gdouble d;

	if (n != 1)
		return arity(ev, "float", n, 1, 1);
	if (pd_dyn_value_get_number(a[0], &d))
		return pd_dyn_value_new_float(d);
	if (is_str(a[0])) {
		g_autofree gchar *t = g_strstrip(g_strdup(json_node_get_string(a[0])));
		gchar *end = NULL;
		d = g_ascii_strtod(t, &end);
		if (t[0] != '\0' && *end == '\0' && strpbrk(t, "xX") == NULL)
			return pd_dyn_value_new_float(d);
		return raise(ev,
			     RT,
			     "ValueError: could not convert string to float: '%s'",
			     json_node_get_string(a[0]));
	}
	return raise(ev,
		     RT,
		     "TypeError: float() argument must be a string or a number, not '%s'",
		     pd_dyn_value_type_name(a[0]));
}

static JsonNode *
fn_str(PdDynEval *ev, JsonNode **a, guint n)
{
	if (n != 1)
		return arity(ev, "str", n, 1, 1);
	return pd_dyn_value_new_str_take(pd_dyn_value_to_str(a[0]));
}

static JsonNode *
fn_bool(PdDynEval *ev, JsonNode **a, guint n)
{
	if (n != 1)
		return arity(ev, "bool", n, 1, 1);
	return pd_dyn_value_new_bool(pd_dyn_value_truthy(a[0]));
}

static JsonNode *
fn_len(PdDynEval *ev, JsonNode **a, guint n)
{
	if (n != 1)
		return arity(ev, "len", n, 1, 1);
	switch (pd_dyn_value_kind(a[0])) {
		case PD_DYN_STR:
			return pd_dyn_value_new_int(g_utf8_strlen(json_node_get_string(a[0]), -1));
		case PD_DYN_LIST:
			return pd_dyn_value_new_int(
			  json_array_get_length(json_node_get_array(a[0])));
		case PD_DYN_DICT:
			return pd_dyn_value_new_int(
			  json_object_get_size(json_node_get_object(a[0])));
		default:
			return raise(ev,
				     RT,
				     "TypeError: object of type '%s' has no len()",
				     pd_dyn_value_type_name(a[0]));
	}
}

static JsonNode *
fn_round(PdDynEval *ev, JsonNode **a, guint n)
{
	gdouble d, scale;
	gint64 digits;

	if (n < 1 || n > 2)
		return arity(ev, "round", n, 1, 2);
	if (n == 2 && !is_int(a[1]) && pd_dyn_value_kind(a[1]) != PD_DYN_NONE)
		return raise(ev, RT, "TypeError: round() digits must be an integer");
	if (is_int(a[0]))
		return pd_dyn_value_new_int(get_int(a[0]));
	if (!pd_dyn_value_get_number(a[0], &d))
		return raise(ev,
			     RT,
			     "TypeError: type %s doesn't define __round__ method",
			     pd_dyn_value_type_name(a[0]));
	/* Python rounds half to even */
	if (n == 1 || pd_dyn_value_kind(a[1]) == PD_DYN_NONE) {
		if (!(fabs(d) < 9.2e18))
			return raise(
			  ev, PD_DYN_EXPR_ERROR_LIMIT, "round() of %g is out of range", d);
		return pd_dyn_value_new_int((gint64)nearbyint(d));
	}
	digits = CLAMP(get_int(a[1]), -308, 308);
	scale = pow(10.0, (gdouble)digits);
	{
		gdouble r = nearbyint(d * scale) / scale;
		return pd_dyn_value_new_float(isfinite(r) ? r : d);
	}
}

static JsonNode *
fn_abs(PdDynEval *ev, JsonNode **a, guint n)
{
	if (n != 1)
		return arity(ev, "abs", n, 1, 1);
	if (is_int(a[0])) {
		gint64 v = get_int(a[0]);
		if (v == G_MININT64)
			return raise(ev, PD_DYN_EXPR_ERROR_LIMIT, "integer overflow");
		return pd_dyn_value_new_int(ABS(v));
	}
	if (pd_dyn_value_kind(a[0]) == PD_DYN_FLOAT)
		return pd_dyn_value_new_float(fabs(json_node_get_double(a[0])));
	return raise(
	  ev, RT, "TypeError: bad operand type for abs(): '%s'", pd_dyn_value_type_name(a[0]));
}

/* the items of an iterable as a new array: list, str (characters), dict (keys) */
static JsonArray *
iterate(PdDynEval *ev, JsonNode *v)
{
	JsonArray *out;

	switch (pd_dyn_value_kind(v)) {
		case PD_DYN_LIST:
			return json_array_ref(json_node_get_array(v));
		case PD_DYN_STR: {
			const gchar *s = json_node_get_string(v);
			out = json_array_new();
			for (; *s != '\0'; s = g_utf8_next_char(s)) {
				g_autofree gchar *c = g_strndup(s, g_utf8_next_char(s) - s);
				json_array_add_string_element(out, c);
			}
			return out;
		}
		case PD_DYN_DICT: {
			g_autoptr(GList) keys = json_object_get_members(json_node_get_object(v));
			out = json_array_new();
			for (GList *l = keys; l != NULL; l = l->next)
				json_array_add_string_element(out, l->data);
			return out;
		}
		default:
			raise(ev,
			      RT,
			      "TypeError: '%s' object is not iterable",
			      pd_dyn_value_type_name(v));
			return NULL;
	}
}

static JsonNode *
fn_minmax(PdDynEval *ev, JsonNode **a, guint n, gboolean is_max)
{
	g_autoptr(JsonArray) items = NULL;
	JsonNode *best = NULL;

	if (n == 0)
		return arity(ev, is_max ? "max" : "min", n, 1, 64);
	if (n == 1) {
		if ((items = iterate(ev, a[0])) == NULL)
			return NULL;
	} else {
		items = json_array_new();
		for (guint i = 0; i < n; i++)
			json_array_add_element(items, json_node_copy(a[i]));
	}
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonNode *x = json_array_get_element(items, i);
		gdouble dx, db;
		gboolean better;
		if (best == NULL) {
			best = x;
			continue;
		}
		if (pd_dyn_value_get_number(x, &dx) && pd_dyn_value_get_number(best, &db))
			better = is_max ? dx > db : dx < db;
		else if (is_str(x) && is_str(best))
			better = (strcmp(json_node_get_string(x), json_node_get_string(best)) >
				  0) == is_max;
		else
			return raise(ev, RT, "TypeError: '<' not supported between these types");
		if (better)
			best = x;
	}
	if (best == NULL)
		return raise(
		  ev, RT, "ValueError: %s() arg is an empty sequence", is_max ? "max" : "min");
	return json_node_copy(best);
}

static JsonNode *
fn_min(PdDynEval *ev, JsonNode **a, guint n)
{
	return fn_minmax(ev, a, n, FALSE);
}

static JsonNode *
fn_max(PdDynEval *ev, JsonNode **a, guint n)
{
	return fn_minmax(ev, a, n, TRUE);
}

static JsonNode *
fn_list(PdDynEval *ev, JsonNode **a, guint n)
{
	g_autoptr(JsonArray) items = NULL;
	JsonArray *out;

	if (n == 0)
		return new_list(json_array_new());
	if (n != 1)
		return arity(ev, "list", n, 0, 1);
	if ((items = iterate(ev, a[0])) == NULL)
		return NULL;
	out = json_array_new();
	for (guint i = 0; i < json_array_get_length(items); i++)
		json_array_add_element(out, json_node_copy(json_array_get_element(items, i)));
	return new_list(out);
}

static const gchar *const pd_dyn_functions[] = { "int",	   "float", "str", "bool", "len",
						 "round",  "abs",   "min", "max",  "list",
						 "filter", "map",   NULL };
static const PdDynBuiltin pd_dyn_function_impls[] = {
	fn_int, fn_float, fn_str, fn_bool, fn_len, fn_round, fn_abs, fn_min, fn_max, fn_list
};

gboolean
pd_dyn_builtins_has_function(const gchar *name)
{
	return g_strv_contains(pd_dyn_functions, name);
}

static JsonNode *
pd_dyn_call_builtin(PdDynEval *ev, const gchar *name, JsonNode **args, guint n)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_dyn_function_impls); i++) {
		if (strcmp(pd_dyn_functions[i], name) == 0)
			return pd_dyn_function_impls[i](ev, args, n);
	}
	return raise(ev, RT, "%s() can't be used as a function value", name);
}

/* filter(f, it) and map(f, it): eager, giving a list (list() of it is a copy) */
static JsonNode *
pd_dyn_eval_higher(PdDynEval *ev, PdDynNode *node, gboolean is_map)
{
	PdDynNode *fn = g_ptr_array_index(node->kids, 0);
	g_autoptr(JsonNode) it = NULL;
	g_autoptr(JsonArray) items = NULL;
	JsonArray *out;

	if (node->kids->len != 2)
		return raise(ev, RT, "TypeError: %s() takes 2 arguments", node->name);
	if (fn->kind != PD_DYN_NODE_LAMBDA && fn->kind != PD_DYN_NODE_FUNC &&
	    !(fn->kind == PD_DYN_NODE_CONST && pd_dyn_value_kind(fn->value) == PD_DYN_NONE &&
	      !is_map))
		return raise(ev, RT, "%s() needs a lambda or a function", node->name);
	if ((it = pd_dyn_eval_sub(ev, g_ptr_array_index(node->kids, 1))) == NULL ||
	    (items = iterate(ev, it)) == NULL)
		return NULL;
	out = json_array_new();
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonNode *x = json_array_get_element(items, i);
		JsonNode *r = fn->kind == PD_DYN_NODE_LAMBDA ? pd_dyn_eval_apply(ev, fn, x)
			      : fn->kind == PD_DYN_NODE_FUNC
				? pd_dyn_call_builtin(ev, fn->name, &x, 1)
				: json_node_copy(x);
		if (r == NULL) {
			json_array_unref(out);
			return NULL;
		}
		if (is_map)
			json_array_add_element(out, r);
		else if (pd_dyn_value_truthy(r))
			json_array_add_element(out, json_node_copy(x)), json_node_unref(r);
		else
			json_node_unref(r);
	}
	return new_list(out);
}

static void
pd_dyn_args_free(GPtrArray *args)
{
	g_ptr_array_unref(args);
}

/* evaluates kids[first..] into a new array of values */
static GPtrArray *
pd_dyn_eval_args(PdDynEval *ev, PdDynNode *node, guint first)
{
	GPtrArray *args = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);

	for (guint i = first; i < node->kids->len; i++) {
		JsonNode *v = pd_dyn_eval_sub(ev, g_ptr_array_index(node->kids, i));
		if (v == NULL) {
			pd_dyn_args_free(args);
			return NULL;
		}
		g_ptr_array_add(args, v);
	}
	return args;
}

JsonNode *
pd_dyn_builtins_call(PdDynEval *ev, PdDynNode *node)
{
	g_autoptr(GPtrArray) args = NULL;

	if (strcmp(node->name, "filter") == 0 || strcmp(node->name, "map") == 0)
		return pd_dyn_eval_higher(ev, node, node->name[0] == 'm');
	if ((args = pd_dyn_eval_args(ev, node, 0)) == NULL)
		return NULL;
	for (guint i = 0; pd_dyn_functions[i] != NULL; i++) {
		if (strcmp(pd_dyn_functions[i], node->name) == 0)
			return pd_dyn_function_impls[i](ev, (JsonNode **)args->pdata, args->len);
	}
	return raise(ev, RT, "NameError: name '%s' is not defined", node->name);
}

/* --- string methods --- */

static JsonNode *
m_split(PdDynEval *ev, const gchar *s, JsonNode **a, guint n)
{
	JsonArray *out = json_array_new();
	gint64 maxsplit = n >= 2 && is_int(a[1]) ? get_int(a[1]) : -1;

	if (n > 2 || (n >= 1 && !is_str(a[0]) && pd_dyn_value_kind(a[0]) != PD_DYN_NONE)) {
		json_array_unref(out);
		return raise(ev, RT, "TypeError: split() takes a separator string and a count");
	}
	if (n == 0 || pd_dyn_value_kind(a[0]) == PD_DYN_NONE) {
		/* runs of whitespace separate, no empty items */
		const gchar *p = s;
		while (*p != '\0') {
			const gchar *start;
			while (g_ascii_isspace(*p))
				p++;
			if (*p == '\0')
				break;
			if (maxsplit == 0) {
				g_autofree gchar *rest = g_strchomp(g_strdup(p));
				json_array_add_string_element(out, rest);
				break;
			}
			start = p;
			while (*p != '\0' && !g_ascii_isspace(*p))
				p++;
			{
				g_autofree gchar *item = g_strndup(start, p - start);
				json_array_add_string_element(out, item);
			}
			if (maxsplit > 0)
				maxsplit--;
		}
		return new_list(out);
	}
	{
		const gchar *sep = json_node_get_string(a[0]);
		gsize seplen = strlen(sep);
		const gchar *p = s, *hit;
		if (seplen == 0) {
			json_array_unref(out);
			return raise(ev, RT, "ValueError: empty separator");
		}
		while ((maxsplit < 0 || maxsplit-- > 0) && (hit = strstr(p, sep)) != NULL) {
			g_autofree gchar *item = g_strndup(p, hit - p);
			json_array_add_string_element(out, item);
			p = hit + seplen;
			if (json_array_get_length(out) > PD_DYN_EXPR_MAX_ITEMS) {
				json_array_unref(out);
				return raise(
				  ev, PD_DYN_EXPR_ERROR_LIMIT, "split gives too many items");
			}
		}
		json_array_add_string_element(out, p);
		return new_list(out);
	}
}

static gboolean
in_chars(const gchar *chars, gchar c)
{
	return chars == NULL ? g_ascii_isspace(c) : (c != '\0' && strchr(chars, c) != NULL);
}

static JsonNode *
m_strip(PdDynEval *ev, const gchar *s, JsonNode **a, guint n, gboolean left, gboolean right)
{
	const gchar *chars = NULL;
	const gchar *start = s, *end = s + strlen(s);

	if (n > 1 || (n == 1 && !is_str(a[0]) && pd_dyn_value_kind(a[0]) != PD_DYN_NONE))
		return raise(ev, RT, "TypeError: strip arg must be None or str");
	if (n == 1 && is_str(a[0]))
		chars = json_node_get_string(a[0]);
	while (left && start < end && in_chars(chars, *start))
		start++;
	while (right && end > start && in_chars(chars, end[-1]))
		end--;
	return pd_dyn_value_new_str_take(g_strndup(start, end - start));
}

static JsonNode *
m_replace(PdDynEval *ev, const gchar *s, JsonNode **a, guint n)
{
	const gchar *old, *new;
	gint64 count;
	GString *out;
	gsize oldlen;

	if (n < 2 || n > 3 || !is_str(a[0]) || !is_str(a[1]) || (n == 3 && !is_int(a[2])))
		return raise(ev, RT, "TypeError: replace() takes two strings and a count");
	old = json_node_get_string(a[0]);
	new = json_node_get_string(a[1]);
	count = n == 3 ? get_int(a[2]) : -1;
	oldlen = strlen(old);
	out = g_string_new(NULL);
	while (*s != '\0' || oldlen == 0) {
		const gchar *hit = oldlen == 0 ? s : strstr(s, old);
		if (hit == NULL || count == 0)
			break;
		g_string_append_len(out, s, hit - s);
		g_string_append(out, new);
		if (count > 0)
			count--;
		if (oldlen == 0) {
			/* Python inserts between characters and at both ends */
			if (*s == '\0') {
				s = "";
				goto done;
			}
			g_string_append_len(out, s, g_utf8_next_char(s) - s);
			s = g_utf8_next_char(s);
		} else {
			s = hit + oldlen;
		}
		if (out->len > PD_DYN_EXPR_MAX_STR) {
			g_string_free(out, TRUE);
			return raise(ev, PD_DYN_EXPR_ERROR_LIMIT, "string too long");
		}
	}
	g_string_append(out, s);
done:
	if (out->len > PD_DYN_EXPR_MAX_STR) {
		g_string_free(out, TRUE);
		return raise(ev, PD_DYN_EXPR_ERROR_LIMIT, "string too long");
	}
	return pd_dyn_value_new_str_take(g_string_free(out, FALSE));
}

static JsonNode *
m_affix(PdDynEval *ev, const gchar *s, JsonNode **a, guint n, gboolean start)
{
	g_autoptr(JsonArray) alts = NULL;

	if (n != 1 || (!is_str(a[0]) && pd_dyn_value_kind(a[0]) != PD_DYN_LIST))
		return raise(ev,
			     RT,
			     "TypeError: %s() takes a string or a tuple of strings",
			     start ? "startswith" : "endswith");
	if (is_str(a[0])) {
		alts = json_array_new();
		json_array_add_string_element(alts, json_node_get_string(a[0]));
	} else {
		alts = json_array_ref(json_node_get_array(a[0]));
	}
	for (guint i = 0; i < json_array_get_length(alts); i++) {
		JsonNode *x = json_array_get_element(alts, i);
		if (!is_str(x))
			return raise(ev,
				     RT,
				     "TypeError: tuple for %s must only contain str",
				     start ? "startswith" : "endswith");
		if (start ? g_str_has_prefix(s, json_node_get_string(x))
			  : g_str_has_suffix(s, json_node_get_string(x)))
			return pd_dyn_value_new_bool(TRUE);
	}
	return pd_dyn_value_new_bool(FALSE);
}

static JsonNode *
m_join(PdDynEval *ev, const gchar *sep, JsonNode **a, guint n)
{
	g_autoptr(JsonArray) items = NULL;
	GString *out;

	if (n != 1)
		return raise(ev, RT, "TypeError: join() takes exactly one argument");
	if ((items = iterate(ev, a[0])) == NULL)
		return NULL;
	out = g_string_new(NULL);
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonNode *x = json_array_get_element(items, i);
		if (!is_str(x)) {
			g_string_free(out, TRUE);
			return raise(ev,
				     RT,
				     "TypeError: sequence item %u: expected str instance, %s found",
				     i,
				     pd_dyn_value_type_name(x));
		}
		if (i > 0)
			g_string_append(out, sep);
		g_string_append(out, json_node_get_string(x));
		if (out->len > PD_DYN_EXPR_MAX_STR) {
			g_string_free(out, TRUE);
			return raise(ev, PD_DYN_EXPR_ERROR_LIMIT, "string too long");
		}
	}
	return pd_dyn_value_new_str_take(g_string_free(out, FALSE));
}

static JsonNode *
m_find(PdDynEval *ev, const gchar *s, JsonNode **a, guint n)
{
	const gchar *hit;

	if (n != 1 || !is_str(a[0]))
		return raise(ev, RT, "TypeError: find() takes one string");
	hit = strstr(s, json_node_get_string(a[0]));
	return pd_dyn_value_new_int(hit == NULL ? -1 : g_utf8_pointer_to_offset(s, hit));
}

static JsonNode *
m_case(const gchar *s, const gchar *name)
{
	if (strcmp(name, "lower") == 0)
		return pd_dyn_value_new_str_take(g_utf8_strdown(s, -1));
	if (strcmp(name, "upper") == 0)
		return pd_dyn_value_new_str_take(g_utf8_strup(s, -1));
	for (const gchar *p = s; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p))
			return pd_dyn_value_new_bool(FALSE);
	}
	return pd_dyn_value_new_bool(s[0] != '\0');
}

static JsonNode *
pd_dyn_str_method(PdDynEval *ev, const gchar *name, const gchar *s, JsonNode **a, guint n)
{
	if (strcmp(name, "split") == 0)
		return m_split(ev, s, a, n);
	if (strcmp(name, "strip") == 0 || strcmp(name, "lstrip") == 0 ||
	    strcmp(name, "rstrip") == 0)
		return m_strip(ev, s, a, n, name[0] != 'r', name[0] != 'l');
	if (strcmp(name, "replace") == 0)
		return m_replace(ev, s, a, n);
	if (strcmp(name, "startswith") == 0 || strcmp(name, "endswith") == 0)
		return m_affix(ev, s, a, n, name[0] == 's');
	if (strcmp(name, "join") == 0)
		return m_join(ev, s, a, n);
	if (strcmp(name, "find") == 0)
		return m_find(ev, s, a, n);
	if (n != 0)
		return raise(ev, RT, "TypeError: %s() takes no arguments", name);
	if (strcmp(name, "lower") == 0 || strcmp(name, "upper") == 0 ||
	    strcmp(name, "isdigit") == 0)
		return m_case(s, name);
	return raise(ev, RT, "AttributeError: 'str' object has no attribute '%s'", name);
}

static const gchar *const pd_dyn_methods[] = { "split",	   "strip", "lstrip",  "rstrip",
					       "lower",	   "upper", "replace", "startswith",
					       "endswith", "join",  "find",    "isdigit",
					       "get",	   NULL };

gboolean
pd_dyn_builtins_has_method(const gchar *name)
{
	return g_strv_contains(pd_dyn_methods, name);
}

JsonNode *
pd_dyn_builtins_method(PdDynEval *ev, PdDynNode *node)
{
	g_autoptr(GPtrArray) args = pd_dyn_eval_args(ev, node, 0);
	JsonNode *obj;
	JsonNode **a;
	guint n;

	if (args == NULL)
		return NULL;
	obj = g_ptr_array_index(args, 0);
	a = (JsonNode **)args->pdata + 1;
	n = args->len - 1;
	if (is_str(obj))
		return pd_dyn_str_method(ev, node->name, json_node_get_string(obj), a, n);
	if (pd_dyn_value_kind(obj) == PD_DYN_DICT && strcmp(node->name, "get") == 0) {
		JsonObject *o = json_node_get_object(obj);
		if (n < 1 || n > 2)
			return raise(ev, RT, "TypeError: get() takes 1 or 2 arguments");
		if (is_str(a[0]) && json_object_has_member(o, json_node_get_string(a[0])))
			return json_node_copy(
			  json_object_get_member(o, json_node_get_string(a[0])));
		return n == 2 ? json_node_copy(a[1]) : pd_dyn_value_new_none();
	}
	return raise(ev,
		     RT,
		     "AttributeError: '%s' object has no attribute '%s'",
		     pd_dyn_value_type_name(obj),
		     node->name);
}
