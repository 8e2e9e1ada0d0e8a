#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by inside-vm.sh (in the VM, as root): udpvpn-server and udpvpn-client in PPP mode with
# real pppd at both ends, then IP mode over the same path for a throughput comparison.
# Uses check/show_logs/wait_ip/COMMON from inside-vm.sh; SERVER_BIN CLIENT_BIN PKI must be set.
#
# Topology: netns srv (server; its pppd get ppp0, ppp1, ...) and c1, c2 (clients), each client linked
# to srv by a veth pair: 192.168.10<i>.2 -> 192.168.10<i>.1. Inner addresses come from the server's
# tunnel.ipv4_pool 10.66.0.0/24 through IPCP: server side 10.66.0.1, clients .2, .3.

W=/tmp/pm
NSS="srv c1 c2"
SPID=""; declare -A CPID

pm_cleanup() {
  local p n
  for n in $NSS; do for p in $(ip netns pids $n 2>/dev/null); do kill "$p" 2>/dev/null; done; done
  sleep 0.5
  for n in $NSS; do for p in $(ip netns pids $n 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; done
  for n in $NSS; do ip netns del $n 2>/dev/null; done
  return 0
}
pm_setup() {
  pm_cleanup
  rm -rf $W; mkdir -p $W
  local i
  ip netns add srv && ip -n srv link set lo up || return 1
  for i in 1 2; do
    ip netns add c$i && ip -n c$i link set lo up || return 1
    ip link add s$i netns srv type veth peer name c$i netns c$i || return 1
    ip -n srv addr add 192.168.10$i.1/24 dev s$i && ip -n srv link set s$i up || return 1
    ip -n c$i addr add 192.168.10$i.2/24 dev c$i && ip -n c$i link set c$i up || return 1
  done
  # ip-up records what pppd tells scripts about the peer (6th argument = ipparam, UDPVPN_PEER).
  printf '#!/bin/sh\necho "iface=$1 local=$4 remote=$5 ipparam=$6 peer=$UDPVPN_PEER" >> %s/ipup-$6\n' $W > $W/ip-up
  chmod +x $W/ip-up
  local side
  for side in server client; do
    {
      echo "$COMMON"
      # A second `debug` makes pppd log LCP Echo-Request/Reply too (it hides them at level 1).
      echo "debug lcp-echo-interval 1 lcp-echo-failure 5 mtu 1400 mru 1400 ip-up-script $W/ip-up"
    } > $W/$side-options
  done
}

# write_server MODE: PPP or IP mode configuration, rekeying every 10 s.
write_server() {
  {
    echo '[server]'; echo 'listen = "0.0.0.0:51820"'; echo 'log_level = "debug"'
    echo '[pki]'; echo "ca = \"$PKI/ca.crt\""; echo "cert = \"$PKI/server.crt\""; echo "key = \"$PKI/server.key\""
    echo '[tunnel]'
    if [ "$1" = ppp ]; then
      echo 'mode = "ppp"'; echo 'ipv4_pool = "10.66.0.0/24"'
      echo '[ppp]'; echo "options = \"$W/server-options\""
    else
      echo 'device = "uvt0"'; echo 'ipv4_pool = "10.77.0.0/24"'; echo 'ipv6_pool = ""'
    fi
    echo '[status]'; echo "socket = \"$W/server.sock\""
    echo '[protocol]'; echo 'rekey_after_time = "10s"'
  } > $W/server-$1.toml
}
# write_client MODE I CERT NAME: $W/NAME.toml for client namespace c<I>
write_client() {
  {
    echo '[client]'; echo "server = \"192.168.10$2.1:51820\""; echo 'server_name = "vpn.example.test"'
    echo 'log_level = "debug"'
    echo '[pki]'; echo "ca = \"$PKI/ca.crt\""; echo "cert = \"$PKI/$3.crt\""; echo "key = \"$PKI/$3.key\""
    echo '[tunnel]'
    if [ "$1" = ppp ]; then
      echo 'mode = "ppp"'; echo '[ppp]'; echo "options = \"$W/client-options\""
    else
      echo 'device = "uvt0"'; echo 'accept_dns = false'
    fi
    echo '[reconnect]'; echo 'min_delay = "500ms"'; echo 'max_delay = "2s"'
    echo '[protocol]'; echo 'ping_interval = "1s"'; echo 'dead_peer_timeout = "5s"'; echo 'rekey_after_time = "10s"'
  } > $W/$4.toml
}
start_server() {  # start_server MODE
  ip netns exec srv "$SERVER_BIN" --config $W/server-$1.toml >> $W/server.log 2>&1 &
  SPID=$!
  wait_log $W/server.log "listening on udp port" 10 || { echo "  server did not start"; show_logs $W/server.log; return 1; }
}
start_client() {  # start_client I NAME [LOG]: client in c<I> with $W/NAME.toml
  local log=${3:-$W/client$1.log}
  ip netns exec c$1 "$CLIENT_BIN" --config $W/$2.toml >> $log 2>&1 &
  CPID[$1]=$!
}
wait_log() {  # wait_log FILE REGEX SECONDS
  local t=$(( $3 * 10 ))
  while [ $t -gt 0 ]; do grep -qE -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; t=$((t - 1)); done
  return 1
}
gone() {  # gone PID SECONDS: true once the process has exited
  local t=$(( $2 * 10 ))
  while [ $t -gt 0 ]; do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; t=$((t - 1)); done
  return 1
}
pppd_pids() { local p; for p in $(ip netns pids $1 2>/dev/null); do [ "$(cat /proc/$p/comm 2>/dev/null)" = pppd ] && echo $p; done; }
status_json() { ip netns exec srv socat -t 2 - UNIX-CONNECT:$W/server.sock <<<'{"command":"status"}'; }
# session_field IDENTITY FIELD
session_field() {
  status_json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sessions"]:
    if s["identity"] == sys.argv[1]: print(s[sys.argv[2]]); break' "$1" "$2"
}
# bulk NS_FROM NS_TO ADDR MIB LABEL: TCP transfer with SHA-256 check; prints the rate.
bulk() {
  local size=$(( $4 * 1024 * 1024 )) l t0
  head -c $size /dev/urandom > $W/bulk.in
  rm -f $W/bulk.out
  ip netns exec $2 timeout 150 socat -u TCP-LISTEN:5001,bind=$3,reuseaddr CREATE:$W/bulk.out &
  l=$!
  for _ in $(seq 50); do ip netns exec $2 ss -ltn 2>/dev/null | grep -q "$3:5001" && break; sleep 0.1; done
  t0=$(date +%s.%N)
  ip netns exec $1 timeout 150 socat -u OPEN:$W/bulk.in TCP:$3:5001
  wait $l
  local a b
  a=$(sha256sum < $W/bulk.in | cut -c1-64); b=$(sha256sum < $W/bulk.out 2>/dev/null | cut -c1-64)
  if [ "$a" = "$b" ]; then
    echo "  $5: $4 MiB TCP, SHA-256 matches, $(awk -v a="$t0" -v b="$(date +%s.%N)" -v s=$size 'BEGIN { printf "%.1f s, %.0f KiB/s", b - a, s / 1024 / (b - a) }')"
    return 0
  fi
  echo "  $5: SHA-256 differs ($(stat -c %s $W/bulk.out 2>/dev/null || echo 0) of $size bytes arrived)"
  return 1
}
pings() {  # pings NS ADDR
  ip netns exec $1 ping -c 3 -i 0.2 -W 3 $2 > $W/ping.log 2>&1 || { echo "  ping $1 -> $2 failed"; cat $W/ping.log; return 1; }
  echo "  $1 -> $2: $(tail -n 1 $W/ping.log)"
}

# ------------------------------------------------------------------------------------------
pm_up() {
  pm_setup || { echo "  cannot set up namespaces"; return 1; }
  write_server ppp
  write_client ppp 1 client alice; write_client ppp 2 client_ecdsa bob; write_client ppp 2 client_otherca otherca
  local t0=$(date +%s.%N)
  start_server ppp || return 1
  start_client 1 alice
  wait_ip c1 10.66.0.2 && wait_ip srv 10.66.0.1 \
    || { echo "  IPCP did not complete"; show_logs $W/server.log $W/client1.log; return 1; }
  echo "  tunnel + LCP + IPCP up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  ip -n c1 -4 -br addr show dev ppp0 | sed 's/^/  c1: /'
  ip -n srv -4 -br addr show dev ppp0 | sed 's/^/  srv: /'
  pings c1 10.66.0.1 && pings srv 10.66.0.2 || return 1
  local f
  for f in $W/ipup-alice $W/ipup-vpn.example.test; do
    [ -f $f ] || { echo "  ip-up did not run with ipparam $(basename $f | cut -d- -f2-)"; return 1; }
    sed 's/^/  ip-up: /' $f
  done
  grep -q 'peer=alice$' $W/ipup-alice || { echo "  UDPVPN_PEER not passed to the server's ip-up"; return 1; }
}

pm_bulk() { bulk c1 srv 10.66.0.1 10 "PPP mode c1 -> srv" || { show_logs $W/server.log $W/client1.log; return 1; }; }

pm_two_clients() {
  start_client 2 bob
  wait_ip c2 10.66.0.3 || { echo "  client 2 did not get 10.66.0.3"; show_logs $W/server.log $W/client2.log; return 1; }
  pings srv 10.66.0.3 && pings c2 10.66.0.1 && pings srv 10.66.0.2 || return 1
  local pa pb
  pa=$(session_field alice pppd_pid); pb=$(session_field bob pppd_pid)
  echo "  server pppd: alice pid $pa, bob pid $pb; pppd in srv: $(pppd_pids srv | tr '\n' ' ')"
  [ -n "$pa" ] && [ -n "$pb" ] && [ "$pa" != "$pb" ] && kill -0 "$pa" && kill -0 "$pb" \
    || { echo "  expected one pppd per client"; return 1; }
  [ "$(pppd_pids srv | wc -l)" = 2 ] || { echo "  expected exactly 2 pppd in srv"; return 1; }
}

pm_rekey() {
  # The tunnel rekeys every 10 s; pppd sends an LCP Echo-Request every second and gives up after 5
  # unanswered ones. Wait for a rekey, then for Echo-Replies that crossed the new keys.
  local pa; pa=$(session_field alice pppd_pid)
  local n; n=$(grep -c "rekeyed to epoch" $W/client1.log)
  wait_log $W/client1.log "rekeyed to epoch $((n + 1))\$" 25 || { echo "  no rekey within 25 s"; return 1; }
  local line; line=$(grep -n "rekeyed to epoch" $W/client1.log | tail -1 | cut -d: -f1)
  sleep 3
  local after; after=$(tail -n +"$line" $W/client1.log | grep -c 'rcvd \[LCP EchoRep')
  echo "  client 1: $(grep -c 'rekeyed to epoch' $W/client1.log) rekeys so far; $after LCP Echo-Replies in the 3 s after the last one"
  [ "$after" -ge 2 ] || { echo "  LCP echo stopped after the rekey"; show_logs $W/client1.log; return 1; }
  ! grep -q "No response to .* echo-requests" $W/client1.log $W/server.log || { echo "  pppd reported missing echo replies"; return 1; }
  [ "$(session_field alice pppd_pid)" = "$pa" ] || { echo "  the server's pppd changed"; return 1; }
  pings c1 10.66.0.1
}

pm_unauthenticated() {
  local before after
  before=$(grep -c "pppd pid" $W/server.log)
  local bob=${CPID[2]}
  start_client 2 otherca $W/client-otherca.log
  local bad=${CPID[2]}
  CPID[2]=$bob
  wait_log $W/server.log "refused client" 10 || { echo "  the server did not refuse the other CA's client"; kill $bad; return 1; }
  sleep 1
  kill $bad 2>/dev/null; wait $bad 2>/dev/null
  after=$(grep -c "pppd pid" $W/server.log)
  grep "refused client" $W/server.log | tail -1 | sed 's/^.*udpvpn-server/  server:/'
  echo "  pppd started before/after: $before/$after; pppd in srv: $(pppd_pids srv | wc -l)"
  [ "$before" = "$after" ] && [ "$(pppd_pids srv | wc -l)" = 2 ]
}

pm_client_disconnect() {
  local pb; pb=$(session_field bob pppd_pid)
  local cpb; cpb=$(pppd_pids c2)
  kill -TERM "${CPID[2]}"
  gone "${CPID[2]}" 8 || { echo "  client 2 did not exit"; return 1; }
  gone "$pb" 8 || { echo "  server's pppd $pb for bob still runs"; show_logs $W/server.log; return 1; }
  [ -z "$cpb" ] || gone "$cpb" 1 || { echo "  client 2's own pppd $cpb still runs"; return 1; }
  grep -E "client bob.*(disconnected|pppd)" $W/server.log | tail -2 | sed 's/^.*udpvpn-server/  server:/'
  pings c1 10.66.0.1   # alice is not affected
}

pm_kill_server_pppd() {
  local pa; pa=$(session_field alice pppd_pid)
  local n; n=$(grep -c "connected to" $W/client1.log)
  kill -KILL "$pa"
  wait_log $W/client1.log "disconnected from .*pppd killed by signal 9" 10 \
    || { echo "  client 1 did not log the server's reason"; show_logs $W/client1.log; return 1; }
  grep "disconnected from" $W/client1.log | tail -1 | sed 's/^.*udpvpn-client/  client 1:/'
  # ... and reconnects with a new session and a new pppd at both ends.
  local t=100
  while [ $t -gt 0 ] && [ "$(grep -c "connected to" $W/client1.log)" -le "$n" ]; do sleep 0.1; t=$((t - 1)); done
  sleep 0.5
  wait_ip c1 10.66.0.2 && wait_ip srv 10.66.0.1 || { echo "  no new PPP link after the reconnect"; return 1; }
  local pa2; pa2=$(session_field alice pppd_pid)
  echo "  reconnected: server pppd for alice $pa -> $pa2"
  [ -n "$pa2" ] && [ "$pa2" != "$pa" ] && pings c1 10.66.0.1
}

pm_stdio() {
  # The user's pppd runs the client with its `pty` option; HDLC on the client's stdin/stdout.
  sed 's/^\[ppp\]$/[ppp]\nstdio = true/' $W/bob.toml > $W/bob-stdio.toml
  grep -q '^stdio = true' $W/bob-stdio.toml || { echo "  cannot write the stdio configuration"; return 1; }
  # shellcheck disable=SC2086
  ip netns exec c2 pppd pty "$CLIENT_BIN --config $W/bob-stdio.toml" file $W/client-options nodetach \
    2>> $W/client-stdio.log &
  local p=$!
  wait_ip c2 10.66.0.3 || { echo "  no PPP link through the stdio client"; show_logs $W/client-stdio.log; kill $p; return 1; }
  pings c2 10.66.0.1 || { kill $p; return 1; }
  local c; c=$(pgrep -f "^$CLIENT_BIN --config $W/bob-stdio" | head -1)
  kill -TERM $p
  gone $p 8 || { echo "  pppd did not exit"; return 1; }
  [ -z "$c" ] || gone "$c" 8 || { echo "  the client did not exit after its pppd"; return 1; }
  grep -E "PPP on stdin|stopped|exiting" $W/client-stdio.log | sed 's/^.*udpvpn-client/  client:/'
}

pm_shutdown() {
  kill -TERM $SPID
  gone $SPID 8 || { echo "  server did not exit"; return 1; }
  wait $SPID; local rc=$?
  sleep 0.3
  echo "  server exit $rc; pppd left in srv: $(pppd_pids srv | wc -l)"
  [ $rc = 0 ] && [ -z "$(pppd_pids srv)" ]
}

ip_mode_bulk() {
  kill -TERM ${CPID[1]} 2>/dev/null; gone ${CPID[1]} 8
  pm_cleanup; pm_setup
  write_server ip; write_client ip 1 client alice-ip
  start_server ip || return 1
  start_client 1 alice-ip
  local t=100
  until ip netns exec c1 ping -c 1 -W 1 10.77.0.1 >/dev/null 2>&1; do
    t=$((t - 1)); [ $t -gt 0 ] || { echo "  IP-mode tunnel did not come up"; show_logs $W/server.log $W/client1.log; return 1; }
    sleep 0.2
  done
  bulk c1 srv 10.77.0.1 10 "IP mode c1 -> srv" || return 1
}

run_pppmode_checks() {
  # Each step builds on the previous one: stop at the first failure.
  check "PPP mode: server+client with pppd at both ends: LCP, IPCP addresses from the pool, ping both ways, identity in ip-up" pm_up \
  && check "PPP mode: 10 MiB TCP through ppp0, SHA-256 matches" pm_bulk \
  && check "PPP mode: two clients at once, one pppd each on the server" pm_two_clients \
  && check "PPP mode: LCP echo keeps working across tunnel rekeys" pm_rekey \
  && check "PPP mode: a client from another CA is refused and gets no pppd" pm_unauthenticated \
  && check "PPP mode: client disconnect makes the server's pppd exit" pm_client_disconnect \
  && check "PPP mode: killing the server's pppd closes the session with a reason the client logs; it reconnects" pm_kill_server_pppd \
  && check "PPP mode: client under the user's pppd (pty option, ppp.stdio)" pm_stdio \
  && check "PPP mode: server shutdown ends every pppd" pm_shutdown
  check "IP mode over the same path (comparison): 10 MiB TCP through the TUN tunnel" ip_mode_bulk
  pm_cleanup
}
