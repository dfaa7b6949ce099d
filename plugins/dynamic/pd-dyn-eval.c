/*
 * polld dynamic pollsters - expression evaluator: Python's semantics for the
 * grammar's operators, functions and methods, over JsonNode values, with a
 * step limit and size limits instead of Python's unbounded eval()
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <math.h>
#include <string.h>

#include "pd-dyn-expr-private.h"
#include "pd-dyn-value.h"

static JsonNode *
pd_dyn_eval_node(PdDynEval *ev, PdDynNode *node);

JsonNode *
pd_dyn_eval_raise(PdDynEval *ev, gint code, const gchar *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ev->error != NULL && *ev->error == NULL)
		*ev->error = g_error_new_valist(PD_DYN_EXPR_ERROR, code, fmt, ap);
	va_end(ap);
	return NULL;
}

#define RT PD_DYN_EXPR_ERROR_RUNTIME

static gboolean
pd_dyn_is_str(JsonNode *n)
{
	return pd_dyn_value_kind(n) == PD_DYN_STR;
}

static gboolean
pd_dyn_is_int(JsonNode *n)
{
	PdDynKind k = pd_dyn_value_kind(n);
	return k == PD_DYN_INT || k == PD_DYN_BOOL;
}

static gint64
pd_dyn_get_int(JsonNode *n)
{
	if (pd_dyn_value_kind(n) == PD_DYN_BOOL)
		return json_node_get_boolean(n) ? 1 : 0;
	return json_node_get_int(n);
}

static JsonNode *
pd_dyn_check_str(PdDynEval *ev, gchar *s)
{
	if (strlen(s) > PD_DYN_EXPR_MAX_STR) {
		g_free(s);
		return pd_dyn_eval_raise(
		  ev, PD_DYN_EXPR_ERROR_LIMIT, "string longer than %u bytes", PD_DYN_EXPR_MAX_STR);
	}
	return pd_dyn_value_new_str_take(s);
}

static JsonNode *
pd_dyn_new_list(JsonArray *a)
{
	JsonNode *n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, a);
	return n;
}

/* --- arithmetic --- */

static JsonNode *
pd_dyn_int_op(PdDynEval *ev, PdDynOp op, gint64 a, gint64 b)
{
	gint64 r = 0;

	switch (op) {
		case PD_DYN_OP_ADD:
			if (__builtin_add_overflow(a, b, &r))
				return pd_dyn_eval_raise(
				  ev, PD_DYN_EXPR_ERROR_LIMIT, "integer overflow");
			return pd_dyn_value_new_int(r);
		case PD_DYN_OP_SUB:
			if (__builtin_sub_overflow(a, b, &r))
				return pd_dyn_eval_raise(
				  ev, PD_DYN_EXPR_ERROR_LIMIT, "integer overflow");
			return pd_dyn_value_new_int(r);
		case PD_DYN_OP_MUL:
			if (__builtin_mul_overflow(a, b, &r))
				return pd_dyn_eval_raise(
				  ev, PD_DYN_EXPR_ERROR_LIMIT, "integer overflow");
			return pd_dyn_value_new_int(r);
		case PD_DYN_OP_DIV:
			if (b == 0)
				return pd_dyn_eval_raise(
				  ev, RT, "ZeroDivisionError: division by zero");
			return pd_dyn_value_new_float((gdouble)a / (gdouble)b);
		case PD_DYN_OP_FLOORDIV:
		case PD_DYN_OP_MOD:
			if (b == 0)
				return pd_dyn_eval_raise(
				  ev, RT, "ZeroDivisionError: integer division or modulo by zero");
			if (a == G_MININT64 && b == -1)
				return pd_dyn_eval_raise(
				  ev, PD_DYN_EXPR_ERROR_LIMIT, "integer overflow");
			r = a / b;
			/* Python floors, C truncates */
			if ((a % b != 0) && ((a < 0) != (b < 0)))
				r--;
			return pd_dyn_value_new_int(op == PD_DYN_OP_FLOORDIV ? r : a - r * b);
		default:
			return NULL;
	}
}

