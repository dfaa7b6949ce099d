/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "pd-error.h"

/* not G_DEFINE_QUARK(): clang-format spaces out its dashed name, and so the quark's string */
GQuark
pd_error_quark(void)
{
	return g_quark_from_static_string("pd-error-quark");
}
