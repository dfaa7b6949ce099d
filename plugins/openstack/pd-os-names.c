/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include "pd-os-json.h"
#include "pd-os-names.h"

typedef struct {
	gchar *name; /* NULL: unknown to Keystone */
	gint64 expires;
	GPtrArray *waiters; /* GTasks while the lookup runs, else NULL */
} PdOsNameEntry;

struct _PdOsNames {
	GObject parent_instance;
	PdOsClient *client;
	GHashTable *entries; /* "kind/id" -> PdOsNameEntry */
	guint max_entries;
	gint64 ttl_us;
};

G_DEFINE_TYPE(PdOsNames, pd_os_names, G_TYPE_OBJECT)

static void
pd_os_name_entry_free(PdOsNameEntry *entry)
{
	g_free(entry->name);
	if (entry->waiters != NULL)
		g_ptr_array_unref(entry->waiters);
	g_free(entry);
}

/* drop expired entries; if still full, drop finished ones until there is room */
static void
pd_os_names_make_room(PdOsNames *self)
{
	GHashTableIter iter;
	PdOsNameEntry *entry;
	gint64 now = g_get_monotonic_time();

	if (g_hash_table_size(self->entries) < self->max_entries)
		return;
	g_hash_table_iter_init(&iter, self->entries);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&entry)) {
		if (entry->waiters == NULL && entry->expires <= now)
			g_hash_table_iter_remove(&iter);
	}
	g_hash_table_iter_init(&iter, self->entries);
	while (g_hash_table_size(self->entries) >= self->max_entries &&
	       g_hash_table_iter_next(&iter, NULL, (gpointer *)&entry)) {
		if (entry->waiters == NULL)
			g_hash_table_iter_remove(&iter);
	}
}

static void
pd_os_names_done(PdOsNames *self, const gchar *key, const gchar *name)
{
	PdOsNameEntry *entry = g_hash_table_lookup(self->entries, key);
	g_autoptr(GPtrArray) waiters = NULL;

	if (entry == NULL)
		return;
	waiters = g_steal_pointer(&entry->waiters);
	entry->name = g_strdup(name);
	entry->expires = g_get_monotonic_time() + self->ttl_us;
	for (guint i = 0; waiters != NULL && i < waiters->len; i++)
		g_task_return_pointer(g_ptr_array_index(waiters, i), g_strdup(name), g_free);
}

static void
pd_os_names_get_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PdOsNames *self = g_task_get_source_object(task);
	const gchar *key = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdOsResponse) resp =
	  pd_os_client_request_finish(PD_OS_CLIENT(source), res, &error);
	JsonObject *root = NULL;
	const gchar *kind_one = g_str_has_prefix(key, "users/") ? "user" : "project";

	if (resp == NULL)
		g_info("no name for %s: %s", key, error->message);
	else if (resp->body != NULL && JSON_NODE_HOLDS_OBJECT(resp->body))
		root = pd_os_json_get_object(json_node_get_object(resp->body), kind_one);
	pd_os_names_done(self, key, pd_os_json_get_string(root, "name"));
	/* the waiters got their answer; this task only carried the key */
	g_task_return_boolean(task, TRUE);
}

static void
pd_os_names_fetch(PdOsNames *self, const gchar *key)
{
	GTask *task = g_task_new(self, NULL, NULL, NULL);
	g_autofree gchar *url =
	  g_strdup_printf("%s/%s", pd_os_client_get_identity_url(self->client), key);

	g_task_set_task_data(task, g_strdup(key), g_free);
	pd_os_client_request_async(
	  self->client, "GET", url, NULL, PD_OS_REQUEST_JSON, NULL, pd_os_names_get_cb, task);
}

void
pd_os_names_lookup_async(PdOsNames *self,
			 const gchar *kind,
			 const gchar *id,
			 GAsyncReadyCallback callback,
			 gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, NULL, callback, user_data);
	g_autofree gchar *escaped = g_uri_escape_string(id, NULL, TRUE);
	g_autofree gchar *key = g_strdup_printf("%s/%s", kind, escaped);
	PdOsNameEntry *entry = g_hash_table_lookup(self->entries, key);

	if (entry != NULL && entry->waiters == NULL && entry->expires > g_get_monotonic_time()) {
		g_task_return_pointer(task, g_strdup(entry->name), g_free);
		return;
	}
	if (entry != NULL && entry->waiters != NULL) {
		g_ptr_array_add(entry->waiters, g_steal_pointer(&task));
		return;
	}
	g_hash_table_remove(self->entries, key);
	pd_os_names_make_room(self);
	entry = g_new0(PdOsNameEntry, 1);
	entry->waiters = g_ptr_array_new_with_free_func(g_object_unref);
	g_ptr_array_add(entry->waiters, g_steal_pointer(&task));
	g_hash_table_insert(self->entries, g_strdup(key), entry);
	pd_os_names_fetch(self, key);
}

