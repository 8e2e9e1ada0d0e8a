#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Fails if libudpvpn.so exports any dynamic symbol outside the C API (udpvpn_*): no C++ symbol, no
# symbol of a statically linked dependency may leak into the ABI. Version nodes (UDPVPN_1, ...) are
# listed by nm as absolute symbols and are allowed.
set -eu
nm=$1
lib=$2
symbols=$(LC_ALL=C "$nm" -D --defined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//')
[ -n "$symbols" ] || { echo "no exported symbols in $lib"; exit 1; }
bad=$(printf '%s\n' "$symbols" | grep -Ev '^(udpvpn_[a-z0-9_]+|UDPVPN_[0-9.]+)$' || true)
if [ -n "$bad" ]; then
    echo "symbols exported outside udpvpn_*:"
    printf '%s\n' "$bad"
    exit 1
fi
count=$(printf '%s\n' "$symbols" | grep -c '^udpvpn_')
echo "$count udpvpn_* symbols exported, nothing else"
