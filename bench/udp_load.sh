#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Many clients over real UDP against one udpvpn-server (issue 13's load generator). As root:
#   COUNT=10000 BUILD=build ./bench/udp_load.sh
# Two network namespaces (uvs-<pid>-srv, uvs-<pid>-cli) joined by a veth pair; the client side
# takes all of 10.99.0.0/16 as local addresses (one per client, 50 per /24), so the server's
# per-host and per-prefix limits stay at their defaults. A fresh CA issues the server certificate
# and CERTS client certificates (the server allows at most 1024 sessions per identity, so each
# certificate serves COUNT / CERTS clients; max_sessions_per_identity is set to 1024). Prints the
# load tool's figures, the server's CPU time per handshake and its VmRSS growth per session.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${BUILD:-$SRC/build}" && pwd)
COUNT=${COUNT:-10000}
CERTS=${CERTS:-$(( (COUNT + 1023) / 1024 ))}
P="uvs-$$"
WORK=$(mktemp -d "/tmp/$P.XXXXXX")
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  ip netns del "$P-srv" 2>/dev/null || true
  ip netns del "$P-cli" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PKI="$BUILD/tools/udpvpn-pki"
export UDPVPN_PKI_DIR="$WORK/ca"
"$PKI" init-ca --name "load CA" >/dev/null
"$PKI" issue server vpn.example.test -o "$WORK/out" >/dev/null
for ((k = 0; k < CERTS; k++)); do "$PKI" issue client "c$k" -o "$WORK/out" >/dev/null; done

ip netns add "$P-srv"
ip netns add "$P-cli"
ip link add "${P}s" netns "$P-srv" type veth peer name "${P}c" netns "$P-cli"
ip -n "$P-srv" link set lo up
ip -n "$P-cli" link set lo up
ip -n "$P-srv" addr add 192.168.250.1/24 dev "${P}s"
ip -n "$P-cli" addr add 192.168.250.2/24 dev "${P}c"
ip -n "$P-srv" link set "${P}s" up
ip -n "$P-cli" link set "${P}c" up
ip -n "$P-cli" route add local 10.99.0.0/16 dev lo
ip -n "$P-srv" route add 10.99.0.0/16 via 192.168.250.2

cat >"$WORK/server.toml" <<EOT
[server]
listen = "192.168.250.1:51820"
log_level = "warn"
max_sessions_per_identity = 1024
[pki]
ca = "$WORK/out/ca.crt"
cert = "$WORK/out/vpn.example.test.crt"
key = "$WORK/out/vpn.example.test.key"
[tunnel]
device = "${P}t"
ipv4_pool = "10.200.0.0/16"
EOT
ip netns exec "$P-srv" "$BUILD/apps/udpvpn-server" --config "$WORK/server.toml" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
sleep 2
kill -0 "$SERVER_PID" || { cat "$WORK/server.log"; exit 1; }

rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }   # utime + stime, clock ticks
TICK=$(getconf CLK_TCK)
rss0=$(rss); cpu0=$(cpu)
rc=0
ip netns exec "$P-cli" "$BUILD/bench/udpvpn-udp-load" 192.168.250.1 51820 "$WORK/out" "$CERTS" "$COUNT" 10.200.0.1 || rc=$?
rss1=$(rss); cpu1=$(cpu)
echo "server VmRSS: $rss0 kB -> $rss1 kB, $(( (rss1 - rss0) * 1024 / COUNT )) bytes per session"
echo "server CPU: $(( (cpu1 - cpu0) * 1000 / TICK )) ms for $COUNT handshakes and pings," \
     "$(awk -v c=$((cpu1 - cpu0)) -v t="$TICK" -v n="$COUNT" 'BEGIN {printf "%.3f", c / t * 1000 / n}') ms each"
grep -ciE "error|refused" "$WORK/server.log" | sed 's/^/server log lines with error or refused: /'
exit $rc
