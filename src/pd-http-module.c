/*
 * polld - opens libpolld-http.so and forwards pd-etcd-client.h's and
 * pd-prom-server.h's functions to it (see pd-http-module.h)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdHttpModule"

#include "config.h"

#include <gmodule.h>
#include <stdlib.h>

#include "pd-error.h"
#include "pd-http-module.h"

#define PD_HTTP_MODULE_FILE "libpolld-http.so"

static const PdHttpCore pd_http_core = {
	.prom_store_render_next = pd_prom_store_render_next,
};

/* $POLLD_HTTP_MODULE, else: a polld run from its build tree takes its own
 * build's module first (one installed earlier may be older: the ABI check
 * does not see changed code), an installed polld only $libdir's, never a
 * file found relative to where its binary lies */
static GStrv
pd_http_module_candidates(void)
{
	GPtrArray *paths = g_ptr_array_new();
	const gchar *env = g_getenv("POLLD_HTTP_MODULE");

	if (env != NULL && env[0] != '\0') {
		g_ptr_array_add(paths, g_strdup(env));
	} else {
		g_autofree gchar *exe = g_file_read_link("/proc/self/exe", NULL);
		g_autofree gchar *root = realpath(PD_BUILD_ROOT, NULL);
		g_autofree gchar *prefix = root != NULL ? g_strconcat(root, "/", NULL) : NULL;

		if (exe != NULL && prefix != NULL && g_str_has_prefix(exe, prefix))
			g_ptr_array_add(paths, g_strdup(PD_BUILD_HTTP_MODULE));
		g_ptr_array_add(paths, g_strdup(PD_HTTP_MODULE));
	}
	g_ptr_array_add(paths, NULL);
	return (GStrv)g_ptr_array_free(paths, FALSE);
}

static const PdHttpModule *
pd_http_module_open(const gchar *path, GError **error)
{
	GModule *module = g_module_open(path, G_MODULE_BIND_LOCAL | G_MODULE_BIND_LAZY);
	PdHttpModuleGetFunc get = NULL;
	const PdHttpModule *table;

	if (module == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "%s", g_module_error());
		return NULL;
	}
	if (!g_module_symbol(module, PD_HTTP_MODULE_SYMBOL, (gpointer *)&get) || get == NULL) {
		g_set_error(
		  error, PD_ERROR, PD_ERROR_FAILED, "%s: no %s", path, PD_HTTP_MODULE_SYMBOL);
		g_module_close(module);
		return NULL;
	}
	table = get(&pd_http_core);
	if (table == NULL || table->abi != PD_HTTP_MODULE_ABI || table->size != sizeof(*table)) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_FAILED,
			    "%s: built for another polld (module ABI %u, polld's %u)",
			    path,
			    table != NULL ? table->abi : 0,
			    PD_HTTP_MODULE_ABI);
		g_module_close(module);
		return NULL;
	}
	/* its GTypes stay registered: it is never closed */
	g_module_make_resident(module);
	g_debug("opened %s", path);
	return table;
}

static const PdHttpModule *pd_http_module;

const PdHttpModule *
pd_http_module_load(GError **error)
{
	static GMutex lock;
	g_autoptr(GMutexLocker) locker = NULL;
	g_auto(GStrv) paths = NULL;
	g_autoptr(GString) why = NULL;
	const PdHttpModule *opened = g_atomic_pointer_get(&pd_http_module);

	if (opened != NULL)
		return opened;
	locker = g_mutex_locker_new(&lock);
	if (pd_http_module != NULL)
		return pd_http_module;
	paths = pd_http_module_candidates();
	why = g_string_new(NULL);
	for (guint i = 0; paths[i] != NULL; i++) {
		g_autoptr(GError) local = NULL;
		if (!g_file_test(paths[i], G_FILE_TEST_EXISTS) && paths[i + 1] != NULL)
			continue;
		opened = pd_http_module_open(paths[i], &local);
		if (opened != NULL) {
			g_atomic_pointer_set(&pd_http_module, opened);
			return opened;
		}
		g_string_append_printf(why, "%s%s", why->len > 0 ? "; " : "", local->message);
	}
	g_set_error(error,
		    PD_ERROR,
		    PD_ERROR_FAILED,
		    "the HTTP module (etcd, Prometheus exporter) can't be opened: %s",
		    why->str);
	return NULL;
}

