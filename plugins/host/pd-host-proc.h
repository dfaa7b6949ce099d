/*
 * polld host plugin - parsers for the /proc files the pollsters read
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "polld.h"

#include "pd-host-state.h"

G_BEGIN_DECLS

#define PD_HOST_MAX_VALUES 6

typedef union {
	gint64 i;
	gdouble d;
} PdHostValue;

/* one thing a meter reports on: the node itself, an interface or a disk */
typedef struct {
	gchar *name;	      /* interface or device; NULL for the node itself */
	PdMetadata *metadata; /* the entry's own metadata keys, or NULL */
	PdHostValue values[PD_HOST_MAX_VALUES];
} PdHostEntry;

/* a mounted block device */
typedef struct {
	gchar *device;
	gchar *path;
} PdHostMount;

/* value indexes of the node-wide and per-entry readings */
enum { PD_HOST_LOAD_1MIN, PD_HOST_LOAD_5MIN, PD_HOST_LOAD_15MIN };
enum { PD_HOST_CPU_UTIL, PD_HOST_CPU_IDLE };
enum {
	PD_HOST_MEM_TOTAL,
	PD_HOST_MEM_USED,
	PD_HOST_MEM_BUFFER,
	PD_HOST_MEM_CACHED,
	PD_HOST_MEM_SWAP_TOTAL,
	PD_HOST_MEM_SWAP_AVAIL,
};
enum { PD_HOST_IO_PGPGIN, PD_HOST_IO_PGPGOUT };
enum { PD_HOST_NET_RX_BYTES, PD_HOST_NET_TX_BYTES, PD_HOST_NET_TX_ERRORS };
enum { PD_HOST_DISK_TOTAL, PD_HOST_DISK_USED };

PdHostEntry *
pd_host_proc_entry_new(const gchar *name);
void
pd_host_proc_entry_free(PdHostEntry *entry);
void
pd_host_proc_mount_free(PdHostMount *mount);

/* /proc/loadavg: the three load averages */
gboolean
pd_host_proc_parse_loadavg(const gchar *text, gdouble *load, GError **error);
/* /proc/stat: the aggregate "cpu" line, PD_HOST_CPU_N_TIMES ticks */
gboolean
pd_host_proc_parse_cpu_times(const gchar *text, guint64 *times, GError **error);
/* "key[:] number ..." files (/proc/meminfo, /proc/vmstat): the value of every
 * key in @keys, in that order; a missing key is an error */
gboolean
pd_host_proc_parse_keyed(const gchar *text,
			 const gchar *const *keys,
			 guint64 *values,
			 GError **error);
/* /proc/net/dev: PdHostEntry per interface, except lo, in file order, with
 * received bytes, transmitted bytes and transmit errors */
GPtrArray *
pd_host_proc_parse_net_dev(const gchar *text, GError **error);
/* /proc/self/mounts: PdHostMount per block device (source under /dev/), first
 * mount point wins */
GPtrArray *
pd_host_proc_parse_mounts(const gchar *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdHostEntry, pd_host_proc_entry_free)

G_END_DECLS
