/*
 * polld integration tests: workload partitioning through a real etcd.
 * Three agents (each on its own private bus) poll the test plugin's 300
 * static and 300 discovered resources every second; the resources each one
 * polled are read from its stdout, its coordination state from D-Bus.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "pd-test-util.h"

#define AGENT_NAME "org.polld.Agent1"
#define AGENT_PATH "/org/polld/Agent1"
#define N_RESOURCES 300
#define UNDER_VALGRIND (g_getenv("POLLD_WRAPPER") != NULL && g_getenv("POLLD_WRAPPER")[0] != '\0')
/* s, the lease TTL the agents get; sanitizers slow the daemons down enough
 * to miss a 1 s keep-alive now and then, valgrind (one thread at a time, on
 * a loaded machine) to go several seconds without an answer */
#define MEMBERSHIP_TIMEOUT (UNDER_VALGRIND ? 20 : g_getenv("ASAN_OPTIONS") != NULL ? 9 : 3)
/* s, one etcd request; a keep-alive is sent every third of the TTL */
#define REQUEST_TIMEOUT (UNDER_VALGRIND ? 6 : 2)
#define INTERVAL 1  /* s */
#define N_SOURCES 2 /* "static", "discovered" */

typedef struct _Fixture Fixture;

typedef struct {
	guint source;
	gint64 timestamp; /* wall us, the cycle's start */
	GHashTable *ids;
} CycleSet;

typedef struct {
	guint64 duration_us;
	guint samples;
	guint skipped;
	gint64 received; /* wall us */
} Finished;

typedef struct {
	Fixture *f;
	gchar *name;
	gchar *dir;
	gchar *conf;
	gchar *address;
	GSubprocess *bus;
	GDBusConnection *conn;
	GSubprocess *proc;
	GDataInputStream *out;
	GCancellable *cancellable;
	gchar *coordination; /* last Coordination value seen */
	GHashTable *current[N_SOURCES];
	gint64 current_ts[N_SOURCES];
	GPtrArray *complete; /* of CycleSet, in arrival order */
	GPtrArray *finished; /* of Finished */
	gboolean exited;
	guint subs[2];
} Agent;

struct _Fixture {
	gchar *dir;
	gchar *etcd_dir;
	guint16 client_port;
	guint16 peer_port;
	GSubprocess *etcd;
	gchar *yaml;
};

static const gchar *const source_names[N_SOURCES] = { "static", "discovered" };

static guint
scale_ms(guint ms)
{
	/* under valgrind everything is an order of magnitude slower */
	if (UNDER_VALGRIND)
		return ms * 20;
	return g_getenv("ASAN_OPTIONS") != NULL ? ms * 3 : ms;
}

static guint16
free_port(void)
{
	g_autoptr(GSocket) sock =
	  g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_socket_bind(sock, any, TRUE, &error));
	bound = g_socket_get_local_address(sock, &error);
	g_assert_no_error(error);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static gboolean
tick_cb(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

/* iterates the main context until @cond holds or @ms pass */
static gboolean
wait_until(gboolean (*cond)(gpointer), gpointer data, guint ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)scale_ms(ms) * 1000;
	guint tick = g_timeout_add(50, tick_cb, NULL);
	gboolean ok;

	while (!(ok = cond(data)) && g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(tick);
	return ok;
}

/* --- etcd, started and stopped by PID --- */

static gboolean
etcd_listening(gpointer data)
{
	Fixture *f = data;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) conn =
	  g_socket_client_connect_to_host(client, "127.0.0.1", f->client_port, NULL, NULL);
	return conn != NULL;
}

static void
etcd_start(Fixture *f)
{
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(
	  G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_autofree gchar *client = g_strdup_printf("http://127.0.0.1:%u", f->client_port);
	g_autofree gchar *peer = g_strdup_printf("http://127.0.0.1:%u", f->peer_port);
	g_autofree gchar *cluster = g_strdup_printf("polldtest=%s", peer);
	g_autofree gchar *log = g_build_filename(f->dir, "etcd.log", NULL);
	g_autoptr(GError) error = NULL;

	g_subprocess_launcher_set_child_setup(l, pd_test_die_with_parent, NULL, NULL);
	g_subprocess_launcher_set_flags(l, G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_subprocess_launcher_set_stderr_file_path(l, log);
	f->etcd = g_subprocess_launcher_spawn(l,
					      &error,
					      "etcd",
					      "--name",
					      "polldtest",
					      "--data-dir",
					      f->etcd_dir,
					      "--listen-client-urls",
					      client,
					      "--advertise-client-urls",
					      client,
					      "--listen-peer-urls",
					      peer,
					      "--initial-advertise-peer-urls",
					      peer,
					      "--initial-cluster",
					      cluster,
					      "--log-level",
					      "warn",
					      NULL);
	g_assert_no_error(error);
	g_assert_true(wait_until(etcd_listening, f, 30000));
}

static void
etcd_stop(Fixture *f)
{
	if (f->etcd == NULL)
		return;
	g_subprocess_send_signal(f->etcd, SIGTERM);
	g_subprocess_wait(f->etcd, NULL, NULL);
	g_clear_object(&f->etcd);
}

/* --- agents --- */

static void
cycle_set_free(CycleSet *cs)
{
	g_hash_table_unref(cs->ids);
	g_free(cs);
}

static gint64
parse_timestamp(const gchar *text)
{
	g_autofree gchar *utc = g_strconcat(text, "Z", NULL);
	g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(utc, NULL);
	g_assert_nonnull(dt);
	return g_date_time_to_unix(dt) * G_USEC_PER_SEC + g_date_time_get_microsecond(dt);
}

static guint
source_index(const gchar *name)
{
	for (guint i = 0; i < N_SOURCES; i++) {
		if (g_str_equal(name, source_names[i]))
			return i;
	}
	g_assert_not_reached();
}

/* a set is complete once the next cycle of its source shows up */
static void
agent_add_sample(Agent *a, JsonObject *sample)
{
	JsonObject *md = json_object_get_object_member(sample, "resource_metadata");
	guint src = source_index(json_object_get_string_member(md, "source"));
	gint64 ts = parse_timestamp(json_object_get_string_member(sample, "timestamp"));

	if (a->current[src] != NULL && a->current_ts[src] != ts) {
		CycleSet *cs = g_new0(CycleSet, 1);
		cs->source = src;
		cs->timestamp = a->current_ts[src];
		cs->ids = g_steal_pointer(&a->current[src]);
		g_ptr_array_add(a->complete, cs);
	}
	if (a->current[src] == NULL) {
		a->current[src] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		a->current_ts[src] = ts;
	}
	g_hash_table_add(a->current[src],
			 g_strdup(json_object_get_string_member(sample, "resource_id")));
}

static void
agent_line_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Agent *a = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line =
	  g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, NULL, &error);
	g_autoptr(GPtrArray) samples = NULL;

	/* cancelled: the agent may be gone already */
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (line == NULL) {
		a->exited = TRUE;
		return;
	}
	samples = pd_test_collect_samples(line);
	for (guint i = 0; i < samples->len; i++)
		agent_add_sample(a, g_ptr_array_index(samples, i));
	g_data_input_stream_read_line_async(
	  a->out, G_PRIORITY_DEFAULT, a->cancellable, agent_line_cb, a);
}

