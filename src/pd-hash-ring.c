/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdHashRing"

#include "config.h"

#include <string.h>

#include "pd-hash-ring.h"

struct _PdHashRing {
	gint ref_count;
	gchar **members; /* sorted */
	guint64 *seeds;	 /* mixed hash of each member */
	guint n_members;
};

/* the 64-bit finaliser of MurmurHash3: every input bit flips about half of
 * the output bits, which FNV alone does not give for short strings */
static inline guint64
pd_hash_ring_mix(guint64 h)
{
	h ^= h >> 33;
	h *= G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

guint64
pd_hash_ring_hash(const gchar *s)
{
	/* FNV-1a: fixed constants, byte by byte, so the value never depends on
	 * the platform, the process or the release */
	guint64 h = G_GUINT64_CONSTANT(0xcbf29ce484222325);

	for (const guchar *p = (const guchar *)s; *p != '\0'; p++) {
		h ^= *p;
		h *= G_GUINT64_CONSTANT(0x100000001b3);
	}
	return pd_hash_ring_mix(h);
}

static gint
pd_hash_ring_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

PdHashRing *
pd_hash_ring_new(const gchar *const *members)
{
	PdHashRing *ring = g_new0(PdHashRing, 1);
	guint n = members != NULL ? g_strv_length((gchar **)members) : 0;
	guint out = 0;

	ring->ref_count = 1;
	ring->members = g_new0(gchar *, n + 1);
	for (guint i = 0; i < n; i++)
		ring->members[i] = g_strdup(members[i]);
	qsort(ring->members, n, sizeof(gchar *), pd_hash_ring_cmp);
	for (guint i = 0; i < n; i++) {
		if (out > 0 && strcmp(ring->members[out - 1], ring->members[i]) == 0) {
			g_free(ring->members[i]);
			ring->members[i] = NULL;
			continue;
		}
		ring->members[out++] = ring->members[i];
		if (out - 1 != i)
			ring->members[i] = NULL;
	}
	ring->members[out] = NULL;
	ring->n_members = out;
	ring->seeds = g_new(guint64, MAX(out, 1));
	for (guint i = 0; i < out; i++)
		ring->seeds[i] = pd_hash_ring_hash(ring->members[i]);
	return ring;
}

PdHashRing *
pd_hash_ring_ref(PdHashRing *ring)
{
	g_atomic_int_inc(&ring->ref_count);
	return ring;
}

void
pd_hash_ring_unref(PdHashRing *ring)
{
	if (!g_atomic_int_dec_and_test(&ring->ref_count))
		return;
	g_strfreev(ring->members);
	g_free(ring->seeds);
	g_free(ring);
}

guint
pd_hash_ring_get_size(PdHashRing *ring)
{
	return ring->n_members;
}

const gchar *const *
pd_hash_ring_get_members(PdHashRing *ring)
{
	return (const gchar *const *)ring->members;
}

gboolean
pd_hash_ring_contains(PdHashRing *ring, const gchar *member)
{
	return bsearch(
		 &member, ring->members, ring->n_members, sizeof(gchar *), pd_hash_ring_cmp) !=
	       NULL;
}

guint
pd_hash_ring_owner_index(PdHashRing *ring, const gchar *key)
{
	guint64 k = pd_hash_ring_hash(key);
	guint64 best = 0;
	guint owner = 0;

	g_return_val_if_fail(ring->n_members > 0, 0);
	for (guint i = 0; i < ring->n_members; i++) {
		/* members are sorted, so ">" breaks a (64-bit) tie the same way
		 * everywhere */
		guint64 score = pd_hash_ring_mix(k ^ ring->seeds[i]);
		if (i == 0 || score > best) {
			best = score;
			owner = i;
		}
	}
	return owner;
}

const gchar *
pd_hash_ring_owner(PdHashRing *ring, const gchar *key)
{
	if (ring->n_members == 0)
		return NULL;
	return ring->members[pd_hash_ring_owner_index(ring, key)];
}
