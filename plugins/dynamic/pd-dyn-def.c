/*
 * polld dynamic pollsters - definition validation and loading
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include <glib/gstdio.h>
#include <string.h>

#include "pd-dyn-def.h"
#include "pd-dyn-value.h"

#define PD_DYN_DEF_ERROR (pd_dyn_def_error_quark())
GQuark
pd_dyn_def_error_quark(void);
G_DEFINE_QUARK(pd - dyn - def - error - quark, pd_dyn_def_error)

/* the variables an extra_metadata_fields url_path or host_command reads */
static const gchar *const pd_dyn_extra_names[] = { "sample",
						   "extra_metadata_captured",
						   "extra_metadata_by_name",
						   NULL };

typedef struct {
	const gchar *file;
	const gchar *name; /* the definition's name, or NULL before it is known */
	PdDynDef *def;
	GError **error;
	gboolean is_extra;
} PdDynCtx;

static gboolean
pd_dyn_fail(PdDynCtx *c, PdDynYaml *at, const gchar *key, const gchar *fmt, ...)
  G_GNUC_PRINTF(4, 5);

static gboolean
pd_dyn_fail(PdDynCtx *c, PdDynYaml *at, const gchar *key, const gchar *fmt, ...)
{
	g_autofree gchar *msg = NULL;
	g_autofree gchar *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	what = c->name != NULL ? g_strdup_printf("pollster definition '%s'", c->name)
			       : g_strdup("pollster definition");
	if (key != NULL)
		g_set_error(c->error,
			    PD_DYN_DEF_ERROR,
			    0,
			    "%s:%u:%u: %s%s: key '%s': %s",
			    c->file,
			    at->line,
			    at->column,
			    c->is_extra ? "extra_metadata_fields of " : "",
			    what,
			    key,
			    msg);
	else
		g_set_error(c->error,
			    PD_DYN_DEF_ERROR,
			    0,
			    "%s:%u:%u: %s: %s",
			    c->file,
			    at->line,
			    at->column,
			    what,
			    msg);
	return FALSE;
}

/* --- typed readers --- */

static const gchar *
pd_dyn_kind_name(PdDynYaml *n)
{
	if (n->kind == PD_DYN_YAML_MAP)
		return "a mapping";
	if (n->kind == PD_DYN_YAML_SEQ)
		return "a list";
	return "a single value";
}

/* YAML turns plain on/off/yes/no/true/false/null/~ into other types, which
 * Ceilometer then chokes on: say so instead of reading them as text */
static gboolean
pd_dyn_check_text(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	g_autoptr(JsonNode) typed = NULL;
	PdDynKind k;

	if (v->kind != PD_DYN_YAML_SCALAR)
		return pd_dyn_fail(c, v, key, "expected a string, found %s", pd_dyn_kind_name(v));
	typed = pd_dyn_yaml_to_json(v);
	k = pd_dyn_value_kind(typed);
	if (k == PD_DYN_BOOL || k == PD_DYN_NONE)
		return pd_dyn_fail(c,
				   v,
				   key,
				   "'%s' is %s to YAML, not a string: write it in quotes",
				   v->text,
				   k == PD_DYN_BOOL ? "a boolean" : "null");
	return TRUE;
}

static gboolean
pd_dyn_get_str(PdDynCtx *c, PdDynYaml *v, const gchar *key, gchar **out)
{
	if (!pd_dyn_check_text(c, v, key))
		return FALSE;
	g_free(*out);
	*out = g_strdup(v->text);
	return TRUE;
}

static gboolean
pd_dyn_get_bool(PdDynCtx *c, PdDynYaml *v, const gchar *key, gboolean *out)
{
	g_autoptr(JsonNode) j = NULL;

	if (v->kind == PD_DYN_YAML_SCALAR)
		j = pd_dyn_yaml_to_json(v);
	if (j == NULL || pd_dyn_value_kind(j) != PD_DYN_BOOL)
		return pd_dyn_fail(c, v, key, "expected true or false");
	*out = json_node_get_boolean(j);
	return TRUE;
}

static gboolean
pd_dyn_get_attr(PdDynCtx *c, PdDynYaml *v, const gchar *key, PdDynAttr **out)
{
	g_autofree gchar *text = NULL;
	g_autoptr(GError) local = NULL;

	if (!pd_dyn_get_str(c, v, key, &text))
		return FALSE;
	g_clear_pointer(out, pd_dyn_attr_free);
	*out = pd_dyn_attr_parse(text, &local);
	if (*out == NULL)
		return pd_dyn_fail(c, v, key, "'%s': %s", text, local->message);
	return TRUE;
}

