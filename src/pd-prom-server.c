/*
 * polld - the HTTP side of the Prometheus exporter
 *
 * One SoupServer listens on every configured address. A scrape is written
 * one meter family per chunk, each rendered when the previous one has been
 * written, so a scrape of 70,000 series never holds the whole text at once.
 * The Prometheus text format is the default; a scraper that accepts
 * application/openmetrics-text gets OpenMetrics 1.0.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPromServer"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "pd-error.h"
#include "pd-prom-server.h"

struct _PdPromServer {
	GObject parent_instance;
	PdPromStore *store;
	PdPromCollectFunc collect;
	gpointer collect_data;
	SoupServer *server;
	guint64 scrapes;
};

G_DEFINE_TYPE(PdPromServer, pd_prom_server, G_TYPE_OBJECT)

typedef struct {
	PdPromServer *server; /* a ref */
	PdPromFormat format;
	gchar *after; /* the last family written */
	GString *buf; /* the chunk being written, reused for the next */
	gboolean done;
} PdScrape;

static void
pd_scrape_free(gpointer p)
{
	PdScrape *scrape = p;

	g_object_unref(scrape->server);
	g_string_free(scrape->buf, TRUE);
	g_free(scrape->after);
	g_free(scrape);
}

/* a chunk is only rendered once the previous one has been written, so one
 * buffer serves the whole scrape without a fresh allocation per family */
static void
append_chunk(SoupServerMessage *msg, GString *text)
{
	soup_message_body_append(
	  soup_server_message_get_response_body(msg), SOUP_MEMORY_STATIC, text->str, text->len);
}

/* writes the next family, or the agent's own metrics and the end */
static void
scrape_write_next(SoupServerMessage *msg, PdScrape *scrape)
{
	PdPromServer *self = scrape->server;
	GString *text = scrape->buf;
	gchar *meter;

	if (scrape->done)
		return;
	g_string_truncate(text, 0);
	meter = pd_prom_store_render_next(self->store, scrape->after, scrape->format, text);
	if (meter != NULL) {
		g_free(scrape->after);
		scrape->after = meter;
		append_chunk(msg, text);
		return;
	}
	if (self->collect != NULL)
		self->collect(text, scrape->format, self->collect_data);
	if (scrape->format == PD_PROM_FORMAT_OPENMETRICS)
		g_string_append(text, "# EOF\n");
	scrape->done = TRUE;
	if (text->len > 0)
		append_chunk(msg, text);
	soup_message_body_complete(soup_server_message_get_response_body(msg));
}

static void
wrote_chunk_cb(SoupServerMessage *msg, gpointer user_data)
{
	scrape_write_next(msg, user_data);
}

static PdPromFormat
negotiate(SoupServerMessage *msg)
{
	const gchar *accept =
	  soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Accept");

	if (accept != NULL && strstr(accept, "application/openmetrics-text") != NULL)
		return PD_PROM_FORMAT_OPENMETRICS;
	return PD_PROM_FORMAT_TEXT;
}

static void
metrics_cb(SoupServer *server,
	   SoupServerMessage *msg,
	   const char *path,
	   GHashTable *query,
	   gpointer user_data)
{
	PdPromServer *self = user_data;
	SoupMessageHeaders *hdrs = soup_server_message_get_response_headers(msg);
	const gchar *method = soup_server_message_get_method(msg);
	PdScrape *scrape;

	if (strcmp(path, "/metrics") != 0) {
		soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
		return;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		soup_message_headers_append(hdrs, "Allow", "GET, HEAD");
		return;
	}
	self->scrapes++;
	scrape = g_new0(PdScrape, 1);
	scrape->server = g_object_ref(self);
	scrape->format = negotiate(msg);
	scrape->buf = g_string_sized_new(64 * 1024);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_set_content_type(
	  hdrs,
	  scrape->format == PD_PROM_FORMAT_OPENMETRICS
	    ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
	    : "text/plain; version=0.0.4; charset=utf-8",
	  NULL);
	soup_message_headers_set_encoding(hdrs, SOUP_ENCODING_CHUNKED);
	/* written chunks are freed at once, not kept for the whole scrape */
	soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
	g_signal_connect(msg, "wrote-chunk", G_CALLBACK(wrote_chunk_cb), scrape);
	g_object_set_data_full(G_OBJECT(msg), "pd-scrape", scrape, pd_scrape_free);
	scrape_write_next(msg, scrape);
}

