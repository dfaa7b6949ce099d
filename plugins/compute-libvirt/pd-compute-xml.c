/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pd-compute-xml.h"

/*
 * libxml2 builds a tree of every element, attribute and text of a domain's
 * XML (about 40 elements) and frees it, for about 15 values: most of the
 * first discovery's parse. The scanner below reads libvirt's regular output
 * (elements, quoted attributes, namespace declarations, text with the five
 * predefined entities and character references) into a flat array and
 * gives up on anything else: a declaration, a DOCTYPE, a comment, CDATA, a
 * processing instruction, other entities, prefixed attributes, a literal
 * tab, newline or carriage return in an attribute value (libxml2 turns them
 * into spaces), a carriage return anywhere (line ends are normalised),
 * undeclared prefixes and every well-formedness error it sees. The caller
 * then parses the document with libxml2's DOM, whose answers are the rules.
 * The scanner keeps the text of the elements without child elements only;
 * asking it for another element's text marks the document (see
 * pd_compute_xml_fell_short()) and the caller asks the DOM instead: that
 * text depends on which blanks libxml2 drops (XML_PARSE_NOBLANKS).
 */

#define PD_XML_NONE G_MAXUINT32
#define PD_XML_MAX_DEPTH 128

typedef struct {
	const gchar *qname; /* in the document */
	guint32 qname_len;
	guint32 local;			   /* where the local name starts in qname */
	guint32 ns;			   /* its namespace's href in out, or PD_XML_NONE */
	guint32 parent, first, last, next; /* indices in nodes, or PD_XML_NONE */
	guint32 attrs, n_attrs;		   /* in attrs */
	guint32 text, text_end;		   /* in out; its own text when !has_child */
	gboolean has_child;
} PdXmlNode;

typedef struct {
	const gchar *qname;
	guint32 qname_len;
	guint32 value; /* in out, NUL-terminated */
	gboolean decl; /* a namespace declaration */
} PdXmlAttr;

typedef struct {
	const gchar *prefix; /* NULL: the default namespace */
	guint32 prefix_len;
	guint32 href; /* in out, or PD_XML_NONE for xmlns='' */
	guint32 depth;
} PdXmlNs;

struct _PdComputeXml {
	xmlDoc *doc; /* the DOM; NULL for a scanned document */
	/* plain arrays: a GArray's append (a call and a memcpy() of the size
	 * it was made for) was about 70 instructions, 80 a domain's XML */
	PdXmlNode *nodes;
	PdXmlAttr *attrs;
	PdXmlNs *ns;
	guint32 n_nodes, n_attrs, n_ns;
	guint32 nodes_max, attrs_max, ns_max;
	gchar *out; /* decoded values, texts and hrefs: never longer than the input */
	guint32 out_len;
	gboolean high; /* bytes past ASCII: the UTF-8 is checked at the end */
	gboolean fell_short;
};

void
pd_compute_xml_free(PdComputeXml *x)
{
	if (x->doc != NULL)
		xmlFreeDoc(x->doc);
	g_free(x->nodes);
	g_free(x->attrs);
	g_free(x->ns);
	g_free(x->out);
	g_free(x);
}

