#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every mistake a new admin makes in the configuration or its files (issue 16) stops the server
# with one line that names the option, the file and what is wrong, and --check-config says the
# same without starting anything. Prints "mistake | message" for each, the table of the issue.
source "$(dirname "$0")/lib.sh"
require_env openssl python3
setup_net 1
CA="$WORK/ca"
make_openssl_ca "$CA"
openssl_issue "$CA" server server vpn.example.test "DNS:vpn.example.test"
openssl_issue "$CA" alice client alice
chmod 600 "$CA"/*.key
OTHER="$WORK/other"
make_openssl_ca "$OTHER" ed25519 "another CA"
openssl genpkey -algorithm ED448 -out "$WORK/ed448.key" 2>/dev/null
openssl req -new -key "$WORK/ed448.key" -subj "/CN=vpn.example.test" -out "$WORK/ed448.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:vpn.example.test\n' >"$WORK/ed448.ext"
openssl x509 -req -in "$WORK/ed448.csr" -CA "$CA/ca.crt" -CAkey "$CA/ca.key" -CAcreateserial -days 30 \
  -extfile "$WORK/ed448.ext" -out "$WORK/ed448.crt" 2>/dev/null
chmod 600 "$WORK/ed448.key"
openssl pkey -in "$CA/server.key" -aes256 -passout pass:secret -out "$WORK/locked.key" 2>/dev/null
chmod 600 "$WORK/locked.key"
openssl x509 -in "$CA/server.crt" -outform DER -out "$WORK/server.der"
openssl pkey -in "$CA/server.key" -outform DER -out "$WORK/server.key.der" && chmod 600 "$WORK/server.key.der"
openssl x509 -in "$CA/ca.crt" -outform DER -out "$WORK/ca.der"
cat "$CA/ca.crt" "$CA/server.crt" >"$WORK/reversed_chain.crt"
openssl_crl "$OTHER" >"$WORK/other_crl.pem"
head -c 600 /dev/urandom >"$WORK/garbage"
: >"$WORK/empty"
mkdir "$WORK/adir"
cp "$CA/server.key" "$WORK/open.key" && chmod 644 "$WORK/open.key"

TABLE=()
# check NAME EXPECTED_RC REGEX [TOML lines...]: --check-config and a real start both end with
# EXPECTED_RC (a start that should succeed is not tried) and print a line matching REGEX.
check() {
  local name=$1 want=$2 re=$3 cfg="$WORK/$1.toml" out rc
  shift 3
  SERVER_CA="${CA_FILE:-$CA/ca.crt}" SERVER_CERT="${CERT_FILE:-$CA/server.crt}" SERVER_KEY="${KEY_FILE:-$CA/server.key}" \
    SERVER_CRL="${CRL_FILE:-}" write_server_config "$cfg" "$@"
  [ -n "${STRICT:-}" ] && sed -i 's/^\[pki\]$/[pki]\nstrict_key_permissions = true/' "$cfg"
  [ -n "${DEVICE:-}" ] && sed -i "s/^device = .*/device = \"$DEVICE\"/" "$cfg"
  [ -n "${CONFIG_PATH:-}" ] && cfg=$CONFIG_PATH
  rc=0; out=$(in_ns srv timeout 10 "$SERVER_BIN" --config "$cfg" --check-config 2>&1) || rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$re" <<<"$out"; then
    pass "--check-config: $name (exit $rc)"
  else
    fail "--check-config: $name: exit $rc (want $want), output: $out"
  fi
  TABLE+=("$name | $({ grep -E -- "$re" <<<"$out" || echo "(no such line) $out"; } | head -1 | sed -E 's/^.*udpvpn-server\[[0-9]+\] //; s#'"$WORK"'#W#g')")
  if [ "$want" -ne 0 ]; then
    rc=0; out=$(in_ns srv timeout 10 "$SERVER_BIN" --config "$cfg" 2>&1) || rc=$?
    { [ "$rc" -eq 1 ] && grep -qE -- "$re" <<<"$out" && ! grep -q "listening on" <<<"$out"; } \
      && pass "start refused: $name" || fail "start with $name: exit $rc, output: $out"
  fi
}

