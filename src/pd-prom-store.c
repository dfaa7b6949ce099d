/*
 * polld - the Prometheus exporter's series
 *
 * A series is (family, resource labels, unit) and holds the latest volume.
 * Resource labels (project, user, resource and the metadata labels) are
 * interned and shared by every meter of a resource, so 5,000 instances with
 * 14 meters each keep one copy of each instance's label text, not 14. The
 * metadata labels are derived once per metadata object, not once per sample.
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

/* the labels of one metadata object; the metadata is held only while
 * cached, the text as long as a resource uses it */
typedef struct {
	gint ref;
	PdMetadata *md;
	gchar *text;
	gsize text_len;
	gint64 used_us;
} PdPromMdl;

/* what a series shares with the other meters of its resource */
typedef struct {
	gint ref;
	gchar *rid; /* raw */
	PdPromIdent *ident;
	PdPromMdl *mdl;
	gchar *rid_escaped; /* NULL when it is the same as rid */
	gsize rid_escaped_len;
} PdPromRes;

typedef struct _PdPromSeries PdPromSeries;
struct _PdPromSeries {
	PdPromRes *res;
	const gchar *unit;  /* ,unit=".." or "", interned */
	PdPromSeries *next; /* same resource id, other unit or labels */
	gdouble value;
	gint64 seen_us;
};

typedef struct {
	gchar *meter;
	gchar *metric;	    /* ceilometer_... */
	gchar *first_label; /* the first name part, as a label name */
	gchar *first_value; /* the third name part escaped, or NULL: the resource id */
	gchar *mid;	    /* ,publisher=..,type=..,counter=.. */
	gsize metric_len, first_label_len, first_value_len, mid_len;
	gboolean special;   /* labels of its own (load balancer, volume service) */
	GHashTable *by_rid; /* raw resource id (the res's) -> PdPromSeries chain */
	guint n_series;
} PdPromFamily;

struct _PdPromStore {
	GMutex lock;
	GTree *families;	 /* meter name -> PdPromFamily */
	GHashTable *res;	 /* PdPromRes -> itself (interned, weak) */
	GHashTable *idents;	 /* key -> PdPromIdent (weak) */
	GHashTable *md;		 /* PdMetadata -> PdPromMdl (one ref each) */
	GHashTable *units;	 /* interned unit label texts */
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
mdl_unref(PdPromMdl *mdl)
{
	if (--mdl->ref > 0)
		return;
	g_clear_pointer(&mdl->md, pd_metadata_unref);
	g_free(mdl->text);
	g_free(mdl);
}

static void
res_unref(PdPromStore *self, PdPromRes *res)
{
	if (--res->ref > 0)
		return;
	g_hash_table_remove(self->res, res);
	ident_unref(self, res->ident);
	if (res->mdl != NULL)
		mdl_unref(res->mdl);
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
	g_hash_table_unref(f->by_rid);
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
	self->md =
	  g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)mdl_unref);
	self->units = g_hash_table_new(g_str_hash, g_str_equal);
	self->chunks = g_string_chunk_new(1024);
	return self;
}

static void
series_chain_free(PdPromStore *self, PdPromSeries *s)
{
	while (s != NULL) {
		PdPromSeries *next = s->next;
		res_unref(self, s->res);
		g_free(s);
		s = next;
	}
}

static gboolean
drop_family_series_cb(gpointer key, gpointer value, gpointer data)
{
	PdPromFamily *f = value;
	PdPromStore *self = data;
	GHashTableIter iter;
	PdPromSeries *s;

	g_hash_table_iter_init(&iter, f->by_rid);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&s)) {
		g_hash_table_iter_steal(&iter);
		series_chain_free(self, s);
	}
	return FALSE;
}

void
pd_prom_store_free(PdPromStore *self)
{
	if (self == NULL)
		return;
	g_tree_foreach(self->families, drop_family_series_cb, self);
	g_tree_destroy(self->families);
	g_hash_table_unref(self->md);
	g_hash_table_unref(self->res);
	g_hash_table_unref(self->idents);
	g_hash_table_unref(self->units);
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
	f->by_rid = g_hash_table_new(g_str_hash, g_str_equal);
	return f;
}

static const gchar *
intern_unit(PdPromStore *self, const gchar *unit)
{
	g_autoptr(GString) text = NULL;
	const gchar *found;

	if (unit == NULL || unit[0] == '\0')
		return "";
	text = g_string_new(NULL);
	append_label(text, "unit", unit);
	found = g_hash_table_lookup(self->units, text->str);
	if (found == NULL) {
		found = g_string_chunk_insert(self->chunks, text->str);
		g_hash_table_add(self->units, (gpointer)found);
	}
	return found;
}

