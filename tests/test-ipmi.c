/*
 * polld - the ipmi plugin: its parser on vendor outputs, its ipmitool argv,
 * and the real daemon against OpenIPMI's ipmi_sim on loopback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>

#include "pd-ipmi-sdr.h"
#include "pd-ipmi-tool.h"
#include "pd-test-ipmi-sim.h"
#include "pd-config-private.h"
#include "pd-test-util.h"

#define TEST_HOST "testhost"

/* --- the parser on recorded outputs --- */

static gchar *
render_sensors(GPtrArray *sensors)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < sensors->len; i++) {
		PdIpmiSensor *s = g_ptr_array_index(sensors, i);
		g_autofree gchar *unit = NULL;
		gdouble volume;
		if (!pd_ipmi_sdr_reading_parse(s->reading, &volume, &unit)) {
			g_string_append_printf(out, "%s|%s|-|\n", s->type, s->id);
			continue;
		}
		g_string_append_printf(out,
				       "%s|%s|%g|%s|%s\n",
				       s->type,
				       s->id,
				       volume,
				       unit,
				       s->normal_maximum != NULL ? s->normal_maximum : "");
	}
	return g_string_free(out, FALSE);
}

static void
test_parser_vendors(void)
{
	g_autofree gchar *dir =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "data", "ipmi", "vendors", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
	const gchar *name;
	guint checked = 0;

	g_assert_no_error(error);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		g_autofree gchar *expected_path = NULL;
		g_autofree gchar *text = NULL;
		g_autofree gchar *expected = NULL;
		g_autofree gchar *got = NULL;
		g_autoptr(GPtrArray) sensors = NULL;
		gsize len;

		if (!g_str_has_suffix(name, ".txt"))
			continue;
		expected_path = g_strdup_printf("%.*s.expected", (int)strlen(path) - 4, path);
		g_file_get_contents(path, &text, &len, &error);
		g_assert_no_error(error);
		g_file_get_contents(expected_path, &expected, NULL, &error);
		g_assert_no_error(error);
		sensors = pd_ipmi_sdr_parse(text, len, &error);
		g_assert_no_error(error);
		got = render_sensors(sensors);
		g_test_message("%s", name);
		g_assert_cmpstr(got, ==, expected);
		checked++;
	}
	g_assert_cmpuint(checked, >=, 4);
}

static void
test_parser_edges(void)
{
	static const gchar *const no_sensor[] = {
		"",
		"\n\n\n",
		"Device ID : BMC\n Entity ID : 7.1\n",
		"Sensor ID : A\nSensor Type (Threshold) : Fan\n", /* no reading */
		"garbage without colons\n\x01\x02\xff\n",
	};
	static const gchar *const unparsed[] = {
		"Disabled", "No Reading", "na",	     "0x00", "45", " 45 C",
		"nan C",    "inf C",	  "1e999 C", "4x C", "",
	};
	g_autofree gchar *unit = NULL;
	gdouble volume = 0;

	for (guint i = 0; i < G_N_ELEMENTS(no_sensor); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) sensors =
		  pd_ipmi_sdr_parse(no_sensor[i], strlen(no_sensor[i]), &error);
		g_assert_null(sensors);
		g_assert_nonnull(error);
	}
	for (guint i = 0; i < G_N_ELEMENTS(unparsed); i++)
		g_assert_false(pd_ipmi_sdr_reading_parse(unparsed[i], &volume, &unit));
	g_assert_true(pd_ipmi_sdr_reading_parse("-7 (+/- 1) degrees C", &volume, &unit));
	g_assert_cmpfloat(volume, ==, -7.0);
	g_assert_cmpstr(unit, ==, "C");
	g_clear_pointer(&unit, g_free);
	g_assert_true(pd_ipmi_sdr_reading_parse("1.5 Watts", &volume, &unit));
	g_assert_cmpstr(unit, ==, "W");
	g_autofree gchar *id = pd_ipmi_sdr_sensor_id_transform("CPU1 Temp (0x1)");
	g_assert_cmpstr(id, ==, "cpu1_temp_(0x1)");
}

/* --- the argv never holds the password --- */

static PdConfig *
config_from_text(const gchar *text)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	g_autofree gchar *path = pd_test_write_file(dir, "polld.conf", text);
	g_autoptr(GError) error = NULL;
	PdConfig *config = pd_config_new();

	pd_config_load_file(config, path, &error);
	g_assert_no_error(error);
	pd_test_rmtree(dir);
	return config;
}

