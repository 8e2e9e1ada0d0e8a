#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Three servers behind the kernel's own load balancer (tools/udpvpn-lb: nftables rules in namespace
# "lb", stateless, no proxy in user space), thirty clients with real TUN devices, one namespace
# each. Checks: the sessions spread over the three servers; traffic flows through every one;
# SIGKILL of one server brings each of its clients back through the others within 3 s (stateless
# reset, docs/rfc-draft.txt Section 10.5), measured per client; the sessions of the two other
# servers stay as they were; the restarted server takes new clients again.
#
# Underlay: clients 10.200.0.(10+i) on a bridge in "lb" (10.200.0.1), which they use as their
# route to the service address 10.199.0.1 (not an address of lb: answers leave lb with it as their
# source); server k at 10.201.k.2 behind lb's 10.201.k.1. Tunnel pool 10.66.0.0/16 cut in 4 slices: server k
# (route byte k) hands out 10.66.(64k).0/18. Every server also holds 10.66.0.254, the address each
# client pings through the tunnel, whichever server it is on.
source "$(dirname "$0")/lib.sh"
require_env ping socat python3 nft
LB_TOOL=$SRC_ROOT/tools/udpvpn-lb
N=30
FAILOVER_LIMIT_MS=3000
ANYCAST=10.66.0.254

# --- network ---------------------------------------------------------------------------------
make_ns lb
in_ns lb sysctl -qw net.ipv4.ip_forward=1
in_ns lb ip link add uvtbr type bridge
in_ns lb ip addr add 10.200.0.1/24 dev uvtbr
in_ns lb ip link set uvtbr up
for k in 1 2 3; do
  make_ns "s$k"
  ip link add "uvt$$l$k" netns "$(ns lb)" type veth peer name "uvt$$s$k" netns "$(ns "s$k")"
  in_ns lb ip addr add "10.201.$k.1/24" dev "uvt$$l$k"
  in_ns lb ip link set "uvt$$l$k" up
  in_ns "s$k" ip addr add "10.201.$k.2/24" dev "uvt$$s$k"
  in_ns "s$k" ip link set "uvt$$s$k" up
  in_ns "s$k" ip route add default via "10.201.$k.1"
done
for ((i = 1; i <= N; i++)); do
  make_ns "c$i"
  ip link add "uvt$$b$i" netns "$(ns lb)" type veth peer name "uvt$$c$i" netns "$(ns "c$i")"
  in_ns lb ip link set "uvt$$b$i" master uvtbr up
  in_ns "c$i" ip addr add "10.200.0.$((10 + i))/24" dev "uvt$$c$i"
  in_ns "c$i" ip link set "uvt$$c$i" up
  in_ns "c$i" ip route add 10.199.0.1 via 10.200.0.1
done

# --- servers ---------------------------------------------------------------------------------
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/cluster.key"
chmod 600 "$WORK/cluster.key"
declare -A SERVER_PID
start_lb_server() {   # start_lb_server K
  local k=$1
  cat >"$WORK/server$k.toml" <<EOT
[server]
listen = "0.0.0.0:51820"
log_level = "debug"
max_sessions_per_identity = 64
[pki]
ca = "$TEST_PKI/ca.crt"
cert = "$TEST_PKI/server.crt"
key = "$TEST_PKI/server.key"
strict_key_permissions = false
[tunnel]
device = "uvt0"
ipv4_pool = "10.66.0.0/16"
ipv6_pool = ""
[cluster]
server_id = $k
key = "$WORK/cluster.key"
pool_slices = 4
[status]
socket = "$WORK/server$k.sock"
EOT
  : >"$WORK/server$k.log.new"
  ip netns exec "$(ns "s$k")" "$SERVER_BIN" --config "$WORK/server$k.toml" >>"$WORK/server$k.log.new" 2>&1 &
  SERVER_PID[$k]=$!
  PIDS+=("$!")
  wait_log "$WORK/server$k.log.new" "listening on udp port" 10 || { cat "$WORK/server$k.log.new" >>"$WORK/server$k.log"; die "server $k did not start"; }
  cat "$WORK/server$k.log.new" >>"$WORK/server$k.log"
  in_ns "s$k" ip addr add "$ANYCAST/32" dev uvt0
}
server_status() { in_ns "s$1" socat -t 2 - "UNIX-CONNECT:$WORK/server$1.sock" <<<'{"command":"status"}'; }
# sessions K: "session outer" per line, sorted
sessions() {
  server_status "$1" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sessions"]:
    print(s["session"], s["outer"])' | sort
}
for k in 1 2 3; do start_lb_server "$k"; done
grep -q "server id 1 " "$WORK/server1.log" && pass "server 1 runs with route byte 1" || fail "server 1 does not say its route byte"

