/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pd-error.h"
#include "pd-compute-instance.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

static gboolean
pd_xml_is(xmlNode *node, const gchar *name, const gchar *ns)
{
	if (node->type != XML_ELEMENT_NODE || g_strcmp0((const gchar *)node->name, name) != 0)
		return FALSE;
	if (ns == NULL)
		return node->ns == NULL;
	return node->ns != NULL && g_strcmp0((const gchar *)node->ns->href, ns) == 0;
}

static xmlNode *
pd_xml_child(xmlNode *parent, const gchar *name, const gchar *ns)
{
	if (parent == NULL)
		return NULL;
	for (xmlNode *n = parent->children; n != NULL; n = n->next) {
		if (pd_xml_is(n, name, ns))
			return n;
	}
	return NULL;
}

/* the strings many domains repeat (flavor, owner, image, os, device and
 * parameter names) are interned: one copy for all, released with
 * g_ref_string_release() */
static gchar *
pd_intern(gchar *s)
{
	gchar *interned;

	if (s == NULL)
		return NULL;
	interned = g_ref_string_new_intern(s);
	g_free(s);
	return interned;
}

static void
pd_release(gchar *s)
{
	if (s != NULL)
		g_ref_string_release(s);
}

static gchar *
pd_xml_prop(xmlNode *node, const gchar *name)
{
	g_autofree xmlChar *value = NULL;

	if (node == NULL)
		return NULL;
	value = xmlGetNoNsProp(node, (const xmlChar *)name);
	return value != NULL ? g_strdup((const gchar *)value) : NULL;
}

static gchar *
pd_xml_text(xmlNode *node)
{
	g_autofree xmlChar *value = NULL;

	if (node == NULL)
		return NULL;
	value = xmlNodeGetContent(node);
	return g_strdup(value != NULL ? (const gchar *)value : "");
}

/* like Ceilometer's _safe_find_int: a missing element counts as 0 */
static gint64
pd_xml_child_int(xmlNode *parent, const gchar *name, const gchar *ns)
{
	g_autofree gchar *text = pd_xml_text(pd_xml_child(parent, name, ns));
	return text != NULL ? g_ascii_strtoll(g_strstrip(text), NULL, 10) : 0;
}

static void
pd_compute_disk_free(PdComputeDisk *disk)
{
	pd_release(disk->dev);
	g_free(disk);
}

static void
pd_compute_vnic_free(PdComputeVnic *vnic)
{
	g_free(vnic->name);
	g_free(vnic->mac);
	g_free(vnic->fref);
	g_ptr_array_unref(vnic->param_names);
	g_ptr_array_unref(vnic->param_values);
	g_free(vnic);
}

static void
pd_compute_vnic_set_param(PdComputeVnic *vnic, gchar *name, gchar *value)
{
	guint idx;

	/* a dict update: a repeated name keeps its first position */
	if (g_ptr_array_find_with_equal_func(vnic->param_names, name, g_str_equal, &idx)) {
		pd_release(name);
		pd_release(g_ptr_array_index(vnic->param_values, idx));
		g_ptr_array_index(vnic->param_values, idx) = value;
		return;
	}
	g_ptr_array_add(vnic->param_names, name);
	g_ptr_array_add(vnic->param_values, value);
}

static void
pd_compute_vnic_parse_params(PdComputeVnic *vnic, xmlNode *iface)
{
	xmlNode *fref = pd_xml_child(iface, "filterref", NULL);
	xmlNode *vport = pd_xml_child(iface, "virtualport", NULL);

	for (xmlNode *p = fref != NULL ? fref->children : NULL; p != NULL; p = p->next) {
		g_autofree gchar *name = NULL;
		if (!pd_xml_is(p, "parameter", NULL))
			continue;
		name = pd_xml_prop(p, "name");
		pd_compute_vnic_set_param(vnic,
					  pd_intern(g_ascii_strdown(name != NULL ? name : "", -1)),
					  pd_intern(pd_xml_prop(p, "value")));
	}
	pd_compute_vnic_set_param(
	  vnic,
	  g_ref_string_new_intern("interfaceid"),
	  pd_intern(pd_xml_prop(pd_xml_child(vport, "parameters", NULL), "interfaceid")));
	pd_compute_vnic_set_param(
	  vnic,
	  g_ref_string_new_intern("bridge"),
	  pd_intern(pd_xml_prop(pd_xml_child(iface, "source", NULL), "bridge")));
}

