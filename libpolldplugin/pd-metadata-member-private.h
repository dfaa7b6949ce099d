/*
 * polld - resource metadata: a member's texts (pd-metadata*.c only)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* key, JSON and signature text in one allocation, each NUL-terminated; the
 * JSON value follows the member's rendering as an object item, ", "key": ",
 * so writing the member is one copy */
typedef struct {
	gchar *block;
	guint32 key_len;
	guint32 item_len; /* ", "key": " */
	guint32 json_len;
	guint32 sig_len;
} PdMdMember;

#define PD_MD_SIG_PREFIX "resource_metadata:"

static inline const gchar *
member_key(const PdMdMember *m)
{
	return m->block;
}

/* ", "key": value" */
static inline const gchar *
member_item(const PdMdMember *m)
{
	return m->block + m->key_len + 1;
}

static inline const gchar *
member_json(const PdMdMember *m)
{
	return member_item(m) + m->item_len;
}

static inline const gchar *
member_sig(const PdMdMember *m)
{
	return member_json(m) + m->json_len + 1;
}

static inline gsize
member_size(const PdMdMember *m)
{
	return (gsize)m->key_len + m->item_len + m->json_len + m->sig_len + 3;
}

/* the size of @m's copy in an overlay, and whether it is compact */
gsize
pd_metadata_member_compact_size(const PdMdMember *m, gboolean *compact);
/* copies @m's texts to @w as an overlay keeps them; returns the end */
gchar *
pd_metadata_member_compact_copy(const PdMdMember *m, PdMdMember *copy, gchar *w);
/* @m's compact texts, one copy for all the members that have the same */
PdMdMember
pd_metadata_member_share(const PdMdMember *m);
void
pd_metadata_member_unshare(const PdMdMember *m);

G_END_DECLS
