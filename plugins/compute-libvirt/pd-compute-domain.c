/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <nettle/sha2.h>

#include "pd-compute-domain.h"

#include <string.h>

const gchar *
pd_compute_state_to_vm_state(gint state)
{
	switch (state) {
		case VIR_DOMAIN_NOSTATE:
			return "pending";
		case VIR_DOMAIN_RUNNING:
		case VIR_DOMAIN_BLOCKED:
			return "running";
		case VIR_DOMAIN_PAUSED:
			return "paused";
		case VIR_DOMAIN_SHUTDOWN:
		case VIR_DOMAIN_SHUTOFF:
			return "shutdown";
		case VIR_DOMAIN_CRASHED:
			return "crashed";
		case VIR_DOMAIN_PMSUSPENDED:
			return "suspended";
		default:
			return NULL;
	}
}

const gchar *
pd_compute_state_to_status(gint state)
{
	switch (state) {
		case VIR_DOMAIN_NOSTATE:
			return "building";
		case VIR_DOMAIN_RUNNING:
		case VIR_DOMAIN_BLOCKED:
			return "active";
		case VIR_DOMAIN_PAUSED:
			return "paused";
		case VIR_DOMAIN_SHUTDOWN:
		case VIR_DOMAIN_SHUTOFF:
			return "stopped";
		case VIR_DOMAIN_CRASHED:
			return "error";
		case VIR_DOMAIN_PMSUSPENDED:
			return "suspended";
		default:
			return NULL;
	}
}

/* Nova's hostId: sha224 of project id and host name (GChecksum lacks sha224) */
static gchar *
pd_compute_host_id(const gchar *project_id, const gchar *host)
{
	struct sha224_ctx ctx;
	guint8 digest[SHA224_DIGEST_SIZE];
	GString *hex = g_string_sized_new(2 * SHA224_DIGEST_SIZE);

	sha224_init(&ctx);
	sha224_update(&ctx, strlen(project_id), (const guint8 *)project_id);
	sha224_update(&ctx, strlen(host), (const guint8 *)host);
	sha224_digest(&ctx, sizeof(digest), digest);
	for (guint i = 0; i < sizeof(digest); i++)
		g_string_append_printf(hex, "%02x", digest[i]);
	return g_string_free(hex, FALSE);
}

/* 25.0.0 (2025.2) adds the flavor's extra specs and the image meta when
 * Nova wrote them */
static const PdComputeExtras *
pd_compute_extras_of(PdComputeInstance *inst, PdCeilometerRelease release)
{
	if (release < PD_CEILOMETER_2025_2)
		return NULL;
	return pd_compute_instance_profile_get_extras(inst->profile);
}

static void
pd_compute_add_flavor(PdMetadataBuilder *b,
		      PdComputeInstance *inst,
		      const gchar *flavor_id,
		      PdCeilometerRelease release)
{
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_string(b, "id", flavor_id);
	pd_metadata_builder_add_string(b, "name", inst->profile->flavor_name);
	pd_metadata_builder_add_int(b, "vcpus", inst->profile->vcpus);
	pd_metadata_builder_add_int(b, "ram", inst->profile->memory_mb);
	pd_metadata_builder_add_int(b, "disk", inst->profile->disk_gb);
	pd_metadata_builder_add_int(b, "ephemeral", inst->profile->ephemeral_gb);
	pd_metadata_builder_add_int(b, "swap", inst->profile->swap_mb);
	pd_compute_extras_add_specs(b, pd_compute_extras_of(inst, release));
	pd_metadata_builder_end_object(b);
}

static void
pd_compute_add_image(PdMetadataBuilder *b, PdComputeInstance *inst, PdCeilometerRelease release)
{
	if (inst->profile->image_id == NULL) {
		pd_metadata_builder_add_null(b, "image");
		pd_metadata_builder_add_null(b, "image_ref");
	} else {
		pd_metadata_builder_begin_object(b, "image");
		pd_metadata_builder_add_string(b, "id", inst->profile->image_id);
		pd_metadata_builder_end_object(b);
		pd_metadata_builder_add_string(b, "image_ref", inst->profile->image_id);
	}
	pd_metadata_builder_add_null(b, "image_ref_url");
	pd_compute_extras_add_image_meta(b, pd_compute_extras_of(inst, release));
}

/* the key order of Ceilometer's _get_metadata_from_object; the first three
 * members are the domain's own, the others the same for every domain of the
 * same flavor, project, state, image and os: the class's base holds nulls
 * where the domain's overlay puts its own */
