#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# usage: check_exports.sh elf NM libudpvpn.so | check_exports.sh pe OBJDUMP libudpvpn-1.dll
# Fails if the library exports any symbol outside the C API (udpvpn_*): no C++ symbol, no symbol
# of a statically linked dependency may leak into the ABI. On ELF, version nodes (UDPVPN_1, ...)
# are listed by nm as absolute symbols and are allowed.
set -eu
format=$1
tool=$2
lib=$3
case $format in
elf) symbols=$(LC_ALL=C "$tool" -D --defined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//') ;;
pe)  symbols=$(LC_ALL=C "$tool" -p "$lib" |
         sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p') ;;
*)   echo "unknown format $format"; exit 2 ;;
esac
[ -n "$symbols" ] || { echo "no exported symbols in $lib"; exit 1; }
bad=$(printf '%s\n' "$symbols" | grep -Ev '^(udpvpn_[a-z0-9_]+|UDPVPN_[0-9.]+)$' || true)
if [ -n "$bad" ]; then
    echo "symbols exported outside udpvpn_*:"
    printf '%s\n' "$bad"
    exit 1
fi
count=$(printf '%s\n' "$symbols" | grep -c '^udpvpn_')
echo "$count udpvpn_* symbols exported, nothing else"
