/*
 * polld - message bodies: written a few samples at a time, grown when the
 * estimate falls short, no message-sized buffer kept
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <malloc.h>
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "pd-metadata-escaped-private.h"
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
		/* the body's storage is its size (the in-flight budget counts the
		 * size): malloc's rounding and header aside */
		g_assert_cmpuint(malloc_usable_size((gpointer)g_bytes_get_data(msg->body, NULL)),
				 <=,
				 g_bytes_get_size(msg->body) + 32);
	}
	for (guint i = 0; i < 4; i++)
		pd_metadata_unref(md[i]);
}

/* quotes, backslashes, control characters and non-ASCII in keys and values
 * of the base, of a nested object, of an overlay's own members (copied,
 * interned, borrowed) and of its parent's */
static const gchar *const tricky[] = {
	"say \"hi\"", "back\\slash\\", "tab\tnew\nline\x01", "caf\xc3\xa9 \xf0\x9f\x98\x80",
	"plain",
};

static PdMetadata *
tricky_base(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();

	pd_metadata_builder_add_string(b, "display_name", NULL);
	pd_metadata_builder_add_string(b, "q\"key", tricky[0]);
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_string(b, "name", tricky[1]);
	pd_metadata_builder_add_string(b, "n\\ote", tricky[2]);
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_string(b, "image", tricky[3]);
	pd_metadata_builder_add_string(b, "name", NULL);
	return pd_metadata_builder_end(b);
}

static void
tricky_members(PdMetadataBuilder *b, guint i)
{
	pd_metadata_builder_add_string_borrowed(b, "display_name", tricky[4]);
	pd_metadata_builder_add_string_borrowed(b, "name", tricky[i % 4]);
	pd_metadata_builder_add_string(b, "k\xc3\xa9y", tricky[(i + 1) % 4]);
	pd_metadata_builder_add_string(b, "d\"q", tricky[(i + 2) % 4]);
	pd_metadata_builder_begin_object(b, "parameters");
	pd_metadata_builder_add_string(b, "x\ty", tricky[(i + 3) % 4]);
	pd_metadata_builder_add_null(b, "bridge");
	pd_metadata_builder_end_object(b);
	if (i % 2)
		pd_metadata_builder_add_string(b, "q\"key", tricky[i % 4]);
}

/* overlay @i (on overlay @i - 4 from 4 on), and the same metadata rendered
 * whole */
static void
tricky_metadata(PdMetadata *base, PdMetadata **md, PdMetadata **whole, guint i)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	PdMetadata *parent = i < 4 ? NULL : md[i - 4];

	pd_metadata_builder_begin_overlay_kept(
	  b, base, parent, NULL, NULL, i % 3 ? PD_MD_OVERLAY_SHARE : PD_MD_OVERLAY_COPY);
	tricky_members(b, i);
	md[i] = pd_metadata_builder_end_overlay(b);
	pd_metadata_builder_add_all(b, base);
	if (parent != NULL)
		tricky_members(b, i - 4);
	tricky_members(b, i);
	whole[i] = pd_metadata_builder_end(b);
}

/* @text escaped as the content of a JSON string: the inner text is ASCII,
 * so json.dumps() escapes its quotes and backslashes only */
static gchar *
outer_escaped(const gchar *text)
{
	GString *out = g_string_new(NULL);

	for (const gchar *p = text; *p != '\0'; p++) {
		g_assert_cmpuint((guchar)*p, >=, 0x20);
		g_assert_cmpuint((guchar)*p, <, 0x7f);
		if (*p == '"' || *p == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

/* an overlay's metadata goes into the body already escaped: the body holds,
 * byte for byte, the outer escaping of what pd_serializer_append_sample()
 * writes, and the same as for the same metadata rendered whole */
static void
test_body_overlay_escaped(void)
{
	g_autoptr(PdSerializer) ser = serializer_new();
	g_autoptr(PdMetadata) base = tricky_base();
	PdMetadata *md[8];
	PdMetadata *flat[8];
	PdSample samples[N_SAMPLES], flat_samples[N_SAMPLES];
	PdSample *ptrs[N_SAMPLES], *flat_ptrs[N_SAMPLES];
	Batch batch;

	for (guint i = 0; i < 8; i++) {
		g_autofree gchar *json = NULL;
		g_autofree gchar *whole_json = NULL;

		tricky_metadata(base, md, flat, i);
		json = pd_metadata_dup_json(md[i], NULL);
		whole_json = pd_metadata_dup_json(flat[i], NULL);
		g_assert_cmpstr(json, ==, whole_json);
		g_assert_nonnull(strstr(json, "\\\"hi\\\""));
		g_assert_nonnull(strstr(json, "\\u00e9"));
		g_assert_nonnull(strstr(json, "\\ud83d\\ude00"));
		g_assert_nonnull(strstr(json, "\\u0001"));
		g_assert_cmpuint(pd_metadata_escaped_json_bound(md[i]), >, strlen(json));
		/* not an overlay: the serializer escapes its text */
		g_assert_cmpuint(pd_metadata_escaped_json_bound(flat[i]), ==, 0);
	}
	g_assert_cmpuint(pd_metadata_escaped_json_bound(NULL), ==, 0);
	batch_init(&batch, md[0]);
	for (guint i = 0; i < N_SAMPLES; i++) {
		samples[i] = flat_samples[i] = batch.samples[i];
		samples[i].metadata = md[i % 8];
		flat_samples[i].metadata = flat[i % 8];
		ptrs[i] = &samples[i];
		flat_ptrs[i] = &flat_samples[i];
	}
	for (guint n = 0; n <= N_SAMPLES; n += 7) {
		g_autoptr(PdMessage) msg = pd_serializer_build_message(ser, ptrs, n);
		g_autoptr(PdMessage) flat_msg = pd_serializer_build_message(ser, flat_ptrs, n);
		g_autoptr(PdSerializer) ref = serializer_new();
		g_autoptr(GString) want = g_string_new("\"payload\": {\"samples\": [");
		g_autofree gchar *body =
		  g_strndup(g_bytes_get_data(msg->body, NULL), g_bytes_get_size(msg->body));
		g_autofree gchar *flat_body = g_strndup(g_bytes_get_data(flat_msg->body, NULL),
							g_bytes_get_size(flat_msg->body));
		g_autofree gchar *escaped = NULL;

		assert_message_samples(msg, ptrs, n);
		for (guint i = 0; i < n; i++) {
			if (i > 0)
				g_string_append(want, ", ");
			pd_serializer_append_sample(ref, want, ptrs[i]);
		}
		g_string_append(want, "]}, \"timestamp\": \"");
		escaped = outer_escaped(want->str);
		/* only the message's own id, time and _unique_id differ */
		g_assert_nonnull(strstr(body, escaped));
		g_assert_nonnull(strstr(flat_body, escaped));
		g_assert_cmpuint(strlen(body), ==, g_bytes_get_size(msg->body));
		g_assert_cmpuint(g_bytes_get_size(msg->body), ==, g_bytes_get_size(flat_msg->body));
	}
	for (guint i = 0; i < 8; i++) {
		pd_metadata_unref(md[7 - i]);
		pd_metadata_unref(flat[i]);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/serializer/body/grows", test_body_grows);
	g_test_add_func("/serializer/body/buffers-bounded", test_body_buffers_bounded);
	g_test_add_func("/serializer/body/every-size", test_body_every_size);
	g_test_add_func("/serializer/body/overlay-escaped", test_body_overlay_escaped);
	return g_test_run();
}