# --- the balancer ----------------------------------------------------------------------------
LB_ARGS=(--vip 10.199.0.1:51820 --server 1=10.201.1.2 --server 2=10.201.2.2 --server 3=10.201.3.2)
"$LB_TOOL" rules "${LB_ARGS[@]}" >"$WORK/rules.nft"
grep -q "@th,72,8 map" "$WORK/rules.nft" && grep -q "jhash ip saddr . udp sport mod 3" "$WORK/rules.nft" \
  && pass "rules route by the route byte and spread INITIALs by jhash" || fail "rules: $(cat "$WORK/rules.nft")"
ip netns exec "$(ns lb)" "$LB_TOOL" watch "${LB_ARGS[@]}" --interval 0.2 --misses 2 --log "$WORK/lb.log" \
  >>"$WORK/lb.log" 2>&1 &
LB_PID=$!
PIDS+=("$LB_PID")
wait_log "$WORK/lb.log" "applied: dead -" 5 || die "udpvpn-lb watch did not apply its rules"
in_ns lb nft list table ip udpvpn_lb >/dev/null && pass "nftables table udpvpn_lb loaded in the balancer namespace" \
  || fail "no udpvpn_lb table"

# --- thirty clients --------------------------------------------------------------------------
for ((i = 1; i <= N; i++)); do
  write_client_config "$WORK/client$i.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key" 10.199.0.1:51820
  start_client "$i" "$WORK/client$i.toml"
done
for ((i = 1; i <= N; i++)); do
  wait_log "$WORK/client$i.log" "configured uvt0" 15 || die "client $i not configured"
done
pass "$N clients configured through 10.199.0.1"

