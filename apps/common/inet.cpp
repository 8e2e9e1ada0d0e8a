// SPDX-License-Identifier: GPL-3.0-or-later
#include "inet.hpp"

#include <asio/ip/address.hpp>

#include <charconv>
#include <cstring>

namespace udpvpn::app {

bool IpPrefix::contains(const IpPrefix& h) const noexcept {
    if (h.v6 != v6) return false;
    unsigned bits = len;
    for (std::size_t i = 0; i < addr_size() && bits > 0; ++i) {
        const unsigned take = bits >= 8 ? 8 : bits;
        const std::uint8_t mask = static_cast<std::uint8_t>(0xFF00u >> take);
        if ((addr[i] & mask) != (h.addr[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

IpPrefix IpPrefix::network() const noexcept {
    IpPrefix n = *this;
    unsigned bits = len;
    for (std::size_t i = 0; i < addr_size(); ++i) {
        const unsigned take = bits >= 8 ? 8 : bits;
        n.addr[i] &= static_cast<std::uint8_t>(0xFF00u >> take);
        bits -= take;
    }
    return n;
}

std::optional<IpPrefix> parse_address(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    // asio rather than inet_pton: the same parser on Linux and Windows. No "%scope" suffixes.
    if (text.find('%') != std::string_view::npos) return std::nullopt;
    const std::string s(text);
    IpPrefix p;
    asio::error_code ec;
    if (const auto v4 = asio::ip::make_address_v4(s, ec); !ec) {
        const auto b = v4.to_bytes();
        std::memcpy(p.addr.data(), b.data(), 4);
        p.len = 32;
        return p;
    }
    if (const auto v6 = asio::ip::make_address_v6(s, ec); !ec) {
        const auto b = v6.to_bytes();
        std::memcpy(p.addr.data(), b.data(), 16);
        p.v6 = true;
        p.len = 128;
        return p;
    }
    return std::nullopt;
}

std::optional<IpPrefix> parse_prefix(std::string_view text) {
    const auto slash = text.find('/');
    auto p = parse_address(text.substr(0, slash));
    if (!p) return std::nullopt;
    if (slash != std::string_view::npos) {
        auto lenText = text.substr(slash + 1);
        unsigned len = 0;
        auto [ptr, ec] = std::from_chars(lenText.data(), lenText.data() + lenText.size(), len);
        if (ec != std::errc{} || ptr != lenText.data() + lenText.size() || lenText.empty()) return std::nullopt;
        if (len > (p->v6 ? 128u : 32u)) return std::nullopt;
        p->len = static_cast<std::uint8_t>(len);
    }
    return p;
}

std::string to_string(const IpPrefix& p, bool with_len) {
    std::string s;
    if (p.v6) {
        asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), p.addr.data(), 16);
        s = asio::ip::address_v6(b).to_string();
    } else {
        asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), p.addr.data(), 4);
        s = asio::ip::address_v4(b).to_string();
    }
    if (with_len) s += "/" + std::to_string(p.len);
    return s;
}

Ipv4Prefix to_push4(const IpPrefix& p) {
    Ipv4Prefix o;
    std::memcpy(o.addr.data(), p.addr.data(), 4);
    o.prefix = p.len;
    return o;
}
Ipv6Prefix to_push6(const IpPrefix& p) {
    Ipv6Prefix o;
    std::memcpy(o.addr.data(), p.addr.data(), 16);
    o.prefix = p.len;
    return o;
}
IpPrefix from_push(const Ipv4Prefix& p) {
    IpPrefix o;
    std::memcpy(o.addr.data(), p.addr.data(), 4);
    o.len = p.prefix > 32 ? 32 : p.prefix;
    return o;
}
IpPrefix from_push(const Ipv6Prefix& p) {
    IpPrefix o;
    o.v6 = true;
    std::memcpy(o.addr.data(), p.addr.data(), 16);
    o.len = p.prefix > 128 ? 128 : p.prefix;
    return o;
}

std::optional<HostPort> parse_host_port(std::string_view t, std::uint16_t default_port) {
    HostPort hp;
    hp.port = default_port;
    std::string_view portText;
    if (!t.empty() && t.front() == '[') {
        const auto close = t.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        hp.host = std::string(t.substr(1, close - 1));
        auto rest = t.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            portText = rest.substr(1);
            if (portText.empty()) return std::nullopt;
        }
    } else {
        const auto colon = t.rfind(':');
        if (colon != std::string_view::npos && t.find(':') == colon) {
            hp.host = std::string(t.substr(0, colon));
            portText = t.substr(colon + 1);
            if (portText.empty()) return std::nullopt;
        } else {
            hp.host = std::string(t);   // a bare name, IPv4, or IPv6 literal without a port
        }
    }
    if (!portText.empty()) {
        unsigned port = 0;
        auto [ptr, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
        if (ec != std::errc{} || ptr != portText.data() + portText.size() || port == 0 || port > 65535)
            return std::nullopt;
        hp.port = static_cast<std::uint16_t>(port);
    }
    if (hp.host.empty()) return std::nullopt;
    return hp;
}

PeerAddress peer_from_udp(const asio::ip::udp::endpoint& ep) {
    PeerAddress a;
    auto addr = ep.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    const std::uint16_t port = ep.port();
    a.bytes[1] = static_cast<std::uint8_t>(port >> 8);
    a.bytes[2] = static_cast<std::uint8_t>(port);
    if (addr.is_v4()) {
        a.bytes[0] = 4;
        const auto b = addr.to_v4().to_bytes();
        std::memcpy(a.bytes.data() + 3, b.data(), 4);
        a.len = 7;
    } else {
        a.bytes[0] = 6;
        const auto b = addr.to_v6().to_bytes();
        std::memcpy(a.bytes.data() + 3, b.data(), 16);
        a.len = 19;
    }
    return a;
}

asio::ip::udp::endpoint udp_from_peer(const PeerAddress& a, bool v6_socket) {
    const std::uint16_t port = static_cast<std::uint16_t>((a.bytes[1] << 8) | a.bytes[2]);
    if (a.len == 7 && a.bytes[0] == 4) {
        asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), a.bytes.data() + 3, 4);
        asio::ip::address_v4 v4(b);
        if (v6_socket) return {asio::ip::make_address_v6(asio::ip::v4_mapped, v4), port};
        return {v4, port};
    }
    if (a.len == 19 && a.bytes[0] == 6) {
        asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), a.bytes.data() + 3, 16);
        return {asio::ip::address_v6(b), port};
    }
    return {};
}

std::string peer_to_string(const PeerAddress& a) {
    if (a.len == 7 || a.len == 19) {
        const auto ep = udp_from_peer(a, false);
        if (ep.address().is_v6()) return "[" + ep.address().to_string() + "]:" + std::to_string(ep.port());
        return ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    return "?";
}

}  // namespace udpvpn::app
