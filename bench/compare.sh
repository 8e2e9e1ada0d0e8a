#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/compare.sh: udpvpn, wireguard-go and OpenVPN side by side in one run on this machine, plus
# plain veth as a baseline: TCP throughput (one stream and four), UDP packets per second at 1300
# bytes, ping round-trip times idle and under load, and the tunnel's CPU seconds per GB carried.
# A benchmark program, not a test.
#
#   sudo bench/compare.sh                      # BUILD=build DURATION=10 ROUNDS=3
#   BUILD=build-foo DURATION=5 ROUNDS=2 bench/compare.sh
#   OFFLOADS=off bench/compare.sh              # the veth pair without GSO/TSO/GRO (see below)
#   BEFORE=build-main bench/compare.sh         # also an older udpvpn build, for before/after
#   VARIANTS=0 LIBRARY_BENCH=0 bench/compare.sh  # without the [offload] variants, the library bench
#   WORKERS="1 2" bench/compare.sh             # also AES-256-GCM servers with server.workers = 1, 2
#   PPP=vm bench/compare.sh                    # the whole comparison inside a QEMU guest whose
#                                              # kernel has PPP, with udpvpn in PPP mode added
#
# Two network namespaces (uvb-<pid>-srv, uvb-<pid>-cli) joined by one veth pair carry every tunnel at
# once (each on its own port and inner subnet); one measurement at a time, the tunnels alternating
# in each round so that load from other processes hits all of them alike. Each figure is the median
# of ROUNDS runs of DURATION seconds. Everything the script made (namespaces, with their veth, TUN
# devices and processes, the wireguard-go UAPI sockets, its temporary directory) goes away on exit.
#
# Tunnels (inner MTU 1420 everywhere, the userspace implementations on both ends):
#   udpvpn        udpvpn-server / udpvpn-client from $BUILD, IP/TUN mode, tests/pki certificates,
#                 with suites = ["chacha20-poly1305"] and ["aes-256-gcm"]; with VARIANTS=1 (the
#                 default) also AES-256-GCM with parts of [offload] off, to show what each brings:
#                 "none" (one datagram per system call, no TUN offload), "batch" (recvmmsg/sendmmsg
#                 only), "batch+gso/gro" (no TUN offload); with BEFORE=<build dir>, that build's
#                 udpvpn (AES-256-GCM, its defaults) as "udpvpn-before"
#   wireguard-go  the userspace WireGuard (ChaCha20-Poly1305 is WireGuard's only cipher), keys and
#                 peers set with `wg`
#   openvpn       UDP, TLS with an ECDSA P-256 PKI made here by openssl, dev tun, data channel
#                 AES-256-GCM and CHACHA20-POLY1305, no DCO (the kernel has no ovpn-dco module)
#   udpvpn ppp    with PPP=1 (or auto on a kernel with PPP): udpvpn-server and udpvpn-client in
#                 PPP mode (tunnel.mode = "ppp"), AES-256-GCM, a pppd at each end (mtu 1420,
#                 IPCP addresses from the server's pool); its CPU figure adds both pppd. This
#                 host's kernel has no PPP: PPP=vm boots Debian's kernel under QEMU
#                 (tests/ppp/run-in-vm.sh, software emulation, PPP_VM_SMP=2 vCPUs) and runs this
#                 script there with PPP=1, every tunnel in the same guest, so ratios stay fair while
#                 the absolute figures are an emulated machine's
# Measurements, per tunnel and round (iperf3 client -> server, ping from the client namespace):
#   tcp1   one TCP stream; "CPU s/GB" is the CPU time of both tunnel processes (user+system)
#          per GB iperf3 received in this run; ping p99 "load" is measured during this run
#   tcp4   four TCP streams (iperf3 -P 4)
#   udp    UDP at 1300-byte payloads, unlimited rate: datagrams per second the server received
#   ping   idle: before the rounds, IDLE_PINGS (1000) ICMP echoes per path, one in flight at a
#          time, the paths in turn, 10 ms apart (bench/idle_rtt.py): the 99th percentile round
#          trip, with the daemons' CPU time per echo; IDLE_ONLY=1 stops after this phase
# OFFLOADS=off turns segmentation and receive offloads off on the veth pair (ethtool): a GSO
# super-packet is then cut up before it crosses the "wire", as on a NIC without UDP segmentation
# offload. With them on (the default), veth hands UDP GSO buffers whole to a receiver that asked
# for UDP_GRO, which flatters the tunnels that use them: report both.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
VARIANTS=${VARIANTS:-1}
OFFLOADS=${OFFLOADS:-on}
BEFORE=${BEFORE:-}
WORKERS=${WORKERS:-}
PPP=${PPP:-auto}
IDLE_PINGS=${IDLE_PINGS:-1000}
IDLE_ONLY=${IDLE_ONLY:-0}
IDLE_RAW=${IDLE_RAW:-}   # a file for every idle sample (path index, send time in ns, ms)
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

