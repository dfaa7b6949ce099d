/*
 * polld - the compute discovery's listing of the domains on one connection
 * and their states: one round trip, or slices past libvirtd's limit
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libvirt/libvirt.h>

#include "pd-compute-instance.h"
#include "pd-compute-sum.h"

G_BEGIN_DECLS

/* libvirtd refuses an answer with more domains (or statistics records)
 * than this: a longer listing goes in slices */
#define PD_COMPUTE_RPC_LIST_MAX 16384

/* what reading one due XML found; lives from the read to the visit only,
 * so a listing of every domain stays small */
typedef struct {
	/* the cache's checksum when the read began: the pipeline parses the
	 * XML at once when it differs, so no XML outlives its read */
	guint8 old_checksum[PD_COMPUTE_SUM_LEN];
	gboolean have_old;
	guint8 checksum[PD_COMPUTE_SUM_LEN];
	gboolean changed;	 /* read, and not what the cache holds */
	PdComputeInstance *inst; /* parsed when changed; NULL: no instance */
	gchar *parse_error;
} PdComputeRead;

/* one domain of this cycle's listing */
typedef struct {
	virDomainPtr dom;
	gint state;
	guchar uuid[VIR_UUID_BUFLEN];
	gboolean xml_due;  /* read this cycle, else the cached one stands */
	gboolean read;	   /* due and read (FALSE: vanished, or a failure) */
	PdComputeRead *rd; /* between the read and the visit */
} PdComputeListed;

void
pd_compute_listing_read_free(PdComputeRead *rd);
/* drops @l's handle and what its read found */
void
pd_compute_listing_clear(PdComputeListed *l);
/* @l from @dom (referenced) and its state from @params (NULL: asked) */
gboolean
pd_compute_listing_set(PdComputeListed *l, virDomainPtr dom, virTypedParameterPtr params, gint n);
/* every domain on @conn with its state (PdComputeListed), NULL on a
 * failure; @by_id: the handles kept by ID by an earlier listing on this
 * pipeline; @between (tests) runs between two answers */
GArray *
pd_compute_listing_list(virConnectPtr conn,
			GHashTable **by_id,
			guint list_max,
			GFunc between,
			gpointer between_data);

G_END_DECLS