static JsonNode *
pd_dyn_float_op(PdDynEval *ev, PdDynOp op, gdouble a, gdouble b)
{
	switch (op) {
		case PD_DYN_OP_ADD:
			return pd_dyn_value_new_float(a + b);
		case PD_DYN_OP_SUB:
			return pd_dyn_value_new_float(a - b);
		case PD_DYN_OP_MUL:
			return pd_dyn_value_new_float(a * b);
		case PD_DYN_OP_DIV:
			if (b == 0)
				return pd_dyn_eval_raise(
				  ev, RT, "ZeroDivisionError: float division by zero");
			return pd_dyn_value_new_float(a / b);
		case PD_DYN_OP_FLOORDIV:
		case PD_DYN_OP_MOD: {
			gdouble m;
			if (b == 0)
				return pd_dyn_eval_raise(ev, RT, "ZeroDivisionError: float modulo");
			m = fmod(a, b);
			if (m != 0 && ((m < 0) != (b < 0)))
				m += b;
			if (op == PD_DYN_OP_MOD)
				return pd_dyn_value_new_float(m);
			return pd_dyn_value_new_float(floor((a - m) / b + 0.5));
		}
		default:
			return NULL;
	}
}

static JsonNode *
pd_dyn_repeat(PdDynEval *ev, JsonNode *seq, gint64 times)
{
	if (times < 0)
		times = 0;
	if (pd_dyn_is_str(seq)) {
		const gchar *s = json_node_get_string(seq);
		gsize len = strlen(s);
		GString *out;
		if (len > 0 && (guint64)times > PD_DYN_EXPR_MAX_STR / len)
			return pd_dyn_eval_raise(ev,
						 PD_DYN_EXPR_ERROR_LIMIT,
						 "string longer than %u bytes",
						 PD_DYN_EXPR_MAX_STR);
		out = g_string_sized_new(len * times + 1);
		for (gint64 i = 0; i < times; i++)
			g_string_append_len(out, s, len);
		return pd_dyn_value_new_str_take(g_string_free(out, FALSE));
	} else {
		JsonArray *src = json_node_get_array(seq);
		guint len = json_array_get_length(src);
		JsonArray *out;
		if (len > 0 && (guint64)times > PD_DYN_EXPR_MAX_ITEMS / len)
			return pd_dyn_eval_raise(ev,
						 PD_DYN_EXPR_ERROR_LIMIT,
						 "list longer than %u items",
						 PD_DYN_EXPR_MAX_ITEMS);
		out = json_array_sized_new(len * times);
		for (gint64 i = 0; i < times; i++) {
			for (guint j = 0; j < len; j++)
				json_array_add_element(
				  out, json_node_copy(json_array_get_element(src, j)));
		}
		return pd_dyn_new_list(out);
	}
}

static JsonNode *
pd_dyn_concat(PdDynEval *ev, JsonNode *a, JsonNode *b)
{
	if (pd_dyn_is_str(a) && pd_dyn_is_str(b))
		return pd_dyn_check_str(
		  ev, g_strconcat(json_node_get_string(a), json_node_get_string(b), NULL));
	if (JSON_NODE_HOLDS_ARRAY(a) && JSON_NODE_HOLDS_ARRAY(b)) {
		JsonArray *x = json_node_get_array(a), *y = json_node_get_array(b);
		JsonArray *out;
		if (json_array_get_length(x) + json_array_get_length(y) > PD_DYN_EXPR_MAX_ITEMS)
			return pd_dyn_eval_raise(ev,
						 PD_DYN_EXPR_ERROR_LIMIT,
						 "list longer than %u items",
						 PD_DYN_EXPR_MAX_ITEMS);
		out = json_array_new();
		for (guint i = 0; i < json_array_get_length(x); i++)
			json_array_add_element(out, json_node_copy(json_array_get_element(x, i)));
		for (guint i = 0; i < json_array_get_length(y); i++)
			json_array_add_element(out, json_node_copy(json_array_get_element(y, i)));
		return pd_dyn_new_list(out);
	}
	return NULL;
}

static const gchar *const pd_dyn_op_names[] = {
	"+", "-",  "*", "/",  "//", "%",      "==", "!=",
	"<", "<=", ">", ">=", "in", "not in", "is", "is not"
};

