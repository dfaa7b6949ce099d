/*
 * polld - one compute meter, fed from the cycle's shared libvirt statistics
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-compute-pool.h"
#include "polld.h"

G_BEGIN_DECLS

typedef enum {
	PD_COMPUTE_VALUE_DOM_FIELD,	 /* a domain counter as is */
	PD_COMPUTE_VALUE_CPU,		 /* cpu time, with cpu_number metadata */
	PD_COMPUTE_VALUE_MEM_MB,	 /* a memory stat in KiB, as float MB */
	PD_COMPUTE_VALUE_MEM_USAGE,	 /* (available - usable or unused) / 1024 */
	PD_COMPUTE_VALUE_FLAVOR_MEMORY,	 /* flavor RAM, MB */
	PD_COMPUTE_VALUE_ROOT_SIZE,	 /* flavor root disk, GB */
	PD_COMPUTE_VALUE_EPHEMERAL_SIZE, /* flavor ephemeral disk, GB */
	PD_COMPUTE_VALUE_POWER_STATE,	 /* libvirt domain state, also when shut off */
	PD_COMPUTE_VALUE_DISK_FIELD,
	PD_COMPUTE_VALUE_DISK_CAPACITY, /* max(capacity, physical), like Ceilometer */
	PD_COMPUTE_VALUE_NET_FIELD,
	PD_COMPUTE_VALUE_NET_DELTA, /* difference to the previous poll */
} PdComputeValueKind;

typedef struct {
	const gchar *name;
	const gchar *unit;
	PdSampleType type;
	PdComputeValueKind kind;
	guint group; /* PdComputeGroup the value comes from, 0 for none */
	gint field;  /* PdComputeDomField, PdComputeDiskField or PdComputeNetField */
} PdComputeMeter;

/* Ceilometer's compute meters, in pd-compute-meters.c */
const PdComputeMeter *
pd_compute_meter_table(guint *n_meters);
/* the meter as @release polls it: zed's "memory" is the flavor's, not the
 * balloon's */
const PdComputeMeter *
pd_compute_meters_for_release(const PdComputeMeter *meter, PdCeilometerRelease release);
const PdComputeMeter *
pd_compute_meter_lookup(const gchar *name);

#define PD_TYPE_COMPUTE_POLLSTER (pd_compute_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdComputePollster, pd_compute_pollster, PD, COMPUTE_POLLSTER, PdPollster)

PdPollster *
pd_compute_pollster_new(const PdComputeMeter *meter, PdComputePool *pool);
void
pd_compute_pollster_set_use_bulk(PdComputePollster *self, gboolean use_bulk);
/* previous values a delta meter keeps, for tests */
guint
pd_compute_pollster_get_delta_size(PdComputePollster *self);

G_END_DECLS
