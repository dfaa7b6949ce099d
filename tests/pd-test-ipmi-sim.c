/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <sys/prctl.h>

#include "pd-test-ipmi-sim.h"

#define PD_TEST_IPMI_START_TRIES 5
#define PD_TEST_IPMI_PROBE_TRIES 20

gboolean
pd_test_ipmi_sim_available(void)
{
	g_autofree gchar *sim = g_find_program_in_path("ipmi_sim");
	g_autofree gchar *tool = g_find_program_in_path("ipmitool");
	return sim != NULL && tool != NULL;
}

static gchar *
pd_test_ipmi_data(const gchar *name)
{
	return g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "data", "ipmi", name, NULL);
}

/* a port the kernel just handed out for UDP on loopback */
static guint16
pd_test_ipmi_free_port(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) sock =
	  g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	g_assert_no_error(error);
	g_socket_bind(sock, any, FALSE, &error);
	g_assert_no_error(error);
	bound = g_socket_get_local_address(sock, &error);
	g_assert_no_error(error);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static void
pd_test_ipmi_die_with_parent(gpointer user_data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void
pd_test_ipmi_write_conf(PdTestIpmiSim *sim)
{
	g_autofree gchar *in_path = pd_test_ipmi_data("lan.conf.in");
	g_autofree gchar *text = NULL;
	g_autofree gchar *port = g_strdup_printf("%u", sim->port);
	g_autofree gchar *path = g_build_filename(sim->dir, "lan.conf", NULL);
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) parts = NULL;
	g_autofree gchar *conf = NULL;

	g_file_get_contents(in_path, &text, NULL, &error);
	g_assert_no_error(error);
	parts = g_strsplit(text, "@PORT@", -1);
	conf = g_strjoinv(port, parts);
	g_file_set_contents(path, conf, -1, &error);
	g_assert_no_error(error);
}

static GSubprocess *
pd_test_ipmi_spawn(PdTestIpmiSim *sim)
{
	g_autoptr(GSubprocessLauncher) launcher =
	  g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autofree gchar *conf = g_build_filename(sim->dir, "lan.conf", NULL);
	g_autofree gchar *emu = pd_test_ipmi_data("bmc.emu");
	g_autofree gchar *state = g_build_filename(sim->dir, "state", NULL);
	g_autoptr(GError) error = NULL;
	GSubprocess *process;

	g_mkdir_with_parents(state, 0700);
	g_subprocess_launcher_set_child_setup(launcher, pd_test_ipmi_die_with_parent, NULL, NULL);
	process = g_subprocess_launcher_spawn(
	  launcher, &error, "ipmi_sim", "-c", conf, "-f", emu, "-s", state, "-n", NULL);
	g_assert_no_error(error);
	return process;
}

/* ipmitool against the BMC, as the tests' probe; TRUE when it answered */
static gboolean
pd_test_ipmi_probe(PdTestIpmiSim *sim)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	  G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autofree gchar *port = g_strdup_printf("%u", sim->port);
	g_autoptr(GSubprocess) probe = NULL;
	g_autoptr(GError) error = NULL;

	g_subprocess_launcher_setenv(launcher, "IPMI_PASSWORD", PD_TEST_IPMI_PASSWORD, TRUE);
	probe = g_subprocess_launcher_spawn(launcher,
					    &error,
					    "ipmitool",
					    "-I",
					    "lanplus",
					    "-C",
					    "3",
					    "-N",
					    "1",
					    "-R",
					    "1",
					    "-H",
					    "127.0.0.1",
					    "-p",
					    port,
					    "-U",
					    PD_TEST_IPMI_USER,
					    "-E",
					    "mc",
					    "info",
					    NULL);
	g_assert_no_error(error);
	return g_subprocess_wait_check(probe, NULL, NULL);
}

/* the BMC answers once ipmi_sim has read its command file; the probe's own
 * 1 s reply timeout paces the tries */
static gboolean
pd_test_ipmi_wait_ready(PdTestIpmiSim *sim)
{
	for (guint i = 0; i < PD_TEST_IPMI_PROBE_TRIES; i++) {
		if (pd_test_ipmi_probe(sim))
			return TRUE;
		if (g_subprocess_get_identifier(sim->process) == NULL)
			return FALSE; /* exited: port taken */
	}
	return FALSE;
}

void
pd_test_ipmi_sim_restart(PdTestIpmiSim *sim)
{
	g_assert_null(sim->process);
	pd_test_ipmi_write_conf(sim);
	sim->process = pd_test_ipmi_spawn(sim);
	if (!pd_test_ipmi_wait_ready(sim))
		pd_test_ipmi_sim_stop(sim);
}

PdTestIpmiSim *
pd_test_ipmi_sim_start(const gchar *dir)
{
	PdTestIpmiSim *sim = g_new0(PdTestIpmiSim, 1);

	sim->dir = g_strdup(dir);
	/* another process may take the free port before ipmi_sim binds it */
	for (guint i = 0; i < PD_TEST_IPMI_START_TRIES && sim->process == NULL; i++) {
		sim->port = pd_test_ipmi_free_port();
		pd_test_ipmi_sim_restart(sim);
	}
	g_assert_nonnull(sim->process);
	g_test_message(
	  "ipmi_sim pid %s on 127.0.0.1:%u", g_subprocess_get_identifier(sim->process), sim->port);
	return sim;
}

void
pd_test_ipmi_sim_stop(PdTestIpmiSim *sim)
{
	if (sim->process == NULL)
		return;
	g_subprocess_send_signal(sim->process, SIGTERM);
	g_subprocess_wait(sim->process, NULL, NULL);
	g_clear_object(&sim->process);
}

void
pd_test_ipmi_sim_free(PdTestIpmiSim *sim)
{
	if (sim == NULL)
		return;
	pd_test_ipmi_sim_stop(sim);
	g_free(sim->dir);
	g_free(sim);
}
