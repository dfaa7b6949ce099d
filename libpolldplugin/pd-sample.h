/*
 * polld - sample representation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "pd-metadata.h"

G_BEGIN_DECLS

typedef enum {
	PD_SAMPLE_TYPE_GAUGE,
	PD_SAMPLE_TYPE_DELTA,
	PD_SAMPLE_TYPE_CUMULATIVE,
} PdSampleType;

typedef enum {
	PD_VOLUME_NULL,
	PD_VOLUME_INT,
	PD_VOLUME_DOUBLE,
	PD_VOLUME_STRING, /* a JSON string, as dynamic pollsters may send */
} PdVolumeKind;

/*
 * One sample. Plain struct, stored by value in a PdSampleBatch; all string
 * fields point into the batch's string chunk (or to static strings), so a
 * sample costs no allocation of its own. NULL strings serialise as JSON null.
 */
typedef struct {
	const gchar *name;
	const gchar *unit;
	const gchar *resource_id;
	const gchar *user_id;
	const gchar *project_id;
	const gchar *user_name;
	const gchar *project_name;
	PdMetadata *metadata; /* owned reference, NULL means {} */
	union {
		gint64 i;
		gdouble d;
		const gchar *s; /* in the batch's string storage */
	} volume;
	gint64 timestamp_us;	/* wall clock, UTC, microseconds since the epoch */
	gdouble monotonic_time; /* CLOCK_MONOTONIC seconds like Python's time.monotonic()
				 * (nanosecond resolution, printed as a float); NAN (or
				 * any negative value) for null */
	guint8 type;		/* PdSampleType */
	guint8 volume_kind;	/* PdVolumeKind */
} PdSample;

const gchar *
pd_sample_type_to_string(PdSampleType type);
gboolean
pd_sample_type_from_string(const gchar *str, PdSampleType *type);
/* Python's time.monotonic(): CLOCK_MONOTONIC nanoseconds / 1e9 */
gdouble
pd_sample_monotonic_now(void);

static inline void
pd_sample_set_int(PdSample *sample, gint64 value)
{
	sample->volume_kind = PD_VOLUME_INT;
	sample->volume.i = value;
}

static inline void
pd_sample_set_double(PdSample *sample, gdouble value)
{
	sample->volume_kind = PD_VOLUME_DOUBLE;
	sample->volume.d = value;
}

/* @value must live as long as the sample: pd_sample_batch_intern() it */
static inline void
pd_sample_set_string(PdSample *sample, const gchar *value)
{
	sample->volume_kind = PD_VOLUME_STRING;
	sample->volume.s = value;
}

static inline void
pd_sample_set_null(PdSample *sample)
{
	sample->volume_kind = PD_VOLUME_NULL;
}

/*
 * A growable array of samples plus the string storage they point into.
 * Not thread-safe: one batch is filled by one pollster invocation.
 */
typedef struct _PdSampleBatch PdSampleBatch;

PdSampleBatch *
pd_sample_batch_new(void);
void
pd_sample_batch_free(PdSampleBatch *batch);
/* appends a zeroed sample (volume null, monotonic NAN); strings are copied,
 * @metadata is referenced (may be NULL); the pointer is valid until the next add */
PdSample *
pd_sample_batch_add(PdSampleBatch *batch,
		    const gchar *name,
		    PdSampleType type,
		    const gchar *unit,
		    const gchar *resource_id,
		    const gchar *user_id,
		    const gchar *project_id,
		    PdMetadata *metadata);
/* copy a string into the batch storage, deduplicated */
const gchar *
pd_sample_batch_intern(PdSampleBatch *batch, const gchar *str);
guint
pd_sample_batch_get_size(PdSampleBatch *batch);
PdSample *
pd_sample_batch_index(PdSampleBatch *batch, guint idx);
/* stamps every sample from @first on with the same wall clock timestamp and,
 * when @monotonic_time is a reading (>= 0), the same monotonic time; NAN or a
 * negative value keeps each sample's own (null unless the pollster set it) */
void
pd_sample_batch_stamp(PdSampleBatch *batch,
		      guint first,
		      gint64 timestamp_us,
		      gdouble monotonic_time);
/* moves all samples of @src to the end of @dst, leaving @src empty; @src's
 * string storage is kept alive by @dst */
void
pd_sample_batch_take(PdSampleBatch *dst, PdSampleBatch *src);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdSampleBatch, pd_sample_batch_free)

G_END_DECLS
