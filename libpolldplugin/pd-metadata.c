/*
 * polld - resource metadata
 *
 * A member keeps its value already rendered twice: as JSON text, and as its
 * contribution to the signature (every flattened key with the full
 * "resource_metadata:a:b:" prefix, sorted). Closing an object renders it
 * from its members; the metadata is the rendering of the top level. So the
 * serializer only ever copies two strings per sample. Per-device metadata
 * (add_all() of an instance's, a few members more, end_flat()) keeps only
 * its own members' texts and points into the base's for the rest: a handful
 * of pieces instead of a copy of the instance's 2 KB.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdMetadata"

#include <stdlib.h>
#include <string.h>

#include "pd-metadata.h"
#include "pd-metadata-escaped-private.h"
#include "pd-metadata-json.h"
#include "pd-metadata-member-private.h"
#include "pd-metadata-overlay-private.h"
#include "pd-slab.h"
#include "pd-pytext-private.h"

typedef struct {
	gchar *key;	 /* name in the parent, NULL at the top */
	gchar *prefix;	 /* signature key prefix, "resource_metadata:a:" */
	GArray *members; /* PdMdMember, insertion order */
} PdMdFrame;

struct _PdMetadata {
	gint ref_count;
	gint kind;
	GArray *members; /* top level, for add_all() and lookups */
	gchar *json;	 /* NULL for a derived one */
	gchar *sig;
	gsize json_len;
	gsize sig_len;
	/* where member i's ", key: value" ends in json, and where its signature
	 * contribution starts in sig: what a derived metadata points into */
	guint32 *json_end;
	guint32 *sig_start;
	/* the texts as pieces; one each unless derived */
	PdMdPiece *json_pieces;
	PdMdPiece *sig_pieces;
	guint n_json_pieces;
	guint n_sig_pieces;
	PdMdPiece one[2];
	/* derived: a base it points into, and the text of its own members */
	PdMetadata *base;
	gchar *own;
};

struct _PdMetadataBuilder {
	GPtrArray *frames; /* open objects, [0] is the top level */
	GString *json;	   /* scratch */
	GString *sig;	   /* scratch */
	PdMetadata *base;  /* the add_all() base, while its copies are first */
	/* begin_overlay(): the shared base and the overlay it goes on */
	PdMetadata *ovl_base;
	PdMetadata *ovl_parent;
	gpointer ovl_keeper; /* begin_overlay_kept(): what borrowed strings live in */
	GDestroyNotify ovl_release;
	guint ovl_flags;
	/* the value add_string_borrowed() lent a top-level member, by the
	 * member's index (NULL: none); a table by key cost as much as the
	 * member */
	GPtrArray *ovl_borrowed;
};

static void
member_clear(gpointer data)
{
	PdMdMember *m = data;

	g_clear_pointer(&m->block, g_free);
}

static GArray *
members_new(void)
{
	/* room for an overlay's few members: grown from nothing, the array was
	 * reallocated at its 1st, 2nd, 3rd and 6th member */
	GArray *members = g_array_sized_new(FALSE, FALSE, sizeof(PdMdMember), 8);

	g_array_set_clear_func(members, member_clear);
	return members;
}

/* text JSON and the signature write as is */
static gboolean
string_is_plain(const gchar *value)
{
	for (const guchar *p = (const guchar *)value; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			return FALSE;
	}
	return TRUE;
}

static PdMdMember
member_new(const gchar *key, const GString *json, const GString *sig)
{
	g_autoptr(GString) item = NULL;
	PdMdMember m;
	gchar *w;

	m.key_len = (guint32)strlen(key);
	/* ", "key": " written in place for a plain key (a GString and the
	 * escaper a member were a third of its cost) */
	if (!string_is_plain(key)) {
		item = g_string_new(", ");
		pd_pytext_json_string(item, key);
		pd_buf_append_lit(item, ": ");
	}
	m.item_len = item != NULL ? (guint32)item->len : m.key_len + 6;
	m.json_len = (guint32)json->len;
	m.sig_len = (guint32)sig->len;
	m.block = g_malloc(member_size(&m));
	w = m.block;
	memcpy(w, key, m.key_len + 1);
	w += m.key_len + 1;
	if (item != NULL) {
		memcpy(w, item->str, item->len);
		w += item->len;
	} else {
		memcpy(w, ", \"", 3);
		memcpy(w + 3, key, m.key_len);
		memcpy(w + 3 + m.key_len, "\": ", 3);
		w += m.key_len + 6;
	}
	memcpy(w, json->str, json->len + 1);
	w += json->len + 1;
	memcpy(w, sig->str, sig->len + 1);
	return m;
}

/* a repeated key replaces the value where it stood, like a dict update;
 * returns where @m is */
static guint
members_put(GArray *members, PdMdMember m)
{
	for (guint i = 0; i < members->len; i++) {
		PdMdMember *old = &g_array_index(members, PdMdMember, i);
		if (strcmp(member_key(old), member_key(&m)) == 0) {
			g_free(old->block);
			*old = m;
			return i;
		}
	}
	g_array_append_val(members, m);
	return members->len - 1;
}

static gint
compare_members(gconstpointer a, gconstpointer b)
{
	const PdMdMember *const *ma = a;
	const PdMdMember *const *mb = b;

	/* byte order of UTF-8 is code point order, which is how Python sorts */
	return strcmp(member_key(*ma), member_key(*mb));
}

/* one member as it stands in its object's JSON: "key": value */
static void
append_member_json(GString *json, const PdMdMember *m)
{
	pd_buf_append(json, member_item(m) + 2, m->item_len - 2 + m->json_len);
}

/* {"k": v, ...} in insertion order and the sorted signature contributions;
 * with @json_end and @sig_start (one slot per member) also where each member
 * ends in the JSON and starts in the signature text */
static void
render_members(GArray *members, GString *json, GString *sig, guint32 *json_end, guint32 *sig_start)
{
	g_autofree PdMdMember **sorted = g_new(PdMdMember *, members->len + 1);

	g_string_truncate(json, 0);
	g_string_truncate(sig, 0);
	g_string_append_c(json, '{');
	for (guint i = 0; i < members->len; i++) {
		PdMdMember *m = &g_array_index(members, PdMdMember, i);
		if (i > 0)
			pd_buf_append_lit(json, ", ");
		append_member_json(json, m);
		if (json_end != NULL)
			json_end[i] = (guint32)json->len;
		sorted[i] = m;
	}
	g_string_append_c(json, '}');
	qsort(sorted, members->len, sizeof(PdMdMember *), compare_members);
	for (guint i = 0; i < members->len; i++) {
		if (sig_start != NULL)
			sig_start[sorted[i] - (PdMdMember *)(gpointer)members->data] =
			  (guint32)sig->len;
		pd_buf_append(sig, member_sig(sorted[i]), sorted[i]->sig_len);
	}
}

