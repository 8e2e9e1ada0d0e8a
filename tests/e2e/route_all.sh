#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# route_all: everything goes through the tunnel except the route to the server, which stays outside;
# pushed DNS is left alone (and logged) without systemd-resolved; the server runs unprivileged
# after start-up; on exit the client removes every route it added.
source "$(dirname "$0")/lib.sh"
require_env ping
setup_net 1
chmod 755 "$WORK"
write_server_config "$WORK/server.toml" '[privileges]' 'user = "nobody"'
sed -i 's/^\[tunnel\]/[tunnel]\ndns = ["10.77.0.1"]/' "$WORK/server.toml"
start_server "$WORK/server.toml"
write_client_config "$WORK/client1.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key"
sed -i 's/^device = "uvt0"/device = "uvt0"\nroute_all = true/' "$WORK/client1.toml"
start_client 1 "$WORK/client1.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 || die "client not configured"
dev="uvt$$c1"
in_ns c1 ip route get 192.0.2.55 | grep -q "dev uvt0" && pass "other destinations go through the tunnel" \
  || fail "192.0.2.55 not routed into the tunnel: $(in_ns c1 ip route get 192.0.2.55)"
in_ns c1 ip -6 route get 2001:db8::55 | grep -q "dev uvt0" && pass "IPv6 too" || fail "IPv6 not routed into the tunnel"
in_ns c1 ip route get 192.168.101.1 | grep -q "dev $dev" && pass "the server stays reachable outside the tunnel" \
  || fail "server route: $(in_ns c1 ip route get 192.168.101.1)"
wait_ping c1 10.77.0.1 5 && pass "traffic flows" || fail "no traffic"
if [ -e /run/systemd/resolve/io.systemd.Resolve ]; then
  wait_log "$WORK/client1.log" "DNS: uvt0 uses 10.77.0.1" 3 && pass "DNS handed to systemd-resolved" || fail "DNS not applied"
else
  wait_log "$WORK/client1.log" "systemd-resolved is not running: left /etc/resolv.conf" 3 \
    && pass "without systemd-resolved, DNS is left alone and the log says so" || fail "no DNS notice"
fi
[ "$(ps -o user= -p "$SERVER_PID")" = nobody ] && pass "server dropped to user nobody" \
  || fail "server runs as $(ps -o user= -p "$SERVER_PID")"
wait_ping c1 10.77.0.1 3 && pass "tunnel works after the privilege drop" || fail "no traffic after drop"
kill -TERM "${CLIENT_PID[1]}"; wait "${CLIENT_PID[1]}" 2>/dev/null || true
routes=$(in_ns c1 ip route; in_ns c1 ip -6 route)
echo "$routes" | grep -qE "^(0\.0\.0\.0|128\.0\.0\.0)/1|^192\.168\.101\.1 " && fail "routes left behind: $routes" \
  || pass "client removed its routes on exit"
finish
