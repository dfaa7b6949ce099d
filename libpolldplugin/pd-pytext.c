/*
 * polld - Python-compatible text: what json.dumps() and str() print
 *
 * The metadata builder renders a resource's metadata with these once, and
 * the serializer writes every sample with them, so both texts agree byte for
 * byte with what Ceilometer's Python would produce (and sign).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPytext"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd-pytext-private.h"

static const gchar hex_digits[] = "0123456789abcdef";

/* ---- utf-8 and json strings ---- */

gsize
pd_pytext_utf8_decode(const guchar *p, const guchar *end, gunichar *out)
{
	guchar c = p[0];
	gunichar cp, min;
	gsize n;

	if (c < 0x80) {
		*out = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if ((gsize)(end - p) < n)
		return 0;
	for (gsize i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates and anything past U+10FFFF are invalid */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*out = cp;
	return n;
}

/* json.dumps(ensure_ascii=True) escapes everything outside space..~ */
static inline gboolean
json_needs_escape(guchar c)
{
	return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
}

static gchar *
write_u_escape(gchar *w, gunichar c)
{
	*w++ = '\\';
	*w++ = 'u';
	*w++ = hex_digits[(c >> 12) & 0xf];
	*w++ = hex_digits[(c >> 8) & 0xf];
	*w++ = hex_digits[(c >> 4) & 0xf];
	*w++ = hex_digits[c & 0xf];
	return w;
}

static gchar *
write_short_escape(gchar *w, gchar c)
{
	*w++ = '\\';
	*w++ = c;
	return w;
}

/* escapes the character at @p, returns the position after it */
static const guchar *
escape_one(gchar **wp, const guchar *p, const guchar *end)
{
	gunichar c = *p;
	gsize n = 1;

	if (c >= 0x80) {
		n = pd_pytext_utf8_decode(p, end, &c);
		/* an invalid byte stands for U+FFFD, one byte at a time like
		 * g_utf8_make_valid() */
		if (n == 0)
			c = 0xfffd, n = 1;
	}
	switch (c) {
		case '"':
		case '\\':
			*wp = write_short_escape(*wp, (gchar)c);
			break;
		case '\n':
			*wp = write_short_escape(*wp, 'n');
			break;
		case '\r':
			*wp = write_short_escape(*wp, 'r');
			break;
		case '\t':
			*wp = write_short_escape(*wp, 't');
			break;
		case '\b':
			*wp = write_short_escape(*wp, 'b');
			break;
		case '\f':
			*wp = write_short_escape(*wp, 'f');
			break;
		default:
			if (c >= 0x10000) {
				c -= 0x10000;
				*wp = write_u_escape(*wp, 0xd800 | (c >> 10));
				*wp = write_u_escape(*wp, 0xdc00 | (c & 0x3ff));
			} else {
				*wp = write_u_escape(*wp, c);
			}
	}
	return p + n;
}

static gchar *
write_json_escaped(gchar *w, const guchar *p, const guchar *end)
{
	while (p < end) {
		const guchar *run = p;
		while (p < end && !json_needs_escape(*p))
			p++;
		memcpy(w, run, (gsize)(p - run));
		w += p - run;
		if (p < end)
			p = escape_one(&w, p, end);
	}
	return w;
}

void
pd_pytext_json_string(GString *out, const gchar *str)
{
	gsize len;
	gchar *w;

	if (str == NULL) {
		pd_buf_append_lit(out, "null");
		return;
	}
	len = strlen(str);
	/* worst case: a control byte or an invalid byte grows to \uXXXX */
	w = pd_buf_reserve(out, len * 6 + 2);
	*w++ = '"';
	w = write_json_escaped(w, (const guchar *)str, (const guchar *)str + len);
	*w++ = '"';
	pd_buf_commit(out, w);
}

/* ---- numbers ---- */

gsize
pd_pytext_format_int(gint64 value, gchar out[24])
{
	guint64 u = value < 0 ? -(guint64)value : (guint64)value;
	gchar tmp[24];
	gsize n = 0, len = 0;

	do {
		tmp[n++] = (gchar)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (value < 0)
		out[len++] = '-';
	while (n > 0)
		out[len++] = tmp[--n];
	out[len] = '\0';
	return len;
}

void
pd_pytext_json_int(GString *out, gint64 value)
{
	gchar *w = pd_buf_reserve(out, 24);

	pd_buf_commit(out, w + pd_pytext_format_int(value, w));
}

typedef struct {
	gchar digits[24]; /* significant digits, no trailing zeros */
	gint n_digits;
	gint exp10; /* value = d.ddd x 10^exp10 */
} PdDecimal;

/* printf and strtod follow LC_NUMERIC, which the daemon sets from the
 * environment: format in a private C locale (uselocale() is per thread) */
static locale_t
c_numeric_locale(void)
{
	static gsize once = 0;

	if (g_once_init_enter(&once)) {
		locale_t loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
		g_once_init_leave(&once, (gsize)(loc != (locale_t)0 ? loc : LC_GLOBAL_LOCALE));
	}
	return (locale_t)once;
}

/* correctly rounded to @prec significant digits; TRUE when it reads back */
static gboolean
try_precision(gdouble v, gint prec, gchar buf[40])
{
	snprintf(buf, 40, "%.*e", prec - 1, v);
	return strtod(buf, NULL) == v;
}

/* for a power of two the interval of values that read back as @v is twice
 * as wide above as below, so the nearest 16 digit decimal may miss while its
 * upper neighbour hits: Python's dtoa takes that one */
static gboolean
try_neighbour(gdouble v, gchar buf[40], gint delta)
{
	gchar cand[40];
	gint i;

	memcpy(cand, buf, 40);
	for (i = 16; i >= 0; i--) {
		if (cand[i] == '.')
			continue;
		if (delta > 0 && cand[i] != '9') {
			cand[i]++;
			break;
		}
		if (delta < 0 && cand[i] != '0') {
			cand[i]--;
			break;
		}
		cand[i] = delta > 0 ? '0' : '9';
	}
	/* a carry out of the first digit means fewer digits, already ruled out */
	if (i < 0 || cand[0] == '0' || strtod(cand, NULL) != v)
		return FALSE;
	memcpy(buf, cand, 40);
	return TRUE;
}

static gboolean
is_power_of_two(gdouble v)
{
	gint e;

	return frexp(v, &e) == 0.5;
}

static void
parse_e_format(const gchar *buf, PdDecimal *dec)
{
	const gchar *p = buf;

	dec->n_digits = 0;
	for (; *p != 'e'; p++) {
		if (g_ascii_isdigit(*p))
			dec->digits[dec->n_digits++] = *p;
	}
	dec->exp10 = atoi(p + 1);
	while (dec->n_digits > 1 && dec->digits[dec->n_digits - 1] == '0')
		dec->n_digits--;
}

/*
 * The shortest digits that read back as @v (positive, finite), as repr()
 * does. Any decimal of at most 15 digits survives a round trip through a
 * double (DBL_DIG), so if 15 correctly rounded digits read back, the
 * shortest form is those digits with trailing zeros cut; otherwise try 16,
 * then 17, which always works. Subnormals have fewer digits: try them all.
 */
static void
shortest_decimal(gdouble v, PdDecimal *dec)
{
	locale_t old = uselocale(c_numeric_locale());
	gchar buf[40];

	if (v < DBL_MIN) {
		for (gint prec = 1; prec <= 17 && !try_precision(v, prec, buf); prec++)
			;
	} else if (!try_precision(v, 15, buf) && !try_precision(v, 16, buf)) {
		gboolean found =
		  is_power_of_two(v) && (try_neighbour(v, buf, 1) || try_neighbour(v, buf, -1));
		if (!found)
			try_precision(v, 17, buf);
	}
	uselocale(old);
	parse_e_format(buf, dec);
}

static gchar *
write_zeros(gchar *w, gint n)
{
	for (gint i = 0; i < n; i++)
		*w++ = '0';
	return w;
}

static gchar *
write_exponent_form(gchar *w, const PdDecimal *dec)
{
	gint e = ABS(dec->exp10);

	*w++ = dec->digits[0];
	if (dec->n_digits > 1) {
		*w++ = '.';
		memcpy(w, dec->digits + 1, (gsize)dec->n_digits - 1);
		w += dec->n_digits - 1;
	}
	*w++ = 'e';
	*w++ = dec->exp10 < 0 ? '-' : '+';
	if (e >= 100)
		*w++ = (gchar)('0' + e / 100);
	*w++ = (gchar)('0' + e / 10 % 10);
	*w++ = (gchar)('0' + e % 10);
	return w;
}

/* float_repr_style 'short': exponent form when exp10 < -4 or >= 16 */
static gchar *
write_python_layout(gchar *w, const PdDecimal *dec)
{
	gint decpt = dec->exp10 + 1;
	gint n = dec->n_digits;

	if (decpt <= -4 || decpt > 16)
		return write_exponent_form(w, dec);
	if (decpt <= 0) {
		*w++ = '0';
		*w++ = '.';
		w = write_zeros(w, -decpt);
		memcpy(w, dec->digits, (gsize)n);
		return w + n;
	}
	if (decpt >= n) {
		memcpy(w, dec->digits, (gsize)n);
		w = write_zeros(w + n, decpt - n);
		*w++ = '.';
		*w++ = '0';
		return w;
	}
	memcpy(w, dec->digits, (gsize)decpt);
	w += decpt;
	*w++ = '.';
	memcpy(w, dec->digits + decpt, (gsize)(n - decpt));
	return w + (n - decpt);
}

static gsize
copy_literal(gchar *out, const gchar *lit)
{
	gsize len = strlen(lit);

	memcpy(out, lit, len + 1);
	return len;
}

/* 10^(e+1) for e = -4 .. 13 */
static const gdouble decades[] = {
	1e-3, 1e-2, 1e-1, 1e0, 1e1,  1e2,  1e3,	 1e4,  1e5,
	1e6,  1e7,  1e8,  1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
};

static const gdouble exact_pow10[] = {
	1e0,  1e1,  1e2,  1e3,	1e4,  1e5,  1e6,  1e7,	1e8,  1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
};

/*
 * Values with at most 15 significant digits and a positional repr (1e-4 <=
 * v < 1e15): monotonic times, rates, ratios. With E the decimal exponent,
 * N = round(v * 10^(14 - E)) has at most 15 digits, and N / 10^k (one
 * correctly rounded division, as strtod would round the same decimal) gives
 * back v exactly when that decimal is a representation of v; by the DBL_DIG
 * argument above it is then repr()'s, less trailing zeros. FALSE: use the
 * general path.
 */
static gboolean
format_short_positional(gdouble v, gchar *out, gsize *len)
{
	gint e = -4;
	gint k;
	gint64 n;
	gchar digits[24];
	gsize n_digits, int_len;

	if (v < 1e-4 || v >= 1e15)
		return FALSE;
	/* an estimate off by one near a power of ten only costs the slow path */
	while (e < 14 && v >= decades[e + 4])
		e++;
	k = 14 - e;
	n = llround(v * exact_pow10[k]);
	if (n >= G_GINT64_CONSTANT(1000000000000000) || (gdouble)n / exact_pow10[k] != v)
		return FALSE;
	/* n, with k implied decimals, at least one digit before the point */
	n_digits = pd_pytext_format_int(n, digits);
	while (n_digits <= (gsize)k) {
		memmove(digits + 1, digits, n_digits + 1);
		digits[0] = '0';
		n_digits++;
	}
	int_len = n_digits - (gsize)k;
	while (n_digits > int_len + 1 && digits[n_digits - 1] == '0')
		n_digits--;
	memcpy(out, digits, int_len);
	out[int_len] = '.';
	memcpy(out + int_len + 1, digits + int_len, n_digits - int_len);
	*len = n_digits + 1;
	out[*len] = '\0';
	return TRUE;
}

gsize
pd_pytext_format_double(gdouble value, gchar out[32])
{
	PdDecimal dec;
	gchar *w = out;
	gsize len;

	if (isnan(value))
		return copy_literal(out, "nan");
	if (isinf(value))
		return copy_literal(out, value > 0 ? "inf" : "-inf");
	if (value == 0)
		return copy_literal(out, signbit(value) ? "-0.0" : "0.0");
	/* integral values (byte counts, MB...) need no digit search */
	if (fabs(value) < 1e16 && value == (gdouble)(gint64)value) {
		len = pd_pytext_format_int((gint64)value, out);
		return len + copy_literal(out + len, ".0");
	}
	if (signbit(value))
		*w++ = '-';
	if (format_short_positional(fabs(value), w, &len))
		return len + (gsize)(w - out);
	shortest_decimal(fabs(value), &dec);
	w = write_python_layout(w, &dec);
	*w = '\0';
	return (gsize)(w - out);
}

/* json.dumps(allow_nan=True) spells these as JavaScript does */
const gchar *
pd_pytext_json_non_finite(gdouble value)
{
	if (isnan(value))
		return "NaN";
	if (isinf(value))
		return value > 0 ? "Infinity" : "-Infinity";
	return NULL;
}

void
pd_pytext_json_double(GString *out, gdouble value)
{
	const gchar *lit = pd_pytext_json_non_finite(value);
	gchar *w;

	if (lit != NULL) {
		pd_buf_append(out, lit, strlen(lit));
		return;
	}
	w = pd_buf_reserve(out, 32);
	pd_buf_commit(out, w + pd_pytext_format_double(value, w));
}

/* ---- python str() pieces ---- */

void
pd_pytext_str(GString *out, const gchar *str)
{
	const guchar *p = (const guchar *)str;
	const guchar *end;
	gchar *w;

	if (str == NULL) {
		pd_buf_append_lit(out, "None");
		return;
	}
	end = p + strlen(str);
	/* an invalid byte becomes the 3 bytes of U+FFFD, as in the JSON */
	w = pd_buf_reserve(out, (gsize)(end - p) * 3);
	while (p < end) {
		const guchar *run = p;
		gunichar c;
		gsize n;
		/* ASCII runs in one copy: the ids and names signed per sample
		 * are ASCII, and a copy a byte was a memcpy() call a byte */
		while (p < end && *p < 0x80)
			p++;
		memcpy(w, run, (gsize)(p - run));
		w += p - run;
		if (p == end)
			break;
		n = pd_pytext_utf8_decode(p, end, &c);
		if (n == 0) {
			memcpy(w, "\357\277\275", 3);
			w += 3;
			p++;
			continue;
		}
		memcpy(w, p, n);
		w += n;
		p += n;
	}
	pd_buf_commit(out, w);
}

void
pd_pytext_str_double(GString *out, gdouble value)
{
	gchar buf[32];
	gsize len = pd_pytext_format_double(value, buf);

	pd_buf_append(out, buf, len);
}

/* bytes.__repr__ (and str.__repr__ with @is_bytes FALSE, approximated: it
 * prints non-ASCII raw, as Python does for printable characters); single
 * quotes unless the text holds ' and no " */
static gchar *
write_repr(gchar *w, const guchar *p, gsize len, gboolean is_bytes)
{
	static const gchar hex[] = "0123456789abcdef";
	gchar quote = (memchr(p, '\'', len) && !memchr(p, '"', len)) ? '"' : '\'';

	if (is_bytes)
		*w++ = 'b';
	*w++ = quote;
	for (gsize i = 0; i < len; i++) {
		guchar c = p[i];
		if (c == '\\' || c == (guchar)quote) {
			*w++ = '\\';
			*w++ = (gchar)c;
		} else if (c == '\t' || c == '\n' || c == '\r') {
			*w++ = '\\';
			*w++ = c == '\t' ? 't' : (c == '\n' ? 'n' : 'r');
		} else if (c < 0x20 || c == 0x7f || (c > 0x7f && is_bytes)) {
			*w++ = '\\';
			*w++ = 'x';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 0xf];
		} else {
			*w++ = (gchar)c;
		}
	}
	*w++ = quote;
	return w;
}

static void
append_repr(GString *out, const gchar *str, gboolean is_bytes)
{
	g_autoptr(GString) utf8 = g_string_new(NULL);
	gchar *w;

	/* the bytes Python encodes are those of the decoded (valid) string */
	pd_pytext_str(utf8, str);
	w = pd_buf_reserve(out, utf8->len * 4 + 3);
	w = write_repr(w, (const guchar *)utf8->str, utf8->len, is_bytes);
	pd_buf_commit(out, w);
}

void
pd_pytext_bytes_repr(GString *out, const gchar *str)
{
	append_repr(out, str, TRUE);
}

/* ---- the generic walk over a decoded sample ---- */

static void
append_decoded_repr(GString *out, JsonNode *node);

static void
append_list_repr(GString *out, JsonArray *array)
{
	guint n = json_array_get_length(array);

	g_string_append_c(out, '[');
	for (guint i = 0; i < n; i++) {
		if (i > 0)
			pd_buf_append_lit(out, ", ");
		append_decoded_repr(out, json_array_get_element(array, i));
	}
	g_string_append_c(out, ']');
}

static gint
compare_keys(gconstpointer a, gconstpointer b)
{
	/* byte order of UTF-8 is code point order, which is how Python sorts */
	return strcmp(a, b);
}

static GList *
sorted_members(JsonObject *obj)
{
	return g_list_sort(json_object_get_members(obj), compare_keys);
}

static void
append_dict_repr(GString *out, JsonObject *obj)
{
	g_autoptr(GList) keys = sorted_members(obj);

	g_string_append_c(out, '{');
	for (GList *l = keys; l != NULL; l = l->next) {
		if (l != keys)
			pd_buf_append_lit(out, ", ");
		pd_pytext_bytes_repr(out, l->data);
		pd_buf_append_lit(out, ": ");
		append_decoded_repr(out, json_object_get_member(obj, l->data));
	}
	g_string_append_c(out, '}');
}

void
pd_pytext_str_json_scalar(GString *out, JsonNode *node)
{
	GType type = json_node_get_value_type(node);

	if (type == G_TYPE_STRING)
		pd_pytext_str(out, json_node_get_string(node));
	else if (type == G_TYPE_DOUBLE)
		pd_pytext_str_double(out, json_node_get_double(node));
	else if (type == G_TYPE_BOOLEAN)
		g_string_append(out, json_node_get_boolean(node) ? "True" : "False");
	else
		pd_pytext_json_int(out, json_node_get_int(node));
}

/* repr() of a list item after Ceilometer's decode_unicode(): strings become
 * bytes at any depth, dicts get their keys (bytes too) sorted */
static void
append_decoded_repr(GString *out, JsonNode *node)
{
	switch (JSON_NODE_TYPE(node)) {
		case JSON_NODE_NULL:
			pd_buf_append_lit(out, "None");
			break;
		case JSON_NODE_ARRAY:
			append_list_repr(out, json_node_get_array(node));
			break;
		case JSON_NODE_OBJECT:
			append_dict_repr(out, json_node_get_object(node));
			break;
		case JSON_NODE_VALUE:
			if (json_node_get_value_type(node) == G_TYPE_STRING)
				pd_pytext_bytes_repr(out, json_node_get_string(node));
			else
				pd_pytext_str_json_scalar(out, node);
			break;
	}
}

void
pd_pytext_str_json_list(GString *out, JsonArray *array)
{
	append_list_repr(out, array);
}
