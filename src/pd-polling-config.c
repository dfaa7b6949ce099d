/*
 * polld - polling.yaml (Ceilometer's polling definition file)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPollingConfig"

#include <fnmatch.h>
#include <string.h>
#include <yaml.h>

#include "pd-config.h"
#include "pd-polling-config.h"

/*
 * the file is read with libyaml's event API into a small tree that keeps the
 * position of every node, then checked against Ceilometer's rules.
 * the event API (rather than the document API) is used because the document
 * API tags every untagged scalar as a string, which would hide the difference
 * between `interval: 300` and `interval: "300"` that yaml.safe_load makes.
 *
 * aliases are rejected: no polling.yaml needs them, and refusing them closes
 * the door on alias expansion bombs. anchors alone are harmless and ignored.
 */

/* far deeper than any valid polling.yaml; keeps a hostile file off the stack */
#define PD_YAML_MAX_DEPTH 32

/* used when the caller has no file name to report */
#define PD_NO_FILENAME "<data>"

/* a polling definition is a handful of sources; these bounds keep a runaway
 * file from costing gigabytes (each source costs a few KB to load and poll) */
#define PD_POLLING_MAX_BYTES (1024 * 1024)
#define PD_POLLING_MAX_SOURCES 10000
/* bytes of an error message, texts quoted from the file included */
#define PD_POLLING_MAX_MESSAGE 256

GQuark
pd_polling_config_error_quark(void)
{
	return g_quark_from_static_string("pd-polling-config-error-quark");
}

typedef enum {
	PD_NODE_SCALAR,
	PD_NODE_SEQUENCE,
	PD_NODE_MAPPING,
} PdNodeKind;

/* what yaml.safe_load would turn a scalar into */
typedef enum {
	PD_SCALAR_STR,
	PD_SCALAR_NULL,
	PD_SCALAR_BOOL,
	PD_SCALAR_INT,
	PD_SCALAR_FLOAT,
} PdScalarType;

typedef struct {
	PdNodeKind kind;
	PdScalarType type;   /* scalars only */
	gchar *value;	     /* scalars only */
	GPtrArray *children; /* sequence items, or mapping key, value, key, value... */
	guint line;	     /* 1-based */
	guint column;
} PdNode;

typedef struct {
	const gchar *filename;
	const gchar *data;
	gsize len;
	gboolean parser_ready;
	yaml_parser_t parser;
	GRegex *int_re;
	GRegex *float_re;
} PdLoadCtx;

/* a key of a mapping the loader knows about, and the value found for it */
typedef struct {
	const gchar *key;
	PdNode *value;
} PdSlot;

/* the keys of a source, indexes into its PdSlot array */
enum {
	PD_SOURCE_NAME,
	PD_SOURCE_INTERVAL,
	PD_SOURCE_METERS,
	PD_SOURCE_RESOURCES,
	PD_SOURCE_DISCOVERY,
	PD_SOURCE_N_KEYS,
};

typedef enum {
	PD_PATTERN_PLAIN,
	PD_PATTERN_EXCLUDE,
	PD_PATTERN_WILDCARD,
	PD_PATTERN_STAR_PREFIXED,
} PdPatternKind;

/* YAML 1.1 int and float, as PyYAML's resolver (used by yaml.safe_load) reads them */
static const gchar pd_yaml_int_re[] = "^(?:[-+]?0b[0-1_]+"
				      "|[-+]?0[0-7_]+"
				      "|[-+]?(?:0|[1-9][0-9_]*)"
				      "|[-+]?0x[0-9a-fA-F_]+"
				      "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$";
static const gchar pd_yaml_float_re[] = "^(?:[-+]?[0-9][0-9_]*\\.[0-9_]*(?:[eE][-+][0-9]+)?"
					"|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
					"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
					"|[-+]?\\.(?:inf|Inf|INF)"
					"|\\.(?:nan|NaN|NAN))$";

