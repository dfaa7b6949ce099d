/*
 * polld - PdSample and PdSampleBatch: type names, Python's monotonic clock,
 * strings copied into (and deduplicated in) the batch, metadata kept alive by
 * the samples, stamping, and moving samples between batches
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>

#include "pd-config-private.h"
#include "pd-poll-context-private.h"
#include "pd-sample-private.h"
#include "polld.h"

static PdMetadata *
make_metadata(const gchar *name)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();

	pd_metadata_builder_add_string(b, "name", name);
	return pd_metadata_builder_end(b);
}

static void
test_sample_types(void)
{
	const PdSampleType types[] = { PD_SAMPLE_TYPE_GAUGE,
				       PD_SAMPLE_TYPE_DELTA,
				       PD_SAMPLE_TYPE_CUMULATIVE };
	const gchar *names[] = { "gauge", "delta", "cumulative" };
	PdSampleType type = PD_SAMPLE_TYPE_DELTA;

	for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
		PdSampleType parsed;
		g_assert_cmpstr(pd_sample_type_to_string(types[i]), ==, names[i]);
		g_assert_true(pd_sample_type_from_string(names[i], &parsed));
		g_assert_cmpint(parsed, ==, types[i]);
	}
	g_assert_null(pd_sample_type_to_string((PdSampleType)3));
	/* Ceilometer's names are lower case; anything else is refused as is */
	g_assert_false(pd_sample_type_from_string("Gauge", &type));
	g_assert_false(pd_sample_type_from_string("", &type));
	g_assert_cmpint(type, ==, PD_SAMPLE_TYPE_DELTA);
	g_assert_true(pd_sample_type_from_string("delta", NULL));
}

static void
test_sample_monotonic(void)
{
	gint64 before = g_get_monotonic_time();
	gdouble now = pd_sample_monotonic_now();
	gint64 after = g_get_monotonic_time();
	gdouble later = pd_sample_monotonic_now();

	/* the same clock as GLib's monotonic time, in seconds */
	g_assert_cmpfloat(now, >=, (gdouble)before / G_USEC_PER_SEC - 1e-6);
	g_assert_cmpfloat(now, <=, (gdouble)after / G_USEC_PER_SEC + 1e-6);
	g_assert_cmpfloat(later, >=, now);
}

static void
test_sample_batch_add(void)
{
	g_autoptr(PdSampleBatch) batch = pd_sample_batch_new();
	g_autoptr(PdMetadata) md = make_metadata("vm-1");
	gchar resource[] = "res-1";
	PdSample *s;
	PdSample *t;
	gsize len;
	g_autofree gchar *json = NULL;

	s = pd_sample_batch_add(
	  batch, "cpu", PD_SAMPLE_TYPE_CUMULATIVE, "ns", resource, "u", "p", md);
	/* a new sample has a null volume and no monotonic time */
	g_assert_cmpint(s->volume_kind, ==, PD_VOLUME_NULL);
	g_assert_true(isnan(s->monotonic_time));
	g_assert_cmpint(s->type, ==, PD_SAMPLE_TYPE_CUMULATIVE);
	pd_sample_set_int(s, 42);
	/* the batch copies strings: the caller's buffer may change */
	resource[4] = '9';
	t =
	  pd_sample_batch_add(batch, "cpu", PD_SAMPLE_TYPE_GAUGE, NULL, "res-1", NULL, NULL, NULL);
	pd_sample_set_double(t, 0.5);
	s = pd_sample_batch_index(batch, 0);
	g_assert_cmpstr(s->resource_id, ==, "res-1");
	/* equal strings are stored once, but for resource ids: a pollster's
	 * differ sample after sample, so each is a copy, not looked up first */
	g_assert_true(s->name == t->name);
	g_assert_cmpstr(t->resource_id, ==, "res-1");
	g_assert_true(pd_sample_batch_intern(batch, "cpu") == s->name);
	g_assert_null(pd_sample_batch_intern(batch, NULL));
	g_assert_null(t->unit);
	g_assert_null(t->user_id);
	g_assert_null(t->metadata);
	g_assert_cmpint(s->volume_kind, ==, PD_VOLUME_INT);
	g_assert_cmpint(s->volume.i, ==, 42);
	g_assert_cmpint(t->volume_kind, ==, PD_VOLUME_DOUBLE);
	g_assert_cmpfloat(t->volume.d, ==, 0.5);
	pd_sample_set_null(t);
	g_assert_cmpint(t->volume_kind, ==, PD_VOLUME_NULL);
	g_assert_cmpuint(pd_sample_batch_get_size(batch), ==, 2);

	/* the sample holds its own reference to the metadata */
	g_clear_pointer(&md, pd_metadata_unref);
	json = pd_metadata_dup_json(pd_sample_batch_index(batch, 0)->metadata, &len);
	g_assert_cmpstr(json, ==, "{\"name\": \"vm-1\"}");
	g_assert_cmpuint(len, ==, strlen(json));
}

