/*
 * polld - resource metadata: an overlay's JSON as the oslo envelope carries it
 *
 * The notifier's message is the JSON text of the inner message inside a JSON
 * string, so the metadata in it is escaped a second time: every quote and
 * backslash gets a backslash (the inner text is ASCII, JSON escaped, so
 * nothing else changes). Escaping a whole message as it is written costs
 * about as much as writing it, and most of a compute sample is its
 * metadata. An overlay's shape keeps its base's runs escaped once, when it
 * is interned; the overlay's own members (a few short texts, most of them
 * plain borrowed strings) are escaped as they are written.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdMetadata"

#include "pd-metadata-escaped-private.h"
#include "pd-metadata-overlay-private.h"

static inline gboolean
needs_escape(gchar c)
{
	return c == '"' || c == '\\';
}

static gsize
count_escapes(const gchar *p, gsize len)
{
	gsize n = 0;

	for (gsize i = 0; i < len; i++)
		n += needs_escape(p[i]);
	return n;
}

static gchar *
escape_run(gchar *w, const gchar *p, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (needs_escape(p[i]))
			*w++ = '\\';
		*w++ = p[i];
	}
	return w;
}

static inline const PdMdOp *
shape_esc_ops(const PdMdShape *s)
{
	return (const PdMdOp *)(gconstpointer)s->esc;
}

static inline const gchar *
shape_esc_text(const PdMdShape *s)
{
	return s->esc + s->n_json_ops * sizeof(PdMdOp);
}

void
pd_metadata_escaped_shape_init(PdMdShape *shape, const gchar *base_json)
{
	const PdMdOp *ops = shape_json_ops(shape);
	gsize head = shape->n_json_ops * sizeof(PdMdOp);
	gsize len = 0;
	PdMdOp *esc_ops;
	gchar *text, *w;

	for (guint i = 0; i < shape->n_json_ops; i++) {
		if (ops[i].off != PD_MD_OWN)
			len += ops[i].len + count_escapes(base_json + ops[i].off, ops[i].len);
	}
	shape->esc = g_malloc(head + len + 1);
	shape->esc_len = len;
	esc_ops = (PdMdOp *)(gpointer)shape->esc;
	text = w = shape->esc + head;
	for (guint i = 0; i < shape->n_json_ops; i++) {
		gchar *start = w;
		if (ops[i].off == PD_MD_OWN) {
			esc_ops[i] = ops[i];
			continue;
		}
		w = escape_run(w, base_json + ops[i].off, ops[i].len);
		esc_ops[i].off = (guint32)(start - text);
		esc_ops[i].len = (guint32)(w - start);
	}
	*w = '\0';
}

static const PdMdOverlay *
as_overlay(PdMetadata *md)
{
	const PdMdOverlay *o = (gconstpointer)md;

	/* every metadata starts with its reference count and kind */
	return md != NULL && o->kind == PD_MD_OVERLAY ? o : NULL;
}

gsize
pd_metadata_escaped_json_bound(PdMetadata *md)
{
	const PdMdOverlay *o = as_overlay(md);
	const PdMdOp *ops;
	gsize n;

	if (o == NULL)
		return 0;
	ops = shape_json_ops(o->shape);
	n = o->shape->esc_len + 2;
	for (guint i = 0; i < o->shape->n_json_ops; i++) {
		if (ops[i].off == PD_MD_OWN) {
			const PdMdMember *m = overlay_eff(o, ops[i].len);
			n += 2 * ((gsize)m->key_len + m->item_len + m->json_len) + 16;
		}
	}
	return n;
}

#define put_lit(w, lit) (memcpy((w), (lit), sizeof(lit) - 1), (w) + sizeof(lit) - 1)

/* append_compact()'s and overlay_append_json()'s member, escaped: a compact
 * member's key and a borrowed value are plain (nothing to escape) */
static gchar *
write_member(gchar *w, const PdMdMember *m, const gchar *key, gboolean open)
{
	if (m->item_len != 0) {
		if (open)
			return escape_run(w, member_item(m), (gsize)m->item_len + m->json_len);
		*w++ = '{';
		return escape_run(w, member_item(m) + 2, (gsize)m->item_len - 2 + m->json_len);
	}
	w = open ? put_lit(w, ", \\\"") : put_lit(w, "{\\\"");
	memcpy(w, key, m->key_len);
	w = put_lit(w + m->key_len, "\\\": ");
	if (m->sig_len != PD_MD_BORROWED)
		return escape_run(w, member_json(m), m->json_len);
	w = put_lit(w, "\\\"");
	memcpy(w, member_borrowed(m), m->json_len);
	return put_lit(w + m->json_len, "\\\"");
}

gchar *
pd_metadata_escaped_json_write(PdMetadata *md, gchar *w)
{
	const PdMdOverlay *o = as_overlay(md);
	const PdMdOp *ops, *esc_ops;
	const gchar *esc;
	gboolean open = FALSE;

	g_return_val_if_fail(o != NULL, w);
	ops = shape_json_ops(o->shape);
	esc_ops = shape_esc_ops(o->shape);
	esc = shape_esc_text(o->shape);
	for (guint i = 0; i < o->shape->n_json_ops; i++) {
		if (ops[i].off != PD_MD_OWN) {
			/* a run from the base's first member starts with its "{" */
			memcpy(w, esc + esc_ops[i].off, esc_ops[i].len);
			w += esc_ops[i].len;
		} else {
			w = write_member(
			  w, overlay_eff(o, ops[i].len), o->shape->keys[ops[i].len], open);
		}
		open = TRUE;
	}
	if (!open)
		*w++ = '{';
	*w++ = '}';
	return w;
}