static gboolean
pd_dyn_get_seq(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	if (v->kind != PD_DYN_YAML_SEQ)
		return pd_dyn_fail(c, v, key, "expected a list, found %s", pd_dyn_kind_name(v));
	return TRUE;
}

static gboolean
pd_dyn_get_map(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	if (v->kind != PD_DYN_YAML_MAP)
		return pd_dyn_fail(c, v, key, "expected a mapping, found %s", pd_dyn_kind_name(v));
	return TRUE;
}

/* --- one handler per key --- */

static gboolean
k_name(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	PdDynDef *d = c->def;

	if (!pd_dyn_get_str(c, v, key, &d->name))
		return FALSE;
	if (!c->is_extra &&
	    !g_regex_match_simple("^([\\w-]+)(\\.[\\w-]+)*(\\.{[\\w-]+})?$", d->name, 0, 0))
		return pd_dyn_fail(c,
				   v,
				   key,
				   "'%s' is not a meter name (letters, digits, _ and - in parts "
				   "joined by dots, optionally ending in .{field})",
				   d->name);
	c->name = d->name;
	return TRUE;
}

static gboolean
k_sample_type(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	g_autofree gchar *s = NULL;

	if (!pd_dyn_get_str(c, v, key, &s))
		return FALSE;
	if (!pd_sample_type_from_string(s, &c->def->sample_type))
		return pd_dyn_fail(c, v, key, "'%s' is none of gauge, delta, cumulative", s);
	return TRUE;
}

static gboolean
k_unit(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	return pd_dyn_get_str(c, v, key, &c->def->unit);
}

static gboolean
k_value_attribute(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	return pd_dyn_get_attr(c, v, key, &c->def->value_attr);
}

static gboolean
k_endpoint_type(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	return pd_dyn_get_str(c, v, key, &c->def->endpoint_type);
}

static gboolean
k_url_path(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	return pd_dyn_get_str(c, v, key, &c->def->url_path);
}

static gboolean
k_host_command(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	return pd_dyn_get_str(c, v, key, &c->def->host_command);
}

static gboolean
k_metadata_fields(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	if (!pd_dyn_get_seq(c, v, key))
		return FALSE;
	for (guint i = 0; i < v->items->len; i++) {
		PdDynAttr *attr = NULL;
		if (!pd_dyn_get_attr(c, g_ptr_array_index(v->items, i), key, &attr))
			return FALSE;
		g_ptr_array_add(c->def->metadata_fields, attr);
	}
	return TRUE;
}

static gboolean
k_skip_sample_values(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	g_autoptr(JsonNode) j = NULL;

	if (!pd_dyn_get_seq(c, v, key))
		return FALSE;
	j = pd_dyn_yaml_to_json(v);
	g_clear_pointer(&c->def->skip_values, json_array_unref);
	c->def->skip_values = json_array_ref(json_node_get_array(j));
	return TRUE;
}

static gboolean
k_value_mapping(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	if (!pd_dyn_get_map(c, v, key))
		return FALSE;
	for (guint i = 0; i + 1 < v->items->len; i += 2) {
		g_ptr_array_add(c->def->value_mapping,
				pd_dyn_yaml_to_json(g_ptr_array_index(v->items, i)));
		g_ptr_array_add(c->def->value_mapping,
				pd_dyn_yaml_to_json(g_ptr_array_index(v->items, i + 1)));
	}
	return TRUE;
}

static gboolean
k_default_value(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	g_clear_pointer(&c->def->default_value, json_node_unref);
	c->def->default_value = pd_dyn_yaml_to_json(v);
	return TRUE;
}

static gboolean
k_metadata_mapping(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	if (!pd_dyn_get_map(c, v, key))
		return FALSE;
	for (guint i = 0; i + 1 < v->items->len; i += 2) {
		gchar *to = NULL;
		if (!pd_dyn_check_text(c, g_ptr_array_index(v->items, i), key) ||
		    !pd_dyn_get_str(c, g_ptr_array_index(v->items, i + 1), key, &to))
			return FALSE;
		g_ptr_array_add(c->def->metadata_mapping,
				g_strdup(((PdDynYaml *)g_ptr_array_index(v->items, i))->text));
		g_ptr_array_add(c->def->metadata_mapping, to);
	}
	return TRUE;
}

