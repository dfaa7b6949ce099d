/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdConfig"

#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "pd-config-private.h"

/*
 * Files are read with a parser of our own that follows oslo.config's
 * iniparser: [section] headers, 'key = value' or 'key: value', comments
 * starting with '#' or ';', indented lines continuing the value above them
 * (joined with a newline), matching quotes around a value dropped. Every
 * value keeps its file and line so that a bad one can be pointed at. A file
 * must be UTF-8 without NUL bytes; a leading byte order mark is skipped.
 * Values from all files are merged into one table, later files win.
 */

/* at most this many bytes of a text read from a file go into a message */
#define PD_CONFIG_QUOTE_MAX 64

typedef struct {
	gchar *value;
	const gchar *origin; /* interned file name */
	guint line;	     /* 0: not from a file */
} PdConfigValue;

struct _PdConfig {
	GObject parent_instance;
	GHashTable *values;	 /* "group\nkey" -> PdConfigValue */
	GHashTable *known;	 /* "group\nkey" -> NULL */
	GHashTable *unsupported; /* "group\nkey" -> why (NULL: not implemented yet) */
	GPtrArray *warned;	 /* "[group] key" of the unsupported keys set */
	GPtrArray *files;
};

typedef struct {
	PdConfig *config;
	const gchar *filename; /* interned */
	gchar *group;
	gchar *key; /* the assignment that may continue, or NULL */
	GString *value;
	guint key_line;
} PdConfigParser;

G_DEFINE_TYPE(PdConfig, pd_config, G_TYPE_OBJECT)
/* not G_DEFINE_QUARK(): clang-format spaces out its dashed name, and so the quark's string */
GQuark
pd_config_error_quark(void)
{
	return g_quark_from_static_string("pd-config-error-quark");
}

static void
pd_config_value_free(PdConfigValue *v)
{
	g_free(v->value);
	g_free(v);
}

gchar *
pd_config_abbreviate(const gchar *text, gssize len)
{
	gsize n = len < 0 ? strlen(text) : (gsize)len;
	gsize cut = MIN(n, PD_CONFIG_QUOTE_MAX);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree gchar *valid = NULL;

	/* cut on a character boundary; control characters become escapes */
	while (cut > 0 && cut < n && ((guchar)text[cut] & 0xc0) == 0x80)
		cut--;
	for (gsize i = 0; i < cut; i++) {
		guchar c = (guchar)text[i];
		if (c < 0x20 || c == 0x7f)
			g_string_append_printf(out, "\\x%02x", c);
		else
			g_string_append_c(out, (gchar)c);
	}
	if (cut < n)
		g_string_append_printf(out, "...(%" G_GSIZE_FORMAT " bytes)", n);
	valid = g_utf8_make_valid(out->str, -1);
	return g_steal_pointer(&valid);
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

static void
pd_config_parser_flush(PdConfigParser *parser)
{
	PdConfigValue *v;

	if (parser->key == NULL)
		return;
	v = g_new0(PdConfigValue, 1);
	v->value = g_string_free(g_steal_pointer(&parser->value), FALSE);
	v->origin = parser->filename;
	v->line = parser->key_line;
	g_hash_table_replace(
	  parser->config->values, pd_config_make_key(parser->group, parser->key), v);
	g_clear_pointer(&parser->key, g_free);
}

static gboolean
pd_config_parser_section(PdConfigParser *parser, guint lineno, const gchar *line, GError **error)
{
	gsize len = strlen(line);

	if (line[len - 1] != ']' || len <= 2) {
		g_autofree gchar *cut = pd_config_abbreviate(line, -1);
		g_set_error(error,
			    PD_CONFIG_ERROR,
			    PD_CONFIG_ERROR_SYNTAX,
			    "%s:%u:1: a section header is a name in brackets, not '%s'",
			    parser->filename,
			    lineno,
			    cut);
		return FALSE;
	}
	g_free(parser->group);
	parser->group = g_strndup(line + 1, len - 2);
	return TRUE;
}

static gboolean
pd_config_parser_assignment(PdConfigParser *parser,
			    guint lineno,
			    const gchar *line,
			    guint col,
			    GError **error)
{
	const gchar *sep = strpbrk(line, ":=");
	g_autofree gchar *key = NULL;
	gchar *value;
	gsize len;

	if (sep == NULL || sep == line || parser->group == NULL) {
		g_set_error(error,
			    PD_CONFIG_ERROR,
			    PD_CONFIG_ERROR_SYNTAX,
			    parser->group == NULL && sep != NULL && sep != line
			      ? "%s:%u:%u: option outside of any [section]"
			      : "%s:%u:%u: expected 'key = value', a [section] or a comment",
			    parser->filename,
			    lineno,
			    col);
		return FALSE;
	}
	key = g_strstrip(g_strndup(line, (gsize)(sep - line)));
	value = g_strstrip(g_strdup(sep + 1));
	len = strlen(value);
	/* oslo.config drops one pair of matching quotes */
	if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0]) {
		memmove(value, value + 1, len - 2);
		value[len - 2] = '\0';
	}
	parser->key = g_steal_pointer(&key);
	parser->value = g_string_new(value);
	g_free(value);
	parser->key_line = lineno;
	return TRUE;
}

