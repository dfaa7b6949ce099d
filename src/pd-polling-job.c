/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPollingTask"

#include "config.h"

#include <string.h>

#include "pd-discovery-private.h"
#include "pd-polling-task-private.h"

/*
 * A job's resources: what it takes, each collection, from its source's own
 * list and the discoveries' runs of the cycle, once a cycle per pollster
 * (history, blacklist, partitioning), in slices for a worker-thread
 * pollster fed in parts.
 */

/* the history only matters to the pollster's entries in other sources:
 * without one, recording it would copy every resource id of every pollster
 * each cycle (14 x N strings) for nothing */
static gboolean
pd_job_history_needed(PdJob *job)
{
	GPtrArray *entries = job->task->entries;
	const gchar *name = pd_pollster_get_name(job->entry->pollster);

	for (guint i = 0; i < entries->len; i++) {
		PdTaskEntry *entry = g_ptr_array_index(entries, i);
		if (entry != job->entry && g_str_equal(pd_pollster_get_name(entry->pollster), name))
			return TRUE;
	}
	return FALSE;
}

/* at the job's first collection: the poll history when another source's
 * entry polls the same pollster, and a set of the ids the job took when it
 * takes from more than one origin (static resources, discoveries) and so
 * may meet a resource twice in two collections. A discovery's parts are
 * disjoint (each resource once per run): one origin needs neither. */
