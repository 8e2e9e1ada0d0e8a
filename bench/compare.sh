#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Throughput of udpvpn vs wireguard-go vs OpenVPN (2.6, static key, AES-256-CBC+HMAC: its fastest
# mode that needs no PKI), measured side by side in one run: iperf3 through each tunnel between two
# network namespaces (uvb-a, uvb-b) joined by a veth pair. A benchmark, not a test. Run as root.
#   BUILD=build SECONDS_EACH=5 ./bench/compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD BUILD=${BUILD:-build} T=${SECONDS_EACH:-5}
[ "$(id -u)" -eq 0 ] || { echo "run as root"; exit 1; }
for t in iperf3 wireguard-go openvpn openssl socat; do command -v "$t" >/dev/null || { echo "needs $t (scripts/install-deps.sh)"; exit 1; }; done
ninja -C "$BUILD" apps/udpvpn-server apps/udpvpn-client tools/udpvpn-pki >/dev/null
WORK=$(mktemp -d /tmp/uvb.XXXXXX)
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del uvb-a 2>/dev/null; ip netns del uvb-b 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
A() { ip netns exec uvb-a "$@"; }
B() { ip netns exec uvb-b "$@"; }
# Background processes started without a function wrapper, so $! is the process itself.
bgA() { ip netns exec uvb-a "$@" & PIDS+=($!); }
bgB() { ip netns exec uvb-b "$@" & PIDS+=($!); }
ip netns add uvb-a; ip netns add uvb-b
ip link add uvb-a0 netns uvb-a type veth peer name uvb-b0 netns uvb-b
A ip addr add 192.168.250.1/24 dev uvb-a0; B ip addr add 192.168.250.2/24 dev uvb-b0
for n in a b; do ip -n "uvb-$n" link set lo up; ip -n "uvb-$n" link set "uvb-${n}0" up; done

# iperf3 from b to a's tunnel address; prints Mbit/s (receiver side).
measure() {
  ip netns exec uvb-a iperf3 -s -1 -B "$1" >/dev/null 2>&1 &
  local s=$!
  sleep 0.5
  B timeout $((T + 10)) iperf3 -c "$1" -t "$T" -J 2>/dev/null | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))' 2>/dev/null || echo 0
  wait "$s" 2>/dev/null || true
}

declare -A R
R[plain]=$(measure 192.168.250.1)

# --- udpvpn
export UDPVPN_PKI_DIR="$WORK/pki"
P="$ROOT/$BUILD/tools/udpvpn-pki"
$P init-ca --days 2 >/dev/null; $P issue server bench.test --days 1 -o "$WORK/s" >/dev/null
$P issue client bench --days 1 -o "$WORK/c" >/dev/null
printf '[pki]\nca="%s"\ncert="%s"\nkey="%s"\n[tunnel]\ndevice="uvb0"\n[status]\nsocket=""\n[server]\nlog_level="warning"\n' \
  "$WORK/pki/ca.crt" "$WORK/s/bench.test.crt" "$WORK/s/bench.test.key" >"$WORK/s.toml"
printf '[client]\nserver="192.168.250.1:51820"\nserver_name="bench.test"\nlog_level="warning"\n[pki]\nca="%s"\ncert="%s"\nkey="%s"\n[tunnel]\ndevice="uvb0"\n' \
  "$WORK/c/ca.crt" "$WORK/c/bench.crt" "$WORK/c/bench.key" >"$WORK/c.toml"
bgA "$ROOT/$BUILD/apps/udpvpn-server" -c "$WORK/s.toml"
sleep 0.5
bgB "$ROOT/$BUILD/apps/udpvpn-client" -c "$WORK/c.toml"
for _ in $(seq 50); do B ping -c1 -W1 10.77.0.1 >/dev/null 2>&1 && break; sleep 0.2; done
R[udpvpn]=$(measure 10.77.0.1)
kill "${PIDS[-1]}" "${PIDS[-2]}"; wait "${PIDS[-1]}" "${PIDS[-2]}" 2>/dev/null || true

# --- wireguard-go, configured through its UAPI socket (no wireguard-tools needed). The socket
# directory is shared by the namespaces, so each side needs its own interface name.
wgkey() {   # prints "private_hex public_hex"
  openssl genpkey -algorithm X25519 -out "$WORK/k.pem" 2>/dev/null
  local priv pub
  priv=$(openssl pkey -in "$WORK/k.pem" -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
  pub=$(openssl pkey -in "$WORK/k.pem" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
  echo "$priv $pub"
}
read -r ka kpa < <(wgkey); read -r kb kpb < <(wgkey)
bgA env WG_PROCESS_FOREGROUND=1 wireguard-go -f wga0 >/dev/null 2>&1
bgB env WG_PROCESS_FOREGROUND=1 wireguard-go -f wgb0 >/dev/null 2>&1
sleep 1
A timeout 5 socat - UNIX-CONNECT:/var/run/wireguard/wga0.sock >/dev/null <<<"$(printf 'set=1\nprivate_key=%s\nlisten_port=51821\npublic_key=%s\nallowed_ip=10.78.0.2/32\n' "$ka" "$kpb")
"
B timeout 5 socat - UNIX-CONNECT:/var/run/wireguard/wgb0.sock >/dev/null <<<"$(printf 'set=1\nprivate_key=%s\npublic_key=%s\nendpoint=192.168.250.1:51821\nallowed_ip=10.78.0.1/32\n' "$kb" "$kpa")
"
A ip addr add 10.78.0.1/24 dev wga0; A ip link set wga0 mtu 1420 up
B ip addr add 10.78.0.2/24 dev wgb0; B ip link set wgb0 mtu 1420 up
for _ in $(seq 20); do B ping -c1 -W1 10.78.0.1 >/dev/null 2>&1 && break; done
R[wireguard-go]=$(measure 10.78.0.1)

# --- OpenVPN 2.6, point-to-point static key
openvpn --genkey secret "$WORK/static.key" 2>/dev/null
common=(--dev-type tun --proto udp --secret "$WORK/static.key" --cipher AES-256-CBC --auth SHA256 --verb 1
        --allow-deprecated-insecure-static-crypto --tun-mtu 1420)
bgA openvpn "${common[@]}" --dev ovb0 --lport 1194 --ifconfig 10.79.0.1 10.79.0.2 >"$WORK/ovpn-a.log" 2>&1
bgB openvpn "${common[@]}" --dev ovb0 --remote 192.168.250.1 1194 --ifconfig 10.79.0.2 10.79.0.1 >"$WORK/ovpn-b.log" 2>&1
for _ in $(seq 20); do B ping -c1 -W1 10.79.0.1 >/dev/null 2>&1 && break; sleep 0.5; done
R[openvpn]=$(measure 10.79.0.1)

echo
echo "iperf3 TCP, ${T} s each, veth between two namespaces on this machine ($(nproc) cores):"
printf '  %-14s %8s Mbit/s\n' "no tunnel" "${R[plain]}"
for k in udpvpn wireguard-go openvpn; do printf '  %-14s %8s Mbit/s\n' "$k" "${R[$k]}"; done
ratio() { python3 -c "a,b=$1,$2; print(f'{a/b:.2f}x' if a and b else 'n/a (a tunnel failed to come up)')"; }
echo "  udpvpn / wireguard-go = $(ratio "${R[udpvpn]}" "${R[wireguard-go]}")"
echo "  udpvpn / openvpn      = $(ratio "${R[udpvpn]}" "${R[openvpn]}")"