static gboolean
pd_config_parser_line(PdConfigParser *parser, guint lineno, gchar *line, GError **error)
{
	const gchar *p = line + strspn(line, " \t");

	g_strchomp(line); /* also drops '\r' */
	if (*p == '\0') {
		pd_config_parser_flush(parser);
		return TRUE;
	}
	if (p != line && parser->key != NULL) {
		g_string_append_c(parser->value, '\n');
		g_string_append(parser->value, p);
		return TRUE;
	}
	pd_config_parser_flush(parser);
	if (*p == '#' || *p == ';')
		return TRUE;
	if (*p == '[')
		return pd_config_parser_section(parser, lineno, p, error);
	return pd_config_parser_assignment(parser, lineno, p, (guint)(p - line) + 1, error);
}

/* line and column (in bytes) of @at in @data */
static void
pd_config_position(const gchar *data, const gchar *at, guint *line, guint *col)
{
	const gchar *bol = data;

	*line = 1;
	for (const gchar *p = data; p < at; p++) {
		if (*p == '\n') {
			(*line)++;
			bol = p + 1;
		}
	}
	*col = (guint)(at - bol) + 1;
}

/* what oslo.config would not read either: NUL bytes, invalid UTF-8 */
static gboolean
pd_config_check_encoding(const gchar *filename, const gchar *data, gsize len, GError **error)
{
	const gchar *bad = memchr(data, '\0', len);
	const gchar *what = "a NUL byte";
	guint line, col;

	if (bad == NULL && g_utf8_validate_len(data, len, &bad))
		return TRUE;
	if (bad == NULL || *bad != '\0')
		what = "text that is not UTF-8";
	pd_config_position(data, bad, &line, &col);
	g_set_error(error,
		    PD_CONFIG_ERROR,
		    PD_CONFIG_ERROR_SYNTAX,
		    "%s:%u:%u: %s (a config file is UTF-8 text)",
		    filename,
		    line,
		    col,
		    what);
	return FALSE;
}

static gboolean
pd_config_parse(PdConfig *self, const gchar *filename, gchar *data, gsize len, GError **error)
{
	PdConfigParser parser = { self, g_intern_string(filename), NULL, NULL, NULL, 0 };
	g_auto(GStrv) lines = NULL;
	gboolean ok = TRUE;

	if (!pd_config_check_encoding(filename, data, len, error))
		return FALSE;
	if (g_str_has_prefix(data, "\xef\xbb\xbf"))
		data += 3;
	lines = g_strsplit(data, "\n", -1);
	for (guint i = 0; ok && lines[i] != NULL; i++)
		ok = pd_config_parser_line(&parser, i + 1, lines[i], error);
	if (ok)
		pd_config_parser_flush(&parser);
	g_free(parser.group);
	g_free(parser.key);
	if (parser.value != NULL)
		g_string_free(parser.value, TRUE);
	return ok;
}

