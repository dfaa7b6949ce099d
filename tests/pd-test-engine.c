/*
 * polld tests - the engine tests' fake plugin, keep publisher and fixture
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "pd-notifier-sink.h"
#include "pd-test-engine.h"
#include "pd-test-util.h"
#include "polld.h"

/* --- what the fakes saw, shared with the worker threads --- */

PdFakeState fake;

static void
pd_fake_reset(void)
{
	g_mutex_lock(&fake.mutex);
	g_clear_pointer(&fake.polled, g_hash_table_unref);
	g_clear_pointer(&fake.permanent, g_hash_table_unref);
	fake.polled = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	fake.permanent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	fake.discoveries = 0;
	fake.fail_all_permanently = FALSE;
	fake.hold = FALSE;
	fake.slow_entered = FALSE;
	fake.samples_per_resource = 1;
	fake.slow_us = 0;
	fake.published = 0;
	fake.published_while_discovering = FALSE;
	g_clear_pointer(&fake.accepted, g_hash_table_unref);
	fake.accepted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	fake.accepted_after_poll = FALSE;
	fake.first_part_done = 0;
	fake.first_part_dispatched = FALSE;
	fake.first_part_polled = 0;
	fake.parts_wait_done = FALSE;
	fake.parts_wait_ran_out = FALSE;
	fake.with_none = FALSE;
	g_clear_pointer(&fake.a_polls, g_array_unref);
	fake.a_polls = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_clear_pointer(&fake.many_calls, g_array_unref);
	fake.many_calls = g_array_new(FALSE, TRUE, sizeof(PdFakeCall));
	g_mutex_unlock(&fake.mutex);
}

guint
pd_fake_polled(const gchar *pollster, const gchar *res)
{
	g_autofree gchar *key = g_strdup_printf("%s/%s", pollster, res);
	guint n;
	g_mutex_lock(&fake.mutex);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(fake.polled, key));
	g_mutex_unlock(&fake.mutex);
	return n;
}

/* --- fake pollster --- */

#define PD_TYPE_FAKE_POLLSTER (pd_fake_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdFakePollster, pd_fake_pollster, PD, FAKE_POLLSTER, PdPollster)
struct _PdFakePollster {
	PdPollster parent_instance;
};
G_DEFINE_TYPE(PdFakePollster, pd_fake_pollster, PD_TYPE_POLLSTER)

static void
pd_fake_wait_release(const gchar *name)
{
	if (g_strcmp0(name, "fake.slow") != 0)
		return;
	g_mutex_lock(&fake.mutex);
	fake.slow_entered = TRUE;
	while (fake.hold)
		g_cond_wait(&fake.cond, &fake.mutex);
	g_mutex_unlock(&fake.mutex);
	/* a slow API, in the pollster's own worker thread */
	if (fake.slow_us > 0)
		g_usleep(fake.slow_us);
}

static gboolean
pd_fake_pollster_poll(PdPollster *self,
		      PdPollContext *ctx,
		      GPtrArray *resources,
		      GCancellable *c,
		      GError **error)
{
	const gchar *name = pd_pollster_get_name(self);

	pd_fake_wait_release(name);
	g_mutex_lock(&fake.mutex);
	if (g_strcmp0(name, "fake.a") == 0) {
		gint64 now = g_get_monotonic_time();
		g_array_append_val(fake.a_polls, now);
	}
	if (resources->len > 0 &&
	    g_str_has_prefix(pd_resource_get_id(g_ptr_array_index(resources, 0)), "m")) {
		PdFakeCall call = { .len = resources->len };
		g_strlcpy(call.pollster, name, sizeof(call.pollster));
		for (guint i = 0; i < resources->len; i++)
			call.last = call.last ||
				    g_str_equal(pd_resource_get_id(g_ptr_array_index(resources, i)),
						"m" G_STRINGIFY(FAKE_MANY_LAST));
		g_array_append_val(fake.many_calls, call);
	}
	if (fake.fail_all_permanently && g_strcmp0(name, "fake.b") == 0) {
		g_mutex_unlock(&fake.mutex);
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "never works");
		return FALSE;
	}
	for (guint i = 0; i < resources->len; i++) {
		PdResource *res = g_ptr_array_index(resources, i);
		g_autofree gchar *key = g_strdup_printf("%s/%s", name, pd_resource_get_id(res));
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(fake.polled, key));
		if (g_hash_table_contains(fake.permanent, pd_resource_get_id(res))) {
			pd_poll_context_add_permanent_failure(ctx, res, "gone for good");
			continue;
		}
		g_hash_table_insert(fake.polled, g_steal_pointer(&key), GUINT_TO_POINTER(n + 1));
		for (guint j = 0; j < fake.samples_per_resource; j++) {
			PdSample *s = pd_pollster_add_sample(
			  self, ctx, pd_resource_get_id(res), "u", "p", NULL);
			pd_sample_set_int(s, j);
		}
	}
	g_mutex_unlock(&fake.mutex);
	return TRUE;
}

