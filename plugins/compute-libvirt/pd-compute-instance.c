/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <string.h>

#include "pd-error.h"
#include "pd-slab.h"
#include "pd-compute-instance.h"
#include "pd-compute-xml.h"

/* the strings many domains repeat (flavor, owner, image, os, device and
 * parameter names) are interned: one copy for all, released with
 * g_ref_string_release() */
/* like Ceilometer's _safe_find_int: a missing element counts as 0 */
static gint64
pd_xml_child_int(PdComputeXml *x, gconstpointer parent, const gchar *name, const gchar *ns)
{
	g_autofree gchar *text = pd_compute_xml_text(x, pd_compute_xml_child(x, parent, name, ns));
	return text != NULL ? g_ascii_strtoll(g_strstrip(text), NULL, 10) : 0;
}

/* ---- what the parse finds, before it is packed ---- */

typedef struct {
	gchar *name;
	gchar *mac;
	gchar *fref;
	GPtrArray *param_names; /* interned */
	GPtrArray *param_values;
} PdComputeVnicDraft;

/* a profile with extras: the profile, then them */
typedef struct {
	PdComputeProfile p;
	const PdComputeExtras *extras;
} PdComputeProfileExt;

const PdComputeExtras *
pd_compute_instance_profile_get_extras(const PdComputeProfile *profile)
{
	return profile->has_extras ? ((const PdComputeProfileExt *)profile)->extras : NULL;
}

typedef struct {
	gchar *uuid;
	gchar *domain_name;
	gchar *display_name;
	PdComputeProfileExt profile; /* its strings interned; not interned itself yet */
	GPtrArray *disks;	     /* interned dev strings */
	GPtrArray *vnics;	     /* PdComputeVnicDraft */
	gboolean no_balloon;
} PdComputeDraft;

static void
pd_compute_vnic_draft_free(PdComputeVnicDraft *vnic)
{
	g_free(vnic->name);
	g_free(vnic->mac);
	g_free(vnic->fref);
	g_ptr_array_unref(vnic->param_names);
	g_ptr_array_unref(vnic->param_values);
	g_free(vnic);
}

static void
pd_compute_profile_clear(PdComputeProfile *p)
{
	g_clear_pointer(&p->flavor_name, pd_compute_xml_release_interned);
	g_clear_pointer(&p->flavor_id, pd_compute_xml_release_interned);
	g_clear_pointer(&p->user_id, pd_compute_xml_release_interned);
	g_clear_pointer(&p->user_name, pd_compute_xml_release_interned);
	g_clear_pointer(&p->project_id, pd_compute_xml_release_interned);
	g_clear_pointer(&p->project_name, pd_compute_xml_release_interned);
	g_clear_pointer(&p->image_id, pd_compute_xml_release_interned);
	g_clear_pointer(&p->os_type, pd_compute_xml_release_interned);
	g_clear_pointer(&p->architecture, pd_compute_xml_release_interned);
	if (p->has_extras) {
		PdComputeProfileExt *ext = (PdComputeProfileExt *)p;
		g_clear_pointer(&ext->extras, pd_compute_extras_unref);
		p->has_extras = FALSE;
	}
}

static PdComputeDraft *
pd_compute_draft_new(void)
{
	PdComputeDraft *d = g_new0(PdComputeDraft, 1);

	d->disks = g_ptr_array_new_with_free_func((GDestroyNotify)pd_compute_xml_release_interned);
	d->vnics = g_ptr_array_new_with_free_func((GDestroyNotify)pd_compute_vnic_draft_free);
	return d;
}

