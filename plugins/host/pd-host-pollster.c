/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-host"

#include "pd-host-pollster.h"

/* Ceilometer's _suffix_resource_id joins the host and an interface or device with a dot */
#define PD_HOST_RESOURCE_ID_SEPARATOR "-"

struct _PdHostPollster {
	PdPollster parent_instance;
	const PdHostMeter *meter;
	PdHostState *state;
};

G_DEFINE_TYPE(PdHostPollster, pd_host_pollster, PD_TYPE_POLLSTER)

/* as Ceilometer's make_sample_from_host: the entry's keys, resource_url, and
 * for interfaces and disks the resource_id its post_op put in "extra" */
static PdMetadata *
pd_host_pollster_build_metadata(const PdHostEntry *entry,
				const gchar *host,
				const gchar *resource_id)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	g_autofree gchar *url = g_strconcat("snmp://", host, NULL);

	if (entry->metadata != NULL)
		pd_metadata_builder_add_all(b, entry->metadata);
	pd_metadata_builder_add_string(b, "resource_url", url);
	if (entry->name != NULL)
		pd_metadata_builder_add_string(b, "resource_id", resource_id);
	return pd_metadata_builder_end(b);
}

static void
pd_host_pollster_add_sample(PdHostPollster *self,
			    PdPollContext *ctx,
			    const gchar *host,
			    const PdHostEntry *entry)
{
	g_autofree gchar *resource_id = NULL;
	g_autoptr(PdMetadata) metadata = NULL;
	const PdHostValue *value = &entry->values[self->meter->field];
	PdSample *sample;

	if (entry->name != NULL)
		resource_id = g_strconcat(host, PD_HOST_RESOURCE_ID_SEPARATOR, entry->name, NULL);
	else
		resource_id = g_strdup(host);
	metadata = pd_host_pollster_build_metadata(entry, host, resource_id);
	sample = pd_pollster_add_sample(PD_POLLSTER(self), ctx, resource_id, NULL, NULL, metadata);
	if (pd_host_reading_source_is_double(self->meter->source))
		pd_sample_set_double(sample, value->d);
	else
		pd_sample_set_int(sample, value->i);
}

static gboolean
pd_host_pollster_poll(PdPollster *pollster,
		      PdPollContext *ctx,
		      GPtrArray *resources,
		      GCancellable *cancellable,
		      GError **error)
{
	PdHostPollster *self = PD_HOST_POLLSTER(pollster);
	GPtrArray *reading;

	reading = pd_host_reading_get(
	  pd_poll_context_get_cache(ctx), self->meter->source, self->state, error);
	if (reading == NULL)
		return FALSE;
	/* every resource is the local node under some name; normally just one */
	for (guint i = 0; i < resources->len; i++) {
		const gchar *host = pd_resource_get_id(g_ptr_array_index(resources, i));
		for (guint j = 0; j < reading->len; j++)
			pd_host_pollster_add_sample(self, ctx, host, g_ptr_array_index(reading, j));
	}
	return TRUE;
}

static void
pd_host_pollster_finalize(GObject *obj)
{
	PdHostPollster *self = PD_HOST_POLLSTER(obj);
	g_clear_pointer(&self->state, pd_host_state_unref);
	G_OBJECT_CLASS(pd_host_pollster_parent_class)->finalize(obj);
}

static void
pd_host_pollster_init(PdHostPollster *self)
{
}

static void
pd_host_pollster_class_init(PdHostPollsterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_host_pollster_finalize;
	PD_POLLSTER_CLASS(klass)->poll = pd_host_pollster_poll;
}

PdPollster *
pd_host_pollster_new(const PdHostMeter *meter, PdHostState *state)
{
	PdHostPollster *self = g_object_new(PD_TYPE_HOST_POLLSTER,
					    "name",
					    meter->name,
					    "namespace",
					    "compute",
					    "default-discovery",
					    "local_node",
					    "unit",
					    meter->unit,
					    "sample-type",
					    (gint)meter->type,
					    NULL);
	self->meter = meter;
	self->state = pd_host_state_ref(state);
	return PD_POLLSTER(self);
}