static gboolean
k_preserve(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	return pd_dyn_get_bool(c, v, key, &c->def->preserve_mapped);
}

static gboolean
k_entries(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	return pd_dyn_get_attr(c, v, key, &c->def->entries_attr);
}

static gboolean
k_next(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	return pd_dyn_get_attr(c, v, key, &c->def->next_attr);
}

static gboolean
k_id_attr(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	PdDynAttr **slot = g_str_has_prefix(key, "user")      ? &c->def->user_id_attr
			   : g_str_has_prefix(key, "project") ? &c->def->project_id_attr
							      : &c->def->resource_id_attr;
	return pd_dyn_get_attr(c, v, key, slot);
}

static gboolean
k_headers(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	g_autoptr(GPtrArray) pairs = g_ptr_array_new();

	if (!pd_dyn_get_map(c, v, key))
		return FALSE;
	for (guint i = 0; i + 1 < v->items->len; i += 2) {
		PdDynYaml *k = g_ptr_array_index(v->items, i);
		PdDynYaml *val = g_ptr_array_index(v->items, i + 1);
		if (val->kind != PD_DYN_YAML_SCALAR)
			return pd_dyn_fail(
			  c, val, key, "header %s: expected a single value", k->text);
		if (strpbrk(k->text, "\r\n:") != NULL || strpbrk(val->text, "\r\n") != NULL)
			return pd_dyn_fail(
			  c, val, key, "header %s: line breaks are not allowed", k->text);
		g_ptr_array_add(pairs, g_strdup(k->text));
		g_ptr_array_add(pairs, g_strdup(val->text));
	}
	g_ptr_array_add(pairs, NULL);
	g_strfreev(c->def->headers);
	c->def->headers = (GStrv)g_ptr_array_free(g_steal_pointer(&pairs), FALSE);
	return TRUE;
}

static gboolean
k_timeout(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	g_autoptr(JsonNode) j = v->kind == PD_DYN_YAML_SCALAR ? pd_dyn_yaml_to_json(v) : NULL;
	gdouble d = 0;
	PdDynKind k = j != NULL ? pd_dyn_value_kind(j) : PD_DYN_LIST;

	if (k == PD_DYN_NONE) {
		/* Ceilometer: no client-side timeout; polld keeps an upper bound */
		c->def->timeout = 0;
		return TRUE;
	}
	if ((k != PD_DYN_INT && k != PD_DYN_FLOAT) || !pd_dyn_value_get_number(j, &d) ||
	    !(d > 0 && d <= 86400))
		return pd_dyn_fail(c, v, key, "expected seconds (a number above 0, at most 86400)");
	c->def->timeout = d;
	return TRUE;
}

static gboolean
k_handlers(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	static const gchar *const names[] = { "json", "xml", "text", NULL };

	if (!pd_dyn_get_seq(c, v, key))
		return FALSE;
	g_array_set_size(c->def->handlers, 0);
	for (guint i = 0; i < v->items->len; i++) {
		PdDynYaml *item = g_ptr_array_index(v->items, i);
		PdDynHandler h;
		if (item->kind != PD_DYN_YAML_SCALAR || !g_strv_contains(names, item->text))
			return pd_dyn_fail(c, item, key, "accepted values are json, xml, text");
		h = item->text[0] == 'j'   ? PD_DYN_HANDLER_JSON
		    : item->text[0] == 'x' ? PD_DYN_HANDLER_XML
					   : PD_DYN_HANDLER_TEXT;
		g_array_append_val(c->def->handlers, h);
	}
	return TRUE;
}

static gboolean
k_namespaces(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new();

	if (v->kind == PD_DYN_YAML_SCALAR) {
		g_ptr_array_add(out, g_strdup(v->text));
	} else if (pd_dyn_get_seq(c, v, key)) {
		for (guint i = 0; i < v->items->len; i++) {
			gchar *ns = NULL;
			if (!pd_dyn_get_str(c, g_ptr_array_index(v->items, i), key, &ns)) {
				g_ptr_array_set_free_func(out, g_free);
				return FALSE;
			}
			g_ptr_array_add(out, ns);
		}
	} else {
		return FALSE;
	}
	g_ptr_array_add(out, NULL);
	g_strfreev(c->def->namespaces);
	c->def->namespaces = (GStrv)g_ptr_array_free(g_steal_pointer(&out), FALSE);
	return TRUE;
}

