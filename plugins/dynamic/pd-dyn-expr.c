/*
 * polld dynamic pollsters - expression lexer and recursive descent parser.
 *
 * Grammar (a Python subset; precedence from low to high):
 *   expr    := lambda | ternary
 *   lambda  := 'lambda' NAME ':' expr
 *   ternary := or ['if' or 'else' expr]
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | compare
 *   compare := sum (CMP sum)*      CMP: == != < <= > >= in, not in, is, is not
 *   sum     := term (('+' | '-') term)*
 *   term    := unary (('*' | '/' | '//' | '%') unary)*
 *   unary   := '-' unary | '+' unary | postfix
 *   postfix := atom ('[' subscript ']' | '.' METHOD '(' args ')')*
 *   atom    := NUMBER | STRING+ | NAME | FUNCTION '(' args ')' | True | False
 *            | None | '(' expr ')' | '(' expr ',' ... ')' | '[' items ']'
 *            | '{' key ':' value, ... '}'
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <errno.h>
#include <string.h>

#include "pd-dyn-expr-private.h"
#include "pd-dyn-value.h"

G_DEFINE_QUARK(pd - dyn - expr - error - quark, pd_dyn_expr_error)

typedef enum {
	TOK_END,
	TOK_INT,
	TOK_FLOAT,
	TOK_STR,
	TOK_NAME,
	TOK_OP,
} PdDynTokKind;

typedef struct {
	PdDynTokKind kind;
	guint column; /* 1-based */
	gchar *text;  /* NAME, OP; STR: the decoded string */
	gint64 i;
	gdouble d;
} PdDynTok;

typedef struct {
	const gchar *src;
	GArray *toks; /* PdDynTok */
	guint pos;
	guint depth;
	GPtrArray *scope; /* variable names; index = slot */
	guint n_slots;
	GError **error;
	gboolean failed;
} PdDynParser;

static const gchar *const pd_dyn_ops[] = { "//", "==", "!=", "<=", ">=", "(", ")", "[",
					   "]",	 "{",  "}",  ",",  ":",	 ".", "+", "-",
					   "*",	 "/",  "%",  "<",  ">",	 NULL };

