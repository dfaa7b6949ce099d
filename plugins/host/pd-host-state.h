/*
 * polld host plugin - state shared by the plugin's pollsters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* user nice system idle iowait irq softirq steal, as in /proc/stat */
#define PD_HOST_CPU_N_TIMES 8
#define PD_HOST_CPU_IDLE_TIME 3

/*
 * Thread-safe, reference counted: the previous /proc/stat reading the cpu
 * percentages are computed against, shared by the plugin's pollsters.
 */
typedef struct _PdHostState PdHostState;

PdHostState *
pd_host_state_new(void);
PdHostState *
pd_host_state_ref(PdHostState *state);
void
pd_host_state_unref(PdHostState *state);
/* idle percentage since the previous call, since boot on the first call */
gdouble
pd_host_state_update_cpu(PdHostState *state, const guint64 *times);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdHostState, pd_host_state_unref)

G_END_DECLS
