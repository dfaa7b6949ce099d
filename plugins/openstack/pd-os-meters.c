/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-openstack"

#include <math.h>

#include "pd-os-meters.h"

void
pd_os_reading_clear(PdOsReading *reading)
{
	g_clear_pointer(&reading->metadata, pd_metadata_unref);
}

const gchar *
pd_os_meters_unit(const PdOsMeter *meter, PdCeilometerRelease release)
{
	if (release >= PD_CEILOMETER_2026_1 && g_strcmp0(meter->unit, "GB") == 0)
		return "GiB";
	return meter->unit;
}

static PdMetadata *
pd_os_metadata_fields(JsonObject *obj, const gchar *const *fields)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();

	for (guint i = 0; fields[i] != NULL; i++)
		pd_os_json_copy_member(b, fields[i], obj, fields[i]);
	return pd_metadata_builder_end(b);
}

/* a volume read from @key: null stays null, anything but a number is an error */
static gboolean
pd_os_read_volume(JsonObject *obj, const gchar *key, PdOsReading *out, GError **error)
{
	JsonNode *node = json_object_get_member(obj, key);

	if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
		out->has_volume = FALSE;
		return TRUE;
	}
	if (!pd_os_json_get_number(obj, key, &out->volume)) {
		g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "'%s' is not a number", key);
		return FALSE;
	}
	out->has_volume = TRUE;
	return TRUE;
}

static gboolean
pd_os_read_ids(JsonObject *obj,
	       const gchar *id_key,
	       const gchar *project_key,
	       PdOsReading *out,
	       GError **error)
{
	out->resource_id = pd_os_json_get_string(obj, id_key);
	if (out->resource_id == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "'%s' is not a string", id_key);
		return FALSE;
	}
	if (project_key != NULL)
		out->project_id = pd_os_json_get_string(obj, project_key);
	return TRUE;
}

/* --- Glance --- */

static const gchar *const pd_os_image_fields[] = {
	"status",	"visibility", "name",	   "container_format", "created_at", "disk_format",
	"updated_at",	"min_disk",   "protected", "checksum",	       "min_ram",    "tags",
	"virtual_size", NULL,
};

/* 26.0.0 reads images through openstacksdk, whose Image names Glance's
 * "protected" is_protected; the other keys keep Glance's names */
static PdMetadata *
pd_os_image_metadata(JsonObject *obj, PdCeilometerRelease release)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();

	for (guint i = 0; pd_os_image_fields[i] != NULL; i++) {
		const gchar *key = pd_os_image_fields[i];
		if (release >= PD_CEILOMETER_2026_1 && g_strcmp0(key, "protected") == 0)
			pd_os_json_copy_member(b, "is_protected", obj, key);
		else
			pd_os_json_copy_member(b, key, obj, key);
	}
	return pd_metadata_builder_end(b);
}

static gboolean
pd_os_meter_image(const PdOsMeter *meter,
		  PdCeilometerRelease release,
		  JsonObject *obj,
		  PdOsReading *out,
		  GError **error)
{
	if (!pd_os_read_ids(obj, "id", "owner", out, error) ||
	    !pd_os_read_volume(obj, "size", out, error))
		return FALSE;
	out->metadata = pd_os_image_metadata(obj, release);
	return TRUE;
}

/* --- Cinder --- */

/* Zed's keys; volume_type_id (volumes) and is_incremental (backups) came in
 * 23.0.0 and are in every release from 2025.2 on */
static const gchar *const pd_os_volume_fields[] = {
	"name",
	"status",
	"volume_type",
	"availability_zone",
	"os-vol-host-attr:host",
	"migration_status",
	"attachments",
	"snapshot_id",
	"source_volid",
	NULL,
};
static const gchar *const pd_os_volume_fields_2025[] = {
	"name",
	"status",
	"volume_type",
	"volume_type_id",
	"availability_zone",
	"os-vol-host-attr:host",
	"migration_status",
	"attachments",
	"snapshot_id",
	"source_volid",
	NULL,
};
static const gchar *const pd_os_snapshot_fields[] = {
	"name",	       "volume_id", "status",
	"description", "metadata",  "os-extended-snapshot-attributes:progress",
	NULL,
};
static const gchar *const pd_os_backup_fields[] = {
	"name", "object_count", "container", "volume_id", "status", "description", NULL,
};
static const gchar *const pd_os_backup_fields_2025[] = {
	"name",	     "is_incremental", "object_count", "container",
	"volume_id", "status",	       "description",  NULL,
};

