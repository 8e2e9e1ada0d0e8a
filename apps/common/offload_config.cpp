// SPDX-License-Identifier: GPL-3.0-or-later
#include "offload_config.hpp"

namespace udpvpn::app {

void read_offload_config(TomlReader& r, OffloadConfig& out) {
    out.udp.batch = r.boolean("offload.udp_batch", out.udp.batch);
    out.udp.gso = r.boolean("offload.udp_gso", out.udp.gso);
    out.udp.gro = r.boolean("offload.udp_gro", out.udp.gro);
    out.tun = r.boolean("offload.tun", out.tun);
}

}  // namespace udpvpn::app
