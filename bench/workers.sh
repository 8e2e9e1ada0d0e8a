#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/workers.sh: what server.workers buys when several clients send at once. One session lives
# in one worker (bench/compare.sh has one client, so one session, one worker doing its crypto): the
# gain of more workers shows with several clients. A benchmark program, not a test.
#
#   sudo bench/workers.sh                       # BUILD=build CLIENTS=4 WORKERS="1 2" DURATION=5 ROUNDS=3
#
# The network namespaces and helpers of the end-to-end tests (tests/e2e/lib.sh): the server in one
# namespace, CLIENTS clients each in its own, joined by a veth pair each (192.168.(100+i).0/24; the
# steering hash spreads 101 to 104 two and two over two workers). Per round and per WORKERS value
# (alternating order): a server with that many workers, every client connected, then every client
# at once runs iperf3 to the server's inner address for DURATION seconds: one TCP stream each,
# then UDP at 1300-byte payloads as fast as it can. Figures: the sum over the clients (TCP Mbit/s
# as received, UDP datagrams per second received), the server's CPU seconds per GB during the TCP
# run, and the median over ROUNDS rounds.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
CLIENTS=${CLIENTS:-4}
WORKERS=${WORKERS:-1 2}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
export UDPVPN_SERVER=$ROOT/$BUILD/apps/udpvpn-server UDPVPN_CLIENT=$ROOT/$BUILD/apps/udpvpn-client
source "$ROOT/tests/e2e/lib.sh"
require_env iperf3 python3 socat
command -v iperf3 >/dev/null || { echo "needs iperf3"; exit 1; }
setup_net "$CLIENTS"
TICK=$(getconf CLK_TCK)

sum_json() {   # sum_json mbps|pps|bytes FILES...: the receivers' figures of iperf3 -J runs, summed
  python3 -c '
import json, sys
total = 0.0
for path in sys.argv[2:]:
    e = json.load(open(path))["end"]
    r = e.get("sum_received") or e["sum"]
    if sys.argv[1] == "mbps": total += r["bits_per_second"] / 1e6
    elif sys.argv[1] == "bytes": total += r["bytes"]
    else: total += (r["packets"] - r["lost_packets"]) / r["seconds"]
print("%.0f" % total)
' "$@"
}
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
median() { tr ' ' '\n' | { grep . || true; } | sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

declare -A TCP UDP CPU SPREAD
run() {   # run WORKERS ROUND
  local n=$1 i
  : >"$WORK/server.log"
  write_server_config "$WORK/server.toml"
  # One certificate for every client: several sessions per identity.
  sed -i "s/^log_level = \"debug\"$/log_level = \"info\"\nworkers = $n\nmax_sessions_per_identity = 64/" "$WORK/server.toml"
  start_server "$WORK/server.toml"
  for ((i = 1; i <= CLIENTS; i++)); do
    : >"$WORK/client$i.log"
    write_client_config "$WORK/client$i.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key" "192.168.$((100 + i)).1:51820"
    sed -i 's/^log_level = "debug"$/log_level = "info"/' "$WORK/client$i.toml"
    start_client "$i" "$WORK/client$i.toml"
  done
  for ((i = 1; i <= CLIENTS; i++)); do
    wait_log "$WORK/client$i.log" "configured uvt0" 15 || die "client $i not connected"
    wait_ping "c$i" 10.77.0.1 5 || die "client $i: no ping"
  done
  SPREAD[$n]=$(python3 -c 'import json, sys; print("/".join(str(w["sessions"]) for w in json.loads(sys.argv[1])["server"]["workers"]))' "$(status)")
  local srv=() pids=()
  for ((i = 1; i <= CLIENTS; i++)); do
    ip netns exec "$(ns srv)" iperf3 -s -p $((5200 + i)) -B 10.77.0.1 >/dev/null 2>&1 &
    srv+=($!)
  done
  sleep 1
  local t0 t1
  t0=$(ticks "$SERVER_PID")
  for ((i = 1; i <= CLIENTS; i++)); do
    timeout $((DURATION + 20)) ip netns exec "$(ns "c$i")" iperf3 -c 10.77.0.1 -p $((5200 + i)) -t "$DURATION" -J >"$WORK/tcp$i.json" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  t1=$(ticks "$SERVER_PID")
  local mbps bytes
  mbps=$(sum_json mbps "$WORK"/tcp*.json)
  bytes=$(sum_json bytes "$WORK"/tcp*.json)
  TCP[$n]+="$mbps "
  CPU[$n]+="$(awk -v a="$t0" -v b="$t1" -v t="$TICK" -v n="$bytes" 'BEGIN {printf "%.2f", (b - a) / t / (n / 1e9)}') "
  pids=()
  for ((i = 1; i <= CLIENTS; i++)); do
    timeout $((DURATION + 20)) ip netns exec "$(ns "c$i")" iperf3 -c 10.77.0.1 -p $((5200 + i)) -u -b 0 -l 1300 -t "$DURATION" -J >"$WORK/udp$i.json" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  UDP[$n]+="$(sum_json pps "$WORK"/udp*.json) "
  printf '  round %d  workers=%s (sessions %s)  tcp x%d %6s Mbit/s  udp %7s pps  server CPU %s s/GB\n' "$2" "$n" \
    "${SPREAD[$n]}" "$CLIENTS" "$mbps" "$(echo "${UDP[$n]}" | awk '{print $NF}')" "$(echo "${CPU[$n]}" | awk '{print $NF}')"
  for p in "${srv[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for ((i = 1; i <= CLIENTS; i++)); do kill "${CLIENT_PID[$i]}" 2>/dev/null || true; wait "${CLIENT_PID[$i]}" 2>/dev/null || true; done
  stop_server
}

echo "bench/workers.sh: $CLIENTS clients at once, $DURATION s per run, $ROUNDS rounds; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= ROUNDS; r++)); do
  order=$WORKERS
  ((r % 2)) || order=$(echo "$WORKERS" | tr ' ' '\n' | tac | tr '\n' ' ')
  for n in $order; do run "$n" "$r"; done
done
echo
printf '%-10s %14s %12s %16s\n' "workers" "TCP Mbit/s" "UDP pps" "server CPU s/GB"
for n in $WORKERS; do
  printf '%-10s %14s %12s %16s\n' "$n" "$(echo "${TCP[$n]}" | median)" "$(echo "${UDP[$n]}" | median)" "$(echo "${CPU[$n]}" | median)"
done