static void
pd_node_free(PdNode *node)
{
	if (node == NULL)
		return;
	g_free(node->value);
	if (node->children != NULL)
		g_ptr_array_unref(node->children);
	g_free(node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdNode, pd_node_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(yaml_event_t, yaml_event_delete)

static PdNode *
pd_node_new(PdNodeKind kind, const yaml_mark_t *mark)
{
	PdNode *node = g_new0(PdNode, 1);

	node->kind = kind;
	node->line = (guint)mark->line + 1;
	node->column = (guint)mark->column + 1;
	if (kind != PD_NODE_SCALAR)
		node->children = g_ptr_array_new_with_free_func((GDestroyNotify)pd_node_free);
	return node;
}

static const gchar *
pd_node_describe(const PdNode *node)
{
	if (node->kind == PD_NODE_SEQUENCE)
		return "a list";
	if (node->kind == PD_NODE_MAPPING)
		return "a mapping";
	switch (node->type) {
		case PD_SCALAR_NULL:
			return "null";
		case PD_SCALAR_BOOL:
			return "a boolean";
		case PD_SCALAR_INT:
			return "an integer";
		case PD_SCALAR_FLOAT:
			return "a float";
		case PD_SCALAR_STR:
		default:
			return "a string";
	}
}

static gboolean
pd_node_is_string(const PdNode *node)
{
	return node->kind == PD_NODE_SCALAR && node->type == PD_SCALAR_STR;
}

static gboolean
pd_node_is_null(const PdNode *node)
{
	return node->kind == PD_NODE_SCALAR && node->type == PD_SCALAR_NULL;
}

static void
pd_load_ctx_clear(PdLoadCtx *ctx)
{
	if (ctx->parser_ready)
		yaml_parser_delete(&ctx->parser);
	ctx->parser_ready = FALSE;
	g_clear_pointer(&ctx->int_re, g_regex_unref);
	g_clear_pointer(&ctx->float_re, g_regex_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PdLoadCtx, pd_load_ctx_clear)

static void
pd_set_error_at(GError **error,
		const gchar *filename,
		gint code,
		guint line,
		guint column,
		const gchar *format,
		...) G_GNUC_PRINTF(6, 7);

static void
pd_set_error_at(GError **error,
		const gchar *filename,
		gint code,
		guint line,
		guint column,
		const gchar *format,
		...)
{
	va_list args;
	g_autofree gchar *what = NULL;

	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	/* the texts quoted come from the file: a message stays a line */
	if (strlen(what) > PD_POLLING_MAX_MESSAGE) {
		gsize cut = PD_POLLING_MAX_MESSAGE;
		gchar *whole = g_steal_pointer(&what);
		while (cut > 0 && ((guchar)whole[cut] & 0xc0) == 0x80)
			cut--;
		what = g_strdup_printf(
		  "%.*s...(%" G_GSIZE_FORMAT " bytes)", (gint)cut, whole, strlen(whole));
		g_free(whole);
	}
	g_set_error(
	  error, PD_POLLING_CONFIG_ERROR, code, "%s:%u:%u: %s", filename, line, column, what);
}

static gboolean
pd_fail_node(PdLoadCtx *ctx, const PdNode *node, GError **error, const gchar *format, ...)
  G_GNUC_PRINTF(4, 5);

/* always returns FALSE, so callers can `return pd_fail_node (...)` */
static gboolean
pd_fail_node(PdLoadCtx *ctx, const PdNode *node, GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *what = NULL;

	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	pd_set_error_at(error,
			ctx->filename,
			PD_POLLING_CONFIG_ERROR_INVALID,
			node->line,
			node->column,
			"%s",
			what);
	return FALSE;
}

static gboolean
pd_load_ctx_init(PdLoadCtx *ctx,
		 const gchar *data,
		 gsize len,
		 const gchar *filename,
		 GError **error)
{
	const GRegexCompileFlags flags = G_REGEX_DOLLAR_ENDONLY;

	ctx->filename = filename;
	ctx->data = data;
	ctx->len = len;
	ctx->int_re = g_regex_new(pd_yaml_int_re, flags, 0, NULL);
	ctx->float_re = g_regex_new(pd_yaml_float_re, flags, 0, NULL);
	g_assert(ctx->int_re != NULL && ctx->float_re != NULL);
	if (!yaml_parser_initialize(&ctx->parser)) {
		pd_set_error_at(error,
				filename,
				PD_POLLING_CONFIG_ERROR_SYNTAX,
				1,
				1,
				"cannot initialize the YAML parser");
		return FALSE;
	}
	ctx->parser_ready = TRUE;
	yaml_parser_set_input_string(&ctx->parser, (const guchar *)data, len);
	return TRUE;
}

/* libyaml gives only a byte offset for encoding errors; turn it into line:column */
static void
pd_offset_to_position(const gchar *data, gsize len, gsize offset, guint *line, guint *column)
{
	*line = 1;
	*column = 1;
	for (gsize i = 0; i < MIN(offset, len); i++) {
		if (data[i] == '\n' || (data[i] == '\r' && (i + 1 >= len || data[i + 1] != '\n'))) {
			(*line)++;
			*column = 1;
		} else if (((guchar)data[i] & 0xc0) != 0x80) {
			/* libyaml counts characters, not bytes */
			(*column)++;
		}
	}
}

static void
pd_set_reader_error(PdLoadCtx *ctx, GError **error)
{
	const yaml_parser_t *p = &ctx->parser;
	guint line;
	guint column;

	pd_offset_to_position(ctx->data, ctx->len, p->problem_offset, &line, &column);
	if (p->problem_value != -1) {
		pd_set_error_at(error,
				ctx->filename,
				PD_POLLING_CONFIG_ERROR_SYNTAX,
				line,
				column,
				"%s (#%X)",
				p->problem,
				(guint)p->problem_value);
		return;
	}
	pd_set_error_at(
	  error, ctx->filename, PD_POLLING_CONFIG_ERROR_SYNTAX, line, column, "%s", p->problem);
}

static void
pd_set_syntax_error(PdLoadCtx *ctx, GError **error)
{
	const yaml_parser_t *p = &ctx->parser;
	guint line = (guint)p->problem_mark.line + 1;
	guint column = (guint)p->problem_mark.column + 1;

	if (p->error == YAML_READER_ERROR) {
		pd_set_reader_error(ctx, error);
		return;
	}
	if (p->problem == NULL) {
		pd_set_error_at(error,
				ctx->filename,
				PD_POLLING_CONFIG_ERROR_SYNTAX,
				line,
				column,
				"YAML parser failed (error %d)",
				(gint)p->error);
		return;
	}
	if (p->context != NULL && p->context_mark.index == p->problem_mark.index) {
		pd_set_error_at(error,
				ctx->filename,
				PD_POLLING_CONFIG_ERROR_SYNTAX,
				line,
				column,
				"%s (%s)",
				p->problem,
				p->context);
		return;
	}
	if (p->context != NULL) {
		pd_set_error_at(error,
				ctx->filename,
				PD_POLLING_CONFIG_ERROR_SYNTAX,
				line,
				column,
				"%s (%s started at %u:%u)",
				p->problem,
				p->context,
				(guint)p->context_mark.line + 1,
				(guint)p->context_mark.column + 1);
		return;
	}
	pd_set_error_at(
	  error, ctx->filename, PD_POLLING_CONFIG_ERROR_SYNTAX, line, column, "%s", p->problem);
}

static gboolean
pd_yaml_next(PdLoadCtx *ctx, yaml_event_t *event, GError **error)
{
	if (yaml_parser_parse(&ctx->parser, event))
		return TRUE;
	pd_set_syntax_error(ctx, error);
	return FALSE;
}

static PdScalarType
pd_yaml_resolve_plain(PdLoadCtx *ctx, const gchar *value)
{
	static const gchar *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const gchar *const bools[] = { "yes",   "Yes",	"YES",	"no",	"No",
					      "NO",    "true",	"True", "TRUE", "false",
					      "False", "FALSE", "on",	"On",	"ON",
					      "off",   "Off",	"OFF",	NULL };

	if (g_strv_contains(nulls, value))
		return PD_SCALAR_NULL;
	if (g_strv_contains(bools, value))
		return PD_SCALAR_BOOL;
	if (g_regex_match(ctx->int_re, value, 0, NULL))
		return PD_SCALAR_INT;
	if (g_regex_match(ctx->float_re, value, 0, NULL))
		return PD_SCALAR_FLOAT;
	return PD_SCALAR_STR;
}

/* explicit tags: the standard scalar ones only, as yaml.safe_load allows */
static gboolean
pd_yaml_resolve_tag(const gchar *tag, PdScalarType *type)
{
	static const struct {
		const gchar *tag;
		PdScalarType type;
	} known[] = {
		{ "!", PD_SCALAR_STR },
		{ YAML_STR_TAG, PD_SCALAR_STR },
		{ YAML_NULL_TAG, PD_SCALAR_NULL },
		{ YAML_BOOL_TAG, PD_SCALAR_BOOL },
		{ YAML_INT_TAG, PD_SCALAR_INT },
		{ YAML_FLOAT_TAG, PD_SCALAR_FLOAT },
	};

	for (guint i = 0; i < G_N_ELEMENTS(known); i++) {
		if (g_strcmp0(tag, known[i].tag) == 0) {
			*type = known[i].type;
			return TRUE;
		}
	}
	return FALSE;
}

static PdNode *
pd_yaml_read_scalar(PdLoadCtx *ctx, const yaml_event_t *event, GError **error)
{
	const gchar *tag = (const gchar *)event->data.scalar.tag;
	const gchar *value = (const gchar *)event->data.scalar.value;
	g_autoptr(PdNode) node = pd_node_new(PD_NODE_SCALAR, &event->start_mark);

	node->value = g_strdup(value);
	/* a "\0" escape would silently cut the string short */
	if (strlen(value) != event->data.scalar.length) {
		pd_fail_node(ctx, node, error, "NUL characters are not allowed in scalars");
		return NULL;
	}
	if (tag == NULL && event->data.scalar.plain_implicit) {
		node->type = pd_yaml_resolve_plain(ctx, value);
	} else if (tag == NULL) {
		node->type = PD_SCALAR_STR; /* quoted */
	} else if (!pd_yaml_resolve_tag(tag, &node->type)) {
		/* `- !disk.*` unquoted reads as a local tag, an easy slip in a meter list */
		pd_fail_node(ctx,
			     node,
			     error,
			     "unsupported tag '%s'%s",
			     tag,
			     tag[0] == '!' ? " (quote meter patterns that start with '!')" : "");
		return NULL;
	}
	return g_steal_pointer(&node);
}

static PdNode *
pd_yaml_read_node(PdLoadCtx *ctx, const yaml_event_t *event, guint depth, GError **error);

/* reads the items of a sequence, or the keys and values of a mapping, up to its end event */
static gboolean
pd_yaml_read_children(PdLoadCtx *ctx,
		      PdNode *node,
		      yaml_event_type_t end,
		      guint depth,
		      GError **error)
{
	for (;;) {
		g_auto(yaml_event_t) event = { 0 };
		PdNode *child;

		if (!pd_yaml_next(ctx, &event, error))
			return FALSE;
		if (event.type == end)
			return TRUE;
		child = pd_yaml_read_node(ctx, &event, depth + 1, error);
		if (child == NULL)
			return FALSE;
		g_ptr_array_add(node->children, child);
	}
}

static PdNode *
pd_yaml_read_collection(PdLoadCtx *ctx, const yaml_event_t *event, guint depth, GError **error)
{
	gboolean is_seq = event->type == YAML_SEQUENCE_START_EVENT;
	const gchar *tag =
	  (const gchar *)(is_seq ? event->data.sequence_start.tag : event->data.mapping_start.tag);
	const gchar *std_tag = is_seq ? YAML_SEQ_TAG : YAML_MAP_TAG;
	yaml_event_type_t end = is_seq ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT;
	g_autoptr(PdNode) node = NULL;

	node = pd_node_new(is_seq ? PD_NODE_SEQUENCE : PD_NODE_MAPPING, &event->start_mark);
	if (tag != NULL && g_strcmp0(tag, "!") != 0 && g_strcmp0(tag, std_tag) != 0) {
		pd_fail_node(ctx, node, error, "unsupported tag '%s'", tag);
		return NULL;
	}
	if (depth >= PD_YAML_MAX_DEPTH) {
		pd_fail_node(
		  ctx, node, error, "nested more than %u levels deep", (guint)PD_YAML_MAX_DEPTH);
		return NULL;
	}
	if (!pd_yaml_read_children(ctx, node, end, depth, error))
		return NULL;
	return g_steal_pointer(&node);
}

static PdNode *
pd_yaml_read_node(PdLoadCtx *ctx, const yaml_event_t *event, guint depth, GError **error)
{
	guint line = (guint)event->start_mark.line + 1;
	guint column = (guint)event->start_mark.column + 1;

	switch (event->type) {
		case YAML_SCALAR_EVENT:
			return pd_yaml_read_scalar(ctx, event, error);
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			return pd_yaml_read_collection(ctx, event, depth, error);
		case YAML_ALIAS_EVENT:
			pd_set_error_at(error,
					ctx->filename,
					PD_POLLING_CONFIG_ERROR_INVALID,
					line,
					column,
					"aliases (*%s) are not supported",
					(const gchar *)event->data.alias.anchor);
			return NULL;
		default:
			pd_set_error_at(error,
					ctx->filename,
					PD_POLLING_CONFIG_ERROR_SYNTAX,
					line,
					column,
					"unexpected YAML event %d",
					(gint)event->type);
			return NULL;
	}
}

static gboolean
pd_yaml_expect(PdLoadCtx *ctx, yaml_event_type_t type, GError **error)
{
	g_auto(yaml_event_t) event = { 0 };

	if (!pd_yaml_next(ctx, &event, error))
		return FALSE;
	if (event.type == type)
		return TRUE;
	pd_set_error_at(error,
			ctx->filename,
			PD_POLLING_CONFIG_ERROR_SYNTAX,
			(guint)event.start_mark.line + 1,
			(guint)event.start_mark.column + 1,
			"unexpected YAML event %d",
			(gint)event.type);
	return FALSE;
}

/* yaml.safe_load refuses a stream of several documents, and so do we */
static gboolean
pd_yaml_expect_stream_end(PdLoadCtx *ctx, GError **error)
{
	g_auto(yaml_event_t) event = { 0 };

	if (!pd_yaml_next(ctx, &event, error))
		return FALSE;
	if (event.type == YAML_STREAM_END_EVENT)
		return TRUE;
	pd_set_error_at(error,
			ctx->filename,
			PD_POLLING_CONFIG_ERROR_INVALID,
			(guint)event.start_mark.line + 1,
			(guint)event.start_mark.column + 1,
			"expected a single YAML document, found a second one");
	return FALSE;
}

/* reads the whole stream, so a syntax error anywhere wins over a rule broken earlier */
static PdNode *
pd_yaml_read_document(PdLoadCtx *ctx, GError **error)
{
	g_auto(yaml_event_t) event = { 0 };
	g_autoptr(PdNode) root = NULL;

	if (!pd_yaml_expect(ctx, YAML_STREAM_START_EVENT, error))
		return NULL;
	if (!pd_yaml_next(ctx, &event, error))
		return NULL;
	if (event.type == YAML_STREAM_END_EVENT) {
		pd_set_error_at(error,
				ctx->filename,
				PD_POLLING_CONFIG_ERROR_INVALID,
				1,
				1,
				"empty file, expected a mapping with key 'sources'");
		return NULL;
	}
	yaml_event_delete(&event);
	if (!pd_yaml_next(ctx, &event, error))
		return NULL;
	root = pd_yaml_read_node(ctx, &event, 0, error);
	if (root == NULL)
		return NULL;
	if (!pd_yaml_expect(ctx, YAML_DOCUMENT_END_EVENT, error))
		return NULL;
	if (!pd_yaml_expect_stream_end(ctx, error))
		return NULL;
	return g_steal_pointer(&root);
}

/*
 * fills @slots from @map. unknown keys are logged and skipped, as Ceilometer
 * ignores them; a repeated key is an error (yaml.safe_load would silently keep
 * the last one, which hides typos).
 */
static gboolean
pd_mapping_collect(PdLoadCtx *ctx,
		   const PdNode *map,
		   PdSlot *slots,
		   guint n_slots,
		   const gchar *where,
		   GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i + 1 < map->children->len; i += 2) {
		PdNode *key = g_ptr_array_index(map->children, i);
		PdNode *value = g_ptr_array_index(map->children, i + 1);
		const PdNode *first;
		gboolean known = FALSE;

		if (key->kind != PD_NODE_SCALAR)
			return pd_fail_node(
			  ctx, key, error, "keys must be strings, not %s", pd_node_describe(key));
		first = g_hash_table_lookup(seen, key->value);
		if (first != NULL)
			return pd_fail_node(ctx,
					    key,
					    error,
					    "duplicate key '%s' (first at %u:%u)",
					    key->value,
					    first->line,
					    first->column);
		g_hash_table_insert(seen, key->value, key);
		for (guint j = 0; j < n_slots; j++) {
			if (g_strcmp0(slots[j].key, key->value) == 0) {
				slots[j].value = value;
				known = TRUE;
			}
		}
		if (!known) {
			g_autofree gchar *name = pd_config_abbreviate(key->value, -1);
			g_warning("%s:%u:%u: unknown key '%s' %s, ignored",
				  ctx->filename,
				  key->line,
				  key->column,
				  name,
				  where);
		}
	}
	return TRUE;
}

static gchar **
pd_strv_new_empty(void)
{
	return g_new0(gchar *, 1);
}

static gchar **
pd_parse_string_list(PdLoadCtx *ctx, const gchar *key, const PdNode *node, GError **error)
{
	g_autoptr(GPtrArray) strv = g_ptr_array_new_with_free_func(g_free);

	if (node->kind != PD_NODE_SEQUENCE) {
		pd_fail_node(
		  ctx, node, error, "'%s' must be a list, not %s", key, pd_node_describe(node));
		return NULL;
	}
	for (guint i = 0; i < node->children->len; i++) {
		const PdNode *item = g_ptr_array_index(node->children, i);

		if (!pd_node_is_string(item)) {
			pd_fail_node(ctx,
				     item,
				     error,
				     "'%s' entries must be strings, not %s",
				     key,
				     pd_node_describe(item));
			return NULL;
		}
		g_ptr_array_add(strv, g_strdup(item->value));
	}
	g_ptr_array_add(strv, NULL);
	return (gchar **)g_ptr_array_free(g_steal_pointer(&strv), FALSE);
}

/* Ceilometer turns a missing or null `resources`/`discovery` into an empty list */
static gchar **
pd_parse_optional_list(PdLoadCtx *ctx, const gchar *key, const PdNode *node, GError **error)
{
	if (node == NULL || pd_node_is_null(node))
		return pd_strv_new_empty();
	return pd_parse_string_list(ctx, key, node, error);
}

static gboolean
pd_str_is_decimal(const gchar *str)
{
	if (str[0] == '\0' || (str[0] == '0' && str[1] != '\0'))
		return FALSE;
	for (const gchar *p = str; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
	}
	return TRUE;
}

/*
 * yaml.safe_load also reads 0x12c, 0454 (octal!), 0b1, 1_0 and 5:00 as
 * integers; those spellings are refused rather than silently read one way
 */
static gboolean
pd_parse_interval(PdLoadCtx *ctx, const PdNode *node, guint *interval, GError **error)
{
	const gchar *digits;
	guint64 value = 0;

	if (node->kind != PD_NODE_SCALAR || node->type != PD_SCALAR_INT)
		return pd_fail_node(ctx,
				    node,
				    error,
				    "'interval' must be an integer > 0, not %s",
				    pd_node_describe(node));
	if (node->value[0] == '-')
		return pd_fail_node(
		  ctx, node, error, "'interval' must be > 0, not %s", node->value);
	digits = node->value[0] == '+' ? node->value + 1 : node->value;
	if (!pd_str_is_decimal(digits))
		return pd_fail_node(ctx,
				    node,
				    error,
				    "'interval' must be a plain decimal integer, not '%s'",
				    node->value);
	if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT, &value, NULL))
		return pd_fail_node(ctx,
				    node,
				    error,
				    "'interval' must be at most %u, not %s",
				    G_MAXUINT,
				    node->value);
	if (value == 0)
		return pd_fail_node(
		  ctx, node, error, "'interval' must be > 0, not %s", node->value);
	*interval = (guint)value;
	return TRUE;
}

