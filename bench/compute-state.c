/*
 * polld bench - the compute plugin's kept state per domain: parse every
 * domain of a libvirt test-driver node file (tests/gen-domains.py) and
 * make its snapshot as the discovery does, then print the slab and malloc
 * bytes they hold. Counts, not seconds: compare two builds on one file.
 *
 *   compute-state FILE [RELEASE]    RELEASE: zed, 2025.2 or 2026.1 (default)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <malloc.h>
#include <string.h>

#include "pd-compute-domain.h"
#include "pd-slab.h"

static PdCeilometerRelease
release_from(const gchar *name)
{
	if (g_strcmp0(name, "zed") == 0)
		return PD_CEILOMETER_ZED;
	if (g_strcmp0(name, "2025.2") == 0)
		return PD_CEILOMETER_2025_2;
	return PD_CEILOMETER_2026_1;
}

gint
main(gint argc, gchar **argv)
{
	g_autofree gchar *text = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) kept =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_compute_domain_unref);
	PdCeilometerRelease release = release_from(argc > 2 ? argv[2] : NULL);
	virConnectPtr conn;
	virDomainPtr dom;
	guchar uuid[VIR_UUID_BUFLEN];
	gsize slab0, slab1;
	struct mallinfo2 m0, m1;
	guint n = 0;

	if (argc < 2 || !g_file_get_contents(argv[1], &text, NULL, &error)) {
		g_printerr("usage: compute-state FILE [zed|2025.2|2026.1]\n");
		return 2;
	}
	/* every snapshot gets the test driver's one handle: the handle is
	 * libvirt's memory, not the plugin's */
	conn = virConnectOpenReadOnly("test:///default");
	dom = conn != NULL ? virDomainLookupByName(conn, "test") : NULL;
	if (dom == NULL || virDomainGetUUID(dom, uuid) != 0)
		return 1;
	pd_slab_get_stats(&slab0, NULL);
	m0 = mallinfo2();
	for (const gchar *p = strstr(text, "<domain"); p != NULL; p = strstr(p + 1, "<domain")) {
		const gchar *end = strstr(p, "</domain>");
		g_autoptr(PdComputeInstance) inst = NULL;
		if (end == NULL)
			break;
		end += strlen("</domain>");
		inst = pd_compute_instance_parse(p, (gsize)(end - p), NULL);
		if (inst == NULL)
			continue;
		g_ptr_array_add(
		  kept,
		  pd_compute_domain_new(
		    inst, dom, uuid, VIR_DOMAIN_RUNNING, "h", inst->profile->flavor_name, release));
		n++;
	}
	pd_slab_get_stats(&slab1, NULL);
	m1 = mallinfo2();
	g_print("instances %u: slab %zu B (%.1f a domain), malloc in use %zd B (%.1f a domain)\n",
		n,
		slab1 - slab0,
		n > 0 ? (gdouble)(slab1 - slab0) / n : 0.0,
		(gssize)(m1.uordblks - m0.uordblks),
		n > 0 ? (gdouble)(gssize)(m1.uordblks - m0.uordblks) / n : 0.0);
	g_clear_pointer(&kept, g_ptr_array_unref);
	virDomainFree(dom);
	virConnectClose(conn);
	return 0;
}
