/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "pd-state.h"

static gboolean
pd_state_replace(gchar **slot, const gchar *value)
{
	gchar *old = *slot;

	if (g_strcmp0(old, value) == 0)
		return FALSE;
	/* copied first: @value may be the text it replaces */
	*slot = g_strdup(value);
	g_free(old);
	return TRUE;
}

gboolean
pd_state_set(PdState *self, const gchar *state, const gchar *last_error)
{
	gboolean changed = pd_state_replace(&self->last_error, last_error);

	return pd_state_replace(&self->state, state) || changed;
}

void
pd_state_clear(PdState *self)
{
	g_clear_pointer(&self->state, g_free);
	g_clear_pointer(&self->last_error, g_free);
}