static void
agent_props_cb(GDBusConnection *conn,
	       const gchar *sender,
	       const gchar *path,
	       const gchar *iface,
	       const gchar *signal,
	       GVariant *params,
	       gpointer user_data)
{
	Agent *a = user_data;
	g_autoptr(GVariant) changed = g_variant_get_child_value(params, 1);
	const gchar *value;

	if (g_variant_lookup(changed, "Coordination", "&s", &value)) {
		g_free(a->coordination);
		a->coordination = g_strdup(value);
		g_test_message("%s: Coordination = %s", a->name, value);
	}
}

static void
agent_cycle_cb(GDBusConnection *conn,
	       const gchar *sender,
	       const gchar *path,
	       const gchar *iface,
	       const gchar *signal,
	       GVariant *params,
	       gpointer user_data)
{
	Agent *a = user_data;
	Finished *fin = g_new0(Finished, 1);

	g_variant_get(
	  params, "(&stuuu)", NULL, &fin->duration_us, &fin->samples, NULL, &fin->skipped);
	fin->received = g_get_real_time();
	g_ptr_array_add(a->finished, fin);
}

static void
agent_start_bus(Agent *a)
{
	a->bus = pd_test_bus_start(a->dir, "session", NULL, &a->address, &a->conn);
	a->subs[0] = g_dbus_connection_signal_subscribe(a->conn,
							NULL,
							"org.freedesktop.DBus.Properties",
							"PropertiesChanged",
							AGENT_PATH,
							AGENT_NAME,
							G_DBUS_SIGNAL_FLAGS_NONE,
							agent_props_cb,
							a,
							NULL);
	a->subs[1] = g_dbus_connection_signal_subscribe(a->conn,
							NULL,
							AGENT_NAME,
							"CycleFinished",
							AGENT_PATH,
							NULL,
							G_DBUS_SIGNAL_FLAGS_NONE,
							agent_cycle_cb,
							a,
							NULL);
}

static Agent *
agent_new(Fixture *f, const gchar *name, const gchar *extra_conf)
{
	Agent *a = g_new0(Agent, 1);
	g_autofree gchar *conf = NULL;

	a->f = f;
	a->name = g_strdup(name);
	a->dir = g_build_filename(f->dir, name, NULL);
	g_mkdir(a->dir, 0700);
	/* @extra_conf comes last: its keys win */
	conf = g_strdup_printf("[DEFAULT]\nhost = %s\npolling_namespaces = test\n"
			       "[polling]\ncfg_file = %s\nbatch_size = 1000\n"
			       "[coordination]\nbackend_url = etcd3+http://127.0.0.1:%u"
			       "?membership_timeout=%u&timeout=%u\nmax_stale_seconds = 120\n%s\n",
			       name,
			       f->yaml,
			       f->client_port,
			       MEMBERSHIP_TIMEOUT,
			       REQUEST_TIMEOUT,
			       extra_conf != NULL ? extra_conf : "");
	a->conf = pd_test_write_file(a->dir, "polld.conf", conf);
	a->complete = g_ptr_array_new_with_free_func((GDestroyNotify)cycle_set_free);
	a->finished = g_ptr_array_new_with_free_func(g_free);
	agent_start_bus(a);
	return a;
}

static void
agent_spawn(Agent *a)
{
	g_autoptr(GSubprocessLauncher) l =
	  g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *log = g_build_filename(a->dir, "polld.log", NULL);
	g_auto(GStrv) wrapper = NULL;
	g_autoptr(GError) error = NULL;

	if (UNDER_VALGRIND) {
		wrapper = g_strsplit(g_getenv("POLLD_WRAPPER"), " ", -1);
		for (guint i = 0; wrapper[i] != NULL; i++)
			g_ptr_array_add(argv, wrapper[i]);
	}
	g_ptr_array_add(argv, (gpointer)g_getenv("POLLD_BINARY"));
	g_ptr_array_add(argv, "--session");
	g_ptr_array_add(argv, "--verbose");
	g_ptr_array_add(argv, "--config-file");
	g_ptr_array_add(argv, a->conf);
	g_ptr_array_add(argv, NULL);
	g_subprocess_launcher_set_child_setup(l, pd_test_die_with_parent, NULL, NULL);
	g_subprocess_launcher_setenv(l, "DBUS_SESSION_BUS_ADDRESS", a->address, TRUE);
	/* the per-install id lives here: a restart keeps the member id */
	g_subprocess_launcher_setenv(l, "STATE_DIRECTORY", a->dir, TRUE);
	g_subprocess_launcher_unsetenv(l, "NOTIFY_SOCKET");
	g_subprocess_launcher_set_stderr_file_path(l, log);
	a->proc = g_subprocess_launcher_spawnv(l, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);
	a->exited = FALSE;
	g_clear_pointer(&a->coordination, g_free);
	a->cancellable = g_cancellable_new();
	a->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(a->proc));
	g_data_input_stream_read_line_async(
	  a->out, G_PRIORITY_DEFAULT, a->cancellable, agent_line_cb, a);
}

