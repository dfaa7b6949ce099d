/*
 * polld dynamic pollsters - one definition's pollster: for each resource,
 * fetch the pages one after the other, decode each with the response
 * handlers and turn its entries into samples
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-dynamic"

#include "pd-dyn-enrich.h"
#include "pd-dyn-extract.h"
#include "pd-dyn-pollster.h"

struct _PdDynPollster {
	PdPollster parent_instance;
	PdDynDef *def;
	PdDynFetcher *fetcher;
	PdDynCache *cache; /* extra_metadata_fields answers */
};

G_DEFINE_TYPE(PdDynPollster, pd_dyn_pollster, PD_TYPE_POLLSTER)

typedef struct {
	PdDynPollster *self;
	PdPollContext *ctx;
	GPtrArray *resources;
	guint next_resource;
	guint pages;
	gchar *base;   /* the resource's endpoint */
	gchar *target; /* the page being fetched */
	guint failed;
	gchar *first_error;
	GPtrArray *pending; /* PdDynPending of the page, enriched one by one */
	guint next_pending;
	gboolean enriched; /* the pending sample next_pending is */
	gchar *next_page;
} PdDynRun;

static void
pd_dyn_run_free(PdDynRun *run)
{
	g_ptr_array_unref(run->pending);
	g_free(run->next_page);
	g_ptr_array_unref(run->resources);
	g_free(run->base);
	g_free(run->target);
	g_free(run->first_error);
	g_free(run);
}

static void
pd_dyn_pollster_next_resource(GTask *task);

static void
pd_dyn_run_note(PdDynRun *run, const gchar *what, const GError *error)
{
	g_debug("%s: %s: %s", run->self->def->name, what, error->message);
	if (run->failed++ == 0)
		run->first_error = g_strdup(error->message);
}

/* the samples of one page, waiting for their enrichment */
static void
pd_dyn_pollster_page(PdDynRun *run, JsonNode *response)
{
	PdDynDef *def = run->self->def;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonArray) entries = pd_dyn_extract_entries(def, response, &error);

	g_ptr_array_set_size(run->pending, 0);
	run->next_pending = 0;
	run->enriched = FALSE;
	if (entries == NULL) {
		pd_dyn_run_note(run, run->target, error);
		return;
	}
	for (guint i = 0; i < json_array_get_length(entries); i++) {
		g_autoptr(GError) local = NULL;
		if (!pd_dyn_extract_pending(
		      def, json_array_get_element(entries, i), run->pending, &local))
			pd_dyn_run_note(run, "entry skipped", local);
	}
}

static void
pd_dyn_pollster_fetched_cb(GObject *source, GAsyncResult *res, gpointer user_data);

/* after a page's samples: its next page, or the next resource */
static void
pd_dyn_pollster_after_page(GTask *task)
{
	PdDynRun *run = g_task_get_task_data(task);
	PdDynDef *def = run->self->def;
	g_autofree gchar *next = g_steal_pointer(&run->next_page);
	g_autofree gchar *target = NULL;

	if (next == NULL || ++run->pages >= PD_DYN_MAX_PAGES) {
		pd_dyn_pollster_next_resource(task);
		return;
	}
	target = pd_dyn_fetcher_target(def, run->base, next);
	/* a page that links to itself ends the paging */
	if (g_strcmp0(target, run->target) == 0) {
		pd_dyn_pollster_next_resource(task);
		return;
	}
	g_free(run->target);
	run->target = g_steal_pointer(&target);
	pd_dyn_fetcher_fetch_async(run->self->fetcher,
				   def,
				   run->target,
				   g_task_get_cancellable(task),
				   pd_dyn_pollster_fetched_cb,
				   task);
}

static void
pd_dyn_pollster_drain(GTask *task);

static void
pd_dyn_pollster_enriched_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdDynRun *run = g_task_get_task_data(task);

	pd_dyn_enrich_finish(res);
	run->enriched = TRUE;
	pd_dyn_pollster_drain(task);
}

/* emits the page's samples, enriching each first when the definition has
 * extra_metadata_fields */
static void
pd_dyn_pollster_drain(GTask *task)
{
	PdDynRun *run = g_task_get_task_data(task);
	PdDynDef *def = run->self->def;

	while (run->next_pending < run->pending->len) {
		PdDynPending *p = g_ptr_array_index(run->pending, run->next_pending);
		g_autoptr(GError) error = NULL;
		if (def->extra->len > 0 && !run->enriched) {
			pd_dyn_enrich_async(run->self->fetcher,
					    run->self->cache,
					    def,
					    p,
					    g_task_get_cancellable(task),
					    pd_dyn_pollster_enriched_cb,
					    task);
			return;
		}
		run->next_pending++;
		run->enriched = FALSE;
		if (!pd_dyn_extract_pending_emit(def, p, run->ctx, &error))
			pd_dyn_run_note(run, "entry skipped", error);
	}
	pd_dyn_pollster_after_page(task);
}