static gboolean
k_str_keep(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	/* module, authentication_object, ...: read as a whole in pd_dyn_def_auth() */
	return v->kind == PD_DYN_YAML_SCALAR ||
	       pd_dyn_fail(c, v, key, "expected a string, found %s", pd_dyn_kind_name(v));
}

static gboolean
k_cache_seconds(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	g_autoptr(JsonNode) j = v->kind == PD_DYN_YAML_SCALAR ? pd_dyn_yaml_to_json(v) : NULL;

	if (j == NULL || pd_dyn_value_kind(j) != PD_DYN_INT || json_node_get_int(j) < 0)
		return pd_dyn_fail(c, v, key, "expected a number of seconds (0 or more)");
	c->def->cache_seconds = json_node_get_int(j);
	return TRUE;
}

static gboolean
k_extra_skip(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	g_autoptr(JsonNode) j = NULL;

	if (!pd_dyn_get_seq(c, v, key))
		return FALSE;
	for (guint i = 0; i < v->items->len; i++) {
		if (!pd_dyn_get_map(c, g_ptr_array_index(v->items, i), key))
			return FALSE;
	}
	j = pd_dyn_yaml_to_json(v);
	g_clear_pointer(&c->def->extra_skip, json_array_unref);
	c->def->extra_skip = json_array_ref(json_node_get_array(j));
	return TRUE;
}

static PdDynDef *
pd_dyn_def_parse(const gchar *file, PdDynYaml *map, PdDynDef *parent, GError **error);

static gboolean
k_extra(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new();

	if (c->is_extra)
		return pd_dyn_fail(c,
				   v,
				   key,
				   "extra_metadata_fields inside extra_metadata_fields are not "
				   "supported: list every field at the pollster's level (later "
				   "fields read earlier ones through extra_metadata_captured)");
	if (v->kind == PD_DYN_YAML_MAP)
		g_ptr_array_add(items, v);
	else if (!pd_dyn_get_seq(c, v, key))
		return FALSE;
	else
		g_ptr_array_extend(items, v->items, NULL, NULL);
	for (guint i = 0; i < items->len; i++) {
		PdDynYaml *item = g_ptr_array_index(items, i);
		PdDynDef *sub;
		if (!pd_dyn_get_map(c, item, key))
			return FALSE;
		sub = pd_dyn_def_parse(c->file, item, c->def, c->error);
		if (sub == NULL) {
			g_prefix_error(c->error, "in '%s': ", c->name != NULL ? c->name : "?");
			return FALSE;
		}
		g_ptr_array_add(c->def->extra, sub);
	}
	return TRUE;
}

static gboolean
k_refused(PdDynCtx *c, PdDynYaml *v, const gchar *key)
{
	return pd_dyn_fail(c,
			   v,
			   key,
			   "is internal to Ceilometer and not accepted in a definition; "
			   "extra_metadata_fields url_path and host_command read sample, "
			   "extra_metadata_captured and extra_metadata_by_name instead");
}

typedef gboolean (*PdDynKeyFunc)(PdDynCtx *c, PdDynYaml *v, const gchar *key);

static const struct {
	const gchar *key;
	PdDynKeyFunc func;
	gboolean extra_only;
} pd_dyn_keys[] = {
	{ "name", k_name },
	{ "sample_type", k_sample_type },
	{ "unit", k_unit },
	{ "value_attribute", k_value_attribute },
	{ "value", k_value_attribute, TRUE },
	{ "endpoint_type", k_endpoint_type },
	{ "url_path", k_url_path },
	{ "metadata_fields", k_metadata_fields },
	{ "skip_sample_values", k_skip_sample_values },
	{ "value_mapping", k_value_mapping },
	{ "default_value", k_default_value },
	{ "metadata_mapping", k_metadata_mapping },
	{ "preserve_mapped_metadata", k_preserve },
	{ "response_entries_key", k_entries },
	{ "next_sample_url_attribute", k_next },
	{ "user_id_attribute", k_id_attr },
	{ "project_id_attribute", k_id_attr },
	{ "resource_id_attribute", k_id_attr },
	{ "headers", k_headers },
	{ "timeout", k_timeout },
	{ "extra_metadata_fields_cache_seconds", k_cache_seconds },
	{ "extra_metadata_fields", k_extra },
	{ "extra_metadata_fields_skip", k_extra_skip },
	{ "response_handlers", k_handlers },
	{ "namespaces", k_namespaces },
	{ "module", k_str_keep },
	{ "authentication_object", k_str_keep },
	{ "authentication_parameters", k_str_keep },
	{ "barbican_secret_id", k_str_keep },
	{ "host_command", k_host_command },
	{ "base_metadata", k_refused },
};

