/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-ipmi"

#include <string.h>
#include <unistd.h>

#include "pd-ipmi-tool.h"

#define PD_IPMI_DEFAULT_TIMEOUT_S 30
#define PD_IPMI_DEFAULT_OUTPUT_LIMIT (1024 * 1024)
#define PD_IPMI_STDERR_LIMIT 4096
#define PD_IPMI_READ_CHUNK 4096

void
pd_ipmi_tool_config_free(PdIpmiToolConfig *tc)
{
	if (tc == NULL)
		return;
	g_free(tc->ipmitool);
	g_free(tc->interface);
	g_free(tc->address);
	g_free(tc->username);
	if (tc->password != NULL)
		memset(tc->password, 0, strlen(tc->password));
	g_free(tc->password);
	g_free(tc->password_file);
	g_free(tc->cipher_suite);
	g_free(tc);
}

static gchar *
pd_ipmi_tool_config_dup(PdConfig *config, const gchar *key)
{
	const gchar *value = pd_config_get_string(config, "ipmi", key, NULL);
	return value != NULL && value[0] != '\0' ? g_strdup(value) : NULL;
}

static gboolean
pd_ipmi_tool_config_fail(PdConfig *config, const gchar *key, const gchar *why, GError **error)
{
	const gchar *origin = pd_config_get_origin(config, "ipmi", key);
	g_set_error(error,
		    PD_ERROR,
		    PD_ERROR_INVALID_CONFIG,
		    "%s: [ipmi] %s %s",
		    origin != NULL ? origin : "configuration",
		    key,
		    why);
	return FALSE;
}

static gboolean
pd_ipmi_tool_config_check(PdIpmiToolConfig *tc, PdConfig *config, GError **error)
{
	gboolean remote = g_strcmp0(tc->interface, "open") != 0;

	if (remote && g_strcmp0(tc->interface, "lan") != 0 &&
	    g_strcmp0(tc->interface, "lanplus") != 0)
		return pd_ipmi_tool_config_fail(
		  config, "interface", "must be open, lan or lanplus", error);
	if (remote && tc->address == NULL)
		return pd_ipmi_tool_config_fail(
		  config, "interface", "is remote but [ipmi] address is not set", error);
	if (tc->port < 1 || tc->port > 65535)
		return pd_ipmi_tool_config_fail(config, "port", "must be 1 to 65535", error);
	if (tc->password != NULL && tc->password_file != NULL)
		return pd_ipmi_tool_config_fail(
		  config, "password_file", "and [ipmi] password are both set; keep one", error);
	if (tc->timeout_ms == 0)
		return pd_ipmi_tool_config_fail(
		  config, "command_timeout", "must be 1 second or more", error);
	if (tc->output_limit == 0)
		return pd_ipmi_tool_config_fail(config, "output_limit", "must be positive", error);
	return TRUE;
}

PdIpmiToolConfig *
pd_ipmi_tool_config_new(PdConfig *config, GError **error)
{
	g_autoptr(PdIpmiToolConfig) tc = g_new0(PdIpmiToolConfig, 1);
	gint64 timeout_s, limit, port;

	/* the ranges data/polld.conf documents; out of range is a config error */
	if (!pd_config_get_int_range(config,
				     "ipmi",
				     "command_timeout",
				     PD_IPMI_DEFAULT_TIMEOUT_S,
				     1,
				     3600,
				     &timeout_s,
				     error) ||
	    !pd_config_get_int_range(config,
				     "ipmi",
				     "output_limit",
				     PD_IPMI_DEFAULT_OUTPUT_LIMIT,
				     1,
				     1024 * 1024 * 1024,
				     &limit,
				     error) ||
	    !pd_config_get_int_range(config, "ipmi", "port", 623, 1, 65535, &port, error))
		return NULL;

	tc->ipmitool = g_strdup(pd_config_get_string(config, "ipmi", "ipmitool", "ipmitool"));
	tc->interface = g_strdup(pd_config_get_string(config, "ipmi", "interface", "open"));
	tc->address = pd_ipmi_tool_config_dup(config, "address");
	tc->port = port;
	tc->username = pd_ipmi_tool_config_dup(config, "username");
	tc->password = pd_ipmi_tool_config_dup(config, "password");
	tc->password_file = pd_ipmi_tool_config_dup(config, "password_file");
	tc->cipher_suite = pd_ipmi_tool_config_dup(config, "cipher_suite");
	tc->timeout_ms = timeout_s > 0 && timeout_s <= 3600 ? (guint)timeout_s * 1000 : 0;
	tc->output_limit = limit > 0 ? (gsize)limit : 0;
	if (!pd_ipmi_tool_config_check(tc, config, error))
		return NULL;
	return g_steal_pointer(&tc);
}

