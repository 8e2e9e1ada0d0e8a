#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Shared helpers for the end-to-end tests: network namespaces named uvt-<pid>-*, a server and
# clients running in them, log polling, the status socket. Sourced by tests/e2e/*.sh.
# Topology: namespace "srv" holds the server; client i lives in "c<i>", linked to srv by its own veth
# pair: underlay 192.168.(100+i).0/24 and fd00:(100+i)::/64, server side .1, client side .2.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_ROOT=$(cd "$E2E_DIR/../.." && pwd)
SERVER_BIN=${UDPVPN_SERVER:-$SRC_ROOT/build/apps/udpvpn-server}
CLIENT_BIN=${UDPVPN_CLIENT:-$SRC_ROOT/build/apps/udpvpn-client}
PKI_TOOL=${UDPVPN_PKI_TOOL:-$SRC_ROOT/build/tools/udpvpn-pki}
TEST_PKI=${UDPVPN_TEST_PKI:-$SRC_ROOT/tests/pki}
PREFIX="uvt-$$"
WORK=$(mktemp -d "/tmp/${PREFIX}.XXXXXX")
PIDS=()
NAMESPACES=()
FAILURES=0

skip() { echo "SKIP: $*"; exit 77; }
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILURES=$((FAILURES + 1)); }
die() { echo "FAIL - $*"; dump_logs; exit 1; }
finish() {
  if [ "$FAILURES" -ne 0 ]; then dump_logs; echo "$FAILURES failure(s)"; exit 1; fi
  echo "all passed"; exit 0
}