static gboolean
pd_dyn_fail(PdDynParser *p, guint column, const gchar *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
pd_dyn_fail(PdDynParser *p, guint column, const gchar *fmt, ...)
{
	g_autofree gchar *msg = NULL;
	va_list ap;

	if (p->failed)
		return FALSE;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	p->failed = TRUE;
	g_set_error(
	  p->error, PD_DYN_EXPR_ERROR, PD_DYN_EXPR_ERROR_SYNTAX, "column %u: %s", column, msg);
	return FALSE;
}

/* --- lexer --- */

static gboolean
pd_dyn_lex_string(PdDynParser *p, const gchar **pp, PdDynTok *tok)
{
	const gchar *s = *pp;
	gchar quote = *s++;
	GString *out = g_string_new(NULL);

	while (*s != quote) {
		if (*s == '\0' || *s == '\n') {
			g_string_free(out, TRUE);
			return pd_dyn_fail(p, tok->column, "unterminated string");
		}
		if (*s == '\\') {
			s++;
			switch (*s) {
				case 'n':
					g_string_append_c(out, '\n');
					break;
				case 't':
					g_string_append_c(out, '\t');
					break;
				case 'r':
					g_string_append_c(out, '\r');
					break;
				case '\\':
				case '\'':
				case '"':
					g_string_append_c(out, *s);
					break;
				default:
					g_string_free(out, TRUE);
					return pd_dyn_fail(
					  p,
					  (guint)(s - p->src),
					  "unsupported escape \\%c (use \\n \\t \\r \\\\ \\' \\\")",
					  *s != '\0' ? *s : ' ');
			}
			s++;
			continue;
		}
		g_string_append_c(out, *s++);
	}
	if (!g_utf8_validate(out->str, out->len, NULL)) {
		g_string_free(out, TRUE);
		return pd_dyn_fail(p, tok->column, "string is not valid UTF-8");
	}
	tok->kind = TOK_STR;
	tok->text = g_string_free(out, FALSE);
	*pp = s + 1;
	return TRUE;
}

static gboolean
pd_dyn_lex_number(PdDynParser *p, const gchar **pp, PdDynTok *tok)
{
	const gchar *s = *pp;
	gchar *end = NULL;

	while (g_ascii_isdigit(*s))
		s++;
	if (*s == '.' || *s == 'e' || *s == 'E') {
		errno = 0;
		tok->d = g_ascii_strtod(*pp, &end);
		if (end == *pp || errno == ERANGE)
			return pd_dyn_fail(p, tok->column, "bad number");
		tok->kind = TOK_FLOAT;
	} else {
		errno = 0;
		tok->i = g_ascii_strtoll(*pp, &end, 10);
		if (errno == ERANGE)
			return pd_dyn_fail(p, tok->column, "integer out of range");
		if (end - *pp > 1 && **pp == '0')
			return pd_dyn_fail(p, tok->column, "leading zeros in a number");
		tok->kind = TOK_INT;
	}
	if (g_ascii_isalpha(*end) || *end == '_')
		return pd_dyn_fail(p, tok->column, "bad number");
	*pp = end;
	return TRUE;
}

static gboolean
pd_dyn_lex_one(PdDynParser *p, const gchar **pp, PdDynTok *tok)
{
	const gchar *s = *pp;

	if (*s == '\'' || *s == '"')
		return pd_dyn_lex_string(p, pp, tok);
	if (g_ascii_isdigit(*s) || (*s == '.' && g_ascii_isdigit(s[1])))
		return pd_dyn_lex_number(p, pp, tok);
	if (g_ascii_isalpha(*s) || *s == '_') {
		const gchar *start = s;
		while (g_ascii_isalnum(*s) || *s == '_')
			s++;
		tok->kind = TOK_NAME;
		tok->text = g_strndup(start, s - start);
		*pp = s;
		return TRUE;
	}
	for (guint i = 0; pd_dyn_ops[i] != NULL; i++) {
		gsize len = strlen(pd_dyn_ops[i]);
		if (strncmp(s, pd_dyn_ops[i], len) == 0) {
			tok->kind = TOK_OP;
			tok->text = g_strdup(pd_dyn_ops[i]);
			*pp = s + len;
			return TRUE;
		}
	}
	if ((guchar)*s >= 0x20 && (guchar)*s < 0x7f)
		return pd_dyn_fail(
		  p, tok->column, "'%c' is not part of the expression language", *s);
	return pd_dyn_fail(p, tok->column, "unexpected byte 0x%02x", (guchar)*s);
}

static void
pd_dyn_tok_clear(gpointer data)
{
	g_free(((PdDynTok *)data)->text);
}

static gboolean
pd_dyn_lex(PdDynParser *p)
{
	const gchar *s = p->src;

	for (;;) {
		PdDynTok tok = { 0 };
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		tok.column = (guint)(s - p->src) + 1;
		if (*s == '\0') {
			g_array_append_val(p->toks, tok);
			return TRUE;
		}
		if (!pd_dyn_lex_one(p, &s, &tok))
			return FALSE;
		g_array_append_val(p->toks, tok);
	}
}

/* --- parser helpers --- */

static PdDynTok *
pd_dyn_peek(PdDynParser *p)
{
	return &g_array_index(p->toks, PdDynTok, p->pos);
}

static gboolean
pd_dyn_is_op(PdDynParser *p, const gchar *op)
{
	PdDynTok *t = pd_dyn_peek(p);
	return t->kind == TOK_OP && strcmp(t->text, op) == 0;
}

static gboolean
pd_dyn_is_kw(PdDynParser *p, const gchar *kw)
{
	PdDynTok *t = pd_dyn_peek(p);
	return t->kind == TOK_NAME && strcmp(t->text, kw) == 0;
}

static gboolean
pd_dyn_accept_op(PdDynParser *p, const gchar *op)
{
	if (!pd_dyn_is_op(p, op))
		return FALSE;
	p->pos++;
	return TRUE;
}

static gboolean
pd_dyn_accept_kw(PdDynParser *p, const gchar *kw)
{
	if (!pd_dyn_is_kw(p, kw))
		return FALSE;
	p->pos++;
	return TRUE;
}

static gboolean
pd_dyn_expect_op(PdDynParser *p, const gchar *op)
{
	PdDynTok *t = pd_dyn_peek(p);

	if (pd_dyn_accept_op(p, op))
		return TRUE;
	return pd_dyn_fail(p,
			   t->column,
			   "expected '%s', found %s",
			   op,
			   t->kind == TOK_END ? "the end" : "something else");
}

static PdDynNode *
pd_dyn_node_new(PdDynNodeKind kind, guint column)
{
	PdDynNode *n = g_new0(PdDynNode, 1);
	n->kind = kind;
	n->column = column;
	n->kids = g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_expr_node_free);
	return n;
}

