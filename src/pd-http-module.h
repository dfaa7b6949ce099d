/*
 * polld - libsoup's users, in a module opened when first needed
 *
 * The etcd client of workload partitioning and the Prometheus exporter's
 * HTTP side are the daemon's only users of libsoup. Linked into the daemon,
 * libsoup and libsqlite3 are mapped and relocated by every agent, also a
 * compute agent that uses neither (about 0.5 MB of pages at start). They
 * are built into libpolld-http.so instead, which the daemon opens the first
 * time a function of pd-etcd-client.h or pd-prom-server.h is called; those
 * headers stay the callers' API.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-etcd-client.h"
#include "pd-prom-server.h"

G_BEGIN_DECLS

/* bumped whenever the table below changes */
#define PD_HTTP_MODULE_ABI 1
#define PD_HTTP_MODULE_SYMBOL "pd_http_module_entry_get"

/* what the module calls back into the daemon */
typedef struct {
	gchar *(*prom_store_render_next)(PdPromStore *store,
					 const gchar *after,
					 PdPromFormat format,
					 GString *out);
} PdHttpCore;

typedef struct {
	guint abi;
	gsize size;

	GType (*etcd_client_get_type)(void);
	PdEtcdClient *(*etcd_client_new)(const PdCoordinationUrl *url, GError **error);
	void (*etcd_client_call_async)(PdEtcdClient *self,
				       const gchar *method,
				       JsonObject *body,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data);
	JsonObject *(*etcd_client_call_finish)(PdEtcdClient *self,
					       GAsyncResult *res,
					       GError **error);
	void (*etcd_client_watch_async)(PdEtcdClient *self,
					const gchar *key,
					const gchar *range_end,
					gint64 start_revision,
					PdEtcdWatchFunc func,
					gpointer func_data,
					GCancellable *cancellable,
					GAsyncReadyCallback callback,
					gpointer user_data);
	gboolean (*etcd_client_watch_finish)(PdEtcdClient *self, GAsyncResult *res, GError **error);
	const gchar *(*etcd_client_get_endpoint)(PdEtcdClient *self);
	guint64 (*etcd_client_get_requests)(PdEtcdClient *self);
	guint64 (*etcd_client_get_authentications)(PdEtcdClient *self);

	GType (*prom_server_get_type)(void);
	PdPromServer *(*prom_server_new)(PdPromStore *store,
					 PdPromCollectFunc collect,
					 gpointer collect_data);
	gboolean (*prom_server_listen)(PdPromServer *self,
				       const gchar *const *addresses,
				       const gchar *cert_file,
				       const gchar *key_file,
				       GError **error);
	GSList *(*prom_server_get_uris)(PdPromServer *self);
	void (*prom_server_stop)(PdPromServer *self);
	guint64 (*prom_server_get_scrapes)(PdPromServer *self);
} PdHttpModule;

typedef const PdHttpModule *(*PdHttpModuleGetFunc)(const PdHttpCore *core);

/* the module, opened on the first call: $POLLD_HTTP_MODULE, the installed
 * one, or one beside the executable or in ../src from it (the build tree) */
const PdHttpModule *
pd_http_module_load(GError **error);

/* inside the module: keeps the daemon's table (pd-http-core.c) */
void
pd_http_core_set(const PdHttpCore *core);

G_END_DECLS
