/*
 * polld - long-lived small objects apart from malloc's arena
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * For state a plugin keeps from cycle to cycle for each of thousands of
 * resources (per-domain metadata, parsed records, baselines): blocks of
 * their own, so a cycle's short-lived allocations do not land between
 * them and leave malloc's arena in pieces. Objects up to 512 bytes; the
 * caller gives the size again when it frees. Space freed is reused for
 * the next object of the same size (16-byte steps) and not returned to
 * the system: meant for state bounded by the resources alive. Larger
 * objects, every object in a build with AddressSanitizer and every object
 * with POLLD_SLAB=malloc in the environment (for a heap profiler) are
 * malloc's. Thread-safe.
 */
gpointer
pd_slab_alloc(gsize size);
gpointer
pd_slab_alloc0(gsize size);
void
pd_slab_free(gpointer mem, gsize size);
/* bytes handed out now, and bytes of blocks mapped (for tests and bench) */
void
pd_slab_get_stats(gsize *used, gsize *mapped);

G_END_DECLS