static void
pd_ipmi_tool_add_remote_args(const PdIpmiToolConfig *tc, GPtrArray *argv)
{
	g_ptr_array_add(argv, g_strdup("-H"));
	g_ptr_array_add(argv, g_strdup(tc->address));
	g_ptr_array_add(argv, g_strdup("-p"));
	g_ptr_array_add(argv, g_strdup_printf("%" G_GINT64_FORMAT, tc->port));
	if (tc->username != NULL) {
		g_ptr_array_add(argv, g_strdup("-U"));
		g_ptr_array_add(argv, g_strdup(tc->username));
	}
	/* the password travels in the environment or a file, where ps can't
	 * see it; none configured is the empty one, never a prompt */
	if (tc->password_file != NULL) {
		g_ptr_array_add(argv, g_strdup("-f"));
		g_ptr_array_add(argv, g_strdup(tc->password_file));
	} else {
		g_ptr_array_add(argv, g_strdup("-E"));
	}
	if (tc->cipher_suite != NULL && g_strcmp0(tc->interface, "lanplus") == 0) {
		g_ptr_array_add(argv, g_strdup("-C"));
		g_ptr_array_add(argv, g_strdup(tc->cipher_suite));
	}
}

GStrv
pd_ipmi_tool_config_build_argv(const PdIpmiToolConfig *tc, const gchar *const *args)
{
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, g_strdup(tc->ipmitool));
	g_ptr_array_add(argv, g_strdup("-I"));
	g_ptr_array_add(argv, g_strdup(tc->interface));
	if (g_strcmp0(tc->interface, "open") != 0)
		pd_ipmi_tool_add_remote_args(tc, argv);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	g_ptr_array_add(argv, NULL);
	return (GStrv)g_ptr_array_free(argv, FALSE);
}

/* --- one run, on a private main context of the calling worker thread --- */

typedef struct {
	GSubprocess *process;
	GByteArray *out;
	GByteArray *err;
	gsize out_limit;
	guint pending; /* stdout, stderr, wait */
	gboolean timed_out;
	gboolean overflow;
	GCancellable *cancellable; /* stops the reads once the process is gone */
} PdIpmiRun;

typedef struct {
	PdIpmiRun *run;
	GByteArray *buffer;
	gsize limit;
	gboolean is_stdout;
	guint8 chunk[PD_IPMI_READ_CHUNK];
} PdIpmiReader;

static void
pd_ipmi_reader_next(PdIpmiReader *reader, GInputStream *stream);

static void
pd_ipmi_reader_read_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdIpmiReader *reader = user_data;
	PdIpmiRun *run = reader->run;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, NULL);

	if (n <= 0) {
		run->pending--;
		g_free(reader);
		return;
	}
	if (reader->buffer->len + (gsize)n > reader->limit) {
		if (reader->is_stdout) {
			run->overflow = TRUE;
			g_subprocess_force_exit(run->process);
		}
		/* stderr beyond its limit is dropped, the process goes on */
		n = (gssize)(reader->limit - MIN(reader->limit, reader->buffer->len));
	}
	g_byte_array_append(reader->buffer, reader->chunk, (guint)n);
	if (run->overflow && reader->is_stdout) {
		run->pending--;
		g_free(reader);
		return;
	}
	pd_ipmi_reader_next(reader, G_INPUT_STREAM(source));
}

static void
pd_ipmi_reader_next(PdIpmiReader *reader, GInputStream *stream)
{
	g_input_stream_read_async(stream,
				  reader->chunk,
				  sizeof(reader->chunk),
				  G_PRIORITY_DEFAULT,
				  reader->run->cancellable,
				  pd_ipmi_reader_read_cb,
				  reader);
}

static void
pd_ipmi_run_read(PdIpmiRun *run, GInputStream *stream, GByteArray *buffer, gsize limit)
{
	PdIpmiReader *reader = g_new0(PdIpmiReader, 1);

	reader->run = run;
	reader->buffer = buffer;
	reader->limit = limit;
	reader->is_stdout = buffer == run->out;
	run->pending++;
	pd_ipmi_reader_next(reader, stream);
}

static void
pd_ipmi_run_wait_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	PdIpmiRun *run = user_data;
	g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
	run->pending--;
}

static gboolean
pd_ipmi_run_timeout_cb(gpointer user_data)
{
	PdIpmiRun *run = user_data;
	run->timed_out = TRUE;
	g_subprocess_force_exit(run->process);
	/* a child of ipmitool still holding a pipe must not keep us waiting */
	g_cancellable_cancel(run->cancellable);
	return G_SOURCE_REMOVE;
}

static void
pd_ipmi_run_cancelled_cb(GCancellable *cancellable, gpointer user_data)
{
	PdIpmiRun *run = user_data;
	g_subprocess_force_exit(run->process);
}

static void
pd_ipmi_tool_child_setup(gpointer user_data)
{
	setsid();
}

