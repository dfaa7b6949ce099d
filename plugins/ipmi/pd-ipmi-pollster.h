/*
 * polld ipmi plugin - one pollster per hardware.ipmi.* meter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

G_BEGIN_DECLS

typedef enum {
	PD_IPMI_ID_ANY,
	PD_IPMI_ID_NOT_POWER, /* ids holding "Pwr Consumption" belong to .power */
	PD_IPMI_ID_POWER,
} PdIpmiIdFilter;

typedef struct {
	const gchar *name;
	const gchar *unit; /* declared; each sample carries the unit ipmitool printed */
	const gchar *sensor_type;
	PdIpmiIdFilter filter;
	gboolean maximum_rpm; /* adds "Normal Maximum" as metadata maximum_rpm */
} PdIpmiMeter;

#define PD_TYPE_IPMI_POLLSTER (pd_ipmi_pollster_get_type())
G_DECLARE_FINAL_TYPE(PdIpmiPollster, pd_ipmi_pollster, PD, IPMI_POLLSTER, PdPollster)

/* @meter must outlive the pollster (it points into a static table) */
PdPollster *
pd_ipmi_pollster_new(const PdIpmiMeter *meter);

G_END_DECLS
