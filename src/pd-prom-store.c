/*
 * polld - the Prometheus exporter's series
 *
 * A resource (its id, tenant labels and metadata labels) holds a small array
 * of points, one per (meter family, unit), each the latest volume: 5,000
 * instances with 14 meters each keep one copy of each instance's label text
 * and 32 bytes a series, with no per-series allocation and no per-family
 * index. Metadata labels are derived once per metadata object and interned
 * by text, so a plugin that builds new metadata every cycle keeps the same
 * resources.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPromStore"

#include "config.h"

#include <math.h>
#include <string.h>

#include "pd-prom-labels.h"
#include "pd-prom-store.h"
#include "pd-pytext-private.h"

/* project, user and their names: shared by every resource of a tenant */
typedef struct {
	gint ref;
	gchar *key;  /* the four raw values joined, for interning */
	gchar *text; /* ,project=..,project_name=..,user=..,user_name=.. */
	gsize text_len;
} PdPromIdent;

/* the labels of a metadata object, interned by text */
typedef struct {
	gint ref;
	gchar *text;
	gsize text_len;
} PdPromMdl;

/* a metadata object seen recently, and its labels */
typedef struct {
	PdMetadata *md; /* a ref */
	PdPromMdl *mdl; /* a ref */
	gint64 used_us;
} PdPromMdEntry;

typedef struct _PdPromFamily PdPromFamily;

/* 24 bytes: 70,000 series take 1.7 MB */
typedef struct {
	PdPromFamily *family;
	gdouble value;
	guint32 unit; /* index into the store's unit texts */
	guint32 seen; /* tenths of a second since the store began */
} PdPromPoint;

typedef struct {
	gchar *rid;	    /* raw */
	gchar *rid_escaped; /* NULL when it is the same as rid */
	gsize rid_escaped_len;
	PdPromIdent *ident; /* a ref */
	PdPromMdl *mdl;	    /* a ref, NULL for no metadata */
	PdPromPoint *points;
	guint n_points;
	guint alloc;
} PdPromRes;

struct _PdPromFamily {
	gchar *meter;
	gchar *metric;	    /* ceilometer_... */
	gchar *first_label; /* the first name part, as a label name */
	gchar *first_value; /* the third name part escaped, or NULL: the resource id */
	gchar *mid;	    /* ,publisher=..,type=..,counter=.. */
	gsize metric_len, first_label_len, first_value_len, mid_len;
	gboolean special; /* labels of its own (load balancer, volume service) */
	gboolean marked;  /* being expired */
	guint n_series;
};

struct _PdPromStore {
	GMutex lock;
	GTree *families;	 /* meter name -> PdPromFamily */
	GHashTable *res;	 /* PdPromRes -> itself, by (rid, ident, mdl) */
	GHashTable *idents;	 /* key -> PdPromIdent (weak) */
	GHashTable *mdl_texts;	 /* text -> PdPromMdl (weak) */
	GHashTable *md;		 /* PdMetadata -> PdPromMdEntry */
	GHashTable *md_special;	 /* "family\x1fpointer" -> PdPromMdEntry */
	GHashTable *units;	 /* raw unit -> index + 1 into unit_texts */
	GPtrArray *unit_texts;	 /* ,unit=".." or "", in the chunks */
	GStringChunk *chunks;	 /* their storage */
	PdPromIdent *last_ident; /* the previous sample's, checked first */
	guint n_series;
	guint64 skipped;
};

/* labels the exporter adds itself; a first name part equal to one of them
 * would make a series with a label twice */
static const gchar *const reserved_labels[] = {
	"publisher",	 "type",	 "counter",   "project",	   "project_name",
	"user",		 "user_name",	 "unit",      "resource",	   "vm_instance",
	"resource_name", "server_group", "state",     "availability_zone", "binary",
	"zone",		 "status",	 "flavor_id", "flavor_name",	   NULL,
};

static void
ident_unref(PdPromStore *self, PdPromIdent *ident)
{
	if (--ident->ref > 0)
		return;
	if (self->last_ident == ident)
		self->last_ident = NULL;
	g_hash_table_remove(self->idents, ident->key);
	g_free(ident->key);
	g_free(ident->text);
	g_free(ident);
}

