/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <signal.h>

#include <libvirt/virterror.h>

#include "pd-compute-connection.h"
#include "pd-compute-domain.h"
#include "pd-compute-events.h"

#define PD_COMPUTE_BACKOFF_MIN_US (1 * G_USEC_PER_SEC)
#define PD_COMPUTE_BACKOFF_MAX_US (60 * G_USEC_PER_SEC)

/* what libvirt's callbacks for one connection (its close, its domain events)
 * share with us: they run on the main loop, and take no lock of ours */
typedef struct {
	GWeakRef plugin; /* the plugin may go while a callback still runs */
	gchar *uri;
	gint fired; /* atomic: the close was reported already */
	GMutex lock;
	GHashTable *changed; /* raw UUIDs of domains with an event since the last take */
	gboolean overflow;   /* too many to keep: everything counts as changed */
	gboolean events;     /* domain events are delivered (set before any arrives) */
} PdComputeWatch;

/* past this many changed domains between two discoveries, all are re-read */
#define PD_COMPUTE_CHANGED_MAX 65536

struct _PdComputeConnection {
	GObject parent_instance;
	/* not a reference, the plugin owns us; weak because work in a thread
	 * (an open in the background) can outlive the plugin at exit */
	GWeakRef plugin;
	GMutex mutex;
	gchar *uri;
	virConnectPtr conn;
	gboolean injected;   /* set by a test, never reopened */
	gint64 retry_at;     /* monotonic µs before which no new attempt is made */
	gint64 backoff;	     /* next back-off step */
	gint64 backoff_max;  /* the step stops doubling here */
	gchar *last_failure; /* why the last attempt failed, reused during back-off */
	gboolean was_connected;
	gboolean domain_events;	 /* subscribe to domain events on new connections */
	gint keepalive_interval; /* seconds, 0: no keepalive */
	guint keepalive_count;
	gboolean remote;	  /* through libvirt's RPC client: keepalive, close callback */
	PdComputeWatch *watch;	  /* a reference, for the current connection */
	guint64 serial;		  /* connections opened so far */
	guint64 bulk_useless;	  /* serial of a connection whose bulk answers lack every group */
	gint64 bulk_retry_at;	  /* monotonic µs when the bulk call is tried again on it */
	GHashTable *test_changed; /* tests: the next changes taken on an injected connection */
};

/* a driver that answers the bulk statistics call without the groups asked
 * (libvirt's test driver: the state only) is asked again after this long */
#define PD_COMPUTE_BULK_RETRY_US (600 * G_USEC_PER_SEC)

G_DEFINE_TYPE(PdComputeConnection, pd_compute_connection, G_TYPE_OBJECT)

/* libvirt prints every error to stderr unless told otherwise */
static void
pd_compute_quiet_error_cb(void *user_data, virErrorPtr err)
{
}

void
pd_compute_set_virt_error(GError **error, const gchar *what)
{
	virErrorPtr err = virGetLastError();
	gint code = PD_ERROR_FAILED;

	if (err != NULL && err->code == VIR_ERR_NO_SUPPORT)
		code = PD_ERROR_NOT_SUPPORTED;
	g_set_error(error,
		    PD_ERROR,
		    code,
		    "%s: %s",
		    what,
		    err != NULL && err->message != NULL ? err->message : "unknown libvirt error");
}

gint
pd_compute_last_error_code(void)
{
	virErrorPtr err = virGetLastError();
	return err != NULL ? err->code : 0;
}

guint
pd_compute_connection_match_records(virDomainPtr *asked,
				    guint n,
				    virDomainStatsRecordPtr *records,
				    gint *index)
{
	guint next = 0, unmatched = 0;

	for (guint r = 0; records[r] != NULL; r++) {
		const gchar *name = virDomainGetName(records[r]->dom);
		index[r] = -1;
		for (guint i = next; name != NULL && i < n; i++) {
			if (g_strcmp0(name, virDomainGetName(asked[i])) == 0) {
				index[r] = (gint)i;
				next = i + 1;
				break;
			}
		}
		unmatched += index[r] < 0;
	}
	return unmatched;
}