static void
pd_compute_add_class_members(PdMetadataBuilder *b,
			     PdComputeInstance *inst,
			     gint state,
			     const gchar *host,
			     const gchar *flavor_id,
			     PdCeilometerRelease release)
{
	g_autofree gchar *host_id = pd_compute_host_id(inst->profile->project_id, host);
	const gchar *status = pd_compute_state_to_status(state);

	pd_metadata_builder_add_null(b, "display_name");
	pd_metadata_builder_add_null(b, "name");
	pd_metadata_builder_add_null(b, "instance_id");
	pd_metadata_builder_add_string(b, "instance_type", inst->profile->flavor_name);
	pd_metadata_builder_add_string(b, "host", host_id);
	pd_metadata_builder_add_string(b, "instance_host", host);
	pd_compute_add_flavor(b, inst, flavor_id, release);
	pd_metadata_builder_add_string(b, "status", status);
	pd_metadata_builder_add_string(b, "state", pd_compute_state_to_vm_state(state));
	pd_metadata_builder_add_string(b, "task_state", "");
	pd_compute_add_image(b, inst, release);
	pd_metadata_builder_add_string(b, "architecture", inst->profile->architecture);
	pd_metadata_builder_add_string(b, "os_type", inst->profile->os_type);
	pd_metadata_builder_add_int(b, "vcpus", inst->profile->vcpus);
	pd_metadata_builder_add_int(b, "memory_mb", inst->profile->memory_mb);
	pd_metadata_builder_add_int(b, "disk_gb", inst->profile->disk_gb);
	pd_metadata_builder_add_int(b, "ephemeral_gb", inst->profile->ephemeral_gb);
	pd_metadata_builder_add_int(
	  b, "root_gb", inst->profile->disk_gb - inst->profile->ephemeral_gb);
}

static void
pd_compute_add_cpu_number(PdMetadataBuilder *b, gint64 cpu_number)
{
	if (cpu_number >= 0)
		pd_metadata_builder_add_int(b, "cpu_number", cpu_number);
	else
		pd_metadata_builder_add_null(b, "cpu_number");
}

/* ---- classes: the base metadata domains share ---- */

/* a class is found by its base's JSON text (domains of different profiles
 * may render the same base: the owner is not in it), and, before that is
 * built, by what it is rendered from: the profile, state, host and flavor
 * id a domain was seen with (building and rendering a base for every new
 * domain cost about as much as parsing its XML) */
struct _PdComputeClass {
	PdMetadata *base;
	gchar *json;  /* its key in pd_compute_classes */
	guint users;  /* domains */
	GSList *keys; /* PdComputeClassKey that lead to it */
};

typedef struct {
	const PdComputeProfile *profile; /* a reference held */
	gint state;
	PdCeilometerRelease release; /* beside state: no larger for it */
	gchar *host;
	gchar *flavor_id;
	PdComputeClass *c;
} PdComputeClassKey;

static GMutex pd_compute_classes_lock;
static GHashTable *pd_compute_classes;	  /* base JSON text -> PdComputeClass */
static GHashTable *pd_compute_class_keys; /* PdComputeClassKey -> itself */

static guint
pd_compute_class_key_hash(gconstpointer key)
{
	const PdComputeClassKey *k = key;

	return g_direct_hash(k->profile) ^ ((guint)k->state * 2654435761u) ^ g_str_hash(k->host) ^
	       (k->flavor_id != NULL ? g_str_hash(k->flavor_id) * 31 : 0) ^
	       ((guint)k->release << 24);
}

static gboolean
pd_compute_class_key_equal(gconstpointer a, gconstpointer b)
{
	const PdComputeClassKey *x = a, *y = b;

	return x->profile == y->profile && x->state == y->state && g_str_equal(x->host, y->host) &&
	       g_strcmp0(x->flavor_id, y->flavor_id) == 0 && x->release == y->release;
}

static void
pd_compute_class_key_free(PdComputeClassKey *k)
{
	pd_compute_instance_profile_unref(k->profile);
	g_free(k->host);
	g_free(k->flavor_id);
	g_free(k);
}

/* under the classes' lock: @c with a use more for a domain */
static PdComputeClass *
pd_compute_class_use(PdComputeClass *c)
{
	c->users++;
	return c;
}

