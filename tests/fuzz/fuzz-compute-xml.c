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

	pd_test_instance_parse_both(xml, strlen(xml), NULL);
	return 0;
}
