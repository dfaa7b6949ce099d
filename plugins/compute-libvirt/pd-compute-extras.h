/*
 * polld - what Nova 2025.2 adds to a domain's metadata and Ceilometer 25
 * reads from it: the flavor's extra specs and the image's meta
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-compute-xml.h"
#include "polld.h"

G_BEGIN_DECLS

/*
 * Interned and immutable: one for all the domains of the same flavor and
 * image. Names and values are interned strings, a value NULL where the
 * element is empty (lxml's text is None there).
 */
typedef struct {
	gint ref_count; /* under the table's lock */
	gint n_specs;	/* -1: no extraSpecs element (no "extra_specs" key) */
	guint n_image;	/* "image_meta" members (0: no key) */
	/* the specs' name, value pairs, then the image meta's */
	const gchar *kv[];
} PdComputeExtras;

/* the extras of the Nova metadata element @nova and its @flavor (elements of
 * namespace @ns), interned; NULL when there is nothing to render */
const PdComputeExtras *
pd_compute_extras_parse(PdComputeXml *x, gconstpointer nova, gconstpointer flavor, const gchar *ns);
void
pd_compute_extras_unref(const PdComputeExtras *extras);

/* "extra_specs" (in the flavor object) and "image_meta" (after
 * image_ref_url), as 25.0.0 adds them; nothing when @extras is NULL or has
 * none */
void
pd_compute_extras_add_specs(PdMetadataBuilder *b, const PdComputeExtras *extras);
void
pd_compute_extras_add_image_meta(PdMetadataBuilder *b, const PdComputeExtras *extras);

G_END_DECLS
