/*
 * polld - the state a part shows operators: a word and the last failure
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* embedded in the private data of PdSink and PdPublisher: "connected",
 * "listening", "disabled"... and the reason of the last failure, or NULL */
typedef struct {
	gchar *state;
	gchar *last_error;
} PdState;

/* stores both; TRUE if either changed (the owner then notifies "state") */
gboolean
pd_state_set(PdState *self, const gchar *state, const gchar *last_error);
void
pd_state_clear(PdState *self);

G_END_DECLS
