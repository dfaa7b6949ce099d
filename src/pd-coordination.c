/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdCoordination"

#include "config.h"

#include <string.h>

#include "pd-coordination-url.h"
#include "pd-coordination.h"
#include "pd-etcd-client.h"
#include "pd-hash-ring.h"

/*
 * Membership: one lease per agent (TTL = membership_timeout, kept alive every
 * third of it) and one key per group, attached to the lease:
 *
 *     polld/v1/groups/<group>/<member id>  ->  {"member": ..., "host": ...}
 *
 * A range read gives the members at join, then one streaming watch on
 * polld/v1/groups/ reports every join and leave (a lease that expires
 * deletes its keys). The rings change as soon as an event arrives; a task
 * applies them from its next cycle start (a share snapshot per cycle).
 *
 * Before each cycle the lease is checked against its local deadline (time
 * the last keep-alive was sent + TTL): an agent that was stopped past it
 * polls nothing of the shared groups until it has rejoined, because the
 * others took its share over in the meantime; so does one whose keep-alive
 * ticks stopped past the deadline when a request fails as it wakes up. An agent that could not
 * reach etcd while running keeps its last share (stale): nobody can take over while etcd is down.
 */

#define PD_COORDINATION_ROOT "polld/v1/groups/"

typedef struct {
	gchar *name;
	GHashTable *members; /* set of member ids */
	gchar **keys;	     /* a static group's resources (the same on every member), or NULL */
	PdHashRing *ring;
	gint64 last_change; /* wall clock us */
	guint owned;	    /* resources owned / seen in the last cycle */
	guint seen;
} PdCoordGroup;

struct _PdCoordination {
	GObject parent_instance;
	PdConfig *config;
	PdEngine *engine; /* unowned: outlives us in main() */
	PdCoordinationUrl *url;
	PdEtcdClient *client;
	PdCoordinationState state;
	gchar *member_id;
	gchar *host;
	gchar *prefix;		   /* "<namespaces>[-<partitioning_group_prefix>]" */
	gchar *global_group;	   /* NULL if no pollster uses a shared discovery */
	GHashTable *groups;	   /* name -> PdCoordGroup, the shared groups joined */
	GHashTable *static_groups; /* source name -> group name */
	gint64 lease;
	gint64 lease_deadline; /* monotonic us */
	gint64 stale_since;    /* monotonic us, 0 when in contact */
	guint max_stale;
	gboolean stale_poll_all;
	gboolean stale_expired_logged;
	gboolean joining; /* a join sequence runs */
	guint pending_puts;
	GError *put_error;
	GCancellable *cancellable;
	GCancellable *watch_cancellable;
	guint keepalive_id;
	gint64 last_tick; /* monotonic us, the last keep-alive tick */
	guint retry_id;
	guint retry_delay_ms;
	GCallback ready;
	gpointer ready_data;
	gchar *last_error;
};

G_DEFINE_TYPE(PdCoordination, pd_coordination, G_TYPE_OBJECT)

enum { PROP_0, PROP_STATE, N_PROPS };
static GParamSpec *props[N_PROPS];

/* discoveries of this host only: their group is a group of one */
static const gchar *const pd_coordination_local_discoveries[] = { "local_node",
								  "local_instances",
								  NULL };

static void
pd_coordination_join(PdCoordination *self);

/* --- groups --- */

static void
pd_coord_group_free(PdCoordGroup *group)
{
	g_free(group->name);
	g_strfreev(group->keys);
	g_hash_table_unref(group->members);
	g_clear_pointer(&group->ring, pd_hash_ring_unref);
	g_free(group);
}

/* balancing costs (resources x members) score computations a round, on the
 * main loop: past this, a static group is split per key */
#define PD_COORDINATION_BALANCE_MAX 4000000

/*
 * A static group's resources are known to every member alike (they are in
 * the group's name), so its shares are balanced over them; a discovered
 * group's resources are found during each agent's own cycle, and there each
 * resource's owner depends on that resource alone (see docs/scale-out.md).
 */
static void
pd_coord_group_rebuild(PdCoordGroup *group)
{
	guint n_ids = 0;
	g_autofree gchar **ids = (gchar **)g_hash_table_get_keys_as_array(group->members, &n_ids);
	guint n_keys = group->keys != NULL ? g_strv_length(group->keys) : 0;

	g_clear_pointer(&group->ring, pd_hash_ring_unref);
	if (n_keys > 0 && (guint64)n_keys * n_ids <= PD_COORDINATION_BALANCE_MAX)
		group->ring = pd_hash_ring_new_balanced(
		  (const gchar *const *)ids, (const gchar *const *)group->keys, n_keys);
	else
		group->ring = pd_hash_ring_new((const gchar *const *)ids);
	group->last_change = g_get_real_time();
}

/* @keys: a static group's resources */
static PdCoordGroup *
pd_coordination_add_group(PdCoordination *self, const gchar *name, gchar **keys)
{
	PdCoordGroup *group = g_hash_table_lookup(self->groups, name);

	if (group != NULL)
		return group;
	group = g_new0(PdCoordGroup, 1);
	group->name = g_strdup(name);
	group->members = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	group->keys = g_strdupv(keys);
	pd_coord_group_rebuild(group);
	g_hash_table_insert(self->groups, group->name, group);
	return group;
}

static gint
pd_coordination_cmp_strp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* a stable name for a set of static resources: Ceilometer hashes the set
 * with Python's per-process hash(), so no two agents ever agreed on it */
static gchar *
pd_coordination_static_group(PdCoordination *self, gchar **resources)
{
	g_autoptr(GPtrArray) sorted = g_ptr_array_new();
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

	for (guint i = 0; resources[i] != NULL; i++)
		g_ptr_array_add(sorted, resources[i]);
	g_ptr_array_sort(sorted, pd_coordination_cmp_strp);
	for (guint i = 0; i < sorted->len; i++) {
		if (i > 0 && strcmp(sorted->pdata[i - 1], sorted->pdata[i]) == 0)
			continue;
		g_checksum_update(sum, (const guchar *)sorted->pdata[i], -1);
		g_checksum_update(sum, (const guchar *)"\n", 1);
	}
	return g_strdup_printf("%s-static-%.16s", self->prefix, g_checksum_get_string(sum));
}