static void
pd_job_prepare_dedup(PdJob *job)
{
	PdSourceDef *source = job->entry->source;
	const gchar *pollster = pd_pollster_get_name(job->entry->pollster);
	guint origins = g_strv_length(source->discovery) + (source->resources[0] != NULL);

	if (job->dedup_ready)
		return;
	job->dedup_ready = TRUE;
	if (pd_job_history_needed(job)) {
		job->history = g_hash_table_lookup(job->cycle->history, pollster);
		if (job->history == NULL) {
			job->history = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
			g_hash_table_insert(job->cycle->history, g_strdup(pollster), job->history);
		}
	}
	if (origins > 1)
		job->taken = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

/* a resource goes to one invocation of a pollster per cycle, whatever the
 * source or discovery that found it; @seen: this collection's ids (NULL:
 * its one origin gives each once); @pollster: the job's pollster's name,
 * looked up once a collection, not once a resource */
static gboolean
pd_job_take_resource(PdJob *job,
		     GHashTable *seen,
		     PdResource *res,
		     const gchar *discovery,
		     const gchar *pollster)
{
	const gchar *id = pd_resource_get_id(res);

	if ((seen != NULL && g_hash_table_contains(seen, id)) ||
	    (job->history != NULL && g_hash_table_contains(job->history, id)) ||
	    (job->taken != NULL && g_hash_table_contains(job->taken, id)))
		return FALSE;
	if (pd_blacklist_contains(job->task->blacklist, job->entry->source->name, pollster, id))
		return FALSE;
	if (job->cycle->share != NULL &&
	    !job->cycle->share_ops->share_owns(
	      job->cycle->share, job->entry->source->name, discovery, res)) {
		g_hash_table_add(job->cycle->skipped, g_strdup(pd_resource_get_id(res)));
		return FALSE;
	}
	if (seen != NULL)
		g_hash_table_add(seen, (gpointer)id);
	if (job->history != NULL)
		g_hash_table_add(job->history, g_strdup(id));
	if (job->taken != NULL)
		g_hash_table_add(job->taken, g_strdup(id));
	return TRUE;
}

/* how many resources the discoveries in @names found since the job last
 * looked: its collection is sized for them at once (one array of thousands
 * of pointers a job, not one regrown by doubling every cycle) */
static guint
pd_job_count_discovered(PdJob *job, gchar **names)
{
	guint n = 0;

	for (guint i = 0; names != NULL && names[i] != NULL; i++) {
		PdDiscoveryRun *run = g_hash_table_lookup(job->cycle->discoveries, names[i]);
		if (run != NULL && run->resources != NULL)
			n += run->resources->len -
			     GPOINTER_TO_UINT(g_hash_table_lookup(job->cursors, run));
	}
	return n;
}

/* what the discoveries in @names found since the job last looked, up to
 * the job's slice (the cursor stops after the last one taken) */
static void
pd_job_add_discovered(PdJob *job, GPtrArray *out, GHashTable *seen, gchar **names)
{
	const gchar *pollster = pd_pollster_get_name(job->entry->pollster);

	for (guint i = 0; names != NULL && names[i] != NULL && out->len < job->slice; i++) {
		PdDiscoveryRun *run = g_hash_table_lookup(job->cycle->discoveries, names[i]);
		guint j;
		if (run == NULL || run->resources == NULL)
			continue;
		j = GPOINTER_TO_UINT(g_hash_table_lookup(job->cursors, run));
		for (; j < run->resources->len && out->len < job->slice; j++) {
			PdResource *res = g_ptr_array_index(run->resources, j);
			if (pd_job_take_resource(job, seen, res, names[i], pollster))
				g_ptr_array_add(out, pd_resource_ref(res));
		}
		g_hash_table_insert(job->cursors, run, GUINT_TO_POINTER(j));
	}
}

/* the discovery a source names as "discovery[:parameter]"; @param, when
 * not NULL, gets the parameter (NULL without one; free it) */
PdDiscovery *
pd_polling_job_find_discovery(PdJob *job, const gchar *name, gchar **param)
{
	const gchar *colon = strchr(name, ':');
	g_autofree gchar *plugin = colon != NULL ? g_strndup(name, (gsize)(colon - name)) : NULL;

	if (param != NULL)
		*param = colon != NULL ? g_strdup(colon + 1) : NULL;
	return g_hash_table_lookup(job->task->discoveries, plugin != NULL ? plugin : name);
}

/* one origin, a discovery in parts, meets each resource once a run: the
 * job needs no set of what a collection took (a hash of every id twice).
 * Two origins may meet the same resource, each once. */
static gboolean
pd_job_origin_gives_each_once(PdJob *job, gchar **names)
{
	PdDiscovery *discovery;

	if (names == NULL || names[0] == NULL || names[1] != NULL)
		return FALSE;
	discovery = pd_polling_job_find_discovery(job, names[0], NULL);
	return discovery != NULL && pd_discovery_gives_each_once(discovery);
}

/* How many resources one invocation takes. A worker-thread pollster fed by
 * one discovery in parts (which already calls it more than once a cycle)
 * takes at most PD_JOB_SLICE at a time and gives its worker back between
 * slices: the pool's threads (8 by default) then take turns among all the
 * jobs of the cycle (14 compute meters), instead of the last jobs starting
 * only once the first have polled every resource. With compute that kept
 * every domain's statistics alive until the last meters came; in slices
 * the meters go through the domains together, close behind the pipelines
 * that fetch them, and each record dies soon after it is fetched. */
#define PD_JOB_SLICE 256

static guint
pd_job_slice(PdJob *job, gboolean one_origin_in_parts)
{
	if (one_origin_in_parts && pd_pollster_is_synchronous(job->entry->pollster))
		return PD_JOB_SLICE;
	return G_MAXUINT;
}

/* the resources not taken yet: the source's own, then the discovered ones
 * (all so far, or the default discovery's; a slice of them, see above) */
GPtrArray *
pd_polling_job_collect_resources(PdJob *job, gboolean use_default)
{
	PdSourceDef *source = job->entry->source;
	g_autoptr(GHashTable) seen = NULL;
	gchar *defaults[] = { (gchar *)pd_pollster_get_default_discovery(job->entry->pollster),
			      NULL };
	gboolean once =
	  pd_job_origin_gives_each_once(job, use_default ? defaults : source->discovery);
	guint size = use_default ? pd_job_count_discovered(job, defaults)
				 : g_strv_length(source->resources) +
				     pd_job_count_discovered(job, source->discovery);
	GPtrArray *out;

	pd_job_prepare_dedup(job);
	/* a source's own list may name a resource twice (polled once) */
	if (job->taken != NULL ||
	    (!use_default && !job->static_taken && source->resources[0] != NULL) || !once)
		seen = g_hash_table_new(g_str_hash, g_str_equal);
	job->slice = pd_job_slice(job, once && job->taken == NULL);
	out = g_ptr_array_new_full(MIN(size, job->slice), (GDestroyNotify)pd_resource_unref);
	if (use_default) {
		pd_job_add_discovered(job, out, seen, defaults);
		return out;
	}
	for (guint i = 0; !job->static_taken && source->resources[i] != NULL; i++) {
		g_autoptr(PdResource) res = pd_resource_new(source->resources[i], NULL, NULL);
		if (pd_job_take_resource(
		      job, seen, res, NULL, pd_pollster_get_name(job->entry->pollster)))
			g_ptr_array_add(out, g_steal_pointer(&res));
	}
	job->static_taken = TRUE;
	pd_job_add_discovered(job, out, seen, source->discovery);
	return out;
}