static void
pd_fake_pollster_init(PdFakePollster *self)
{
}

static void
pd_fake_pollster_class_init(PdFakePollsterClass *klass)
{
	PD_POLLSTER_CLASS(klass)->poll = pd_fake_pollster_poll;
}

/* --- a pollster that implements neither poll nor poll_async --- */

#define PD_TYPE_FAKE_NONE (pd_fake_none_get_type())
G_DECLARE_FINAL_TYPE(PdFakeNone, pd_fake_none, PD, FAKE_NONE, PdPollster)
struct _PdFakeNone {
	PdPollster parent_instance;
};
G_DEFINE_TYPE(PdFakeNone, pd_fake_none, PD_TYPE_POLLSTER)

static void
pd_fake_none_init(PdFakeNone *self)
{
}

static void
pd_fake_none_class_init(PdFakeNoneClass *klass)
{
}

/* --- fake discovery: resources d0..d2 --- */

#define PD_TYPE_FAKE_DISCOVERY (pd_fake_discovery_get_type())
G_DECLARE_FINAL_TYPE(PdFakeDiscovery, pd_fake_discovery, PD, FAKE_DISCOVERY, PdDiscovery)
struct _PdFakeDiscovery {
	PdDiscovery parent_instance;
};
G_DEFINE_TYPE(PdFakeDiscovery, pd_fake_discovery, PD_TYPE_DISCOVERY)

static GPtrArray *
pd_fake_discovery_discover(PdDiscovery *self,
			   const gchar *param,
			   PdCycleCache *cache,
			   GCancellable *c,
			   GError **error)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	g_atomic_int_inc(&fake.discoveries);
	for (guint i = 0; i < 3; i++) {
		g_autofree gchar *id = g_strdup_printf("d%u", i);
		g_ptr_array_add(out, pd_resource_new(id, NULL, NULL));
	}
	return out;
}

static void
pd_fake_discovery_init(PdFakeDiscovery *self)
{
}

static void
pd_fake_discovery_class_init(PdFakeDiscoveryClass *klass)
{
	PD_DISCOVERY_CLASS(klass)->discover = pd_fake_discovery_discover;
}

/* --- fake discovery in parts: p0 p1, then (once a message of theirs is
 * published) p2 p3, and p4 in the result --- */

#define PD_TYPE_FAKE_PARTS (pd_fake_parts_get_type())
G_DECLARE_FINAL_TYPE(PdFakeParts, pd_fake_parts, PD, FAKE_PARTS, PdDiscovery)
struct _PdFakeParts {
	PdDiscovery parent_instance;
};
G_DEFINE_TYPE(PdFakeParts, pd_fake_parts, PD_TYPE_DISCOVERY)

static GPtrArray *
pd_fake_resources(const gchar *const *ids)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
	for (guint i = 0; ids[i] != NULL; i++)
		g_ptr_array_add(out, pd_resource_new(ids[i], NULL, NULL));
	return out;
}