/* owners alternate resource after resource: many addresses interned in
 * turn, each remembered in one of two ways of its set. Whatever way an
 * address sits in, a copy always has the text passed now, and one text
 * has one copy. */
static void
test_sample_batch_intern_ways(void)
{
	g_autoptr(PdSampleBatch) batch = pd_sample_batch_new();
	gchar bufs[96][16];
	const gchar *first[96];

	for (guint i = 0; i < G_N_ELEMENTS(bufs); i++) {
		g_snprintf(bufs[i], sizeof(bufs[i]), "owner-%02u", i % 48);
		first[i] = pd_sample_batch_intern(batch, bufs[i]);
		g_assert_cmpstr(first[i], ==, bufs[i]);
		/* two addresses, one text: one copy */
		if (i >= 48)
			g_assert_true(first[i] == first[i - 48]);
	}
	for (guint round = 0; round < 3; round++) {
		for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
			g_assert_true(pd_sample_batch_intern(batch, bufs[(i * 7 + round) % 96]) ==
				      first[(i * 7 + round) % 96]);
	}
	/* new text at every address, then the old text again: never a stale copy */
	for (guint i = 0; i < G_N_ELEMENTS(bufs); i++) {
		g_snprintf(bufs[i], sizeof(bufs[i]), "moved-%02u", i);
		g_assert_cmpstr(pd_sample_batch_intern(batch, bufs[i]), ==, bufs[i]);
	}
	for (guint i = G_N_ELEMENTS(bufs); i-- > 0;) {
		g_assert_cmpstr(pd_sample_batch_intern(batch, bufs[i]), ==, bufs[i]);
		g_snprintf(bufs[i], sizeof(bufs[i]), "owner-%02u", i % 48);
		g_assert_true(pd_sample_batch_intern(batch, bufs[i]) == first[i]);
	}
}

/* interning remembers a few strings by address, but the text at an address
 * may change: what is interned is always the text passed now */
static void
test_sample_batch_intern_address(void)
{
	g_autoptr(PdSampleBatch) batch = pd_sample_batch_new();
	PdSampleBatch *src = pd_sample_batch_new();
	gchar buf[] = "meter-a";
	const gchar *a, *b, *c;

	a = pd_sample_batch_intern(batch, buf);
	g_assert_true(pd_sample_batch_intern(batch, buf) == a);
	buf[6] = 'b';
	b = pd_sample_batch_intern(batch, buf);
	g_assert_cmpstr(a, ==, "meter-a");
	g_assert_cmpstr(b, ==, "meter-b");
	/* another address with the same text: the same copy */
	g_assert_true(pd_sample_batch_intern(batch, "meter-a") == a);
	buf[6] = 'a';
	g_assert_true(pd_sample_batch_intern(batch, buf) == a);
	/* a batch taken over keeps its copies; the one it came from makes new
	 * ones in its new storage */
	c = pd_sample_batch_intern(src, buf);
	pd_sample_batch_add(src, buf, PD_SAMPLE_TYPE_GAUGE, NULL, "r", NULL, NULL, NULL);
	pd_sample_batch_take(batch, src);
	pd_sample_batch_add(src, buf, PD_SAMPLE_TYPE_GAUGE, NULL, "r", NULL, NULL, NULL);
	g_assert_true(pd_sample_batch_index(src, 0)->name != c);
	g_assert_cmpstr(pd_sample_batch_index(src, 0)->name, ==, "meter-a");
	g_assert_true(pd_sample_batch_index(batch, 0)->name == c);
	pd_sample_batch_free(src);
	g_assert_cmpstr(pd_sample_batch_index(batch, 0)->name, ==, "meter-a");
}