static void
mdl_unref(PdPromStore *self, PdPromMdl *mdl)
{
	if (--mdl->ref > 0)
		return;
	g_hash_table_remove(self->mdl_texts, mdl->text);
	g_free(mdl->text);
	g_free(mdl);
}

static void
res_free(PdPromStore *self, PdPromRes *res)
{
	ident_unref(self, res->ident);
	if (res->mdl != NULL)
		mdl_unref(self, res->mdl);
	g_free(res->points);
	g_free(res->rid);
	g_free(res->rid_escaped);
	g_free(res);
}

static guint
res_hash(gconstpointer p)
{
	const PdPromRes *r = p;

	return g_str_hash(r->rid) ^ g_direct_hash(r->ident) ^ g_direct_hash(r->mdl);
}

static gboolean
res_equal(gconstpointer a, gconstpointer b)
{
	const PdPromRes *x = a, *y = b;

	return x->ident == y->ident && x->mdl == y->mdl && strcmp(x->rid, y->rid) == 0;
}

static void
family_free(gpointer p)
{
	PdPromFamily *f = p;

	g_free(f->meter);
	g_free(f->metric);
	g_free(f->first_label);
	g_free(f->first_value);
	g_free(f->mid);
	g_free(f);
}

static gint
cmp_meter(gconstpointer a, gconstpointer b, gpointer user_data)
{
	return strcmp(a, b);
}

PdPromStore *
pd_prom_store_new(void)
{
	PdPromStore *self = g_new0(PdPromStore, 1);

	g_mutex_init(&self->lock);
	self->families = g_tree_new_full(cmp_meter, NULL, NULL, family_free);
	self->res = g_hash_table_new(res_hash, res_equal);
	self->idents = g_hash_table_new(g_str_hash, g_str_equal);
	self->mdl_texts = g_hash_table_new(g_str_hash, g_str_equal);
	self->md = g_hash_table_new(g_direct_hash, g_direct_equal);
	self->md_special = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->units = g_hash_table_new(g_str_hash, g_str_equal);
	self->unit_texts = g_ptr_array_new();
	g_ptr_array_add(self->unit_texts, (gpointer) "");
	self->chunks = g_string_chunk_new(1024);
	return self;
}

static void
md_entry_free(PdPromStore *self, PdPromMdEntry *e)
{
	if (e->md != NULL)
		pd_metadata_unref(e->md);
	mdl_unref(self, e->mdl);
	g_free(e);
}

static void
drop_md_cache(PdPromStore *self, GHashTable *cache, gint64 since_us)
{
	GHashTableIter iter;
	PdPromMdEntry *e;

	g_hash_table_iter_init(&iter, cache);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&e)) {
		if (e->used_us >= since_us)
			continue;
		g_hash_table_iter_steal(&iter);
		md_entry_free(self, e);
	}
}

void
pd_prom_store_free(PdPromStore *self)
{
	GHashTableIter iter;
	PdPromRes *res;

	if (self == NULL)
		return;
	g_hash_table_iter_init(&iter, self->res);
	while (g_hash_table_iter_next(&iter, (gpointer *)&res, NULL)) {
		g_hash_table_iter_steal(&iter);
		res_free(self, res);
	}
	drop_md_cache(self, self->md, G_MAXINT64);
	drop_md_cache(self, self->md_special, G_MAXINT64);
	g_tree_destroy(self->families);
	g_hash_table_unref(self->res);
	g_hash_table_unref(self->md);
	g_hash_table_unref(self->md_special);
	g_hash_table_unref(self->mdl_texts);
	g_hash_table_unref(self->idents);
	g_hash_table_unref(self->units);
	g_ptr_array_unref(self->unit_texts);
	g_string_chunk_free(self->chunks);
	g_mutex_clear(&self->lock);
	g_free(self);
}

