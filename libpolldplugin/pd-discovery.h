/*
 * polld - discovery extension point: finds the resources to poll
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-poll-context.h"

G_BEGIN_DECLS

#define PD_TYPE_DISCOVERY (pd_discovery_get_type())
G_DECLARE_DERIVABLE_TYPE(PdDiscovery, pd_discovery, PD, DISCOVERY, GObject)

typedef struct _PdPlugin PdPlugin;

struct _PdDiscoveryClass {
	GObjectClass parent_class;
	/* @param is the part after ':' in "endpoint:image", or NULL; result is
	 * a GPtrArray of PdResource. The default runs ->discover in the
	 * bounded worker pool. */
	void (*discover_async)(PdDiscovery *self,
			       const gchar *param,
			       PdCycleCache *cache,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data);
	GPtrArray *(*discover_finish)(PdDiscovery *self, GAsyncResult *res, GError **error);
	/* synchronous implementation, always called in a worker thread */
	GPtrArray *(*discover)(PdDiscovery *self,
			       const gchar *param,
			       PdCycleCache *cache,
			       GCancellable *cancellable,
			       GError **error);
	gpointer padding[12];
};

/* the plugin part of the discovery name, e.g. "endpoint" or "local_node" */
const gchar *
pd_discovery_get_name(PdDiscovery *self);
PdPlugin *
pd_discovery_get_plugin(PdDiscovery *self);
void
pd_discovery_set_plugin(PdDiscovery *self, PdPlugin *plugin);

void
pd_discovery_discover_async(PdDiscovery *self,
			    const gchar *param,
			    PdCycleCache *cache,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data);
GPtrArray *
pd_discovery_discover_finish(PdDiscovery *self, GAsyncResult *res, GError **error);

G_END_DECLS