static void
test_sample_batch_stamp(void)
{
	g_autoptr(PdSampleBatch) batch = pd_sample_batch_new();

	for (guint i = 0; i < 4; i++) {
		PdSample *s =
		  pd_sample_batch_add(batch, "m", PD_SAMPLE_TYPE_GAUGE, "u", "r", NULL, NULL, NULL);
		s->timestamp_us = 1;
	}
	pd_sample_batch_index(batch, 3)->monotonic_time = 7.5;
	/* only from @first on; NAN leaves each sample's own monotonic time */
	pd_sample_batch_stamp(batch, 2, 1000, NAN);
	g_assert_cmpint(pd_sample_batch_index(batch, 1)->timestamp_us, ==, 1);
	g_assert_cmpint(pd_sample_batch_index(batch, 2)->timestamp_us, ==, 1000);
	g_assert_true(isnan(pd_sample_batch_index(batch, 2)->monotonic_time));
	g_assert_cmpfloat(pd_sample_batch_index(batch, 3)->monotonic_time, ==, 7.5);
	pd_sample_batch_stamp(batch, 0, 2000, 3.25);
	for (guint i = 0; i < 4; i++) {
		g_assert_cmpint(pd_sample_batch_index(batch, i)->timestamp_us, ==, 2000);
		g_assert_cmpfloat(pd_sample_batch_index(batch, i)->monotonic_time, ==, 3.25);
	}
	/* a negative reading means "none" as NAN does */
	pd_sample_batch_stamp(batch, 0, 3000, -1.0);
	g_assert_cmpfloat(pd_sample_batch_index(batch, 0)->monotonic_time, ==, 3.25);
}

static void
test_sample_batch_take(void)
{
	g_autoptr(PdSampleBatch) dst = pd_sample_batch_new();
	PdSampleBatch *src = pd_sample_batch_new();
	g_autoptr(PdSampleBatch) empty = pd_sample_batch_new();
	g_autoptr(PdMetadata) md = make_metadata("moved");
	g_autofree gchar *json = NULL;

	pd_sample_batch_add(dst, "first", PD_SAMPLE_TYPE_GAUGE, "u", "r0", NULL, NULL, NULL);
	for (guint i = 0; i < 3; i++) {
		g_autofree gchar *id = g_strdup_printf("src-%u", i);
		pd_sample_set_int(
		  pd_sample_batch_add(src, "moved", PD_SAMPLE_TYPE_DELTA, "B", id, "u", "p", md),
		  i);
	}
	g_clear_pointer(&md, pd_metadata_unref);
	pd_sample_batch_take(dst, src);
	g_assert_cmpuint(pd_sample_batch_get_size(src), ==, 0);
	g_assert_cmpuint(pd_sample_batch_get_size(dst), ==, 4);
	/* src stays usable, and its old strings live on in dst */
	pd_sample_batch_add(src, "again", PD_SAMPLE_TYPE_GAUGE, "u", "r", NULL, NULL, NULL);
	pd_sample_batch_free(src);
	for (guint i = 0; i < 3; i++) {
		PdSample *s = pd_sample_batch_index(dst, i + 1);
		g_autofree gchar *id = g_strdup_printf("src-%u", i);
		g_assert_cmpstr(s->name, ==, "moved");
		g_assert_cmpstr(s->resource_id, ==, id);
		g_assert_cmpint(s->volume.i, ==, i);
	}
	json = pd_metadata_dup_json(pd_sample_batch_index(dst, 3)->metadata, NULL);
	g_assert_cmpstr(json, ==, "{\"name\": \"moved\"}");
	/* taking an empty batch changes nothing */
	pd_sample_batch_take(dst, empty);
	g_assert_cmpuint(pd_sample_batch_get_size(dst), ==, 4);
}