static gchar *
label_name(const gchar *part)
{
	GString *out = g_string_new(NULL);

	for (const gchar *p = part; *p != '\0'; p++) {
		gboolean ok =
		  g_ascii_isalpha(*p) || *p == '_' || (p != part && g_ascii_isdigit(*p));
		g_string_append_c(out, ok ? *p : '_');
	}
	if (out->len == 0 || g_ascii_isdigit(out->str[0]))
		g_string_prepend_c(out, '_');
	if (g_strv_contains(reserved_labels, out->str))
		g_string_append(out, "_meter");
	return g_string_free(out, FALSE);
}

static gchar *
escaped(const gchar *value)
{
	GString *out = g_string_new(NULL);

	pd_prom_labels_append_value(out, value);
	return g_string_free(out, FALSE);
}

static void
append_label(GString *out, const gchar *name, const gchar *value)
{
	g_string_append_c(out, ',');
	g_string_append(out, name);
	g_string_append(out, "=\"");
	pd_prom_labels_append_value(out, value);
	g_string_append_c(out, '"');
}

static PdPromFamily *
family_new(const gchar *meter)
{
	PdPromFamily *f = g_new0(PdPromFamily, 1);
	g_auto(GStrv) parts = g_strsplit(meter, ".", 3);
	guint n = g_strv_length(parts);
	GString *mid = g_string_new(NULL);

	f->meter = g_strdup(meter);
	f->metric = pd_prom_labels_metric_name(meter);
	f->first_label = label_name(n > 0 ? parts[0] : "");
	if (n > 2) {
		/* Ceilometer takes the third part alone, not the rest of the name */
		gchar *dot = strchr(parts[2], '.');
		if (dot != NULL)
			*dot = '\0';
		f->first_value = escaped(parts[2]);
	}
	append_label(mid, "publisher", "ceilometer");
	append_label(mid, "type", n > 1 ? parts[1] : (n > 0 ? parts[0] : ""));
	if (meter[0] != '\0')
		append_label(mid, "counter", meter);
	f->mid = g_string_free(mid, FALSE);
	f->metric_len = strlen(f->metric);
	f->first_label_len = strlen(f->first_label);
	f->first_value_len = f->first_value != NULL ? strlen(f->first_value) : 0;
	f->mid_len = strlen(f->mid);
	f->special =
	  g_str_has_prefix(meter, "loadbalancer") || strcmp(meter, "volume.service.health") == 0;
	return f;
}

/* the index of the ',unit="<unit>"' text of @unit (0: no unit) */
static guint32
intern_unit(PdPromStore *self, const gchar *unit)
{
	g_autoptr(GString) text = NULL;
	gpointer found;

	if (unit == NULL || unit[0] == '\0')
		return 0;
	found = g_hash_table_lookup(self->units, unit);
	if (found != NULL)
		return GPOINTER_TO_UINT(found) - 1;
	text = g_string_new(NULL);
	append_label(text, "unit", unit);
	g_ptr_array_add(self->unit_texts, g_string_chunk_insert(self->chunks, text->str));
	g_hash_table_insert(self->units,
			    g_string_chunk_insert(self->chunks, unit),
			    GUINT_TO_POINTER(self->unit_texts->len));
	return self->unit_texts->len - 1;
}

/* monotonic microseconds (time since boot) as a point's 32-bit "seen": in
 * tenths of a second it lasts 13 years of uptime */
static guint32
to_tenths(gint64 us)
{
	return us <= 0 ? 0 : (guint32)MIN(us / 100000, (gint64)G_MAXUINT32);
}

static PdPromIdent *
ident_get(PdPromStore *self, const PdSample *s)
{
	g_autofree gchar *key = g_strjoin("\x1f",
					  s->project_id ? s->project_id : "",
					  s->project_name ? s->project_name : "",
					  s->user_id ? s->user_id : "",
					  s->user_name ? s->user_name : "",
					  NULL);
	PdPromIdent *ident;
	GString *text;

	if (self->last_ident != NULL && strcmp(self->last_ident->key, key) == 0)
		return self->last_ident;
	ident = g_hash_table_lookup(self->idents, key);
	if (ident == NULL) {
		text = g_string_new(NULL);
		if (s->project_id != NULL && s->project_id[0] != '\0')
			append_label(text, "project", s->project_id);
		if (s->project_name != NULL && s->project_name[0] != '\0')
			append_label(text, "project_name", s->project_name);
		if (s->user_id != NULL && s->user_id[0] != '\0')
			append_label(text, "user", s->user_id);
		if (s->user_name != NULL && s->user_name[0] != '\0')
			append_label(text, "user_name", s->user_name);
		ident = g_new0(PdPromIdent, 1);
		ident->key = g_steal_pointer(&key);
		ident->text_len = text->len;
		ident->text = g_string_free(text, FALSE);
		g_hash_table_insert(self->idents, ident->key, ident);
	}
	self->last_ident = ident;
	return ident;
}