gboolean
pd_config_load_file(PdConfig *self, const gchar *filename, GError **error)
{
	g_autofree gchar *data = NULL;
	g_autoptr(GError) error_local = NULL;
	gsize len = 0;

	g_return_val_if_fail(PD_IS_CONFIG(self), FALSE);
	if (!g_file_get_contents(filename, &data, &len, &error_local)) {
		g_set_error(error,
			    PD_CONFIG_ERROR,
			    PD_CONFIG_ERROR_IO,
			    "%s: %s",
			    filename,
			    error_local->message);
		return FALSE;
	}
	if (!pd_config_parse(self, filename, data, len, error))
		return FALSE;
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

/* "<file>:<line>", or "command line" */
static gchar *
pd_config_value_location(PdConfigValue *v)
{
	if (v->line == 0)
		return g_strdup(v->origin);
	return g_strdup_printf("%s:%u", v->origin, v->line);
}

static gint
pd_config_key_cmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar **)a, *(const gchar **)b);
}

GPtrArray *
pd_config_dup_keys(PdConfig *self)
{
	g_autoptr(GPtrArray) sorted = g_ptr_array_new();
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, self->values);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(sorted, key);
	g_ptr_array_sort(sorted, pd_config_key_cmp);
	for (guint i = 0; i < sorted->len; i++) {
		const gchar *k = g_ptr_array_index(sorted, i);
		g_ptr_array_add(out, g_strndup(k, strchr(k, '\n') - k));
		g_ptr_array_add(out, g_strdup(strchr(k, '\n') + 1));
	}
	return out;
}

void
pd_config_register_unsupported(PdConfig *self,
			       const gchar *group,
			       const gchar *key,
			       const gchar *why)
{
	g_hash_table_replace(self->unsupported, pd_config_make_key(group, key), g_strdup(why));
}

/* TRUE if the key is in the registry; @unsupported: as not implemented */
static gboolean
pd_config_lookup_status(PdConfig *self, const gchar *key, gboolean *unsupported)
{
	g_autofree gchar *group_any =
	  g_strdup_printf("%.*s\n*", (gint)(strchr(key, '\n') - key), key);

	*unsupported = FALSE;
	if (g_hash_table_contains(self->known, key))
		return TRUE;
	if (g_hash_table_contains(self->unsupported, key) ||
	    g_hash_table_contains(self->unsupported, group_any)) {
		*unsupported = TRUE;
		return TRUE;
	}
	/* "group\n*" accepts a whole section */
	return g_hash_table_contains(self->known, group_any);
}

gboolean
pd_config_is_registered(PdConfig *self, const gchar *group, const gchar *key)
{
	g_autofree gchar *k = pd_config_make_key(group, key);
	gboolean unsupported;

	return pd_config_lookup_status(self, k, &unsupported) && !unsupported;
}

GPtrArray *
pd_config_get_unsupported(PdConfig *self)
{
	return self->warned;
}

static void
pd_config_warn_unsupported(PdConfig *self, const gchar *k, GHashTable *warned)
{
	PdConfigValue *v = g_hash_table_lookup(self->values, k);
	g_autofree gchar *group = g_strndup(k, strchr(k, '\n') - k);
	g_autofree gchar *group_any = g_strdup_printf("%s\n*", group);
	g_autofree gchar *where = pd_config_value_location(v);
	const gchar *key = strchr(k, '\n') + 1;
	const gchar *why = g_hash_table_lookup(self->unsupported, k);

	if (why == NULL)
		why = g_hash_table_lookup(self->unsupported, group_any);
	g_ptr_array_add(self->warned, g_strdup_printf("[%s] %s", group, key));
	/* a reload does not repeat what the operator was told already */
	if (warned != NULL &&
	    !g_hash_table_add(warned,
			      g_strdup_printf("%s\n%s", k, v->value != NULL ? v->value : "")))
		return;
	if (why != NULL)
		g_warning(
		  "%s: `[%s] %s` is not supported by polld: %s; ignored", where, group, key, why);
	else
		g_warning(
		  "%s: `[%s] %s` is not supported by polld yet; ignored", where, group, key);
}

