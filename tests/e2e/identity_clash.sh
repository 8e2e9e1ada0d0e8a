#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Two machines with the same client certificate (issue 16). By default one session per identity:
# the second machine takes the session over once, the first coming back is a clash (a warning that
# names both addresses) and is refused for a while, so the session stops flapping. With
# server.max_sessions_per_identity = 2 both are connected at once, each with its own address.
source "$(dirname "$0")/lib.sh"
require_env ping
setup_net 2
write_server_config "$WORK/server.toml"
start_server "$WORK/server.toml"
for i in 1 2; do
  write_client_config "$WORK/client$i.toml" "$TEST_PKI/client.crt" "$TEST_PKI/client.key" "192.168.10$i.1:51820"
done
start_client 1 "$WORK/client1.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 || die "the first alice did not connect"
start_client 2 "$WORK/client2.toml"
sleep 15
connects=$(count_log "$WORK/server.log" "client alice connected from")
replaced=$(count_log "$WORK/server.log" "closing its previous session")
echo "in 15 s: $connects sessions established for alice, $replaced replaced"
[ "$connects" -le 3 ] && [ "$replaced" -le 2 ] && pass "no flapping: $connects sessions, $replaced replacements in 15 s" \
  || fail "alice flaps: $connects sessions, $replaced replacements in 15 s"
grep -E "warning: identity alice is in use from (192\.168\.101\.2|192\.168\.102\.2):[0-9]+ and from (192\.168\.101\.2|192\.168\.102\.2):[0-9]+ at once" "$WORK/server.log" \
  | grep -q "101" && pass "the clash is a warning naming both addresses: $(grep -m1 -oE 'identity alice is in use.*' "$WORK/server.log" | cut -c1-150)" \
  || fail "no warning naming both addresses"
holder=$(status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(s["outer"] for s in d["sessions"] if s["identity"]=="alice"))')
[ "$(wc -w <<<"$holder")" -eq 1 ] && pass "one session for alice (from $holder)" || fail "alice sessions: '$holder'"
n1=$(count_log "$WORK/client1.log" "identity alice is in use from another address")
n2=$(count_log "$WORK/client2.log" "identity alice is in use from another address")
[ $((n1 + n2)) -ge 1 ] && pass "the refused machine is told why ($n1 + $n2 refusals)" || fail "no client logged the reason"
stop_server
for i in 1 2; do kill "${CLIENT_PID[$i]}" 2>/dev/null || true; wait "${CLIENT_PID[$i]}" 2>/dev/null || true; done

# Several sessions per identity when the admin allows them.
: >"$WORK/server.log"; : >"$WORK/client1.log"; : >"$WORK/client2.log"
write_server_config "$WORK/server2.toml"
sed -i 's/^\[server\]$/[server]\nmax_sessions_per_identity = 2/' "$WORK/server2.toml"
start_server "$WORK/server2.toml"
start_client 1 "$WORK/client1.toml"
start_client 2 "$WORK/client2.toml"
wait_log "$WORK/client1.log" "configured uvt0" 10 && wait_log "$WORK/client2.log" "configured uvt0" 10 \
  && pass "max_sessions_per_identity = 2: both machines connected" || fail "not both connected"
a1=$(grep -oE "configured uvt0: mtu [0-9]+ [0-9.]+" "$WORK/client1.log" | tail -1 | awk '{print $5}')
a2=$(grep -oE "configured uvt0: mtu [0-9]+ [0-9.]+" "$WORK/client2.log" | tail -1 | awk '{print $5}')
[ -n "$a1" ] && [ "$a1" != "$a2" ] && pass "each has its own address ($a1, $a2)" || fail "addresses: '$a1' '$a2'"
wait_ping c1 10.77.0.1 5 && wait_ping c2 10.77.0.1 5 && pass "both pass traffic" || fail "ping failed"
sleep 3
[ "$(count_log "$WORK/server.log" "closing its previous session")" -eq 0 ] && pass "neither replaced the other" \
  || fail "a session was replaced although two are allowed"
finish