static void
test_argv(void)
{
	static const gchar *const args[] = { "sdr", "-v", NULL };
	g_autoptr(PdConfig) lan = config_from_text("[ipmi]\ninterface = lanplus\naddress = bmc1\n"
						   "username = admin\npassword = hunter2\n"
						   "cipher_suite = 17\n");
	g_autoptr(PdConfig) file = config_from_text("[ipmi]\ninterface = lan\naddress = bmc1\n"
						    "password_file = /etc/polld/bmc.pw\n");
	g_autoptr(PdConfig) local = config_from_text("[ipmi]\n");
	g_autoptr(PdConfig) both = config_from_text("[ipmi]\ninterface = lanplus\naddress = b\n"
						    "password = x\npassword_file = /y\n");
	g_autoptr(PdConfig) noaddr = config_from_text("[ipmi]\ninterface = lanplus\n");
	g_autoptr(PdConfig) nopass =
	  config_from_text("[ipmi]\ninterface = lanplus\naddress = b\nport = 1623\nusername = u\n");
	g_autoptr(PdIpmiToolConfig) tc = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) argv = NULL;
	g_autofree gchar *joined = NULL;

	tc = pd_ipmi_tool_config_new(lan, &error);
	g_assert_no_error(error);
	argv = pd_ipmi_tool_config_build_argv(tc, args);
	joined = g_strjoinv(" ", argv);
	g_assert_cmpstr(joined, ==, "ipmitool -I lanplus -H bmc1 -p 623 -U admin -E -C 17 sdr -v");
	g_assert_null(strstr(joined, "hunter2"));
	g_clear_pointer(&tc, pd_ipmi_tool_config_free);
	g_clear_pointer(&argv, g_strfreev);
	g_clear_pointer(&joined, g_free);

	tc = pd_ipmi_tool_config_new(file, &error);
	g_assert_no_error(error);
	argv = pd_ipmi_tool_config_build_argv(tc, args);
	joined = g_strjoinv(" ", argv);
	g_assert_cmpstr(joined, ==, "ipmitool -I lan -H bmc1 -p 623 -f /etc/polld/bmc.pw sdr -v");
	g_clear_pointer(&tc, pd_ipmi_tool_config_free);
	g_clear_pointer(&argv, g_strfreev);
	g_clear_pointer(&joined, g_free);

	tc = pd_ipmi_tool_config_new(local, &error);
	g_assert_no_error(error);
	argv = pd_ipmi_tool_config_build_argv(tc, args);
	joined = g_strjoinv(" ", argv);
	g_assert_cmpstr(joined, ==, "ipmitool -I open sdr -v");
	g_clear_pointer(&tc, pd_ipmi_tool_config_free);
	g_clear_pointer(&argv, g_strfreev);
	g_clear_pointer(&joined, g_free);

	/* no password: the empty one through -E, never a prompt */
	tc = pd_ipmi_tool_config_new(nopass, &error);
	g_assert_no_error(error);
	argv = pd_ipmi_tool_config_build_argv(tc, args);
	joined = g_strjoinv(" ", argv);
	g_assert_cmpstr(joined, ==, "ipmitool -I lanplus -H b -p 1623 -U u -E sdr -v");
	g_clear_pointer(&tc, pd_ipmi_tool_config_free);

	tc = pd_ipmi_tool_config_new(both, &error);
	g_assert_error(error, PD_ERROR, PD_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "password_file"));
	g_clear_error(&error);
	tc = pd_ipmi_tool_config_new(noaddr, &error);
	g_assert_error(error, PD_ERROR, PD_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "address"));
}

/* --- the daemon against ipmi_sim --- */

typedef struct {
	gchar *dir;
	PdTestIpmiSim *sim;
} SimFixture;

static void
sim_setup(SimFixture *f, gconstpointer data)
{
	if (!pd_test_ipmi_sim_available()) {
		g_test_skip("ipmi_sim or ipmitool not installed (tools/deps.sh installs them)");
		return;
	}
	f->dir = pd_test_mkdtemp();
	f->sim = pd_test_ipmi_sim_start(f->dir);
}

static void
sim_teardown(SimFixture *f, gconstpointer data)
{
	g_clear_pointer(&f->sim, pd_test_ipmi_sim_free);
	if (f->dir != NULL)
		pd_test_rmtree(f->dir);
	g_clear_pointer(&f->dir, g_free);
}