/* ---- frames ---- */

static PdMdFrame *
frame_new(const gchar *key, const gchar *prefix)
{
	PdMdFrame *f = g_new0(PdMdFrame, 1);

	f->key = g_strdup(key);
	f->prefix = g_strdup(prefix);
	f->members = members_new();
	return f;
}

static void
frame_free(gpointer data)
{
	PdMdFrame *f = data;

	g_free(f->key);
	g_free(f->prefix);
	g_array_unref(f->members);
	g_free(f);
}

static PdMdFrame *
current_frame(PdMetadataBuilder *b)
{
	return g_ptr_array_index(b->frames, b->frames->len - 1);
}

/* starts the scratch texts of a scalar member: its signature is the full
 * key followed by the value text */
static PdMdFrame *
begin_scalar(PdMetadataBuilder *b, const gchar *key)
{
	PdMdFrame *f = current_frame(b);

	g_string_truncate(b->json, 0);
	g_string_assign(b->sig, f->prefix);
	pd_pytext_str(b->sig, key);
	return f;
}

static guint
finish_scalar(PdMetadataBuilder *b, PdMdFrame *f, const gchar *key)
{
	return members_put(f->members, member_new(key, b->json, b->sig));
}

/* ---- builder ---- */

PdMetadataBuilder *
pd_metadata_builder_new(void)
{
	PdMetadataBuilder *b = g_new0(PdMetadataBuilder, 1);

	b->frames = g_ptr_array_new_with_free_func(frame_free);
	g_ptr_array_add(b->frames, frame_new(NULL, "resource_metadata:"));
	b->json = g_string_sized_new(1024);
	b->sig = g_string_sized_new(1024);
	b->ovl_borrowed = g_ptr_array_new();
	return b;
}

void
pd_metadata_builder_free(PdMetadataBuilder *b)
{
	if (b == NULL)
		return;
	g_ptr_array_unref(b->frames);
	g_string_free(b->json, TRUE);
	g_string_free(b->sig, TRUE);
	g_clear_pointer(&b->base, pd_metadata_unref);
	g_clear_pointer(&b->ovl_base, pd_metadata_unref);
	g_clear_pointer(&b->ovl_parent, pd_metadata_unref);
	if (b->ovl_keeper != NULL)
		b->ovl_release(b->ovl_keeper);
	g_ptr_array_unref(b->ovl_borrowed);
	g_free(b);
}

/* a string member in the frame being built; returns its index there */
static guint
add_string_member(PdMetadataBuilder *b, const gchar *key, const gchar *value)
{
	PdMdFrame *f = begin_scalar(b, key);

	pd_pytext_json_string(b->json, value);
	pd_pytext_str(b->sig, value);
	return finish_scalar(b, f, key);
}

void
pd_metadata_builder_add_string(PdMetadataBuilder *b, const gchar *key, const gchar *value)
{
	g_return_if_fail(b != NULL && key != NULL);
	add_string_member(b, key, value);
}

void
pd_metadata_builder_add_int(PdMetadataBuilder *b, const gchar *key, gint64 value)
{
	PdMdFrame *f;

	g_return_if_fail(b != NULL && key != NULL);
	f = begin_scalar(b, key);
	pd_pytext_json_int(b->json, value);
	pd_pytext_json_int(b->sig, value);
	finish_scalar(b, f, key);
}

void
pd_metadata_builder_add_double(PdMetadataBuilder *b, const gchar *key, gdouble value)
{
	PdMdFrame *f;

	g_return_if_fail(b != NULL && key != NULL);
	f = begin_scalar(b, key);
	pd_pytext_json_double(b->json, value);
	pd_pytext_str_double(b->sig, value);
	finish_scalar(b, f, key);
}

void
pd_metadata_builder_add_bool(PdMetadataBuilder *b, const gchar *key, gboolean value)
{
	PdMdFrame *f;

	g_return_if_fail(b != NULL && key != NULL);
	f = begin_scalar(b, key);
	g_string_append(b->json, value ? "true" : "false");
	g_string_append(b->sig, value ? "True" : "False");
	finish_scalar(b, f, key);
}

void
pd_metadata_builder_add_null(PdMetadataBuilder *b, const gchar *key)
{
	pd_metadata_builder_add_string(b, key, NULL);
}

void
pd_metadata_builder_add_string_list(PdMetadataBuilder *b,
				    const gchar *key,
				    const gchar *const *values)
{
	PdMdFrame *f;

	g_return_if_fail(b != NULL && key != NULL);
	f = begin_scalar(b, key);
	/* Ceilometer signs a list as str() of its items encoded to bytes */
	g_string_append_c(b->json, '[');
	g_string_append_c(b->sig, '[');
	for (guint i = 0; values != NULL && values[i] != NULL; i++) {
		if (i > 0) {
			pd_buf_append_lit(b->json, ", ");
			pd_buf_append_lit(b->sig, ", ");
		}
		pd_pytext_json_string(b->json, values[i]);
		pd_pytext_bytes_repr(b->sig, values[i]);
	}
	g_string_append_c(b->json, ']');
	g_string_append_c(b->sig, ']');
	finish_scalar(b, f, key);
}

/* json.dumps() of a decoded value: ", " and ": ", members in their order */
static void
append_node_json(GString *out, JsonNode *node)
{
	switch (JSON_NODE_TYPE(node)) {
		case JSON_NODE_NULL:
			pd_buf_append_lit(out, "null");
			return;
		case JSON_NODE_ARRAY: {
			JsonArray *array = json_node_get_array(node);
			g_string_append_c(out, '[');
			for (guint i = 0; i < json_array_get_length(array); i++) {
				if (i > 0)
					pd_buf_append_lit(out, ", ");
				append_node_json(out, json_array_get_element(array, i));
			}
			g_string_append_c(out, ']');
			return;
		}
		case JSON_NODE_OBJECT: {
			JsonObject *obj = json_node_get_object(node);
			g_autoptr(GList) keys = json_object_get_members(obj);
			g_string_append_c(out, '{');
			for (GList *l = keys; l != NULL; l = l->next) {
				if (l != keys)
					pd_buf_append_lit(out, ", ");
				pd_pytext_json_string(out, l->data);
				pd_buf_append_lit(out, ": ");
				append_node_json(out, json_object_get_member(obj, l->data));
			}
			g_string_append_c(out, '}');
			return;
		}
		case JSON_NODE_VALUE:
			break;
	}
	switch (json_node_get_value_type(node)) {
		case G_TYPE_INT64:
			pd_pytext_json_int(out, json_node_get_int(node));
			break;
		case G_TYPE_DOUBLE:
			pd_pytext_json_double(out, json_node_get_double(node));
			break;
		case G_TYPE_BOOLEAN:
			g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
			break;
		default:
			pd_pytext_json_string(out, json_node_get_string(node));
			break;
	}
}