/* @fields, then (@with_ids) the image a volume came from and the first server
 * it is attached to: Zed adds both to every Cinder meter (null for snapshots
 * and backups, which have neither), 25.0.0 to volume.size only */
static PdMetadata *
pd_os_cinder_metadata(JsonObject *obj, const gchar *const *fields, gboolean with_ids)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	JsonObject *image = pd_os_json_get_object(obj, "volume_image_metadata");
	JsonArray *attachments = pd_os_json_get_array(obj, "attachments");
	JsonNode *first = NULL;

	for (guint i = 0; fields[i] != NULL; i++)
		pd_os_json_copy_member(b, fields[i], obj, fields[i]);
	if (!with_ids)
		return pd_metadata_builder_end(b);
	if (image != NULL && json_object_get_size(image) > 0)
		pd_os_json_copy_member(b, "image_id", image, "image_id");
	else
		pd_metadata_builder_add_null(b, "image_id");
	if (attachments != NULL && json_array_get_length(attachments) > 0)
		first = json_array_get_element(attachments, 0);
	if (first != NULL && JSON_NODE_HOLDS_OBJECT(first))
		pd_os_json_copy_member(b, "instance_id", json_node_get_object(first), "server_id");
	else
		pd_metadata_builder_add_null(b, "instance_id");
	return pd_metadata_builder_end(b);
}

static gboolean
pd_os_meter_volume(const PdOsMeter *meter,
		   PdCeilometerRelease release,
		   JsonObject *obj,
		   PdOsReading *out,
		   GError **error)
{
	gboolean since_2025 = release >= PD_CEILOMETER_2025_2;

	if (!pd_os_read_ids(obj, "id", "os-vol-tenant-attr:tenant_id", out, error) ||
	    !pd_os_read_volume(obj, "size", out, error))
		return FALSE;
	out->user_id = pd_os_json_get_string(obj, "user_id");
	out->metadata = pd_os_cinder_metadata(
	  obj, since_2025 ? pd_os_volume_fields_2025 : pd_os_volume_fields, TRUE);
	return TRUE;
}

static gboolean
pd_os_meter_snapshot(const PdOsMeter *meter,
		     PdCeilometerRelease release,
		     JsonObject *obj,
		     PdOsReading *out,
		     GError **error)
{
	if (!pd_os_read_ids(obj, "id", "os-extended-snapshot-attributes:project_id", out, error) ||
	    !pd_os_read_volume(obj, "size", out, error))
		return FALSE;
	out->user_id = pd_os_json_get_string(obj, "user_id");
	out->metadata =
	  pd_os_cinder_metadata(obj, pd_os_snapshot_fields, release < PD_CEILOMETER_2025_2);
	return TRUE;
}

/* Zed sends no user for a backup; 23.0.0 and later its user_id (Cinder
 * gives it from API 3.56, which they ask for) */
static gboolean
pd_os_meter_backup(const PdOsMeter *meter,
		   PdCeilometerRelease release,
		   JsonObject *obj,
		   PdOsReading *out,
		   GError **error)
{
	gboolean since_2025 = release >= PD_CEILOMETER_2025_2;

	if (!pd_os_read_ids(obj, "id", "os-backup-project-attr:project_id", out, error) ||
	    !pd_os_read_volume(obj, "size", out, error))
		return FALSE;
	if (since_2025)
		out->user_id = pd_os_json_get_string(obj, "user_id");
	out->metadata = pd_os_cinder_metadata(
	  obj, since_2025 ? pd_os_backup_fields_2025 : pd_os_backup_fields, !since_2025);
	return TRUE;
}