export PATH="$PATH:/usr/sbin:/sbin"
case $PPP in
  vm)
    # The guest sees this host's / read-only (binaries and build included) and gets PPP, TUN and
    # veth from its own kernel's modules; $ROOT is shared read-write at the same path.
    [ "$(id -u)" -eq 0 ] || die "run me as root (PPP=vm boots a QEMU guest over this host's /)"
    echo "compare.sh: PPP=vm: running in a QEMU guest with Debian's kernel (software emulation, slow)"
    export PPP_VM_SMP=${PPP_VM_SMP:-2} PPP_VM_MEM=${PPP_VM_MEM:-2048} PPP_VM_TIMEOUT=${PPP_VM_TIMEOUT:-3600}
    exec "$ROOT/tests/ppp/run-in-vm.sh" "$ROOT" -- env PPP=1 BUILD="$BUILD" DURATION="$DURATION" \
      ROUNDS="$ROUNDS" VARIANTS="$VARIANTS" OFFLOADS="$OFFLOADS" BEFORE="$BEFORE" WORKERS="$WORKERS" \
      LIBRARY_BENCH="${LIBRARY_BENCH:-1}" IDLE_PINGS="${IDLE_PINGS:-1000}" IDLE_ONLY="${IDLE_ONLY:-0}" \
      bash "$ROOT/bench/compare.sh"
    ;;
  auto)
    # Kernel PPP: /dev/ppp, or a module that provides it.
    if command -v pppd >/dev/null && { [ -c /dev/ppp ] || modprobe -q ppp_generic 2>/dev/null; } && [ -c /dev/ppp ]; then
      modprobe -q ppp_async 2>/dev/null || true
      PPP=1
    else
      PPP=0
    fi
    ;;
  0|1) ;;
  *) die "PPP is auto, 0, 1 or vm" ;;
esac

# --- preconditions: a clear message for each missing piece ------------------------------------------
[ "$(id -u)" -eq 0 ] || die "run me as root (I create network namespaces and TUN devices)"
[ -c /dev/net/tun ] || die "/dev/net/tun is missing (modprobe tun)"
missing=()
for t in ip iperf3 ping openssl wireguard-go wg openvpn awk timeout python3 $([ "$PPP" = 1 ] && echo pppd); do
  command -v "$t" >/dev/null || missing+=("$t")
done
[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (scripts/install-deps.sh installs them)"
for b in "$SERVER_BIN" "$CLIENT_BIN"; do
  [ -x "$b" ] || die "$b is not built: ninja -C $BUILD apps/udpvpn-server apps/udpvpn-client"
done
[ "$PPP" != 1 ] || [ -c /dev/ppp ] || die "PPP=1: this kernel has no PPP (/dev/ppp); PPP=vm runs everything in a QEMU guest that has"
[ "$DURATION" -ge 1 ] && [ "$ROUNDS" -ge 1 ] || die "DURATION and ROUNDS must be positive integers"
case $OFFLOADS in on) ;; off) command -v ethtool >/dev/null || die "OFFLOADS=off needs ethtool" ;;
  *) die "OFFLOADS is on or off" ;; esac