void
pd_metadata_builder_add_json_node(PdMetadataBuilder *b, const gchar *key, JsonNode *node)
{
	PdMdFrame *f;

	g_return_if_fail(b != NULL && key != NULL);
	if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
		pd_metadata_builder_add_null(b, key);
	} else if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObject *obj = json_node_get_object(node);
		g_autoptr(GList) keys = json_object_get_members(obj);
		pd_metadata_builder_begin_object(b, key);
		for (GList *l = keys; l != NULL; l = l->next)
			pd_metadata_builder_add_json_node(
			  b, l->data, json_object_get_member(obj, l->data));
		pd_metadata_builder_end_object(b);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		f = begin_scalar(b, key);
		append_node_json(b->json, node);
		pd_pytext_str_json_list(b->sig, json_node_get_array(node));
		finish_scalar(b, f, key);
	} else {
		switch (json_node_get_value_type(node)) {
			case G_TYPE_INT64:
				pd_metadata_builder_add_int(b, key, json_node_get_int(node));
				break;
			case G_TYPE_DOUBLE:
				pd_metadata_builder_add_double(b, key, json_node_get_double(node));
				break;
			case G_TYPE_BOOLEAN:
				pd_metadata_builder_add_bool(b, key, json_node_get_boolean(node));
				break;
			default:
				pd_metadata_builder_add_string(b, key, json_node_get_string(node));
				break;
		}
	}
}

void
pd_metadata_builder_begin_object(PdMetadataBuilder *b, const gchar *key)
{
	g_autoptr(GString) prefix = NULL;

	g_return_if_fail(b != NULL && key != NULL);
	prefix = g_string_new(current_frame(b)->prefix);
	pd_pytext_str(prefix, key);
	g_string_append_c(prefix, ':');
	g_ptr_array_add(b->frames, frame_new(key, prefix->str));
}

void
pd_metadata_builder_end_object(PdMetadataBuilder *b)
{
	PdMdFrame *f;

	g_return_if_fail(b != NULL);
	g_return_if_fail(b->frames->len > 1);
	f = g_ptr_array_steal_index(b->frames, b->frames->len - 1);
	/* an empty object renders as {} and signs as nothing */
	render_members(f->members, b->json, b->sig, NULL, NULL);
	members_put(current_frame(b)->members, member_new(f->key, b->json, b->sig));
	frame_free(f);
}

static PdMdMember
member_copy(const PdMdMember *m)
{
	PdMdMember copy = *m;

	copy.block = g_memdup2(m->block, member_size(m));
	return copy;
}

void
pd_metadata_builder_add_all(PdMetadataBuilder *b, PdMetadata *base)
{
	PdMdFrame *f;

	g_return_if_fail(b != NULL);
	/* the copied signature texts carry the top-level prefix */
	g_return_if_fail(b->frames->len == 1);
	if (base == NULL)
		return;
	/* a flat metadata kept only its rendering */
	g_return_if_fail(base->kind == PD_MD_RENDERED && base->members != NULL);
	f = current_frame(b);
	/* end_flat() can point into the base if its copies come first */
	g_clear_pointer(&b->base, pd_metadata_unref);
	if (f->members->len == 0 && base->json != NULL)
		b->base = pd_metadata_ref(base);
	for (guint i = 0; i < base->members->len; i++)
		members_put(f->members, member_copy(&g_array_index(base->members, PdMdMember, i)));
}

static void
close_open_objects(PdMetadataBuilder *b)
{
	if (b->frames->len > 1) {
		g_critical("metadata builder ended with %u object(s) still open",
			   b->frames->len - 1);
		while (b->frames->len > 1)
			pd_metadata_builder_end_object(b);
	}
}

static void
metadata_set_single_pieces(PdMetadata *md)
{
	md->one[0].str = md->json;
	md->one[0].len = md->json_len;
	md->one[1].str = md->sig;
	md->one[1].len = md->sig_len;
	md->json_pieces = &md->one[0];
	md->sig_pieces = &md->one[1];
	md->n_json_pieces = 1;
	md->n_sig_pieces = 1;
}

PdMetadata *
pd_metadata_builder_end(PdMetadataBuilder *b)
{
	PdMetadata *md;
	PdMdFrame *top;

	g_return_val_if_fail(b != NULL, NULL);
	close_open_objects(b);
	g_clear_pointer(&b->base, pd_metadata_unref);
	top = current_frame(b);
	md = g_new0(PdMetadata, 1);
	md->ref_count = 1;
	md->json_end = g_new(guint32, top->members->len + 1);
	md->sig_start = g_new(guint32, top->members->len + 1);
	render_members(top->members, b->json, b->sig, md->json_end, md->sig_start);
	md->json_len = b->json->len;
	md->json = g_strndup(b->json->str, b->json->len);
	md->sig_len = b->sig->len;
	md->sig = g_strndup(b->sig->str, b->sig->len);
	md->members = g_steal_pointer(&top->members);
	top->members = members_new();
	metadata_set_single_pieces(md);
	return md;
}

/* --- derived: pieces of the base's texts, and its own members' --- */

typedef enum { SRC_BASE_JSON, SRC_BASE_SIG, SRC_OWN } PieceSource;

typedef struct {
	PieceSource src;
	gsize offset;
	gsize len;
} PieceRef;

static void
piece_add(GArray *refs, PieceSource src, gsize offset, gsize len)
{
	PieceRef *last = refs->len > 0 ? &g_array_index(refs, PieceRef, refs->len - 1) : NULL;
	PieceRef r = { src, offset, len };

	if (len == 0)
		return;
	/* what follows on in the same text extends the piece before it */
	if (last != NULL && last->src == src && last->offset + last->len == offset) {
		last->len += len;
		return;
	}
	g_array_append_val(refs, r);
}

static PdMdPiece *
pieces_resolve(GArray *refs, PdMetadata *md, guint *n_out)
{
	PdMdPiece *pieces = g_new(PdMdPiece, refs->len + 1);

	for (guint i = 0; i < refs->len; i++) {
		PieceRef *r = &g_array_index(refs, PieceRef, i);
		const gchar *text = r->src == SRC_BASE_JSON  ? md->base->json
				    : r->src == SRC_BASE_SIG ? md->base->sig
							     : md->own;
		pieces[i].str = text + r->offset;
		pieces[i].len = r->len;
	}
	*n_out = refs->len;
	return pieces;
}