static PdPatternKind
pd_pattern_kind(const gchar *pattern)
{
	if (pattern[0] == '!')
		return PD_PATTERN_EXCLUDE;
	if (g_strcmp0(pattern, "*") == 0)
		return PD_PATTERN_WILDCARD;
	if (pattern[0] == '*')
		return PD_PATTERN_STAR_PREFIXED;
	return PD_PATTERN_PLAIN;
}

/*
 * Ceilometer's check_source_filtering(). like Ceilometer, a pattern that starts
 * with '*' but is not '*' itself (say '*.bytes') counts neither as plain nor as
 * the wildcard, so it may stand beside '!' patterns. on failure @bad is the
 * index of the pattern that broke the rule.
 */
static gboolean
pd_meter_patterns_check(gchar **patterns, guint *bad, GError **error)
{
	const gchar *plain = NULL;
	const gchar *exclude = NULL;
	const gchar *wildcard = NULL;

	*bad = 0;
	if (patterns == NULL || patterns[0] == NULL) {
		g_set_error_literal(error,
				    PD_POLLING_CONFIG_ERROR,
				    PD_POLLING_CONFIG_ERROR_INVALID,
				    "no meters specified");
		return FALSE;
	}
	for (guint i = 0; patterns[i] != NULL; i++) {
		const gchar *p = patterns[i];
		PdPatternKind kind = pd_pattern_kind(p);

		*bad = i;
		/* Ceilometer would crash on p[0] */
		if (p[0] == '\0') {
			g_set_error_literal(error,
					    PD_POLLING_CONFIG_ERROR,
					    PD_POLLING_CONFIG_ERROR_INVALID,
					    "meter pattern must not be empty");
			return FALSE;
		}
		if ((kind == PD_PATTERN_PLAIN && exclude != NULL) ||
		    (kind == PD_PATTERN_EXCLUDE && plain != NULL)) {
			g_set_error(error,
				    PD_POLLING_CONFIG_ERROR,
				    PD_POLLING_CONFIG_ERROR_INVALID,
				    "included and excluded ('!') meters cannot be mixed: "
				    "'%s' after '%s'",
				    p,
				    kind == PD_PATTERN_PLAIN ? exclude : plain);
			return FALSE;
		}
		if ((kind == PD_PATTERN_PLAIN && wildcard != NULL) ||
		    (kind == PD_PATTERN_WILDCARD && plain != NULL)) {
			g_set_error(error,
				    PD_POLLING_CONFIG_ERROR,
				    PD_POLLING_CONFIG_ERROR_INVALID,
				    "'*' cannot stand beside other included meters: "
				    "'%s' after '%s'",
				    p,
				    kind == PD_PATTERN_PLAIN ? wildcard : plain);
			return FALSE;
		}
		if (kind == PD_PATTERN_PLAIN && plain == NULL)
			plain = p;
		if (kind == PD_PATTERN_EXCLUDE && exclude == NULL)
			exclude = p;
		if (kind == PD_PATTERN_WILDCARD && wildcard == NULL)
			wildcard = p;
	}
	return TRUE;
}

