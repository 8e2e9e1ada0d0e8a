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
    friend bool operator==(const PeerAddress& a, const PeerAddress& b) noexcept {
        return a.len == b.len && std::memcmp(a.bytes.data(), b.bytes.data(), a.len) == 0;
    }
};

enum class InnerProtocol : std::uint8_t { ipv4 = 0, ipv6 = 1, ppp = 2 };

enum class Suite : std::uint16_t { chacha20_poly1305 = 0x0001, aes256_gcm = 0x0002 };

enum class Role : std::uint8_t { client, server };

}  // namespace udpvpn
