/*
 * polld openstack plugin - the meters computed from one API object each,
 * with Ceilometer's names, units, ids and metadata
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "polld.h"

#include "pd-os-json.h"

G_BEGIN_DECLS

typedef struct {
	gboolean has_volume; /* FALSE: null volume */
	PdOsNumber volume;
	const gchar *resource_id;
	const gchar *user_id;
	const gchar *project_id;
	PdMetadata *metadata; /* owned */
} PdOsReading;

typedef struct _PdOsMeter PdOsMeter;

/* FALSE with @error: the object is unusable (logged); FALSE without: no
 * sample for it, as Ceilometer skips it. @release: the Ceilometer release
 * whose sample shape to produce ([polld] ceilometer_compat) */
typedef gboolean (*PdOsMeterFunc)(const PdOsMeter *meter,
				  PdCeilometerRelease release,
				  JsonObject *obj,
				  PdOsReading *out,
				  GError **error);

struct _PdOsMeter {
	const gchar *name;
	const gchar *unit; /* up to 2025.2; see pd_os_meters_unit() */
	const gchar *discovery;
	PdOsMeterFunc func;
	const gchar *field; /* the volume's field, for table driven functions */
};

/* NULL-terminated by name */
extern const PdOsMeter pd_os_meters[];

void
pd_os_reading_clear(PdOsReading *reading);
/* the unit @release gives: 26.0.0 renamed GB to GiB on every size meter */
const gchar *
pd_os_meters_unit(const PdOsMeter *meter, PdCeilometerRelease release);
/* a Designate zone's ids and the metadata of the dns.zone.* meters, no
 * volume (for dns.zone.recordsets, which needs a request per zone) */
gboolean
pd_os_zone_read_ids(JsonObject *obj, PdOsReading *out, GError **error);

G_END_DECLS