static void
pd_compute_draft_free(PdComputeDraft *d)
{
	g_free(d->uuid);
	g_free(d->domain_name);
	g_free(d->display_name);
	pd_compute_profile_clear(&d->profile.p);
	g_ptr_array_unref(d->disks);
	g_ptr_array_unref(d->vnics);
	g_free(d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdComputeDraft, pd_compute_draft_free)

static void
pd_compute_vnic_set_param(PdComputeVnicDraft *vnic, gchar *name, gchar *value)
{
	guint idx;

	/* a dict update: a repeated name keeps its first position */
	if (g_ptr_array_find_with_equal_func(vnic->param_names, name, g_str_equal, &idx)) {
		pd_compute_xml_release_interned(name);
		pd_compute_xml_release_interned(g_ptr_array_index(vnic->param_values, idx));
		g_ptr_array_index(vnic->param_values, idx) = value;
		return;
	}
	g_ptr_array_add(vnic->param_names, name);
	g_ptr_array_add(vnic->param_values, value);
}

static void
pd_compute_vnic_parse_params(PdComputeVnicDraft *vnic, PdComputeXml *x, gconstpointer iface)
{
	gconstpointer fref = pd_compute_xml_child(x, iface, "filterref", NULL);
	gconstpointer vport = pd_compute_xml_child(x, iface, "virtualport", NULL);

	for (gconstpointer p = pd_compute_xml_first(x, fref); p != NULL;
	     p = pd_compute_xml_next(x, p)) {
		g_autofree gchar *name = NULL;
		if (!pd_compute_xml_is(x, p, "parameter", NULL))
			continue;
		name = pd_compute_xml_prop(x, p, "name");
		pd_compute_vnic_set_param(
		  vnic,
		  pd_compute_xml_intern(g_ascii_strdown(name != NULL ? name : "", -1)),
		  pd_compute_xml_intern(pd_compute_xml_prop(x, p, "value")));
	}
	pd_compute_vnic_set_param(
	  vnic,
	  g_ref_string_new_intern("interfaceid"),
	  pd_compute_xml_intern(pd_compute_xml_prop(
	    x, pd_compute_xml_child(x, vport, "parameters", NULL), "interfaceid")));
	pd_compute_vnic_set_param(vnic,
				  g_ref_string_new_intern("bridge"),
				  pd_compute_xml_intern(pd_compute_xml_prop(
				    x, pd_compute_xml_child(x, iface, "source", NULL), "bridge")));
}

static PdComputeVnicDraft *
pd_compute_vnic_parse(PdComputeXml *x, gconstpointer iface)
{
	g_autofree gchar *name =
	  pd_compute_xml_prop(x, pd_compute_xml_child(x, iface, "target", NULL), "dev");
	g_autofree gchar *mac =
	  pd_compute_xml_prop(x, pd_compute_xml_child(x, iface, "mac", NULL), "address");
	PdComputeVnicDraft *vnic;

	/* Ceilometer skips interfaces without a target or a MAC */
	if (name == NULL || mac == NULL)
		return NULL;
	vnic = g_new0(PdComputeVnicDraft, 1);
	vnic->name = g_steal_pointer(&name);
	vnic->mac = g_steal_pointer(&mac);
	vnic->fref =
	  pd_compute_xml_prop(x, pd_compute_xml_child(x, iface, "filterref", NULL), "filter");
	vnic->param_names =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_compute_xml_release_interned);
	vnic->param_values =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_compute_xml_release_interned);
	pd_compute_vnic_parse_params(vnic, x, iface);
	return vnic;
}

static void
pd_compute_draft_parse_devices(PdComputeDraft *d, PdComputeXml *x, gconstpointer devices)
{
	for (gconstpointer n = pd_compute_xml_first(x, devices); n != NULL;
	     n = pd_compute_xml_next(x, n)) {
		if (pd_compute_xml_is(x, n, "disk", NULL)) {
			/* only disks with a source: an empty cdrom has no stats */
			g_autofree gchar *dev =
			  pd_compute_xml_prop(x, pd_compute_xml_child(x, n, "target", NULL), "dev");
			if (dev != NULL && dev[0] != '\0' &&
			    pd_compute_xml_child(x, n, "source", NULL) != NULL)
				g_ptr_array_add(d->disks,
						pd_compute_xml_intern(g_steal_pointer(&dev)));
		} else if (pd_compute_xml_is(x, n, "interface", NULL)) {
			PdComputeVnicDraft *vnic = pd_compute_vnic_parse(x, n);
			if (vnic != NULL)
				g_ptr_array_add(d->vnics, vnic);
		} else if (pd_compute_xml_is(x, n, "memballoon", NULL)) {
			g_autofree gchar *model = pd_compute_xml_prop(x, n, "model");
			d->no_balloon = g_strcmp0(model, "none") == 0;
		}
	}
}