static gboolean
member_equal(const PdMdMember *a, const PdMdMember *b)
{
	return a->key_len == b->key_len && a->item_len == b->item_len &&
	       a->json_len == b->json_len && a->sig_len == b->sig_len &&
	       memcmp(a->block, b->block, member_size(a)) == 0;
}

/* @members starts with @base's members (some replaced in place) and may add
 * more: the texts are the base's where it is unchanged, its own elsewhere */
static PdMetadata *
metadata_new_derived(PdMetadata *base, GArray *members)
{
	PdMetadata *md;
	GArray *base_members = base->members;
	guint nb = base_members->len;
	g_autoptr(GString) own = g_string_new(NULL);
	g_autoptr(GArray) json_refs = g_array_new(FALSE, FALSE, sizeof(PieceRef));
	g_autoptr(GArray) sig_refs = g_array_new(FALSE, FALSE, sizeof(PieceRef));
	g_autofree gboolean *same = g_new0(gboolean, members->len + 1);
	g_autofree PdMdMember **sorted = g_new(PdMdMember *, members->len + 1);

	for (guint i = 0; i < members->len; i++) {
		PdMdMember *m = &g_array_index(members, PdMdMember, i);
		if (i < nb) {
			PdMdMember *bm = &g_array_index(base_members, PdMdMember, i);
			if (strcmp(member_key(m), member_key(bm)) != 0)
				return NULL; /* not the base's order: render it whole */
			same[i] = member_equal(m, bm);
		}
		sorted[i] = m;
	}

	/* JSON: the base's "{" and members up to the first change, own text for
	 * changed and added members, the base's "}" */
	for (guint i = 0; i < members->len; i++) {
		PdMdMember *m = &g_array_index(members, PdMdMember, i);
		if (i < nb && same[i]) {
			gsize start = i == 0 ? 0 : base->json_end[i - 1];
			piece_add(json_refs, SRC_BASE_JSON, start, base->json_end[i] - start);
			continue;
		}
		{
			gsize start = own->len;
			g_string_append(own, i == 0 ? "{" : ", ");
			append_member_json(own, m);
			piece_add(json_refs, SRC_OWN, start, own->len - start);
		}
	}
	piece_add(json_refs, SRC_BASE_JSON, base->json_len - 1, 1);

	/* signature: every member's contribution in key order */
	qsort(sorted, members->len, sizeof(PdMdMember *), compare_members);
	for (guint k = 0; k < members->len; k++) {
		guint i = (guint)(sorted[k] - (PdMdMember *)(gpointer)members->data);
		if (i < nb && same[i]) {
			piece_add(sig_refs, SRC_BASE_SIG, base->sig_start[i], sorted[k]->sig_len);
		} else {
			gsize start = own->len;
			pd_buf_append(own, member_sig(sorted[k]), sorted[k]->sig_len);
			piece_add(sig_refs, SRC_OWN, start, own->len - start);
		}
	}

	md = g_new0(PdMetadata, 1);
	md->ref_count = 1;
	md->base = pd_metadata_ref(base);
	md->own = g_strndup(own->str, own->len);
	md->json_pieces = pieces_resolve(json_refs, md, &md->n_json_pieces);
	md->sig_pieces = pieces_resolve(sig_refs, md, &md->n_sig_pieces);
	for (guint i = 0; i < md->n_json_pieces; i++)
		md->json_len += md->json_pieces[i].len;
	for (guint i = 0; i < md->n_sig_pieces; i++)
		md->sig_len += md->sig_pieces[i].len;
	return md;
}

PdMetadata *
pd_metadata_builder_end_flat(PdMetadataBuilder *b)
{
	g_autoptr(PdMetadata) base = NULL;
	PdMdFrame *top;
	PdMetadata *md;

	g_return_val_if_fail(b != NULL, NULL);
	close_open_objects(b);
	base = g_steal_pointer(&b->base);
	top = current_frame(b);
	if (base != NULL && top->members->len > 0) {
		md = metadata_new_derived(base, top->members);
		if (md != NULL) {
			g_array_set_size(top->members, 0);
			return md;
		}
	}
	md = pd_metadata_builder_end(b);
	/* the members repeat the rendering; drop them when nothing builds on it */
	g_clear_pointer(&md->members, g_array_unref);
	g_clear_pointer(&md->json_end, g_free);
	g_clear_pointer(&md->sig_start, g_free);
	return md;
}

/* ---- overlays ---- */

typedef struct {
	const PdMdMember *m;
	const gchar *key; /* m's: a parent's borrowed member has it in its shape */
	gint base_idx;	  /* the base member it replaces, or -1 */
	PdMdSlot slot;
} PdMdEff;

static GMutex pd_md_shapes_lock;
static GHashTable *pd_md_shapes; /* name -> PdMdShape */

static void
shape_unref(PdMdShape *shape)
{
	g_mutex_lock(&pd_md_shapes_lock);
	if (--shape->ref_count > 0) {
		g_mutex_unlock(&pd_md_shapes_lock);
		return;
	}
	g_hash_table_remove(pd_md_shapes, shape->name);
	g_mutex_unlock(&pd_md_shapes_lock);
	pd_metadata_unref(shape->base);
	g_free(shape->name);
	g_free(shape->esc);
	g_free(shape->keys);
	g_free(shape);
}

void
pd_metadata_builder_begin_overlay(PdMetadataBuilder *b, PdMetadata *base, PdMetadata *parent)
{
	g_return_if_fail(b != NULL && base != NULL);
	g_return_if_fail(b->frames->len == 1 && current_frame(b)->members->len == 0);
	/* the base's members tell where the overlay's go */
	g_return_if_fail(base->kind == PD_MD_RENDERED && base->members != NULL &&
			 base->json_end != NULL);
	g_return_if_fail(parent == NULL ||
			 (parent->kind == PD_MD_OVERLAY &&
			  ((PdMdOverlay *)(gpointer)parent)->shape->base == base));
	g_clear_pointer(&b->ovl_base, pd_metadata_unref);
	g_clear_pointer(&b->ovl_parent, pd_metadata_unref);
	if (b->ovl_keeper != NULL)
		b->ovl_release(g_steal_pointer(&b->ovl_keeper));
	b->ovl_release = NULL;
	b->ovl_flags = 0;
	g_ptr_array_set_size(b->ovl_borrowed, 0);
	b->ovl_base = pd_metadata_ref(base);
	b->ovl_parent = parent != NULL ? pd_metadata_ref(parent) : NULL;
}

