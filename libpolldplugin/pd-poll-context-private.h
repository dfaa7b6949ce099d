/*
 * polld - engine side of PdPollContext
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-cycle-cache-private.h"
#include "pd-poll-context.h"

G_BEGIN_DECLS

typedef struct {
	PdResource *resource;
	gchar *reason;
} PdPermanentFailure;

PdPollContext *
pd_poll_context_new(PdConfig *config, PdCycleCache *cache, const gchar *source_name);
void
pd_poll_context_free(PdPollContext *ctx);
/* called with a full batch (ownership passes) from the pollster's thread */
typedef void (*PdPollContextFlushFunc)(PdPollContext *ctx,
				       PdSampleBatch *batch,
				       gpointer user_data);
void
pd_poll_context_set_flush(PdPollContext *ctx,
			  guint flush_at,
			  PdPollContextFlushFunc func,
			  gpointer user_data);

/* TRUE while @ctx holds a batch (made at the first sample after a flush) */
gboolean
pd_poll_context_has_batch(PdPollContext *ctx);

/* the engine takes the samples and failures once the pollster returned */
PdSampleBatch *
pd_poll_context_steal_batch(PdPollContext *ctx);
GPtrArray *
pd_poll_context_get_failures(PdPollContext *ctx);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdPollContext, pd_poll_context_free)

G_END_DECLS
