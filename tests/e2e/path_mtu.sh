#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# "Chains over a 1280-byte path" with the shipped defaults (docs/rfc-draft.txt Abstract, §1.1,
# §14, §20.3): the 3-certificate RSA-4096 chain through a path that drops every datagram over 1232
# bytes of UDP payload (a relay, tests/blackbox/attacker.py relay), then path MTU probing over an
# Ethernet-sized path finds room for full 1420-byte inner packets.
source "$(dirname "$0")/lib.sh"
require_env python3 ping
RELAY=(python3 "$SRC_ROOT/tests/blackbox/attacker.py" relay)
python3 -c 'import cryptography' 2>/dev/null || skip "needs python3-cryptography"
setup_net 1
SERVER_CA=$TEST_PKI/long_ca.crt SERVER_CERT=$TEST_PKI/long_server.crt SERVER_KEY=$TEST_PKI/long_server.key \
  write_server_config "$WORK/server.toml"
start_server "$WORK/server.toml"

# relay_client PORT MAX_SIZE SECONDS: a relay in c1 on 127.0.0.1:PORT and a client through it.
relay_client() {
  in_ns c1 "${RELAY[@]}" --bind "127.0.0.1:$1" --server 192.168.101.1:51820 --max-size "$2" --seconds "$3" \
    >"$WORK/relay$1.out" 2>&1 &
  PIDS+=("$!")
  sleep 0.3
  write_client_config "$WORK/client$1.toml" "$TEST_PKI/long_client.crt" "$TEST_PKI/long_client.key" \
    "127.0.0.1:$1" vpn.example.test "$TEST_PKI/long_ca.crt"
  : >"$WORK/client1.log"
  start_client 1 "$WORK/client$1.toml"
}

relay_client 5001 1232 15
wait_log "$WORK/client1.log" "configured uvt0" 10 && pass "connected through a 1280-byte path (RSA-4096 chain)" \
  || fail "no connection through a path of 1232-byte datagrams"
wait_ping c1 10.77.0.1 3 && pass "traffic flows" || fail "no ping through the tunnel"
kill "${CLIENT_PID[1]}" 2>/dev/null; wait "${CLIENT_PID[1]}" 2>/dev/null || true

relay_client 5002 1452 20
wait_log "$WORK/client1.log" "configured uvt0" 10 || fail "no connection through an Ethernet-sized path"
wait_log "$WORK/client1.log" "path allows inner mtu 1420" 10 && pass "path MTU probing found room for 1420-byte inner packets" \
  || fail "path MTU probing did not run up to the tunnel MTU ($(grep -o 'path allows inner mtu [0-9]*' "$WORK/client1.log" | tail -1))"
in_ns c1 ping -c 1 -W 2 -M do -s 1392 10.77.0.1 >/dev/null 2>&1 && pass "a 1420-byte inner packet gets through" \
  || fail "a 1420-byte inner packet does not get through"
kill "${CLIENT_PID[1]}" 2>/dev/null || true
finish
