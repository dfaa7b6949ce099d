/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdConfig"

#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "pd-config-private.h"

/*
 * Files are parsed with GKeyFile after a line scan of our own: GKeyFile's
 * errors carry no position and it doesn't know oslo.config's ';' comments,
 * so the scan normalises those and reports file:line:col for malformed
 * lines. Values from all files are merged into one table, later files win.
 */

typedef struct {
	gchar *value;
	const gchar *origin; /* interned file name */
} PdConfigValue;

struct _PdConfig {
	GObject parent_instance;
	GHashTable *values; /* "group\nkey" -> PdConfigValue */
	GHashTable *known;  /* "group\nkey" -> NULL */
	GPtrArray *files;
};

G_DEFINE_TYPE(PdConfig, pd_config, G_TYPE_OBJECT)
G_DEFINE_QUARK(pd - config - error - quark, pd_config_error)

static void
pd_config_value_free(PdConfigValue *v)
{
	g_free(v->value);
	g_free(v);
}

/* oslo.config treats '-' and '_' in option names alike */
static gchar *
pd_config_make_key(const gchar *group, const gchar *key)
{
	gchar *k = g_strdup_printf("%s\n%s", group != NULL ? group : "DEFAULT", key);
	for (gchar *p = strchr(k, '\n') + 1; *p != '\0'; p++) {
		if (*p == '-')
			*p = '_';
	}
	return k;
}

static gboolean
pd_config_scan_line(const gchar *filename, guint lineno, gchar *line, GError **error)
{
	gchar *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return TRUE;
	if (*p == ';') {
		*p = '#';
		return TRUE;
	}
	if (*p == '[') {
		gchar *end = strchr(p, ']');
		if (end == NULL || end == p + 1) {
			g_set_error(error,
				    PD_CONFIG_ERROR,
				    PD_CONFIG_ERROR_SYNTAX,
				    "%s:%u:%u: section header needs a name and a closing ']'",
				    filename,
				    lineno,
				    (guint)(p - line) + 1);
			return FALSE;
		}
		return TRUE;
	}
	if (*p == '=' || strchr(p, '=') == NULL) {
		g_set_error(error,
			    PD_CONFIG_ERROR,
			    PD_CONFIG_ERROR_SYNTAX,
			    "%s:%u:%u: expected 'key = value', a [section] or a comment",
			    filename,
			    lineno,
			    (guint)(p - line) + 1);
		return FALSE;
	}
	return TRUE;
}

/* returns the text normalised for GKeyFile */
static gchar *
pd_config_scan(const gchar *filename, const gchar *data, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	gboolean seen_group = FALSE;

	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *p;
		g_strchomp(lines[i]); /* also drops '\r' */
		if (!pd_config_scan_line(filename, i + 1, lines[i], error))
			return NULL;
		p = lines[i] + strspn(lines[i], " \t");
		if (*p == '[')
			seen_group = TRUE;
		else if (*p != '\0' && *p != '#' && !seen_group) {
			g_set_error(error,
				    PD_CONFIG_ERROR,
				    PD_CONFIG_ERROR_SYNTAX,
				    "%s:%u:%u: option outside of any [section]",
				    filename,
				    i + 1,
				    (guint)(p - lines[i]) + 1);
			return NULL;
		}
	}
	return g_strjoinv("\n", lines);
}

static void
pd_config_merge_keyfile(PdConfig *self, GKeyFile *kf, const gchar *origin)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	for (guint i = 0; groups[i] != NULL; i++) {
		g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		for (guint j = 0; keys != NULL && keys[j] != NULL; j++) {
			PdConfigValue *v = g_new0(PdConfigValue, 1);
			v->value = g_key_file_get_value(kf, groups[i], keys[j], NULL);
			g_strstrip(v->value);
			v->origin = g_intern_string(origin);
			g_hash_table_replace(
			  self->values, pd_config_make_key(groups[i], keys[j]), v);
		}
	}
}

