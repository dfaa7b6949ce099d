/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include "pd-os-pollster.h"
#include "pd-os-projects.h"

/* projects asked at once by one invocation; an answer is shared by the
 * pollsters of one task cycle (pd-os-swift-fetch.c) */
#define PD_OS_PROJECTS_PARALLEL 8

void
pd_os_projects_init(PdOsProjects *self,
		    PdPollContext *ctx,
		    GPtrArray *resources,
		    PdOsProjectStart start)
{
	*self = (PdOsProjects){ 0 };
	self->ctx = ctx;
	self->resources = g_ptr_array_ref(resources);
	self->start = start;
	self->first = pd_sample_batch_get_size(pd_poll_context_get_batch(ctx));
}

void
pd_os_projects_clear(PdOsProjects *self)
{
	g_clear_pointer(&self->resources, g_ptr_array_unref);
	g_clear_error(&self->error);
}

void
pd_os_projects_pump(PdOsProjects *self, GTask *task, PdOsNames *names)
{
	GError *error;

	self->pumping = TRUE;
	while (self->running < PD_OS_PROJECTS_PARALLEL && self->next < self->resources->len) {
		self->running++;
		self->start(task, g_ptr_array_index(self->resources, self->next++));
	}
	self->pumping = FALSE;
	if (self->running > 0)
		return;
	error = g_steal_pointer(&self->error);
	if (error != NULL && self->failed > 1)
		g_prefix_error(&error, "%u projects failed, first: ", self->failed);
	pd_os_pollster_finish_task(task, names, self->ctx, self->first, error);
}

void
pd_os_projects_done(PdOsProjects *self,
		    GTask *task,
		    PdOsNames *names,
		    PdResource *project,
		    GError *error)
{
	if (error != NULL && self->failed++ == 0)
		self->error = g_error_new(PD_ERROR,
					  PD_ERROR_FAILED,
					  "project %s: %s",
					  pd_resource_get_id(project),
					  error->message);
	g_clear_error(&error);
	self->running--;
	if (!self->pumping)
		pd_os_projects_pump(self, task, names);
}
