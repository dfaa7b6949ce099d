/*
 * polld - libpolld-http.so's one exported symbol: the table of its
 * functions (pd-http-module.h). Everything else in the module is hidden.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdHttpModule"

#include "config.h"

#include <gmodule.h>

#include "pd-http-module.h"

static const PdHttpModule pd_http_module_table = {
	.abi = PD_HTTP_MODULE_ABI,
	.size = sizeof(PdHttpModule),
	.etcd_client_get_type = pd_etcd_client_get_type,
	.etcd_client_new = pd_etcd_client_new,
	.etcd_client_call_async = pd_etcd_client_call_async,
	.etcd_client_call_finish = pd_etcd_client_call_finish,
	.etcd_client_watch_async = pd_etcd_client_watch_async,
	.etcd_client_watch_finish = pd_etcd_client_watch_finish,
	.etcd_client_get_endpoint = pd_etcd_client_get_endpoint,
	.etcd_client_get_requests = pd_etcd_client_get_requests,
	.etcd_client_get_authentications = pd_etcd_client_get_authentications,
	.prom_server_get_type = pd_prom_server_get_type,
	.prom_server_new = pd_prom_server_new,
	.prom_server_listen = pd_prom_server_listen,
	.prom_server_get_uris = pd_prom_server_get_uris,
	.prom_server_stop = pd_prom_server_stop,
	.prom_server_get_scrapes = pd_prom_server_get_scrapes,
};

G_MODULE_EXPORT const PdHttpModule *
pd_http_module_entry_get(const PdHttpCore *core);

G_MODULE_EXPORT const PdHttpModule *
pd_http_module_entry_get(const PdHttpCore *core)
{
	pd_http_core_set(core);
	return &pd_http_module_table;
}
