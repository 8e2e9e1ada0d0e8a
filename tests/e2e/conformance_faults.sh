#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The conformance suite can fail (issue 11): udpvpn-conformance against a udpvpn-server that breaks
# one requirement on purpose; the requirement that must catch the fault FAILs, and the suite exits
# non-zero.   conformance_faults.sh FAULT
# The server is built with -Dconformance_faults=true (scripts/test-all.sh makes it in build-faults/;
# $UDPVPN_FAULTS_SERVER names another) and takes the fault from $UDPVPN_CONFORMANCE_FAULT
# (include/udpvpn/conformance_fault.hpp). One server setup serves every check named below: the
# long RSA-4096 chain (its first flight exceeds 3 x one INITIAL, so the budget shows), the test
# CA's CRL (eve revoked), an admission key, a second client address, 64 sessions per identity. The run is restricted with
# --only to the catching requirement. FAULT "none": the same binary without a fault PASSes every
# requirement of the table, so a FAIL comes from the fault, not from the build or the setup
# (tests/e2e/conformance.sh runs the whole suite against the real server).
source "$(dirname "$0")/lib.sh"
SERVER_BIN=${UDPVPN_FAULTS_SERVER:-$SRC_ROOT/build-faults/apps/udpvpn-server}
TOOL=${UDPVPN_CONFORMANCE:-$SRC_ROOT/tools/conformance/udpvpn-conformance}
FAULT=${1:?usage: conformance_faults.sh FAULT}
unset UDPVPN_CONFORMANCE_FAULT   # only the server started below gets one

# The requirement of docs/rfc-draft.txt that catches each fault, and how its check sees it.
declare -A CAUGHT_BY=(
  [replay_check_off]=DATA-3             # a DATA counter sent again is accepted again
  [amplification_unlimited]=DOS-3       # the whole flight for one INITIAL: over 3x before validation
  [cookie_never_required]=DOS-9         # 24 INITIALs from one address within a second get no RETRY
  [client_finished_unverified]=HS-10    # a FINISHED with one bit flipped opens a session
  [client_cert_verify_unchecked]=HS-9   # a CERTIFICATE_VERIFY with one bit flipped is accepted
  [half_open_address_unchecked]=DOS-1   # a HANDSHAKE packet from a second address is processed
  [crl_ignored]=CERT-10                 # a client listed in the CRL gets a session
  [disconnect_code_wrong]=CTL-1         # DISCONNECT 0 where 11 (protocol violation) is due
  [admission_key_unchecked]=DOS-2       # INITIALs with a wrong admission MAC get answers
  [version_unchecked]=VER-1             # an INITIAL of version 2 gets a SERVER_HELLO
)
if [ "$FAULT" = none ]; then
  ids=$(printf '%s\n' "${CAUGHT_BY[@]}" | sort | paste -sd, -)
else
  ids=${CAUGHT_BY[$FAULT]:-}
  [ -n "$ids" ] || { echo "FAIL - unknown fault $FAULT (known: ${!CAUGHT_BY[*]})"; exit 1; }
fi
[ -x "$SERVER_BIN" ] || skip "no udpvpn-server built with -Dconformance_faults=true at $SERVER_BIN" \
  "(meson setup build-faults -Dconformance_faults=true && ninja -C build-faults apps/udpvpn-server)"
[ -x "$TOOL" ] || skip "no udpvpn-conformance at $TOOL"
require_env
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || skip "needs python3-cryptography"

setup_net 1
in_ns c1 ip addr add 192.168.101.3/24 dev "uvt$$c1"
CERTS="$WORK/certs"
mkdir -p "$CERTS"
ln -s "$TEST_PKI/client_revoked.crt" "$CERTS/revoked.crt"
ln -s "$TEST_PKI/client_revoked.key" "$CERTS/revoked.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/admission.key"
chmod 600 "$WORK/admission.key"
SERVER_CERT=$TEST_PKI/long_server.crt SERVER_KEY=$TEST_PKI/long_server.key SERVER_CRL=$TEST_PKI/crl.pem \
  write_server_config "$WORK/server.toml"
sed -i -e "s|^\[pki\]$|[pki]\nadmission_key = \"$WORK/admission.key\"|" \
  -e 's/^\[server\]$/[server]\nmax_sessions_per_identity = 64/' "$WORK/server.toml"   # udpvpn-conformance(1)
if [ "$FAULT" = none ]; then
  start_server "$WORK/server.toml"
else
  UDPVPN_CONFORMANCE_FAULT=$FAULT start_server "$WORK/server.toml"
  grep -q "UDPVPN_CONFORMANCE_FAULT=$FAULT: this server is DELIBERATELY BROKEN" "$WORK/server.log" \
    || die "the server did not take the fault $FAULT"
fi

set +e
in_ns c1 "$TOOL" --server 192.168.101.1:51820 --ca "$TEST_PKI/long_ca.crt" \
  --cert "$TEST_PKI/client.crt" --key "$TEST_PKI/client.key" --admission-key "$WORK/admission.key" \
  --cert-dir "$CERTS" --bind 192.168.101.2 --other-address 192.168.101.3 --only "$ids" >"$WORK/suite.out" 2>&1
rc=$?
set -e
echo "# udpvpn-conformance --only $ids against udpvpn-server, fault: $FAULT"
sed 's/^/     /' "$WORK/suite.out"
# The suite's lines: STATUS ID SECTION DETAIL (udpvpn-conformance(1)).
status_of() { awk -v id="$1" '$2 == id && $1 ~ /^(PASS|FAIL|NOT-TESTABLE)$/ { print $1; exit }' "$WORK/suite.out"; }
if [ "$FAULT" = none ]; then
  [ "$rc" -eq 0 ] && pass "no fault: the suite exits 0" || fail "no fault: the suite exits $rc"
  for id in ${ids//,/ }; do
    s=$(status_of "$id")
    [ "$s" = PASS ] && pass "no fault: $id PASS" || fail "no fault: $id ${s:-has no line}"
  done
else
  s=$(status_of "$ids")
  [ "$s" = FAIL ] && pass "$FAULT caught by $ids (FAIL)" || fail "$FAULT not caught: $ids ${s:-has no line}"
  # A check that stopped on an exception of its own is no finding about the server.
  ! grep -qE "^FAIL +$ids .*the check stopped" "$WORK/suite.out" || fail "$FAULT: the check of $ids crashed"
  [ "$rc" -ne 0 ] && pass "$FAULT: the suite exits $rc" || fail "$FAULT: the suite exits 0"
fi
finish