gboolean
pd_config_load_file(PdConfig *self, const gchar *filename, GError **error)
{
	g_autofree gchar *data = NULL;
	g_autofree gchar *normalised = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();

	g_return_val_if_fail(PD_IS_CONFIG(self), FALSE);
	if (!g_file_get_contents(filename, &data, NULL, &error_local)) {
		g_set_error(error,
			    PD_CONFIG_ERROR,
			    PD_CONFIG_ERROR_IO,
			    "%s: %s",
			    filename,
			    error_local->message);
		return FALSE;
	}
	normalised = pd_config_scan(filename, data, error);
	if (normalised == NULL)
		return FALSE;
	if (!g_key_file_load_from_data(kf, normalised, -1, G_KEY_FILE_NONE, &error_local)) {
		/* the scan catches what GKeyFile refuses; this is a safety net */
		g_set_error(error,
			    PD_CONFIG_ERROR,
			    PD_CONFIG_ERROR_SYNTAX,
			    "%s:1:1: %s",
			    filename,
			    error_local->message);
		return FALSE;
	}
	pd_config_merge_keyfile(self, kf, filename);
	g_ptr_array_add(self->files, g_strdup(filename));
	return TRUE;
}

static gint
pd_config_strcmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar **)a, *(const gchar **)b);
}

gboolean
pd_config_load_dir(PdConfig *self, const gchar *dirname, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GDir) dir = g_dir_open(dirname, 0, &error_local);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const gchar *name;

	if (dir == NULL) {
		g_set_error(error,
			    PD_CONFIG_ERROR,
			    PD_CONFIG_ERROR_IO,
			    "%s: %s",
			    dirname,
			    error_local->message);
		return FALSE;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, ".conf"))
			g_ptr_array_add(names, g_build_filename(dirname, name, NULL));
	}
	g_ptr_array_sort(names, pd_config_strcmp);
	for (guint i = 0; i < names->len; i++) {
		if (!pd_config_load_file(self, g_ptr_array_index(names, i), error))
			return FALSE;
	}
	return TRUE;
}

void
pd_config_set_string(PdConfig *self, const gchar *group, const gchar *key, const gchar *value)
{
	PdConfigValue *v = g_new0(PdConfigValue, 1);
	v->value = g_strdup(value);
	v->origin = g_intern_static_string("command line");
	g_hash_table_replace(self->values, pd_config_make_key(group, key), v);
}

GPtrArray *
pd_config_get_files(PdConfig *self)
{
	return self->files;
}

void
pd_config_register_key(PdConfig *self, const gchar *group, const gchar *key)
{
	g_hash_table_add(self->known, pd_config_make_key(group, key));
}

static gint
pd_config_key_cmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar **)a, *(const gchar **)b);
}

guint
pd_config_warn_unknown(PdConfig *self)
{
	g_autoptr(GPtrArray) unknown = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, self->values);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		g_autofree gchar *group_any = NULL;
		if (g_hash_table_contains(self->known, key))
			continue;
		/* "group\n*" accepts a whole section polld doesn't use */
		group_any = g_strdup_printf(
		  "%.*s\n*", (gint)(strchr(key, '\n') - (gchar *)key), (gchar *)key);
		if (!g_hash_table_contains(self->known, group_any))
			g_ptr_array_add(unknown, key);
	}
	g_ptr_array_sort(unknown, pd_config_key_cmp);
	for (guint i = 0; i < unknown->len; i++) {
		const gchar *k = g_ptr_array_index(unknown, i);
		PdConfigValue *v = g_hash_table_lookup(self->values, k);
		g_autofree gchar *group = g_strndup(k, strchr(k, '\n') - k);
		g_warning(
		  "%s: unknown option [%s] %s, ignored", v->origin, group, strchr(k, '\n') + 1);
	}
	return unknown->len;
}

static PdConfigValue *
pd_config_lookup(PdConfig *self, const gchar *group, const gchar *key)
{
	g_autofree gchar *k = pd_config_make_key(group, key);
	return g_hash_table_lookup(self->values, k);
}