void
pd_metadata_builder_begin_overlay_kept(PdMetadataBuilder *b,
				       PdMetadata *base,
				       PdMetadata *parent,
				       gpointer keeper,
				       GDestroyNotify release,
				       PdMdOverlayFlags flags)
{
	pd_metadata_builder_begin_overlay(b, base, parent);
	if (b == NULL || b->ovl_base != base) {
		if (keeper != NULL)
			release(keeper);
		return;
	}
	/* a keeper without a release has nothing to be kept for: the overlay
	 * holds a keeper (a pointer more in its block) exactly when its shape
	 * releases one, which is also what its size is freed by */
	if (release == NULL)
		keeper = NULL;
	b->ovl_keeper = keeper;
	b->ovl_release = keeper != NULL ? release : NULL;
	b->ovl_flags = flags;
}

void
pd_metadata_builder_add_string_borrowed(PdMetadataBuilder *b, const gchar *key, const gchar *value)
{
	gboolean lent;
	guint i;

	g_return_if_fail(b != NULL && key != NULL);
	lent =
	  b->ovl_base != NULL && b->frames->len == 1 && value != NULL && string_is_plain(value);
	/* the texts, as for any member: the plans read them */
	i = add_string_member(b, key, value);
	if (b->frames->len > 1)
		return;
	if (b->ovl_borrowed->len <= i)
		g_ptr_array_set_size(b->ovl_borrowed, i + 1);
	b->ovl_borrowed->pdata[i] = lent ? (gpointer)value : NULL;
}

static gint
base_index(PdMetadata *base, const gchar *key)
{
	for (guint i = 0; i < base->members->len; i++) {
		if (strcmp(member_key(&g_array_index(base->members, PdMdMember, i)), key) == 0)
			return (gint)i;
	}
	return -1;
}

static void
op_add(GArray *ops, guint32 off, guint32 len)
{
	PdMdOp *last = ops->len > 0 ? &g_array_index(ops, PdMdOp, ops->len - 1) : NULL;
	PdMdOp op = { off, len };

	if (off != PD_MD_OWN) {
		if (len == 0)
			return;
		/* what follows on in the base's text extends the run before it */
		if (last != NULL && last->off != PD_MD_OWN && last->off + last->len == off) {
			last->len += len;
			return;
		}
	}
	g_array_append_val(ops, op);
}

/* the base's members in their order, each replaced by the overlay's of the
 * same key; then the overlay's added members */
static void
overlay_json_plan(PdMetadata *base, const PdMdEff *eff, guint n_eff, GArray *ops)
{
	for (guint i = 0; i < base->members->len; i++) {
		guint32 start = i == 0 ? 0 : base->json_end[i - 1];
		guint j;
		for (j = 0; j < n_eff && eff[j].base_idx != (gint)i; j++)
			;
		if (j < n_eff)
			op_add(ops, PD_MD_OWN, j);
		else
			op_add(ops, start, base->json_end[i] - start);
	}
	for (guint j = 0; j < n_eff; j++) {
		if (eff[j].base_idx < 0)
			op_add(ops, PD_MD_OWN, j);
	}
}

static gint
compare_sig_start(gconstpointer a, gconstpointer b, gpointer data)
{
	const guint32 *sig_start = data;
	guint32 sa = sig_start[*(const guint *)a];
	guint32 sb = sig_start[*(const guint *)b];

	return sa < sb ? -1 : sa > sb;
}

static gint
compare_eff_keys(gconstpointer a, gconstpointer b, gpointer data)
{
	const PdMdEff *eff = data;

	return strcmp(eff[*(const guint *)a].key, eff[*(const guint *)b].key);
}

/* the base's contributions (in key order already) merged with the
 * overlay's, those the overlay replaces left out */
static void
overlay_sig_plan(PdMetadata *base, const PdMdEff *eff, guint n_eff, GArray *ops)
{
	guint nb = base->members->len;
	g_autofree guint *bo = g_new(guint, nb + 1);
	g_autofree guint *eo = g_new(guint, n_eff + 1);
	g_autofree gboolean *replaced = g_new0(gboolean, nb + 1);
	guint k = 0, e = 0;

	for (guint i = 0; i < nb; i++)
		bo[i] = i;
	g_qsort_with_data(bo, (gint)nb, sizeof(guint), compare_sig_start, base->sig_start);
	for (guint j = 0; j < n_eff; j++) {
		eo[j] = j;
		if (eff[j].base_idx >= 0)
			replaced[eff[j].base_idx] = TRUE;
	}
	g_qsort_with_data(eo, (gint)n_eff, sizeof(guint), compare_eff_keys, (gpointer)eff);
	while (k < nb || e < n_eff) {
		const PdMdMember *bm =
		  k < nb ? &g_array_index(base->members, PdMdMember, bo[k]) : NULL;
		if (e < n_eff && (bm == NULL || strcmp(eff[eo[e]].key, member_key(bm)) < 0)) {
			/* a compact one always starts with its key */
			if (eff[eo[e]].m->sig_len > 0 || eff[eo[e]].m->item_len == 0)
				op_add(ops, PD_MD_OWN, eo[e]);
			e++;
			continue;
		}
		if (!replaced[bo[k]])
			op_add(ops, base->sig_start[bo[k]], bm->sig_len);
		k++;
	}
}

/* the parent's members, then the builder's: a repeated key replaces the
 * member where it stood */
static guint
overlay_effective(PdMetadata *base, PdMdOverlay *parent, GArray *own, PdMdEff *eff)
{
	guint n = 0;

	for (guint j = 0; parent != NULL && j < parent->shape->n_eff; j++) {
		eff[n].m = overlay_eff(parent, j);
		eff[n].key = parent->shape->keys[j];
		eff[n].base_idx = base_index(base, eff[n].key);
		eff[n].slot = parent->shape->slots[j];
		eff[n].slot.depth++;
		n++;
	}
	for (guint i = 0; i < own->len; i++) {
		const PdMdMember *m = &g_array_index(own, PdMdMember, i);
		guint j;
		for (j = 0; j < n && strcmp(eff[j].key, member_key(m)) != 0; j++)
			;
		if (j == n)
			eff[n++].base_idx = base_index(base, member_key(m));
		eff[j].m = m;
		eff[j].key = member_key(m);
		eff[j].slot.depth = 0;
		eff[j].slot.idx = (guint16)i;
	}
	return n;
}

/* ---- packing an overlay ---- */

/* what each own member's texts will be: borrowed when the builder lent a
 * value and the texts are still that value's, interned when asked */
static void
overlay_kinds(PdMetadataBuilder *b, GArray *own, guint8 *kinds, const gchar **values)
{
	for (guint i = 0; i < own->len; i++) {
		const PdMdMember *m = &g_array_index(own, PdMdMember, i);
		const gchar *v = i < b->ovl_borrowed->len ? b->ovl_borrowed->pdata[i] : NULL;
		gboolean compact;
		pd_metadata_member_compact_size(m, &compact);
		values[i] = NULL;
		if (v != NULL && compact && m->json_len == strlen(v) + 2 &&
		    memcmp(member_json(m) + 1, v, m->json_len - 2) == 0) {
			kinds[i] = PD_MD_OWN_BORROWED;
			values[i] = v;
		} else {
			kinds[i] =
			  (b->ovl_flags & PD_MD_OVERLAY_SHARE) ? PD_MD_OWN_SHARED : PD_MD_OWN_COPY;
		}
	}
}

