/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdBlacklist"

#include "config.h"

#include <string.h>

#include "pd-blacklist.h"

struct _PdBlacklist {
	GObject parent_instance;
	GHashTable *sets; /* "source\npollster" -> set of resource ids */
	guint64 added;
};

G_DEFINE_TYPE(PdBlacklist, pd_blacklist, G_TYPE_OBJECT)

gboolean
pd_blacklist_contains(PdBlacklist *self,
		      const gchar *source,
		      const gchar *pollster,
		      const gchar *id)
{
	g_autofree gchar *key = NULL;
	GHashTable *set;

	if (g_hash_table_size(self->sets) == 0)
		return FALSE;
	key = g_strdup_printf("%s\n%s", source, pollster);
	set = g_hash_table_lookup(self->sets, key);
	return set != NULL && g_hash_table_contains(set, id);
}

gboolean
pd_blacklist_add(PdBlacklist *self,
		 const gchar *source,
		 const gchar *pollster,
		 const gchar *id,
		 const gchar *reason)
{
	g_autofree gchar *key = g_strdup_printf("%s\n%s", source, pollster);
	GHashTable *set = g_hash_table_lookup(self->sets, key);

	if (set == NULL) {
		set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(self->sets, g_strdup(key), set);
	}
	if (!g_hash_table_add(set, g_strdup(id)))
		return FALSE;
	self->added++;
	g_debug("pollster %s (source %s) can never poll resource %s: %s",
		pollster,
		source,
		id,
		reason != NULL ? reason : "permanent error");
	return TRUE;
}

guint
pd_blacklist_get_size(PdBlacklist *self, const gchar *pollster)
{
	GHashTableIter iter;
	gpointer key, value;
	guint n = 0;

	g_hash_table_iter_init(&iter, self->sets);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const gchar *nl = strchr(key, '\n');
		if (g_strcmp0(nl + 1, pollster) == 0)
			n += g_hash_table_size(value);
	}
	return n;
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