static gchar *
ipmi_yaml(guint interval)
{
	return g_strdup_printf("sources:\n"
			       "  - name: ipmi\n"
			       "    interval: %u\n"
			       "    meters:\n"
			       "      - \"hardware.ipmi.*\"\n",
			       interval);
}

/* config for the simulated BMC, plus @extra lines in [ipmi] */
static gchar *
write_config(SimFixture *f, const gchar *extra, guint interval)
{
	g_autofree gchar *yaml = ipmi_yaml(interval);
	g_autofree gchar *yaml_path = pd_test_write_file(f->dir, "polling.yaml", yaml);
	g_autofree gchar *conf =
	  g_strdup_printf("[DEFAULT]\nhost = " TEST_HOST "\npolling_namespaces = ipmi\n"
			  "[polling]\nbatch_size = 1\n"
			  "[ipmi]\ninterface = lanplus\naddress = 127.0.0.1\nport = %u\n"
			  "username = " PD_TEST_IPMI_USER "\n"
			  /* ipmi_sim answers no Get Channel Cipher Suites; name one */
			  "cipher_suite = 3\n%s\n",
			  f->sim->port,
			  extra);
	return pd_test_write_file(f->dir, "polld.conf", conf);
}

static GPtrArray *
run_once(SimFixture *f, const gchar *extra, gchar **err)
{
	g_autofree gchar *conf = write_config(f, extra, 60);
	const gchar *args[] = { "--once", "--dry-run",	   "--polling-namespaces",
				"ipmi",	  "--config-file", conf,
				NULL };
	gint status = -1;
	g_autofree gchar *out = pd_test_run_polld(&status, err, args);
	return pd_test_collect_samples(out);
}

static JsonObject *
find_sample(GPtrArray *samples, const gchar *resource_id)
{
	for (guint i = 0; i < samples->len; i++) {
		JsonObject *s = g_ptr_array_index(samples, i);
		if (g_strcmp0(json_object_get_string_member(s, "resource_id"), resource_id) == 0)
			return s;
	}
	return NULL;
}

typedef struct {
	const gchar *resource_id;
	const gchar *meter;
	const gchar *unit;
	gdouble volume;
	const gchar *maximum_rpm;
} ExpectedSample;

/* tests/data/ipmi/bmc.emu: raw values times M and 10^R */
static const ExpectedSample bmc_samples[] = {
	{ TEST_HOST "-cpu_temp_(0x1)", "hardware.ipmi.temperature", "C", 45.0, NULL },
	{ TEST_HOST "-12v_(0x2)", "hardware.ipmi.voltage", "V", 12.06, NULL },
	{ TEST_HOST "-psu1_current_(0x3)", "hardware.ipmi.current", "Amps", 7.4, NULL },
	{ TEST_HOST "-fan1_(0x4)", "hardware.ipmi.fan", "RPM", 3300.0, "6000.000" },
	{ TEST_HOST "-pwr_consumption_(0x5)", "hardware.ipmi.power", "W", 154.0, NULL },
};

static void
assert_bmc_samples(GPtrArray *samples)
{
	g_assert_cmpuint(samples->len, ==, G_N_ELEMENTS(bmc_samples));
	for (guint i = 0; i < G_N_ELEMENTS(bmc_samples); i++) {
		const ExpectedSample *e = &bmc_samples[i];
		JsonObject *s = find_sample(samples, e->resource_id);
		JsonObject *md;
		g_assert_nonnull(s);
		g_assert_cmpstr(json_object_get_string_member(s, "counter_name"), ==, e->meter);
		g_assert_cmpstr(json_object_get_string_member(s, "counter_type"), ==, "gauge");
		g_assert_cmpstr(json_object_get_string_member(s, "counter_unit"), ==, e->unit);
		g_assert_cmpfloat_with_epsilon(
		  json_object_get_double_member(s, "counter_volume"), e->volume, 1e-9);
		g_assert_true(json_object_get_null_member(s, "user_id"));
		g_assert_true(json_object_get_null_member(s, "project_id"));
		md = json_object_get_object_member(s, "resource_metadata");
		g_assert_cmpstr(json_object_get_string_member(md, "node"), ==, TEST_HOST);
		g_assert_cmpuint(json_object_get_size(md), ==, e->maximum_rpm != NULL ? 2 : 1);
		if (e->maximum_rpm != NULL)
			g_assert_cmpstr(
			  json_object_get_string_member(md, "maximum_rpm"), ==, e->maximum_rpm);
	}
	/* Fan2 reads "Disabled": no sample */
	g_assert_null(find_sample(samples, TEST_HOST "-fan2_(0x6)"));
}

