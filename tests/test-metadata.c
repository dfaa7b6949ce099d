/*
 * polld - metadata overlays that borrow their strings from a keeper and
 * intern the members they repeat (what the compute plugin keeps per domain),
 * and the blocks they are kept in (pd_slab)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "pd-metadata.h"
#include "pd-slab.h"
#include "pd-test-util.h"

/* the metadata's texts in one string, kept until the test program ends */

static const gchar *
md_json(PdMetadata *md)
{
	return pd_test_keep(pd_metadata_dup_json(md, NULL));
}

static const gchar *
md_sig(PdMetadata *md)
{
	return pd_test_keep(pd_metadata_dup_signature_text(md, NULL));
}

static guint keeper_releases;

static void
keeper_release(gpointer keeper)
{
	keeper_releases++;
	g_free(keeper);
}

/* the children's members: a borrowed one, interned ones, an object */
static void
edit_kept_child(PdMetadataBuilder *b, const gchar *disk)
{
	pd_metadata_builder_add_string_borrowed(b, "disk_name", disk);
	pd_metadata_builder_add_null(b, "fref");
	pd_metadata_builder_begin_object(b, "parameters");
	pd_metadata_builder_add_null(b, "interfaceid");
	pd_metadata_builder_add_string(b, "bridge", "br0");
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_int(b, "vcpus", 4);
}

static gsize
slab_used(void)
{
	gsize used;

	pd_slab_get_stats(&used, NULL);
	return used;
}

/* FALSE with AddressSanitizer or POLLD_SLAB=malloc: every object malloc's */
static gboolean
slab_active(void)
{
	gsize used = slab_used();
	gpointer probe = pd_slab_alloc(16);
	gboolean active = slab_used() > used;

	pd_slab_free(probe, 16);
	return active;
}

/* an overlay that borrows its strings from a keeper, and children whose
 * members are interned, render exactly as the same members rendered whole;
 * values JSON would escape are copied; the keeper goes with the last of
 * them, once; the overlays live in pd_slab's blocks and give back there
 * what they took (each freed at its own size) */
static void
test_metadata_overlay_kept(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) base = NULL;
	g_autoptr(PdMetadata) parent = NULL;
	g_autoptr(PdMetadata) parent_whole = NULL;
	g_autoptr(PdMetadata) child_whole = NULL;
	g_autoptr(PdMetadata) child = NULL;
	g_autoptr(PdMetadata) twin = NULL;
	g_autofree gchar *value = NULL;
	/* the keeper: the strings the overlays borrow */
	static const gchar texts[] = "vm-1\0u-1\0vda\0vdb";
	gchar *keeper = g_memdup2(texts, sizeof(texts));
	const gchar *display = keeper, *id = keeper + 5, *vda = keeper + 9, *vdb = keeper + 13;
	gsize used = slab_used();

	keeper_releases = 0;
	pd_metadata_builder_add_null(b, "display_name");
	pd_metadata_builder_add_null(b, "name");
	pd_metadata_builder_add_null(b, "instance_id");
	pd_metadata_builder_add_int(b, "vcpus", 2);
	pd_metadata_builder_add_string(b, "os_type", "hvm");
	base = pd_metadata_builder_end(b);

	pd_metadata_builder_add_all(b, base);
	pd_metadata_builder_add_string(b, "display_name", display);
	pd_metadata_builder_add_string(b, "name", "x\"y\tz");
	pd_metadata_builder_add_string(b, "instance_id", id);
	pd_metadata_builder_add_null(b, "extra");
	pd_metadata_builder_add_string(b, "later", "second");
	parent_whole = pd_metadata_builder_end(b);
	pd_metadata_builder_begin_overlay_kept(b, base, NULL, keeper, keeper_release, 0);
	pd_metadata_builder_add_string_borrowed(b, "display_name", display);
	/* escaped, and null: copied */
	pd_metadata_builder_add_string_borrowed(b, "name", "x\"y\tz");
	pd_metadata_builder_add_string_borrowed(b, "instance_id", id);
	pd_metadata_builder_add_string_borrowed(b, "extra", NULL);
	/* replaced after it was lent: the later value's texts */
	pd_metadata_builder_add_string_borrowed(b, "later", vda);
	pd_metadata_builder_add_string(b, "later", "second");
	parent = pd_metadata_builder_end_overlay(b);
	g_assert_cmpstr(md_json(parent), ==, md_json(parent_whole));
	g_assert_cmpstr(md_sig(parent), ==, md_sig(parent_whole));
	value = pd_metadata_dup_value_json(parent, "display_name");
	g_assert_cmpstr(value, ==, "\"vm-1\"");

	pd_metadata_builder_add_all(b, parent_whole);
	edit_kept_child(b, vda);
	child_whole = pd_metadata_builder_end(b);
	pd_metadata_builder_begin_overlay_kept(b, base, parent, NULL, NULL, PD_MD_OVERLAY_SHARE);
	edit_kept_child(b, vda);
	child = pd_metadata_builder_end_overlay(b);
	g_assert_cmpstr(md_json(child), ==, md_json(child_whole));
	g_assert_cmpstr(md_sig(child), ==, md_sig(child_whole));

	/* a twin shares the interned members; the child's going leaves them */
	pd_metadata_builder_begin_overlay_kept(b, base, parent, NULL, NULL, PD_MD_OVERLAY_SHARE);
	edit_kept_child(b, vdb);
	twin = pd_metadata_builder_end_overlay(b);
	g_clear_pointer(&child, pd_metadata_unref);
	g_clear_pointer(&child_whole, pd_metadata_unref);
	pd_metadata_builder_add_all(b, parent_whole);
	edit_kept_child(b, "vdb");
	child_whole = pd_metadata_builder_end(b);
	g_assert_cmpstr(md_json(twin), ==, md_json(child_whole));
	g_assert_cmpstr(md_sig(twin), ==, md_sig(child_whole));
	if (slab_active())
		g_assert_cmpuint(slab_used(), >, used);

	/* the twin holds the parent, the parent the keeper */
	g_clear_pointer(&parent, pd_metadata_unref);
	g_assert_cmpuint(keeper_releases, ==, 0);
	g_assert_cmpstr(md_json(twin), ==, md_json(child_whole));
	g_clear_pointer(&twin, pd_metadata_unref);
	g_assert_cmpuint(keeper_releases, ==, 1);
	g_assert_cmpuint(slab_used(), ==, used);

	/* a builder freed before the end releases what it was given */
	{
		PdMetadataBuilder *dropped = pd_metadata_builder_new();
		pd_metadata_builder_begin_overlay_kept(
		  dropped, base, NULL, g_strdup("x"), keeper_release, 0);
		pd_metadata_builder_free(dropped);
		g_assert_cmpuint(keeper_releases, ==, 2);
	}
}

