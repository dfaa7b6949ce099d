/*
 * polld tests - a parsed compute instance as text, one line a field, to
 * compare two parses of the same XML
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-test-instance.h"

/* Nova 2025.2's extra specs, then its image meta: a line each */
static void
pd_test_instance_dump_extras(GString *s, const PdComputeExtras *e)
{
	guint n_specs;

	if (e == NULL)
		return;
	n_specs = (guint)MAX(e->n_specs, 0);
	g_string_append_printf(s, "specs %d", e->n_specs);
	for (guint i = 0; i < n_specs; i++)
		g_string_append_printf(s, "|%s=%s", e->kv[2 * i], e->kv[2 * i + 1]);
	g_string_append_printf(s, "\nimage %u", e->n_image);
	for (guint i = n_specs; i < n_specs + e->n_image; i++)
		g_string_append_printf(s, "|%s=%s", e->kv[2 * i], e->kv[2 * i + 1]);
	g_string_append_c(s, '\n');
}

gchar *
pd_test_instance_dump(PdComputeInstance *inst, const GError *error)
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
	pd_test_instance_dump_extras(s, pd_compute_instance_profile_get_extras(p));
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

gboolean
pd_test_instance_parse_both(const gchar *xml, gsize len, gchar **out)
{
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	gboolean fast = FALSE, dom_fast = TRUE;
	g_autoptr(PdComputeInstance) a =
	  pd_compute_instance_parse_with(xml, len, FALSE, &fast, &e1);
	g_autoptr(PdComputeInstance) b =
	  pd_compute_instance_parse_with(xml, len, TRUE, &dom_fast, &e2);
	g_autofree gchar *da = pd_test_instance_dump(a, e1);
	g_autofree gchar *db = pd_test_instance_dump(b, e2);

	g_assert_false(dom_fast);
	if (g_strcmp0(da, db) != 0)
		g_test_message("differs (fast %d) on: %.*s", fast, (int)len, xml);
	g_assert_cmpstr(da, ==, db);
	if (out != NULL)
		*out = g_steal_pointer(&da);
	return fast;
}