static JsonNode *
pd_dyn_binop(PdDynEval *ev, PdDynOp op, JsonNode *a, JsonNode *b)
{
	gdouble x, y;
	JsonNode *r;

	if (pd_dyn_is_int(a) && pd_dyn_is_int(b))
		return pd_dyn_int_op(ev, op, pd_dyn_get_int(a), pd_dyn_get_int(b));
	if (pd_dyn_value_get_number(a, &x) && pd_dyn_value_get_number(b, &y))
		return pd_dyn_float_op(ev, op, x, y);
	if (op == PD_DYN_OP_ADD && (r = pd_dyn_concat(ev, a, b)) != NULL)
		return r;
	if (op == PD_DYN_OP_MUL && pd_dyn_is_int(b) &&
	    (pd_dyn_is_str(a) || JSON_NODE_HOLDS_ARRAY(a)))
		return pd_dyn_repeat(ev, a, pd_dyn_get_int(b));
	if (op == PD_DYN_OP_MUL && pd_dyn_is_int(a) &&
	    (pd_dyn_is_str(b) || JSON_NODE_HOLDS_ARRAY(b)))
		return pd_dyn_repeat(ev, b, pd_dyn_get_int(a));
	if (ev->error != NULL && *ev->error != NULL)
		return NULL;
	return pd_dyn_eval_raise(ev,
				 RT,
				 "TypeError: unsupported operand type(s) for %s: '%s' and '%s'",
				 pd_dyn_op_names[op],
				 pd_dyn_value_type_name(a),
				 pd_dyn_value_type_name(b));
}

/* --- comparisons --- */

static gboolean
pd_dyn_contains(PdDynEval *ev, JsonNode *item, JsonNode *container, gboolean *out)
{
	switch (pd_dyn_value_kind(container)) {
		case PD_DYN_STR:
			if (!pd_dyn_is_str(item)) {
				pd_dyn_eval_raise(
				  ev,
				  RT,
				  "TypeError: 'in <string>' requires string as left operand");
				return FALSE;
			}
			*out = strstr(json_node_get_string(container),
				      json_node_get_string(item)) != NULL;
			return TRUE;
		case PD_DYN_LIST: {
			JsonArray *a = json_node_get_array(container);
			*out = FALSE;
			for (guint i = 0; i < json_array_get_length(a) && !*out; i++)
				*out = pd_dyn_value_equal(item, json_array_get_element(a, i));
			return TRUE;
		}
		case PD_DYN_DICT:
			*out = pd_dyn_is_str(item) &&
			       json_object_has_member(json_node_get_object(container),
						      json_node_get_string(item));
			return TRUE;
		default:
			pd_dyn_eval_raise(ev,
					  RT,
					  "TypeError: argument of type '%s' is not iterable",
					  pd_dyn_value_type_name(container));
			return FALSE;
	}
}

static gboolean
pd_dyn_order(PdDynEval *ev, PdDynOp op, JsonNode *a, JsonNode *b, gboolean *out)
{
	gint c;
	gdouble x, y;

	if (pd_dyn_is_int(a) && pd_dyn_is_int(b)) {
		gint64 i = pd_dyn_get_int(a), j = pd_dyn_get_int(b);
		c = i < j ? -1 : i > j;
	} else if (pd_dyn_value_get_number(a, &x) && pd_dyn_value_get_number(b, &y)) {
		c = x < y ? -1 : x > y;
	} else if (pd_dyn_is_str(a) && pd_dyn_is_str(b)) {
		c = strcmp(json_node_get_string(a), json_node_get_string(b));
	} else {
		pd_dyn_eval_raise(
		  ev,
		  RT,
		  "TypeError: '%s' not supported between instances of '%s' and '%s'",
		  pd_dyn_op_names[op],
		  pd_dyn_value_type_name(a),
		  pd_dyn_value_type_name(b));
		return FALSE;
	}
	*out = (op == PD_DYN_OP_LT && c < 0) || (op == PD_DYN_OP_LE && c <= 0) ||
	       (op == PD_DYN_OP_GT && c > 0) || (op == PD_DYN_OP_GE && c >= 0);
	return TRUE;
}

