/*
 * polld - malloc's settings for the daemon's allocation pattern
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdMalloc"

#include "config.h"

#include <malloc.h>
#include <string.h>

#include "pd-malloc.h"

/* the free top of the heap kept, not given back: twice the default
 * in-flight budget ([polld] max_inflight_bytes) */
#define PD_MALLOC_TRIM_THRESHOLD (4 * 1024 * 1024)
/* what glibc's own threshold reaches in the daemon (216 KiB at N=5000):
 * setting the trim threshold stops glibc from moving it */
#define PD_MALLOC_MMAP_THRESHOLD (256 * 1024)

/* TRUE when @tunables (GLIBC_TUNABLES: "NAME=VALUE:NAME=VALUE...") has an
 * entry named glibc.malloc.@name: a name that only holds @name
 * (glibc.malloc.x@name, say, which glibc ignores) is not one */
static gboolean
pd_malloc_tunable_set(const gchar *tunables, const gchar *name)
{
	g_autofree gchar *full = g_strconcat("glibc.malloc.", name, NULL);
	gsize len = strlen(full);

	for (const gchar *entry = tunables; entry != NULL && *entry != '\0';) {
		const gchar *end = strchr(entry, ':');

		if (strncmp(entry, full, len) == 0 && entry[len] == '=')
			return TRUE;
		entry = end != NULL ? end + 1 : NULL;
	}
	return FALSE;
}

static gboolean
pd_malloc_operator_set(const gchar *env, const gchar *tunable)
{
	return g_getenv(env) != NULL || pd_malloc_tunable_set(g_getenv("GLIBC_TUNABLES"), tunable);
}

void
pd_malloc_setup(void)
{
	/* glibc gives every thread that allocates an arena of its own (up to
	 * 8 per core), each with its own free lists and top chunk: polld's
	 * pipeline, pollster and event threads then keep several partly used
	 * heaps. Their allocations are small and short-lived, mostly served by
	 * the per-thread caches without the arena lock, so one arena costs no
	 * measurable CPU and saves about 3 MB at N=1000 (bench/README.md) */
	if (!pd_malloc_operator_set("MALLOC_ARENA_MAX", "arena_max"))
		mallopt(M_ARENA_MAX, 1);
	/* the message bodies (about 74 KB each at N=5000, 1,400 a cycle) are
	 * made by the pool threads and freed by pd-amqp as the broker confirms
	 * them: the heap's top went up and down by a few MB many times a
	 * cycle, given back past glibc's trim threshold (432 KiB) and faulted
	 * in again, page by page (up to 3,500 minor faults a cycle in the pool
	 * threads, about 12 us each on a paravirtual guest). Kept, the top
	 * costs up to 4 MB of RSS between cycles and nothing at the peak */
	if (pd_malloc_operator_set("MALLOC_TRIM_THRESHOLD_", "trim_threshold") ||
	    pd_malloc_operator_set("MALLOC_MMAP_THRESHOLD_", "mmap_threshold") ||
	    pd_malloc_operator_set("MALLOC_TOP_PAD_", "top_pad"))
		return;
	mallopt(M_TRIM_THRESHOLD, PD_MALLOC_TRIM_THRESHOLD);
	mallopt(M_MMAP_THRESHOLD, PD_MALLOC_MMAP_THRESHOLD);
}
