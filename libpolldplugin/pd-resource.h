/*
 * polld - a discovered (or static) resource
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Reference counted, immutable after creation. @id is the key used for the
 * poll history, the blacklist and (later) partitioning; @data is whatever the
 * discovery wants its pollsters to see (an instance description, an endpoint
 * URL...), owned by the resource.
 */
typedef struct _PdResource PdResource;

PdResource *
pd_resource_new(const gchar *id, gpointer data, GDestroyNotify destroy);
/* SDK 1.7: @id is not copied: it lives as long as @data (it is @data's, or
 * something @data holds), until @destroy. A discovery handing out thousands
 * of resources a cycle keeps one copy of each id instead of two. */
PdResource *
pd_resource_new_borrowed(const gchar *id, gpointer data, GDestroyNotify destroy);
PdResource *
pd_resource_ref(PdResource *res);
void
pd_resource_unref(PdResource *res);
const gchar *
pd_resource_get_id(PdResource *res);
gpointer
pd_resource_get_data(PdResource *res);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdResource, pd_resource_unref)

G_END_DECLS
