/*
 * polld - rendezvous (highest random weight) hashing of resources to members
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * An immutable, reference counted set of member ids. The owner of a key is
 * the member with the highest score(member, key): every agent holding the
 * same member set computes the same owner for every key, with no shared
 * state and no dependence on the other keys, and a member joining or leaving
 * moves only the keys it wins or held.
 */
typedef struct _PdHashRing PdHashRing;

/* @members: ids (duplicates are dropped, order does not matter) */
PdHashRing *
pd_hash_ring_new(const gchar *const *members);
/*
 * The same members, each given an offset added to its scores so that the
 * @n_keys @keys split between them with every share within
 * PD_HASH_RING_BAND_PERCENT of the mean. The owner of any key is still the member
 * with the highest (score + offset), but the offsets depend on the key set:
 * only agents that hold the same keys are sure to agree, so this is for key
 * sets every member knows identically (a configured resource list).
 */
PdHashRing *
pd_hash_ring_new_balanced(const gchar *const *members, const gchar *const *keys, guint n_keys);
/* every share of a balanced ring within this many percent of the mean
 * (rounded outwards to whole keys) */
#define PD_HASH_RING_BAND_PERCENT 4
gboolean
pd_hash_ring_is_balanced(PdHashRing *ring);
PdHashRing *
pd_hash_ring_ref(PdHashRing *ring);
void
pd_hash_ring_unref(PdHashRing *ring);
guint
pd_hash_ring_get_size(PdHashRing *ring);
/* the members, sorted */
const gchar *const *
pd_hash_ring_get_members(PdHashRing *ring);
gboolean
pd_hash_ring_contains(PdHashRing *ring, const gchar *member);
/* index (into the sorted members) of the owner of @key; the ring must not be
 * empty */
guint
pd_hash_ring_owner_index(PdHashRing *ring, const gchar *key);
/* the member owning @key, NULL for an empty ring */
const gchar *
pd_hash_ring_owner(PdHashRing *ring, const gchar *key);
/* a stable 64-bit hash of @s (the same on every host and every release) */
guint64
pd_hash_ring_hash(const gchar *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdHashRing, pd_hash_ring_unref)

G_END_DECLS
