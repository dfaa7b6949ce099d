/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include "pd-compute-connection.h"
#include "pd-compute-domain.h"
#include "pd-compute-listing.h"

#include <libvirt/virterror.h>
#include <string.h>

void
pd_compute_listing_read_free(PdComputeRead *rd)
{
	g_clear_pointer(&rd->inst, pd_compute_instance_unref);
	g_free(rd->parse_error);
	g_free(rd);
}

void
pd_compute_listing_clear(PdComputeListed *l)
{
	g_clear_pointer(&l->dom, virDomainFree);
	g_clear_pointer(&l->rd, pd_compute_listing_read_free);
}

static void
pd_compute_listing_clear_borrowed(PdComputeListed *l)
{
	g_clear_pointer(&l->rd, pd_compute_listing_read_free);
}

/* a copy of @from's domains that borrows their handles: @from (a kept
 * listing, changed only by pd_compute_listing_hand_over() while no run
 * borrows it) is referenced for as long as the copy is used.
 * libvirt logs every virDomainRef() and virDomainFree() with the domain's
 * UUID formatted (about 17,000 instructions the pair): N pairs a cycle. */
GArray *
pd_compute_listing_borrow(GArray *from)
{
	GArray *to = g_array_sized_new(FALSE, FALSE, sizeof(PdComputeListed), from->len);

	g_array_set_clear_func(to, (GDestroyNotify)pd_compute_listing_clear_borrowed);
	/* kept entries have no read state: xml_due, read and rd are clear */
	g_array_append_vals(to, from->data, from->len);
	return to;
}

void
pd_compute_listing_hand_over(GArray *from, GArray *to)
{
	g_autoptr(GHashTable) taken = g_hash_table_new(NULL, NULL);

	for (guint i = 0; i < to->len; i++)
		g_hash_table_add(taken, g_array_index(to, PdComputeListed, i).dom);
	for (guint i = 0; i < from->len; i++) {
		PdComputeListed *l = &g_array_index(from, PdComputeListed, i);
		if (g_hash_table_contains(taken, l->dom))
			l->dom = NULL;
	}
}

/* --- listing: one round trip for every domain and its state --- */

/* @l's UUID (@uuid when known, else asked) and state, not its handle */
static gboolean
pd_compute_listing_fill(PdComputeListed *l,
			virDomainPtr dom,
			const guchar *uuid,
			virTypedParameterPtr params,
			gint n)
{
	gint state = -1, reason;

	if (params != NULL && virTypedParamsGetInt(params, n, "state.state", &state) != 1)
		state = -1;
	/* a driver whose bulk answer lacks the state: ask per domain */
	if (state < 0 && virDomainGetState(dom, &state, &reason, 0) < 0)
		return FALSE;
	if (uuid != NULL)
		memcpy(l->uuid, uuid, VIR_UUID_BUFLEN);
	else if (virDomainGetUUID(dom, l->uuid) < 0)
		return FALSE;
	l->state = state;
	return TRUE;
}

gboolean
pd_compute_listing_set(PdComputeListed *l, virDomainPtr dom, virTypedParameterPtr params, gint n)
{
	if (!pd_compute_listing_fill(l, dom, NULL, params, n))
		return FALSE;
	virDomainRef(dom);
	l->dom = dom;
	return TRUE;
}

/* @records' handles move into @listed and @records are freed. Through
 * pd_compute_listing_set() and virDomainStatsRecordListFree() each handle
 * would be referenced and released once more, and libvirt formats the
 * domain's UUID for a debug line in both calls, logging on or not (about
 * 6,400 instructions a call; every connection lists every domain). The
 * record is libvirt's public struct, allocated with glib as the list free
 * frees it. @part: the @n_part handles asked; @uuids: their raw UUIDs
 * (NULL: not read). A record takes the UUID of the handle asked that it
 * answers by name (pd_compute_connection_match_records(): a domain gone since is left
 * out of the answer, the others keep theirs); one that answers none (a
 * domain renamed meanwhile keeps its UUID, but its name is not the one
 * asked) is asked its UUID. */
/* @keep_asked: a record answering a handle asked by name gives its state
 * to that handle, and its own handle is released */
static void
pd_compute_listing_take_records_full(GArray *listed,
				     virDomainStatsRecordPtr *records,
				     gint n,
				     virDomainPtr *part,
				     const guchar *uuids,
				     guint n_part,
				     gboolean keep_asked)
{
	g_autofree gint *index = uuids != NULL ? g_new(gint, n + 1) : NULL;

	if (index != NULL)
		pd_compute_connection_match_records(part, n_part, records, index);
	for (gint i = 0; i < n; i++) {
		virDomainStatsRecordPtr r = records[i];
		PdComputeListed l = { NULL };
		const guchar *uuid =
		  index != NULL && index[i] >= 0 ? uuids + (gsize)index[i] * VIR_UUID_BUFLEN : NULL;
		virDomainPtr dom = r->dom;

		if (keep_asked && uuid != NULL) {
			virDomainFree(r->dom);
			dom = part[index[i]];
		}
		if (pd_compute_listing_fill(&l, dom, uuid, r->params, r->nparams)) {
			l.dom = dom;
			g_array_append_val(listed, l);
		} else if (dom == r->dom) {
			virDomainFree(dom);
		}
		virTypedParamsFree(r->params, r->nparams);
		g_free(r);
	}
	g_free(records);
}

