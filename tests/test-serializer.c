/*
 * polld - serializer, metadata and signature tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "pd-metadata.h"
#include "pd-metadata-json.h"
#include "pd-sample.h"
#include "pd-serializer-private.h"
#include "pd-serializer.h"
#include "pd-test-signature.h"
#include "pd-test-util.h"

/* a signature test vector: one sample's JSON, the text Ceilometer's
 * compute_signature() hashes for it (keys sorted, nested metadata flattened
 * to "resource_metadata:a:b", lists as Python's str() of UTF-8 bytes) and its
 * HMAC-SHA256 hex digest under the secret "secret" */

/* the metadata's texts in one string, kept until the test program ends */

static const gchar *
md_json(PdMetadata *md, gsize *len)
{
	return pd_test_keep(pd_metadata_dup_json(md, len));
}

static const gchar *
md_sig(PdMetadata *md, gsize *len)
{
	return pd_test_keep(pd_metadata_dup_signature_text(md, len));
}

static const gchar vector_json[] =
  "{\"source\":\"openstack\",\"counter_name\":\"cpu\",\"counter_type\":\"cumulative\","
  "\"counter_unit\":\"ns\",\"counter_volume\":42,\"user_id\":\"u1\",\"project_id\":\"p1\","
  "\"resource_id\":\"r1\",\"timestamp\":\"2024-01-01T00:00:00.000000\","
  "\"resource_metadata\":{\"host\":\"h1\",\"flavor\":{\"vcpus\":1,\"name\":\"m1\"},"
  "\"tags\":[\"a\",\"b\"],\"empty\":{}},\"message_id\":\"m-1\",\"monotonic_time\":null}";
static const gchar vector_text[] =
  "counter_namecpucounter_typecumulativecounter_unitnscounter_volume42message_idm-1"
  "monotonic_timeNoneproject_idp1resource_idr1resource_metadata:flavor:namem1"
  "resource_metadata:flavor:vcpus1resource_metadata:hosth1resource_metadata:tags[b'a', b'b']"
  "sourceopenstacktimestamp2024-01-01T00:00:00.000000user_idu1";
static const gchar vector_signature[] =
  "16fa1cc209bacd4832c83f1fa9c7e25c2d0700ff088e82472e4e48b4b80ae266";

/* 2024-01-01T00:00:00Z */
#define VECTOR_TIMESTAMP_US G_GINT64_CONSTANT(1704067200000000)

static JsonObject *
parse_object(const gchar *text)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = json_from_string(text, &error);

	g_assert_no_error(error);
	g_assert_nonnull(node);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
	return json_object_ref(json_node_get_object(node));
}

static gchar **
object_keys(JsonObject *obj)
{
	g_autoptr(GList) keys = json_object_get_members(obj);
	GPtrArray *out = g_ptr_array_new();

	for (GList *l = keys; l != NULL; l = l->next)
		g_ptr_array_add(out, g_strdup(l->data));
	g_ptr_array_add(out, NULL);
	return (gchar **)g_ptr_array_free(out, FALSE);
}

static void
assert_keys(JsonObject *obj, const gchar *const *expected)
{
	g_auto(GStrv) keys = object_keys(obj);

	g_assert_cmpstrv(keys, expected);
}

static gboolean
matches(const gchar *pattern, const gchar *str)
{
	return g_regex_match_simple(pattern, str, 0, 0);
}

/* the test vector's metadata, built in its JSON order */
static PdMetadata *
vector_metadata(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	const gchar *tags[] = { "a", "b", NULL };

	pd_metadata_builder_add_string(b, "host", "h1");
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_int(b, "vcpus", 1);
	pd_metadata_builder_add_string(b, "name", "m1");
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_string_list(b, "tags", tags);
	pd_metadata_builder_begin_object(b, "empty");
	pd_metadata_builder_end_object(b);
	return pd_metadata_builder_end(b);
}

static void
vector_sample(PdSample *s, PdMetadata *md)
{
	memset(s, 0, sizeof(*s));
	s->name = "cpu";
	s->type = PD_SAMPLE_TYPE_CUMULATIVE;
	s->unit = "ns";
	s->user_id = "u1";
	s->project_id = "p1";
	s->resource_id = "r1";
	s->metadata = md;
	s->timestamp_us = VECTOR_TIMESTAMP_US;
	s->monotonic_time = NAN;
	pd_sample_set_int(s, 42);
}

static gchar *
serialize_one(PdSerializer *ser, const PdSample *s)
{
	GString *out = g_string_new(NULL);

	pd_serializer_append_sample(ser, out, s);
	return g_string_free(out, FALSE);
}

static void
test_vector_json(void)
{
	g_autoptr(JsonObject) obj = parse_object(vector_json);
	g_autofree gchar *text = pd_test_signature_text_for_json(obj);
	g_autofree gchar *sig = pd_test_signature_compute_json("secret", obj);

	g_assert_cmpstr(text, ==, vector_text);
	g_assert_cmpstr(sig, ==, vector_signature);
	json_object_set_string_member(obj, "message_signature", vector_signature);
	g_assert_true(pd_test_signature_verify_json("secret", obj));
	g_assert_false(pd_test_signature_verify_json("other", obj));
}

static void
test_vector_fast_path(void)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "secret", FALSE);
	g_autoptr(PdMetadata) md = vector_metadata();
	g_autoptr(JsonObject) obj = NULL;
	g_autofree gchar *json = NULL;
	g_autofree gchar *text = NULL;
	PdSample s;

	vector_sample(&s, md);
	pd_serializer_set_fixed_message_id(ser, "m-1");
	json = serialize_one(ser, &s);
	obj = parse_object(json);
	g_assert_cmpstr(
	  json_object_get_string_member(obj, "message_signature"), ==, vector_signature);
	text = pd_test_signature_text_for_json(obj);
	g_assert_cmpstr(text, ==, vector_text);
	g_assert_true(pd_test_signature_verify_json("secret", obj));
}

/* Lists of anything, as Cinder's volume attachments: the text and signature
 * ceilometer 19's publisher.utils computes (decode_unicode: bytes at any
 * depth, dict keys sorted) and json.dumps() of the metadata, taken from the
 * installed python3-ceilometer */
static const gchar *lists_md_json =
  "{\"attachments\": [{\"server_id\": \"s1\", \"attachment_id\": \"a\\u00e9\", \"device\": "
  "\"/dev/vdb\", \"bootable\": false, \"size\": 2, \"ratio\": 0.5, \"x\": null, \"tags\": "
  "[\"t\", [\"n\"]], \"nested\": {\"b\": 1, \"a\": \"q'\"}}], \"plain\": [\"a\", \"b\"], "
  "\"mixed\": [1, 2.0, true, null, \"s\"]}";
static const gchar *lists_text =
  "counter_namevolume.sizecounter_typegaugecounter_unitGBcounter_volume1message_idm-1"
  "monotonic_timeNoneproject_idp1resource_idv1resource_metadata:attachments[{b'attachment_id': "
  "b'a\\xc3\\xa9', b'bootable': False, b'device': b'/dev/vdb', b'nested': {b'a': b\"q'\", b'b': "
  "1}, b'ratio': 0.5, b'server_id': b's1', b'size': 2, b'tags': [b't', [b'n']], b'x': None}]"
  "resource_metadata:mixed[1, 2.0, True, None, b's']resource_metadata:plain[b'a', b'b']"
  "sourceopenstacktimestamp2024-01-01T00:00:00.000000user_idu1";
static const gchar *lists_signature =
  "327299c8c3acd1fa23ed0565dd42a298e772737777fa90f196a3a970469aa1df";

