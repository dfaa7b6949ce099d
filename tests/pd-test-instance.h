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
