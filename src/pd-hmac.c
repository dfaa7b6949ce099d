/*
 * polld - SHA-256 (with the SHA-NI instructions where the CPU has them)
 * and HMAC-SHA256
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdHmac"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define PD_HAVE_SHA_NI 1
#endif

#include "pd-hmac.h"

/* ---- sha-256 (FIPS 180-4) ---- */

static const guint32 sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static inline guint32
ror32(guint32 x, guint n)
{
	return (x >> n) | (x << (32 - n));
}

static inline guint32
load_be32(const guint8 *p)
{
	return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static void
sha256_compress_generic(guint32 st[8], const guint8 *block)
{
	guint32 w[64];
	guint32 a = st[0], b = st[1], c = st[2], d = st[3];
	guint32 e = st[4], f = st[5], g = st[6], h = st[7];

	for (guint i = 0; i < 16; i++)
		w[i] = load_be32(block + 4 * i);
	for (guint i = 16; i < 64; i++) {
		guint32 s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		guint32 s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	for (guint i = 0; i < 64; i++) {
		guint32 s1 = ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25);
		guint32 t1 = h + s1 + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
		guint32 s0 = ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22);
		guint32 t2 = s0 + ((a & b) ^ (a & c) ^ (b & c));
		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
	st[4] += e;
	st[5] += f;
	st[6] += g;
	st[7] += h;
}

static void
sha256_blocks_generic(guint32 st[8], const guint8 *data, gsize n_blocks)
{
	for (; n_blocks > 0; n_blocks--, data += 64)
		sha256_compress_generic(st, data);
}

#ifdef PD_HAVE_SHA_NI
/* the x86 SHA extensions (most CPUs since 2017) hash about 8 times faster:
 * the state lives as ABEF/CDGH halves, each sha256rnds2 does two rounds */
__attribute__((target("sha,sse4.1"))) static void
sha256_blocks_shani(guint32 st[8], const guint8 *data, gsize n_blocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[0]), 0xb1);
	__m128i cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[4]), 0x1b);
	__m128i abef = _mm_alignr_epi8(tmp, cdgh, 8);

	cdgh = _mm_blend_epi16(cdgh, tmp, 0xf0);
	for (; n_blocks > 0; n_blocks--, data += 64) {
		__m128i abef_save = abef, cdgh_save = cdgh;
		__m128i w[4];
#pragma GCC unroll 16
		for (guint i = 0; i < 16; i++) {
			__m128i msg;
			if (i < 4) {
				msg = _mm_loadu_si128((const __m128i *)(data + 16 * i));
				w[i] = _mm_shuffle_epi8(msg, bswap);
			} else {
				/* W[t] from W[t-16], W[t-15], W[t-7], W[t-2], four at a time */
				__m128i x = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
				x = _mm_add_epi32(
				  x, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
				w[i & 3] = _mm_sha256msg2_epu32(x, w[(i + 3) & 3]);
			}
			msg = _mm_add_epi32(w[i & 3],
					    _mm_loadu_si128((const __m128i *)&sha256_k[4 * i]));
			/* the first call leaves ABEF in cdgh, the second puts it back */
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, msg);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(msg, 0x0e));
		}
		abef = _mm_add_epi32(abef, abef_save);
		cdgh = _mm_add_epi32(cdgh, cdgh_save);
	}
	tmp = _mm_shuffle_epi32(abef, 0x1b);
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);
	_mm_storeu_si128((__m128i *)&st[0], _mm_blend_epi16(tmp, cdgh, 0xf0));
	_mm_storeu_si128((__m128i *)&st[4], _mm_alignr_epi8(cdgh, tmp, 8));
}

static gboolean
cpu_has_sha(void)
{
	guint a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return FALSE;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return FALSE;
	return (b & (1u << 29)) != 0;
}
#endif

typedef void (*PdSha256BlocksFunc)(guint32 st[8], const guint8 *data, gsize n_blocks);

