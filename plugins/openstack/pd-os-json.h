/*
 * polld openstack plugin - defensive readers for API answers: a field of the
 * wrong type reads as missing, never as a crash
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "polld.h"

G_BEGIN_DECLS

typedef struct {
	gboolean is_double;
	gint64 i;
	gdouble d;
} PdOsNumber;

/* NULL unless @key holds a string */
const gchar *
pd_os_json_get_string(JsonObject *obj, const gchar *key);
/* NULL unless @key holds an object / an array */
JsonObject *
pd_os_json_get_object(JsonObject *obj, const gchar *key);
JsonArray *
pd_os_json_get_array(JsonObject *obj, const gchar *key);
/* FALSE unless @key holds an integer or a float (booleans are no numbers) */
gboolean
pd_os_json_get_number(JsonObject *obj, const gchar *key, PdOsNumber *out);
/* TRUE for true, non-zero numbers and non-empty strings, like Python's bool() */
gboolean
pd_os_json_get_truthy(JsonObject *obj, const gchar *key);
gdouble
pd_os_number_to_double(const PdOsNumber *num);
void
pd_os_number_set_sample(const PdOsNumber *num, PdSample *sample);
/* copies @key of @obj (null when missing) into the metadata under @name */
void
pd_os_json_copy_member(PdMetadataBuilder *b, const gchar *name, JsonObject *obj, const gchar *key);
/* adds @node of any JSON type under @key */
void
pd_os_json_add_node(PdMetadataBuilder *b, const gchar *key, JsonNode *node);
/* a JSON object as a string for log messages, shortened */
gchar *
pd_os_json_describe(JsonObject *obj);

G_END_DECLS