static void
agent_kill(Agent *a, gint sig)
{
	g_subprocess_send_signal(a->proc, sig);
	g_subprocess_wait(a->proc, NULL, NULL);
	g_cancellable_cancel(a->cancellable);
	g_clear_object(&a->cancellable);
	g_clear_object(&a->out);
	g_clear_object(&a->proc);
	for (guint i = 0; i < N_SOURCES; i++)
		g_clear_pointer(&a->current[i], g_hash_table_unref);
}

static void
agent_free(Agent *a)
{
	if (a->proc != NULL)
		agent_kill(a, SIGKILL);
	for (guint i = 0; i < G_N_ELEMENTS(a->subs); i++)
		g_dbus_connection_signal_unsubscribe(a->conn, a->subs[i]);
	g_dbus_connection_close_sync(a->conn, NULL, NULL);
	/* callbacks already queued run before @a goes */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_object_unref(a->conn);
	g_subprocess_send_signal(a->bus, SIGTERM);
	g_subprocess_wait(a->bus, NULL, NULL);
	g_object_unref(a->bus);
	g_ptr_array_unref(a->complete);
	g_ptr_array_unref(a->finished);
	g_free(a->coordination);
	g_free(a->address);
	g_free(a->conf);
	g_free(a->dir);
	g_free(a->name);
	g_free(a);
}

/* agent-1 ... agent-@n, each with @extra_conf, started */
static void
agents_spawn(Fixture *f, Agent **agents, guint n, const gchar *extra_conf)
{
	for (guint i = 0; i < n; i++) {
		g_autofree gchar *name = g_strdup_printf("agent-%u", i + 1);
		agents[i] = agent_new(f, name, extra_conf);
		agent_spawn(agents[i]);
	}
}

static void
agents_free(Agent **agents, guint n)
{
	for (guint i = 0; i < n; i++)
		agent_free(agents[i]);
}

static void
partitions_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GVariant **out = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	  g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	g_assert_no_error(error);
	*out = g_variant_get_child_value(reply, 0);
}

static gboolean
have_reply(gpointer data)
{
	return *(GVariant **)data != NULL;
}

/* asynchronous, so the agents' stdout keeps being read: a daemon blocked on
 * a full pipe answers nothing */
static GVariant *
agent_partitions(Agent *a)
{
	GVariant *out = NULL;

	g_dbus_connection_call(a->conn,
			       AGENT_NAME,
			       AGENT_PATH,
			       AGENT_NAME,
			       "GetPartitions",
			       NULL,
			       G_VARIANT_TYPE("(a{sv})"),
			       G_DBUS_CALL_FLAGS_NONE,
			       10000,
			       NULL,
			       partitions_cb,
			       &out);
	g_assert_true(wait_until(have_reply, &out, 15000));
	return out;
}

static gchar *
agent_member_id(Agent *a)
{
	g_autoptr(GVariant) p = agent_partitions(a);
	const gchar *id = NULL;
	g_assert_true(g_variant_lookup(p, "member_id", "&s", &id));
	return g_strdup(id);
}

/* the last complete set of @src whose cycle started at or after @since */
static CycleSet *
agent_last_set(Agent *a, guint src, gint64 since)
{
	for (guint i = a->complete->len; i > 0; i--) {
		CycleSet *cs = g_ptr_array_index(a->complete, i - 1);
		if (cs->source == src)
			return cs->timestamp >= since ? cs : NULL;
	}
	return NULL;
}

/* --- what the tests check --- */

typedef struct {
	Agent **agents;
	guint n;
	gint64 since;
	const gchar *state; /* for state waits */
} Group;

/* the agents' last cycles since @since split every resource exactly once */
static gboolean
covered(gpointer data)
{
	Group *g = data;

	for (guint src = 0; src < N_SOURCES; src++) {
		g_autoptr(GHashTable) all = g_hash_table_new(g_str_hash, g_str_equal);
		for (guint i = 0; i < g->n; i++) {
			CycleSet *cs = agent_last_set(g->agents[i], src, g->since);
			GHashTableIter iter;
			gpointer id;
			if (cs == NULL)
				return FALSE;
			g_hash_table_iter_init(&iter, cs->ids);
			while (g_hash_table_iter_next(&iter, &id, NULL)) {
				if (!g_hash_table_add(all, id))
					return FALSE; /* polled twice */
			}
		}
		if (g_hash_table_size(all) != N_RESOURCES)
			return FALSE;
	}
	return TRUE;
}

static guint
count_sets(Agent *a, guint src, gint64 since)
{
	guint n = 0;
	for (guint i = 0; i < a->complete->len; i++) {
		CycleSet *cs = g_ptr_array_index(a->complete, i);
		n += cs->source == src && cs->timestamp >= since ? 1 : 0;
	}
	return n;
}

static gboolean
three_more_cycles(gpointer data)
{
	Group *g = data;
	for (guint i = 0; i < g->n; i++) {
		for (guint src = 0; src < N_SOURCES; src++) {
			if (count_sets(g->agents[i], src, g->since) < 3)
				return FALSE;
		}
	}
	return TRUE;
}

