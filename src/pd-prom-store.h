/*
 * polld - the Prometheus exporter's series: the latest value of each
 * (meter, resource) as Ceilometer's exporter names and labels it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "pd-sample.h"

G_BEGIN_DECLS

typedef struct _PdPromStore PdPromStore;

typedef enum {
	PD_PROM_FORMAT_TEXT,	   /* text/plain; version=0.0.4 */
	PD_PROM_FORMAT_OPENMETRICS /* application/openmetrics-text; version=1.0.0 */
} PdPromFormat;

/* all calls are thread-safe */
PdPromStore *
pd_prom_store_new(void);
void
pd_prom_store_free(PdPromStore *self);

/* records the volume of each sample (a null volume is skipped, counted in
 * skipped); @now_us is a monotonic time used by pd_prom_store_expire();
 * returns how many were skipped */
guint
pd_prom_store_add(PdPromStore *self, PdSample *const *samples, guint n_samples, gint64 now_us);

/* removes the series of @meters (NULL: every meter) that were not updated
 * since @since_us; returns how many went */
guint
pd_prom_store_expire(PdPromStore *self, const gchar *const *meters, gint64 since_us);

/* renders the first family whose meter name sorts after @after (NULL: the
 * first family) into @out and returns its meter name, or NULL past the end;
 * families are rendered one at a time so a scrape never holds the whole
 * exposition in memory */
gchar *
pd_prom_store_render_next(PdPromStore *self, const gchar *after, PdPromFormat format, GString *out);

guint
pd_prom_store_get_n_series(PdPromStore *self);
guint64
pd_prom_store_get_skipped(PdPromStore *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdPromStore, pd_prom_store_free)

G_END_DECLS
