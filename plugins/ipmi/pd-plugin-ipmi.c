/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-ipmi"

#include "pd-ipmi-pollster.h"
#include "pd-ipmi-tool.h"
#include "pd-plugin-ipmi.h"

struct _PdPluginIpmi {
	PdPlugin parent_instance;
	GMutex lock;
	GTree *statuses; /* meter -> status, sorted for a stable text */
};

G_DEFINE_TYPE(PdPluginIpmi, pd_plugin_ipmi, PD_TYPE_PLUGIN)

PD_PLUGIN_DEFINE("ipmi", pd_plugin_ipmi_get_type)

/* Ceilometer's ipmi pollsters: sensor type of `ipmitool sdr -v`, unit as
 * ipmitool prints it (Watts and Volts shortened); .power is the sensor
 * ipmitool calls "Pwr Consumption", which it types as Current */
static const PdIpmiMeter pd_ipmi_meters[] = {
	{ "hardware.ipmi.temperature", "C", "Temperature", PD_IPMI_ID_ANY, FALSE },
	{ "hardware.ipmi.voltage", "V", "Voltage", PD_IPMI_ID_ANY, FALSE },
	{ "hardware.ipmi.current", "Amps", "Current", PD_IPMI_ID_NOT_POWER, FALSE },
	{ "hardware.ipmi.fan", "RPM", "Fan", PD_IPMI_ID_ANY, TRUE },
	{ "hardware.ipmi.power", "W", "Current", PD_IPMI_ID_POWER, FALSE },
};

/* Ceilometer's one option, then polld's connection and limit options */
static const gchar *const pd_ipmi_config_keys[] = {
	"polling_retry", "retry_backoff", "retry_backoff_max",
	"ipmitool",	 "interface",	  "address",
	"port",		 "username",	  "password",
	"password_file", "cipher_suite",  "command_timeout",
	"output_limit",
};

static gint
pd_plugin_ipmi_compare(gconstpointer a, gconstpointer b, gpointer user_data)
{
	return g_strcmp0(a, b);
}

static void
pd_plugin_ipmi_update_status(PdPluginIpmi *self)
{
	g_autoptr(GString) text = g_string_new(NULL);
	GTreeNode *node;

	for (node = g_tree_node_first(self->statuses); node != NULL;
	     node = g_tree_node_next(node)) {
		if (text->len > 0)
			g_string_append(text, "; ");
		g_string_append_printf(text,
				       "%s %s",
				       (const gchar *)g_tree_node_key(node),
				       (const gchar *)g_tree_node_value(node));
	}
	pd_plugin_set_status(PD_PLUGIN(self), text->len > 0 ? text->str : NULL);
}

void
pd_plugin_ipmi_set_meter_status(PdPluginIpmi *self, const gchar *meter, const gchar *status)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);

	if (status != NULL)
		g_tree_replace(self->statuses, g_strdup(meter), g_strdup(status));
	else
		g_tree_remove(self->statuses, meter);
	pd_plugin_ipmi_update_status(self);
}

/* a wrong [ipmi] stops the plugin at start instead of failing every cycle.
 * A missing ipmitool is not checked here: every node without it would log
 * a warning whether or not it polls the ipmi namespace; the first poll
 * fails with the reason instead. */
static gboolean
pd_plugin_ipmi_start(PdPlugin *plugin, PdConfig *config, GError **error)
{
	g_autoptr(PdIpmiToolConfig) tc = pd_ipmi_tool_config_new(config, error);
	gint64 n;

	/* read again on each failure: checked here once, against their ranges */
	return tc != NULL &&
	       pd_config_get_int_range(
		 config, "ipmi", "polling_retry", 3, G_MININT32, G_MAXINT32, &n, error) &&
	       pd_config_get_int_range(config, "ipmi", "retry_backoff", 60, 1, 86400, &n, error) &&
	       pd_config_get_int_range(
		 config, "ipmi", "retry_backoff_max", 3600, 1, 86400, &n, error);
}

/* every [ipmi] key and host are read from the cycle's config at each poll,
 * so a reload applies them all (the next ipmitool run uses the new BMC,
 * credentials and limits). A value start() would have refused makes each
 * poll fail with the reason: the reload says so at once as well. */
static void
pd_plugin_ipmi_reconfigure(PdPlugin *plugin,
			   PdConfig *old_config,
			   PdConfig *new_config,
			   GPtrArray *restart_keys)
{
	g_autoptr(GError) error = NULL;

	if (!pd_plugin_ipmi_start(plugin, new_config, &error))
		g_warning("reload: %s; the ipmi pollsters fail until it is corrected",
			  error->message);
}

static void
pd_plugin_ipmi_constructed(GObject *obj)
{
	PdPlugin *plugin = PD_PLUGIN(obj);

	G_OBJECT_CLASS(pd_plugin_ipmi_parent_class)->constructed(obj);
	/* discovery local_node comes from the host plugin: one node, [DEFAULT] host */
	for (guint i = 0; i < G_N_ELEMENTS(pd_ipmi_meters); i++) {
		g_autoptr(PdPollster) pollster = pd_ipmi_pollster_new(&pd_ipmi_meters[i]);
		pd_plugin_add_pollster(plugin, pollster);
	}
	for (guint i = 0; i < G_N_ELEMENTS(pd_ipmi_config_keys); i++)
		pd_plugin_add_config_key(plugin, "ipmi", pd_ipmi_config_keys[i]);
	pd_plugin_add_config_key(plugin, NULL, "host");
}

static void
pd_plugin_ipmi_finalize(GObject *obj)
{
	PdPluginIpmi *self = PD_PLUGIN_IPMI(obj);
	g_tree_unref(self->statuses);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(pd_plugin_ipmi_parent_class)->finalize(obj);
}

static void
pd_plugin_ipmi_init(PdPluginIpmi *self)
{
	g_mutex_init(&self->lock);
	self->statuses = g_tree_new_full(pd_plugin_ipmi_compare, NULL, g_free, g_free);
}

static void
pd_plugin_ipmi_class_init(PdPluginIpmiClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->constructed = pd_plugin_ipmi_constructed;
	object_class->finalize = pd_plugin_ipmi_finalize;
	PD_PLUGIN_CLASS(klass)->start = pd_plugin_ipmi_start;
	PD_PLUGIN_CLASS(klass)->reconfigure = pd_plugin_ipmi_reconfigure;
	/* the same checks as at start */
	PD_PLUGIN_CLASS(klass)->check_config = pd_plugin_ipmi_start;
}
