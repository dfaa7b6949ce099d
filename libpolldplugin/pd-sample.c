/*
 * polld - sample representation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdSample"

#include <math.h>
#include <string.h>
#include <time.h>

#include "pd-sample-private.h"

/* the strings a pollster's samples repeat (meter, unit, owner) come from
 * the same few pointers sample after sample: a few of them by address,
 * confirmed by content, spare hashing each into the chunk's table again.
 * Owners alternate from one resource to the next (a host's instances of a
 * few projects: four strings each), so the sets have two ways, the one
 * used last first, and the address is spread by a multiplicative hash: a
 * direct-mapped table of 16 missed about one string in four there, 32 sets
 * 2-10 % (by where the strings happen to lie), 64 sets 2.7 % in a run. */
#define PD_INTERN_SETS 64
#define PD_INTERN_SET_BITS 6

struct _PdSampleBatch {
	PdSample *samples; /* by value, room for cap */
	guint len;
	guint cap;
	GStringChunk *strings;			/* what the samples' strings point into */
	GSList *kept;				/* GStringChunk: storage of batches taken over */
	const gchar *seen[PD_INTERN_SETS][2];	/* a string interned lately */
	const gchar *copies[PD_INTERN_SETS][2]; /* and its copy in strings */
	gsize string_bytes;			/* copied into strings and kept */
};

static const gchar *const type_names[] = {
	[PD_SAMPLE_TYPE_GAUGE] = "gauge",
	[PD_SAMPLE_TYPE_DELTA] = "delta",
	[PD_SAMPLE_TYPE_CUMULATIVE] = "cumulative",
};

const gchar *
pd_sample_type_to_string(PdSampleType type)
{
	if ((guint)type >= G_N_ELEMENTS(type_names))
		return NULL;
	return type_names[type];
}

gboolean
pd_sample_type_from_string(const gchar *str, PdSampleType *type)
{
	g_return_val_if_fail(str != NULL, FALSE);
	for (guint i = 0; i < G_N_ELEMENTS(type_names); i++) {
		if (strcmp(str, type_names[i]) == 0) {
			if (type != NULL)
				*type = (PdSampleType)i;
			return TRUE;
		}
	}
	return FALSE;
}

gdouble
pd_sample_monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* the same rounding as CPython's _PyTime_AsSecondsDouble() */
	return (gdouble)((gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec) / 1e9;
}

static void
sample_clear(gpointer data)
{
	PdSample *sample = data;

	g_clear_pointer(&sample->metadata, pd_metadata_unref);
}

/* room for @want samples: doubled when it runs out, as GArray did */
static void
pd_sample_batch_grow(PdSampleBatch *batch, guint want)
{
	if (want <= batch->cap)
		return;
	batch->cap = MAX(MAX(want, batch->cap * 2), 16);
	batch->samples = g_renew(PdSample, batch->samples, batch->cap);
}

PdSampleBatch *
pd_sample_batch_new_sized(guint reserve)
{
	PdSampleBatch *batch = g_new0(PdSampleBatch, 1);

	/* exactly the room asked for: GArray rounds it up to a power of two
	 * (a chunk of 200 samples, 19,200 bytes, took 32 KiB) */
	batch->samples = g_new(PdSample, reserve);
	batch->cap = reserve;
	batch->strings = g_string_chunk_new(4096);
	return batch;
}

PdSampleBatch *
pd_sample_batch_new(void)
{
	return pd_sample_batch_new_sized(64);
}

void
pd_sample_batch_free(PdSampleBatch *batch)
{
	if (batch == NULL)
		return;
	for (guint i = 0; i < batch->len; i++)
		sample_clear(&batch->samples[i]);
	g_free(batch->samples);
	g_string_chunk_free(batch->strings);
	g_slist_free_full(batch->kept, (GDestroyNotify)g_string_chunk_free);
	g_free(batch);
}

static inline guint
intern_set(const gchar *str)
{
	guint64 v = (guintptr)str;

	return (guint)((v * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)) >> (64 - PD_INTERN_SET_BITS));
}