static gboolean
pd_coordination_is_local(const gchar *discovery)
{
	g_autofree gchar *base = g_strndup(discovery, strcspn(discovery, ":"));
	return g_strv_contains(pd_coordination_local_discoveries, base);
}

/* does a source, through the pollsters it selects, use a shared discovery? */
static gboolean
pd_coordination_source_shared(PdCoordination *self, PdSourceDef *source, gboolean *selects)
{
	GHashTableIter iter;
	gpointer name, pollster;
	gboolean shared = FALSE;

	*selects = FALSE;
	g_hash_table_iter_init(&iter, pd_engine_get_pollsters(self->engine));
	while (g_hash_table_iter_next(&iter, &name, &pollster)) {
		const gchar *def = pd_pollster_get_default_discovery(pollster);
		if (!pd_polling_config_source_matches(source, name))
			continue;
		*selects = TRUE;
		if (def != NULL && !pd_coordination_is_local(def))
			shared = TRUE;
	}
	for (guint i = 0; source->discovery[i] != NULL; i++) {
		if (!pd_coordination_is_local(source->discovery[i]))
			shared = TRUE;
	}
	return *selects && shared;
}

static gchar *
pd_coordination_member_key(PdCoordination *self, const gchar *group);

static void
pd_coordination_left_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) reply =
	  pd_etcd_client_call_finish(PD_ETCD_CLIENT(source), res, &error);

	/* if it failed, the key goes with the lease */
	if (reply == NULL && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		g_warning("coordination: leaving a group: %s", error->message);
}

static void
pd_coordination_leave_group(PdCoordination *self, const gchar *group)
{
	g_autoptr(JsonObject) body = json_object_new();
	g_autofree gchar *key = pd_coordination_member_key(self, group);
	g_autofree gchar *key64 = pd_etcd_client_encode(key);

	g_message("coordination: leaving group %s", group);
	json_object_set_string_member(body, "key", key64);
	pd_etcd_client_call_async(
	  self->client, "kv/deleterange", body, self->cancellable, pd_coordination_left_cb, NULL);
}

/* the groups Ceilometer would join, less the host-local ones */
static void
pd_coordination_compute_groups(PdCoordination *self)
{
	PdPollingConfig *polling = pd_engine_get_polling_config(self->engine);
	/* group -> its static resources (NULL for the discovered one) */
	g_autoptr(GHashTable) wanted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTableIter iter;
	gpointer name, keys;

	g_clear_pointer(&self->global_group, g_free);
	/* a new table: shares of running cycles keep the old one */
	g_hash_table_unref(self->static_groups);
	self->static_groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; polling != NULL && i < polling->sources->len; i++) {
		PdSourceDef *source = g_ptr_array_index(polling->sources, i);
		gboolean selects;
		if (pd_coordination_source_shared(self, source, &selects) &&
		    self->global_group == NULL)
			self->global_group = g_strdup_printf("%s-global", self->prefix);
		if (selects && source->resources[0] != NULL) {
			gchar *group = pd_coordination_static_group(self, source->resources);
			g_hash_table_insert(self->static_groups, g_strdup(source->name), group);
			g_hash_table_insert(wanted, g_strdup(group), source->resources);
		}
	}
	if (self->global_group != NULL)
		g_hash_table_insert(wanted, g_strdup(self->global_group), NULL);
	/* groups no longer wanted: our key goes at once, or the others would
	 * keep assigning us resources we no longer poll */
	g_hash_table_iter_init(&iter, self->groups);
	while (g_hash_table_iter_next(&iter, &name, NULL)) {
		if (g_hash_table_contains(wanted, name))
			continue;
		if (self->lease != 0 && self->cancellable != NULL)
			pd_coordination_leave_group(self, name);
		g_hash_table_iter_remove(&iter);
	}
	g_hash_table_iter_init(&iter, wanted);
	while (g_hash_table_iter_next(&iter, &name, &keys))
		pd_coordination_add_group(self, name, keys);
}

/* --- state --- */

const gchar *
pd_coordination_state_to_string(PdCoordinationState state)
{
	switch (state) {
		case PD_COORDINATION_DISABLED:
			return "disabled";
		case PD_COORDINATION_JOINING:
			return "joining";
		case PD_COORDINATION_MEMBER:
			return "member";
		case PD_COORDINATION_STALE:
			return "stale";
	}
	return "unknown";
}

