/*
 * polld - workload partitioning: group membership in etcd, the share of
 * resources this agent polls
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "pd-config.h"
#include "pd-engine.h"

G_BEGIN_DECLS

#define PD_TYPE_COORDINATION (pd_coordination_get_type())
G_DECLARE_FINAL_TYPE(PdCoordination, pd_coordination, PD, COORDINATION, GObject)

typedef enum {
	PD_COORDINATION_DISABLED, /* no backend_url: every agent polls everything */
	PD_COORDINATION_JOINING,  /* no valid lease yet: polls nothing of shared groups */
	PD_COORDINATION_MEMBER,	  /* lease kept alive, membership watched */
	PD_COORDINATION_STALE,	  /* etcd unreachable: polls the last known share */
} PdCoordinationState;

/* reads [coordination] and registers its keys; fails (naming the file)
 * for a backend other than etcd or a malformed URL */
PdCoordination *
pd_coordination_new(PdConfig *config, GError **error);
gboolean
pd_coordination_is_enabled(PdCoordination *self);
/* hooks into @engine's resource filter and computes the groups from its
 * polling config (again on every reload) */
void
pd_coordination_attach(PdCoordination *self, PdEngine *engine);
/* joins; @ready runs once the first attempt is done (joined or failed), so
 * the first cycle already polls a share */
void
pd_coordination_start(PdCoordination *self, GCallback ready, gpointer user_data);
/* revokes the lease so the others take over at once; @done runs when etcd
 * answered (or at once if there is nothing to revoke) */
void
pd_coordination_stop(PdCoordination *self, GCallback done, gpointer user_data);

PdCoordinationState
pd_coordination_get_state(PdCoordination *self);
/* "disabled", "joining", "member", "stale" */
const gchar *
pd_coordination_state_to_string(PdCoordinationState state);
const gchar *
pd_coordination_get_member_id(PdCoordination *self);
/* a{sv}: state, backend (password redacted), member_id, groups aa{sv}... */
GVariant *
pd_coordination_get_partitions(PdCoordination *self);

/* the per-install part of the member id, kept in @state_dir (created with
 * a random value the first time) */
gchar *
pd_coordination_load_install_id(const gchar *state_dir, GError **error);

G_END_DECLS