case $BEFORE in /*|'') BEFORE_DIR=$BEFORE ;; *) BEFORE_DIR=$ROOT/$BEFORE ;; esac
if [ -n "$BEFORE" ]; then
  for b in "$BEFORE_DIR/apps/udpvpn-server" "$BEFORE_DIR/apps/udpvpn-client"; do
    [ -x "$b" ] || die "BEFORE=$BEFORE: $b is not built"
  done
fi

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
echo "iperf3 client -> server, ${DURATION} s per run, ${ROUNDS} alternating rounds, median shown;" \
     "veth offloads $OFFLOADS${BEFORE:+; before: $BEFORE}"
if [ -n "${PPP_VM:-}" ]; then echo "in a QEMU guest (software emulation, $(nproc) vCPUs): compare ratios, not figures, with the host's"
elif [ "$PPP" = 0 ]; then echo "(no udpvpn PPP mode here: this kernel has no PPP; PPP=vm measures it in a QEMU guest)"; fi
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
if [ "$OFFLOADS" = off ]; then
  # Every segmentation and receive offload of the "wire": super-packets are cut up before veth.
  for side in "in_s $P-vs" "in_c $P-vc"; do
    set -- $side
    $1 ethtool -K "$2" tso off gso off gro off tx-udp-segmentation off rx-gro-list off rx-udp-gro-forwarding off \
      >/dev/null 2>&1 || $1 ethtool -K "$2" tso off gso off gro off >/dev/null || die "ethtool -K failed"
  done
fi
wait_ping "$UNDER_S" 5 || die "the veth pair does not pass pings"

# TUNNELS: label, server-side inner address, "which cipher", pids of both ends (for CPU time).
LABELS=() TARGETS=() CIPHERS=()
declare -A ENDS
add_tunnel() { LABELS+=("$1"); TARGETS+=("$2"); CIPHERS+=("$3"); ENDS[$1]=${4:-}; }
add_tunnel "veth (no tunnel)" "$UNDER_S" "none"

# --- udpvpn: one server/client pair per suite and [offload] variant ---------------------------------
# write_udpvpn_configs INDEX SUITE SERVER_TUNNEL CLIENT_TUNNEL [SERVER_LINES [TRAILER]]: the server's
# and the client's configuration for tunnel INDEX, the part every udpvpn tunnel here shares; the
# caller gives what follows each [tunnel] header, lines for [server], and tables for both files' end.
write_udpvpn_configs() {
  local i=$1 suite=$2 server_tunnel=$3 client_tunnel=$4 server_lines=${5:-} trailer=${6:-} port=$((51820 + $1))
  cat >"$WORK/udpvpn-s$i.toml" <<EOT
[server]
listen = "$UNDER_S:$port"
log_level = "info"
$server_lines
[pki]
ca = "$TEST_PKI/ca.crt"
cert = "$TEST_PKI/server.crt"
key = "$TEST_PKI/server.key"
[tunnel]
$server_tunnel
[status]
socket = "$WORK/udpvpn-s$i.sock"
[protocol]
suites = ["$suite"]
$trailer
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
$client_tunnel
[protocol]
suites = ["$suite"]
$trailer
EOT
}
start_udpvpn() {   # start_udpvpn INDEX SUITE LABEL [BUILD_DIR [OFFLOAD_TOML [SERVER_TOML]]]
  local i=$1 suite=$2 label=$3 bdir=${4:-$ROOT/$BUILD} offload=${5:-} server_lines=${6:-} net="10.$((70 + $1)).0"
  local offload_table=""
  [ -n "$offload" ] && offload_table=$(printf '[offload]\n%s' "$offload")
  write_udpvpn_configs "$i" "$suite" "$(printf 'device = "%s"\nmtu = 1420\nipv4_pool = "%s"\nipv6_pool = ""' "$P-us$i" "$net.0/24")" \
    "$(printf 'device = "%s"\naccept_dns = false' "$P-uc$i")" "$server_lines" "$offload_table"
  ip netns exec "$NS_S" "$bdir/apps/udpvpn-server" --config "$WORK/udpvpn-s$i.toml" >"$WORK/udpvpn-s$i.log" 2>&1 &
  local spid=$!; PIDS+=("$spid")
  wait_for 10 grep -q "listening" "$WORK/udpvpn-s$i.log" || fail_log "udpvpn-server ($label) did not start" "$WORK/udpvpn-s$i.log"
  ip netns exec "$NS_C" "$bdir/apps/udpvpn-client" --config "$WORK/udpvpn-c$i.toml" >"$WORK/udpvpn-c$i.log" 2>&1 &
  local cpid=$!; PIDS+=("$cpid")
  wait_for 15 grep -q "configured" "$WORK/udpvpn-c$i.log" ||
    fail_log "udpvpn-client ($label) did not connect" "$WORK/udpvpn-s$i.log" "$WORK/udpvpn-c$i.log"
  wait_ping "$net.1" 10 || fail_log "no ping through udpvpn ($label)" "$WORK/udpvpn-s$i.log" "$WORK/udpvpn-c$i.log"
  # The suite the session really uses, as the client logs it on "connected".
  local used
  used=$(grep -o 'session [0-9a-f]*, [a-z0-9-]*' "$WORK/udpvpn-c$i.log" | tail -1 | sed 's/.*, //')
  add_tunnel "$label" "$net.1" "${used:-?}" "$spid $cpid"
  grep -h "offloads:" "$WORK/udpvpn-s$i.log" "$WORK/udpvpn-c$i.log" 2>/dev/null | sed "s|.*offloads:|  $label offloads:|" | head -1 || true
}
start_udpvpn 1 chacha20-poly1305 "udpvpn chacha20-poly1305"
start_udpvpn 2 aes-256-gcm "udpvpn aes-256-gcm"
if [ "$VARIANTS" = 1 ]; then
  start_udpvpn 3 aes-256-gcm "udpvpn aes offload none" "" \
    $'udp_batch = false\nudp_gso = false\nudp_gro = false\ntun = false'
  start_udpvpn 4 aes-256-gcm "udpvpn aes batch" "" $'udp_gso = false\nudp_gro = false\ntun = false'
  start_udpvpn 5 aes-256-gcm "udpvpn aes batch+gso/gro" "" $'tun = false'
fi
[ -n "$BEFORE" ] && start_udpvpn 6 aes-256-gcm "udpvpn-before aes-256-gcm" "$BEFORE_DIR"
# server.workers variants: indices 11.. (inner 10.81.0.0/24 and up, clear of wireguard-go and OpenVPN).
k=11
for n in $WORKERS; do
  start_udpvpn "$k" aes-256-gcm "udpvpn aes workers=$n" "" "" "workers = $n"
  k=$((k + 1))
done

# --- udpvpn in PPP mode: a pppd at each end, the server's pool handing out addresses through IPCP ---
pppd_pids() {   # pppd_pids NAMESPACE: the pppd processes in it
  local p
  for p in $(ip netns pids "$1" 2>/dev/null); do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pppd ] && echo "$p"; done
  return 0
}
start_udpvpn_ppp() {   # start_udpvpn_ppp INDEX SUITE LABEL
  local i=$1 suite=$2 label=$3 net="10.$((70 + $1)).0" side
  for side in s c; do
    # pppd's own options: no authentication (the tunnel checked the certificates), no compression,
    # the same inner MTU as every other tunnel here. LCP and IPCP retry after 1 s, not pppd's 3 s,
    # as in tests/ppp: with the defaults, the first try in the emulated guest saw "serial line is
    # looped back", and IPCP was still not up when the 30 s wait below ran out. Negotiation is
    # logged (debug) into the udpvpn logs the script prints when a tunnel does not come up.
    echo "noauth local nocrtscts nolock nodefaultroute noipdefault novj nodeflate nobsdcomp noccp mtu 1420 mru 1420 lcp-restart 1 ipcp-restart 1 debug logfd 2" \
      >"$WORK/ppp-$side$i.options"
  done
  write_udpvpn_configs "$i" "$suite" \
    "$(printf 'mode = "ppp"\nipv4_pool = "%s"\n[ppp]\noptions = "%s"' "$net.0/24" "$WORK/ppp-s$i.options")" \
    "$(printf 'mode = "ppp"\n[ppp]\noptions = "%s"' "$WORK/ppp-c$i.options")"
  ip netns exec "$NS_S" "$SERVER_BIN" --config "$WORK/udpvpn-s$i.toml" >"$WORK/udpvpn-s$i.log" 2>&1 &
  local spid=$!; PIDS+=("$spid")
  wait_for 10 grep -q "listening" "$WORK/udpvpn-s$i.log" || fail_log "udpvpn-server ($label) did not start" "$WORK/udpvpn-s$i.log"
  ip netns exec "$NS_C" "$CLIENT_BIN" --config "$WORK/udpvpn-c$i.toml" >"$WORK/udpvpn-c$i.log" 2>&1 &
  local cpid=$!; PIDS+=("$cpid")
  # LCP and IPCP take a few round trips after the handshake: wait for the first ping through.
  wait_ping "$net.1" 30 || fail_log "no ping through udpvpn ($label)" "$WORK/udpvpn-s$i.log" "$WORK/udpvpn-c$i.log"
  local used
  used=$(grep -o 'session [0-9a-f]*, [a-z0-9-]*' "$WORK/udpvpn-c$i.log" | tail -1 | sed 's/.*, //')
  # Both pppd count: the data passes through their kernel channels (ppp_async on the pty).
  add_tunnel "$label" "$net.1" "${used:-?}" "$spid $cpid $(pppd_pids "$NS_S" | tr '\n' ' ')$(pppd_pids "$NS_C" | tr '\n' ' ')"
}
[ "$PPP" = 1 ] && start_udpvpn_ppp 7 aes-256-gcm "udpvpn ppp aes-256-gcm"

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

# The better peer for a figure: the higher throughput, the lower CPU per GB or round trip.
best_of() {   # best_of ARRAY max|min LABELS...
  local -n arr=$1; local how=$2; shift 2
  local best="" l
  for l in "$@"; do
    local v=${arr[$l]:-}
    [ -n "$v" ] || continue
    if [ -z "$best" ] || awk -v a="$v" -v b="$best" -v h="$how" 'BEGIN {exit !((h == "max") ? a > b : a < b)}'; then best=$v; fi
  done
  echo "$best"
}
PEERS=("wireguard-go" "openvpn aes-256-gcm" "openvpn chacha20-poly1305")
div() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; else echo "-"; fi; }

# --- idle round trips: every path at once, interleaved -------------------------------------------
# One echo in flight at a time, the paths in turn (a new order each cycle), 10 ms apart
# (bench/idle_rtt.py), after the handshakes have settled: each path sees the same moments of this
# shared host, and IDLE_PINGS samples each (1000: the p99 is the 10th slowest, not the 2nd of 200).
sleep 2
declare -A IDLE_P99
idle_args=()
for i in "${!LABELS[@]}"; do idle_args+=("$i=${TARGETS[$i]}"); done
echo "idle round trips: $IDLE_PINGS echoes per path, one at a time, paths in turn (shuffled), 10 ms apart"
# run_ns PID...: nanoseconds on a CPU so far, every thread of these processes (schedstat).
run_ns() {
  local p; for p in "$@"; do cat /proc/"$p"/task/*/schedstat 2>/dev/null; done | awk '{s += $1} END {printf "%.0f", s}'
}
declare -A IDLE_NS0
# shellcheck disable=SC2086
for i in "${!LABELS[@]}"; do IDLE_NS0[$i]=$(run_ns ${ENDS[${LABELS[$i]}]}); done
ip netns exec "$NS_C" python3 "$ROOT/bench/idle_rtt.py" --count "$IDLE_PINGS" ${IDLE_RAW:+--raw "$IDLE_RAW"} \
  "${idle_args[@]}" >"$WORK/idle.txt" ||
  die "bench/idle_rtt.py failed"
