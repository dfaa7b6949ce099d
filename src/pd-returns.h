/*
 * polld - worker threads' results for the main loop: queued, taken in
 * order, with one wake-up for those that come while it has not looked
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* how long the main loop, having taken some, looks again by itself */
#define PD_RETURNS_LINGER_MS 5

typedef struct _PdReturns PdReturns;

/* main context: one item pushed; may free the returns' owner */
typedef void (*PdReturnsFunc)(gpointer item, gpointer user_data);

PdReturns *
pd_returns_new(GMainContext *context, PdReturnsFunc func, gpointer user_data);
void
pd_returns_free(PdReturns *self);
/* any thread */
void
pd_returns_push(PdReturns *self, gpointer item);
/* times a push woke the main loop (it had not looked since the last) */
guint
pd_returns_get_wakeups(PdReturns *self);
/* times the main loop took items (one or more) */
guint
pd_returns_get_takes(PdReturns *self);
/* items taken */
guint
pd_returns_get_items(PdReturns *self);
/* the main loop is woken for pushes or looks for them by itself */
gboolean
pd_returns_get_due(PdReturns *self);

G_END_DECLS
