/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-host"

#include <string.h>

#include "pd-host-proc.h"

PdHostEntry *
pd_host_proc_entry_new(const gchar *name)
{
	PdHostEntry *entry = g_new0(PdHostEntry, 1);
	entry->name = g_strdup(name);
	return entry;
}

void
pd_host_proc_entry_free(PdHostEntry *entry)
{
	g_free(entry->name);
	if (entry->metadata != NULL)
		pd_metadata_unref(entry->metadata);
	g_free(entry);
}

void
pd_host_proc_mount_free(PdHostMount *mount)
{
	g_free(mount->device);
	g_free(mount->path);
	g_free(mount);
}

/* whitespace separated fields of one line, empty ones dropped */
static GStrv
pd_host_split_fields(const gchar *line)
{
	g_auto(GStrv) parts = g_strsplit_set(line, " \t", -1);
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] != '\0')
			g_strv_builder_add(builder, parts[i]);
	}
	return g_strv_builder_end(builder);
}

static gboolean
pd_host_parse_u64(const gchar *str, guint64 *value, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if (!g_ascii_string_to_unsigned(str, 10, 0, G_MAXUINT64, value, &error_local)) {
		g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "%s", error_local->message);
		return FALSE;
	}
	return TRUE;
}

gboolean
pd_host_proc_parse_loadavg(const gchar *text, gdouble *load, GError **error)
{
	g_auto(GStrv) fields = pd_host_split_fields(text);

	if (g_strv_length(fields) < 3) {
		g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "/proc/loadavg: too few fields");
		return FALSE;
	}
	for (guint i = 0; i < 3; i++) {
		gchar *end = NULL;
		load[i] = g_ascii_strtod(fields[i], &end);
		if (end == fields[i] || *end != '\0') {
			g_set_error(error,
				    PD_ERROR,
				    PD_ERROR_FAILED,
				    "/proc/loadavg: bad load average '%s'",
				    fields[i]);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
pd_host_proc_parse_cpu_times(const gchar *text, guint64 *times, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = NULL;
		guint n;

		if (!g_str_has_prefix(lines[i], "cpu "))
			continue;
		fields = pd_host_split_fields(lines[i]);
		n = g_strv_length(fields) - 1;
		/* kernels before 2.6.11 have fewer columns: the missing ones are zero */
		if (n <= PD_HOST_CPU_IDLE_TIME)
			break;
		memset(times, 0, PD_HOST_CPU_N_TIMES * sizeof(guint64));
		for (guint j = 0; j < MIN(n, PD_HOST_CPU_N_TIMES); j++) {
			if (!pd_host_parse_u64(fields[j + 1], &times[j], error)) {
				g_prefix_error(error, "/proc/stat: ");
				return FALSE;
			}
		}
		return TRUE;
	}
	g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "/proc/stat: no usable cpu line");
	return FALSE;
}

/* the key of a "key: value" or "key value" line, without the colon */
static gchar *
pd_host_keyed_line_key(const gchar *field)
{
	gsize len = strlen(field);

	if (len > 0 && field[len - 1] == ':')
		len--;
	return g_strndup(field, len);
}

gboolean
pd_host_proc_parse_keyed(const gchar *text,
			 const gchar *const *keys,
			 guint64 *values,
			 GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint n_keys = g_strv_length((GStrv)keys);
	g_autofree gboolean *found = g_new0(gboolean, n_keys);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = pd_host_split_fields(lines[i]);
		g_autofree gchar *key = NULL;

		if (g_strv_length(fields) < 2)
			continue;
		key = pd_host_keyed_line_key(fields[0]);
		for (guint k = 0; k < n_keys; k++) {
			if (found[k] || g_strcmp0(key, keys[k]) != 0)
				continue;
			if (!pd_host_parse_u64(fields[1], &values[k], error)) {
				g_prefix_error(error, "%s: ", key);
				return FALSE;
			}
			found[k] = TRUE;
		}
	}
	for (guint k = 0; k < n_keys; k++) {
		if (!found[k]) {
			g_set_error(error, PD_ERROR, PD_ERROR_FAILED, "no %s line", keys[k]);
			return FALSE;
		}
	}
	return TRUE;
}

/* "  eth0: 123 4 0 ..." -> entry with rx bytes, tx bytes, tx errors */
static PdHostEntry *
pd_host_parse_net_dev_line(const gchar *line, const gchar *colon, GError **error)
{
	g_autofree gchar *name = g_strstrip(g_strndup(line, colon - line));
	g_auto(GStrv) fields = pd_host_split_fields(colon + 1);
	g_autoptr(PdHostEntry) entry = pd_host_proc_entry_new(name);
	const guint columns[] = {
		[PD_HOST_NET_RX_BYTES] = 0,
		[PD_HOST_NET_TX_BYTES] = 8,
		[PD_HOST_NET_TX_ERRORS] = 10,
	};

	if (g_strv_length(fields) < 11) {
		g_set_error(
		  error, PD_ERROR, PD_ERROR_FAILED, "/proc/net/dev: short line for %s", name);
		return NULL;
	}
	for (guint i = 0; i < G_N_ELEMENTS(columns); i++) {
		guint64 value;
		if (!pd_host_parse_u64(fields[columns[i]], &value, error)) {
			g_prefix_error(error, "/proc/net/dev: %s: ", name);
			return NULL;
		}
		entry->values[i].i = (gint64)MIN(value, (guint64)G_MAXINT64);
	}
	return g_steal_pointer(&entry);
}

GPtrArray *
pd_host_proc_parse_net_dev(const gchar *text, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GPtrArray) entries =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_host_proc_entry_free);

	/* the two header lines have no colon */
	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *colon = strchr(lines[i], ':');
		PdHostEntry *entry;

		if (colon == NULL)
			continue;
		entry = pd_host_parse_net_dev_line(lines[i], colon, error);
		if (entry == NULL)
			return NULL;
		/* loopback traffic says nothing about the host's network */
		if (g_strcmp0(entry->name, "lo") == 0) {
			pd_host_proc_entry_free(entry);
			continue;
		}
		g_ptr_array_add(entries, entry);
	}
	return g_steal_pointer(&entries);
}

GPtrArray *
pd_host_proc_parse_mounts(const gchar *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GPtrArray) mounts =
	  g_ptr_array_new_with_free_func((GDestroyNotify)pd_host_proc_mount_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; lines[i] != NULL; i++) {
		/* fields are space separated; spaces inside are octal escapes */
		g_auto(GStrv) fields = g_strsplit(lines[i], " ", 3);
		PdHostMount *mount;

		if (g_strv_length(fields) < 3 || !g_str_has_prefix(fields[0], "/dev/"))
			continue;
		mount = g_new0(PdHostMount, 1);
		mount->device = g_strcompress(fields[0]);
		if (g_hash_table_contains(seen, mount->device)) {
			pd_host_proc_mount_free(mount);
			continue;
		}
		mount->path = g_strcompress(fields[1]);
		g_hash_table_add(seen, mount->device);
		g_ptr_array_add(mounts, mount);
	}
	return g_steal_pointer(&mounts);
}
