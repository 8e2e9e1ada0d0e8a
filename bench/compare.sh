#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/compare.sh: TCP throughput (iperf3) through udpvpn, wireguard-go and OpenVPN, side by side in
# one run on this machine, plus plain veth as a baseline. A benchmark program, not a test.
#
#   sudo bench/compare.sh                      # BUILD=build DURATION=10 ROUNDS=3
#   BUILD=build-foo DURATION=5 ROUNDS=2 bench/compare.sh
#
# Two network namespaces (uvb-<pid>-srv, uvb-<pid>-cli) joined by one veth pair carry every tunnel at
# once (each on its own port and inner subnet); one iperf3 client -> server run at a time, the
# tunnels alternating in each round so that load from other processes hits all of them alike. Each
# figure is the median of ROUNDS runs of DURATION seconds. Everything the script made (namespaces,
# with their veth, TUN devices and processes, the wireguard-go UAPI sockets, its temporary
# directory) goes away on exit.
#
# Tunnels (inner MTU 1420 everywhere, the userspace implementations on both ends):
#   udpvpn        udpvpn-server / udpvpn-client from $BUILD, IP/TUN mode, tests/pki certificates,
#                 once with suites = ["chacha20-poly1305"] and once with ["aes-256-gcm"]
#   wireguard-go  the userspace WireGuard (ChaCha20-Poly1305 is WireGuard's only cipher), keys and
#                 peers set with `wg`
#   openvpn       UDP, TLS with an ECDSA P-256 PKI made here by openssl, dev tun, data channel
#                 AES-256-GCM and CHACHA20-POLY1305, no DCO (the kernel has no ovpn-dco module)
# Also shown: CPU time of the tunnel processes (both ends, user+system) per run, as Mbit/s per CPU
# second, which is far less sensitive than raw Mbit/s to what else the machine runs; and the
# library's own figures from udpvpn-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
SERVER_BIN=$ROOT/$BUILD/apps/udpvpn-server
CLIENT_BIN=$ROOT/$BUILD/apps/udpvpn-client
BENCH_BIN=$ROOT/$BUILD/bench/udpvpn-bench
TEST_PKI=$ROOT/tests/pki

P="uvb-$$"
NS_S="$P-srv"
NS_C="$P-cli"
UNDER_S=192.168.240.1
UNDER_C=192.168.240.2

die() { echo "compare.sh: $*" >&2; exit 1; }

# --- preconditions: a clear message for each missing piece ------------------------------------------
[ "$(id -u)" -eq 0 ] || die "run me as root (I create network namespaces and TUN devices)"
[ -c /dev/net/tun ] || die "/dev/net/tun is missing (modprobe tun)"
missing=()
for t in ip iperf3 ping openssl wireguard-go wg openvpn awk timeout; do
  command -v "$t" >/dev/null || missing+=("$t")
