/*
 * polld - resources a pollster cannot poll, per (source, pollster): not
 * offered to it again until a capped back-off has passed (a Swift account
 * or a zone that appears later is measured without a restart)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* the first re-probe, and the longest wait between two */
#define PD_BLACKLIST_RETRY_MIN_S 60
#define PD_BLACKLIST_RETRY_MAX_S 3600
/* for tests only (polld(8)): the first re-probe after this many seconds
 * instead of PD_BLACKLIST_RETRY_MIN_S, so a test need not wait a minute */
#define PD_BLACKLIST_RETRY_MIN_ENV "POLLD_TEST_REPROBE_MIN_SECONDS"

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
/* TRUE if newly added (logged at debug level only: callers summarise);
 * failing again after its back-off doubles it, up to
 * PD_BLACKLIST_RETRY_MAX_S, and returns FALSE: said once is enough */
gboolean
pd_blacklist_add(PdBlacklist *self,
		 const gchar *source,
		 const gchar *pollster,
		 const gchar *id,
		 const gchar *reason);
/* the same at @now_us (monotonic), for tests */
gboolean
pd_blacklist_contains_at(PdBlacklist *self,
			 const gchar *source,
			 const gchar *pollster,
			 const gchar *id,
			 gint64 now_us);
gboolean
pd_blacklist_add_at(PdBlacklist *self,
		    const gchar *source,
		    const gchar *pollster,
		    const gchar *id,
		    const gchar *reason,
		    gint64 now_us);
/* the first wait, in seconds */
guint
pd_blacklist_get_retry_min(PdBlacklist *self);
/* resources waiting for their re-probe for @pollster, all sources */
guint
pd_blacklist_get_size(PdBlacklist *self, const gchar *pollster);
/* additions since start */
guint64
pd_blacklist_get_added(PdBlacklist *self);

G_END_DECLS