static gboolean
pd_dyn_compare_one(PdDynEval *ev, PdDynOp op, JsonNode *a, JsonNode *b, gboolean *out)
{
	PdDynKind ka = pd_dyn_value_kind(a), kb = pd_dyn_value_kind(b);

	switch (op) {
		case PD_DYN_OP_EQ:
			*out = pd_dyn_value_equal(a, b);
			return TRUE;
		case PD_DYN_OP_NE:
			*out = !pd_dyn_value_equal(a, b);
			return TRUE;
		case PD_DYN_OP_IN:
		case PD_DYN_OP_NOT_IN:
			if (!pd_dyn_contains(ev, a, b, out))
				return FALSE;
			*out = op == PD_DYN_OP_IN ? *out : !*out;
			return TRUE;
		case PD_DYN_OP_IS:
		case PD_DYN_OP_IS_NOT:
			/* identity is only meaningful for the singletons None, True, False */
			*out = (ka == PD_DYN_NONE && kb == PD_DYN_NONE) ||
			       (ka == PD_DYN_BOOL && kb == PD_DYN_BOOL &&
				json_node_get_boolean(a) == json_node_get_boolean(b));
			*out = op == PD_DYN_OP_IS ? *out : !*out;
			return TRUE;
		default:
			return pd_dyn_order(ev, op, a, b, out);
	}
}

static JsonNode *
pd_dyn_eval_compare(PdDynEval *ev, PdDynNode *node)
{
	g_autoptr(JsonNode) left = pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, 0));

	if (left == NULL)
		return NULL;
	for (guint i = 0; i < node->ops->len; i++) {
		g_autoptr(JsonNode) right =
		  pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, i + 1));
		gboolean ok = FALSE;
		if (right == NULL ||
		    !pd_dyn_compare_one(ev, g_array_index(node->ops, PdDynOp, i), left, right, &ok))
			return NULL;
		if (!ok)
			return pd_dyn_value_new_bool(FALSE);
		json_node_unref(left);
		left = g_steal_pointer(&right);
	}
	return pd_dyn_value_new_bool(TRUE);
}

/* --- subscripts --- */

static gboolean
pd_dyn_index_norm(gint64 *i, gint64 len)
{
	if (*i < 0)
		*i += len;
	return *i >= 0 && *i < len;
}

static JsonNode *
pd_dyn_index(PdDynEval *ev, JsonNode *obj, JsonNode *idx)
{
	PdDynKind k = pd_dyn_value_kind(obj);

	if (k == PD_DYN_DICT) {
		JsonObject *o = json_node_get_object(obj);
		g_autofree gchar *key = NULL;
		if (pd_dyn_is_str(idx) && json_object_has_member(o, json_node_get_string(idx)))
			return json_node_copy(json_object_get_member(o, json_node_get_string(idx)));
		key = pd_dyn_value_repr(idx);
		return pd_dyn_eval_raise(ev, RT, "KeyError: %s", key);
	}
	if (k != PD_DYN_LIST && k != PD_DYN_STR)
		return pd_dyn_eval_raise(ev,
					 RT,
					 "TypeError: '%s' object is not subscriptable",
					 pd_dyn_value_type_name(obj));
	if (!pd_dyn_is_int(idx))
		return pd_dyn_eval_raise(ev,
					 RT,
					 "TypeError: %s indices must be integers, not %s",
					 pd_dyn_value_type_name(obj),
					 pd_dyn_value_type_name(idx));
	{
		gint64 i = pd_dyn_get_int(idx);
		if (k == PD_DYN_LIST) {
			JsonArray *a = json_node_get_array(obj);
			if (!pd_dyn_index_norm(&i, json_array_get_length(a)))
				return pd_dyn_eval_raise(
				  ev, RT, "IndexError: list index out of range");
			return json_node_copy(json_array_get_element(a, (guint)i));
		} else {
			const gchar *s = json_node_get_string(obj);
			const gchar *c;
			if (!pd_dyn_index_norm(&i, g_utf8_strlen(s, -1)))
				return pd_dyn_eval_raise(
				  ev, RT, "IndexError: string index out of range");
			c = g_utf8_offset_to_pointer(s, i);
			return pd_dyn_value_new_str_take(g_strndup(c, g_utf8_next_char(c) - c));
		}
	}
}

static gint64
pd_dyn_slice_bound(JsonNode *n, gint64 len, gint64 def)
{
	gint64 i;

	if (n == NULL || pd_dyn_value_kind(n) == PD_DYN_NONE)
		return def;
	i = pd_dyn_get_int(n);
	if (i < 0)
		i += len;
	return CLAMP(i, 0, len);
}

