#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A client revoked while connected is cut off when the server reloads its CRL (SIGHUP); a healthy
# client stays connected through the reload. Certificates from a CA made by the openssl CLI.
source "$(dirname "$0")/lib.sh"
require_env openssl ping
setup_net 2
CA="$WORK/ca"
make_openssl_ca "$CA"
openssl_issue "$CA" server server vpn.example.test "DNS:vpn.example.test"
openssl_issue "$CA" mallory client mallory
openssl_issue "$CA" good client goodclient "" ec
openssl_crl "$CA" >"$WORK/crl.pem"
SERVER_CA="$CA/ca.crt" SERVER_CERT="$CA/server.crt" SERVER_KEY="$CA/server.key" SERVER_CRL="$WORK/crl.pem" \
  write_server_config "$WORK/server.toml"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$CA/mallory.crt" "$CA/mallory.key" 192.168.101.1:51820 vpn.example.test "$CA/ca.crt"
write_client_config "$WORK/client2.toml" "$CA/good.crt" "$CA/good.key" 192.168.102.1:51820 vpn.example.test "$CA/ca.crt"
start_client 1 "$WORK/client1.toml"
start_client 2 "$WORK/client2.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 || die "mallory not connected"
wait_log "$WORK/client2.log" "configured uvt0" 10 || die "goodclient not connected"
wait_ping c1 10.77.0.1 5 && pass "openssl-made client certificate works" || fail "mallory cannot ping"

openssl_revoke "$CA" mallory
openssl_crl "$CA" >"$WORK/crl.pem"
kill -HUP "$SERVER_PID"
wait_log "$WORK/server.log" "client mallory .*disconnected: certificate revoked" 5 \
  && pass "server cut mallory off after SIGHUP, naming the reason" || fail "mallory not cut off with 'certificate revoked'"
sleep 3
in_ns c1 ping -c 2 -W 1 10.77.0.1 >/dev/null 2>&1 && fail "mallory still passes traffic" || pass "mallory passes no traffic"
wait_ping c2 10.77.0.1 3 && pass "the healthy client survived the reload" || fail "goodclient lost its tunnel"
[ "$(count_log "$WORK/client2.log" "connected to")" -eq 1 ] && pass "the healthy client did not reconnect" \
  || fail "goodclient reconnected during the reload"
wait_log "$WORK/server.log" "refused client.*certificate revoked" 10 \
  && pass "mallory's reconnection attempts are refused" || fail "no refusal logged for mallory's retries"
finish
