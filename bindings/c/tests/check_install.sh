#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `meson install` into a temporary root, then build a C program against the installed header and
# library with nothing but `pkg-config --cflags --libs udpvpn`, and run it.
set -eu
build=$1
program=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/root" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; exit 1; }
pc=$(find "$tmp/root" -name udpvpn.pc | head -n 1)
[ -n "$pc" ] || { echo "udpvpn.pc was not installed"; exit 1; }
# The .pc file names the real prefix; the sysroot maps it into the temporary root.
export PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
flags=$(pkg-config --cflags --libs udpvpn)
echo "pkg-config --cflags --libs udpvpn: $flags"
${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$tmp/program" "$program" $flags
soname=$(find "$tmp/root" -name 'libudpvpn.so.[0-9]' | head -n 1)
[ -n "$soname" ] || { echo "libudpvpn.so.N (the SONAME link) was not installed"; exit 1; }
LD_LIBRARY_PATH="$(dirname "$soname")" "$tmp/program"