/* the value itself: its key is the shape's */
static void
borrowed_put(const PdMdMember *m, const gchar *value, PdMdMember *copy)
{
	copy->block = (gchar *)value;
	copy->key_len = m->key_len;
	copy->item_len = 0;
	copy->json_len = (guint32)strlen(value);
	copy->sig_len = PD_MD_BORROWED;
}

/* one allocation: the members of @own, the keeper if @kept, and the texts
 * they keep there */
static PdMdOverlay *
overlay_pack(GArray *own, const guint8 *kinds, const gchar *const *values, gboolean kept)
{
	const PdMdMember *from = (const PdMdMember *)(gconstpointer)own->data;
	gsize size =
	  sizeof(PdMdOverlay) + own->len * sizeof(PdMdMember) + (kept ? sizeof(gpointer) : 0);
	gsize texts = size;
	PdMdOverlay *o;
	gchar *w;

	for (guint i = 0; i < own->len; i++) {
		gboolean compact;
		if (kinds[i] == PD_MD_OWN_COPY)
			size += pd_metadata_member_compact_size(&from[i], &compact);
	}
	/* kept as long as its resource: apart from a cycle's allocations */
	o = pd_slab_alloc(size);
	o->ref_count = 1;
	o->kind = PD_MD_OVERLAY;
	w = (gchar *)o + texts;
	for (guint i = 0; i < own->len; i++) {
		if (kinds[i] == PD_MD_OWN_BORROWED)
			borrowed_put(&from[i], values[i], &o->own[i]);
		else if (kinds[i] == PD_MD_OWN_COPY)
			w = pd_metadata_member_compact_copy(&from[i], &o->own[i], w);
		else if (kinds[i] == PD_MD_OWN_SHARED)
			o->own[i] = pd_metadata_member_share(&from[i]);
	}
	return o;
}

/* what tells shapes apart: the base, the parent's shape, the keeper's
 * release, and the keys of the overlay's own members with whether each
 * signs anything (an empty object does not: the recipe leaves it out) and
 * where it keeps its texts */
static void
shape_name(GString *name,
	   PdMetadata *base,
	   PdMdOverlay *parent,
	   GArray *own,
	   const guint8 *kinds,
	   gpointer rel)
{
	guintptr ptrs[3] = { (guintptr)base,
			     (guintptr)(parent != NULL ? parent->shape : NULL),
			     (guintptr)rel };

	/* the three pointers in hex, without printf (a third of the name's cost) */
	g_string_truncate(name, 0);
	for (guint i = 0; i < G_N_ELEMENTS(ptrs); i++) {
		gchar hex[2 * sizeof(guintptr) + 1];
		for (guint d = 0; d < 2 * sizeof(guintptr); d++)
			hex[d] =
			  "0123456789abcdef"[(ptrs[i] >> (4 * (2 * sizeof(guintptr) - 1 - d))) &
					     15];
		hex[2 * sizeof(guintptr)] = ' ';
		g_string_append_len(
		  name, hex, i + 1 < G_N_ELEMENTS(ptrs) ? sizeof(hex) : sizeof(hex) - 1);
	}
	/* " <key length>:<key><+|-><c|s|b>" a member, appended without printf:
	 * one name a domain's overlay, thousands at a first discovery */
	for (guint i = 0; i < own->len; i++) {
		const PdMdMember *m = &g_array_index(own, PdMdMember, i);
		gchar digits[16];
		guint n = 0;
		guint32 len = m->key_len;
		do {
			digits[n++] = (gchar)('0' + len % 10);
			len /= 10;
		} while (len > 0);
		g_string_append_c(name, ' ');
		while (n > 0)
			g_string_append_c(name, digits[--n]);
		g_string_append_c(name, ':');
		g_string_append_len(name, member_key(m), m->key_len);
		g_string_append_c(name, m->sig_len > 0 ? '+' : '-');
		g_string_append_c(name, "csb"[kinds[i]]);
	}
}

typedef struct {
	PdMetadata *base;
	guint n_own;
	const guint8 *kinds;
	GDestroyNotify keeper_release;
	const PdMdEff *eff;
	guint n_eff;
	GArray *json_ops;
	GArray *sig_ops;
} PdMdPlan;

static PdMdShape *
shape_new(gchar *name, const PdMdPlan *pl)
{
	gsize ops = (pl->json_ops->len + pl->sig_ops->len) * sizeof(PdMdOp);
	PdMdShape *shape =
	  g_malloc(sizeof(PdMdShape) + pl->n_eff * sizeof(PdMdSlot) + ops + pl->n_own);

	shape->ref_count = 1;
	shape->n_eff = (guint16)pl->n_eff;
	shape->n_own = (guint16)pl->n_own;
	shape->n_json_ops = (guint16)pl->json_ops->len;
	shape->n_sig_ops = (guint16)pl->sig_ops->len;
	shape->base = pd_metadata_ref(pl->base);
	shape->name = name;
	shape->keeper_release = pl->keeper_release;
	shape->keys = g_new(const gchar *, pl->n_eff + 1);
	for (guint j = 0; j < pl->n_eff; j++) {
		shape->slots[j] = pl->eff[j].slot;
		shape->keys[j] = g_intern_string(pl->eff[j].key);
	}
	/* an empty GArray has no data to copy from */
	if (pl->json_ops->len > 0)
		memcpy((gpointer)shape_json_ops(shape),
		       pl->json_ops->data,
		       pl->json_ops->len * sizeof(PdMdOp));
	if (pl->sig_ops->len > 0)
		memcpy((gpointer)shape_sig_ops(shape),
		       pl->sig_ops->data,
		       pl->sig_ops->len * sizeof(PdMdOp));
	if (pl->n_own > 0)
		memcpy((gpointer)shape_kinds(shape), pl->kinds, pl->n_own);
	pd_metadata_escaped_shape_init(shape, pl->base->json);
	return shape;
}

/* the interned shape of @name with a reference more, or NULL */
static PdMdShape *
shape_find(const gchar *name)
{
	PdMdShape *shape = NULL;

	g_mutex_lock(&pd_md_shapes_lock);
	if (pd_md_shapes != NULL)
		shape = g_hash_table_lookup(pd_md_shapes, name);
	if (shape != NULL)
		shape->ref_count++;
	g_mutex_unlock(&pd_md_shapes_lock);
	return shape;
}

