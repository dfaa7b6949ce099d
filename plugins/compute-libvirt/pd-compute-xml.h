/*
 * polld - the domain XML as the instance parse reads it: a scanner for
 * libvirt's regular output (no tree of libxml2's), or libxml2's DOM for
 * anything the scanner does not take
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PdComputeXml PdComputeXml;

/* NULL: @xml has something the scanner leaves to libxml2 (a declaration, a
 * DOCTYPE, a comment, CDATA, an entity other than the predefined ones,
 * prefixed attributes, an error...) */
PdComputeXml *
pd_compute_xml_new_fast(const gchar *xml, gsize len);
/* NULL: @xml does not parse */
PdComputeXml *
pd_compute_xml_new_dom(const gchar *xml, gsize len);
void
pd_compute_xml_free(PdComputeXml *x);

/* the nodes are only valid while @x is; NULL stands for no node and every
 * call takes it */
gconstpointer
pd_compute_xml_root(PdComputeXml *x);
/* the children in order (the DOM's include text and other nodes, which
 * pd_compute_xml_is() never matches) */
gconstpointer
pd_compute_xml_first(PdComputeXml *x, gconstpointer node);
gconstpointer
pd_compute_xml_next(PdComputeXml *x, gconstpointer node);
/* an element of that local name in that namespace (NULL: none) */
gboolean
pd_compute_xml_is(PdComputeXml *x, gconstpointer node, const gchar *name, const gchar *ns);
const gchar *
pd_compute_xml_ns(PdComputeXml *x, gconstpointer node);
/* the first child element of that name and namespace */
gconstpointer
pd_compute_xml_child(PdComputeXml *x, gconstpointer parent, const gchar *name, const gchar *ns);
/* an attribute without a namespace, NULL when it is not there */
gchar *
pd_compute_xml_prop(PdComputeXml *x, gconstpointer node, const gchar *name);
/* all the text of the element's descendants ("" for none, NULL for no
 * node) */
gchar *
pd_compute_xml_text(PdComputeXml *x, gconstpointer node);
/* a text read (taken, may be NULL) as its interned copy (g_ref_string),
 * shared by every domain that has the same; released with
 * pd_compute_xml_release_interned(), which takes NULL too */
gchar *
pd_compute_xml_intern(gchar *s);
void
pd_compute_xml_release_interned(gpointer s);
/* TRUE when a scanned document was asked for what the scanner does not keep
 * (the text of an element with child elements): the answers are not to be
 * used, the DOM must be asked */
gboolean
pd_compute_xml_fell_short(PdComputeXml *x);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdComputeXml, pd_compute_xml_free)

G_END_DECLS
