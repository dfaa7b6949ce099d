/*
 * polld - malloc's settings for the daemon's allocation pattern
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* before any thread starts; an operator's own settings (MALLOC_*_ in the
 * environment, GLIBC_TUNABLES) win */
void
pd_malloc_setup(void);

G_END_DECLS