gchar *
pd_compute_connection_uri_from_config(PdConfig *config)
{
	const gchar *uri = pd_config_get_string(config, "compute", "libvirt_uri", NULL);
	const gchar *type = pd_config_get_string(config, "compute", "libvirt_type", NULL);

	if (uri == NULL || uri[0] == '\0')
		uri = pd_config_get_string(config, NULL, "libvirt_uri", "");
	if (uri[0] != '\0')
		return g_strdup(uri);
	if (type == NULL)
		type = pd_config_get_string(config, NULL, "libvirt_type", "kvm");
	/* same defaults as Ceilometer's libvirt inspector */
	if (g_strcmp0(type, "uml") == 0)
		return g_strdup("uml:///system");
	if (g_strcmp0(type, "lxc") == 0)
		return g_strdup("lxc:///");
	return g_strdup("qemu:///system");
}

static void
pd_compute_watch_clear(gpointer data)
{
	PdComputeWatch *cd = data;
	g_weak_ref_clear(&cd->plugin);
	g_free(cd->uri);
	g_mutex_clear(&cd->lock);
	g_hash_table_unref(cd->changed);
}

static void
pd_compute_watch_unref(void *data)
{
	g_atomic_rc_box_release_full(data, pd_compute_watch_clear);
}

/* the status of the plugin, if it is still there */
static void
pd_compute_set_plugin_status(GWeakRef *plugin_ref, const gchar *status)
{
	g_autoptr(PdPlugin) plugin = g_weak_ref_get(plugin_ref);

	if (plugin != NULL)
		pd_plugin_set_status(plugin, status);
}

static PdComputeWatch *
pd_compute_watch_new(GWeakRef *plugin, const gchar *uri)
{
	PdComputeWatch *cd = g_atomic_rc_box_new0(PdComputeWatch);
	g_autoptr(PdPlugin) strong = g_weak_ref_get(plugin);

	g_weak_ref_init(&cd->plugin, strong);
	cd->uri = g_strdup(uri);
	g_mutex_init(&cd->lock);
	cd->changed =
	  g_hash_table_new_full(pd_compute_uuid_hash, pd_compute_uuid_equal, g_free, NULL);
	return cd;
}

/* on the main loop: remember that @dom changed; no RPC (the UUID is local) */
static void
pd_compute_watch_mark(PdComputeWatch *cd, virDomainPtr dom)
{
	guchar uuid[VIR_UUID_BUFLEN];

	if (virDomainGetUUID(dom, uuid) < 0)
		return;
	g_mutex_lock(&cd->lock);
	if (g_hash_table_size(cd->changed) < PD_COMPUTE_CHANGED_MAX)
		g_hash_table_add(cd->changed, g_memdup2(uuid, sizeof(uuid)));
	else
		cd->overflow = TRUE;
	g_mutex_unlock(&cd->lock);
}

static gint
pd_compute_lifecycle_cb(virConnectPtr conn,
			virDomainPtr dom,
			gint event,
			gint detail,
			gpointer data)
{
	pd_compute_watch_mark(data, dom);
	return 0;
}

static void
pd_compute_metadata_cb(virConnectPtr conn,
		       virDomainPtr dom,
		       gint type,
		       const gchar *nsuri,
		       gpointer data)
{
	pd_compute_watch_mark(data, dom);
}

static void
pd_compute_device_cb(virConnectPtr conn, virDomainPtr dom, const gchar *alias, gpointer data)
{
	pd_compute_watch_mark(data, dom);
}

/* what can change the instance metadata, disks or vnics of a domain: Nova
 * rewrites its metadata element on resize or rename, hotplug adds devices */