static void
test_lists_of_anything(void)
{
	g_autoptr(JsonObject) md_obj = parse_object(lists_md_json);
	g_autoptr(GList) keys = json_object_get_members(md_obj);
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) md = NULL;
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "secret", FALSE);
	g_autoptr(JsonObject) obj = NULL;
	g_autofree gchar *json = NULL;
	g_autofree gchar *text = NULL;
	PdSample s;

	for (GList *l = keys; l != NULL; l = l->next)
		pd_metadata_builder_add_json_node(
		  b, l->data, json_object_get_member(md_obj, l->data));
	md = pd_metadata_builder_end(b);
	g_assert_cmpstr(md_json(md, NULL), ==, lists_md_json);

	vector_sample(&s, md);
	s.name = "volume.size";
	s.type = PD_SAMPLE_TYPE_GAUGE;
	s.unit = "GB";
	s.resource_id = "v1";
	pd_sample_set_int(&s, 1);
	pd_serializer_set_fixed_message_id(ser, "m-1");
	json = serialize_one(ser, &s);
	obj = parse_object(json);
	g_assert_cmpstr(
	  json_object_get_string_member(obj, "message_signature"), ==, lists_signature);
	/* the generic walk that checks signatures agrees */
	text = pd_test_signature_text_for_json(obj);
	g_assert_cmpstr(text, ==, lists_text);
	g_assert_true(pd_test_signature_verify_json("secret", obj));
}

static void
test_sort_order(void)
{
	g_autoptr(JsonObject) obj = parse_object("{\"a-b\":1,\"a\":{\"x\":true}}");
	g_autofree gchar *text = pd_test_signature_text_for_json(obj);
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) md = NULL;

	/* "a" < "a-b" at the top level, although "a-b" < "a:x" as flat keys */
	g_assert_cmpstr(text, ==, "a:xTruea-b1");
	pd_metadata_builder_add_int(b, "a-b", 1);
	pd_metadata_builder_begin_object(b, "a");
	pd_metadata_builder_add_bool(b, "x", TRUE);
	pd_metadata_builder_end_object(b);
	md = pd_metadata_builder_end(b);
	g_assert_cmpstr(md_sig(md, NULL), ==, "resource_metadata:a:xTrueresource_metadata:a-b1");
	g_assert_cmpstr(md_json(md, NULL), ==, "{\"a-b\": 1, \"a\": {\"x\": true}}");
}

/* expected strings are Python 3's repr() */
static const struct {
	gdouble value;
	const gchar *repr;
} double_table[] = {
	{ 1.0, "1.0" },
	{ 0.1, "0.1" },
	{ 1e16, "1e+16" },
	{ 1e-05, "1e-05" },
	{ 1e15, "1000000000000000.0" },
	{ 123.456, "123.456" },
	{ -0.0, "-0.0" },
	{ 0.0, "0.0" },
	{ 2.5e-07, "2.5e-07" },
	{ 1.7976931348623157e+308, "1.7976931348623157e+308" },
	{ 0.0001, "0.0001" },
	{ 0.001, "0.001" },
	{ 1.2345678901234567e+19, "1.2345678901234567e+19" },
	{ 1.5e+20, "1.5e+20" },
	{ 5e-324, "5e-324" },
	{ 3.5e-323, "3.5e-323" },
	{ 7.120236347223045e-307, "7.120236347223045e-307" }, /* 2**-1017 */
	{ 1.2676506002282294e+30, "1.2676506002282294e+30" }, /* 2**100 */
	{ 0.30000000000000004, "0.30000000000000004" },
	{ 1.0 / 3.0, "0.3333333333333333" },
	{ 2205.877671534, "2205.877671534" },
	{ 9007199254740992.0, "9007199254740992.0" },
	{ 9999999999999998.0, "9999999999999998.0" },
	{ 1e22, "1e+22" },
	{ 1e23, "1e+23" },
	{ -1.5, "-1.5" },
	{ 100.0, "100.0" },
	{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
	{ 1e-07, "1e-07" },
	{ 0.000123, "0.000123" },
	{ 1e+300, "1e+300" },
	{ 9.223372036854776e+18, "9.223372036854776e+18" },
	{ 1234567890123456.8, "1234567890123456.8" },
	{ 65536.5, "65536.5" },
};

static void
test_format_double(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(double_table); i++) {
		gchar buf[32];
		gsize len = pd_pytext_format_double(double_table[i].value, buf);
		g_assert_cmpstr(buf, ==, double_table[i].repr);
		g_assert_cmpuint(len, ==, strlen(double_table[i].repr));
	}
}

static void
test_format_double_non_finite(void)
{
	g_autoptr(GString) json = g_string_new(NULL);
	gchar buf[32];

	pd_pytext_format_double(NAN, buf);
	g_assert_cmpstr(buf, ==, "nan");
	pd_pytext_format_double(INFINITY, buf);
	g_assert_cmpstr(buf, ==, "inf");
	pd_pytext_format_double(-INFINITY, buf);
	g_assert_cmpstr(buf, ==, "-inf");
	pd_pytext_json_double(json, NAN);
	g_string_append_c(json, ' ');
	pd_pytext_json_double(json, INFINITY);
	g_string_append_c(json, ' ');
	pd_pytext_json_double(json, -INFINITY);
	g_assert_cmpstr(json->str, ==, "NaN Infinity -Infinity");
}

/* random bit patterns: the text must read back as the same double */
static void
test_format_double_round_trip(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(42);

	for (guint i = 0; i < 100000; i++) {
		guint64 bits = ((guint64)g_rand_int(rand) << 32) | g_rand_int(rand);
		gdouble v, back;
		gchar buf[32];
		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		pd_pytext_format_double(v, buf);
		back = g_ascii_strtod(buf, NULL);
		g_assert_true(back == v && signbit(back) == signbit(v));
	}
}

static void
test_int_vs_float_volume(void)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "secret", FALSE);
	g_autoptr(PdMetadata) md = vector_metadata();
	g_autoptr(JsonObject) as_int = NULL;
	g_autoptr(JsonObject) as_float = NULL;
	g_autofree gchar *json_int = NULL;
	g_autofree gchar *json_float = NULL;
	PdSample s;

	vector_sample(&s, md);
	pd_serializer_set_fixed_message_id(ser, "m-1");
	json_int = serialize_one(ser, &s);
	pd_sample_set_double(&s, 42.0);
	json_float = serialize_one(ser, &s);
	g_assert_nonnull(strstr(json_int, "\"counter_volume\": 42, "));
	g_assert_nonnull(strstr(json_float, "\"counter_volume\": 42.0, "));
	as_int = parse_object(json_int);
	as_float = parse_object(json_float);
	g_assert_cmpstr(
	  json_object_get_string_member(as_int, "message_signature"), ==, vector_signature);
	g_assert_cmpstr(json_object_get_string_member(as_int, "message_signature"),
			!=,
			json_object_get_string_member(as_float, "message_signature"));
	g_assert_true(pd_test_signature_verify_json("secret", as_int));
	g_assert_true(pd_test_signature_verify_json("secret", as_float));
}

static void
assert_json_string(const gchar *in, const gchar *expected)
{
	g_autoptr(GString) out = g_string_new(NULL);

	pd_pytext_json_string(out, in);
	g_assert_cmpstr(out->str, ==, expected);
}

