/*
 * polld tests - Nova 2025.2's flavor extra specs and image meta in the
 * instance metadata: key by key and signed as Ceilometer 25 and 26 render
 * them, and not under zed; a domain without them unchanged
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "pd-compute-domain.h"
#include "pd-serializer-private.h"
#include "pd-serializer.h"
#include "pd-test-instance.h"
#include "pd-test-signature.h"

/* 2026-01-01T00:00:00 UTC, the vector's timestamp */
#define VECTOR_TIMESTAMP_US G_GINT64_CONSTANT(1767225600000000)

static const struct {
	const gchar *name;
	PdCeilometerRelease release;
} releases[] = {
	{ "zed", PD_CEILOMETER_ZED },
	{ "2025.2", PD_CEILOMETER_2025_2 },
	{ "2026.1", PD_CEILOMETER_2026_1 },
};

static gchar *
data_file(const gchar *name)
{
	g_autofree gchar *path =
	  g_build_filename(g_getenv("POLLD_SOURCE_ROOT"), "tests", "data", name, NULL);
	g_autoptr(GError) error = NULL;
	gchar *text = NULL;

	g_file_get_contents(path, &text, NULL, &error);
	g_assert_no_error(error);
	return text;
}

static JsonNode *
parse_json(const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_data(parser, text, -1, &error);
	g_assert_no_error(error);
	return json_node_copy(json_parser_get_root(parser));
}

/* the fixture with a case's edits: the text from the first "from" to the
 * end of the first "to" after it, replaced by "with" */
static gchar *
case_xml(const gchar *fixture, JsonArray *edits)
{
	GString *s = g_string_new(fixture);

	for (guint i = 0; i < json_array_get_length(edits); i++) {
		JsonArray *e = json_array_get_array_element(edits, i);
		const gchar *from = json_array_get_string_element(e, 0);
		const gchar *to = json_array_get_string_element(e, 1);
		const gchar *at = strstr(s->str, from);
		const gchar *end;
		g_assert_nonnull(at);
		end = strstr(at, to);
		g_assert_nonnull(end);
		end += strlen(to);
		g_string_erase(s, at - s->str, end - at);
		g_string_insert(s, at - s->str, json_array_get_string_element(e, 2));
	}
	return g_string_free(s, FALSE);
}

/* every member of @expected in @actual, in the same order, equal (nested
 * objects compared as json-glib writes both, which keeps their order) */
static void
assert_same_members(JsonObject *expected, JsonObject *actual)
{
	g_autoptr(GList) want = json_object_get_members(expected);
	g_autoptr(GList) have = json_object_get_members(actual);
	GList *h = have;

	for (GList *w = want; w != NULL; w = w->next, h = h->next) {
		g_autofree gchar *want_text = NULL;
		g_autofree gchar *have_text = NULL;
		g_assert_nonnull(h);
		g_assert_cmpstr(h->data, ==, w->data);
		want_text = json_to_string(json_object_get_member(expected, w->data), FALSE);
		have_text = json_to_string(json_object_get_member(actual, h->data), FALSE);
		g_test_message("%s: %s", (const gchar *)w->data, want_text);
		g_assert_cmpstr(have_text, ==, want_text);
	}
	g_assert_null(h);
}

static gchar *
signed_sample(PdMetadata *md, const gchar *secret, PdCeilometerRelease release)
{
	/* zed's wire format has no user_name/project_name */
	g_autoptr(PdSerializer) ser =
	  pd_serializer_new("openstack", secret, release >= PD_CEILOMETER_2025_2);
	GString *out = g_string_new(NULL);
	PdSample s;

	memset(&s, 0, sizeof(s));
	s.name = "cpu";
	s.type = PD_SAMPLE_TYPE_CUMULATIVE;
	s.unit = "ns";
	s.user_id = "u1";
	s.project_id = "p1";
	s.resource_id = "r1";
	s.metadata = md;
	s.timestamp_us = VECTOR_TIMESTAMP_US;
	s.monotonic_time = NAN;
	pd_sample_set_int(&s, 42);
	pd_serializer_set_fixed_message_id(ser, "m-1");
	pd_serializer_append_sample(ser, out, &s);
	return g_string_free(out, FALSE);
}

typedef struct {
	virConnectPtr conn;
	virDomainPtr dom;
	guchar uuid[VIR_UUID_BUFLEN];
	JsonNode *vector;
	gchar *fixture;
} Fixture;

static void
fixture_set_up(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *vector = data_file("nova-2025.2-vector.json");

	fx->conn = virConnectOpenReadOnly("test:///default");
	g_assert_nonnull(fx->conn);
	fx->dom = virDomainLookupByName(fx->conn, "test");
	g_assert_nonnull(fx->dom);
	g_assert_cmpint(virDomainGetUUID(fx->dom, fx->uuid), ==, 0);
	fx->vector = parse_json(vector);
	fx->fixture = data_file("nova-2025.2-domain.xml");
}

static void
fixture_tear_down(Fixture *fx, gconstpointer data)
{
	g_free(fx->fixture);
	json_node_unref(fx->vector);
	virDomainFree(fx->dom);
	virConnectClose(fx->conn);
}

/* one case of the vector under one release: the instance metadata key by
 * key and as text, and a sample of it signed as Ceilometer signs it */
