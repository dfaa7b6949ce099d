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
echo "http module: ok"
