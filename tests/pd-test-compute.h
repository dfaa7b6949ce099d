/*
 * polld - what the compute tests share: libvirt test driver domain files
 * (tests/gen-domains.py) and the meters the test driver can't feed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-discovery.h"

#include <glib.h>

G_BEGIN_DECLS

/* the meters the test driver can't feed (memory.*, latency, perf), NULL-terminated */
extern const gchar *const pd_test_compute_unfed_meters[];

gchar *
pd_test_compute_gen_domains(const gchar *dir, const gchar *const *options);

/* one discovery run in parts, to its end: @part_func gets each part on this
 * thread; returns what no part carried (fails the test on an error) */
GPtrArray *
pd_test_compute_discover_parts(PdDiscovery *discovery,
			       PdCycleCache *cache,
			       PdDiscoveryPartFunc part_func,
			       gpointer part_data);

G_END_DECLS
