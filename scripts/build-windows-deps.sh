#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Cross-builds the Windows x86_64 dependencies of udpvpn as static libraries from Debian
# bookworm's own source packages (apt-get source), with MinGW-w64's posix-thread compiler:
#   libsodium 1.0.18, OpenSSL 3 libcrypto (+ libssl, unused but cheap), plus the header-only
#   asio and doctest copied from Debian's -dev packages with .pc files.
# Result: $PREFIX (default /var/tmp/win64-prefix), used by cross/mingw64.ini.
# Cached: a library whose recipe (source version + options) is unchanged is not rebuilt, so a
# re-run takes about a second. FORCE=1 rebuilds everything.
# Environment: PREFIX, SRC (/var/tmp/win64-src), JOBS (2), NICE ("nice -n 10"), FORCE=1,
#   SKIP_APT=1 (no apt-get at all: toolchain and unpacked sources must already be there).
# Recipe and pitfalls: ../shared/windows-cross/README.md (first proven there).
set -euo pipefail

PREFIX=${PREFIX:-/var/tmp/win64-prefix}
SRC=${SRC:-/var/tmp/win64-src}
JOBS=${JOBS:-2}
NICE=${NICE:-nice -n 10}
HOST=x86_64-w64-mingw32
CC_WIN="$HOST-gcc-posix"

# OpenSSL: we use X.509 parsing/verification and ECDSA/Ed25519 signatures only.
#  no-engine           drops the CAPI engine and with it every CRYPT32 import (and ENGINE code)
#  no-dso              nothing is ever loaded at run time (static build, built-in providers)
#  no-legacy           no legacy provider (MD4, RC4, ...)
#  no-autoload-config  never read openssl.cnf implicitly: OPENSSLDIR is a baked-in string that
#                      on Windows means \var\tmp\... on the current drive, plantable by any user
#  no-tests            OpenSSL's own test programs are not built
OPENSSL_OPTS="no-shared no-tests no-autoload-config no-engine no-dso no-legacy"
SODIUM_OPTS="--disable-shared --enable-static"

t0=$(date +%s)
stamp() { local now; now=$(date +%s); printf '[win-deps] %-44s %4ds (total %ds)\n' "$1" $((now - $2)) $((now - t0)); }