static gboolean
sets_equal(GHashTable *a, GHashTable *b)
{
	GHashTableIter iter;
	gpointer id;

	if (g_hash_table_size(a) != g_hash_table_size(b))
		return FALSE;
	g_hash_table_iter_init(&iter, a);
	while (g_hash_table_iter_next(&iter, &id, NULL)) {
		if (!g_hash_table_contains(b, id))
			return FALSE;
	}
	return TRUE;
}

/* the static resources are known to every agent, so their shares are
 * balanced: each within 4% of the mean (rounded outwards), where per-key
 * hashing gives binomial shares (sd 8 around 100 for three agents) */
static void
assert_static_balanced(Agent **agents, guint n, gint64 since)
{
	guint lo = N_RESOURCES * 96 / (100 * n);
	guint hi = (N_RESOURCES * 104 + 100 * n - 1) / (100 * n);

	for (guint i = 0; i < n; i++) {
		CycleSet *cs = agent_last_set(agents[i], 0, since);
		g_assert_nonnull(cs);
		g_assert_cmpuint(g_hash_table_size(cs->ids), >=, lo);
		g_assert_cmpuint(g_hash_table_size(cs->ids), <=, hi);
	}
}

/* from @since on, every cycle of each agent polled the same share, and the
 * shares split the resources exactly: nothing twice, nothing missed */
static void
assert_steady(Agent **agents, guint n, gint64 since)
{
	Group g = { agents, n, since, NULL };
	gint64 ahead_ms = MAX(since - g_get_real_time(), 0) / 1000;

	/* @since may lie ahead (a wait through an outage) */
	g_assert_true(wait_until(three_more_cycles, &g, 15000 + (guint)ahead_ms));
	for (guint i = 0; i < n; i++) {
		for (guint src = 0; src < N_SOURCES; src++) {
			CycleSet *first = NULL;
			for (guint j = 0; j < agents[i]->complete->len; j++) {
				CycleSet *cs = g_ptr_array_index(agents[i]->complete, j);
				if (cs->source != src || cs->timestamp < since)
					continue;
				if (first == NULL)
					first = cs;
				else
					g_assert_true(sets_equal(first->ids, cs->ids));
			}
		}
	}
	g_assert_true(covered(&g));
	assert_static_balanced(agents, n, since);
}

static gboolean
in_state(gpointer data)
{
	Group *g = data;
	for (guint i = 0; i < g->n; i++) {
		if (g_strcmp0(g->agents[i]->coordination, g->state) != 0)
			return FALSE;
	}
	return TRUE;
}

static void
wait_state(Agent **agents, guint n, const gchar *state, guint ms)
{
	Group g = { agents, n, 0, state };
	g_assert_true(wait_until(in_state, &g, ms));
}

/* the agents' cycles that start at @since or later split every resource
 * exactly once */
static void
wait_covered(Agent **agents, guint n, gint64 since)
{
	Group g = { agents, n, since, NULL };
	g_assert_true(wait_until(covered, &g, 20000));
}

/* all members, then their cycles cover everything */
static void
wait_members_covered(Agent **agents, guint n)
{
	wait_state(agents, n, "member", 20000);
	wait_covered(agents, n, g_get_real_time());
}

/* --- fixture --- */

static gchar *
make_yaml(void)
{
	g_autoptr(GString) yaml = g_string_new("sources:\n  - name: static\n    interval: 1\n"
					       "    meters: [test.gauge]\n    resources:\n");
	for (guint i = 0; i < N_RESOURCES; i++)
		g_string_append_printf(yaml, "      - static-%u\n", i);
	g_string_append_printf(yaml,
			       "  - name: discovered\n    interval: 1\n    meters: [test.gauge]\n"
			       "    discovery: [\"test_resources:%u\"]\n",
			       N_RESOURCES);
	return g_string_free(g_steal_pointer(&yaml), FALSE);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autofree gchar *yaml = make_yaml();

	f->dir = pd_test_mkdtemp();
	f->etcd_dir = g_build_filename(f->dir, "etcd", NULL);
	f->client_port = free_port();
	do
		f->peer_port = free_port();
	while (f->peer_port == f->client_port);
	f->yaml = pd_test_write_file(f->dir, "polling.yaml", yaml);
	etcd_start(f);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	etcd_stop(f);
	/* POLLD_TEST_KEEP=1 keeps the agents' logs for a look */
	if (g_getenv("POLLD_TEST_KEEP") == NULL)
		pd_test_rmtree(f->dir);
	else
		g_test_message("kept %s", f->dir);
	g_free(f->dir);
	g_free(f->etcd_dir);
	g_free(f->yaml);
}

/* --- tests --- */

static gboolean
have_tools(void)
{
	g_autofree gchar *etcd = g_find_program_in_path("etcd");
	g_autofree gchar *bus = g_find_program_in_path("dbus-daemon");

	if (etcd == NULL || bus == NULL) {
		g_test_skip("needs etcd (etcd-server) and dbus-daemon");
		return FALSE;
	}
	return TRUE;
}

