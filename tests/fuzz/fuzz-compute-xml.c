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
#include "pd-test-instance.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

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
	g_autofree gchar *da = pd_test_instance_dump(a, e1);
	g_autofree gchar *db = pd_test_instance_dump(b, e2);

	g_assert_false(dom_fast);
	g_assert_cmpstr(da, ==, db);
	return 0;
}