void
pd_compute_listing_take_records(GArray *listed,
				virDomainStatsRecordPtr *records,
				gint n,
				virDomainPtr *part,
				const guchar *uuids,
				guint n_part)
{
	pd_compute_listing_take_records_full(listed, records, n, part, uuids, n_part, FALSE);
}

#define PD_COMPUTE_STATE_CHUNK 1024

/* in a table of handles by ID: the running domain with this ID is another
 * shard's, its handle was released */
static gchar pd_compute_other_shard;
#define PD_COMPUTE_OTHER_SHARD ((gpointer)&pd_compute_other_shard)

static void
pd_compute_dom_free(gpointer dom)
{
	if (dom != NULL && dom != PD_COMPUTE_OTHER_SHARD)
		virDomainFree(dom);
}

/* the handles of the domains on @conn matching @flags (virConnectListAllDomains'
 * filters) that @args keeps, in one answer (no typed parameters: a name, a
 * UUID and an ID a domain); the others' are released at once. *@uuids:
 * the kept ones' raw UUIDs, in the same order, when @args->keep read them
 * (else NULL). NULL: the answer failed, or carried more than
 * @args->list_max (libvirtd refuses those past its limit; tests make the
 * limit small) */
static GPtrArray *
pd_compute_list_handles(virConnectPtr conn,
			guint flags,
			const PdComputeListingArgs *args,
			guchar **uuids,
			guint *answered)
{
	virDomainPtr *doms = NULL;
	gint n = virConnectListAllDomains(conn, &doms, flags);
	GPtrArray *mine;

	*uuids = NULL;
	if (n < 0)
		return NULL;
	if (answered != NULL)
		*answered += (guint)n;
	mine = g_ptr_array_new_full((guint)n, pd_compute_dom_free);
	if (args->keep != NULL && (guint)n <= args->list_max)
		*uuids = g_new(guchar, (gsize)n * VIR_UUID_BUFLEN + 1);
	for (gint i = 0; i < n; i++) {
		guchar *uuid = *uuids != NULL ? *uuids + (gsize)mine->len * VIR_UUID_BUFLEN : NULL;
		gboolean read = FALSE;

		if ((guint)n <= args->list_max && args->keep != NULL)
			read = virDomainGetUUID(doms[i], uuid) == 0;
		if (read && args->roster != NULL)
			g_byte_array_append(args->roster, uuid, VIR_UUID_BUFLEN);
		if ((guint)n <= args->list_max &&
		    (args->keep == NULL || (read && args->keep(uuid, args->keep_data))))
			g_ptr_array_add(mine, doms[i]);
		else
			virDomainFree(doms[i]);
	}
	free(doms);
	if ((guint)n > args->list_max)
		g_clear_pointer(&mine, g_ptr_array_unref);
	return mine;
}

/* drivers without bulk statistics: the state of @doms from @from on, per
 * domain (@keep_asked: the listing takes the handles over, unreferenced) */
static void
pd_compute_list_each(GArray *listed, GPtrArray *doms, guint from, gboolean keep_asked)
{
	for (guint i = from; i < doms->len; i++) {
		PdComputeListed l = { NULL };
		virDomainPtr dom = g_ptr_array_index(doms, i);
		if (keep_asked && pd_compute_listing_fill(&l, dom, NULL, NULL, 0)) {
			l.dom = dom;
			g_array_append_val(listed, l);
		} else if (!keep_asked && pd_compute_listing_set(&l, dom, NULL, 0)) {
			g_array_append_val(listed, l);
		}
	}
}

/* entries of @listed from @from on whose handle is one of @handles
 * (borrowed) let go of it unreleased */
static void
pd_compute_listed_forget(GArray *listed, guint from, GPtrArray *handles)
{
	g_autoptr(GHashTable) set = g_hash_table_new(NULL, NULL);

	for (guint i = 0; i < handles->len; i++)
		g_hash_table_add(set, g_ptr_array_index(handles, i));
	for (guint i = from; i < listed->len; i++) {
		PdComputeListed *l = &g_array_index(listed, PdComputeListed, i);
		if (g_hash_table_contains(set, l->dom))
			l->dom = NULL;
	}
}

/* the states of @doms (with their raw UUIDs @uuids, NULL: not read) into
 * @listed, in answers of at most @args->slice domains, each answer's
 * records released before the next is asked. The answers' handles are the
 * listing's; @free_dom (NULL: @doms are borrowed) releases those of @doms a
 * slice at a time. FALSE: nothing added */
