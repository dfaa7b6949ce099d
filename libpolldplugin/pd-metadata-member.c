/*
 * polld - resource metadata: a member's texts, compact copies of them for
 * overlays, and member texts interned for the overlays that repeat them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdMetadata"

#include <string.h>

#include "pd-metadata-member-private.h"

/* an overlay's copy of a member may drop what its key repeats: the ", "key": "
 * before its JSON (a key JSON writes as is) and the "resource_metadata:key"
 * its signature text starts with; item_len 0 says so, and sig_len is then
 * the rest's. About a third of a domain's metadata. */
gsize
pd_metadata_member_compact_size(const PdMdMember *m, gboolean *compact)
{
	gsize head = sizeof(PD_MD_SIG_PREFIX) - 1 + m->key_len;

	*compact =
	  m->item_len == m->key_len + 6 && m->sig_len >= head &&
	  memcmp(member_sig(m), PD_MD_SIG_PREFIX, sizeof(PD_MD_SIG_PREFIX) - 1) == 0 &&
	  memcmp(member_sig(m) + sizeof(PD_MD_SIG_PREFIX) - 1, member_key(m), m->key_len) == 0;
	return *compact ? member_size(m) - m->item_len - head : member_size(m);
}

gchar *
pd_metadata_member_compact_copy(const PdMdMember *m, PdMdMember *copy, gchar *w)
{
	gboolean compact;
	gsize head = sizeof(PD_MD_SIG_PREFIX) - 1 + m->key_len;
	gsize size = pd_metadata_member_compact_size(m, &compact);

	*copy = *m;
	copy->block = w;
	if (!compact) {
		memcpy(w, m->block, size);
		return w + size;
	}
	copy->item_len = 0;
	copy->sig_len = m->sig_len - (guint32)head;
	memcpy(w, member_key(m), m->key_len + 1);
	w += m->key_len + 1;
	memcpy(w, member_json(m), m->json_len + 1);
	w += m->json_len + 1;
	memcpy(w, member_sig(m) + head, copy->sig_len + 1);
	return w + copy->sig_len + 1;
}

/* ---- interned member texts ---- */

typedef struct {
	gint ref_count; /* under pd_md_shared_lock */
	guint32 size;
	gchar text[]; /* a member's compact texts */
} PdMdShared;

static GMutex pd_md_shared_lock;
static GHashTable *pd_md_shared; /* PdMdShared -> itself */

static guint
shared_hash(gconstpointer key)
{
	const PdMdShared *sh = key;
	guint h = 5381;

	for (guint32 i = 0; i < sh->size; i++)
		h = h * 33 + (guchar)sh->text[i];
	return h;
}

static gboolean
shared_equal(gconstpointer a, gconstpointer b)
{
	const PdMdShared *x = a, *y = b;

	return x->size == y->size && memcmp(x->text, y->text, x->size) == 0;
}

/* @m's texts, one copy for all who ask for the same */
PdMdMember
pd_metadata_member_share(const PdMdMember *m)
{
	gboolean compact;
	gsize size = pd_metadata_member_compact_size(m, &compact);
	PdMdShared *sh = g_malloc(sizeof(PdMdShared) + size);
	PdMdShared *found;
	PdMdMember copy;

	sh->ref_count = 1;
	sh->size = (guint32)size;
	pd_metadata_member_compact_copy(m, &copy, sh->text);
	g_mutex_lock(&pd_md_shared_lock);
	if (pd_md_shared == NULL)
		pd_md_shared = g_hash_table_new(shared_hash, shared_equal);
	found = g_hash_table_lookup(pd_md_shared, sh);
	if (found != NULL) {
		found->ref_count++;
		copy.block = found->text;
	} else {
		g_hash_table_add(pd_md_shared, sh);
	}
	g_mutex_unlock(&pd_md_shared_lock);
	if (found != NULL)
		g_free(sh);
	return copy;
}

void
pd_metadata_member_unshare(const PdMdMember *m)
{
	PdMdShared *sh = (PdMdShared *)(gpointer)(m->block - G_STRUCT_OFFSET(PdMdShared, text));

	g_mutex_lock(&pd_md_shared_lock);
	if (--sh->ref_count > 0) {
		g_mutex_unlock(&pd_md_shared_lock);
		return;
	}
	g_hash_table_remove(pd_md_shared, sh);
	g_mutex_unlock(&pd_md_shared_lock);
	g_free(sh);
}
