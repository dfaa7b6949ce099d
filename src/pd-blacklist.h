/*
 * polld - resources a pollster can never poll, per (source, pollster)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PD_TYPE_BLACKLIST (pd_blacklist_get_type())
G_DECLARE_FINAL_TYPE(PdBlacklist, pd_blacklist, PD, BLACKLIST, GObject)

/* main thread only; kept across cycles and reloads */
PdBlacklist *
pd_blacklist_new(void);
gboolean
pd_blacklist_contains(PdBlacklist *self,
		      const gchar *source,
		      const gchar *pollster,
		      const gchar *id);
/* TRUE if newly added (logged at debug level only: callers summarise) */
gboolean
pd_blacklist_add(PdBlacklist *self,
		 const gchar *source,
		 const gchar *pollster,
		 const gchar *id,
		 const gchar *reason);
/* resources blacklisted for @pollster, all sources */
guint
pd_blacklist_get_size(PdBlacklist *self, const gchar *pollster);
/* additions since start */
guint64
pd_blacklist_get_added(PdBlacklist *self);

G_END_DECLS
