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
	gint64 *offsets; /* added to a member's scores; NULL: plain rendezvous */
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
	g_free(ring->offsets);
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

/* with offsets: scores lose their two low bits so that score + offset
 * stays within a gint64 */
static guint
pd_hash_ring_owner_offset(PdHashRing *ring, guint64 k)
{
	gint64 best = 0;
	guint owner = 0;

	for (guint i = 0; i < ring->n_members; i++) {
		gint64 score =
		  (gint64)(pd_hash_ring_mix(k ^ ring->seeds[i]) >> 2) + ring->offsets[i];
		if (i == 0 || score > best) {
			best = score;
			owner = i;
		}
	}
	return owner;
}

static guint
pd_hash_ring_owner_hash(PdHashRing *ring, guint64 k)
{
	guint64 best = 0;
	guint owner = 0;

	if (ring->offsets != NULL)
		return pd_hash_ring_owner_offset(ring, k);
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

guint
pd_hash_ring_owner_index(PdHashRing *ring, const gchar *key)
{
	g_return_val_if_fail(ring->n_members > 0, 0);
	return pd_hash_ring_owner_hash(ring, pd_hash_ring_hash(key));
}

const gchar *
pd_hash_ring_owner(PdHashRing *ring, const gchar *key)
{
	if (ring->n_members == 0)
		return NULL;
	return ring->members[pd_hash_ring_owner_index(ring, key)];
}

gboolean
pd_hash_ring_is_balanced(PdHashRing *ring)
{
	return ring->offsets != NULL;
}

/* offsets stay within +-2^62 so that a score (below 2^62) plus an offset
 * never overflows */
#define PD_HASH_RING_OFFSET_MAX (G_GINT64_CONSTANT(1) << 62)
/* rounds of load counting; a handful settle 100 members x 100,000 keys */
#define PD_HASH_RING_ROUNDS 32

/*
 * one round: count the shares, and move the offset of every member outside
 * [lo, hi] by half its excess (plus an eighth of the band, so it lands
 * inside). Raising a member's offset by 2^62/n gains it about one of n keys,
 * whatever the number of members; half, because the members moved in the
 * same round move each other's shares too (two members out of band in
 * opposite directions would otherwise swap their excess for ever). Integer arithmetic only: every
 * host computes the same offsets. TRUE when every share was already inside.
 */
static gboolean
pd_hash_ring_balance_round(PdHashRing *ring,
			   const guint64 *hashes,
			   guint n,
			   guint lo,
			   guint hi,
			   guint *load)
{
	gint64 unit = PD_HASH_RING_OFFSET_MAX / n;
	gint64 margin = (hi - lo) / 8 + 1;
	gboolean inside = TRUE;

	memset(load, 0, ring->n_members * sizeof(guint));
	for (guint i = 0; i < n; i++)
		load[pd_hash_ring_owner_offset(ring, hashes[i])]++;
	for (guint j = 0; j < ring->n_members; j++) {
		gint64 step = 0;
		if (load[j] > hi)
			step = -((gint64)(load[j] - hi) + margin);
		else if (load[j] < lo)
			step = (gint64)(lo - load[j]) + margin;
		if (step == 0)
			continue;
		inside = FALSE;
		/* both terms within 2^62: the sum fits */
		step = CLAMP(step * (unit / 2), -PD_HASH_RING_OFFSET_MAX, PD_HASH_RING_OFFSET_MAX);
		ring->offsets[j] = CLAMP(
		  ring->offsets[j] + step, -PD_HASH_RING_OFFSET_MAX, PD_HASH_RING_OFFSET_MAX - 1);
	}
	return inside;
}

/* the hashes of the distinct keys: the same set, whatever the order or the
 * repeats, gives the same offsets */
static guint
pd_hash_ring_unique_hashes(const gchar *const *keys, guint n_keys, guint64 *hashes)
{
	g_autofree const gchar **sorted = g_memdup2(keys, n_keys * sizeof(gchar *));
	guint n = 0;

	qsort(sorted, n_keys, sizeof(gchar *), pd_hash_ring_cmp);
	for (guint i = 0; i < n_keys; i++) {
		if (i > 0 && strcmp(sorted[i - 1], sorted[i]) == 0)
			continue;
		hashes[n++] = pd_hash_ring_hash(sorted[i]);
	}
	return n;
}

PdHashRing *
pd_hash_ring_new_balanced(const gchar *const *members, const gchar *const *keys, guint n_keys)
{
	PdHashRing *ring = pd_hash_ring_new(members);
	guint n_members = ring->n_members;
	g_autofree guint64 *hashes = g_new(guint64, MAX(n_keys, 1));
	g_autofree guint *load = g_new(guint, MAX(n_members, 1));
	guint lo, hi;

	ring->offsets = g_new0(gint64, MAX(n_members, 1));
	if (n_members < 2 || n_keys == 0)
		return ring;
	n_keys = pd_hash_ring_unique_hashes(keys, n_keys, hashes);
	/* the band, in whole keys: floor((1 - b) n / N) .. ceil((1 + b) n / N) */
	lo = (guint)((guint64)n_keys * (100 - PD_HASH_RING_BAND_PERCENT) / (100 * n_members));
	hi = (guint)(((guint64)n_keys * (100 + PD_HASH_RING_BAND_PERCENT) + 100 * n_members - 1) /
		     (100 * n_members));
	for (guint round = 0; round < PD_HASH_RING_ROUNDS; round++) {
		if (pd_hash_ring_balance_round(ring, hashes, n_keys, lo, hi, load))
			break;
	}
	return ring;
}
