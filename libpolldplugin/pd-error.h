/*
 * polld - error domain shared by the engine and plugins
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PD_ERROR (pd_error_quark())
GQuark
pd_error_quark(void);

typedef enum {
	PD_ERROR_FAILED,	/* this time; try again next cycle */
	PD_ERROR_NOT_READY,	/* the service isn't there yet: retry with back-off */
	PD_ERROR_PERMANENT,	/* never works for these resources: blacklist them */
	PD_ERROR_NOT_SUPPORTED, /* the driver can't provide this */
	PD_ERROR_TIMED_OUT,
	PD_ERROR_INTERNAL, /* a plugin broke the contract */
	PD_ERROR_INVALID_CONFIG,
	PD_ERROR_NOT_FOUND,
	PD_ERROR_CANCELLED,
} PdErrorCode;

G_END_DECLS
