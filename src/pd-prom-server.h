/*
 * polld - the HTTP side of the Prometheus exporter: /metrics on each listen
 * address, plain or TLS
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

/* in libpolld-http.so the exporter renders from the daemon's store through
 * pd-http-core.c */
#ifdef PD_HTTP_MODULE_BUILD
#define pd_prom_store_render_next pd_http_core_prom_store_render_next
#endif
#include "pd-prom-store.h"

G_BEGIN_DECLS

/* in the daemon, pd-http-module.c forwards these to libpolld-http.so, where
 * pd-prom-server.c defines them (pd-http-module.h) */
#ifndef PD_HTTP_MODULE_BUILD
#define pd_prom_server_get_type pd_http_module_prom_server_get_type
#define pd_prom_server_new pd_http_module_prom_server_new
#define pd_prom_server_listen pd_http_module_prom_server_listen
#define pd_prom_server_get_uris pd_http_module_prom_server_get_uris
#define pd_prom_server_stop pd_http_module_prom_server_stop
#define pd_prom_server_get_scrapes pd_http_module_prom_server_get_scrapes
#endif
/* pd-http-util.c's, in both */
#define pd_prom_server_parse_address pd_http_util_prom_parse_address

#define PD_TYPE_PROM_SERVER (pd_prom_server_get_type())
G_DECLARE_FINAL_TYPE(PdPromServer, pd_prom_server, PD, PROM_SERVER, GObject)

/* appends metrics of the agent itself after the samples' families */
typedef void (*PdPromCollectFunc)(GString *out, PdPromFormat format, gpointer user_data);

PdPromServer *
pd_prom_server_new(PdPromStore *store, PdPromCollectFunc collect, gpointer collect_data);

/* parses "host:port", "[v6]:port" as prometheus_listen_addresses holds them */
GSocketAddress *
pd_prom_server_parse_address(const gchar *text, GError **error);

/* @cert_file and @key_file both NULL for plain HTTP */
gboolean
pd_prom_server_listen(PdPromServer *self,
		      const gchar *const *addresses,
		      const gchar *cert_file,
		      const gchar *key_file,
		      GError **error);
/* the URIs it listens on, e.g. http://127.0.0.1:9101/ */
GSList *
pd_prom_server_get_uris(PdPromServer *self);
void
pd_prom_server_stop(PdPromServer *self);
guint64
pd_prom_server_get_scrapes(PdPromServer *self);

G_END_DECLS