/* expected strings are Python's json.dumps() */
static void
test_string_escaping(void)
{
	assert_json_string("plain/slash", "\"plain/slash\"");
	assert_json_string("\xc3\xa9", "\"\\u00e9\"");
	assert_json_string("\xf0\x9f\x98\x80", "\"\\ud83d\\ude00\"");
	assert_json_string("\n\r\t\b\f\x01\x1f\x7f", "\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"");
	assert_json_string("say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\"");
	assert_json_string("\xe2\x82\xac 5", "\"\\u20ac 5\"");
	assert_json_string("", "\"\"");
	assert_json_string(NULL, "null");
	/* invalid UTF-8 becomes U+FFFD, byte by byte */
	assert_json_string("a\xff\xc3z", "\"a\\ufffd\\ufffdz\"");
	assert_json_string("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
}

static void
test_signature_string_text(void)
{
	g_autoptr(GString) sig = g_string_new(NULL);
	const gchar *list[] = { "\xc3\xa9",  "it's",	 "a\"b'c",     "back\\slash",
				"tab\tnl\n", "\x01\x7f", "say \"hi\"", "\xf0\x9f\x98\x80",
				NULL };
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) md = NULL;

	pd_pytext_str(sig, "\xc3\xa9\xff");
	g_assert_cmpstr(sig->str, ==, "\xc3\xa9\xef\xbf\xbd");
	/* expected: str(list(map(lambda x: x.encode('utf-8'), l))) */
	pd_metadata_builder_add_string_list(b, "l", list);
	md = pd_metadata_builder_end(b);
	g_assert_cmpstr(md_sig(md, NULL),
			==,
			"resource_metadata:l[b'\\xc3\\xa9', b\"it's\", b'a\"b\\'c', "
			"b'back\\\\slash', b'tab\\tnl\\n', b'\\x01\\x7f', b'say \"hi\"', "
			"b'\\xf0\\x9f\\x98\\x80']");
	g_assert_cmpstr(md_json(md, NULL),
			==,
			"{\"l\": [\"\\u00e9\", \"it's\", \"a\\\"b'c\", \"back\\\\slash\", "
			"\"tab\\tnl\\n\", \"\\u0001\\u007f\", \"say \\\"hi\\\"\", "
			"\"\\ud83d\\ude00\"]}");
}

/* str() of a text copies its ASCII runs whole: runs before, between and
 * after multi-byte characters and invalid bytes keep their place */
static void
test_signature_str_runs(void)
{
	static const struct {
		const gchar *in;
		const gchar *out;
	} cases[] = {
		{ "", "" },
		{ "plain ascii id 0123", "plain ascii id 0123" },
		{ "ab\xc3\xa9"
		  "cd\xff"
		  "ef",
		  "ab\xc3\xa9"
		  "cd\xef\xbf\xbd"
		  "ef" },
		{ "\xf0\x9f\x98\x80tail", "\xf0\x9f\x98\x80tail" },
		{ "head\xe2\x82\xac", "head\xe2\x82\xac" },
		{ "x\xc3", "x\xef\xbf\xbd" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) sig = g_string_new("<");

		pd_pytext_str(sig, cases[i].in);
		g_assert_true(g_str_has_prefix(sig->str, "<"));
		g_assert_cmpstr(sig->str + 1, ==, cases[i].out);
		g_assert_cmpuint(sig->len, ==, strlen(cases[i].out) + 1);
	}
}

static const gchar *const keys_plain[] = {
	"source",     "counter_name",	"counter_type",	     "counter_unit", "counter_volume",
	"user_id",    "project_id",	"resource_id",	     "timestamp",    "resource_metadata",
	"message_id", "monotonic_time", "message_signature", NULL,
};
static const gchar *const keys_identity[] = {
	"source",	  "counter_name",   "counter_type",	 "counter_unit",
	"counter_volume", "user_id",	    "user_name",	 "project_id",
	"project_name",	  "resource_id",    "timestamp",	 "resource_metadata",
	"message_id",	  "monotonic_time", "message_signature", NULL,
};

/* keys in order in the text itself, not only in json-glib's view */
static void
assert_text_key_order(const gchar *json, const gchar *const *keys)
{
	const gchar *pos = json;

	for (guint i = 0; keys[i] != NULL; i++) {
		g_autofree gchar *needle = g_strdup_printf("\"%s\": ", keys[i]);
		const gchar *hit = strstr(pos, needle);
		g_assert_nonnull(hit);
		pos = hit + strlen(needle);
	}
}

static void
test_sample_shape(void)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "secret", FALSE);
	g_autoptr(PdMetadata) md = vector_metadata();
	g_autoptr(JsonObject) obj = NULL;
	g_autofree gchar *json = NULL;
	PdSample s;

	vector_sample(&s, md);
	s.user_name = "ignored";
	s.monotonic_time = 12.5;
	json = serialize_one(ser, &s);
	assert_text_key_order(json, keys_plain);
	obj = parse_object(json);
	assert_keys(obj, keys_plain);
	g_assert_cmpstr(json_object_get_string_member(obj, "source"), ==, "openstack");
	g_assert_cmpstr(json_object_get_string_member(obj, "counter_type"), ==, "cumulative");
	g_assert_cmpint(json_object_get_int_member(obj, "counter_volume"), ==, 42);
	g_assert_cmpstr(
	  json_object_get_string_member(obj, "timestamp"), ==, "2024-01-01T00:00:00.000000");
	g_assert_true(
	  matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
		  json_object_get_string_member(obj, "message_id")));
	g_assert_cmpfloat(json_object_get_double_member(obj, "monotonic_time"), ==, 12.5);
	g_assert_true(
	  matches("^[0-9a-f]{64}$", json_object_get_string_member(obj, "message_signature")));
	g_assert_true(pd_test_signature_verify_json("secret", obj));
	g_assert_nonnull(strstr(json,
				"\"resource_metadata\": {\"host\": \"h1\", \"flavor\": "
				"{\"vcpus\": 1, \"name\": \"m1\"}, \"tags\": [\"a\", \"b\"], "
				"\"empty\": {}}, "));
}

static void
test_sample_shape_identity_names(void)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "secret", TRUE);
	g_autoptr(PdMetadata) md = vector_metadata();
	g_autoptr(JsonObject) obj = NULL;
	g_autofree gchar *json = NULL;
	g_autofree gchar *text = NULL;
	PdSample s;

	vector_sample(&s, md);
	s.user_name = "alice";
	json = serialize_one(ser, &s);
	assert_text_key_order(json, keys_identity);
	obj = parse_object(json);
	assert_keys(obj, keys_identity);
	g_assert_cmpstr(json_object_get_string_member(obj, "user_name"), ==, "alice");
	g_assert_true(json_object_get_null_member(obj, "project_name"));
	g_assert_true(json_object_get_null_member(obj, "monotonic_time"));
	/* the names are signed too */
	text = pd_test_signature_text_for_json(obj);
	g_assert_nonnull(strstr(text, "project_idp1project_nameNoneresource_idr1"));
	g_assert_true(g_str_has_suffix(text, "user_idu1user_namealice"));
	g_assert_true(pd_test_signature_verify_json("secret", obj));
}

/* a sample with every kind of value, against Python: the reference output
 * of meter_message_from_counter() + json.dumps() */
static const gchar python_reference[] =
  "{\"source\": \"openstack\", \"counter_name\": \"disk.device.read.bytes\", "
  "\"counter_type\": \"cumulative\", \"counter_unit\": \"B\", \"counter_volume\": 12345.5, "
  "\"user_id\": \"u-\\u00e9\", \"user_name\": \"Zo\\u00eb\", \"project_id\": \"p1\", "
  "\"project_name\": null, \"resource_id\": \"r1-vda\", "
  "\"timestamp\": \"2024-02-29T12:34:56.000001\", \"resource_metadata\": "
  "{\"display_name\": \"vm \\\"quoted\\\"\", \"flavor\": {\"name\": \"m1\", \"vcpus\": 2, "
  "\"extra\": {}}, \"tags\": [\"x\", \"\\u00ff\"], \"ok\": true, \"ratio\": 0.5, "
  "\"none\": null, \"a-b\": 1, \"a\": {\"x\": true}}, \"message_id\": \"mid-1\", "
  "\"monotonic_time\": 12.5, \"message_signature\": "
  "\"39d04f2ca6998d0ad50771ad076e31e2545291b068a68ef92c7af76075deeeb3\"}";

static PdMetadata *
python_reference_metadata(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	const gchar *tags[] = { "x", "\xc3\xbf", NULL };

	pd_metadata_builder_add_string(b, "display_name", "vm \"quoted\"");
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_string(b, "name", "m1");
	pd_metadata_builder_add_int(b, "vcpus", 2);
	pd_metadata_builder_begin_object(b, "extra");
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_string_list(b, "tags", tags);
	pd_metadata_builder_add_bool(b, "ok", TRUE);
	pd_metadata_builder_add_double(b, "ratio", 0.5);
	pd_metadata_builder_add_null(b, "none");
	pd_metadata_builder_add_int(b, "a-b", 1);
	pd_metadata_builder_begin_object(b, "a");
	pd_metadata_builder_add_bool(b, "x", TRUE);
	pd_metadata_builder_end_object(b);
	return pd_metadata_builder_end(b);
}

