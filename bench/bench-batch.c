/*
 * polld - the bench's sample batch (bench-batch.h; not a test)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "bench-batch.h"
#include "pd-metadata.h"
#define N_INSTANCES 10

static const gchar *const meters[] = {
	"cpu",
	"memory.usage",
	"disk.device.read.bytes",
	"disk.device.write.bytes",
	"network.incoming.bytes",
	"network.outgoing.bytes",
	"network.incoming.packets",
};

static void
add_own_members(PdMetadataBuilder *b, guint i)
{
	g_autofree gchar *name = g_strdup_printf("vm-%u", i);
	g_autofree gchar *id = g_strdup_printf("252d2b7d-dfc3-5b98-8a4d-ef46818690%02u", i);

	pd_metadata_builder_add_string(b, "display_name", name);
	pd_metadata_builder_add_string(b, "name", "instance-00000002");
	pd_metadata_builder_add_string(b, "instance_id", id);
}

/* instance metadata as the compute pollsters render it; @i < 0: the class
 * base, nulls for the instance's own members */
static PdMetadata *
instance_metadata(gint i)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();

	if (i >= 0) {
		add_own_members(b, (guint)i);
	} else {
		pd_metadata_builder_add_null(b, "display_name");
		pd_metadata_builder_add_null(b, "name");
		pd_metadata_builder_add_null(b, "instance_id");
	}
	pd_metadata_builder_add_string(b, "instance_type", "m1.small");
	pd_metadata_builder_add_string(
	  b, "host", "3bccd99ee6562ab5740104d026d71b648f4f0ba0ad9c1d7b1d79292b");
	pd_metadata_builder_add_string(b, "instance_host", "compute-0.example.org");
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_string(b, "id", "2");
	pd_metadata_builder_add_string(b, "name", "m1.small");
	pd_metadata_builder_add_int(b, "vcpus", 1);
	pd_metadata_builder_add_int(b, "ram", 2048);
	pd_metadata_builder_add_int(b, "disk", 20);
	pd_metadata_builder_add_int(b, "ephemeral", 0);
	pd_metadata_builder_add_int(b, "swap", 0);
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_string(b, "status", "active");
	pd_metadata_builder_add_string(b, "state", "running");
	pd_metadata_builder_add_string(b, "task_state", "");
	pd_metadata_builder_begin_object(b, "image");
	pd_metadata_builder_add_string(b, "id", "855dc4d6-a70b-558f-be73-9c2084110086");
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_string(b, "image_ref", "855dc4d6-a70b-558f-be73-9c2084110086");
	pd_metadata_builder_add_null(b, "image_ref_url");
	pd_metadata_builder_add_string(b, "architecture", "x86_64");
	pd_metadata_builder_add_string(b, "os_type", "hvm");
	pd_metadata_builder_add_int(b, "vcpus", 1);
	pd_metadata_builder_add_int(b, "memory_mb", 2048);
	pd_metadata_builder_add_int(b, "disk_gb", 20);
	pd_metadata_builder_add_int(b, "ephemeral_gb", 0);
	pd_metadata_builder_add_int(b, "root_gb", 20);
	return pd_metadata_builder_end(b);
}

static void
add_vnic_members(PdMetadataBuilder *b, guint i)
{
	g_autofree gchar *tap = g_strdup_printf("tap00000%02u-00", i);
	g_autofree gchar *mac = g_strdup_printf("52:54:00:00:00:%02x", i);

	pd_metadata_builder_add_string(b, "name", tap);
	pd_metadata_builder_add_string(b, "mac", mac);
	pd_metadata_builder_add_null(b, "fref");
	pd_metadata_builder_begin_object(b, "parameters");
	pd_metadata_builder_add_null(b, "interfaceid");
	pd_metadata_builder_add_null(b, "bridge");
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_string(b, "vnic_name", tap);
}

/* per-device metadata on top of the instance's, rendered whole */
static PdMetadata *
vnic_metadata(guint i)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) inst = instance_metadata((gint)i);

	pd_metadata_builder_add_all(b, inst);
	add_vnic_members(b, i);
	return pd_metadata_builder_end(b);
}