gboolean
pd_polling_config_validate_patterns(gchar **patterns, GError **error)
{
	guint bad;

	return pd_meter_patterns_check(patterns, &bad, error);
}

static gchar **
pd_parse_meters(PdLoadCtx *ctx, const PdNode *node, GError **error)
{
	g_auto(GStrv) meters = NULL;
	g_autoptr(GError) rule_error = NULL;
	guint bad = 0;

	meters = pd_parse_string_list(ctx, "meters", node, error);
	if (meters == NULL)
		return NULL;
	if (meters[0] == NULL) {
		pd_fail_node(ctx, node, error, "'meters' must not be empty");
		return NULL;
	}
	if (!pd_meter_patterns_check(meters, &bad, &rule_error)) {
		pd_fail_node(
		  ctx, g_ptr_array_index(node->children, bad), error, "%s", rule_error->message);
		return NULL;
	}
	return g_steal_pointer(&meters);
}

static void
pd_source_def_free(PdSourceDef *src)
{
	if (src == NULL)
		return;
	g_free(src->name);
	g_strfreev(src->meters);
	g_free(src->meter_lines);
	g_strfreev(src->resources);
	g_strfreev(src->discovery);
	g_free(src);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdSourceDef, pd_source_def_free)

static gboolean
pd_source_def_parse_name(PdLoadCtx *ctx,
			 PdSourceDef *src,
			 const PdNode *map,
			 const PdNode *node,
			 GHashTable *names,
			 GError **error)
{
	const PdSourceDef *first;

	if (node == NULL)
		return pd_fail_node(ctx, map, error, "source is missing required key 'name'");
	if (!pd_node_is_string(node))
		return pd_fail_node(
		  ctx, node, error, "'name' must be a string, not %s", pd_node_describe(node));
	if (node->value[0] == '\0')
		return pd_fail_node(ctx, node, error, "'name' must not be empty");
	first = g_hash_table_lookup(names, node->value);
	if (first != NULL)
		return pd_fail_node(ctx,
				    node,
				    error,
				    "duplicate source name '%s' (first defined at %u:%u)",
				    node->value,
				    first->line,
				    first->column);
	src->name = g_strdup(node->value);
	return TRUE;
}

