#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Part of the README test command (scripts/test-all.sh): one clang build directory with
# AddressSanitizer + UndefinedBehaviorSanitizer serves both
#   1. the unit suite (unit tests, the simulation, the fuzz corpus replay) under ASan+UBSan, and
#   2. a short run of every libFuzzer target (fuzz/README.md): FUZZ_RUNS executions each (default
#      20000), seeded from fuzz/corpus/<target>/, new inputs kept in a scratch directory only.
# Any sanitizer report, broken harness invariant or failing test fails the script.
# ASAN_BUILD (default build-asan) names the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ASAN_BUILD:-build-asan}
RUNS=${FUZZ_RUNS:-20000}
if [ ! -f "$BUILD/build.ninja" ]; then
  # b_lundef=false: the shared C library leaves the sanitizer runtime to the executables that load it.
  CC=clang CXX=clang++ meson setup "$BUILD" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dfuzz=true -De2e=false
fi
ninja -C "$BUILD"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
meson test -C "$BUILD" --suite unit --num-processes 2 --print-errorlogs
echo "ASAN+UBSAN UNIT: PASS"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
for dir in fuzz/corpus/*/; do
  target=$(basename "$dir")
  exe="$BUILD/fuzz/fuzz_$target"
  if [ ! -x "$exe" ]; then
    echo "fuzz_$target: not built"; failed=1; continue
  fi
  mkdir -p "$scratch/$target"
  start=$(date +%s)
  if "$exe" -runs="$RUNS" -seed=1 -artifact_prefix="$scratch/$target-" "$scratch/$target" "$dir" \
       > "$scratch/$target.log" 2>&1; then
    echo "fuzz_$target: $(grep -E '^#[0-9]+' "$scratch/$target.log" | tail -1 | \
      sed -E 's/^#([0-9]+)[[:space:]]+[A-Z]+[[:space:]]+(cov: [0-9]+ ft: [0-9]+ corp: [0-9]+).*/\1 runs, \2/'), $(( $(date +%s) - start )) s"
  else
    echo "fuzz_$target: FAIL"; tail -30 "$scratch/$target.log"
    for a in "$scratch/$target"-*; do [ -e "$a" ] && cp "$a" . && echo "reproducer: ./$(basename "$a")"; done
    failed=1
  fi
done
[ "$failed" = 0 ] || { echo "FUZZ: FAIL"; exit 1; }
echo "FUZZ: PASS"