static void
pd_dyn_pollster_fetched_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	PdDynRun *run = g_task_get_task_data(task);
	PdDynDef *def = run->self->def;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = pd_dyn_fetcher_fetch_finish(res, &error);
	g_autoptr(JsonNode) response = NULL;
	gsize len = 0;
	const gchar *data;

	if (body == NULL) {
		pd_dyn_run_note(run, "request failed", error);
		pd_dyn_pollster_next_resource(task);
		return;
	}
	data = g_bytes_get_data(body, &len);
	response = pd_dyn_response_parse(def->handlers, data != NULL ? data : "", len, &error);
	if (response == NULL) {
		pd_dyn_run_note(run, run->target, error);
		pd_dyn_pollster_next_resource(task);
		return;
	}
	pd_dyn_pollster_page(run, response);
	g_free(run->next_page);
	run->next_page = pd_dyn_extract_next(def, response);
	pd_dyn_pollster_drain(task);
}

static void
pd_dyn_pollster_next_resource(GTask *task)
{
	PdDynRun *run = g_task_get_task_data(task);
	PdDynDef *def = run->self->def;
	PdResource *res;

	if (run->next_resource >= run->resources->len ||
	    g_cancellable_is_cancelled(g_task_get_cancellable(task))) {
		if (run->failed > 0)
			g_task_return_new_error(task,
						PD_ERROR,
						PD_ERROR_FAILED,
						"%u failures, first: %s",
						run->failed,
						run->first_error);
		else
			g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	res = g_ptr_array_index(run->resources, run->next_resource++);
	run->pages = 0;
	g_free(run->base);
	run->base = g_strdup(pd_resource_get_id(res));
	g_free(run->target);
	run->target = pd_dyn_fetcher_target(
	  def, run->base, def->kind == PD_DYN_KIND_COMMAND ? def->host_command : def->url_path);
	pd_dyn_fetcher_fetch_async(run->self->fetcher,
				   def,
				   run->target,
				   g_task_get_cancellable(task),
				   pd_dyn_pollster_fetched_cb,
				   task);
}

static void
pd_dyn_pollster_poll_async(PdPollster *pollster,
			   PdPollContext *ctx,
			   GPtrArray *resources,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	PdDynPollster *self = PD_DYN_POLLSTER(pollster);
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	PdDynRun *run = g_new0(PdDynRun, 1);

	run->self = self;
	run->ctx = ctx;
	run->resources = g_ptr_array_ref(resources);
	run->pending = g_ptr_array_new_with_free_func((GDestroyNotify)pd_dyn_extract_pending_free);
	g_task_set_task_data(task, run, (GDestroyNotify)pd_dyn_run_free);
	if (self->fetcher == NULL) {
		g_task_return_new_error(task,
					PD_ERROR,
					PD_ERROR_NOT_READY,
					"%s: the dynamic plugin is not started",
					self->def->name);
		g_object_unref(task);
		return;
	}
	pd_dyn_pollster_next_resource(task);
}

static gboolean
pd_dyn_pollster_poll_finish(PdPollster *pollster, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

PdPollster *
pd_dyn_pollster_new(PdDynDef *def, const gchar *namespace)
{
	g_autofree gchar *discovery = pd_dyn_def_get_default_discovery(def);
	PdDynPollster *self = g_object_new(PD_TYPE_DYN_POLLSTER,
					   "name",
					   def->name,
					   "namespace",
					   namespace,
					   "default-discovery",
					   discovery,
					   "unit",
					   def->unit,
					   "sample-type",
					   def->sample_type,
					   NULL);
	self->def = pd_dyn_def_ref(def);
	return PD_POLLSTER(self);
}

PdDynDef *
pd_dyn_pollster_get_def(PdDynPollster *self)
{
	return self->def;
}

void
pd_dyn_pollster_set_fetcher(PdDynPollster *self, PdDynFetcher *fetcher)
{
	g_clear_pointer(&self->fetcher, pd_dyn_fetcher_unref);
	self->fetcher = fetcher != NULL ? pd_dyn_fetcher_ref(fetcher) : NULL;
}

static void
pd_dyn_pollster_finalize(GObject *obj)
{
	PdDynPollster *self = PD_DYN_POLLSTER(obj);

	g_clear_pointer(&self->fetcher, pd_dyn_fetcher_unref);
	g_clear_pointer(&self->def, pd_dyn_def_unref);
	g_clear_pointer(&self->cache, pd_dyn_enrich_cache_free);
	G_OBJECT_CLASS(pd_dyn_pollster_parent_class)->finalize(obj);
}

static void
pd_dyn_pollster_init(PdDynPollster *self)
{
	self->cache = pd_dyn_enrich_cache_new();
}

static void
pd_dyn_pollster_class_init(PdDynPollsterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_dyn_pollster_finalize;
	PD_POLLSTER_CLASS(klass)->poll_async = pd_dyn_pollster_poll_async;
	PD_POLLSTER_CLASS(klass)->poll_finish = pd_dyn_pollster_poll_finish;
}