/* a ref on the interned labels of @text (taken over) */
static PdPromMdl *
mdl_intern(PdPromStore *self, gchar *text)
{
	PdPromMdl *mdl = g_hash_table_lookup(self->mdl_texts, text);

	if (mdl != NULL) {
		g_free(text);
		mdl->ref++;
		return mdl;
	}
	mdl = g_new0(PdPromMdl, 1);
	mdl->ref = 1;
	mdl->text = text;
	mdl->text_len = strlen(text);
	g_hash_table_insert(self->mdl_texts, mdl->text, mdl);
	return mdl;
}

/* the labels of @md for @f, not a new ref; NULL for no labels */
static PdPromMdl *
mdl_get(PdPromStore *self, PdMetadata *md, PdPromFamily *f, gint64 now_us)
{
	g_autofree gchar *special_key = NULL;
	GHashTable *cache = self->md;
	gpointer key = md;
	PdPromMdEntry *e;

	if (md == NULL && !f->special)
		return NULL;
	/* two families get labels of their own */
	if (f->special) {
		special_key = g_strdup_printf("%s\x1f%p", f->meter, (gpointer)md);
		cache = self->md_special;
		key = special_key;
	}
	e = g_hash_table_lookup(cache, key);
	if (e == NULL) {
		e = g_new0(PdPromMdEntry, 1);
		e->md = md != NULL ? pd_metadata_ref(md) : NULL;
		e->mdl = mdl_intern(self, pd_prom_labels_from_metadata(md, f->meter));
		g_hash_table_insert(cache, f->special ? g_steal_pointer(&special_key) : key, e);
	}
	e->used_us = now_us;
	return e->mdl;
}

static PdPromRes *
res_get(PdPromStore *self, const gchar *rid, PdPromIdent *ident, PdPromMdl *mdl)
{
	PdPromRes probe = { (gchar *)rid, NULL, 0, ident, mdl, NULL, 0, 0 };
	PdPromRes *res = g_hash_table_lookup(self->res, &probe);

	if (res != NULL)
		return res;
	res = g_new0(PdPromRes, 1);
	res->rid = g_strdup(rid);
	res->rid_escaped = escaped(rid);
	res->rid_escaped_len = strlen(res->rid_escaped);
	if (strcmp(res->rid_escaped, rid) == 0)
		g_clear_pointer(&res->rid_escaped, g_free);
	res->ident = ident;
	ident->ref++;
	res->mdl = mdl;
	if (mdl != NULL)
		mdl->ref++;
	g_hash_table_add(self->res, res);
	return res;
}

static PdPromFamily *
family_get(PdPromStore *self, const gchar *meter)
{
	PdPromFamily *f = g_tree_lookup(self->families, meter);

	if (f == NULL) {
		f = family_new(meter);
		g_tree_insert(self->families, f->meter, f);
	}
	return f;
}

static PdPromPoint *
point_get(PdPromStore *self, PdPromRes *res, PdPromFamily *f, guint32 unit)
{
	PdPromPoint *pt;

	for (guint i = 0; i < res->n_points; i++) {
		pt = &res->points[i];
		if (pt->family == f && pt->unit == unit)
			return pt;
	}
	/* exact fit: a resource's points are few and set once */
	if (res->n_points == res->alloc) {
		res->alloc++;
		res->points = g_renew(PdPromPoint, res->points, res->alloc);
	}
	pt = &res->points[res->n_points++];
	pt->family = f;
	pt->unit = unit;
	f->n_series++;
	self->n_series++;
	return pt;
}

