// SPDX-License-Identifier: GPL-3.0-or-later
// IP addresses, prefixes and host:port strings as the apps use them, and the mapping between a UDP
// source address and the opaque udpvpn::PeerAddress the library compares bytewise.
#pragma once
#include <udpvpn/config_push.hpp>
#include <udpvpn/types.hpp>

#include <asio/ip/udp.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace udpvpn::app {

// An IPv4 or IPv6 address (v4 stored in the first 4 bytes) with a prefix length.
struct IpPrefix {
    bool v6 = false;
    std::array<std::uint8_t, 16> addr{};
    std::uint8_t len = 0;

    std::size_t addr_size() const noexcept { return v6 ? 16 : 4; }
    bool contains(const IpPrefix& host) const noexcept;   // host.addr inside this prefix
    IpPrefix network() const noexcept;                     // host bits cleared
    friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

// "10.0.0.1", "10.0.0.0/24", "fd00::1/64". A bare address gets /32 or /128.
std::optional<IpPrefix> parse_prefix(std::string_view text);
std::optional<IpPrefix> parse_address(std::string_view text);   // no "/len" allowed
std::string to_string(const IpPrefix& p, bool with_len = true);

Ipv4Prefix to_push4(const IpPrefix& p);
Ipv6Prefix to_push6(const IpPrefix& p);
IpPrefix from_push(const Ipv4Prefix& p);
IpPrefix from_push(const Ipv6Prefix& p);

// "host:port", "[v6]:port", "host" (default port). Host may be a name; resolution is the caller's.
struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};
std::optional<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port);

// A UDP endpoint as PeerAddress: family (4|6) || port (2) || address (4|16). IPv4-mapped IPv6
// addresses are folded to IPv4 so a dual-stack socket and an IPv4 socket agree.
PeerAddress peer_from_udp(const asio::ip::udp::endpoint& ep);
asio::ip::udp::endpoint udp_from_peer(const PeerAddress& a, bool v6_socket);
std::string peer_to_string(const PeerAddress& a);

}  // namespace udpvpn::app