static void
sha256_blocks(guint32 st[8], const guint8 *data, gsize n_blocks)
{
	static PdSha256BlocksFunc func = NULL;
	PdSha256BlocksFunc f = g_atomic_pointer_get(&func);

	if (G_UNLIKELY(f == NULL)) {
		f = sha256_blocks_generic;
#ifdef PD_HAVE_SHA_NI
		if (cpu_has_sha() && g_getenv("POLLD_NO_SHA_NI") == NULL)
			f = sha256_blocks_shani;
#endif
		g_atomic_pointer_set(&func, f);
	}
	f(st, data, n_blocks);
}

void
pd_hmac_sha256_init(PdSha256 *ctx)
{
	static const guint32 iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(ctx->state, iv, sizeof(iv));
	ctx->n_bytes = 0;
	ctx->buf_len = 0;
}

void
pd_hmac_sha256_update(PdSha256 *ctx, const guint8 *data, gsize len)
{
	ctx->n_bytes += len;
	if (ctx->buf_len > 0) {
		gsize take = MIN(len, 64 - ctx->buf_len);
		memcpy(ctx->buf + ctx->buf_len, data, take);
		ctx->buf_len += take;
		data += take;
		len -= take;
		if (ctx->buf_len < 64)
			return;
		sha256_blocks(ctx->state, ctx->buf, 1);
		ctx->buf_len = 0;
	}
	if (len >= 64) {
		sha256_blocks(ctx->state, data, len / 64);
		data += len & ~(gsize)63;
		len &= 63;
	}
	memcpy(ctx->buf, data, len);
	ctx->buf_len = len;
}

void
pd_hmac_sha256_final(PdSha256 *ctx, guint8 digest[32])
{
	guint64 bits = ctx->n_bytes * 8;
	guint8 pad[72] = { 0x80 };
	gsize pad_len = (ctx->buf_len < 56 ? 56 : 120) - ctx->buf_len;

	for (guint i = 0; i < 8; i++)
		pad[pad_len + i] = (guint8)(bits >> (56 - 8 * i));
	pd_hmac_sha256_update(ctx, pad, pad_len + 8);
	for (guint i = 0; i < 8; i++) {
		digest[4 * i] = (guint8)(ctx->state[i] >> 24);
		digest[4 * i + 1] = (guint8)(ctx->state[i] >> 16);
		digest[4 * i + 2] = (guint8)(ctx->state[i] >> 8);
		digest[4 * i + 3] = (guint8)ctx->state[i];
	}
}

/* ---- hmac (RFC 2104) with the pads hashed once per key ---- */

void
pd_hmac_key_init(PdHmacKey *key, const guint8 *secret, gsize len)
{
	guint8 block[64] = { 0 };
	guint8 pad[64];

	if (len > sizeof(block)) {
		PdSha256 ctx;
		pd_hmac_sha256_init(&ctx);
		pd_hmac_sha256_update(&ctx, secret, len);
		pd_hmac_sha256_final(&ctx, block);
	} else if (len > 0) {
		memcpy(block, secret, len);
	}
	for (guint i = 0; i < 64; i++)
		pad[i] = block[i] ^ 0x36;
	pd_hmac_sha256_init(&key->inner);
	pd_hmac_sha256_update(&key->inner, pad, 64);
	for (guint i = 0; i < 64; i++)
		pad[i] = block[i] ^ 0x5c;
	pd_hmac_sha256_init(&key->outer);
	pd_hmac_sha256_update(&key->outer, pad, 64);
}

void
pd_hmac_begin(const PdHmacKey *key, PdSha256 *ctx)
{
	*ctx = key->inner;
}

void
pd_hmac_end_hex(const PdHmacKey *key, PdSha256 *ctx, gchar out[65])
{
	static const gchar hex[] = "0123456789abcdef";
	guint8 digest[32];

	pd_hmac_sha256_final(ctx, digest);
	*ctx = key->outer;
	pd_hmac_sha256_update(ctx, digest, sizeof(digest));
	pd_hmac_sha256_final(ctx, digest);
	for (guint i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[64] = '\0';
}

void
pd_hmac_sign_hex(const PdHmacKey *key, const guint8 *data, gsize len, gchar out[65])
{
	PdSha256 ctx;

	pd_hmac_begin(key, &ctx);
	pd_hmac_sha256_update(&ctx, data, len);
	pd_hmac_end_hex(key, &ctx, out);
}
