/*
 * polld openstack plugin - one Swift account HEAD or container listing per
 * project per task cycle, shared by the storage.* pollsters as Ceilometer
 * shares them through its per-cycle cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

#include "pd-os-client.h"

G_BEGIN_DECLS

typedef struct {
	PdOsResponse *head;    /* HEAD: the answer, its headers */
	GPtrArray *containers; /* listing: JsonNode objects with a string "name", all pages */
} PdOsSwiftAccountData;

/* @data is NULL exactly when @error is set; both are borrowed */
typedef void (*PdOsSwiftFetchFunc)(const PdOsSwiftAccountData *data,
				   const GError *error,
				   gpointer user_data);

/* HEADs @url (@listing FALSE) or lists its containers following markers,
 * once per task cycle of @ctx: later askers in that cycle attach to the
 * request in flight or get its answer. @func may run before this returns
 * when the answer is known already. Main thread only. */
void
pd_os_swift_fetch(PdOsClient *client,
		  PdPollContext *ctx,
		  const gchar *url,
		  gboolean listing,
		  PdOsSwiftFetchFunc func,
		  gpointer user_data);

/* the same sharing for a RadosGW admin request: one GET of @url per task
 * cycle, without a Keystone token, with @headers (name, value pairs ending
 * with NULL; the signature), the JSON answer in data->head */
void
pd_os_swift_fetch_signed(PdOsClient *client,
			 PdPollContext *ctx,
			 const gchar *url,
			 const gchar *const *headers,
			 PdOsSwiftFetchFunc func,
			 gpointer user_data);

G_END_DECLS
