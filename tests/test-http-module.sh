#!/bin/sh
# libsoup is the HTTP module's (src/pd-http-module.h), not the daemon's: the
# dynamic loader maps no libsoup or libsqlite3 when it starts polld, and the
# module, which needs them, exports one symbol
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

polld="$1"
module="$2"

loaded=$(LD_TRACE_LOADED_OBJECTS=1 "$polld")
echo "$loaded" | grep -q 'libglib-2.0' || { echo "FAIL: no loader listing: $loaded"; exit 1; }
if echo "$loaded" | grep -E 'libsoup|libsqlite3'; then
	echo "FAIL: polld maps libsoup's chain at start"
	exit 1
fi
ldd "$module" | grep -q 'libsoup-3.0' || { echo "FAIL: $module without libsoup"; exit 1; }
exported=$(nm -D --defined-only "$module" | awk '$2 == "T" { print $3 }')
[ "$exported" = pd_http_module_entry_get ] || { echo "FAIL: $module exports: $exported"; exit 1; }

# without $POLLD_HTTP_MODULE: a polld of the build tree opens its build's
# module; a polld elsewhere never opens a file found beside its binary
unset POLLD_HTTP_MODULE
build=$(dirname "$(dirname "$module")")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[polling]\nenable_notifications = false\nenable_prometheus_exporter = true\n%s\n' \
	'prometheus_listen_addresses = 127.0.0.1:0' >"$tmp/polld.conf"
run() {
	G_MESSAGES_DEBUG=PdHttpModule POLLD_PLUGIN_DIR="$build/plugins/host" \
		"$1" --once --config-file "$tmp/polld.conf" >"$tmp/out" 2>"$tmp/err" || true
}
run "$polld"
grep -q "opened $module" "$tmp/err" || { echo "FAIL: build tree polld:"; cat "$tmp/err"; exit 1; }

mkdir "$tmp/bin" "$tmp/src"
cp "$polld" "$tmp/bin/polld"
echo 'not a module' >"$tmp/bin/libpolld-http.so"
cp "$tmp/bin/libpolld-http.so" "$tmp/src/libpolld-http.so"
LD_LIBRARY_PATH="$build/libpolldplugin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" run "$tmp/bin/polld"
if grep "$tmp/[bs]" "$tmp/err"; then
	echo "FAIL: a polld outside its build tree tried a file beside its binary"
	exit 1
fi
grep -q 'HTTP module' "$tmp/err" || grep -q "opened " "$tmp/err" ||
	{ echo "FAIL: the copy neither opened nor failed to open the module:"; cat "$tmp/err"; exit 1; }
# a configuration that needs the module when it can't be opened: polld
# refuses to start, exit status 1, naming the file and why (the exporter's
# configuration above; etcd coordination)
printf '[polling]\nenable_notifications = false\n[coordination]\n%s\n' \
	'backend_url = etcd3+http://127.0.0.1:1' >"$tmp/etcd.conf"
for conf in polld.conf etcd.conf; do
	status=0
	POLLD_HTTP_MODULE="$tmp/missing.so" POLLD_PLUGIN_DIR="$build/plugins/host" \
		"$polld" --once --dry-run --config-file "$tmp/$conf" >"$tmp/out" 2>"$tmp/err" || status=$?
	[ "$status" = 1 ] || { echo "FAIL: $conf without the module: exit $status"; cat "$tmp/err"; exit 1; }
	grep -q "HTTP module .*can't be opened: $tmp/missing.so: .*No such file" "$tmp/err" ||
		{ echo "FAIL: $conf without the module, no reason:"; cat "$tmp/err"; exit 1; }
done
echo "http module: ok"