static void
check_release(Fixture *fx, PdComputeInstance *inst, JsonObject *want, guint r)
{
	JsonObject *vector = json_node_get_object(fx->vector);
	const gchar *secret = json_object_get_string_member(vector, "secret");
	const gchar *want_md = json_object_get_string_member(want, "resource_metadata_json");
	g_autoptr(PdComputeDomain) cd =
	  pd_compute_domain_new(inst,
				fx->dom,
				fx->uuid,
				VIR_DOMAIN_RUNNING,
				json_object_get_string_member(vector, "host"),
				inst->profile->flavor_id,
				releases[r].release);
	g_autofree gchar *md = pd_metadata_dup_json(cd->md, NULL);
	g_autoptr(JsonNode) want_node = parse_json(want_md);
	g_autoptr(JsonNode) md_node = parse_json(md);
	g_autofree gchar *sample = signed_sample(cd->md, secret, releases[r].release);
	g_autoptr(JsonNode) sample_node = parse_json(sample);
	JsonObject *sample_obj = json_node_get_object(sample_node);

	g_test_message("release %s", releases[r].name);
	assert_same_members(json_node_get_object(want_node), json_node_get_object(md_node));
	/* json.dumps()'s text, byte for byte */
	g_assert_cmpstr(md, ==, want_md);
	g_assert_cmpstr(json_object_get_string_member(sample_obj, "message_signature"),
			==,
			json_object_get_string_member(want, "signature"));
	g_assert_true(pd_test_signature_verify_json(secret, sample_obj));
}

static void
test_extras_vector(Fixture *fx, gconstpointer data)
{
	JsonArray *cases = json_object_get_array_member(json_node_get_object(fx->vector), "cases");

	g_assert_cmpuint(json_array_get_length(cases), >=, 5);
	for (guint i = 0; i < json_array_get_length(cases); i++) {
		JsonObject *c = json_array_get_object_element(cases, i);
		JsonObject *want = json_object_get_object_member(c, "releases");
		g_autofree gchar *xml =
		  case_xml(fx->fixture, json_object_get_array_member(c, "replace"));
		g_autoptr(GError) error = NULL;
		g_autoptr(PdComputeInstance) inst = NULL;
		gboolean fast;

		g_test_message("case %s", json_object_get_string_member(c, "name"));
		/* the scanner reads Nova's layout itself, as the tree does */
		fast = pd_test_instance_parse_both(xml, strlen(xml), NULL);
		g_assert_true(fast);
		inst = pd_compute_instance_parse(xml, strlen(xml), &error);
		g_assert_no_error(error);
		g_assert_nonnull(inst);
		for (guint r = 0; r < G_N_ELEMENTS(releases); r++)
			check_release(
			  fx, inst, json_object_get_object_member(want, releases[r].name), r);
	}
}

/* what Nova wrote is kept for every release; a profile without the new
 * elements has no extras (and no room for them), one with them shares
 * them with the other domains of the same flavor and image; an empty
 * flavor id is no id */
static void
test_extras_profile(Fixture *fx, gconstpointer data)
{
	g_autoptr(PdComputeInstance) with = NULL;
	g_autoptr(PdComputeInstance) again = NULL;
	g_autoptr(PdComputeInstance) without = NULL;
	g_autoptr(GString) s = g_string_new(fx->fixture);
	g_autoptr(GString) other = g_string_new(fx->fixture);
	const PdComputeExtras *e;

	with = pd_compute_instance_parse(fx->fixture, strlen(fx->fixture), NULL);
	g_assert_nonnull(with);
	e = pd_compute_instance_profile_get_extras(with->profile);
	g_assert_nonnull(e);
	g_assert_cmpint(e->n_specs, ==, 5);
	g_assert_cmpuint(e->n_image, ==, 11);
	g_assert_cmpstr(e->kv[0], ==, "hw:cpu_policy");
	g_assert_cmpstr(e->kv[1], ==, "dedicated");
	g_assert_null(e->kv[7]); /* quota:disk_read_bytes_sec, empty */
	g_assert_cmpstr(e->kv[10], ==, "base_image_ref");

	/* another owner: another profile, the same extras */
	g_string_replace(other, ">buzz<", ">woody<", 1);
	again = pd_compute_instance_parse(other->str, other->len, NULL);
	g_assert_true(again->profile != with->profile);
	g_assert_true(pd_compute_instance_profile_get_extras(again->profile) == e);

	/* an empty flavor id is none (Ceilometer's "if flavor_id:") */
	g_assert_cmpstr(with->profile->flavor_id, ==, "f719a0dd-4b43-4efe-8336-48ef74099ad4");
	g_string_replace(s, "id=\"f719a0dd-4b43-4efe-8336-48ef74099ad4\"", "id=\"\"", 1);

	g_string_replace(s, "<nova:extraSpecs>", "<nova:extraSpecz>", 1);
	g_string_replace(s, "</nova:extraSpecs>", "</nova:extraSpecz>", 1);
	g_string_replace(s, "<nova:image ", "<nova:imagez ", 1);
	g_string_replace(s, "</nova:image>", "</nova:imagez>", 1);
	without = pd_compute_instance_parse(s->str, s->len, NULL);
	g_assert_nonnull(without);
	g_assert_false(without->profile->has_extras);
	g_assert_null(without->profile->flavor_id);
	g_assert_null(pd_compute_instance_profile_get_extras(without->profile));
}

gint
main(gint argc, gchar **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(virInitialize(), ==, 0);
	g_test_add("/compute/extras/vector",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_extras_vector,
		   fixture_tear_down);
	g_test_add("/compute/extras/profile",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_extras_profile,
		   fixture_tear_down);
	return g_test_run();
}