static JsonNode *
pd_dyn_eval_slice(PdDynEval *ev, PdDynNode *node)
{
	g_autoptr(JsonNode) obj = pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, 0));
	g_autoptr(JsonNode) lo = NULL;
	g_autoptr(JsonNode) hi = NULL;
	PdDynNode *lo_node = g_ptr_array_index(node->kids, 1);
	PdDynNode *hi_node = g_ptr_array_index(node->kids, 2);
	gint64 len, a, b;

	if (obj == NULL || (lo_node != NULL && (lo = pd_dyn_eval_node(ev, lo_node)) == NULL) ||
	    (hi_node != NULL && (hi = pd_dyn_eval_node(ev, hi_node)) == NULL))
		return NULL;
	if ((lo != NULL && !pd_dyn_is_int(lo) && pd_dyn_value_kind(lo) != PD_DYN_NONE) ||
	    (hi != NULL && !pd_dyn_is_int(hi) && pd_dyn_value_kind(hi) != PD_DYN_NONE))
		return pd_dyn_eval_raise(
		  ev, RT, "TypeError: slice indices must be integers or None");
	if (pd_dyn_is_str(obj)) {
		const gchar *s = json_node_get_string(obj);
		len = g_utf8_strlen(s, -1);
		a = pd_dyn_slice_bound(lo, len, 0);
		b = MAX(a, pd_dyn_slice_bound(hi, len, len));
		s = g_utf8_offset_to_pointer(s, a);
		return pd_dyn_value_new_str_take(
		  g_strndup(s, g_utf8_offset_to_pointer(s, b - a) - s));
	}
	if (JSON_NODE_HOLDS_ARRAY(obj)) {
		JsonArray *arr = json_node_get_array(obj), *out = json_array_new();
		len = json_array_get_length(arr);
		a = pd_dyn_slice_bound(lo, len, 0);
		b = pd_dyn_slice_bound(hi, len, len);
		for (gint64 i = a; i < b; i++)
			json_array_add_element(out, json_node_copy(json_array_get_element(arr, i)));
		return pd_dyn_new_list(out);
	}
	return pd_dyn_eval_raise(
	  ev, RT, "TypeError: '%s' object is not subscriptable", pd_dyn_value_type_name(obj));
}

/* --- containers --- */

static JsonNode *
pd_dyn_eval_list(PdDynEval *ev, PdDynNode *node)
{
	JsonArray *out = json_array_new();

	for (guint i = 0; i < node->kids->len; i++) {
		JsonNode *item = pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, i));
		if (item == NULL) {
			json_array_unref(out);
			return NULL;
		}
		json_array_add_element(out, item);
	}
	return pd_dyn_new_list(out);
}

static JsonNode *
pd_dyn_eval_dict(PdDynEval *ev, PdDynNode *node)
{
	g_autoptr(JsonObject) out = json_object_new();
	JsonNode *n;

	for (guint i = 0; i + 1 < node->kids->len; i += 2) {
		g_autoptr(JsonNode) key = pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, i));
		JsonNode *value;
		if (key == NULL)
			return NULL;
		if (!pd_dyn_is_str(key))
			return pd_dyn_eval_raise(
			  ev, RT, "dict keys must be strings in JSON values");
		if ((value = pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, i + 1))) == NULL)
			return NULL;
		json_object_set_member(out, json_node_get_string(key), value);
	}
	n = json_node_new(JSON_NODE_OBJECT);
	json_node_set_object(n, out);
	return n;
}

/* --- entry --- */

static JsonNode *
pd_dyn_eval_bool(PdDynEval *ev, PdDynNode *node, gboolean is_or)
{
	JsonNode *left = pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, 0));

	if (left == NULL)
		return NULL;
	/* Python's and/or give one of their operands */
	if (pd_dyn_value_truthy(left) == is_or)
		return left;
	json_node_unref(left);
	return pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, 1));
}

static JsonNode *
pd_dyn_eval_unary(PdDynEval *ev, PdDynNode *node)
{
	g_autoptr(JsonNode) v = pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, 0));

	if (v == NULL)
		return NULL;
	if (node->kind == PD_DYN_NODE_NOT)
		return pd_dyn_value_new_bool(!pd_dyn_value_truthy(v));
	if (pd_dyn_is_int(v)) {
		if (pd_dyn_get_int(v) == G_MININT64)
			return pd_dyn_eval_raise(ev, PD_DYN_EXPR_ERROR_LIMIT, "integer overflow");
		return pd_dyn_value_new_int(-pd_dyn_get_int(v));
	}
	if (pd_dyn_value_kind(v) == PD_DYN_FLOAT)
		return pd_dyn_value_new_float(-json_node_get_double(v));
	return pd_dyn_eval_raise(
	  ev, RT, "TypeError: bad operand type for unary -: '%s'", pd_dyn_value_type_name(v));
}

