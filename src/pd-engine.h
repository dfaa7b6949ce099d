/*
 * polld - the engine: config, plugins, polling tasks, sinks (no D-Bus)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-config-private.h"
#include "pd-plugin-private.h"
#include "pd-polling-config.h"
#include "pd-polling-task.h"
#include "pd-pollster-stats-table.h"
#include "pd-settings.h"
#include "pd-sink-list.h"

G_BEGIN_DECLS

#define PD_TYPE_ENGINE (pd_engine_get_type())
G_DECLARE_FINAL_TYPE(PdEngine, pd_engine, PD, ENGINE, GObject)

/* @settings: loaded (pd_settings_load()); the engine reads it again on
 * reload and sets the new config in it */
PdEngine *
pd_engine_new(PdSettings *settings);
PdConfig *
pd_engine_get_config(PdEngine *self);
void
pd_engine_set_plugin_dirs(PdEngine *self, gchar **dirs);
gchar **
pd_engine_get_namespaces(PdEngine *self);
/* before setup: every polled batch goes to each sink (names are unique) */
gboolean
pd_engine_add_sink(PdEngine *self, PdSink *sink, GError **error);
/* of PdSink */
GPtrArray *
pd_engine_get_sinks(PdEngine *self);
/* e.g. "notifier" */
PdSink *
pd_engine_lookup_sink(PdEngine *self, const gchar *name);
void
pd_engine_set_resource_filter(PdEngine *self, const PdResourceFilter *filter, gpointer user_data);
PdPollingConfig *
pd_engine_get_polling_config(PdEngine *self);

/* adds an already constructed plugin (tests, built-in plugins) */
void
pd_engine_add_plugin(PdEngine *self, PdPlugin *plugin);
/* loads plugins from the plugin directories; fails if none loaded */
gboolean
pd_engine_load_plugins(PdEngine *self, GError **error);
/* registers known config keys, warns about unknown ones, reads polling.yaml,
 * builds the tasks, starts the plugins and the sinks */
gboolean
pd_engine_setup(PdEngine *self, GError **error);
/* re-reads the config and polling.yaml; if invalid, fails with
 * PD_ERROR_INVALID_CONFIG (file:line:col in the message) and the old
 * config keeps running; else applies the change as a diff: unchanged tasks
 * keep their schedule, pollster state (stats, blacklists, plugin baselines)
 * is kept, running cycles complete and publish, the publisher is untouched.
 * Emits "reloaded" (guint64 generation). */
gboolean
pd_engine_reload(PdEngine *self, GError **error);
/* of gchar*: what the last successful reload could not apply (keys needing
 * a restart) or warns about (nothing to poll); logged too */
GPtrArray *
pd_engine_get_reload_notes(PdEngine *self);
guint64
pd_engine_get_config_generation(PdEngine *self);
GPtrArray *
pd_engine_get_config_files(PdEngine *self);

/* arms the task timers: first run now, then every interval */
void
pd_engine_start(PdEngine *self);

/* one cycle of every task (restricted to pollsters or sources named in
 * @names, NULL or empty = all), completes once its samples are published */
void
pd_engine_poll_now_async(PdEngine *self,
			 const gchar *const *names,
			 GCancellable *cancellable,
			 GAsyncReadyCallback callback,
			 gpointer user_data);
gboolean
pd_engine_poll_now_finish(PdEngine *self, GAsyncResult *res, GError **error);

/* stops the timers, lets running cycles finish and flushes the sinks */
void
pd_engine_stop_async(PdEngine *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean
pd_engine_stop_finish(PdEngine *self, GAsyncResult *res, GError **error);

void
pd_engine_set_paused(PdEngine *self, gboolean paused);
gboolean
pd_engine_get_paused(PdEngine *self);
/* not started: the selected namespaces and pollsters do not need it */
gboolean
pd_engine_is_plugin_idle(PdEngine *self, PdPlugin *plugin);
/* pd_engine_start() was called: the tasks' timers are armed */
gboolean
pd_engine_get_started(PdEngine *self);

const gchar *
pd_engine_get_host(PdEngine *self);
GPtrArray *
pd_engine_get_plugins(PdEngine *self);
/* its start failed for good (a plugin waiting for its service is not) */
gboolean
pd_engine_is_plugin_disabled(PdEngine *self, PdPlugin *plugin);
/* selected pollsters, name -> PdPollster */
GHashTable *
pd_engine_get_pollsters(PdEngine *self);
GPtrArray *
pd_engine_get_tasks(PdEngine *self);
PdPollsterStats *
pd_engine_get_pollster_stats(PdEngine *self, const gchar *name);
guint
pd_engine_get_blacklist_size(PdEngine *self, const gchar *pollster);
/* a{sv} of counters ("t"), the notifier's among them, and "sinks" a{sv}:
 * sink name -> pd_sink_get_statistics() */
GVariant *
pd_engine_get_statistics(PdEngine *self);
guint
pd_engine_get_exit_errors(PdEngine *self);

G_END_DECLS
