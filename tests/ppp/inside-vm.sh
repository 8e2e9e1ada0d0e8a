#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs inside the VM booted by run-in-vm.sh (kernel with PPP), as root, with the host's userland.
#   inside-vm.sh PPP_RELAY [UDPVPN_SERVER UDPVPN_CLIENT PKI_DIR]
# Each check runs pppd in two fresh network namespaces nsA and nsB:
#   1. harness self-test: plain pppd <-> pppd over a socat pty pair; LCP+IPCP, ping both ways
#   2. pppd <-> ppp_relay (PppdLink + HDLC codec at both ends) <-> pppd: LCP+IPCP with LCP
#      echoes, ping both ways, 1 MiB TCP transfer with matching SHA-256, the peer identity
#      reaches ip-up (ipparam, UDPVPN_PEER), no bad frames, stopping the relay ends both pppd
#   3. with the server and client given: PPP mode end to end (pppmode-checks.sh), and IP mode over
#      the same path for a throughput comparison
# Exit status 0 iff every check passed.
set -u
RELAY=${1:?usage: inside-vm.sh PPP_RELAY [UDPVPN_SERVER UDPVPN_CLIENT PKI_DIR]}
SERVER_BIN=${2:-}; CLIENT_BIN=${3:-}; PKI=${4:-}
LOG=/tmp/ppp-test; mkdir -p $LOG
PASS=0; FAIL=0
echo "guest: kernel $(uname -r), pppd $(pppd --version 2>&1 | awk '{print $3}'), $(nproc) vCPU"

# Debian's /etc/ppp/options says "auth crtscts lock modem": override what matters on a pty.
COMMON="noauth local nocrtscts nolock nodefaultroute noipdefault novj nodeflate nobsdcomp noccp
        debug logfd 2 lcp-restart 1 ipcp-restart 1"

