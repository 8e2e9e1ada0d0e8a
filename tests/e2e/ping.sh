#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# One client: pings both ways over IPv4 and IPv6 inside the tunnel; the status socket lists the
# client with its addresses and byte counts that grow with traffic.
source "$(dirname "$0")/lib.sh"
require_env ping socat python3
setup_net 1
write_server_config "$WORK/server.toml"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key"
start_client 1 "$WORK/client1.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 || die "client not configured within 10 s"

wait_ping c1 10.77.0.1 5 && pass "client pings server over IPv4" || fail "client pings server over IPv4"
wait_ping c1 fd77::1 5 && pass "client pings server over IPv6" || fail "client pings server over IPv6"
wait_ping srv 10.77.0.2 5 && pass "server pings client over IPv4" || fail "server pings client over IPv4"
wait_ping srv fd77::2 5 && pass "server pings client over IPv6" || fail "server pings client over IPv6"

s1=$(status)
[ "$(json_field "$s1" alice inner_ipv4)" = 10.77.0.2 ] && pass "status shows alice at 10.77.0.2" || fail "status: $s1"
[ "$(json_field "$s1" alice inner_ipv6)" = fd77::2 ] && pass "status shows alice at fd77::2" || fail "status: $s1"
outer=$(json_field "$s1" alice outer)
[[ "$outer" == 192.168.101.2:* ]] && pass "status shows the outer address ($outer)" || fail "status outer: $s1"
rx1=$(json_field "$s1" alice rx_bytes); tx1=$(json_field "$s1" alice tx_bytes)
in_ns c1 ping -c 20 -i 0.05 -s 1000 -q 10.77.0.1 >/dev/null || true
s2=$(status)
rx2=$(json_field "$s2" alice rx_bytes); tx2=$(json_field "$s2" alice tx_bytes)
[ "$rx2" -ge $((rx1 + 20000)) ] && pass "rx bytes grew ($rx1 -> $rx2)" || fail "rx bytes did not grow enough ($rx1 -> $rx2)"
[ "$tx2" -ge $((tx1 + 20000)) ] && pass "tx bytes grew ($tx1 -> $tx2)" || fail "tx bytes did not grow enough ($tx1 -> $tx2)"
[ -n "$(json_field "$s2" alice cipher)" ] && pass "status names the cipher" || fail "no cipher in status"
perm=$(stat -c %a "$WORK/server.sock")
[ "$perm" = 660 ] && pass "status socket mode 0660" || fail "status socket mode $perm"

kill -TERM "${CLIENT_PID[1]}"
wait_log "$WORK/server.log" "client alice .* disconnected" 5 && pass "server logs the client's disconnect" \
  || fail "server did not log the disconnect"
wait "${CLIENT_PID[1]}" 2>/dev/null || true
in_ns c1 ip link show uvt0 >/dev/null 2>&1 && fail "client left its device behind" || pass "client removed its device on exit"
finish
