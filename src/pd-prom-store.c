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
#include "pd-serializer-private.h"

typedef struct {
	gint ref;
	gchar *key;   /* resource id, ident and tail, for interning */
	gchar *rid;   /* the resource id, escaped */
	gchar *ident; /* ,project=..,project_name=..,user=..,user_name=.. */
	gchar *tail;  /* ,resource=.. and the metadata labels */
} PdPromRes;

typedef struct {
	PdPromRes *res;
	const gchar *unit; /* ,unit=".." or "", interned */
	gdouble value;
	gint64 seen_us;
} PdPromSeries;

typedef struct {
	gchar *meter;
	gchar *metric;	    /* ceilometer_... */
	gchar *first_label; /* the first name part, as a label name */
	gchar *first_value; /* the third name part escaped, or NULL: the resource id */
	gchar *mid;	    /* ,publisher=..,type=..,counter=.. */
	GHashTable *series; /* set of PdPromSeries */
} PdPromFamily;

typedef struct {
	gchar *labels;
	gint64 used_us;
} PdPromMdLabels;

struct _PdPromStore {
	GMutex lock;
	GTree *families;      /* meter name -> PdPromFamily */
	GHashTable *res;      /* key -> PdPromRes (weak: a res lives while series use it) */
	GHashTable *md;	      /* PdMetadata (a ref) -> PdPromMdLabels */
	GHashTable *units;    /* interned unit label texts */
	GStringChunk *chunks; /* their storage */
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
res_unref(PdPromStore *self, PdPromRes *res)
{
	if (--res->ref > 0)
		return;
	g_hash_table_remove(self->res, res->key);
	g_free(res->key);
	g_free(res->rid);
	g_free(res->ident);
	g_free(res->tail);
	g_free(res);
}

static guint
series_hash(gconstpointer p)
{
	const PdPromSeries *s = p;

	return g_direct_hash(s->res) ^ g_direct_hash(s->unit);
}

static gboolean
series_equal(gconstpointer a, gconstpointer b)
{
	const PdPromSeries *x = a, *y = b;

	return x->res == y->res && x->unit == y->unit;
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
	g_hash_table_unref(f->series);
	g_free(f);
}

static void
md_labels_free(gpointer p)
{
	PdPromMdLabels *l = p;

	g_free(l->labels);
	g_free(l);
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
	self->res = g_hash_table_new(g_str_hash, g_str_equal);
	self->md = g_hash_table_new_full(
	  g_direct_hash, g_direct_equal, (GDestroyNotify)pd_metadata_unref, md_labels_free);
	self->units = g_hash_table_new(g_str_hash, g_str_equal);
	self->chunks = g_string_chunk_new(1024);
	return self;
}

static gboolean
drop_family_series_cb(gpointer key, gpointer value, gpointer data)
{
	PdPromFamily *f = value;
	PdPromStore *self = data;
	GHashTableIter iter;
	PdPromSeries *s;

	g_hash_table_iter_init(&iter, f->series);
	while (g_hash_table_iter_next(&iter, (gpointer *)&s, NULL)) {
		res_unref(self, s->res);
		g_free(s);
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
	g_hash_table_unref(self->res);
	g_hash_table_unref(self->md);
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
	g_string_append_printf(out, ",%s=\"", name);
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
	f->series = g_hash_table_new(series_hash, series_equal);
	return f;
}

static const gchar *
intern_unit(PdPromStore *self, const gchar *unit)
{
	g_autoptr(GString) text = g_string_new(NULL);
	const gchar *found;

	if (unit != NULL && unit[0] != '\0')
		append_label(text, "unit", unit);
	found = g_hash_table_lookup(self->units, text->str);
	if (found == NULL) {
		found = g_string_chunk_insert(self->chunks, text->str);
		g_hash_table_add(self->units, (gpointer)found);
	}
	return found;
}

static const gchar *
metadata_labels(PdPromStore *self, PdMetadata *md, const gchar *meter, gint64 now_us, gchar **owned)
{
	PdPromMdLabels *l;

	/* two meter families get labels of their own; everything else shares */
	if (g_str_has_prefix(meter, "loadbalancer") || strcmp(meter, "volume.service.health") == 0)
		return *owned = pd_prom_labels_from_metadata(md, meter);
	if (md == NULL)
		return "";
	l = g_hash_table_lookup(self->md, md);
	if (l == NULL) {
		l = g_new0(PdPromMdLabels, 1);
		l->labels = pd_prom_labels_from_metadata(md, meter);
		g_hash_table_insert(self->md, pd_metadata_ref(md), l);
	}
	l->used_us = now_us;
	return l->labels;
}

static gboolean
is_set(const gchar *s)
{
	return s != NULL && s[0] != '\0';
}

static PdPromRes *
res_get(PdPromStore *self, const PdSample *s, gint64 now_us)
{
	g_autofree gchar *md_owned = NULL;
	const gchar *md_labels = metadata_labels(self, s->metadata, s->name, now_us, &md_owned);
	g_autoptr(GString) ident = g_string_new(NULL);
	g_autoptr(GString) tail = g_string_new(NULL);
	g_autofree gchar *key = NULL;
	PdPromRes *res;

	if (is_set(s->project_id))
		append_label(ident, "project", s->project_id);
	if (is_set(s->project_name))
		append_label(ident, "project_name", s->project_name);
	if (is_set(s->user_id))
		append_label(ident, "user", s->user_id);
	if (is_set(s->user_name))
		append_label(ident, "user_name", s->user_name);
	if (is_set(s->resource_id))
		append_label(tail, "resource", s->resource_id);
	g_string_append(tail, md_labels);
	key = g_strjoin("\x1f", s->resource_id ? s->resource_id : "", ident->str, tail->str, NULL);
	res = g_hash_table_lookup(self->res, key);
	if (res != NULL) {
		res->ref++;
		return res;
	}
	res = g_new0(PdPromRes, 1);
	res->ref = 1;
	res->key = g_steal_pointer(&key);
	/* Ceilometer puts None there for a sample without a resource id */
	res->rid = escaped(s->resource_id != NULL ? s->resource_id : "None");
	res->ident = g_string_free(g_steal_pointer(&ident), FALSE);
	res->tail = g_string_free(g_steal_pointer(&tail), FALSE);
	g_hash_table_insert(self->res, res->key, res);
	return res;
}

static void
add_one(PdPromStore *self, const PdSample *s, gint64 now_us)
{
	PdPromFamily *f;
	PdPromSeries probe, *series;

	if (s->volume_kind == PD_VOLUME_NULL) {
		self->skipped++;
		return;
	}
	f = g_tree_lookup(self->families, s->name);
	if (f == NULL) {
		f = family_new(s->name);
		g_tree_insert(self->families, f->meter, f);
	}
	probe.res = res_get(self, s, now_us);
	probe.unit = intern_unit(self, s->unit);
	series = g_hash_table_lookup(f->series, &probe);
	if (series != NULL) {
		res_unref(self, probe.res); /* the series holds one already */
	} else {
		series = g_memdup2(&probe, sizeof(probe));
		g_hash_table_add(f->series, series);
		self->n_series++;
	}
	series->value = s->volume_kind == PD_VOLUME_INT ? (gdouble)s->volume.i : s->volume.d;
	series->seen_us = now_us;
}

void
pd_prom_store_add(PdPromStore *self, PdSample *const *samples, guint n_samples, gint64 now_us)
{
	g_mutex_lock(&self->lock);
	for (guint i = 0; i < n_samples; i++)
		add_one(self, samples[i], now_us);
	g_mutex_unlock(&self->lock);
}

static guint
expire_family(PdPromStore *self, PdPromFamily *f, gint64 since_us)
{
	GHashTableIter iter;
	PdPromSeries *s;
	guint n = 0;

	g_hash_table_iter_init(&iter, f->series);
	while (g_hash_table_iter_next(&iter, (gpointer *)&s, NULL)) {
		if (s->seen_us >= since_us)
			continue;
		g_hash_table_iter_remove(&iter);
		res_unref(self, s->res);
		g_free(s);
		n++;
	}
	return n;
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
	if (g_hash_table_size(f->series) == 0)
		g_ptr_array_add(e->empty, f->meter);
	return FALSE;
}

static void
prune_metadata(PdPromStore *self, gint64 since_us)
{
	GHashTableIter iter;
	PdPromMdLabels *l;

	g_hash_table_iter_init(&iter, self->md);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&l)) {
		if (l->used_us < since_us)
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
 * the non-finite values */
static void
append_value(GString *out, gdouble v)
{
	gchar buf[40];
	const gchar *dot;
	gsize len;

	if (isnan(v)) {
		g_string_append(out, "NaN");
		return;
	}
	if (isinf(v)) {
		g_string_append(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	len = pd_format_double(v, buf);
	dot = strchr(buf, '.');
	if (v > 0 && dot != NULL && dot - buf > 6 && strchr(buf, 'e') == NULL) {
		gsize ndot = (gsize)(dot - buf);
		g_autoptr(GString) m = g_string_new(NULL);
		g_string_append_c(m, buf[0]);
		g_string_append_c(m, '.');
		g_string_append_len(m, buf + 1, (gssize)(ndot - 1));
		g_string_append(m, dot + 1);
		while (m->len > 0 && (m->str[m->len - 1] == '0' || m->str[m->len - 1] == '.'))
			g_string_truncate(m, m->len - 1);
		g_string_append_printf(out, "%se+0%" G_GSIZE_FORMAT, m->str, ndot - 1);
		return;
	}
	g_string_append_len(out, buf, (gssize)len);
}

static gint
series_cmp(gconstpointer a, gconstpointer b)
{
	const PdPromSeries *x = *(PdPromSeries *const *)a;
	const PdPromSeries *y = *(PdPromSeries *const *)b;
	gint c = strcmp(x->res->key, y->res->key);

	return c != 0 ? c : strcmp(x->unit, y->unit);
}

static void
render_family(PdPromFamily *f, GString *out)
{
	g_autoptr(GPtrArray) sorted = g_ptr_array_sized_new(g_hash_table_size(f->series));
	GHashTableIter iter;
	gpointer s;

	g_hash_table_iter_init(&iter, f->series);
	while (g_hash_table_iter_next(&iter, &s, NULL))
		g_ptr_array_add(sorted, s);
	/* a stable order makes successive scrapes comparable */
	g_ptr_array_sort(sorted, series_cmp);
	g_string_append_printf(out, "# HELP %s Ceilometer meter %s\n", f->metric, f->meter);
	g_string_append_printf(out, "# TYPE %s gauge\n", f->metric);
	for (guint i = 0; i < sorted->len; i++) {
		const PdPromSeries *series = g_ptr_array_index(sorted, i);
		g_string_append(out, f->metric);
		g_string_append_c(out, '{');
		g_string_append(out, f->first_label);
		g_string_append(out, "=\"");
		g_string_append(out, f->first_value != NULL ? f->first_value : series->res->rid);
		g_string_append_c(out, '"');
		g_string_append(out, f->mid);
		g_string_append(out, series->res->ident);
		g_string_append(out, series->unit);
		g_string_append(out, series->res->tail);
		g_string_append(out, "} ");
		append_value(out, series->value);
		g_string_append_c(out, '\n');
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