/* --- whole-definition checks --- */

static PdDynDef *
pd_dyn_def_alloc(const gchar *file, PdDynYaml *map)
{
	PdDynDef *d = g_new0(PdDynDef, 1);
	PdDynHandler json = PD_DYN_HANDLER_JSON;

	d->refcount = 1;
	d->file = g_strdup(file);
	d->line = map->line;
	d->metadata_fields = g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_attr_free);
	d->value_mapping = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	d->default_value = json_node_init_int(json_node_alloc(), -1);
	d->metadata_mapping = g_ptr_array_new_with_free_func(g_free);
	d->preserve_mapped = TRUE;
	d->timeout = 30;
	d->handlers = g_array_new(FALSE, FALSE, sizeof(PdDynHandler));
	g_array_append_val(d->handlers, json);
	d->skip_values = json_array_new();
	d->extra = g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_def_unref);
	d->cache_seconds = 3600;
	return d;
}

static gboolean
pd_dyn_def_auth(PdDynCtx *c, PdDynYaml *map)
{
	PdDynYaml *module = pd_dyn_yaml_lookup(map, "module");
	PdDynYaml *object = pd_dyn_yaml_lookup(map, "authentication_object");
	PdDynYaml *params = pd_dyn_yaml_lookup(map, "authentication_parameters");
	PdDynYaml *barbican = pd_dyn_yaml_lookup(map, "barbican_secret_id");
	g_auto(GStrv) args = NULL;

	if (object == NULL || object->text[0] == '\0')
		return pd_dyn_fail(c, module, "authentication_object", "required with module");
	if (barbican != NULL && barbican->text[0] != '\0')
		return pd_dyn_fail(c,
				   barbican,
				   "barbican_secret_id",
				   "Barbican secrets are not supported: put the credentials in "
				   "authentication_parameters");
	args = g_strsplit(params != NULL ? params->text : "", ",", -1);
	for (guint i = 0; args[i] != NULL; i++)
		g_strstrip(args[i]);
	if (strcmp(module->text, "requests.auth") == 0 &&
	    strcmp(object->text, "HTTPBasicAuth") == 0) {
		if (g_strv_length(args) != 2)
			return pd_dyn_fail(c,
					   params != NULL ? params : object,
					   "authentication_parameters",
					   "HTTPBasicAuth takes \"<user>, <password>\"");
		c->def->auth = PD_DYN_AUTH_BASIC;
	} else if (strcmp(module->text, "polld.auth") == 0 &&
		   strcmp(object->text, "HTTPBearerAuth") == 0) {
		if (g_strv_length(args) != 1 || args[0][0] == '\0')
			return pd_dyn_fail(c,
					   params != NULL ? params : object,
					   "authentication_parameters",
					   "HTTPBearerAuth takes \"<token>\"");
		c->def->auth = PD_DYN_AUTH_BEARER;
	} else {
		return pd_dyn_fail(c,
				   object,
				   "authentication_object",
				   "module '%s' with authentication_object '%s' is not supported: "
				   "use module requests.auth with HTTPBasicAuth (\"<user>, "
				   "<password>\") or module polld.auth with HTTPBearerAuth "
				   "(\"<token>\")",
				   module->text,
				   object->text);
	}
	c->def->auth_user = g_strdup(args[0]);
	c->def->auth_secret = g_strdup(c->def->auth == PD_DYN_AUTH_BASIC ? args[1] : args[0]);
	return TRUE;
}

