/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPollsterStatsTable"

#include "config.h"

#include "pd-pollster-stats-table.h"

struct _PdPollsterStatsTable {
	GObject parent_instance;
	GHashTable *stats; /* name -> PdPollsterStats */
};

G_DEFINE_TYPE(PdPollsterStatsTable, pd_pollster_stats_table, G_TYPE_OBJECT)

static void
pd_pollster_stats_free(PdPollsterStats *stats)
{
	g_free(stats->name);
	g_free(stats->last_error);
	g_free(stats);
}

PdPollsterStats *
pd_pollster_stats_table_lookup(PdPollsterStatsTable *self, const gchar *name)
{
	PdPollsterStats *stats = g_hash_table_lookup(self->stats, name);
	if (stats == NULL) {
		stats = g_new0(PdPollsterStats, 1);
		stats->name = g_strdup(name);
		g_hash_table_insert(self->stats, stats->name, stats);
	}
	return stats;
}

static void
pd_pollster_stats_table_finalize(GObject *obj)
{
	g_hash_table_unref(PD_POLLSTER_STATS_TABLE(obj)->stats);
	G_OBJECT_CLASS(pd_pollster_stats_table_parent_class)->finalize(obj);
}

static void
pd_pollster_stats_table_init(PdPollsterStatsTable *self)
{
	self->stats = g_hash_table_new_full(
	  g_str_hash, g_str_equal, NULL, (GDestroyNotify)pd_pollster_stats_free);
}

static void
pd_pollster_stats_table_class_init(PdPollsterStatsTableClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_pollster_stats_table_finalize;
}

PdPollsterStatsTable *
pd_pollster_stats_table_new(void)
{
	return g_object_new(PD_TYPE_POLLSTER_STATS_TABLE, NULL);
}