gchar *
pd_os_names_lookup_finish(PdOsNames *self, GAsyncResult *res)
{
	return g_task_propagate_pointer(G_TASK(res), NULL);
}

typedef struct {
	PdSampleBatch *batch;
	guint first;
	guint pending;
	GHashTable *found; /* "kind/id" -> name or NULL */
} PdOsNamesFill;

static void
pd_os_names_fill_free(PdOsNamesFill *fill)
{
	g_hash_table_unref(fill->found);
	g_free(fill);
}

static void
pd_os_names_fill_apply(PdOsNamesFill *fill)
{
	guint n = pd_sample_batch_get_size(fill->batch);

	for (guint i = fill->first; i < n; i++) {
		PdSample *s = pd_sample_batch_index(fill->batch, i);
		g_autofree gchar *ukey = g_strdup_printf("users/%s", s->user_id);
		g_autofree gchar *pkey = g_strdup_printf("projects/%s", s->project_id);
		const gchar *user =
		  s->user_id != NULL ? g_hash_table_lookup(fill->found, ukey) : NULL;
		const gchar *project =
		  s->project_id != NULL ? g_hash_table_lookup(fill->found, pkey) : NULL;

		if (user != NULL)
			s->user_name = pd_sample_batch_intern(fill->batch, user);
		if (project != NULL)
			s->project_name = pd_sample_batch_intern(fill->batch, project);
	}
}

typedef struct {
	GTask *task;
	gchar *key;
} PdOsNamesWant;

static void
pd_os_names_fill_step(GTask *task)
{
	PdOsNamesFill *fill = g_task_get_task_data(task);

	if (--fill->pending > 0)
		return;
	pd_os_names_fill_apply(fill);
	g_task_return_boolean(task, TRUE);
	g_object_unref(task);
}

static void
pd_os_names_fill_one_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdOsNamesWant *want = user_data;
	PdOsNamesFill *fill = g_task_get_task_data(want->task);

	g_hash_table_replace(
	  fill->found, want->key, pd_os_names_lookup_finish(PD_OS_NAMES(source), res));
	pd_os_names_fill_step(want->task);
	g_free(want);
}

static void
pd_os_names_fill_want(PdOsNames *self, GTask *task, const gchar *kind, const gchar *id)
{
	PdOsNamesFill *fill = g_task_get_task_data(task);
	g_autofree gchar *key = NULL;
	PdOsNamesWant *want;

	if (id == NULL)
		return;
	key = g_strdup_printf("%s/%s", kind, id);
	if (g_hash_table_contains(fill->found, key))
		return;
	g_hash_table_insert(fill->found, g_strdup(key), NULL);
	fill->pending++;
	want = g_new0(PdOsNamesWant, 1);
	want->task = task;
	want->key = g_steal_pointer(&key);
	pd_os_names_lookup_async(self, kind, id, pd_os_names_fill_one_cb, want);
}

void
pd_os_names_fill_async(PdOsNames *self,
		       PdSampleBatch *batch,
		       guint first,
		       GAsyncReadyCallback callback,
		       gpointer user_data)
{
	GTask *task = g_task_new(self, NULL, callback, user_data);
	PdOsNamesFill *fill = g_new0(PdOsNamesFill, 1);
	guint n = pd_sample_batch_get_size(batch);

	fill->batch = batch;
	fill->first = first;
	fill->found = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_task_set_task_data(task, fill, (GDestroyNotify)pd_os_names_fill_free);
	/* one extra count so lookups answered from the cache can't finish early */
	fill->pending = 1;
	for (guint i = first; i < n; i++) {
		PdSample *s = pd_sample_batch_index(batch, i);
		pd_os_names_fill_want(self, task, "users", s->user_id);
		pd_os_names_fill_want(self, task, "projects", s->project_id);
	}
	pd_os_names_fill_step(task);
}

void
pd_os_names_fill_finish(PdOsNames *self, GAsyncResult *res)
{
	g_task_propagate_boolean(G_TASK(res), NULL);
}

guint
pd_os_names_get_size(PdOsNames *self)
{
	return g_hash_table_size(self->entries);
}

PdOsNames *
pd_os_names_new(PdOsClient *client, guint max_entries, guint ttl_s)
{
	PdOsNames *self = g_object_new(PD_TYPE_OS_NAMES, NULL);
	self->client = g_object_ref(client);
	self->max_entries = MAX(max_entries, 1);
	self->ttl_us = (gint64)ttl_s * G_USEC_PER_SEC;
	return self;
}

static void
pd_os_names_finalize(GObject *obj)
{
	PdOsNames *self = PD_OS_NAMES(obj);
	g_clear_object(&self->client);
	g_hash_table_unref(self->entries);
	G_OBJECT_CLASS(pd_os_names_parent_class)->finalize(obj);
}

static void
pd_os_names_init(PdOsNames *self)
{
	self->entries = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)pd_os_name_entry_free);
}

static void
pd_os_names_class_init(PdOsNamesClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_os_names_finalize;
}
