/*
 * polld test harness: OpenIPMI's ipmi_sim as a LAN BMC on a free loopback
 * UDP port, with tests/data/ipmi/bmc.emu as its sensors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PD_TEST_IPMI_USER "polld"
#define PD_TEST_IPMI_PASSWORD "s3cret"

typedef struct {
	gchar *dir; /* lan.conf and the state directory */
	guint16 port;
	GSubprocess *process;
} PdTestIpmiSim;

/* TRUE when ipmi_sim and ipmitool are installed */
gboolean
pd_test_ipmi_sim_available(void);
/* starts the BMC in @dir on a free port and returns once it answers */
PdTestIpmiSim *
pd_test_ipmi_sim_start(const gchar *dir);
/* stops it by its PID and waits for it to exit; the port stays reserved
 * in @sim for pd_test_ipmi_sim_restart() */
void
pd_test_ipmi_sim_stop(PdTestIpmiSim *sim);
/* starts it again on the same port */
void
pd_test_ipmi_sim_restart(PdTestIpmiSim *sim);
void
pd_test_ipmi_sim_free(PdTestIpmiSim *sim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdTestIpmiSim, pd_test_ipmi_sim_free)

G_END_DECLS
