#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The server's Prometheus metrics ([metrics] listen): `promtool check metrics` accepts the
# exposition, and the counters match what this test did: one client connected (a session, a
# completed handshake), N pings through it (exactly N inner packets each way, 84 bytes each), a
# revoked client refused (handshakes_failed by reason cert_revoked, once per attempt its own log
# shows), a client that leaves (sessions_closed by reason peer_closed), the pings counted by the
# access rule that allowed them.
source "$(dirname "$0")/lib.sh"
require_env ping python3 promtool openssl
setup_net 2
# One access rule (issue 14) for the pings: its counter is exported per rule name.
SERVER_CRL="$TEST_PKI/crl.pem" write_server_config "$WORK/server.toml" '[metrics]' 'listen = "127.0.0.1:9557"' \
  '[[access.rule]]' 'name = "icmp-to-server"' 'action = "allow"' 'protocol = "icmp"' 'to = ["10.77.0.1/32", "fd77::1/128"]'
start_server "$WORK/server.toml"

# scrape: the body of GET /metrics from inside the server's namespace (bash's /dev/tcp, no curl).
scrape() {
  in_ns srv timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/9557 &&
    printf "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n" >&3 && cat <&3' | tr -d '\r' | sed '1,/^$/d'
}
# metric FILE NAME [LABELS]: the value of the sample with exactly these labels ("" = none).
metric() {
  python3 - "$@" <<'PY'
import re, sys
path, name = sys.argv[1], sys.argv[2]
want = sys.argv[3] if len(sys.argv) > 3 else ""
for line in open(path):
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line.strip())
    if m and m.group(1) == name and (m.group(3) or "") == want:
        print(m.group(4)); sys.exit(0)
print("missing"); sys.exit(0)
PY
}
# delta NAME LABELS: the sample's growth from $WORK/m1 to $WORK/m2.
delta() { echo $(( $(metric "$WORK/m2" "$1" "${2:-}") - $(metric "$WORK/m1" "$1" "${2:-}") )); }
# from_client_drops FILE: inner packets from clients dropped, summed over every reason.
from_client_drops() {
  grep '^udpvpn_inner_packets_dropped_total{direction="from_clients"' "$1" | awk '{s += $2} END {print s + 0}'
}

scrape >"$WORK/m0"
head -c 200 "$WORK/m0" | grep -q '^# HELP ' && pass "GET /metrics answers with the exposition" || die "no exposition: $(head -c 300 "$WORK/m0")"
promtool check metrics <"$WORK/m0" >"$WORK/promtool.log" 2>&1 && pass "promtool check metrics: no clients yet" \
  || fail "promtool check metrics: $(cat "$WORK/promtool.log")"
[ "$(metric "$WORK/m0" udpvpn_sessions 'state="established"')" = 0 ] && pass "no session at start" || fail "sessions at start"

write_client_config "$WORK/client1.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key" 192.168.101.1:51820
start_client 1 "$WORK/client1.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 || die "client not configured within 10 s"
wait_ping c1 10.77.0.1 5 || die "no ping through the tunnel"

# The revoked client tries a few times (its reconnect backoff), then stops.
write_client_config "$WORK/client2.toml" "$TEST_PKI/client_revoked.crt" "$TEST_PKI/client_revoked.key" 192.168.102.1:51820
start_client 2 "$WORK/client2.toml"
for _ in $(seq 50); do
  n=$(count_log "$WORK/client2.log" 'cannot connect.*revoked')
  [ "${n:-0}" -ge 2 ] && break
  sleep 0.1
done
kill -TERM "${CLIENT_PID[2]}"; wait "${CLIENT_PID[2]}" 2>/dev/null || true
attempts=$(count_log "$WORK/client2.log" 'cannot connect.*revoked')

N=25
scrape >"$WORK/m1"
in_ns c1 ping -c "$N" -i 0.05 -q 10.77.0.1 >"$WORK/ping.log" 2>&1 || fail "ping: $(cat "$WORK/ping.log")"
sleep 0.3
scrape >"$WORK/m2"
promtool check metrics <"$WORK/m2" >"$WORK/promtool.log" 2>&1 && pass "promtool check metrics: with traffic and refusals" \
  || fail "promtool check metrics: $(cat "$WORK/promtool.log")"

