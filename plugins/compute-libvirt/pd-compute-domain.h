/*
 * polld - one instance as discovered in one cycle: what the pollsters get
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libvirt/libvirt.h>

#include "pd-compute-instance.h"
#include "polld.h"

G_BEGIN_DECLS

/* the domains of the same class share their metadata's base */
typedef struct _PdComputeClass PdComputeClass;

/*
 * Immutable once built (the cpu metadata is rebuilt under a lock when
 * libvirt's vcpu count is not the flavor's; the discovery moves dom to a
 * new listing's handle of the same connection while it holds the only
 * reference); the metadata are overlays of
 * a base shared by the domains of the same class (flavor, project, state...):
 * reused by the discovery from cycle to cycle while the domain's XML and
 * state do not change, so metadata is built once per instance, not per cycle.
 */
typedef struct {
	gint ref_count;
	PdComputeInstance *inst;
	virDomainPtr dom;
	guchar uuid[VIR_UUID_BUFLEN]; /* dom's, raw; inst->uuid is the string */
	gint state;		      /* virDomainState */
	PdComputeClass *cls;	      /* its base, shared with other domains */
	PdMetadata *md;		      /* overlays of the base: the instance's, */
	PdMetadata **disk_md;	      /* parallel to inst->disks, */
	PdMetadata **vnic_md;	      /* parallel to inst->vnics */
	GMutex lock;
	PdMetadata *cpu_md;
	gint64 cpu_md_number;
	PdMetadata *dev_md[]; /* what disk_md and vnic_md point into */
} PdComputeDomain;

/* @uuid: @dom's, raw (asking libvirt again formats it for a debug line);
 * @release: [polld] ceilometer_compat, whose metadata keys to render */
PdComputeDomain *
pd_compute_domain_new(PdComputeInstance *inst,
		      virDomainPtr dom,
		      const guchar *uuid,
		      gint state,
		      const gchar *host,
		      const gchar *flavor_id,
		      PdCeilometerRelease release);
PdComputeDomain *
pd_compute_domain_ref(PdComputeDomain *cd);
void
pd_compute_domain_unref(PdComputeDomain *cd);
/* instance metadata plus cpu_number (-1 for null) */
PdMetadata *
pd_compute_domain_get_cpu_md(PdComputeDomain *cd, gint64 cpu_number);
/* a vnic's resource id: its filter name, else <domain>-<instance>-<tap>;
 * a disk's: <instance>-<dev>; written over @buf (one buffer for all of a
 * poll's samples) */
const gchar *
pd_compute_domain_vnic_resource_id_in(PdComputeDomain *cd, guint idx, GString *buf);
const gchar *
pd_compute_domain_disk_resource_id_in(PdComputeDomain *cd, guint idx, GString *buf);
/* vnic @idx's resource id in its parts, which joined by '-' make it: the
 * vnic's own reference alone, or the domain's name, UUID and the vnic's name */
guint
pd_compute_domain_vnic_id_parts(const PdComputeInstance *inst, guint idx, const gchar *parts[3]);
/* hash table functions for raw (VIR_UUID_BUFLEN bytes) UUID keys */
guint
pd_compute_uuid_hash(gconstpointer key);
gboolean
pd_compute_uuid_equal(gconstpointer a, gconstpointer b);
/* Nova's vm_state and status guessed from the libvirt state, like Ceilometer */
const gchar *
pd_compute_state_to_vm_state(gint state);
const gchar *
pd_compute_state_to_status(gint state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdComputeDomain, pd_compute_domain_unref)

G_END_DECLS
