/*
 * polld dynamic pollsters - the expression language of `| ...` operations,
 * url_path and host_command templates: a Python expression subset parsed
 * once into a tree and evaluated without side effects under a step limit
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* what one evaluation may do at most */
#define PD_DYN_EXPR_MAX_STEPS 100000
#define PD_DYN_EXPR_MAX_STR (1024 * 1024)
#define PD_DYN_EXPR_MAX_ITEMS 100000
#define PD_DYN_EXPR_MAX_DEPTH 64
#define PD_DYN_EXPR_MAX_LEN 4096

#define PD_DYN_EXPR_ERROR (pd_dyn_expr_error_quark())
GQuark
pd_dyn_expr_error_quark(void);

typedef enum {
	PD_DYN_EXPR_ERROR_SYNTAX,  /* not in the grammar; message starts "column N:" */
	PD_DYN_EXPR_ERROR_NAME,	   /* a variable that the context does not have */
	PD_DYN_EXPR_ERROR_RUNTIME, /* KeyError, TypeError... while evaluating */
	PD_DYN_EXPR_ERROR_LIMIT,   /* step, size or depth limit */
} PdDynExprError;

typedef struct _PdDynExpr PdDynExpr;

/* @names: the variables the expression may read (NULL-terminated) */
PdDynExpr *
pd_dyn_expr_parse(const gchar *text, const gchar *const *names, GError **error);
void
pd_dyn_expr_free(PdDynExpr *expr);
const gchar *
pd_dyn_expr_get_text(PdDynExpr *expr);
/* @values: one per name given to parse (NULL reads as None); returns a new
 * reference */
JsonNode *
pd_dyn_eval_expr(PdDynExpr *expr, JsonNode *const *values, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDynExpr, pd_dyn_expr_free)

G_END_DECLS
