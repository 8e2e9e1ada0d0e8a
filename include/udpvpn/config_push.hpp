// SPDX-License-Identifier: GPL-3.0-or-later
// Network configuration the server pushes over the control channel (docs/rfc-draft.txt, CONFIG).
#pragma once
#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <array>
#include <optional>
#include <vector>

namespace udpvpn {

struct Ipv4Prefix { std::array<std::uint8_t, 4> addr{}; std::uint8_t prefix = 32; };
struct Ipv6Prefix { std::array<std::uint8_t, 16> addr{}; std::uint8_t prefix = 128; };

struct ConfigPush {
    std::optional<Ipv4Prefix> ipv4;                 // the client's inner address
    std::optional<Ipv6Prefix> ipv6;
    std::vector<Ipv4Prefix> routes4;                // routes to send through the tunnel
    std::vector<Ipv6Prefix> routes6;
    std::vector<std::array<std::uint8_t, 4>> dns4;
    std::vector<std::array<std::uint8_t, 16>> dns6;
    std::optional<std::uint16_t> mtu;               // inner MTU
};

// TLV encoding of CONFIG; decode rejects truncated or oversized fields with Error::malformed and
// skips unknown TLV types.
Bytes encode_config_push(const ConfigPush& c);
Result<ConfigPush> decode_config_push(ByteView body);

}  // namespace udpvpn