/* pool data sits under "capabilities"; cinderclient flattens it */
static JsonObject *
pd_os_pool_caps(JsonObject *obj)
{
	JsonObject *caps = pd_os_json_get_object(obj, "capabilities");
	return caps != NULL ? caps : obj;
}

static PdMetadata *
pd_os_pool_metadata(JsonObject *caps)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();
	pd_os_json_copy_member(b, "pool_name", caps, "pool_name");
	return pd_metadata_builder_end(b);
}

static gboolean
pd_os_pool_number(JsonObject *caps, const gchar *key, PdOsNumber *num, GError **error)
{
	if (pd_os_json_get_number(caps, key, num))
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "'%s' is not a number", key);
	return FALSE;
}

static gboolean
pd_os_meter_pool(const PdOsMeter *meter,
		 PdCeilometerRelease release,
		 JsonObject *obj,
		 PdOsReading *out,
		 GError **error)
{
	JsonObject *caps = pd_os_pool_caps(obj);

	if (!pd_os_read_ids(obj, "name", NULL, out, error))
		return FALSE;
	/* provisioned only exists for pools that report it (non-zero) */
	if (g_strcmp0(meter->field, "provisioned_capacity_gb") == 0 &&
	    !pd_os_json_get_truthy(caps, meter->field))
		return FALSE;
	if (!pd_os_pool_number(caps, meter->field, &out->volume, error))
		return FALSE;
	out->has_volume = TRUE;
	out->metadata = pd_os_pool_metadata(caps);
	return TRUE;
}

static gboolean
pd_os_meter_pool_virtual_free(const PdOsMeter *meter,
			      PdCeilometerRelease release,
			      JsonObject *obj,
			      PdOsReading *out,
			      GError **error)
{
	JsonObject *caps = pd_os_pool_caps(obj);
	PdOsNumber total, reserved, provisioned, ratio = { TRUE, 1, 1.0 };
	gdouble reserved_size;

	if (!pd_os_read_ids(obj, "name", NULL, out, error))
		return FALSE;
	if (!pd_os_json_get_truthy(caps, "provisioned_capacity_gb"))
		return FALSE;
	if (!pd_os_pool_number(caps, "total_capacity_gb", &total, error) ||
	    !pd_os_pool_number(caps, "reserved_percentage", &reserved, error) ||
	    !pd_os_pool_number(caps, "provisioned_capacity_gb", &provisioned, error))
		return FALSE;
	if (pd_os_json_get_truthy(caps, "thin_provisioning_support")) {
		const gchar *text = pd_os_json_get_string(caps, "max_over_subscription_ratio");
		gchar *end = NULL;
		/* Cinder reports the ratio as a number or a string such as "20.0" */
		if (text != NULL) {
			ratio.d = g_ascii_strtod(text, &end);
			if (end == text || *end != '\0') {
				g_set_error(error,
					    PD_ERROR,
					    PD_ERROR_FAILED,
					    "'max_over_subscription_ratio' is not a number");
				return FALSE;
			}
		} else if (!pd_os_pool_number(caps, "max_over_subscription_ratio", &ratio, error)) {
			return FALSE;
		}
		ratio.d = pd_os_number_to_double(&ratio);
	}
	reserved_size =
	  floor(pd_os_number_to_double(&reserved) / 100.0 * pd_os_number_to_double(&total));
	out->has_volume = TRUE;
	out->volume.is_double = TRUE;
	out->volume.d = ratio.d * (pd_os_number_to_double(&total) - reserved_size) -
			pd_os_number_to_double(&provisioned);
	out->metadata = pd_os_pool_metadata(caps);
	return TRUE;
}

/* --- status codes --- */

typedef struct {
	const gchar *name;
	gint code;
} PdOsStatus;

