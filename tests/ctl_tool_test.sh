#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# udpvpnctl against a stand-in status socket (python3): table and JSON output, and clear errors when
# there is no server, the reply is bad, or the server never answers.
# Usage: ctl_tool_test.sh PATH/TO/udpvpnctl
set -euo pipefail
CTL=$(realpath "$1")
command -v python3 >/dev/null || { echo "python3 missing: skipped"; exit 77; }
WORK=$(mktemp -d)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
failures=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }

# serve MODE: answers every connection on $WORK/s.sock; records the request line in $WORK/request.
serve() {
  [ -n "$SERVER_PID" ] && { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; }
  rm -f "$WORK/s.sock" "$WORK/ready"
  python3 - "$WORK" "$1" <<'PY' &
import os, socket, sys, time
work, mode = sys.argv[1], sys.argv[2]
reply = {
  "ok": b'{"version":1,"server":{"listen":"[::]:51820","device":"udpvpn0","ipv4":"10.77.0.1/24","ipv6":"","pid":1,"uptime_s":61,"sessions":1,"client_to_client":false},"sessions":[{"session":"00000001","identity":"alice","fingerprint":"ab","inner_ipv4":"10.77.0.2","inner_ipv6":"fd77::2","outer":"192.0.2.10:40000","rx_bytes":2048,"rx_packets":2,"tx_bytes":4096,"tx_packets":3,"established_unix":1,"last_handshake_unix":1,"last_handshake_age_s":7,"cipher":"chacha20-poly1305","epoch":0}]}\n',
  "error": b'{"version":1,"error":"unknown command"}\n',
  "garbage": b'<html>\n',
}.get(mode)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(os.path.join(work, "s.sock")); s.listen(4)
open(os.path.join(work, "ready"), "w").close()
while True:
    c, _ = s.accept()
    req = b""
    while not req.endswith(b"\n"):
        d = c.recv(4096)
        if not d: break
        req += d
    open(os.path.join(work, "request"), "wb").write(req)
    if mode == "silent":
        time.sleep(30)
    elif reply is not None:
        c.sendall(reply)
    c.close()
PY
  SERVER_PID=$!
  for _ in $(seq 200); do [ -e "$WORK/ready" ] && return; sleep 0.05; done
  echo "stand-in server did not start"; exit 1
}
# run NAME EXPECTED_RC ARGS...: output in $WORK/out, errors in $WORK/err
run() {
  local what=$1 want=$2; shift 2
  local rc=0
  "$CTL" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  if [ "$rc" -eq "$want" ]; then pass "$what"; else fail "$what: rc=$rc (want $want), $(cat "$WORK/err")"; fi
}
has() { if grep -qE -- "$2" "$WORK/$1"; then pass "$3"; else fail "$3: $(cat "$WORK/$1")"; fi; }

serve ok
run "status prints a table" 0 status --socket "$WORK/s.sock"
has request '^\{"command":"status"\}$' "the request is the documented JSON line"
has out '^IDENTITY +INNER IPV4' "table header"
has out '^alice +10\.77\.0\.2 +fd77::2 +192\.0\.2\.10:40000 +2\.0 KiB +4\.0 KiB +2 +3 +7s ago +chacha20-poly1305 +-$' \
  "one row with the session's fields"
has out 'udpvpn-server on \[::\]:51820' "server line"
run "--socket before the command works too" 0 --socket "$WORK/s.sock" status
run "status --json" 0 status --json --socket "$WORK/s.sock"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["sessions"][0]["rx_bytes"]==2048' "$WORK/out" 2>/dev/null; then
  pass "--json prints the reply as valid JSON"; else fail "--json output: $(cat "$WORK/out")"; fi
UDPVPN_STATUS_SOCKET="$WORK/s.sock" run "the socket can come from the environment" 0 status

serve error
run "an error reply fails" 1 status --socket "$WORK/s.sock"
has err 'server answered: unknown command' "and shows the server's message"
serve garbage
run "a non-JSON reply fails" 1 status --socket "$WORK/s.sock"
has err 'malformed status reply' "and says the reply is malformed"
serve silent
run "a server that never answers times out" 1 status --socket "$WORK/s.sock" --timeout 1
has err 'no answer' "and says so"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=

run "no server: clear error" 1 status --socket "$WORK/none.sock"
has err 'is udpvpn-server running' "with a hint"
run "unknown command: usage error" 2 frobnicate
run "no command: usage error" 2

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
