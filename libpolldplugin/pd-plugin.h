/*
 * polld - plugin extension point and the GModule ABI
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-config.h"
#include "pd-discovery.h"
#include "pd-pollster.h"

G_BEGIN_DECLS

/* bump MAJOR on any incompatible change; MINOR when adding API */
#define PD_PLUGIN_ABI_MAJOR 1
#define PD_PLUGIN_ABI_MINOR 0

typedef struct {
	guint32 abi_major;
	guint32 abi_minor;
	const gchar *name;
	GType (*get_type)(void);
} PdPluginInfo;

/* the one symbol a plugin module exports */
typedef const PdPluginInfo *(*PdPluginGetInfoFunc)(void);
#define PD_PLUGIN_SYMBOL "pd_plugin_get_info"

#define PD_PLUGIN_DEFINE(plugin_name, type_func)                                                   \
	G_MODULE_EXPORT const PdPluginInfo *pd_plugin_get_info(void);                              \
	G_MODULE_EXPORT const PdPluginInfo *pd_plugin_get_info(void)                               \
	{                                                                                          \
		static const PdPluginInfo info = {                                                 \
			PD_PLUGIN_ABI_MAJOR, PD_PLUGIN_ABI_MINOR, plugin_name, type_func           \
		};                                                                                 \
		return &info;                                                                      \
	}

#define PD_TYPE_PLUGIN (pd_plugin_get_type())
G_DECLARE_DERIVABLE_TYPE(PdPlugin, pd_plugin, PD, PLUGIN, GObject)

struct _PdPluginClass {
	GObjectClass parent_class;
	/* called on the main thread once the config is loaded; must not block.
	 * Fail with PD_ERROR_NOT_READY when a service isn't there yet: the
	 * engine retries with back-off and keeps the plugin's pollsters. */
	gboolean (*start)(PdPlugin *self, PdConfig *config, GError **error);
	void (*stop)(PdPlugin *self);
	gpointer padding[14];
};

/* to be called from the subclass' constructed() */
void
pd_plugin_add_pollster(PdPlugin *self, PdPollster *pollster);
void
pd_plugin_add_discovery(PdPlugin *self, PdDiscovery *discovery);
void
pd_plugin_add_config_key(PdPlugin *self, const gchar *group, const gchar *key);

const gchar *
pd_plugin_get_name(PdPlugin *self);
GPtrArray *
pd_plugin_get_pollsters(PdPlugin *self);
GPtrArray *
pd_plugin_get_discoveries(PdPlugin *self);
/* pairs: group, key, group, key... */
GPtrArray *
pd_plugin_get_config_keys(PdPlugin *self);

/* thread-safe one-line state for operators, e.g. "waiting for libvirt";
 * NULL means fine */
void
pd_plugin_set_status(PdPlugin *self, const gchar *status);
gchar *
pd_plugin_dup_status(PdPlugin *self);

gboolean
pd_plugin_start(PdPlugin *self, PdConfig *config, GError **error);
void
pd_plugin_stop(PdPlugin *self);

G_END_DECLS
