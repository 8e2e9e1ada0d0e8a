#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs every Debian package the build, the tests and the quick start need (idempotent).
set -euo pipefail
pkgs=(
  meson ninja-build pkg-config g++ clang libclang-rt-14-dev llvm
  libsodium-dev libssl-dev libasio-dev doctest-dev
  libmnl-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev scdoc
  iproute2 iputils-ping iperf3 openssl socat procps kmod python3 python3-cryptography
  qemu-system-x86 busybox-static ppp xz-utils
  openvpn wireguard-go wireguard-tools
  ethtool      # bench/compare.sh OFFLOADS=off: the veth pair without segmentation offloads
  prometheus   # promtool: tests/e2e/metrics.sh checks the server's exposition with it
  nftables     # nft: tests/e2e/load_balancer.sh and tools/udpvpn-lb, the stateless balancer
  dpkg-dev debhelper lintian   # scripts/test-package.sh: the Debian packages (debian/)
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}" >/dev/null
fi