/* the interned shape of @name, or a new one made of the plans */
static PdMdShape *
shape_get(gchar *name, const PdMdPlan *pl)
{
	PdMdShape *shape;

	g_mutex_lock(&pd_md_shapes_lock);
	if (pd_md_shapes == NULL)
		pd_md_shapes = g_hash_table_new(g_str_hash, g_str_equal);
	shape = g_hash_table_lookup(pd_md_shapes, name);
	if (shape != NULL) {
		shape->ref_count++;
		g_mutex_unlock(&pd_md_shapes_lock);
		g_free(name);
		return shape;
	}
	shape = shape_new(name, pl);
	g_hash_table_insert(pd_md_shapes, name, shape);
	g_mutex_unlock(&pd_md_shapes_lock);
	return shape;
}

PdMetadata *
pd_metadata_builder_end_overlay(PdMetadataBuilder *b)
{
	g_autoptr(PdMetadata) base = NULL;
	g_autoptr(PdMetadata) parent = NULL;
	g_autoptr(GArray) json_ops = NULL;
	g_autoptr(GArray) sig_ops = NULL;
	g_autofree PdMdEff *eff = NULL;
	g_autofree guint8 *kinds = NULL;
	g_autofree const gchar **values = NULL;
	PdMdPlan pl = { 0 };
	PdMdShape *shape;
	PdMdOverlay *o;
	PdMdOverlay *po;
	GArray *own;
	guint n_parent;

	g_return_val_if_fail(b != NULL, NULL);
	close_open_objects(b);
	base = g_steal_pointer(&b->ovl_base);
	parent = g_steal_pointer(&b->ovl_parent);
	if (base == NULL) {
		g_critical("metadata builder: end_overlay() without begin_overlay()");
		return pd_metadata_builder_end(b);
	}
	po = (PdMdOverlay *)(gpointer)parent;
	/* the frame's members, emptied below for the next overlay */
	own = current_frame(b)->members;
	kinds = g_new(guint8, own->len + 1);
	values = g_new(const gchar *, own->len + 1);
	overlay_kinds(b, own, kinds, values);
	/* in a scratch text: every member is rendered by now */
	shape_name(b->sig, base, po, own, kinds, (gpointer)b->ovl_release);
	/* the name decides the plans: they are made once, for a new shape */
	shape = shape_find(b->sig->str);
	if (shape == NULL) {
		json_ops = g_array_new(FALSE, FALSE, sizeof(PdMdOp));
		sig_ops = g_array_new(FALSE, FALSE, sizeof(PdMdOp));
		n_parent = po != NULL ? po->shape->n_eff : 0;
		eff = g_new(PdMdEff, n_parent + own->len + 1);
		pl.n_eff = overlay_effective(base, po, own, eff);
		overlay_json_plan(base, eff, pl.n_eff, json_ops);
		overlay_sig_plan(base, eff, pl.n_eff, sig_ops);
		g_assert(pl.n_eff <= G_MAXUINT16 && own->len <= G_MAXUINT16 &&
			 json_ops->len <= G_MAXUINT16 && sig_ops->len <= G_MAXUINT16);
		pl = (PdMdPlan){ base, own->len, kinds,	   b->ovl_release,
				 eff,  pl.n_eff, json_ops, sig_ops };
		shape = shape_get(g_strdup(b->sig->str), &pl);
	}

	o = overlay_pack(own, kinds, values, b->ovl_keeper != NULL);
	o->shape = shape;
	o->parent = g_steal_pointer(&parent);
	if (b->ovl_keeper != NULL)
		*overlay_keeper(o) = g_steal_pointer(&b->ovl_keeper);
	b->ovl_release = NULL;
	b->ovl_flags = 0;
	g_ptr_array_set_size(b->ovl_borrowed, 0);
	g_array_set_size(own, 0);
	return (PdMetadata *)(gpointer)o;
}

/* what overlay_pack() allocated */
static gsize
overlay_size(PdMdOverlay *o)
{
	const guint8 *kinds = shape_kinds(o->shape);
	gsize size = sizeof(PdMdOverlay) + o->shape->n_own * sizeof(PdMdMember) +
		     (o->shape->keeper_release != NULL ? sizeof(gpointer) : 0);

	for (guint i = 0; i < o->shape->n_own; i++) {
		if (kinds[i] == PD_MD_OWN_COPY)
			size += member_size(&o->own[i]);
	}
	return size;
}

static void
overlay_free(PdMdOverlay *o)
{
	gsize size = overlay_size(o);

	const guint8 *kinds = shape_kinds(o->shape);

	for (guint i = 0; i < o->shape->n_own; i++) {
		if (kinds[i] == PD_MD_OWN_SHARED)
			pd_metadata_member_unshare(&o->own[i]);
	}
	if (o->shape->keeper_release != NULL)
		o->shape->keeper_release(*overlay_keeper(o));
	shape_unref(o->shape);
	if (o->parent != NULL)
		pd_metadata_unref(o->parent);
	pd_slab_free(o, size);
}

/* a compact member: its key, written as is, and its value (a borrowed one
 * between quotes), in one copy into the buffer */
static inline void
append_compact(GString *out, const PdMdMember *m, const gchar *key, gboolean open)
{
	gboolean borrowed = m->sig_len == PD_MD_BORROWED;
	gchar *w = pd_buf_reserve(out, (gsize)m->key_len + m->json_len + 8);

	if (open) {
		memcpy(w, ", \"", 3);
		w += 3;
	} else {
		memcpy(w, "{\"", 2);
		w += 2;
	}
	memcpy(w, key, m->key_len);
	w += m->key_len;
	memcpy(w, "\": ", 3);
	w += 3;
	if (borrowed)
		*w++ = '"';
	memcpy(w, borrowed ? member_borrowed(m) : member_json(m), m->json_len);
	w += m->json_len;
	if (borrowed)
		*w++ = '"';
	pd_buf_commit(out, w);
}

static void
overlay_append_json(const PdMdOverlay *o, GString *out)
{
	const PdMdOp *ops = shape_json_ops(o->shape);
	guint n_ops = o->shape->n_json_ops;
	const gchar *json = o->shape->base->json;
	gboolean open = FALSE;

	for (guint i = 0; i < n_ops; i++) {
		if (ops[i].off != PD_MD_OWN) {
			/* a run from the base's first member starts with its "{" */
			pd_buf_append(out, json + ops[i].off, ops[i].len);
		} else {
			const PdMdMember *m = overlay_eff(o, ops[i].len);
			if (m->item_len == 0) {
				append_compact(out, m, o->shape->keys[ops[i].len], open);
			} else if (open) {
				pd_buf_append(out, member_item(m), m->item_len + m->json_len);
			} else {
				g_string_append_c(out, '{');
				append_member_json(out, m);
			}
		}
		open = TRUE;
	}
	if (!open)
		g_string_append_c(out, '{');
	g_string_append_c(out, '}');
}

