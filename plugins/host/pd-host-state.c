/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-host"

#include <string.h>

#include "pd-host-state.h"

struct _PdHostState {
	GMutex mutex;
	guint64 cpu_prev[PD_HOST_CPU_N_TIMES];
	gdouble cpu_idle_last;
};

PdHostState *
pd_host_state_new(void)
{
	PdHostState *state = g_atomic_rc_box_new0(PdHostState);
	g_mutex_init(&state->mutex);
	state->cpu_idle_last = 100.0;
	return state;
}

PdHostState *
pd_host_state_ref(PdHostState *state)
{
	return g_atomic_rc_box_acquire(state);
}

static void
pd_host_state_clear(gpointer data)
{
	PdHostState *state = data;
	g_mutex_clear(&state->mutex);
}

void
pd_host_state_unref(PdHostState *state)
{
	g_atomic_rc_box_release_full(state, pd_host_state_clear);
}

gdouble
pd_host_state_update_cpu(PdHostState *state, const guint64 *times)
{
	guint64 total = 0;
	guint64 idle = 0;
	gdouble pct;

	g_mutex_lock(&state->mutex);
	for (guint i = 0; i < PD_HOST_CPU_N_TIMES; i++) {
		/* a counter going backwards (cpu hot-unplug) restarts the window at boot */
		guint64 prev = times[i] >= state->cpu_prev[i] ? state->cpu_prev[i] : 0;
		total += times[i] - prev;
		if (i == PD_HOST_CPU_IDLE_TIME)
			idle = times[i] - prev;
	}
	/* two polls within one tick: nothing new to say, repeat the last value */
	if (total > 0)
		state->cpu_idle_last = 100.0 * (gdouble)idle / (gdouble)total;
	pct = state->cpu_idle_last;
	memcpy(state->cpu_prev, times, sizeof(state->cpu_prev));
	g_mutex_unlock(&state->mutex);
	return pct;
}
