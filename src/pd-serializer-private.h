/*
 * polld - internals shared by the serializer, the metadata builder, the
 * signature code and their tests; not part of the plugin SDK
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <string.h>

#include <glib.h>

#include "pd-serializer.h"

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
pd_utf8_decode(const guchar *p, const guchar *end, gunichar *out);

/* decimal integer, returns the length (at most 20) */
gsize
pd_format_int(gint64 value, gchar out[24]);
/* json.dumps of a float: repr(), but NaN, Infinity, -Infinity */
void
pd_json_append_double(GString *out, gdouble value);
void
pd_json_append_int(GString *out, gint64 value);

/*
 * SHA-256 and HMAC-SHA256 without allocations: every sample is signed, and
 * GHmac/GChecksum copies cost a few mallocs each.
 */
typedef struct {
	guint32 state[8];
	guint64 n_bytes;
	guint8 buf[64];
	guint buf_len;
} PdSha256;

void
pd_sha256_init(PdSha256 *ctx);
void
pd_sha256_update(PdSha256 *ctx, const guint8 *data, gsize len);
void
pd_sha256_final(PdSha256 *ctx, guint8 digest[32]);

typedef struct {
	PdSha256 inner; /* state after the key ^ ipad block */
	PdSha256 outer; /* state after the key ^ opad block */
} PdHmacKey;

void
pd_hmac_key_init(PdHmacKey *key, const guint8 *secret, gsize len);
/* lowercase hex HMAC of @data */
void
pd_hmac_sign_hex(const PdHmacKey *key, const guint8 *data, gsize len, gchar out[65]);
/* the same in pieces: begin, pd_sha256_update() the message, end */
void
pd_hmac_begin(const PdHmacKey *key, PdSha256 *ctx);
void
pd_hmac_end_hex(const PdHmacKey *key, PdSha256 *ctx, gchar out[65]);

/* pieces of the signature text: what Python's str() prints for a value */
void
pd_sig_append_str(GString *out, const gchar *str); /* raw UTF-8, NULL -> None */
void
pd_sig_append_double(GString *out, gdouble value); /* str(float): 1.0, inf, nan */
void
pd_sig_append_bytes_repr(GString *out, const gchar *str); /* b'...' of the UTF-8 */

/* test hook: every sample gets this message_id instead of a random one (NULL
 * restores random ids) */
void
pd_serializer_set_fixed_message_id(PdSerializer *self, const gchar *message_id);

G_END_DECLS