dump_logs() {
  for f in "$WORK"/*.log; do
    [ -f "$f" ] || continue
    echo "----- $(basename "$f") (last 30 lines)"
    tail -n 30 "$f"
  done
}

cleanup() {
  local pid ns
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

require_env() {
  [ "$(id -u)" -eq 0 ] || skip "needs root"
  [ -c /dev/net/tun ] || skip "needs /dev/net/tun"
  command -v ip >/dev/null || skip "needs iproute2"
  ip netns add "${PREFIX}-probe" 2>/dev/null || skip "cannot create network namespaces"
  ip netns del "${PREFIX}-probe"
  [ -x "$SERVER_BIN" ] || skip "udpvpn-server not built ($SERVER_BIN)"
  [ -x "$CLIENT_BIN" ] || skip "udpvpn-client not built ($CLIENT_BIN)"
  local t
  for t in "$@"; do command -v "$t" >/dev/null || skip "needs $t"; done
}

ns() { echo "${PREFIX}-$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

make_ns() {
  ip netns add "$(ns "$1")"
  NAMESPACES+=("$(ns "$1")")
  in_ns "$1" ip link set lo up
}

# add_client_link I: namespace c<I> with a veth pair to srv.
add_client_link() {
  local i=$1 net=$((100 + $1))
  make_ns "c$i"
  ip link add "uvt$$s$i" netns "$(ns srv)" type veth peer name "uvt$$c$i" netns "$(ns "c$i")"
  in_ns srv ip addr add "192.168.$net.1/24" dev "uvt$$s$i"
  in_ns srv ip addr add "fd00:$net::1/64" dev "uvt$$s$i" nodad
  in_ns srv ip link set "uvt$$s$i" up
  in_ns "c$i" ip addr add "192.168.$net.2/24" dev "uvt$$c$i"
  in_ns "c$i" ip addr add "fd00:$net::2/64" dev "uvt$$c$i" nodad
  in_ns "c$i" ip link set "uvt$$c$i" up
}

# setup_net N: the server namespace and N client namespaces.
setup_net() {
  make_ns srv
  local i
  for ((i = 1; i <= $1; i++)); do add_client_link "$i"; done
}

# write_server_config FILE [extra TOML lines...]: tests/pki server, status socket in $WORK.
write_server_config() {
  local f=$1; shift
  {
    echo '[server]'
    echo 'listen = "[::]:51820"'
    echo 'log_level = "debug"'
    echo '[pki]'
    echo "ca = \"${SERVER_CA:-$TEST_PKI/ca.crt}\""
    echo "cert = \"${SERVER_CERT:-$TEST_PKI/server.crt}\""
    echo "key = \"${SERVER_KEY:-$TEST_PKI/server.key}\""
    [ -n "${SERVER_CRL:-}" ] && echo "crl = \"$SERVER_CRL\""
    echo '[tunnel]'
    echo 'device = "uvt0"'
    echo "ipv4_pool = \"10.77.0.0/24\""
    echo "ipv6_pool = \"fd77::/64\""
    echo "[status]"
    echo "socket = \"$WORK/server.sock\""
    local line
    for line in "$@"; do echo "$line"; done
  } >"$f"
}

# write_client_config FILE CERT KEY [SERVER_ADDR] [SERVER_NAME] [CA]
write_client_config() {
  local f=$1 cert=$2 key=$3 server=${4:-192.168.101.1:51820} name=${5:-vpn.example.test} ca=${6:-$TEST_PKI/ca.crt}
  cat >"$f" <<EOT
[client]
server = "$server"
server_name = "$name"
log_level = "debug"
[pki]
ca = "$ca"
cert = "$cert"
key = "$key"
[tunnel]
device = "uvt0"
[reconnect]
min_delay = "500ms"
max_delay = "2s"
[protocol]
ping_interval = "1s"
dead_peer_timeout = "5s"
EOT
}

start_server() {   # start_server CONFIG
  # Not through in_ns (a function would fork a subshell): $! must be the server itself.
  ip netns exec "$(ns srv)" "$SERVER_BIN" --config "$1" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_log "$WORK/server.log" "listening on udp port" 10 || die "server did not start"
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# start_client I CONFIG: client in namespace c<I>, log in $WORK/client<I>.log; sets CLIENT_PID[I].
declare -A CLIENT_PID
start_client() {
  ip netns exec "$(ns "c$1")" "$CLIENT_BIN" --config "$2" >>"$WORK/client$1.log" 2>&1 &
  CLIENT_PID[$1]=$!
  PIDS+=("$!")
}

# wait_log FILE REGEX SECONDS: true once the file has a matching line.
wait_log() {
  local f=$1 re=$2 t=$(( $3 * 10 ))
  while [ "$t" -gt 0 ]; do
    grep -qE -- "$re" "$f" 2>/dev/null && return 0
    sleep 0.1
    t=$((t - 1))
  done
  return 1
}

# count_log FILE REGEX: number of matching lines.
count_log() { grep -cE -- "$2" "$1" 2>/dev/null || true; }

# wait_ping NS ADDR SECONDS: until one ping gets through.
wait_ping() {
  local n=$1 addr=$2 t=$3
  while [ "$t" -gt 0 ]; do
    in_ns "$n" ping -c 1 -W 1 "$addr" >/dev/null 2>&1 && return 0
    t=$((t - 1))
  done
  return 1
}

# status: the server's status JSON line.
status() { in_ns srv socat -t 2 - "UNIX-CONNECT:$WORK/server.sock" <<<'{"command":"status"}'; }

# json_field JSON IDENTITY FIELD: a numeric or string field of the session of that identity.
json_field() {
  python3 -c '
import json, sys
d = json.loads(sys.argv[1])
for s in d["sessions"]:
    if s["identity"] == sys.argv[2]:
        print(s[sys.argv[3]]); break
' "$1" "$2" "$3"
}

# A throwaway CA with the openssl CLI: make_openssl_ca DIR [ed25519|ec] [CN]
make_openssl_ca() {
  local d=$1 kt=${2:-ed25519} cn=${3:-e2e test CA}
  mkdir -p "$d"
  _genkey "$kt" "$d/ca.key"
  openssl req -new -x509 -key "$d/ca.key" -subj "/CN=$cn" -days 30 -out "$d/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  : >"$d/index.txt"
  echo 1000 >"$d/serial"
  cat >"$d/ca.cnf" <<EOT
[ca]
default_ca = e2e
[e2e]
dir = $d
database = \$dir/index.txt
serial = \$dir/serial
crlnumber = \$dir/serial
new_certs_dir = \$dir
certificate = \$dir/ca.crt
private_key = \$dir/ca.key
default_md = default
default_crl_days = 30
policy = anything
[anything]
commonName = supplied
EOT
}
_genkey() {
  if [ "$1" = ec ]; then openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" 2>/dev/null
  else openssl genpkey -algorithm ED25519 -out "$2" 2>/dev/null; fi
}
# openssl_issue CA_DIR NAME server|client CN [SAN] [key type] [days]: NAME.crt / NAME.key in CA_DIR.
openssl_issue() {
  local d=$1 n=$2 kind=$3 cn=$4 san=${5:-} kt=${6:-ed25519} days=${7:-30}
  _genkey "$kt" "$d/$n.key"
  local eku=clientAuth
  [ "$kind" = server ] && eku=serverAuth
  local ext="$d/$n.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=$eku"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } >"$ext"
  openssl req -new -key "$d/$n.key" -subj "/CN=$cn" -out "$d/$n.csr" 2>/dev/null
  openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days "$days" -extfile "$ext" -out "$d/$n.crt" 2>/dev/null
}
# openssl_revoke CA_DIR NAME, then openssl_crl CA_DIR > crl.pem
openssl_revoke() {
  openssl ca -config "$1/ca.cnf" -revoke "$1/$2.crt" -batch 2>/dev/null
}
openssl_crl() {
  openssl ca -config "$1/ca.cnf" -gencrl -batch 2>/dev/null
}
