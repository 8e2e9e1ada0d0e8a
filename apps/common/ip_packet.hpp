// SPDX-License-Identifier: GPL-3.0-or-later
// Just enough of an inner IP header to route it: version, source and destination.
#pragma once
#include "inet.hpp"

#include <udpvpn/types.hpp>

#include <cstring>
#include <optional>

namespace udpvpn::app {

struct IpHeaderInfo {
    InnerProtocol protocol{};
    IpPrefix src;   // host prefixes (/32 or /128)
    IpPrefix dst;
};

// nullopt for anything that is not a complete-enough IPv4 or IPv6 header.
inline std::optional<IpHeaderInfo> parse_ip_header(ByteView p) noexcept {
    if (p.empty()) return std::nullopt;
    IpHeaderInfo h;
    const unsigned version = p[0] >> 4;
    if (version == 4) {
        if (p.size() < 20) return std::nullopt;
        h.protocol = InnerProtocol::ipv4;
        h.src.len = h.dst.len = 32;
        std::memcpy(h.src.addr.data(), p.data() + 12, 4);
        std::memcpy(h.dst.addr.data(), p.data() + 16, 4);
        return h;
    }
    if (version == 6) {
        if (p.size() < 40) return std::nullopt;
        h.protocol = InnerProtocol::ipv6;
        h.src.v6 = h.dst.v6 = true;
        h.src.len = h.dst.len = 128;
        std::memcpy(h.src.addr.data(), p.data() + 8, 16);
        std::memcpy(h.dst.addr.data(), p.data() + 24, 16);
        return h;
    }
    return std::nullopt;
}

}  // namespace udpvpn::app