static void
kill_takeover(Fixture *f, Agent **agents, gint64 *takeover_us)
{
	Group two = { agents, 2, 0, NULL };
	gint64 killed;

	killed = g_get_real_time();
	agent_kill(agents[2], SIGKILL);
	two.since = killed;
	g_assert_true(wait_until(covered, &two, 20000));
	/* the first cycle of the survivors that covered everything */
	*takeover_us = MAX(agent_last_set(agents[0], 0, killed)->timestamp,
			   agent_last_set(agents[1], 0, killed)->timestamp) -
		       killed;
	for (guint src = 1; src < N_SOURCES; src++)
		*takeover_us = MAX(*takeover_us,
				   MAX(agent_last_set(agents[0], src, killed)->timestamp,
				       agent_last_set(agents[1], src, killed)->timestamp) -
				     killed);
	g_test_message("kill -9: covered by the other two %.2f s later", *takeover_us / 1e6);
	/* the lease ends at most one TTL after the kill (etcd, not slowed by
	 * sanitizers or valgrind); etcd checks expiry every 0.5 s; the next
	 * cycle starts within one interval; the survivors' own work (the watch
	 * event, the new share, starting the cycle) gets 1 s, scaled as every
	 * wait for the daemons is */
	g_assert_cmpint(*takeover_us,
			<=,
			(gint64)(MEMBERSHIP_TIMEOUT + INTERVAL) * G_USEC_PER_SEC +
			  (gint64)scale_ms(1000) * 1000);
	assert_steady(agents, 2, g_get_real_time());
}

static void
test_failover(Fixture *f, gconstpointer data)
{
	Agent *agents[3];
	g_autofree gchar *id_before = NULL;
	g_autofree gchar *id_after = NULL;
	g_autoptr(GHashTable) share_before = NULL;
	gint64 takeover_us;

	if (!have_tools())
		return;
	agents_spawn(f, agents, 3, NULL);
	/* every resource exactly once per cycle across the three */
	wait_members_covered(agents, 3);
	assert_steady(agents, 3, g_get_real_time());
	id_before = agent_member_id(agents[2]);
	share_before = g_hash_table_ref(agent_last_set(agents[2], 1, 0)->ids);

	/* kill -9: the others cover within the TTL plus one interval */
	kill_takeover(f, agents, &takeover_us);

	/* restart: same member id, the same share comes back */
	agent_spawn(agents[2]);
	wait_state(agents + 2, 1, "member", 20000);
	id_after = agent_member_id(agents[2]);
	g_assert_cmpstr(id_before, ==, id_after);
	wait_covered(agents, 3, g_get_real_time());
	assert_steady(agents, 3, g_get_real_time());
	g_assert_true(sets_equal(share_before, agent_last_set(agents[2], 1, 0)->ids));

	agents_free(agents, 3);
}

static gboolean
woke_and_cycled(gpointer data)
{
	Agent *a = data;
	return a->finished->len > 0;
}

typedef struct {
	Agent *a;
	guint seen;
} CycleWait;

static gboolean
cycle_came(gpointer data)
{
	CycleWait *w = data;
	return w->a->finished->len > w->seen;
}

/* SIGSTOP right after a CycleFinished arrived: the agent's one task ends
 * its next cycle an interval later, so no CycleFinished is emitted but
 * still unsent at the stop (the bus writes from its own thread) to arrive
 * after SIGCONT as if the agent had cycled then */
static void
stop_between_cycles(Agent *a)
{
	CycleWait w = { a, a->finished->len };

	g_assert_true(wait_until(cycle_came, &w, 10000));
	g_subprocess_send_signal(a->proc, SIGSTOP);
}

static void
test_frozen(Fixture *f, gconstpointer data)
{
	Agent *agents[3];
	gint64 stopped;

	if (!have_tools())
		return;
	agents_spawn(f, agents, 3, NULL);
	wait_members_covered(agents, 3);

	/* frozen past its lease: the other two take over */
	stop_between_cycles(agents[2]);
	stopped = g_get_real_time();
	wait_covered(agents, 2, stopped);
	/* no CycleFinished can come from a stopped process, nor one emitted
	 * before the stop (above): what arrives now was emitted after SIGCONT */
	g_ptr_array_set_size(agents[2]->finished, 0);
	g_subprocess_send_signal(agents[2]->proc, SIGCONT);
	g_assert_true(wait_until(woke_and_cycled, agents[2], 10000));
	/* cycles that began before the stop end now, long; the first cycle
	 * that began after waking polled nothing, skipping everything */
	for (guint i = 0; i < agents[2]->finished->len; i++) {
		Finished *fin = g_ptr_array_index(agents[2]->finished, i);
		if (fin->duration_us > (gint64)MEMBERSHIP_TIMEOUT * G_USEC_PER_SEC)
			continue;
		g_test_message(
		  "first cycle after SIGCONT: %u samples, %u skipped", fin->samples, fin->skipped);
		g_assert_cmpuint(fin->samples, ==, 0);
		/* each source's resources all skipped, unless that source's
		 * pollster is still the late one of the cycle cut by the stop:
		 * then it is not run at all in this cycle */
		g_assert_cmpuint(fin->skipped, >, 0);
		g_assert_cmpuint(fin->skipped % N_RESOURCES, ==, 0);
		break;
	}
	/* then it rejoins and gets its share back */
	wait_state(agents + 2, 1, "member", 20000);
	wait_covered(agents, 3, g_get_real_time());
	assert_steady(agents, 3, g_get_real_time());
	agents_free(agents, 3);
}

static gboolean
time_passed(gpointer data)
{
	return g_get_monotonic_time() >= *(const gint64 *)data;
}

static gboolean
left_member(gpointer data)
{
	Agent *a = data;
	return a->coordination != NULL && !g_str_equal(a->coordination, "member");
}

/* etcd hangs, then the agent is stopped past its lease with a keep-alive
 * in flight or due: when it wakes up, the request's timeout (or its first
 * tick) finds it. It did not run, so it is not "stale" (which would keep
 * polling the old share, the others' by now): it polls nothing of the
 * shared groups until etcd confirms its membership. */
