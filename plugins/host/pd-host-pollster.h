/*
 * polld host plugin - one pollster per meter, driven by a table
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

#include "pd-host-reading.h"
#include "pd-host-state.h"

G_BEGIN_DECLS

typedef struct {
	const gchar *name;
	const gchar *unit;
	PdSampleType type;
	PdHostSource source;
	guint field; /* index into PdHostEntry.values */
} PdHostMeter;

#define PD_TYPE_HOST_POLLSTER (pd_host_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdHostPollster, pd_host_pollster, PD, HOST_POLLSTER, PdPollster)

/* @meter must outlive the pollster (it points into a static table) */
PdPollster *
pd_host_pollster_new(const PdHostMeter *meter, PdHostState *state);

G_END_DECLS