static void
test_python_reference(void)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "s3cr3t", TRUE);
	g_autoptr(PdMetadata) md = python_reference_metadata();
	g_autoptr(JsonObject) obj = NULL;
	g_autofree gchar *json = NULL;
	PdSample s = { 0 };

	s.name = "disk.device.read.bytes";
	s.type = PD_SAMPLE_TYPE_CUMULATIVE;
	s.unit = "B";
	s.user_id = "u-\xc3\xa9";
	s.user_name = "Zo\xc3\xab";
	s.project_id = "p1";
	s.resource_id = "r1-vda";
	s.metadata = md;
	s.timestamp_us = G_GINT64_CONSTANT(1709210096000001); /* 2024-02-29T12:34:56.000001 */
	s.monotonic_time = 12.5;
	pd_sample_set_double(&s, 12345.5);
	pd_serializer_set_fixed_message_id(ser, "mid-1");
	json = serialize_one(ser, &s);
	g_assert_cmpstr(json, ==, python_reference);
	obj = parse_object(json);
	g_assert_true(pd_test_signature_verify_json("s3cr3t", obj));
}

static void
test_no_secret(void)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "", FALSE);
	g_autoptr(PdSerializer) ser_null = pd_serializer_new("openstack", NULL, FALSE);
	g_autoptr(JsonObject) obj = parse_object(vector_json);
	g_autofree gchar *a = NULL;
	g_autofree gchar *b = NULL;
	g_autofree gchar *sig = pd_test_signature_compute_json(NULL, obj);
	PdSample s;

	vector_sample(&s, NULL);
	a = serialize_one(ser, &s);
	b = serialize_one(ser_null, &s);
	g_assert_true(g_str_has_suffix(a, "\"message_signature\": \"\"}"));
	g_assert_true(g_str_has_suffix(b, "\"message_signature\": \"\"}"));
	/* and a NULL metadata is an empty object */
	g_assert_nonnull(strstr(a, "\"resource_metadata\": {}, "));
	g_assert_cmpstr(sig, ==, "");
}

static void
test_non_finite_volume(void)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "secret", FALSE);
	g_autofree gchar *nan_json = NULL;
	g_autofree gchar *inf_json = NULL;
	g_autofree gchar *null_json = NULL;
	PdSample s;

	vector_sample(&s, NULL);
	pd_sample_set_double(&s, NAN);
	nan_json = serialize_one(ser, &s);
	pd_sample_set_double(&s, -INFINITY);
	inf_json = serialize_one(ser, &s);
	pd_sample_set_null(&s);
	s.monotonic_time = -1;
	null_json = serialize_one(ser, &s);
	g_assert_nonnull(strstr(null_json, "\"monotonic_time\": null, "));
	g_assert_nonnull(strstr(nan_json, "\"counter_volume\": NaN, "));
	g_assert_nonnull(strstr(inf_json, "\"counter_volume\": -Infinity, "));
	g_assert_nonnull(strstr(null_json, "\"counter_volume\": null, "));
}

static void
test_envelope(void)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "secret", FALSE);
	g_autoptr(PdMetadata) md = vector_metadata();
	g_autoptr(PdMessage) msg = NULL;
	g_autoptr(JsonObject) outer = NULL;
	g_autoptr(JsonObject) inner = NULL;
	g_autofree gchar *body = NULL;
	const gchar *const outer_keys[] = { "oslo.version", "oslo.message", NULL };
	const gchar *const inner_keys[] = { "message_id", "publisher_id", "event_type", "priority",
					    "payload",	  "timestamp",	  "_unique_id", NULL };
	PdSample samples[3];
	PdSample *ptrs[3];
	JsonArray *list;
	gsize len;

	for (guint i = 0; i < 3; i++) {
		vector_sample(&samples[i], md);
		ptrs[i] = &samples[i];
	}
	samples[1].type = PD_SAMPLE_TYPE_GAUGE;
	samples[2].type = PD_SAMPLE_TYPE_DELTA;
	samples[2].resource_id = "r-\xc3\xa9\"";
	msg = pd_serializer_build_message(ser, ptrs, 3);
	g_assert_cmpuint(msg->n_samples, ==, 3);
	g_assert_cmpuint(msg->n_counters, ==, 2);
	body = g_strndup(g_bytes_get_data(msg->body, &len), g_bytes_get_size(msg->body));
	g_assert_cmpuint(strlen(body), ==, len);
	g_assert_true(g_str_has_prefix(body, "{\"oslo.version\": \"2.0\", \"oslo.message\": \"{"));
	g_assert_true(g_str_has_suffix(body, "}\"}"));
	outer = parse_object(body);
	assert_keys(outer, outer_keys);
	g_assert_cmpstr(json_object_get_string_member(outer, "oslo.version"), ==, "2.0");
	inner = parse_object(json_object_get_string_member(outer, "oslo.message"));
	assert_keys(inner, inner_keys);
	g_assert_cmpstr(json_object_get_string_member(inner, "message_id"), ==, msg->message_id);
	g_assert_true(
	  matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
		  msg->message_id));
	g_assert_cmpstr(
	  json_object_get_string_member(inner, "publisher_id"), ==, "ceilometer.polling");
	g_assert_cmpstr(
	  json_object_get_string_member(inner, "event_type"), ==, "telemetry.polling");
	g_assert_cmpstr(json_object_get_string_member(inner, "priority"), ==, "SAMPLE");
	g_assert_true(matches("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}$",
			      json_object_get_string_member(inner, "timestamp")));
	g_assert_true(matches("^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$",
			      json_object_get_string_member(inner, "_unique_id")));
	list =
	  json_object_get_array_member(json_object_get_object_member(inner, "payload"), "samples");
	g_assert_cmpuint(json_array_get_length(list), ==, 3);
	for (guint i = 0; i < 3; i++) {
		JsonObject *sample = json_array_get_object_element(list, i);
		assert_keys(sample, keys_plain);
		g_assert_true(pd_test_signature_verify_json("secret", sample));
	}
	g_assert_cmpstr(
	  json_object_get_string_member(json_array_get_object_element(list, 2), "resource_id"),
	  ==,
	  "r-\xc3\xa9\"");
}

static void
test_envelope_empty(void)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "secret", FALSE);
	g_autoptr(PdMessage) msg = pd_serializer_build_message(ser, NULL, 0);
	g_autoptr(JsonObject) outer = NULL;
	gsize len;
	g_autofree gchar *body = NULL;

	body = g_strndup(g_bytes_get_data(msg->body, &len), g_bytes_get_size(msg->body));
	outer = parse_object(body);
	g_assert_nonnull(strstr(body, "\\\"payload\\\": {\\\"samples\\\": []}, "));
	g_assert_cmpuint(msg->n_samples, ==, 0);
}

/* ---- golden message from Ceilometer 19 ---- */

static gchar *
golden_dir(void)
{
	const gchar *env = g_getenv("POLLD_GOLDEN_DIR");
	const gchar *candidates[] = {
#ifdef POLLD_GOLDEN_DIR
		POLLD_GOLDEN_DIR,
#endif
		"tests/data/golden",
		"../tests/data/golden",
		NULL,
	};

	if (env != NULL)
		return g_file_test(env, G_FILE_TEST_IS_DIR) ? g_strdup(env) : NULL;
	for (guint i = 0; candidates[i] != NULL; i++) {
		g_autofree gchar *probe = g_build_filename(candidates[i], "msg-0000.body", NULL);
		if (g_file_test(probe, G_FILE_TEST_EXISTS))
			return g_strdup(candidates[i]);
	}
	return NULL;
}

