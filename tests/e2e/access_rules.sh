#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Access rules (issue 14), with real traffic: alice reaches only 10.77.0.1:22/tcp, bob everything
# behind the server, the group "ops" (carol's certificate: OU=ops) reaches the other clients and
# nobody else does. Every rule's counter in `udpvpnctl status` grows by exactly what the sending
# client's tunnel device sent (its own counters). A SIGHUP gives alice port 80 without dropping a
# session. IPv4 only inside the tunnel, IPv6 off in the client namespaces: the tunnel devices then
# carry nothing but the test's packets, so the counts are exact (IPv6 rules: apps_access_rules).
source "$(dirname "$0")/lib.sh"
require_env ping socat python3 openssl
CTL=${UDPVPN_CTL:-$SRC_ROOT/build/tools/udpvpnctl}
[ -x "$CTL" ] || skip "udpvpnctl not built ($CTL)"
setup_net 4
CA="$WORK/ca"
make_openssl_ca "$CA"
openssl_issue "$CA" alice client alice
openssl_issue "$CA" bob client bob "" ec
openssl_issue "$CA" carol client "carol/OU=ops"   # subject CN=carol, OU=ops
openssl_issue "$CA" dave client dave
openssl x509 -in "$CA/carol.crt" -noout -subject | grep -q "OU = ops" || die "carol's certificate has no OU=ops"
cat "$TEST_PKI/ca.crt" "$CA/ca.crt" >"$WORK/cas.pem"

rules() {   # rules [extra alice ports]: the [[access.rule]] list
  cat <<EOT
[clients.alice]
ipv4 = "10.77.0.10"
[clients.bob]
ipv4 = "10.77.0.11"
[clients.carol]
ipv4 = "10.77.0.12"
[clients.dave]
ipv4 = "10.77.0.13"
[[access.rule]]
name = "alice-ssh"
identity = ["alice"]
action = "allow"
protocol = "tcp"
to = ["10.77.0.1/32"]
ports = [22$1]
[[access.rule]]
name = "bob-all"
identity = ["bob"]
action = "allow"
[[access.rule]]
name = "ops-clients"
group = ["ops"]
action = "allow"
to_clients = true
EOT
}
write_config() {
  SERVER_CA="$WORK/cas.pem" write_server_config "$WORK/server.toml"
  sed -i -e '/^\[tunnel\]/a client_to_client = true' -e 's/^ipv6_pool.*/ipv6_pool = ""/' "$WORK/server.toml"
  rules "$1" >>"$WORK/server.toml"
}
write_config ""
"$SERVER_BIN" --config "$WORK/server.toml" --check-config >"$WORK/check.out" 2>&1 \
  && pass "--check-config accepts the rules" || fail "--check-config: $(cat "$WORK/check.out")"

# TCP listeners answering "hi": the server side on 22 and 80, every client on 5001.
listener() {   # listener NS PORT
  ip netns exec "$(ns "$1")" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(b"hi"); c.close()
' "$2" >/dev/null 2>&1 &
  PIDS+=("$!")
}
listener srv 22
listener srv 80
for i in 1 2 3 4; do
  in_ns "c$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  listener "c$i" 5001
done

start_server "$WORK/server.toml"
grep -q "access rules: 3, default deny" "$WORK/server.log" && pass "server logs its 3 rules, default deny" \
  || fail "no 'access rules: 3, default deny' in the log"
NAMES=(x alice bob carol dave)
for i in 1 2 3 4; do
  write_client_config "$WORK/client$i.toml" "$CA/${NAMES[$i]}.crt" "$CA/${NAMES[$i]}.key" "192.168.$((100 + i)).1:51820"
  start_client "$i" "$WORK/client$i.toml"
