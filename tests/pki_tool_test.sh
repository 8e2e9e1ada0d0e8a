#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# udpvpn-pki end to end: what it issues verifies with the openssl CLI for the right purpose only,
# revocation shows up in the CRL, `show` prints what an admin checks, and mistakes fail clearly.
# Usage: pki_tool_test.sh PATH/TO/udpvpn-pki
set -euo pipefail
PKI=$(realpath "$1")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export UDPVPN_PKI_DIR="$WORK/ca"
failures=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi; }
check_not() { local what=$1; shift; if "$@" >/dev/null 2>&1; then fail "$what"; else pass "$what"; fi; }
# expect_error "what" "text the message must contain" command...: non-zero exit and the text on stderr
expect_error() {
  local what=$1 text=$2; shift 2
  local rc=0
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  if [ "$rc" -ne 0 ] && grep -qiF -- "$text" "$WORK/err"; then pass "$what"
  else fail "$what (rc=$rc, stderr: $(cat "$WORK/err"))"; fi
}
mode() { stat -c %a "$1"; }
# openssl verify with the CRL; prints its verdict and never fails (pipefail would hide a match).
verify_crl() { openssl verify -crl_check -CAfile ca/ca.crt -CRLfile ca/crl.pem "$1" 2>&1 || true; }
purpose_ok() { openssl verify -CAfile ca/ca.crt -purpose "$1" "$2" | grep -q ': OK$'; }

# --- a CA and certificates
check "init-ca creates an Ed25519 CA" "$PKI" init-ca --name "Test CA" --days 30
grep -q 'ED25519' <(openssl x509 -in ca/ca.crt -noout -text) && pass "CA key is Ed25519" || fail "CA key is Ed25519"
[ "$(mode ca/private/ca.key)" = 600 ] && pass "CA key is mode 0600" || fail "CA key mode $(mode ca/private/ca.key)"
[ "$(mode ca/private)" = 700 ] && pass "private/ is mode 0700" || fail "private/ mode $(mode ca/private)"
check "issue server" "$PKI" issue server vpn.example.com --san 192.0.2.7
check "issue client" "$PKI" issue client alice
check "issue ECDSA client into an out dir" "$PKI" issue client bob --key-type ecdsa-p256 --out-dir handout
[ "$(mode ca/private/vpn.example.com.key)" = 600 ] && pass "server key is mode 0600" || fail "server key mode"
[ -f handout/bob.crt ] && [ -f handout/bob.key ] && [ -f handout/ca.crt ] && pass "out dir holds crt, key, ca.crt" \
  || fail "out dir content: $(ls handout)"
[ "$(mode handout/bob.key)" = 600 ] && pass "handed-out key is mode 0600" || fail "handed-out key mode"
[ ! -e ca/private/bob.key ] && pass "handed-out key is not kept by the CA" || fail "CA kept bob.key"
openssl pkey -in handout/bob.key -noout -text 2>/dev/null | grep -q 'P-256' && pass "ECDSA key is P-256" || fail "ECDSA key"

# --- the openssl CLI agrees on purpose
check "server cert verifies for sslserver" purpose_ok sslserver ca/issued/vpn.example.com.crt
check "client cert verifies for sslclient" purpose_ok sslclient ca/issued/alice.crt
check "ECDSA client cert verifies for sslclient" purpose_ok sslclient handout/bob.crt
check_not "client cert does not verify for sslserver" purpose_ok sslserver ca/issued/alice.crt
check_not "server cert does not verify for sslclient" purpose_ok sslclient ca/issued/vpn.example.com.crt
check "server cert matches its DNS name" openssl x509 -in ca/issued/vpn.example.com.crt -noout -checkhost vpn.example.com
openssl x509 -in ca/issued/vpn.example.com.crt -noout -checkip 192.0.2.7 | grep -q 'does match' \
  && pass "server cert carries the extra IP SAN" || fail "IP SAN"
openssl x509 -in ca/issued/vpn.example.com.crt -noout -checkhost evil.example.com | grep -q 'does NOT match' \
  && pass "server cert does not match another name" || fail "other name matched"
openssl x509 -in ca/issued/alice.crt -noout -subject | grep -q 'CN *= *alice' && pass "client CN is its name" \
  || fail "client CN"
check "key matches certificate" bash -c "diff <(openssl pkey -in ca/private/alice.key -pubout) \
  <(openssl x509 -in ca/issued/alice.crt -noout -pubkey)"

# --- signing a public key brought by its owner
openssl genpkey -algorithm ed25519 -out carol.key 2>/dev/null
openssl pkey -in carol.key -pubout -out carol.pub
check "issue --public-key signs a key made elsewhere" "$PKI" issue client carol --public-key carol.pub
check "signed public key is the one given" bash -c "diff carol.pub <(openssl x509 -in ca/issued/carol.crt -noout -pubkey)"
[ ! -e ca/private/carol.key ] && pass "no private key generated for --public-key" || fail "carol.key exists"