/* the inner message text, or NULL (test skipped) */
static gchar *
golden_inner(void)
{
	g_autofree gchar *dir = golden_dir();
	g_autofree gchar *path = NULL;
	g_autofree gchar *body = NULL;
	g_autoptr(JsonObject) outer = NULL;
	g_autoptr(GError) error = NULL;

	if (dir == NULL) {
		g_test_skip("golden message not found, set POLLD_GOLDEN_DIR");
		return NULL;
	}
	path = g_build_filename(dir, "msg-0000.body", NULL);
	g_file_get_contents(path, &body, NULL, &error);
	g_assert_no_error(error);
	outer = parse_object(body);
	return g_strdup(json_object_get_string_member(outer, "oslo.message"));
}

/* end of the JSON object starting at @p (which is '{') */
static const gchar *
object_end(const gchar *p)
{
	gint depth = 0;
	gboolean in_string = FALSE;

	for (;; p++) {
		if (in_string) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_string = FALSE;
		} else if (*p == '"') {
			in_string = TRUE;
		} else if (*p == '{') {
			depth++;
		} else if (*p == '}' && --depth == 0) {
			return p + 1;
		}
		g_assert_cmpint(*p, !=, '\0');
	}
}

/* the byte-exact texts of the samples in the inner message */
static GPtrArray *
golden_sample_texts(const gchar *inner)
{
	GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
	const gchar *p = strstr(inner, "\"samples\": [");

	g_assert_nonnull(p);
	p = strchr(p, '[') + 1;
	while (*p == '{') {
		const gchar *end = object_end(p);
		g_ptr_array_add(texts, g_strndup(p, (gsize)(end - p)));
		p = end;
		if (g_str_has_prefix(p, ", "))
			p += 2;
	}
	g_assert_cmpint(*p, ==, ']');
	return texts;
}

static void
metadata_add_node(PdMetadataBuilder *b, const gchar *key, JsonNode *node);

static void
metadata_add_members(PdMetadataBuilder *b, JsonObject *obj)
{
	g_autoptr(GList) keys = json_object_get_members(obj);

	for (GList *l = keys; l != NULL; l = l->next)
		metadata_add_node(b, l->data, json_object_get_member(obj, l->data));
}

static void
metadata_add_string_list(PdMetadataBuilder *b, const gchar *key, JsonArray *array)
{
	g_autoptr(GPtrArray) values = g_ptr_array_new();

	for (guint i = 0; i < json_array_get_length(array); i++)
		g_ptr_array_add(values, (gpointer)json_array_get_string_element(array, i));
	g_ptr_array_add(values, NULL);
	pd_metadata_builder_add_string_list(b, key, (const gchar *const *)values->pdata);
}

static void
metadata_add_node(PdMetadataBuilder *b, const gchar *key, JsonNode *node)
{
	GType type;

	if (JSON_NODE_HOLDS_NULL(node)) {
		pd_metadata_builder_add_null(b, key);
	} else if (JSON_NODE_HOLDS_OBJECT(node)) {
		pd_metadata_builder_begin_object(b, key);
		metadata_add_members(b, json_node_get_object(node));
		pd_metadata_builder_end_object(b);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		metadata_add_string_list(b, key, json_node_get_array(node));
	} else {
		type = json_node_get_value_type(node);
		if (type == G_TYPE_STRING)
			pd_metadata_builder_add_string(b, key, json_node_get_string(node));
		else if (type == G_TYPE_INT64)
			pd_metadata_builder_add_int(b, key, json_node_get_int(node));
		else if (type == G_TYPE_DOUBLE)
			pd_metadata_builder_add_double(b, key, json_node_get_double(node));
		else
			pd_metadata_builder_add_bool(b, key, json_node_get_boolean(node));
	}
}

static gint64
parse_sample_timestamp(const gchar *text)
{
	g_autofree gchar *utc = g_strconcat(text, "Z", NULL);
	g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(utc, NULL);

	g_assert_nonnull(dt);
	return g_date_time_to_unix(dt) * G_USEC_PER_SEC + g_date_time_get_microsecond(dt);
}

/* a PdSample equivalent to the decoded golden sample */
static void
sample_from_golden(PdSample *s, JsonObject *obj, PdMetadata *md)
{
	PdSampleType type;

	memset(s, 0, sizeof(*s));
	g_assert_true(
	  pd_sample_type_from_string(json_object_get_string_member(obj, "counter_type"), &type));
	s->type = type;
	s->name = json_object_get_string_member(obj, "counter_name");
	s->unit = json_object_get_string_member(obj, "counter_unit");
	s->user_id = json_object_get_string_member(obj, "user_id");
	s->project_id = json_object_get_string_member(obj, "project_id");
	s->resource_id = json_object_get_string_member(obj, "resource_id");
	s->metadata = md;
	s->timestamp_us = parse_sample_timestamp(json_object_get_string_member(obj, "timestamp"));
	s->monotonic_time = json_object_get_double_member(obj, "monotonic_time");
	pd_sample_set_int(s, json_object_get_int_member(obj, "counter_volume"));
}

static void
check_golden_sample(const gchar *golden)
{
	g_autoptr(PdSerializer) ser = pd_serializer_new("openstack", "anchor-secret", FALSE);
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) md = NULL;
	g_autoptr(JsonObject) obj = parse_object(golden);
	g_autofree gchar *json = NULL;
	PdSample s;

	metadata_add_members(b, json_object_get_object_member(obj, "resource_metadata"));
	md = pd_metadata_builder_end(b);
	sample_from_golden(&s, obj, md);
	pd_serializer_set_fixed_message_id(ser, json_object_get_string_member(obj, "message_id"));
	json = serialize_one(ser, &s);
	g_assert_cmpstr(json, ==, golden);
}

static void
test_golden_samples(void)
{
	g_autofree gchar *inner = golden_inner();
	g_autoptr(GPtrArray) texts = NULL;

	if (inner == NULL)
		return;
	texts = golden_sample_texts(inner);
	g_assert_cmpuint(texts->len, ==, 3);
	/* byte for byte, signature included */
	for (guint i = 0; i < texts->len; i++)
		check_golden_sample(g_ptr_array_index(texts, i));
}

static void
test_golden_verify_json(void)
{
	g_autofree gchar *inner = golden_inner();
	g_autoptr(JsonObject) obj = NULL;
	JsonArray *list;

	if (inner == NULL)
		return;
	obj = parse_object(inner);
	list =
	  json_object_get_array_member(json_object_get_object_member(obj, "payload"), "samples");
	for (guint i = 0; i < json_array_get_length(list); i++) {
		JsonObject *sample = json_array_get_object_element(list, i);
		g_assert_true(pd_test_signature_verify_json("anchor-secret", sample));
		g_assert_false(pd_test_signature_verify_json("wrong-secret", sample));
	}
}

/* ---- metadata ---- */

static void
test_metadata_update_in_place(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) base = NULL;
	g_autoptr(PdMetadata) md = NULL;
	g_autofree gchar *name = NULL;

	pd_metadata_builder_add_string(b, "name", "vm-1");
	pd_metadata_builder_add_int(b, "vcpus", 2);
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_string(b, "name", "m1");
	pd_metadata_builder_end_object(b);
	base = pd_metadata_builder_end(b);

	pd_metadata_builder_add_all(b, base);
	pd_metadata_builder_add_string(b, "disk_name", "vda");
	pd_metadata_builder_add_string(b, "name", "tap0");
	pd_metadata_builder_add_null(b, "flavor");
	md = pd_metadata_builder_end(b);

	g_assert_cmpstr(
	  md_json(md, NULL),
	  ==,
	  "{\"name\": \"tap0\", \"vcpus\": 2, \"flavor\": null, \"disk_name\": \"vda\"}");
	g_assert_cmpstr(md_sig(md, NULL),
			==,
			"resource_metadata:disk_namevdaresource_metadata:flavorNone"
			"resource_metadata:nametap0resource_metadata:vcpus2");
	/* the base is untouched */
	g_assert_cmpstr(md_json(base, NULL),
			==,
			"{\"name\": \"vm-1\", \"vcpus\": 2, \"flavor\": {\"name\": \"m1\"}}");
	name = pd_metadata_dup_value_json(md, "name");
	g_assert_cmpstr(name, ==, "\"tap0\"");
	g_assert_null(pd_metadata_dup_value_json(md, "missing"));
}

