#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# meson test suite 'ppp': boots a kernel with PPP under QEMU (tests/ppp/run-in-vm.sh) and runs
# tests/ppp/inside-vm.sh there. Exit 77 (skipped, with the reason) when this host cannot.
#   ppp-vm-test.sh PPP_RELAY [UDPVPN_SERVER UDPVPN_CLIENT PKI_DIR]
set -u
here=$(cd "$(dirname "$0")" && pwd)
RELAY=$(realpath "${1:?usage: ppp-vm-test.sh PPP_RELAY}")
skip() { echo "SKIP: PPP VM test: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (QEMU exports the host's / over 9p; the guest runs pppd as root)"
export PATH="$PATH:/usr/sbin:/sbin"
missing=""
command -v qemu-system-x86_64 >/dev/null || missing="$missing qemu-system-x86"
command -v pppd >/dev/null || missing="$missing ppp"
command -v socat >/dev/null || missing="$missing socat"
command -v ping >/dev/null || missing="$missing iputils-ping"
command -v xz >/dev/null || missing="$missing xz-utils"
{ [ -x /usr/bin/busybox ] && ! ldd /usr/bin/busybox >/dev/null 2>&1; } || missing="$missing busybox-static"
[ -z "$missing" ] || skip "missing packages:$missing (scripts/install-deps.sh installs them)"
[ -x "$RELAY" ] || skip "ppp_relay not built: $RELAY"
VPN=()
if [ $# -ge 4 ]; then
  for b in "$2" "$3"; do [ -x "$b" ] || skip "not built: $b"; done
  command -v python3 >/dev/null || skip "missing packages: python3"
  VPN=("$(realpath "$2")" "$(realpath "$3")" "$(realpath "$4")")
fi

# Folder shared read-write with the guest; the guest sees the rest of / read-only, except /tmp,
# /run and /dev/shm, which start empty there. A checkout under one of those (CI clones into /tmp)
# is shared itself, so the guest finds these scripts and the freshly built binaries.
RUN=$(mktemp -d /var/tmp/udpvpn-ppp-test.XXXXXX)
trap 'rm -rf "$RUN"' EXIT
share="$RUN"
case "$here $RELAY" in
  */tmp/*|*/run/*|*/dev/shm/*)
    # the longest common prefix directory of the source and the build tree
    a=$(cd "$here/../.." && pwd) b=$(dirname "$RELAY")
    while [ "${b#"$a"/}" = "$b" ] && [ "$b" != "$a" ]; do a=$(dirname "$a"); done
    [ "$a" != / ] || skip "source ($here) and build ($RELAY) share no folder to export to the guest"
    share="$a" ;;
esac
t0=$(date +%s.%N)
"$here/run-in-vm.sh" "$share" -- bash "$here/inside-vm.sh" "$RELAY" "${VPN[@]}"
rc=$?
echo "PPP VM test: exit $rc, wall time $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s (boot + checks)"
case $rc in
  77) ;;
  124) echo "FAIL: the VM timed out" ;;
  125) echo "FAIL: the VM did not run the checks (see above)" ;;
esac
exit $rc
