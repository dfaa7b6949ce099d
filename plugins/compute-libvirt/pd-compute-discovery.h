/*
 * polld - "local_instances": the Nova instances of the local libvirt
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-compute-pool.h"
#include "polld.h"

G_BEGIN_DECLS

#define PD_TYPE_COMPUTE_DISCOVERY (pd_compute_discovery_get_type())
G_DECLARE_FINAL_TYPE(PdComputeDiscovery, pd_compute_discovery, PD, COMPUTE_DISCOVERY, PdDiscovery)

PdDiscovery *
pd_compute_discovery_new(PdComputePool *pool);
/* @flavor_ids: "name:id" pairs for flavors whose id the XML lacks;
 * @release: [polld] ceilometer_compat (the metadata keys it has) */
void
pd_compute_discovery_configure(PdComputeDiscovery *self,
			       const gchar *host,
			       gchar **flavor_ids,
			       PdCeilometerRelease release);
/* Ceilometer's [compute] resource_update_interval and resource_cache_expiry,
 * in usec: a known domain's XML is read again after @update_interval (0:
 * every cycle), everything is forgotten and read again after @cache_expiry
 * (0: never). New domains, state changes and reconnections read at once. */
void
pd_compute_discovery_set_refresh(PdComputeDiscovery *self,
				 gint64 update_interval,
				 gint64 cache_expiry);
/* for tests: move the discovery's clock forward */
void
pd_compute_discovery_advance_clock(PdComputeDiscovery *self, gint64 usec);
/* for tests: the most domains one listing answer may carry (libvirtd's
 * 16,384), past which the listing goes in slices */
void
pd_compute_discovery_set_list_max(PdComputeDiscovery *self, guint list_max);
/* for tests: the most domains a listing asks the states of in one answer
 * (PD_COMPUTE_LIST_SLICE; the running ones found by ID past the limit go in
 * answers of their own) */
void
pd_compute_discovery_set_list_slice(PdComputeDiscovery *self, guint slice);
/* tests: FALSE lists past one answer's limit in slices only (no answers by
 * state split into persistent and transient domains first) */
void
pd_compute_discovery_set_list_split_by_state(PdComputeDiscovery *self, gboolean split);
/* for tests: the records of the listings' state answers in slices since
 * the last call, and in @largest the most one answer carried; both start
 * again from 0 */
guint
pd_compute_discovery_take_list_answers(PdComputeDiscovery *self, guint *largest);
/* for tests: @func(conn, @data) on the pipeline's thread between the
 * inactive domains' answer and the running ones' of a listing in slices,
 * and between the running domains' answer and the others' of a listing by
 * state */
void
pd_compute_discovery_set_between_answers(PdComputeDiscovery *self, GFunc func, gpointer data);
/* for tests: @func(conn, @data) on the first pipeline's thread once its
 * listing's handles are in, before the other pipelines take their shards
 * from it */
void
pd_compute_discovery_set_roster_hook(PdComputeDiscovery *self, GFunc func, gpointer data);
/* for tests: @func(@pipeline, @done, @data) on the pipeline's thread before
 * a first discovery's early part looks anything up (@done FALSE) and once
 * it has (@done TRUE) */
typedef void (*PdComputeEarlyHook)(guint pipeline, gboolean done, gpointer data);
void
pd_compute_discovery_set_early_hook(PdComputeDiscovery *self,
				    PdComputeEarlyHook func,
				    gpointer data);
/* for tests, between discoveries: TRUE when the last listing found running
 * domains by ID (past the limit, when no split by filters fit) */
gboolean
pd_compute_discovery_get_listed_by_id(PdComputeDiscovery *self);
/* for tests, between discoveries: the domain handles the pipelines keep by
 * ID (each its own shard's running domains past the limit) */
guint
pd_compute_discovery_get_by_id_handles(PdComputeDiscovery *self);
/* for tests: the parts the last run handed over, two guints each: the
 * domains in the part, and the XML reads done by then */
GArray *
pd_compute_discovery_get_parts(PdComputeDiscovery *self);
/* for tests: how many domains @pipeline's early part handed over before
 * its listing in the last run (0 when the run had no early part) */
guint
pd_compute_discovery_get_early(PdComputeDiscovery *self, guint pipeline);
/* for tests: how many ID listings @pipeline's early part made in the last
 * run (0 when an earlier early part had looked up its first domains) */
guint
pd_compute_discovery_get_early_listings(PdComputeDiscovery *self, guint pipeline);
/* for tests: TRUE when @pipeline's early part's wait in the last run ended
 * on a job queued (its statistics, or the wake-up once the caller was done
 * with the part), FALSE when it ran out or there was none */
gboolean
pd_compute_discovery_get_early_woken(PdComputeDiscovery *self, guint pipeline);
/* for tests: when @pipeline's shard of the last run began (monotonic
 * seconds, as samples' monotonic_time; 0 when it did not) */
gdouble
pd_compute_discovery_get_started_at(PdComputeDiscovery *self, guint pipeline);
/* for tests: when the last listing of every domain began (monotonic
 * seconds, as samples' monotonic_time) */
gdouble
pd_compute_discovery_get_listed_at(PdComputeDiscovery *self);
/* instances (or non-instance domains) remembered, for tests */
guint
pd_compute_discovery_get_cache_size(PdComputeDiscovery *self);

/* for tests: listings made by the pipelines so far, and in @kept how many
 * times a pipeline kept its last listing instead (no domain event) */
guint
pd_compute_discovery_get_listings(PdComputeDiscovery *self, guint *kept);
/* for tests: listings of every domain @pipeline made on its own
 * connection, and in @taken how many times it took its shard from the
 * first pipeline's listing of the run instead, with @lookups handles looked
 * up by UUID for domains new to it */
guint
pd_compute_discovery_get_pipeline_listings(PdComputeDiscovery *self,
					   guint pipeline,
					   guint *taken,
					   guint *lookups);
/* for tests: the domains since the last call whose state a pipeline took
 * from the first pipeline's listing by state (no state asked) */
guint
pd_compute_discovery_take_stated(PdComputeDiscovery *self);

G_END_DECLS
