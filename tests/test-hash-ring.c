/*
 * polld unit tests: rendezvous hashing (balance and movement at scale)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "pd-hash-ring.h"

#define N_MEMBERS 100

static gchar **
make_members(guint n, guint first)
{
	gchar **out = g_new0(gchar *, n + 1);
	for (guint i = 0; i < n; i++)
		out[i] = g_strdup_printf(
		  "central-%u.example.org.%08x", first + i, (first + i) * 2654435761u);
	return out;
}

static gchar **
make_keys(guint n)
{
	gchar **out = g_new0(gchar *, n + 1);
	GRand *rand = g_rand_new_with_seed(42);

	/* like the resource ids Ceilometer partitions on: UUIDs */
	for (guint i = 0; i < n; i++)
		out[i] = g_strdup_printf("%08x-%04x-4%03x-%04x-%08x%04x",
					 g_rand_int(rand),
					 g_rand_int(rand) & 0xffff,
					 g_rand_int(rand) & 0xfff,
					 (g_rand_int(rand) & 0x3fff) | 0x8000,
					 g_rand_int(rand),
					 g_rand_int(rand) & 0xffff);
	g_rand_free(rand);
	return out;
}

static guint *
owners(PdHashRing *ring, gchar **keys)
{
	guint n = g_strv_length(keys);
	guint *out = g_new(guint, n);
	for (guint i = 0; i < n; i++)
		out[i] = pd_hash_ring_owner_index(ring, keys[i]);
	return out;
}

static gdouble
balance(PdHashRing *ring, gchar **keys)
{
	guint n = g_strv_length(keys);
	g_autofree guint *own = owners(ring, keys);
	g_autofree guint *count = g_new0(guint, pd_hash_ring_get_size(ring));
	guint max = 0, min = G_MAXUINT;

	for (guint i = 0; i < n; i++)
		count[own[i]]++;
	for (guint i = 0; i < pd_hash_ring_get_size(ring); i++) {
		max = MAX(max, count[i]);
		min = MIN(min, count[i]);
	}
	g_assert_cmpuint(min, >, 0);
	return (gdouble)max / min;
}

static void
test_stable(void)
{
	const gchar *members[] = { "b", "a", "c", "a", NULL };
	const gchar *reversed[] = { "c", "b", "a", NULL };
	g_autoptr(PdHashRing) ring = pd_hash_ring_new(members);
	g_autoptr(PdHashRing) other = pd_hash_ring_new(reversed);
	g_autoptr(PdHashRing) empty = pd_hash_ring_new(NULL);

	g_assert_cmpuint(pd_hash_ring_get_size(ring), ==, 3);
	g_assert_cmpstr(pd_hash_ring_get_members(ring)[0], ==, "a");
	g_assert_true(pd_hash_ring_contains(ring, "c"));
	g_assert_false(pd_hash_ring_contains(ring, "d"));
	g_assert_null(pd_hash_ring_owner(empty, "x"));
	/* the hash is a fixed function: these values hold on every host */
	g_assert_cmpuint(
	  pd_hash_ring_hash("instance-0001"), ==, G_GUINT64_CONSTANT(0x5fba87055260640a));
	g_assert_cmpuint(pd_hash_ring_hash(""), ==, G_GUINT64_CONSTANT(0xefd01f60ba992926));
	for (guint i = 0; i < 1000; i++) {
		g_autofree gchar *key = g_strdup_printf("key-%u", i);
		g_assert_cmpstr(pd_hash_ring_owner(ring, key), ==, pd_hash_ring_owner(other, key));
	}
}

/* max/min share over @n_keys keys, 100 members */
static gdouble
balance_at(guint n_keys)
{
	g_auto(GStrv) members = make_members(N_MEMBERS, 0);
	g_auto(GStrv) keys = make_keys(n_keys);
	g_autoptr(PdHashRing) ring = pd_hash_ring_new((const gchar *const *)members);
	return balance(ring, keys);
}

/*
 * Any assignment that is a function of (members, key) alone gives each
 * member a binomial count: at 100,000 keys over 100 members (1,000 each,
 * sd 31) the largest of 100 shares sits about 2.5 sd above the mean and the
 * smallest 2.5 sd below, so max/min is about 1.17 for every such function,
 * however well it spreads members. 1.10 needs about 4,000 keys a member.
 * Rendezvous hashing reaches that floor; balancing below it would make the
 * owner of a key depend on the other keys, and agents that discovered
 * slightly different sets would then poll some resources twice.
 */
static void
test_balance(void)
{
	gdouble b100k = balance_at(100000);
	gdouble b1m = balance_at(1000000);

	g_test_message(
	  "100 members: max/min share %.3f at 100,000 keys, %.3f at 1,000,000 keys", b100k, b1m);
	/* the binomial floor at 1,000 a member is 1.17 +- 0.03 */
	g_assert_cmpfloat(b100k, <=, 1.25);
	g_assert_cmpfloat(b1m, <=, 1.10);
}

static void
test_movement(void)
{
	g_auto(GStrv) members = make_members(N_MEMBERS, 0);
	g_auto(GStrv) more = make_members(N_MEMBERS + 1, 0);
	g_auto(GStrv) keys = make_keys(100000);
	g_autoptr(PdHashRing) ring = pd_hash_ring_new((const gchar *const *)members);
	g_autoptr(PdHashRing) joined = pd_hash_ring_new((const gchar *const *)more);
	guint n = g_strv_length(keys);
	guint moved = 0;

	for (guint i = 0; i < n; i++) {
		const gchar *a = pd_hash_ring_owner(ring, keys[i]);
		const gchar *b = pd_hash_ring_owner(joined, keys[i]);
		if (g_strcmp0(a, b) != 0) {
			/* a key only ever moves to the newcomer */
			g_assert_cmpstr(b, ==, more[N_MEMBERS]);
			moved++;
		}
	}
	g_test_message("join of member 101: %u of %u keys moved (%.3f/N)",
		       moved,
		       n,
		       (gdouble)moved * N_MEMBERS / n);
	g_assert_cmpfloat((gdouble)moved, <=, 1.2 * n / N_MEMBERS);
	g_assert_cmpuint(moved, >, 0);
}

static void
test_leave(void)
{
	g_auto(GStrv) members = make_members(N_MEMBERS, 0);
	g_auto(GStrv) keys = make_keys(100000);
	g_autoptr(PdHashRing) ring = pd_hash_ring_new((const gchar *const *)members);
	g_autoptr(PdHashRing) left = pd_hash_ring_new((const gchar *const *)members + 1);
	guint n = g_strv_length(keys);
	guint moved = 0;

	for (guint i = 0; i < n; i++) {
		const gchar *a = pd_hash_ring_owner(ring, keys[i]);
		const gchar *b = pd_hash_ring_owner(left, keys[i]);
		/* only the leaver's keys move */
		if (g_strcmp0(a, b) != 0) {
			g_assert_cmpstr(a, ==, members[0]);
			moved++;
		} else {
			g_assert_cmpstr(a, !=, members[0]);
		}
	}
	g_test_message("leave of member 1: %u of %u keys moved (%.3f/N)",
		       moved,
		       n,
		       (gdouble)moved * N_MEMBERS / n);
	g_assert_cmpfloat((gdouble)moved, <=, 1.2 * n / N_MEMBERS);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hash-ring/stable", test_stable);
	g_test_add_func("/hash-ring/balance", test_balance);
	g_test_add_func("/hash-ring/join", test_movement);
	g_test_add_func("/hash-ring/leave", test_leave);
	return g_test_run();
}