static gboolean
pd_compute_list_states(GPtrArray *doms,
		       const guchar *uuids,
		       GDestroyNotify free_dom,
		       gboolean keep_asked,
		       PdComputeListingArgs *args,
		       GArray *listed)
{
	guint slice = MAX(args->slice, 1);
	guint len = listed->len;

	for (guint off = 0; off < doms->len; off += slice) {
		guint n = MIN(slice, doms->len - off);
		g_autofree virDomainPtr *part = g_new0(virDomainPtr, n + 1);
		virDomainStatsRecordPtr *records = NULL;
		gint got;

		memcpy(part, doms->pdata + off, n * sizeof(virDomainPtr));
		/* a domain gone since the first answer is left out */
		got = virDomainListGetStats(part, VIR_DOMAIN_STATS_STATE, &records, 0);
		if (got < 0 && pd_compute_last_error_code() == VIR_ERR_NO_SUPPORT) {
			pd_compute_list_each(listed, doms, off, keep_asked);
			break;
		}
		if (got < 0) {
			if (keep_asked)
				pd_compute_listed_forget(listed, len, doms);
			g_array_set_size(listed, len);
			return FALSE;
		}
		args->largest_answer = MAX(args->largest_answer, (guint)got);
		args->records += (guint)got;
		pd_compute_listing_take_records_full(
		  listed,
		  records,
		  got,
		  part,
		  uuids != NULL ? uuids + (gsize)off * VIR_UUID_BUFLEN : NULL,
		  n,
		  keep_asked);
		for (guint i = off; i < off + n && free_dom != NULL; i++)
			g_clear_pointer(&g_ptr_array_index(doms, i), free_dom);
	}
	return TRUE;
}

/* the domains matching @flags that @args keeps, and their states, into
 * @listed: the handles in one answer, then the states (see above). FALSE:
 * nothing added (see list_handles()) */
static gboolean
pd_compute_list_slices(virConnectPtr conn, guint flags, PdComputeListingArgs *args, GArray *listed)
{
	g_autofree guchar *uuids = NULL;
	g_autoptr(GPtrArray) doms = pd_compute_list_handles(conn, flags, args, &uuids, NULL);

	return doms != NULL &&
	       pd_compute_list_states(doms, uuids, pd_compute_dom_free, FALSE, args, listed);
}

/* the states of @held (known handles, borrowed, the listing's with
 * @args->keep_known) and of @owned (released as their states come) in a
 * new listing; NULL on a failure, the known handles left to their owner */
static GArray *
pd_compute_list_held_and_owned(GPtrArray *held,
			       const guchar *held_uuids,
			       GPtrArray *owned,
			       const guchar *owned_uuids,
			       PdComputeListingArgs *args)
{
	g_autoptr(GArray) listed = g_array_new(FALSE, TRUE, sizeof(PdComputeListed));

	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listing_clear);
	if (!pd_compute_list_states(held, held_uuids, NULL, args->keep_known, args, listed))
		return NULL;
	if (!pd_compute_list_states(owned, owned_uuids, pd_compute_dom_free, FALSE, args, listed)) {
		if (args->keep_known)
			pd_compute_listed_forget(listed, 0, held);
		return NULL;
	}
	return g_steal_pointer(&listed);
}

/* @doms (with raw UUIDs @uuids) whose domain @args->known holds a handle
 * of are asked with that one (their own released at once: the kept one
 * keeps its snapshots), the others with their own */
static GArray *
pd_compute_list_known(GPtrArray *doms, const guchar *uuids, PdComputeListingArgs *args)
{
	g_autoptr(GPtrArray) held = g_ptr_array_new();
	g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(pd_compute_dom_free);
	g_autoptr(GByteArray) held_uuids = g_byte_array_new();
	g_autoptr(GByteArray) owned_uuids = g_byte_array_new();

	for (guint i = 0; i < doms->len; i++) {
		const guchar *uuid = uuids + (gsize)i * VIR_UUID_BUFLEN;
		virDomainPtr known = g_hash_table_lookup(args->known, uuid);
		virDomainPtr dom = g_steal_pointer(&g_ptr_array_index(doms, i));

		if (known != NULL) {
			virDomainFree(dom);
			g_ptr_array_add(held, known);
			g_byte_array_append(held_uuids, uuid, VIR_UUID_BUFLEN);
		} else {
			g_ptr_array_add(owned, dom);
			g_byte_array_append(owned_uuids, uuid, VIR_UUID_BUFLEN);
		}
	}
	return pd_compute_list_held_and_owned(
	  held, held_uuids->data, owned, owned_uuids->data, args);
}

static void
pd_compute_listed_dedupe(GArray *listed);

/* The states one listing's filters tell apart: a listing of the handles
 * of each holds the state without asking it. A state answer gives every
 * domain a second handle, one of the two released: libvirt formats the
 * UUID twice in a release (its debug line and the handle's dispose), about
 * 16,400 instructions, N/2 releases a pipeline a listing. -1: the states
 * of those (crashed, blocked, suspended...: rare) are asked. */
static const struct {
	guint flag;
	gint state;
} pd_compute_state_filters[] = {
	{ VIR_CONNECT_LIST_DOMAINS_RUNNING, VIR_DOMAIN_RUNNING },
	{ VIR_CONNECT_LIST_DOMAINS_PAUSED, VIR_DOMAIN_PAUSED },
	{ VIR_CONNECT_LIST_DOMAINS_SHUTOFF, VIR_DOMAIN_SHUTOFF },
	{ VIR_CONNECT_LIST_DOMAINS_OTHER, -1 },
};

/* @doms (with raw UUIDs @uuids, NULL: not read), all in @state, into
 * @listed, their handles taken */
static void
pd_compute_list_take_handles(GArray *listed, GPtrArray *doms, const guchar *uuids, gint state)
{
	for (guint i = 0; i < doms->len; i++) {
		virDomainPtr dom = g_ptr_array_index(doms, i);
		PdComputeListed l = { NULL };

		l.state = state;
		if (uuids != NULL)
			memcpy(l.uuid, uuids + (gsize)i * VIR_UUID_BUFLEN, VIR_UUID_BUFLEN);
		else if (virDomainGetUUID(dom, l.uuid) < 0)
			continue;
		l.dom = g_steal_pointer(&g_ptr_array_index(doms, i));
		g_array_append_val(listed, l);
	}
}

