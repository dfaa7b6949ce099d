/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdSpool"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "pd-spool.h"

/*
 * Segment: 8 byte file magic, then records. Record: a 60 byte header
 * (magic, body length, samples, counters, topic, CRC32C, 36 byte message
 * id), then the body. All integers little endian. The CRC covers the other
 * header fields and the body, so a torn or garbled write never passes.
 */
#define PD_SPOOL_FILE_MAGIC "PDSPOOL\001"
#define PD_SPOOL_FILE_MAGIC_LEN 8
#define PD_SPOOL_RECORD_MAGIC 0x31524450u
#define PD_SPOOL_HEADER_LEN 60
#define PD_SPOOL_ID_LEN 36
#define PD_SPOOL_MAX_BODY (64u * 1024 * 1024)
#define PD_SPOOL_SEGMENT_MAX (8u * 1024 * 1024)
#define PD_SPOOL_SEGMENT_MIN (64u * 1024)

typedef struct {
	guint64 id;
	guint64 bytes;
	guint64 samples;   /* written and not yet released */
	guint outstanding; /* read or held, not yet released */
	gboolean read_done;
	guint n_records;  /* appended in this run */
	GHashTable *held; /* 1-based numbers of records the reader skips, or NULL */
} PdSpoolSegment;

typedef struct {
	guint32 body_len;
	guint32 n_samples;
	guint32 n_counters;
	guint32 topic;
	guint32 crc;
	gchar id[PD_SPOOL_ID_LEN + 1];
} PdSpoolHeader;

struct _PdSpool {
	gchar *dir;
	guint64 max_bytes;
	guint64 segment_max;
	GQueue segments; /* PdSpoolSegment, oldest first */
	guint64 next_id;
	/* writer */
	gint fd;
	PdSpoolSegment *wseg;
	gboolean dir_dirty;
	/* reader */
	PdSpoolSegment *rseg;
	GBytes *rdata;
	gsize roff;
	guint rindex; /* records of rseg read so far */
	/* totals */
	guint64 bytes;
	guint64 samples;
	guint64 damaged;
};

/* --- CRC32C (Castagnoli), table driven --- */

static guint32 pd_spool_crc_table[256];

static gpointer
pd_spool_crc_init(gpointer data)
{
	for (guint32 i = 0; i < 256; i++) {
		guint32 c = i;
		for (guint k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		pd_spool_crc_table[i] = c;
	}
	return NULL;
}

static guint32
pd_spool_crc(guint32 crc, const guint8 *buf, gsize len)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, pd_spool_crc_init, NULL);
	crc = ~crc;
	for (gsize i = 0; i < len; i++)
		crc = pd_spool_crc_table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* --- header encoding --- */

static void
pd_spool_put32(guint8 *p, guint32 v)
{
	v = GUINT32_TO_LE(v);
	memcpy(p, &v, 4);
}

static guint32
pd_spool_get32(const guint8 *p)
{
	guint32 v;
	memcpy(&v, p, 4);
	return GUINT32_FROM_LE(v);
}

/* the CRC covers the header fields after the CRC itself, then the body */
static guint32
pd_spool_record_crc(const guint8 *header, const guint8 *body, gsize body_len)
{
	guint32 crc = pd_spool_crc(0, header + 4, 16);
	crc = pd_spool_crc(crc, header + 24, PD_SPOOL_ID_LEN);
	return pd_spool_crc(crc, body, body_len);
}

static void
pd_spool_encode_header(guint8 *h, PdMessage *msg, guint topic, const guint8 *body, gsize len)
{
	pd_spool_put32(h, PD_SPOOL_RECORD_MAGIC);
	pd_spool_put32(h + 4, (guint32)len);
	pd_spool_put32(h + 8, msg->n_samples);
	pd_spool_put32(h + 12, msg->n_counters);
	pd_spool_put32(h + 16, topic);
	memset(h + 24, 0, PD_SPOOL_ID_LEN);
	memcpy(h + 24, msg->message_id, MIN(strlen(msg->message_id), PD_SPOOL_ID_LEN));
	pd_spool_put32(h + 20, pd_spool_record_crc(h, body, len));
}

