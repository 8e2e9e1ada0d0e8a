// SPDX-License-Identifier: GPL-3.0-or-later
// Basic value types shared by the whole public API.
#pragma once
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace udpvpn {

// Monotonic time in nanoseconds, chosen by the caller. The library never reads a clock.
using TimeNs = std::uint64_t;
inline constexpr TimeNs kNever = ~TimeNs{0};
inline constexpr TimeNs kMillisecond = 1'000'000;
inline constexpr TimeNs kSecond = 1'000'000'000;

// A DATA packet (docs/rfc-draft.txt, "DATA") is a header, the sealed inner packet and a 16-byte
// AEAD tag. The one definition of each: the inner packet starts kDataHeaderSize bytes in, and a
// datagram of N bytes carries N - kDataOverhead bytes inside.
inline constexpr std::size_t kDataHeaderSize = 13;
inline constexpr std::size_t kDataOverhead = kDataHeaderSize + 16;
inline constexpr std::size_t kMaxUdpPayload = 65507;   // IPv4: 65535 - 20 (IP) - 8 (UDP)

// The two conversions between the tunnel's sizes (inner packets: the configuration's inner_mtu, the
// session's inner MTU) and the path's (UDP payloads of DATA datagrams: max_datagram, probe sizes).
constexpr std::size_t datagram_for_inner(std::size_t inner) noexcept {
    return inner < kMaxUdpPayload - kDataOverhead ? inner + kDataOverhead : kMaxUdpPayload;
}
constexpr std::size_t inner_for_datagram(std::size_t datagram) noexcept {
    return datagram > kDataOverhead ? datagram - kDataOverhead : 0;
}

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using MutableByteView = std::span<std::uint8_t>;

// Session ID as carried on the wire (docs/rfc-draft.txt, "Session IDs").
using SessionId = std::uint32_t;

// The peer's transport address, opaque to the library: the caller stores whatever identifies the
// source (a sockaddr, a test address, ...). Compared bytewise; used in cookies.
struct PeerAddress {
    std::uint8_t len = 0;
    std::array<std::uint8_t, 32> bytes{};

    static PeerAddress from(ByteView b) noexcept {
        PeerAddress a;
        a.len = static_cast<std::uint8_t>(b.size() < a.bytes.size() ? b.size() : a.bytes.size());
        std::memcpy(a.bytes.data(), b.data(), a.len);
        return a;
    }
    ByteView view() const noexcept { return {bytes.data(), len}; }

    // The IP encoding the bundled apps use: family (4 or 6) | port (2, big-endian) | address. A
    // server recognises it to apply its per-host and per-prefix limits (ServerEndpointConfig); any
    // other encoding counts as a host and a prefix of its own.
    static PeerAddress ipv4(const std::array<std::uint8_t, 4>& ip, std::uint16_t port) noexcept {
        return ip_encoded(4, ip.data(), ip.size(), port);
    }
    static PeerAddress ipv6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port) noexcept {
        return ip_encoded(6, ip.data(), ip.size(), port);
    }
    static PeerAddress ip_encoded(std::uint8_t family, const std::uint8_t* ip, std::size_t n, std::uint16_t port) noexcept {
        PeerAddress a;
        a.bytes[0] = family;
        a.bytes[1] = static_cast<std::uint8_t>(port >> 8);
        a.bytes[2] = static_cast<std::uint8_t>(port);
        std::memcpy(a.bytes.data() + 3, ip, n);
        a.len = static_cast<std::uint8_t>(3 + n);
        return a;
    }
    friend bool operator==(const PeerAddress& a, const PeerAddress& b) noexcept {
        return a.len == b.len && std::memcmp(a.bytes.data(), b.bytes.data(), a.len) == 0;
    }
};

enum class InnerProtocol : std::uint8_t { ipv4 = 0, ipv6 = 1, ppp = 2 };

enum class Suite : std::uint16_t { chacha20_poly1305 = 0x0001, aes256_gcm = 0x0002 };

enum class Role : std::uint8_t { client, server };

}  // namespace udpvpn
