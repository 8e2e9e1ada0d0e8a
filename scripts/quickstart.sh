#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's quick start: on a fresh Debian 12 machine, as root, with no configuration:
#   installs what is missing, builds, makes a demo PKI, brings up udpvpn-server and udpvpn-client in
#   two network namespaces of their own (uvq-server, uvq-client), shows traffic through the tunnel
#   (ping both ways over IPv4 and IPv6, a short iperf3 run) and the server's status table, then
#   removes everything it made.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
[ "$(id -u)" -eq 0 ] || { echo "quickstart: run me as root (I create network namespaces and TUN devices)"; exit 1; }
[ -c /dev/net/tun ] || { echo "quickstart: /dev/net/tun is missing (modprobe tun)"; exit 1; }

say "Installing missing Debian packages"
./scripts/install-deps.sh

say "Building (meson + ninja, directory $BUILD)"
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" apps/udpvpn-server apps/udpvpn-client tools/udpvpn-pki >/dev/null
SERVER="$ROOT/$BUILD/apps/udpvpn-server"
CLIENT="$ROOT/$BUILD/apps/udpvpn-client"
PKI="$ROOT/$BUILD/tools/udpvpn-pki"
CTL="$ROOT/$BUILD/tools/udpvpnctl"
ninja -C "$BUILD" tools/udpvpnctl >/dev/null 2>&1 || true

WORK=$(mktemp -d /tmp/uvq.XXXXXX)
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del uvq-server 2>/dev/null
  ip netns del uvq-client 2>/dev/null
  rm -rf "$WORK"
  echo
  echo "Cleaned up: namespaces uvq-server and uvq-client and $WORK are gone."
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Making a demo PKI with udpvpn-pki (Ed25519)"
export UDPVPN_PKI_DIR="$WORK/pki"
"$PKI" init-ca --name "udpvpn quickstart CA" --days 2 | sed 's/^/    /'
"$PKI" issue server vpn.quickstart.test --days 1 -o "$WORK/server" | sed 's/^/    /'
"$PKI" issue client alice --days 1 -o "$WORK/client" | sed 's/^/    /'
"$PKI" crl --days 1 >/dev/null

say "Creating namespaces uvq-server (192.168.200.1, fd00:200::1) and uvq-client (.2, ::2)"
ip netns del uvq-server 2>/dev/null || true
ip netns del uvq-client 2>/dev/null || true
ip netns add uvq-server
ip netns add uvq-client
ip link add uvq-s netns uvq-server type veth peer name uvq-c netns uvq-client
ip -n uvq-server addr add 192.168.200.1/24 dev uvq-s
ip -n uvq-server addr add fd00:200::1/64 dev uvq-s nodad
ip -n uvq-client addr add 192.168.200.2/24 dev uvq-c
ip -n uvq-client addr add fd00:200::2/64 dev uvq-c nodad
for n in server client; do
  ip -n "uvq-$n" link set lo up
  ip -n "uvq-$n" link set "uvq-${n:0:1}" up
done

# The only settings: where the certificates are. Everything else is the built-in defaults
# (port 51820, pools 10.77.0.0/24 and fd77:7670:6e00::/64, MTU 1420, ...).
cat >"$WORK/server.toml" <<EOT
[pki]
ca = "$WORK/pki/ca.crt"
cert = "$WORK/server/vpn.quickstart.test.crt"
key = "$WORK/server/vpn.quickstart.test.key"
crl = "$WORK/pki/crl.pem"
[status]
socket = "$WORK/server.sock"
EOT
cat >"$WORK/client.toml" <<EOT
[client]
server = "192.168.200.1:51820"
server_name = "vpn.quickstart.test"
[pki]
ca = "$WORK/client/ca.crt"
cert = "$WORK/client/alice.crt"
key = "$WORK/client/alice.key"
EOT

say "Starting udpvpn-server and udpvpn-client"
ip netns exec uvq-server "$SERVER" --config "$WORK/server.toml" 2>"$WORK/server.log" &
PIDS+=($!)
for _ in $(seq 50); do grep -q "listening" "$WORK/server.log" && break; sleep 0.1; done
ip netns exec uvq-client "$CLIENT" --config "$WORK/client.toml" 2>"$WORK/client.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q "configured" "$WORK/client.log" && break; sleep 0.1; done
echo "--- server log"; sed 's/^/    /' "$WORK/server.log"
echo "--- client log"; sed 's/^/    /' "$WORK/client.log"
grep -q "configured" "$WORK/client.log" || { echo "quickstart: the client did not come up"; exit 1; }

SRV4=10.77.0.1 SRV6=fd77:7670:6e00::1 CL4=10.77.0.2 CL6=fd77:7670:6e00::2
say "Ping through the tunnel, both ways, IPv4 and IPv6"
ip netns exec uvq-client ping -c 3 -i 0.2 "$SRV4" | tail -2 | sed 's/^/    client -> server  /'
ip netns exec uvq-client ping -c 3 -i 0.2 "$SRV6" | tail -2 | sed 's/^/    client -> server  /'
ip netns exec uvq-server ping -c 3 -i 0.2 "$CL4" | tail -2 | sed 's/^/    server -> client  /'
ip netns exec uvq-server ping -c 3 -i 0.2 "$CL6" | tail -2 | sed 's/^/    server -> client  /'

say "iperf3 through the tunnel (3 s, client -> server)"
ip netns exec uvq-server iperf3 -s -1 -B "$SRV4" >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
ip netns exec uvq-client iperf3 -c "$SRV4" -t 3 -f m | grep -E "sender|receiver" | sed 's/^/    /'

say "Server status"
if [ -x "$CTL" ]; then
  ip netns exec uvq-server "$CTL" --socket "$WORK/server.sock" status
else
  ip netns exec uvq-server socat -t 2 - "UNIX-CONNECT:$WORK/server.sock" <<<'{"command":"status"}'
fi

say "Stopping (the client undoes its routes and addresses, the server says goodbye)"
kill -TERM "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null || true
sleep 0.3
tail -n 2 "$WORK/client.log" | sed 's/^/    /'
grep "disconnected" "$WORK/server.log" | sed 's/^/    /'
echo
echo "That was udpvpn. Next: apps/examples/server.toml and client.toml document every option;"
echo "udpvpn-pki --help makes real certificates."