/* the listing's domains that @args->known holds a handle of take that one
 * (the listing's own released): the caller hands their ownership over.
 * Only where the shard filter read the UUIDs, as pd_compute_list_all() */
static void
pd_compute_list_use_known(GArray *listed, PdComputeListingArgs *args)
{
	gboolean use = args->keep_known && args->known != NULL && args->keep != NULL;

	for (guint i = 0; use && i < listed->len; i++) {
		PdComputeListed *l = &g_array_index(listed, PdComputeListed, i);
		virDomainPtr known = g_hash_table_lookup(args->known, l->uuid);
		if (known != NULL) {
			virDomainFree(l->dom);
			l->dom = known;
		}
	}
}

/* TRUE: one of the @n raw UUIDs at @first, @stride bytes apart, is there
 * twice */
static gboolean
pd_compute_uuids_have_twice(const guchar *first, guint n, gsize stride)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(pd_compute_uuid_hash, pd_compute_uuid_equal);

	for (guint i = 0; i < n; i++) {
		if (!g_hash_table_add(seen, (gpointer)(first + i * stride)))
			return TRUE;
	}
	return FALSE;
}

/* TRUE: a domain is in two answers of a listing (@listed, or the UUIDs
 * @args->roster took from @before on when there is one: it holds every
 * UUID answered, the listing's among them). The listing keeps its own
 * shard's domains only: one of another shard in two answers (it stopped
 * between them, while another started: the count adds up) would be taken
 * twice by that shard, with the same handle */
static gboolean
pd_compute_listing_has_twice(GArray *listed, PdComputeListingArgs *args, guint before)
{
	if (args->roster != NULL)
		return pd_compute_uuids_have_twice(args->roster->data + before,
						   (args->roster->len - before) / VIR_UUID_BUFLEN,
						   VIR_UUID_BUFLEN);
	/* no element: the array may have no data to offset */
	if (listed->len == 0)
		return FALSE;
	return pd_compute_uuids_have_twice((const guchar *)listed->data +
					     G_STRUCT_OFFSET(PdComputeListed, uuid),
					   listed->len,
					   sizeof(PdComputeListed));
}

/* a state byte for each UUID @args->roster took from @from on */
static void
pd_compute_roster_add_states(PdComputeListingArgs *args, guint from, gint state)
{
	guint8 b = state >= 0 ? (guint8)state : PD_COMPUTE_STATE_UNKNOWN;

	if (args->roster == NULL || args->roster_states == NULL)
		return;
	for (guint off = from; off < args->roster->len; off += VIR_UUID_BUFLEN)
		g_byte_array_append(args->roster_states, &b, 1);
}

/* past one answer's limit, each state's answer is split into the
 * persistent domains and the transient ones (each answer within the limit,
 * else the listing in slices below) */
static const guint pd_compute_split_prefixes[] = {
	VIR_CONNECT_LIST_DOMAINS_PERSISTENT,
	VIR_CONNECT_LIST_DOMAINS_TRANSIENT,
};

/* every domain @args keeps and its state, by the listing's filters (one
 * answer of handles each, no state answer), each state's answer split by
 * @prefixes (flags each answer also carries: 0 for none); NULL when the
 * answers do not add up to @expected domains, each once (a domain defined,
 * undefined or changing state between them: the caller asks the states
 * instead; with a roster its UUIDs are checked, which hold the shard's
 * listing's and the other shards'), one failed, or one carried more than
 * @args->list_max */
static GArray *
pd_compute_list_by_state(virConnectPtr conn,
			 guint expected,
			 const guint *prefixes,
			 guint n_prefixes,
			 PdComputeListingArgs *args)
{
	g_autoptr(GArray) listed = g_array_new(FALSE, TRUE, sizeof(PdComputeListed));
	guint answered = 0, before = args->roster != NULL ? args->roster->len : 0;
	guint n_answers = G_N_ELEMENTS(pd_compute_state_filters) * n_prefixes;
	gboolean failed = FALSE;

	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listing_clear);
	/* state by state, each split by the prefixes */
	for (guint a = 0; !failed && a < n_answers; a++) {
		guint f = a / n_prefixes;
		guint rostered = args->roster != NULL ? args->roster->len : 0;
		g_autofree guchar *uuids = NULL;
		g_autoptr(GPtrArray) doms = pd_compute_list_handles(
		  conn,
		  pd_compute_state_filters[f].flag | prefixes[a % n_prefixes],
		  args,
		  &uuids,
		  &answered);
		gint state = pd_compute_state_filters[f].state;

		/* each domain the roster took, with its answer's state */
		pd_compute_roster_add_states(args, rostered, state);

		failed = doms == NULL;
		/* the other states (rare) are asked, in slices as before */
		if (!failed && state < 0)
			failed = !pd_compute_list_states(
			  doms, uuids, pd_compute_dom_free, FALSE, args, listed);
		else if (!failed)
			pd_compute_list_take_handles(listed, doms, uuids, state);
		if (a == 0 && args->between != NULL)
			args->between(conn, args->between_data);
	}
	if (failed || answered != expected || pd_compute_listing_has_twice(listed, args, before)) {
		if (args->roster != NULL)
			g_byte_array_set_size(args->roster, before);
		if (args->roster_states != NULL)
			g_byte_array_set_size(args->roster_states, before / VIR_UUID_BUFLEN);
		virResetLastError();
		return NULL;
	}
	if (args->listed != NULL)
		args->listed(args);
	pd_compute_list_use_known(listed, args);
	return g_steal_pointer(&listed);
}

