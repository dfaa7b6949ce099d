#!/bin/sh
# polld test harness: a private RabbitMQ node on 127.0.0.1
#
# usage: rabbitmq-harness.sh start|stop|restart|ctl DIR PORT [rabbitmqctl args...]
#   With POLLD_HARNESS_WATCH_PID set, start also leaves a watchdog that stops
#   the node once that process is gone (a test that aborted).
#   PORT is the AMQP port; PORT+1 is the Erlang distribution port and PORT+2
#   the node's own epmd, so nothing collides with a system broker.
#   DIR holds the node's database, logs and Erlang cookie.
#   POLLD_HARNESS_EXTRA_CONF, if set, holds lines start appends to a new
#   rabbitmq.conf (e.g. a TLS listener and its ssl_options).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

cmd=$1
dir=$(cd "$2" && pwd)
port=$3
shift 3

rabbit_bin=/usr/lib/rabbitmq/bin
[ -x "$rabbit_bin/rabbitmq-server" ] || rabbit_bin=$(dirname "$(command -v rabbitmq-server)")

export HOME="$dir"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$port"
export RABBITMQ_DIST_PORT=$((port + 1))
export ERL_EPMD_PORT=$((port + 2))
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_NODENAME="polldtest$port@localhost"
export RABBITMQ_MNESIA_BASE="$dir/mnesia"
export RABBITMQ_LOG_BASE="$dir/log"
export RABBITMQ_PID_FILE="$dir/rabbit.pid"
export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
export RABBITMQ_CONFIG_FILE="$dir/rabbitmq"
export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
export RABBITMQ_CTL_DIST_PORT_MIN=$((port + 3))
export RABBITMQ_CTL_DIST_PORT_MAX=$((port + 9))

ctl() {
	"$rabbit_bin/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@"
}

start() {
	mkdir -p "$dir/log" "$dir/mnesia"
	[ -f "$dir/enabled_plugins" ] || echo '[].' >"$dir/enabled_plugins"
	[ -f "$dir/rabbitmq.conf" ] || printf '%s\n' \
		'loopback_users = none' \
		'log.console = false' \
		'log.file.level = warning' \
		${POLLD_HARNESS_EXTRA_CONF:+"$POLLD_HARNESS_EXTRA_CONF"} >"$dir/rabbitmq.conf"
	[ -f "$dir/advanced.config" ] || echo '[].' >"$dir/advanced.config"
	rm -f "$dir/rabbit.pid"
	setsid "$rabbit_bin/rabbitmq-server" >>"$dir/log/server.out" 2>&1 </dev/null &
	# the pid file appears once the VM runs; wait then blocks until rabbit is up
	ctl wait --timeout 60 "$dir/rabbit.pid" >/dev/null
	if [ -n "${POLLD_HARNESS_WATCH_PID:-}" ]; then
		watched=$POLLD_HARNESS_WATCH_PID
		setsid sh -c "while kill -0 $watched 2>/dev/null && [ -f '$dir/rabbit.pid' ]; do sleep 2; done; \
			[ -f '$dir/rabbit.pid' ] && '$0' stop '$dir' '$port'" >/dev/null 2>&1 </dev/null &
	fi
}

stop() {
	if [ -f "$dir/rabbit.pid" ]; then
		ctl shutdown >/dev/null 2>&1 || kill "$(cat "$dir/rabbit.pid")" 2>/dev/null || true
		rm -f "$dir/rabbit.pid"
	fi
	epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1 || true
}

case "$cmd" in
start) start ;;
stop) stop ;;
restart) stop; start ;;
ctl) ctl "$@" ;;
*) echo "usage: $0 start|stop|restart|ctl DIR PORT [args]" >&2; exit 2 ;;
esac