void
pd_dyn_expr_node_free(PdDynNode *node)
{
	if (node == NULL)
		return;
	g_free(node->name);
	if (node->value != NULL)
		json_node_unref(node->value);
	if (node->ops != NULL)
		g_array_unref(node->ops);
	g_ptr_array_unref(node->kids);
	g_free(node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDynNode, pd_dyn_expr_node_free)

static PdDynNode *
pd_dyn_node_new2(PdDynNodeKind kind, guint column, PdDynNode *a, PdDynNode *b)
{
	PdDynNode *n = pd_dyn_node_new(kind, column);
	g_ptr_array_add(n->kids, a);
	g_ptr_array_add(n->kids, b);
	return n;
}

static PdDynNode *
pd_dyn_parse_expr(PdDynParser *p);

static gboolean
pd_dyn_enter(PdDynParser *p)
{
	if (++p->depth > PD_DYN_EXPR_MAX_DEPTH)
		return pd_dyn_fail(p, pd_dyn_peek(p)->column, "nested too deeply");
	return TRUE;
}

/* --- atoms --- */

static const gchar *const pd_dyn_keywords[] = { "and",	"or",	  "not",  "in",	   "is",   "if",
						"else", "lambda", "True", "False", "None", NULL };

static PdDynNode *
pd_dyn_parse_args(PdDynParser *p, PdDynNode *call)
{
	g_autoptr(PdDynNode) n = call;

	if (!pd_dyn_accept_op(p, ")")) {
		do {
			PdDynNode *arg = pd_dyn_parse_expr(p);
			if (arg == NULL)
				return NULL;
			g_ptr_array_add(n->kids, arg);
		} while (pd_dyn_accept_op(p, ",") && !pd_dyn_is_op(p, ")"));
		if (!pd_dyn_expect_op(p, ")"))
			return NULL;
	}
	return g_steal_pointer(&n);
}

static PdDynNode *
pd_dyn_parse_name(PdDynParser *p, PdDynTok *t)
{
	PdDynNode *n;

	if (strcmp(t->text, "True") == 0 || strcmp(t->text, "False") == 0) {
		n = pd_dyn_node_new(PD_DYN_NODE_CONST, t->column);
		n->value = pd_dyn_value_new_bool(t->text[0] == 'T');
		return n;
	}
	if (strcmp(t->text, "None") == 0) {
		n = pd_dyn_node_new(PD_DYN_NODE_CONST, t->column);
		n->value = pd_dyn_value_new_none();
		return n;
	}
	if (g_strv_contains(pd_dyn_keywords, t->text)) {
		pd_dyn_fail(p, t->column, "unexpected '%s'", t->text);
		return NULL;
	}
	if (pd_dyn_is_op(p, "(")) {
		if (!pd_dyn_builtins_has_function(t->text)) {
			pd_dyn_fail(p, t->column, "unknown function %s()", t->text);
			return NULL;
		}
		p->pos++;
		n = pd_dyn_node_new(PD_DYN_NODE_CALL, t->column);
		n->name = g_strdup(t->text);
		return pd_dyn_parse_args(p, n);
	}
	if (pd_dyn_builtins_has_function(t->text) &&
	    (strcmp(t->text, "filter") != 0 && strcmp(t->text, "map") != 0)) {
		n = pd_dyn_node_new(PD_DYN_NODE_FUNC, t->column);
		n->name = g_strdup(t->text);
		return n;
	}
	for (guint i = p->scope->len; i > 0; i--) {
		if (strcmp(g_ptr_array_index(p->scope, i - 1), t->text) == 0) {
			n = pd_dyn_node_new(PD_DYN_NODE_VAR, t->column);
			n->slot = i - 1;
			n->name = g_strdup(t->text);
			return n;
		}
	}
	g_set_error(p->error,
		    PD_DYN_EXPR_ERROR,
		    PD_DYN_EXPR_ERROR_NAME,
		    "column %u: unknown name '%s'",
		    t->column,
		    t->text);
	p->failed = TRUE;
	return NULL;
}

static PdDynNode *
pd_dyn_parse_list(PdDynParser *p, guint column, const gchar *close, PdDynNodeKind kind)
{
	g_autoptr(PdDynNode) n = pd_dyn_node_new(kind, column);

	while (!pd_dyn_is_op(p, close)) {
		PdDynNode *item = pd_dyn_parse_expr(p);
		if (item == NULL)
			return NULL;
		g_ptr_array_add(n->kids, item);
		if (kind == PD_DYN_NODE_DICT) {
			if (!pd_dyn_expect_op(p, ":") || (item = pd_dyn_parse_expr(p)) == NULL)
				return NULL;
			g_ptr_array_add(n->kids, item);
		}
		if (!pd_dyn_accept_op(p, ","))
			break;
	}
	if (!pd_dyn_expect_op(p, close))
		return NULL;
	return g_steal_pointer(&n);
}

static PdDynNode *
pd_dyn_parse_paren(PdDynParser *p, guint column)
{
	g_autoptr(PdDynNode) first = NULL;
	g_autoptr(PdDynNode) tuple = NULL;

	if (pd_dyn_accept_op(p, ")")) {
		pd_dyn_fail(p, column, "empty tuples are not supported");
		return NULL;
	}
	if ((first = pd_dyn_parse_expr(p)) == NULL)
		return NULL;
	if (pd_dyn_accept_op(p, ")"))
		return g_steal_pointer(&first);
	/* a tuple: evaluated as a list (used for startswith(('a', 'b'))) */
	tuple = pd_dyn_node_new(PD_DYN_NODE_LIST, column);
	g_ptr_array_add(tuple->kids, g_steal_pointer(&first));
	while (pd_dyn_accept_op(p, ",") && !pd_dyn_is_op(p, ")")) {
		PdDynNode *item = pd_dyn_parse_expr(p);
		if (item == NULL)
			return NULL;
		g_ptr_array_add(tuple->kids, item);
	}
	if (!pd_dyn_expect_op(p, ")"))
		return NULL;
	return g_steal_pointer(&tuple);
}

static PdDynNode *
pd_dyn_parse_atom(PdDynParser *p)
{
	PdDynTok *t = pd_dyn_peek(p);
	PdDynNode *n;

	switch (t->kind) {
		case TOK_INT:
		case TOK_FLOAT:
			p->pos++;
			n = pd_dyn_node_new(PD_DYN_NODE_CONST, t->column);
			n->value = t->kind == TOK_INT ? pd_dyn_value_new_int(t->i)
						      : pd_dyn_value_new_float(t->d);
			return n;
		case TOK_STR: {
			/* adjacent literals concatenate, as in Python */
			GString *s = g_string_new(NULL);
			guint column = t->column;
			while ((t = pd_dyn_peek(p))->kind == TOK_STR) {
				g_string_append(s, t->text);
				p->pos++;
			}
			n = pd_dyn_node_new(PD_DYN_NODE_CONST, column);
			n->value = pd_dyn_value_new_str_take(g_string_free(s, FALSE));
			return n;
		}
		case TOK_NAME:
			p->pos++;
			return pd_dyn_parse_name(p, t);
		case TOK_OP:
			p->pos++;
			if (strcmp(t->text, "(") == 0)
				return pd_dyn_parse_paren(p, t->column);
			if (strcmp(t->text, "[") == 0)
				return pd_dyn_parse_list(p, t->column, "]", PD_DYN_NODE_LIST);
			if (strcmp(t->text, "{") == 0)
				return pd_dyn_parse_list(p, t->column, "}", PD_DYN_NODE_DICT);
			pd_dyn_fail(p, t->column, "unexpected '%s'", t->text);
			return NULL;
		case TOK_END:
		default:
			pd_dyn_fail(p, t->column, "expression ends too early");
			return NULL;
	}
}

/* --- postfix: [index], [a:b], .method(args) --- */

static PdDynNode *
pd_dyn_parse_subscript(PdDynParser *p, PdDynNode *obj, guint column)
{
	g_autoptr(PdDynNode) n = pd_dyn_node_new(PD_DYN_NODE_INDEX, column);
	PdDynNode *start = NULL;

	g_ptr_array_add(n->kids, obj);
	if (!pd_dyn_is_op(p, ":") && (start = pd_dyn_parse_expr(p)) == NULL)
		return NULL;
	g_ptr_array_add(n->kids, start);
	if (pd_dyn_accept_op(p, ":")) {
		PdDynNode *stop = NULL;
		n->kind = PD_DYN_NODE_SLICE;
		if (!pd_dyn_is_op(p, "]") && (stop = pd_dyn_parse_expr(p)) == NULL)
			return NULL;
		g_ptr_array_add(n->kids, stop);
	} else if (start == NULL) {
		pd_dyn_fail(p, column, "empty subscript");
		return NULL;
	}
	if (!pd_dyn_expect_op(p, "]"))
		return NULL;
	return g_steal_pointer(&n);
}

static PdDynNode *
pd_dyn_parse_postfix(PdDynParser *p)
{
	g_autoptr(PdDynNode) n = pd_dyn_parse_atom(p);

	while (n != NULL) {
		PdDynTok *t = pd_dyn_peek(p);
		if (pd_dyn_accept_op(p, "[")) {
			n = pd_dyn_parse_subscript(p, g_steal_pointer(&n), t->column);
		} else if (pd_dyn_accept_op(p, ".")) {
			PdDynTok *m = pd_dyn_peek(p);
			PdDynNode *call;
			if (m->kind != TOK_NAME) {
				pd_dyn_fail(p, m->column, "expected a method name after '.'");
				return NULL;
			}
			p->pos++;
			if (!pd_dyn_is_op(p, "(")) {
				pd_dyn_fail(p,
					    m->column,
					    "attribute access .%s is not supported: use "
					    "value['%s'] for a field",
					    m->text,
					    m->text);
				return NULL;
			}
			if (!pd_dyn_builtins_has_method(m->text)) {
				pd_dyn_fail(p, m->column, "unknown method .%s()", m->text);
				return NULL;
			}
			p->pos++;
			call = pd_dyn_node_new(PD_DYN_NODE_METHOD, m->column);
			call->name = g_strdup(m->text);
			g_ptr_array_add(call->kids, g_steal_pointer(&n));
			n = pd_dyn_parse_args(p, call);
		} else {
			break;
		}
	}
	return g_steal_pointer(&n);
}

/* --- operators --- */

static PdDynNode *
pd_dyn_parse_unary(PdDynParser *p)
{
	PdDynTok *t = pd_dyn_peek(p);
	PdDynNode *operand;

	if (pd_dyn_is_op(p, "-") || pd_dyn_is_op(p, "+")) {
		gboolean neg = t->text[0] == '-';
		p->pos++;
		if (!pd_dyn_enter(p))
			return NULL;
		operand = pd_dyn_parse_unary(p);
		p->depth--;
		if (operand == NULL || !neg)
			return operand;
		{
			PdDynNode *n = pd_dyn_node_new(PD_DYN_NODE_NEG, t->column);
			g_ptr_array_add(n->kids, operand);
			return n;
		}
	}
	return pd_dyn_parse_postfix(p);
}

static PdDynNode *
pd_dyn_parse_binary(PdDynParser *p,
		    PdDynNode *(*next)(PdDynParser *),
		    const gchar *const *ops,
		    const PdDynOp *codes)
{
	g_autoptr(PdDynNode) left = next(p);

	while (left != NULL) {
		PdDynTok *t = pd_dyn_peek(p);
		guint i;
		PdDynNode *right;
		for (i = 0; ops[i] != NULL; i++) {
			if (pd_dyn_is_op(p, ops[i]))
				break;
		}
		if (ops[i] == NULL)
			break;
		p->pos++;
		if ((right = next(p)) == NULL)
			return NULL;
		left =
		  pd_dyn_node_new2(PD_DYN_NODE_BINOP, t->column, g_steal_pointer(&left), right);
		left->op = codes[i];
	}
	return g_steal_pointer(&left);
}

static PdDynNode *
pd_dyn_parse_term(PdDynParser *p)
{
	static const gchar *const ops[] = { "*", "/", "//", "%", NULL };
	static const PdDynOp codes[] = {
		PD_DYN_OP_MUL, PD_DYN_OP_DIV, PD_DYN_OP_FLOORDIV, PD_DYN_OP_MOD
	};
	return pd_dyn_parse_binary(p, pd_dyn_parse_unary, ops, codes);
}

static PdDynNode *
pd_dyn_parse_sum(PdDynParser *p)
{
	static const gchar *const ops[] = { "+", "-", NULL };
	static const PdDynOp codes[] = { PD_DYN_OP_ADD, PD_DYN_OP_SUB };
	return pd_dyn_parse_binary(p, pd_dyn_parse_term, ops, codes);
}

static gboolean
pd_dyn_parse_cmp_op(PdDynParser *p, PdDynOp *op)
{
	static const gchar *const ops[] = { "==", "!=", "<=", ">=", "<", ">", NULL };
	static const PdDynOp codes[] = { PD_DYN_OP_EQ, PD_DYN_OP_NE, PD_DYN_OP_LE,
					 PD_DYN_OP_GE, PD_DYN_OP_LT, PD_DYN_OP_GT };
	PdDynTok *next = &g_array_index(p->toks, PdDynTok, MIN(p->pos + 1, p->toks->len - 1));

	for (guint i = 0; ops[i] != NULL; i++) {
		if (pd_dyn_accept_op(p, ops[i])) {
			*op = codes[i];
			return TRUE;
		}
	}
	if (pd_dyn_accept_kw(p, "in")) {
		*op = PD_DYN_OP_IN;
		return TRUE;
	}
	if (pd_dyn_is_kw(p, "not") && next->kind == TOK_NAME && strcmp(next->text, "in") == 0) {
		p->pos += 2;
		*op = PD_DYN_OP_NOT_IN;
		return TRUE;
	}
	if (pd_dyn_accept_kw(p, "is")) {
		*op = pd_dyn_accept_kw(p, "not") ? PD_DYN_OP_IS_NOT : PD_DYN_OP_IS;
		return TRUE;
	}
	return FALSE;
}

static PdDynNode *
pd_dyn_parse_compare(PdDynParser *p)
{
	g_autoptr(PdDynNode) first = pd_dyn_parse_sum(p);
	g_autoptr(PdDynNode) n = NULL;
	guint column = pd_dyn_peek(p)->column;
	PdDynOp op;

	if (first == NULL)
		return NULL;
	while (pd_dyn_parse_cmp_op(p, &op)) {
		PdDynNode *right;
		if (n == NULL) {
			n = pd_dyn_node_new(PD_DYN_NODE_COMPARE, column);
			n->ops = g_array_new(FALSE, FALSE, sizeof(PdDynOp));
			g_ptr_array_add(n->kids, g_steal_pointer(&first));
		}
		g_array_append_val(n->ops, op);
		if ((right = pd_dyn_parse_sum(p)) == NULL)
			return NULL;
		g_ptr_array_add(n->kids, right);
	}
	return n != NULL ? g_steal_pointer(&n) : g_steal_pointer(&first);
}

static PdDynNode *
pd_dyn_parse_not(PdDynParser *p)
{
	PdDynTok *t = pd_dyn_peek(p);
	PdDynNode *n, *operand;

	if (!pd_dyn_accept_kw(p, "not"))
		return pd_dyn_parse_compare(p);
	if (!pd_dyn_enter(p))
		return NULL;
	operand = pd_dyn_parse_not(p);
	p->depth--;
	if (operand == NULL)
		return NULL;
	n = pd_dyn_node_new(PD_DYN_NODE_NOT, t->column);
	g_ptr_array_add(n->kids, operand);
	return n;
}

static PdDynNode *
pd_dyn_parse_bool(PdDynParser *p, gboolean is_or)
{
	g_autoptr(PdDynNode) left = is_or ? pd_dyn_parse_bool(p, FALSE) : pd_dyn_parse_not(p);

	while (left != NULL) {
		PdDynTok *t = pd_dyn_peek(p);
		PdDynNode *right;
		if (!pd_dyn_accept_kw(p, is_or ? "or" : "and"))
			break;
		right = is_or ? pd_dyn_parse_bool(p, FALSE) : pd_dyn_parse_not(p);
		if (right == NULL)
			return NULL;
		left = pd_dyn_node_new2(is_or ? PD_DYN_NODE_OR : PD_DYN_NODE_AND,
					t->column,
					g_steal_pointer(&left),
					right);
	}
	return g_steal_pointer(&left);
}

static PdDynNode *
pd_dyn_parse_lambda(PdDynParser *p, guint column)
{
	PdDynTok *t = pd_dyn_peek(p);
	g_autoptr(PdDynNode) n = NULL;
	PdDynNode *body;

	if (t->kind != TOK_NAME || g_strv_contains(pd_dyn_keywords, t->text)) {
		pd_dyn_fail(p, t->column, "lambda takes exactly one parameter name");
		return NULL;
	}
	p->pos++;
	if (!pd_dyn_expect_op(p, ":"))
		return NULL;
	n = pd_dyn_node_new(PD_DYN_NODE_LAMBDA, column);
	n->slot = p->scope->len;
	n->name = g_strdup(t->text);
	g_ptr_array_add(p->scope, t->text);
	p->n_slots = MAX(p->n_slots, p->scope->len);
	body = pd_dyn_parse_expr(p);
	g_ptr_array_remove_index(p->scope, p->scope->len - 1);
	if (body == NULL)
		return NULL;
	g_ptr_array_add(n->kids, body);
	return g_steal_pointer(&n);
}

static PdDynNode *
pd_dyn_parse_expr(PdDynParser *p)
{
	PdDynTok *t = pd_dyn_peek(p);
	g_autoptr(PdDynNode) cond = NULL;
	g_autoptr(PdDynNode) then = NULL;
	PdDynNode *otherwise, *n;

	if (p->failed || !pd_dyn_enter(p))
		return NULL;
	if (pd_dyn_accept_kw(p, "lambda")) {
		n = pd_dyn_parse_lambda(p, t->column);
		p->depth--;
		return n;
	}
	then = pd_dyn_parse_bool(p, TRUE);
	if (then == NULL || !pd_dyn_is_kw(p, "if")) {
		p->depth--;
		return g_steal_pointer(&then);
	}
	t = pd_dyn_peek(p);
	p->pos++;
	if ((cond = pd_dyn_parse_bool(p, TRUE)) == NULL)
		return NULL;
	if (!pd_dyn_accept_kw(p, "else")) {
		pd_dyn_fail(p, pd_dyn_peek(p)->column, "expected 'else' of the conditional");
		return NULL;
	}
	if ((otherwise = pd_dyn_parse_expr(p)) == NULL)
		return NULL;
	n = pd_dyn_node_new2(
	  PD_DYN_NODE_IF, t->column, g_steal_pointer(&cond), g_steal_pointer(&then));
	g_ptr_array_add(n->kids, otherwise);
	p->depth--;
	return n;
}

PdDynExpr *
pd_dyn_expr_parse(const gchar *text, const gchar *const *names, GError **error)
{
	PdDynParser p = { 0 };
	g_autoptr(PdDynNode) root = NULL;
	PdDynExpr *expr;

	if (strlen(text) > PD_DYN_EXPR_MAX_LEN) {
		g_set_error(error,
			    PD_DYN_EXPR_ERROR,
			    PD_DYN_EXPR_ERROR_LIMIT,
			    "column 1: expression longer than %u bytes",
			    PD_DYN_EXPR_MAX_LEN);
		return NULL;
	}
	p.src = text;
	p.error = error;
	p.toks = g_array_new(FALSE, TRUE, sizeof(PdDynTok));
	g_array_set_clear_func(p.toks, pd_dyn_tok_clear);
	p.scope = g_ptr_array_new();
	for (guint i = 0; names != NULL && names[i] != NULL; i++)
		g_ptr_array_add(p.scope, (gpointer)names[i]);
	p.n_slots = p.scope->len;
	if (pd_dyn_lex(&p)) {
		root = pd_dyn_parse_expr(&p);
		if (root != NULL && pd_dyn_peek(&p)->kind != TOK_END)
			pd_dyn_fail(
			  &p, pd_dyn_peek(&p)->column, "unexpected text after the expression");
	}
	if (p.failed)
		g_clear_pointer(&root, pd_dyn_expr_node_free);
	expr = NULL;
	if (root != NULL) {
		expr = g_new0(PdDynExpr, 1);
		expr->text = g_strdup(text);
		expr->root = g_steal_pointer(&root);
		expr->n_slots = p.n_slots;
		expr->n_names = names != NULL ? g_strv_length((gchar **)names) : 0;
	}
	g_array_unref(p.toks);
	g_ptr_array_unref(p.scope);
	return expr;
}

void
pd_dyn_expr_free(PdDynExpr *expr)
{
	if (expr == NULL)
		return;
	pd_dyn_expr_node_free(expr->root);
	g_free(expr->text);
	g_free(expr);
}

const gchar *
pd_dyn_expr_get_text(PdDynExpr *expr)
{
	return expr->text;
}
