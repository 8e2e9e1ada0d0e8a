#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A flood of refused handshakes costs a few log lines, not one per datagram (issue 16, issue 10
# finding 6): 1000 INITIALs the server must refuse (no common suite), each from its own source
# port, give at most 5 "refused client" lines and one summary with the count of the rest.
source "$(dirname "$0")/lib.sh"
require_env python3
setup_net 1
# The refusals come from one host: lift its per-host handshake rate (udpvpn.conf(5)), which would
# otherwise answer most of them with a RETRY before any refusal.
write_server_config "$WORK/server.toml" '[protocol]' 'suites = ["aes-256-gcm"]' \
  'handshake_rate_per_source = 0' 'handshake_rate_per_prefix = 0'
start_server "$WORK/server.toml"

# One INITIAL offering only ChaCha20-Poly1305, captured by a listener that stands in for a server.
write_client_config "$WORK/client.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key" 192.168.101.2:40000
cat >>"$WORK/client.toml" <<'EOT'
suites = ["chacha20-poly1305"]
EOT
in_ns c1 python3 - "$WORK/initial.bin" <<'EOT' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.101.2", 40000))
s.settimeout(15)
data, _ = s.recvfrom(65535)
open(sys.argv[1], "wb").write(data)
EOT
CAPTURE=$!
start_client 1 "$WORK/client.toml"
wait "$CAPTURE" || die "no INITIAL captured"
kill "${CLIENT_PID[1]}" 2>/dev/null || true
[ -s "$WORK/initial.bin" ] && pass "captured one INITIAL ($(stat -c %s "$WORK/initial.bin") bytes)"

before=$(count_log "$WORK/server.log" "refused client")
in_ns c1 python3 - "$WORK/initial.bin" <<'EOT'
import socket, sys, time
data = open(sys.argv[1], "rb").read()
socks = []
for i in range(1000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(data, ("192.168.101.1", 51820))
    socks.append(s)
    if len(socks) >= 200:
        for t in socks: t.close()
        socks = []
    if i % 50 == 49: time.sleep(0.01)
EOT
sleep 1
lines=$(( $(count_log "$WORK/server.log" "refused client") - before ))
echo "refusal lines for 1000 refused INITIALs: $lines"
[ "$lines" -ge 1 ] && [ "$lines" -le 5 ] && pass "1000 refused INITIALs gave $lines refusal lines" \
  || fail "1000 refused INITIALs gave $lines refusal lines (want 1..5)"
wait_log "$WORK/server.log" "refused client: no common .* \.\.\. and [0-9,]+ more in the last 1[0-9] s" 15 \
  && pass "summary: $(grep -oE 'refused client: .* more in the last [0-9]+ s' "$WORK/server.log" | tail -1)" \
  || fail "no summary line with the count of the suppressed refusals"
n=$(grep -oE 'and [0-9,]+ more' "$WORK/server.log" | tail -1 | tr -dc 0-9 || true)
[ -n "$n" ] && [ $((n + lines)) -ge 900 ] && pass "the summary counts them ($n + $lines logged)" \
  || fail "the summary counts ${n:-nothing} (+$lines logged) of 1000"
finish
