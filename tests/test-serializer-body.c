/*
 * polld - message bodies: written a few samples at a time, grown when the
 * estimate falls short, no message-sized buffer kept
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "pd-metadata.h"
#include "pd-sample.h"
#include "pd-serializer-private.h"
#include "pd-serializer.h"

#define FIXED_ID "00000000-0000-4000-8000-000000000000"
#define N_SAMPLES 50

typedef struct {
	PdSample samples[N_SAMPLES];
	PdSample *ptrs[N_SAMPLES];
} Batch;

static PdMetadata *
small_metadata(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();

	pd_metadata_builder_add_string(b, "host", "h1");
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_int(b, "vcpus", 1);
	pd_metadata_builder_add_string(b, "name", "m1.\"small\"");
	pd_metadata_builder_end_object(b);
	return pd_metadata_builder_end(b);
}

/* one member of @len bytes of quotes, backslashes and text: the outer
 * escaping's worst case */
static PdMetadata *
large_metadata(gsize len)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autofree gchar *text = g_malloc(len + 1);

	for (gsize i = 0; i < len; i++)
		text[i] = "ab\"c\\de"[i % 7];
	text[len] = '\0';
	pd_metadata_builder_add_string(b, "display_name", text);
	return pd_metadata_builder_end(b);
}

static void
batch_init(Batch *batch, PdMetadata *md)
{
	for (guint i = 0; i < N_SAMPLES; i++) {
		PdSample *s = &batch->samples[i];

		memset(s, 0, sizeof(*s));
		s->name = i % 2 ? "cpu" : "disk.device.read.bytes";
		s->type = i % 3 ? PD_SAMPLE_TYPE_CUMULATIVE : PD_SAMPLE_TYPE_GAUGE;
		s->unit = "ns";
		s->user_id = "u1";
		s->project_id = "p1";
		s->resource_id = "r-\"1\"";
		s->metadata = md;
		s->timestamp_us = G_GINT64_CONSTANT(1704067200000000) + i;
		s->monotonic_time = NAN;
		pd_sample_set_int(s, 42 + i);
		batch->ptrs[i] = s;
	}
}

static PdSerializer *
serializer_new(void)
{
	PdSerializer *ser = pd_serializer_new("openstack", "secret", FALSE);

	pd_serializer_set_fixed_message_id(ser, FIXED_ID);
	return ser;
}

/* the message's samples, unescaped, are byte for byte what
 * pd_serializer_append_sample() writes for them, joined by ", " */
static void
assert_message_samples(PdMessage *msg, PdSample *const *samples, guint n)
{
	g_autoptr(PdSerializer) ref = serializer_new();
	g_autoptr(GString) want = g_string_new("\"payload\": {\"samples\": [");
	g_autofree gchar *body =
	  g_strndup(g_bytes_get_data(msg->body, NULL), g_bytes_get_size(msg->body));
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = json_from_string(body, &error);
	const gchar *inner;

	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(body, "{\"oslo.version\": \"2.0\", \"oslo.message\": \"{"));
	g_assert_true(g_str_has_suffix(body, "}\"}"));
	inner = json_object_get_string_member(json_node_get_object(node), "oslo.message");
	for (guint i = 0; i < n; i++) {
		if (i > 0)
			g_string_append(want, ", ");
		pd_serializer_append_sample(ref, want, samples[i]);
	}
	g_string_append(want, "]}, \"timestamp\": \"");
	g_assert_true(g_str_has_prefix(inner, "{\"message_id\": \""));
	g_assert_nonnull(strstr(inner, want->str));
	g_assert_cmpuint(msg->n_samples, ==, n);
}

/* a message far larger than the last one's size a sample foretold grows its
 * body as it is written, and the small one after it is right too */
static void
test_body_grows(void)
{
	g_autoptr(PdSerializer) ser = serializer_new();
	g_autoptr(PdMetadata) small = small_metadata();
	g_autoptr(PdMetadata) large = large_metadata(20000);
	Batch batch;

	batch_init(&batch, small);
	for (guint round = 0; round < 3; round++) {
		g_autoptr(PdMessage) msg = NULL;

		/* small, then large from the 10th sample on, then small again */
		for (guint i = 0; i < N_SAMPLES; i++)
			batch.samples[i].metadata = round == 1 && i >= 10 ? large : small;
		msg = pd_serializer_build_message(ser, batch.ptrs, N_SAMPLES);
		assert_message_samples(msg, batch.ptrs, N_SAMPLES);
		if (round == 1)
			g_assert_cmpuint(g_bytes_get_size(msg->body), >, 40 * 20000);
	}
}

/* a serializer keeps sample-sized buffers, not message-sized ones, and lets
 * a one-off huge sample's go */
static void
test_body_buffers_bounded(void)
{
	g_autoptr(PdSerializer) ser = serializer_new();
	g_autoptr(PdMetadata) small = small_metadata();
	g_autoptr(PdMetadata) huge = large_metadata(100000);
	Batch batch;
	PdMessage *msg;

	batch_init(&batch, small);
	msg = pd_serializer_build_message(ser, batch.ptrs, N_SAMPLES);
	g_assert_cmpuint(g_bytes_get_size(msg->body), >, 16384);
	g_assert_cmpuint(pd_serializer_get_buffer_bytes(ser), <=, 10240);
	pd_message_unref(msg);
	batch.samples[7].metadata = huge;
	msg = pd_serializer_build_message(ser, batch.ptrs, N_SAMPLES);
	assert_message_samples(msg, batch.ptrs, N_SAMPLES);
	g_assert_cmpuint(pd_serializer_get_buffer_bytes(ser), <=, 10240);
	pd_message_unref(msg);
}

/* every message size from none to more than a batch, each sample's text
 * a different size: the flushes of the inner text fall everywhere */
static void
test_body_every_size(void)
{
	g_autoptr(PdSerializer) ser = serializer_new();
	PdMetadata *md[4] = {
		small_metadata(), large_metadata(700), large_metadata(3000), large_metadata(5000)
	};
	PdSample samples[60];
	PdSample *ptrs[60];
	Batch batch;

	batch_init(&batch, md[0]);
	for (guint i = 0; i < 60; i++) {
		samples[i] = batch.samples[i % N_SAMPLES];
		samples[i].metadata = md[(i * 7) % 4];
		ptrs[i] = &samples[i];
	}
	for (guint n = 0; n <= 60; n++) {
		g_autoptr(PdMessage) msg = pd_serializer_build_message(ser, ptrs, n);

		assert_message_samples(msg, ptrs, n);
		g_assert_null(
		  memchr(g_bytes_get_data(msg->body, NULL), '\0', g_bytes_get_size(msg->body)));
	}
	for (guint i = 0; i < 4; i++)
		pd_metadata_unref(md[i]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/serializer/body/grows", test_body_grows);
	g_test_add_func("/serializer/body/buffers-bounded", test_body_buffers_bounded);
	g_test_add_func("/serializer/body/every-size", test_body_every_size);
	return g_test_run();
}