const gchar *
pd_sample_batch_intern(PdSampleBatch *batch, const gchar *str)
{
	const gchar **seen, **copies;
	const gchar *copy;

	g_return_val_if_fail(batch != NULL, NULL);
	if (str == NULL)
		return NULL;
	seen = batch->seen[intern_set(str)];
	copies = batch->copies[intern_set(str)];
	/* the address is only a hint: its text may have changed since */
	if (seen[0] == str && strcmp(copies[0], str) == 0)
		return copies[0];
	if (seen[1] == str && strcmp(copies[1], str) == 0) {
		copy = copies[1];
	} else {
		copy = g_string_chunk_insert_const(batch->strings, str);
		batch->string_bytes += strlen(str) + 1;
		/* a stale way 1 of the same address goes: way 0 is read first */
		if (seen[0] == str)
			seen[0] = NULL;
	}
	seen[1] = seen[0];
	copies[1] = copies[0];
	seen[0] = str;
	copies[0] = copy;
	return copy;
}

PdSample *
pd_sample_batch_add(PdSampleBatch *batch,
		    const gchar *name,
		    PdSampleType type,
		    const gchar *unit,
		    const gchar *resource_id,
		    const gchar *user_id,
		    const gchar *project_id,
		    PdMetadata *metadata)
{
	PdSample *sample;

	g_return_val_if_fail(batch != NULL, NULL);
	pd_sample_batch_grow(batch, batch->len + 1);
	sample = &batch->samples[batch->len++];
	memset(sample, 0, sizeof(*sample));
	sample->name = pd_sample_batch_intern(batch, name);
	sample->type = (guint8)type;
	sample->unit = pd_sample_batch_intern(batch, unit);
	/* a pollster's resources differ sample after sample: a copy, not
	 * looked up first */
	if (resource_id != NULL) {
		gsize len = strlen(resource_id);
		sample->resource_id = g_string_chunk_insert_len(batch->strings, resource_id, len);
		batch->string_bytes += len + 1;
	}
	sample->user_id = pd_sample_batch_intern(batch, user_id);
	sample->project_id = pd_sample_batch_intern(batch, project_id);
	sample->metadata = metadata != NULL ? pd_metadata_ref(metadata) : NULL;
	sample->volume_kind = PD_VOLUME_NULL;
	sample->monotonic_time = NAN;
	return sample;
}

/* the strings fill blocks of 4 KiB (a longer one gets its own): the
 * bytes copied and a block a storage more, what a partly filled block
 * leaves */
gsize
pd_sample_batch_get_held(PdSampleBatch *batch)
{
	gsize storages = 1 + g_slist_length(batch->kept);

	return sizeof(*batch) + (gsize)batch->cap * sizeof(PdSample) + batch->string_bytes +
	       storages * 4096;
}

guint
pd_sample_batch_get_size(PdSampleBatch *batch)
{
	g_return_val_if_fail(batch != NULL, 0);
	return batch->len;
}

PdSample *
pd_sample_batch_index(PdSampleBatch *batch, guint idx)
{
	g_return_val_if_fail(batch != NULL, NULL);
	g_return_val_if_fail(idx < batch->len, NULL);
	return &batch->samples[idx];
}

void
pd_sample_batch_stamp(PdSampleBatch *batch,
		      guint first,
		      gint64 timestamp_us,
		      gdouble monotonic_time)
{
	/* "monotonic_time >= 0" is FALSE for NAN too */
	gboolean set_monotonic = monotonic_time >= 0;

	g_return_if_fail(batch != NULL);
	for (guint i = first; i < batch->len; i++) {
		PdSample *sample = &batch->samples[i];
		sample->timestamp_us = timestamp_us;
		if (set_monotonic)
			sample->monotonic_time = monotonic_time;
	}
}

void
pd_sample_batch_take(PdSampleBatch *dst, PdSampleBatch *src)
{
	g_return_if_fail(dst != NULL && src != NULL && dst != src);
	if (src->len == 0)
		return;
	/* the samples move with their metadata references: no ref/unref */
	pd_sample_batch_grow(dst, dst->len + src->len);
	memcpy(&dst->samples[dst->len], src->samples, src->len * sizeof(PdSample));
	dst->len += src->len;
	src->len = 0;
	/* the moved strings still point into src's storage: dst keeps it */
	dst->kept = g_slist_prepend(dst->kept, src->strings);
	dst->kept = g_slist_concat(src->kept, dst->kept);
	src->kept = NULL;
	src->strings = g_string_chunk_new(4096);
	dst->string_bytes += src->string_bytes;
	src->string_bytes = 0;
	/* the copies went with the storage */
	memset(src->seen, 0, sizeof(src->seen));
	memset(src->copies, 0, sizeof(src->copies));
}
