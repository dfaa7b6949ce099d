/*
 * libFuzzer target for the compute plugin's reading of a domain's XML: the
 * scanner (pd-compute-xml.c) and libxml2's tree must give the same instance,
 * or the same error, for any input; without libFuzzer the same file replays
 * a corpus (tests/fuzz/corpus/compute-xml) as a plain test
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "pd-compute-instance.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

/* everything the walk found, one line a field */
static gchar *
dump(PdComputeInstance *inst, const GError *error)
{
	GString *s = g_string_new(NULL);
	const PdComputeProfile *p;

	if (inst == NULL) {
		g_string_printf(s, "NULL %s", error != NULL ? error->message : "");
		return g_string_free(s, FALSE);
	}
	p = inst->profile;
	g_string_append_printf(s, "%s|%s|%s\n", inst->uuid, inst->domain_name, inst->display_name);
	g_string_append_printf(s,
			       "%s|%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT
			       "|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "\n",
			       p->flavor_name,
			       p->flavor_id,
			       p->vcpus,
			       p->memory_mb,
			       p->disk_gb,
			       p->ephemeral_gb,
			       p->swap_mb);
	g_string_append_printf(s,
			       "%s|%s|%s|%s|%s|%s|%s\n",
			       p->user_id,
			       p->user_name,
			       p->project_id,
			       p->project_name,
			       p->image_id,
			       p->os_type,
			       p->architecture);
	for (guint i = 0; i < inst->n_disks; i++)
		g_string_append_printf(s, "disk %s\n", inst->disks[i].dev);
	for (guint i = 0; i < inst->n_vnics; i++) {
		PdComputeVnic *v = &inst->vnics[i];
		g_string_append_printf(s, "vnic %s|%s|%s", v->name, v->mac, v->fref);
		for (guint j = 0; j < v->n_params; j++)
			g_string_append_printf(s, "|%s=%s", v->param_names[j], v->param_values[j]);
		g_string_append_c(s, '\n');
	}
	return g_string_free(s, FALSE);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	/* libvirt hands the XML over as a C string */
	g_autofree gchar *xml = g_strndup((const gchar *)data, size);
	gsize len = strlen(xml);
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	gboolean fast = FALSE, dom_fast = TRUE;
	g_autoptr(PdComputeInstance) a =
	  pd_compute_instance_parse_with(xml, len, FALSE, &fast, &e1);
	g_autoptr(PdComputeInstance) b =
	  pd_compute_instance_parse_with(xml, len, TRUE, &dom_fast, &e2);
	g_autofree gchar *da = dump(a, e1);
	g_autofree gchar *db = dump(b, e2);

	g_assert_false(dom_fast);
	g_assert_cmpstr(da, ==, db);
	return 0;
}
