/*
 * polld - crash-safe on-disk spool of messages the broker has not confirmed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "pd-message.h"

G_BEGIN_DECLS

/*
 * A directory of append-only segments "<20 digit id>.seg". Each record has a
 * CRC32C; a damaged or torn record ends the reading of its segment with one
 * warning, never an error. Not thread-safe: one thread owns a spool.
 */
typedef struct _PdSpool PdSpool;

PdSpool *
pd_spool_open(const gchar *dir, guint64 max_bytes, GError **error);
void
pd_spool_free(PdSpool *self);

/* whether a record of @body_len bytes fits; gauge-only messages may only use
 * the first 90 %, so cumulative counters are kept when the spool fills */
gboolean
pd_spool_fits(PdSpool *self, gsize body_len, gboolean gauges_only);
/* buffered; durable after pd_spool_sync() */
gboolean
pd_spool_append(PdSpool *self, PdMessage *msg, guint topic, GError **error);
gboolean
pd_spool_sync(PdSpool *self, GError **error);
/* appends a durable copy of a message the caller keeps sending from memory:
 * the reader skips the copy, and the caller settles it with
 * pd_spool_release(@segment) once the broker confirmed the message. Only a
 * restart before that reads the copy again. */
gboolean
pd_spool_append_held(PdSpool *self, PdMessage *msg, guint topic, guint64 *segment, GError **error);

/* next unread record in order, or NULL; @segment identifies it for release */
PdMessage *
pd_spool_read(PdSpool *self, guint *topic, guint64 *segment);
gboolean
pd_spool_has_unread(PdSpool *self);
/* the broker confirmed a record read from @segment; a segment read to the
 * end with nothing outstanding is deleted */
void
pd_spool_release(PdSpool *self, guint64 segment, guint n_samples);

guint64
pd_spool_get_bytes(PdSpool *self);
guint64
pd_spool_get_samples(PdSpool *self);
guint64
pd_spool_get_damaged(PdSpool *self);
const gchar *
pd_spool_get_dir(PdSpool *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdSpool, pd_spool_free)

G_END_DECLS