/* the functions below run on an object of the module, so it is open; the
 * constructors report a module that can't be opened (to the caller, which
 * refuses the configuration at start-up or turns that part off on a reload:
 * docs/architecture.md) */
static const PdHttpModule *
pd_http_module_get_loaded(void)
{
	return g_atomic_pointer_get(&pd_http_module);
}

/* a type asked before any object exists: a caller's mistake, said as such
 * (a critical), never an abort of the daemon */
static const PdHttpModule *
pd_http_module_for_type(void)
{
	g_autoptr(GError) error = NULL;
	const PdHttpModule *m = pd_http_module_load(&error);

	if (m == NULL)
		g_critical("%s", error->message);
	return m;
}

GType
pd_http_module_etcd_client_get_type(void)
{
	const PdHttpModule *m = pd_http_module_for_type();

	return m != NULL ? m->etcd_client_get_type() : G_TYPE_INVALID;
}

PdEtcdClient *
pd_http_module_etcd_client_new(const PdCoordinationUrl *url, GError **error)
{
	const PdHttpModule *m = pd_http_module_load(error);

	return m != NULL ? m->etcd_client_new(url, error) : NULL;
}

void
pd_http_module_etcd_client_call_async(PdEtcdClient *self,
				      const gchar *method,
				      JsonObject *body,
				      GCancellable *cancellable,
				      GAsyncReadyCallback callback,
				      gpointer user_data)
{
	pd_http_module_get_loaded()->etcd_client_call_async(
	  self, method, body, cancellable, callback, user_data);
}

JsonObject *
pd_http_module_etcd_client_call_finish(PdEtcdClient *self, GAsyncResult *res, GError **error)
{
	return pd_http_module_get_loaded()->etcd_client_call_finish(self, res, error);
}

void
pd_http_module_etcd_client_watch_async(PdEtcdClient *self,
				       const gchar *key,
				       const gchar *range_end,
				       gint64 start_revision,
				       PdEtcdWatchFunc func,
				       gpointer func_data,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data)
{
	pd_http_module_get_loaded()->etcd_client_watch_async(
	  self, key, range_end, start_revision, func, func_data, cancellable, callback, user_data);
}

gboolean
pd_http_module_etcd_client_watch_finish(PdEtcdClient *self, GAsyncResult *res, GError **error)
{
	return pd_http_module_get_loaded()->etcd_client_watch_finish(self, res, error);
}

const gchar *
pd_http_module_etcd_client_get_endpoint(PdEtcdClient *self)
{
	return pd_http_module_get_loaded()->etcd_client_get_endpoint(self);
}

guint64
pd_http_module_etcd_client_get_requests(PdEtcdClient *self)
{
	return pd_http_module_get_loaded()->etcd_client_get_requests(self);
}

guint64
pd_http_module_etcd_client_get_authentications(PdEtcdClient *self)
{
	return pd_http_module_get_loaded()->etcd_client_get_authentications(self);
}

GType
pd_http_module_prom_server_get_type(void)
{
	const PdHttpModule *m = pd_http_module_for_type();

	return m != NULL ? m->prom_server_get_type() : G_TYPE_INVALID;
}

/* NULL if the module can't be opened: pd_prom_server_listen() says why */
PdPromServer *
pd_http_module_prom_server_new(PdPromStore *store, PdPromCollectFunc collect, gpointer collect_data)
{
	const PdHttpModule *m = pd_http_module_load(NULL);

	return m != NULL ? m->prom_server_new(store, collect, collect_data) : NULL;
}

gboolean
pd_http_module_prom_server_listen(PdPromServer *self,
				  const gchar *const *addresses,
				  const gchar *cert_file,
				  const gchar *key_file,
				  GError **error)
{
	const PdHttpModule *m = pd_http_module_load(error);

	if (m == NULL)
		return FALSE;
	g_return_val_if_fail(self != NULL, FALSE);
	return m->prom_server_listen(self, addresses, cert_file, key_file, error);
}

GSList *
pd_http_module_prom_server_get_uris(PdPromServer *self)
{
	return pd_http_module_get_loaded()->prom_server_get_uris(self);
}

void
pd_http_module_prom_server_stop(PdPromServer *self)
{
	pd_http_module_get_loaded()->prom_server_stop(self);
}

guint64
pd_http_module_prom_server_get_scrapes(PdPromServer *self)
{
	return pd_http_module_get_loaded()->prom_server_get_scrapes(self);
}