static void
test_frozen_request(Fixture *f, gconstpointer data)
{
	g_autofree gchar *yaml = NULL;
	g_autofree gchar *extra = NULL;
	Agent *a;
	gint64 until;

	if (!have_tools())
		return;
	/* no cycle comes due while it is stopped: a cycle's start would find
	 * the lease's deadline passed by itself */
	yaml = pd_test_write_file(f->dir,
				  "slow.yaml",
				  "sources:\n  - name: static\n    interval: 600\n"
				  "    meters: [test.gauge]\n    resources: [static-0]\n");
	extra = g_strdup_printf("[polling]\ncfg_file = %s\n", yaml);
	a = agent_new(f, "agent-1", extra);
	agent_spawn(a);
	wait_state(&a, 1, "member", 20000);

	g_subprocess_send_signal(f->etcd, SIGSTOP);
	g_subprocess_send_signal(a->proc, SIGSTOP);
	/* nothing to watch while both are stopped: the lease and a request's
	 * timeout pass */
	until = g_get_monotonic_time() +
		(gint64)(MEMBERSHIP_TIMEOUT + REQUEST_TIMEOUT + 1) * G_USEC_PER_SEC;
	g_assert_true(wait_until(time_passed, &until, 60000));
	g_subprocess_send_signal(a->proc, SIGCONT);
	g_assert_true(wait_until(left_member, a, 10000));
	g_assert_cmpstr(a->coordination, ==, "joining");

	/* etcd answers again: it rejoins */
	g_subprocess_send_signal(f->etcd, SIGCONT);
	wait_state(&a, 1, "member", 20000);
	agent_free(a);
}

static void
test_etcd_outage(Fixture *f, gconstpointer data)
{
	Agent *agents[3];
	gint64 down;

	if (!have_tools())
		return;
	agents_spawn(f, agents, 3, NULL);
	wait_members_covered(agents, 3);

	/* etcd down for longer than the lease: each agent keeps its share */
	down = g_get_real_time();
	etcd_stop(f);
	wait_state(agents, 3, "stale", 10000);
	assert_steady(agents, 3, down + (gint64)(2 * MEMBERSHIP_TIMEOUT) * G_USEC_PER_SEC);
	g_test_message("etcd down for %.1f s", (g_get_real_time() - down) / 1e6);
	g_assert_cmpint(g_get_real_time() - down, >, 2 * MEMBERSHIP_TIMEOUT * G_USEC_PER_SEC);
	{
		g_autoptr(GVariant) p = agent_partitions(agents[0]);
		const gchar *state;
		g_assert_true(g_variant_lookup(p, "state", "&s", &state));
		g_assert_cmpstr(state, ==, "stale");
	}

	/* etcd back: members again, shares settle */
	etcd_start(f);
	wait_members_covered(agents, 3);
	assert_steady(agents, 3, g_get_real_time());
	agents_free(agents, 3);
}

typedef struct {
	gboolean done;
	gchar *out;
} CtlRun;

static void
ctl_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CtlRun *run = user_data;
	g_autoptr(GError) error = NULL;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), res, &run->out, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_successful(G_SUBPROCESS(source)));
	run->done = TRUE;
}

static gboolean
ctl_finished(gpointer data)
{
	return ((CtlRun *)data)->done;
}

/* the row of @group in polldctl partitions' table (not its member list,
 * which is headed "<group>:") */
static gchar *
ctl_group_row(const gchar *out, const gchar *group)
{
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++)
		if (g_str_has_prefix(g_strchug(lines[i]), group) &&
		    !g_str_has_suffix(lines[i], ":"))
			return g_strdup(lines[i]);
	g_error("no row for group %s in:\n%s", group, out);
	return NULL;
}

/* polldctl against @a's bus, without blocking: @a must keep printing */
static gchar *
agent_polldctl(Agent *a, const gchar *command)
{
	g_autofree gchar *ctl =
	  g_build_filename(g_getenv("POLLD_BUILD_ROOT"), "src", "polldctl", NULL);
	g_autofree gchar *address = g_strdup_printf("--address=%s", a->address);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc =
	  g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, ctl, address, command, NULL);
	CtlRun run = { FALSE, NULL };

	g_assert_no_error(error);
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, ctl_done_cb, &run);
	g_assert_true(wait_until(ctl_finished, &run, 20000));
	return run.out;
}

static gboolean
polls_everything(gpointer data)
{
	Agent *a = data;
	for (guint src = 0; src < N_SOURCES; src++) {
		CycleSet *cs = agent_last_set(a, src, 0);
		if (cs == NULL || g_hash_table_size(cs->ids) != N_RESOURCES)
			return FALSE;
	}
	return TRUE;
}

static void
test_prefixes(Fixture *f, gconstpointer data)
{
	Agent *agents[2];

	if (!have_tools())
		return;
	agents[0] = agent_new(f, "agent-a", "[polling]\npartitioning_group_prefix = blue\n");
	agents[1] = agent_new(f, "agent-b", "[polling]\npartitioning_group_prefix = green\n");
	agent_spawn(agents[0]);
	agent_spawn(agents[1]);
	wait_state(agents, 2, "member", 20000);
	/* each is alone in its groups: both poll everything, for several cycles */
	g_assert_true(wait_until(polls_everything, agents[0], 10000));
	g_assert_true(wait_until(polls_everything, agents[1], 10000));
	{
		Group g = { agents, 2, g_get_real_time(), NULL };
		g_assert_true(wait_until(three_more_cycles, &g, 15000));
		g_assert_true(polls_everything(agents[0]));
		g_assert_true(polls_everything(agents[1]));
	}
	/* polldctl shows the partitioning in one line and in full */
	{
		g_autofree gchar *status = agent_polldctl(agents[0], "status");
		g_autofree gchar *parts = agent_polldctl(agents[0], "partitions");
		g_autofree gchar *id = agent_member_id(agents[0]);
		g_autofree gchar *line = g_strdup_printf(
		  "Partitions: member, 2 group(s) as %s: polls 600 of 600 resources", id);
		g_autofree gchar *global = NULL;
		g_autofree gchar *stat = NULL;
		g_test_message("%s", parts);
		g_assert_nonnull(strstr(status, line));
		g_assert_nonnull(strstr(parts, "test-blue-global"));
		g_assert_nonnull(strstr(parts, "test-blue-static-"));
		g_assert_nonnull(strstr(parts, id));
		g_assert_null(strstr(parts, "green"));
		/* GetPartitions' "balanced" per group, and the etcd counters
		 * (no user in backend_url: no authentication) */
		g_assert_nonnull(strstr(parts, "BALANCED"));
		global = ctl_group_row(parts, "test-blue-global");
		stat = ctl_group_row(parts, "test-blue-static-");
		g_assert_nonnull(strstr(global, " no "));
		g_assert_nonnull(strstr(stat, " yes "));
		g_assert_true(g_regex_match_simple(
		  "Requests: +[1-9][0-9]* etcd requests, 0 authentications\n", parts, 0, 0));
	}
	agents_free(agents, 2);
}

