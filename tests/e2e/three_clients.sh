#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Three clients at once (one over an IPv6 underlay), each with its own inner address, all passing
# traffic; client-to-client traffic only flows when the server allows it.
source "$(dirname "$0")/lib.sh"
require_env ping socat python3 openssl
setup_net 3
CA="$WORK/ca"
make_openssl_ca "$CA"
openssl_issue "$CA" c2 client carol2
openssl_issue "$CA" c3 client dave3 "" ec
# The server trusts both the test CA and the throwaway one.
cat "$TEST_PKI/ca.crt" "$CA/ca.crt" >"$WORK/cas.pem"
SERVER_CA="$WORK/cas.pem" write_server_config "$WORK/server.toml"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key" 192.168.101.1:51820
write_client_config "$WORK/client2.toml" "$CA/c2.crt" "$CA/c2.key" 192.168.102.1:51820
write_client_config "$WORK/client3.toml" "$CA/c3.crt" "$CA/c3.key" "[fd00:103::1]:51820"
for i in 1 2 3; do start_client "$i" "$WORK/client$i.toml"; done
for i in 1 2 3; do
  wait_log "$WORK/client$i.log" "configured uvt0" 10 || die "client $i not configured"
done
declare -A ADDR
s=$(status)
for id in alice carol2 dave3; do
  a=$(json_field "$s" "$id" inner_ipv4)
  [ -n "$a" ] && pass "$id has inner address $a" || fail "$id missing from status: $s"
  ADDR[$id]=$a
done
[ "$(printf '%s\n' "${ADDR[@]}" | sort -u | wc -l)" -eq 3 ] && pass "three distinct addresses" || fail "addresses not distinct"
i=1
for id in alice carol2 dave3; do
  wait_ping "c$i" 10.77.0.1 5 && pass "client $i ($id) pings the server" || fail "client $i cannot ping the server"
  wait_ping "c$i" fd77::1 5 && pass "client $i ($id) pings the server over IPv6" || fail "client $i IPv6"
  wait_ping srv "${ADDR[$id]}" 5 && pass "server pings client $i" || fail "server cannot ping client $i"
  i=$((i + 1))
done
[ "$(json_field "$s" dave3 outer | cut -c1)" = "[" ] && pass "client 3 came over the IPv6 underlay" || fail "client 3 outer: $(json_field "$s" dave3 outer)"
in_ns c1 ping -c 2 -W 1 "${ADDR[carol2]}" >/dev/null 2>&1 && fail "client-to-client passed while disabled" \
  || pass "client-to-client blocked by default"
finish
