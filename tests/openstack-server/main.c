/*
 * polld test suite - the OpenStack test server as a standalone program:
 *   pd-os-test-server FIXTURE [--fault SERVICE=KIND]... [--tls CERT KEY]
 * prints its port on stdout and serves until killed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>

#include "pd-os-test-server.h"

static gboolean
pd_os_apply_faults(PdOsTestServer *server, gchar **faults, GError **error)
{
	for (guint i = 0; faults != NULL && faults[i] != NULL; i++) {
		g_auto(GStrv) kv = g_strsplit(faults[i], "=", 2);
		PdOsFault fault;
		if (kv[1] == NULL || !pd_os_test_server_fault_from_string(kv[1], &fault)) {
			g_set_error(error,
				    G_OPTION_ERROR,
				    G_OPTION_ERROR_BAD_VALUE,
				    "bad --fault %s",
				    faults[i]);
			return FALSE;
		}
		pd_os_test_server_set_fault(server, kv[0], fault);
	}
	return TRUE;
}

int
main(int argc, char **argv)
{
	g_auto(GStrv) faults = NULL;
	g_autofree gchar *cert = NULL;
	g_autofree gchar *key = NULL;
	GOptionEntry entries[] = {
		{ "fault",
		  0,
		  0,
		  G_OPTION_ARG_STRING_ARRAY,
		  &faults,
		  "inject a fault",
		  "SERVICE=KIND" },
		{ "tls-cert",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME,
		  &cert,
		  "serve HTTPS with this certificate",
		  "PEM" },
		{ "tls-key",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME,
		  &key,
		  "private key of --tls-cert",
		  "PEM" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("FIXTURE");
	g_autoptr(GError) error = NULL;
	g_autoptr(GTlsCertificate) tls = NULL;
	g_autoptr(PdOsTestServer) server = NULL;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 2) {
		g_printerr("%s\n",
			   error != NULL ? error->message : "usage: pd-os-test-server FIXTURE");
		return 2;
	}
	if (cert != NULL && (tls = g_tls_certificate_new_from_files(cert, key, &error)) == NULL) {
		g_printerr("%s\n", error->message);
		return 2;
	}
	server = pd_os_test_server_new(argv[1], tls, &error);
	if (server == NULL || !pd_os_apply_faults(server, faults, &error)) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	printf("%u\n", pd_os_test_server_get_port(server));
	fflush(stdout);
	g_main_loop_run(loop);
	return 0;
}
