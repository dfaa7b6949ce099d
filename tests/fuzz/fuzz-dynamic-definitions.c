/*
 * libFuzzer target for dynamic pollster definition files (YAML, keys,
 * expressions); without libFuzzer it replays tests/fuzz/corpus/dynamic-definitions
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-dyn-def.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
	g_autoptr(GPtrArray) defs =
	  pd_dyn_def_load_data("fuzz.yaml", (const gchar *)data, size, errors);

	/* every definition is either loaded or refused with a located message */
	for (guint i = 0; i < errors->len; i++)
		g_assert_true(g_str_has_prefix(((GError *)g_ptr_array_index(errors, i))->message,
					       "fuzz.yaml:"));
	for (guint i = 0; i < defs->len; i++) {
		PdDynDef *d = g_ptr_array_index(defs, i);
		g_autofree gchar *discovery = pd_dyn_def_get_default_discovery(d);
		g_assert_nonnull(d->name);
		g_assert_nonnull(d->value_attr);
		g_assert_nonnull(discovery);
	}
	return 0;
}
