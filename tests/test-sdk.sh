#!/bin/sh
# the SDK as a third party sees it: install polld into a scratch directory,
# build tests/sdk/pd-example-plugin.c there with nothing but
# `pkg-config polld-plugin-1`, load it with --plugin-dir and check that its
# samples come out of the installed daemon
#
# usage: test-sdk.sh BUILD_ROOT SOURCE_ROOT PREFIX LIBDIR SBINDIR
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

build="$1"
src="$2"
prefix="$3"
libdir="$4"
sbindir="$5"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"

meson install -C "$build" --no-rebuild --destdir "$root" >"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log"
	exit 1
}
# the staged copy sits under $root instead of $prefix: relocate its .pc file
pcdir="$root$libdir/pkgconfig"
sed -i "s|^prefix=.*|prefix=$root$prefix|" "$pcdir/polld-plugin-1.pc"
export PKG_CONFIG_PATH="$pcdir"
echo "# cflags: $(pkg-config --cflags polld-plugin-1)"
plugindir=$(pkg-config --variable=plugindir polld-plugin-1)
test -d "$plugindir" || {
	echo "plugindir $plugindir from the .pc file was not installed"
	exit 1
}

# plugins get the SDK from the library, not from the executable
if nm -D --defined-only "$root$sbindir/polld" | grep -q ' pd_'; then
	echo "the installed polld exports pd_ symbols:"
	nm -D --defined-only "$root$sbindir/polld" | grep ' pd_' | head
	exit 1
fi

mkdir "$tmp/plugins"
# shellcheck disable=SC2046 # pkg-config's output is meant to be split
${CC:-cc} -shared -fPIC -Wall -Werror -o "$tmp/plugins/libpd_example.so" \
	"$src/tests/sdk/pd-example-plugin.c" $(pkg-config --cflags --libs polld-plugin-1)

cat >"$tmp/polling.yaml" <<YAML
---
sources:
  - name: example_source
    interval: 600
    meters:
      - example.answer
YAML
cat >"$tmp/polld.conf" <<CONF
[DEFAULT]
host = sdk-test
[polling]
cfg_file = $tmp/polling.yaml
[example]
things = 3
answer = 42
CONF

LD_LIBRARY_PATH="$root$libdir" "$root$sbindir/polld" --once --dry-run \
	--plugin-dir "$tmp/plugins" --polling-namespaces example \
	--config-file "$tmp/polld.conf" >"$tmp/out" 2>"$tmp/err" || {
	echo "polld failed:"
	cat "$tmp/err"
	exit 1
}

# one message body per line; the samples are in payload.samples
python3 - "$tmp/out" <<'PY'
import json, sys

samples = []
for line in open(sys.argv[1]):
    if line.strip():
        msg = json.loads(json.loads(line)["oslo.message"])
        samples += msg["payload"]["samples"]
got = sorted((s["counter_name"], s["resource_id"], s["counter_volume"]) for s in samples)
want = [("example.answer", "thing-%d" % i, 42) for i in range(3)]
assert got == want, "samples: %r" % (got,)
assert all(s["resource_metadata"]["built_with"].startswith("polld ") for s in samples)
print("# %d samples from the out-of-tree plugin" % len(samples))
PY
