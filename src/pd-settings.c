/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdSettings"

#include "config.h"

#include "pd-config-private.h"
#include "pd-settings.h"

struct _PdSettings {
	GObject parent_instance;
	gchar **files; /* NULL with dirs NULL: the default file */
	gchar **dirs;
	gchar **namespaces;    /* command line, split; NULL if not given */
	gchar **pollster_list; /* command line, split; NULL if not given */
	GPtrArray *overrides;  /* [DEFAULT] key, value, key, value... of the flags */
	PdConfig *config;
};

G_DEFINE_TYPE(PdSettings, pd_settings, G_TYPE_OBJECT)

/* "a,b c" items -> a, b, c */
static gchar **
pd_settings_split_list(gchar **values)
{
	g_autoptr(GStrvBuilder) out = g_strv_builder_new();

	for (guint i = 0; values != NULL && values[i] != NULL; i++) {
		g_auto(GStrv) items = g_strsplit_set(values[i], ", ", -1);
		for (guint j = 0; items[j] != NULL; j++) {
			if (items[j][0] != '\0')
				g_strv_builder_add(out, items[j]);
		}
	}
	return g_strv_builder_end(out);
}

/* the command line's flags win over every file, on each reload too */
static PdConfig *
pd_settings_apply_overrides(PdSettings *self, PdConfig *config)
{
	for (guint i = 0; i + 1 < self->overrides->len; i += 2)
		pd_config_set_string(config,
				     NULL,
				     g_ptr_array_index(self->overrides, i),
				     g_ptr_array_index(self->overrides, i + 1));
	return config;
}

void
pd_settings_add_override(PdSettings *self, const gchar *key, const gchar *value)
{
	g_ptr_array_add(self->overrides, g_strdup(key));
	g_ptr_array_add(self->overrides, g_strdup(value));
}

PdConfig *
pd_settings_read(PdSettings *self, GError **error)
{
	g_autoptr(PdConfig) config = pd_config_new();

	if (self->files == NULL && self->dirs == NULL) {
		g_autofree gchar *def = g_build_filename(PD_SYSCONFDIR, "polld.conf", NULL);
		if (g_file_test(def, G_FILE_TEST_EXISTS) &&
		    !pd_config_load_file(config, def, error))
			return NULL;
		return pd_settings_apply_overrides(self, g_steal_pointer(&config));
	}
	for (guint i = 0; self->files != NULL && self->files[i] != NULL; i++) {
		if (!pd_config_load_file(config, self->files[i], error))
			return NULL;
	}
	for (guint i = 0; self->dirs != NULL && self->dirs[i] != NULL; i++) {
		if (!pd_config_load_dir(config, self->dirs[i], error))
			return NULL;
	}
	return pd_settings_apply_overrides(self, g_steal_pointer(&config));
}

gboolean
pd_settings_load(PdSettings *self, GError **error)
{
	g_autoptr(PdConfig) config = pd_settings_read(self, error);

	if (config == NULL)
		return FALSE;
	pd_settings_set_config(self, config);
	return TRUE;
}

PdConfig *
pd_settings_get_config(PdSettings *self)
{
	return self->config;
}

void
pd_settings_set_config(PdSettings *self, PdConfig *config)
{
	g_set_object(&self->config, config);
}

gchar **
pd_settings_dup_namespaces(PdSettings *self, PdConfig *config)
{
	g_auto(GStrv) from_config = NULL;

	if (self->namespaces != NULL)
		return g_strdupv(self->namespaces);
	from_config = pd_config_get_list(config, NULL, "polling_namespaces", "compute,central");
	return pd_settings_split_list(from_config);
}

gchar **
pd_settings_dup_pollster_list(PdSettings *self, PdConfig *config)
{
	g_auto(GStrv) from_config = NULL;

	if (self->pollster_list != NULL)
		return g_strdupv(self->pollster_list);
	from_config = pd_config_get_list(config, NULL, "pollster_list", NULL);
	return pd_settings_split_list(from_config);
}

static void
pd_settings_finalize(GObject *obj)
{
	PdSettings *self = PD_SETTINGS(obj);

	g_strfreev(self->files);
	g_strfreev(self->dirs);
	g_strfreev(self->namespaces);
	g_strfreev(self->pollster_list);
	g_ptr_array_unref(self->overrides);
	g_clear_object(&self->config);
	G_OBJECT_CLASS(pd_settings_parent_class)->finalize(obj);
}

static void
pd_settings_init(PdSettings *self)
{
	self->overrides = g_ptr_array_new_with_free_func(g_free);
}

static void
pd_settings_class_init(PdSettingsClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_settings_finalize;
}

PdSettings *
pd_settings_new(gchar **files, gchar **dirs, gchar **namespaces, gchar **pollster_list)
{
	PdSettings *self = g_object_new(PD_TYPE_SETTINGS, NULL);

	self->files = g_strdupv(files);
	self->dirs = g_strdupv(dirs);
	self->namespaces = namespaces != NULL ? pd_settings_split_list(namespaces) : NULL;
	self->pollster_list = pollster_list != NULL ? pd_settings_split_list(pollster_list) : NULL;
	return self;
}