static void
pd_coordination_set_state(PdCoordination *self, PdCoordinationState state)
{
	if (self->state == state)
		return;
	g_message("coordination: %s -> %s",
		  pd_coordination_state_to_string(self->state),
		  pd_coordination_state_to_string(state));
	self->state = state;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

static void
pd_coordination_call_ready(PdCoordination *self)
{
	GCallback ready = self->ready;

	self->ready = NULL;
	if (ready != NULL)
		((void (*)(gpointer))ready)(self->ready_data);
}

static gboolean
pd_coordination_retry_cb(gpointer user_data)
{
	PdCoordination *self = PD_COORDINATION(user_data);
	self->retry_id = 0;
	pd_coordination_join(self);
	return G_SOURCE_REMOVE;
}

static void
pd_coordination_schedule_retry(PdCoordination *self)
{
	guint max_ms = MAX(self->url->membership_timeout * 1000 / 3, 1000);

	if (self->retry_id != 0)
		return;
	self->retry_delay_ms =
	  self->retry_delay_ms == 0 ? 250 : MIN(self->retry_delay_ms * 2, max_ms);
	self->retry_id = g_timeout_add(self->retry_delay_ms, pd_coordination_retry_cb, self);
}

/* ms between keep-alive ticks: a third of the lease */
static guint
pd_coordination_keepalive_period_ms(PdCoordination *self)
{
	return MAX(self->url->membership_timeout * 1000 / 3, 200);
}

/* TRUE when the lease ran out while we did not run (SIGSTOP, a starved
 * host): the keep-alive ticks stopped for two periods and the lease's local
 * deadline passed meanwhile. The others may own our share by now. Not so
 * when etcd did not answer while we ran: ticks went on, and we keep our
 * share (stale) as nobody can take it over while etcd is down. */
static gboolean
pd_coordination_did_not_run(PdCoordination *self, gint64 now)
{
	gint64 period_us = (gint64)pd_coordination_keepalive_period_ms(self) * 1000;

	return self->state == PD_COORDINATION_MEMBER && self->last_tick != 0 &&
	       now - self->last_tick > 2 * period_us && now > self->lease_deadline;
}

/* etcd could not be reached or refused: keep what we know, say so, retry */
static void
pd_coordination_lost_contact(PdCoordination *self, const GError *error)
{
	gboolean did_not_run;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	/* an answer that failed while we were stopped (a request in flight
	 * when we stopped, timed out at once when we woke up) does not make us
	 * stale: the lease may have gone with our share */
	did_not_run = pd_coordination_did_not_run(self, g_get_monotonic_time());
	if (did_not_run) {
		g_warning("coordination: stopped past the lease's %u s (%s): polling nothing of "
			  "the shared groups until etcd confirms our membership",
			  self->url->membership_timeout,
			  error->message);
		pd_coordination_set_state(self, PD_COORDINATION_JOINING);
	}
	self->joining = FALSE;
	if (!did_not_run &&
	    (self->stale_since == 0 || g_strcmp0(self->last_error, error->message) != 0))
		g_warning("coordination: %s (%s)",
			  error->message,
			  self->state == PD_COORDINATION_JOINING
			    ? "not a member yet: polling nothing of the shared groups"
			    : "keeping the last known share");
	g_free(self->last_error);
	self->last_error = g_strdup(error->message);
	if (self->stale_since == 0)
		self->stale_since = g_get_monotonic_time();
	if (self->state == PD_COORDINATION_MEMBER)
		pd_coordination_set_state(self, PD_COORDINATION_STALE);
	g_cancellable_cancel(self->watch_cancellable);
	pd_coordination_schedule_retry(self);
	pd_coordination_call_ready(self);
}

/* the lease is gone: the others own our share now */
static void
pd_coordination_lease_lost(PdCoordination *self, const gchar *why)
{
	g_warning("coordination: %s: polling nothing of the shared groups until rejoined", why);
	self->lease = 0;
	g_cancellable_cancel(self->watch_cancellable);
	pd_coordination_set_state(self, PD_COORDINATION_JOINING);
	pd_coordination_join(self);
}

/* the lease may have run out while we did not run (stopped, starved): poll
 * nothing of the shared groups until etcd says; the join sequence keeps the
 * lease if it is still alive, else takes a new one */
static void
pd_coordination_lease_suspect(PdCoordination *self)
{
	g_warning("coordination: no keep-alive answer within the lease's %u s: polling nothing "
		  "of the shared groups until etcd confirms our membership",
		  self->url->membership_timeout);
	pd_coordination_set_state(self, PD_COORDINATION_JOINING);
	pd_coordination_join(self);
}

/* --- the watch --- */

static void
pd_coordination_watch_start(PdCoordination *self, gint64 revision);

/* "polld/v1/groups/<group>/<member>" -> the group and the member */
static PdCoordGroup *
pd_coordination_parse_key(PdCoordination *self, const gchar *key, const gchar **member)
{
	const gchar *rest, *slash;
	g_autofree gchar *group = NULL;

	if (!g_str_has_prefix(key, PD_COORDINATION_ROOT))
		return NULL;
	rest = key + strlen(PD_COORDINATION_ROOT);
	slash = strrchr(rest, '/');
	if (slash == NULL)
		return NULL;
	group = g_uri_unescape_segment(rest, slash, NULL);
	*member = slash + 1;
	return group != NULL ? g_hash_table_lookup(self->groups, group) : NULL;
}

static void
pd_coordination_apply_event(PdCoordination *self, JsonObject *event)
{
	JsonObject *kv = json_object_get_object_member(event, "kv");
	const gchar *type = json_object_get_string_member_with_default(event, "type", "PUT");
	g_autofree gchar *key = NULL;
	const gchar *member = NULL;
	PdCoordGroup *group;
	gboolean changed;

	if (kv == NULL)
		return;
	key = pd_etcd_client_decode(json_object_get_string_member_with_default(kv, "key", ""));
	group = pd_coordination_parse_key(self, key, &member);
	if (group == NULL)
		return;
	if (g_str_equal(type, "DELETE"))
		changed = g_hash_table_remove(group->members, member);
	else
		changed = g_hash_table_add(group->members, g_strdup(member));
	if (!changed)
		return;
	g_message("coordination: %s %s group %s (%u members)",
		  member,
		  g_str_equal(type, "DELETE") ? "left" : "joined",
		  group->name,
		  g_hash_table_size(group->members));
	pd_coord_group_rebuild(group);
	/* our own key went: the lease expired under us */
	if (g_str_equal(type, "DELETE") && g_str_equal(member, self->member_id) &&
	    self->state == PD_COORDINATION_MEMBER)
		pd_coordination_lease_lost(self, "our membership was deleted (lease expired)");
}

static void
pd_coordination_watch_event_cb(JsonObject *result, gpointer user_data)
{
	PdCoordination *self = PD_COORDINATION(user_data);
	JsonArray *events = json_object_has_member(result, "events")
			      ? json_object_get_array_member(result, "events")
			      : NULL;

	for (guint i = 0; events != NULL && i < json_array_get_length(events); i++)
		pd_coordination_apply_event(self, json_array_get_object_element(events, i));
}

static void
pd_coordination_watch_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(PdCoordination) self = PD_COORDINATION(user_data);
	g_autoptr(GError) error = NULL;

	if (pd_etcd_client_watch_finish(PD_ETCD_CLIENT(source), res, &error))
		return;
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	g_prefix_error(&error, "membership watch ended: ");
	pd_coordination_lost_contact(self, error);
}

