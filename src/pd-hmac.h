/*
 * polld - SHA-256 and HMAC-SHA256 for the sample signatures
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

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
pd_hmac_sha256_init(PdSha256 *ctx);
void
pd_hmac_sha256_update(PdSha256 *ctx, const guint8 *data, gsize len);
void
pd_hmac_sha256_final(PdSha256 *ctx, guint8 digest[32]);

typedef struct {
	PdSha256 inner; /* state after the key ^ ipad block */
	PdSha256 outer; /* state after the key ^ opad block */
} PdHmacKey;

void
pd_hmac_key_init(PdHmacKey *key, const guint8 *secret, gsize len);
/* lowercase hex HMAC of @data */
void
pd_hmac_sign_hex(const PdHmacKey *key, const guint8 *data, gsize len, gchar out[65]);
/* the same in pieces: begin, pd_hmac_sha256_update() the message, end */
void
pd_hmac_begin(const PdHmacKey *key, PdSha256 *ctx);
void
pd_hmac_end_hex(const PdHmacKey *key, PdSha256 *ctx, gchar out[65]);

G_END_DECLS
