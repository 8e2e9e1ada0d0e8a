#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Refused, with a log line naming the reason: a revoked client, an expired one, one from another
# CA (server side), and a server whose name the client does not expect (client side). The server
# names each refused client by the common name its certificate claims.
source "$(dirname "$0")/lib.sh"
require_env openssl
setup_net 4
SERVER_CRL="$TEST_PKI/crl.pem" write_server_config "$WORK/server.toml"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$TEST_PKI/client_revoked.crt" "$TEST_PKI/client_revoked.key" 192.168.101.1:51820
write_client_config "$WORK/client2.toml" "$TEST_PKI/client_expired.crt" "$TEST_PKI/client_expired.key" 192.168.102.1:51820
write_client_config "$WORK/client3.toml" "$TEST_PKI/client_otherca.crt" "$TEST_PKI/client_otherca.key" 192.168.103.1:51820
write_client_config "$WORK/client4.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key" 192.168.104.1:51820 other.example.test
for i in 1 2 3 4; do start_client "$i" "$WORK/client$i.toml"; done

wait_log "$WORK/server.log" "refused client eve from 192\.168\.101\.2.*certificate revoked" 10 \
  && pass "server logs: revoked client refused" || fail "no 'certificate revoked' refusal in the server log"
wait_log "$WORK/server.log" "refused client carol from 192\.168\.102\.2.*certificate expired" 10 \
  && pass "server logs: expired client refused" || fail "no 'certificate expired' refusal in the server log"
wait_log "$WORK/server.log" "refused client alice from 192\.168\.103\.2.*unknown CA" 10 \
  && pass "server logs: client of another CA refused" || fail "no 'unknown CA' refusal in the server log"
wait_log "$WORK/client4.log" "cannot connect.*does not match the expected server name" 10 \
  && pass "client logs: server name mismatch" || fail "no name mismatch in client 4's log"
for i in 1 2 3 4; do
  grep -q "configured uvt0" "$WORK/client$i.log" && fail "client $i got a tunnel" || pass "client $i got no tunnel"
done
finish