/* main context, before the pollsters get the part */
static void
pd_fake_parts_accepted_cb(GPtrArray *accepted, gpointer user_data)
{
	for (guint i = 0; i < accepted->len; i++) {
		const gchar *id = pd_resource_get_id(g_ptr_array_index(accepted, i));
		if (pd_fake_polled("fake.a", id) > 0 || pd_fake_polled("fake.b", id) > 0)
			fake.accepted_after_poll = TRUE;
		g_hash_table_add(fake.accepted, g_strdup(id));
	}
}

/* any thread: the engine is done with the first part */
static void
pd_fake_parts_done_cb(gboolean dispatched, gpointer user_data)
{
	guint polled = pd_fake_polled("fake.a", "p0") + pd_fake_polled("fake.a", "p1") +
		       pd_fake_polled("fake.b", "p0") + pd_fake_polled("fake.b", "p1");

	g_mutex_lock(&fake.mutex);
	fake.first_part_done++;
	fake.first_part_dispatched = dispatched;
	fake.first_part_polled = polled;
	g_cond_broadcast(&fake.cond);
	g_mutex_unlock(&fake.mutex);
}

static GPtrArray *
pd_fake_parts_discover(PdDiscovery *self,
		       const gchar *param,
		       PdCycleCache *cache,
		       PdDiscoveryParts *parts,
		       GCancellable *c,
		       GError **error)
{
	const gchar *const first[] = { "p0", "p1", NULL };
	const gchar *const second[] = { "p2", "p3", NULL };
	const gchar *const rest[] = { "p4", NULL };
	g_autoptr(GPtrArray) a = pd_fake_resources(first);
	g_autoptr(GPtrArray) b = pd_fake_resources(second);
	gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

	g_atomic_int_inc(&fake.discoveries);
	pd_discovery_parts_add_full(
	  parts, a, pd_fake_parts_accepted_cb, NULL, pd_fake_parts_done_cb, NULL);
	/* the pollsters start on the first part while this discovery runs: a
	 * message of it is published (a bounded wait: a failure, not a hang);
	 * or, as compute's first discovery, the engine is done with the part */
	g_mutex_lock(&fake.mutex);
	while (fake.parts_wait_done ? fake.first_part_done == 0 : fake.published == 0) {
		if (!g_cond_wait_until(&fake.cond, &fake.mutex, end)) {
			fake.parts_wait_ran_out = TRUE;
			break;
		}
	}
	fake.published_while_discovering = fake.published > 0;
	g_mutex_unlock(&fake.mutex);
	pd_discovery_parts_add_accepted(parts, b, pd_fake_parts_accepted_cb, NULL);
	return pd_fake_resources(rest);
}

static void
pd_fake_parts_init(PdFakeParts *self)
{
}

static void
pd_fake_parts_class_init(PdFakePartsClass *klass)
{
	PD_DISCOVERY_CLASS(klass)->discover_parts = pd_fake_parts_discover;
}

/* --- fake discovery in parts: m0..m999 in one part --- */

#define PD_TYPE_FAKE_MANY (pd_fake_many_get_type())
G_DECLARE_FINAL_TYPE(PdFakeMany, pd_fake_many, PD, FAKE_MANY, PdDiscovery)
struct _PdFakeMany {
	PdDiscovery parent_instance;
};
G_DEFINE_TYPE(PdFakeMany, pd_fake_many, PD_TYPE_DISCOVERY)

static GPtrArray *
pd_fake_many_discover(PdDiscovery *self,
		      const gchar *param,
		      PdCycleCache *cache,
		      PdDiscoveryParts *parts,
		      GCancellable *c,
		      GError **error)
{
	g_autoptr(GPtrArray) part =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);

	for (guint i = 0; i < FAKE_MANY_N; i++) {
		g_autofree gchar *id = g_strdup_printf("m%u", i);
		g_ptr_array_add(part, pd_resource_new(id, NULL, NULL));
	}
	pd_discovery_parts_add(parts, part);
	return g_ptr_array_new_with_free_func((GDestroyNotify)pd_resource_unref);
}

