#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# server.workers = 2: four clients from four /24s (the steering hash puts 192.168.101 and 104 on
# worker 0, 192.168.102 and 103 on worker 1) all connect, ping and move data both ways; the sessions
# spread over both workers and the status totals add up; a client that roams to an address whose
# prefix hashes to the other worker keeps its session and its worker; a SIGHUP with a CRL that
# revokes one client of each worker cuts both off and leaves the others alone.
source "$(dirname "$0")/lib.sh"
require_env openssl socat sha256sum ping python3
setup_net 4
CA="$WORK/ca"
make_openssl_ca "$CA"
openssl_issue "$CA" server server vpn.example.test "DNS:vpn.example.test"
NAMES=(x alpha bravo charlie delta)
for i in 1 2 3 4; do openssl_issue "$CA" "${NAMES[$i]}" client "${NAMES[$i]}"; done
openssl_crl "$CA" >"$WORK/crl.pem"
SERVER_CA="$CA/ca.crt" SERVER_CERT="$CA/server.crt" SERVER_KEY="$CA/server.key" SERVER_CRL="$WORK/crl.pem" \
  write_server_config "$WORK/server.toml"
sed -i 's/^\[server\]$/[server]\nworkers = 2/' "$WORK/server.toml"
start_server "$WORK/server.toml"
wait_log "$WORK/server.log" "workers: 2 threads, route bytes 0 to 1" 1 && pass "two workers started" \
  || fail "the server did not start two workers"

for i in 1 2 3 4; do
  write_client_config "$WORK/client$i.toml" "$CA/${NAMES[$i]}.crt" "$CA/${NAMES[$i]}.key" \
    "192.168.$((100 + i)).1:51820" vpn.example.test "$CA/ca.crt"
  start_client "$i" "$WORK/client$i.toml"
done
for i in 1 2 3 4; do
  wait_log "$WORK/client$i.log" "configured uvt0" 15 || die "${NAMES[$i]} not connected"
done
pass "four clients connected"

# py EXPR: evaluates EXPR with `d` the status reply.
py() { python3 -c "import json, sys; d = json.loads(sys.argv[1]); print($1)" "$(status)"; }
inner() { py "[s['inner_ipv4'] for s in d['sessions'] if s['identity'] == '$1'][0]"; }
worker() { py "[s['worker'] for s in d['sessions'] if s['identity'] == '$1'][0]"; }

for i in 1 2 3 4; do
  addr=$(inner "${NAMES[$i]}")
  INNER[$i]=$addr
  wait_ping "c$i" 10.77.0.1 5 && in_ns srv ping -c 2 -W 2 "$addr" >/dev/null 2>&1 \
    && pass "${NAMES[$i]} ($addr): ping both ways" || fail "${NAMES[$i]}: no ping both ways"
done

# Sessions by worker, as the status reply counts them and as the session IDs' route bytes say.
[ "$(py "d['server']['sessions']")" = 4 ] && pass "status: 4 sessions" || fail "status: $(py "d['server']['sessions']") sessions"
[ "$(py "[w['sessions'] for w in d['server']['workers']]")" = "[2, 2]" ] \
  && pass "sessions spread over both workers (2 and 2)" \
  || fail "sessions by worker: $(py "[w['sessions'] for w in d['server']['workers']]")"
[ "$(py "sum(w['sessions'] for w in d['server']['workers']) == len(d['sessions'])")" = True ] \
  && pass "per-worker counts add up to the sessions listed" || fail "per-worker counts do not add up"
[ "$(py "all(int(s['session'][:2], 16) == s['worker'] for s in d['sessions'])")" = True ] \
  && pass "every session's route byte names its worker" || fail "a session's route byte is not its worker's"
[ "$(worker bravo)" = 1 ] && [ "$(worker alpha)" = 0 ] && pass "bravo on worker 1, alpha on worker 0" \
  || fail "alpha on $(worker alpha), bravo on $(worker bravo)"
if [ -n "${UDPVPN_CTL:-}" ] && [ -x "$UDPVPN_CTL" ]; then
  in_ns srv "$UDPVPN_CTL" status --socket "$WORK/server.sock" >"$WORK/ctl.out" 2>&1 || true
  grep -q "workers: 0: 2 clients, 1: 2 clients" "$WORK/ctl.out" && pass "udpvpnctl status shows the spread" \
    || fail "udpvpnctl status: $(cat "$WORK/ctl.out")"
fi

# 2 MB each way for every client: client -> server and server -> client.
head -c 2097152 /dev/urandom >"$WORK/data"
want=$(sha256sum <"$WORK/data" | cut -d' ' -f1)
for i in 1 2 3 4; do
  in_ns srv timeout 60 socat -u "TCP-LISTEN:$((6000 + i)),reuseaddr,bind=10.77.0.1" "OPEN:$WORK/up$i,creat,trunc" &
  UP[$i]=$!; PIDS+=("$!")
  in_ns "c$i" timeout 60 socat -u "TCP-LISTEN:7000,reuseaddr,bind=${INNER[$i]}" "OPEN:$WORK/down$i,creat,trunc" &
  DOWN[$i]=$!; PIDS+=("$!")
done
sleep 0.5
for i in 1 2 3 4; do
  in_ns "c$i" timeout 60 socat -u "OPEN:$WORK/data" "TCP:10.77.0.1:$((6000 + i))" &
  S1[$i]=$!; PIDS+=("$!")
  in_ns srv timeout 60 socat -u "OPEN:$WORK/data" "TCP:${INNER[$i]}:7000" &
  S2[$i]=$!; PIDS+=("$!")