/* "name.{category}" with value_attribute "[categories].ops" */
static gboolean
pd_dyn_def_multi(PdDynCtx *c, PdDynYaml *map)
{
	PdDynDef *d = c->def;
	PdDynYaml *va = pd_dyn_yaml_lookup(map, "value_attribute");
	g_autoptr(GMatchInfo) m = NULL;
	g_autoptr(GRegex) re = g_regex_new("^\\[(\\w+)\\]((\\.\\w+)+)$", 0, 0, NULL);
	g_autofree gchar *list = NULL;
	g_autofree gchar *sub = NULL;
	g_autoptr(GError) local = NULL;
	const gchar *brace = strrchr(d->name, '{');

	if (brace == NULL || !g_regex_match_simple("^\\{\\w+\\}$", brace, 0, 0))
		return pd_dyn_fail(
		  c, map, "name", "a multi-metric name ends in .{field} with letters, digits, _");
	d->multi = TRUE;
	d->placeholder = g_strdup(brace);
	d->sub_name_key = g_strndup(brace + 1, strlen(brace) - 2);
	if (!g_regex_match(re, pd_dyn_attr_get_text(d->value_attr), 0, &m))
		return pd_dyn_fail(c,
				   va,
				   "value_attribute",
				   "a multi-metric pollster takes \"[<list field>].<field>\", e.g. "
				   "\"[categories].ops\"");
	list = g_match_info_fetch(m, 1);
	sub = g_match_info_fetch(m, 2);
	d->list_attr = pd_dyn_attr_parse(list, &local);
	pd_dyn_attr_free(d->value_attr);
	d->value_attr = pd_dyn_attr_parse(sub + 1, NULL);
	return d->list_attr != NULL && d->value_attr != NULL;
}

static gboolean
pd_dyn_def_required(PdDynCtx *c, PdDynYaml *map, const gchar *const *keys)
{
	for (guint i = 0; keys[i] != NULL; i++) {
		PdDynYaml *v = pd_dyn_yaml_lookup(map, keys[i]);
		/* Ceilometer counts an empty value as missing */
		if (v == NULL || (v->kind == PD_DYN_YAML_SCALAR && v->text[0] == '\0'))
			return pd_dyn_fail(
			  c, v != NULL ? v : map, keys[i], "required, but not set");
	}
	return TRUE;
}

/* url_path and host_command are Python expressions when they evaluate;
 * otherwise (a syntax error, an unknown name) the text is used as is */
static void
pd_dyn_def_template(PdDynDef *d, const gchar *text, gboolean is_extra)
{
	g_autoptr(PdDynExpr) expr = NULL;

	if (text == NULL)
		return;
	expr = pd_dyn_expr_parse(text, is_extra ? pd_dyn_extra_names : NULL, NULL);
	if (expr == NULL)
		return;
	if (!is_extra) {
		/* no variables: its value is fixed now */
		g_autoptr(JsonNode) v = pd_dyn_eval_expr(expr, NULL, NULL);
		if (v != NULL && pd_dyn_value_kind(v) == PD_DYN_STR) {
			gchar *s = g_strdup(json_node_get_string(v));
			if (d->host_command != NULL)
				g_free(d->host_command), d->host_command = s;
			else
				g_free(d->url_path), d->url_path = s;
		}
		return;
	}
	d->url_expr = g_steal_pointer(&expr);
}

static gboolean
pd_dyn_def_finish(PdDynCtx *c, PdDynYaml *map, PdDynDef *parent)
{
	static const gchar *const common[] = {
		"name", "sample_type", "unit", "value_attribute", NULL
	};
	static const gchar *const openstack[] = { "endpoint_type", "url_path", NULL };
	static const gchar *const url[] = { "url_path", "authentication_object", NULL };
	static const gchar *const command[] = { "host_command", NULL };
	PdDynDef *d = c->def;

	if (parent == NULL && !pd_dyn_def_required(c, map, common))
		return FALSE;
	if (parent != NULL && !pd_dyn_def_required(c, map, (const gchar *const[]){ "name", NULL }))
		return FALSE;
	if (d->host_command != NULL && d->host_command[0] != '\0')
		d->kind = PD_DYN_KIND_COMMAND;
	else if (pd_dyn_yaml_lookup(map, "module") != NULL)
		d->kind = PD_DYN_KIND_URL;
	else
		d->kind = PD_DYN_KIND_OPENSTACK;
	if (!pd_dyn_def_required(c,
				 map,
				 d->kind == PD_DYN_KIND_COMMAND ? command
				 : d->kind == PD_DYN_KIND_URL	? url
								: openstack))
		return FALSE;
	if (d->kind == PD_DYN_KIND_URL && !pd_dyn_def_auth(c, map))
		return FALSE;
	if (parent != NULL) {
		/* what an extra_metadata_fields entry takes from its pollster */
		if (pd_dyn_yaml_lookup(map, "sample_type") == NULL)
			d->sample_type = parent->sample_type;
		if (d->unit == NULL)
			d->unit = g_strdup(parent->unit);
		if (d->value_attr == NULL)
			d->value_attr =
			  pd_dyn_attr_parse(pd_dyn_attr_get_text(parent->value_attr), NULL);
		if (d->extra_skip == NULL && parent->extra_skip != NULL)
			d->extra_skip = json_array_ref(parent->extra_skip);
	}
	if (parent == NULL && strchr(d->name, '{') != NULL && !pd_dyn_def_multi(c, map))
		return FALSE;
	pd_dyn_def_template(
	  d, d->kind == PD_DYN_KIND_COMMAND ? d->host_command : d->url_path, parent != NULL);
	if (d->kind == PD_DYN_KIND_COMMAND && d->url_expr == NULL) {
		g_auto(GStrv) argv = NULL;
		g_autoptr(GError) local = NULL;
		if (!g_shell_parse_argv(d->host_command, NULL, &argv, &local))
			return pd_dyn_fail(c,
					   pd_dyn_yaml_lookup(map, "host_command"),
					   "host_command",
					   "cannot split into arguments: %s",
					   local->message);
	}
	if (d->namespaces == NULL)
		d->namespaces = g_strsplit("central", ",", -1);
	return TRUE;
}