/* the unit label text of @unit without building it when it is known */
static const gchar *
lookup_unit(PdPromStore *self, const gchar *unit, const gchar *cached_unit)
{
	gsize len;

	if (unit == NULL || unit[0] == '\0')
		return "";
	/* cached_unit is ',unit="<unit>"' for the series found */
	len = strlen(unit);
	if (cached_unit[0] != '\0' && strncmp(cached_unit + 7, unit, len) == 0 &&
	    cached_unit[7 + len] == '"' && cached_unit[8 + len] == '\0')
		return cached_unit;
	return intern_unit(self, unit);
}

static gboolean
ident_matches(const PdPromIdent *ident, const gchar *key)
{
	return ident != NULL && strcmp(ident->key, key) == 0;
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

	if (ident_matches(self->last_ident, key))
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

static PdPromMdl *
mdl_get(PdPromStore *self, PdMetadata *md, gint64 now_us)
{
	PdPromMdl *mdl;

	if (md == NULL)
		return NULL;
	mdl = g_hash_table_lookup(self->md, md);
	if (mdl == NULL) {
		mdl = g_new0(PdPromMdl, 1);
		mdl->ref = 1;
		mdl->md = pd_metadata_ref(md);
		mdl->text = pd_prom_labels_from_metadata(md, "");
		mdl->text_len = strlen(mdl->text);
		g_hash_table_insert(self->md, md, mdl);
	}
	mdl->used_us = now_us;
	return mdl;
}

/* a special family's labels depend on the meter too: not cached */
static PdPromMdl *
mdl_new_special(PdMetadata *md, const gchar *meter)
{
	PdPromMdl *mdl = g_new0(PdPromMdl, 1);

	mdl->ref = 1;
	mdl->text = pd_prom_labels_from_metadata(md, meter);
	mdl->text_len = strlen(mdl->text);
	return mdl;
}

/* takes the ref of @mdl (may be NULL) */
static PdPromRes *
res_get(PdPromStore *self, const gchar *rid, PdPromIdent *ident, PdPromMdl *mdl)
{
	PdPromRes probe = { 0, (gchar *)rid, ident, mdl };
	PdPromRes *res = g_hash_table_lookup(self->res, &probe);

	if (res != NULL) {
		if (mdl != NULL)
			mdl_unref(mdl);
		res->ref++;
		return res;
	}
	res = g_new0(PdPromRes, 1);
	res->ref = 1;
	res->rid = g_strdup(rid);
	res->rid_escaped = escaped(rid);
	res->rid_escaped_len = strlen(res->rid_escaped);
	if (strcmp(res->rid_escaped, rid) == 0)
		g_clear_pointer(&res->rid_escaped, g_free);
	res->ident = ident;
	ident->ref++;
	res->mdl = mdl;
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

static gboolean
add_one(PdPromStore *self, const PdSample *s, gint64 now_us)
{
	const gchar *rid = s->resource_id != NULL ? s->resource_id : "None";
	PdPromFamily *f;
	PdPromIdent *ident;
	PdPromMdl *mdl;
	PdPromSeries *head, *series;
	const gchar *unit;

	if (s->volume_kind == PD_VOLUME_NULL) {
		self->skipped++;
		return FALSE;
	}
	f = family_get(self, s->name);
	ident = ident_get(self, s);
	mdl = f->special ? NULL : mdl_get(self, s->metadata, now_us);
	head = g_hash_table_lookup(f->by_rid, rid);
	unit = lookup_unit(self, s->unit, head != NULL ? head->unit : "");
	for (series = head; series != NULL; series = series->next) {
		/* a special family's labels are derived again each time */
		if (series->unit == unit && series->res->ident == ident &&
		    (f->special || series->res->mdl == mdl))
			break;
	}
	if (series == NULL || f->special) {
		PdPromMdl *new_mdl = f->special ? mdl_new_special(s->metadata, s->name) : mdl;
		PdPromRes *res;
		if (new_mdl != NULL && !f->special)
			new_mdl->ref++;
		res = res_get(self, rid, ident, new_mdl);
		if (series != NULL) {
			res_unref(self, series->res);
			series->res = res;
		} else {
			series = g_new0(PdPromSeries, 1);
			series->res = res;
			series->unit = unit;
			series->next = head;
			g_hash_table_replace(f->by_rid, res->rid, series);
			f->n_series++;
			self->n_series++;
		}
	}
	series->value = s->volume_kind == PD_VOLUME_INT ? (gdouble)s->volume.i : s->volume.d;
	series->seen_us = now_us;
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

/* drops the stale series of one resource's chain; returns the new head */
static PdPromSeries *
expire_chain(PdPromStore *self, PdPromSeries *head, gint64 since_us, guint *removed)
{
	PdPromSeries **link = &head;

	while (*link != NULL) {
		PdPromSeries *s = *link;
		if (s->seen_us >= since_us) {
			link = &s->next;
			continue;
		}
		*link = s->next;
		s->next = NULL;
		series_chain_free(self, s);
		(*removed)++;
	}
	return head;
}

static guint
expire_family(PdPromStore *self, PdPromFamily *f, gint64 since_us)
{
	g_autoptr(GPtrArray) heads = g_ptr_array_new();
	GHashTableIter iter;
	PdPromSeries *head;
	guint removed = 0;

	/* the chain head's res owns the hash key: take them all out first */
	g_hash_table_iter_init(&iter, f->by_rid);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&head)) {
		if (head->seen_us >= since_us && head->next == NULL)
			continue;
		g_ptr_array_add(heads, head);
		g_hash_table_iter_steal(&iter);
	}
	for (guint i = 0; i < heads->len; i++) {
		head = expire_chain(self, g_ptr_array_index(heads, i), since_us, &removed);
		if (head != NULL)
			g_hash_table_insert(f->by_rid, head->res->rid, head);
	}
	f->n_series -= removed;
	return removed;
}

typedef struct {
	PdPromStore *self;
	gint64 since_us;
	guint removed;
	GPtrArray *empty;
} PdExpireAll;

static gboolean
expire_all_cb(gpointer key, gpointer value, gpointer data)
{
	PdExpireAll *e = data;
	PdPromFamily *f = value;

	e->removed += expire_family(e->self, f, e->since_us);
	if (f->n_series == 0)
		g_ptr_array_add(e->empty, f->meter);
	return FALSE;
}

static void
prune_metadata(PdPromStore *self, gint64 since_us)
{
	GHashTableIter iter;
	PdPromMdl *mdl;

	g_hash_table_iter_init(&iter, self->md);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&mdl)) {
		if (mdl->used_us >= since_us)
			continue;
		/* resources may keep the text; the metadata itself goes */
		g_clear_pointer(&mdl->md, pd_metadata_unref);
		g_hash_table_iter_remove(&iter);
	}
}