static const PdOsStatus pd_os_fip_status[] = {
	{ "inactive", 0 },	 { "active", 1 },  { "pending_create", 2 },
	{ "down", 3 },		 { "created", 4 }, { "pending_update", 5 },
	{ "pending_delete", 6 }, { "error", 7 },   { NULL, 0 },
};
static const PdOsStatus pd_os_lb_operating[] = {
	{ "online", 1 }, { "draining", 2 },   { "offline", 3 }, { "degraded", 4 },
	{ "error", 5 },	 { "no_monitor", 6 }, { NULL, 0 },
};
static const PdOsStatus pd_os_lb_provisioning[] = {
	{ "active", 1 },	 { "deleted", 2 },	  { "error", 3 }, { "pending_create", 4 },
	{ "pending_update", 5 }, { "pending_delete", 6 }, { NULL, 0 },
};
static const PdOsStatus pd_os_zone_status[] = {
	{ "active", 1 }, { "pending", 2 }, { "error", 3 }, { "deleted", 4 }, { NULL, 0 },
};
static const PdOsStatus pd_os_share_status[] = {
	{ "available", 1 },
	{ "creating", 2 },
	{ "deleting", 3 },
	{ "error", 4 },
	{ "error_deleting", 5 },
	{ "migrating", 6 },
	{ "extending", 7 },
	{ "shrinking", 8 },
	{ "reverting", 9 },
	{ "inactive", 10 },
	{ "manage_starting", 11 },
	{ "manage_error", 12 },
	{ "unmanage_starting", 13 },
	{ "unmanage_error", 14 },
	{ "unmanaged", 15 },
	{ "extending_error", 16 },
	{ "shrinking_error", 17 },
	{ "reverting_error", 18 },
	{ "awaiting_transfer", 19 },
	{ "backup_creating", 20 },
	{ "backup_restoring", 21 },
	{ "backup_restoring_error", 22 },
	{ "creating_from_snapshot", 23 },
	{ "shrinking_possible_data_loss_error", 24 },
	{ "migrating_to", 25 },
	{ "replication_change", 26 },
	{ NULL, 0 },
};

/* case-insensitive like Ceilometer's value.lower(); -1 for anything else */
static gint
pd_os_status_code(const PdOsStatus *table, const gchar *value)
{
	for (guint i = 0; value != NULL && table[i].name != NULL; i++) {
		if (g_ascii_strcasecmp(table[i].name, value) == 0)
			return table[i].code;
	}
	return -1;
}

static void
pd_os_set_status(PdOsReading *out, const PdOsStatus *table, const gchar *value, const gchar *what)
{
	gint code = pd_os_status_code(table, value);

	if (code == -1)
		g_warning("unknown %s '%s' for %s, setting volume to -1",
			  what,
			  value != NULL ? value : "(none)",
			  out->resource_id);
	out->has_volume = TRUE;
	out->volume.is_double = FALSE;
	out->volume.i = code;
}

/* --- Neutron --- */

static const gchar *const pd_os_fip_fields[] = {
	"router_id",	       "status", "floating_network_id", "fixed_ip_address", "port_id",
	"floating_ip_address", NULL,
};

static gboolean
pd_os_meter_fip(const PdOsMeter *meter,
		PdCeilometerRelease release,
		JsonObject *obj,
		PdOsReading *out,
		GError **error)
{
	const gchar *status;

	if (!pd_os_read_ids(obj, "id", "tenant_id", out, error))
		return FALSE;
	status = pd_os_json_get_string(obj, "status");
	/* Zed skips a floating IP without status; 25.0.0 sends it with -1 */
	if (status == NULL && release < PD_CEILOMETER_2025_2) {
		g_warning("invalid status, skipping floating IP %s", out->resource_id);
		return FALSE;
	}
	out->user_id = pd_os_json_get_string(obj, "user_id");
	pd_os_set_status(out, pd_os_fip_status, status, "floating IP status");
	out->metadata = pd_os_metadata_fields(obj, pd_os_fip_fields);
	return TRUE;
}

/* --- Neutron VPNaaS and FWaaS v2 --- */

