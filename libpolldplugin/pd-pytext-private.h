/*
 * polld - Python-compatible text (json.dumps() and str()) shared by the
 * metadata builder and the serializer; not part of the installed SDK
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <string.h>

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* appending to a GString without a function call per character: reserve the
 * worst case, write through the pointer, then commit the end */
static inline gchar *
pd_buf_reserve(GString *out, gsize extra)
{
	gsize len = out->len;

	if (G_UNLIKELY(len + extra >= out->allocated_len)) {
		g_string_set_size(out, len + extra);
		out->len = len;
	}
	return out->str + len;
}

static inline void
pd_buf_commit(GString *out, gchar *end)
{
	out->len = (gsize)(end - out->str);
	*end = '\0';
}

static inline void
pd_buf_append(GString *out, const gchar *str, gsize len)
{
	gchar *w = pd_buf_reserve(out, len);

	memcpy(w, str, len);
	pd_buf_commit(out, w + len);
}

#define pd_buf_append_lit(out, lit) pd_buf_append((out), (lit), sizeof(lit) - 1)

/* one UTF-8 sequence as g_utf8_validate() accepts it; returns its length, or 0
 * for an invalid byte (which both the JSON and the signature text turn into
 * U+FFFD, so they keep agreeing) */
gsize
pd_pytext_utf8_decode(const guchar *p, const guchar *end, gunichar *out);

/* decimal integer, returns the length (at most 20) */
gsize
pd_pytext_format_int(gint64 value, gchar out[24]);
/* json.dumps of a float: repr(), but NaN, Infinity, -Infinity */
void
pd_pytext_json_double(GString *out, gdouble value);
void
pd_pytext_json_int(GString *out, gint64 value);

/* Python repr() of a float, e.g. 1.0, 0.1, 1e+16, 1e-05; returns length */
gsize
pd_pytext_format_double(gdouble value, gchar out[32]);
/* appends @str as a JSON string literal, ASCII only (\uXXXX), like json.dumps */
void
pd_pytext_json_string(GString *out, const gchar *str);

/* json.dumps(allow_nan=True) spelling of NaN and infinities, NULL if finite */
const gchar *
pd_pytext_json_non_finite(gdouble value);

/* pieces of the signature text: what Python's str() prints for a value */
void
pd_pytext_str(GString *out, const gchar *str); /* raw UTF-8, NULL -> None */
void
pd_pytext_str_double(GString *out, gdouble value); /* str(float): 1.0, inf, nan */
void
pd_pytext_bytes_repr(GString *out, const gchar *str); /* b'...' of the UTF-8 */

/* str() of a list value after Ceilometer's decode_unicode(): [b'a', {b'k': 1}] */
void
pd_pytext_str_json_list(GString *out, JsonArray *array);

/* str() of a decoded scalar: a string raw, a float as str(float), True/False */
void
pd_pytext_str_json_scalar(GString *out, JsonNode *node);

G_END_DECLS