/* FALSE when @h does not start a plausible record of at most @avail bytes */
static gboolean
pd_spool_decode_header(const guint8 *h, gsize avail, PdSpoolHeader *out)
{
	if (avail < PD_SPOOL_HEADER_LEN || pd_spool_get32(h) != PD_SPOOL_RECORD_MAGIC)
		return FALSE;
	out->body_len = pd_spool_get32(h + 4);
	out->n_samples = pd_spool_get32(h + 8);
	out->n_counters = pd_spool_get32(h + 12);
	out->topic = pd_spool_get32(h + 16);
	out->crc = pd_spool_get32(h + 20);
	memcpy(out->id, h + 24, PD_SPOOL_ID_LEN);
	out->id[PD_SPOOL_ID_LEN] = '\0';
	return out->body_len <= PD_SPOOL_MAX_BODY && out->body_len <= avail - PD_SPOOL_HEADER_LEN;
}

/* --- segments --- */

static gchar *
pd_spool_segment_path(PdSpool *self, guint64 id)
{
	g_autofree gchar *name = g_strdup_printf("%020" G_GUINT64_FORMAT ".seg", id);
	return g_build_filename(self->dir, name, NULL);
}

static void
pd_spool_close_writer(PdSpool *self)
{
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	self->wseg = NULL;
}

static void
pd_spool_segment_free(PdSpoolSegment *seg)
{
	g_clear_pointer(&seg->held, g_hash_table_unref);
	g_free(seg);
}

static void
pd_spool_delete_segment(PdSpool *self, PdSpoolSegment *seg)
{
	g_autofree gchar *path = pd_spool_segment_path(self, seg->id);

	if (seg == self->wseg)
		pd_spool_close_writer(self);
	if (g_unlink(path) != 0 && errno != ENOENT)
		g_warning("spool: cannot delete %s: %s", path, g_strerror(errno));
	self->bytes -= MIN(self->bytes, seg->bytes);
	self->samples -= MIN(self->samples, seg->samples);
	g_queue_remove(&self->segments, seg);
	pd_spool_segment_free(seg);
}

static PdSpoolSegment *
pd_spool_find_segment(PdSpool *self, guint64 id)
{
	for (GList *l = self->segments.head; l != NULL; l = l->next) {
		PdSpoolSegment *seg = l->data;
		if (seg->id == id)
			return seg;
	}
	return NULL;
}

/* counts the samples of an existing segment by hopping over the bodies; a
 * torn tail ends the count (the reader reports it when it gets there) */
static void
pd_spool_scan_segment(PdSpool *self, PdSpoolSegment *seg, const gchar *path)
{
	g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, NULL);
	const guint8 *data = NULL;
	gsize len = 0;
	gsize off = PD_SPOOL_FILE_MAGIC_LEN;
	PdSpoolHeader h;

	if (map == NULL)
		return;
	data = (const guint8 *)g_mapped_file_get_contents(map);
	len = g_mapped_file_get_length(map);
	seg->bytes = len;
	while (off < len && pd_spool_decode_header(data + off, len - off, &h)) {
		seg->samples += h.n_samples;
		off += PD_SPOOL_HEADER_LEN + h.body_len;
	}
}

static gint
pd_spool_segment_cmp(gconstpointer a, gconstpointer b, gpointer user_data)
{
	const PdSpoolSegment *sa = a;
	const PdSpoolSegment *sb = b;
	return sa->id < sb->id ? -1 : (sa->id > sb->id ? 1 : 0);
}

