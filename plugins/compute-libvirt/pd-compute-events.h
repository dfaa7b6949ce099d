/*
 * polld - libvirt's event loop on an epoll thread of its own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* registers the implementation with libvirt and starts its thread; once per
 * process, before any connection opens (libvirt cannot unregister it) */
gboolean
pd_compute_events_register(GError **error);

G_END_DECLS
