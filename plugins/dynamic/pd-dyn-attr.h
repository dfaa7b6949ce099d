/*
 * polld dynamic pollsters - an attribute reference such as
 * "user | value.split('$') | value[0]": a dotted path into an entry ("."
 * for the entry itself) followed by operations on `value`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "pd-dyn-expr.h"

G_BEGIN_DECLS

typedef struct _PdDynAttr PdDynAttr;

/* errors name the column in @text */
PdDynAttr *
pd_dyn_attr_parse(const gchar *text, GError **error);
void
pd_dyn_attr_free(PdDynAttr *attr);
const gchar *
pd_dyn_attr_get_text(PdDynAttr *attr);
/* the path part alone, e.g. "categories" of "categories | value" */
const gchar *
pd_dyn_attr_get_path(PdDynAttr *attr);
/* a new reference; a missing key or a failing operation is an error */
JsonNode *
pd_dyn_attr_eval(PdDynAttr *attr, JsonNode *obj, GError **error);
/* splits @text at '|' outside string literals; offsets of the parts in @text */
GPtrArray *
pd_dyn_attr_split_ops(const gchar *text, GArray *offsets);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDynAttr, pd_dyn_attr_free)

G_END_DECLS