static const gchar *const pd_os_vpn_fields[] = {
	"admin_state_up", "description", "name", "status", "subnet_id", "router_id", NULL,
};
static const gchar *const pd_os_ipsec_fields[] = {
	"name",
	"description",
	"peer_address",
	"peer_id",
	"peer_cidrs",
	"psk",
	"initiator",
	"ikepolicy_id",
	"dpd",
	"ipsecpolicy_id",
	"vpnservice_id",
	"mtu",
	"admin_state_up",
	"status",
	"tenant_id",
	NULL,
};
static const gchar *const pd_os_fw_fields[] = {
	"admin_state_up",
	"description",
	"name",
	"status",
	"ingress_firewall_policy_id",
	"egress_firewall_policy_id",
	NULL,
};
static const gchar *const pd_os_fw_policy_fields[] = {
	"name", "description", "firewall_rules", "shared", "audited", NULL,
};

/* 26.0.0 reads VPNaaS through openstacksdk: its resources rename
 * admin_state_up to is_admin_state_up and give project_id for tenant_id */
static const gchar *const pd_os_vpn_fields_2026[] = {
	"is_admin_state_up", "description", "name",	      "status",		"subnet_id",
	"router_id",	     "flavor_id",   "external_v4_ip", "external_v6_ip", NULL,
};
static const gchar *const pd_os_ipsec_fields_2026[] = {
	"name",
	"description",
	"peer_address",
	"peer_id",
	"peer_cidrs",
	"peer_ep_group_id",
	"psk",
	"initiator",
	"ikepolicy_id",
	"ipsecpolicy_id",
	"vpnservice_id",
	"mtu",
	"is_admin_state_up",
	"status",
	"project_id",
	NULL,
};

/* @fields named as openstacksdk names Neutron's keys */
static PdMetadata *
pd_os_sdk_metadata(JsonObject *obj, const gchar *const *fields)
{
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();

	for (guint i = 0; fields[i] != NULL; i++) {
		const gchar *api = fields[i];
		if (g_strcmp0(api, "is_admin_state_up") == 0)
			api = "admin_state_up";
		else if (g_strcmp0(api, "project_id") == 0 && !json_object_has_member(obj, api))
			api = "tenant_id";
		pd_os_json_copy_member(b, fields[i], obj, api);
	}
	return pd_metadata_builder_end(b);
}

/* Neutron answers both; project_id first as current Ceilometer reads it */
static gboolean
pd_os_read_neutron_ids(JsonObject *obj, PdOsReading *out, GError **error)
{
	if (!pd_os_read_ids(obj, "id", "project_id", out, error))
		return FALSE;
	if (out->project_id == NULL)
		out->project_id = pd_os_json_get_string(obj, "tenant_id");
	return TRUE;
}

/* a VPN service in an unknown status gives no sample in Zed, -1 from
 * 25.0.0 on */
static gboolean
pd_os_meter_vpn(const PdOsMeter *meter,
		PdCeilometerRelease release,
		JsonObject *obj,
		PdOsReading *out,
		GError **error)
{
	const gchar *status;

	if (!pd_os_read_neutron_ids(obj, out, error))
		return FALSE;
	status = pd_os_json_get_string(obj, "status");
	if (release < PD_CEILOMETER_2025_2 && pd_os_status_code(pd_os_fip_status, status) == -1) {
		g_warning("unknown status %s received on vpn %s, skipping sample",
			  status != NULL ? status : "(none)",
			  out->resource_id);
		return FALSE;
	}
	pd_os_set_status(out, pd_os_fip_status, status, "VPN status");
	out->metadata = release >= PD_CEILOMETER_2026_1
			  ? pd_os_sdk_metadata(obj, pd_os_vpn_fields_2026)
			  : pd_os_metadata_fields(obj, pd_os_vpn_fields);
	return TRUE;
}

/* a firewall group in an unknown status gives no sample up to 25.0.0 and
 * reads -1 in 26.0.0 */