/* every domain on @conn that @args keeps, and its state (see above) */
static GArray *
pd_compute_list_all(virConnectPtr conn, guint expected, PdComputeListingArgs *args)
{
	g_autoptr(GArray) listed = g_array_new(FALSE, TRUE, sizeof(PdComputeListed));
	g_autofree guchar *uuids = NULL;
	g_autoptr(GPtrArray) doms = NULL;

	static const guint none = 0;
	GArray *by_state = pd_compute_list_by_state(conn, expected, &none, 1, args);

	if (by_state != NULL)
		return by_state;
	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listing_clear);
	doms = pd_compute_list_handles(conn, 0, args, &uuids, NULL);
	if (doms == NULL)
		return NULL;
	if (args->listed != NULL)
		args->listed(args);
	if (args->keep_known && args->known != NULL && uuids != NULL)
		return pd_compute_list_known(doms, uuids, args);
	if (!pd_compute_list_states(doms, uuids, pd_compute_dom_free, FALSE, args, listed))
		return NULL;
	return g_steal_pointer(&listed);
}

GHashTable *
pd_compute_listing_index(GArray *listed)
{
	GHashTable *index = g_hash_table_new(pd_compute_uuid_hash, pd_compute_uuid_equal);

	for (guint i = 0; i < listed->len; i++) {
		PdComputeListed *l = &g_array_index(listed, PdComputeListed, i);
		g_hash_table_insert(index, l->uuid, l->dom);
	}
	return index;
}

GByteArray *
pd_compute_listing_with_changed(GByteArray *roster, GHashTable *changed)
{
	GByteArray *want = g_byte_array_sized_new(roster->len);
	g_autoptr(GHashTable) listed = NULL;
	GHashTableIter iter;
	gpointer uuid;

	g_byte_array_append(want, roster->data, roster->len);
	if (changed == NULL || g_hash_table_size(changed) == 0)
		return want;
	listed = g_hash_table_new(pd_compute_uuid_hash, pd_compute_uuid_equal);
	for (guint off = 0; off < roster->len; off += VIR_UUID_BUFLEN)
		g_hash_table_add(listed, roster->data + off);
	g_hash_table_iter_init(&iter, changed);
	while (g_hash_table_iter_next(&iter, &uuid, NULL)) {
		if (!g_hash_table_contains(listed, uuid))
			g_byte_array_append(want, uuid, VIR_UUID_BUFLEN);
	}
	return want;
}

GArray *
pd_compute_listing_from_uuids(virConnectPtr conn,
			      const guchar *uuids,
			      guint n,
			      const guint8 *states,
			      guint n_states,
			      GHashTable *changed,
			      GHashTable *known,
			      PdComputeListingArgs *args)
{
	g_autoptr(GPtrArray) held = g_ptr_array_new();
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(pd_compute_dom_free);
	g_autoptr(GByteArray) held_uuids = g_byte_array_new();
	g_autoptr(GByteArray) found_uuids = g_byte_array_new();
	/* held handles whose state the roster gave: borrowed as the asked
	 * ones are with keep_known (no clear function: nothing of theirs is
	 * released here) */
	g_autoptr(GArray) stated = g_array_new(FALSE, TRUE, sizeof(PdComputeListed));
	GArray *listed;

	for (guint i = 0; i < n; i++) {
		const guchar *uuid = uuids + (gsize)i * VIR_UUID_BUFLEN;
		virDomainPtr dom;
		gboolean stated_here;

		if (args->keep != NULL && !args->keep(uuid, args->keep_data))
			continue;
		dom = known != NULL ? g_hash_table_lookup(known, uuid) : NULL;
		/* the state as the roster's listing answered it: no state
		 * answer a domain (its second handle released formats the UUID
		 * twice), unless an event came for it since */
		stated_here = dom != NULL && args->keep_known && states != NULL && i < n_states &&
			      states[i] != PD_COMPUTE_STATE_UNKNOWN &&
			      (changed == NULL || !g_hash_table_contains(changed, uuid));
		if (stated_here) {
			PdComputeListed l = { NULL };
			memcpy(l.uuid, uuid, VIR_UUID_BUFLEN);
			l.state = states[i];
			l.dom = dom;
			g_array_append_val(stated, l);
			continue;
		}
		if (dom != NULL) {
			g_ptr_array_add(held, dom);
			g_byte_array_append(held_uuids, uuid, VIR_UUID_BUFLEN);
			continue;
		}
		args->lookups++;
		dom = virDomainLookupByUUID(conn, uuid);
		if (dom == NULL && pd_compute_last_error_code() != VIR_ERR_NO_DOMAIN)
			return NULL;
		/* NULL: gone meanwhile */
		if (dom == NULL)
			continue;
		g_ptr_array_add(found, dom);
		g_byte_array_append(found_uuids, uuid, VIR_UUID_BUFLEN);
	}
	virResetLastError();
	listed =
	  pd_compute_list_held_and_owned(held, held_uuids->data, found, found_uuids->data, args);
	if (listed == NULL)
		return NULL;
	args->stated += stated->len;
	/* the handles are the new listing's as the asked ones' are */
	g_array_append_vals(listed, stated->data, stated->len);
	return listed;
}

