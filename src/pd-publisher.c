/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPublisher"

#include "config.h"

#include "pd-log.h"
#include "pd-publisher.h"
#include "pd-state.h"

typedef struct {
	PdState state;
} PdPublisherPrivate;

G_DEFINE_TYPE_WITH_PRIVATE(PdPublisher, pd_publisher, G_TYPE_OBJECT)
#define GET_PRIVATE(o) ((PdPublisherPrivate *)pd_publisher_get_instance_private(o))

enum { PROP_0, PROP_STATE, PROP_LAST };
static GParamSpec *props[PROP_LAST] = { NULL };

const gchar *
pd_publisher_get_state(PdPublisher *self)
{
	g_return_val_if_fail(PD_IS_PUBLISHER(self), NULL);
	return GET_PRIVATE(self)->state.state;
}

const gchar *
pd_publisher_get_last_error(PdPublisher *self)
{
	g_return_val_if_fail(PD_IS_PUBLISHER(self), NULL);
	return GET_PRIVATE(self)->state.last_error;
}

/* retries toggle connecting/disconnected: logged are the first state,
 * and connected and its loss */
static void
pd_publisher_log_state(const gchar *old, const gchar *state, const gchar *last_error)
{
	gboolean failed = last_error != NULL && g_strcmp0(state, "connected") != 0;

	if (g_strcmp0(old, state) == 0 ||
	    (old != NULL && g_strcmp0(state, "connected") != 0 && g_strcmp0(old, "connected") != 0))
		return;
	g_log_structured(G_LOG_DOMAIN,
			 G_LOG_LEVEL_MESSAGE,
			 "MESSAGE_ID",
			 PD_LOG_MSGID_PUBLISHER,
			 "MESSAGE",
			 "publisher %s%s%s",
			 state,
			 failed ? ": " : "",
			 failed ? last_error : "");
}

void
pd_publisher_set_state(PdPublisher *self, const gchar *state, const gchar *last_error)
{
	PdPublisherPrivate *priv = GET_PRIVATE(self);

	g_return_if_fail(PD_IS_PUBLISHER(self));
	/* "connecting" again keeps the reason of the last failure; a connection
	 * (after a broker restart, on another host) ends it */
	if (last_error == NULL && g_strcmp0(state, "connected") != 0)
		last_error = priv->state.last_error;
	pd_publisher_log_state(priv->state.state, state, last_error);
	if (pd_state_set(&priv->state, state, last_error))
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

gboolean
pd_publisher_start(PdPublisher *self, PdConfig *config, GError **error)
{
	PdPublisherClass *klass = PD_PUBLISHER_GET_CLASS(self);
	if (klass->start == NULL)
		return TRUE;
	return klass->start(self, config, error);
}

void
pd_publisher_publish(PdPublisher *self, PdMessage *msg)
{
	PD_PUBLISHER_GET_CLASS(self)->publish(self, msg);
}

gboolean
pd_publisher_take_budget(PdPublisher *self, PdInflight *budget)
{
	PdPublisherClass *klass = PD_PUBLISHER_GET_CLASS(self);

	return klass->take_budget != NULL && klass->take_budget(self, budget);
}

static void
pd_publisher_real_flush_async(PdPublisher *self,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_task_return_boolean(task, TRUE);
}

static gboolean
pd_publisher_real_flush_finish(PdPublisher *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
pd_publisher_flush_async(PdPublisher *self,
			 GCancellable *cancellable,
			 GAsyncReadyCallback callback,
			 gpointer user_data)
{
	PD_PUBLISHER_GET_CLASS(self)->flush_async(self, cancellable, callback, user_data);
}

gboolean
pd_publisher_flush_finish(PdPublisher *self, GAsyncResult *res, GError **error)
{
	return PD_PUBLISHER_GET_CLASS(self)->flush_finish(self, res, error);
}

void
pd_publisher_stop(PdPublisher *self)
{
	PdPublisherClass *klass = PD_PUBLISHER_GET_CLASS(self);
	if (klass->stop != NULL)
		klass->stop(self);
}

void
pd_publisher_add_statistics(PdPublisher *self, GVariantDict *dict)
{
	PdPublisherClass *klass = PD_PUBLISHER_GET_CLASS(self);
	if (klass->add_statistics != NULL)
		klass->add_statistics(self, dict);
}

static void
pd_publisher_get_property(GObject *obj, guint prop_id, GValue *value, GParamSpec *pspec)
{
	switch (prop_id) {
		case PROP_STATE:
			g_value_set_string(value, GET_PRIVATE(PD_PUBLISHER(obj))->state.state);
			break;
		default:
			G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, prop_id, pspec);
	}
}

static void
pd_publisher_finalize(GObject *obj)
{
	pd_state_clear(&GET_PRIVATE(PD_PUBLISHER(obj))->state);
	G_OBJECT_CLASS(pd_publisher_parent_class)->finalize(obj);
}

static void
pd_publisher_init(PdPublisher *self)
{
	pd_state_set(&GET_PRIVATE(self)->state, "disconnected", NULL);
}

static void
pd_publisher_class_init(PdPublisherClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = pd_publisher_get_property;
	object_class->finalize = pd_publisher_finalize;
	klass->flush_async = pd_publisher_real_flush_async;
	klass->flush_finish = pd_publisher_real_flush_finish;
	props[PROP_STATE] = g_param_spec_string(
	  "state", NULL, NULL, "disconnected", G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, props);
}