static gboolean
pd_os_meter_firewall(const PdOsMeter *meter,
		     PdCeilometerRelease release,
		     JsonObject *obj,
		     PdOsReading *out,
		     GError **error)
{
	const gchar *status;

	if (!pd_os_read_neutron_ids(obj, out, error))
		return FALSE;
	status = pd_os_json_get_string(obj, "status");
	if (release < PD_CEILOMETER_2026_1 && pd_os_status_code(pd_os_fip_status, status) == -1) {
		g_warning("unknown status %s received on fw %s, skipping sample",
			  status != NULL ? status : "(none)",
			  out->resource_id);
		return FALSE;
	}
	pd_os_set_status(out, pd_os_fip_status, status, "firewall status");
	out->metadata = pd_os_metadata_fields(obj, pd_os_fw_fields);
	return TRUE;
}

/* one per IPsec connection or firewall policy: volume 1 */
static gboolean
pd_os_meter_exists(const PdOsMeter *meter,
		   PdCeilometerRelease release,
		   JsonObject *obj,
		   PdOsReading *out,
		   GError **error)
{
	gboolean policy = g_strcmp0(meter->discovery, "fw_policy") == 0;

	if (!pd_os_read_neutron_ids(obj, out, error))
		return FALSE;
	out->has_volume = TRUE;
	out->volume.is_double = FALSE;
	out->volume.i = 1;
	if (policy)
		out->metadata = pd_os_metadata_fields(obj, pd_os_fw_policy_fields);
	else if (release >= PD_CEILOMETER_2026_1)
		out->metadata = pd_os_sdk_metadata(obj, pd_os_ipsec_fields_2026);
	else
		out->metadata = pd_os_metadata_fields(obj, pd_os_ipsec_fields);
	return TRUE;
}

/* --- Octavia --- */

static const gchar *const pd_os_lb_fields[] = {
	"name",	       "availability_zone",   "vip_address",
	"vip_port_id", "provisioning_status", "operating_status",
	"provider",    "flavor_id",	      NULL,
};

static gboolean
pd_os_meter_lb(const PdOsMeter *meter,
	       PdCeilometerRelease release,
	       JsonObject *obj,
	       PdOsReading *out,
	       GError **error)
{
	gboolean operating = g_strcmp0(meter->field, "operating_status") == 0;

	if (!pd_os_read_ids(obj, "id", "project_id", out, error))
		return FALSE;
	pd_os_set_status(out,
			 operating ? pd_os_lb_operating : pd_os_lb_provisioning,
			 pd_os_json_get_string(obj, meter->field),
			 operating ? "load balancer operating status"
				   : "load balancer provisioning status");
	out->metadata = pd_os_metadata_fields(obj, pd_os_lb_fields);
	return TRUE;
}

/* --- Designate --- */

static const gchar *const pd_os_zone_fields[] = {
	"name",	  "email",  "ttl",    "description", "type",
	"status", "action", "serial", "pool_id",     NULL,
};

/* a missing or null number counts as 0, as upstream does for ttl and serial */
static gboolean
pd_os_read_volume_or_zero(JsonObject *obj, const gchar *key, PdOsReading *out, GError **error)
{
	if (!pd_os_read_volume(obj, key, out, error))
		return FALSE;
	if (!out->has_volume) {
		out->has_volume = TRUE;
		out->volume.is_double = FALSE;
		out->volume.i = 0;
	}
	return TRUE;
}

gboolean
pd_os_zone_read_ids(JsonObject *obj, PdOsReading *out, GError **error)
{
	if (!pd_os_read_ids(obj, "id", "project_id", out, error))
		return FALSE;
	out->metadata = pd_os_metadata_fields(obj, pd_os_zone_fields);
	return TRUE;
}

static gboolean
pd_os_meter_zone(const PdOsMeter *meter,
		 PdCeilometerRelease release,
		 JsonObject *obj,
		 PdOsReading *out,
		 GError **error)
{
	if (!pd_os_read_ids(obj, "id", "project_id", out, error))
		return FALSE;
	if (meter->field == NULL)
		pd_os_set_status(
		  out, pd_os_zone_status, pd_os_json_get_string(obj, "status"), "DNS zone status");
	else if (!pd_os_read_volume_or_zero(obj, meter->field, out, error))
		return FALSE;
	out->metadata = pd_os_metadata_fields(obj, pd_os_zone_fields);
	return TRUE;
}

