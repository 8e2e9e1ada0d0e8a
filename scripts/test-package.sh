#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The Debian packages (debian/): builds them from this tree with dpkg-buildpackage in a scratch
# directory, runs lintian (no errors allowed; warnings are printed), checks each package's file
# list against what it must and may contain, installs them with dpkg -i, runs the installed
# programs (udpvpn-server --version from /usr/sbin, a C program built with pkg-config against
# libudpvpn-dev), then purges them again. Exit 77 (skipped) without root or the build tools
# (scripts/install-deps.sh installs them), or when udpvpn packages are installed already.
# DEB_BUILD_OPTIONS defaults to "nocheck parallel=2": the meson suite covers the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
skip() { echo "PACKAGE: SKIPPED ($*)"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root for dpkg -i"
for tool in dpkg-buildpackage dh lintian git; do command -v "$tool" >/dev/null || skip "needs $tool"; done
git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 || skip "needs a git checkout (its file list is the source)"

PACKAGES=(udpvpn-server udpvpn-client udpvpn-tools udpvpn-common libudpvpn1 libudpvpn-dev)
for p in "${PACKAGES[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    skip "$p is installed on this machine already; this check does not replace it"
  fi
done

VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
ARCH=$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
# A fixed scratch path: the compiler flags (and so ccache's hashes) stay the same from run to run.
OUT=${UDPVPN_PACKAGE_DIR:-/tmp/udpvpn-package}
TREE="$OUT/udpvpn-$VERSION"
FAILURES=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILURES=$((FAILURES + 1)); }
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then
    dpkg --purge "${PACKAGES[@]}" >"$OUT/purge.log" 2>&1 || { echo "FAIL - dpkg --purge:"; cat "$OUT/purge.log"; }
  fi
}
trap cleanup EXIT

# The source: the files git knows (committed or not, untracked ones not ignored), nothing built.
rm -rf "$OUT"
mkdir -p "$TREE"
git -C "$SRC" ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$SRC/$f" ] && printf '%s\0' "$f"; done |
  tar -C "$SRC" --null -T - -cf - | tar -C "$TREE" -xf -

start=$(date +%s)
export CCACHE_BASEDIR="$OUT" CCACHE_NOHASHDIR=true
# debhelper gives the build a HOME of its own: name the usual ccache directory, or every
# package build would start with an empty cache.
if command -v ccache >/dev/null; then export CCACHE_DIR=${CCACHE_DIR:-$(ccache -k cache_dir)}; fi
if (cd "$TREE" && DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-"nocheck parallel=2"} dpkg-buildpackage -b -uc -us) \
    >"$OUT/build.log" 2>&1; then
  pass "dpkg-buildpackage -b -uc -us ($(( $(date +%s) - start )) s)"
else
  tail -n 40 "$OUT/build.log"
  echo "FAIL - dpkg-buildpackage (log: $OUT/build.log)"
  exit 1
fi

deb() { echo "$OUT/${1}_${VERSION}_$( [ "$1" = udpvpn-common ] && echo all || echo "$ARCH").deb"; }
for p in "${PACKAGES[@]}"; do [ -f "$(deb "$p")" ] && pass "built $(basename "$(deb "$p")")" || fail "no $(deb "$p")"; done
[ "$FAILURES" = 0 ] || exit 1

# lintian: errors fail the check, warnings and the rest are listed.
lintian --fail-on error --display-level '>=info' "$OUT/udpvpn_${VERSION}_${ARCH}.changes" >"$OUT/lintian.log" 2>&1 &&
  pass "lintian: no errors ($(grep -c '^W:' "$OUT/lintian.log" || true) warnings, $(grep -c '^I:' "$OUT/lintian.log" || true) infos)" ||
  fail "lintian found errors"
sed 's/^/    /' "$OUT/lintian.log"

