/*
 * polld test suite - a generic HTTP endpoint for dynamic pollsters: fixed
 * answers (JSON, XML, text) per path, optionally behind an Authorization
 * header, on 127.0.0.1
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _PdDynTestServer PdDynTestServer;

PdDynTestServer *
pd_dyn_test_server_new(GError **error);
void
pd_dyn_test_server_free(PdDynTestServer *self);
/* e.g. http://127.0.0.1:4711 */
const gchar *
pd_dyn_test_server_get_url(PdDynTestServer *self);
/* @path with its query ("/usage?page=2"); @authorization: the header value
 * a request must carry (401 otherwise), or NULL; @body NULL: never answers */
void
pd_dyn_test_server_add(PdDynTestServer *self,
		       const gchar *path,
		       const gchar *authorization,
		       const gchar *content_type,
		       const gchar *body);
/* answers @path with @size bytes of "x" */
void
pd_dyn_test_server_add_big(PdDynTestServer *self, const gchar *path, gsize size);
guint
pd_dyn_test_server_get_hits(PdDynTestServer *self, const gchar *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDynTestServer, pd_dyn_test_server_free)

G_END_DECLS
