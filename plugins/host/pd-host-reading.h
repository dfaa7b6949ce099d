/*
 * polld host plugin - per-cycle readings of the local node
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

#include "pd-host-proc.h"
#include "pd-host-state.h"

G_BEGIN_DECLS

typedef enum {
	PD_HOST_SOURCE_LOADAVG, /* /proc/loadavg */
	PD_HOST_SOURCE_CPU,	/* /proc/stat, against the previous reading */
	PD_HOST_SOURCE_MEMINFO, /* /proc/meminfo */
	PD_HOST_SOURCE_VMSTAT,	/* /proc/vmstat */
	PD_HOST_SOURCE_NET_DEV, /* /proc/net/dev + /sys/class/net + getifaddrs() */
	PD_HOST_SOURCE_MOUNTS,	/* /proc/self/mounts + statvfs() */
	PD_HOST_SOURCE_LAST,
} PdHostSource;

/* whether the values of @source are PdHostValue.d rather than .i */
gboolean
pd_host_reading_source_is_double(PdHostSource source);

/* the PdHostEntry array of @source, read at most once per cycle however
 * many pollsters ask; owned by @cache */
GPtrArray *
pd_host_reading_get(PdCycleCache *cache, PdHostSource source, PdHostState *state, GError **error);

G_END_DECLS
