/*
 * polld - the engine: config, plugins, polling tasks, publisher (no D-Bus)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-config-private.h"
#include "pd-plugin-private.h"
#include "pd-polling-config.h"
#include "pd-publisher.h"

G_BEGIN_DECLS

#define PD_TYPE_ENGINE (pd_engine_get_type())
G_DECLARE_FINAL_TYPE(PdEngine, pd_engine, PD, ENGINE, GObject)

/* the partitioning hook: at each cycle start a task takes a share (an
 * immutable view of the assignment, NULL = keep everything) and keeps the
 * resources the share owns; @discovery is NULL for the static resources of
 * @source. Runs on the main thread between discovery and polling. */
typedef struct {
	gpointer (*share_begin)(gpointer user_data);
	gboolean (*share_owns)(gpointer share,
			       const gchar *source,
			       const gchar *discovery,
			       PdResource *res);
	void (*share_end)(gpointer share);
} PdResourceFilter;

/* what the engine knows of one pollster, kept across cycles and reloads */
typedef struct {
	gchar *name;
	gint64 last_run; /* wall clock us, 0 = never */
	gint64 last_duration_us;
	guint last_samples;
	gchar *last_error;
	guint64 runs;
	guint64 errors;
	guint64 samples;
	gboolean busy; /* an invocation outlived its cycle and still runs */
} PdPollsterStats;

PdEngine *
pd_engine_new(PdConfig *config);
PdConfig *
pd_engine_get_config(PdEngine *self);
void
pd_engine_set_plugin_dirs(PdEngine *self, gchar **dirs);
void
pd_engine_set_namespaces(PdEngine *self, gchar **namespaces);
gchar **
pd_engine_get_namespaces(PdEngine *self);
void
pd_engine_set_pollster_list(PdEngine *self, gchar **globs);
void
pd_engine_set_publisher(PdEngine *self, PdPublisher *publisher);
PdPublisher *
pd_engine_get_publisher(PdEngine *self);
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
 * builds the tasks, starts the plugins and the publisher */
gboolean
pd_engine_setup(PdEngine *self, GError **error);
/* the config files and directories pd_engine_reload() reads again */
void
pd_engine_set_config_sources(PdEngine *self, gchar **files, gchar **dirs);
/* re-reads the config and polling.yaml; if invalid, fails with
 * PD_ERROR_INVALID_CONFIG (file:line:col in the message) and the old
 * config keeps running; else applies the change as a diff: unchanged tasks
 * keep their schedule, pollster state (stats, blacklists, plugin baselines)
 * is kept, running cycles complete and publish, the publisher is untouched.
 * Emits "reloaded" (guint64 generation). */
gboolean
pd_engine_reload(PdEngine *self, GError **error);
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

/* stops the timers, lets running cycles finish and flushes the publisher */
void
pd_engine_stop_async(PdEngine *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean
pd_engine_stop_finish(PdEngine *self, GAsyncResult *res, GError **error);

void
pd_engine_set_paused(PdEngine *self, gboolean paused);
gboolean
pd_engine_get_paused(PdEngine *self);

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
/* a{sv} of counters */
GVariant *
pd_engine_get_statistics(PdEngine *self);
guint
pd_engine_get_exit_errors(PdEngine *self);

G_END_DECLS