/* the class of the domains that render their base as @inst in @state does,
 * with a use counted for the caller: found by the key when a domain of the
 * same profile, state, host and flavor id was seen, else built and found
 * by its text (a few classes per flavor and project) */
static PdComputeClass *
pd_compute_class_get(PdComputeInstance *inst,
		     gint state,
		     const gchar *host,
		     const gchar *flavor_id,
		     PdCeilometerRelease release)
{
	PdComputeClassKey probe = {
		.profile = inst->profile,
		.state = state,
		.release = release,
		.host = (gchar *)host,
		.flavor_id = (gchar *)flavor_id,
	};
	g_autoptr(PdMetadataBuilder) b = NULL;
	g_autoptr(PdMetadata) base = NULL;
	PdComputeClassKey *k;
	PdComputeClass *c;
	gchar *json;

	g_mutex_lock(&pd_compute_classes_lock);
	if (pd_compute_classes == NULL) {
		pd_compute_classes = g_hash_table_new(g_str_hash, g_str_equal);
		pd_compute_class_keys =
		  g_hash_table_new(pd_compute_class_key_hash, pd_compute_class_key_equal);
	}
	k = g_hash_table_lookup(pd_compute_class_keys, &probe);
	if (k != NULL) {
		c = pd_compute_class_use(k->c);
		g_mutex_unlock(&pd_compute_classes_lock);
		return c;
	}
	g_mutex_unlock(&pd_compute_classes_lock);

	b = pd_metadata_builder_new();
	pd_compute_add_class_members(b, inst, state, host, flavor_id, release);
	base = pd_metadata_builder_end(b);
	json = pd_metadata_dup_json(base, NULL);
	g_mutex_lock(&pd_compute_classes_lock);
	c = g_hash_table_lookup(pd_compute_classes, json);
	if (c == NULL) {
		c = g_new0(PdComputeClass, 1);
		c->base = g_steal_pointer(&base);
		c->json = json;
		g_hash_table_insert(pd_compute_classes, c->json, c);
	} else {
		g_free(json);
	}
	/* another thread may have built it meanwhile */
	if (!g_hash_table_contains(pd_compute_class_keys, &probe)) {
		k = g_new0(PdComputeClassKey, 1);
		k->profile = pd_compute_instance_profile_ref(inst->profile);
		k->state = state;
		k->host = g_strdup(host);
		k->flavor_id = g_strdup(flavor_id);
		k->release = release;
		k->c = c;
		g_hash_table_add(pd_compute_class_keys, k);
		c->keys = g_slist_prepend(c->keys, k);
	}
	pd_compute_class_use(c);
	g_mutex_unlock(&pd_compute_classes_lock);
	return c;
}

static void
pd_compute_class_release(PdComputeClass *c)
{
	g_mutex_lock(&pd_compute_classes_lock);
	if (--c->users > 0) {
		g_mutex_unlock(&pd_compute_classes_lock);
		return;
	}
	g_hash_table_remove(pd_compute_classes, c->json);
	for (GSList *l = c->keys; l != NULL; l = l->next)
		g_hash_table_remove(pd_compute_class_keys, l->data);
	g_mutex_unlock(&pd_compute_classes_lock);
	/* the keys' profiles are released outside the lock */
	g_slist_free_full(c->keys, (GDestroyNotify)pd_compute_class_key_free);
	pd_metadata_unref(c->base);
	g_free(c->json);
	g_free(c);
}

/* ---- per domain: overlays of the class's base ---- */

/* one builder a thread, kept from domain to domain: a builder is ready for
 * the next overlay once one is ended, and making one (its frame, two 1 KB
 * scratch texts, the borrowed values' table) and freeing it cost about a
 * tenth of a domain's metadata */
static GPrivate pd_compute_builder_key = G_PRIVATE_INIT((GDestroyNotify)pd_metadata_builder_free);

static PdMetadataBuilder *
pd_compute_builder(void)
{
	PdMetadataBuilder *b = g_private_get(&pd_compute_builder_key);

	if (b == NULL) {
		b = pd_metadata_builder_new();
		g_private_set(&pd_compute_builder_key, b);
	}
	return b;
}

/* one builder for all of a domain's overlays (it is ready for the next
 * once an overlay is ended); the instance's overlay keeps the instance: its strings, and its
 * devices', are what the overlays render as they are written (borrowed), not copies; members many
 * domains repeat (a null fref, the cpu count...) are one copy for all of them */