static JsonNode *
pd_dyn_eval_pair(PdDynEval *ev, PdDynNode *node)
{
	g_autoptr(JsonNode) a = pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, 0));
	g_autoptr(JsonNode) b = NULL;

	if (a == NULL || (b = pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, 1))) == NULL)
		return NULL;
	if (node->kind == PD_DYN_NODE_INDEX)
		return pd_dyn_index(ev, a, b);
	return pd_dyn_binop(ev, node->op, a, b);
}

static JsonNode *
pd_dyn_eval_node(PdDynEval *ev, PdDynNode *node)
{
	if (++ev->steps > PD_DYN_EXPR_MAX_STEPS)
		return pd_dyn_eval_raise(ev,
					 PD_DYN_EXPR_ERROR_LIMIT,
					 "more than %u evaluation steps",
					 PD_DYN_EXPR_MAX_STEPS);
	switch (node->kind) {
		case PD_DYN_NODE_CONST:
			return json_node_copy(node->value);
		case PD_DYN_NODE_VAR:
			if (ev->slots[node->slot] == NULL)
				return pd_dyn_value_new_none();
			return json_node_copy(ev->slots[node->slot]);
		case PD_DYN_NODE_LIST:
			return pd_dyn_eval_list(ev, node);
		case PD_DYN_NODE_DICT:
			return pd_dyn_eval_dict(ev, node);
		case PD_DYN_NODE_INDEX:
		case PD_DYN_NODE_BINOP:
			return pd_dyn_eval_pair(ev, node);
		case PD_DYN_NODE_SLICE:
			return pd_dyn_eval_slice(ev, node);
		case PD_DYN_NODE_METHOD:
			return pd_dyn_builtins_method(ev, node);
		case PD_DYN_NODE_CALL:
			return pd_dyn_builtins_call(ev, node);
		case PD_DYN_NODE_LAMBDA:
		case PD_DYN_NODE_FUNC:
			return pd_dyn_eval_raise(
			  ev,
			  RT,
			  "a lambda or function is only usable as filter()'s or map()'s function");
		case PD_DYN_NODE_NEG:
		case PD_DYN_NODE_NOT:
			return pd_dyn_eval_unary(ev, node);
		case PD_DYN_NODE_COMPARE:
			return pd_dyn_eval_compare(ev, node);
		case PD_DYN_NODE_AND:
		case PD_DYN_NODE_OR:
			return pd_dyn_eval_bool(ev, node, node->kind == PD_DYN_NODE_OR);
		case PD_DYN_NODE_IF: {
			g_autoptr(JsonNode) c =
			  pd_dyn_eval_node(ev, g_ptr_array_index(node->kids, 0));
			if (c == NULL)
				return NULL;
			return pd_dyn_eval_node(
			  ev, g_ptr_array_index(node->kids, pd_dyn_value_truthy(c) ? 1 : 2));
		}
	}
	return NULL;
}

JsonNode *
pd_dyn_eval_apply(PdDynEval *ev, PdDynNode *lambda, JsonNode *arg)
{
	JsonNode *saved = ev->slots[lambda->slot];
	JsonNode *r;

	ev->slots[lambda->slot] = arg;
	r = pd_dyn_eval_node(ev, g_ptr_array_index(lambda->kids, 0));
	ev->slots[lambda->slot] = saved;
	return r;
}

JsonNode *
pd_dyn_eval_sub(PdDynEval *ev, PdDynNode *node)
{
	return pd_dyn_eval_node(ev, node);
}

JsonNode *
pd_dyn_eval_expr(PdDynExpr *expr, JsonNode *const *values, GError **error)
{
	g_autofree JsonNode **slots = g_new0(JsonNode *, expr->n_slots + 1);
	PdDynEval ev = { slots, 0, error };

	for (guint i = 0; i < expr->n_names; i++)
		slots[i] = values != NULL ? values[i] : NULL;
	return pd_dyn_eval_node(&ev, expr->root);
}
