#!/usr/bin/env bash
# installs what polld needs from Debian 12's archive: "build" for building and
# running polld, "test" for the whole test suite and its services
set -euo pipefail

build_pkgs=(meson ninja-build pkg-config gcc gettext libglib2.0-dev libglib2.0-dev-bin
	libsoup-3.0-dev libjson-glib-dev libyaml-dev librabbitmq-dev libvirt-dev libxml2-dev
	libsystemd-dev nettle-dev)
test_pkgs=(valgrind clang clang-format libclang-rt-14-dev rabbitmq-server amqp-tools dbus dbus-daemon
	libvirt-daemon libvirt-clients openssl python3 time util-linux systemd
	etcd-server openipmi ipmitool prometheus ceilometer-common python3-ceilometer)

want=("${build_pkgs[@]}")
if [ "${1:-build}" = test ]; then
	want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# policy-rc.d keeps apt from starting system instances of rabbitmq/libvirtd:
# the tests start their own on loopback
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
