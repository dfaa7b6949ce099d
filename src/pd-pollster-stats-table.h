/*
 * polld - what is known of each pollster, kept across cycles and reloads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct {
	gchar *name;
	gint64 last_run; /* wall clock us, 0 = never */
	gint64 last_duration_us;
	guint last_samples;
	gchar *last_error;
	guint64 runs;
	guint64 errors;
	guint64 samples;
	guint64 skipped; /* invocations not started: the previous one still ran */
	guint late_jobs; /* invocations that outlived their cycle and still run */
} PdPollsterStats;

#define PD_TYPE_POLLSTER_STATS_TABLE (pd_pollster_stats_table_get_type())
G_DECLARE_FINAL_TYPE(PdPollsterStatsTable,
		     pd_pollster_stats_table,
		     PD,
		     POLLSTER_STATS_TABLE,
		     GObject)

/* main thread only */
PdPollsterStatsTable *
pd_pollster_stats_table_new(void);
/* the entry for @name, created (zero) on first use */
PdPollsterStats *
pd_pollster_stats_table_lookup(PdPollsterStatsTable *self, const gchar *name);

G_END_DECLS
