/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin"

#include "config.h"

#include "pd-error.h"
#include "pd-plugin-private.h"

typedef struct {
	gchar *name;
	GPtrArray *pollsters;
	GPtrArray *discoveries;
	GPtrArray *config_keys;
	GMutex status_mutex;
	gchar *status;
} PdPluginPrivate;

G_DEFINE_TYPE_WITH_PRIVATE(PdPlugin, pd_plugin, G_TYPE_OBJECT)
#define GET_PRIVATE(o) ((PdPluginPrivate *)pd_plugin_get_instance_private(o))

void
pd_plugin_add_pollster(PdPlugin *self, PdPollster *pollster)
{
	g_return_if_fail(PD_IS_PLUGIN(self));
	g_return_if_fail(PD_IS_POLLSTER(pollster));
	g_return_if_fail(pd_pollster_get_name(pollster) != NULL);
	pd_pollster_set_plugin(pollster, self);
	g_ptr_array_add(GET_PRIVATE(self)->pollsters, g_object_ref(pollster));
}

void
pd_plugin_add_discovery(PdPlugin *self, PdDiscovery *discovery)
{
	g_return_if_fail(PD_IS_PLUGIN(self));
	g_return_if_fail(PD_IS_DISCOVERY(discovery));
	g_return_if_fail(pd_discovery_get_name(discovery) != NULL);
	pd_discovery_set_plugin(discovery, self);
	g_ptr_array_add(GET_PRIVATE(self)->discoveries, g_object_ref(discovery));
}

void
pd_plugin_clear_pollsters(PdPlugin *self)
{
	g_return_if_fail(PD_IS_PLUGIN(self));
	g_ptr_array_set_size(GET_PRIVATE(self)->pollsters, 0);
}

gboolean
pd_plugin_load_pollsters(PdPlugin *self, PdConfig *config)
{
	PdPluginClass *klass = PD_PLUGIN_GET_CLASS(self);

	if (klass->load_pollsters == NULL)
		return FALSE;
	return klass->load_pollsters(self, config);
}

void
pd_plugin_add_config_key(PdPlugin *self, const gchar *group, const gchar *key)
{
	PdPluginPrivate *priv = GET_PRIVATE(self);
	g_return_if_fail(PD_IS_PLUGIN(self));
	g_ptr_array_add(priv->config_keys, g_strdup(group != NULL ? group : "DEFAULT"));
	g_ptr_array_add(priv->config_keys, g_strdup(key));
}

const gchar *
pd_plugin_get_name(PdPlugin *self)
{
	g_return_val_if_fail(PD_IS_PLUGIN(self), NULL);
	return GET_PRIVATE(self)->name;
}

void
pd_plugin_set_name(PdPlugin *self, const gchar *name)
{
	PdPluginPrivate *priv = GET_PRIVATE(self);
	g_return_if_fail(PD_IS_PLUGIN(self));
	g_free(priv->name);
	priv->name = g_strdup(name);
}

GPtrArray *
pd_plugin_get_pollsters(PdPlugin *self)
{
	g_return_val_if_fail(PD_IS_PLUGIN(self), NULL);
	return GET_PRIVATE(self)->pollsters;
}

GPtrArray *
pd_plugin_get_discoveries(PdPlugin *self)
{
	g_return_val_if_fail(PD_IS_PLUGIN(self), NULL);
	return GET_PRIVATE(self)->discoveries;
}

GPtrArray *
pd_plugin_get_config_keys(PdPlugin *self)
{
	g_return_val_if_fail(PD_IS_PLUGIN(self), NULL);
	return GET_PRIVATE(self)->config_keys;
}

void
pd_plugin_set_status(PdPlugin *self, const gchar *status)
{
	PdPluginPrivate *priv = GET_PRIVATE(self);
	g_return_if_fail(PD_IS_PLUGIN(self));
	g_mutex_lock(&priv->status_mutex);
	g_free(priv->status);
	priv->status = g_strdup(status);
	g_mutex_unlock(&priv->status_mutex);
}

gchar *
pd_plugin_dup_status(PdPlugin *self)
{
	PdPluginPrivate *priv = GET_PRIVATE(self);
	gchar *status;
	g_return_val_if_fail(PD_IS_PLUGIN(self), NULL);
	g_mutex_lock(&priv->status_mutex);
	status = g_strdup(priv->status);
	g_mutex_unlock(&priv->status_mutex);
	return status;
}

