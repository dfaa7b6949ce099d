/*
 * polld - resource metadata
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Immutable, reference-counted resource metadata (a JSON object). Built once
 * per resource per cycle with a PdMetadataBuilder and shared by every sample
 * of that resource; at build time it pre-renders both its JSON text (Python
 * json.dumps style, insertion order) and its signature text (sorted walk, see
 * pd-signature.h), so serialising a sample never walks the tree again. An
 * overlay (begin_overlay()) keeps only the members that differ from a base
 * many resources share, and is rendered from both texts as it is written.
 */
typedef struct _PdMetadata PdMetadata;
typedef struct _PdMetadataBuilder PdMetadataBuilder;

/* a run of text; a metadata's JSON or signature text is a few of them in order */
typedef struct {
	const gchar *str;
	gsize len;
} PdMdPiece;

PdMetadata *
pd_metadata_ref(PdMetadata *md);
void
pd_metadata_unref(PdMetadata *md);
/* appends the JSON text of the object, e.g. {"a": 1, "b": {"c": null}};
 * NULL @md: "{}" */
void
pd_metadata_append_json(PdMetadata *md, GString *out);
/* the signature contribution (keys prefixed "resource_metadata:") in runs,
 * in order; nothing for NULL @md */
typedef void (*PdMdTextFunc)(const gchar *text, gsize len, gpointer user_data);
void
pd_metadata_foreach_signature_text(PdMetadata *md, PdMdTextFunc func, gpointer user_data);
/* rendered metadata only (not an overlay): JSON text of the object, e.g. {"a": 1, "b": {"c":
 * null}}, as pieces to be used in order (valid while @md lives); NULL @md: "{}" */
guint
pd_metadata_get_json_pieces(PdMetadata *md, const PdMdPiece **pieces);
/* signature contribution with keys prefixed "resource_metadata:", as pieces */
guint
pd_metadata_get_signature_pieces(PdMetadata *md, const PdMdPiece **pieces);
/* the same texts in one string, for tests */
gchar *
pd_metadata_dup_json(PdMetadata *md, gsize *len);
gchar *
pd_metadata_dup_signature_text(PdMetadata *md, gsize *len);
/* value lookup for tests and the engine: the JSON text of a top level key, or NULL */
gchar *
pd_metadata_dup_value_json(PdMetadata *md, const gchar *key);

PdMetadataBuilder *
pd_metadata_builder_new(void);
void
pd_metadata_builder_free(PdMetadataBuilder *b);
void
pd_metadata_builder_add_string(PdMetadataBuilder *b,
			       const gchar *key,
			       const gchar *value); /* NULL -> null */
void
pd_metadata_builder_add_int(PdMetadataBuilder *b, const gchar *key, gint64 value);
void
pd_metadata_builder_add_double(PdMetadataBuilder *b, const gchar *key, gdouble value);
void
pd_metadata_builder_add_bool(PdMetadataBuilder *b, const gchar *key, gboolean value);
void
pd_metadata_builder_add_null(PdMetadataBuilder *b, const gchar *key);
/* nested object: add members then end it */
void
pd_metadata_builder_begin_object(PdMetadataBuilder *b, const gchar *key);
void
pd_metadata_builder_end_object(PdMetadataBuilder *b);
/* list of strings (the only list kind pollsters emit) */
void
pd_metadata_builder_add_string_list(PdMetadataBuilder *b,
				    const gchar *key,
				    const gchar *const *values);
/* copies every top-level member of @base (for per-device metadata on top of
 * instance metadata); a later add with the same key replaces the copied one
 * in place, keeping its position, like a Python dict update */
void
pd_metadata_builder_add_all(PdMetadataBuilder *b, PdMetadata *base);
/* finishes and resets the builder; never NULL */
PdMetadata *
pd_metadata_builder_end(PdMetadataBuilder *b);
/* like _end(), but keeps only the rendered texts (about half the memory):
 * the result can't be an add_all() base nor answer dup_value_json(). Started
 * with add_all(), it keeps only what differs from the base and points into
 * the base's texts for the rest (a few hundred bytes instead of a copy). */
PdMetadata *
pd_metadata_builder_end_flat(PdMetadataBuilder *b);
/* an overlay: starts a metadata made of @base (ended with _end() and never
 * sealed, shared by many resources) and, unless NULL, of @parent (an overlay
 * of the same base), updated with the members added next, as a Python dict
 * update: a member of the same key replaces the base's (or the parent's)
 * where it stands, others follow. end_overlay() keeps only the added
 * members' texts and a recipe of a few runs of the base's texts: the
 * metadata is rendered as it is serialised. For per-resource metadata
 * where most members are the same for many resources. */
void
pd_metadata_builder_begin_overlay(PdMetadataBuilder *b, PdMetadata *base, PdMetadata *parent);
PdMetadata *
pd_metadata_builder_end_overlay(PdMetadataBuilder *b);
typedef enum {
	PD_MD_OVERLAY_COPY = 0,
	/* the members not borrowed are interned: one copy of a member's texts
	 * for all the overlays that add the same key and value */
	PD_MD_OVERLAY_SHARE = 1 << 0,
} PdMdOverlayFlags;

/* like pd_metadata_builder_begin_overlay(); the overlay takes @keeper (a
 * reference, may be NULL), released with @release when it goes: what its
 * borrowed strings, and its children's, point into. With @release NULL the
 * overlay keeps no pointer to @keeper (the caller keeps it alive). */
void
pd_metadata_builder_begin_overlay_kept(PdMetadataBuilder *b,
				       PdMetadata *base,
				       PdMetadata *parent,
				       gpointer keeper,
				       GDestroyNotify release,
				       PdMdOverlayFlags flags);
/* in an overlay, a string member the overlay renders from @value as it is
 * written instead of a copy of its texts: @value must live as long as the
 * keeper of the overlay or of one of its parents. A value the JSON or the
 * signature would escape, NULL, or a member out of an overlay's top level
 * is copied (add_string()). */
void
pd_metadata_builder_add_string_borrowed(PdMetadataBuilder *b, const gchar *key, const gchar *value);

/* drops what only add_all() and dup_value_json() use (about half of a base's
 * memory) once every metadata derived from @md is built; the texts stay, and
 * so do the derived ones. Call it before @md is shared with other threads. */
void
pd_metadata_seal(PdMetadata *md);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdMetadata, pd_metadata_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdMetadataBuilder, pd_metadata_builder_free)

G_END_DECLS
