/*
 * polld openstack plugin - one invocation's walk over its projects, a few
 * at a time (the Swift and RadosGW pollsters ask one account per project)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

#include "pd-os-names.h"

G_BEGIN_DECLS

/* starts the requests of @project for @task; each ends, maybe before this
 * returns, with one pd_os_projects_done() */
typedef void (*PdOsProjectStart)(GTask *task, PdResource *project);

typedef struct {
	PdPollContext *ctx;
	GPtrArray *resources; /* the projects */
	PdOsProjectStart start;
	guint first; /* the batch's size when the invocation began */
	guint next;
	guint running;
	guint failed;
	gboolean pumping; /* a known answer completes inside the pump */
	GError *error;	  /* the first failure */
} PdOsProjects;

void
pd_os_projects_init(PdOsProjects *self,
		    PdPollContext *ctx,
		    GPtrArray *resources,
		    PdOsProjectStart start);
void
pd_os_projects_clear(PdOsProjects *self);
/* starts projects up to the parallel limit; with none left running,
 * fills names (if @names) and completes @task */
void
pd_os_projects_pump(PdOsProjects *self, GTask *task, PdOsNames *names);
/* @project is done: @error (consumed, may be NULL) counts as its failure,
 * and the walk goes on */
void
pd_os_projects_done(PdOsProjects *self,
		    GTask *task,
		    PdOsNames *names,
		    PdResource *project,
		    GError *error);

G_END_DECLS
