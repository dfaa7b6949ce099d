/*
 * polld - the fingerprint of a domain's XML: what tells a re-read XML from
 * the one the discovery's cache was parsed from
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PD_COMPUTE_SUM_LEN 8

/* SipHash-2-4 of @data under a key drawn once per process */
void
pd_compute_sum_xml(const gchar *data, gsize len, guint8 out[PD_COMPUTE_SUM_LEN]);
/* for tests: SipHash-2-4 of @data under @key */
guint64
pd_compute_sum_siphash24(const guint8 key[16], const guint8 *data, gsize len);

G_END_DECLS