static gconstpointer
pd_compute_find_nova(PdComputeXml *x, gconstpointer domain)
{
	gconstpointer metadata = pd_compute_xml_child(x, domain, "metadata", NULL);
	gconstpointer nova = pd_compute_xml_child(x, metadata, "instance", PD_COMPUTE_NOVA_NS_1_1);

	return nova != NULL ? nova
			    : pd_compute_xml_child(x, metadata, "instance", PD_COMPUTE_NOVA_NS_1_0);
}

static void
pd_compute_profile_parse_flavor(PdComputeProfile *p,
				PdComputeXml *x,
				gconstpointer flavor,
				const gchar *ns)
{
	p->flavor_name = pd_compute_xml_intern(pd_compute_xml_prop(x, flavor, "name"));
	p->flavor_id = pd_compute_xml_prop(x, flavor, "id");
	/* Ceilometer takes the id from the XML when it is not empty */
	if (p->flavor_id != NULL && p->flavor_id[0] == '\0')
		g_clear_pointer(&p->flavor_id, g_free);
	p->flavor_id = pd_compute_xml_intern(p->flavor_id);
	p->vcpus = pd_xml_child_int(x, flavor, "vcpus", ns);
	p->memory_mb = pd_xml_child_int(x, flavor, "memory", ns);
	p->disk_gb = pd_xml_child_int(x, flavor, "disk", ns);
	p->ephemeral_gb = pd_xml_child_int(x, flavor, "ephemeral", ns);
	p->swap_mb = pd_xml_child_int(x, flavor, "swap", ns);
}

static gboolean
pd_compute_draft_parse_nova(PdComputeDraft *d, PdComputeXml *x, gconstpointer nova, GError **error)
{
	const gchar *ns = pd_compute_xml_ns(x, nova);
	PdComputeProfile *p = &d->profile.p;
	gconstpointer flavor = pd_compute_xml_child(x, nova, "flavor", ns);
	gconstpointer owner = pd_compute_xml_child(x, nova, "owner", ns);
	gconstpointer user = pd_compute_xml_child(x, owner, "user", ns);
	gconstpointer project = pd_compute_xml_child(x, owner, "project", ns);
	gconstpointer name = pd_compute_xml_child(x, nova, "name", ns);

	p->user_id = pd_compute_xml_intern(pd_compute_xml_prop(x, user, "uuid"));
	p->project_id = pd_compute_xml_intern(pd_compute_xml_prop(x, project, "uuid"));
	/* the fields Ceilometer refuses to do without */
	if (flavor == NULL || p->user_id == NULL || p->project_id == NULL || name == NULL ||
	    p->architecture == NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_FAILED,
			    "domain %s: Nova metadata lacks flavor, owner, name or os arch",
			    d->uuid);
		return FALSE;
	}
	pd_compute_profile_parse_flavor(p, x, flavor, ns);
	d->profile.extras = pd_compute_extras_parse(x, nova, flavor, ns);
	p->has_extras = d->profile.extras != NULL;
	d->display_name = pd_compute_xml_text(x, name);
	p->user_name = pd_compute_xml_intern(pd_compute_xml_text(x, user));
	p->project_name = pd_compute_xml_intern(pd_compute_xml_text(x, project));
	for (gconstpointer n = pd_compute_xml_first(x, nova); n != NULL;
	     n = pd_compute_xml_next(x, n)) {
		g_autofree gchar *type = NULL;
		if (!pd_compute_xml_is(x, n, "root", ns))
			continue;
		type = pd_compute_xml_prop(x, n, "type");
		if (g_strcmp0(type, "image") == 0) {
			p->image_id = pd_compute_xml_intern(pd_compute_xml_prop(x, n, "uuid"));
			break;
		}
	}
	return TRUE;
}

/* ---- profiles: one for the instances of the same flavor, owner... ---- */

static GMutex pd_compute_profiles_lock;
static GHashTable *pd_compute_profiles; /* PdComputeProfile -> itself */