static PdMetadata *
pd_compute_build_instance_md(PdMetadataBuilder *b, PdMetadata *base, PdComputeInstance *inst)
{
	pd_metadata_builder_begin_overlay_kept(b,
					       base,
					       NULL,
					       pd_compute_instance_ref(inst),
					       (GDestroyNotify)pd_compute_instance_unref,
					       PD_MD_OVERLAY_SHARE);
	pd_metadata_builder_add_string_borrowed(b, "display_name", inst->display_name);
	pd_metadata_builder_add_string_borrowed(b, "name", inst->domain_name);
	pd_metadata_builder_add_string_borrowed(b, "instance_id", inst->uuid);
	return pd_metadata_builder_end_overlay(b);
}

static PdMetadata *
pd_compute_build_cpu_md(PdMetadataBuilder *b, PdMetadata *base, PdMetadata *md, gint64 cpu_number)
{
	pd_metadata_builder_begin_overlay_kept(b, base, md, NULL, NULL, PD_MD_OVERLAY_SHARE);
	pd_compute_add_cpu_number(b, cpu_number);
	return pd_metadata_builder_end_overlay(b);
}

static PdMetadata *
pd_compute_build_disk_md(PdMetadataBuilder *b,
			 PdMetadata *base,
			 PdMetadata *md,
			 PdComputeDisk *disk)
{
	pd_metadata_builder_begin_overlay_kept(b, base, md, NULL, NULL, PD_MD_OVERLAY_SHARE);
	pd_metadata_builder_add_string_borrowed(b, "disk_name", disk->dev);
	return pd_metadata_builder_end_overlay(b);
}

static PdMetadata *
pd_compute_build_vnic_md(PdMetadataBuilder *b,
			 PdMetadata *base,
			 PdMetadata *md,
			 PdComputeVnic *vnic)
{
	pd_metadata_builder_begin_overlay_kept(b, base, md, NULL, NULL, PD_MD_OVERLAY_SHARE);
	pd_metadata_builder_add_string_borrowed(b, "name", vnic->name);
	pd_metadata_builder_add_string_borrowed(b, "mac", vnic->mac);
	pd_metadata_builder_add_string_borrowed(b, "fref", vnic->fref);
	pd_metadata_builder_begin_object(b, "parameters");
	for (guint i = 0; i < vnic->n_params; i++)
		pd_metadata_builder_add_string(b, vnic->param_names[i], vnic->param_values[i]);
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_string_borrowed(
	  b, "vnic_name", vnic->fref != NULL ? vnic->fref : vnic->name);
	return pd_metadata_builder_end_overlay(b);
}

guint
pd_compute_uuid_hash(gconstpointer key)
{
	guint h;

	/* UUIDs are random enough: four of their bytes make a hash */
	memcpy(&h, (const guchar *)key + VIR_UUID_BUFLEN - sizeof(h), sizeof(h));
	return h;
}

gboolean
pd_compute_uuid_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, VIR_UUID_BUFLEN) == 0;
}

/* kept from cycle to cycle: apart from a cycle's allocations */
static gsize
pd_compute_domain_size(PdComputeInstance *inst)
{
	return sizeof(PdComputeDomain) + (inst->n_disks + inst->n_vnics) * sizeof(PdMetadata *);
}

PdComputeDomain *
pd_compute_domain_new(PdComputeInstance *inst,
		      virDomainPtr dom,
		      const guchar *uuid,
		      gint state,
		      const gchar *host,
		      const gchar *flavor_id,
		      PdCeilometerRelease release)
{
	/* one allocation with its devices' metadata pointers: kept for every
	 * domain between cycles, two small blocks fewer a domain */
	PdComputeDomain *cd = pd_slab_alloc0(pd_compute_domain_size(inst));
	PdMetadataBuilder *b = pd_compute_builder();

	cd->ref_count = 1;
	cd->inst = pd_compute_instance_ref(inst);
	cd->dom = dom;
	virDomainRef(dom);
	/* raw: formatting it costs, and the XML gave the string already */
	memcpy(cd->uuid, uuid, VIR_UUID_BUFLEN);
	cd->state = state;
	g_mutex_init(&cd->lock);
	/* what the domain keeps is its own members and a recipe: the texts
	 * they share with the other domains of its class are the class's */
	cd->cls = pd_compute_class_get(inst, state, host, flavor_id, release);
	cd->md = pd_compute_build_instance_md(b, cd->cls->base, inst);
	cd->disk_md = cd->dev_md;
	for (guint i = 0; i < inst->n_disks; i++)
		cd->disk_md[i] =
		  pd_compute_build_disk_md(b, cd->cls->base, cd->md, &inst->disks[i]);
	cd->vnic_md = cd->dev_md + inst->n_disks;
	for (guint i = 0; i < inst->n_vnics; i++)
		cd->vnic_md[i] =
		  pd_compute_build_vnic_md(b, cd->cls->base, cd->md, &inst->vnics[i]);
	/* libvirt's vcpu count is the flavor's unless someone resized the
	 * domain by hand: built for it now, rebuilt for another count */
	cd->cpu_md = pd_compute_build_cpu_md(b, cd->cls->base, cd->md, inst->profile->vcpus);
	cd->cpu_md_number = inst->profile->vcpus;
	return cd;
}