guint
pd_config_warn_unknown(PdConfig *self)
{
	return pd_config_warn_unknown_once(self, NULL);
}

guint
pd_config_warn_unknown_once(PdConfig *self, GHashTable *warned)
{
	g_autoptr(GPtrArray) unknown = g_ptr_array_new();
	g_autoptr(GPtrArray) unsupported = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key, value;

	g_ptr_array_set_size(self->warned, 0);
	g_hash_table_iter_init(&iter, self->values);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		gboolean is_unsupported;
		if (!pd_config_lookup_status(self, key, &is_unsupported))
			g_ptr_array_add(unknown, key);
		else if (is_unsupported)
			g_ptr_array_add(unsupported, key);
	}
	g_ptr_array_sort(unknown, pd_config_key_cmp);
	g_ptr_array_sort(unsupported, pd_config_key_cmp);
	for (guint i = 0; i < unsupported->len; i++)
		pd_config_warn_unsupported(self, g_ptr_array_index(unsupported, i), warned);
	for (guint i = 0; i < unknown->len; i++) {
		const gchar *k = g_ptr_array_index(unknown, i);
		PdConfigValue *v = g_hash_table_lookup(self->values, k);
		g_autofree gchar *group = pd_config_abbreviate(k, strchr(k, '\n') - k);
		g_autofree gchar *name = pd_config_abbreviate(strchr(k, '\n') + 1, -1);
		g_autofree gchar *where = pd_config_value_location(v);
		g_warning("%s: unknown option [%s] %s, ignored", where, group, name);
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

gchar *
pd_config_get_location(PdConfig *self, const gchar *group, const gchar *key)
{
	PdConfigValue *v = pd_config_lookup(self, group, key);
	return v != NULL ? pd_config_value_location(v) : NULL;
}

static void
pd_config_set_range_error(PdConfigValue *v,
			  const gchar *group,
			  const gchar *key,
			  const gchar *expected,
			  GError **error)
{
	g_autofree gchar *where = pd_config_value_location(v);
	g_autofree gchar *cut = pd_config_abbreviate(v->value, -1);

	g_set_error(error,
		    PD_CONFIG_ERROR,
		    PD_CONFIG_ERROR_INVALID,
		    "%s: [%s] %s = '%s': expected %s",
		    where,
		    group != NULL ? group : "DEFAULT",
		    key,
		    cut,
		    expected);
}

gboolean
pd_config_get_int_range(PdConfig *self,
			const gchar *group,
			const gchar *key,
			gint64 def,
			gint64 min,
			gint64 max,
			gint64 *value,
			GError **error)
{
	PdConfigValue *v = pd_config_lookup(self, group, key);
	g_autofree gchar *expected = NULL;

	g_return_val_if_fail(min <= def && def <= max, FALSE);
	if (v == NULL) {
		*value = def;
		return TRUE;
	}
	if (g_ascii_string_to_signed(v->value, 10, min, max, value, NULL))
		return TRUE;
	expected =
	  g_strdup_printf("an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, min, max);
	pd_config_set_range_error(v, group, key, expected, error);
	return FALSE;
}

gboolean
pd_config_get_double_range(PdConfig *self,
			   const gchar *group,
			   const gchar *key,
			   gdouble def,
			   gdouble min,
			   gdouble max,
			   gdouble *value,
			   GError **error)
{
	PdConfigValue *v = pd_config_lookup(self, group, key);
	g_autofree gchar *expected = NULL;
	gchar *end = NULL;
	gdouble val;

	g_return_val_if_fail(min <= def && def <= max, FALSE);
	if (v == NULL) {
		*value = def;
		return TRUE;
	}
	errno = 0;
	val = g_ascii_strtod(v->value, &end);
	/* the negated test also refuses NaN */
	if (errno == 0 && end != v->value && *end == '\0' && val >= min && val <= max) {
		*value = val;
		return TRUE;
	}
	expected = g_strdup_printf("a number from %g to %g", min, max);
	pd_config_set_range_error(v, group, key, expected, error);
	return FALSE;
}

gint64
pd_config_get_int(PdConfig *self, const gchar *group, const gchar *key, gint64 def)
{
	g_autoptr(GError) error = NULL;
	gint64 val;

	if (!pd_config_get_int_range(self, group, key, def, G_MININT64, G_MAXINT64, &val, &error)) {
		g_warning("%s, using %" G_GINT64_FORMAT, error->message, def);
		return def;
	}
	return val;
}

gdouble
pd_config_get_double(PdConfig *self, const gchar *group, const gchar *key, gdouble def)
{
	g_autoptr(GError) error = NULL;
	gdouble val;

	if (!pd_config_get_double_range(
	      self, group, key, def, -G_MAXDOUBLE, G_MAXDOUBLE, &val, &error)) {
		g_warning("%s, using %g", error->message, def);
		return def;
	}
	return val;
}

guint
pd_config_seconds_to_ms(gdouble seconds)
{
	/* the negated test also catches NaN */
	if (!(seconds > 0))
		return 0;
	if (seconds >= (gdouble)G_MAXUINT / 1000)
		return G_MAXUINT;
	return (guint)(seconds * 1000);
}

static const struct {
	const gchar *name;
	PdCeilometerRelease release;
} pd_ceilometer_releases[] = {
	{ "zed", PD_CEILOMETER_ZED },
	{ "2022.2", PD_CEILOMETER_ZED },
	{ "2025.2", PD_CEILOMETER_2025_2 },
	{ "2026.1", PD_CEILOMETER_2026_1 },
};

gboolean
pd_config_get_ceilometer_compat(PdConfig *self, PdCeilometerRelease *release, GError **error)
{
	PdConfigValue *v;

	*release = PD_CEILOMETER_DEFAULT;
	/* no config (a cycle cache made without one): the default */
	if (self == NULL)
		return TRUE;
	v = pd_config_lookup(self, "polld", "ceilometer_compat");
	if (v == NULL)
		return TRUE;
	/* exact, as oslo.config matches its choices */
	for (guint i = 0; i < G_N_ELEMENTS(pd_ceilometer_releases); i++) {
		if (g_strcmp0(v->value, pd_ceilometer_releases[i].name) == 0) {
			*release = pd_ceilometer_releases[i].release;
			return TRUE;
		}
	}
	pd_config_set_range_error(
	  v, "polld", "ceilometer_compat", "one of zed (or 2022.2), 2025.2, 2026.1", error);
	return FALSE;
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
	{
		g_autofree gchar *where = pd_config_value_location(v);
		g_autofree gchar *cut = pd_config_abbreviate(v->value, -1);
		g_warning("%s: [%s] %s = '%s' is not a boolean, using %s",
			  where,
			  group != NULL ? group : "DEFAULT",
			  key,
			  cut,
			  def ? "true" : "false");
	}
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
	g_hash_table_unref(self->unsupported);
	g_ptr_array_unref(self->warned);
	g_ptr_array_unref(self->files);
	G_OBJECT_CLASS(pd_config_parent_class)->finalize(obj);
}

static void
pd_config_init(PdConfig *self)
{
	self->values = g_hash_table_new_full(
	  g_str_hash, g_str_equal, g_free, (GDestroyNotify)pd_config_value_free);
	self->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->unsupported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->warned = g_ptr_array_new_with_free_func(g_free);
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