# --- 1. toolchain packages and Debian sources --------------------------------------------
if [[ "${SKIP_APT:-0}" != 1 ]]; then
  s=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  # deb-src entries: copies of the existing deb entries (same hosts, suites, keyring).
  if ! grep -rqs -e '^Types:.*deb-src' -e '^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    if [[ -e /etc/apt/sources.list.d/debian.sources ]]; then
      sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
        > /etc/apt/sources.list.d/debian-src.sources
    else
      sed -n -e 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/debian-src.list
    fi
    apt-get update -qq
  fi
  need=()
  for p in gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64 \
           make perl dpkg-dev pkg-config autoconf automake libtool libasio-dev doctest-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if ((${#need[@]})); then
    apt-get update -qq
    # --no-upgrade: leave perl/make/dpkg-dev alone if present
    apt-get install -y -qq --no-install-recommends --no-upgrade "${need[@]}" >/dev/null
  fi
  mkdir -p "$SRC" && cd "$SRC"
  ls -d libsodium-*/ >/dev/null 2>&1 || apt-get source -qq libsodium 2>&1 | grep -v unsandboxed || true
  if ! ls -d openssl-3*/ >/dev/null 2>&1; then
    # bookworm-security's .dsc has been seen 404 on this mirror: fall back to the point release.
    apt-get source -qq openssl 2>/dev/null || { rm -f openssl_*; apt-get source -qq openssl/bookworm; }
  fi
  stamp "packages + apt-get source" "$s"
fi

SODIUM_DIR=$(ls -d "$SRC"/libsodium-*/ | sort -V | tail -1); SODIUM_DIR=${SODIUM_DIR%/}
OPENSSL_DIR=$(ls -d "$SRC"/openssl-3*/ | sort -V | tail -1); OPENSSL_DIR=${OPENSSL_DIR%/}
command -v "$CC_WIN" >/dev/null || { echo "missing $CC_WIN (g++-mingw-w64-x86-64-posix)" >&2; exit 1; }
mkdir -p "$PREFIX/lib/pkgconfig"
cc_ver=$($CC_WIN -dumpfullversion)

# A library is rebuilt when its recipe line differs from the one recorded at its last build.
recipe_ok() { [[ "${FORCE:-0}" != 1 && -e "$PREFIX/$1" && -e "$PREFIX/.recipe-$2" && "$(cat "$PREFIX/.recipe-$2")" == "$3" ]]; }

# --- 2. libsodium ------------------------------------------------------------------------
s=$(date +%s)
sodium_recipe="$(basename "$SODIUM_DIR") gcc-$cc_ver $SODIUM_OPTS"
if ! recipe_ok lib/libsodium.a sodium "$sodium_recipe"; then
  # Debian's source is the upstream git tag without ./configure. Not ./autogen.sh: it curls
  # config.guess from the internet.
  [[ -x "$SODIUM_DIR/configure" ]] || (cd "$SODIUM_DIR" && $NICE autoreconf -fi >"$SRC/sodium-autoreconf.log" 2>&1) \
    || { tail -30 "$SRC/sodium-autoreconf.log"; exit 1; }
  rm -rf "$SRC/build-sodium" && mkdir -p "$SRC/build-sodium" && cd "$SRC/build-sodium"
  # shellcheck disable=SC2086
  $NICE "$SODIUM_DIR/configure" --host=$HOST --prefix="$PREFIX" $SODIUM_OPTS CC="$CC_WIN" \
    >configure.log 2>&1 || { tail -30 configure.log; exit 1; }
  $NICE make -j"$JOBS" >make.log 2>&1 || { tail -30 make.log; exit 1; }
  make install >install.log 2>&1 || { tail -30 install.log; exit 1; }
  # Without SODIUM_STATIC sodium.h declares everything __declspec(dllimport).
  sed -i -e '/^Cflags:/{/SODIUM_STATIC/!s/$/ -DSODIUM_STATIC/}' "$PREFIX/lib/pkgconfig/libsodium.pc"
  echo "$sodium_recipe" >"$PREFIX/.recipe-sodium"
  stamp "libsodium built" "$s"
else stamp "libsodium cached ($sodium_recipe)" "$s"; fi

# --- 3. OpenSSL 3 ------------------------------------------------------------------------
s=$(date +%s)
openssl_recipe="$(basename "$OPENSSL_DIR") gcc-$cc_ver $OPENSSL_OPTS"
if ! recipe_ok lib/libcrypto.a openssl "$openssl_recipe"; then
  rm -rf "$SRC/build-openssl" && mkdir -p "$SRC/build-openssl" && cd "$SRC/build-openssl"
  # CC=gcc-posix is joined to the cross prefix; --libdir=lib (mingw64 defaults to lib64/).
  # shellcheck disable=SC2086
  $NICE perl "$OPENSSL_DIR/Configure" mingw64 $OPENSSL_OPTS \
    --cross-compile-prefix=$HOST- CC=gcc-posix \
    --prefix="$PREFIX" --libdir=lib --openssldir="$PREFIX/ssl" >configure.log 2>&1 \
    || { tail -30 configure.log; exit 1; }
  $NICE make -j"$JOBS" build_libs >make.log 2>&1 || { tail -30 make.log; exit 1; }
  make install_dev >install.log 2>&1 || { tail -30 install.log; exit 1; }
  echo "$openssl_recipe" >"$PREFIX/.recipe-openssl"
  stamp "openssl built" "$s"
else stamp "openssl cached ($openssl_recipe)" "$s"; fi

# --- 4. header-only asio, doctest, toml++, CLI11 ------------------------------------------------------
# Never put /usr/include on the cross compiler's path (glibc headers): copy just these.
s=$(date +%s)
for h in /usr/include/asio.hpp /usr/include/asio /usr/include/doctest; do
  [[ -e $h ]] || { echo "missing $h (apt-get install libasio-dev doctest-dev)" >&2; exit 1; }
done
rm -rf "$PREFIX/include/asio" "$PREFIX/include/doctest"
cp -a /usr/include/asio.hpp /usr/include/asio /usr/include/doctest "$PREFIX/include/"
asio_ver=$(sed -n 's/^#define ASIO_VERSION \([0-9]*\).*/\1/p' /usr/include/asio/version.hpp)
doctest_ver=$(for f in MAJOR MINOR PATCH; do sed -n "s/^#define DOCTEST_VERSION_$f \([0-9]*\).*/\1/p" /usr/include/doctest/doctest.h; done | paste -sd.)
cat >"$PREFIX/lib/pkgconfig/asio.pc" <<PC
prefix=$PREFIX
includedir=\${prefix}/include

Name: asio
Description: standalone Asio (headers from Debian's libasio-dev)
Version: $((asio_ver / 100000)).$((asio_ver / 100 % 1000)).$((asio_ver % 100))
Cflags: -I\${includedir} -DASIO_STANDALONE -DASIO_NO_DEPRECATED
Libs: -lws2_32 -lmswsock
PC
cat >"$PREFIX/lib/pkgconfig/doctest.pc" <<PC
prefix=$PREFIX
includedir=\${prefix}/include

Name: doctest
Description: doctest (header from Debian's doctest-dev)
Version: $doctest_ver
Cflags: -I\${includedir}
PC

# toml++ (header-only mode: Debian's .pc selects its Linux shared library) and CLI11.
if [[ -e /usr/include/toml++/toml.h ]]; then
  rm -rf "$PREFIX/include/toml++" && cp -a /usr/include/toml++ "$PREFIX/include/"
  toml_ver=$(sed -n 's/^Version: //p' /usr/lib/*/pkgconfig/tomlplusplus.pc 2>/dev/null | head -1)
  cat >"$PREFIX/lib/pkgconfig/tomlplusplus.pc" <<PC
prefix=$PREFIX
includedir=\${prefix}/include

Name: tomlplusplus
Description: toml++ header-only (headers from Debian's libtomlplusplus-dev)
Version: ${toml_ver:-3.3.0}
Cflags: -I\${includedir} -DTOML_HEADER_ONLY=1
PC
fi
if [[ -e /usr/include/CLI/CLI.hpp ]]; then
  rm -rf "$PREFIX/include/CLI" && cp -a /usr/include/CLI "$PREFIX/include/"
  cli_ver=$(sed -n 's/^Version: //p' /usr/share/pkgconfig/CLI11.pc 2>/dev/null | head -1)
  cat >"$PREFIX/lib/pkgconfig/CLI11.pc" <<PC
prefix=$PREFIX
includedir=\${prefix}/include

Name: CLI11
Description: CLI11 (headers from Debian's libcli11-dev)
Version: ${cli_ver:-2.3.1}
Cflags: -I\${includedir}
PC
fi

{
  echo "libsodium: $sodium_recipe"
  echo "openssl:   $openssl_recipe"
  echo "asio: $asio_ver  doctest: $doctest_ver"
  echo "compiler:  $($CC_WIN --version | head -1)"
  echo "binutils:  $($HOST-ld --version | head -1)"
} >"$PREFIX/BUILDINFO"
stamp "done" "$t0"