static void
pd_fake_many_init(PdFakeMany *self)
{
}

static void
pd_fake_many_class_init(PdFakeManyClass *klass)
{
	PD_DISCOVERY_CLASS(klass)->discover_parts = pd_fake_many_discover;
}

/* --- fake plugin --- */

#define PD_TYPE_FAKE_PLUGIN (pd_fake_plugin_get_type())
G_DECLARE_FINAL_TYPE(PdFakePlugin, pd_fake_plugin, PD, FAKE_PLUGIN, PdPlugin)
struct _PdFakePlugin {
	PdPlugin parent_instance;
};
G_DEFINE_TYPE(PdFakePlugin, pd_fake_plugin, PD_TYPE_PLUGIN)

static void
pd_fake_plugin_add(PdPlugin *plugin, const gchar *name, PdSampleType type)
{
	g_autoptr(PdPollster) p = g_object_new(PD_TYPE_FAKE_POLLSTER,
					       "name",
					       name,
					       "namespace",
					       "fake",
					       "default-discovery",
					       "fake_disc",
					       "unit",
					       "u",
					       "sample-type",
					       type,
					       NULL);
	pd_plugin_add_pollster(plugin, p);
}

static void
pd_fake_plugin_constructed(GObject *obj)
{
	PdPlugin *plugin = PD_PLUGIN(obj);
	g_autoptr(PdDiscovery) d = g_object_new(PD_TYPE_FAKE_DISCOVERY, "name", "fake_disc", NULL);

	G_OBJECT_CLASS(pd_fake_plugin_parent_class)->constructed(obj);
	pd_fake_plugin_add(plugin, "fake.a", PD_SAMPLE_TYPE_GAUGE);
	pd_fake_plugin_add(plugin, "fake.b", PD_SAMPLE_TYPE_CUMULATIVE);
	pd_fake_plugin_add(plugin, "fake.c", PD_SAMPLE_TYPE_DELTA);
	pd_fake_plugin_add(plugin, "fake.slow", PD_SAMPLE_TYPE_GAUGE);
	pd_plugin_add_discovery(plugin, d);
	if (fake.with_none) {
		g_autoptr(PdPollster) none = g_object_new(PD_TYPE_FAKE_NONE,
							  "name",
							  "fake.none",
							  "namespace",
							  "fake",
							  "default-discovery",
							  "fake_disc",
							  NULL);
		pd_plugin_add_pollster(plugin, none);
	}
	{
		g_autoptr(PdDiscovery) parts =
		  g_object_new(PD_TYPE_FAKE_PARTS, "name", "fake_parts", NULL);
		pd_plugin_add_discovery(plugin, parts);
	}
	{
		g_autoptr(PdDiscovery) many =
		  g_object_new(PD_TYPE_FAKE_MANY, "name", "fake_many", NULL);
		pd_plugin_add_discovery(plugin, many);
	}
	pd_plugin_add_config_key(plugin, "fake", "knob");
}

static void
pd_fake_plugin_init(PdFakePlugin *self)
{
}

static void
pd_fake_plugin_class_init(PdFakePluginClass *klass)
{
	G_OBJECT_CLASS(klass)->constructed = pd_fake_plugin_constructed;
}

/* --- a publisher keeping every message --- */

/* counts what the keep publisher was handed, for the waits on fake.cond */
static void
pd_fake_count_published(gpointer user_data)
{
	g_mutex_lock(&fake.mutex);
	fake.published++;
	g_cond_broadcast(&fake.cond);
	g_mutex_unlock(&fake.mutex);
}

