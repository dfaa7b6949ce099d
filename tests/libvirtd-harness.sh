#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs a private libvirtd for the compute tests: sockets in $1/sock, nothing
# shared with a system libvirtd. Domains come from test+unix:///abs.xml URIs
# (the test driver is built into libvirtd). exec: the caller's pid is libvirtd.
set -eu
dir=${1:?usage: libvirtd-harness.sh DIR}
mkdir -p "$dir/sock" "$dir/drivers"
cat > "$dir/libvirtd.conf" <<CONF
unix_sock_dir = "$dir/sock"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:stderr"
CONF
# as root, loading the qemu driver module fails and takes libvirtd down:
# an empty driver dir leaves just the built-in test driver
export LIBVIRT_DRIVER_DIR="$dir/drivers"
exec libvirtd --config "$dir/libvirtd.conf" --pid-file "$dir/libvirtd.pid"
