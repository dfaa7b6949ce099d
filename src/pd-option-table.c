/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdConfig"

#include "config.h"

#include "pd-option-table.h"

/*
 * One line per option: when a helper implements one, its line flips from
 * UNSUPPORTED to IMPLEMENTED. tests/data/ceilometer-options.tsv holds every
 * option Ceilometer's polling agent registers; the option test checks each
 * one is in this table or registered by a plugin.
 */

#define IMPL(g, k, d)                                                                              \
	{                                                                                          \
		g, k, PD_OPTION_IMPLEMENTED, d, NULL                                               \
	}
#define TODO(g, k)                                                                                 \
	{                                                                                          \
		g, k, PD_OPTION_UNSUPPORTED, NULL, NULL                                            \
	}
#define INERT(g, k, why)                                                                           \
	{                                                                                          \
		g, k, PD_OPTION_INERT, NULL, why                                                   \
	}
#define REFUSE(g, k, why)                                                                          \
	{                                                                                          \
		g, k, PD_OPTION_REFUSED, NULL, why                                                 \
	}

#define WHY_OTHER_SERVICE "read by other Ceilometer services, not by the polling agent"
#define WHY_UNREAD "registered by Ceilometer but read by none of its code"
#define WHY_DRIVER "an option of another oslo.messaging driver; polld publishes over rabbit:// only"
#define WHY_RPC "for oslo.messaging RPC, which the polling agent does not use"
#define WHY_LOG_CONFIG                                                                             \
	"polld cannot read Python logging configuration files; use log_file or log_dir, "          \
	"use_syslog or use_journal, debug and default_log_levels instead"