/* past max_stale_seconds with stale_action = poll_all, every agent polls
 * everything; back in contact, they split again */
static void
test_stale_poll_all(Fixture *f, gconstpointer data)
{
	Agent *agents[2];
	const gchar *extra = "[coordination]\nmax_stale_seconds = 2\nstale_action = poll_all\n";

	if (!have_tools())
		return;
	agents_spawn(f, agents, 2, extra);
	wait_members_covered(agents, 2);
	g_assert_false(polls_everything(agents[0]));

	etcd_stop(f);
	wait_state(agents, 2, "stale", 10000);
	g_assert_true(wait_until(polls_everything, agents[0], 15000));
	g_assert_true(wait_until(polls_everything, agents[1], 15000));

	etcd_start(f);
	wait_members_covered(agents, 2);
	agents_free(agents, 2);
}

/* --- etcd authentication --- */

#define AUTH_PASSWORD "p@ss w0rd"
#define AUTH_PASSWORD_URL "p%40ss%20w0rd"
#define ROOT_PASSWORD "r00t"

typedef struct {
	gboolean done;
	guint status;
	JsonObject *reply;
} EtcdReply;

static void
etcd_post_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	EtcdReply *r = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes =
	  soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);
	g_autoptr(JsonParser) parser = json_parser_new();

	g_assert_no_error(error);
	r->status =
	  soup_message_get_status(soup_session_get_async_result_message(SOUP_SESSION(source), res));
	g_assert_true(json_parser_load_from_data(
	  parser, g_bytes_get_data(bytes, NULL), (gssize)g_bytes_get_size(bytes), NULL));
	r->reply = json_object_ref(json_node_get_object(json_parser_get_root(parser)));
	r->done = TRUE;
}

static gboolean
etcd_replied(gpointer data)
{
	return ((EtcdReply *)data)->done;
}

/* one POST to etcd's JSON gateway, without blocking (the agents must keep
 * printing); asserts a 200 and returns the reply */
static JsonObject *
etcd_post(Fixture *f, const gchar *method, const gchar *body, const gchar *token)
{
	g_autoptr(SoupSession) session = soup_session_new();
	g_autofree gchar *uri =
	  g_strdup_printf("http://127.0.0.1:%u/v3/%s", f->client_port, method);
	g_autoptr(SoupMessage) msg = soup_message_new("POST", uri);
	g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
	EtcdReply r = { FALSE, 0, NULL };

	soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
	if (token != NULL)
		soup_message_headers_replace(
		  soup_message_get_request_headers(msg), "Authorization", token);
	soup_session_send_and_read_async(session, msg, G_PRIORITY_DEFAULT, NULL, etcd_post_cb, &r);
	g_assert_true(wait_until(etcd_replied, &r, 20000));
	g_assert_cmpuint(r.status, ==, 200);
	return r.reply;
}

static void
etcd_do(Fixture *f, const gchar *method, const gchar *body, const gchar *token)
{
	json_object_unref(etcd_post(f, method, body, token));
}

/* root, and a user "polld" whose role may read and write polld's prefix
 * only; then authentication on */
static void
etcd_enable_auth(Fixture *f)
{
	g_autofree gchar *from = g_base64_encode((const guchar *)"polld/", 6);
	g_autofree gchar *to = g_base64_encode((const guchar *)"polld0", 6);
	g_autofree gchar *grant =
	  g_strdup_printf("{\"name\":\"polld\",\"perm\":{\"permType\":\"READWRITE\",\"key\":\"%s\","
			  "\"range_end\":\"%s\"}}",
			  from,
			  to);

	etcd_do(f, "auth/user/add", "{\"name\":\"root\",\"password\":\"" ROOT_PASSWORD "\"}", NULL);
	etcd_do(f, "auth/user/grant", "{\"user\":\"root\",\"role\":\"root\"}", NULL);
	etcd_do(f, "auth/role/add", "{\"name\":\"polld\"}", NULL);
	etcd_do(f, "auth/role/grant", grant, NULL);
	etcd_do(
	  f, "auth/user/add", "{\"name\":\"polld\",\"password\":\"" AUTH_PASSWORD "\"}", NULL);
	etcd_do(f, "auth/user/grant", "{\"user\":\"polld\",\"role\":\"polld\"}", NULL);
	etcd_do(f, "auth/enable", "{}", NULL);
}

static guint64
agent_authentications(Agent *a)
{
	g_autoptr(GVariant) p = agent_partitions(a);
	guint64 n = 0;
	g_assert_true(g_variant_lookup(p, "etcd_authentications", "t", &n));
	return n;
}

typedef struct {
	Agent **agents;
	guint n;
	guint64 *before;
} AuthCount;

static gboolean
authenticated_again(gpointer data)
{
	AuthCount *c = data;
	for (guint i = 0; i < c->n; i++) {
		if (agent_authentications(c->agents[i]) <= c->before[i])
			return FALSE;
	}
	return TRUE;
}