static gboolean
pd_spool_load_dir(PdSpool *self, GError **error)
{
	g_autoptr(GDir) dir = g_dir_open(self->dir, 0, error);
	const gchar *name;

	if (dir == NULL)
		return FALSE;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = NULL;
		PdSpoolSegment *seg;
		g_autofree gchar *digits = g_strndup(name, 20);
		guint64 id = 0;
		if (strlen(name) != 24 || !g_str_has_suffix(name, ".seg") ||
		    !g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT64, &id, NULL))
			continue;
		path = g_build_filename(self->dir, name, NULL);
		seg = g_new0(PdSpoolSegment, 1);
		seg->id = id;
		pd_spool_scan_segment(self, seg, path);
		self->bytes += seg->bytes;
		self->samples += seg->samples;
		self->next_id = MAX(self->next_id, id + 1);
		g_queue_insert_sorted(&self->segments, seg, pd_spool_segment_cmp, NULL);
	}
	return TRUE;
}

PdSpool *
pd_spool_open(const gchar *dir, guint64 max_bytes, GError **error)
{
	g_autoptr(PdSpool) self = g_new0(PdSpool, 1);

	self->dir = g_strdup(dir);
	self->max_bytes = max_bytes;
	self->segment_max = CLAMP(max_bytes / 8, PD_SPOOL_SEGMENT_MIN, PD_SPOOL_SEGMENT_MAX);
	self->fd = -1;
	self->next_id = 1;
	g_queue_init(&self->segments);
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		gint saved = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(saved),
			    "spool directory %s: %s",
			    dir,
			    g_strerror(saved));
		return NULL;
	}
	if (!pd_spool_load_dir(self, error))
		return NULL;
	if (self->samples > 0)
		g_message("spool %s: %" G_GUINT64_FORMAT " samples (%" G_GUINT64_FORMAT
			  " bytes) left from an earlier run, publishing them first",
			  dir,
			  self->samples,
			  self->bytes);
	return g_steal_pointer(&self);
}

void
pd_spool_free(PdSpool *self)
{
	if (self == NULL)
		return;
	pd_spool_close_writer(self);
	g_clear_pointer(&self->rdata, g_bytes_unref);
	g_queue_clear_full(&self->segments, (GDestroyNotify)pd_spool_segment_free);
	g_free(self->dir);
	g_free(self);
}

/* --- writing --- */

static gboolean
pd_spool_write_all(gint fd, const guint8 *buf, gsize len, GError **error)
{
	while (len > 0) {
		gssize n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			gint saved = errno;
			g_set_error(
			  error, G_IO_ERROR, g_io_error_from_errno(saved), "%s", g_strerror(saved));
			return FALSE;
		}
		buf += n;
		len -= (gsize)n;
	}
	return TRUE;
}

static gboolean
pd_spool_open_writer(PdSpool *self, GError **error)
{
	PdSpoolSegment *seg = g_new0(PdSpoolSegment, 1);
	g_autofree gchar *path = NULL;

	seg->id = self->next_id++;
	path = pd_spool_segment_path(self, seg->id);
	self->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (self->fd < 0) {
		gint saved = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(saved),
			    "%s: %s",
			    path,
			    g_strerror(saved));
		g_free(seg);
		return FALSE;
	}
	if (!pd_spool_write_all(
	      self->fd, (const guint8 *)PD_SPOOL_FILE_MAGIC, PD_SPOOL_FILE_MAGIC_LEN, error)) {
		/* a full disk: no empty segment stays behind to be taken for damage */
		close(self->fd);
		self->fd = -1;
		if (g_unlink(path) != 0 && errno != ENOENT)
			g_warning("spool: cannot delete %s: %s", path, g_strerror(errno));
		g_free(seg);
		return FALSE;
	}
	g_queue_push_tail(&self->segments, seg);
	self->wseg = seg;
	self->dir_dirty = TRUE;
	seg->bytes = PD_SPOOL_FILE_MAGIC_LEN;
	self->bytes += PD_SPOOL_FILE_MAGIC_LEN;
	return TRUE;
}

/* a record write failed part way (a full disk): cut the segment back to its
 * last whole record, so no torn tail is read as a crash later, and drop it
 * when it holds none */