while IFS=$'\t' read -r i n lost p50 p90 p99 max; do
  IDLE_P99[${LABELS[$i]}]=$p99
  cpu="-"
  # shellcheck disable=SC2086
  [ -n "${ENDS[${LABELS[$i]}]}" ] && cpu=$(( ($(run_ns ${ENDS[${LABELS[$i]}]}) - IDLE_NS0[$i]) / 1000 / (n > 0 ? n : 1) ))
  printf '  %-28s %5d echoes, %d lost   p50 %s  p90 %s  p99 %s  max %s ms   CPU %s us per echo\n' \
    "${LABELS[$i]}" "$n" "$lost" "$p50" "$p90" "$p99" "$max" "$cpu"
done <"$WORK/idle.txt"
if [ "$IDLE_ONLY" = 1 ]; then
  bi=$(best_of IDLE_P99 min "${PEERS[@]}")
  for l in "${LABELS[@]}"; do
    case $l in udpvpn*) [ -n "$bi" ] && printf '  %-28s ping p99 idle / the better peer (%s ms): %s\n' "$l" "$bi" \
      "$(div "${IDLE_P99[$l]}" "$bi")" ;; esac
  done
  exit 0
fi

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
# label -> space-separated figures, one per round
declare -A TCP1 TCP4 UDPPPS CPUGB PING_LOAD

