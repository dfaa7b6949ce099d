/*
 * polld - the worker pool: functions run off the main thread, never more at
 * once than the configured number of threads, and every task completes on
 * the caller's main context
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gio.h>

#include "pd-worker-private.h"

typedef struct {
	GMutex lock;
	GCond cond;
	guint running;
	guint max_running;
	guint entered;
	gboolean released;
	GThread *main_thread;
	guint done;
	guint off_main;
} Pool;

static void
blocking_func(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	Pool *p = data;

	g_mutex_lock(&p->lock);
	p->running++;
	p->entered++;
	p->max_running = MAX(p->max_running, p->running);
	if (g_thread_self() != p->main_thread)
		p->off_main++;
	g_cond_broadcast(&p->cond);
	while (!p->released)
		g_cond_wait(&p->cond, &p->lock);
	p->running--;
	g_mutex_unlock(&p->lock);
	g_task_return_boolean(task, TRUE);
}

static void
done_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	Pool *p = data;

	g_assert_true(g_task_propagate_boolean(G_TASK(res), NULL));
	/* completion comes back to the thread that started the task */
	g_assert_true(g_thread_self() == p->main_thread);
	p->done++;
}

/* runs @n blocking functions with a pool of @threads; returns the most that
 * ran at once */
static guint
run_pool(guint threads, guint n)
{
	Pool p = { 0 };

	g_mutex_init(&p.lock);
	g_cond_init(&p.cond);
	p.main_thread = g_thread_self();
	pd_worker_set_max_threads(threads);
	for (guint i = 0; i < n; i++) {
		g_autoptr(GTask) task = g_task_new(NULL, NULL, done_cb, &p);
		g_task_set_task_data(task, &p, NULL);
		pd_worker_run(task, blocking_func);
	}
	/* wait until the pool is full (the bound is reached), then let go */
	g_mutex_lock(&p.lock);
	while (p.entered < MIN(threads, n))
		g_cond_wait(&p.cond, &p.lock);
	p.released = TRUE;
	g_cond_broadcast(&p.cond);
	g_mutex_unlock(&p.lock);
	while (p.done < n)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpuint(p.entered, ==, n);
	g_assert_cmpuint(p.off_main, ==, n);
	g_mutex_clear(&p.lock);
	g_cond_clear(&p.cond);
	return p.max_running;
}

static void
test_worker_bounded(void)
{
	g_assert_cmpuint(run_pool(2, 6), ==, 2);
	/* growing a running pool (a smaller bound only applies as threads
	 * finish, which is GThreadPool's way) */
	g_assert_cmpuint(run_pool(3, 7), ==, 3);
}

static void
test_worker_at_least_one(void)
{
	/* 0 would deadlock every synchronous pollster: it means 1 */
	g_assert_cmpuint(run_pool(0, 3), ==, 1);
}

/* a thread of the pool that has run a function of this test before */
static __thread gboolean served_here;

typedef struct {
	GMutex lock;
	GCond cond;
	guint entered, done, n, reused;
} Round;

static void
round_func(gpointer data, gpointer unused)
{
	Round *r = data;

	g_mutex_lock(&r->lock);
	r->entered++;
	r->reused += served_here ? 1 : 0;
	served_here = TRUE;
	g_cond_broadcast(&r->cond);
	/* all at once: each runs on a thread of its own */
	while (r->entered < r->n)
		g_cond_wait(&r->cond, &r->lock);
	r->done++;
	g_cond_broadcast(&r->cond);
	g_mutex_unlock(&r->lock);
}

/* @n functions at once; returns how many ran on a thread that served before */
static guint
run_round(guint n)
{
	Round r = { .n = n };

	g_mutex_init(&r.lock);
	g_cond_init(&r.cond);
	for (guint i = 0; i < n; i++)
		pd_worker_run_func(round_func, &r);
	g_mutex_lock(&r.lock);
	while (r.done < n)
		g_cond_wait(&r.cond, &r.lock);
	g_mutex_unlock(&r.lock);
	g_mutex_clear(&r.lock);
	g_cond_clear(&r.cond);
	return r.reused;
}

static void
test_worker_threads_kept(void)
{
	gint64 deadline;

	pd_worker_set_max_threads(4);
	run_round(4);
	/* GLib hands a pool's threads back to its idle threads half a second
	 * after the pool's queue empties, and ends those past
	 * g_thread_pool_set_max_unused_threads() (2 by default): a gap between
	 * two cycles. Wait until all four are idle (or the limit) */
	deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (g_thread_pool_get_num_unused_threads() < 4 && g_get_monotonic_time() < deadline)
		g_usleep(10 * 1000);
	g_assert_cmpuint(g_thread_pool_get_num_unused_threads(), >=, 4);
	/* the next cycle runs on the same threads: no thread made again */
	g_assert_cmpuint(run_round(4), ==, 4);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* the pool is the process's: smallest bound first */
	g_test_add_func("/worker/at-least-one", test_worker_at_least_one);
	g_test_add_func("/worker/bounded", test_worker_bounded);
	g_test_add_func("/worker/threads-kept", test_worker_threads_kept);
	return g_test_run();
}