static void
test_sim_samples(SimFixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) samples = NULL;

	if (f->sim == NULL)
		return;
	samples = run_once(f, "password = " PD_TEST_IPMI_PASSWORD, NULL);
	assert_bmc_samples(samples);
}

/* [polld] ceilometer_compat = zed: Zed's current meter takes the "Pwr
 * Consumption" sensor too, and fans have no maximum_rpm */
static void
test_sim_compat_zed(SimFixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) samples = NULL;
	guint currents = 0;
	JsonObject *fan;

	if (f->sim == NULL)
		return;
	samples = run_once(
	  f, "password = " PD_TEST_IPMI_PASSWORD "\n[polld]\nceilometer_compat = zed", NULL);
	for (guint i = 0; i < samples->len; i++) {
		JsonObject *s = g_ptr_array_index(samples, i);
		if (g_strcmp0(json_object_get_string_member(s, "counter_name"),
			      "hardware.ipmi.current") != 0)
			continue;
		currents++;
		g_assert_true(g_str_equal(json_object_get_string_member(s, "resource_id"),
					  TEST_HOST "-psu1_current_(0x3)") ||
			      g_str_equal(json_object_get_string_member(s, "resource_id"),
					  TEST_HOST "-pwr_consumption_(0x5)"));
	}
	g_assert_cmpuint(currents, ==, 2);
	fan = find_sample(samples, TEST_HOST "-fan1_(0x4)");
	g_assert_nonnull(fan);
	g_assert_false(json_object_has_member(
	  json_object_get_object_member(fan, "resource_metadata"), "maximum_rpm"));
}

static void
test_sim_password_file(SimFixture *f, gconstpointer data)
{
	g_autofree gchar *pw = NULL;
	g_autofree gchar *extra = NULL;
	g_autoptr(GPtrArray) samples = NULL;

	if (f->sim == NULL)
		return;
	pw = pd_test_write_file(f->dir, "bmc.pw", PD_TEST_IPMI_PASSWORD "\n");
	extra = g_strdup_printf("password_file = %s", pw);
	samples = run_once(f, extra, NULL);
	assert_bmc_samples(samples);
}

static void
test_sim_wrong_password(SimFixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) samples = NULL;
	g_autofree gchar *err = NULL;

	if (f->sim == NULL)
		return;
	samples = run_once(f, "password = wrong", &err);
	g_assert_cmpuint(samples->len, ==, 0);
	g_assert_nonnull(strstr(err, "ipmitool failed"));
	g_assert_null(strstr(err, "wrong"));
}

static void
test_sim_output_limit(SimFixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) samples = NULL;
	g_autofree gchar *err = NULL;

	if (f->sim == NULL)
		return;
	samples = run_once(f, "password = " PD_TEST_IPMI_PASSWORD "\noutput_limit = 300", &err);
	g_assert_cmpuint(samples->len, ==, 0);
	g_assert_nonnull(strstr(err, "output_limit (300 bytes)"));
}

/* --- the BMC stops mid-run and comes back: a running daemon on a private bus --- */

typedef struct {
	SimFixture *sim;
	GSubprocess *bus;
	GDBusConnection *conn;
	gchar *address;
	GSubprocess *polld;
	GDataInputStream *out;
	GPtrArray *lines;
	GCancellable *cancellable;
} Outage;

/* stops polld and the bus, frees what outage_start_bus() and
 * outage_spawn_polld() made */
static void
outage_finish(Outage *o)
{
	g_subprocess_send_signal(o->polld, SIGTERM);
	g_subprocess_wait(o->polld, NULL, NULL);
	g_cancellable_cancel(o->cancellable);
	g_subprocess_send_signal(o->bus, SIGTERM);
	g_subprocess_wait(o->bus, NULL, NULL);
	g_object_unref(o->conn);
	g_object_unref(o->out);
	g_object_unref(o->polld);
	g_object_unref(o->bus);
	g_object_unref(o->cancellable);
	g_ptr_array_unref(o->lines);
	g_free(o->address);
}