# iperf3_json FIELD < JSON: one figure from iperf3 -J output (the receiver's side).
iperf3_json() {
  python3 -c '
import json, sys
d = json.load(sys.stdin)
if "error" in d: sys.exit(1)
e = d["end"]; r = e.get("sum_received") or e["sum"]
f = sys.argv[1]
if f == "mbps": print("%.1f" % (r["bits_per_second"] / 1e6))
elif f == "bytes": print(int(r["bytes"]))
elif f == "pps": print("%.0f" % ((r["packets"] - r["lost_packets"]) / r["seconds"]))
' "$1"
}
# p99 < ping output: the 99th percentile of the "time=" values, in ms.
p99() {
  { grep -o 'time=[0-9.]*' || true; } | cut -d= -f2 | sort -g |
    awk '{v[NR] = $1} END {if (NR == 0) print ""; else {i = int(NR * 0.99 + 0.999); if (i > NR) i = NR; printf "%.3f", v[i]}}'
}
iperf() {   # iperf OUTFILE ARGS...: the client side, JSON in OUTFILE
  local out=$1; shift
  timeout $((DURATION + 30)) ip netns exec "$NS_C" iperf3 -p 5299 -t "$DURATION" --connect-timeout 5000 -J "$@" >"$out" 2>&1
}

