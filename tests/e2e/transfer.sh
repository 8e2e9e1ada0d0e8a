#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A 200 MB TCP transfer through the tunnel arrives intact (same SHA-256 on both ends).
source "$(dirname "$0")/lib.sh"
require_env socat sha256sum
SIZE_MB=${UDPVPN_E2E_TRANSFER_MB:-200}
setup_net 1
write_server_config "$WORK/server.toml"
sed -i 's/log_level = "debug"/log_level = "info"/' "$WORK/server.toml"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key"
sed -i 's/log_level = "debug"/log_level = "info"/' "$WORK/client1.toml"
start_client 1 "$WORK/client1.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 || die "client not configured"
wait_ping c1 10.77.0.1 5 || die "no ping through the tunnel"

head -c "${SIZE_MB}M" /dev/urandom >"$WORK/data"
want=$(sha256sum <"$WORK/data" | cut -d' ' -f1)
in_ns srv socat -u TCP-LISTEN:5001,reuseaddr,bind=10.77.0.1 "OPEN:$WORK/received,creat,trunc" &
rx_pid=$!
PIDS+=("$rx_pid")
sleep 0.3
start=$(date +%s.%N)
in_ns c1 socat -u "OPEN:$WORK/data" TCP:10.77.0.1:5001 || fail "sender failed"
wait "$rx_pid" || true
end=$(date +%s.%N)
got=$(sha256sum <"$WORK/received" | cut -d' ' -f1)
mbps=$(python3 -c "print(round($SIZE_MB*8*1.048576/($end-$start)))" 2>/dev/null || echo "?")
[ "$got" = "$want" ] && pass "${SIZE_MB} MB arrived with the same SHA-256 (~$mbps Mbit/s)" \
  || fail "SHA-256 differs: sent $want, received $got ($(stat -c %s "$WORK/received") bytes)"
finish