static void
pd_coordination_watch_start(PdCoordination *self, gint64 revision)
{
	g_autofree gchar *key = pd_etcd_client_encode(PD_COORDINATION_ROOT);
	g_autofree gchar *end_text = pd_etcd_client_prefix_end(PD_COORDINATION_ROOT);
	g_autofree gchar *end = pd_etcd_client_encode(end_text);

	g_cancellable_cancel(self->watch_cancellable);
	g_clear_object(&self->watch_cancellable);
	self->watch_cancellable = g_cancellable_new();
	pd_etcd_client_watch_async(self->client,
				   key,
				   end,
				   revision,
				   pd_coordination_watch_event_cb,
				   self,
				   self->watch_cancellable,
				   pd_coordination_watch_done_cb,
				   g_object_ref(self));
}

/* --- keep-alive --- */

typedef struct {
	PdCoordination *self;
	gint64 sent; /* monotonic us */
	gboolean joining;
} PdKeepalive;

static void
pd_coordination_joined_lease(PdCoordination *self);
static void
pd_coordination_grant(PdCoordination *self);

static gboolean
pd_coordination_keepalive_tick_cb(gpointer user_data);

static void
pd_coordination_keepalive_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdKeepalive *ka = user_data;
	g_autoptr(PdCoordination) self = ka->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) reply =
	  pd_etcd_client_call_finish(PD_ETCD_CLIENT(source), res, &error);
	JsonObject *result = reply != NULL ? json_object_get_object_member(reply, "result") : NULL;
	gint64 ttl = pd_etcd_client_get_int(result, "TTL");
	gboolean joining = ka->joining;
	gint64 sent = ka->sent;

	g_free(ka);
	if (reply == NULL) {
		pd_coordination_lost_contact(self, error);
		return;
	}
	if (ttl <= 0) {
		/* etcd no longer knows the lease: it expired */
		if (joining) {
			self->lease = 0;
			pd_coordination_grant(self);
		} else {
			pd_coordination_lease_lost(self, "our lease expired");
		}
		return;
	}
	self->lease_deadline = sent + ttl * G_USEC_PER_SEC;
	if (joining)
		pd_coordination_joined_lease(self);
}

static void
pd_coordination_keepalive(PdCoordination *self, gboolean joining)
{
	g_autoptr(JsonObject) body = json_object_new();
	g_autofree gchar *id = g_strdup_printf("%" G_GINT64_FORMAT, self->lease);
	PdKeepalive *ka = g_new0(PdKeepalive, 1);

	ka->self = g_object_ref(self);
	ka->sent = g_get_monotonic_time();
	ka->joining = joining;
	json_object_set_string_member(body, "ID", id);
	pd_etcd_client_call_async(self->client,
				  "lease/keepalive",
				  body,
				  self->cancellable,
				  pd_coordination_keepalive_cb,
				  ka);
}

static gboolean
pd_coordination_keepalive_tick_cb(gpointer user_data)
{
	PdCoordination *self = PD_COORDINATION(user_data);
	gint64 now = g_get_monotonic_time();
	gboolean did_not_run = pd_coordination_did_not_run(self, now);

	self->last_tick = now;
	/* woken up past the lease: nothing of the share until etcd says (a
	 * keep-alive sent now would only make us stale if it failed) */
	if (did_not_run && !self->joining) {
		pd_coordination_lease_suspect(self);
		return G_SOURCE_CONTINUE;
	}
	/* while joining or reconnecting the join sequence does it */
	if (self->state == PD_COORDINATION_MEMBER && !self->joining && self->lease != 0)
		pd_coordination_keepalive(self, FALSE);
	return G_SOURCE_CONTINUE;
}

/* --- joining: lease, member keys, range, watch --- */

static void
pd_coordination_range_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(PdCoordination) self = PD_COORDINATION(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) reply =
	  pd_etcd_client_call_finish(PD_ETCD_CLIENT(source), res, &error);
	JsonArray *kvs;
	GHashTableIter iter;
	PdCoordGroup *group;

	if (reply == NULL) {
		pd_coordination_lost_contact(self, error);
		return;
	}
	g_hash_table_iter_init(&iter, self->groups);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&group))
		g_hash_table_remove_all(group->members);
	kvs =
	  json_object_has_member(reply, "kvs") ? json_object_get_array_member(reply, "kvs") : NULL;
	for (guint i = 0; kvs != NULL && i < json_array_get_length(kvs); i++) {
		g_autofree gchar *key =
		  pd_etcd_client_decode(json_object_get_string_member_with_default(
		    json_array_get_object_element(kvs, i), "key", ""));
		const gchar *member = NULL;
		group = pd_coordination_parse_key(self, key, &member);
		if (group != NULL)
			g_hash_table_add(group->members, g_strdup(member));
	}
	g_hash_table_iter_init(&iter, self->groups);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&group))
		pd_coord_group_rebuild(group);
	pd_coordination_watch_start(
	  self,
	  pd_etcd_client_get_int(json_object_get_object_member(reply, "header"), "revision") + 1);
	self->joining = FALSE;
	self->stale_since = 0;
	self->stale_expired_logged = FALSE;
	self->retry_delay_ms = 0;
	g_clear_pointer(&self->last_error, g_free);
	pd_coordination_set_state(self, PD_COORDINATION_MEMBER);
	pd_coordination_call_ready(self);
}

static void
pd_coordination_range(PdCoordination *self)
{
	g_autoptr(JsonObject) body = json_object_new();
	g_autofree gchar *end = pd_etcd_client_prefix_end(PD_COORDINATION_ROOT);
	g_autofree gchar *key64 = pd_etcd_client_encode(PD_COORDINATION_ROOT);
	g_autofree gchar *end64 = pd_etcd_client_encode(end);

	json_object_set_string_member(body, "key", key64);
	json_object_set_string_member(body, "range_end", end64);
	pd_etcd_client_call_async(self->client,
				  "kv/range",
				  body,
				  self->cancellable,
				  pd_coordination_range_cb,
				  g_object_ref(self));
}

