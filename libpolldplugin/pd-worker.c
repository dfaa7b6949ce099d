/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdWorker"

#include "config.h"

#include "pd-worker-private.h"

/* synchronous plugin code runs here rather than in GTask's own pool so the
 * number of threads a hung service can tie up is bounded and configurable */

typedef struct {
	GTask *task;
	GTaskThreadFunc func;
} PdWorkItem;

static GThreadPool *pool = NULL;
static guint pool_max = 8;
G_LOCK_DEFINE_STATIC(pool);

static void
pd_worker_func(gpointer data, gpointer user_data)
{
	PdWorkItem *item = data;
	GTask *task = item->task;

	item->func(task,
		   g_task_get_source_object(task),
		   g_task_get_task_data(task),
		   g_task_get_cancellable(task));
	g_object_unref(task);
	g_free(item);
}

void
pd_worker_set_max_threads(guint max_threads)
{
	G_LOCK(pool);
	pool_max = MAX(max_threads, 1);
	if (pool != NULL)
		g_thread_pool_set_max_threads(pool, (gint)pool_max, NULL);
	G_UNLOCK(pool);
}

void
pd_worker_run(GTask *task, GTaskThreadFunc func)
{
	PdWorkItem *item = g_new0(PdWorkItem, 1);

	item->task = g_object_ref(task);
	item->func = func;
	G_LOCK(pool);
	if (pool == NULL)
		pool = g_thread_pool_new(pd_worker_func, NULL, (gint)pool_max, FALSE, NULL);
	G_UNLOCK(pool);
	g_thread_pool_push(pool, item, NULL);
}