PdMetadata *
pd_compute_domain_get_cpu_md(PdComputeDomain *cd, gint64 cpu_number)
{
	PdMetadata *md;

	g_mutex_lock(&cd->lock);
	if (cd->cpu_md_number != cpu_number) {
		g_clear_pointer(&cd->cpu_md, pd_metadata_unref);
		cd->cpu_md =
		  pd_compute_build_cpu_md(pd_compute_builder(), cd->cls->base, cd->md, cpu_number);
		cd->cpu_md_number = cpu_number;
	}
	md = pd_metadata_ref(cd->cpu_md);
	g_mutex_unlock(&cd->lock);
	return md;
}

/* "a-b-c" (or "a-b" without @c) into @buf */
static const gchar *
pd_compute_domain_join3(GString *buf, const gchar *a, const gchar *b, const gchar *c)
{
	gsize la = strlen(a), lb = strlen(b), lc = c != NULL ? strlen(c) : 0;
	gchar *p;

	g_string_set_size(buf, la + 1 + lb + (c != NULL ? 1 + lc : 0));
	p = buf->str;
	memcpy(p, a, la);
	p[la] = '-';
	memcpy(p + la + 1, b, lb);
	if (c != NULL) {
		p[la + 1 + lb] = '-';
		memcpy(p + la + 2 + lb, c, lc);
	}
	return buf->str;
}

guint
pd_compute_domain_vnic_id_parts(const PdComputeInstance *inst, guint idx, const gchar *parts[3])
{
	const PdComputeVnic *vnic = &inst->vnics[idx];

	if (vnic->fref != NULL) {
		parts[0] = vnic->fref;
		return 1;
	}
	parts[0] = inst->domain_name;
	parts[1] = inst->uuid;
	parts[2] = vnic->name;
	return 3;
}

const gchar *
pd_compute_domain_vnic_resource_id_in(PdComputeDomain *cd, guint idx, GString *buf)
{
	const gchar *parts[3];

	if (pd_compute_domain_vnic_id_parts(cd->inst, idx, parts) == 1)
		return parts[0];
	/* one per sample: its three parts copied into one buffer sized once
	 * (a GString append a part measured and checked each again) */
	return pd_compute_domain_join3(buf, parts[0], parts[1], parts[2]);
}

const gchar *
pd_compute_domain_disk_resource_id_in(PdComputeDomain *cd, guint idx, GString *buf)
{
	return pd_compute_domain_join3(buf, cd->inst->uuid, cd->inst->disks[idx].dev, NULL);
}

PdComputeDomain *
pd_compute_domain_ref(PdComputeDomain *cd)
{
	g_atomic_int_inc(&cd->ref_count);
	return cd;
}

void
pd_compute_domain_unref(PdComputeDomain *cd)
{
	PdComputeInstance *inst;

	if (!g_atomic_int_dec_and_test(&cd->ref_count))
		return;
	virDomainFree(cd->dom);
	for (guint i = 0; i < cd->inst->n_disks; i++)
		pd_metadata_unref(cd->disk_md[i]);
	for (guint i = 0; i < cd->inst->n_vnics; i++)
		pd_metadata_unref(cd->vnic_md[i]);
	g_clear_pointer(&cd->cpu_md, pd_metadata_unref);
	pd_metadata_unref(cd->md);
	pd_compute_class_release(cd->cls);
	g_mutex_clear(&cd->lock);
	inst = cd->inst;
	pd_slab_free(cd, pd_compute_domain_size(inst));
	pd_compute_instance_unref(inst);
}