/* --- Manila --- */

static PdMetadata *
pd_os_share_metadata(JsonObject *obj)
{
	static const gchar *const fields[] = {
		"name", "availability_zone", "share_type", "share_network_id", "status",
		"host", "is_public",	     NULL,
	};
	g_autoptr(PdMetadataBuilder) b = pd_metadata_builder_new();

	for (guint i = 0; fields[i] != NULL; i++)
		pd_os_json_copy_member(b, fields[i], obj, fields[i]);
	/* upstream renames share_protocol (API: share_proto) to protocol, last */
	pd_os_json_copy_member(b, "protocol", obj, "share_proto");
	return pd_metadata_builder_end(b);
}

static gboolean
pd_os_meter_share(const PdOsMeter *meter,
		  PdCeilometerRelease release,
		  JsonObject *obj,
		  PdOsReading *out,
		  GError **error)
{
	if (!pd_os_read_ids(obj, "id", "project_id", out, error))
		return FALSE;
	out->user_id = pd_os_json_get_string(obj, "user_id");
	if (meter->field == NULL)
		pd_os_set_status(
		  out, pd_os_share_status, pd_os_json_get_string(obj, "status"), "share status");
	else if (!pd_os_read_volume_or_zero(obj, meter->field, out, error))
		return FALSE;
	out->metadata = pd_os_share_metadata(obj);
	return TRUE;
}

const PdOsMeter pd_os_meters[] = {
	{ "image.size", "B", "images", pd_os_meter_image },
	{ "volume.size", "GB", "volumes", pd_os_meter_volume },
	{ "volume.snapshot.size", "GB", "volume_snapshots", pd_os_meter_snapshot },
	{ "volume.backup.size", "GB", "volume_backups", pd_os_meter_backup },
	{ "volume.provider.pool.capacity.total",
	  "GB",
	  "volume_pools",
	  pd_os_meter_pool,
	  "total_capacity_gb" },
	{ "volume.provider.pool.capacity.free",
	  "GB",
	  "volume_pools",
	  pd_os_meter_pool,
	  "free_capacity_gb" },
	{ "volume.provider.pool.capacity.provisioned",
	  "GB",
	  "volume_pools",
	  pd_os_meter_pool,
	  "provisioned_capacity_gb" },
	{ "volume.provider.pool.capacity.virtual_free",
	  "GB",
	  "volume_pools",
	  pd_os_meter_pool_virtual_free },
	{ "volume.provider.pool.capacity.allocated",
	  "GB",
	  "volume_pools",
	  pd_os_meter_pool,
	  "allocated_capacity_gb" },
	{ "ip.floating", "ip", "fip_services", pd_os_meter_fip },
	{ "network.services.vpn", "vpnservice", "vpn_services", pd_os_meter_vpn },
	{ "network.services.vpn.connections",
	  "ipsec_site_connection",
	  "ipsec_connections",
	  pd_os_meter_exists },
	{ "network.services.firewall", "firewall", "fw_services", pd_os_meter_firewall },
	{ "network.services.firewall.policy", "firewall_policy", "fw_policy", pd_os_meter_exists },
	{ "loadbalancer.operating", "status", "lb_services", pd_os_meter_lb, "operating_status" },
	{ "loadbalancer.provisioning",
	  "status",
	  "lb_services",
	  pd_os_meter_lb,
	  "provisioning_status" },
	{ "dns.zone.status", "status", "dns_zones", pd_os_meter_zone, NULL },
	{ "dns.zone.ttl", "second", "dns_zones", pd_os_meter_zone, "ttl" },
	{ "dns.zone.serial", "serial", "dns_zones", pd_os_meter_zone, "serial" },
	{ "manila.share.status", "status", "manila_shares", pd_os_meter_share, NULL },
	{ "manila.share.size", "GB", "manila_shares", pd_os_meter_share, "size" },
	{ NULL },
};
