/*
 * polld - Prometheus names and labels of a sample, as Ceilometer's exporter
 * derives them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "pd-metadata.h"

G_BEGIN_DECLS

/* "ceilometer_" + the meter name with dots as underscores; any other character
 * a metric name can't hold becomes '_' as well */
gchar *
pd_prom_labels_metric_name(const gchar *meter);

/* appends @value as a label value: backslash, double quote and newline escaped */
void
pd_prom_labels_append_value(GString *out, const gchar *value);

/* the labels Ceilometer's exporter takes from a sample's resource metadata,
 * each as ',name="value"', in its order: vm_instance, resource_name,
 * server_group, state, the load balancer and volume service labels when
 * @meter is one of those, flavor_id, flavor_name; "" for empty metadata */
gchar *
pd_prom_labels_from_metadata(PdMetadata *md, const gchar *meter);

G_END_DECLS