KEY_FILE="$WORK/nonexistent.key" check "missing key file" 1 "pki\.key: cannot read .*nonexistent\.key: No such file or directory"
KEY_FILE="$CA/alice.key" check "key of another certificate" 1 "pki\.key: .*alice\.key does not match the certificate in pki\.cert"
KEY_FILE="$WORK/locked.key" check "passphrase-protected key" 1 "pki\.key: .*locked\.key is protected by a passphrase"
CERT_FILE="$WORK/ed448.crt" KEY_FILE="$WORK/ed448.key" check "Ed448 key" 1 "pki\.key: .*ed448\.key: unsupported key type ED448"
CERT_FILE="$CA/server.key" check "pki.cert names the key file" 1 "pki\.cert: .*server\.key holds a private key, not a certificate \(pki\.cert names the key file\?\)"
KEY_FILE="$CA/server.crt" check "pki.key names the certificate" 1 "pki\.key: .*server\.crt holds a certificate, not a private key \(pki\.cert and pki\.key swapped\?\)"
CERT_FILE="$WORK/reversed_chain.crt" check "chain out of order" 1 "pki\.cert: .*reversed_chain\.crt: certificate 2 .* did not issue certificate 1"
CA_FILE="$WORK/garbage" check "garbage CA" 1 "pki\.ca: .*garbage holds neither PEM nor DER data"
CA_FILE="$WORK/empty" check "empty CA" 1 "pki\.ca: .*empty is empty"
CA_FILE="$WORK/adir" check "directory as CA" 1 "pki\.ca: .*adir is a directory; name the file that holds the CA certificate"
CA_FILE="$CA/server.key" check "key as CA" 1 "pki\.ca: .*server\.key holds a private key, not a CA certificate"
CRL_FILE="$WORK/other_crl.pem" check "CRL of another CA" 1 "pki\.crl: .*other_crl\.pem: the CRL of .*is not from a CA in pki\.ca"
CRL_FILE="$WORK/adir" check "directory as CRL" 1 "pki\.crl: .*adir is a directory"
DEVICE=lo check 'device = "lo"' 1 "tunnel\.device: lo is an existing network interface that is not a TUN device"
CONFIG_PATH="$WORK/adir" check "configuration path is a directory" 1 "adir is a directory; give the configuration file"
check "missing user" 1 "privileges\.user: no such user: nosuchuser" '[privileges]' 'user = "nosuchuser"'
KEY_FILE="$WORK/open.key" check "key readable by others (warning)" 0 "warning: pki\.key: .*open\.key is mode 0644: accessible to its group and others"
KEY_FILE="$WORK/open.key" STRICT=1 check "key readable by others, strict" 1 "pki\.key: .*open\.key is mode 0644: accessible to its group and others; make it private"
CA_FILE="$WORK/ca.der" CERT_FILE="$WORK/server.der" KEY_FILE="$WORK/server.key.der" check "DER CA, certificate and key (accepted)" 0 "ok$"

# A port in use: another socket holds 51820 in the server's namespace.
in_ns srv python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 51820)); open(sys.argv[1], "w").close(); time.sleep(30)' "$WORK/held" &
HOLDER=$!; PIDS+=("$HOLDER")
for _ in $(seq 100); do [ -e "$WORK/held" ] && break; sleep 0.1; done
check "listen port in use" 1 "server\.listen: bind .*51820.*in use"
kill "$HOLDER" 2>/dev/null || true

# The client: the same loaders and the same messages.
write_client_config "$WORK/client.toml" "$CA/alice.key" "$CA/alice.key" 192.168.101.1:51820 vpn.example.test "$CA/ca.crt"
rc=0; out=$("$CLIENT_BIN" --config "$WORK/client.toml" --check-config 2>&1) || rc=$?
{ [ "$rc" -eq 1 ] && grep -qE "pki\.cert: .*alice\.key holds a private key, not a certificate" <<<"$out"; } \
  && pass "client --check-config: pki.cert names the key file" || fail "client --check-config: exit $rc, $out"
TABLE+=("client: pki.cert names the key file | $(sed -E 's/^.*udpvpn-client\[[0-9]+\] //; s#'"$WORK"'#W#g' <<<"$out" | head -1)")

echo "----- mistake | message"
for row in "${TABLE[@]}"; do echo "$row"; done
finish
