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

static void
test_malloc_top_kept(void)
{
	gpointer bodies[BODIES];
	struct mallinfo2 mi;

	if (skip_foreign_malloc())
		return;
	pd_malloc_setup();
	/* a burst of message-sized blocks at the heap's top, then all freed
	 * (pd-amqp frees the bodies the pool threads made) */
	for (guint i = 0; i < BODIES; i++) {
		bodies[i] = g_malloc(BODY);
		memset(bodies[i], 1, BODY);
	}
	for (guint i = BODIES; i > 0; i--)
		g_free(bodies[i - 1]);
	mi = mallinfo2();
	/* kept: the next burst reuses the pages (glibc's default trims all
	 * but its 128 KiB pad past 128 KiB) */
	g_assert_cmpuint(mi.keepcost, >=, (gsize)(BODIES - 1) * BODY);
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
	return g_test_run();
}