static gboolean
pd_compute_watch_subscribe(PdComputeWatch *cd, virConnectPtr conn)
{
	const struct {
		gint id;
		virConnectDomainEventGenericCallback cb;
	} events[] = {
		{ VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		  VIR_DOMAIN_EVENT_CALLBACK(pd_compute_lifecycle_cb) },
		{ VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
		  VIR_DOMAIN_EVENT_CALLBACK(pd_compute_metadata_cb) },
		{ VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
		  VIR_DOMAIN_EVENT_CALLBACK(pd_compute_device_cb) },
		{ VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
		  VIR_DOMAIN_EVENT_CALLBACK(pd_compute_device_cb) },
	};

	/* callbacks stay until the connection is gone; nothing deregisters them,
	 * which would be an RPC racing the calls of other threads */
	for (guint i = 0; i < G_N_ELEMENTS(events); i++) {
		if (virConnectDomainEventRegisterAny(conn,
						     NULL,
						     events[i].id,
						     events[i].cb,
						     g_atomic_rc_box_acquire(cd),
						     pd_compute_watch_unref) < 0) {
			g_debug("no domain events on %s: %s", cd->uri, virGetLastErrorMessage());
			virResetLastError();
			pd_compute_watch_unref(cd);
			return FALSE;
		}
	}
	return TRUE;
}

static const gchar *
pd_compute_close_reason(gint reason)
{
	switch (reason) {
		case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
			return "keepalive timeout";
		case VIR_CONNECT_CLOSE_REASON_EOF:
			return "connection closed by libvirtd";
		case VIR_CONNECT_CLOSE_REASON_CLIENT:
			return "connection closed";
		default:
			return "connection error";
	}
}

/* on the main loop (or in a thread whose call saw the close): the connection is already
 * dead, virConnectIsAlive() says so and the next get() reopens it */
static void
pd_compute_connection_closed_cb(virConnectPtr conn, int reason, void *data)
{
	PdComputeWatch *cd = data;
	g_autofree gchar *status = NULL;

	g_atomic_int_set(&cd->fired, 1);
	g_warning("libvirt connection to %s lost: %s", cd->uri, pd_compute_close_reason(reason));
	status =
	  g_strdup_printf("waiting for libvirt (%s): %s", cd->uri, pd_compute_close_reason(reason));
	pd_compute_set_plugin_status(&cd->plugin, status);
}

/* keepalive, the close callback and domain events on a new connection. Only
 * connections through libvirt's RPC client have keepalive; an in-process
 * driver (test:///) answers NO_SUPPORT, and that is how the two are told
 * apart. */
static void
pd_compute_connection_watch_locked(PdComputeConnection *self)
{
	PdComputeWatch *cd = pd_compute_watch_new(&self->plugin, self->uri);
	/* interval <= 0 stops keepalive on a remote connection, and still tells it apart */
	gint rc =
	  virConnectSetKeepAlive(self->conn,
				 self->keepalive_interval > 0 ? self->keepalive_interval : -1,
				 self->keepalive_count);

	self->watch = cd;
	if (rc < 0) {
		self->remote = pd_compute_last_error_code() != VIR_ERR_NO_SUPPORT;
		if (self->remote && self->keepalive_interval > 0)
			g_warning("no keepalive on %s: %s", self->uri, virGetLastErrorMessage());
		virResetLastError();
	} else {
		self->remote = TRUE;
		if (rc == 1 && self->keepalive_interval > 0)
			g_message("libvirtd at %s does not answer keepalive probes", self->uri);
	}
	if (self->remote && virConnectRegisterCloseCallback(self->conn,
							    pd_compute_connection_closed_cb,
							    g_atomic_rc_box_acquire(cd),
							    pd_compute_watch_unref) < 0) {
		g_debug("no close callback on %s: %s", self->uri, virGetLastErrorMessage());
		virResetLastError();
		pd_compute_watch_unref(cd);
	}
	/* no event can arrive before the subscription returns: the main loop
	 * delivers them, and reads cd->events only through take_changes() */
	if (self->domain_events)
		cd->events = pd_compute_watch_subscribe(cd, self->conn);
}

static void
pd_compute_connection_set_status(PdComputeConnection *self, const gchar *failure)
{
	g_autofree gchar *status = NULL;

	if (failure != NULL)
		status = g_strdup_printf("waiting for libvirt (%s): %s", self->uri, failure);
	pd_compute_set_plugin_status(&self->plugin, status);
}