static void
pd_spool_abandon_writer(PdSpool *self)
{
	PdSpoolSegment *seg = self->wseg;

	if (ftruncate(self->fd, (off_t)seg->bytes) != 0)
		g_debug("spool: cannot truncate segment %" G_GUINT64_FORMAT ": %s",
			seg->id,
			g_strerror(errno));
	pd_spool_close_writer(self);
	if (seg->n_records == 0 && seg->outstanding == 0)
		pd_spool_delete_segment(self, seg);
}

gboolean
pd_spool_fits(PdSpool *self, gsize body_len, gboolean gauges_only)
{
	guint64 limit = gauges_only ? self->max_bytes / 10 * 9 : self->max_bytes;
	return self->bytes + PD_SPOOL_HEADER_LEN + body_len <= limit;
}

gboolean
pd_spool_append(PdSpool *self, PdMessage *msg, guint topic, GError **error)
{
	gsize len = 0;
	const guint8 *body = g_bytes_get_data(msg->body, &len);
	guint8 header[PD_SPOOL_HEADER_LEN];

	if (self->wseg != NULL && self->wseg->bytes >= self->segment_max)
		pd_spool_close_writer(self);
	if (self->wseg == NULL && !pd_spool_open_writer(self, error)) {
		pd_spool_close_writer(self);
		return FALSE;
	}
	pd_spool_encode_header(header, msg, topic, body, len);
	if (!pd_spool_write_all(self->fd, header, sizeof header, error) ||
	    !pd_spool_write_all(self->fd, body, len, error)) {
		pd_spool_abandon_writer(self);
		return FALSE;
	}
	self->wseg->bytes += sizeof header + len;
	self->wseg->samples += msg->n_samples;
	self->wseg->n_records++;
	self->bytes += sizeof header + len;
	self->samples += msg->n_samples;
	return TRUE;
}

gboolean
pd_spool_append_held(PdSpool *self, PdMessage *msg, guint topic, guint64 *segment, GError **error)
{
	PdSpoolSegment *seg;

	if (!pd_spool_append(self, msg, topic, error))
		return FALSE;
	seg = self->wseg;
	if (seg->held == NULL)
		seg->held = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_hash_table_add(seg->held, GUINT_TO_POINTER(seg->n_records));
	seg->outstanding++;
	*segment = seg->id;
	return TRUE;
}

static void
pd_spool_sync_dir(PdSpool *self)
{
	gint fd = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	fsync(fd);
	close(fd);
	self->dir_dirty = FALSE;
}

gboolean
pd_spool_sync(PdSpool *self, GError **error)
{
	if (self->fd >= 0 && fdatasync(self->fd) != 0) {
		gint saved = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(saved),
			    "fdatasync: %s",
			    g_strerror(saved));
		return FALSE;
	}
	if (self->dir_dirty)
		pd_spool_sync_dir(self);
	return TRUE;
}

/* --- reading --- */

static void
pd_spool_finish_segment(PdSpool *self)
{
	PdSpoolSegment *seg = self->rseg;

	g_clear_pointer(&self->rdata, g_bytes_unref);
	self->rseg = NULL;
	self->roff = 0;
	self->rindex = 0;
	seg->read_done = TRUE;
	if (seg->outstanding == 0)
		pd_spool_delete_segment(self, seg);
}

