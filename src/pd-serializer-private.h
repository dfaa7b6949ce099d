/*
 * polld - internals shared by the serializer and its tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "pd-hmac.h"
#include "pd-pytext-private.h"
#include "pd-serializer.h"

G_BEGIN_DECLS

/* test hook: every sample gets this message_id instead of a random one (NULL
 * restores random ids) */
void
pd_serializer_set_fixed_message_id(PdSerializer *self, const gchar *message_id);

/* bytes of the buffers @self keeps between messages */
gsize
pd_serializer_get_buffer_bytes(PdSerializer *self);

G_END_DECLS
