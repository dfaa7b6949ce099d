/*
 * libFuzzer target for response handling: the json, xml and text handlers
 * and the sample extraction of a definition; without libFuzzer it replays
 * tests/fuzz/corpus/dynamic-response
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-dyn-extract.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

static const gchar definitions[] =
  "- name: fuzz.single\n"
  "  sample_type: gauge\n"
  "  unit: x\n"
  "  value_attribute: \"v | value * 2 if value else 0\"\n"
  "  url_path: http://127.0.0.1/\n"
  "  module: requests.auth\n"
  "  authentication_object: HTTPBasicAuth\n"
  "  authentication_parameters: \"a, b\"\n"
  "  response_handlers: [json, xml, text]\n"
  "  next_sample_url_attribute: next\n"
  "  user_id_attribute: \"user | value.split('$')[0]\"\n"
  "  metadata_fields: [name, \"tags | ','.join(value)\", \". | len(value)\"]\n"
  "  metadata_mapping: {name: display_name}\n"
  "  value_mapping: {1: '1'}\n"
  "- name: fuzz.multi.{category}\n"
  "  sample_type: gauge\n"
  "  unit: x\n"
  "  value_attribute: \"[categories].ops\"\n"
  "  host_command: \"true\"\n"
  "  response_entries_key: summary\n"
  "  response_handlers: [xml, json]\n";

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
	g_autoptr(GPtrArray) defs =
	  pd_dyn_def_load_data("fuzz.yaml", definitions, sizeof(definitions) - 1, errors);

	g_assert_cmpuint(errors->len, ==, 0);
	for (guint i = 0; i < defs->len; i++) {
		PdDynDef *def = g_ptr_array_index(defs, i);
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) response =
		  pd_dyn_response_parse(def->handlers, (const gchar *)data, size, &error);
		g_autoptr(JsonArray) entries = NULL;
		g_autoptr(GPtrArray) pending =
		  g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_extract_pending_free);
		g_autofree gchar *next = NULL;
		if (response == NULL)
			continue;
		next = pd_dyn_extract_next(def, response);
		entries = pd_dyn_extract_entries(def, response, &error);
		for (guint j = 0; entries != NULL && j < json_array_get_length(entries); j++) {
			g_autoptr(GError) local = NULL;
			pd_dyn_extract_pending(
			  def, json_array_get_element(entries, j), pending, &local);
		}
		for (guint j = 0; j < pending->len; j++) {
			g_autoptr(JsonNode) sample =
			  pd_dyn_extract_pending_sample_node(g_ptr_array_index(pending, j));
			g_assert_nonnull(sample);
		}
	}
	return 0;
}
