/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdWorker"

#include "config.h"

#include "pd-worker-private.h"

/* synchronous plugin code runs here rather than in GTask's own pool so the
 * number of threads a hung service can tie up is bounded and configurable */

typedef struct {
	GTask *task; /* or NULL: plain_func */
	GTaskThreadFunc func;
	GFunc plain_func;
	gpointer plain_data;
} PdWorkItem;

static GThreadPool *pool = NULL;
static guint pool_max = 8;
static guint pool_kept_more = 0; /* pd_worker_keep_threads() */
static gint pool_owed = 0;	 /* atomic: items pushed and not finished */
G_LOCK_DEFINE_STATIC(pool);

/* called with the lock held: the threads of polld's pools stay when idle,
 * for the process's life, as many as the pools run at once. GLib keeps 1
 * idle thread for 15 s and ends the others half a second after their
 * pool's queue empties: about 17 threads were made and ended every cycle,
 * each new one faulting in its stack, its malloc arena's tcache and the
 * pages its arena had trimmed meanwhile (3,500 minor faults a cycle at
 * N=5000, about 12 us each on this machine class) */
static void
pd_worker_keep_locked(void)
{
	/* GLib counts a thread as it goes idle before comparing, so a limit
	 * of n keeps n - 1 */
	g_thread_pool_set_max_unused_threads((gint)(pool_max + pool_kept_more + 1));
	g_thread_pool_set_max_idle_time(0);
}

static void
pd_worker_func(gpointer data, gpointer user_data)
{
	PdWorkItem *item = data;
	GTask *task = item->task;

	if (task == NULL) {
		item->plain_func(item->plain_data, NULL);
		g_free(item);
		g_atomic_int_add(&pool_owed, -1);
		return;
	}
	item->func(task,
		   g_task_get_source_object(task),
		   g_task_get_task_data(task),
		   g_task_get_cancellable(task));
	g_object_unref(task);
	g_free(item);
	g_atomic_int_add(&pool_owed, -1);
}

gboolean
pd_worker_starts_now(void)
{
	guint max;

	G_LOCK(pool);
	max = pool_max;
	G_UNLOCK(pool);
	return (guint)g_atomic_int_get(&pool_owed) < max;
}

void
pd_worker_set_max_threads(guint max_threads)
{
	G_LOCK(pool);
	pool_max = MAX(max_threads, 1);
	pd_worker_keep_locked();
	if (pool != NULL)
		g_thread_pool_set_max_threads(pool, (gint)pool_max, NULL);
	G_UNLOCK(pool);
}

void
pd_worker_keep_threads(guint n_threads)
{
	G_LOCK(pool);
	pool_kept_more += n_threads;
	pd_worker_keep_locked();
	G_UNLOCK(pool);
}

static void
pd_worker_push(PdWorkItem *item)
{
	G_LOCK(pool);
	if (pool == NULL) {
		pd_worker_keep_locked();
		pool = g_thread_pool_new(pd_worker_func, NULL, (gint)pool_max, FALSE, NULL);
	}
	G_UNLOCK(pool);
	g_atomic_int_inc(&pool_owed);
	g_thread_pool_push(pool, item, NULL);
}

void
pd_worker_run(GTask *task, GTaskThreadFunc func)
{
	PdWorkItem *item = g_new0(PdWorkItem, 1);

	item->task = g_object_ref(task);
	item->func = func;
	pd_worker_push(item);
}

void
pd_worker_run_func(GFunc func, gpointer data)
{
	PdWorkItem *item = g_new0(PdWorkItem, 1);

	item->plain_func = func;
	item->plain_data = data;
	pd_worker_push(item);
}
