#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The server is restarted (SIGTERM, start again; then killed hard and started again): the client
# is back within 10 s both times without any manual step.
source "$(dirname "$0")/lib.sh"
require_env ping
setup_net 1
write_server_config "$WORK/server.toml"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key"
start_client 1 "$WORK/client1.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 || die "client not connected"
wait_ping c1 10.77.0.1 5 || die "no traffic before the restart"

stop_server
wait_log "$WORK/client1.log" "disconnected from .*closed by the peer" 3 \
  && pass "client was told the server is going away" || fail "client did not log the server's disconnect"
start_server "$WORK/server.toml"
t0=$(date +%s)
wait_ping c1 10.77.0.1 10 && pass "client back $(( $(date +%s) - t0 )) s after a clean restart" \
  || fail "client not back within 10 s of a clean restart"

kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
: >"$WORK/server.log"
start_server "$WORK/server.toml"
t0=$(date +%s)
wait_ping c1 10.77.0.1 10 && pass "client back $(( $(date +%s) - t0 )) s after the server was killed" \
  || fail "client not back within 10 s of a hard restart"
finish