gboolean
pd_config_has_key(PdConfig *self, const gchar *group, const gchar *key)
{
	return pd_config_lookup(self, group, key) != NULL;
}

const gchar *
pd_config_get_origin(PdConfig *self, const gchar *group, const gchar *key)
{
	PdConfigValue *v = pd_config_lookup(self, group, key);
	return v != NULL ? v->origin : NULL;
}

const gchar *
pd_config_get_string(PdConfig *self, const gchar *group, const gchar *key, const gchar *def)
{
	PdConfigValue *v = pd_config_lookup(self, group, key);
	return v != NULL ? v->value : def;
}

gint64
pd_config_get_int(PdConfig *self, const gchar *group, const gchar *key, gint64 def)
{
	PdConfigValue *v = pd_config_lookup(self, group, key);
	gint64 val;

	if (v == NULL)
		return def;
	if (!g_ascii_string_to_signed(v->value, 10, G_MININT64, G_MAXINT64, &val, NULL)) {
		g_warning("%s: [%s] %s = '%s' is not an integer, using %" G_GINT64_FORMAT,
			  v->origin,
			  group != NULL ? group : "DEFAULT",
			  key,
			  v->value,
			  def);
		return def;
	}
	return val;
}

gdouble
pd_config_get_double(PdConfig *self, const gchar *group, const gchar *key, gdouble def)
{
	PdConfigValue *v = pd_config_lookup(self, group, key);
	gchar *end = NULL;
	gdouble val;

	if (v == NULL)
		return def;
	errno = 0;
	val = g_ascii_strtod(v->value, &end);
	if (errno != 0 || end == v->value || *end != '\0') {
		g_warning("%s: [%s] %s = '%s' is not a number, using %g",
			  v->origin,
			  group != NULL ? group : "DEFAULT",
			  key,
			  v->value,
			  def);
		return def;
	}
	return val;
}

gboolean
pd_config_get_bool(PdConfig *self, const gchar *group, const gchar *key, gboolean def)
{
	PdConfigValue *v = pd_config_lookup(self, group, key);
	const gchar *truthy[] = { "true", "yes", "on", "1", NULL };
	const gchar *falsy[] = { "false", "no", "off", "0", NULL };

	if (v == NULL)
		return def;
	for (guint i = 0; truthy[i] != NULL; i++) {
		if (g_ascii_strcasecmp(v->value, truthy[i]) == 0)
			return TRUE;
		if (g_ascii_strcasecmp(v->value, falsy[i]) == 0)
			return FALSE;
	}
	g_warning("%s: [%s] %s = '%s' is not a boolean, using %s",
		  v->origin,
		  group != NULL ? group : "DEFAULT",
		  key,
		  v->value,
		  def ? "true" : "false");
	return def;
}

gchar **
pd_config_get_list(PdConfig *self, const gchar *group, const gchar *key, const gchar *def)
{
	const gchar *str = pd_config_get_string(self, group, key, def);
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) items = NULL;

	if (str == NULL)
		return g_strv_builder_end(builder);
	items = g_strsplit(str, ",", -1);
	for (guint i = 0; items[i] != NULL; i++) {
		g_strstrip(items[i]);
		if (items[i][0] != '\0')
			g_strv_builder_add(builder, items[i]);
	}
	return g_strv_builder_end(builder);
}

static void
pd_config_finalize(GObject *obj)
{
	PdConfig *self = PD_CONFIG(obj);
	g_hash_table_unref(self->values);
	g_hash_table_unref(self->known);
	g_ptr_array_unref(self->files);
	G_OBJECT_CLASS(pd_config_parent_class)->finalize(obj);
}

static void
pd_config_init(PdConfig *self)
{
	self->values = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)pd_config_value_free);
	self->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->files = g_ptr_array_new_with_free_func(g_free);
}

static void
pd_config_class_init(PdConfigClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_config_finalize;
}

PdConfig *
pd_config_new(void)
{
	return g_object_new(PD_TYPE_CONFIG, NULL);
}
