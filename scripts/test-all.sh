#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's test command: installs what is missing, builds, runs every test, then checks the
# Debian packages (scripts/test-package.sh).
# Then the Windows build under wine (scripts/test-windows.sh), which may only be SKIPPED
# where mingw-w64 or wine cannot be installed. WINDOWS=0 leaves it out.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD=${BUILD:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD"
ninja -C "$BUILD"
# The deliberately broken servers the conformance suite must FAIL (suite "conformance",
# tests/e2e/conformance_faults.sh): udpvpn-server alone, in a test-only build of its own
# (unoptimized: a third less compile time, and the checks do not measure speed).
FAULTS_BUILD=${FAULTS_BUILD:-build-faults}
[ -f "$FAULTS_BUILD/build.ninja" ] || meson setup "$FAULTS_BUILD" --buildtype=debug -Dconformance_faults=true -Dbindings=false -De2e=false
ninja -C "$FAULTS_BUILD" apps/udpvpn-server tests/conformance_fault_hooks_test
meson test -C "$FAULTS_BUILD" --no-rebuild --print-errorlogs conformance_fault_hooks
export UDPVPN_FAULTS_SERVER="$(cd "$FAULTS_BUILD" && pwd)/apps/udpvpn-server"
meson test -C "$BUILD" --print-errorlogs --num-processes 2
echo "LINUX: PASS"
# The unit suite (simulation and fuzz corpus replay included) under ASan+UBSan, and a short run of
# every fuzz target, from one clang build directory (build-asan; fuzz/README.md).
./scripts/test-fuzz.sh

# The Debian packages: build, lintian, file lists, dpkg -i, run, purge (about 4 CPU minutes).
# PACKAGE=0 leaves it out; it skips itself (77) where it cannot run.
if [ "${PACKAGE:-1}" != 0 ]; then
  rc=0
  ./scripts/test-package.sh || rc=$?
  case $rc in
    0|77) ;;                               # it printed "PACKAGE: PASS" or "PACKAGE: SKIPPED (reason)"
    *) echo "PACKAGE: FAIL (scripts/test-package.sh exit $rc)"; exit "$rc" ;;
  esac
else
  echo "PACKAGE: SKIPPED (PACKAGE=0 in the environment)"
fi

if [ "${WINDOWS:-1}" = 0 ]; then
  echo "WINDOWS: SKIPPED (WINDOWS=0 in the environment)"
  exit 0
fi
rc=0
LINUX_BUILD=$BUILD ./scripts/test-windows.sh || rc=$?
case $rc in
  0) ;;                                    # test-windows.sh printed "WINDOWS: PASS"
  77) ;;                                   # it printed "WINDOWS: SKIPPED (reason)"
  *) echo "WINDOWS: FAIL (scripts/test-windows.sh exit $rc)"; exit "$rc" ;;
esac