/* called with the mutex held */
static gboolean
pd_compute_connection_open_locked(PdComputeConnection *self, GError **error)
{
	gint64 now = g_get_monotonic_time();
	virErrorPtr err;

	if (self->uri == NULL) {
		g_set_error_literal(
		  error, PD_ERROR, PD_ERROR_NOT_READY, "no libvirt URI configured");
		return FALSE;
	}
	if (now < self->retry_at) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_NOT_READY,
			    "waiting for libvirt (%s): %s",
			    self->uri,
			    self->last_failure);
		return FALSE;
	}
	self->conn = virConnectOpenReadOnly(self->uri);
	if (self->conn != NULL) {
		/* the time of this line is where the first cycle's samples can
		 * start; the bench measures from it (libvirtd may take long to
		 * answer an open: the test driver parses its file then) */
		gdouble took = (g_get_monotonic_time() - now) / (gdouble)G_USEC_PER_SEC;
		if (self->was_connected || self->last_failure != NULL)
			g_message("connected to libvirt at %s in %.3f s", self->uri, took);
		else
			g_info("connected to libvirt at %s in %.3f s", self->uri, took);
		self->was_connected = TRUE;
		self->serial++;
		pd_compute_connection_watch_locked(self);
		self->backoff = PD_COMPUTE_BACKOFF_MIN_US;
		self->retry_at = 0;
		g_clear_pointer(&self->last_failure, g_free);
		pd_compute_connection_set_status(self, NULL);
		return TRUE;
	}
	err = virGetLastError();
	if (self->last_failure == NULL)
		g_warning("cannot connect to libvirt at %s: %s",
			  self->uri,
			  err != NULL ? err->message : "unknown error");
	g_free(self->last_failure);
	self->last_failure = g_strdup(err != NULL ? err->message : "unknown error");
	self->retry_at = now + self->backoff;
	self->backoff = MIN(self->backoff * 2, self->backoff_max);
	pd_compute_connection_set_status(self, self->last_failure);
	g_set_error(error,
		    PD_ERROR,
		    PD_ERROR_NOT_READY,
		    "waiting for libvirt (%s): %s",
		    self->uri,
		    self->last_failure);
	return FALSE;
}

static void
pd_compute_connection_drop_locked(PdComputeConnection *self)
{
	if (self->conn == NULL || self->injected)
		return;
	/* no callback once we let go; fails harmlessly when none was registered */
	if (virConnectUnregisterCloseCallback(self->conn, pd_compute_connection_closed_cb) < 0)
		virResetLastError();
	g_clear_pointer(&self->watch, pd_compute_watch_unref);
	virConnectClose(self->conn);
	self->conn = NULL;
}

/* once per lost connection: the close callback may have said it already */
static void
pd_compute_connection_lost_locked(PdComputeConnection *self, const gchar *why)
{
	if (self->watch == NULL || !g_atomic_int_get(&self->watch->fired)) {
		g_warning("libvirt connection to %s lost: %s", self->uri, why);
		pd_compute_connection_set_status(self, why);
	}
	pd_compute_connection_drop_locked(self);
}

virConnectPtr
pd_compute_connection_get(PdComputeConnection *self, GError **error)
{
	virConnectPtr conn = NULL;

	g_return_val_if_fail(PD_IS_COMPUTE_CONNECTION(self), NULL);
	g_mutex_lock(&self->mutex);
	if (self->conn != NULL && !self->injected && virConnectIsAlive(self->conn) != 1) {
		pd_compute_connection_lost_locked(self, "connection closed");
	}
	if (self->conn != NULL || pd_compute_connection_open_locked(self, error)) {
		conn = self->conn;
		virConnectRef(conn);
	}
	g_mutex_unlock(&self->mutex);
	return conn;
}