static gboolean
pd_spool_load_segment(PdSpool *self)
{
	PdSpoolSegment *seg = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(GError) error = NULL;
	gchar *data = NULL;
	gsize len = 0;

	for (GList *l = self->segments.head; l != NULL && seg == NULL; l = l->next) {
		if (!((PdSpoolSegment *)l->data)->read_done)
			seg = l->data;
	}
	if (seg == NULL)
		return FALSE;
	/* the reader caught up with the writer: later records go to a new segment */
	if (seg == self->wseg)
		pd_spool_close_writer(self);
	path = pd_spool_segment_path(self, seg->id);
	if (!g_file_get_contents(path, &data, &len, &error)) {
		g_warning("spool: %s, skipping the segment", error->message);
		self->rseg = seg;
		pd_spool_finish_segment(self);
		return TRUE;
	}
	self->rseg = seg;
	self->rdata = g_bytes_new_take(data, len);
	self->roff = PD_SPOOL_FILE_MAGIC_LEN;
	if (len < PD_SPOOL_FILE_MAGIC_LEN ||
	    memcmp(data, PD_SPOOL_FILE_MAGIC, PD_SPOOL_FILE_MAGIC_LEN) != 0) {
		g_warning("spool: %s is not a spool segment, skipping it", path);
		self->damaged++;
		self->roff = len;
	}
	return TRUE;
}

/* NULL at the end of the segment or at a damaged record */
static PdMessage *
pd_spool_parse_next(PdSpool *self, guint *topic)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(self->rdata, &len);
	const guint8 *p = data + self->roff;
	g_autoptr(GBytes) body = NULL;
	PdSpoolHeader h;

	if (self->roff >= len)
		return NULL;
	if (!pd_spool_decode_header(p, len - self->roff, &h) ||
	    pd_spool_record_crc(p, p + PD_SPOOL_HEADER_LEN, h.body_len) != h.crc) {
		g_warning("spool: segment %" G_GUINT64_FORMAT
			  ": damaged record at offset %" G_GSIZE_FORMAT
			  " (a write cut short by a crash?), skipping the rest of the segment",
			  self->rseg->id,
			  self->roff);
		self->damaged++;
		return NULL;
	}
	body = g_bytes_new_from_bytes(self->rdata, self->roff + PD_SPOOL_HEADER_LEN, h.body_len);
	self->roff += PD_SPOOL_HEADER_LEN + h.body_len;
	*topic = h.topic;
	return pd_message_new(body, h.id, h.n_samples, h.n_counters);
}

PdMessage *
pd_spool_read(PdSpool *self, guint *topic, guint64 *segment)
{
	for (;;) {
		PdMessage *msg = NULL;
		if (self->rseg == NULL && !pd_spool_load_segment(self))
			return NULL;
		if (self->rdata != NULL)
			msg = pd_spool_parse_next(self, topic);
		if (msg != NULL) {
			self->rindex++;
			/* a held copy: sent from memory, settled by its owner */
			if (self->rseg->held != NULL &&
			    g_hash_table_contains(self->rseg->held,
						  GUINT_TO_POINTER(self->rindex))) {
				pd_message_unref(msg);
				continue;
			}
			self->rseg->outstanding++;
			*segment = self->rseg->id;
			return msg;
		}
		pd_spool_finish_segment(self);
	}
}

gboolean
pd_spool_has_unread(PdSpool *self)
{
	if (self->rseg != NULL)
		return TRUE;
	for (GList *l = self->segments.head; l != NULL; l = l->next) {
		PdSpoolSegment *seg = l->data;
		if (!seg->read_done && seg->bytes > PD_SPOOL_FILE_MAGIC_LEN)
			return TRUE;
	}
	return FALSE;
}

void
pd_spool_release(PdSpool *self, guint64 segment, guint n_samples)
{
	PdSpoolSegment *seg = pd_spool_find_segment(self, segment);

	if (seg == NULL || seg->outstanding == 0)
		return;
	seg->outstanding--;
	seg->samples -= MIN(seg->samples, n_samples);
	self->samples -= MIN(self->samples, n_samples);
	if (seg->read_done && seg->outstanding == 0)
		pd_spool_delete_segment(self, seg);
}

guint64
pd_spool_get_bytes(PdSpool *self)
{
	return self->bytes;
}

guint64
pd_spool_get_samples(PdSpool *self)
{
	return self->samples;
}

guint64
pd_spool_get_damaged(PdSpool *self)
{
	return self->damaged;
}

const gchar *
pd_spool_get_dir(PdSpool *self)
{
	return self->dir;
}