static gboolean
add_one(PdPromStore *self, const PdSample *s, gint64 now_us)
{
	const gchar *rid = s->resource_id != NULL ? s->resource_id : "None";
	PdPromFamily *f;
	PdPromRes *res;
	PdPromPoint *pt;

	if (s->volume_kind == PD_VOLUME_NULL) {
		self->skipped++;
		return FALSE;
	}
	f = family_get(self, s->name);
	res = res_get(self, rid, ident_get(self, s), mdl_get(self, s->metadata, f, now_us));
	pt = point_get(self, res, f, intern_unit(self, s->unit));
	pt->value = s->volume_kind == PD_VOLUME_INT ? (gdouble)s->volume.i : s->volume.d;
	pt->seen = to_tenths(now_us);
	return TRUE;
}

guint
pd_prom_store_add(PdPromStore *self, PdSample *const *samples, guint n_samples, gint64 now_us)
{
	guint skipped = 0;

	g_mutex_lock(&self->lock);
	for (guint i = 0; i < n_samples; i++)
		skipped += add_one(self, samples[i], now_us) ? 0 : 1;
	g_mutex_unlock(&self->lock);
	return skipped;
}

/* drops the marked families' points not seen since @since_us */
static guint
expire_res(PdPromStore *self, PdPromRes *res, guint32 since)
{
	guint kept = 0, removed = 0;

	for (guint i = 0; i < res->n_points; i++) {
		PdPromPoint *pt = &res->points[i];
		if (pt->family->marked && pt->seen < since) {
			pt->family->n_series--;
			removed++;
			continue;
		}
		res->points[kept++] = *pt;
	}
	res->n_points = kept;
	return removed;
}

static gboolean
mark_cb(gpointer key, gpointer value, gpointer data)
{
	((PdPromFamily *)value)->marked = GPOINTER_TO_INT(data);
	return FALSE;
}

static gboolean
collect_empty_cb(gpointer key, gpointer value, gpointer data)
{
	if (((PdPromFamily *)value)->n_series == 0)
		g_ptr_array_add(data, key);
	return FALSE;
}

guint
pd_prom_store_expire(PdPromStore *self, const gchar *const *meters, gint64 since_us)
{
	g_autoptr(GPtrArray) empty = g_ptr_array_new();
	GHashTableIter iter;
	PdPromRes *res;
	guint removed = 0;

	guint32 since = to_tenths(since_us);

	g_mutex_lock(&self->lock);
	g_tree_foreach(self->families, mark_cb, GINT_TO_POINTER(meters == NULL));
	for (guint i = 0; meters != NULL && meters[i] != NULL; i++) {
		PdPromFamily *f = g_tree_lookup(self->families, meters[i]);
		if (f != NULL)
			f->marked = TRUE;
	}
	g_hash_table_iter_init(&iter, self->res);
	while (g_hash_table_iter_next(&iter, (gpointer *)&res, NULL)) {
		removed += expire_res(self, res, since);
		if (res->n_points > 0)
			continue;
		g_hash_table_iter_steal(&iter);
		res_free(self, res);
	}
	g_tree_foreach(self->families, collect_empty_cb, empty);
	for (guint i = 0; i < empty->len; i++)
		g_tree_remove(self->families, g_ptr_array_index(empty, i));
	self->n_series -= removed;
	drop_md_cache(self, self->md, since_us);
	drop_md_cache(self, self->md_special, since_us);
	g_mutex_unlock(&self->lock);
	return removed;
}

/* prometheus_client's floatToGoString: Python's repr(), but exponent form
 * once there are more than six digits before the point, and Go's names for
 * the non-finite values; writes at most 40 bytes at @w, returns the end */
static gchar *
write_value(gchar *w, gdouble v)
{
	gchar buf[40];
	const gchar *dot;
	gsize len, ndot;

	if (isnan(v))
		return (gchar *)memcpy(w, "NaN", 3) + 3;
	if (isinf(v))
		return (gchar *)memcpy(w, v > 0 ? "+Inf" : "-Inf", 4) + 4;
	len = pd_pytext_format_double(v, buf);
	dot = strchr(buf, '.');
	if (!(v > 0 && dot != NULL && dot - buf > 6 && strchr(buf, 'e') == NULL))
		return (gchar *)memcpy(w, buf, len) + len;
	/* d.ddddd without trailing zeros (and without the point if nothing follows) */
	ndot = (gsize)(dot - buf);
	*w++ = buf[0];
	*w++ = '.';
	memcpy(w, buf + 1, ndot - 1);
	memcpy(w + ndot - 1, dot + 1, len - ndot - 1);
	w += len - 2;
	while (w[-1] == '0' || w[-1] == '.')
		w--;
	w += g_snprintf(w, 12, "e+0%" G_GSIZE_FORMAT, ndot - 1);
	return w;
}

