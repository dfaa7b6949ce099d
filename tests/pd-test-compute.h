/*
 * polld - what the compute tests share: libvirt test driver domain files
 * (tests/gen-domains.py) and the meters the test driver can't feed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libvirt/libvirt.h>

#include "pd-compute-pool.h"
#include "polld.h"

#include <glib.h>

G_BEGIN_DECLS

/* the meters the test driver can't feed (memory.*, latency, perf), NULL-terminated */
extern const gchar *const pd_test_compute_unfed_meters[];

gchar *
pd_test_compute_gen_domains(const gchar *dir, const gchar *const *options);

/* domains.xml in @dir with @domains running domains, none plain */
gchar *
pd_test_compute_gen_running(const gchar *dir, guint domains);

/* one discovery run in parts, to its end: @part_func gets each part on this
 * thread; returns what no part carried (fails the test on an error) */
GPtrArray *
pd_test_compute_discover_parts(PdDiscovery *discovery,
			       PdCycleCache *cache,
			       PdDiscoveryPartFunc part_func,
			       gpointer part_data);

/* Nova's metadata on a running domain (live): instance @name, @flavor_xml
 * the <flavor> element */
void
pd_test_compute_set_instance(virDomainPtr dom, const gchar *name, const gchar *flavor_xml);

/* a compute discovery on @pool, which gets @conn; a known domain's XML is
 * not read again for 600 s */
PdDiscovery *
pd_test_compute_discovery_new(PdComputePool *pool, virConnectPtr conn);

typedef struct _PdTestComputeParts PdTestComputeParts;

/* sees a part and the samples polled on it, before they are counted */
typedef void (*PdTestComputePartSeen)(PdTestComputeParts *pt,
				      GPtrArray *resources,
				      PdSampleBatch *batch);

/* a discovery run in parts whose every part a pollster polls as the engine
 * does: in a thread, for it waits for the pipeline's statistics */
struct _PdTestComputeParts {
	PdConfig *config;
	PdPollster *pollster;
	PdTestComputePartSeen seen; /* or NULL */
	/* of the last run */
	PdCycleCache *cache;
	GArray *sizes; /* of the parts, as they came */
	guint polled;  /* samples of the pollster on the parts */
	GPtrArray *rest;
};

void
pd_test_compute_parts_run(PdTestComputeParts *pt, PdDiscovery *discovery);
void
pd_test_compute_parts_clear(PdTestComputeParts *pt);

G_END_DECLS
