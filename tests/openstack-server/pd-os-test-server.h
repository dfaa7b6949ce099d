/*
 * polld test suite - a small OpenStack API (Keystone v3, Glance v2, Cinder
 * v3, Neutron, Swift, Octavia, Designate, Manila) on 127.0.0.1, serving a
 * JSON fixture, with fault injection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
	PD_OS_FAULT_NONE,
	PD_OS_FAULT_ERROR,	 /* 500 */
	PD_OS_FAULT_SLOW,	 /* answers after the configured delay */
	PD_OS_FAULT_HANG,	 /* never answers */
	PD_OS_FAULT_MALFORMED,	 /* truncated JSON */
	PD_OS_FAULT_WRONG_TYPES, /* every field but id and name of the wrong JSON type */
	PD_OS_FAULT_NOT_FOUND,	 /* 404 */
	PD_OS_FAULT_FORBIDDEN,	 /* 403 */
} PdOsFault;

#define PD_TYPE_OS_TEST_SERVER (pd_os_test_server_get_type())
G_DECLARE_FINAL_TYPE(PdOsTestServer, pd_os_test_server, PD, OS_TEST_SERVER, GObject)

/* listens on 127.0.0.1 with a random port; @tls_cert (may be NULL) makes it HTTPS */
PdOsTestServer *
pd_os_test_server_new(const gchar *fixture_file, GTlsCertificate *tls_cert, GError **error);
guint
pd_os_test_server_get_port(PdOsTestServer *self);
/* e.g. http://127.0.0.1:4711 */
const gchar *
pd_os_test_server_get_url(PdOsTestServer *self);
/* sets @conf's [service_credentials] to log in to this server as the
 * fixture's ceilometer user (internal endpoints of RegionOne) */
void
pd_os_test_server_set_credentials(PdOsTestServer *self, GKeyFile *conf);
gboolean
pd_os_test_server_fault_from_string(const gchar *text, PdOsFault *fault);
/* @service is the first path segment: identity, image, volume, network,
 * object-store, load-balancer, dns, share; or "recordsets:<zone id>" for
 * the recordsets of one Designate zone, "swift:<project id>" for one Swift
 * account */
void
pd_os_test_server_set_fault(PdOsTestServer *self, const gchar *service, PdOsFault fault);
void
pd_os_test_server_set_delay(PdOsTestServer *self, guint delay_ms);
/* gives @project a Swift account of @containers containers of 2 objects and
 * 100 bytes each (c0, c1...); G_MAXUINT removes the account (404) */
void
pd_os_test_server_set_swift_account(PdOsTestServer *self, const gchar *project, guint containers);
/* revokes every token after @n more authenticated requests (once) */
void
pd_os_test_server_expire_tokens_after(PdOsTestServer *self, guint n);
/* drops a service type from the catalogs issued from now on */
void
pd_os_test_server_remove_service(PdOsTestServer *self, const gchar *type);
/* drops a collection of the fixture, e.g. "firewall_groups": a Neutron
 * extension collection then answers 404 like a Neutron without it */
void
pd_os_test_server_remove_collection(PdOsTestServer *self, const gchar *key);
/* RadosGW admin requests whose signature was checked (good or bad) */
guint
pd_os_test_server_get_rgw_checked(PdOsTestServer *self);
guint
pd_os_test_server_get_auth_count(PdOsTestServer *self);
/* requests to @service ("object-store"), of one method ("object-store
 * HEAD"), or with one OpenStack-API-Version header ("volume [volume 3.64]") */
guint
pd_os_test_server_get_request_count(PdOsTestServer *self, const gchar *service);

G_END_DECLS