/* the running domains beyond one answer, by ID */
typedef struct {
	virConnectPtr conn;
	GArray *listed;	   /* where they go */
	GHashTable *uuids; /* raw UUIDs listed so far: each domain once */
	GHashTable *old;   /* ID -> handle, from the last cycle */
	GHashTable *next;  /* ID -> handle, for the next cycle */
	guint found;	   /* running domains listed (or found another shard's) */
	gint max_id;
	const PdComputeListingArgs *args;
} PdComputeById;

/* the states of @ids' handles, in answers of a bounded size; the running
 * ones are listed (once by UUID) and their handles kept for the next cycle
 * (@answered: IDs of the listing's answer, only the handles of the domains
 * the shard keeps), the others (stopped since, or started again under
 * another ID) dropped */
static gboolean
pd_compute_by_id_states(PdComputeById *b, GArray *ids, GPtrArray *doms, gboolean answered)
{
	g_autoptr(GHashTable) added =
	  g_hash_table_new_full(pd_compute_uuid_hash, pd_compute_uuid_equal, g_free, NULL);

	for (guint off = 0; off < doms->len; off += PD_COMPUTE_STATE_CHUNK) {
		guint n = MIN(PD_COMPUTE_STATE_CHUNK, doms->len - off);
		g_autofree virDomainPtr *slice = g_new0(virDomainPtr, n + 1);
		virDomainStatsRecordPtr *records = NULL;
		gint got;

		memcpy(slice, doms->pdata + off, n * sizeof(virDomainPtr));
		got = virDomainListGetStats(slice, VIR_DOMAIN_STATS_STATE, &records, 0);
		if (got < 0)
			return FALSE;
		for (gint i = 0; i < got; i++) {
			PdComputeListed l = { NULL };
			if (!pd_compute_listing_set(
			      &l, records[i]->dom, records[i]->params, records[i]->nparams))
				continue;
			if (l.state == VIR_DOMAIN_SHUTOFF ||
			    g_hash_table_contains(b->uuids, l.uuid)) {
				pd_compute_listing_clear(&l);
				continue;
			}
			g_hash_table_add(b->uuids, g_memdup2(l.uuid, VIR_UUID_BUFLEN));
			g_hash_table_add(added, g_memdup2(l.uuid, VIR_UUID_BUFLEN));
			g_array_append_val(b->listed, l);
			b->found++;
		}
		virDomainStatsRecordListFree(records);
	}
	for (guint i = 0; i < doms->len; i++) {
		guchar uuid[VIR_UUID_BUFLEN];
		virDomainPtr dom = g_ptr_array_index(doms, i);
		gpointer id = GINT_TO_POINTER(g_array_index(ids, gint, i));
		if (virDomainGetUUID(dom, uuid) < 0 || !g_hash_table_contains(added, uuid)) {
			virDomainFree(dom);
		} else if (answered && b->args->keep != NULL &&
			   !b->args->keep(uuid, b->args->keep_data)) {
			g_hash_table_insert(b->next, id, PD_COMPUTE_OTHER_SHARD);
			virDomainFree(dom);
		} else {
			g_hash_table_insert(b->next, id, dom);
		}
	}
	return TRUE;
}

/* the IDs the listing gave: handles kept from the last cycle, or looked
 * up (a lookup by ID is a scan of every domain in libvirt's test driver,
 * so only new IDs are looked up). Another shard's running domain keeps its
 * ID only, no handle: an ID is not handed out again while libvirtd runs,
 * and this answer lists the running ones. */
static gboolean
pd_compute_by_id_listed(PdComputeById *b, guint list_max)
{
	g_autofree gint *ids = g_new(gint, list_max);
	gint n_ids = virConnectListDomains(b->conn, ids, (gint)list_max);
	g_autoptr(GArray) batch_ids = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autoptr(GPtrArray) batch = g_ptr_array_new();

	if (n_ids < 0)
		return FALSE;
	for (gint i = 0; i < n_ids; i++) {
		gpointer dom = NULL;
		b->max_id = MAX(b->max_id, ids[i]);
		if (!g_hash_table_steal_extended(b->old, GINT_TO_POINTER(ids[i]), NULL, &dom))
			dom = virDomainLookupByID(b->conn, ids[i]);
		/* NULL: stopped meanwhile */
		if (dom == NULL)
			continue;
		if (dom == PD_COMPUTE_OTHER_SHARD) {
			g_hash_table_insert(b->next, GINT_TO_POINTER(ids[i]), dom);
			b->found++;
			continue;
		}
		g_array_append_val(batch_ids, ids[i]);
		g_ptr_array_add(batch, dom);
	}
	return pd_compute_by_id_states(b, batch_ids, batch, TRUE);
}

/* the IDs the listing left out: those the last cycle found, then new ones
 * tried one by one (IDs are handed out in order: up to 1024 past the
 * highest known) */
