/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pd-compute-pollster.h"
#include "pd-compute-stats.h"

#define GAUGE PD_SAMPLE_TYPE_GAUGE
#define CUMULATIVE PD_SAMPLE_TYPE_CUMULATIVE
#define DELTA PD_SAMPLE_TYPE_DELTA

/* names, units and types of Ceilometer's compute pollsters (see README.md) */
static const PdComputeMeter pd_compute_meters[] = {
    {"cpu", "ns", CUMULATIVE, PD_COMPUTE_VALUE_CPU, PD_COMPUTE_GROUP_INFO, PD_COMPUTE_CPU_TIME},
    {"vcpus", "vcpu", GAUGE, PD_COMPUTE_VALUE_DOM_FIELD, PD_COMPUTE_GROUP_INFO, PD_COMPUTE_CPU_NUMBER},
    {"memory", "MB", GAUGE, PD_COMPUTE_VALUE_FLAVOR_MEMORY, 0, 0},
    {"memory.usage", "MB", GAUGE, PD_COMPUTE_VALUE_MEM_USAGE, PD_COMPUTE_GROUP_MEMORY, 0},
    {"memory.resident", "MB", GAUGE, PD_COMPUTE_VALUE_MEM_MB, PD_COMPUTE_GROUP_MEMORY, PD_COMPUTE_MEM_RSS},
    {"memory.available", "MB", GAUGE, PD_COMPUTE_VALUE_MEM_MB, PD_COMPUTE_GROUP_MEMORY,
     PD_COMPUTE_MEM_AVAILABLE},
    {"memory.swap.in", "MB", CUMULATIVE, PD_COMPUTE_VALUE_MEM_MB, PD_COMPUTE_GROUP_MEMORY,
     PD_COMPUTE_MEM_SWAP_IN},
    {"memory.swap.out", "MB", CUMULATIVE, PD_COMPUTE_VALUE_MEM_MB, PD_COMPUTE_GROUP_MEMORY,
     PD_COMPUTE_MEM_SWAP_OUT},
    {"perf.cpu.cycles", "", GAUGE, PD_COMPUTE_VALUE_DOM_FIELD, PD_COMPUTE_GROUP_PERF,
     PD_COMPUTE_PERF_CPU_CYCLES},
    {"perf.instructions", "", GAUGE, PD_COMPUTE_VALUE_DOM_FIELD, PD_COMPUTE_GROUP_PERF,
     PD_COMPUTE_PERF_INSTRUCTIONS},
    {"perf.cache.references", "", GAUGE, PD_COMPUTE_VALUE_DOM_FIELD, PD_COMPUTE_GROUP_PERF,
     PD_COMPUTE_PERF_CACHE_REFERENCES},
    {"perf.cache.misses", "", GAUGE, PD_COMPUTE_VALUE_DOM_FIELD, PD_COMPUTE_GROUP_PERF,
     PD_COMPUTE_PERF_CACHE_MISSES},
    {"disk.device.read.requests", "request", CUMULATIVE, PD_COMPUTE_VALUE_DISK_FIELD,
     PD_COMPUTE_GROUP_BLOCK, PD_COMPUTE_DISK_RD_REQ},
    {"disk.device.write.requests", "request", CUMULATIVE, PD_COMPUTE_VALUE_DISK_FIELD,
     PD_COMPUTE_GROUP_BLOCK, PD_COMPUTE_DISK_WR_REQ},
    {"disk.device.read.bytes", "B", CUMULATIVE, PD_COMPUTE_VALUE_DISK_FIELD, PD_COMPUTE_GROUP_BLOCK,
     PD_COMPUTE_DISK_RD_BYTES},
    {"disk.device.write.bytes", "B", CUMULATIVE, PD_COMPUTE_VALUE_DISK_FIELD, PD_COMPUTE_GROUP_BLOCK,
     PD_COMPUTE_DISK_WR_BYTES},
    {"disk.device.read.latency", "ns", CUMULATIVE, PD_COMPUTE_VALUE_DISK_FIELD,
     PD_COMPUTE_GROUP_BLOCK_TIMES, PD_COMPUTE_DISK_RD_TIMES},
    {"disk.device.write.latency", "ns", CUMULATIVE, PD_COMPUTE_VALUE_DISK_FIELD,
     PD_COMPUTE_GROUP_BLOCK_TIMES, PD_COMPUTE_DISK_WR_TIMES},
    {"disk.device.capacity", "B", GAUGE, PD_COMPUTE_VALUE_DISK_CAPACITY, PD_COMPUTE_GROUP_BLOCK_INFO,
     PD_COMPUTE_DISK_CAPACITY},
    {"disk.device.allocation", "B", GAUGE, PD_COMPUTE_VALUE_DISK_FIELD, PD_COMPUTE_GROUP_BLOCK_INFO,
     PD_COMPUTE_DISK_ALLOCATION},
    {"disk.device.usage", "B", GAUGE, PD_COMPUTE_VALUE_DISK_FIELD, PD_COMPUTE_GROUP_BLOCK_INFO,
     PD_COMPUTE_DISK_PHYSICAL},
    {"disk.root.size", "GB", GAUGE, PD_COMPUTE_VALUE_ROOT_SIZE, 0, 0},
    {"disk.ephemeral.size", "GB", GAUGE, PD_COMPUTE_VALUE_EPHEMERAL_SIZE, 0, 0},
    {"network.incoming.bytes", "B", CUMULATIVE, PD_COMPUTE_VALUE_NET_FIELD, PD_COMPUTE_GROUP_IFACE,
     PD_COMPUTE_NET_RX_BYTES},
    {"network.outgoing.bytes", "B", CUMULATIVE, PD_COMPUTE_VALUE_NET_FIELD, PD_COMPUTE_GROUP_IFACE,
     PD_COMPUTE_NET_TX_BYTES},
    {"network.incoming.packets", "packet", CUMULATIVE, PD_COMPUTE_VALUE_NET_FIELD,
     PD_COMPUTE_GROUP_IFACE, PD_COMPUTE_NET_RX_PACKETS},
    {"network.outgoing.packets", "packet", CUMULATIVE, PD_COMPUTE_VALUE_NET_FIELD,
     PD_COMPUTE_GROUP_IFACE, PD_COMPUTE_NET_TX_PACKETS},
    {"network.incoming.packets.drop", "packet", CUMULATIVE, PD_COMPUTE_VALUE_NET_FIELD,
     PD_COMPUTE_GROUP_IFACE, PD_COMPUTE_NET_RX_DROP},
    {"network.outgoing.packets.drop", "packet", CUMULATIVE, PD_COMPUTE_VALUE_NET_FIELD,
     PD_COMPUTE_GROUP_IFACE, PD_COMPUTE_NET_TX_DROP},
    {"network.incoming.packets.error", "packet", CUMULATIVE, PD_COMPUTE_VALUE_NET_FIELD,
     PD_COMPUTE_GROUP_IFACE, PD_COMPUTE_NET_RX_ERRS},
    {"network.outgoing.packets.error", "packet", CUMULATIVE, PD_COMPUTE_VALUE_NET_FIELD,
     PD_COMPUTE_GROUP_IFACE, PD_COMPUTE_NET_TX_ERRS},
    {"network.incoming.bytes.delta", "B", DELTA, PD_COMPUTE_VALUE_NET_DELTA, PD_COMPUTE_GROUP_IFACE,
     PD_COMPUTE_NET_RX_BYTES},
    {"network.outgoing.bytes.delta", "B", DELTA, PD_COMPUTE_VALUE_NET_DELTA, PD_COMPUTE_GROUP_IFACE,
     PD_COMPUTE_NET_TX_BYTES},
    {"power.state", "state", GAUGE, PD_COMPUTE_VALUE_POWER_STATE, 0, 0},
};

const PdComputeMeter *
pd_compute_meter_table(guint *n_meters)
{
	*n_meters = G_N_ELEMENTS(pd_compute_meters);
	return pd_compute_meters;
}

const PdComputeMeter *
pd_compute_meter_lookup(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(pd_compute_meters); i++) {
		if (g_str_equal(pd_compute_meters[i].name, name))
			return &pd_compute_meters[i];
	}
	return NULL;
}