static PdDynDef *
pd_dyn_def_parse(const gchar *file, PdDynYaml *map, PdDynDef *parent, GError **error)
{
	g_autoptr(PdDynDef) d = pd_dyn_def_alloc(file, map);
	PdDynCtx c = { file, NULL, d, error, parent != NULL };
	PdDynYaml *name = pd_dyn_yaml_lookup(map, "name");

	if (map->kind != PD_DYN_YAML_MAP) {
		pd_dyn_fail(
		  &c, map, NULL, "expected a mapping of keys, found %s", pd_dyn_kind_name(map));
		return NULL;
	}
	if (name != NULL && name->kind == PD_DYN_YAML_SCALAR)
		c.name = name->text;
	for (guint i = 0; i + 1 < map->items->len; i += 2) {
		PdDynYaml *k = g_ptr_array_index(map->items, i);
		PdDynYaml *v = g_ptr_array_index(map->items, i + 1);
		guint j;
		for (j = 0; j < G_N_ELEMENTS(pd_dyn_keys); j++) {
			if (strcmp(pd_dyn_keys[j].key, k->text) == 0 &&
			    (!pd_dyn_keys[j].extra_only || parent != NULL))
				break;
		}
		if (j == G_N_ELEMENTS(pd_dyn_keys)) {
			pd_dyn_fail(&c, k, k->text, "unknown key");
			return NULL;
		}
		if (!pd_dyn_keys[j].func(&c, v, k->text))
			return NULL;
	}
	if (!pd_dyn_def_finish(&c, map, parent))
		return NULL;
	{
		g_autoptr(JsonNode) json = pd_dyn_yaml_to_json(map);
		d->source = json_to_string(json, FALSE);
	}
	return g_steal_pointer(&d);
}

PdDynDef *
pd_dyn_def_new(const gchar *file, PdDynYaml *map, GError **error)
{
	return pd_dyn_def_parse(file, map, NULL, error);
}

PdDynDef *
pd_dyn_def_ref(PdDynDef *def)
{
	g_atomic_int_inc(&def->refcount);
	return def;
}

void
pd_dyn_def_unref(PdDynDef *d)
{
	if (d == NULL || !g_atomic_int_dec_and_test(&d->refcount))
		return;
	g_free(d->source);
	g_free(d->file);
	g_free(d->name);
	g_free(d->unit);
	g_free(d->placeholder);
	g_free(d->sub_name_key);
	g_clear_pointer(&d->list_attr, pd_dyn_attr_free);
	g_clear_pointer(&d->value_attr, pd_dyn_attr_free);
	g_free(d->endpoint_type);
	g_free(d->url_path);
	g_clear_pointer(&d->url_expr, pd_dyn_expr_free);
	g_ptr_array_unref(d->metadata_fields);
	g_clear_pointer(&d->skip_values, json_array_unref);
	g_ptr_array_unref(d->value_mapping);
	g_clear_pointer(&d->default_value, json_node_unref);
	g_ptr_array_unref(d->metadata_mapping);
	g_clear_pointer(&d->entries_attr, pd_dyn_attr_free);
	g_clear_pointer(&d->next_attr, pd_dyn_attr_free);
	g_clear_pointer(&d->user_id_attr, pd_dyn_attr_free);
	g_clear_pointer(&d->project_id_attr, pd_dyn_attr_free);
	g_clear_pointer(&d->resource_id_attr, pd_dyn_attr_free);
	g_strfreev(d->headers);
	g_array_unref(d->handlers);
	g_strfreev(d->namespaces);
	g_free(d->auth_user);
	g_free(d->auth_secret);
	g_free(d->host_command);
	g_ptr_array_unref(d->extra);
	g_clear_pointer(&d->extra_skip, json_array_unref);
	g_free(d);
}