/* the same as overlays: the instance's on its class base, the vnic's on it */
static PdMetadata *
vnic_overlay(PdMetadata *base, guint i)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) inst = NULL;

	pd_metadata_builder_begin_overlay(b, base, NULL);
	add_own_members(b, i);
	inst = pd_metadata_builder_end_overlay(b);
	pd_metadata_builder_begin_overlay(b, base, inst);
	add_vnic_members(b, i);
	return pd_metadata_builder_end_overlay(b);
}

/* the same as the compute plugin's overlays: the strings borrowed from the
 * instance's record (here an array of them), the other members interned */
static PdMetadata *
vnic_overlay_kept(PdMetadata *base, guint i)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) inst = NULL;
	GPtrArray *rec = g_ptr_array_new_with_free_func(g_free);
	const gchar *tap, *mac;

	g_ptr_array_add(rec, g_strdup_printf("vm-%u", i));
	g_ptr_array_add(rec, g_strdup_printf("252d2b7d-dfc3-5b98-8a4d-ef46818690%02u", i));
	g_ptr_array_add(rec, g_strdup_printf("tap00000%02u-00", i));
	g_ptr_array_add(rec, g_strdup_printf("52:54:00:00:00:%02x", i));
	tap = g_ptr_array_index(rec, 2);
	mac = g_ptr_array_index(rec, 3);
	pd_metadata_builder_begin_overlay_kept(
	  b, base, NULL, rec, (GDestroyNotify)g_ptr_array_unref, PD_MD_OVERLAY_SHARE);
	pd_metadata_builder_add_string_borrowed(b, "display_name", g_ptr_array_index(rec, 0));
	pd_metadata_builder_add_string_borrowed(b, "name", "instance-00000002");
	pd_metadata_builder_add_string_borrowed(b, "instance_id", g_ptr_array_index(rec, 1));
	inst = pd_metadata_builder_end_overlay(b);
	pd_metadata_builder_begin_overlay_kept(b, base, inst, NULL, NULL, PD_MD_OVERLAY_SHARE);
	pd_metadata_builder_add_string_borrowed(b, "name", tap);
	pd_metadata_builder_add_string_borrowed(b, "mac", mac);
	pd_metadata_builder_add_null(b, "fref");
	pd_metadata_builder_begin_object(b, "parameters");
	pd_metadata_builder_add_null(b, "interfaceid");
	pd_metadata_builder_add_null(b, "bridge");
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_string_borrowed(b, "vnic_name", tap);
	return pd_metadata_builder_end_overlay(b);
}

/* 0: rendered whole, 1: overlays, 2: overlays kept */
PdSampleBatch *
bench_make_batch(gint overlay)
{
	PdSampleBatch *batch = pd_sample_batch_new();
	g_autoptr(PdMetadata) base = instance_metadata(-1);
	PdMetadata *md[N_INSTANCES];

	for (guint i = 0; i < N_INSTANCES; i++)
		md[i] = overlay == 2   ? vnic_overlay_kept(base, i)
			: overlay == 1 ? vnic_overlay(base, i)
				       : vnic_metadata(i);
	for (guint i = 0; i < BATCH_SIZE; i++) {
		g_autofree gchar *rid =
		  g_strdup_printf("instance-%08u-252d2b7d-tap%02u", i % 10, i);
		PdSample *s =
		  pd_sample_batch_add(batch,
				      meters[i % G_N_ELEMENTS(meters)],
				      i % 2 ? PD_SAMPLE_TYPE_CUMULATIVE : PD_SAMPLE_TYPE_GAUGE,
				      "B",
				      rid,
				      "a1b2c3d4e5f60718293a4b5c6d7e8f90",
				      "p0000000000000000000000000000002",
				      md[i % N_INSTANCES]);
		if (i % 3 == 0)
			pd_sample_set_double(s, 1795614.25 + i);
		else
			pd_sample_set_int(s, G_GINT64_CONSTANT(1795614828) + i);
	}
	pd_sample_batch_stamp(batch, 0, g_get_real_time(), pd_sample_monotonic_now());
	for (guint i = 0; i < N_INSTANCES; i++)
		pd_metadata_unref(md[i]);
	return batch;
}