static gboolean
pd_compute_is_disconnection(virErrorPtr err)
{
	if (err == NULL)
		return FALSE;
	if (err->domain != VIR_FROM_REMOTE && err->domain != VIR_FROM_RPC)
		return FALSE;
	return err->code == VIR_ERR_SYSTEM_ERROR || err->code == VIR_ERR_INTERNAL_ERROR ||
	       err->code == VIR_ERR_RPC || err->code == VIR_ERR_NO_CONNECT;
}

gboolean
pd_compute_connection_check_failure(PdComputeConnection *self, virConnectPtr conn)
{
	virErrorPtr err = virGetLastError();
	gboolean dead = pd_compute_is_disconnection(err) || virConnectIsAlive(conn) == 0;
	/* a copy: the next libvirt call (the drop below) resets the error */
	g_autofree gchar *why =
	  g_strdup(err != NULL && err->message != NULL ? err->message : "connection lost");

	if (!dead)
		return FALSE;
	g_mutex_lock(&self->mutex);
	if (self->conn == conn) {
		/* a call in flight sees a keepalive timeout as its own error */
		pd_compute_connection_lost_locked(self, why);
	}
	g_mutex_unlock(&self->mutex);
	return TRUE;
}

void
pd_compute_connection_set_uri(PdComputeConnection *self, const gchar *uri)
{
	g_mutex_lock(&self->mutex);
	if (g_strcmp0(self->uri, uri) != 0) {
		pd_compute_connection_drop_locked(self);
		g_free(self->uri);
		self->uri = g_strdup(uri);
		self->retry_at = 0;
		self->backoff = PD_COMPUTE_BACKOFF_MIN_US;
	}
	g_mutex_unlock(&self->mutex);
}

void
pd_compute_connection_set_backoff_max(PdComputeConnection *self, gint64 usec)
{
	g_mutex_lock(&self->mutex);
	self->backoff_max = MAX(usec, PD_COMPUTE_BACKOFF_MIN_US);
	self->backoff = MIN(self->backoff, self->backoff_max);
	self->retry_at = MIN(self->retry_at, g_get_monotonic_time() + self->backoff_max);
	g_mutex_unlock(&self->mutex);
}

void
pd_compute_connection_set_conn(PdComputeConnection *self, virConnectPtr conn)
{
	g_mutex_lock(&self->mutex);
	self->injected = FALSE;
	pd_compute_connection_drop_locked(self);
	self->conn = conn;
	virConnectRef(conn);
	/* a new connection, as one opened: the handles of the last are none of its */
	self->serial++;
	self->injected = TRUE;
	self->remote = FALSE; /* tests inject in-process test:/// drivers */
	g_mutex_unlock(&self->mutex);
}

void
pd_compute_connection_set_changes(PdComputeConnection *self, GHashTable *changed)
{
	g_mutex_lock(&self->mutex);
	g_clear_pointer(&self->test_changed, g_hash_table_unref);
	self->test_changed = g_hash_table_ref(changed);
	g_mutex_unlock(&self->mutex);
}

void
pd_compute_connection_set_keepalive(PdComputeConnection *self, gint interval, guint count)
{
	g_mutex_lock(&self->mutex);
	/* set when the connection opens: a change reopens it */
	if (self->keepalive_interval != MAX(interval, 0) || self->keepalive_count != count)
		pd_compute_connection_drop_locked(self);
	self->keepalive_interval = MAX(interval, 0);
	self->keepalive_count = count;
	g_mutex_unlock(&self->mutex);
}

gboolean
pd_compute_connection_take_changes(PdComputeConnection *self,
				   virConnectPtr conn,
				   GHashTable **changed,
				   guint64 *serial)
{
	PdComputeWatch *cd = NULL;

	*changed = NULL;
	g_mutex_lock(&self->mutex);
	*serial = self->serial;
	if (self->injected && self->conn == conn && self->test_changed != NULL) {
		*changed = g_steal_pointer(&self->test_changed);
		g_mutex_unlock(&self->mutex);
		return TRUE;
	}
	if (self->conn == conn && self->watch != NULL && self->watch->events)
		cd = g_atomic_rc_box_acquire(self->watch);
	g_mutex_unlock(&self->mutex);
	if (cd == NULL)
		return FALSE;
	g_mutex_lock(&cd->lock);
	if (!cd->overflow)
		*changed = g_steal_pointer(&cd->changed);
	else
		g_hash_table_remove_all(cd->changed);
	cd->overflow = FALSE;
	if (cd->changed == NULL)
		cd->changed =
		  g_hash_table_new_full(pd_compute_uuid_hash, pd_compute_uuid_equal, g_free, NULL);
	g_mutex_unlock(&cd->lock);
	pd_compute_watch_unref(cd);
	return TRUE;
}

