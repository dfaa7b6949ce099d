/*
 * polld tests - Ceilometer's signature check on a decoded sample: the
 * reference the serializer's signatures are verified against
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "pd-serializer-private.h"
#include "pd-test-signature.h"

/* ---- the generic walk over a decoded sample ---- */

static gint
compare_keys(gconstpointer a, gconstpointer b)
{
	/* byte order of UTF-8 is code point order, which is how Python sorts */
	return strcmp(a, b);
}

static GList *
sorted_members(JsonObject *obj)
{
	return g_list_sort(json_object_get_members(obj), compare_keys);
}

/* str() of a top-level or nested dict member value */
static void
append_value_text(GString *out, JsonNode *node)
{
	switch (JSON_NODE_TYPE(node)) {
		case JSON_NODE_NULL:
			pd_buf_append_lit(out, "None");
			break;
		case JSON_NODE_ARRAY:
			pd_pytext_str_json_list(out, json_node_get_array(node));
			break;
		case JSON_NODE_VALUE:
			pd_pytext_str_json_scalar(out, node);
			break;
		case JSON_NODE_OBJECT:
			g_assert_not_reached();
	}
}

/* ceilometer.utils.recursive_keypairs: sorted at each level, nested dicts
 * flattened as parent:child; the skip test sees the joined name */
static void
walk_object(GString *out, JsonObject *obj, const gchar *prefix)
{
	g_autoptr(GList) keys = sorted_members(obj);

	for (GList *l = keys; l != NULL; l = l->next) {
		JsonNode *node = json_object_get_member(obj, l->data);
		g_autofree gchar *name =
		  prefix != NULL ? g_strconcat(prefix, ":", l->data, NULL) : g_strdup(l->data);
		if (JSON_NODE_HOLDS_OBJECT(node)) {
			walk_object(out, json_node_get_object(node), name);
			continue;
		}
		if (strcmp(name, "message_signature") == 0)
			continue;
		pd_pytext_str(out, name);
		append_value_text(out, node);
	}
}

gchar *
pd_test_signature_text_for_json(JsonObject *sample)
{
	GString *out;

	g_return_val_if_fail(sample != NULL, NULL);
	out = g_string_sized_new(1024);
	walk_object(out, sample, NULL);
	return g_string_free(out, FALSE);
}

gchar *
pd_test_signature_compute_json(const gchar *secret, JsonObject *sample)
{
	g_autofree gchar *text = NULL;
	PdHmacKey key;
	gchar hex[65];

	g_return_val_if_fail(sample != NULL, NULL);
	if (secret == NULL || secret[0] == '\0')
		return g_strdup("");
	text = pd_test_signature_text_for_json(sample);
	pd_hmac_key_init(&key, (const guint8 *)secret, strlen(secret));
	pd_hmac_sign_hex(&key, (const guint8 *)text, strlen(text), hex);
	return g_strdup(hex);
}

gboolean
pd_test_signature_verify_json(const gchar *secret, JsonObject *sample)
{
	g_autofree gchar *expected = NULL;
	const gchar *got;
	guint diff = 0;
	gsize len;

	g_return_val_if_fail(sample != NULL, FALSE);
	got = json_object_get_string_member_with_default(sample, "message_signature", NULL);
	if (got == NULL)
		return FALSE;
	expected = pd_test_signature_compute_json(secret, sample);
	len = strlen(expected);
	if (strlen(got) != len)
		return FALSE;
	/* constant time, the usual courtesy for MAC comparisons */
	for (gsize i = 0; i < len; i++)
		diff |= (guchar)(expected[i] ^ got[i]);
	return diff == 0;
}