static gboolean
pd_source_def_parse_lists(PdLoadCtx *ctx,
			  PdSourceDef *src,
			  const PdNode *map,
			  const PdSlot *slots,
			  GError **error)
{
	const PdNode *meters = slots[PD_SOURCE_METERS].value;

	if (meters == NULL)
		return pd_fail_node(
		  ctx, map, error, "source '%s' is missing required key 'meters'", src->name);
	src->meters = pd_parse_meters(ctx, meters, error);
	if (src->meters == NULL)
		return FALSE;
	/* where each entry is, for the warning about one that names nothing */
	src->meter_lines = g_new0(guint, g_strv_length(src->meters) + 1);
	for (guint i = 0; i < meters->children->len && src->meters[i] != NULL; i++)
		src->meter_lines[i] =
		  ((const PdNode *)g_ptr_array_index(meters->children, i))->line;
	src->resources =
	  pd_parse_optional_list(ctx, "resources", slots[PD_SOURCE_RESOURCES].value, error);
	if (src->resources == NULL)
		return FALSE;
	src->discovery =
	  pd_parse_optional_list(ctx, "discovery", slots[PD_SOURCE_DISCOVERY].value, error);
	return src->discovery != NULL;
}

static PdSourceDef *
pd_source_def_parse(PdLoadCtx *ctx, const PdNode *map, GHashTable *names, GError **error)
{
	PdSlot slots[PD_SOURCE_N_KEYS] = {
		[PD_SOURCE_NAME] = { "name", NULL },
		[PD_SOURCE_INTERVAL] = { "interval", NULL },
		[PD_SOURCE_METERS] = { "meters", NULL },
		[PD_SOURCE_RESOURCES] = { "resources", NULL },
		[PD_SOURCE_DISCOVERY] = { "discovery", NULL },
	};
	g_autoptr(PdSourceDef) src = g_new0(PdSourceDef, 1);

	src->line = map->line;
	src->column = map->column;
	if (map->kind != PD_NODE_MAPPING) {
		pd_fail_node(
		  ctx, map, error, "a source must be a mapping, not %s", pd_node_describe(map));
		return NULL;
	}
	if (!pd_mapping_collect(ctx, map, slots, PD_SOURCE_N_KEYS, "in source", error))
		return NULL;
	if (!pd_source_def_parse_name(ctx, src, map, slots[PD_SOURCE_NAME].value, names, error))
		return NULL;
	if (slots[PD_SOURCE_INTERVAL].value == NULL) {
		pd_fail_node(
		  ctx, map, error, "source '%s' is missing required key 'interval'", src->name);
		return NULL;
	}
	if (!pd_parse_interval(ctx, slots[PD_SOURCE_INTERVAL].value, &src->interval, error))
		return NULL;
	if (!pd_source_def_parse_lists(ctx, src, map, slots, error))
		return NULL;
	return g_steal_pointer(&src);
}