/* its strings are interned: equal strings are the same pointer */
static guint
pd_compute_profile_hash(gconstpointer key)
{
	const PdComputeProfile *p = key;
	const gchar *strs[] = { p->flavor_name, p->flavor_id,	 p->user_id,
				p->user_name,	p->project_id,	 p->project_name,
				p->image_id,	p->architecture, p->os_type };
	guint h = (guint)(p->vcpus ^ (p->memory_mb << 7) ^ (p->disk_gb << 17) ^
			  (p->ephemeral_gb << 3) ^ (p->swap_mb << 11));

	for (guint i = 0; i < G_N_ELEMENTS(strs); i++)
		h = h * 31 + g_direct_hash(strs[i]);
	return h;
}

static gboolean
pd_compute_profile_equal(gconstpointer a, gconstpointer b)
{
	const PdComputeProfile *x = a, *y = b;

	return x->flavor_name == y->flavor_name && x->flavor_id == y->flavor_id &&
	       x->vcpus == y->vcpus && x->memory_mb == y->memory_mb && x->disk_gb == y->disk_gb &&
	       x->ephemeral_gb == y->ephemeral_gb && x->swap_mb == y->swap_mb &&
	       x->user_id == y->user_id && x->user_name == y->user_name &&
	       x->project_id == y->project_id && x->project_name == y->project_name &&
	       x->image_id == y->image_id && x->os_type == y->os_type &&
	       x->architecture == y->architecture &&
	       pd_compute_instance_profile_get_extras(x) ==
		 pd_compute_instance_profile_get_extras(y);
}

/* the shared profile equal to @draft's, whose strings it takes */
static const PdComputeProfile *
pd_compute_profile_intern(PdComputeProfile *draft)
{
	PdComputeProfile *p;

	g_mutex_lock(&pd_compute_profiles_lock);
	if (pd_compute_profiles == NULL)
		pd_compute_profiles =
		  g_hash_table_new(pd_compute_profile_hash, pd_compute_profile_equal);
	p = g_hash_table_lookup(pd_compute_profiles, draft);
	if (p != NULL) {
		p->ref_count++;
		g_mutex_unlock(&pd_compute_profiles_lock);
		pd_compute_profile_clear(draft);
		return p;
	}
	/* the extras only where there are some */
	p = g_memdup2(draft, draft->has_extras ? sizeof(PdComputeProfileExt) : sizeof(*draft));
	p->ref_count = 1;
	g_hash_table_add(pd_compute_profiles, p);
	g_mutex_unlock(&pd_compute_profiles_lock);
	memset(draft, 0, draft->has_extras ? sizeof(PdComputeProfileExt) : sizeof(*draft));
	return p;
}

const PdComputeProfile *
pd_compute_instance_profile_ref(const PdComputeProfile *profile)
{
	PdComputeProfile *p = (PdComputeProfile *)profile;

	g_mutex_lock(&pd_compute_profiles_lock);
	p->ref_count++;
	g_mutex_unlock(&pd_compute_profiles_lock);
	return p;
}

void
pd_compute_instance_profile_unref(const PdComputeProfile *profile)
{
	PdComputeProfile *p = (PdComputeProfile *)profile;

	g_mutex_lock(&pd_compute_profiles_lock);
	if (--p->ref_count > 0) {
		g_mutex_unlock(&pd_compute_profiles_lock);
		return;
	}
	g_hash_table_remove(pd_compute_profiles, p);
	g_mutex_unlock(&pd_compute_profiles_lock);
	pd_compute_profile_clear(p);
	g_free(p);
}

/* ---- packing: one allocation per instance ---- */

