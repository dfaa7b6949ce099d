/*
 * polld - resource metadata: overlays and their shapes (pd-metadata*.c only)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <string.h>

#include "pd-metadata.h"
#include "pd-metadata-member-private.h"

G_BEGIN_DECLS

/* what a metadata is: its texts, or an overlay rendered when serialised */
enum { PD_MD_RENDERED, PD_MD_OVERLAY };

/* a run of the base's text, or (off == PD_MD_OWN) member len of the
 * overlay's effective members */
typedef struct {
	guint32 off;
	guint32 len;
} PdMdOp;

#define PD_MD_OWN G_MAXUINT32

/* where an effective member of an overlay is: @depth parents up (0: the
 * overlay itself), its own member @idx there */
typedef struct {
	guint16 depth;
	guint16 idx;
} PdMdSlot;

/*
 * What the overlays of the same base, parent shape and member keys have in
 * common, interned (thousands of resources share a few): where each
 * effective member is, and the recipe (ops) that interleaves the members
 * with runs of the base's texts: the base's members in their order with the
 * overlay's replacing theirs in place, then the added ones (a Python dict
 * update), and the signature contributions merged in key order.
 */
typedef struct {
	gint ref_count; /* under pd_md_shapes_lock */
	guint16 n_eff;
	guint16 n_own;
	guint16 n_json_ops;
	guint16 n_sig_ops;
	PdMetadata *base;
	gchar *name;		       /* its key in pd_md_shapes */
	GDestroyNotify keeper_release; /* of its overlays' keepers */
	/* the base's runs as the oslo envelope carries them (quotes and
	 * backslashes escaped once more): n_json_ops PdMdOps into the text
	 * that follows them, and that text's length */
	gchar *esc;
	gsize esc_len;
	/* each effective member's key (interned for the process): a borrowed
	 * member keeps none of its own */
	const gchar **keys;
	/* then, in the same allocation: the JSON ops, the signature ops and
	 * what each own member's texts are (PD_MD_OWN_COPY...) */
	PdMdSlot slots[];
} PdMdShape;

/* where an overlay's own member keeps its texts: in the overlay; interned
 * (shared by the overlays with the same member); or borrowed: a string of
 * the keeper's, rendered as it is written (the member's block is the value
 * itself, its key the shape's, its sig_len PD_MD_BORROWED: the member is
 * all an overlay keeps of it, thousands of domains have a few each) */
enum { PD_MD_OWN_COPY, PD_MD_OWN_SHARED, PD_MD_OWN_BORROWED };
#define PD_MD_BORROWED G_MAXUINT32

/*
 * An overlay: a resource's own members on top of a base that many resources
 * share, rendered as it is serialised following its shape. It keeps only
 * its own members and their texts.
 */
typedef struct {
	gint ref_count;
	gint kind; /* PD_MD_OVERLAY */
	PdMdShape *shape;
	PdMetadata *parent; /* an overlay of the same base whose members come first, or NULL */
	/* then, in the same allocation: its shape->n_own members, the keeper
	 * when its shape has a keeper_release (most overlays have none: not a
	 * field of every one), and its members' texts */
	PdMdMember own[];
} PdMdOverlay;

/* what the overlay holds for its borrowed strings, released with
 * shape->keeper_release; only when that is set */
static inline gpointer *
overlay_keeper(PdMdOverlay *o)
{
	return (gpointer *)(gpointer)&o->own[o->shape->n_own];
}

static inline const PdMdOp *
shape_json_ops(const PdMdShape *s)
{
	return (const PdMdOp *)(gconstpointer)&s->slots[s->n_eff];
}

static inline const PdMdOp *
shape_sig_ops(const PdMdShape *s)
{
	return shape_json_ops(s) + s->n_json_ops;
}

static inline const guint8 *
shape_kinds(const PdMdShape *s)
{
	return (const guint8 *)(gconstpointer)(shape_sig_ops(s) + s->n_sig_ops);
}

static inline const gchar *
member_borrowed(const PdMdMember *m)
{
	return m->block;
}

/* effective member @j: the overlay's own or one of a parent's */
static inline const PdMdMember *
overlay_eff(const PdMdOverlay *o, guint j)
{
	PdMdSlot slot = o->shape->slots[j];

	for (guint d = 0; d < slot.depth; d++)
		o = (const PdMdOverlay *)(gconstpointer)o->parent;
	return &o->own[slot.idx];
}

/* the escaped runs of a new shape's base texts (PdMdShape.esc) */
void
pd_metadata_escaped_shape_init(PdMdShape *shape, const gchar *base_json);

G_END_DECLS
