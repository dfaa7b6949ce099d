/*
 * polld tests - a parsed compute instance as text
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-compute-instance.h"

/* everything in @inst, one line a field; "NULL <message>" when @inst is
 * NULL (@error, if any, is the parse's). Free with g_free(). */
gchar *
pd_test_instance_dump(PdComputeInstance *inst, const GError *error);

/* @xml parsed the normal way and through libxml2's tree alone: their dumps
 * must be the same (asserted); returns whether the scanner's reading was
 * used, and the dump in @out unless it is NULL */
gboolean
pd_test_instance_parse_both(const gchar *xml, gsize len, gchar **out);