static void
test_metadata_flat(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) full = NULL;
	g_autoptr(PdMetadata) flat = NULL;

	/* same rendering, without the members */
	pd_metadata_builder_add_string(b, "name", "vm-1");
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_int(b, "vcpus", 2);
	pd_metadata_builder_end_object(b);
	full = pd_metadata_builder_end(b);
	pd_metadata_builder_add_all(b, full);
	pd_metadata_builder_add_string(b, "disk_name", "vda");
	flat = pd_metadata_builder_end_flat(b);
	g_assert_cmpstr(md_json(flat, NULL),
			==,
			"{\"name\": \"vm-1\", \"flavor\": {\"vcpus\": 2}, \"disk_name\": \"vda\"}");
	g_assert_cmpstr(md_sig(flat, NULL),
			==,
			"resource_metadata:disk_namevdaresource_metadata:flavor:vcpus2resource_"
			"metadata:namevm-1");
	g_assert_null(pd_metadata_dup_value_json(flat, "name"));
}

typedef void (*MdEdit)(PdMetadataBuilder *b);

static void
edit_append(PdMetadataBuilder *b)
{
	pd_metadata_builder_add_string(b, "disk_name", "vda");
}

static void
edit_replace_middle(PdMetadataBuilder *b)
{
	pd_metadata_builder_add_string(b, "name", "tap0");
	pd_metadata_builder_add_string(b, "mac", "52:54:00:00:00:01");
	pd_metadata_builder_begin_object(b, "parameters");
	pd_metadata_builder_add_string(b, "ip", "10.0.0.1");
	pd_metadata_builder_end_object(b);
}

static void
edit_replace_first_and_last(PdMetadataBuilder *b)
{
	pd_metadata_builder_add_string(b, "display_name", "renamed");
	pd_metadata_builder_add_int(b, "root_gb", 40);
}

static void
edit_same_value(PdMetadataBuilder *b)
{
	pd_metadata_builder_add_int(b, "vcpus", 2);
}

static void
edit_nothing(PdMetadataBuilder *b)
{
}

/* a sealed base keeps its texts and those of the metadata derived from it */
static void
test_metadata_seal(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) base = NULL;
	g_autoptr(PdMetadata) derived = NULL;
	g_autoptr(PdMetadata) whole = NULL;
	const gchar *base_json;
	const gchar *base_sig;
	g_autofree gchar *vcpus = NULL;

	pd_metadata_builder_add_string(b, "display_name", "vm-1");
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_int(b, "vcpus", 2);
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_int(b, "vcpus", 2);
	base = pd_metadata_builder_end(b);
	pd_metadata_builder_add_all(b, base);
	pd_metadata_builder_add_string(b, "disk_name", "vda");
	whole = pd_metadata_builder_end(b);
	pd_metadata_builder_add_all(b, base);
	pd_metadata_builder_add_string(b, "disk_name", "vda");
	derived = pd_metadata_builder_end_flat(b);
	base_json = md_json(base, NULL);
	base_sig = md_sig(base, NULL);
	vcpus = pd_metadata_dup_value_json(base, "vcpus");
	g_assert_cmpstr(vcpus, ==, "2");

	pd_metadata_seal(base);
	g_assert_cmpstr(md_json(base, NULL), ==, base_json);
	g_assert_cmpstr(md_sig(base, NULL), ==, base_sig);
	g_assert_cmpstr(md_json(derived, NULL), ==, md_json(whole, NULL));
	g_assert_cmpstr(md_sig(derived, NULL), ==, md_sig(whole, NULL));
	/* the members are gone: no lookups */
	g_assert_null(pd_metadata_dup_value_json(base, "vcpus"));
}

/* end_flat() after add_all() points into the base: its texts must be exactly
 * those of the same members rendered whole, whatever changed where */
static void
test_metadata_derived(void)
{
	const MdEdit edits[] = { edit_append,
				 edit_replace_middle,
				 edit_replace_first_and_last,
				 edit_same_value,
				 edit_nothing };
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) base = NULL;

	pd_metadata_builder_add_string(b, "display_name", "vm-1");
	pd_metadata_builder_add_string(b, "name", "instance-1");
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_string(b, "name", "m1");
	pd_metadata_builder_add_int(b, "vcpus", 2);
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_int(b, "vcpus", 2);
	pd_metadata_builder_add_string_list(b, "tags", (const gchar *const[]){ "a", "b", NULL });
	pd_metadata_builder_add_int(b, "root_gb", 20);
	base = pd_metadata_builder_end(b);

	for (guint i = 0; i < G_N_ELEMENTS(edits); i++) {
		g_autoptr(PdMetadata) whole = NULL;
		g_autoptr(PdMetadata) derived = NULL;
		const PdMdPiece *pieces;
		pd_metadata_builder_add_all(b, base);
		edits[i](b);
		whole = pd_metadata_builder_end(b);
		pd_metadata_builder_add_all(b, base);
		edits[i](b);
		derived = pd_metadata_builder_end_flat(b);
		g_assert_cmpstr(md_json(derived, NULL), ==, md_json(whole, NULL));
		g_assert_cmpstr(md_sig(derived, NULL), ==, md_sig(whole, NULL));
		/* a few runs, not one per member */
		g_assert_cmpuint(pd_metadata_get_json_pieces(derived, &pieces), <=, 5);
		g_assert_cmpuint(pd_metadata_get_signature_pieces(derived, &pieces), <=, 5);
		g_assert_null(pd_metadata_dup_value_json(derived, "name"));
	}

	/* an add before add_all(): not the base's order, rendered whole */
	{
		g_autoptr(PdMetadata) whole = NULL;
		g_autoptr(PdMetadata) flat = NULL;
		pd_metadata_builder_add_string(b, "first", "x");
		pd_metadata_builder_add_all(b, base);
		whole = pd_metadata_builder_end(b);
		pd_metadata_builder_add_string(b, "first", "x");
		pd_metadata_builder_add_all(b, base);
		flat = pd_metadata_builder_end_flat(b);
		g_assert_cmpstr(md_json(flat, NULL), ==, md_json(whole, NULL));
		g_assert_cmpstr(md_sig(flat, NULL), ==, md_sig(whole, NULL));
	}
	/* an empty base */
	{
		g_autoptr(PdMetadata) empty = pd_metadata_builder_end(b);
		g_autoptr(PdMetadata) flat = NULL;
		pd_metadata_builder_add_all(b, empty);
		pd_metadata_builder_add_int(b, "a", 1);
		flat = pd_metadata_builder_end_flat(b);
		g_assert_cmpstr(md_json(flat, NULL), ==, "{\"a\": 1}");
		g_assert_cmpstr(md_sig(flat, NULL), ==, "resource_metadata:a1");
	}
}

static void
edit_add_object_and_empty(PdMetadataBuilder *b)
{
	pd_metadata_builder_begin_object(b, "empty");
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_string(b, "a_first_in_order", "x");
	pd_metadata_builder_add_string(b, "zz_last_in_order", "y");
	/* a key JSON escapes, an empty value */
	pd_metadata_builder_add_string(b, "quote\"key", "");
}

/* an overlay is rendered as it is serialised from the base's texts and its
 * own members: exactly the text of the same members rendered whole, for a
 * parent overlay and one on top of it, whatever changed where */