/* all samples of all kept messages */
GPtrArray *
pd_keep_publisher_samples(PdKeepPublisher *self)
{
	g_autoptr(GString) lines = g_string_new(NULL);
	for (guint i = 0; i < self->messages->len; i++) {
		PdMessage *msg = g_ptr_array_index(self->messages, i);
		gsize len;
		const gchar *body = g_bytes_get_data(msg->body, &len);
		g_string_append_len(lines, body, (gssize)len);
		g_string_append_c(lines, '\n');
	}
	return pd_test_collect_samples(lines->str);
}

/* --- fixture --- */

void
pd_fixture_write(PdFixture *fx, const gchar *polling_yaml, const gchar *extra_conf)
{
	g_autofree gchar *yaml = pd_test_write_file(fx->dir, "polling.yaml", polling_yaml);
	g_autofree gchar *conf = g_strdup_printf("[polling]\ncfg_file = %s\nbatch_size = 50\n%s",
						 yaml,
						 extra_conf != NULL ? extra_conf : "");
	g_free(fx->conf);
	fx->conf = pd_test_write_file(fx->dir, "polld.conf", conf);
}

static void
pd_fixture_cycle_cb(PdEngine *engine,
		    const gchar *task,
		    guint64 duration,
		    guint samples,
		    guint errors,
		    gpointer user_data)
{
	PdFixture *fx = user_data;
	fx->cycles_finished++;
	fx->last_cycle_samples = samples;
}

PdPlugin *
pd_fake_plugin_new(void)
{
	PdPlugin *plugin = g_object_new(PD_TYPE_FAKE_PLUGIN, NULL);

	pd_plugin_set_name(plugin, "fake");
	return plugin;
}

gboolean
pd_fixture_setup_engine(PdFixture *fx, GError **error)
{
	g_autoptr(PdPlugin) plugin = g_object_new(PD_TYPE_FAKE_PLUGIN, NULL);
	gchar *files[] = { fx->conf, NULL };
	gchar *namespaces[] = { (gchar *)"fake", NULL };
	g_autoptr(PdSettings) settings = pd_settings_new(files, NULL, namespaces, NULL);

	if (!pd_settings_load(settings, error))
		return FALSE;
	pd_plugin_set_name(plugin, "fake");
	fx->engine = pd_engine_new(settings);
	fx->publisher = pd_keep_publisher_new();
	fx->publisher->published = pd_fake_count_published;
	pd_engine_add_plugin(fx->engine, plugin);
	{
		g_autoptr(PdSink) sink = pd_notifier_sink_new(PD_PUBLISHER(fx->publisher));
		g_assert_true(pd_engine_add_sink(fx->engine, sink, NULL));
	}
	g_signal_connect(fx->engine, "cycle-finished", G_CALLBACK(pd_fixture_cycle_cb), fx);
	return pd_engine_setup(fx->engine, error);
}

void
pd_fixture_init(PdFixture *fx, gconstpointer data)
{
	pd_fake_reset();
	fx->dir = pd_test_mkdtemp();
}

void
pd_fixture_fini(PdFixture *fx, gconstpointer data)
{
	if (fx->engine != NULL) {
		pd_engine_stop_async(fx->engine, NULL, NULL);
		while (g_main_context_iteration(NULL, FALSE))
			;
	}
	g_clear_object(&fx->engine);
	g_clear_object(&fx->publisher);
	g_clear_error(&fx->error);
	pd_test_rmtree(fx->dir);
	g_free(fx->dir);
	g_free(fx->conf);
}

void
pd_fixture_polled_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdFixture *fx = user_data;
	pd_engine_poll_now_finish(PD_ENGINE(source), res, &fx->error);
	fx->done = TRUE;
}

gboolean
pd_fixture_is_done(gpointer data)
{
	return ((PdFixture *)data)->done;
}

/* one cycle of everything, waited for */
void
pd_fixture_poll(PdFixture *fx)
{
	fx->done = FALSE;
	pd_engine_poll_now_async(fx->engine, NULL, NULL, pd_fixture_polled_cb, fx);
	g_assert_true(pd_test_wait_for(pd_fixture_is_done, fx, 20000));
	g_assert_no_error(fx->error);
}
