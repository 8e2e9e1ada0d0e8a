// SPDX-License-Identifier: GPL-3.0-or-later
// [offload] in server.toml and client.toml: the kernel's batching and segmentation features the
// data path uses where the kernel has them, each of which can be turned off (some kernels and
// devices get them wrong; turning one off is also how a benchmark measures what it brings).
#pragma once
#include "toml_reader.hpp"
#include "udp_batch.hpp"

namespace udpvpn::app {

struct OffloadConfig {
    UdpOffloadSettings udp;   // udp_batch, udp_gso, udp_gro
    bool tun = true;          // TUN segmentation offload (IFF_VNET_HDR, TSO/USO): Linux only
};

void read_offload_config(TomlReader& r, OffloadConfig& out);

}  // namespace udpvpn::app
