/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <string.h>
#include <sys/random.h>

#include "pd-compute-sum.h"

/*
 * A re-read XML is parsed again only when its fingerprint differs from the
 * one the cache's instance was parsed from. The fingerprint was a SHA-1
 * (GChecksum: 24 instructions a byte, 45,000 a domain, as much as a
 * third of the scanner and the walk together); nothing asks it to resist
 * anyone, only to differ when the XML does. SipHash-2-4 is a pseudo-random
 * function of its key: under a key drawn from the kernel's random source
 * for the process and never shown, two XMLs of a domain share a
 * fingerprint by chance only (2^-64 a change), and no one, the tenant who
 * names the instance included, can choose a rename that does. About 3
 * instructions a byte.
 */

static inline guint64
pd_sum_rotl(guint64 x, guint b)
{
	return (x << b) | (x >> (64 - b));
}

static inline guint64
pd_sum_le64(const guint8 *p)
{
	guint64 v;

	memcpy(&v, p, sizeof(v));
	return GUINT64_FROM_LE(v);
}

#define PD_SIPROUND                                                                                \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = pd_sum_rotl(v1, 13);                                                          \
		v1 ^= v0;                                                                          \
		v0 = pd_sum_rotl(v0, 32);                                                          \
		v2 += v3;                                                                          \
		v3 = pd_sum_rotl(v3, 16);                                                          \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = pd_sum_rotl(v3, 21);                                                          \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = pd_sum_rotl(v1, 17);                                                          \
		v1 ^= v2;                                                                          \
		v2 = pd_sum_rotl(v2, 32);                                                          \
	} while (0)

guint64
pd_compute_sum_siphash24(const guint8 key[16], const guint8 *data, gsize len)
{
	guint64 k0 = pd_sum_le64(key), k1 = pd_sum_le64(key + 8);
	guint64 v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
	guint64 v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
	const guint8 *end = data + (len & ~(gsize)7);
	guint64 m, b = (guint64)len << 56;

	for (; data < end; data += 8) {
		m = pd_sum_le64(data);
		v3 ^= m;
		PD_SIPROUND;
		PD_SIPROUND;
		v0 ^= m;
	}
	for (guint i = 0; i < (len & 7); i++)
		b |= (guint64)data[i] << (8 * i);
	v3 ^= b;
	PD_SIPROUND;
	PD_SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	PD_SIPROUND;
	PD_SIPROUND;
	PD_SIPROUND;
	PD_SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void
pd_compute_sum_xml(const gchar *data, gsize len, guint8 out[PD_COMPUTE_SUM_LEN])
{
	static guint8 key[16];
	static gsize key_set;
	guint64 h;

	if (g_once_init_enter(&key_set)) {
		/* GLib's generator only if the kernel's fails (it does not
		 * block once the pool is ready, which it is long before) */
		if (getrandom(key, sizeof(key), 0) != (gssize)sizeof(key)) {
			for (guint i = 0; i < sizeof(key); i += 4) {
				guint32 r = g_random_int();
				memcpy(key + i, &r, sizeof(r));
			}
		}
		g_once_init_leave(&key_set, 1);
	}
	h = GUINT64_TO_LE(pd_compute_sum_siphash24(key, (const guint8 *)data, len));
	memcpy(out, &h, PD_COMPUTE_SUM_LEN);
}
