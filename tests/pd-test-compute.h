/*
 * polld - what the compute tests share: libvirt test driver domain files
 * (tests/gen-domains.py) and the meters the test driver can't feed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* the meters the test driver can't feed (memory.*, latency, perf), NULL-terminated */
extern const gchar *const pd_test_compute_unfed_meters[];

gchar *
pd_test_compute_gen_domains(const gchar *dir, const gchar *const *options);

G_END_DECLS