static const PdOptionInfo pd_option_table[] = {
	/* [DEFAULT]: ceilometer */
	IMPL("DEFAULT", "host", NULL),
	IMPL("DEFAULT", "sample_source", "openstack"),
	IMPL("DEFAULT", "polling_namespaces", "compute,central"),
	IMPL("DEFAULT", "pollster_list", NULL),
	IMPL("DEFAULT", "reseller_prefix", "AUTH_"),
	TODO("DEFAULT", "http_timeout"),
	TODO("DEFAULT", "hypervisor_inspector"),
	TODO("DEFAULT", "reserved_metadata_keys"),
	TODO("DEFAULT", "reserved_metadata_length"),
	TODO("DEFAULT", "reserved_metadata_namespace"),
	INERT("DEFAULT", "batch_size", WHY_UNREAD "; [polling] batch_size is"),
	INERT("DEFAULT", "cfg_file", WHY_UNREAD "; [polling] cfg_file is"),
	INERT("DEFAULT", "partitioning_group_prefix", WHY_UNREAD "; [polling] has it"),
	INERT("DEFAULT", "pollsters_definitions_dirs", WHY_UNREAD "; [polling] has it"),
	INERT("DEFAULT", "rootwrap_config", WHY_UNREAD " (ipmitool runs through privsep)"),
	INERT("DEFAULT", "pipeline_cfg_file", WHY_OTHER_SERVICE),
	INERT("DEFAULT", "event_pipeline_cfg_file", WHY_OTHER_SERVICE),
	INERT("DEFAULT",
	      "max_parallel_requests",
	      "used by the http publisher, which the "
	      "polling agent does not use"),
	/* [DEFAULT]: oslo.log */
	IMPL("DEFAULT", "debug", "false"),
	IMPL("DEFAULT", "verbose", "false"),
	IMPL("DEFAULT", "log_file", NULL),
	IMPL("DEFAULT", "log_dir", NULL),
	IMPL("DEFAULT", "watch_log_file", "false"),
	IMPL("DEFAULT", "use_syslog", "false"),
	IMPL("DEFAULT", "syslog_log_facility", "LOG_USER"),
	IMPL("DEFAULT", "use_journal", "false"),
	IMPL("DEFAULT", "use_stderr", "false"),
	IMPL("DEFAULT", "log_date_format", "%Y-%m-%d %H:%M:%S"),
	IMPL("DEFAULT", "default_log_levels", NULL),
	REFUSE("DEFAULT", "log_config_append", WHY_LOG_CONFIG),
	TODO("DEFAULT", "use_json"),
	TODO("DEFAULT", "use_eventlog"),
	TODO("DEFAULT", "fatal_deprecations"),
	TODO("DEFAULT", "instance_format"),
	TODO("DEFAULT", "instance_uuid_format"),
	TODO("DEFAULT", "logging_context_format_string"),
	TODO("DEFAULT", "logging_debug_format_suffix"),
	TODO("DEFAULT", "logging_default_format_string"),
	TODO("DEFAULT", "logging_exception_prefix"),
	TODO("DEFAULT", "logging_user_identity_format"),
	TODO("DEFAULT", "log_rotate_interval"),
	TODO("DEFAULT", "log_rotate_interval_type"),
	TODO("DEFAULT", "log_rotation_type"),
	TODO("DEFAULT", "max_logfile_count"),
	TODO("DEFAULT", "max_logfile_size_mb"),
	TODO("DEFAULT", "publish_errors"),
	TODO("DEFAULT", "rate_limit_burst"),
	TODO("DEFAULT", "rate_limit_except_level"),
	TODO("DEFAULT", "rate_limit_interval"),
	/* [DEFAULT]: the service runner */
	TODO("DEFAULT", "graceful_shutdown_timeout"),
	IMPL("DEFAULT", "log_options", "true"),
	INERT("DEFAULT", "backdoor_port", "ceilometer-polling runs no eventlet backdoor"),
	INERT("DEFAULT", "backdoor_socket", "ceilometer-polling runs no eventlet backdoor"),
	/* [DEFAULT]: oslo.messaging */
	IMPL("DEFAULT", "transport_url", NULL),
	IMPL("DEFAULT", "control_exchange", "ceilometer"),
	TODO("DEFAULT", "conn_pool_min_size"),
	TODO("DEFAULT", "conn_pool_ttl"),
	INERT("DEFAULT", "executor_thread_pool_size", WHY_RPC),
	INERT("DEFAULT", "rpc_conn_pool_size", WHY_RPC),
	INERT("DEFAULT", "rpc_ping_enabled", WHY_RPC),
	INERT("DEFAULT", "rpc_response_timeout", WHY_RPC),

	/* [polling] */
	IMPL("polling", "cfg_file", "polling.yaml"),
	IMPL("polling", "batch_size", "50"),
	IMPL("polling", "ignore_disabled_projects", "false"),
	IMPL("polling", "identity_name_discovery", "false"),
	IMPL("polling", "tenant_name_discovery", "false"),
	IMPL("polling", "partitioning_group_prefix", NULL),
	IMPL("polling", "pollsters_definitions_dirs", "/etc/ceilometer/pollsters.d"),
	IMPL("polling", "heartbeat_socket_dir", NULL),
	IMPL("polling", "enable_notifications", "true"),
	IMPL("polling", "enable_prometheus_exporter", "false"),
	IMPL("polling", "prometheus_listen_addresses", "127.0.0.1:9101"),
	IMPL("polling", "prometheus_tls_enable", "false"),
	IMPL("polling", "prometheus_tls_certfile", NULL),
	IMPL("polling", "prometheus_tls_keyfile", NULL),
	TODO("polling", "threads_to_process_pollsters"),
	IMPL("coordination", "backend_url", NULL),
	IMPL("coordination", "max_stale_seconds", NULL),
	IMPL("coordination", "stale_action", NULL),

	/* [publisher], [publisher_notifier] */
	IMPL("publisher", "telemetry_secret", "change this for valid signing"),
	IMPL("publisher_notifier", "telemetry_driver", "messagingv2"),
	INERT("publisher_notifier", "metering_topic", WHY_OTHER_SERVICE),
	INERT("publisher_notifier", "event_topic", WHY_OTHER_SERVICE),

	/* [oslo_messaging_notifications] */
	IMPL("oslo_messaging_notifications", "transport_url", NULL),
	IMPL("oslo_messaging_notifications", "topics", "notifications"),
	TODO("oslo_messaging_notifications", "retry"),
	INERT("oslo_messaging_notifications",
	      "driver",
	      "ceilometer-polling's notifier takes [publisher_notifier] telemetry_driver"),

	/* [oslo_messaging_rabbit] */
	IMPL("oslo_messaging_rabbit", "amqp_durable_queues", "false"),
	IMPL("oslo_messaging_rabbit", "amqp_auto_delete", "false"),
	IMPL("oslo_messaging_rabbit", "rabbit_quorum_queue", "false"),
	IMPL("oslo_messaging_rabbit", "heartbeat_timeout_threshold", "60"),
	IMPL("oslo_messaging_rabbit", "ssl", "false"),
	IMPL("oslo_messaging_rabbit", "ssl_ca_file", NULL),
	IMPL("oslo_messaging_rabbit", "ssl_cert_file", NULL),
	IMPL("oslo_messaging_rabbit", "ssl_key_file", NULL),
	IMPL("oslo_messaging_rabbit", "ssl_enforce_hostname_verification", "false"),
	IMPL("oslo_messaging_rabbit", "rabbit_retry_interval", "1"),
	IMPL("oslo_messaging_rabbit", "rabbit_interval_max", "30"),
	IMPL("oslo_messaging_rabbit", "rabbit_retry_backoff", "2"),
	IMPL("oslo_messaging_rabbit", "heartbeat_rate", "3"),
	TODO("oslo_messaging_rabbit", "heartbeat_in_pthread"),
	TODO("oslo_messaging_rabbit", "direct_mandatory_flag"),
	TODO("oslo_messaging_rabbit", "enable_cancel_on_failover"),
	TODO("oslo_messaging_rabbit", "kombu_compression"),
	TODO("oslo_messaging_rabbit", "kombu_failover_strategy"),
	TODO("oslo_messaging_rabbit", "kombu_missing_consumer_retry_timeout"),
	TODO("oslo_messaging_rabbit", "kombu_reconnect_delay"),
	TODO("oslo_messaging_rabbit", "rabbit_ha_queues"),
	TODO("oslo_messaging_rabbit", "rabbit_login_method"),
	TODO("oslo_messaging_rabbit", "rabbit_qos_prefetch_count"),
	TODO("oslo_messaging_rabbit", "rabbit_quorum_delivery_limit"),
	TODO("oslo_messaging_rabbit", "rabbit_quroum_max_memory_bytes"),
	TODO("oslo_messaging_rabbit", "rabbit_quroum_max_memory_length"),
	TODO("oslo_messaging_rabbit", "rabbit_transient_queues_ttl"),
	TODO("oslo_messaging_rabbit", "ssl_enforce_fips_mode"),
	TODO("oslo_messaging_rabbit", "ssl_version"),
	INERT("oslo_messaging_amqp", "*", WHY_DRIVER),
	INERT("oslo_messaging_kafka", "*", WHY_DRIVER),

	/* [service_credentials]: what the openstack plugin doesn't read */
	TODO("service_credentials", "default_domain_id"),
	TODO("service_credentials", "default_domain_name"),
	TODO("service_credentials", "domain_id"),
	TODO("service_credentials", "domain_name"),
	TODO("service_credentials", "system_scope"),
	TODO("service_credentials", "trust_id"),

	/* [ipmi] polling_retry, [rgw_*] and [service_types] radosgw: the
	 * ipmi and openstack plugins register them */
	TODO("ipmi", "node_manager_init_retry"),
	TODO("vmware", "*"),

	/* other services' sections */
	INERT("notification", "*", WHY_OTHER_SERVICE),
	INERT("event", "*", WHY_OTHER_SERVICE),
	INERT("meter", "*", WHY_OTHER_SERVICE),
	INERT("monasca", "*", WHY_OTHER_SERVICE),
	INERT("api", "*", WHY_OTHER_SERVICE),
	INERT("database", "*", WHY_OTHER_SERVICE),
	INERT("collector", "*", WHY_OTHER_SERVICE),
	INERT("dispatcher_gnocchi", "*", WHY_OTHER_SERVICE),
	INERT("keystone_authtoken", "*", WHY_OTHER_SERVICE),
	INERT("oslo_policy", "*", WHY_OTHER_SERVICE),
	INERT("oslo_middleware", "*", WHY_OTHER_SERVICE),
	INERT("oslo_concurrency", "*", WHY_UNREAD " (no Ceilometer code takes a lock file)"),
	INERT("oslo_reports",
	      "*",
	      "Guru Meditation reports are Python's; polldctl status "
	      "shows polld's state"),

	/* polld's own */
	IMPL("publisher", "spool_dir", PD_STATEDIR "/spool"),
	IMPL("publisher", "spool_max_bytes", "1073741824"),
	IMPL("publisher", "confirm_window", "256"),
	IMPL("publisher", "memory_queue_max_bytes", "67108864"),
	IMPL("polld", "worker_threads", "8"),
	IMPL("polld", "pollster_timeout", NULL),
	IMPL("polld", "stop_timeout", NULL),
	IMPL("polld", "identity_names", NULL),
	IMPL("polld", "ceilometer_compat", "2026.1"),
	IMPL("polld", "max_inflight_bytes", "2097152"),
};

