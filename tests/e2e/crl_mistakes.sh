#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A CRL file the server cannot use never turns revocation off (issue 16). At start: a DER CRL is
# loaded and its revocations apply; a garbage file, the CA certificate given as CRL and an empty
# file stop the server (and --check-config) with a message naming pki.crl and the file, and so does
# an expired CRL under pki.require_crl. Through
# SIGHUP: a DER CRL is loaded and cuts a revoked client off; a garbage CRL, the CA as CRL, a
# deleted CRL, pki.crl removed from the configuration and an expired CRL under require_crl are
# refused loudly, the old CRL stays.
source "$(dirname "$0")/lib.sh"
require_env openssl ping
setup_net 2
CA="$WORK/ca"
make_openssl_ca "$CA"
openssl_issue "$CA" server server vpn.example.test "DNS:vpn.example.test"
openssl_issue "$CA" mallory client mallory
openssl_issue "$CA" good client goodclient "" ec
openssl_crl "$CA" >"$WORK/clean.pem"
openssl_revoke "$CA" mallory
openssl_crl "$CA" >"$WORK/revoked.pem"
openssl crl -in "$WORK/revoked.pem" -outform DER -out "$WORK/revoked.der"
head -c 700 /dev/urandom >"$WORK/garbage.crl"
: >"$WORK/empty.crl"
cp "$CA/ca.crt" "$WORK/ca_as.crl"
chmod 600 "$CA"/*.key

server_toml() {   # server_toml FILE CRL
  SERVER_CA="$CA/ca.crt" SERVER_CERT="$CA/server.crt" SERVER_KEY="$CA/server.key" SERVER_CRL="$2" \
    write_server_config "$1"
}

# expect_refused NAME CRLFILE REGEX: both --check-config and a real start exit non-zero with it.
expect_refused() {
  local name=$1 crl=$2 re=$3 out rc
  server_toml "$WORK/$name.toml" "$crl"
  rc=0; out=$(in_ns srv timeout 10 "$SERVER_BIN" --config "$WORK/$name.toml" --check-config 2>&1) || rc=$?
  { [ "$rc" -ne 0 ] && grep -qE -- "$re" <<<"$out"; } \
    && pass "--check-config refuses $name: $(grep -oE 'pki\.crl: .*' <<<"$out" | head -1)" \
    || fail "--check-config with $name: rc=$rc, output: $out"
  rc=0; out=$(in_ns srv timeout 10 "$SERVER_BIN" --config "$WORK/$name.toml" 2>&1) || rc=$?
  { [ "$rc" -eq 1 ] && grep -qE -- "$re" <<<"$out" && ! grep -q "listening on" <<<"$out"; } \
    && pass "the server refuses to start with $name" || fail "start with $name: rc=$rc, output: $out"
}

expect_refused garbage_crl "$WORK/garbage.crl" "pki\.crl: .*garbage\.crl holds neither PEM nor DER"
expect_refused ca_as_crl "$WORK/ca_as.crl" "pki\.crl: .*ca_as\.crl holds a certificate, not a CRL"
expect_refused empty_crl "$WORK/empty.crl" "pki\.crl: .*empty\.crl is empty"
expect_refused missing_crl "$WORK/nonexistent.crl" "pki\.crl: cannot read .*nonexistent\.crl"

# A DER CRL at start: loaded, and the revoked client is refused while the healthy one connects.
cp "$WORK/revoked.der" "$WORK/live.crl"
server_toml "$WORK/server.toml" "$WORK/live.crl"
out=$(in_ns srv "$SERVER_BIN" --config "$WORK/server.toml" --check-config 2>&1) \
  && pass "--check-config accepts a DER CRL" || fail "--check-config with a DER CRL: $out"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$CA/mallory.crt" "$CA/mallory.key" 192.168.101.1:51820 vpn.example.test "$CA/ca.crt"
write_client_config "$WORK/client2.toml" "$CA/good.crt" "$CA/good.key" 192.168.102.1:51820 vpn.example.test "$CA/ca.crt"
start_client 1 "$WORK/client1.toml"
start_client 2 "$WORK/client2.toml"
wait_log "$WORK/server.log" "refused client.*192\.168\.101\.2.*certificate revoked" 10 \
  && pass "DER CRL at start: the revoked client is refused" || fail "DER CRL at start: mallory not refused as revoked"
wait_log "$WORK/client2.log" "configured uvt0" 10 && pass "DER CRL at start: the healthy client connects" \
  || fail "goodclient not connected"
grep -q "configured uvt0" "$WORK/client1.log" && fail "mallory got a tunnel" || pass "mallory got no tunnel"
stop_server
kill "${CLIENT_PID[1]}" 2>/dev/null || true; wait "${CLIENT_PID[1]}" 2>/dev/null || true

# SIGHUP: start with a clean PEM CRL, mallory connected; a DER CRL revoking it is loaded on reload.
: >"$WORK/server.log"
cp "$WORK/clean.pem" "$WORK/live.crl"
start_server "$WORK/server.toml"
: >"$WORK/client1.log"
start_client 1 "$WORK/client1.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 || die "mallory not connected before its revocation"
wait_log "$WORK/client2.log" "configured uvt0" 10 || die "goodclient not connected"
cp "$WORK/revoked.der" "$WORK/live.crl"
kill -HUP "$SERVER_PID"
wait_log "$WORK/server.log" "client mallory .*disconnected: certificate revoked" 5 \
  && pass "SIGHUP with a DER CRL cuts the revoked client off" || fail "DER CRL on reload: mallory not cut off"
wait_log "$WORK/server.log" "reload done" 5 || fail "no 'reload done' after the DER CRL"

# Reloads that would weaken revocation: refused, loudly, and the old CRL keeps refusing mallory.
reload_refused() {   # reload_refused WHAT REGEX
  local before
  before=$(count_log "$WORK/server.log" "reload refused")
  kill -HUP "$SERVER_PID"
  local t=50
  while [ "$t" -gt 0 ] && [ "$(count_log "$WORK/server.log" "reload refused")" -le "$before" ]; do sleep 0.1; t=$((t - 1)); done
  if [ "$(count_log "$WORK/server.log" "reload refused")" -gt "$before" ] && \
     tail -n 5 "$WORK/server.log" | grep -qE -- "error: reload refused.*$2"; then
    pass "SIGHUP with $1 is refused: $(grep 'reload refused' "$WORK/server.log" | tail -1 | sed 's/.*error: //')"
  else
    fail "SIGHUP with $1 not refused as expected"
  fi
  kill -0 "$SERVER_PID" 2>/dev/null && pass "the server still runs after $1" || die "the server died after $1"
}
cp "$WORK/garbage.crl" "$WORK/live.crl"
reload_refused "a garbage CRL" "pki\.crl: .*holds neither PEM nor DER"
cp "$WORK/ca_as.crl" "$WORK/live.crl"
reload_refused "the CA as CRL" "pki\.crl: .*holds a certificate, not a CRL"
: >"$WORK/live.crl"
reload_refused "an empty CRL" "pki\.crl: .*is empty"
rm -f "$WORK/live.crl"
reload_refused "the CRL deleted" "pki\.crl: cannot read"
cp "$WORK/revoked.pem" "$WORK/live.crl"
grep -v '^crl = ' "$WORK/server.toml" >"$WORK/server.toml.new" && mv "$WORK/server.toml.new" "$WORK/server.toml"
reload_refused "pki.crl removed from the configuration" "pki\.crl"
n=$(count_log "$WORK/server.log" "refused client.*192\.168\.101\.2.*certificate revoked")
wait_log_more() { local t=100; while [ "$t" -gt 0 ]; do [ "$(count_log "$WORK/server.log" "refused client.*192\.168\.101\.2.*certificate revoked")" -gt "$n" ] && return 0; sleep 0.1; t=$((t - 1)); done; return 1; }
wait_log_more && pass "after the refused reloads mallory is still refused as revoked" \
  || fail "mallory not refused as revoked after the refused reloads"
grep -q "client goodclient .*disconnected" "$WORK/server.log" && fail "goodclient was disconnected" \
  || pass "the healthy client stayed connected through every reload"

# require_crl with an expired CRL (tests/pki: crl_expired.pem passed its nextUpdate on 2026-01-01).
stop_server
: >"$WORK/server.log"
cp "$TEST_PKI/crl_expired.pem" "$WORK/expiring.crl"
SERVER_CRL="$WORK/expiring.crl" write_server_config "$WORK/strict.toml"
sed -i 's/^\[pki\]$/[pki]\nrequire_crl = true/' "$WORK/strict.toml"
rc=0; out=$(in_ns srv timeout 10 "$SERVER_BIN" --config "$WORK/strict.toml" 2>&1) || rc=$?
{ [ "$rc" -eq 1 ] && grep -qE "pki\.crl: .*expiring\.crl expired at 2026-01-01 00:00:00 UTC .*pki\.require_crl" <<<"$out"; } \
  && pass "an expired CRL under require_crl stops the server: $(grep -oE 'pki\.crl: .*' <<<"$out" | sed "s#$WORK#W#g" | head -1)" \
  || fail "expired CRL under require_crl: exit $rc, $out"
cp "$TEST_PKI/crl.pem" "$WORK/expiring.crl"
start_server "$WORK/strict.toml"
cp "$TEST_PKI/crl_expired.pem" "$WORK/expiring.crl"
reload_refused "an expired CRL under require_crl" "pki\.crl: .*expired at"
sed -i 's/^require_crl = true$/require_crl = false/' "$WORK/strict.toml"
cp "$TEST_PKI/crl.pem" "$WORK/expiring.crl"
reload_refused "require_crl turned off" "pki\.require_crl: turned off"
finish