static GSubprocess *
pd_ipmi_tool_spawn(const PdIpmiToolConfig *tc, const gchar *const *args, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	  G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_auto(GStrv) argv = pd_ipmi_tool_config_build_argv(tc, args);
	g_autofree gchar *cmdline = g_strjoinv(" ", argv);

	/* ipmitool's -E reads IPMI_PASSWORD; only set when configured */
	g_subprocess_launcher_unsetenv(launcher, "IPMI_PASSWORD");
	g_subprocess_launcher_unsetenv(launcher, "IPMITOOL_PASSWORD");
	if (tc->password_file == NULL)
		g_subprocess_launcher_setenv(
		  launcher, "IPMI_PASSWORD", tc->password != NULL ? tc->password : "", TRUE);
	/* no controlling terminal: ipmitool must never wait for someone to type */
	g_subprocess_launcher_set_child_setup(launcher, pd_ipmi_tool_child_setup, NULL, NULL);
	g_subprocess_launcher_setenv(launcher, "LC_ALL", "C", TRUE);
	g_debug("running %s", cmdline);
	return g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv, error);
}

static gchar *
pd_ipmi_run_stderr_line(PdIpmiRun *run)
{
	g_autofree gchar *text =
	  g_utf8_make_valid((const gchar *)run->err->data, (gssize)run->err->len);
	g_auto(GStrv) lines = g_strsplit(g_strstrip(text), "\n", -1);
	guint n = g_strv_length(lines);
	return n > 0 ? g_strdup(g_strstrip(lines[n - 1])) : g_strdup("");
}

static gboolean
pd_ipmi_run_check(const PdIpmiToolConfig *tc,
		  PdIpmiRun *run,
		  GCancellable *cancellable,
		  GError **error)
{
	g_autofree gchar *last = pd_ipmi_run_stderr_line(run);

	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return FALSE;
	if (run->timed_out) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_TIMED_OUT,
			    "ipmitool killed after %u s without finishing",
			    tc->timeout_ms / 1000);
		return FALSE;
	}
	if (run->overflow) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_FAILED,
			    "ipmitool killed: output over [ipmi] output_limit (%" G_GSIZE_FORMAT
			    " bytes)",
			    tc->output_limit);
		return FALSE;
	}
	if (!g_subprocess_get_successful(run->process)) {
		g_set_error(error,
			    PD_ERROR,
			    PD_ERROR_FAILED,
			    "ipmitool failed (exit status %d): %s",
			    g_subprocess_get_if_exited(run->process)
			      ? g_subprocess_get_exit_status(run->process)
			      : -1,
			    last[0] != '\0' ? last : "no message");
		return FALSE;
	}
	return TRUE;
}

static void
pd_ipmi_run_loop(const PdIpmiToolConfig *tc,
		 PdIpmiRun *run,
		 GMainContext *context,
		 GCancellable *cancellable)
{
	g_autoptr(GSource) timeout = g_timeout_source_new(tc->timeout_ms);
	gulong handler = 0;

	g_source_set_callback(timeout, pd_ipmi_run_timeout_cb, run, NULL);
	g_source_attach(timeout, context);
	if (cancellable != NULL)
		handler = g_cancellable_connect(
		  cancellable, G_CALLBACK(pd_ipmi_run_cancelled_cb), run, NULL);
	pd_ipmi_run_read(run, g_subprocess_get_stdout_pipe(run->process), run->out, run->out_limit);
	pd_ipmi_run_read(
	  run, g_subprocess_get_stderr_pipe(run->process), run->err, PD_IPMI_STDERR_LIMIT);
	run->pending++;
	g_subprocess_wait_async(run->process, NULL, pd_ipmi_run_wait_cb, run);
	while (run->pending > 0)
		g_main_context_iteration(context, TRUE);
	g_source_destroy(timeout);
	if (handler != 0)
		g_cancellable_disconnect(cancellable, handler);
}

GBytes *
pd_ipmi_tool_run(const PdIpmiToolConfig *tc,
		 const gchar *const *args,
		 GCancellable *cancellable,
		 GError **error)
{
	g_autoptr(GMainContext) context = g_main_context_new();
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autoptr(GByteArray) err = g_byte_array_new();
	g_autoptr(GCancellable) reads = g_cancellable_new();
	g_autoptr(GSubprocess) process = NULL;
	PdIpmiRun run = { 0 };
	gboolean ok;

	g_main_context_push_thread_default(context);
	process = pd_ipmi_tool_spawn(tc, args, error);
	if (process == NULL) {
		g_main_context_pop_thread_default(context);
		return NULL;
	}
	run.process = process;
	run.out = out;
	run.err = err;
	run.out_limit = tc->output_limit;
	run.cancellable = reads;
	pd_ipmi_run_loop(tc, &run, context, cancellable);
	ok = pd_ipmi_run_check(tc, &run, cancellable, error);
	g_main_context_pop_thread_default(context);
	if (!ok)
		return NULL;
	return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}
