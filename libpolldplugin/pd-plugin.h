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
#define PD_PLUGIN_ABI_MINOR 8

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
	/* since ABI 1.1. Called on the main thread on reload, once started,
	 * with the config it runs with and the new (valid) one: applies the
	 * changed keys it can and appends "[group] key" (see
	 * pd_plugin_note_changed_keys()) for each changed key that takes effect
	 * only at restart. Unset: every changed key the plugin declared with
	 * pd_plugin_add_config_key() is reported as needing a restart. */
	void (*reconfigure)(PdPlugin *self,
			    PdConfig *old_config,
			    PdConfig *new_config,
			    GPtrArray *restart_keys);
	/* for plugins whose pollsters come from configuration files: called
	 * with the configuration before the engine reads the pollster list,
	 * at start and on every reload; replace them with
	 * pd_plugin_clear_pollsters() + pd_plugin_add_pollster() and return
	 * TRUE when the list changed. Must not block for long. */
	gboolean (*load_pollsters)(PdPlugin *self, PdConfig *config);
	/* since ABI 1.2. Called on the main thread on reload, once started,
	 * before anything is applied: fails (a PD_CONFIG_ERROR naming file and
	 * line) when @config holds a value start() would refuse, e.g. out of
	 * its range. The reload is then refused and the running configuration
	 * stays. Unset: every value is accepted. */
	gboolean (*check_config)(PdPlugin *self, PdConfig *config, GError **error);
	gpointer padding[11];
};

/* to be called from the subclass' constructed() */
void
pd_plugin_add_pollster(PdPlugin *self, PdPollster *pollster);
void
pd_plugin_add_discovery(PdPlugin *self, PdDiscovery *discovery);
/* drops every pollster (from ->load_pollsters) */
void
pd_plugin_clear_pollsters(PdPlugin *self);
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
/* @restart_keys: of gchar*, "[group] key" appended */
void
pd_plugin_reconfigure(PdPlugin *self,
		      PdConfig *old_config,
		      PdConfig *new_config,
		      GPtrArray *restart_keys);
/* TRUE when the plugin accepts @config for a reload (->check_config) */
gboolean
pd_plugin_check_config(PdPlugin *self, PdConfig *config, GError **error);
/* for reconfigure(): appends "[group] key" to @restart_keys for each of
 * @keys (pairs: group or NULL for DEFAULT, key; ending with a NULL key)
 * whose value differs between the two configs; returns how many */
guint
pd_plugin_note_changed_keys(PdConfig *old_config,
			    PdConfig *new_config,
			    const gchar *const *keys,
			    GPtrArray *restart_keys);
/* a module may hold more plugins than the one pd_plugin_get_info()
 * describes: this optional symbol returns their descriptions, NULL-terminated */
typedef const PdPluginInfo *const *(*PdPluginGetMoreInfoFunc)(void);
#define PD_PLUGIN_MORE_SYMBOL "pd_plugin_get_more_info"

/* a second plugin in a module that has PD_PLUGIN_DEFINE() already */
#define PD_PLUGIN_DEFINE_MORE(plugin_name, type_func)                                              \
	G_MODULE_EXPORT const PdPluginInfo *const *pd_plugin_get_more_info(void);                  \
	G_MODULE_EXPORT const PdPluginInfo *const *pd_plugin_get_more_info(void)                   \
	{                                                                                          \
		static const PdPluginInfo info = {                                                 \
			PD_PLUGIN_ABI_MAJOR, PD_PLUGIN_ABI_MINOR, plugin_name, type_func           \
		};                                                                                 \
		static const PdPluginInfo *const infos[] = { &info, NULL };                        \
		return infos;                                                                      \
	}

G_END_DECLS
