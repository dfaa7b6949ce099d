/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "pd-error.h"

G_DEFINE_QUARK(pd - error - quark, pd_error)
