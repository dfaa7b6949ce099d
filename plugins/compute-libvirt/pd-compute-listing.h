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
/* a listing asks the handles of the domains in one answer a state
 * (running, paused, shut off, other: the filters tell the states, no
 * state answer); when those answers do not add up (a domain came, went or
 * changed state between them), and past PD_COMPUTE_RPC_LIST_MAX (in
 * several answers, by filters), it asks the handles, then the states of at
 * most this many domains an answer, and only those of its shard's domains:
 * an answer's records (their typed parameters, the decoded message) stay
 * bounded by it whatever the number of domains */
#define PD_COMPUTE_LIST_SLICE 256

typedef struct {
	guint list_max; /* PD_COMPUTE_RPC_LIST_MAX; tests make it small */
	guint slice;	/* PD_COMPUTE_LIST_SLICE; tests make it small */
	/* tests: past list_max, no answers by state split into persistent
	 * and transient domains, the slices only */
	gboolean no_split_by_state;
	/* NULL: every domain; else the domains whose raw UUID it keeps (the
	 * others' handles are released before their states are asked) */
	gboolean (*keep)(const guchar *uuid, gpointer data);
	gpointer keep_data;
	/* tests: runs between two answers of a listing past list_max, and
	 * between the running domains' answer and the others' of a listing by
	 * state */
	GFunc between;
	gpointer between_data;
	/* non-NULL (with keep): every domain's raw UUID read by a listing in
	 * one answer is appended, and @listed(args) runs once the handles'
	 * answer is in, before the states are asked (another connection can
	 * take its shard's handles from it meanwhile) */
	GByteArray *roster;
	/* with @roster: the state of each of its domains, a byte each
	 * (PD_COMPUTE_STATE_UNKNOWN: not known), when the listing was by
	 * state; emptied otherwise */
	GByteArray *roster_states;
	void (*listed)(gpointer args);
	gpointer listed_data;
	/* raw UUID -> handle on this connection of the domains the last
	 * listing holds (NULL: none); with @keep_known a listing in one answer
	 * and pd_compute_listing_from_uuids() ask those domains' states with
	 * these handles and keep them (the answers' handles released at once),
	 * the caller handing their ownership over to the new listing
	 * (pd_compute_listing_hand_over()) */
	GHashTable *known;
	gboolean keep_known;
	/* out, for tests: the most records one state answer in slices
	 * carried, and the records of all of them; the handles looked up by
	 * UUID (pd_compute_listing_from_uuids()) */
	guint largest_answer;
	guint records;
	guint lookups;
	/* out, for tests: the domains pd_compute_listing_from_uuids() took
	 * the roster's state for */
	guint stated;
} PdComputeListingArgs;

/* every domain on @conn that @args keeps, with its state
 * (PdComputeListed), NULL on a failure; past @args->list_max domains every
 * domain (the caller filters), and @by_id, the running domains' handles by
 * ID kept from one listing on this pipeline to the next, holds handles of
 * the domains @args keeps only (the others' IDs are remembered, not looked
 * up again) */
GArray *
pd_compute_listing_list(virConnectPtr conn, GHashTable **by_id, PdComputeListingArgs *args);
/* a state the roster does not know (see PdComputeListingArgs) */
#define PD_COMPUTE_STATE_UNKNOWN 0xff

/* the domains of @uuids (@n raw UUIDs: another connection's listing)
 * that @args keeps, with their states, without listing every domain: a
 * domain whose handle on @conn @known holds (raw UUID -> handle, borrowed
 * for the call) is asked with it, any other is looked up by UUID (one round
 * trip each; gone meanwhile: left out). @states (NULL: none) holds the
 * state of the first @n_states domains as that listing answered it: those
 * (not PD_COMPUTE_STATE_UNKNOWN) are not asked, except the UUIDs of
 * @changed (raw UUID set, NULL: none: an event came for them since). NULL
 * on a failure. */
GArray *
pd_compute_listing_from_uuids(virConnectPtr conn,
			      const guchar *uuids,
			      guint n,
			      const guint8 *states,
			      guint n_states,
			      GHashTable *changed,
			      GHashTable *known,
			      PdComputeListingArgs *args);
/* a copy of @from's domains that borrows their handles (see
 * pd-compute-listing.c) */
GArray *
pd_compute_listing_borrow(GArray *from);
/* the handles of @from that @to holds now (taken over with keep_known) are
 * no longer @from's to release */
void
pd_compute_listing_hand_over(GArray *from, GArray *to);
/* raw UUID -> handle (borrowed) of @listed's domains */
GHashTable *
pd_compute_listing_index(GArray *listed);
/* @roster's raw UUIDs, then those of @changed (NULL: none) not in it */
GByteArray *
pd_compute_listing_with_changed(GByteArray *roster, GHashTable *changed);
/* the @n records of a state answer (NULL-terminated) into @listed, their
 * handles taken, the records freed; @part (@n_part handles) was asked, with
 * the raw UUIDs @uuids (NULL: none read): a record answering a handle asked
 * by name takes its UUID, any other is asked it (exported for tests) */
void
pd_compute_listing_take_records(GArray *listed,
				virDomainStatsRecordPtr *records,
				gint n,
				virDomainPtr *part,
				const guchar *uuids,
				guint n_part);

/* for tests: the handles @by_id holds */
guint
pd_compute_listing_by_id_handles(GHashTable *by_id);

G_END_DECLS