static void
test_metadata_overlay(void)
{
	const MdEdit edits[] = { edit_append,	  edit_replace_middle, edit_replace_first_and_last,
				 edit_same_value, edit_nothing,	       edit_add_object_and_empty };
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) base = NULL;
	g_autoptr(PdMetadata) parent = NULL;
	g_autoptr(PdMetadata) parent_whole = NULL;
	g_autofree gchar *value = NULL;

	pd_metadata_builder_add_null(b, "display_name");
	pd_metadata_builder_add_string(b, "name", "instance-1");
	pd_metadata_builder_begin_object(b, "flavor");
	pd_metadata_builder_add_string(b, "name", "m1");
	pd_metadata_builder_add_int(b, "vcpus", 2);
	pd_metadata_builder_end_object(b);
	pd_metadata_builder_add_int(b, "vcpus", 2);
	pd_metadata_builder_add_string_list(b, "tags", (const gchar *const[]){ "a", "b", NULL });
	pd_metadata_builder_add_int(b, "root_gb", 20);
	base = pd_metadata_builder_end(b);

	/* the parent: the per-instance members */
	pd_metadata_builder_add_all(b, base);
	pd_metadata_builder_add_string(b, "display_name", "vm \"1\"");
	pd_metadata_builder_add_string(b, "instance_id", "u-1");
	pd_metadata_builder_add_string(b, "task_state", "");
	parent_whole = pd_metadata_builder_end(b);
	pd_metadata_builder_begin_overlay(b, base, NULL);
	pd_metadata_builder_add_string(b, "display_name", "vm \"1\"");
	pd_metadata_builder_add_string(b, "instance_id", "u-1");
	pd_metadata_builder_add_string(b, "task_state", "");
	parent = pd_metadata_builder_end_overlay(b);
	g_assert_cmpstr(md_json(parent, NULL), ==, md_json(parent_whole, NULL));
	g_assert_cmpstr(md_sig(parent, NULL), ==, md_sig(parent_whole, NULL));
	value = pd_metadata_dup_value_json(parent, "display_name");
	g_assert_cmpstr(value, ==, "\"vm \\\"1\\\"\"");
	g_clear_pointer(&value, g_free);
	value = pd_metadata_dup_value_json(parent, "root_gb");
	g_assert_cmpstr(value, ==, "20");

	for (guint i = 0; i < G_N_ELEMENTS(edits); i++) {
		g_autoptr(PdMetadata) whole = NULL;
		g_autoptr(PdMetadata) alone = NULL;
		g_autoptr(PdMetadata) alone_whole = NULL;
		g_autoptr(PdMetadata) on_parent = NULL;
		g_autoptr(GString) json = g_string_new("x");

		pd_metadata_builder_add_all(b, base);
		edits[i](b);
		alone_whole = pd_metadata_builder_end(b);
		pd_metadata_builder_begin_overlay(b, base, NULL);
		edits[i](b);
		alone = pd_metadata_builder_end_overlay(b);
		g_assert_cmpstr(md_json(alone, NULL), ==, md_json(alone_whole, NULL));
		g_assert_cmpstr(md_sig(alone, NULL), ==, md_sig(alone_whole, NULL));

		pd_metadata_builder_add_all(b, parent_whole);
		edits[i](b);
		whole = pd_metadata_builder_end(b);
		pd_metadata_builder_begin_overlay(b, base, parent);
		edits[i](b);
		on_parent = pd_metadata_builder_end_overlay(b);
		g_assert_cmpstr(md_json(on_parent, NULL), ==, md_json(whole, NULL));
		g_assert_cmpstr(md_sig(on_parent, NULL), ==, md_sig(whole, NULL));
		/* appended to what is there, like the pieces */
		pd_metadata_append_json(on_parent, json);
		g_assert_cmpstr(json->str + 1, ==, md_json(whole, NULL));
	}

	/* an empty base */
	{
		g_autoptr(PdMetadata) empty = pd_metadata_builder_end(b);
		g_autoptr(PdMetadata) none = NULL;
		g_autoptr(PdMetadata) one = NULL;
		pd_metadata_builder_begin_overlay(b, empty, NULL);
		none = pd_metadata_builder_end_overlay(b);
		g_assert_cmpstr(md_json(none, NULL), ==, "{}");
		g_assert_cmpstr(md_sig(none, NULL), ==, "");
		pd_metadata_builder_begin_overlay(b, empty, none);
		pd_metadata_builder_add_int(b, "a", 1);
		one = pd_metadata_builder_end_overlay(b);
		g_assert_cmpstr(md_json(one, NULL), ==, "{\"a\": 1}");
		g_assert_cmpstr(md_sig(one, NULL), ==, "resource_metadata:a1");
	}
}

static void
test_metadata_empty(void)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autoptr(PdMetadata) md = pd_metadata_builder_end(b);
	gsize len = 99;

	g_assert_cmpstr(md_json(md, &len), ==, "{}");
	g_assert_cmpuint(len, ==, 2);
	g_assert_cmpstr(md_sig(md, &len), ==, "");
	g_assert_cmpuint(len, ==, 0);
	g_assert_cmpstr(md_json(NULL, NULL), ==, "{}");
}

static void
test_metadata_json_matches_json_path(void)
{
	g_autoptr(PdMetadata) md = python_reference_metadata();
	g_autofree gchar *wrapped =
	  g_strdup_printf("{\"resource_metadata\": %s}", md_json(md, NULL));
	g_autoptr(JsonObject) obj = parse_object(wrapped);
	g_autofree gchar *text = pd_test_signature_text_for_json(obj);

	/* the precomputed text is what the generic walk finds */
	g_assert_cmpstr(text, ==, md_sig(md, NULL));
}

/* ---- primitives ---- */

static void
test_hmac_matches_ghmac(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(7);
	const gsize key_lens[] = { 0, 1, 13, 63, 64, 65, 200 };
	const gsize data_lens[] = { 0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 4097 };

	for (guint k = 0; k < G_N_ELEMENTS(key_lens); k++) {
		for (guint d = 0; d < G_N_ELEMENTS(data_lens); d++) {
			g_autofree guint8 *key = g_malloc(key_lens[k] + 1);
			g_autofree guint8 *data = g_malloc(data_lens[d] + 1);
			g_autoptr(GHmac) ref = NULL;
			PdHmacKey hk;
			gchar hex[65];
			for (gsize i = 0; i < key_lens[k]; i++)
				key[i] = (guint8)g_rand_int(rand);
			for (gsize i = 0; i < data_lens[d]; i++)
				data[i] = (guint8)g_rand_int(rand);
			ref = g_hmac_new(G_CHECKSUM_SHA256, key, key_lens[k]);
			g_hmac_update(ref, data, (gssize)data_lens[d]);
			pd_hmac_key_init(&hk, key, key_lens[k]);
			pd_hmac_sign_hex(&hk, data, data_lens[d], hex);
			g_assert_cmpstr(hex, ==, g_hmac_get_string(ref));
		}
	}
}

static void
test_sha256_incremental(void)
{
	g_autofree gchar *ref = NULL;
	guint8 data[1000];
	guint8 digest[32];
	gchar hex[65];
	PdSha256 ctx;

	for (guint i = 0; i < sizeof(data); i++)
		data[i] = (guint8)(i * 7);
	ref = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, sizeof(data));
	pd_hmac_sha256_init(&ctx);
	/* odd slices cross the block boundaries at every offset */
	for (gsize off = 0, step = 1; off < sizeof(data); off += step, step = step % 70 + 3)
		pd_hmac_sha256_update(&ctx, data + off, MIN(step, sizeof(data) - off));
	pd_hmac_sha256_final(&ctx, digest);
	for (guint i = 0; i < 32; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	g_assert_cmpstr(hex, ==, ref);
}

