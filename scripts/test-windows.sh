#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Windows x86_64 build and tests, from this Debian machine: cross-compiles udpvpn with
# MinGW-w64 (cross/mingw64.ini), runs the unit and simulation tests under wine, runs
# udpvpn-client.exe under wine against the Linux udpvpn-server (tests/windows/interop.py), and
# checks that every shipped .exe/.dll imports only DLLs that come with Windows.
# Exit: 0 passed, 77 skipped (mingw or wine cannot be installed: says why), other = failure.
# Environment: BUILD_WIN (build-win64), LINUX_BUILD (build), PREFIX (/var/tmp/win64-prefix),
# WINEPREFIX.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_WIN=${BUILD_WIN:-build-win64}
PREFIX=${PREFIX:-/var/tmp/win64-prefix}
t0=$(date +%s)
say() { echo "[test-windows] $*"; }
skip() { echo "WINDOWS: SKIPPED ($*)"; exit 77; }
lap() { local now; now=$(date +%s); say "$(printf '%-34s %4ds' "$1" $((now - $2)))"; }

# --- 1. packages -----------------------------------------------------------------------------
s=$t0
pkgs=(g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64
      wine wine64 meson ninja-build pkg-config libasio-dev doctest-dev
      autoconf automake libtool make perl dpkg-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || skip "no apt-get to install ${missing[*]}"
  [[ $(id -u) == 0 ]] || skip "not root: cannot install ${missing[*]}"
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=900 --no-install-recommends \
      --no-upgrade "${missing[@]}" >/dev/null; } || skip "apt-get could not install ${missing[*]}"
fi
command -v x86_64-w64-mingw32-g++-posix >/dev/null || skip "x86_64-w64-mingw32-g++-posix not available"
[[ -x /usr/lib/wine/wine64 ]] || skip "/usr/lib/wine/wine64 not available"
lap "packages" "$s"

# --- 2. static libsodium + OpenSSL for Windows (cached) --------------------------------------
s=$(date +%s)
PREFIX=$PREFIX ./scripts/build-windows-deps.sh
lap "dependencies" "$s"

# --- 3. wine environment ---------------------------------------------------------------------
# Own prefix outside $HOME (it must belong to the user running wine); never install Mono/Gecko;
# hide the no-display noise but keep err:module (a missing DLL).
export WINEPREFIX=${WINEPREFIX:-/var/tmp/udpvpn-wine-$(id -u)}
export WINEDLLOVERRIDES='mscoree,mshtml='
export WINEDEBUG=${WINEDEBUG:-fixme-all,err-winediag,err-systray,err-ole}
s=$(date +%s)
if [[ ! -e $WINEPREFIX/system.reg ]]; then
  /usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || skip "wine cannot create its prefix $WINEPREFIX"
  /usr/lib/wine/wine64 winecfg -v win10 >/dev/null 2>&1 || true   # report Windows 10, not wine's default 7
fi
# Keep one wineserver up for the whole run and let one process finish wine's start-up (services,
# devices) first: tests that start together on a cold wineserver were seen to hang until timeout.
/usr/lib/wine/wineserver -p 120 2>/dev/null || true   # fails harmlessly if one is already up
/usr/lib/wine/wine64 cmd.exe /c ver >/dev/null 2>&1 || skip "wine cannot run a Windows program here"
lap "wine start" "$s"

# --- 4. build ---------------------------------------------------------------------------------
s=$(date +%s)
cross=(--cross-file cross/mingw64.ini)
if [[ $PREFIX != /var/tmp/win64-prefix ]]; then
  extra=${TMPDIR:-/tmp}/udpvpn-win64-prefix-$(id -u).ini
  printf "[constants]\nprefix = '%s'\n" "$PREFIX" >"$extra"   # a later cross file's constants win
  cross+=(--cross-file "$extra")
fi
# The cross file's built-in options are read at setup only: set up afresh when it changed.
cross_sum=$(cat cross/mingw64.ini "${cross[@]:3}" 2>/dev/null | sha256sum | cut -c1-16)
if [[ ! -f $BUILD_WIN/build.ninja || "$(cat "$BUILD_WIN/.cross-sum" 2>/dev/null)" != "$cross_sum" ]]; then
  meson setup --wipe "$BUILD_WIN" "${cross[@]}" -Dapps=true -De2e=false -Dfuzz=false 2>/dev/null ||
    { rm -rf "$BUILD_WIN"; meson setup "$BUILD_WIN" "${cross[@]}" -Dapps=true -De2e=false -Dfuzz=false; }
  echo "$cross_sum" >"$BUILD_WIN/.cross-sum"
fi
nice ninja -C "$BUILD_WIN"
lap "cross build" "$s"

# --- 5. tests under wine ------------------------------------------------------------------------
s=$(date +%s)
meson test -C "$BUILD_WIN" --print-errorlogs --num-processes 2 --no-rebuild
lap "meson test under wine" "$s"

# --- 6. interop: udpvpn-client.exe under wine against the native Linux udpvpn-server ------------
# Both on the loopback test backend (tests/windows/interop.py says what it checks). The Linux
# server comes from the Linux build (LINUX_BUILD, default build/, as the README test command).
s=$(date +%s)
LINUX_BUILD=${LINUX_BUILD:-build}
if [[ ! -f $LINUX_BUILD/build.ninja ]]; then
  meson setup "$LINUX_BUILD" >/dev/null
fi
nice ninja -C "$LINUX_BUILD" apps/udpvpn-server
UDPVPN_SERVER=$PWD/$LINUX_BUILD/apps/udpvpn-server \
UDPVPN_CLIENT_EXE=$PWD/$BUILD_WIN/apps/udpvpn-client.exe \
UDPVPN_TEST_PKI=$PWD/tests/pki WINE=/usr/lib/wine/wine64 \
  timeout 300 python3 tests/windows/interop.py
lap "interop under wine" "$s"

# --- 7. every shipped PE file imports only Windows DLLs ----------------------------------------
mapfile -t pe < <(find "$BUILD_WIN" -type f \( -name '*.exe' -o -name '*.dll' \) -not -path '*/meson-*' | sort)
((${#pe[@]})) || { echo "no .exe/.dll built"; exit 1; }
OBJDUMP=x86_64-w64-mingw32-objdump ./scripts/check-imports.sh "${pe[@]}"

lap "total" "$t0"
echo "WINDOWS: PASS (${#pe[@]} PE files, tests and interop under wine)"
