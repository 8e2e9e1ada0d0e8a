#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# udpvpn-conformance (tools/conformance, written from docs/rfc-draft.txt) against udpvpn-server:
# every requirement line must be PASS or NOT-TESTABLE. The server runs in "srv" with the long
# RSA-4096 chain (so its first flight exceeds 3 x one INITIAL and the amplification budget shows),
# short timers (keepalive 2 s, dead peer 6 s, rekey 10 s: the timer checks take seconds), a CRL, and
# client CAs from tests/pki plus a throwaway openssl CA. The suite runs in "c1" with a second
# address (roaming, packets from another address) and spoofs INITIALs from 10.99.x.y (cookie
# threshold). A second server with an admission key checks the dark port (DOS-2). With --long, KEY-1
# waits reject_after_time (180 s) alongside the other checks: the run takes about 3 minutes.
#   UDPVPN_CONFORMANCE: the tool (default tools/conformance/udpvpn-conformance);
#   CONFORMANCE_ARGS: extra arguments, e.g. "--only DATA-" while working on one area.
source "$(dirname "$0")/lib.sh"
require_env openssl
TOOL=${UDPVPN_CONFORMANCE:-$SRC_ROOT/tools/conformance/udpvpn-conformance}
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || skip "needs python3-cryptography"

setup_net 1
in_ns c1 ip addr add 192.168.101.3/24 dev "uvt$$c1"
in_ns srv sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 "net.ipv4.conf.uvt$$s1.rp_filter=0"
in_ns srv ip route add 10.0.0.0/8 via 192.168.101.2

# Bad client credentials by kind (udpvpn-conformance(1), CERTIFICATE DIRECTORY): from tests/pki,
# plus two from an openssl CA made here (keyUsage without digitalSignature; one revoked later).
CA="$WORK/ca"
make_openssl_ca "$CA"
openssl_issue "$CA" later client later-client
openssl_issue "$CA" nosig client nosig-client
sed -i 's/keyUsage=critical,digitalSignature/keyUsage=critical,nonRepudiation/' "$CA/nosig.ext"
openssl x509 -req -in "$CA/nosig.csr" -CA "$CA/ca.crt" -CAkey "$CA/ca.key" -CAcreateserial -days 30 \
  -extfile "$CA/nosig.ext" -out "$CA/nosig.crt" 2>/dev/null
CERTS="$WORK/certs"
mkdir -p "$CERTS"
link() { ln -s "$2.crt" "$CERTS/$1.crt"; ln -s "$2.key" "$CERTS/$1.key"; }
link expired "$TEST_PKI/client_expired"
link not-yet-valid "$TEST_PKI/client_notyet"
link unknown-ca "$TEST_PKI/client_otherca"
link revoked "$TEST_PKI/client_revoked"
link wrong-eku "$TEST_PKI/server"
link rsa "$TEST_PKI/client_rsa"
link rsa-1024 "$TEST_PKI/client_rsa1024"
link no-digital-signature "$CA/nosig"
link revoke-later "$CA/later"

cat "$TEST_PKI/ca.crt" "$CA/ca.crt" >"$WORK/client_cas.pem"
openssl_crl "$CA" >"$WORK/ca_crl.pem"
cat "$TEST_PKI/crl.pem" "$WORK/ca_crl.pem" >"$WORK/crl.pem"
# --revoke-command: revoke "later", rebuild the CRL file, make the server reload it.
cat >"$WORK/revoke.sh" <<EOT
#!/usr/bin/env bash
set -e
openssl ca -config "$CA/ca.cnf" -revoke "$CA/later.crt" -batch 2>/dev/null
openssl ca -config "$CA/ca.cnf" -gencrl -batch 2>/dev/null >"$WORK/ca_crl.pem"
cat "$TEST_PKI/crl.pem" "$WORK/ca_crl.pem" >"$WORK/crl.pem"
kill -HUP "\$(cat "$WORK/server.pid")"
EOT
chmod +x "$WORK/revoke.sh"

# A cluster key, so that the server sends stateless resets (DOS-14 to DOS-16).
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/cluster.key"
chmod 600 "$WORK/cluster.key"
PROTOCOL=("[cluster]" "key = \"$WORK/cluster.key\""
          "[protocol]" 'keepalive_interval = "2s"' 'dead_peer_timeout = "6s"' 'rekey_after_time = "10s"')
SERVER_CA="$WORK/client_cas.pem" SERVER_CERT=$TEST_PKI/long_server.crt SERVER_KEY=$TEST_PKI/long_server.key \
  SERVER_CRL="$WORK/crl.pem" write_server_config "$WORK/server.toml" "${PROTOCOL[@]}"
# The suite runs its timer checks alongside the others, all with one client certificate.
sed -i 's/^\[server\]$/[server]\nmax_sessions_per_identity = 64/' "$WORK/server.toml"
start_server "$WORK/server.toml"
echo "$SERVER_PID" >"$WORK/server.pid"

