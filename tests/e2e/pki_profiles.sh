#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Real PKIs (issue 14), every certificate made here by the openssl CLI:
#   - an RSA-4096 server with a two-level chain (root -> intermediate -> leaf) and an RSA-2048, an
#     Ed25519 and a P-256 client all connect and carry pings;
#   - a client certificate without extendedKeyUsage is refused, with the reason in the server log;
#   - a client with the same CN ("alice") from a second CA the server also trusts is kept apart from
#     the first: both stay connected with their own address, the status shows each issuer;
#   - a server certificate whose subject CN (not a subjectAltName) is the expected name is refused,
#     with the reason in the client log.
source "$(dirname "$0")/lib.sh"
require_env openssl python3 socat
setup_net 5

P=$WORK/pki
mkdir -p "$P"
key() {  # key TYPE FILE
  case $1 in
  rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
  rsa4096) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$2" 2>/dev/null ;;
  p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" 2>/dev/null ;;
  *) openssl genpkey -algorithm ED25519 -out "$2" 2>/dev/null ;;
  esac
}
ca_root() {  # ca_root NAME KEYTYPE CN
  key "$2" "$P/$1.key"
  openssl req -new -x509 -key "$P/$1.key" -subj "/CN=$3" -days 30 -out "$P/$1.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
# issue ISSUER NAME KEYTYPE SUBJECT EXTENSIONS...: NAME.crt / NAME.key signed by ISSUER.
issue() {
  local issuer=$1 name=$2 kt=$3 subj=$4; shift 4
  key "$kt" "$P/$name.key"
  printf '%s\n' "$@" >"$P/$name.ext"
  openssl req -new -key "$P/$name.key" -subj "$subj" -out "$P/$name.csr" 2>/dev/null
  openssl x509 -req -in "$P/$name.csr" -CA "$P/$issuer.crt" -CAkey "$P/$issuer.key" -CAcreateserial \
    -days 30 -extfile "$P/$name.ext" -out "$P/$name.crt" 2>/dev/null || die "openssl could not issue $name"
}
LEAF="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature"
client_ext() { printf '%s\n' "$LEAF" "extendedKeyUsage=clientAuth"; }

ca_root root1 ed25519 "udpvpn e2e root 1"
issue root1 int1 rsa4096 "/CN=udpvpn e2e intermediate" "basicConstraints=critical,CA:TRUE,pathlen:0" \
  "keyUsage=critical,keyCertSign,cRLSign"
issue int1 server rsa4096 "/CN=vpn.example.test" $LEAF "extendedKeyUsage=serverAuth" \
  "subjectAltName=DNS:vpn.example.test"
cat "$P/server.crt" "$P/int1.crt" >"$P/server_chain.crt"   # leaf, then the intermediate
issue int1 alice rsa2048 "/CN=alice/O=first" $LEAF "extendedKeyUsage=clientAuth"
issue root1 bob ed25519 "/CN=bob" $LEAF "extendedKeyUsage=clientAuth"
issue root1 carol p256 "/CN=carol" $LEAF "extendedKeyUsage=clientAuth"
issue root1 dave ed25519 "/CN=dave" $LEAF
cat "$P/alice.crt" "$P/int1.crt" >"$P/alice_chain.crt"
ca_root root2 ed25519 "udpvpn e2e root 2"
issue root2 alice2 ed25519 "/CN=alice/O=second" $LEAF "extendedKeyUsage=clientAuth"
issue root1 cnonly ed25519 "/CN=vpn.example.test" $LEAF "extendedKeyUsage=serverAuth"
cat "$P/root1.crt" "$P/root2.crt" >"$P/server_cas.crt"
openssl x509 -in "$P/server.crt" -noout -text | grep -q "Public-Key: (4096 bit)" || die "server key is not RSA-4096"
openssl x509 -in "$P/alice.crt" -noout -text | grep -q "Public-Key: (2048 bit)" || die "alice key is not RSA-2048"

SERVER_CA="$P/server_cas.crt" SERVER_CERT="$P/server_chain.crt" SERVER_KEY="$P/server.key" \
  write_server_config "$WORK/server.toml"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$P/alice_chain.crt" "$P/alice.key" 192.168.101.1:51820 vpn.example.test "$P/root1.crt"
write_client_config "$WORK/client2.toml" "$P/bob.crt" "$P/bob.key" 192.168.102.1:51820 vpn.example.test "$P/root1.crt"
write_client_config "$WORK/client3.toml" "$P/carol.crt" "$P/carol.key" 192.168.103.1:51820 vpn.example.test "$P/root1.crt"
write_client_config "$WORK/client4.toml" "$P/dave.crt" "$P/dave.key" 192.168.104.1:51820 vpn.example.test "$P/root1.crt"
write_client_config "$WORK/client5.toml" "$P/alice2.crt" "$P/alice2.key" 192.168.105.1:51820 vpn.example.test "$P/root1.crt"
for i in 1 2 3 4 5; do start_client "$i" "$WORK/client$i.toml"; done

for i in 1 2 3; do
  name=$(sed -n "${i}p" <<<$'alice (RSA-2048, RSA-4096 server chain)\nbob (Ed25519)\ncarol (P-256)')
  wait_log "$WORK/client$i.log" "configured uvt0" 15 && wait_ping "c$i" 10.77.0.1 10 \
    && pass "client $name connects and pings the server" || fail "client $name did not connect"
done
wait_log "$WORK/server.log" "refused client.*192\.168\.104\.2.*not valid for this role \(EKU\)" 10 \
  && pass "server logs: client without EKU refused (wrong purpose)" || fail "no EKU refusal for dave in the server log"
grep -q "configured uvt0" "$WORK/client4.log" && fail "the client without EKU got a tunnel" \
  || pass "the client without EKU got no tunnel"

# Two "alice"s from two CAs: both connected, each with its own address and issuer, neither replaced.
wait_log "$WORK/client5.log" "configured uvt0" 15 && wait_ping c5 10.77.0.1 10 \
  && pass "alice of the second CA connects too" || fail "alice of the second CA did not connect"
sleep 2
wait_ping c1 10.77.0.1 5 && pass "alice of the first CA is still connected" || fail "alice of the first CA lost its tunnel"
grep -qE "replaced by a new session|reconnected from|moved from|is in use from" "$WORK/server.log" \
  && fail "one alice replaced or refused the other" || pass "neither alice replaced the other"
st=$(status)
python3 - "$st" <<'PY' && pass "status: two alices, each with its issuer and subject, two addresses" \
  || fail "status does not keep the two alices apart: $st"
import json, sys
s = [x for x in json.loads(sys.argv[1])["sessions"] if x["identity"] == "alice"]
assert len(s) == 2, s
assert {x["issuer"] for x in s} == {"CN=udpvpn e2e intermediate", "CN=udpvpn e2e root 2"}, s
assert {x["subject"] for x in s} == {"O=first,CN=alice", "O=second,CN=alice"}, s
assert s[0]["inner_ipv4"] != s[1]["inner_ipv4"], s
PY

# A server certificate that carries the expected name only as its subject CN.
stop_server
SERVER_CA="$P/server_cas.crt" SERVER_CERT="$P/cnonly.crt" SERVER_KEY="$P/cnonly.key" \
  write_server_config "$WORK/server2.toml"
: >"$WORK/client2.log"
start_server "$WORK/server2.toml"
wait_log "$WORK/client2.log" "does not match the expected server name" 20 \
  && pass "client logs: a server whose CN (no SAN) matches is refused (name mismatch)" \
  || fail "no name mismatch for the CN-only server in client 2's log"
grep -q "configured uvt0" "$WORK/client2.log" && fail "client 2 got a tunnel to the CN-only server" \
  || pass "client 2 got no tunnel to the CN-only server"
finish
