/*
 * polld dynamic pollsters - Python semantics for decoded JSON values
 * (JsonNode): str(), repr(), truth, equality, as Ceilometer's eval() sees them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
	PD_DYN_NONE,
	PD_DYN_BOOL,
	PD_DYN_INT,
	PD_DYN_FLOAT,
	PD_DYN_STR,
	PD_DYN_LIST,
	PD_DYN_DICT,
} PdDynKind;

PdDynKind
pd_dyn_value_kind(JsonNode *node);
/* Python's type name, for messages: "str", "int", "NoneType"... */
const gchar *
pd_dyn_value_type_name(JsonNode *node);
JsonNode *
pd_dyn_value_new_none(void);
JsonNode *
pd_dyn_value_new_int(gint64 v);
JsonNode *
pd_dyn_value_new_float(gdouble v);
JsonNode *
pd_dyn_value_new_bool(gboolean v);
JsonNode *
pd_dyn_value_new_str(const gchar *s);
JsonNode *
pd_dyn_value_new_str_take(gchar *s);
/* Python's bool(x) */
gboolean
pd_dyn_value_truthy(JsonNode *node);
/* Python's ==, numbers compare by value across int and float */
gboolean
pd_dyn_value_equal(JsonNode *a, JsonNode *b);
/* Python's str(x) and repr(x) */
gchar *
pd_dyn_value_to_str(JsonNode *node);
gchar *
pd_dyn_value_repr(JsonNode *node);
/* Python's repr() of a float: 1.0, 0.1, 1e+16, 1e-05, inf, nan */
void
pd_dyn_value_format_float(GString *out, gdouble v);
/* a number as a double; FALSE for anything else (bool counts as int) */
gboolean
pd_dyn_value_get_number(JsonNode *node, gdouble *out);

G_END_DECLS
