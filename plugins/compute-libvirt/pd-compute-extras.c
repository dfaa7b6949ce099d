/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <string.h>

#include "pd-compute-extras.h"

/* ---- the parse: Ceilometer 25's discovery, key by key ---- */

/* a dict being filled: names and values interned, a repeated name keeps its
 * first position and takes the last value (Python's dict) */
typedef struct {
	GPtrArray *names;
	GPtrArray *values;
} PdExtrasDict;

static void
pd_extras_dict_init(PdExtrasDict *d)
{
	d->names = g_ptr_array_new_with_free_func(pd_compute_xml_release_interned);
	d->values = g_ptr_array_new_with_free_func(pd_compute_xml_release_interned);
}

static void
pd_extras_dict_clear(PdExtrasDict *d)
{
	g_clear_pointer(&d->names, g_ptr_array_unref);
	g_clear_pointer(&d->values, g_ptr_array_unref);
}

/* takes @name and @value */
static void
pd_extras_dict_set(PdExtrasDict *d, gchar *name, gchar *value)
{
	guint idx;

	name = pd_compute_xml_intern(name);
	value = pd_compute_xml_intern(value);
	if (g_ptr_array_find(d->names, name, &idx)) {
		pd_compute_xml_release_interned(name);
		pd_compute_xml_release_interned(g_ptr_array_index(d->values, idx));
		g_ptr_array_index(d->values, idx) = value;
		return;
	}
	g_ptr_array_add(d->names, name);
	g_ptr_array_add(d->values, value);
}

/* lxml's .text: None for an element without text */
static gchar *
pd_extras_text(PdComputeXml *x, gconstpointer node)
{
	gchar *text = pd_compute_xml_text(x, node);

	if (text != NULL && text[0] == '\0')
		g_clear_pointer(&text, g_free);
	return text;
}

/* the children named @name of @parent, each as @name="..." -> its text;
 * one without a name attribute is skipped (Ceilometer's discovery fails
 * on it with a KeyError, for every domain of the host) */
static void
pd_extras_named_children(PdExtrasDict *d,
			 PdComputeXml *x,
			 gconstpointer parent,
			 const gchar *name,
			 const gchar *ns)
{
	for (gconstpointer n = pd_compute_xml_first(x, parent); n != NULL;
	     n = pd_compute_xml_next(x, n)) {
		gchar *key;
		if (!pd_compute_xml_is(x, n, name, ns))
			continue;
		key = pd_compute_xml_prop(x, n, "name");
		if (key != NULL)
			pd_extras_dict_set(d, key, pd_extras_text(x, n));
	}
}

/* the image meta keys that are elements of their own in Nova's XML (its
 * SM_INHERITABLE_KEYS), in Ceilometer's order */
static const struct {
	const gchar *key;
	const gchar *element;
} pd_extras_image_keys[] = {
	{ "container_format", "containerFormat" },
	{ "disk_format", "diskFormat" },
	{ "min_disk", "minDisk" },
	{ "min_ram", "minRam" },
};

static void
pd_extras_parse_image(PdExtrasDict *d, PdComputeXml *x, gconstpointer image, const gchar *ns)
{
	gchar *uuid = pd_compute_xml_prop(x, image, "uuid");

	/* Nova writes uuid="" for an instance booted from a volume: kept */
	if (uuid != NULL)
		pd_extras_dict_set(d, g_strdup("base_image_ref"), uuid);
	for (guint i = 0; i < G_N_ELEMENTS(pd_extras_image_keys); i++) {
		gconstpointer n =
		  pd_compute_xml_child(x, image, pd_extras_image_keys[i].element, ns);
		if (n != NULL)
			pd_extras_dict_set(
			  d, g_strdup(pd_extras_image_keys[i].key), pd_extras_text(x, n));
	}
	pd_extras_named_children(
	  d, x, pd_compute_xml_child(x, image, "properties", ns), "property", ns);
}

/* ---- interning: one copy for the domains of the same flavor and image ---- */

static GMutex pd_extras_lock;
static GHashTable *pd_extras_table; /* PdComputeExtras -> itself */

static guint
pd_extras_len(const PdComputeExtras *e)
{
	return 2 * ((guint)MAX(e->n_specs, 0) + e->n_image);
}

static guint
pd_extras_hash(gconstpointer key)
{
	const PdComputeExtras *e = key;
	guint h = (guint)e->n_specs * 2654435761u ^ e->n_image;

	for (guint i = 0; i < pd_extras_len(e); i++)
		h = h * 31 + g_direct_hash(e->kv[i]);
	return h;
}

static gboolean
pd_extras_equal(gconstpointer a, gconstpointer b)
{
	const PdComputeExtras *x = a, *y = b;

	return x->n_specs == y->n_specs && x->n_image == y->n_image &&
	       memcmp(x->kv, y->kv, pd_extras_len(x) * sizeof(gchar *)) == 0;
}