static gchar *
agent_log(Agent *a)
{
	g_autofree gchar *path = g_build_filename(a->dir, "polld.log", NULL);
	gchar *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

/* the password is nowhere: not in the log, not on D-Bus */
static void
assert_no_password(Agent *a)
{
	g_autoptr(GVariant) p = agent_partitions(a);
	g_autofree gchar *text = g_variant_print(p, FALSE);
	g_autofree gchar *log = agent_log(a);
	const gchar *backend = NULL;

	g_assert_true(g_variant_lookup(p, "backend", "&s", &backend));
	g_assert_true(g_str_has_prefix(backend, "etcd3+http://polld:***@127.0.0.1:"));
	g_assert_null(strstr(text, "w0rd"));
	g_assert_null(strstr(log, "w0rd"));
}

/* a user and a password in backend_url: the agents authenticate, split the
 * work, authenticate again when a restarted etcd refuses their tokens, and a wrong
 * password is a clear error that does not show the password */
static void
test_auth(Fixture *f, gconstpointer data)
{
	Agent *agents[3];
	Group two = { agents, 2, 0, NULL };
	g_autofree gchar *extra = NULL;
	g_autofree gchar *wrong = NULL;
	guint64 before[2];
	AuthCount count = { agents, 2, before };

	if (!have_tools())
		return;
	etcd_enable_auth(f);
	extra = g_strdup_printf("[coordination]\nbackend_url = etcd3+http://polld:%s"
				"@127.0.0.1:%u?membership_timeout=%u&timeout=2\n",
				AUTH_PASSWORD_URL,
				f->client_port,
				MEMBERSHIP_TIMEOUT);
	wrong = g_strdup_printf("[coordination]\nbackend_url = etcd3+http://polld:n0t-it"
				"@127.0.0.1:%u?membership_timeout=%u&timeout=2\n",
				f->client_port,
				MEMBERSHIP_TIMEOUT);
	agents[0] = agent_new(f, "agent-1", extra);
	agents[1] = agent_new(f, "agent-2", extra);
	agents[2] = agent_new(f, "agent-3", wrong);
	for (guint i = 0; i < 3; i++)
		agent_spawn(agents[i]);
	wait_state(agents, 2, "member", 20000);
	two.since = g_get_real_time();
	g_assert_true(wait_until(covered, &two, 20000));
	assert_steady(agents, 2, g_get_real_time());

	/* the wrong password: never a member, etcd's reason on D-Bus */
	{
		g_autoptr(GVariant) p = agent_partitions(agents[2]);
		const gchar *state = NULL, *error = NULL;
		g_assert_true(g_variant_lookup(p, "state", "&s", &state));
		g_assert_cmpstr(state, ==, "joining");
		g_assert_true(g_variant_lookup(p, "last_error", "&s", &error));
		g_test_message("wrong password: %s", error);
		g_assert_nonnull(strstr(error, "authenticating as polld"));
		g_assert_nonnull(strstr(error, "invalid user ID or password"));
		g_assert_null(strstr(error, "n0t-it"));
	}

	/* etcd restarted: it forgot its tokens, the agents' first requests
	 * that need one (the watch, the member keys) are refused and they
	 * authenticate again (lease keep-alives need no token) */
	for (guint i = 0; i < 2; i++)
		before[i] = agent_authentications(agents[i]);
	etcd_stop(f);
	etcd_start(f);
	g_assert_true(wait_until(authenticated_again, &count, 20000));
	wait_state(agents, 2, "member", 20000);
	assert_steady(agents, 2, g_get_real_time());
	for (guint i = 0; i < 2; i++)
		assert_no_password(agents[i]);
	/* polldctl partitions shows the authentications */
	{
		g_autofree gchar *parts = agent_polldctl(agents[0], "partitions");
		g_autofree gchar *expect =
		  g_strdup_printf(" etcd requests, %" G_GUINT64_FORMAT " authentications\n",
				  agent_authentications(agents[0]));
		g_test_message("%s", parts);
		g_assert_nonnull(strstr(parts, expect));
	}
	for (guint i = 0; i < 3; i++)
		agent_free(agents[i]);
}

static void
test_redis_refused(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *conf =
	  pd_test_write_file(dir,
			     "polld.conf",
			     "[DEFAULT]\npolling_namespaces = test\n[coordination]\n"
			     "backend_url = redis://user:s3cret@localhost:6379\n");
	const gchar *args[] = { "--dry-run", "--config-file", conf, NULL };
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;
	gint status = 0;

	out = pd_test_run_polld(&status, &err, args);
	g_assert_false(g_spawn_check_wait_status(status, NULL));
	g_assert_nonnull(strstr(err, "polld.conf"));
	g_assert_nonnull(strstr(err, "'redis' coordination backend is not supported"));
	g_assert_nonnull(strstr(err, "etcd3+http://"));
	g_assert_null(strstr(err, "s3cret"));
	pd_test_rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/partition/redis-refused", test_redis_refused);
	g_test_add(
	  "/partition/failover", Fixture, NULL, fixture_setup, test_failover, fixture_teardown);
	g_test_add(
	  "/partition/frozen", Fixture, NULL, fixture_setup, test_frozen, fixture_teardown);
	g_test_add("/partition/frozen-request",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_frozen_request,
		   fixture_teardown);
	g_test_add("/partition/etcd-outage",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_etcd_outage,
		   fixture_teardown);
	g_test_add(
	  "/partition/prefixes", Fixture, NULL, fixture_setup, test_prefixes, fixture_teardown);
	g_test_add("/partition/auth", Fixture, NULL, fixture_setup, test_auth, fixture_teardown);
	g_test_add("/partition/stale-poll-all",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_stale_poll_all,
		   fixture_teardown);
	return g_test_run();
}