static void
test_format_timestamp(void)
{
	gchar buf[27];

	pd_serializer_format_timestamp(VECTOR_TIMESTAMP_US, 'T', buf);
	g_assert_cmpstr(buf, ==, "2024-01-01T00:00:00.000000");
	pd_serializer_format_timestamp(VECTOR_TIMESTAMP_US + 1, ' ', buf);
	g_assert_cmpstr(buf, ==, "2024-01-01 00:00:00.000001");
	pd_serializer_format_timestamp(G_GINT64_CONSTANT(1709210096123456), 'T', buf);
	g_assert_cmpstr(buf, ==, "2024-02-29T12:34:56.123456");
	pd_serializer_format_timestamp(G_GINT64_CONSTANT(1795614828777936), 'T', buf);
	g_assert_cmpstr(buf, ==, "2026-11-25T13:53:48.777936");
	pd_serializer_format_timestamp(0, 'T', buf);
	g_assert_cmpstr(buf, ==, "1970-01-01T00:00:00.000000");
	pd_serializer_format_timestamp(-1, 'T', buf);
	g_assert_cmpstr(buf, ==, "1969-12-31T23:59:59.999999");
	pd_serializer_format_timestamp(G_GINT64_CONSTANT(951825600000000), 'T', buf);
	g_assert_cmpstr(buf, ==, "2000-02-29T12:00:00.000000");
	pd_serializer_format_timestamp(G_MAXINT64, 'T', buf);
	g_assert_cmpstr(buf, ==, "9999-12-31T23:59:59.999999");
}

static void
test_format_timestamp_vs_gdatetime(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(3);

	for (guint i = 0; i < 20000; i++) {
		gint64 us =
		  (gint64)(g_rand_double(rand) * 4.1e15) - G_GINT64_CONSTANT(100000000000000);
		g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
		g_autofree gchar *date = NULL;
		g_autofree gchar *ref = NULL;
		gchar buf[27];
		if (us < 0)
			continue;
		date = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
		ref = g_strdup_printf("%s.%06d", date, (gint)(us % G_USEC_PER_SEC));
		pd_serializer_format_timestamp(us, 'T', buf);
		g_assert_cmpstr(buf, ==, ref);
	}
}

static void
test_uuid(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < 10000; i++) {
		gchar id[37];
		pd_serializer_uuid_random(id);
		g_assert_true(matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
				      "[0-9a-f]{12}$",
				      id));
		g_assert_true(g_hash_table_add(seen, g_strdup(id)));
	}
}

static void
test_batch_take(void)
{
	g_autoptr(PdSampleBatch) dst = pd_sample_batch_new();
	g_autoptr(PdMetadata) md = vector_metadata();
	PdSampleBatch *src = pd_sample_batch_new();
	g_autofree gchar *name = g_strdup("cpu");
	PdSample *s;

	s = pd_sample_batch_add(src, name, PD_SAMPLE_TYPE_CUMULATIVE, "ns", "r1", "u1", NULL, md);
	g_assert_true(s->name != name);
	g_assert_true(isnan(s->monotonic_time));
	g_assert_cmpint(s->volume_kind, ==, PD_VOLUME_NULL);
	g_assert_null(s->project_id);
	pd_sample_batch_add(src, "cpu", PD_SAMPLE_TYPE_GAUGE, "ns", "r2", NULL, NULL, NULL);
	pd_sample_batch_stamp(src, 1, VECTOR_TIMESTAMP_US, 5.5);
	g_assert_cmpint(pd_sample_batch_index(src, 0)->timestamp_us, ==, 0);
	g_assert_cmpfloat(pd_sample_batch_index(src, 1)->monotonic_time, ==, 5.5);
	/* no reading: the pollster's own value stays */
	pd_sample_batch_stamp(src, 0, VECTOR_TIMESTAMP_US + 1, -1);
	pd_sample_batch_stamp(src, 0, VECTOR_TIMESTAMP_US + 1, NAN);
	g_assert_cmpint(pd_sample_batch_index(src, 0)->timestamp_us, ==, VECTOR_TIMESTAMP_US + 1);
	g_assert_true(isnan(pd_sample_batch_index(src, 0)->monotonic_time));
	g_assert_cmpfloat(pd_sample_batch_index(src, 1)->monotonic_time, ==, 5.5);
	pd_sample_batch_take(dst, src);
	g_assert_cmpuint(pd_sample_batch_get_size(src), ==, 0);
	/* src's storage must outlive src */
	pd_sample_batch_add(src, "other", PD_SAMPLE_TYPE_GAUGE, "x", "r3", NULL, NULL, md);
	pd_sample_batch_free(src);
	g_assert_cmpuint(pd_sample_batch_get_size(dst), ==, 2);
	g_assert_cmpstr(pd_sample_batch_index(dst, 0)->name, ==, "cpu");
	g_assert_cmpstr(pd_sample_batch_index(dst, 1)->resource_id, ==, "r2");
	g_assert_true(pd_sample_batch_index(dst, 0)->metadata == md);
	g_assert_true(pd_sample_batch_intern(dst, "cpu") != NULL);
}

static void
test_sample_type_names(void)
{
	PdSampleType type;

	g_assert_cmpstr(pd_sample_type_to_string(PD_SAMPLE_TYPE_GAUGE), ==, "gauge");
	g_assert_cmpstr(pd_sample_type_to_string(PD_SAMPLE_TYPE_DELTA), ==, "delta");
	g_assert_cmpstr(pd_sample_type_to_string(PD_SAMPLE_TYPE_CUMULATIVE), ==, "cumulative");
	g_assert_true(pd_sample_type_from_string("delta", &type));
	g_assert_cmpint(type, ==, PD_SAMPLE_TYPE_DELTA);
	g_assert_false(pd_sample_type_from_string("Gauge", &type));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/serializer/signature/vector-json", test_vector_json);
	g_test_add_func("/serializer/signature/vector-fast-path", test_vector_fast_path);
	g_test_add_func("/serializer/signature/lists-of-anything", test_lists_of_anything);
	g_test_add_func("/serializer/signature/str-runs", test_signature_str_runs);
	g_test_add_func("/serializer/signature/sort-order", test_sort_order);
	g_test_add_func("/serializer/signature/int-vs-float-volume", test_int_vs_float_volume);
	g_test_add_func("/serializer/signature/string-and-list-text", test_signature_string_text);
	g_test_add_func("/serializer/signature/no-secret-is-empty", test_no_secret);
	g_test_add_func("/serializer/format/double-repr", test_format_double);
	g_test_add_func("/serializer/format/double-non-finite", test_format_double_non_finite);
	g_test_add_func("/serializer/format/double-round-trip", test_format_double_round_trip);
	g_test_add_func("/serializer/format/timestamp", test_format_timestamp);
	g_test_add_func("/serializer/format/timestamp-vs-gdatetime",
			test_format_timestamp_vs_gdatetime);
	g_test_add_func("/serializer/json/string-escaping", test_string_escaping);
	g_test_add_func("/serializer/sample/shape", test_sample_shape);
	g_test_add_func("/serializer/sample/shape-identity-names",
			test_sample_shape_identity_names);
	g_test_add_func("/serializer/sample/python-reference", test_python_reference);
	g_test_add_func("/serializer/sample/non-finite-volume", test_non_finite_volume);
	g_test_add_func("/serializer/message/envelope", test_envelope);
	g_test_add_func("/serializer/message/envelope-empty", test_envelope_empty);
	g_test_add_func("/serializer/golden/samples-byte-exact", test_golden_samples);
	g_test_add_func("/serializer/golden/signatures-verify", test_golden_verify_json);
	g_test_add_func("/serializer/metadata/update-in-place", test_metadata_update_in_place);
	g_test_add_func("/serializer/metadata/empty", test_metadata_empty);
	g_test_add_func("/serializer/metadata/signature-matches-json-walk",
			test_metadata_json_matches_json_path);
	g_test_add_func("/serializer/hmac/matches-ghmac", test_hmac_matches_ghmac);
	g_test_add_func("/serializer/hmac/sha256-incremental", test_sha256_incremental);
	g_test_add_func("/serializer/uuid/v4-and-unique", test_uuid);
	g_test_add_func("/serializer/metadata/flat", test_metadata_flat);
	g_test_add_func("/serializer/metadata/derived", test_metadata_derived);
	g_test_add_func("/serializer/metadata/overlay", test_metadata_overlay);
	g_test_add_func("/serializer/metadata/seal", test_metadata_seal);
	g_test_add_func("/serializer/batch/take-keeps-strings", test_batch_take);
	g_test_add_func("/serializer/sample/type-names", test_sample_type_names);
	return g_test_run();
}