done
for i in 1 2 3 4; do wait_log "$WORK/client$i.log" "configured uvt0" 10 || die "client $i (${NAMES[$i]}) not configured"; done
sleep 1
declare -A ADDR=([alice]=10.77.0.10 [bob]=10.77.0.11 [carol]=10.77.0.12 [dave]=10.77.0.13)
declare -A NSOF=([alice]=c1 [bob]=c2 [carol]=c3 [dave]=c4)

# Counters: `udpvpnctl status` (RULE ACTION PACKETS BYTES rows) and the client's tunnel device.
ctl_status() { in_ns srv "$CTL" --socket "$WORK/server.sock" status; }
rule_count() { ctl_status | awk -v r="$1" '$1 == r && ($2 == "allow" || $2 == "deny") { print $3, $4 }'; }
tx() { in_ns "$1" cat /sys/class/net/uvt0/statistics/tx_packets /sys/class/net/uvt0/statistics/tx_bytes | paste -sd' '; }
sub() { echo "$(( ${1% *} - ${2% *} )) $(( ${1#* } - ${2#* } ))"; }

# counted WHO RULE WHAT CMD...: CMD's traffic from WHO is what RULE counts, to the packet and byte.
counted() {
  local who=$1 rule=$2 what=$3; shift 3
  local n=${NSOF[$who]} t0 r0 t1 r1
  t0=$(tx "$n"); r0=$(rule_count "$rule")
  "$@" || true
  sleep 0.3
  t1=$(tx "$n"); r1=$(rule_count "$rule")
  local sent got
  sent=$(sub "$t1" "$t0"); got=$(sub "$r1" "$r0")
  if [ "$sent" = "$got" ] && [ "${sent% *}" -gt 0 ]; then pass "$what: rule $rule counted $got (packets bytes), as sent"
  else fail "$what: rule $rule counted '$got', $who's tunnel sent '$sent'"; fi
}

pings() { in_ns "${NSOF[$1]}" ping -c "$3" -i 0.2 -W 1 "$2" >/dev/null 2>&1; }   # exactly $3 requests
tcp() {   # tcp WHO ADDR PORT: a connection that gets the listener's "hi"
  in_ns "${NSOF[$1]}" python3 -c '
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
    sys.exit(0 if s.recv(2) == b"hi" else 1)
except OSError:
    sys.exit(1)
' "$2" "$3"
}
expect() {   # expect ok|refused WHAT CMD...
  local want=$1 what=$2; shift 2
  if "$@"; then [ "$want" = ok ] && pass "$what" || fail "$what: got through"
  else [ "$want" = refused ] && pass "$what" || fail "$what: no answer"; fi
}

# 1. Pings: exact counts (84-byte packets) on the rule, the default or the replies.
counted bob bob-all "bob pings the server" expect ok "bob pings 10.77.0.1" pings bob 10.77.0.1 4
r=$(rule_count bob-all); [ "$r" = "4 336" ] && pass "bob-all: 4 packets 336 bytes" || fail "bob-all: $r, want 4 336"
counted alice "(default)" "alice pings the server" expect refused "alice cannot ping 10.77.0.1" pings alice 10.77.0.1 3
counted dave "(default)" "dave pings the server" expect refused "dave (no rule) cannot ping 10.77.0.1" pings dave 10.77.0.1 2
for to in alice bob dave; do
  counted carol ops-clients "carol pings $to" expect ok "carol (ops) pings $to" pings carol "${ADDR[$to]}" 2
done
r=$(rule_count ops-clients); [ "$r" = "6 504" ] && pass "ops-clients: 6 packets 504 bytes" || fail "ops-clients: $r, want 6 504"
r=$(rule_count "(replies)"); [ "$r" = "6 504" ] && pass "replies to ops: 6 packets 504 bytes" || fail "replies: $r, want 6 504"
for from in alice bob dave; do
  for to in alice bob carol dave; do
    [ "$from" = "$to" ] && continue
    counted "$from" "(default)" "$from pings $to" expect refused "$from cannot ping $to" pings "$from" "${ADDR[$to]}" 1
  done