static void
pd_coordination_put_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(PdCoordination) self = PD_COORDINATION(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) reply =
	  pd_etcd_client_call_finish(PD_ETCD_CLIENT(source), res, &error);

	if (reply == NULL && self->put_error == NULL)
		self->put_error = g_steal_pointer(&error);
	if (--self->pending_puts > 0)
		return;
	if (self->put_error != NULL) {
		g_autoptr(GError) put_error = g_steal_pointer(&self->put_error);
		pd_coordination_lost_contact(self, put_error);
		return;
	}
	pd_coordination_range(self);
}

static gchar *
pd_coordination_member_key(PdCoordination *self, const gchar *group)
{
	g_autofree gchar *escaped = g_uri_escape_string(group, NULL, FALSE);
	return g_strdup_printf("%s%s/%s", PD_COORDINATION_ROOT, escaped, self->member_id);
}

static void
pd_coordination_put_member(PdCoordination *self, const gchar *group)
{
	g_autoptr(JsonObject) body = json_object_new();
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) value = NULL;
	g_autofree gchar *key = pd_coordination_member_key(self, group);
	g_autofree gchar *text = NULL;
	g_autofree gchar *key64 = NULL;
	g_autofree gchar *text64 = NULL;
	g_autofree gchar *lease = g_strdup_printf("%" G_GINT64_FORMAT, self->lease);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "member");
	json_builder_add_string_value(b, self->member_id);
	json_builder_set_member_name(b, "host");
	json_builder_add_string_value(b, self->host);
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, PACKAGE_VERSION);
	json_builder_end_object(b);
	value = json_builder_get_root(b);
	text = json_to_string(value, FALSE);
	key64 = pd_etcd_client_encode(key);
	text64 = pd_etcd_client_encode(text);
	json_object_set_string_member(body, "key", key64);
	json_object_set_string_member(body, "value", text64);
	json_object_set_string_member(body, "lease", lease);
	self->pending_puts++;
	pd_etcd_client_call_async(self->client,
				  "kv/put",
				  body,
				  self->cancellable,
				  pd_coordination_put_cb,
				  g_object_ref(self));
}

/* the lease is valid: (re)write our key in every group, then read them */
static void
pd_coordination_joined_lease(PdCoordination *self)
{
	GHashTableIter iter;
	gpointer name;

	if (g_hash_table_size(self->groups) == 0) {
		pd_coordination_range(self);
		return;
	}
	g_clear_error(&self->put_error);
	g_hash_table_iter_init(&iter, self->groups);
	while (g_hash_table_iter_next(&iter, &name, NULL))
		pd_coordination_put_member(self, name);
}

static void
pd_coordination_grant_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(PdCoordination) self = PD_COORDINATION(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) reply =
	  pd_etcd_client_call_finish(PD_ETCD_CLIENT(source), res, &error);
	gint64 ttl;

	if (reply == NULL) {
		pd_coordination_lost_contact(self, error);
		return;
	}
	self->lease = pd_etcd_client_get_int(reply, "ID");
	ttl = pd_etcd_client_get_int(reply, "TTL");
	if (self->lease == 0 || ttl <= 0) {
		g_autoptr(GError) bad = g_error_new(G_IO_ERROR,
						    G_IO_ERROR_FAILED,
						    "etcd granted no lease: %s",
						    pd_etcd_client_get_endpoint(self->client));
		pd_coordination_lost_contact(self, bad);
		return;
	}
	g_info("coordination: lease %" G_GINT64_FORMAT " (TTL %" G_GINT64_FORMAT " s) from %s",
	       self->lease,
	       ttl,
	       pd_etcd_client_get_endpoint(self->client));
	self->lease_deadline = g_get_monotonic_time() + ttl * G_USEC_PER_SEC;
	pd_coordination_joined_lease(self);
}

static void
pd_coordination_grant(PdCoordination *self)
{
	g_autoptr(JsonObject) body = json_object_new();

	json_object_set_int_member(body, "TTL", self->url->membership_timeout);
	pd_etcd_client_call_async(self->client,
				  "lease/grant",
				  body,
				  self->cancellable,
				  pd_coordination_grant_cb,
				  g_object_ref(self));
}

/* keeps a lease that is still alive (a short etcd outage), else takes a new one */
static void
pd_coordination_join(PdCoordination *self)
{
	if (self->joining || self->cancellable == NULL)
		return;
	if (self->retry_id != 0) {
		g_source_remove(self->retry_id);
		self->retry_id = 0;
	}
	self->joining = TRUE;
	if (self->lease != 0)
		pd_coordination_keepalive(self, TRUE);
	else
		pd_coordination_grant(self);
}

/* --- the share: what one cycle polls --- */

typedef enum {
	PD_SHARE_RINGS, /* owner by the rings */
	PD_SHARE_NONE,	/* nothing of the shared groups */
	PD_SHARE_ALL,	/* everything (stale past max_stale_seconds, poll_all) */
} PdShareMode;

typedef struct {
	PdCoordination *coordination;
	PdShareMode mode;
	GHashTable *rings;	   /* group -> PdHashRing, as of the cycle start */
	GHashTable *static_groups; /* source -> group */
	gchar *global_group;
	GHashTable *seen; /* group -> (resource id -> owned), this cycle */
} PdShare;

