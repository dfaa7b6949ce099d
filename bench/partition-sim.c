/*
 * polld bench: the assignment alone, simulated in-process (no etcd). For
 * per-key rendezvous hashing and for shares balanced over a known key set:
 * max/min share, keys moved when one member joins or leaves, and keys two
 * agents assign differently when their key sets differ by one key or 1%.
 * Worst and mean over several key sets.
 *
 * usage: partition-sim [MEMBERS [KEYS [KEY-SETS]]]   (100 100000 5)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "pd-hash-ring.h"

typedef struct {
	gdouble balance;
	gdouble join; /* keys moved, in units of keys/N */
	gdouble leave;
	guint plus_one; /* keys owned differently */
	guint minus_one;
	guint plus_1pc;
} Figures;

static gchar **
make_members(guint n)
{
	gchar **out = g_new0(gchar *, n + 1);
	for (guint i = 0; i < n; i++)
		out[i] = g_strdup_printf("central-%u.example.org.%08x", i, i * 2654435761u);
	return out;
}

/* UUIDs, like the resource ids polld partitions on */
static gchar **
make_keys(guint n, guint seed)
{
	gchar **out = g_new0(gchar *, n + 1);
	g_autoptr(GRand) rand = g_rand_new_with_seed(seed);

	for (guint i = 0; i < n; i++)
		out[i] = g_strdup_printf("%08x-%04x-4%03x-%04x-%08x%04x",
					 g_rand_int(rand),
					 g_rand_int(rand) & 0xffff,
					 g_rand_int(rand) & 0xfff,
					 (g_rand_int(rand) & 0x3fff) | 0x8000,
					 g_rand_int(rand),
					 g_rand_int(rand) & 0xffff);
	return out;
}

static PdHashRing *
ring_new(gchar **members, gboolean balanced, gchar **keys, guint n)
{
	if (!balanced)
		return pd_hash_ring_new((const gchar *const *)members);
	return pd_hash_ring_new_balanced(
	  (const gchar *const *)members, (const gchar *const *)keys, n);
}

static gdouble
balance(PdHashRing *ring, gchar **keys, guint n)
{
	g_autofree guint *count = g_new0(guint, pd_hash_ring_get_size(ring));
	guint max = 0, min = G_MAXUINT;

	for (guint i = 0; i < n; i++)
		count[pd_hash_ring_owner_index(ring, keys[i])]++;
	for (guint i = 0; i < pd_hash_ring_get_size(ring); i++) {
		max = MAX(max, count[i]);
		min = MIN(min, count[i]);
	}
	return min > 0 ? (gdouble)max / min : G_MAXDOUBLE;
}

static guint
moved(PdHashRing *a, PdHashRing *b, gchar **keys, guint n)
{
	guint count = 0;
	for (guint i = 0; i < n; i++)
		count +=
		  g_strcmp0(pd_hash_ring_owner(a, keys[i]), pd_hash_ring_owner(b, keys[i])) != 0;
	return count;
}

static void
measure(guint n_members, guint n_keys, guint seed, gboolean balanced, Figures *f)
{
	guint extra = n_keys / 100;
	g_auto(GStrv) more = make_members(n_members + 1);
	g_autofree gchar **members = g_memdup2(more, (n_members + 1) * sizeof(gchar *));
	g_auto(GStrv) keys = make_keys(n_keys + extra, seed);
	g_autoptr(PdHashRing) ring = NULL;
	g_autoptr(PdHashRing) joined = ring_new(more, balanced, keys, n_keys);
	g_autoptr(PdHashRing) left = NULL;
	g_autoptr(PdHashRing) one_more = NULL;
	g_autoptr(PdHashRing) one_less = NULL;
	g_autoptr(PdHashRing) pc_more = NULL;

	members[n_members] = NULL; /* the first N of the N + 1 */
	ring = ring_new(members, balanced, keys, n_keys);
	left = ring_new(members + 1, balanced, keys, n_keys);
	one_more = ring_new(members, balanced, keys, n_keys + 1);
	one_less = ring_new(members, balanced, keys + 1, n_keys - 1);
	pc_more = ring_new(members, balanced, keys, n_keys + extra);
	f->balance = balance(ring, keys, n_keys);
	f->join = (gdouble)moved(ring, joined, keys, n_keys) * n_members / n_keys;
	f->leave = (gdouble)moved(ring, left, keys, n_keys) * n_members / n_keys;
	f->plus_one = moved(ring, one_more, keys, n_keys);
	f->minus_one = moved(ring, one_less, keys + 1, n_keys - 1);
	f->plus_1pc = moved(ring, pc_more, keys, n_keys);
}

static void
report(guint n_members, guint n_keys, guint n_sets, gboolean balanced)
{
	Figures worst = { 0 }, sum = { 0 };

	for (guint s = 0; s < n_sets; s++) {
		Figures f;
		measure(n_members, n_keys, 42 + s, balanced, &f);
		worst.balance = MAX(worst.balance, f.balance);
		worst.join = MAX(worst.join, f.join);
		worst.leave = MAX(worst.leave, f.leave);
		worst.plus_one = MAX(worst.plus_one, f.plus_one);
		worst.minus_one = MAX(worst.minus_one, f.minus_one);
		worst.plus_1pc = MAX(worst.plus_1pc, f.plus_1pc);
		sum.balance += f.balance;
		sum.join += f.join;
		sum.leave += f.leave;
		sum.plus_one += f.plus_one;
		sum.minus_one += f.minus_one;
		sum.plus_1pc += f.plus_1pc;
	}
	printf(
	  "| %s | %u x %u | %.3f (%.3f) | %.3f/N (%.3f) | %.3f/N (%.3f) | %u (%.1f) | %u (%.1f) "
	  "| %u (%.1f) |\n",
	  balanced ? "balanced" : "per key",
	  n_members,
	  n_keys,
	  worst.balance,
	  sum.balance / n_sets,
	  worst.join,
	  sum.join / n_sets,
	  worst.leave,
	  sum.leave / n_sets,
	  worst.plus_one,
	  (gdouble)sum.plus_one / n_sets,
	  worst.minus_one,
	  (gdouble)sum.minus_one / n_sets,
	  worst.plus_1pc,
	  (gdouble)sum.plus_1pc / n_sets);
}

int
main(int argc, char **argv)
{
	guint n_members = argc > 1 ? (guint)atoi(argv[1]) : 100;
	guint n_keys = argc > 2 ? (guint)atoi(argv[2]) : 100000;
	guint n_sets = argc > 3 ? (guint)atoi(argv[3]) : 5;

	if (n_members < 2 || n_keys < 100 || n_sets < 1) {
		fprintf(stderr, "usage: partition-sim [MEMBERS>=2 [KEYS>=100 [KEY-SETS>=1]]]\n");
		return 2;
	}
	printf("worst (mean) over %u key sets; moved in units of keys/N; divergence: keys both "
	       "agents hold that they assign differently\n\n",
	       n_sets);
	printf("| assignment | members x keys | max/min share | moved, one joins | moved, one "
	       "leaves | divergence, one key more | one key less | 1%% more keys |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	report(n_members, n_keys, n_sets, FALSE);
	report(n_members, n_keys, n_sets, TRUE);
	return 0;
}
