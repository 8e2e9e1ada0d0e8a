#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Certificates made by the project's own PKI tool (udpvpn-pki) work end to end, and a client it
# revokes is cut off after SIGHUP.
source "$(dirname "$0")/lib.sh"
require_env ping
[ -x "$PKI_TOOL" ] || skip "udpvpn-pki not built ($PKI_TOOL)"
setup_net 1
export UDPVPN_PKI_DIR="$WORK/pki"
"$PKI_TOOL" init-ca --name "e2e CA" >/dev/null || die "init-ca failed"
"$PKI_TOOL" issue server vpn.example.test -o "$WORK/out" >/dev/null || die "issue server failed"
"$PKI_TOOL" issue client zoe -o "$WORK/out" >/dev/null || die "issue client failed"
"$PKI_TOOL" crl >/dev/null || die "crl failed"
ls "$WORK/out" "$UDPVPN_PKI_DIR" >"$WORK/files.txt"
find_one() { find "$WORK" -name "$1" | head -1; }
CA_CRT=$(find_one ca.crt); CRL=$(find_one crl.pem)
SRV_CRT=$(find_one vpn.example.test.crt); SRV_KEY=$(find_one vpn.example.test.key)
CL_CRT=$(find_one zoe.crt); CL_KEY=$(find_one zoe.key)
for v in CA_CRT CRL SRV_CRT SRV_KEY CL_CRT CL_KEY; do [ -n "${!v}" ] || die "udpvpn-pki output: no $v in $(cat "$WORK/files.txt")"; done
SERVER_CA="$CA_CRT" SERVER_CERT="$SRV_CRT" SERVER_KEY="$SRV_KEY" SERVER_CRL="$CRL" write_server_config "$WORK/server.toml"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$CL_CRT" "$CL_KEY" 192.168.101.1:51820 vpn.example.test "$CA_CRT"
start_client 1 "$WORK/client1.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 && pass "udpvpn-pki certificates connect" || die "not connected"
wait_ping c1 10.77.0.1 5 && pass "traffic flows" || fail "no traffic"
"$PKI_TOOL" revoke zoe >/dev/null || die "revoke failed"
"$PKI_TOOL" crl >/dev/null || die "crl failed"
kill -HUP "$SERVER_PID"
wait_log "$WORK/server.log" "client zoe .*disconnected: certificate revoked" 5 \
  && pass "revoked by udpvpn-pki: cut off after SIGHUP" || fail "zoe not cut off"
finish
