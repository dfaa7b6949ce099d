/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-host"

#include "pd-host-discovery.h"
#include "pd-host-pollster.h"
#include "pd-host-state.h"
#include "pd-plugin-host.h"

struct _PdPluginHost {
	PdPlugin parent_instance;
	PdHostState *state;
};

G_DEFINE_TYPE(PdPluginHost, pd_plugin_host, PD_TYPE_PLUGIN)

PD_PLUGIN_DEFINE("host", pd_plugin_host_get_type)

/* names, units and types of Ceilometer's hardware/pollsters/data/snmp.yaml */
#define METER(name, unit, type, source, field)                                                     \
	{                                                                                          \
		name, unit, PD_SAMPLE_TYPE_##type, PD_HOST_SOURCE_##source, PD_HOST_##field        \
	}

static const PdHostMeter pd_host_meters[] = {
	METER("hardware.cpu.load.1min", "process", GAUGE, LOADAVG, LOAD_1MIN),
	METER("hardware.cpu.load.5min", "process", GAUGE, LOADAVG, LOAD_5MIN),
	METER("hardware.cpu.load.15min", "process", GAUGE, LOADAVG, LOAD_15MIN),
	METER("hardware.cpu.util", "%", GAUGE, CPU, CPU_UTIL),
	METER("hardware.system_stats.cpu.idle", "%", GAUGE, CPU, CPU_IDLE),
	METER("hardware.memory.total", "KB", GAUGE, MEMINFO, MEM_TOTAL),
	METER("hardware.memory.used", "KB", GAUGE, MEMINFO, MEM_USED),
	METER("hardware.memory.buffer", "KB", GAUGE, MEMINFO, MEM_BUFFER),
	METER("hardware.memory.cached", "KB", GAUGE, MEMINFO, MEM_CACHED),
	METER("hardware.memory.swap.total", "KB", GAUGE, MEMINFO, MEM_SWAP_TOTAL),
	METER("hardware.memory.swap.avail", "KB", GAUGE, MEMINFO, MEM_SWAP_AVAIL),
	METER("hardware.system_stats.io.incoming.blocks", "blocks", CUMULATIVE, VMSTAT, IO_PGPGIN),
	METER("hardware.system_stats.io.outgoing.blocks", "blocks", CUMULATIVE, VMSTAT, IO_PGPGOUT),
	METER("hardware.network.incoming.bytes", "B", CUMULATIVE, NET_DEV, NET_RX_BYTES),
	METER("hardware.network.outgoing.bytes", "B", CUMULATIVE, NET_DEV, NET_TX_BYTES),
	METER("hardware.network.outgoing.errors", "packet", CUMULATIVE, NET_DEV, NET_TX_ERRORS),
	METER("hardware.disk.size.total", "KB", GAUGE, MOUNTS, DISK_TOTAL),
	METER("hardware.disk.size.used", "KB", GAUGE, MOUNTS, DISK_USED),
};

static void
pd_plugin_host_constructed(GObject *obj)
{
	PdPluginHost *self = PD_PLUGIN_HOST(obj);
	PdPlugin *plugin = PD_PLUGIN(obj);
	g_autoptr(PdDiscovery) discovery = pd_host_discovery_new();

	G_OBJECT_CLASS(pd_plugin_host_parent_class)->constructed(obj);
	pd_plugin_add_discovery(plugin, discovery);
	for (guint i = 0; i < G_N_ELEMENTS(pd_host_meters); i++) {
		const PdHostMeter *meter = &pd_host_meters[i];
		g_autoptr(PdPollster) pollster = pd_host_pollster_new(meter, self->state);
		pd_plugin_add_pollster(plugin, pollster);
	}
	pd_plugin_add_config_key(plugin, NULL, "host");
}

/* host, its one key, is read by the discovery every cycle: nothing to do */
static void
pd_plugin_host_reconfigure(PdPlugin *plugin,
			   PdConfig *old_config,
			   PdConfig *new_config,
			   GPtrArray *restart_keys)
{
}

static void
pd_plugin_host_finalize(GObject *obj)
{
	PdPluginHost *self = PD_PLUGIN_HOST(obj);
	g_clear_pointer(&self->state, pd_host_state_unref);
	G_OBJECT_CLASS(pd_plugin_host_parent_class)->finalize(obj);
}

static void
pd_plugin_host_init(PdPluginHost *self)
{
	self->state = pd_host_state_new();
}

static void
pd_plugin_host_class_init(PdPluginHostClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	PD_PLUGIN_CLASS(klass)->reconfigure = pd_plugin_host_reconfigure;
	object_class->constructed = pd_plugin_host_constructed;
	object_class->finalize = pd_plugin_host_finalize;
}