/* what a batch holds, for the in-flight budget: its array (the room asked
 * for, not rounded up to a power of two: 64 samples in 6 KiB, not 8), and
 * the strings copied, the kept ones of a batch taken over included */
static void
test_sample_batch_held(void)
{
	g_autoptr(PdSampleBatch) batch = pd_sample_batch_new();
	g_autoptr(PdSampleBatch) other = pd_sample_batch_new();
	g_autofree gchar *long_id = g_strnfill(5000, 'x');
	gsize empty = pd_sample_batch_get_held(batch);

	g_assert_cmpuint(empty, >=, 64 * sizeof(PdSample) + 4096);
	g_assert_cmpuint(empty, <, 64 * sizeof(PdSample) + 4096 + 4096);
	pd_sample_batch_add(batch, "cpu", PD_SAMPLE_TYPE_GAUGE, "ns", "r1", NULL, NULL, NULL);
	/* "cpu", "ns", "r1" */
	g_assert_cmpuint(pd_sample_batch_get_held(batch), ==, empty + 10);
	pd_sample_batch_add(other, "cpu", PD_SAMPLE_TYPE_GAUGE, "ns", long_id, NULL, NULL, NULL);
	g_assert_cmpuint(pd_sample_batch_get_held(other), >=, 5001);
	pd_sample_batch_take(batch, other);
	g_assert_cmpuint(pd_sample_batch_get_held(batch), >=, empty + 5001 + 4096);
	g_assert_cmpuint(pd_sample_batch_get_held(other), ==, empty);
}

typedef struct {
	guint flushes;
	guint samples;
	gboolean held_next; /* the context held a batch during a flush */
} Flushes;

static void
flushes_cb(PdPollContext *ctx, PdSampleBatch *batch, gpointer user_data)
{
	Flushes *f = user_data;

	f->flushes++;
	f->samples += pd_sample_batch_get_size(batch);
	f->held_next |= pd_poll_context_has_batch(ctx);
	pd_sample_batch_free(batch);
}

/* a pollster's context hands each full chunk over before it makes the
 * next batch: a thread waiting in the flush (for the in-flight budget)
 * holds one batch, not a full one and an empty one sized for a chunk */
static void
test_sample_context_flush(void)
{
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	g_autoptr(PdPollContext) ctx = pd_poll_context_new(config, cache, "test");
	g_autoptr(PdSampleBatch) rest = NULL;
	Flushes f = { 0 };

	pd_poll_context_set_flush(ctx, 2, flushes_cb, &f);
	for (guint i = 0; i < 5; i++)
		pd_poll_context_add_sample(
		  ctx, "cpu", PD_SAMPLE_TYPE_GAUGE, "ns", "r", NULL, NULL, NULL);
	g_assert_cmpuint(f.flushes, ==, 2);
	g_assert_cmpuint(f.samples, ==, 4);
	g_assert_false(f.held_next);
	rest = pd_poll_context_steal_batch(ctx);
	g_assert_cmpuint(pd_sample_batch_get_size(rest), ==, 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sample/types", test_sample_types);
	g_test_add_func("/sample/monotonic", test_sample_monotonic);
	g_test_add_func("/sample/batch-add", test_sample_batch_add);
	g_test_add_func("/sample/batch-intern-address", test_sample_batch_intern_address);
	g_test_add_func("/sample/batch-intern-ways", test_sample_batch_intern_ways);
	g_test_add_func("/sample/batch-stamp", test_sample_batch_stamp);
	g_test_add_func("/sample/batch-take", test_sample_batch_take);
	g_test_add_func("/sample/context-flush", test_sample_context_flush);
	g_test_add_func("/sample/batch-held", test_sample_batch_held);
	return g_test_run();
}
