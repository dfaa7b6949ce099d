/*
 * polld - malloc's settings: the heap's free top stays between the message
 * bodies' comings and goings instead of being given back and faulted in
 * again
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <malloc.h>
#include <string.h>

#include <glib.h>

#include "pd-malloc.h"
#include "pd-sanitizer.h"

/* glibc's malloc only: AddressSanitizer's and valgrind's replace it */
static gboolean
skip_foreign_malloc(void)
{
	const gchar *preload = g_getenv("LD_PRELOAD");

	if (PD_FREE_AT_EXIT) {
		g_test_skip("AddressSanitizer's malloc");
		return TRUE;
	}
	if (preload != NULL && strstr(preload, "vgpreload") != NULL) {
		g_test_skip("valgrind's malloc");
		return TRUE;
	}
	return FALSE;
}

#define BODY (64 * 1024)
#define BODIES 48

/* the top left after a burst of bodies, all freed */
static gsize
burst_keepcost(void)
{
	gpointer bodies[BODIES];

	for (guint i = 0; i < BODIES; i++) {
		bodies[i] = g_malloc(BODY);
		memset(bodies[i], 1, BODY);
	}
	for (guint i = BODIES; i > 0; i--)
		g_free(bodies[i - 1]);
	return mallinfo2().keepcost;
}

static void
test_malloc_top_kept(void)
{
	if (skip_foreign_malloc())
		return;
	pd_malloc_setup();
	/* a burst of message-sized blocks at the heap's top, then all freed
	 * (pd-amqp frees the bodies the pool threads made): kept, the next
	 * burst reuses the pages (glibc's default trims all but its 128 KiB
	 * pad past 128 KiB) */
	g_assert_cmpuint(burst_keepcost(), >=, (gsize)(BODIES - 1) * BODY);
}

/* GLIBC_TUNABLES names whole entries: a name that only holds a malloc
 * setting's (which glibc ignores) leaves polld's settings in place, and an
 * operator's setting among other entries wins */
static const struct {
	const gchar *tunables;
	gboolean kept;
} tunables_cases[] = {
	{ "glibc.malloc.xtrim_threshold=1", TRUE },
	{ "glibc.rtld.nns=2:glibc.malloc.trim_threshold_x=1", TRUE },
	{ "glibc.malloc.arena_max=1:glibc.malloc.mmap_thresholdx=1", TRUE },
	{ "glibc.rtld.nns=2:glibc.malloc.trim_threshold=131072", FALSE },
	{ "glibc.malloc.mmap_threshold=131072", FALSE },
	{ "glibc.malloc.top_pad=0:glibc.rtld.nns=2", FALSE },
};

static void
test_malloc_tunables_by_name(gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);

	if (skip_foreign_malloc())
		return;
	if (g_test_subprocess()) {
		/* read by pd_malloc_setup() only: glibc read its own at start */
		g_setenv("GLIBC_TUNABLES", tunables_cases[i].tunables, TRUE);
		pd_malloc_setup();
		if (tunables_cases[i].kept)
			g_assert_cmpuint(burst_keepcost(), >=, (gsize)(BODIES - 1) * BODY);
		else
			g_assert_cmpuint(burst_keepcost(), <, (gsize)(BODIES - 1) * BODY);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
}

static void
test_malloc_bodies_in_heap(void)
{
	gpointer body;
	struct mallinfo2 before, after;

	if (skip_foreign_malloc())
		return;
	pd_malloc_setup();
	before = mallinfo2();
	/* a large body (a message of large samples) stays in the heap, as
	 * glibc's own threshold had it: no mmap and munmap a message */
	body = g_malloc(200 * 1024);
	after = mallinfo2();
	g_assert_cmpuint(after.hblks, ==, before.hblks);
	g_free(body);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* first: the heap's top is small yet, so a large block would be mapped */
	g_test_add_func("/malloc/bodies-in-heap", test_malloc_bodies_in_heap);
	g_test_add_func("/malloc/top-kept", test_malloc_top_kept);
	for (guint i = 0; i < G_N_ELEMENTS(tunables_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/malloc/tunables-by-name/%u", i);
		g_test_add_data_func(path, GUINT_TO_POINTER(i), test_malloc_tunables_by_name);
	}
	return g_test_run();
}