static gsize
pd_str_size(const gchar *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static gchar *
pd_str_put(gchar **w, const gchar *s)
{
	gchar *at = *w;
	gsize size = pd_str_size(s);

	if (s == NULL)
		return NULL;
	memcpy(at, s, size);
	*w += size;
	return at;
}

/* the arrays first (pointer aligned), then the own strings */
static gsize
pd_compute_draft_size(PdComputeDraft *d, gsize *strings)
{
	gsize size = sizeof(PdComputeInstance) + d->disks->len * sizeof(PdComputeDisk) +
		     d->vnics->len * sizeof(PdComputeVnic);
	gsize text =
	  pd_str_size(d->uuid) + pd_str_size(d->domain_name) + pd_str_size(d->display_name);

	for (guint i = 0; i < d->vnics->len; i++) {
		PdComputeVnicDraft *v = g_ptr_array_index(d->vnics, i);
		size += 2 * v->param_names->len * sizeof(gchar *);
		text += pd_str_size(v->name) + pd_str_size(v->mac) + pd_str_size(v->fref);
	}
	*strings = size;
	return size + text;
}

/* moves the interned strings of @pv's parameters into @params */
static void
pd_compute_take_params(GPtrArray *pv, gchar **params)
{
	for (guint j = 0; j < pv->len; j++) {
		params[j] = g_ptr_array_index(pv, j);
		g_ptr_array_index(pv, j) = NULL;
	}
}

static void
pd_compute_pack_vnics(PdComputeInstance *inst, PdComputeDraft *d, gchar **params, gchar **w)
{
	for (guint i = 0; i < d->vnics->len; i++) {
		PdComputeVnicDraft *v = g_ptr_array_index(d->vnics, i);
		PdComputeVnic *vnic = &inst->vnics[i];
		vnic->name = pd_str_put(w, v->name);
		vnic->mac = pd_str_put(w, v->mac);
		vnic->fref = pd_str_put(w, v->fref);
		vnic->n_params = v->param_names->len;
		vnic->param_names = params;
		pd_compute_take_params(v->param_names, params);
		params += vnic->n_params;
		vnic->param_values = params;
		pd_compute_take_params(v->param_values, params);
		params += vnic->n_params;
	}
}

static PdComputeInstance *
pd_compute_draft_pack(PdComputeDraft *d)
{
	gsize strings;
	gsize size = pd_compute_draft_size(d, &strings);
	/* kept while the domain's XML stays the same: apart from a cycle's
	 * allocations */
	PdComputeInstance *inst = pd_slab_alloc0(size);
	gchar *w = (gchar *)inst + strings;

	g_assert(d->disks->len <= G_MAXUINT16 && d->vnics->len <= G_MAXINT16);
	inst->ref_count = 1;
	inst->n_disks = (guint16)d->disks->len;
	inst->n_vnics = d->vnics->len & G_MAXINT16;
	inst->no_balloon = d->no_balloon ? 1 : 0;
	inst->disks = (PdComputeDisk *)(inst + 1);
	inst->vnics = (PdComputeVnic *)(inst->disks + inst->n_disks);
	for (guint i = 0; i < d->disks->len; i++) {
		inst->disks[i].dev = g_ptr_array_index(d->disks, i);
		g_ptr_array_index(d->disks, i) = NULL;
	}
	pd_compute_pack_vnics(inst, d, (gchar **)(inst->vnics + inst->n_vnics), &w);
	inst->uuid = pd_str_put(&w, d->uuid);
	inst->domain_name = pd_str_put(&w, d->domain_name);
	inst->display_name = pd_str_put(&w, d->display_name);
	g_assert(w == (gchar *)inst + size);
	inst->profile = pd_compute_profile_intern(&d->profile.p);
	return inst;
}

/* the walk, the same over either reading of the XML */
static PdComputeInstance *
pd_compute_instance_walk(PdComputeXml *x, GError **error)
{
	gconstpointer root = x != NULL ? pd_compute_xml_root(x) : NULL;
	g_autoptr(PdComputeDraft) d = NULL;
	gconstpointer nova, type;

	if (root == NULL || !pd_compute_xml_is(x, root, "domain", NULL)) {
		g_set_error_literal(error, PD_ERROR, PD_ERROR_FAILED, "domain XML does not parse");
		return NULL;
	}
	nova = pd_compute_find_nova(x, root);
	if (nova == NULL)
		return NULL;
	d = pd_compute_draft_new();
	d->uuid = pd_compute_xml_text(x, pd_compute_xml_child(x, root, "uuid", NULL));
	d->domain_name = pd_compute_xml_text(x, pd_compute_xml_child(x, root, "name", NULL));
	type = pd_compute_xml_child(x, pd_compute_xml_child(x, root, "os", NULL), "type", NULL);
	d->profile.p.os_type = pd_compute_xml_intern(pd_compute_xml_text(x, type));
	d->profile.p.architecture = pd_compute_xml_intern(pd_compute_xml_prop(x, type, "arch"));
	if (!pd_compute_draft_parse_nova(d, x, nova, error))
		return NULL;
	pd_compute_draft_parse_devices(d, x, pd_compute_xml_child(x, root, "devices", NULL));
	/* nothing is kept from a walk the scanner could not answer */
	if (pd_compute_xml_fell_short(x))
		return NULL;
	return pd_compute_draft_pack(d);
}

PdComputeInstance *
pd_compute_instance_parse_with(const gchar *xml,
			       gsize len,
			       gboolean dom_only,
			       gboolean *fast,
			       GError **error)
{
	g_autoptr(PdComputeXml) x = dom_only ? NULL : pd_compute_xml_new_fast(xml, len);
	g_autoptr(GError) local_error = NULL;
	PdComputeInstance *inst;

	if (fast != NULL)
		*fast = FALSE;
	if (x != NULL) {
		inst = pd_compute_instance_walk(x, &local_error);
		if (!pd_compute_xml_fell_short(x)) {
			if (fast != NULL)
				*fast = TRUE;
			if (local_error != NULL)
				g_propagate_error(error, g_steal_pointer(&local_error));
			return inst;
		}
		g_clear_error(&local_error);
		g_clear_pointer(&x, pd_compute_xml_free);
	}
	/* the fallback: libxml2's tree, for anything the scanner does not take */
	x = pd_compute_xml_new_dom(xml, len);
	return pd_compute_instance_walk(x, error);
}

PdComputeInstance *
pd_compute_instance_parse(const gchar *xml, gsize len, GError **error)
{
	return pd_compute_instance_parse_with(xml, len, FALSE, NULL, error);
}

/* what pd_compute_draft_pack() allocated */
static gsize
pd_compute_instance_size(PdComputeInstance *inst)
{
	gsize size = sizeof(PdComputeInstance) + inst->n_disks * sizeof(PdComputeDisk) +
		     inst->n_vnics * sizeof(PdComputeVnic);

	for (guint i = 0; i < inst->n_vnics; i++) {
		PdComputeVnic *v = &inst->vnics[i];
		size += 2 * v->n_params * sizeof(gchar *) + pd_str_size(v->name) +
			pd_str_size(v->mac) + pd_str_size(v->fref);
	}
	return size + pd_str_size(inst->uuid) + pd_str_size(inst->domain_name) +
	       pd_str_size(inst->display_name);
}

PdComputeInstance *
pd_compute_instance_ref(PdComputeInstance *inst)
{
	g_atomic_int_inc(&inst->ref_count);
	return inst;
}

void
pd_compute_instance_unref(PdComputeInstance *inst)
{
	if (!g_atomic_int_dec_and_test(&inst->ref_count))
		return;
	for (guint i = 0; i < inst->n_disks; i++)
		pd_compute_xml_release_interned(inst->disks[i].dev);
	for (guint i = 0; i < inst->n_vnics; i++) {
		PdComputeVnic *vnic = &inst->vnics[i];
		for (guint j = 0; j < vnic->n_params; j++) {
			pd_compute_xml_release_interned(vnic->param_names[j]);
			pd_compute_xml_release_interned(vnic->param_values[j]);
		}
	}
	pd_compute_instance_profile_unref(inst->profile);
	pd_slab_free(inst, pd_compute_instance_size(inst));
}

gint
pd_compute_instance_find_disk(PdComputeInstance *inst, const gchar *dev)
{
	for (guint i = 0; i < inst->n_disks; i++) {
		if (g_strcmp0(inst->disks[i].dev, dev) == 0)
			return (gint)i;
	}
	return -1;
}

gint
pd_compute_instance_find_vnic(PdComputeInstance *inst, const gchar *name)
{
	for (guint i = 0; i < inst->n_vnics; i++) {
		if (g_strcmp0(inst->vnics[i].name, name) == 0)
			return (gint)i;
	}
	return -1;
}
