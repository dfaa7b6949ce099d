/*
 * polld ipmi plugin - runs ipmitool as an argv, bounded in time and output
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

G_BEGIN_DECLS

/* how to reach the BMC, read from [ipmi] */
typedef struct {
	gchar *ipmitool;      /* program, looked up in PATH */
	gchar *interface;     /* "open" (local), "lan" or "lanplus" */
	gchar *address;	      /* BMC host name or address (lan, lanplus) */
	gint64 port;	      /* BMC UDP port */
	gchar *username;      /* may be NULL: ipmitool's null user */
	gchar *password;      /* handed over in IPMI_PASSWORD (-E), never in argv */
	gchar *password_file; /* handed over as -f FILE */
	gchar *cipher_suite;  /* -C, lanplus only */
	guint timeout_ms;     /* the whole run, then the process is killed */
	gsize output_limit;   /* bytes of stdout, then the process is killed */
} PdIpmiToolConfig;

void
pd_ipmi_tool_config_free(PdIpmiToolConfig *tc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdIpmiToolConfig, pd_ipmi_tool_config_free)

/* reads and checks [ipmi]; errors name the option and where it was set */
PdIpmiToolConfig *
pd_ipmi_tool_config_new(PdConfig *config, GError **error);

/* the argv that runs `ipmitool <connection options> @args`; it never holds
 * the password */
GStrv
pd_ipmi_tool_config_build_argv(const PdIpmiToolConfig *tc, const gchar *const *args);

/* runs ipmitool synchronously (call it from a worker thread, never the main
 * loop) and returns its stdout; fails on a non-zero exit, the timeout, the
 * output limit or cancellation, with the last line of stderr */
GBytes *
pd_ipmi_tool_run(const PdIpmiToolConfig *tc,
		 const gchar *const *args,
		 GCancellable *cancellable,
		 GError **error);

G_END_DECLS
