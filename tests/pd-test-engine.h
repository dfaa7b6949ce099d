/*
 * polld tests - the engine tests' fake plugin (pollsters, discoveries,
 * one in parts, one of many resources), a publisher keeping what it is
 * given, and the fixture around an engine
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-engine.h"
#include "pd-test-publisher.h"

/* what the fakes saw, shared with the worker threads */
typedef struct {
	GMutex mutex;
	GCond cond;
	GHashTable *polled;    /* "pollster/resource" -> count */
	gint discoveries;      /* calls of fake_disc */
	GHashTable *permanent; /* resource ids failing permanently */
	gboolean fail_all_permanently;
	gboolean hold; /* pollster "fake.slow" blocks while TRUE */
	gboolean slow_entered;
	guint samples_per_resource;
	GArray *a_polls;		      /* monotonic times fake.a was called */
	gulong slow_us;			      /* how long "fake.slow" takes when not held */
	guint published;		      /* messages the publisher got */
	gboolean published_while_discovering; /* fake_parts saw one before its end */
	GHashTable *accepted;		      /* ids of fake_parts the engine kept */
	gboolean accepted_after_poll;	      /* ... one of them polled already */
	guint first_part_done;		      /* done notifications of its first part */
	gboolean first_part_dispatched;	      /* ... that said dispatched */
	guint first_part_polled;	      /* polls of its first part by then */
	gboolean parts_wait_done;	      /* it waits for that, not a message */
	gboolean parts_wait_ran_out;	      /* ... and its bound ran out */
	GArray *many_calls;		      /* PdFakeCall, of the fake_many resources */
	gboolean with_none; /* the plugin adds "fake.none": neither poll nor poll_async */
} PdFakeState;

/* one invocation on fake_many's resources */
typedef struct {
	gchar pollster[16];
	guint len;
	gboolean last; /* it polled the last resource */
} PdFakeCall;

#define FAKE_MANY_N 1000
#define FAKE_MANY_LAST 999

extern PdFakeState fake;

typedef struct {
	gchar *dir;
	gchar *conf;
	PdEngine *engine;
	PdKeepPublisher *publisher;
	gboolean done;
	GError *error;
	guint cycles_finished;
	guint last_cycle_samples;
} PdFixture;

guint
pd_fake_polled(const gchar *pollster, const gchar *res);

GPtrArray *
pd_keep_publisher_samples(PdKeepPublisher *self);

void
pd_fixture_write(PdFixture *fx, const gchar *polling_yaml, const gchar *extra_conf);

/* the fake plugin, named "fake" */
PdPlugin *
pd_fake_plugin_new(void);

gboolean
pd_fixture_setup_engine(PdFixture *fx, GError **error);

void
pd_fixture_init(PdFixture *fx, gconstpointer data);

void
pd_fixture_fini(PdFixture *fx, gconstpointer data);

void
pd_fixture_polled_cb(GObject *source, GAsyncResult *res, gpointer user_data);

gboolean
pd_fixture_is_done(gpointer data);

void
pd_fixture_poll(PdFixture *fx);