gboolean
pd_compute_connection_bulk_wanted(PdComputeConnection *self)
{
	gboolean wanted;

	g_mutex_lock(&self->mutex);
	wanted =
	  self->bulk_useless != self->serial || g_get_monotonic_time() >= self->bulk_retry_at;
	g_mutex_unlock(&self->mutex);
	return wanted;
}

void
pd_compute_connection_set_bulk_useless(PdComputeConnection *self, gboolean useless)
{
	g_mutex_lock(&self->mutex);
	if (useless && self->bulk_useless != self->serial)
		g_debug("bulk statistics on %s answer none of the groups asked: per-domain calls "
			"only for %d s",
			self->uri,
			(gint)(PD_COMPUTE_BULK_RETRY_US / G_USEC_PER_SEC));
	self->bulk_useless = useless ? self->serial : 0;
	self->bulk_retry_at = g_get_monotonic_time() + PD_COMPUTE_BULK_RETRY_US;
	g_mutex_unlock(&self->mutex);
}

void
pd_compute_connection_set_domain_events(PdComputeConnection *self, gboolean enabled)
{
	g_mutex_lock(&self->mutex);
	if (self->domain_events != enabled)
		pd_compute_connection_drop_locked(self);
	self->domain_events = enabled;
	g_mutex_unlock(&self->mutex);
}

void
pd_compute_connection_close(PdComputeConnection *self)
{
	g_mutex_lock(&self->mutex);
	self->injected = FALSE;
	pd_compute_connection_drop_locked(self);
	g_mutex_unlock(&self->mutex);
}

PdComputeConnection *
pd_compute_connection_new(PdPlugin *plugin)
{
	PdComputeConnection *self = g_object_new(PD_TYPE_COMPUTE_CONNECTION, NULL);
	g_weak_ref_set(&self->plugin, plugin);
	return self;
}

static void
pd_compute_connection_finalize(GObject *obj)
{
	PdComputeConnection *self = PD_COMPUTE_CONNECTION(obj);

	pd_compute_connection_close(self);
	g_weak_ref_clear(&self->plugin);
	g_free(self->uri);
	g_free(self->last_failure);
	g_mutex_clear(&self->mutex);
	G_OBJECT_CLASS(pd_compute_connection_parent_class)->finalize(obj);
}

static void
pd_compute_connection_init(PdComputeConnection *self)
{
	g_mutex_init(&self->mutex);
	g_weak_ref_init(&self->plugin, NULL);
	self->backoff = PD_COMPUTE_BACKOFF_MIN_US;
	self->backoff_max = PD_COMPUTE_BACKOFF_MAX_US;
	self->domain_events = TRUE;
}

static void
pd_compute_connection_class_init(PdComputeConnectionClass *klass)
{
	g_autoptr(GError) error = NULL;

	G_OBJECT_CLASS(klass)->finalize = pd_compute_connection_finalize;
	/* libvirt's client writes to its socket without MSG_NOSIGNAL: a libvirtd
	 * that died must fail the call, not kill the daemon */
	signal(SIGPIPE, SIG_IGN);
	virSetErrorFunc(NULL, pd_compute_quiet_error_cb);
	virInitialize();
	/* keepalive needs an event implementation, registered before any
	 * connection opens and for good (libvirt cannot unregister it). Ours
	 * runs on a thread of its own: with GLib's, libvirt's client would wake
	 * the main loop several times per call. */
	if (!pd_compute_events_register(&error))
		g_warning("cannot register libvirt's event loop: %s", error->message);
}
