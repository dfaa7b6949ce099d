/*
 * libFuzzer target for the polling.yaml parser; without libFuzzer the same
 * file replays a corpus (tests/fuzz/corpus/polling) as a plain test
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-polling-config.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdPollingConfig) cfg =
	  pd_polling_config_load_data((const gchar *)data, (gssize)size, "fuzz.yaml", &error);

	/* either a config or a positioned error, never both, never neither */
	g_assert_true((cfg == NULL) != (error == NULL));
	if (error != NULL)
		g_assert_true(g_str_has_prefix(error->message, "fuzz.yaml"));
	for (guint i = 0; cfg != NULL && i < cfg->sources->len; i++) {
		PdSourceDef *src = g_ptr_array_index(cfg->sources, i);
		g_assert_cmpuint(src->interval, >, 0);
		pd_polling_config_source_matches(src, "cpu");
	}
	return 0;
}