done
[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (scripts/install-deps.sh installs them)"
for b in "$SERVER_BIN" "$CLIENT_BIN"; do
  [ -x "$b" ] || die "$b is not built: ninja -C $BUILD apps/udpvpn-server apps/udpvpn-client"
done
[ "$DURATION" -ge 1 ] && [ "$ROUNDS" -ge 1 ] || die "DURATION and ROUNDS must be positive integers"

WORK=$(mktemp -d "/tmp/$P.XXXXXX")
PIDS=()
NAMESPACES=()
WG_IFS=()
cleanup() {
  set +e
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null; kill -9 "$pid" 2>/dev/null; done
  local n
  for n in "${NAMESPACES[@]}"; do ip netns del "$n" 2>/dev/null; done
  for n in "${WG_IFS[@]}"; do rm -f "/var/run/wireguard/$n.sock"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_s() { ip netns exec "$NS_S" "$@"; }
in_c() { ip netns exec "$NS_C" "$@"; }

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds.
wait_for() {
  local t=$(($1 * 5)); shift
  while [ "$t" -gt 0 ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
    t=$((t - 1))
  done
  return 1
}
# wait_ping ADDR SECONDS: from the client namespace, until one ping gets through.
wait_ping() {
  local t=$2
  while [ "$t" -gt 0 ]; do
    in_c ping -c 1 -W 1 "$1" >/dev/null 2>&1 && return 0
    t=$((t - 1))
  done
  return 1
}
fail_log() {   # fail_log WHAT LOGFILE...
  local what=$1; shift
  echo "compare.sh: $what" >&2
  local f
  for f in "$@"; do echo "----- $(basename "$f")" >&2; tail -n 20 "$f" >&2 || true; done
  exit 1
}

# --- the machine, before anything runs -------------------------------------------------------------
cpu_model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "udpvpn tunnel comparison, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r)"
echo "CPU: ${cpu_model:-unknown} x $(nproc) online; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
buildtype=$(grep -o '"name": "buildtype", "value": "[a-z]*"' "$BUILD/meson-info/intro-buildoptions.json" 2>/dev/null |
            sed 's/.*"value": "//; s/"//' || true)
echo "udpvpn: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?') from $BUILD (buildtype ${buildtype:-?})"
echo "$(wireguard-go --version 2>/dev/null | head -1); $(openvpn --version | head -1 | cut -d' ' -f1-2);" \
     "$(iperf3 --version | head -1 | cut -d' ' -f1-2)"
echo "iperf3 TCP, client -> server, ${DURATION} s per run, ${ROUNDS} alternating rounds, median shown"
echo

# --- network: two namespaces, one veth pair -------------------------------------------------------
ip netns add "$NS_S"; NAMESPACES+=("$NS_S")
ip netns add "$NS_C"; NAMESPACES+=("$NS_C")
ip link add "$P-vs" netns "$NS_S" type veth peer name "$P-vc" netns "$NS_C"
in_s ip addr add "$UNDER_S/24" dev "$P-vs"
in_c ip addr add "$UNDER_C/24" dev "$P-vc"
for n in "$NS_S" "$NS_C"; do ip -n "$n" link set lo up; done
in_s ip link set "$P-vs" up
in_c ip link set "$P-vc" up
wait_ping "$UNDER_S" 5 || die "the veth pair does not pass pings"

# TUNNELS: label, server-side inner address, "which cipher", pids of both ends (for CPU time).
LABELS=() TARGETS=() CIPHERS=()
declare -A ENDS
add_tunnel() { LABELS+=("$1"); TARGETS+=("$2"); CIPHERS+=("$3"); ENDS[$1]=${4:-}; }
add_tunnel "veth (no tunnel)" "$UNDER_S" "none"

# --- udpvpn: one server/client pair per suite -------------------------------------------------------
start_udpvpn() {   # start_udpvpn INDEX SUITE
  local i=$1 suite=$2 port=$((51820 + $1)) net="10.$((70 + $1)).0"
  cat >"$WORK/udpvpn-s$i.toml" <<EOT
[server]
listen = "$UNDER_S:$port"
log_level = "info"
[pki]
ca = "$TEST_PKI/ca.crt"
cert = "$TEST_PKI/server.crt"
key = "$TEST_PKI/server.key"
[tunnel]
device = "$P-us$i"
mtu = 1420
ipv4_pool = "$net.0/24"
ipv6_pool = ""
[status]
socket = "$WORK/udpvpn-s$i.sock"
[protocol]
suites = ["$suite"]
EOT
  cat >"$WORK/udpvpn-c$i.toml" <<EOT
[client]
server = "$UNDER_S:$port"
server_name = "vpn.example.test"
log_level = "info"
[pki]
ca = "$TEST_PKI/ca.crt"
cert = "$TEST_PKI/client.crt"
key = "$TEST_PKI/client.key"
[tunnel]
device = "$P-uc$i"
accept_dns = false
[protocol]
suites = ["$suite"]
EOT
  ip netns exec "$NS_S" "$SERVER_BIN" --config "$WORK/udpvpn-s$i.toml" >"$WORK/udpvpn-s$i.log" 2>&1 &
  local spid=$!; PIDS+=("$spid")
  wait_for 10 grep -q "listening" "$WORK/udpvpn-s$i.log" || fail_log "udpvpn-server ($suite) did not start" "$WORK/udpvpn-s$i.log"
  ip netns exec "$NS_C" "$CLIENT_BIN" --config "$WORK/udpvpn-c$i.toml" >"$WORK/udpvpn-c$i.log" 2>&1 &
  local cpid=$!; PIDS+=("$cpid")
  wait_for 15 grep -q "configured" "$WORK/udpvpn-c$i.log" ||
    fail_log "udpvpn-client ($suite) did not connect" "$WORK/udpvpn-s$i.log" "$WORK/udpvpn-c$i.log"
  wait_ping "$net.1" 10 || fail_log "no ping through udpvpn ($suite)" "$WORK/udpvpn-s$i.log" "$WORK/udpvpn-c$i.log"
  # The suite the session really uses, as the client logs it on "connected".
  local used
  used=$(grep -o 'session [0-9a-f]*, [a-z0-9-]*' "$WORK/udpvpn-c$i.log" | tail -1 | sed 's/.*, //')
  add_tunnel "udpvpn $suite" "$net.1" "${used:-?}" "$spid $cpid"
}
start_udpvpn 1 chacha20-poly1305
start_udpvpn 2 aes-256-gcm

# --- wireguard-go --------------------------------------------------------------------------------
start_wireguard() {
  local ifs="$P-ws" ifc="$P-wc"
  WG_IFS+=("$ifs" "$ifc")
  umask 077
  wg genkey >"$WORK/wg-s.key"; wg pubkey <"$WORK/wg-s.key" >"$WORK/wg-s.pub"
  wg genkey >"$WORK/wg-c.key"; wg pubkey <"$WORK/wg-c.key" >"$WORK/wg-c.pub"
  umask 022
  # -f: stay in the foreground so that the pid is the daemon's; the kernel has no wireguard module.
  WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ip netns exec "$NS_S" wireguard-go -f "$ifs" >"$WORK/wg-s.log" 2>&1 &
  local spid=$!; PIDS+=("$spid")
  WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ip netns exec "$NS_C" wireguard-go -f "$ifc" >"$WORK/wg-c.log" 2>&1 &
  local cpid=$!; PIDS+=("$cpid")
  wait_for 10 test -S "/var/run/wireguard/$ifs.sock" || fail_log "wireguard-go did not start" "$WORK/wg-s.log"
  wait_for 10 test -S "/var/run/wireguard/$ifc.sock" || fail_log "wireguard-go did not start" "$WORK/wg-c.log"
  in_s wg set "$ifs" private-key "$WORK/wg-s.key" listen-port 51900 \
    peer "$(cat "$WORK/wg-c.pub")" allowed-ips 10.78.0.2/32
  in_c wg set "$ifc" private-key "$WORK/wg-c.key" \
    peer "$(cat "$WORK/wg-s.pub")" allowed-ips 10.78.0.0/24 endpoint "$UNDER_S:51900"
  in_s ip addr add 10.78.0.1/24 dev "$ifs"
  in_c ip addr add 10.78.0.2/24 dev "$ifc"
  in_s ip link set "$ifs" mtu 1420 up
  in_c ip link set "$ifc" mtu 1420 up
  wait_ping 10.78.0.1 10 || fail_log "no ping through wireguard-go" "$WORK/wg-s.log" "$WORK/wg-c.log"
  add_tunnel "wireguard-go" 10.78.0.1 "chacha20-poly1305" "$spid $cpid"
}
start_wireguard

# --- OpenVPN: a small ECDSA PKI, one server/client pair per cipher ----------------------------------
make_ovpn_pki() {
  local d=$WORK/ovpn-pki n
  mkdir -p "$d"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ca.key" 2>/dev/null
  openssl req -new -x509 -key "$d/ca.key" -subj "/CN=uvb CA" -days 2 -out "$d/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  for n in server client; do
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$n.key" 2>/dev/null
    openssl req -new -key "$d/$n.key" -subj "/CN=uvb $n" -out "$d/$n.csr" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=%s\n' \
      "$([ $n = server ] && echo serverAuth || echo clientAuth)" >"$d/$n.ext"
    openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
      -extfile "$d/$n.ext" -out "$d/$n.crt" 2>/dev/null
  done
  [ -s "$d/client.crt" ] || die "openssl could not make the OpenVPN PKI"
}
start_openvpn() {   # start_openvpn INDEX CIPHER
  local i=$1 cipher=$2 port=$((1193 + $1)) net="10.$((78 + $1)).0" d=$WORK/ovpn-pki
  # Both ends: userspace data channel (no DCO), the same inner MTU as the others, quiet logs.
  local common=(--dev-type tun --proto udp4 --data-ciphers "$cipher" --disable-dco --tun-mtu 1420
                --ca "$d/ca.crt" --dh none --verb 3 --script-security 1)
  ip netns exec "$NS_S" openvpn "${common[@]}" --dev "$P-os$i" --local "$UNDER_S" --lport "$port" \
    --server "$net.0" 255.255.255.0 --topology subnet --keepalive 10 60 \
    --cert "$d/server.crt" --key "$d/server.key" >"$WORK/ovpn-s$i.log" 2>&1 &
  local spid=$!; PIDS+=("$spid")
  wait_for 10 grep -q "Initialization Sequence Completed" "$WORK/ovpn-s$i.log" ||
    fail_log "openvpn server ($cipher) did not start" "$WORK/ovpn-s$i.log"
  ip netns exec "$NS_C" openvpn "${common[@]}" --dev "$P-oc$i" --client --nobind \
    --remote "$UNDER_S" "$port" --remote-cert-tls server \
    --cert "$d/client.crt" --key "$d/client.key" >"$WORK/ovpn-c$i.log" 2>&1 &
  local cpid=$!; PIDS+=("$cpid")
  wait_for 20 grep -q "Initialization Sequence Completed" "$WORK/ovpn-c$i.log" ||
    fail_log "openvpn client ($cipher) did not connect" "$WORK/ovpn-s$i.log" "$WORK/ovpn-c$i.log"
  wait_ping "$net.1" 10 || fail_log "no ping through openvpn ($cipher)" "$WORK/ovpn-s$i.log" "$WORK/ovpn-c$i.log"
  local used
  used=$(grep -o "Data Channel: cipher '[^']*'" "$WORK/ovpn-c$i.log" | tail -1 | cut -d"'" -f2)
  add_tunnel "openvpn $(echo "$cipher" | tr 'A-Z' 'a-z')" "$net.1" "${used:-?}" "$spid $cpid"
}
make_ovpn_pki
start_openvpn 1 AES-256-GCM
if openvpn --show-ciphers 2>/dev/null | grep -q '^CHACHA20-POLY1305'; then
  start_openvpn 2 CHACHA20-POLY1305
else
  echo "(this openvpn has no CHACHA20-POLY1305: measured with AES-256-GCM only)"
fi
echo "all ${#LABELS[@]} paths pass pings; measuring"

# --- measurement ---------------------------------------------------------------------------------
# Not through in_s (a function runs in a subshell): $! must be iperf3 itself, for the cleanup.
ip netns exec "$NS_S" iperf3 -s -p 5299 >"$WORK/iperf3-server.log" 2>&1 &
PIDS+=($!)
wait_for 5 in_c bash -c "exec 3<>/dev/tcp/$UNDER_S/5299" || fail_log "iperf3 server did not start" "$WORK/iperf3-server.log"
sleep 0.5   # the probe connection above is a "test" the server has to give up on

cpu_ticks() {   # user+system clock ticks of these pids (threads included)
  local sum=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    sum=$((sum + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$sum"
}
TICK=$(getconf CLK_TCK)
declare -A MBPS CPUS   # label -> space-separated figures, one per round

measure() {   # measure INDEX
  local i=$1 label=${LABELS[$1]} out mbps t0 t1 cpu
  # shellcheck disable=SC2086
  t0=$(cpu_ticks ${ENDS[$label]})
  out=$(timeout $((DURATION + 30)) ip netns exec "$NS_C" iperf3 -c "${TARGETS[$i]}" -p 5299 -t "$DURATION" \
        -f m --connect-timeout 5000 2>&1) || { echo "  $label: iperf3 failed: $(echo "$out" | tail -1)"; return 0; }
  # shellcheck disable=SC2086
  t1=$(cpu_ticks ${ENDS[$label]})
  mbps=$(echo "$out" | awk '/receiver/ {for (k = 1; k < NF; k++) if ($(k+1) == "Mbits/sec") v = $k} END {print v}')
  [ -n "$mbps" ] || { echo "  $label: no receiver line in iperf3 output"; return 0; }
  cpu=$(awk -v a="$t0" -v b="$t1" -v t="$TICK" 'BEGIN {printf "%.2f", (b - a) / t}')
  MBPS[$label]+="$mbps "
  CPUS[$label]+="$cpu "
  printf '  round %d  %-26s %8.0f Mbit/s' "$2" "$label" "$mbps"
  [ -n "${ENDS[$label]}" ] && printf '   tunnel CPU %5.1f s' "$cpu"
  printf '\n'
}
for ((r = 1; r <= ROUNDS; r++)); do
  # Alternate the order (forwards, then backwards) so no path always runs right after the same one.
  if ((r % 2)); then order=$(seq 0 $((${#LABELS[@]} - 1))); else order=$(seq $((${#LABELS[@]} - 1)) -1 0); fi
  for i in $order; do measure "$i" "$r"; done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo
printf '%-26s %-20s %10s %12s %14s\n' "path" "cipher" "Mbit/s" "tunnel CPU" "Mbit/s per"
printf '%-26s %-20s %10s %12s %14s\n' "" "" "(median)" "s per run" "CPU second"
declare -A MED
for i in "${!LABELS[@]}"; do
  label=${LABELS[$i]}
  MED[$label]=$(echo "${MBPS[$label]:-}" | median)
  cpu=$(echo "${CPUS[$label]:-}" | median)
  eff="-"
  if [ -n "${ENDS[$label]}" ] && [ -n "${MED[$label]}" ] && [ -n "$cpu" ]; then
    eff=$(awk -v m="${MED[$label]}" -v c="$cpu" -v d="$DURATION" 'BEGIN {if (c > 0) printf "%.0f", m * d / c; else print "-"}')
  else
    cpu="-"
  fi
  printf '%-26s %-20s %10s %12s %14s\n' "$label" "${CIPHERS[$i]}" "${MED[$label]:-failed}" "$cpu" "$eff"
done

ratio() {   # ratio A B: MED[A] / MED[B]
  local a=${MED[$1]:-} b=${MED[$2]:-}
  if [ -n "$a" ] && [ -n "$b" ]; then awk -v a="$a" -v b="$b" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'
  else echo "-"; fi
}
echo
echo "ratios (median Mbit/s):"
for s in chacha20-poly1305 aes-256-gcm; do
  printf '  udpvpn %-18s / wireguard-go               %s\n' "$s" "$(ratio "udpvpn $s" wireguard-go)"
done
printf '  udpvpn %-18s / openvpn aes-256-gcm        %s\n' aes-256-gcm "$(ratio "udpvpn aes-256-gcm" "openvpn aes-256-gcm")"
printf '  udpvpn %-18s / openvpn chacha20-poly1305  %s\n' chacha20-poly1305 \
  "$(ratio "udpvpn chacha20-poly1305" "openvpn chacha20-poly1305")"
printf '  udpvpn %-18s / veth (no tunnel)           %s\n' chacha20-poly1305 "$(ratio "udpvpn chacha20-poly1305" "veth (no tunnel)")"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- the library alone, for context ----------------------------------------------------------------
echo
if [ -x "$BENCH_BIN" ]; then
  echo "udpvpn-bench (the library without sockets or TUN, same run):"
  UDPVPN_TEST_PKI=$TEST_PKI timeout 300 "$BENCH_BIN" 2>&1 | sed 's/^/  /' || echo "  udpvpn-bench failed"
else
  echo "udpvpn-bench not built ($BENCH_BIN): ninja -C $BUILD bench/udpvpn-bench"
fi