static void
pd_prom_server_dispose(GObject *object)
{
	PdPromServer *self = PD_PROM_SERVER(object);

	pd_prom_server_stop(self);
	G_OBJECT_CLASS(pd_prom_server_parent_class)->dispose(object);
}

static void
pd_prom_server_class_init(PdPromServerClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = pd_prom_server_dispose;
}

static void
pd_prom_server_init(PdPromServer *self)
{
}

PdPromServer *
pd_prom_server_new(PdPromStore *store, PdPromCollectFunc collect, gpointer collect_data)
{
	PdPromServer *self = g_object_new(PD_TYPE_PROM_SERVER, NULL);

	self->store = store;
	self->collect = collect;
	self->collect_data = collect_data;
	return self;
}

static gboolean
setup_tls(SoupServer *server, const gchar *cert_file, const gchar *key_file, GError **error)
{
	g_autoptr(GTlsCertificate) cert = NULL;
	g_autoptr(GError) local = NULL;

	cert = g_tls_certificate_new_from_files(cert_file, key_file, &local);
	if (cert == NULL) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_INVALID_CONFIG,
			    "prometheus TLS certificate %s / key %s: %s",
			    cert_file,
			    key_file,
			    local->message);
		return FALSE;
	}
	soup_server_set_tls_certificate(server, cert);
	return TRUE;
}

gboolean
pd_prom_server_listen(PdPromServer *self,
		      const gchar *const *addresses,
		      const gchar *cert_file,
		      const gchar *key_file,
		      GError **error)
{
	gboolean tls = cert_file != NULL || key_file != NULL;

	g_return_val_if_fail(self->server == NULL, FALSE);
	if (tls && (cert_file == NULL || key_file == NULL)) {
		g_set_error_literal(
		  error,
		  PD_ERROR,
		  PD_ERROR_INVALID_CONFIG,
		  "[polling] prometheus_tls_enable needs both prometheus_tls_certfile "
		  "and prometheus_tls_keyfile");
		return FALSE;
	}
	self->server = soup_server_new("server-header", "polld/" PACKAGE_VERSION, NULL);
	if (tls && !setup_tls(self->server, cert_file, key_file, error))
		return FALSE;
	soup_server_add_handler(self->server, NULL, metrics_cb, self, NULL);
	for (guint i = 0; addresses != NULL && addresses[i] != NULL; i++) {
		g_autoptr(GSocketAddress) addr = pd_prom_server_parse_address(addresses[i], error);
		g_autoptr(GError) local = NULL;
		if (addr == NULL)
			return FALSE;
		if (!soup_server_listen(
		      self->server, addr, tls ? SOUP_SERVER_LISTEN_HTTPS : 0, &local)) {
			g_set_error(error,
				    PD_ERROR,
				    PD_ERROR_FAILED,
				    "prometheus exporter can't listen on %s: %s",
				    addresses[i],
				    local->message);
			return FALSE;
		}
	}
	return TRUE;
}

GSList *
pd_prom_server_get_uris(PdPromServer *self)
{
	return self->server != NULL ? soup_server_get_uris(self->server) : NULL;
}

void
pd_prom_server_stop(PdPromServer *self)
{
	if (self->server == NULL)
		return;
	soup_server_disconnect(self->server);
	g_clear_object(&self->server);
}

guint64
pd_prom_server_get_scrapes(PdPromServer *self)
{
	return self->scrapes;
}
