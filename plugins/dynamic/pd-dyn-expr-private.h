/*
 * polld dynamic pollsters - the expression tree shared by parser and evaluator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-dyn-expr.h"

G_BEGIN_DECLS

typedef enum {
	PD_DYN_NODE_CONST,   /* value */
	PD_DYN_NODE_VAR,     /* slot */
	PD_DYN_NODE_LIST,    /* kids: items */
	PD_DYN_NODE_DICT,    /* kids: key, value, key, value... */
	PD_DYN_NODE_INDEX,   /* kids: object, index */
	PD_DYN_NODE_SLICE,   /* kids: object, start or NULL, stop or NULL */
	PD_DYN_NODE_METHOD,  /* name; kids: object, args... */
	PD_DYN_NODE_CALL,    /* name; kids: args... */
	PD_DYN_NODE_LAMBDA,  /* slot (its parameter); kids: body */
	PD_DYN_NODE_FUNC,    /* name: a built-in function used as a value (map(str, ...)) */
	PD_DYN_NODE_NEG,     /* kids: operand */
	PD_DYN_NODE_NOT,     /* kids: operand */
	PD_DYN_NODE_BINOP,   /* op; kids: left, right */
	PD_DYN_NODE_COMPARE, /* ops (one per pair); kids: operands */
	PD_DYN_NODE_AND,     /* kids: left, right */
	PD_DYN_NODE_OR,	     /* kids: left, right */
	PD_DYN_NODE_IF,	     /* kids: condition, then, else */
} PdDynNodeKind;

typedef enum {
	PD_DYN_OP_ADD,
	PD_DYN_OP_SUB,
	PD_DYN_OP_MUL,
	PD_DYN_OP_DIV,
	PD_DYN_OP_FLOORDIV,
	PD_DYN_OP_MOD,
	PD_DYN_OP_EQ,
	PD_DYN_OP_NE,
	PD_DYN_OP_LT,
	PD_DYN_OP_LE,
	PD_DYN_OP_GT,
	PD_DYN_OP_GE,
	PD_DYN_OP_IN,
	PD_DYN_OP_NOT_IN,
	PD_DYN_OP_IS,
	PD_DYN_OP_IS_NOT,
} PdDynOp;

typedef struct _PdDynNode PdDynNode;
struct _PdDynNode {
	PdDynNodeKind kind;
	guint column;
	guint slot;
	gchar *name;
	JsonNode *value;
	GArray *ops; /* PdDynOp, for COMPARE */
	PdDynOp op;
	GPtrArray *kids; /* PdDynNode, entries may be NULL (slices) */
};

struct _PdDynExpr {
	gchar *text;
	PdDynNode *root;
	guint n_slots; /* the context's names, then one per lambda */
	guint n_names;
};

void
pd_dyn_expr_node_free(PdDynNode *node);

/* one evaluation's state */
typedef struct {
	JsonNode **slots;
	guint steps;
	GError **error;
} PdDynEval;

/* sets the evaluation's error (first one wins); returns NULL */
JsonNode *
pd_dyn_eval_raise(PdDynEval *ev, gint code, const gchar *fmt, ...) G_GNUC_PRINTF(3, 4);
JsonNode *
pd_dyn_eval_sub(PdDynEval *ev, PdDynNode *node);
/* a lambda node applied to one argument (for filter and map) */
JsonNode *
pd_dyn_eval_apply(PdDynEval *ev, PdDynNode *lambda, JsonNode *arg);
/* the built-in functions and methods */
JsonNode *
pd_dyn_builtins_call(PdDynEval *ev, PdDynNode *node);
JsonNode *
pd_dyn_builtins_method(PdDynEval *ev, PdDynNode *node);

/* the functions and methods the evaluator knows, so the parser can refuse
 * others at load time */
gboolean
pd_dyn_builtins_has_function(const gchar *name);
gboolean
pd_dyn_builtins_has_method(const gchar *name);

G_END_DECLS
