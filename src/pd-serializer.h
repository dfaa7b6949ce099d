/*
 * polld - Ceilometer-compatible sample serialisation and signing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "pd-message.h"
#include "pd-sample.h"

G_BEGIN_DECLS

typedef struct _PdSerializer PdSerializer;

/* Ceilometer's default [publisher] telemetry_secret: an unconfigured polld
 * signs as an unconfigured ceilometer-polling does */
#define PD_DEFAULT_TELEMETRY_SECRET "change this for valid signing"

/* @source: [DEFAULT] sample_source; @secret: [publisher] telemetry_secret
 * (NULL or "" -> message_signature ""); @identity_names: emit user_name and
 * project_name keys (Ceilometer >= 2023) */
PdSerializer *
pd_serializer_new(const gchar *source, const gchar *secret, gboolean identity_names);
void
pd_serializer_free(PdSerializer *self);

/* appends the sample dict as Ceilometer's meter_message_from_counter() +
 * json.dumps() would print it, message_id freshly generated, signed */
void
pd_serializer_append_sample(PdSerializer *self, GString *out, const PdSample *sample);

/* builds one oslo v2 message around @n_samples samples */
PdMessage *
pd_serializer_build_message(PdSerializer *self, PdSample *const *samples, guint n_samples);

/* helpers shared with tests and other modules */
void
pd_serializer_format_timestamp(gint64 timestamp_us, gchar separator, gchar out[27]);
void
pd_serializer_uuid_random(gchar out[37]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdSerializer, pd_serializer_free)

G_END_DECLS
