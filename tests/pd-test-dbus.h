/*
 * polld - what the D-Bus integration tests share: a private dbus-daemon,
 * the real daemon on it (the test plugin's pollsters), calls and waits
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AGENT_NAME "org.polld.Agent1"
#define AGENT_PATH "/org/polld/Agent1"
#define AGENT_IFACE "org.polld.Agent1"

typedef enum {
	BUS_SESSION, /* permissive: every uid may send anything */
	BUS_SYSTEM,  /* the default system policy plus data/org.polld.Agent1.conf */
} BusKind;

typedef struct {
	gchar *tmpdir;
	gchar *conf;
	gchar *yaml;
	gchar *address;
	GSubprocess *bus_proc;
	GSubprocess *polld;
	gboolean polld_exited;
	GDBusConnection *conn;
	GPtrArray *lines; /* stdout of polld: one message per line */
	GDataInputStream *out;
	GCancellable *cancellable;
	GPtrArray *cycles;  /* task names of CycleFinished signals */
	GPtrArray *changed; /* names of changed properties */
	guint cycle_sub;
	guint props_sub;
	/* sd_notify */
	GSocket *notify;
	GPtrArray *notifications;
	gboolean ready_had_owner;
	/* what pd_test_dbus_assert_samples() waits for */
	const gchar *want_meter;
	guint want_n;
} Fixture;

typedef void (*PdTestDbusFunc)(Fixture *f, gconstpointer data);

extern const gchar *pd_test_dbus_default_yaml;

guint
pd_test_dbus_timeout_ms(guint ms);
gboolean
pd_test_dbus_wait_for(gboolean (*cond)(Fixture *f), Fixture *f, guint ms);
gchar *
pd_test_dbus_write_file(Fixture *f, const gchar *name, const gchar *contents);
const gchar *
pd_test_dbus_source_root(void);
gchar *
pd_test_dbus_build_path(const gchar *rel);
void
pd_test_dbus_start_bus(Fixture *f, BusKind kind);
void
pd_test_dbus_write_config(Fixture *f, const gchar *test_section, const gchar *yaml);
GSubprocess *
pd_test_dbus_spawn_polld(Fixture *f,
			 BusKind kind,
			 GSubprocessFlags flags,
			 const gchar *notify_path,
			 GError **error);
gboolean
pd_test_dbus_name_owned(Fixture *f);
void
pd_test_dbus_start_polld_full(Fixture *f, BusKind kind, const gchar *notify_path);
void
pd_test_dbus_start_polld(Fixture *f, BusKind kind);
void
pd_test_dbus_stop_polld(Fixture *f);
GVariant *
pd_test_dbus_call(Fixture *f,
		  const gchar *method,
		  GVariant *params,
		  const gchar *type,
		  GError **error);
GVariant *
pd_test_dbus_call_ok(Fixture *f, const gchar *method, GVariant *params, const gchar *type);
GVariant *
pd_test_dbus_get_property(Fixture *f, const gchar *name);
void
pd_test_dbus_assert_remote_error(GError *error, const gchar *name);
GVariant *
pd_test_dbus_poll_now(Fixture *f, const gchar *const *names);
void
pd_test_dbus_assert_samples(Fixture *f, const gchar *meter, guint n);
GVariant *
pd_test_dbus_find_by_name(GVariant *list, const gchar *name);
gboolean
pd_test_dbus_have_first_cycle(Fixture *f);
gboolean
pd_test_dbus_have_two_cycles(Fixture *f);
guint64
pd_test_dbus_generation(Fixture *f);
/* Reload refuses the configuration on disk: InvalidConfig, its message
 * holding @where, ConfigGeneration still @generation */
void
pd_test_dbus_assert_reload_refused(Fixture *f, const gchar *where, guint64 generation);
/* Reload applies the configuration on disk as @generation, its notes
 * exactly @notes */
void
pd_test_dbus_assert_reload_notes(Fixture *f, guint64 generation, const gchar *const *notes);

/* g_test_init() for a test program that must not reach a developer's buses */
void
pd_test_dbus_init(gint *argc, gchar ***argv);
/* adds @func at @path with a fresh fixture (temporary directory, config) */
void
pd_test_dbus_add(const gchar *path, PdTestDbusFunc func);

G_END_DECLS