[ "$(metric "$WORK/m2" udpvpn_sessions 'state="established"')" = 1 ] && pass "udpvpn_sessions{established} = 1" \
  || fail "sessions: $(grep '^udpvpn_sessions' "$WORK/m2")"
[ "$(metric "$WORK/m2" udpvpn_handshakes_completed_total)" = 1 ] && pass "one completed handshake" \
  || fail "handshakes completed: $(metric "$WORK/m2" udpvpn_handshakes_completed_total)"
failed=$(metric "$WORK/m2" udpvpn_handshakes_failed_total 'reason="cert_revoked"')
[ "$attempts" -ge 1 ] && [ "$failed" = "$attempts" ] && pass "handshakes_failed{cert_revoked} = $failed, the revoked client's attempts" \
  || fail "handshakes_failed{cert_revoked} = $failed, the revoked client logged $attempts refusals"

# Inner packets: the N echo requests (plus any IPv6 chatter the server drops and counts) in, the
# N echo replies out; an IPv4 echo of 56 data bytes is an 84-byte packet.
in_pkts=$(delta udpvpn_inner_packets_total 'direction="from_clients"')
drops=$(( $(from_client_drops "$WORK/m2") - $(from_client_drops "$WORK/m1") ))
[ $((in_pkts - drops)) = "$N" ] && pass "inner packets from clients: $N forwarded ($in_pkts counted, $drops dropped)" \
  || fail "inner packets from clients: $in_pkts counted, $drops dropped, $N sent"
[ "$(delta udpvpn_inner_packets_total 'direction="to_clients"')" = "$N" ] && pass "inner packets to clients: $N" \
  || fail "inner packets to clients: $(delta udpvpn_inner_packets_total 'direction="to_clients"'), $N replies"
[ "$(delta udpvpn_inner_bytes_total 'direction="to_clients"')" = $((84 * N)) ] && pass "inner bytes to clients: $((84 * N))" \
  || fail "inner bytes to clients: $(delta udpvpn_inner_bytes_total 'direction="to_clients"'), expected $((84 * N))"
rule='rule="icmp-to-server",action="allow"'
[ "$(delta udpvpn_access_rule_packets_total "$rule")" = "$N" ] && [ "$(delta udpvpn_access_rule_bytes_total "$rule")" = $((84 * N)) ] &&
  pass "access rule icmp-to-server: $N packets, $((84 * N)) bytes" ||
  fail "access rule counters: $(grep '^udpvpn_access_rule' "$WORK/m1" "$WORK/m2")"
# Each inner packet is one datagram of it plus 29 bytes (header and tag); keepalives may add more.
udp_in=$(delta udpvpn_udp_datagrams_total 'direction="in"'); udp_out=$(delta udpvpn_udp_datagrams_total 'direction="out"')
[ "$udp_in" -ge "$in_pkts" ] && [ "$udp_out" -ge "$N" ] && pass "UDP datagrams: $udp_in in, $udp_out out" \
  || fail "UDP datagrams: $udp_in in, $udp_out out for $in_pkts/$N inner packets"
[ "$(delta udpvpn_udp_bytes_total 'direction="out"')" -ge $(((84 + 29) * N)) ] && pass "UDP bytes out cover the replies" \
  || fail "UDP bytes out: $(delta udpvpn_udp_bytes_total 'direction="out"')"

kill -TERM "${CLIENT_PID[1]}"; wait "${CLIENT_PID[1]}" 2>/dev/null || true
wait_log "$WORK/server.log" "client alice .* disconnected" 5 || fail "server did not log the disconnect"
scrape >"$WORK/m3"
[ "$(metric "$WORK/m3" udpvpn_sessions_closed_total 'reason="peer_closed"')" = 1 ] && pass "sessions_closed{peer_closed} = 1" \
  || fail "sessions_closed: $(grep '^udpvpn_sessions_closed_total' "$WORK/m3" | grep -v ' 0$')"
[ "$(metric "$WORK/m3" udpvpn_sessions 'state="established"')" = 0 ] && pass "no session after the client left" \
  || fail "sessions after leaving: $(grep '^udpvpn_sessions{' "$WORK/m3")"
finish