static void
pd_extras_free(PdComputeExtras *e)
{
	for (guint i = 0; i < pd_extras_len(e); i++)
		pd_compute_xml_release_interned((gpointer)e->kv[i]);
	g_free(e);
}

/* moves @d's names and values into @kv, pair by pair */
static void
pd_extras_dict_move(PdExtrasDict *d, const gchar **kv)
{
	for (guint i = 0; d->names != NULL && i < d->names->len; i++) {
		kv[2 * i] = g_ptr_array_index(d->names, i);
		kv[2 * i + 1] = g_ptr_array_index(d->values, i);
		g_ptr_array_index(d->names, i) = NULL;
		g_ptr_array_index(d->values, i) = NULL;
	}
}

/* takes the strings of @specs (no arrays: no extraSpecs element) and @image */
static const PdComputeExtras *
pd_extras_intern_dicts(PdExtrasDict *specs, PdExtrasDict *image)
{
	guint n_specs = specs->names != NULL ? specs->names->len : 0;
	guint n_image = image->names->len;
	PdComputeExtras *e =
	  g_malloc(sizeof(PdComputeExtras) + 2 * (n_specs + n_image) * sizeof(gchar *));
	PdComputeExtras *found;

	e->ref_count = 1;
	e->n_specs = specs->names != NULL ? (gint)n_specs : -1;
	e->n_image = n_image;
	pd_extras_dict_move(specs, e->kv);
	pd_extras_dict_move(image, e->kv + 2 * n_specs);
	g_mutex_lock(&pd_extras_lock);
	if (pd_extras_table == NULL)
		pd_extras_table = g_hash_table_new(pd_extras_hash, pd_extras_equal);
	found = g_hash_table_lookup(pd_extras_table, e);
	if (found != NULL) {
		found->ref_count++;
		g_mutex_unlock(&pd_extras_lock);
		pd_extras_free(e);
		return found;
	}
	g_hash_table_add(pd_extras_table, e);
	g_mutex_unlock(&pd_extras_lock);
	return e;
}

const PdComputeExtras *
pd_compute_extras_parse(PdComputeXml *x, gconstpointer nova, gconstpointer flavor, const gchar *ns)
{
	/* both looked for as Ceilometer does: the first of each */
	gconstpointer specs_node = pd_compute_xml_child(x, flavor, "extraSpecs", ns);
	gconstpointer image_node = pd_compute_xml_child(x, nova, "image", ns);
	PdExtrasDict specs = { NULL, NULL }, image;
	const PdComputeExtras *e = NULL;

	if (specs_node == NULL && image_node == NULL)
		return NULL;
	pd_extras_dict_init(&image);
	if (specs_node != NULL) {
		pd_extras_dict_init(&specs);
		pd_extras_named_children(&specs, x, specs_node, "extraSpec", ns);
	}
	if (image_node != NULL)
		pd_extras_parse_image(&image, x, image_node, ns);
	/* an empty image meta is no key (Ceilometer's util drops a falsy one) */
	if (specs_node != NULL || image.names->len > 0)
		e = pd_extras_intern_dicts(&specs, &image);
	pd_extras_dict_clear(&specs);
	pd_extras_dict_clear(&image);
	return e;
}

void
pd_compute_extras_unref(const PdComputeExtras *extras)
{
	PdComputeExtras *e = (PdComputeExtras *)extras;

	if (e == NULL)
		return;
	g_mutex_lock(&pd_extras_lock);
	if (--e->ref_count > 0) {
		g_mutex_unlock(&pd_extras_lock);
		return;
	}
	g_hash_table_remove(pd_extras_table, e);
	g_mutex_unlock(&pd_extras_lock);
	pd_extras_free(e);
}

/* ---- rendering ---- */

static void
pd_extras_add_object(PdMetadataBuilder *b, const gchar *key, const gchar *const *kv, guint n)
{
	pd_metadata_builder_begin_object(b, key);
	for (guint i = 0; i < n; i++)
		pd_metadata_builder_add_string(b, kv[2 * i], kv[2 * i + 1]);
	pd_metadata_builder_end_object(b);
}

void
pd_compute_extras_add_specs(PdMetadataBuilder *b, const PdComputeExtras *extras)
{
	if (extras == NULL || extras->n_specs < 0)
		return;
	/* present and empty ({}) when Nova wrote an empty extraSpecs element */
	pd_extras_add_object(b, "extra_specs", extras->kv, (guint)extras->n_specs);
}

void
pd_compute_extras_add_image_meta(PdMetadataBuilder *b, const PdComputeExtras *extras)
{
	if (extras == NULL || extras->n_image == 0)
		return;
	pd_extras_add_object(
	  b, "image_meta", extras->kv + 2 * MAX(extras->n_specs, 0), extras->n_image);
}