measure() {   # measure INDEX ROUND
  local i=$1 label=${LABELS[$1]} target=${TARGETS[$1]} t0 t1 v bytes cpu pingpid
  local j=$WORK/iperf.json
  # tcp1, with pings during it (under load) and the tunnel's CPU time
  # shellcheck disable=SC2086
  t0=$(cpu_ticks ${ENDS[$label]})
  ip netns exec "$NS_C" ping -i 0.01 -w "$DURATION" "$target" >"$WORK/ping-load.txt" 2>&1 &
  pingpid=$!
  if iperf "$j" -c "$target" && v=$(iperf3_json mbps <"$j"); then
    # shellcheck disable=SC2086
    t1=$(cpu_ticks ${ENDS[$label]})
    bytes=$(iperf3_json bytes <"$j")
    TCP1[$label]+="$v "
    if [ -n "${ENDS[$label]}" ] && [ "$bytes" -gt 0 ]; then
      cpu=$(awk -v a="$t0" -v b="$t1" -v t="$TICK" -v n="$bytes" 'BEGIN {printf "%.2f", (b - a) / t / (n / 1e9)}')
      CPUGB[$label]+="$cpu "
    fi
  else
    echo "  $label: iperf3 (1 stream) failed: $(tail -c 300 "$j" | tr '\n' ' ')"
  fi
  wait "$pingpid" 2>/dev/null || true
  v=$(p99 <"$WORK/ping-load.txt"); [ -n "$v" ] && PING_LOAD[$label]+="$v "
  # tcp4
  if iperf "$j" -c "$target" -P 4 && v=$(iperf3_json mbps <"$j"); then TCP4[$label]+="$v "
  else echo "  $label: iperf3 (4 streams) failed"; fi
  # udp, 1300-byte payloads as fast as the sender can
  if iperf "$j" -c "$target" -u -b 0 -l 1300 && v=$(iperf3_json pps <"$j"); then UDPPPS[$label]+="$v "
  else echo "  $label: iperf3 (UDP) failed"; fi
  sleep 1   # let the flood drain before the next path runs
  printf '  round %d  %-28s tcp1 %6s Mbit/s  tcp4 %6s  udp %7s pps  ping load %s ms  CPU %s s/GB\n' "$2" "$label" \
    "$(echo "${TCP1[$label]:-}" | awk '{print $NF}')" "$(echo "${TCP4[$label]:-}" | awk '{print $NF}')" \
    "$(echo "${UDPPPS[$label]:-}" | awk '{print $NF}')" \
    "$(echo "${PING_LOAD[$label]:-}" | awk '{print $NF}')" "$(echo "${CPUGB[$label]:-}" | awk '{print $NF}')"
}
for ((r = 1; r <= ROUNDS; r++)); do
  # Alternate the order (forwards, then backwards) so no path always runs right after the same one.
  if ((r % 2)); then order=$(seq 0 $((${#LABELS[@]} - 1))); else order=$(seq $((${#LABELS[@]} - 1)) -1 0); fi
  for i in $order; do measure "$i" "$r"; done
done

median() { tr ' ' '\n' | { grep . || true; } | sort -g | awk '{v[NR] = $1} END {if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo
printf '%-28s %-18s %8s %8s %9s %9s %9s %9s\n' "path" "cipher" "TCP x1" "TCP x4" "UDP 1300" "CPU s" "ping p99" "ping p99"
printf '%-28s %-18s %8s %8s %9s %9s %9s %9s\n' "" "" "Mbit/s" "Mbit/s" "pkt/s" "per GB" "idle ms" "load ms"
declare -A M1 M4 MU MC MI ML
for i in "${!LABELS[@]}"; do
  label=${LABELS[$i]}
  M1[$label]=$(echo "${TCP1[$label]:-}" | median)
  M4[$label]=$(echo "${TCP4[$label]:-}" | median)
  MU[$label]=$(echo "${UDPPPS[$label]:-}" | median)
  MC[$label]=$(echo "${CPUGB[$label]:-}" | median)
  MI[$label]=${IDLE_P99[$label]:-}
  ML[$label]=$(echo "${PING_LOAD[$label]:-}" | median)
  printf '%-28s %-18s %8s %8s %9s %9s %9s %9s\n' "$label" "${CIPHERS[$i]}" "${M1[$label]:--}" "${M4[$label]:--}" \
    "${MU[$label]:--}" "${MC[$label]:--}" "${MI[$label]:--}" "${ML[$label]:--}"
done

echo
echo "udpvpn / the better of wireguard-go and OpenVPN (throughput: higher is better; CPU per GB and ping: lower is better):"
printf '  %-28s %8s %8s %9s %9s %9s %9s\n' "" "TCP x1" "TCP x4" "UDP pps" "CPU/GB" "ping idle" "ping load"
b1=$(best_of M1 max "${PEERS[@]}"); b4=$(best_of M4 max "${PEERS[@]}"); bu=$(best_of MU max "${PEERS[@]}")
bc=$(best_of MC min "${PEERS[@]}"); bi=$(best_of MI min "${PEERS[@]}"); bl=$(best_of ML min "${PEERS[@]}")
for label in "${LABELS[@]}"; do
  case $label in udpvpn*) ;; *) continue ;; esac
  printf '  %-28s %8s %8s %9s %9s %9s %9s\n' "$label" "$(div "${M1[$label]}" "$b1")" "$(div "${M4[$label]}" "$b4")" \
    "$(div "${MU[$label]}" "$bu")" "$(div "${MC[$label]}" "$bc")" "$(div "${MI[$label]}" "$bi")" "$(div "${ML[$label]}" "$bl")"
done
echo "targets (issue 13): TCP x1 >= 3.00, CPU/GB <= 0.33, ping idle <= 1.00 (and under load no worse than wireguard-go's)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- the library alone, for context ----------------------------------------------------------------
echo
if [ "${LIBRARY_BENCH:-1}" = 0 ]; then
  echo "(udpvpn-bench left out: LIBRARY_BENCH=0)"
elif [ -x "$BENCH_BIN" ]; then
  echo "udpvpn-bench (the library without sockets or TUN, same run):"
  UDPVPN_TEST_PKI=$TEST_PKI timeout 300 "$BENCH_BIN" 2>&1 | sed 's/^/  /' || echo "  udpvpn-bench failed"
else
  echo "udpvpn-bench not built ($BENCH_BIN): ninja -C $BUILD bench/udpvpn-bench"
fi