static void
outage_start_bus(Outage *o)
{
	o->lines = g_ptr_array_new_with_free_func(g_free);
	o->cancellable = g_cancellable_new();
	o->bus = pd_test_bus_start(o->sim->dir, "session", NULL, &o->address, &o->conn);
}

static void
outage_read_line_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Outage *o = user_data;
	gchar *line =
	  g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, NULL, NULL);

	if (line == NULL)
		return;
	g_ptr_array_add(o->lines, line);
	g_data_input_stream_read_line_async(
	  o->out, G_PRIORITY_DEFAULT, o->cancellable, outage_read_line_cb, o);
}

static void
outage_spawn_polld(Outage *o, const gchar *conf)
{
	g_autoptr(GSubprocessLauncher) launcher =
	  g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_autoptr(GError) error = NULL;

	g_subprocess_launcher_setenv(launcher, "DBUS_SESSION_BUS_ADDRESS", o->address, TRUE);
	g_subprocess_launcher_unsetenv(launcher, "NOTIFY_SOCKET");
	g_subprocess_launcher_set_child_setup(launcher, pd_test_die_with_parent, NULL, NULL);
	o->polld = g_subprocess_launcher_spawn(
	  launcher, &error, g_getenv("POLLD_BINARY"), "--session", "--config-file", conf, NULL);
	g_assert_no_error(error);
	o->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(o->polld));
	g_data_input_stream_read_line_async(
	  o->out, G_PRIORITY_DEFAULT, o->cancellable, outage_read_line_cb, o);
}

static guint
outage_count(Outage *o, const gchar *meter)
{
	g_autofree gchar *needle = g_strdup_printf("\\\"counter_name\\\": \\\"%s\\\"", meter);
	guint n = 0;

	for (guint i = 0; i < o->lines->len; i++) {
		if (strstr(g_ptr_array_index(o->lines, i), needle) != NULL)
			n++;
	}
	return n;
}

/* the pollster's dictionary of GetPollsters, or NULL while polld isn't on the bus */
static GVariant *
outage_pollster(Outage *o, const gchar *name)
{
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(o->conn,
								"org.polld.Agent1",
								"/org/polld/Agent1",
								"org.polld.Agent1",
								"GetPollsters",
								NULL,
								G_VARIANT_TYPE("(aa{sv})"),
								G_DBUS_CALL_FLAGS_NONE,
								10000,
								NULL,
								NULL);
	g_autoptr(GVariant) list = NULL;

	if (reply == NULL)
		return NULL;
	list = g_variant_get_child_value(reply, 0);
	for (gsize i = 0; i < g_variant_n_children(list); i++) {
		g_autoptr(GVariant) dict = g_variant_get_child_value(list, i);
		g_autofree gchar *n = NULL;
		if (g_variant_lookup(dict, "name", "s", &n) && g_strcmp0(n, name) == 0)
			return g_steal_pointer(&dict);
	}
	return NULL;
}

static gchar *
outage_pollster_str(Outage *o, const gchar *key)
{
	g_autoptr(GVariant) dict = outage_pollster(o, "hardware.ipmi.temperature");
	gchar *value = NULL;

	if (dict == NULL || !g_variant_lookup(dict, key, "s", &value))
		return g_strdup("");
	return value;
}

static gboolean
outage_has_sample(gpointer data)
{
	return outage_count(data, "hardware.ipmi.temperature") > 0;
}

static gboolean
outage_disabled(gpointer data)
{
	g_autofree gchar *status = outage_pollster_str(data, "plugin_status");
	return strstr(status, "hardware.ipmi.temperature disabled until") != NULL;
}

static guint outage_before;

static gboolean
outage_recovered(gpointer data)
{
	g_autofree gchar *status = outage_pollster_str(data, "plugin_status");
	return outage_count(data, "hardware.ipmi.temperature") > outage_before && status[0] == '\0';
}

