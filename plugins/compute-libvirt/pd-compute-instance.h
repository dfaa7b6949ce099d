/*
 * polld - what a libvirt domain's XML says about a Nova instance
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "pd-compute-extras.h"

G_BEGIN_DECLS

#define PD_COMPUTE_NOVA_NS_1_1 "http://openstack.org/xmlns/libvirt/nova/1.1"
#define PD_COMPUTE_NOVA_NS_1_0 "http://openstack.org/xmlns/libvirt/nova/1.0"

/* the strings marked interned are GRefStrings shared by all domains */
typedef struct {
	gchar *dev; /* interned */
} PdComputeDisk;

typedef struct {
	gchar *name; /* target dev, the tap */
	gchar *mac;
	gchar *fref; /* filterref filter, or NULL */
	/* "parameters": filterref parameters (lower-cased names) then interfaceid
	 * and bridge, in that order; values may be NULL; names and values
	 * interned */
	guint n_params;
	gchar **param_names;
	gchar **param_values;
} PdComputeVnic;

/*
 * What an instance has in common with the others of the same flavor, owner,
 * image and os: one for all of them (interned), immutable.
 */
typedef struct {
	gint ref_count; /* under the profiles' lock */
	/* Nova 2025.2's flavor extra specs or image meta are there: the
	 * profile has them after its end (pd_compute_instance_profile_get_extras()), and
	 * one without them is no larger for them */
	gboolean has_extras;
	gchar *flavor_name; /* interned, like every string here */
	gchar *flavor_id;   /* from the XML when Nova put it there, else NULL */
	gint64 vcpus;
	gint64 memory_mb;
	gint64 disk_gb;
	gint64 ephemeral_gb;
	gint64 swap_mb;
	gchar *user_id;
	gchar *user_name;
	gchar *project_id;
	gchar *project_name;
	gchar *image_id; /* NULL when booted from volume */
	gchar *os_type;
	gchar *architecture;
} PdComputeProfile;

/* NULL when the domain's XML has neither */
const PdComputeExtras *
pd_compute_instance_profile_get_extras(const PdComputeProfile *profile);

/* a reference more on a profile (the instances hold one each) */
const PdComputeProfile *
pd_compute_instance_profile_ref(const PdComputeProfile *profile);
void
pd_compute_instance_profile_unref(const PdComputeProfile *profile);

/*
 * Immutable after parsing, reference counted: shared by every cycle's
 * resources until the domain's XML changes. One allocation: the struct,
 * its disks, vnics, their parameter arrays and its own strings (one per
 * domain of the thousands a host may run).
 */
typedef struct {
	gint ref_count;
	guint16 n_disks;
	guint16 n_vnics : 15;
	guint16 no_balloon : 1; /* <memballoon model='none'/>: no bytes more */
	const PdComputeProfile *profile;
	gchar *uuid;	    /* domain UUID = instance id */
	gchar *domain_name; /* libvirt name, instance-0000000x */
	gchar *display_name;
	PdComputeDisk *disks;
	PdComputeVnic *vnics;
} PdComputeInstance;

/* NULL without error: no Nova metadata (not an instance, ignored); NULL with
 * error: broken XML or Nova metadata lacking a required field */
PdComputeInstance *
pd_compute_instance_parse(const gchar *xml, gsize len, GError **error);
/* the same, for tests: @dom_only parses with libxml2's tree alone (the
 * fallback); *@fast tells whether the scanner's reading was used */
PdComputeInstance *
pd_compute_instance_parse_with(const gchar *xml,
			       gsize len,
			       gboolean dom_only,
			       gboolean *fast,
			       GError **error);
PdComputeInstance *
pd_compute_instance_ref(PdComputeInstance *inst);
void
pd_compute_instance_unref(PdComputeInstance *inst);
gint
pd_compute_instance_find_disk(PdComputeInstance *inst, const gchar *dev);
gint
pd_compute_instance_find_vnic(PdComputeInstance *inst, const gchar *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdComputeInstance, pd_compute_instance_unref)

G_END_DECLS