done
r=$(rule_count "(default)"); [ "$r" = "14 1176" ] && pass "default deny: 14 packets 1176 bytes" || fail "default: $r, want 14 1176"

# 2. TCP: alice only port 22 of the server; bob both; ops reach the clients' port 5001.
counted alice alice-ssh "alice connects to :22" expect ok "alice reaches 10.77.0.1:22/tcp" tcp alice 10.77.0.1 22
counted alice "(default)" "alice tries :80" expect refused "alice cannot reach 10.77.0.1:80/tcp" tcp alice 10.77.0.1 80
counted bob bob-all "bob connects to :22" expect ok "bob reaches 10.77.0.1:22/tcp" tcp bob 10.77.0.1 22
counted bob bob-all "bob connects to :80" expect ok "bob reaches 10.77.0.1:80/tcp" tcp bob 10.77.0.1 80
counted carol ops-clients "carol connects to alice" expect ok "carol (ops) reaches alice:5001/tcp" tcp carol "${ADDR[alice]}" 5001
counted dave "(default)" "dave tries carol" expect refused "dave cannot reach carol:5001/tcp" tcp dave "${ADDR[carol]}" 5001
counted bob "(default)" "bob tries dave" expect refused "bob cannot reach dave:5001/tcp" tcp bob "${ADDR[dave]}" 5001
expect refused "carol (ops, no rule to the server) cannot reach 10.77.0.1:22" tcp carol 10.77.0.1 22

# 3. SIGHUP: alice gains port 80; no session is dropped or replaced.
s=$(status)
declare -A SID
for who in alice bob carol dave; do SID[$who]=$(json_field "$s" "$who" session); done
before_ssh=$(rule_count alice-ssh)
write_config ', 80'
kill -HUP "$SERVER_PID"
wait_log "$WORK/server.log" "reload done" 5 || fail "no 'reload done' after SIGHUP"
expect ok "after the reload alice reaches 10.77.0.1:80/tcp" tcp alice 10.77.0.1 80
s=$(status)
for who in alice bob carol dave; do
  [ "$(json_field "$s" "$who" session)" = "${SID[$who]}" ] && pass "$who keeps session ${SID[$who]} across the reload" \
    || fail "$who: session ${SID[$who]} became '$(json_field "$s" "$who" session)'"
done
[ "$(count_log "$WORK/server.log" "disconnected|reconnected|replaced")" -eq 0 ] && pass "no disconnect or reconnect in the server log" \
  || fail "sessions were dropped: $(grep -E 'disconnected|reconnected|replaced' "$WORK/server.log" | head -3)"
after=$(rule_count alice-ssh)
[ "${after% *}" -gt "${before_ssh% *}" ] && pass "alice-ssh kept its counter over the reload (${before_ssh% *} -> ${after% *})" \
  || fail "alice-ssh counter: $before_ssh -> $after"

# 4. A broken rule on reload: refused with the reason, the running rules stay.
sed -i 's/^action = "allow"$/action = "permit"/' "$WORK/server.toml"
kill -HUP "$SERVER_PID"
wait_log "$WORK/server.log" "reload refused.*access.rule.1.action" 5 && pass "a bad rule on reload is refused, naming it" \
  || fail "no 'reload refused ... access.rule.1.action' in the log"
expect ok "alice still reaches :80 under the kept rules" tcp alice 10.77.0.1 80
expect refused "dave still reaches nothing" tcp dave 10.77.0.1 22
"$SERVER_BIN" --config "$WORK/server.toml" --check-config >"$WORK/check.out" 2>&1 \
  && fail "--check-config accepted action = \"permit\"" \
  || { grep -q "access.rule.1.action" "$WORK/check.out" && pass "--check-config names the bad rule" || fail "check-config: $(cat "$WORK/check.out")"; }
ctl_status | sed -n '/^ACCESS RULE/,$p'
finish
