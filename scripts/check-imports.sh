#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# usage: scripts/check-imports.sh FILE.exe|FILE.dll...
# Fails unless every DLL a PE file imports ships with Windows. `meson test` cannot catch a
# dynamically linked build: Meson puts the MinGW DLL folders on WINEPATH, so an .exe that
# needs libstdc++-6.dll / libgcc_s_seh-1.dll / libwinpthread-1.dll passes under wine and
# fails on a real PC. wintun.dll is never imported: the client loads it at run time.
# libudpvpn-N.dll (bindings/c, the C API) is ours and ships with the programs that import it.
OBJDUMP=${OBJDUMP:-x86_64-w64-mingw32-objdump}
system_dlls='^(kernel32|user32|gdi32|advapi32|ws2_32|mswsock|crypt32|bcrypt|iphlpapi|secur32|ole32|oleaut32|shell32|shlwapi|ntdll|msvcrt|ucrtbase|dnsapi|setupapi|cfgmgr32|rpcrt4|api-ms-win-[a-z0-9-]*|libudpvpn-[0-9]+)\.dll$'
rc=0
[ $# -gt 0 ] || { echo "check-imports: no files given" >&2; exit 2; }
for f in "$@"; do
  dlls=$($OBJDUMP -p "$f" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)
  [ -n "$dlls" ] || { echo "check-imports: $f: no import table (not a PE file?)"; rc=1; continue; }
  bad=$(printf '%s\n' "$dlls" | grep -vE "$system_dlls")
  if [ -n "$bad" ]; then
    echo "check-imports: FAIL $f imports non-system DLLs:" $bad; rc=1
  else
    echo "check-imports: ok   $f:" $dlls
  fi
done
exit $rc
