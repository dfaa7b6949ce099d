#!/bin/sh
# systemd-analyze verify on data/polld.service and its offline security
# score; exit 77 (skip) only when systemd-analyze can't run here
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u

unit_in="$1"
polld="$2"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is not installed"
	exit 77
fi
if ! systemd-analyze --version >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze can't run here"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the built binary instead of the install path; man pages aren't installed
sed -e "s|^ExecStart=.*|ExecStart=$polld|" -e '/^Documentation=/d' "$unit_in" >"$tmp/polld.service"
if ! systemd-analyze verify --man=no "$tmp/polld.service" >"$tmp/verify.log" 2>&1 || [ -s "$tmp/verify.log" ]; then
	echo "FAIL: systemd-analyze verify:"
	cat "$tmp/verify.log"
	exit 1
fi
echo "systemd-analyze verify: clean"

systemd-analyze security --offline=yes "$tmp/polld.service" >"$tmp/security.log" 2>&1
grep -E "✗|Overall exposure" "$tmp/security.log"
score=$(sed -n 's/.*Overall exposure level for polld.service: \([0-9.]*\).*/\1/p' "$tmp/security.log")
if [ -z "$score" ]; then
	echo "FAIL: no score from systemd-analyze security --offline=yes"
	cat "$tmp/security.log"
	exit 1
fi
echo "security exposure score: $score"
# keep it in the OK band
if awk "BEGIN { exit !($score > 2.0) }"; then
	echo "FAIL: exposure $score > 2.0"
	exit 1
fi
exit 0
