/*
 * polld tests - Ceilometer's check of a sample signature (HMAC-SHA256 over
 * the sample's str() text), on a decoded sample
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* the HMAC input text for a decoded sample object (message_signature skipped) */
gchar *
pd_test_signature_text_for_json(JsonObject *sample);
/* lowercase hex signature, "" for an empty or NULL secret */
gchar *
pd_test_signature_compute_json(const gchar *secret, JsonObject *sample);
gboolean
pd_test_signature_verify_json(const gchar *secret, JsonObject *sample);

G_END_DECLS