const PdOptionInfo *
pd_option_table_get(guint *n_entries)
{
	*n_entries = G_N_ELEMENTS(pd_option_table);
	return pd_option_table;
}

static gboolean
pd_option_key_equal(const gchar *a, const gchar *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return FALSE;
	}
	return *a == *b;
}

const PdOptionInfo *
pd_option_table_lookup(const gchar *group, const gchar *key)
{
	const PdOptionInfo *any = NULL;

	if (group == NULL)
		group = "DEFAULT";
	for (guint i = 0; i < G_N_ELEMENTS(pd_option_table); i++) {
		const PdOptionInfo *o = &pd_option_table[i];
		if (g_strcmp0(o->group, group) != 0)
			continue;
		if (pd_option_key_equal(o->key, key))
			return o;
		if (g_strcmp0(o->key, "*") == 0)
			any = o;
	}
	return any;
}

void
pd_option_table_register(PdConfig *config)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_option_table); i++) {
		const PdOptionInfo *o = &pd_option_table[i];
		switch (o->status) {
			case PD_OPTION_IMPLEMENTED:
			case PD_OPTION_INERT:
				pd_config_register_key(config, o->group, o->key);
				break;
			case PD_OPTION_UNSUPPORTED:
				pd_config_register_unsupported(config, o->group, o->key, NULL);
				break;
			case PD_OPTION_REFUSED:
				pd_config_register_unsupported(config, o->group, o->key, o->why);
				break;
		}
	}
}

