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

/* where a discovery that finds its resources in parts hands them over (since
 * ABI 1.2): see ->discover_parts */
typedef struct _PdDiscoveryParts PdDiscoveryParts;
/* gets one part (GPtrArray of PdResource, borrowed) on the caller's main
 * context */
typedef void (*PdDiscoveryPartFunc)(GPtrArray *resources, gpointer user_data);
/* since ABI 1.4: the caller's filter, on its main context as each part
 * arrives: TRUE when it will poll @resource (its blacklist and partitioning
 * let it through), @user_data the part function's */
typedef gboolean (*PdDiscoveryFilterFunc)(PdResource *resource, gpointer user_data);
/* since ABI 1.4: gets those of a part's resources the caller's filter let
 * through (GPtrArray of PdResource, borrowed, never empty), on the caller's
 * main context, before any pollster is invoked on them */
typedef void (*PdDiscoveryAcceptedFunc)(GPtrArray *accepted, gpointer user_data);
/* since ABI 1.8: called once per part handed over with
 * pd_discovery_parts_add_full(), from any thread, when the caller is done
 * with it: @dispatched TRUE once its part function has returned and every
 * pollster invocation that function started on a worker thread has returned
 * (whatever those invocations queued is queued by then), FALSE when the
 * part was never dispatched (the caller takes no parts, or its main context
 * dropped the part without iterating it) */
typedef void (*PdDiscoveryPartDoneFunc)(gboolean dispatched, gpointer user_data);

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
	/* since ABI 1.2, instead of ->discover: also called in a worker
	 * thread, but may hand resources over in parts as it finds them,
	 * with pd_discovery_parts_add() from any thread until it returns, so
	 * that pollsters start on the first ones while it looks for the rest.
	 * Returns the resources not handed over (maybe none): each resource
	 * once per run, in one part or in the result. A pollster may
	 * then be called more than once per cycle, once per part, group
	 * of parts or slice of a few hundred resources, each resource
	 * once. */
	GPtrArray *(*discover_parts)(PdDiscovery *self,
				     const gchar *param,
				     PdCycleCache *cache,
				     PdDiscoveryParts *parts,
				     GCancellable *cancellable,
				     GError **error);
	gpointer padding[11];
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
/* since ABI 1.2: like pd_discovery_discover_async(), but a discovery that
 * implements ->discover_parts calls @part_func with each part first (on the
 * thread-default main context of the caller, before @callback), and the
 * result holds only the resources no part carried */
void
pd_discovery_discover_parts_async(PdDiscovery *self,
				  const gchar *param,
				  PdCycleCache *cache,
				  PdDiscoveryPartFunc part_func,
				  gpointer part_data,
				  GCancellable *cancellable,
				  GAsyncReadyCallback callback,
				  gpointer user_data);
/* since ABI 1.4: like pd_discovery_discover_parts_async(), and before
 * @part_func gets a part, @filter_func (may be NULL: everything) tells the
 * discovery which of its resources the caller will poll (see
 * pd_discovery_parts_add_accepted()) */
void
pd_discovery_discover_parts_filtered_async(PdDiscovery *self,
					   const gchar *param,
					   PdCycleCache *cache,
					   PdDiscoveryFilterFunc filter_func,
					   PdDiscoveryPartFunc part_func,
					   gpointer part_data,
					   GCancellable *cancellable,
					   GAsyncReadyCallback callback,
					   gpointer user_data);
/* called by ->discover_parts, from any thread: hands @resources (PdResource,
 * referenced, not consumed) to the pollsters now */
void
pd_discovery_parts_add(PdDiscoveryParts *parts, GPtrArray *resources);
/* since ABI 1.4: pd_discovery_parts_add(), and @accepted_func gets those of
 * @resources the caller's filter let through, on the caller's main context
 * right before its pollsters get the part: a discovery may start work for
 * them there (compute queues their statistics) without doing it for the
 * resources the caller drops. Not called when the caller takes no parts
 * (the resources then go to the result) or accepts none of them.
 * @user_data must stay valid until the discovery's result is delivered
 * (every part is dispatched before it). */
void
pd_discovery_parts_add_accepted(PdDiscoveryParts *parts,
				GPtrArray *resources,
				PdDiscoveryAcceptedFunc accepted_func,
				gpointer user_data);
/* since ABI 1.8: pd_discovery_parts_add_accepted(), and @done_func
 * (may be NULL) is called once with @done_data when the caller is done with
 * the part (see PdDiscoveryPartDoneFunc), even when @resources is empty or
 * NULL (at once, not dispatched): a discovery may wait for it, e.g. for
 * the work the pollsters' first invocation on the part queues, instead of
 * guessing how long the caller's main loop takes. @done_data is the
 * callback's to free. */
void
pd_discovery_parts_add_full(PdDiscoveryParts *parts,
			    GPtrArray *resources,
			    PdDiscoveryAcceptedFunc accepted_func,
			    gpointer accepted_data,
			    PdDiscoveryPartDoneFunc done_func,
			    gpointer done_data);

G_END_DECLS
