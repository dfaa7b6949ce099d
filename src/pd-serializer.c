/*
 * polld - Ceilometer-compatible sample serialisation and signing
 *
 * The hot path: every sample polld publishes goes through
 * pd_serializer_append_sample(). It writes Python json.dumps() text directly
 * into reused buffers, takes the metadata JSON and signature text the builder
 * rendered once, and signs with a pre-keyed HMAC, so a sample costs no
 * allocation of its own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdSerializer"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <emmintrin.h>
#define PD_HAVE_SSE2 1
#endif

#include "pd-metadata-escaped-private.h"
#include "pd-serializer-private.h"

static const gchar hex_digits[] = "0123456789abcdef";

/* ---- numbers ---- */

static gsize
copy_literal(gchar *out, const gchar *lit)
{
	gsize len = strlen(lit);

	memcpy(out, lit, len + 1);
	return len;
}

/* ---- timestamps ---- */

/* years 1 to 9999, the range of Python's datetime */
#define PD_MIN_SECOND G_GINT64_CONSTANT(-62135596800)
#define PD_MAX_SECOND G_GINT64_CONSTANT(253402300799)

typedef struct {
	gint64 second;
	gchar text[20]; /* YYYY-MM-DDTHH:MM:SS */
} PdDateCache;

/* samples of one poll share their second: format the date part once */
static __thread PdDateCache date_cache = { G_MININT64, "" };

/* proleptic Gregorian date of a day number (days since 1970-01-01) */
static void
civil_from_days(gint64 z, guint *year, guint *month, guint *day)
{
	gint64 era, yy;
	guint doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (guint)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (gint64)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (guint)(yy + (*month <= 2));
}

static void
write_digits(gchar *w, guint value, guint width)
{
	for (guint i = width; i > 0; i--) {
		w[i - 1] = (gchar)('0' + value % 10);
		value /= 10;
	}
}

static void
fill_date_cache(PdDateCache *cache, gint64 second)
{
	gint64 days = second >= 0 ? second / 86400 : (second - 86399) / 86400;
	guint rest = (guint)(second - days * 86400);
	guint year, month, day;

	civil_from_days(days, &year, &month, &day);
	memcpy(cache->text, "0000-00-00T00:00:00", 20);
	write_digits(cache->text, year, 4);
	write_digits(cache->text + 5, month, 2);
	write_digits(cache->text + 8, day, 2);
	write_digits(cache->text + 11, rest / 3600, 2);
	write_digits(cache->text + 14, rest / 60 % 60, 2);
	write_digits(cache->text + 17, rest % 60, 2);
	cache->second = second;
}

void
pd_serializer_format_timestamp(gint64 timestamp_us, gchar separator, gchar out[27])
{
	gint64 second = timestamp_us / G_USEC_PER_SEC;
	gint64 usec = timestamp_us % G_USEC_PER_SEC;

	if (usec < 0) {
		usec += G_USEC_PER_SEC;
		second--;
	}
	if (second < PD_MIN_SECOND || second > PD_MAX_SECOND) {
		second = CLAMP(second, PD_MIN_SECOND, PD_MAX_SECOND);
		usec = second == PD_MIN_SECOND ? 0 : G_USEC_PER_SEC - 1;
	}
	if (date_cache.second != second)
		fill_date_cache(&date_cache, second);
	memcpy(out, date_cache.text, 19);
	out[10] = separator;
	out[19] = '.';
	write_digits(out + 20, (guint)usec, 6);
	out[26] = '\0';
}

/* ---- random ids ---- */

/* xoshiro256**: ids need to be unique, not unpredictable, and a syscall or
 * a lock per sample would cost more than the rest of the sample */
typedef struct {
	guint64 s[4];
	gboolean seeded;
} PdRng;

static __thread PdRng rng_state;

static inline guint64
rotl64(guint64 x, gint k)
{
	return (x << k) | (x >> (64 - k));
}