static inline gchar *
put(gchar *w, const gchar *s, gsize len)
{
	memcpy(w, s, len);
	return w + len;
}

#define put_lit(w, lit) put((w), (lit), sizeof(lit) - 1)

static void
render_point(PdPromStore *self,
	     PdPromFamily *f,
	     const PdPromRes *res,
	     const PdPromPoint *s,
	     GString *out)
{
	const gchar *rid = res->rid_escaped != NULL ? res->rid_escaped : res->rid;
	gsize rid_len = res->rid_escaped_len;
	const gchar *unit = g_ptr_array_index(self->unit_texts, s->unit);
	gsize unit_len = strlen(unit);
	gsize mdl_len = res->mdl != NULL ? res->mdl->text_len : 0;
	gchar *w =
	  pd_buf_reserve(out,
			 f->metric_len + f->first_label_len + MAX(f->first_value_len, rid_len) +
			   f->mid_len + res->ident->text_len + unit_len + rid_len + mdl_len + 96);

	w = put(w, f->metric, f->metric_len);
	*w++ = '{';
	w = put(w, f->first_label, f->first_label_len);
	w = put_lit(w, "=\"");
	w = f->first_value != NULL ? put(w, f->first_value, f->first_value_len)
				   : put(w, rid, rid_len);
	*w++ = '"';
	w = put(w, f->mid, f->mid_len);
	w = put(w, res->ident->text, res->ident->text_len);
	w = put(w, unit, unit_len);
	if (rid_len > 0) {
		w = put_lit(w, ",resource=\"");
		w = put(w, rid, rid_len);
		*w++ = '"';
	}
	if (mdl_len > 0)
		w = put(w, res->mdl->text, mdl_len);
	w = put_lit(w, "} ");
	w = write_value(w, s->value);
	*w++ = '\n';
	pd_buf_commit(out, w);
}

static void
render_family(PdPromStore *self, PdPromFamily *f, GString *out)
{
	GHashTableIter iter;
	PdPromRes *res;

	g_string_append_printf(out, "# HELP %s Ceilometer meter %s\n", f->metric, f->meter);
	g_string_append_printf(out, "# TYPE %s gauge\n", f->metric);
	g_hash_table_iter_init(&iter, self->res);
	while (g_hash_table_iter_next(&iter, (gpointer *)&res, NULL)) {
		for (guint i = 0; i < res->n_points; i++) {
			if (res->points[i].family == f)
				render_point(self, f, res, &res->points[i], out);
		}
	}
}

gchar *
pd_prom_store_render_next(PdPromStore *self, const gchar *after, PdPromFormat format, GString *out)
{
	GTreeNode *node;
	PdPromFamily *f;
	gchar *meter = NULL;

	/* both formats spell a gauge family the same way */
	(void)format;
	g_mutex_lock(&self->lock);
	node = after == NULL ? g_tree_node_first(self->families)
			     : g_tree_upper_bound(self->families, after);
	if (node != NULL) {
		f = g_tree_node_value(node);
		render_family(self, f, out);
		meter = g_strdup(f->meter);
	}
	g_mutex_unlock(&self->lock);
	return meter;
}

guint
pd_prom_store_get_n_series(PdPromStore *self)
{
	guint n;

	g_mutex_lock(&self->lock);
	n = self->n_series;
	g_mutex_unlock(&self->lock);
	return n;
}

guint64
pd_prom_store_get_skipped(PdPromStore *self)
{
	guint64 n;

	g_mutex_lock(&self->lock);
	n = self->skipped;
	g_mutex_unlock(&self->lock);
	return n;
}
