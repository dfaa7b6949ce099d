/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPollContext"

#include "config.h"

#include "pd-error.h"
#include "pd-poll-context-private.h"
#include "pd-sample-private.h"

struct _PdPollContext {
	PdPollContextFlushFunc flush;
	gpointer flush_data;
	guint flush_at;
	PdConfig *config;
	PdCycleCache *cache;
	PdSampleBatch *batch;
	GPtrArray *failures; /* of PdPermanentFailure */
	gchar *source_name;
};

static void
pd_permanent_failure_free(PdPermanentFailure *f)
{
	pd_resource_unref(f->resource);
	g_free(f->reason);
	g_free(f);
}

PdPollContext *
pd_poll_context_new(PdConfig *config, PdCycleCache *cache, const gchar *source_name)
{
	PdPollContext *ctx = g_new0(PdPollContext, 1);
	ctx->config = g_object_ref(config);
	ctx->cache = pd_cycle_cache_ref(cache);
	/* made at the first sample: its room depends on the flush size */
	ctx->batch = NULL;
	ctx->failures = g_ptr_array_new_with_free_func((GDestroyNotify)pd_permanent_failure_free);
	ctx->source_name = g_strdup(source_name);
	return ctx;
}

void
pd_poll_context_free(PdPollContext *ctx)
{
	if (ctx == NULL)
		return;
	g_object_unref(ctx->config);
	pd_cycle_cache_unref(ctx->cache);
	if (ctx->batch != NULL)
		pd_sample_batch_free(ctx->batch);
	g_ptr_array_unref(ctx->failures);
	g_free(ctx->source_name);
	g_free(ctx);
}

/* the batch samples go to, made when first needed: with room for a chunk
 * when the samples are flushed in chunks (a chunk holds flush_at samples
 * at most; a very large one grows as it fills), so it never grows */
static PdSampleBatch *
pd_poll_context_batch(PdPollContext *ctx)
{
	if (ctx->batch == NULL)
		ctx->batch =
		  pd_sample_batch_new_sized(ctx->flush != NULL ? MIN(ctx->flush_at, 4096) : 64);
	return ctx->batch;
}

PdSample *
pd_poll_context_add_sample(PdPollContext *ctx,
			   const gchar *name,
			   PdSampleType type,
			   const gchar *unit,
			   const gchar *resource_id,
			   const gchar *user_id,
			   const gchar *project_id,
			   PdMetadata *metadata)
{
	/* flush when the next sample would start a new chunk: the samples
	 * before it are complete by now (callers fill in the volume after
	 * add), so memory stays bounded by the chunk, not by the resources.
	 * The next batch is made once the flush returned: a flush may wait
	 * for the in-flight budget, with one batch held, not two */
	if (ctx->flush != NULL &&
	    pd_sample_batch_get_size(pd_poll_context_batch(ctx)) >= ctx->flush_at)
		ctx->flush(ctx, g_steal_pointer(&ctx->batch), ctx->flush_data);
	return pd_sample_batch_add(
	  pd_poll_context_batch(ctx), name, type, unit, resource_id, user_id, project_id, metadata);
}

void
pd_poll_context_set_flush(PdPollContext *ctx,
			  guint flush_at,
			  PdPollContextFlushFunc func,
			  gpointer user_data)
{
	ctx->flush_at = MAX(flush_at, 1);
	ctx->flush = func;
	ctx->flush_data = user_data;
}

gboolean
pd_poll_context_has_batch(PdPollContext *ctx)
{
	return ctx->batch != NULL;
}

PdSampleBatch *
pd_poll_context_get_batch(PdPollContext *ctx)
{
	return pd_poll_context_batch(ctx);
}

PdSampleBatch *
pd_poll_context_steal_batch(PdPollContext *ctx)
{
	pd_poll_context_batch(ctx);
	return g_steal_pointer(&ctx->batch);
}

void
pd_poll_context_add_permanent_failure(PdPollContext *ctx, PdResource *res, const gchar *reason)
{
	PdPermanentFailure *f = g_new0(PdPermanentFailure, 1);
	f->resource = pd_resource_ref(res);
	f->reason = g_strdup(reason);
	g_ptr_array_add(ctx->failures, f);
}

GPtrArray *
pd_poll_context_get_failures(PdPollContext *ctx)
{
	return ctx->failures;
}

PdConfig *
pd_poll_context_get_config(PdPollContext *ctx)
{
	return ctx->config;
}

PdCycleCache *
pd_poll_context_get_cache(PdPollContext *ctx)
{
	return ctx->cache;
}

const gchar *
pd_poll_context_get_source_name(PdPollContext *ctx)
{
	return ctx->source_name;
}