/* inlined where @func is known: the serializer's copy is a few bytes a run */
G_ALWAYS_INLINE static inline void
overlay_foreach_signature_text(const PdMdOverlay *o, PdMdTextFunc func, gpointer user_data)
{
	const PdMdOp *ops = shape_sig_ops(o->shape);
	guint n_ops = o->shape->n_sig_ops;
	const gchar *sig = o->shape->base->sig;

	for (guint i = 0; i < n_ops; i++) {
		if (ops[i].off != PD_MD_OWN) {
			func(sig + ops[i].off, ops[i].len, user_data);
		} else {
			const PdMdMember *m = overlay_eff(o, ops[i].len);
			if (m->item_len == 0) {
				func(PD_MD_SIG_PREFIX, sizeof(PD_MD_SIG_PREFIX) - 1, user_data);
				func(o->shape->keys[ops[i].len], m->key_len, user_data);
			}
			if (m->sig_len == PD_MD_BORROWED)
				func(member_borrowed(m), m->json_len, user_data);
			else
				func(member_sig(m), m->sig_len, user_data);
		}
	}
}

static gchar *
overlay_dup_value_json(const PdMdOverlay *o, const gchar *key)
{
	for (guint j = 0; j < o->shape->n_eff; j++) {
		const PdMdMember *m = overlay_eff(o, j);
		if (strcmp(o->shape->keys[j], key) != 0)
			continue;
		if (m->sig_len == PD_MD_BORROWED)
			return g_strdup_printf("\"%s\"", member_borrowed(m));
		return g_strndup(member_json(m), m->json_len);
	}
	return pd_metadata_dup_value_json(o->shape->base, key);
}

/* ---- metadata ---- */

void
pd_metadata_seal(PdMetadata *md)
{
	g_return_if_fail(md != NULL);
	if (md->kind == PD_MD_OVERLAY)
		return;
	/* derived metadata resolved their pieces when they were built: only
	 * the texts stay in use */
	g_clear_pointer(&md->members, g_array_unref);
	g_clear_pointer(&md->json_end, g_free);
	g_clear_pointer(&md->sig_start, g_free);
}

PdMetadata *
pd_metadata_ref(PdMetadata *md)
{
	g_return_val_if_fail(md != NULL, NULL);
	g_atomic_int_inc(&md->ref_count);
	return md;
}

void
pd_metadata_unref(PdMetadata *md)
{
	g_return_if_fail(md != NULL);
	if (!g_atomic_int_dec_and_test(&md->ref_count))
		return;
	if (md->kind == PD_MD_OVERLAY) {
		overlay_free((PdMdOverlay *)(gpointer)md);
		return;
	}
	if (md->members != NULL)
		g_array_unref(md->members);
	g_free(md->json);
	g_free(md->sig);
	g_free(md->json_end);
	g_free(md->sig_start);
	if (md->base != NULL) {
		g_free(md->json_pieces);
		g_free(md->sig_pieces);
		g_free(md->own);
		pd_metadata_unref(md->base);
	}
	g_free(md);
}

static const PdMdPiece pd_md_empty_json = { "{}", 2 };

guint
pd_metadata_get_json_pieces(PdMetadata *md, const PdMdPiece **pieces)
{
	if (md == NULL) {
		*pieces = &pd_md_empty_json;
		return 1;
	}
	g_return_val_if_fail(md->kind == PD_MD_RENDERED, 0);
	*pieces = md->json_pieces;
	return md->n_json_pieces;
}

guint
pd_metadata_get_signature_pieces(PdMetadata *md, const PdMdPiece **pieces)
{
	if (md == NULL) {
		*pieces = NULL;
		return 0;
	}
	g_return_val_if_fail(md->kind == PD_MD_RENDERED, 0);
	*pieces = md->sig_pieces;
	return md->n_sig_pieces;
}

void
pd_metadata_append_json(PdMetadata *md, GString *out)
{
	const PdMdPiece *pieces;
	guint n;

	if (md != NULL && md->kind == PD_MD_OVERLAY) {
		overlay_append_json((PdMdOverlay *)(gpointer)md, out);
		return;
	}
	n = pd_metadata_get_json_pieces(md, &pieces);
	for (guint i = 0; i < n; i++)
		pd_buf_append(out, pieces[i].str, pieces[i].len);
}

G_ALWAYS_INLINE static inline void
pd_metadata_foreach_signature_text_inline(PdMetadata *md, PdMdTextFunc func, gpointer user_data)
{
	const PdMdPiece *pieces;
	guint n;

	if (md != NULL && md->kind == PD_MD_OVERLAY) {
		overlay_foreach_signature_text((PdMdOverlay *)(gpointer)md, func, user_data);
		return;
	}
	n = pd_metadata_get_signature_pieces(md, &pieces);
	for (guint i = 0; i < n; i++)
		func(pieces[i].str, pieces[i].len, user_data);
}

void
pd_metadata_foreach_signature_text(PdMetadata *md, PdMdTextFunc func, gpointer user_data)
{
	pd_metadata_foreach_signature_text_inline(md, func, user_data);
}

static void
signature_append(const gchar *text, gsize len, gpointer out)
{
	pd_buf_append(out, text, len);
}

void
pd_metadata_append_signature_text(PdMetadata *md, GString *out)
{
	pd_metadata_foreach_signature_text_inline(md, signature_append, out);
}

gchar *
pd_metadata_dup_json(PdMetadata *md, gsize *len)
{
	GString *s = g_string_new(NULL);

	pd_metadata_append_json(md, s);
	if (len != NULL)
		*len = s->len;
	return g_string_free(s, FALSE);
}

gchar *
pd_metadata_dup_signature_text(PdMetadata *md, gsize *len)
{
	GString *s = g_string_new(NULL);

	pd_metadata_append_signature_text(md, s);
	if (len != NULL)
		*len = s->len;
	return g_string_free(s, FALSE);
}

gchar *
pd_metadata_dup_value_json(PdMetadata *md, const gchar *key)
{
	g_return_val_if_fail(key != NULL, NULL);
	if (md != NULL && md->kind == PD_MD_OVERLAY)
		return overlay_dup_value_json((PdMdOverlay *)(gpointer)md, key);
	if (md == NULL || md->members == NULL)
		return NULL;
	for (guint i = 0; i < md->members->len; i++) {
		const PdMdMember *m = &g_array_index(md->members, PdMdMember, i);
		if (strcmp(member_key(m), key) == 0)
			return g_strndup(member_json(m), m->json_len);
	}
	return NULL;
}
