/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdBlacklist"

#include "config.h"

#include <string.h>

#include "pd-blacklist.h"

struct _PdBlacklist {
	GObject parent_instance;
	GHashTable *sets; /* "source\npollster" -> resource id -> PdBlacklistEntry */
	guint64 added;
	guint retry_min_s;
};

typedef struct {
	gint64 retry_at_us; /* monotonic: offered again from then on */
	guint wait_s;	    /* the back-off that ran out last */
} PdBlacklistEntry;

G_DEFINE_TYPE(PdBlacklist, pd_blacklist, G_TYPE_OBJECT)

static PdBlacklistEntry *
pd_blacklist_lookup(PdBlacklist *self, const gchar *source, const gchar *pollster, const gchar *id)
{
	g_autofree gchar *key = NULL;
	GHashTable *set;

	if (g_hash_table_size(self->sets) == 0)
		return NULL;
	key = g_strdup_printf("%s\n%s", source, pollster);
	set = g_hash_table_lookup(self->sets, key);
	return set != NULL ? g_hash_table_lookup(set, id) : NULL;
}

gboolean
pd_blacklist_contains_at(PdBlacklist *self,
			 const gchar *source,
			 const gchar *pollster,
			 const gchar *id,
			 gint64 now_us)
{
	PdBlacklistEntry *e = pd_blacklist_lookup(self, source, pollster, id);

	return e != NULL && now_us < e->retry_at_us;
}

gboolean
pd_blacklist_contains(PdBlacklist *self,
		      const gchar *source,
		      const gchar *pollster,
		      const gchar *id)
{
	/* asked once a resource a job: no clock read while nothing is listed */
	if (g_hash_table_size(self->sets) == 0)
		return FALSE;
	return pd_blacklist_contains_at(self, source, pollster, id, g_get_monotonic_time());
}

gboolean
pd_blacklist_add_at(PdBlacklist *self,
		    const gchar *source,
		    const gchar *pollster,
		    const gchar *id,
		    const gchar *reason,
		    gint64 now_us)
{
	g_autofree gchar *key = g_strdup_printf("%s\n%s", source, pollster);
	GHashTable *set = g_hash_table_lookup(self->sets, key);
	PdBlacklistEntry *e;

	if (set == NULL) {
		set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		g_hash_table_insert(self->sets, g_strdup(key), set);
	}
	e = g_hash_table_lookup(set, id);
	if (e != NULL) {
		/* still waiting (several calls of one cycle): nothing new */
		if (now_us < e->retry_at_us)
			return FALSE;
		e->wait_s = MIN(e->wait_s * 2, PD_BLACKLIST_RETRY_MAX_S);
		e->retry_at_us = now_us + (gint64)e->wait_s * G_USEC_PER_SEC;
		g_debug("pollster %s (source %s) still cannot poll resource %s, asking again in "
			"%u s: %s",
			pollster,
			source,
			id,
			e->wait_s,
			reason != NULL ? reason : "permanent error");
		return FALSE;
	}
	e = g_new0(PdBlacklistEntry, 1);
	e->wait_s = self->retry_min_s;
	e->retry_at_us = now_us + (gint64)e->wait_s * G_USEC_PER_SEC;
	g_hash_table_insert(set, g_strdup(id), e);
	self->added++;
	g_debug("pollster %s (source %s) cannot poll resource %s: %s",
		pollster,
		source,
		id,
		reason != NULL ? reason : "permanent error");
	return TRUE;
}

gboolean
pd_blacklist_add(PdBlacklist *self,
		 const gchar *source,
		 const gchar *pollster,
		 const gchar *id,
		 const gchar *reason)
{
	return pd_blacklist_add_at(self, source, pollster, id, reason, g_get_monotonic_time());
}

guint
pd_blacklist_get_size(PdBlacklist *self, const gchar *pollster)
{
	gint64 now = g_get_monotonic_time();
	GHashTableIter iter, inner;
	gpointer key, value, entry;
	guint n = 0;

	g_hash_table_iter_init(&iter, self->sets);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const gchar *nl = strchr(key, '\n');
		if (g_strcmp0(nl + 1, pollster) != 0)
			continue;
		/* the ones waiting; a re-probed one counts again if it fails */
		g_hash_table_iter_init(&inner, value);
		while (g_hash_table_iter_next(&inner, NULL, &entry))
			n += now < ((PdBlacklistEntry *)entry)->retry_at_us;
	}
	return n;
}

guint
pd_blacklist_get_retry_min(PdBlacklist *self)
{
	return self->retry_min_s;
}

guint64
pd_blacklist_get_added(PdBlacklist *self)
{
	return self->added;
}

static void
pd_blacklist_finalize(GObject *obj)
{
	g_hash_table_unref(PD_BLACKLIST(obj)->sets);
	G_OBJECT_CLASS(pd_blacklist_parent_class)->finalize(obj);
}

static void
pd_blacklist_init(PdBlacklist *self)
{
	const gchar *env = g_getenv(PD_BLACKLIST_RETRY_MIN_ENV);
	guint64 min_s = 0;

	/* a test's shortcut; anything but a plain number of seconds is ignored */
	if (env == NULL ||
	    !g_ascii_string_to_unsigned(env, 10, 1, PD_BLACKLIST_RETRY_MAX_S, &min_s, NULL))
		min_s = PD_BLACKLIST_RETRY_MIN_S;
	self->retry_min_s = (guint)min_s;
	self->sets = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
}

static void
pd_blacklist_class_init(PdBlacklistClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_blacklist_finalize;
}

PdBlacklist *
pd_blacklist_new(void)
{
	return g_object_new(PD_TYPE_BLACKLIST, NULL);
}
