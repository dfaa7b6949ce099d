/*
 * polld - the bench's sample batch: 50 samples with compute metadata shaped
 * like Ceilometer's (see the golden message), for bench-serializer and
 * bench/once-floor (not a test)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-sample.h"

#define BATCH_SIZE 50

/* 0: the metadata rendered whole, 1: overlays, 2: overlays kept (as the
 * compute plugin builds them) */
PdSampleBatch *
bench_make_batch(gint overlay);