gchar *
pd_dyn_def_get_default_discovery(PdDynDef *def)
{
	switch (def->kind) {
		case PD_DYN_KIND_COMMAND:
			return g_strdup("local_node");
		case PD_DYN_KIND_URL:
			return g_strdup("barbican:");
		case PD_DYN_KIND_OPENSTACK:
		default:
			return g_strdup_printf("endpoint:%s", def->endpoint_type);
	}
}

/* --- files and directories --- */

GPtrArray *
pd_dyn_def_load_data(const gchar *file, const gchar *data, gsize len, GPtrArray *errors)
{
	GPtrArray *defs = g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_def_unref);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdDynYaml) root = pd_dyn_yaml_parse(data, len, &error);

	if (root == NULL) {
		if (error != NULL)
			g_ptr_array_add(
			  errors, g_error_new(PD_DYN_DEF_ERROR, 0, "%s:%s", file, error->message));
		return defs;
	}
	if (root->kind != PD_DYN_YAML_SEQ) {
		g_ptr_array_add(errors,
				g_error_new(PD_DYN_DEF_ERROR,
					    0,
					    "%s:%u:%u: expected a list of pollster definitions",
					    file,
					    root->line,
					    root->column));
		return defs;
	}
	for (guint i = 0; i < root->items->len && defs->len < PD_DYN_MAX_DEFINITIONS; i++) {
		GError *local = NULL;
		PdDynDef *def = pd_dyn_def_new(file, g_ptr_array_index(root->items, i), &local);
		if (def != NULL)
			g_ptr_array_add(defs, def);
		else
			g_ptr_array_add(errors, local);
	}
	return defs;
}

static gint
pd_dyn_strcmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar **)a, *(const gchar **)b);
}

static void
pd_dyn_def_load_file(const gchar *fn, GHashTable *seen, GPtrArray *all, GPtrArray *errors)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;
	GError *error = NULL;
	g_autoptr(GPtrArray) defs = NULL;
	GStatBuf st;

	if (g_stat(fn, &st) == 0 && st.st_size > PD_DYN_MAX_FILE_SIZE) {
		g_ptr_array_add(errors,
				g_error_new(PD_DYN_DEF_ERROR,
					    0,
					    "%s: larger than %u bytes, not read",
					    fn,
					    PD_DYN_MAX_FILE_SIZE));
		return;
	}
	if (!g_file_get_contents(fn, &data, &len, &error)) {
		g_ptr_array_add(errors, error);
		return;
	}
	defs = pd_dyn_def_load_data(fn, data, len, errors);
	for (guint i = 0; i < defs->len; i++) {
		PdDynDef *d = g_ptr_array_index(defs, i);
		PdDynDef *first = g_hash_table_lookup(seen, d->name);
		if (first != NULL) {
			g_warning("%s:%u: pollster definition '%s' is already defined in %s:%u; "
				  "the first one is used",
				  d->file,
				  d->line,
				  d->name,
				  first->file,
				  first->line);
			continue;
		}
		g_hash_table_insert(seen, d->name, d);
		g_ptr_array_add(all, pd_dyn_def_ref(d));
	}
}

GPtrArray *
pd_dyn_def_load_dirs(gchar **dirs, GPtrArray *errors)
{
	GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_def_unref);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++) {
		g_autoptr(GDir) dir = g_dir_open(dirs[i], 0, NULL);
		g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
		const gchar *name;
		if (dir == NULL) {
			g_debug("pollster definitions directory %s: not readable", dirs[i]);
			continue;
		}
		while ((name = g_dir_read_name(dir)) != NULL) {
			if (g_str_has_suffix(name, ".yaml"))
				g_ptr_array_add(files, g_build_filename(dirs[i], name, NULL));
		}
		g_ptr_array_sort(files, pd_dyn_strcmp);
		for (guint j = 0; j < files->len; j++)
			pd_dyn_def_load_file(g_ptr_array_index(files, j), seen, all, errors);
	}
	return all;
}
