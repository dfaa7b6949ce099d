#!/bin/sh
# what meson install puts where: the unit in -Dsystemdsystemunitdir (else
# where systemd's pkg-config says), sysusers.d and tmpfiles.d files, and the
# unit's AF_NETLINK and EnvironmentFile; checked on a throwaway configure
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

src="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

installed() {
	meson introspect --installed "$1" | tr ',' '\n'
}

meson setup "$tmp/a" "$src" -Dtests=false -Dcompute=disabled -Dcentral=disabled \
	-Damqp=disabled -Dsystemdsystemunitdir="$tmp/units" >"$tmp/setup.log" 2>&1 ||
	{ cat "$tmp/setup.log"; exit 1; }
out=$(installed "$tmp/a")
echo "$out" | grep -q "\"$tmp/units/polld.service\"" ||
	{ echo "FAIL: -Dsystemdsystemunitdir ignored"; echo "$out" | grep service; exit 1; }
echo "$out" | grep -q 'sysusers.d/polld.conf"' || { echo "FAIL: no sysusers.d file"; exit 1; }
echo "$out" | grep -q 'tmpfiles.d/polld.conf"' || { echo "FAIL: no tmpfiles.d file"; exit 1; }

if pkg-config --exists systemd; then
	want=$(pkg-config --variable=systemdsystemunitdir systemd)
	meson setup "$tmp/b" "$src" -Dtests=false -Dcompute=disabled -Dcentral=disabled \
		-Damqp=disabled --prefix=/usr >"$tmp/setup.log" 2>&1 ||
		{ cat "$tmp/setup.log"; exit 1; }
	installed "$tmp/b" | grep -q "\"$want/polld.service\"" ||
		{ echo "FAIL: default unit dir is not systemd's $want"; exit 1; }
fi

unit="$tmp/a/data/polld.service"
grep -q '^RestrictAddressFamilies=.*AF_NETLINK' "$unit" || { echo "FAIL: no AF_NETLINK"; exit 1; }
grep -q '^EnvironmentFile=-/etc/default/polld$' "$unit" || { echo "FAIL: no EnvironmentFile"; exit 1; }
grep -q '^ExecStart=.*polld \$POLLD_ARGS$' "$unit" || { echo "FAIL: ExecStart lacks \$POLLD_ARGS"; exit 1; }
echo "install layout: ok"