static gboolean
pd_polling_config_parse_sources(PdPollingConfig *cfg,
				PdLoadCtx *ctx,
				const PdNode *node,
				GError **error)
{
	/* name -> first source of that name: polling state is keyed by source name, so a
	 * second source of one name would silently merge into the first */
	g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);

	if (node->kind != PD_NODE_SEQUENCE)
		return pd_fail_node(
		  ctx, node, error, "'sources' must be a list, not %s", pd_node_describe(node));
	if (node->children->len > PD_POLLING_MAX_SOURCES)
		return pd_fail_node(ctx,
				    g_ptr_array_index(node->children, PD_POLLING_MAX_SOURCES),
				    error,
				    "%u sources, more than the %u polld polls",
				    node->children->len,
				    PD_POLLING_MAX_SOURCES);
	for (guint i = 0; i < node->children->len; i++) {
		PdSourceDef *src;

		src = pd_source_def_parse(ctx, g_ptr_array_index(node->children, i), names, error);
		if (src == NULL)
			return FALSE;
		g_ptr_array_add(cfg->sources, src);
		g_hash_table_insert(names, src->name, src);
	}
	return TRUE;
}

static gboolean
pd_polling_config_parse_root(PdPollingConfig *cfg,
			     PdLoadCtx *ctx,
			     const PdNode *root,
			     GError **error)
{
	PdSlot slots[] = { { "sources", NULL } };

	if (root->kind != PD_NODE_MAPPING)
		return pd_fail_node(ctx,
				    root,
				    error,
				    "top level must be a mapping with key 'sources', not %s",
				    pd_node_describe(root));
	if (!pd_mapping_collect(ctx, root, slots, G_N_ELEMENTS(slots), "at top level", error))
		return FALSE;
	if (slots[0].value == NULL)
		return pd_fail_node(ctx, root, error, "missing required key 'sources'");
	return pd_polling_config_parse_sources(cfg, ctx, slots[0].value, error);
}