static PdComputeVnic *
pd_compute_vnic_parse(xmlNode *iface)
{
	g_autofree gchar *name = pd_xml_prop(pd_xml_child(iface, "target", NULL), "dev");
	g_autofree gchar *mac = pd_xml_prop(pd_xml_child(iface, "mac", NULL), "address");
	PdComputeVnic *vnic;

	/* Ceilometer skips interfaces without a target or a MAC */
	if (name == NULL || mac == NULL)
		return NULL;
	vnic = g_new0(PdComputeVnic, 1);
	vnic->name = g_steal_pointer(&name);
	vnic->mac = g_steal_pointer(&mac);
	vnic->fref = pd_xml_prop(pd_xml_child(iface, "filterref", NULL), "filter");
	vnic->param_names = g_ptr_array_new_with_free_func((GDestroyNotify)pd_release);
	vnic->param_values = g_ptr_array_new_with_free_func((GDestroyNotify)pd_release);
	pd_compute_vnic_parse_params(vnic, iface);
	return vnic;
}

static void
pd_compute_instance_parse_devices(PdComputeInstance *inst, xmlNode *devices)
{
	for (xmlNode *n = devices != NULL ? devices->children : NULL; n != NULL; n = n->next) {
		if (pd_xml_is(n, "disk", NULL)) {
			/* only disks with a source: an empty cdrom has no stats */
			g_autofree gchar *dev = pd_xml_prop(pd_xml_child(n, "target", NULL), "dev");
			if (dev != NULL && dev[0] != '\0' &&
			    pd_xml_child(n, "source", NULL) != NULL) {
				PdComputeDisk *disk = g_new0(PdComputeDisk, 1);
				disk->dev = pd_intern(g_steal_pointer(&dev));
				g_ptr_array_add(inst->disks, disk);
			}
		} else if (pd_xml_is(n, "interface", NULL)) {
			PdComputeVnic *vnic = pd_compute_vnic_parse(n);
			if (vnic != NULL)
				g_ptr_array_add(inst->vnics, vnic);
		}
	}
}

static xmlNode *
pd_compute_find_nova(xmlNode *domain)
{
	xmlNode *metadata = pd_xml_child(domain, "metadata", NULL);
	xmlNode *nova = pd_xml_child(metadata, "instance", PD_COMPUTE_NOVA_NS_1_1);

	return nova != NULL ? nova : pd_xml_child(metadata, "instance", PD_COMPUTE_NOVA_NS_1_0);
}

static void
pd_compute_instance_parse_flavor(PdComputeInstance *inst, xmlNode *flavor, const gchar *ns)
{
	inst->flavor_name = pd_intern(pd_xml_prop(flavor, "name"));
	inst->flavor_id = pd_intern(pd_xml_prop(flavor, "id"));
	inst->vcpus = pd_xml_child_int(flavor, "vcpus", ns);
	inst->memory_mb = pd_xml_child_int(flavor, "memory", ns);
	inst->disk_gb = pd_xml_child_int(flavor, "disk", ns);
	inst->ephemeral_gb = pd_xml_child_int(flavor, "ephemeral", ns);
	inst->swap_mb = pd_xml_child_int(flavor, "swap", ns);
}