static PdShareMode
pd_coordination_share_mode(PdCoordination *self)
{
	gint64 now = g_get_monotonic_time();

	/* stopped past the lease (SIGSTOP, a starved host): the others took
	 * our share over; poll nothing of it until we have rejoined */
	if (self->state == PD_COORDINATION_MEMBER && now > self->lease_deadline && !self->joining)
		pd_coordination_lease_suspect(self);
	if (self->stale_since != 0 &&
	    now - self->stale_since > (gint64)self->max_stale * G_USEC_PER_SEC) {
		if (!self->stale_expired_logged)
			g_warning("coordination: etcd unreachable for more than %u s: %s",
				  self->max_stale,
				  self->stale_poll_all
				    ? "polling everything (stale_action = poll_all)"
				    : "still polling the last known share");
		self->stale_expired_logged = TRUE;
		if (self->stale_poll_all)
			return PD_SHARE_ALL;
	}
	if (self->state == PD_COORDINATION_JOINING)
		return PD_SHARE_NONE;
	return PD_SHARE_RINGS;
}

static gpointer
pd_coordination_share_begin(gpointer user_data)
{
	PdCoordination *self = PD_COORDINATION(user_data);
	PdShare *share;
	GHashTableIter iter;
	PdCoordGroup *group;

	if (self->state == PD_COORDINATION_DISABLED)
		return NULL;
	share = g_new0(PdShare, 1);
	share->coordination = g_object_ref(self);
	share->mode = pd_coordination_share_mode(self);
	share->rings = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)pd_hash_ring_unref);
	share->static_groups = g_hash_table_ref(self->static_groups);
	share->global_group = g_strdup(self->global_group);
	share->seen = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
	g_hash_table_iter_init(&iter, self->groups);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&group))
		g_hash_table_insert(
		  share->rings, g_strdup(group->name), pd_hash_ring_ref(group->ring));
	return share;
}

static gboolean
pd_coordination_share_decide(PdShare *share, const gchar *group, const gchar *id)
{
	PdHashRing *ring = g_hash_table_lookup(share->rings, group);
	const gchar *me = share->coordination->member_id;

	if (share->mode == PD_SHARE_ALL)
		return TRUE;
	if (share->mode == PD_SHARE_NONE || ring == NULL || !pd_hash_ring_contains(ring, me))
		return FALSE;
	return g_str_equal(pd_hash_ring_owner(ring, id), me);
}

static gboolean
pd_coordination_share_owns(gpointer data,
			   const gchar *source,
			   const gchar *discovery,
			   PdResource *res)
{
	PdShare *share = data;
	const gchar *id = pd_resource_get_id(res);
	const gchar *group;
	GHashTable *seen;
	gpointer known;
	gboolean owned;

	if (discovery != NULL && pd_coordination_is_local(discovery))
		return TRUE;
	group = discovery == NULL ? g_hash_table_lookup(share->static_groups, source)
				  : share->global_group;
	if (group == NULL)
		return TRUE;
	seen = g_hash_table_lookup(share->seen, group);
	if (seen == NULL) {
		seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(share->seen, g_strdup(group), seen);
	}
	if (g_hash_table_lookup_extended(seen, id, NULL, &known))
		return GPOINTER_TO_INT(known);
	owned = pd_coordination_share_decide(share, group, id);
	g_hash_table_insert(seen, g_strdup(id), GINT_TO_POINTER(owned));
	return owned;
}

static void
pd_coordination_share_end(gpointer data)
{
	PdShare *share = data;
	GHashTableIter iter;
	gpointer name, seen;

	/* the share counts shown on D-Bus: the last cycle of each group */
	g_hash_table_iter_init(&iter, share->seen);
	while (g_hash_table_iter_next(&iter, &name, &seen)) {
		PdCoordGroup *group = g_hash_table_lookup(share->coordination->groups, name);
		GHashTableIter it;
		gpointer owned;
		if (group == NULL)
			continue;
		group->seen = g_hash_table_size(seen);
		group->owned = 0;
		g_hash_table_iter_init(&it, seen);
		while (g_hash_table_iter_next(&it, NULL, &owned))
			group->owned += GPOINTER_TO_INT(owned) ? 1 : 0;
	}
	g_hash_table_unref(share->rings);
	g_hash_table_unref(share->static_groups);
	g_hash_table_unref(share->seen);
	g_free(share->global_group);
	g_object_unref(share->coordination);
	g_free(share);
}

static const PdResourceFilter pd_coordination_filter = {
	pd_coordination_share_begin,
	pd_coordination_share_owns,
	pd_coordination_share_end,
};

/* --- D-Bus view --- */

static GVariant *
pd_coordination_group_variant(PdCoordination *self, PdCoordGroup *group)
{
	GVariantDict dict;

	g_variant_dict_init(&dict, NULL);
	g_variant_dict_insert(&dict, "name", "s", group->name);
	g_variant_dict_insert_value(
	  &dict, "members", g_variant_new_strv(pd_hash_ring_get_members(group->ring), -1));
	g_variant_dict_insert(
	  &dict, "member", "b", pd_hash_ring_contains(group->ring, self->member_id));
	g_variant_dict_insert(&dict, "share", "u", group->owned);
	g_variant_dict_insert(&dict, "resources", "u", group->seen);
	g_variant_dict_insert(&dict, "balanced", "b", pd_hash_ring_is_balanced(group->ring));
	g_variant_dict_insert(&dict, "last_change", "x", group->last_change);
	return g_variant_dict_end(&dict);
}

