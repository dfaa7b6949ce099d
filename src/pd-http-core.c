/*
 * polld - inside libpolld-http.so: the daemon's functions the module calls,
 * through the table the daemon hands over when it opens the module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "pd-http-module.h"

static const PdHttpCore *pd_http_core;

void
pd_http_core_set(const PdHttpCore *core)
{
	pd_http_core = core;
}

/* the exporter renders from the daemon's store */
gchar *
pd_http_core_prom_store_render_next(PdPromStore *self,
				    const gchar *after,
				    PdPromFormat format,
				    GString *out)
{
	return pd_http_core->prom_store_render_next(self, after, format, out);
}
