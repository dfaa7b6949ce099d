/*
 * polld - sample batches, inside the library
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-sample.h"

G_BEGIN_DECLS

/* a batch with room for @reserve samples: a chunk of known size is filled
 * without growing its array (a realloc and a copy of what it holds) */
PdSampleBatch *
pd_sample_batch_new_sized(guint reserve);
/* the bytes @batch holds: the struct, the samples' array, the strings
 * copied (an estimate that does not under-count) */
gsize
pd_sample_batch_get_held(PdSampleBatch *batch);

G_END_DECLS
