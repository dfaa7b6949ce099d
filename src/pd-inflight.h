/*
 * polld - the budget of sample bytes between the pollsters and the publisher
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* [polld] max_inflight_bytes: default and lower limit */
#define PD_INFLIGHT_DEFAULT_MAX (2 * 1024 * 1024)
#define PD_INFLIGHT_MIN (64 * 1024)

typedef struct _PdInflight PdInflight;

PdInflight *
pd_inflight_new(guint64 max_bytes);
/* shared by the notifier sink and a publisher that releases bytes itself */
PdInflight *
pd_inflight_ref(PdInflight *self);
void
pd_inflight_unref(PdInflight *self);
void
pd_inflight_set_max(PdInflight *self, guint64 max_bytes);
/* a pollster's thread: waits while @bytes would take what is in flight past
 * the budget, or while other threads wait before it, then counts them in.
 * Something always goes: a chunk larger than the budget passes when nothing
 * else is in flight. Never call it on the main thread, which releases. */
void
pd_inflight_acquire(PdInflight *self, guint64 bytes);
/* the same for a thread that holds @held bytes meanwhile (the batch its
 * messages are made from): they are counted at once, and take room while
 * it waits as in flight bytes do, so waiting batches do not come on top
 * of the budget; once it passes, @bytes + @held are in flight, and the
 * caller gives @held back (pd_inflight_adjust()) when it freed them */
void
pd_inflight_acquire_holding(PdInflight *self, guint64 bytes, guint64 held);
/* any thread, never waits: corrects what an acquire() counted by
 * @delta bytes (an estimate taken before the bytes existed) */
void
pd_inflight_adjust(PdInflight *self, gint64 delta);
/* any thread: @bytes have left (handed to the publisher, or for a
 * publisher that took the budget: sent, spooled or dropped) */
void
pd_inflight_release(PdInflight *self, guint64 bytes);
/* any thread: @estimate (bytes a sample, read with g_atomic_int_get()) is
 * what a thread counts in before its messages exist; @measured is what a
 * sample of the last batch took. It goes up at once and down by an eighth
 * of the difference a batch: batches of other meters, with other sizes,
 * come in turn, and an estimate that follows the last one under-counts
 * every larger one (what the budget then does not bound). */
void
pd_inflight_next_estimate(gint *estimate, gint measured);
guint64
pd_inflight_get_bytes(PdInflight *self);
/* what the threads waiting now hold */
guint64
pd_inflight_get_held(PdInflight *self);
/* highest total seen (in flight and held by waiting threads), and how
 * often a thread had to wait */
guint64
pd_inflight_get_peak(PdInflight *self);
guint64
pd_inflight_get_waits(PdInflight *self);
/* threads woken with their chunk counted in (every wake-up is one: a
 * release wakes only the waiters whose chunks now fit, first come first),
 * and threads waiting now */
guint64
pd_inflight_get_wakeups(PdInflight *self);
guint
pd_inflight_get_waiting(PdInflight *self);
/* pd_inflight_release() calls: each takes the lock the pollster threads
 * take, and may wake some of them */
guint64
pd_inflight_get_releases(PdInflight *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdInflight, pd_inflight_unref)

G_END_DECLS