# The dark port (DOS-2): a second server on port 51821 with an admission key.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/admission.key"
chmod 600 "$WORK/admission.key"
SERVER_CA="$WORK/client_cas.pem" write_server_config "$WORK/dark.toml" "[protocol]"
sed -i -e 's/^listen = .*/listen = "[::]:51821"/' -e 's/^device = .*/device = "uvt1"/' \
  -e "s|^socket = .*|socket = \"$WORK/dark.sock\"|" -e 's/10\.77\.0\.0/10.78.0.0/' -e 's/fd77::/fd78::/' \
  -e "s|^\[pki\]$|[pki]\nadmission_key = \"$WORK/admission.key\"|" "$WORK/dark.toml"
ip netns exec "$(ns srv)" "$SERVER_BIN" --config "$WORK/dark.toml" >>"$WORK/dark.log" 2>&1 &
PIDS+=("$!")
wait_log "$WORK/dark.log" "listening on udp port" 10 || die "the server with an admission key did not start"

echo "# udpvpn-conformance against udpvpn-server"
start=$(date +%s)
set +e
in_ns c1 "$TOOL" --server 192.168.101.1:51820 --ca "$TEST_PKI/long_ca.crt" \
  --cert "$TEST_PKI/client.crt" --key "$TEST_PKI/client.key" --cert-dir "$CERTS" \
  --bind 192.168.101.2 --other-address 192.168.101.3 --spoof-net 10.99 \
  --revoke-command "$WORK/revoke.sh" --keepalive-interval 2 --dead-peer-timeout 6 --rekey-after-time 10 \
  --long --json "$WORK/report.json" ${CONFORMANCE_ARGS:-} >"$WORK/suite.out" 2>&1
rc=$?
in_ns c1 "$TOOL" --server 192.168.101.1:51821 --cert "$TEST_PKI/client.crt" --key "$TEST_PKI/client.key" \
  --admission-key "$WORK/admission.key" --bind 192.168.101.2 --only DOS-2 --json "$WORK/dark.json" \
  >"$WORK/dark.out" 2>&1
rc2=$?
set -e
echo "     $(($(date +%s) - start)) s"
sed 's/^/     /' "$WORK/suite.out"
echo "# DOS-2 against a server with an admission key (port 51821)"
sed 's/^/     /' "$WORK/dark.out"
grep -q '^PASS *DOS-2 ' "$WORK/dark.out" && [ "$rc2" -eq 0 ] && pass "DOS-2: silence without the admission key" \
  || fail "DOS-2 against the server with an admission key"
[ -s "$WORK/report.json" ] || fail "no JSON report"
[ "$rc" -eq 0 ] && pass "udpvpn-server: every requirement PASS or NOT-TESTABLE" \
  || fail "udpvpn-server: $(grep -c '^FAIL' "$WORK/suite.out") requirement(s) FAIL"
# What may be NOT-TESTABLE against udpvpn-server: only requirements no black box can decide, and
# those of the other role; a check that could not run here would hide a regression.
python3 - "$WORK/report.json" <<'EOT' && pass "nothing NOT-TESTABLE that this setup can test" || fail "checks skipped"
import json, sys
r = json.load(open(sys.argv[1]))
bad = [x for x in r["results"] if x["status"] == "NOT-TESTABLE" and x["role"] == "server"
       and x["id"] != "DOS-2"]   # DOS-2: the run against the server with an admission key
for x in bad:
    print(f"     skipped: {x['id']}: {x['detail']}")
sys.exit(1 if bad else 0)
EOT

echo "# udpvpn-conformance in client mode against udpvpn-client"
link server-wrong-name "$TEST_PKI/server_cn_only"
write_client_config "$WORK/client.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key" 127.0.0.1:51999
echo 'rekey_after_time = "10s"' >>"$WORK/client.toml"   # its [protocol] section is the last
start=$(date +%s)
set +e
in_ns c1 "$TOOL" --client-command "$CLIENT_BIN --config $WORK/client.toml" --listen 127.0.0.1:51999 \
  --server-cert "$TEST_PKI/server.crt" --server-key "$TEST_PKI/server.key" --cert-dir "$CERTS" \
  --dead-peer-timeout 5 --rekey-after-time 10 --json "$WORK/client_report.json" ${CLIENT_CONFORMANCE_ARGS:-} >"$WORK/client_suite.out" 2>&1
rc=$?
set -e
echo "     $(($(date +%s) - start)) s"
sed 's/^/     /' "$WORK/client_suite.out"
[ "$rc" -eq 0 ] && pass "udpvpn-client: every requirement PASS or NOT-TESTABLE" \
  || fail "udpvpn-client: $(grep -c '^FAIL' "$WORK/client_suite.out") requirement(s) FAIL"
python3 - "$WORK/client_report.json" <<'EOT' && pass "client mode: nothing NOT-TESTABLE that this setup can test" || fail "client checks skipped"
import json, sys
r = json.load(open(sys.argv[1]))
bad = [x for x in r["results"] if x["status"] == "NOT-TESTABLE" and x["role"] == "client"]
for x in bad:
    print(f"     skipped: {x['id']}: {x['detail']}")
sys.exit(1 if bad else 0)
EOT

finish