GVariant *
pd_coordination_get_partitions(PdCoordination *self)
{
	GVariantDict dict;
	GVariantBuilder groups;
	g_autoptr(GList) names = g_hash_table_get_keys(self->groups);

	g_variant_dict_init(&dict, NULL);
	g_variant_dict_insert(&dict, "state", "s", pd_coordination_state_to_string(self->state));
	g_variant_builder_init(&groups, G_VARIANT_TYPE("aa{sv}"));
	if (self->state != PD_COORDINATION_DISABLED) {
		g_variant_dict_insert(&dict, "backend", "s", self->url->redacted);
		g_variant_dict_insert(
		  &dict, "endpoint", "s", pd_etcd_client_get_endpoint(self->client));
		g_variant_dict_insert(&dict, "member_id", "s", self->member_id);
		g_variant_dict_insert(
		  &dict, "membership_timeout", "u", self->url->membership_timeout);
		g_variant_dict_insert(
		  &dict,
		  "stale_seconds",
		  "u",
		  self->stale_since == 0
		    ? 0u
		    : (guint)((g_get_monotonic_time() - self->stale_since) / G_USEC_PER_SEC));
		g_variant_dict_insert(
		  &dict, "last_error", "s", self->last_error != NULL ? self->last_error : "");
		g_variant_dict_insert(
		  &dict, "etcd_requests", "t", pd_etcd_client_get_requests(self->client));
		g_variant_dict_insert(&dict,
				      "etcd_authentications",
				      "t",
				      pd_etcd_client_get_authentications(self->client));
		names = g_list_sort(names, (GCompareFunc)strcmp);
		for (GList *l = names; l != NULL; l = l->next)
			g_variant_builder_add_value(
			  &groups,
			  pd_coordination_group_variant(
			    self, g_hash_table_lookup(self->groups, l->data)));
	}
	g_variant_dict_insert_value(&dict, "groups", g_variant_builder_end(&groups));
	return g_variant_dict_end(&dict);
}

/* --- member id --- */

gchar *
pd_coordination_load_install_id(const gchar *state_dir, GError **error)
{
	g_autofree gchar *path = g_build_filename(state_dir, "member-id", NULL);
	g_autofree gchar *text = NULL;
	g_autofree gchar *fresh = NULL;
	g_autoptr(GString) id = NULL;

	if (g_file_get_contents(path, &text, NULL, NULL)) {
		g_strstrip(text);
		if (text[0] != '\0' && strchr(text, '/') == NULL)
			return g_steal_pointer(&text);
	}
	/* 12 hex digits: unique among the agents of a cloud, short on screen */
	fresh = g_uuid_string_random();
	id = g_string_new(NULL);
	for (const gchar *p = fresh; *p != '\0' && id->len < 12; p++) {
		if (*p != '-')
			g_string_append_c(id, *p);
	}
	g_string_append_c(id, '\n');
	if (g_mkdir_with_parents(state_dir, 0750) != 0 &&
	    !g_file_test(state_dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create %s", state_dir);
		return NULL;
	}
	if (!g_file_set_contents(path, id->str, -1, error))
		return NULL;
	g_string_truncate(id, id->len - 1);
	return g_string_free(g_steal_pointer(&id), FALSE);
}

/* systemd's StateDirectory= (the first one), else the build's state dir */
static const gchar *
pd_coordination_state_dir(PdConfig *config)
{
	const gchar *env = g_getenv("STATE_DIRECTORY");
	static gchar *first = NULL;

	if (env != NULL && env[0] != '\0') {
		g_free(first);
		first = g_strndup(env, strcspn(env, ":"));
		return first;
	}
	return PD_STATEDIR;
}

static gchar *
pd_coordination_make_member_id(PdCoordination *self)
{
	const gchar *dir = pd_coordination_state_dir(self->config);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *id = pd_coordination_load_install_id(dir, &error);

	if (id == NULL) {
		/* still stable across restarts of this host, but two agents on
		 * one host would collide: say so */
		g_autofree gchar *machine = NULL;
		g_warning("coordination: %s: deriving the member id from /etc/machine-id "
			  "(give polld a writable state directory)",
			  error->message);
		if (!g_file_get_contents("/etc/machine-id", &machine, NULL, NULL))
			machine = g_strdup(self->host);
		g_strstrip(machine);
		return g_strdup_printf("%s.m%.11s", self->host, machine);
	}
	return g_strdup_printf("%s.%s", self->host, id);
}

/* --- life cycle --- */

/* checked with or without a backend_url, so a bad value does not wait for
 * partitioning to be turned on to show up; stale_action's words are checked
 * by the engine, at start and on reload */
static gboolean
pd_coordination_read_options(PdCoordination *self, GError **error)
{
	const gchar *action =
	  pd_config_get_string(self->config, "coordination", "stale_action", "keep");
	gint64 max_stale;

	if (!pd_config_get_int_range(
	      self->config, "coordination", "max_stale_seconds", 300, 0, 604800, &max_stale, error))
		return FALSE;
	self->max_stale = (guint)max_stale;
	self->stale_poll_all = g_str_equal(action, "poll_all");
	return TRUE;
}

PdCoordination *
pd_coordination_new(PdConfig *config, GError **error)
{
	g_autoptr(PdCoordination) self = g_object_new(PD_TYPE_COORDINATION, NULL);
	const gchar *keys[] = { "backend_url", "max_stale_seconds", "stale_action", NULL };
	const gchar *backend = pd_config_get_string(config, "coordination", "backend_url", NULL);

	self->config = g_object_ref(config);
	for (guint i = 0; keys[i] != NULL; i++)
		pd_config_register_key(config, "coordination", keys[i]);
	if (!pd_coordination_read_options(self, error))
		return NULL;
	if (backend == NULL || backend[0] == '\0')
		return g_steal_pointer(&self);
	self->url = pd_coordination_url_parse(backend, error);
	if (self->url == NULL) {
		g_prefix_error(error,
			       "%s: [coordination] backend_url: ",
			       pd_config_get_origin(config, "coordination", "backend_url"));
		return NULL;
	}
	if (self->url->user != NULL && self->url->password == NULL) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "%s: [coordination] backend_url %s: etcd user '%s' without a password "
			    "(etcd3+http://user:password@host:port)",
			    pd_config_get_origin(config, "coordination", "backend_url"),
			    self->url->redacted,
			    self->url->user);
		return NULL;
	}
	self->client = pd_etcd_client_new(self->url, error);
	if (self->client == NULL)
		return NULL;
	self->state = PD_COORDINATION_JOINING;
	return g_steal_pointer(&self);
}

gboolean
pd_coordination_is_enabled(PdCoordination *self)
{
	return self->state != PD_COORDINATION_DISABLED;
}