PdComputeXml *
pd_compute_xml_new_dom(const gchar *xml, gsize len)
{
	xmlDoc *doc = xmlReadMemory(xml,
				    (int)len,
				    "domain.xml",
				    NULL,
				    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT |
				      XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	PdComputeXml *x;

	if (doc == NULL)
		return NULL;
	x = g_new0(PdComputeXml, 1);
	x->doc = doc;
	return x;
}

/* ---- the scanner ---- */

/* what a byte may be: a table lookup a byte instead of a few tests, and
 * runs of plain bytes in values and text copied with memcpy() */
enum {
	PD_XML_S = 1, /* starts a name: ASCII letters and '_' */
	PD_XML_N = 2, /* goes on a name: those, digits, '-' and '.' (':' apart) */
	PD_XML_V = 4, /* stands for itself in an attribute value */
	PD_XML_T = 8, /* stands for itself in text */
};

#define PD_XML_VT (PD_XML_V | PD_XML_T)
#define PD_XML_NVT (PD_XML_N | PD_XML_V | PD_XML_T)
#define PD_XML_SNVT (PD_XML_S | PD_XML_N | PD_XML_V | PD_XML_T)

/* '&', '<', control bytes and bytes past ASCII: none; a quote ends a
 * value; ']' may start "]]>", which text must not hold */
static const guint8 pd_xml_class[256] = {
	['\t'] = PD_XML_T,
	['\n'] = PD_XML_T,
	[' ' ... '!'] = PD_XML_VT,
	['"'] = PD_XML_T,
	['#' ... '%'] = PD_XML_VT,
	['\''] = PD_XML_T,
	['(' ... ','] = PD_XML_VT,
	['-' ... '.'] = PD_XML_NVT,
	['/'] = PD_XML_VT,
	['0' ... '9'] = PD_XML_NVT,
	[':' ... ';'] = PD_XML_VT,
	['=' ... '@'] = PD_XML_VT,
	['A' ... 'Z'] = PD_XML_SNVT,
	['[' ... '\\'] = PD_XML_VT,
	[']'] = PD_XML_V,
	['^'] = PD_XML_VT,
	['_'] = PD_XML_SNVT,
	['`'] = PD_XML_VT,
	['a' ... 'z'] = PD_XML_SNVT,
	['{' ... 0x7f] = PD_XML_VT,
};

static inline gboolean
pd_xml_class_is(gchar c, guint8 what)
{
	return (pd_xml_class[(guchar)c] & what) != 0;
}

static gboolean
pd_xml_is_space(gchar c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static const gchar *
pd_xml_skip_space(const gchar *p, const gchar *end)
{
	while (p < end && pd_xml_is_space(*p))
		p++;
	return p;
}

/* an ASCII name with at most one colon, not at either end; *colon is its
 * offset or 0 */
static gboolean
pd_xml_fast_name(const gchar **pp, const gchar *end, guint32 *colon)
{
	const gchar *start = *pp, *p = start;

	*colon = 0;
	if (p >= end || !pd_xml_class_is(*p, PD_XML_S))
		return FALSE;
	for (p++; p < end; p++) {
		if (pd_xml_class_is(*p, PD_XML_N))
			continue;
		if (*p != ':')
			break;
		if (*colon != 0 || p + 1 >= end || !pd_xml_class_is(p[1], PD_XML_S))
			return FALSE;
		*colon = (guint32)(p - start);
	}
	*pp = p;
	return TRUE;
}

static gboolean
pd_xml_char_ok(gunichar c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
	       (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

static gboolean
pd_xml_fast_charref(PdComputeXml *x, const gchar **pp, const gchar *end)
{
	const gchar *p = *pp + 2; /* past "&#" */
	gboolean hex = p < end && *p == 'x';
	gunichar c = 0;
	guint digits = 0;

	for (p += hex ? 1 : 0; p < end && *p != ';'; p++, digits++) {
		gint v = hex ? g_ascii_xdigit_value(*p) : g_ascii_digit_value(*p);
		if (v < 0 || digits >= 7)
			return FALSE;
		c = c * (hex ? 16 : 10) + (gunichar)v;
	}
	if (p >= end || digits == 0 || !pd_xml_char_ok(c))
		return FALSE;
	/* "&#N;" is at least as long as N in UTF-8 */
	x->out_len += (guint32)g_unichar_to_utf8(c, x->out + x->out_len);
	*pp = p + 1;
	return TRUE;
}

/* an entity reference at *pp, decoded into out */
static gboolean
pd_xml_fast_entity(PdComputeXml *x, const gchar **pp, const gchar *end)
{
	static const struct {
		const gchar *name;
		gsize len;
		gchar c;
	} predefined[] = {
		{ "&lt;", 4, '<' },   { "&gt;", 4, '>' },    { "&amp;", 5, '&' },
		{ "&quot;", 6, '"' }, { "&apos;", 6, '\'' },
	};
	const gchar *p = *pp;

	if (end - p > 1 && p[1] == '#')
		return pd_xml_fast_charref(x, pp, end);
	for (guint i = 0; i < G_N_ELEMENTS(predefined); i++) {
		if ((gsize)(end - p) >= predefined[i].len &&
		    memcmp(p, predefined[i].name, predefined[i].len) == 0) {
			x->out[x->out_len++] = predefined[i].c;
			*pp = p + predefined[i].len;
			return TRUE;
		}
	}
	return FALSE;
}

/* a quoted attribute value, decoded into out and NUL-terminated */
static gboolean
pd_xml_fast_value(PdComputeXml *x, const gchar **pp, const gchar *end, guint32 *value)
{
	const gchar *p = *pp;
	gchar quote;

	if (p >= end || (*p != '\'' && *p != '"'))
		return FALSE;
	quote = *p++;
	*value = x->out_len;
	while (p < end && *p != quote) {
		const gchar *run = p;
		guchar c;
		while (p < end && pd_xml_class_is(*p, PD_XML_V))
			p++;
		memcpy(x->out + x->out_len, run, (gsize)(p - run));
		x->out_len += (guint32)(p - run);
		if (p >= end || *p == quote)
			break;
		c = (guchar)*p;
		if (c == '&') {
			if (!pd_xml_fast_entity(x, &p, end))
				return FALSE;
			continue;
		}
		/* literal tabs and newlines would be normalised to spaces */
		if (c == '<' || c < 0x20)
			return FALSE;
		if (c >= 0x80)
			x->high = TRUE;
		x->out[x->out_len++] = *p++;
	}
	if (p >= end)
		return FALSE;
	x->out[x->out_len++] = '\0';
	*pp = p + 1;
	return TRUE;
}

/* text up to the next markup; outside the root element only blanks. Kept
 * (@keep) for an element that has no child element yet: an element's
 * text is asked of leaves only */
static gboolean
pd_xml_fast_text(PdComputeXml *x,
		 const gchar **pp,
		 const gchar *end,
		 gboolean in_root,
		 gboolean keep)
{
	const gchar *p = *pp;
	guint32 mark = x->out_len;

	while (p < end && *p != '<') {
		const gchar *run = p;
		guchar c;
		while (in_root && p < end && pd_xml_class_is(*p, PD_XML_T))
			p++;
		if (keep) {
			memcpy(x->out + x->out_len, run, (gsize)(p - run));
			x->out_len += (guint32)(p - run);
		}
		if (p >= end || *p == '<')
			break;
		c = (guchar)*p;
		if (!in_root && !pd_xml_is_space(*p))
			return FALSE;
		if (c == '&') {
			if (!pd_xml_fast_entity(x, &p, end))
				return FALSE;
			continue;
		}
		if (c < 0x20 && c != '\t' && c != '\n')
			return FALSE;
		if (c == ']' && end - p >= 3 && p[1] == ']' && p[2] == '>')
			return FALSE;
		if (c >= 0x80)
			x->high = TRUE;
		if (keep)
			x->out[x->out_len++] = *p;
		p++;
	}
	/* an entity's character goes to out as it is decoded */
	if (!keep)
		x->out_len = mark;
	*pp = p;
	return TRUE;
}

/* room for one more in an array of *@max of @size bytes holding @len */
static gpointer
pd_xml_room(gpointer v, guint32 len, guint32 *max, gsize size)
{
	if (G_LIKELY(len < *max))
		return v;
	*max *= 2;
	return g_realloc_n(v, *max, size);
}

static gboolean
pd_xml_fast_declare(PdComputeXml *x, const PdXmlAttr *a, guint32 colon, guint32 depth)
{
	const gchar *href = x->out + a->value;
	PdXmlNs ns = { NULL, 0, href[0] != '\0' ? a->value : PD_XML_NONE, depth };

	if (g_strcmp0(href, "http://www.w3.org/XML/1998/namespace") == 0 ||
	    g_strcmp0(href, "http://www.w3.org/2000/xmlns/") == 0)
		return FALSE;
	if (colon != 0) {
		ns.prefix = a->qname + colon + 1;
		ns.prefix_len = a->qname_len - colon - 1;
		/* an empty href for a prefix is an error in XML 1.0 */
		if (ns.href == PD_XML_NONE ||
		    (ns.prefix_len == 3 && memcmp(ns.prefix, "xml", 3) == 0) ||
		    (ns.prefix_len == 5 && memcmp(ns.prefix, "xmlns", 5) == 0))
			return FALSE;
	}
	x->ns = pd_xml_room(x->ns, x->n_ns, &x->ns_max, sizeof(PdXmlNs));
	x->ns[x->n_ns++] = ns;
	return TRUE;
}

static gboolean
pd_xml_fast_attr(PdComputeXml *x, const gchar **pp, const gchar *end, guint32 first, guint32 depth)
{
	const gchar *p = *pp;
	PdXmlAttr a = { p, 0, 0, FALSE };
	guint32 colon;

	if (!pd_xml_fast_name(&p, end, &colon))
		return FALSE;
	a.qname_len = (guint32)(p - a.qname);
	p = pd_xml_skip_space(p, end);
	if (p >= end || *p != '=')
		return FALSE;
	p = pd_xml_skip_space(p + 1, end);
	if (!pd_xml_fast_value(x, &p, end, &a.value))
		return FALSE;
	for (guint32 i = first; i < x->n_attrs; i++) {
		PdXmlAttr *b = &x->attrs[i];
		if (b->qname_len == a.qname_len && memcmp(b->qname, a.qname, a.qname_len) == 0)
			return FALSE;
	}
	if ((colon == 0 && a.qname_len == 5) || colon == 5) {
		a.decl = memcmp(a.qname, "xmlns", 5) == 0;
		if (a.decl && !pd_xml_fast_declare(x, &a, colon, depth))
			return FALSE;
	}
	/* a prefixed attribute has a namespace: left to libxml2 */
	if (colon != 0 && !a.decl)
		return FALSE;
	x->attrs = pd_xml_room(x->attrs, x->n_attrs, &x->attrs_max, sizeof(PdXmlAttr));
	x->attrs[x->n_attrs++] = a;
	*pp = p;
	return TRUE;
}

/* the element's namespace, from the declarations in scope */
static gboolean
pd_xml_fast_resolve(PdComputeXml *x, PdXmlNode *n)
{
	const gchar *prefix = n->local != 0 ? n->qname : NULL;
	guint32 prefix_len = n->local != 0 ? n->local - 1 : 0;

	n->ns = PD_XML_NONE;
	for (guint32 i = x->n_ns; i > 0; i--) {
		PdXmlNs *ns = &x->ns[i - 1];
		if (prefix == NULL ? ns->prefix == NULL
				   : ns->prefix != NULL && ns->prefix_len == prefix_len &&
				       memcmp(ns->prefix, prefix, prefix_len) == 0) {
			n->ns = ns->href;
			return TRUE;
		}
	}
	/* an undeclared prefix (xml: included) is an error libxml2 reports */
	return prefix == NULL;
}

static void
pd_xml_fast_pop(PdComputeXml *x, guint32 depth)
{
	while (x->n_ns > 0 && x->ns[x->n_ns - 1].depth >= depth)
		x->n_ns--;
}

static void
pd_xml_fast_link(PdComputeXml *x, guint32 parent, guint32 idx)
{
	PdXmlNode *p;

	if (parent == PD_XML_NONE)
		return;
	p = &x->nodes[parent];
	p->has_child = TRUE;
	if (p->last == PD_XML_NONE)
		p->first = idx;
	else
		x->nodes[p->last].next = idx;
	p->last = idx;
}

static gboolean
pd_xml_fast_start(PdComputeXml *x, const gchar **pp, const gchar *end, guint32 *cur, guint32 *depth)
{
	const gchar *p = *pp + 1;
	PdXmlNode n = { p, 0, 0, PD_XML_NONE, *cur, PD_XML_NONE, PD_XML_NONE, PD_XML_NONE };
	guint32 colon, idx = x->n_nodes;
	gboolean empty;

	if (!pd_xml_fast_name(&p, end, &colon))
		return FALSE;
	n.qname_len = (guint32)(p - n.qname);
	n.local = colon != 0 ? colon + 1 : 0;
	n.attrs = x->n_attrs;
	for (;;) {
		const gchar *before = p;
		p = pd_xml_skip_space(p, end);
		if (p >= end)
			return FALSE;
		if (*p == '>' || *p == '/')
			break;
		/* attributes are separated by blanks */
		if (p == before || !pd_xml_fast_attr(x, &p, end, n.attrs, *depth + 1))
			return FALSE;
	}
	empty = *p == '/';
	if (empty && (p + 1 >= end || p[1] != '>'))
		return FALSE;
	n.n_attrs = x->n_attrs - n.attrs;
	if (!pd_xml_fast_resolve(x, &n))
		return FALSE;
	n.text = n.text_end = x->out_len;
	pd_xml_fast_link(x, *cur, idx);
	x->nodes = pd_xml_room(x->nodes, x->n_nodes, &x->nodes_max, sizeof(PdXmlNode));
	x->nodes[x->n_nodes++] = n;
	if (empty) {
		pd_xml_fast_pop(x, *depth + 1);
	} else {
		*cur = idx;
		if (++*depth > PD_XML_MAX_DEPTH)
			return FALSE;
	}
	*pp = p + (empty ? 2 : 1);
	return TRUE;
}

static gboolean
pd_xml_fast_end(PdComputeXml *x, const gchar **pp, const gchar *end, guint32 *cur, guint32 *depth)
{
	const gchar *p = *pp + 2;
	PdXmlNode *n = &x->nodes[*cur];

	/* the open element's name, and no more of a name after it: what
	 * scanning a name there and comparing it found */
	if ((gsize)(end - p) <= n->qname_len || memcmp(p, n->qname, n->qname_len) != 0 ||
	    pd_xml_class_is(p[n->qname_len], PD_XML_N) || p[n->qname_len] == ':')
		return FALSE;
	p = pd_xml_skip_space(p + n->qname_len, end);
	if (p >= end || *p != '>')
		return FALSE;
	n->text_end = x->out_len;
	pd_xml_fast_pop(x, *depth);
	*cur = n->parent;
	--*depth;
	*pp = p + 1;
	return TRUE;
}

static gboolean
pd_xml_fast_utf8_ok(const gchar *xml, gsize len)
{
	/* U+FFFE and U+FFFF are valid UTF-8 but not XML characters (valid
	 * UTF-8 here has no NUL: the searches see all of it) */
	return g_utf8_validate_len(xml, len, NULL) &&
	       g_strstr_len(xml, (gssize)len, "\xef\xbf\xbe") == NULL &&
	       g_strstr_len(xml, (gssize)len, "\xef\xbf\xbf") == NULL;
}

static gboolean
pd_xml_fast_scan(PdComputeXml *x, const gchar *xml, gsize len)
{
	const gchar *p = xml, *end = xml + len;
	guint32 cur = PD_XML_NONE, depth = 0;

	while (p < end) {
		gboolean ok;
		if (*p != '<')
			ok = pd_xml_fast_text(x,
					      &p,
					      end,
					      cur != PD_XML_NONE,
					      cur != PD_XML_NONE && !x->nodes[cur].has_child);
		else if (end - p > 1 && p[1] == '/')
			ok = cur != PD_XML_NONE && pd_xml_fast_end(x, &p, end, &cur, &depth);
		else if (end - p > 1 && (p[1] == '!' || p[1] == '?'))
			ok = FALSE;
		else /* one root element */
			ok = (cur != PD_XML_NONE || x->n_nodes == 0) &&
			     pd_xml_fast_start(x, &p, end, &cur, &depth);
		if (!ok)
			return FALSE;
	}
	if (cur != PD_XML_NONE || x->n_nodes == 0)
		return FALSE;
	return !x->high || pd_xml_fast_utf8_ok(xml, len);
}

PdComputeXml *
pd_compute_xml_new_fast(const gchar *xml, gsize len)
{
	g_autoptr(PdComputeXml) x = NULL;

	if (len >= G_MAXUINT32 / 2)
		return NULL;
	x = g_new0(PdComputeXml, 1);
	x->nodes_max = 64;
	x->nodes = g_new(PdXmlNode, x->nodes_max);
	x->attrs_max = 128;
	x->attrs = g_new(PdXmlAttr, x->attrs_max);
	x->ns_max = 8;
	x->ns = g_new(PdXmlNs, x->ns_max);
	x->out = g_malloc(len + 8);
	if (!pd_xml_fast_scan(x, xml, len))
		return NULL;
	return g_steal_pointer(&x);
}

/* ---- reading either ---- */

static const PdXmlNode *
pd_xml_node(PdComputeXml *x, guint32 idx)
{
	return idx != PD_XML_NONE ? &x->nodes[idx] : NULL;
}

gconstpointer
pd_compute_xml_root(PdComputeXml *x)
{
	if (x->doc != NULL)
		return xmlDocGetRootElement(x->doc);
	return pd_xml_node(x, 0);
}

gconstpointer
pd_compute_xml_first(PdComputeXml *x, gconstpointer node)
{
	if (node == NULL)
		return NULL;
	if (x->doc != NULL)
		return ((const xmlNode *)node)->children;
	return pd_xml_node(x, ((const PdXmlNode *)node)->first);
}

gconstpointer
pd_compute_xml_next(PdComputeXml *x, gconstpointer node)
{
	if (node == NULL)
		return NULL;
	if (x->doc != NULL)
		return ((const xmlNode *)node)->next;
	return pd_xml_node(x, ((const PdXmlNode *)node)->next);
}

const gchar *
pd_compute_xml_ns(PdComputeXml *x, gconstpointer node)
{
	const PdXmlNode *n = node;

	if (node == NULL)
		return NULL;
	if (x->doc != NULL) {
		const xmlNode *d = node;
		return d->ns != NULL ? (const gchar *)d->ns->href : NULL;
	}
	return n->ns != PD_XML_NONE ? x->out + n->ns : NULL;
}

gboolean
pd_compute_xml_is(PdComputeXml *x, gconstpointer node, const gchar *name, const gchar *ns)
{
	const gchar *href;

	if (node == NULL)
		return FALSE;
	if (x->doc != NULL) {
		const xmlNode *d = node;
		if (d->type != XML_ELEMENT_NODE || g_strcmp0((const gchar *)d->name, name) != 0)
			return FALSE;
	} else {
		const PdXmlNode *n = node;
		gsize len = strlen(name);
		if (n->qname_len - n->local != len || memcmp(n->qname + n->local, name, len) != 0)
			return FALSE;
	}
	href = pd_compute_xml_ns(x, node);
	return ns == NULL ? href == NULL : g_strcmp0(href, ns) == 0;
}

gconstpointer
pd_compute_xml_child(PdComputeXml *x, gconstpointer parent, const gchar *name, const gchar *ns)
{
	const PdXmlNode *p = parent;
	gsize len;

	if (parent == NULL || x->doc != NULL) {
		for (gconstpointer n = pd_compute_xml_first(x, parent); n != NULL;
		     n = pd_compute_xml_next(x, n)) {
			if (pd_compute_xml_is(x, n, name, ns))
				return n;
		}
		return NULL;
	}
	/* what pd_compute_xml_is() tells, with the name measured once: about
	 * 30 children looked for a domain, each a walk of its siblings */
	len = strlen(name);
	for (guint32 i = p->first; i != PD_XML_NONE; i = x->nodes[i].next) {
		const PdXmlNode *n = &x->nodes[i];
		const gchar *href = n->ns != PD_XML_NONE ? x->out + n->ns : NULL;
		if (n->qname_len - n->local == len && memcmp(n->qname + n->local, name, len) == 0 &&
		    (ns == NULL ? href == NULL : g_strcmp0(href, ns) == 0))
			return n;
	}
	return NULL;
}

gchar *
pd_compute_xml_prop(PdComputeXml *x, gconstpointer node, const gchar *name)
{
	const PdXmlNode *n = node;
	gsize len;

	if (node == NULL)
		return NULL;
	if (x->doc != NULL) {
		g_autofree xmlChar *value = xmlGetNoNsProp(node, (const xmlChar *)name);
		return value != NULL ? g_strdup((const gchar *)value) : NULL;
	}
	len = strlen(name);
	for (guint32 i = n->attrs; i < n->attrs + n->n_attrs; i++) {
		PdXmlAttr *a = &x->attrs[i];
		if (!a->decl && a->qname_len == len && memcmp(a->qname, name, len) == 0)
			return g_strdup(x->out + a->value);
	}
	return NULL;
}

gchar *
pd_compute_xml_text(PdComputeXml *x, gconstpointer node)
{
	const PdXmlNode *n = node;

	if (node == NULL)
		return NULL;
	if (x->doc != NULL) {
		g_autofree xmlChar *value = xmlNodeGetContent(node);
		return g_strdup(value != NULL ? (const gchar *)value : "");
	}
	if (n->has_child) {
		x->fell_short = TRUE;
		return g_strdup("");
	}
	return g_strndup(x->out + n->text, n->text_end - n->text);
}

gchar *
pd_compute_xml_intern(gchar *s)
{
	gchar *interned;

	if (s == NULL)
		return NULL;
	interned = g_ref_string_new_intern(s);
	g_free(s);
	return interned;
}

void
pd_compute_xml_release_interned(gpointer s)
{
	if (s != NULL)
		g_ref_string_release(s);
}

gboolean
pd_compute_xml_fell_short(PdComputeXml *x)
{
	return x->fell_short;
}
