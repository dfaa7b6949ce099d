/*
 * polld - what a pollster sees during one invocation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

#include "pd-config.h"
#include "pd-cycle-cache.h"
#include "pd-metadata.h"
#include "pd-resource.h"
#include "pd-sample.h"

G_BEGIN_DECLS

/*
 * One PdPollContext per pollster invocation: it collects the samples and
 * permanent failures of that invocation and is used by one thread at a time.
 * The PdCycleCache behind it is shared by all pollsters of one task cycle.
 */
typedef struct _PdPollContext PdPollContext;

/* appends a sample: strings are copied, @metadata is referenced (may be
 * NULL); the timestamp is stamped by the engine, one per invocation */
PdSample *
pd_poll_context_add_sample(PdPollContext *ctx,
			   const gchar *name,
			   PdSampleType type,
			   const gchar *unit,
			   const gchar *resource_id,
			   const gchar *user_id,
			   const gchar *project_id,
			   PdMetadata *metadata);
/* the batch samples go to, for pollsters that fill it directly. For a
 * synchronous pollster the engine takes full batches away as samples are
 * added, so fetch the batch again after each pd_poll_context_add_sample()
 * and finish a sample (volume etc.) before adding the next one. */
PdSampleBatch *
pd_poll_context_get_batch(PdPollContext *ctx);
/* @res can never be polled by this pollster: it joins the (source,
 * pollster) blacklist for the process lifetime, logged once with @reason */
void
pd_poll_context_add_permanent_failure(PdPollContext *ctx, PdResource *res, const gchar *reason);
PdConfig *
pd_poll_context_get_config(PdPollContext *ctx);
PdCycleCache *
pd_poll_context_get_cache(PdPollContext *ctx);
const gchar *
pd_poll_context_get_source_name(PdPollContext *ctx);

G_END_DECLS