static gboolean
pd_compute_by_id_rest(PdComputeById *b, guint n_active)
{
	g_autoptr(GArray) batch_ids = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autoptr(GPtrArray) batch = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, b->old);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		gint id = GPOINTER_TO_INT(key);
		g_hash_table_iter_steal(&iter);
		b->max_id = MAX(b->max_id, id);
		/* another shard's, not in this listing's answer (the answer
		 * past the limit holds the same IDs from cycle to cycle): looked
		 * up again below, its handle kept as the others' here are */
		if (value == PD_COMPUTE_OTHER_SHARD)
			continue;
		g_array_append_val(batch_ids, id);
		g_ptr_array_add(batch, value);
	}
	if (!pd_compute_by_id_states(b, batch_ids, batch, FALSE))
		return FALSE;
	for (gint id = 0; b->found < n_active && id <= b->max_id + 1024; id++) {
		g_autoptr(GArray) one_id = NULL;
		g_autoptr(GPtrArray) one = NULL;
		virDomainPtr dom;

		if (g_hash_table_contains(b->next, GINT_TO_POINTER(id)))
			continue;
		dom = virDomainLookupByID(b->conn, id);
		if (dom == NULL)
			continue;
		b->max_id = MAX(b->max_id, id);
		one_id = g_array_new(FALSE, FALSE, sizeof(gint));
		one = g_ptr_array_new();
		g_array_append_val(one_id, id);
		g_ptr_array_add(one, dom);
		if (!pd_compute_by_id_states(b, one_id, one, FALSE))
			return FALSE;
	}
	virResetLastError();
	return TRUE;
}

/* the running domains when there are more than one answer carries; the
 * handles are kept by ID in @by_id from cycle to cycle */
static gboolean
pd_compute_list_active_by_id(virConnectPtr conn,
			     guint n_active,
			     const PdComputeListingArgs *args,
			     GHashTable **by_id,
			     GArray *listed)
{
	g_autoptr(GHashTable) uuids =
	  g_hash_table_new_full(pd_compute_uuid_hash, pd_compute_uuid_equal, g_free, NULL);
	g_autoptr(GHashTable) old = g_steal_pointer(by_id);
	g_autoptr(GHashTable) next = g_hash_table_new_full(NULL, NULL, NULL, pd_compute_dom_free);
	PdComputeById b = { conn, listed, uuids, NULL, next, 0, 0, args };

	if (old == NULL)
		old = g_hash_table_new_full(NULL, NULL, NULL, pd_compute_dom_free);
	b.old = old;
	if (!pd_compute_by_id_listed(&b, args->list_max) || !pd_compute_by_id_rest(&b, n_active))
		return FALSE;
	g_debug("listing: %u running domains by ID", b.found);
	*by_id = g_steal_pointer(&next);
	return TRUE;
}

/* the filters the running domains' listing is split by when it does not
 * fit one answer: persistent or transient, then running, paused or other */
static const guint pd_compute_split_dims[][3] = {
	{ VIR_CONNECT_GET_ALL_DOMAINS_STATS_PERSISTENT,
	  VIR_CONNECT_GET_ALL_DOMAINS_STATS_TRANSIENT,
	  0 },
	{ VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING,
	  VIR_CONNECT_GET_ALL_DOMAINS_STATS_PAUSED,
	  VIR_CONNECT_GET_ALL_DOMAINS_STATS_OTHER },
};

/* the running domains matching @flags into @out, in one answer of handles
 * (then their states in slices), or in answers split by the filters from
 * @dim on; FALSE when one still does not fit (libvirtd refuses it;
 * @args->list_max checks it here too, for tests) */
static gboolean
pd_compute_list_split(virConnectPtr conn,
		      guint flags,
		      guint dim,
		      PdComputeListingArgs *args,
		      GArray *out)
{
	if (pd_compute_list_slices(conn, VIR_CONNECT_LIST_DOMAINS_ACTIVE | flags, args, out))
		return TRUE;
	/* a connection that is gone is no reason to split */
	if (dim >= G_N_ELEMENTS(pd_compute_split_dims) || virConnectIsAlive(conn) != 1)
		return FALSE;
	for (guint i = 0; i < 3 && pd_compute_split_dims[dim][i] != 0; i++) {
		if (!pd_compute_list_split(
		      conn, flags | pd_compute_split_dims[dim][i], dim + 1, args, out))
			return FALSE;
	}
	return TRUE;
}

/* the running domains past one answer, split by filters (no lookup by ID,
 * which libvirt's test driver answers with a scan of every domain); FALSE:
 * some filter still matches too many, nothing added */
static gboolean
pd_compute_list_active_split(virConnectPtr conn, PdComputeListingArgs *args, GArray *listed)
{
	g_autoptr(GArray) part = g_array_new(FALSE, TRUE, sizeof(PdComputeListed));

	g_array_set_clear_func(part, (GDestroyNotify)pd_compute_listing_clear);
	/* all running ones in one answer is known not to fit */
	for (guint i = 0; i < 3 && pd_compute_split_dims[0][i] != 0; i++) {
		if (!pd_compute_list_split(conn, pd_compute_split_dims[0][i], 1, args, part)) {
			virResetLastError();
			return FALSE;
		}
	}
	g_debug("listing: %u running domains in answers split by filters", part->len);
	for (guint i = 0; i < part->len; i++) {
		g_array_append_val(listed, g_array_index(part, PdComputeListed, i));
		memset(&g_array_index(part, PdComputeListed, i), 0, sizeof(PdComputeListed));
	}
	return TRUE;
}