BGPIDS=""
cleanup_ns() {
  local p
  for p in $BGPIDS $(ip netns pids nsA 2>/dev/null) $(ip netns pids nsB 2>/dev/null); do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in $BGPIDS $(ip netns pids nsA 2>/dev/null) $(ip netns pids nsB 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  BGPIDS=""
  ip netns del nsA 2>/dev/null; ip netns del nsB 2>/dev/null
  return 0
}
setup_ns() {
  cleanup_ns
  ip netns add nsA && ip netns add nsB && ip -n nsA link set lo up && ip -n nsB link set lo up
}
# wait_ip NS ADDR: until a ppp interface in NS has ADDR
wait_ip() {
  local _
  for _ in $(seq 1 150); do
    ip -n "$1" -4 addr show 2>/dev/null | grep -q "inet $2 peer" && return 0
    sleep 0.1
  done
  return 1
}
check() {
  local name=$1; shift
  local t0=$SECONDS
  if "$@"; then echo "PASS: $name ($((SECONDS - t0)) s)"; PASS=$((PASS + 1))
  else echo "FAIL: $name ($((SECONDS - t0)) s)"; FAIL=$((FAIL + 1)); return 1; fi
}
show_logs() { local f; for f in "$@"; do echo "  --- $f"; tail -n 25 "$f" | sed 's/^/    /'; done; }

up_and_ping() {
  wait_ip nsA 10.55.0.1 && wait_ip nsB 10.55.0.2 || { echo "  IPCP did not complete"; return 1; }
  ip -n nsA -4 -br addr show dev ppp0 | sed 's/^/  nsA: /'
  ip -n nsB -4 -br addr show dev ppp0 | sed 's/^/  nsB: /'
  ip netns exec nsA ping -c 3 -i 0.2 -W 3 10.55.0.2 > $LOG/ping-ab.log || { echo "  ping A->B failed"; return 1; }
  ip netns exec nsB ping -c 3 -i 0.2 -W 3 10.55.0.1 > $LOG/ping-ba.log || { echo "  ping B->A failed"; return 1; }
  tail -n 1 $LOG/ping-ab.log | sed 's/^/  A->B /'
}

# 1 MiB nsA -> nsB over TCP through ppp0, compared by SHA-256.
bulk_tcp() {
  local size=$((1024 * 1024)) t0 l
  head -c $size /dev/urandom > /tmp/bulk.in
  rm -f /tmp/bulk.out
  ip netns exec nsB timeout 60 socat -u TCP-LISTEN:5001,bind=10.55.0.2,reuseaddr CREATE:/tmp/bulk.out &
  l=$!
  for _ in $(seq 50); do ip netns exec nsB ss -ltn 2>/dev/null | grep -q 10.55.0.2:5001 && break; sleep 0.1; done
  t0=$(date +%s.%N)
  ip netns exec nsA timeout 60 socat -u OPEN:/tmp/bulk.in TCP:10.55.0.2:5001
  wait $l
  local a b
  a=$(sha256sum < /tmp/bulk.in | cut -c1-64); b=$(sha256sum < /tmp/bulk.out 2>/dev/null | cut -c1-64)
  if [ "$a" = "$b" ]; then
    echo "  1 MiB TCP through ppp0: SHA-256 matches, $(awk -v a="$t0" -v b="$(date +%s.%N)" -v s=$size 'BEGIN { printf "%.2f s, %.0f KiB/s", b - a, s / 1024 / (b - a) }')"
  else
    echo "  1 MiB TCP through ppp0: SHA-256 differs ($(stat -c %s /tmp/bulk.out 2>/dev/null || echo 0) bytes arrived)"
    return 1
  fi
}

# ------------------------------------------------------------------------------------------
test_plain_pppd() {
  setup_ns
  rm -f /tmp/ttyA /tmp/ttyB
  socat PTY,raw,echo=0,link=/tmp/ttyA PTY,raw,echo=0,link=/tmp/ttyB 2>$LOG/socat.log &
  BGPIDS="$BGPIDS $!"
  local _; for _ in $(seq 50); do [ -e /tmp/ttyA ] && [ -e /tmp/ttyB ] && break; sleep 0.1; done
  # shellcheck disable=SC2086
  ip netns exec nsA pppd /tmp/ttyA $COMMON nodetach 10.55.0.1:10.55.0.2 2>$LOG/plain-a.log &
  # shellcheck disable=SC2086
  ip netns exec nsB pppd /tmp/ttyB $COMMON nodetach 10.55.0.2:10.55.0.1 2>$LOG/plain-b.log &
  if up_and_ping; then cleanup_ns; return 0; fi
  show_logs $LOG/plain-a.log $LOG/plain-b.log; cleanup_ns; return 1
}

test_relay() {
  setup_ns
  local ns side
  for ns in nsA nsB; do
    printf '#!/bin/sh\nexec ip netns exec %s /usr/sbin/pppd "$@"\n' $ns > /tmp/pppd-$ns
    chmod +x /tmp/pppd-$ns
  done
  # ip-up records what pppd passes on about the peer (6th argument = ipparam, UDPVPN_PEER via `set`).
  printf '#!/bin/sh\necho "iface=$1 ipparam=$6 peer=$UDPVPN_PEER" > /tmp/ipup-$1-$6\n' > /tmp/ip-up-record
  chmod +x /tmp/ip-up-record
  rm -f /tmp/ipup-*
  for side in a b; do
    {
      echo "$COMMON"
      echo "lcp-echo-interval 1 lcp-echo-failure 4 ip-up-script /tmp/ip-up-record"
      if [ $side = a ]; then echo "10.55.0.1:10.55.0.2"; else echo "10.55.0.2:10.55.0.1"; fi
    } > /tmp/options-$side
  done
  "$RELAY" /tmp/pppd-nsA /tmp/options-a "CN=server side" /tmp/pppd-nsB /tmp/options-b "CN=client-b" \
      > $LOG/relay.out 2> $LOG/relay.log &
  local relay=$!
  local ok=0
  up_and_ping && bulk_tcp || ok=1
  if [ $ok = 0 ]; then
    sleep 2.5   # a few LCP echo round trips through the relay
    grep -q 'rcvd \[LCP EchoRep' $LOG/relay.log || { echo "  no LCP Echo-Reply came through"; ok=1; }
    for f in "/tmp/ipup-ppp0-CN=server side" "/tmp/ipup-ppp0-CN=client-b"; do
      if [ -f "$f" ]; then sed 's/^/  ip-up: /' "$f"; else echo "  ip-up did not record $f"; ok=1; fi
    done
    grep -q 'peer=CN=client-b$' "/tmp/ipup-ppp0-CN=client-b" 2>/dev/null || { echo "  UDPVPN_PEER not passed"; ok=1; }
  fi
  local pids; pids=$(pgrep -x pppd | tr '\n' ' ')
  kill -TERM $relay
  local _; for _ in $(seq 50); do kill -0 $relay 2>/dev/null || break; sleep 0.1; done
  wait $relay 2>/dev/null
  local rrc=$?
  sed 's/^/  /' $LOG/relay.out
  grep 'ppp_relay:' $LOG/relay.log | sed 's/^/  /'
  [ "$rrc" = 0 ] || { echo "  ppp_relay exited with $rrc"; ok=1; }
  if [ -n "$(pgrep -x pppd)" ]; then echo "  pppd still running after the relay stopped ($pids)"; ok=1; fi
  # Frames with a bad FCS or header would mean the codec and pppd disagree.
  if grep -E 'bad_fcs=[1-9]|bad_header=[1-9]|too_long=[1-9]' $LOG/relay.out >/dev/null; then echo "  bad frames"; ok=1; fi
  [ $ok = 0 ] || show_logs $LOG/relay.log
  cleanup_ns
  return $ok
}

check "harness: plain pppd <-> pppd over a socat pty pair (LCP, IPCP, ping)" test_plain_pppd
check "pppd <-> PppdLink/HDLC relay <-> pppd (IPCP, ping, 1 MiB SHA-256, LCP echo, identity, stop)" test_relay
if [ -n "$SERVER_BIN" ]; then
  . "$(dirname "$0")/pppmode-checks.sh"
  run_pppmode_checks
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