static PdPollingConfig *
pd_polling_config_new(const gchar *filename)
{
	PdPollingConfig *cfg = g_new0(PdPollingConfig, 1);

	cfg->ref_count = 1;
	cfg->filename = g_strdup(filename);
	cfg->sources = g_ptr_array_new_with_free_func((GDestroyNotify)pd_source_def_free);
	return cfg;
}

PdPollingConfig *
pd_polling_config_load_data(const gchar *data, gssize len, const gchar *filename, GError **error)
{
	g_auto(PdLoadCtx) ctx = { 0 };
	g_autoptr(PdNode) root = NULL;
	g_autoptr(PdPollingConfig) cfg = NULL;

	g_return_val_if_fail(data != NULL || len <= 0, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (filename == NULL)
		filename = PD_NO_FILENAME;
	if (data == NULL)
		data = "";
	if (len < 0)
		len = (gssize)strlen(data);
	if (len > PD_POLLING_MAX_BYTES) {
		g_set_error(error,
			    PD_POLLING_CONFIG_ERROR,
			    PD_POLLING_CONFIG_ERROR_INVALID,
			    "%s:1:1: %" G_GSSIZE_FORMAT " bytes, more than the %u polld reads",
			    filename,
			    len,
			    PD_POLLING_MAX_BYTES);
		return NULL;
	}
	if (!pd_load_ctx_init(&ctx, data, (gsize)len, filename, error))
		return NULL;
	root = pd_yaml_read_document(&ctx, error);
	if (root == NULL)
		return NULL;
	cfg = pd_polling_config_new(filename);
	if (!pd_polling_config_parse_root(cfg, &ctx, root, error))
		return NULL;
	return g_steal_pointer(&cfg);
}

PdPollingConfig *
pd_polling_config_load_file(const gchar *filename, GError **error)
{
	g_autofree gchar *data = NULL;
	g_autoptr(GError) io_error = NULL;
	gsize len = 0;

	g_return_val_if_fail(filename != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!g_file_get_contents(filename, &data, &len, &io_error)) {
		g_set_error(error,
			    PD_POLLING_CONFIG_ERROR,
			    PD_POLLING_CONFIG_ERROR_IO,
			    "%s: %s",
			    filename,
			    io_error->message);
		return NULL;
	}
	return pd_polling_config_load_data(data, (gssize)len, filename, error);
}

PdPollingConfig *
pd_polling_config_ref(PdPollingConfig *cfg)
{
	g_return_val_if_fail(cfg != NULL, NULL);
	g_atomic_int_inc(&cfg->ref_count);
	return cfg;
}

void
pd_polling_config_unref(PdPollingConfig *cfg)
{
	if (cfg == NULL)
		return;
	if (!g_atomic_int_dec_and_test(&cfg->ref_count))
		return;
	g_free(cfg->filename);
	g_ptr_array_unref(cfg->sources);
	g_free(cfg);
}

/*
 * Python's fnmatch on POSIX: case-sensitive, '/' and a leading '.' are not
 * special, and a backslash is an ordinary character, hence FNM_NOESCAPE
 */
static gboolean
pd_glob_match(const gchar *pattern, const gchar *name)
{
	return fnmatch(pattern, name, FNM_NOESCAPE) == 0;
}

gboolean
pd_polling_config_source_matches(const PdSourceDef *src, const gchar *meter)
{
	gboolean plain_hit = FALSE;
	gboolean only_excludes = TRUE;

	g_return_val_if_fail(src != NULL, FALSE);
	g_return_val_if_fail(meter != NULL, FALSE);

	for (guint i = 0; src->meters != NULL && src->meters[i] != NULL; i++) {
		const gchar *p = src->meters[i];

		if (p[0] == '!') {
			if (pd_glob_match(p + 1, meter))
				return FALSE;
			continue;
		}
		only_excludes = FALSE;
		if (!plain_hit && pd_glob_match(p, meter))
			plain_hit = TRUE;
	}
	return plain_hit || only_excludes;
}

static gboolean
pd_polling_config_pattern_matches(const gchar *pattern, GHashTable *known)
{
	GHashTableIter iter;
	gpointer name;

	g_hash_table_iter_init(&iter, known);
	while (g_hash_table_iter_next(&iter, &name, NULL)) {
		if (pd_glob_match(pattern, name))
			return TRUE;
	}
	return FALSE;
}

guint
pd_polling_config_warn_unmatched(PdPollingConfig *polling, GHashTable *known)
{
	guint n = 0;

	for (guint i = 0; i < polling->sources->len; i++) {
		PdSourceDef *src = g_ptr_array_index(polling->sources, i);
		for (guint j = 0; src->meters[j] != NULL; j++) {
			const gchar *pattern = src->meters[j];
			if (pattern[0] == '!' || pd_polling_config_pattern_matches(pattern, known))
				continue;
			g_warning("%s:%u: meter '%s' of source '%s' matches no pollster polld has; "
				  "ignored",
				  polling->filename,
				  src->meter_lines != NULL ? src->meter_lines[j] : src->line,
				  pattern,
				  src->name);
			n++;
		}
	}
	return n;
}