static gboolean
pd_option_is_secret(const gchar *key)
{
	return strstr(key, "password") != NULL || strstr(key, "secret") != NULL ||
	       g_strcmp0(key, "access_key") == 0;
}

/* a URL keeps its user, host and path: only the password goes */
static gchar *
pd_option_redact_url(const gchar *value)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_auto(GStrv) hosts = g_strsplit(value, ",", -1);

	for (guint i = 0; hosts[i] != NULL; i++) {
		const gchar *at = strrchr(hosts[i], '@');
		const gchar *scheme = strstr(hosts[i], "://");
		const gchar *user = scheme != NULL ? scheme + 3 : hosts[i];
		const gchar *colon = at != NULL && at > user ? memchr(user, ':', at - user) : NULL;
		if (i > 0)
			g_string_append_c(out, ',');
		if (colon == NULL) {
			g_string_append(out, hosts[i]);
			continue;
		}
		g_string_append_len(out, hosts[i], colon - hosts[i]);
		g_string_append(out, ":***");
		g_string_append(out, at);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

gchar *
pd_option_table_redact(const gchar *group, const gchar *key, const gchar *value)
{
	if (value == NULL)
		return NULL;
	if (pd_option_is_secret(key))
		return g_strdup(value[0] != '\0' ? "***" : "");
	if (g_str_has_suffix(key, "url"))
		return pd_option_redact_url(value);
	return g_strdup(value);
}

static const gchar *
pd_option_status_name(PdConfig *config, const gchar *group, const gchar *key)
{
	const PdOptionInfo *info = pd_option_table_lookup(group, key);
	static const gchar *const names[] = { "implemented", "unsupported", "inert", "refused" };

	if (info != NULL &&
	    (info->status != PD_OPTION_INERT || !pd_config_is_registered(config, group, key) ||
	     g_strcmp0(info->key, "*") == 0))
		return names[info->status];
	return pd_config_is_registered(config, group, key) ? "implemented" : "unknown";
}

static void
pd_option_describe_add(GVariantBuilder *b,
		       PdConfig *config,
		       const gchar *group,
		       const gchar *key,
		       const gchar *value,
		       const gchar *source)
{
	g_autofree gchar *shown = pd_option_table_redact(group, key, value);
	g_auto(GVariantDict) dict;

	g_variant_dict_init(&dict, NULL);
	g_variant_dict_insert(&dict, "section", "s", group);
	g_variant_dict_insert(&dict, "key", "s", key);
	g_variant_dict_insert(&dict, "value", "s", shown != NULL ? shown : "");
	g_variant_dict_insert(&dict, "source", "s", source);
	g_variant_dict_insert(&dict, "status", "s", pd_option_status_name(config, group, key));
	g_variant_builder_add_value(b, g_variant_dict_end(&dict));
}

typedef struct {
	const gchar *group;
	const gchar *key;
} PdOptionRow;

static gint
pd_option_describe_cmp(gconstpointer a, gconstpointer b)
{
	const PdOptionRow *x = a;
	const PdOptionRow *y = b;
	gint c = g_strcmp0(x->group, y->group);
	return c != 0 ? c : g_strcmp0(x->key, y->key);
}

GVariant *
pd_option_table_describe(PdConfig *config)
{
	g_autoptr(GPtrArray) keys = pd_config_dup_keys(config);
	g_autoptr(GArray) rows = g_array_new(FALSE, FALSE, sizeof(PdOptionRow));
	GVariantBuilder b;

	/* what is set, then the defaults of what isn't */
	for (guint i = 0; i + 1 < keys->len; i += 2) {
		PdOptionRow row = { g_ptr_array_index(keys, i), g_ptr_array_index(keys, i + 1) };
		g_array_append_val(rows, row);
	}
	for (guint i = 0; i < G_N_ELEMENTS(pd_option_table); i++) {
		const PdOptionInfo *o = &pd_option_table[i];
		PdOptionRow row = { o->group, o->key };
		if (o->status == PD_OPTION_IMPLEMENTED && o->def != NULL &&
		    !pd_config_has_key(config, o->group, o->key))
			g_array_append_val(rows, row);
	}
	g_array_sort(rows, pd_option_describe_cmp);
	g_variant_builder_init(&b, G_VARIANT_TYPE("aa{sv}"));
	for (guint i = 0; i < rows->len; i++) {
		PdOptionRow *row = &g_array_index(rows, PdOptionRow, i);
		const gchar *origin = pd_config_get_origin(config, row->group, row->key);
		const PdOptionInfo *o = pd_option_table_lookup(row->group, row->key);
		pd_option_describe_add(
		  &b,
		  config,
		  row->group,
		  row->key,
		  origin != NULL ? pd_config_get_string(config, row->group, row->key, "") : o->def,
		  origin != NULL ? origin : "default");
	}
	return g_variant_builder_end(&b);
}