# --- show
"$PKI" show ca/issued/vpn.example.com.crt >show.txt
fp=$(openssl x509 -in ca/issued/vpn.example.com.crt -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
for field in "subject: *CN=vpn.example.com" "issuer: *CN=Test CA" "key: *Ed25519" \
             "extended key usage: *serverAuth" "subject alt names: *DNS:vpn.example.com, IP:192.0.2.7" \
             "valid from: *20[0-9-]* [0-9:]* UTC" "valid until: *20[0-9-]* [0-9:]* UTC (valid" "CA: *no" \
             "fingerprint SHA-256: *$fp"; do
  grep -q "^$field" show.txt && pass "show prints '$field'" || fail "show lacks '$field': $(cat show.txt)"
done
"$PKI" show ca/ca.crt | grep -q '^CA: *yes' && pass "show marks the CA" || fail "show CA"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.crt -days 2 \
  -subj /CN=other-ca -addext 'extendedKeyUsage=clientAuth' 2>/dev/null
"$PKI" show other.crt | grep -q '^key: *ECDSA P-256' && pass "show reads a certificate from the openssl CLI" \
  || fail "show openssl cert"
openssl x509 -in other.crt -outform DER -out other.der
"$PKI" show other.der | grep -q '^subject: *CN=other-ca' && pass "show reads DER" || fail "show DER"

# --- revoke and CRL
serial=$(openssl x509 -in ca/issued/alice.crt -noout -serial | sed 's/.*=//')
check "revoke by name" "$PKI" revoke alice --reason keyCompromise
check "crl publishes" "$PKI" crl --days 7
verify_crl "ca/archive/$serial.crt" | grep -q 'certificate revoked' \
  && pass "openssl verify -crl_check reports alice revoked" || fail "alice not reported revoked"
verify_crl handout/bob.crt | grep -q ': OK$' \
  && pass "unrevoked client still verifies with the CRL" || fail "bob fails with CRL"
openssl crl -in ca/crl.pem -noout -text | grep -q 'Key Compromise' && pass "CRL carries the reason" || fail "reason"
"$PKI" show ca/crl.pem | grep -q "^  $serial " && pass "show lists the revoked serial" || fail "show crl"
bob_serial=$(openssl x509 -in handout/bob.crt -noout -serial | sed 's/.*=//')
check "revoke by serial with colons" "$PKI" revoke "$(echo "$bob_serial" | sed 's/../&:/g; s/:$//')"
check "crl again" "$PKI" crl
[ "$(openssl crl -in ca/crl.pem -noout -crlnumber | sed 's/.*=//')" = 0x02 ] && pass "CRL number increases" \
  || fail "CRL number: $(openssl crl -in ca/crl.pem -noout -crlnumber)"
verify_crl handout/bob.crt | grep -q 'certificate revoked' \
  && pass "bob revoked by serial" || fail "bob not revoked"
check "a revoked name can be issued again" "$PKI" issue client alice
"$PKI" list | grep -c '^revoked' | grep -qx 2 && pass "list shows both revocations" || fail "list: $("$PKI" list)"

# --- mistakes fail with a clear message and a non-zero exit
expect_error "unknown kind" "not in {server,client}" "$PKI" issue laptop x
expect_error "name with a slash" "invalid name" "$PKI" issue client ../escape
expect_error "name with a space" "invalid name" "$PKI" issue client "a b"
expect_error "server name that is no DNS name" "DNS name or an IP" "$PKI" issue server under_score
expect_error "bad --san" "invalid" "$PKI" issue server ok.example --san 'DNS:bad name'
expect_error "duplicate valid name" "already has a valid certificate" "$PKI" issue client alice
expect_error "second init-ca" "already exists" "$PKI" init-ca
expect_error "no CA directory" "init-ca" "$PKI" --dir "$WORK/none" issue client x
expect_error "unknown key type" "key-type" "$PKI" issue client x --key-type rsa
expect_error "zero days" "days" "$PKI" issue client x --days 0
expect_error "revoke unknown name" "no valid certificate" "$PKI" revoke nobody
expect_error "revoke twice" "already revoked" "$PKI" revoke "$serial"
expect_error "unknown reason" "unknown --reason" "$PKI" revoke vpn.example.com --reason bored
expect_error "show a private key" "private key" "$PKI" show ca/private/ca.key
expect_error "show a missing file" "cannot read" "$PKI" show missing.pem
expect_error "no subcommand" "subcommand" "$PKI"
[ ! -e ca/issued/x.crt ] && pass "failed commands leave no files behind" || fail "x.crt left behind"

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