static guint64
splitmix64(guint64 *x)
{
	guint64 z = (*x += G_GUINT64_CONSTANT(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* a forked child must not repeat its parent's ids */
static void
rng_atfork_child_cb(void)
{
	rng_state.seeded = FALSE;
}

static void
rng_seed(PdRng *rng)
{
	static gsize atfork_once = 0;
	guint64 seed[4] = { 0 };

	if (g_once_init_enter(&atfork_once)) {
		pthread_atfork(NULL, NULL, rng_atfork_child_cb);
		g_once_init_leave(&atfork_once, 1);
	}
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != (gssize)sizeof(seed)) {
		for (guint i = 0; i < 4; i++)
			seed[i] = ((guint64)g_random_int() << 32) ^ g_random_int();
		seed[0] ^= (guint64)g_get_monotonic_time() ^ (guint64)(guintptr)rng;
	}
	/* splitmix spreads the seed and keeps the state off all-zero */
	for (guint i = 0; i < 4; i++) {
		guint64 x = seed[i];
		rng->s[i] = splitmix64(&x);
	}
	rng->seeded = TRUE;
}

static guint64
rng_next(void)
{
	PdRng *r = &rng_state;
	guint64 result, t;

	if (G_UNLIKELY(!r->seeded))
		rng_seed(r);
	result = rotl64(r->s[1] * 5, 7) * 9;
	t = r->s[1] << 17;
	r->s[2] ^= r->s[0];
	r->s[3] ^= r->s[1];
	r->s[1] ^= r->s[2];
	r->s[0] ^= r->s[3];
	r->s[2] ^= t;
	r->s[3] = rotl64(r->s[3], 45);
	return result;
}

/* 16 random bytes with the version 4 and RFC 4122 variant bits, in hex */
static void
write_uuid4(gchar *out, gboolean dashes)
{
	guint64 hi = rng_next();
	guint64 lo = rng_next();
	guint8 bytes[16];
	gchar *w = out;

	for (guint i = 0; i < 8; i++) {
		bytes[i] = (guint8)(hi >> (56 - 8 * i));
		bytes[8 + i] = (guint8)(lo >> (56 - 8 * i));
	}
	bytes[6] = (bytes[6] & 0x0f) | 0x40;
	bytes[8] = (bytes[8] & 0x3f) | 0x80;
	for (guint i = 0; i < 16; i++) {
		if (dashes && (i == 4 || i == 6 || i == 8 || i == 10))
			*w++ = '-';
		*w++ = hex_digits[bytes[i] >> 4];
		*w++ = hex_digits[bytes[i] & 0xf];
	}
	*w = '\0';
}

void
pd_serializer_uuid_random(gchar out[37])
{
	write_uuid4(out, TRUE);
}

/* ---- the serializer ---- */

/* the sample-sized buffers a serializer keeps (GString rounds up to a power
 * of two past the size asked): the inner text of a few samples before they
 * are escaped into the body, and one sample's signature text */
#define PD_SCRATCH_SIZE (8192 - 1)
#define PD_SCRATCH_FLUSH 4096
#define PD_SIG_SIZE (2048 - 1)

/* not thread-safe (reused buffers): one serializer per publishing thread */

struct _PdSerializer {
	gchar *source_json; /* the source as a JSON string literal */
	gchar *source_sig;  /* and as signature text */
	gsize source_json_len;
	gsize source_sig_len;
	gboolean identity_names;
	gboolean signing;
	PdHmacKey key;
	GString *sig;	       /* HMAC input, reused */
	GString *scratch;      /* one sample's inner text before it is escaped */
	gsize body_per_sample; /* the last message's body bytes a sample */
	gchar *fixed_message_id;
};

/* the JSON and the str() text of a number differ only for nan and inf */
typedef struct {
	gchar json[32];
	gchar sig[32];
	gsize json_len;
	gsize sig_len;
} PdNumberText;

typedef struct {
	gchar message_id_buf[37];
	const gchar *message_id;
	gchar timestamp[27];
	PdNumberText volume;
	PdNumberText monotonic;
	gchar signature[65];
} PdSampleText;

PdSerializer *
pd_serializer_new(const gchar *source, const gchar *secret, gboolean identity_names)
{
	PdSerializer *self = g_new0(PdSerializer, 1);
	GString *str = g_string_new(NULL);

	pd_pytext_json_string(str, source);
	self->source_json_len = str->len;
	self->source_json = g_string_free(str, FALSE);
	str = g_string_new(NULL);
	pd_pytext_str(str, source);
	self->source_sig_len = str->len;
	self->source_sig = g_string_free(str, FALSE);
	self->identity_names = identity_names;
	self->signing = secret != NULL && secret[0] != '\0';
	if (self->signing)
		pd_hmac_key_init(&self->key, (const guint8 *)secret, strlen(secret));
	self->sig = g_string_sized_new(PD_SIG_SIZE);
	self->scratch = g_string_sized_new(PD_SCRATCH_SIZE);
	self->body_per_sample = 1024;
	return self;
}

void
pd_serializer_free(PdSerializer *self)
{
	if (self == NULL)
		return;
	g_free(self->source_json);
	g_free(self->source_sig);
	g_string_free(self->sig, TRUE);
	g_string_free(self->scratch, TRUE);
	g_free(self->fixed_message_id);
	/* the keyed state is as good as the secret */
	memset(&self->key, 0, sizeof(self->key));
	g_free(self);
}

void
pd_serializer_set_fixed_message_id(PdSerializer *self, const gchar *message_id)
{
	g_free(self->fixed_message_id);
	self->fixed_message_id = g_strdup(message_id);
}

static void
number_text_double(PdNumberText *t, gdouble value)
{
	const gchar *lit = pd_pytext_json_non_finite(value);

	t->sig_len = pd_pytext_format_double(value, t->sig);
	if (lit != NULL) {
		t->json_len = copy_literal(t->json, lit);
	} else {
		memcpy(t->json, t->sig, t->sig_len + 1);
		t->json_len = t->sig_len;
	}
}

static void
number_text_null(PdNumberText *t)
{
	memcpy(t->json, "null", 5);
	memcpy(t->sig, "None", 5);
	t->json_len = t->sig_len = 4;
}

static void
volume_text(PdNumberText *t, const PdSample *sample)
{
	if (sample->volume_kind == PD_VOLUME_INT) {
		t->json_len = t->sig_len = pd_pytext_format_int(sample->volume.i, t->json);
		memcpy(t->sig, t->json, t->json_len + 1);
	} else if (sample->volume_kind == PD_VOLUME_DOUBLE) {
		number_text_double(t, sample->volume.d);
	} else {
		number_text_null(t);
	}
}

#define append_lit pd_buf_append_lit

/* the sorted walk over the sample dict, spelled out: its keys are fixed;
 * the metadata text goes to the hash straight from the metadata */
static void
sign_sample(PdSerializer *self, const PdSample *sample, PdSampleText *text)
{
	GString *s = self->sig;
	PdSha256 ctx;

	g_string_truncate(s, 0);
	append_lit(s, "counter_name");
	pd_pytext_str(s, sample->name);
	append_lit(s, "counter_type");
	pd_pytext_str(s, pd_sample_type_to_string(sample->type));
	append_lit(s, "counter_unit");
	pd_pytext_str(s, sample->unit);
	append_lit(s, "counter_volume");
	if (sample->volume_kind == PD_VOLUME_STRING)
		pd_pytext_str(s, sample->volume.s);
	else
		pd_buf_append(s, text->volume.sig, text->volume.sig_len);
	append_lit(s, "message_id");
	pd_pytext_str(s, text->message_id);
	append_lit(s, "monotonic_time");
	pd_buf_append(s, text->monotonic.sig, text->monotonic.sig_len);
	append_lit(s, "project_id");
	pd_pytext_str(s, sample->project_id);
	if (self->identity_names) {
		append_lit(s, "project_name");
		pd_pytext_str(s, sample->project_name);
	}
	append_lit(s, "resource_id");
	pd_pytext_str(s, sample->resource_id);
	/* one text, one hash update: the metadata's comes in runs */
	pd_metadata_append_signature_text(sample->metadata, s);
	append_lit(s, "source");
	pd_buf_append(s, self->source_sig, self->source_sig_len);
	append_lit(s, "timestamp");
	pd_buf_append(s, text->timestamp, 26);
	append_lit(s, "user_id");
	pd_pytext_str(s, sample->user_id);
	if (self->identity_names) {
		append_lit(s, "user_name");
		pd_pytext_str(s, sample->user_name);
	}
	pd_hmac_begin(&self->key, &ctx);
	pd_hmac_sha256_update(&ctx, (const guint8 *)s->str, s->len);
	pd_hmac_end_hex(&self->key, &ctx, text->signature);
}

/* meter_message_from_counter()'s key order: the sample up to its
 * metadata's value */
static void
write_sample_head(PdSerializer *self,
		  GString *out,
		  const PdSample *sample,
		  const PdSampleText *text)
{
	append_lit(out, "{\"source\": ");
	pd_buf_append(out, self->source_json, self->source_json_len);
	append_lit(out, ", \"counter_name\": ");
	pd_pytext_json_string(out, sample->name);
	append_lit(out, ", \"counter_type\": ");
	pd_pytext_json_string(out, pd_sample_type_to_string(sample->type));
	append_lit(out, ", \"counter_unit\": ");
	pd_pytext_json_string(out, sample->unit);
	append_lit(out, ", \"counter_volume\": ");
	if (sample->volume_kind == PD_VOLUME_STRING)
		pd_pytext_json_string(out, sample->volume.s);
	else
		pd_buf_append(out, text->volume.json, text->volume.json_len);
	append_lit(out, ", \"user_id\": ");
	pd_pytext_json_string(out, sample->user_id);
	if (self->identity_names) {
		append_lit(out, ", \"user_name\": ");
		pd_pytext_json_string(out, sample->user_name);
	}
	append_lit(out, ", \"project_id\": ");
	pd_pytext_json_string(out, sample->project_id);
	if (self->identity_names) {
		append_lit(out, ", \"project_name\": ");
		pd_pytext_json_string(out, sample->project_name);
	}
	append_lit(out, ", \"resource_id\": ");
	pd_pytext_json_string(out, sample->resource_id);
	append_lit(out, ", \"timestamp\": \"");
	pd_buf_append(out, text->timestamp, 26);
	append_lit(out, "\", \"resource_metadata\": ");
}

/* and from after the metadata */
static void
write_sample_tail(GString *out, const PdSampleText *text)
{
	append_lit(out, ", \"message_id\": ");
	pd_pytext_json_string(out, text->message_id);
	append_lit(out, ", \"monotonic_time\": ");
	pd_buf_append(out, text->monotonic.json, text->monotonic.json_len);
	append_lit(out, ", \"message_signature\": \"");
	pd_buf_append(out, text->signature, strlen(text->signature));
	append_lit(out, "\"}");
}

/* the per-sample texts and the signature */
static void
sample_text_init(PdSerializer *self, const PdSample *sample, PdSampleText *text)
{
	if (self->fixed_message_id != NULL) {
		text->message_id = self->fixed_message_id;
	} else {
		pd_serializer_uuid_random(text->message_id_buf);
		text->message_id = text->message_id_buf;
	}
	pd_serializer_format_timestamp(sample->timestamp_us, 'T', text->timestamp);
	volume_text(&text->volume, sample);
	/* the reading is never negative: a negative value is the old "-1 for
	 * null" convention */
	if (!(sample->monotonic_time >= 0))
		number_text_null(&text->monotonic);
	else
		number_text_double(&text->monotonic, sample->monotonic_time);
	text->signature[0] = '\0';
	if (self->signing)
		sign_sample(self, sample, text);
}

void
pd_serializer_append_sample(PdSerializer *self, GString *out, const PdSample *sample)
{
	PdSampleText text;

	g_return_if_fail(self != NULL);
	g_return_if_fail(out != NULL);
	g_return_if_fail(sample != NULL);

	sample_text_init(self, sample, &text);
	write_sample_head(self, out, sample, &text);
	pd_metadata_append_json(sample->metadata, out);
	write_sample_tail(out, &text);
}

static inline gboolean
needs_outer_escape(gchar c)
{
	return c == '"' || c == '\\';
}

/* copies @len bytes of @p escaping quotes and backslashes; may write 16 bytes
 * past the result and read 16 bytes past @p + @len */
static gchar *
write_outer_escaped(gchar *w, const gchar *p, gsize len)
{
	gsize i = 0;

#ifdef PD_HAVE_SSE2
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i backslash = _mm_set1_epi8('\\');

	/* 16 bytes a step; for each special byte copy the run before it */
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		guint mask = (guint)_mm_movemask_epi8(
		  _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
		guint from = 0;
		for (; mask != 0; mask &= mask - 1) {
			guint k = (guint)__builtin_ctz(mask);
			_mm_storeu_si128((__m128i *)w,
					 _mm_loadu_si128((const __m128i *)(p + i + from)));
			w += k - from;
			*w++ = '\\';
			*w++ = p[i + k];
			from = k + 1;
		}
		_mm_storeu_si128((__m128i *)w, _mm_loadu_si128((const __m128i *)(p + i + from)));
		w += 16 - from;
	}
#endif
	for (; i < len; i++) {
		if (needs_outer_escape(p[i]))
			*w++ = '\\';
		*w++ = p[i];
	}
	return w;
}

/* how many quotes and backslashes @p holds */
static gsize
count_outer_escapes(const gchar *p, gsize len)
{
	gsize i = 0, n = 0;

#ifdef PD_HAVE_SSE2
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i backslash = _mm_set1_epi8('\\');

	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		guint mask = (guint)_mm_movemask_epi8(
		  _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
		/* a bit or two a step: no popcnt instruction in the baseline ISA */
		for (; mask != 0; mask &= mask - 1)
			n++;
	}
#endif
	for (; i < len; i++)
		n += needs_outer_escape(p[i]);
	return n;
}

/* ---- message bodies ---- */

#define PD_BODY_ROUND 1024

typedef struct {
	gchar *text;
	gsize len;
	gsize cap;
} PdBody;

/* room for a message a sixteenth larger than @len: the estimate of a
 * message from the last one's size a sample */
static gsize
body_cap_for(gsize len)
{
	gsize want = len + len / 16 + 512;

	return (want + PD_BODY_ROUND - 1) / PD_BODY_ROUND * PD_BODY_ROUND;
}

/* room for @extra more bytes (and write_outer_escaped()'s 16 past them) */
static void
body_reserve(PdBody *body, gsize extra)
{
	gsize need = body->len + extra + 16;

	if (G_LIKELY(need <= body->cap))
		return;
	/* the estimate fell short: a quarter more than asked, so a message of
	 * many large samples grows a few times, not once a flush */
	body->cap = need + need / 4;
	body->text = g_realloc(body->text, body->cap);
}

/* the in-flight budget counts a body's size: its storage is exactly that
 * once the message is built (a shrinking realloc stays in place and frees
 * the tail; up to an eighth of the body plus 1 KB was left before, about
 * 8 % of the bodies alive at N=5000) */
static void
body_fit(PdBody *body)
{
	if (body->cap == body->len)
		return;
	body->cap = body->len;
	body->text = g_realloc(body->text, body->cap);
}

/* the outer json.dumps() of an ASCII-only inner text only has to escape
 * quotes and backslashes. The inner text is written a few samples at a time
 * into a scratch buffer and escaped from there into the body, so a
 * serializer keeps no message-sized buffer of its own (there is one per
 * pooled serializer: 14 x 64 KB at N=5000 when each kept a whole inner
 * message). */
static void
body_append_escaped(PdBody *body, GString *inner)
{
	gsize extra = inner->len + count_outer_escapes(inner->str, inner->len);
	gchar *end;

	/* slack for the 16 byte reads past the end */
	pd_buf_reserve(inner, 16);
	body_reserve(body, extra);
	end = write_outer_escaped(body->text + body->len, inner->str, inner->len);
	g_assert((gsize)(end - body->text) == body->len + extra);
	body->len += extra;
	g_string_truncate(inner, 0);
}

static void
body_append_raw(PdBody *body, const gchar *text, gsize len)
{
	body_reserve(body, len);
	memcpy(body->text + body->len, text, len);
	body->len += len;
}

/* a sample of a message: its metadata, when it is an overlay, goes to the
 * body already escaped (the inner text before it is escaped first), not
 * through the scratch buffer and the escaping pass */
static void
body_append_sample(PdSerializer *self, PdBody *body, const PdSample *sample)
{
	GString *in = self->scratch;
	PdSampleText text;
	gsize bound = pd_metadata_escaped_json_bound(sample->metadata);

	sample_text_init(self, sample, &text);
	write_sample_head(self, in, sample, &text);
	if (bound == 0) {
		pd_metadata_append_json(sample->metadata, in);
	} else {
		body_append_escaped(body, in);
		body_reserve(body, bound);
		body->len =
		  (gsize)(pd_metadata_escaped_json_write(sample->metadata, body->text + body->len) -
			  body->text);
	}
	write_sample_tail(in, &text);
}

static gboolean
sample_is_counter(const PdSample *sample)
{
	return sample->type == PD_SAMPLE_TYPE_CUMULATIVE || sample->type == PD_SAMPLE_TYPE_DELTA;
}

/* the envelope's head and the inner message up to the first sample */
static void
write_message_head(PdSerializer *self, PdBody *body, const gchar *message_id)
{
	static const gchar head[] = "{\"oslo.version\": \"2.0\", \"oslo.message\": \"";
	GString *in = self->scratch;

	body_append_raw(body, head, sizeof(head) - 1);
	append_lit(in, "{\"message_id\": \"");
	pd_buf_append(in, message_id, 36);
	append_lit(in,
		   "\", \"publisher_id\": \"ceilometer.polling\", "
		   "\"event_type\": \"telemetry.polling\", \"priority\": \"SAMPLE\", "
		   "\"payload\": {\"samples\": [");
}

/* the oslo.messaging notifier stamps the message, the rabbit driver adds
 * _unique_id (uuid4().hex) */
static void
write_message_tail(PdSerializer *self, PdBody *body)
{
	static const gchar tail[] = "\"}";
	GString *in = self->scratch;
	gchar unique_id[33], timestamp[27];

	pd_serializer_format_timestamp(g_get_real_time(), ' ', timestamp);
	write_uuid4(unique_id, FALSE);
	append_lit(in, "]}, \"timestamp\": \"");
	pd_buf_append(in, timestamp, 26);
	append_lit(in, "\", \"_unique_id\": \"");
	pd_buf_append(in, unique_id, 32);
	append_lit(in, "\"}");
	body_append_escaped(body, in);
	body_append_raw(body, tail, sizeof(tail) - 1);
}

PdMessage *
pd_serializer_build_message(PdSerializer *self, PdSample *const *samples, guint n_samples)
{
	g_autoptr(GBytes) bytes = NULL;
	gchar message_id[37];
	guint n_counters = 0;
	PdBody body = { NULL, 0, 0 };

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(samples != NULL || n_samples == 0, NULL);

	/* the last message's size a sample: samples of one batch are much
	 * alike */
	body.cap = body_cap_for((gsize)n_samples * self->body_per_sample);
	body.text = g_malloc(body.cap);
	pd_serializer_uuid_random(message_id);
	g_string_truncate(self->scratch, 0);
	write_message_head(self, &body, message_id);
	for (guint i = 0; i < n_samples; i++) {
		if (i > 0)
			append_lit(self->scratch, ", ");
		body_append_sample(self, &body, samples[i]);
		/* a few samples a flush: the escaping loop's set-up and tail are
		 * per call */
		if (self->scratch->len >= PD_SCRATCH_FLUSH)
			body_append_escaped(&body, self->scratch);
		n_counters += sample_is_counter(samples[i]);
	}
	write_message_tail(self, &body);
	if (n_samples > 0)
		self->body_per_sample = MAX(body.len / n_samples, 1);
	/* a one-off huge sample's buffers are not kept for the daemon's
	 * lifetime */
	if (self->scratch->allocated_len > 64 * 1024) {
		g_string_free(self->scratch, TRUE);
		self->scratch = g_string_sized_new(PD_SCRATCH_SIZE);
	}
	if (self->sig->allocated_len > 64 * 1024) {
		g_string_free(self->sig, TRUE);
		self->sig = g_string_sized_new(PD_SIG_SIZE);
	}
	body_fit(&body);
	bytes = g_bytes_new_take(body.text, body.len);
	return pd_message_new(bytes, message_id, n_samples, n_counters);
}

gsize
pd_serializer_get_buffer_bytes(PdSerializer *self)
{
	return self->scratch->allocated_len + self->sig->allocated_len;
}
