/*
 * polld dynamic pollsters - one validated pollster definition of a YAML
 * file in pollsters_definitions_dirs, and the loader of those directories
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "polld.h"

#include "pd-dyn-attr.h"
#include "pd-dyn-expr.h"
#include "pd-dyn-yaml.h"

G_BEGIN_DECLS

/* hostile-input bounds of one directory load */
#define PD_DYN_MAX_FILE_SIZE (16 * 1024 * 1024)
#define PD_DYN_MAX_DEFINITIONS 100000

typedef enum {
	PD_DYN_KIND_OPENSTACK, /* endpoint_type + url_path, Keystone token */
	PD_DYN_KIND_URL,       /* module/authentication_object: a full URL, own auth */
	PD_DYN_KIND_COMMAND,   /* host_command */
} PdDynKind2;

typedef enum {
	PD_DYN_AUTH_NONE,
	PD_DYN_AUTH_BASIC,
	PD_DYN_AUTH_BEARER,
} PdDynAuth;

typedef enum {
	PD_DYN_HANDLER_JSON,
	PD_DYN_HANDLER_XML,
	PD_DYN_HANDLER_TEXT,
} PdDynHandler;

typedef struct _PdDynDef PdDynDef;
struct _PdDynDef {
	gint refcount;
	gchar *source; /* the definition as JSON text: a reload keeps equal ones */
	gchar *file;
	guint line;
	gchar *name;
	PdDynKind2 kind;
	PdSampleType sample_type;
	gchar *unit;
	/* single metric: value_attr on each entry; multi metric ("name.{x}"):
	 * list_attr gives the list, sub_name_key names the sub-metric field,
	 * value_attr applies to each list item */
	gboolean multi;
	gchar *placeholder;  /* "{category}" */
	gchar *sub_name_key; /* "category" */
	PdDynAttr *list_attr;
	PdDynAttr *value_attr;
	gchar *endpoint_type;
	gchar *url_path;
	PdDynExpr *url_expr;	    /* url_path or host_command as an expression, or NULL */
	GPtrArray *metadata_fields; /* PdDynAttr */
	JsonArray *skip_values;
	GPtrArray *value_mapping; /* JsonNode key, JsonNode value, ... */
	JsonNode *default_value;
	GPtrArray *metadata_mapping; /* gchar* from, gchar* to, ... */
	gboolean preserve_mapped;
	PdDynAttr *entries_attr; /* response_entries_key or NULL */
	PdDynAttr *next_attr;
	PdDynAttr *user_id_attr; /* NULL: the field user_id as is */
	PdDynAttr *project_id_attr;
	PdDynAttr *resource_id_attr;
	GStrv headers;	  /* name, value, ... */
	gdouble timeout;  /* seconds, 0: none */
	GArray *handlers; /* PdDynHandler */
	GStrv namespaces;
	PdDynAuth auth;
	gchar *auth_user;
	gchar *auth_secret;
	gchar *host_command;
	/* extra_metadata_fields */
	GPtrArray *extra; /* PdDynDef */
	gint64 cache_seconds;
	JsonArray *extra_skip; /* objects */
};

PdDynDef *
pd_dyn_def_ref(PdDynDef *def);
void
pd_dyn_def_unref(PdDynDef *def);
/* the discovery a pollster of @def uses unless polling.yaml names one */
gchar *
pd_dyn_def_get_default_discovery(PdDynDef *def);

/* parses one definition (a YAML mapping); errors name file, line, column,
 * definition and key */
PdDynDef *
pd_dyn_def_new(const gchar *file, PdDynYaml *map, GError **error);
/* every definition of one file's text; a bad definition is reported
 * through @errors (GError*) and skipped, the others load */
GPtrArray *
pd_dyn_def_load_data(const gchar *file, const gchar *data, gsize len, GPtrArray *errors);
/* every *.yaml in each directory, sorted; the first of two definitions
 * with one name wins (a warning names both files) */
GPtrArray *
pd_dyn_def_load_dirs(gchar **dirs, GPtrArray *errors);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDynDef, pd_dyn_def_unref)

G_END_DECLS
