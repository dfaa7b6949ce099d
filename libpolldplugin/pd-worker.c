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
G_LOCK_DEFINE_STATIC(pool);

static void
pd_worker_func(gpointer data, gpointer user_data)
{
	PdWorkItem *item = data;
	GTask *task = item->task;

	if (task == NULL) {
		item->plain_func(item->plain_data, NULL);
		g_free(item);
		return;
	}
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

static void
pd_worker_push(PdWorkItem *item)
{
	G_LOCK(pool);
	if (pool == NULL)
		pool = g_thread_pool_new(pd_worker_func, NULL, (gint)pool_max, FALSE, NULL);
	G_UNLOCK(pool);
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
