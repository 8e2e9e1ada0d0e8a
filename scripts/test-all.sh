#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's test command: installs what is missing, builds, runs every test.
# Then the Windows build under wine (scripts/test-windows.sh), which may only be SKIPPED
# where mingw-w64 or wine cannot be installed. WINDOWS=0 leaves it out.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD=${BUILD:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD"
ninja -C "$BUILD"
meson test -C "$BUILD" --print-errorlogs --num-processes 2
echo "LINUX: PASS"

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