static gboolean
pd_compute_instance_parse_nova(PdComputeInstance *inst, xmlNode *nova, GError **error)
{
	const gchar *ns = (const gchar *)nova->ns->href;
	xmlNode *flavor = pd_xml_child(nova, "flavor", ns);
	xmlNode *owner = pd_xml_child(nova, "owner", ns);
	xmlNode *user = pd_xml_child(owner, "user", ns);
	xmlNode *project = pd_xml_child(owner, "project", ns);
	xmlNode *name = pd_xml_child(nova, "name", ns);

	inst->user_id = pd_intern(pd_xml_prop(user, "uuid"));
	inst->project_id = pd_intern(pd_xml_prop(project, "uuid"));
	/* the fields Ceilometer refuses to do without */
	if (flavor == NULL || inst->user_id == NULL || inst->project_id == NULL || name == NULL ||
	    inst->architecture == NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_FAILED,
			    "domain %s: Nova metadata lacks flavor, owner, name or os arch",
			    inst->uuid);
		return FALSE;
	}
	pd_compute_instance_parse_flavor(inst, flavor, ns);
	inst->display_name = pd_xml_text(name);
	inst->user_name = pd_intern(pd_xml_text(user));
	inst->project_name = pd_intern(pd_xml_text(project));
	for (xmlNode *n = nova->children; n != NULL; n = n->next) {
		g_autofree gchar *type = NULL;
		if (!pd_xml_is(n, "root", ns))
			continue;
		type = pd_xml_prop(n, "type");
		if (g_strcmp0(type, "image") == 0) {
			inst->image_id = pd_intern(pd_xml_prop(n, "uuid"));
			break;
		}
	}
	return TRUE;
}

static PdComputeInstance *
pd_compute_instance_new(void)
{
	PdComputeInstance *inst = g_new0(PdComputeInstance, 1);

	inst->ref_count = 1;
	inst->disks = g_ptr_array_new_with_free_func((GDestroyNotify)pd_compute_disk_free);
	inst->vnics = g_ptr_array_new_with_free_func((GDestroyNotify)pd_compute_vnic_free);
	return inst;
}

PdComputeInstance *
pd_compute_instance_parse(const gchar *xml, gsize len, GError **error)
{
	g_autoptr(xmlDoc) doc = xmlReadMemory(xml,
					      (int)len,
					      "domain.xml",
					      NULL,
					      XML_PARSE_NONET | XML_PARSE_NOBLANKS |
						XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	g_autoptr(PdComputeInstance) inst = NULL;
	xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	xmlNode *nova, *type;

	if (root == NULL || !pd_xml_is(root, "domain", NULL)) {
		g_set_error_literal(error, PD_ERROR, PD_ERROR_FAILED, "domain XML does not parse");
		return NULL;
	}
	nova = pd_compute_find_nova(root);
	if (nova == NULL)
		return NULL;
	inst = pd_compute_instance_new();
	inst->uuid = pd_xml_text(pd_xml_child(root, "uuid", NULL));
	inst->domain_name = pd_xml_text(pd_xml_child(root, "name", NULL));
	type = pd_xml_child(pd_xml_child(root, "os", NULL), "type", NULL);
	inst->os_type = pd_intern(pd_xml_text(type));
	inst->architecture = pd_intern(pd_xml_prop(type, "arch"));
	if (!pd_compute_instance_parse_nova(inst, nova, error))
		return NULL;
	pd_compute_instance_parse_devices(inst, pd_xml_child(root, "devices", NULL));
	return g_steal_pointer(&inst);
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
	g_free(inst->uuid);
	g_free(inst->domain_name);
	g_free(inst->display_name);
	pd_release(inst->flavor_name);
	pd_release(inst->flavor_id);
	pd_release(inst->user_id);
	pd_release(inst->user_name);
	pd_release(inst->project_id);
	pd_release(inst->project_name);
	pd_release(inst->image_id);
	pd_release(inst->os_type);
	pd_release(inst->architecture);
	g_ptr_array_unref(inst->disks);
	g_ptr_array_unref(inst->vnics);
	g_free(inst);
}

gint
pd_compute_instance_find_disk(PdComputeInstance *inst, const gchar *dev)
{
	for (guint i = 0; i < inst->disks->len; i++) {
		PdComputeDisk *disk = g_ptr_array_index(inst->disks, i);
		if (g_strcmp0(disk->dev, dev) == 0)
			return (gint)i;
	}
	return -1;
}

gint
pd_compute_instance_find_vnic(PdComputeInstance *inst, const gchar *name)
{
	for (guint i = 0; i < inst->vnics->len; i++) {
		PdComputeVnic *vnic = g_ptr_array_index(inst->vnics, i);
		if (g_strcmp0(vnic->name, name) == 0)
			return (gint)i;
	}
	return -1;
}