done
for i in 1 2 3 4; do
  wait "${S1[$i]}" || true; wait "${S2[$i]}" || true; wait "${UP[$i]}" || true; wait "${DOWN[$i]}" || true
  [ "$(sha256sum <"$WORK/up$i" | cut -d' ' -f1)" = "$want" ] && [ "$(sha256sum <"$WORK/down$i" | cut -d' ' -f1)" = "$want" ] \
    && pass "${NAMES[$i]}: 2 MB each way intact" || fail "${NAMES[$i]}: transfer corrupted or cut"
done

echo "     (inner packets handed between workers so far: $(py "[w['handed_in'] for w in d['server']['workers']]"))"

# Roaming: alpha (192.168.101.2, worker 0) moves to 192.168.106.2, a prefix the INITIAL hash
# gives to worker 1, in the middle of a transfer. DATA follows the route byte: same session.
# initial_worker() of apps/server/worker_steering.cpp, for 2 workers: the new prefix must be the
# other worker's, or this part shows nothing.
initial_worker() {
  python3 -c 'import sys; a = [int(x) for x in sys.argv[1].split(".")]
v = (a[0] << 24 | a[1] << 16 | a[2] << 8) * 0x9e3779b1 & 0xffffffff
print(((v >> 16) * 2) >> 16)' "$1"
}
[ "$(initial_worker 192.168.106.2)" = 1 ] && [ "$(initial_worker 192.168.101.2)" = 0 ] \
  || fail "the test's roaming addresses no longer hash to different workers"
for i in $(seq 1 40); do head -c 65536 /dev/urandom; done >"$WORK/paced"
want=$(sha256sum <"$WORK/paced" | cut -d' ' -f1)
in_ns srv timeout 60 socat -u TCP-LISTEN:5002,reuseaddr,bind=10.77.0.1 "OPEN:$WORK/roamed,creat,trunc" &
rx_pid=$!; PIDS+=("$rx_pid")
sleep 0.3
( for i in $(seq 0 39); do dd if="$WORK/paced" bs=65536 skip="$i" count=1 status=none; sleep 0.1; done ) \
  | in_ns c1 timeout 60 socat -u - TCP:10.77.0.1:5002 &
tx_pid=$!; PIDS+=("$tx_pid")
sleep 1.5
in_ns srv ip addr add 192.168.106.1/24 dev "uvt$$s1"
dev="uvt$$c1"
in_ns c1 sysctl -qw "net.ipv4.conf.$dev.promote_secondaries=1"
in_ns c1 ip addr add 192.168.106.2/24 dev "$dev"
in_ns c1 ip route add 192.168.101.1/32 dev "$dev" src 192.168.106.2
in_ns c1 ip addr del 192.168.101.2/24 dev "$dev"
wait "$tx_pid" || fail "sender failed"
wait "$rx_pid" || true
[ "$(sha256sum <"$WORK/roamed" | cut -d' ' -f1)" = "$want" ] && pass "transfer survived the address change" \
  || fail "transfer corrupted or cut ($(stat -c %s "$WORK/roamed") bytes)"
wait_log "$WORK/server.log" "client alpha roamed from 192\.168\.101\.2:[0-9]+ to 192\.168\.106\.2" 5 \
  && pass "server followed alpha to its new address" || fail "no roaming logged"
[ "$(count_log "$WORK/client1.log" "connected to")" -eq 1 ] && pass "alpha kept its session (no reconnect)" \
  || fail "alpha reconnected instead of roaming"
[ "$(worker alpha)" = 0 ] && pass "alpha stayed on worker 0" || fail "alpha is on worker $(worker alpha)"
wait_ping c1 10.77.0.1 5 && pass "alpha pings after roaming" || fail "alpha cannot ping after roaming"

# SIGHUP with a CRL revoking bravo (worker 1) and delta (worker 0).
openssl_revoke "$CA" bravo
openssl_revoke "$CA" delta
openssl_crl "$CA" >"$WORK/crl.pem"
kill -HUP "$SERVER_PID"
for n in bravo delta; do
  wait_log "$WORK/server.log" "client $n .*disconnected: certificate revoked" 5 \
    && pass "$n cut off after SIGHUP" || fail "$n not cut off"
done
sleep 2
in_ns c4 ping -c 2 -W 1 10.77.0.1 >/dev/null 2>&1 && fail "delta still passes traffic" || pass "delta passes no traffic"
for i in 1 3; do
  wait_ping "c$i" 10.77.0.1 3 && pass "${NAMES[$i]} survived the reload" || fail "${NAMES[$i]} lost its tunnel"
done
[ "$(py "sorted(s['identity'] for s in d['sessions'])")" = "['alpha', 'charlie']" ] \
  && [ "$(py "d['server']['sessions']")" = 2 ] && [ "$(py "sum(w['sessions'] for w in d['server']['workers'])")" = 2 ] \
  && pass "status after the reload: alpha and charlie, totals 2" || fail "status after reload: $(py "d['server']")"
wait_log "$WORK/server.log" "refused client.*certificate revoked" 10 \
  && pass "revoked clients' reconnections are refused" || fail "no refusal logged"

# SIGTERM: every worker's clients hear DISCONNECT.
stop_server
for i in 1 3; do
  wait_log "$WORK/client$i.log" "server shutting down" 5 && pass "${NAMES[$i]} told of the shutdown" \
    || fail "${NAMES[$i]} not told of the shutdown"
done
wait_log "$WORK/server.log" "stopped" 3 && pass "server stopped cleanly" || fail "server did not stop"
finish
