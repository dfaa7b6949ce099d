/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdSlab"

#include "config.h"

#include <string.h>
#include <sys/mman.h>

#include "pd-slab.h"

#define PD_SLAB_GRAIN 16
#define PD_SLAB_MAX 512
#define PD_SLAB_BLOCK (64 * 1024)

/* AddressSanitizer checks malloc's blocks: it keeps them */
#if defined(__SANITIZE_ADDRESS__)
#define PD_SLAB_ON FALSE
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PD_SLAB_ON FALSE
#endif
#endif
#ifndef PD_SLAB_ON
#define PD_SLAB_ON TRUE
#endif

/* POLLD_SLAB=malloc in the environment: every object malloc's, for a heap
 * profiler (heaptrack, massif) that should see them; read once */
static gboolean
pd_slab_on(void)
{
	static gsize on;

	if (g_once_init_enter(&on)) {
		gboolean env_off = g_strcmp0(g_getenv("POLLD_SLAB"), "malloc") == 0;
		g_once_init_leave(&on, PD_SLAB_ON && !env_off ? 2 : 1);
	}
	return on == 2;
}

static GMutex pd_slab_lock;
/* freed objects of each size, linked through their first bytes */
static gpointer pd_slab_free_lists[PD_SLAB_MAX / PD_SLAB_GRAIN + 1];
static gchar *pd_slab_pos, *pd_slab_end; /* the rest of the newest block */
static gsize pd_slab_used, pd_slab_mapped;

/* a block for the objects to come; what was left of the last one goes to
 * the free list of the largest size it holds */
static void
pd_slab_new_block(void)
{
	gsize rest = (gsize)(pd_slab_end - pd_slab_pos);
	gpointer block;

	if (rest >= PD_SLAB_GRAIN) {
		guint cls = (guint)(MIN(rest, PD_SLAB_MAX) / PD_SLAB_GRAIN);
		*(gpointer *)(gpointer)pd_slab_pos = pd_slab_free_lists[cls];
		pd_slab_free_lists[cls] = pd_slab_pos;
	}
	block =
	  mmap(NULL, PD_SLAB_BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (block == MAP_FAILED)
		g_error("pd_slab: failed to map %d bytes", PD_SLAB_BLOCK);
	pd_slab_pos = block;
	pd_slab_end = pd_slab_pos + PD_SLAB_BLOCK;
	pd_slab_mapped += PD_SLAB_BLOCK;
}

gpointer
pd_slab_alloc(gsize size)
{
	guint cls = (guint)((size + PD_SLAB_GRAIN - 1) / PD_SLAB_GRAIN);
	gpointer mem;

	if (size == 0 || size > PD_SLAB_MAX || !pd_slab_on())
		return g_malloc(size);
	g_mutex_lock(&pd_slab_lock);
	mem = pd_slab_free_lists[cls];
	if (mem != NULL) {
		pd_slab_free_lists[cls] = *(gpointer *)mem;
	} else {
		if ((gsize)(pd_slab_end - pd_slab_pos) < cls * PD_SLAB_GRAIN)
			pd_slab_new_block();
		mem = pd_slab_pos;
		pd_slab_pos += cls * PD_SLAB_GRAIN;
	}
	pd_slab_used += cls * PD_SLAB_GRAIN;
	g_mutex_unlock(&pd_slab_lock);
	return mem;
}

gpointer
pd_slab_alloc0(gsize size)
{
	gpointer mem = pd_slab_alloc(size);

	memset(mem, 0, size);
	return mem;
}

void
pd_slab_free(gpointer mem, gsize size)
{
	guint cls = (guint)((size + PD_SLAB_GRAIN - 1) / PD_SLAB_GRAIN);

	if (mem == NULL)
		return;
	if (size == 0 || size > PD_SLAB_MAX || !pd_slab_on()) {
		g_free(mem);
		return;
	}
	g_mutex_lock(&pd_slab_lock);
	*(gpointer *)mem = pd_slab_free_lists[cls];
	pd_slab_free_lists[cls] = mem;
	pd_slab_used -= cls * PD_SLAB_GRAIN;
	g_mutex_unlock(&pd_slab_lock);
}

void
pd_slab_get_stats(gsize *used, gsize *mapped)
{
	g_mutex_lock(&pd_slab_lock);
	if (used != NULL)
		*used = pd_slab_used;
	if (mapped != NULL)
		*mapped = pd_slab_mapped;
	g_mutex_unlock(&pd_slab_lock);
}