static gchar *
pd_coordination_make_prefix(PdCoordination *self, PdEngine *engine)
{
	g_auto(GStrv) namespaces = g_strdupv(pd_engine_get_namespaces(engine));
	const gchar *group_prefix =
	  pd_config_get_string(self->config, "polling", "partitioning_group_prefix", NULL);
	g_autofree gchar *joined = NULL;

	if (namespaces == NULL)
		namespaces = g_new0(gchar *, 1);
	qsort(namespaces, g_strv_length(namespaces), sizeof(gchar *), pd_coordination_cmp_strp);
	joined = g_strjoinv("-", namespaces);
	if (group_prefix != NULL && group_prefix[0] != '\0')
		return g_strdup_printf("%s-%s", joined, group_prefix);
	return g_steal_pointer(&joined);
}

static void
pd_coordination_reloaded_cb(PdEngine *engine, guint64 generation, gpointer user_data)
{
	PdCoordination *self = PD_COORDINATION(user_data);

	pd_coordination_compute_groups(self);
	/* new groups need our key: rejoin keeps the lease */
	if (self->state == PD_COORDINATION_MEMBER && !self->joining)
		pd_coordination_join(self);
}

void
pd_coordination_attach(PdCoordination *self, PdEngine *engine)
{
	if (self->state == PD_COORDINATION_DISABLED)
		return;
	self->engine = engine;
	self->host = g_strdup(pd_engine_get_host(engine));
	self->prefix = pd_coordination_make_prefix(self, engine);
	self->member_id = pd_coordination_make_member_id(self);
	pd_coordination_compute_groups(self);
	pd_engine_set_resource_filter(engine, &pd_coordination_filter, self);
	g_signal_connect_object(
	  engine, "reloaded", G_CALLBACK(pd_coordination_reloaded_cb), self, 0);
	g_message("coordination: member %s of %u group(s) through %s",
		  self->member_id,
		  g_hash_table_size(self->groups),
		  self->url->redacted);
}

void
pd_coordination_start(PdCoordination *self, GCallback ready, gpointer user_data)
{
	self->ready = ready;
	self->ready_data = user_data;
	if (self->state == PD_COORDINATION_DISABLED || self->engine == NULL) {
		pd_coordination_call_ready(self);
		return;
	}
	self->cancellable = g_cancellable_new();
	self->last_tick = g_get_monotonic_time();
	self->keepalive_id = g_timeout_add(
	  pd_coordination_keepalive_period_ms(self), pd_coordination_keepalive_tick_cb, self);
	pd_coordination_join(self);
}

typedef struct {
	GCallback done;
	gpointer data;
} PdStopData;

static void
pd_coordination_revoked_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdStopData *stop = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) reply =
	  pd_etcd_client_call_finish(PD_ETCD_CLIENT(source), res, &error);

	if (reply == NULL)
		g_info("coordination: lease not revoked (%s): it expires on its own",
		       error->message);
	if (stop->done != NULL)
		((void (*)(gpointer))stop->done)(stop->data);
	g_free(stop);
}

void
pd_coordination_stop(PdCoordination *self, GCallback done, gpointer user_data)
{
	g_autoptr(JsonObject) body = NULL;
	g_autofree gchar *id = NULL;
	PdStopData *stop;

	if (self->cancellable != NULL) {
		g_cancellable_cancel(self->cancellable);
		g_cancellable_cancel(self->watch_cancellable);
		g_clear_object(&self->cancellable);
		g_clear_handle_id(&self->keepalive_id, g_source_remove);
		g_clear_handle_id(&self->retry_id, g_source_remove);
	}
	if (self->lease == 0 || self->client == NULL) {
		if (done != NULL)
			((void (*)(gpointer))done)(user_data);
		return;
	}
	/* the others take our share over at once instead of at the lease's end */
	body = json_object_new();
	id = g_strdup_printf("%" G_GINT64_FORMAT, self->lease);
	self->lease = 0;
	json_object_set_string_member(body, "ID", id);
	stop = g_new0(PdStopData, 1);
	stop->done = done;
	stop->data = user_data;
	pd_etcd_client_call_async(
	  self->client, "lease/revoke", body, NULL, pd_coordination_revoked_cb, stop);
}

PdCoordinationState
pd_coordination_get_state(PdCoordination *self)
{
	return self->state;
}

const gchar *
pd_coordination_get_member_id(PdCoordination *self)
{
	return self->member_id;
}

static void
pd_coordination_get_property(GObject *obj, guint prop_id, GValue *value, GParamSpec *pspec)
{
	PdCoordination *self = PD_COORDINATION(obj);

	switch (prop_id) {
		case PROP_STATE:
			g_value_set_string(value, pd_coordination_state_to_string(self->state));
			break;
		default:
			G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, prop_id, pspec);
	}
}

static void
pd_coordination_dispose(GObject *obj)
{
	PdCoordination *self = PD_COORDINATION(obj);

	pd_coordination_stop(self, NULL, NULL);
	G_OBJECT_CLASS(pd_coordination_parent_class)->dispose(obj);
}

static void
pd_coordination_finalize(GObject *obj)
{
	PdCoordination *self = PD_COORDINATION(obj);

	g_clear_object(&self->watch_cancellable);
	g_clear_object(&self->client);
	g_clear_object(&self->config);
	g_clear_pointer(&self->url, pd_coordination_url_free);
	g_clear_error(&self->put_error);
	g_hash_table_unref(self->groups);
	g_hash_table_unref(self->static_groups);
	g_free(self->member_id);
	g_free(self->host);
	g_free(self->prefix);
	g_free(self->global_group);
	g_free(self->last_error);
	G_OBJECT_CLASS(pd_coordination_parent_class)->finalize(obj);
}

static void
pd_coordination_init(PdCoordination *self)
{
	self->groups =
	  g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)pd_coord_group_free);
	self->static_groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
pd_coordination_class_init(PdCoordinationClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->get_property = pd_coordination_get_property;
	object_class->dispose = pd_coordination_dispose;
	object_class->finalize = pd_coordination_finalize;
	props[PROP_STATE] = g_param_spec_string(
	  "state", NULL, NULL, "disabled", G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}