static void
test_sim_outage(SimFixture *f, gconstpointer data)
{
	Outage o = { f };
	g_autofree gchar *conf = NULL;
	g_autofree gchar *last_error = NULL;

	if (f->sim == NULL)
		return;
	outage_start_bus(&o);
	conf = write_config(f,
			    "password = " PD_TEST_IPMI_PASSWORD "\n"
			    "polling_retry = 1\nretry_backoff = 1\nretry_backoff_max = 2\n"
			    "command_timeout = 2",
			    1);
	outage_spawn_polld(&o, conf);
	g_assert_true(pd_test_wait_for(outage_has_sample, &o, 60000));

	/* the BMC goes away: two failures (polling_retry 1), then disabled */
	pd_test_ipmi_sim_stop(f->sim);
	g_assert_true(pd_test_wait_for(outage_disabled, &o, 60000));
	last_error = outage_pollster_str(&o, "last_error");
	g_test_message("last_error while the BMC is down: %s", last_error);
	g_assert_true(strstr(last_error, "ipmitool") != NULL ||
		      strstr(last_error, "disabled after") != NULL);

	/* back on the same port: the back-off ends, samples resume, status clears */
	outage_before = outage_count(&o, "hardware.ipmi.temperature");
	pd_test_ipmi_sim_restart(f->sim);
	g_assert_nonnull(f->sim->process);
	g_assert_true(pd_test_wait_for(outage_recovered, &o, 60000));

	outage_finish(&o);
}

static gboolean
reload_failing(gpointer data)
{
	g_autofree gchar *last_error = outage_pollster_str(data, "last_error");
	return last_error[0] != '\0';
}

/* the strings of Reload()'s notes */
static gchar **
reload_call(Outage *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(o->conn,
								"org.polld.Agent1",
								"/org/polld/Agent1",
								"org.polld.Agent1",
								"Reload",
								NULL,
								G_VARIANT_TYPE("(tas)"),
								G_DBUS_CALL_FLAGS_NONE,
								30000,
								NULL,
								&error);
	g_autoptr(GVariant) notes = NULL;

	g_assert_no_error(error);
	notes = g_variant_get_child_value(reply, 1);
	return g_variant_dup_strv(notes, NULL);
}

/* a reload hands the plugin its new [ipmi] keys: a wrong password fixed in
 * the file takes effect at the next poll, no restart asked for */
static void
test_sim_reload(SimFixture *f, gconstpointer data)
{
	Outage o = { f };
	g_autofree gchar *conf = NULL;
	g_auto(GStrv) notes = NULL;

	if (f->sim == NULL)
		return;
	outage_start_bus(&o);
	/* polling_retry -1: failures never disable the pollsters */
	conf = write_config(f, "password = wrong\npolling_retry = -1\ncommand_timeout = 2", 1);
	outage_spawn_polld(&o, conf);
	g_assert_true(pd_test_wait_for(reload_failing, &o, 60000));
	g_assert_cmpuint(outage_count(&o, "hardware.ipmi.temperature"), ==, 0);

	g_free(write_config(
	  f, "password = " PD_TEST_IPMI_PASSWORD "\npolling_retry = -1\ncommand_timeout = 2", 1));
	notes = reload_call(&o);
	for (guint i = 0; notes[i] != NULL; i++) {
		g_test_message("reload note: %s", notes[i]);
		g_assert_null(strstr(notes[i], "[ipmi]"));
	}
	g_assert_true(pd_test_wait_for(outage_has_sample, &o, 60000));

	outage_finish(&o);
}

int
main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ipmi/parser/vendors", test_parser_vendors);
	g_test_add_func("/ipmi/parser/edges", test_parser_edges);
	g_test_add_func("/ipmi/argv", test_argv);
	g_test_add(
	  "/ipmi/sim/samples", SimFixture, NULL, sim_setup, test_sim_samples, sim_teardown);
	g_test_add(
	  "/ipmi/sim/compat-zed", SimFixture, NULL, sim_setup, test_sim_compat_zed, sim_teardown);
	g_test_add("/ipmi/sim/password-file",
		   SimFixture,
		   NULL,
		   sim_setup,
		   test_sim_password_file,
		   sim_teardown);
	g_test_add("/ipmi/sim/wrong-password",
		   SimFixture,
		   NULL,
		   sim_setup,
		   test_sim_wrong_password,
		   sim_teardown);
	g_test_add("/ipmi/sim/output-limit",
		   SimFixture,
		   NULL,
		   sim_setup,
		   test_sim_output_limit,
		   sim_teardown);
	g_test_add("/ipmi/sim/outage", SimFixture, NULL, sim_setup, test_sim_outage, sim_teardown);
	g_test_add("/ipmi/sim/reload", SimFixture, NULL, sim_setup, test_sim_reload, sim_teardown);
	return g_test_run();
}
