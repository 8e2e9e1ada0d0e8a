#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The client's underlay address changes in the middle of a TCP transfer: the session follows it
# (no new handshake) and the transfer completes intact.
source "$(dirname "$0")/lib.sh"
require_env socat sha256sum ping
setup_net 1
write_server_config "$WORK/server.toml"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key"
start_client 1 "$WORK/client1.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 || die "client not connected"
wait_ping c1 10.77.0.1 5 || die "no traffic"

# A paced stream (~6 s) so the address changes while it runs.
for i in $(seq 1 60); do head -c 65536 /dev/urandom; done >"$WORK/data"
want=$(sha256sum <"$WORK/data" | cut -d' ' -f1)
in_ns srv timeout 60 socat -u TCP-LISTEN:5002,reuseaddr,bind=10.77.0.1 "OPEN:$WORK/received,creat,trunc" &
rx_pid=$!; PIDS+=("$rx_pid")
sleep 0.3
( for i in $(seq 0 59); do dd if="$WORK/data" bs=65536 skip="$i" count=1 status=none; sleep 0.1; done ) \
  | in_ns c1 timeout 60 socat -u - TCP:10.77.0.1:5002 &
tx_pid=$!; PIDS+=("$tx_pid")
sleep 2
dev="uvt$$c1"
# Like a new DHCP lease: the new address first, then the old one goes (kept from taking the new
# one with it by promote_secondaries).
in_ns c1 sysctl -qw "net.ipv4.conf.$dev.promote_secondaries=1"
in_ns c1 ip addr add 192.168.101.3/24 dev "$dev"
in_ns c1 ip addr del 192.168.101.2/24 dev "$dev"
wait "$tx_pid" || fail "sender failed"
wait "$rx_pid" || true
got=$(sha256sum <"$WORK/received" | cut -d' ' -f1)
[ "$got" = "$want" ] && pass "transfer survived the address change" || fail "transfer corrupted or cut ($(stat -c %s "$WORK/received") bytes)"
wait_log "$WORK/server.log" "client alice roamed from 192\.168\.101\.2:[0-9]+ to 192\.168\.101\.3" 5 \
  && pass "server followed the client to its new address" || fail "no roaming logged"
[ "$(count_log "$WORK/client1.log" "connected to")" -eq 1 ] && pass "same session (no reconnect)" \
  || fail "the client reconnected instead of roaming"
outer=$(json_field "$(status)" alice outer)
[[ "$outer" == 192.168.101.3:* ]] && pass "status shows the new outer address" || fail "status outer $outer"
finish
