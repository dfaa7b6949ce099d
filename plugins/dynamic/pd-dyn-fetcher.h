/*
 * polld dynamic pollsters - getting one response page: an OpenStack API
 * through the Keystone client, any URL with its own authentication, or a
 * host command (argv, no shell), each with a deadline and a size cap
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-dyn-def.h"
#include "pd-os-client.h"

G_BEGIN_DECLS

/* a response or a command's output larger than this is refused */
#define PD_DYN_FETCH_MAX_BYTES (16 * 1024 * 1024)

typedef struct _PdDynFetcher PdDynFetcher;

/* @client: may be NULL (no [service_credentials]) */
PdDynFetcher *
pd_dyn_fetcher_new(PdOsClient *client, gsize max_bytes);
PdDynFetcher *
pd_dyn_fetcher_ref(PdDynFetcher *f);
void
pd_dyn_fetcher_unref(PdDynFetcher *f);
/* the Keystone client, or NULL */
PdOsClient *
pd_dyn_fetcher_get_client(PdDynFetcher *f);
/* cancels everything in flight */
void
pd_dyn_fetcher_shutdown(PdDynFetcher *f);
/* the URL or command a page comes from: @base is the endpoint (OpenStack
 * kind), @target the url_path / host_command, or the next page's link */
gchar *
pd_dyn_fetcher_target(PdDynDef *def, const gchar *base, const gchar *target);

void
pd_dyn_fetcher_fetch_async(PdDynFetcher *f,
			   PdDynDef *def,
			   const gchar *target,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data);
GBytes *
pd_dyn_fetcher_fetch_finish(GAsyncResult *res, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDynFetcher, pd_dyn_fetcher_unref)

G_END_DECLS