# check_files PACKAGE REQUIRED_REGEX... -- ALLOWED_REGEX...: every required pattern matches a file
# of the package, and every file (not directory) matches a required or an allowed pattern.
check_files() {
  local p=$1; shift
  local required=() allowed=() in_allowed=0 re f ok
  for re in "$@"; do
    if [ "$re" = -- ]; then in_allowed=1; continue; fi
    if [ "$in_allowed" = 1 ]; then allowed+=("$re"); else required+=("$re"); fi
  done
  # Everything in /usr/share/doc/<package> (copyright, changelog) is always allowed.
  allowed+=("^/usr/share/doc/$p/(copyright|changelog\\.gz)\$")
  local files
  files=$(dpkg-deb -c "$(deb "$p")" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|')
  ok=1
  for re in "${required[@]}"; do
    grep -qE "$re" <<<"$files" || { fail "$p lacks $re"; ok=0; }
  done
  while IFS= read -r f; do
    [ -n "$f" ] || continue
    local match=0
    for re in "${required[@]}" "${allowed[@]}"; do [[ "$f" =~ $re ]] && { match=1; break; }; done
    [ "$match" = 1 ] || { fail "$p holds $f, which it should not"; ok=0; }
  done <<<"$files"
  [ "$ok" = 1 ] && pass "$p: $(wc -l <<<"$files") files, as it should"
  return 0
}
L="/usr/lib/$MULTIARCH"
check_files udpvpn-server '^/usr/sbin/udpvpn-server$' '^/lib/systemd/system/udpvpn-server@\.service$' \
  '^/usr/share/man/man8/udpvpn-server\.8\.gz$'
check_files udpvpn-client '^/usr/sbin/udpvpn-client$' '^/lib/systemd/system/udpvpn-client@\.service$' \
  '^/usr/share/man/man8/udpvpn-client\.8\.gz$'
check_files udpvpn-tools '^/usr/sbin/udpvpnctl$' '^/usr/bin/udpvpn-pki$' '^/usr/share/man/man8/udpvpnctl\.8\.gz$' \
  '^/usr/share/man/man1/udpvpn-pki\.1\.gz$' '^/usr/bin/udpvpn-conformance$' '^/usr/share/man/man1/udpvpn-conformance\.1\.gz$' \
  '^/usr/share/udpvpn/conformance/udpvpn_conformance/cli\.py$' -- '^/usr/share/udpvpn/conformance/udpvpn_conformance/[a-z_]+\.py$'
check_files udpvpn-common '^/usr/share/man/man5/udpvpn\.conf\.5\.gz$' '^/usr/share/doc/udpvpn/examples/server\.toml$' \
  '^/usr/share/doc/udpvpn/examples/client\.toml$'
check_files libudpvpn1 "^$L/libudpvpn\\.so\\.1\$" "^$L/libudpvpn\\.so\\.1\\.[0-9.]+\$"
check_files libudpvpn-dev '^/usr/include/udpvpn\.h$' "^$L/libudpvpn\\.so\$" "^$L/pkgconfig/udpvpn\\.pc\$"
soname=$(dpkg-deb -I "$(deb libudpvpn1)" shlibs 2>/dev/null || true)
[[ "$soname" == "libudpvpn 1 libudpvpn1"* ]] && pass "libudpvpn1 shlibs: $soname" || fail "libudpvpn1 shlibs: '$soname'"
dpkg-deb -I "$(deb libudpvpn1)" symbols >/dev/null 2>&1 && pass "libudpvpn1 has a symbols file" || fail "libudpvpn1 has no symbols file"

# Install, run, inspect.
installed=1
if dpkg -i "$(deb udpvpn-common)" "$(deb libudpvpn1)" "$(deb libudpvpn-dev)" "$(deb udpvpn-server)" \
    "$(deb udpvpn-client)" "$(deb udpvpn-tools)" >"$OUT/install.log" 2>&1; then
  pass "dpkg -i of the six packages"
else
  cat "$OUT/install.log"; fail "dpkg -i"
fi
v=$(/usr/sbin/udpvpn-server --version 2>&1) && [[ "$v" == *"${VERSION%%-*}"* ]] &&
  pass "/usr/sbin/udpvpn-server --version: $v" || fail "/usr/sbin/udpvpn-server --version: $v"
[ "$(dpkg -S /usr/sbin/udpvpn-server 2>/dev/null | cut -d: -f1)" = udpvpn-server ] &&
  pass "/usr/sbin/udpvpn-server belongs to udpvpn-server" || fail "dpkg -S /usr/sbin/udpvpn-server"
for prog in /usr/sbin/udpvpn-client /usr/sbin/udpvpnctl /usr/bin/udpvpn-pki; do
  v=$("$prog" --version 2>&1) && pass "$prog --version: $v" || fail "$prog --version: $v"
done
# The conformance tool finds its Python package where udpvpn-tools put it.
/usr/bin/udpvpn-conformance --help >"$OUT/conformance.log" 2>&1 && pass "/usr/bin/udpvpn-conformance --help" ||
  fail "/usr/bin/udpvpn-conformance --help: $(head -c 300 "$OUT/conformance.log")"
grep -q '^ExecStart=/usr/sbin/udpvpn-server ' /lib/systemd/system/udpvpn-server@.service &&
  pass "the server unit starts /usr/sbin/udpvpn-server" || fail "udpvpn-server@.service ExecStart"
man -w udpvpn.conf >/dev/null 2>&1 || [ -f /usr/share/man/man5/udpvpn.conf.5.gz ] &&
  pass "udpvpn.conf(5) installed" || fail "udpvpn.conf(5) missing"
# libudpvpn-dev: a C program built with nothing but pkg-config, against the installed library.
flags=$(pkg-config --cflags --libs udpvpn 2>&1) && [ "$(pkg-config --modversion udpvpn)" = "${VERSION%%-*}" ] &&
  pass "pkg-config udpvpn: $flags" || fail "pkg-config udpvpn: $flags"
if cc -std=c11 -Wall -Werror -o "$OUT/installed_program" "$SRC/bindings/c/tests/installed_program.c" $flags \
    >"$OUT/cc.log" 2>&1 && UDPVPN_TEST_PKI="$SRC/tests/pki" "$OUT/installed_program" >"$OUT/program.log" 2>&1; then
  pass "a C program links and runs against the installed libudpvpn.so.1"
else
  cat "$OUT/cc.log" "$OUT/program.log"; fail "C program against libudpvpn-dev"
fi
[ "$(objdump -p "$L/libudpvpn.so.1" | awk '/SONAME/ {print $2}')" = libudpvpn.so.1 ] &&
  pass "SONAME libudpvpn.so.1" || fail "SONAME of $L/libudpvpn.so.1"

cleanup
installed=0
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && fail "$p still installed after purge"
done
[ -e /usr/sbin/udpvpn-server ] && fail "/usr/sbin/udpvpn-server left after purge" || pass "purged again"

if [ "$FAILURES" -ne 0 ]; then echo "PACKAGE: FAIL ($FAILURES failures, logs in $OUT)"; exit 1; fi
rm -rf "$TREE"   # the copied source and its build; the packages and logs stay in $OUT
echo "PACKAGE: PASS ($OUT/*.deb)"