# Which server each client is on: its underlay address in that server's sessions.
declare -A ON
locate_clients() {
  local k line
  ON=()
  for k in "$@"; do
    while read -r line; do
      [ -n "$line" ] || continue
      local outer=${line#* }
      local ip=${outer%:*}
      ON[$((${ip##*.} - 10))]=$k
    done < <(sessions "$k")
  done
}
locate_clients 1 2 3
declare -A COUNT=([1]=0 [2]=0 [3]=0)
for ((i = 1; i <= N; i++)); do
  [ -n "${ON[$i]:-}" ] || fail "client $i is on no server"
  [ -n "${ON[$i]:-}" ] && COUNT[${ON[$i]}]=$((COUNT[${ON[$i]}] + 1))
done
echo "sessions per server: server1=${COUNT[1]} server2=${COUNT[2]} server3=${COUNT[3]}"
for k in 1 2 3; do
  [ "${COUNT[$k]}" -ge 1 ] && pass "server $k holds ${COUNT[$k]} sessions" || fail "server $k holds ${COUNT[$k]} sessions"
done

# --- traffic through every server ----------------------------------------------------------
# One pinger per client (10 per second, timestamps), through the tunnel to whichever server.
for ((i = 1; i <= N; i++)); do
  ip netns exec "$(ns "c$i")" ping -D -n -i 0.1 -W 1 "$ANYCAST" >"$WORK/ping$i.txt" 2>&1 &
  PIDS+=("$!")
done
sleep 2
for ((i = 1; i <= N; i++)); do
  grep -q "bytes from $ANYCAST" "$WORK/ping$i.txt" || fail "client $i (server ${ON[$i]}) gets no answer through the tunnel"
done
for k in 1 2 3; do
  rx=$(server_status "$k" | python3 -c 'import json,sys; print(min([s["rx_packets"] for s in json.load(sys.stdin)["sessions"]] or [0]))')
  [ "$rx" -ge 10 ] && pass "traffic flows through server $k (every session received >= $rx packets)" \
    || fail "server $k: a session received only $rx packets"
done

# --- SIGKILL one server ------------------------------------------------------------------------
VICTIM=2
BEFORE1=$(sessions 1)
BEFORE3=$(sessions 3)
T0=$(date +%s.%N)
kill -KILL "${SERVER_PID[$VICTIM]}"
wait "${SERVER_PID[$VICTIM]}" 2>/dev/null || true
echo "killed server $VICTIM at $T0"
wait_log "$WORK/lb.log" "server $VICTIM .* out" 5 && pass "udpvpn-lb took server $VICTIM out" || fail "udpvpn-lb did not notice"
sleep 4
# Per client of the dead server: the first answer through the tunnel after the kill.
worst=0
moved=0
for ((i = 1; i <= N; i++)); do
  [ "${ON[$i]}" = "$VICTIM" ] || continue
  back=$(awk -v t0="$T0" -F'[][]' '/bytes from/ && $2 > t0 { print $2; exit }' "$WORK/ping$i.txt")
  if [ -z "$back" ]; then fail "client $i (was on server $VICTIM): no answer since the kill"; continue; fi
  ms=$(python3 -c "print(round((float('$back') - float('$T0')) * 1000))")
  echo "fail-over client $i: back after $ms ms"
  [ "$ms" -gt "$worst" ] && worst=$ms
  [ "$ms" -le "$FAILOVER_LIMIT_MS" ] || fail "client $i took $ms ms (limit $FAILOVER_LIMIT_MS)"
  grep -q "stateless reset" "$WORK/client$i.log" || fail "client $i did not get a stateless reset"
  moved=$((moved + 1))
done
[ "$moved" -eq "${COUNT[$VICTIM]}" ] && pass "all $moved clients of server $VICTIM back within $FAILOVER_LIMIT_MS ms (slowest $worst ms)" \
  || fail "only $moved of ${COUNT[$VICTIM]} clients of server $VICTIM measured"
# Each of them left its old session on a stateless reset, not on its dead-peer timeout (5 s).
reset_clients=0
for ((i = 1; i <= N; i++)); do
  [ "${ON[$i]}" = "$VICTIM" ] && grep -q "stateless reset" "$WORK/client$i.log" && reset_clients=$((reset_clients + 1))
done
[ "$reset_clients" -eq "${COUNT[$VICTIM]}" ] && pass "all $reset_clients clients of server $VICTIM left on a stateless reset" \
  || fail "$reset_clients of ${COUNT[$VICTIM]} clients of server $VICTIM saw a stateless reset"
# The live servers count their resets (udpvpn-lb's probes get them too).
r=$(server_status 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["server"]["stateless_resets_sent"])')
[ "$r" -gt 0 ] && pass "server 1 reports $r stateless resets sent in its status" || fail "server 1 reports no reset"
AFTER1=$(sessions 1)
AFTER3=$(sessions 3)
for k in 1 3; do
  before_var=BEFORE$k after_var=AFTER$k
  missing=$(comm -23 <(echo "${!before_var}") <(echo "${!after_var}"))
  [ -z "$missing" ] && pass "server $k: its $(echo "${!before_var}" | grep -c .) sessions are still there, unchanged" \
    || fail "server $k lost sessions: $missing"
done
locate_clients 1 3
for ((i = 1; i <= N; i++)); do
  [ -n "${ON[$i]:-}" ] || fail "client $i is on neither server 1 nor 3 after the kill"
done
echo "sessions per server after the kill: server1=$(sessions 1 | grep -c .) server3=$(sessions 3 | grep -c .)"
# No client of servers 1 and 3 noticed anything.
disturbed=0
for ((i = 1; i <= N; i++)); do
  if printf '%s\n' "$BEFORE1" "$BEFORE3" | grep -qF " 10.200.0.$((10 + i)):"; then
    if grep -qE "disconnected from|stateless reset" "$WORK/client$i.log"; then
      fail "client $i of a live server was disconnected"
      disturbed=$((disturbed + 1))
    fi
  fi
done
[ "$disturbed" -eq 0 ] && pass "no client of servers 1 and 3 was disconnected"

# --- the dead server comes back and takes new clients --------------------------------------------
start_lb_server "$VICTIM"
wait_log "$WORK/lb.log" "server $VICTIM .* back in" 5 && pass "udpvpn-lb took server $VICTIM back in" || fail "udpvpn-lb did not take server $VICTIM back"
# A new client (in namespace c1, after its old one is stopped) connects until the hash of its
# source port picks server 2: each try has a 1 in 3 chance (30 tries: all miss once in 10^5 runs).
kill -TERM "${CLIENT_PID[1]}"; wait "${CLIENT_PID[1]}" 2>/dev/null || true
took=0
for try in $(seq 1 30); do
  : >"$WORK/client1.log"
  start_client 1 "$WORK/client1.toml"
  wait_log "$WORK/client1.log" "configured uvt0" 10 || { fail "new client did not connect"; break; }
  if sessions "$VICTIM" | grep -qF " 10.200.0.11:"; then took=$try; break; fi
  kill -TERM "${CLIENT_PID[1]}"; wait "${CLIENT_PID[1]}" 2>/dev/null || true
done
[ "$took" -gt 0 ] && pass "restarted server $VICTIM took a new client (try $took)" || fail "restarted server $VICTIM took no new client"
[ "$took" -gt 0 ] && wait_ping c1 "$ANYCAST" 5 && pass "the new client's traffic flows through server $VICTIM" || fail "no traffic via restarted server"
finish