guint
pd_prom_store_expire(PdPromStore *self, const gchar *const *meters, gint64 since_us)
{
	PdExpireAll e = { self, since_us, 0, g_ptr_array_new() };

	g_mutex_lock(&self->lock);
	if (meters == NULL) {
		g_tree_foreach(self->families, expire_all_cb, &e);
	} else {
		for (guint i = 0; meters[i] != NULL; i++) {
			PdPromFamily *f = g_tree_lookup(self->families, meters[i]);
			if (f != NULL)
				expire_all_cb(f->meter, f, &e);
		}
	}
	for (guint i = 0; i < e.empty->len; i++)
		g_tree_remove(self->families, g_ptr_array_index(e.empty, i));
	self->n_series -= e.removed;
	prune_metadata(self, since_us);
	g_mutex_unlock(&self->lock);
	g_ptr_array_unref(e.empty);
	return e.removed;
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
	len = pd_format_double(v, buf);
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
render_series(PdPromFamily *f, const PdPromSeries *s, GString *out)
{
	const PdPromRes *res = s->res;
	const gchar *rid = res->rid_escaped != NULL ? res->rid_escaped : res->rid;
	gsize rid_len = res->rid_escaped_len;
	gsize unit_len = strlen(s->unit);
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
	w = put(w, s->unit, unit_len);
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
render_family(PdPromFamily *f, GString *out)
{
	GHashTableIter iter;
	PdPromSeries *s;

	g_string_append_printf(out, "# HELP %s Ceilometer meter %s\n", f->metric, f->meter);
	g_string_append_printf(out, "# TYPE %s gauge\n", f->metric);
	g_hash_table_iter_init(&iter, f->by_rid);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&s)) {
		for (; s != NULL; s = s->next)
			render_series(f, s, out);
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
		render_family(f, out);
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