gboolean
pd_plugin_start(PdPlugin *self, PdConfig *config, GError **error)
{
	PdPluginClass *klass = PD_PLUGIN_GET_CLASS(self);
	g_autoptr(GError) error_local = NULL;

	if (klass->start == NULL)
		return TRUE;
	if (!klass->start(self, config, &error_local)) {
		if (error_local == NULL) {
			g_set_error(error,
				    PD_ERROR,
				    PD_ERROR_INTERNAL,
				    "%s: start failed without an error",
				    pd_plugin_get_name(self));
			return FALSE;
		}
		g_propagate_prefixed_error(
		  error, g_steal_pointer(&error_local), "%s: ", pd_plugin_get_name(self));
		return FALSE;
	}
	return TRUE;
}

void
pd_plugin_stop(PdPlugin *self)
{
	PdPluginClass *klass = PD_PLUGIN_GET_CLASS(self);
	if (klass->stop != NULL)
		klass->stop(self);
}

static void
pd_plugin_finalize(GObject *obj)
{
	PdPluginPrivate *priv = GET_PRIVATE(PD_PLUGIN(obj));
	g_free(priv->name);
	g_free(priv->status);
	g_mutex_clear(&priv->status_mutex);
	g_ptr_array_unref(priv->pollsters);
	g_ptr_array_unref(priv->discoveries);
	g_ptr_array_unref(priv->config_keys);
	G_OBJECT_CLASS(pd_plugin_parent_class)->finalize(obj);
}

static void
pd_plugin_init(PdPlugin *self)
{
	PdPluginPrivate *priv = GET_PRIVATE(self);
	priv->pollsters = g_ptr_array_new_with_free_func(g_object_unref);
	priv->discoveries = g_ptr_array_new_with_free_func(g_object_unref);
	priv->config_keys = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&priv->status_mutex);
}

static void
pd_plugin_class_init(PdPluginClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_plugin_finalize;
}

static gboolean
pd_plugin_key_changed(PdConfig *a, PdConfig *b, const gchar *group, const gchar *key)
{
	return g_strcmp0(pd_config_get_string(a, group, key, NULL),
			 pd_config_get_string(b, group, key, NULL)) != 0;
}

guint
pd_plugin_note_changed_keys(PdConfig *old_config,
			    PdConfig *new_config,
			    const gchar *const *keys,
			    GPtrArray *restart_keys)
{
	guint n = 0;

	for (guint i = 0; keys[i + 1] != NULL; i += 2) {
		const gchar *group = keys[i] != NULL ? keys[i] : "DEFAULT";
		if (!pd_plugin_key_changed(old_config, new_config, keys[i], keys[i + 1]))
			continue;
		g_ptr_array_add(restart_keys, g_strdup_printf("[%s] %s", group, keys[i + 1]));
		n++;
	}
	return n;
}

gboolean
pd_plugin_check_config(PdPlugin *self, PdConfig *config, GError **error)
{
	PdPluginClass *klass;

	g_return_val_if_fail(PD_IS_PLUGIN(self), FALSE);
	klass = PD_PLUGIN_GET_CLASS(self);
	return klass->check_config == NULL || klass->check_config(self, config, error);
}

void
pd_plugin_reconfigure(PdPlugin *self,
		      PdConfig *old_config,
		      PdConfig *new_config,
		      GPtrArray *restart_keys)
{
	PdPluginClass *klass = PD_PLUGIN_GET_CLASS(self);
	GPtrArray *keys;

	g_return_if_fail(PD_IS_PLUGIN(self));
	if (klass->reconfigure != NULL) {
		klass->reconfigure(self, old_config, new_config, restart_keys);
		return;
	}
	/* nothing is read once and silently kept: a plugin that can't say
	 * what it applies needs a restart for any of its keys */
	keys = pd_plugin_get_config_keys(self);
	for (guint i = 0; i + 1 < keys->len; i += 2) {
		const gchar *group = g_ptr_array_index(keys, i);
		const gchar *key = g_ptr_array_index(keys, i + 1);
		if (pd_plugin_key_changed(old_config, new_config, group, key))
			g_ptr_array_add(restart_keys, g_strdup_printf("[%s] %s", group, key));
	}
}