/* A listing in several answers sees each domain at another moment: one
 * started after the inactive ones were answered, or paused between the
 * running and the paused answer, is in two of them. The later answer
 * stands: a discovery gives each domain once a run (the engine keeps no set
 * of the ids a discovery in parts gives). */
static void
pd_compute_listed_dedupe(GArray *listed)
{
	g_autoptr(GHashTable) last = g_hash_table_new(pd_compute_uuid_hash, pd_compute_uuid_equal);
	g_autofree gboolean *keep = NULL;
	guint w = 0;

	for (guint i = 0; i < listed->len; i++)
		g_hash_table_insert(
		  last, g_array_index(listed, PdComputeListed, i).uuid, GUINT_TO_POINTER(i));
	if (g_hash_table_size(last) == listed->len)
		return;
	/* decided before anything moves: the table's keys point into @listed */
	keep = g_new(gboolean, listed->len);
	for (guint i = 0; i < listed->len; i++)
		keep[i] = GPOINTER_TO_UINT(g_hash_table_lookup(
			    last, g_array_index(listed, PdComputeListed, i).uuid)) == i;
	for (guint i = 0; i < listed->len; i++) {
		PdComputeListed *l = &g_array_index(listed, PdComputeListed, i);
		if (!keep[i])
			pd_compute_listing_clear(l);
		else
			g_array_index(listed, PdComputeListed, w++) = *l;
	}
	/* the entries past @w were moved or cleared above */
	g_array_set_clear_func(listed, NULL);
	g_array_set_size(listed, w);
	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listing_clear);
}

/* past PD_COMPUTE_RPC_LIST_MAX domains: the inactive ones in one answer,
 * the running ones in answers split by filters, else by ID (each answer of
 * handles followed by their states in slices) */
static GArray *
pd_compute_list_sliced(virConnectPtr conn,
		       gint n_active,
		       gint n_inactive,
		       GHashTable **by_id,
		       PdComputeListingArgs *args)
{
	g_autoptr(GArray) listed = g_array_new(FALSE, TRUE, sizeof(PdComputeListed));

	g_array_set_clear_func(listed, (GDestroyNotify)pd_compute_listing_clear);
	if (n_inactive > 0 &&
	    !pd_compute_list_slices(conn, VIR_CONNECT_LIST_DOMAINS_INACTIVE, args, listed))
		return NULL;
	if (args->between != NULL)
		args->between(conn, args->between_data);
	if ((guint)n_active <= args->list_max) {
		if (!pd_compute_list_slices(conn, VIR_CONNECT_LIST_DOMAINS_ACTIVE, args, listed))
			return NULL;
	} else if (pd_compute_list_active_split(conn, args, listed)) {
		g_clear_pointer(by_id, g_hash_table_unref);
	} else if (!pd_compute_list_active_by_id(conn, (guint)n_active, args, by_id, listed)) {
		return NULL;
	}
	pd_compute_listed_dedupe(listed);
	return g_steal_pointer(&listed);
}

static gboolean
pd_compute_by_id_is_of(GHashTable *by_id, virConnectPtr conn)
{
	GHashTableIter iter;
	gpointer dom;

	/* IDs of other shards' domains alone tell no connection: dropped */
	g_hash_table_iter_init(&iter, by_id);
	while (g_hash_table_iter_next(&iter, NULL, &dom)) {
		if (dom != PD_COMPUTE_OTHER_SHARD)
			return virDomainGetConnect(dom) == conn;
	}
	return g_hash_table_size(by_id) == 0;
}

/* @by_id: the handles kept by ID by an earlier listing on this pipeline */
GArray *
pd_compute_listing_list(virConnectPtr conn, GHashTable **by_id, PdComputeListingArgs *args)
{
	gint n_active = virConnectNumOfDomains(conn);
	gint n_inactive = n_active >= 0 ? virConnectNumOfDefinedDomains(conn) : -1;

	if (n_active < 0 || n_inactive < 0)
		return NULL;
	if ((guint)(n_active + n_inactive) > args->list_max) {
		GArray *by_state = NULL;

		if (!args->no_split_by_state)
			by_state = pd_compute_list_by_state(conn,
							    (guint)(n_active + n_inactive),
							    pd_compute_split_prefixes,
							    G_N_ELEMENTS(pd_compute_split_prefixes),
							    args);

		if (by_state != NULL) {
			g_clear_pointer(by_id, g_hash_table_unref);
			return by_state;
		}
		/* handles of an older connection are no use on this one */
		if (*by_id != NULL && !pd_compute_by_id_is_of(*by_id, conn))
			g_clear_pointer(by_id, g_hash_table_unref);
		return pd_compute_list_sliced(conn, n_active, n_inactive, by_id, args);
	}
	g_clear_pointer(by_id, g_hash_table_unref);
	return pd_compute_list_all(conn, (guint)(n_active + n_inactive), args);
}

guint
pd_compute_listing_by_id_handles(GHashTable *by_id)
{
	GHashTableIter iter;
	gpointer dom;
	guint n = 0;

	g_hash_table_iter_init(&iter, by_id);
	while (g_hash_table_iter_next(&iter, NULL, &dom))
		n += dom != PD_COMPUTE_OTHER_SHARD;
	return n;
}
