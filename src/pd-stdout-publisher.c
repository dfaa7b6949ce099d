/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdStdoutPublisher"

#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "pd-stdout-publisher.h"

struct _PdStdoutPublisher {
	PdPublisher parent_instance;
	gint fd;
	guint64 published;
	guint64 samples;
	guint64 failed;
};

G_DEFINE_TYPE(PdStdoutPublisher, pd_stdout_publisher, PD_TYPE_PUBLISHER)

static gboolean
pd_stdout_publisher_write_all(gint fd, const guint8 *buf, gsize len)
{
	while (len > 0) {
		gssize n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		buf += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* a line per message, written with one syscall so lines never interleave
 * and a reader sees whole messages; stdout is a pipe or a terminal here, so
 * the write is quick and this stays on the main thread */
static void
pd_stdout_publisher_publish(PdPublisher *publisher, PdMessage *msg)
{
	PdStdoutPublisher *self = PD_STDOUT_PUBLISHER(publisher);
	gsize len = 0;
	const guint8 *body = g_bytes_get_data(msg->body, &len);
	g_autofree guint8 *line = g_malloc(len + 1);

	memcpy(line, body, len);
	line[len] = '\n';
	if (!pd_stdout_publisher_write_all(self->fd, line, len + 1)) {
		self->failed += msg->n_samples;
		pd_publisher_set_state(publisher, "disconnected", g_strerror(errno));
		return;
	}
	self->published++;
	self->samples += msg->n_samples;
}

static gboolean
pd_stdout_publisher_start(PdPublisher *publisher, PdConfig *config, GError **error)
{
	pd_publisher_set_state(publisher, "connected", NULL);
	return TRUE;
}

static void
pd_stdout_publisher_add_statistics(PdPublisher *publisher, GVariantDict *dict)
{
	PdStdoutPublisher *self = PD_STDOUT_PUBLISHER(publisher);
	g_variant_dict_insert(dict, "messages_published", "t", self->published);
	g_variant_dict_insert(dict, "samples_published", "t", self->samples);
	g_variant_dict_insert(dict, "samples_confirmed", "t", self->samples);
	g_variant_dict_insert(dict, "samples_dropped_write_error", "t", self->failed);
	g_variant_dict_insert(dict, "samples_delivered", "t", self->samples);
	g_variant_dict_insert(dict, "samples_dropped", "t", self->failed);
}

static void
pd_stdout_publisher_init(PdStdoutPublisher *self)
{
}

static void
pd_stdout_publisher_class_init(PdStdoutPublisherClass *klass)
{
	PdPublisherClass *publisher_class = PD_PUBLISHER_CLASS(klass);
	publisher_class->start = pd_stdout_publisher_start;
	publisher_class->publish = pd_stdout_publisher_publish;
	publisher_class->add_statistics = pd_stdout_publisher_add_statistics;
}

PdPublisher *
pd_stdout_publisher_new(gint fd)
{
	PdStdoutPublisher *self = g_object_new(PD_TYPE_STDOUT_PUBLISHER, NULL);
	self->fd = fd;
	return PD_PUBLISHER(self);
}