/* objects of the same 16-byte size reuse what one of them freed; others
 * do not overlap; past 512 bytes they are malloc's */
static void
test_metadata_slab(void)
{
	gsize used = slab_used(), mapped;
	gchar *a, *b, *c, *d, *big;

	if (!slab_active()) {
		g_test_skip("every object is malloc's (AddressSanitizer, POLLD_SLAB=malloc)");
		return;
	}
	a = pd_slab_alloc(40);
	g_assert_cmpuint(slab_used(), ==, used + 48);
	pd_slab_get_stats(NULL, &mapped);
	g_assert_cmpuint(mapped, >=, 64 * 1024);
	memset(a, 0xaa, 40);
	b = pd_slab_alloc(48);
	c = pd_slab_alloc(200);
	memset(b, 0xbb, 48);
	memset(c, 0xcc, 200);
	g_assert_true(b >= a + 48 || b + 48 <= a);
	g_assert_true(c >= b + 48 || c + 208 <= b);
	g_assert_true(c >= a + 48 || c + 208 <= a);
	g_assert_cmpint(a[39], ==, (gchar)0xaa);
	pd_slab_free(a, 40);
	/* 33 bytes: the same size as 40 and 48 */
	d = pd_slab_alloc0(33);
	g_assert_true(d == a);
	for (guint i = 0; i < 33; i++)
		g_assert_cmpint(d[i], ==, 0);
	big = pd_slab_alloc(1000);
	g_assert_cmpuint(slab_used(), ==, used + 48 + 48 + 208);
	memset(big, 0, 1000);
	pd_slab_free(big, 1000);
	pd_slab_free(d, 33);
	pd_slab_free(b, 48);
	pd_slab_free(c, 200);
	g_assert_cmpuint(slab_used(), ==, used);
}

/* a keeper lent without a release: nothing to release, so the overlay
 * keeps no pointer to it, and gives back to pd_slab the size it took
 * (whatever its texts' length, so one of them crosses a 16-byte step) */
static void
test_metadata_overlay_keeper_unreleased(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) base = NULL;
	gsize used;
	gint lent = 0;

	pd_metadata_builder_add_string(b, "os_type", "hvm");
	base = pd_metadata_builder_end(b);
	used = slab_used();
	for (guint len = 1; len <= 32; len++) {
		g_autofree gchar *value = g_strnfill(len, 'v');
		g_autoptr(PdMetadata) md = NULL;
		pd_metadata_builder_begin_overlay_kept(b, base, NULL, &lent, NULL, 0);
		pd_metadata_builder_add_string(b, "display_name", value);
		md = pd_metadata_builder_end_overlay(b);
		g_assert_nonnull(strstr(md_json(md), value));
		g_clear_pointer(&md, pd_metadata_unref);
		g_assert_cmpuint(slab_used(), ==, used);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/metadata/slab", test_metadata_slab);
	g_test_add_func("/metadata/overlay-kept", test_metadata_overlay_kept);
	g_test_add_func("/metadata/overlay-keeper-unreleased",
			test_metadata_overlay_keeper_unreleased);
	return g_test_run();
}
