// SPDX-License-Identifier: GPL-3.0-or-later
// Fixed-size secrets that wipe themselves, compare in constant time and never print.
#pragma once
#include <udpvpn/types.hpp>

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace udpvpn {

template <std::size_t N>
class Secret {
public:
    Secret() noexcept = default;
    explicit Secret(ByteView b) noexcept { assign(b); }
    Secret(const Secret& o) noexcept : bytes_(o.bytes_) {}
    Secret& operator=(const Secret& o) noexcept { bytes_ = o.bytes_; return *this; }
    Secret(Secret&& o) noexcept : bytes_(o.bytes_) { o.wipe(); }
    Secret& operator=(Secret&& o) noexcept { if (this != &o) { bytes_ = o.bytes_; o.wipe(); } return *this; }
    ~Secret() { wipe(); }

    // Copies min(N, b.size()) bytes; the rest is zero.
    void assign(ByteView b) noexcept {
        wipe();
        for (std::size_t i = 0; i < N && i < b.size(); ++i) bytes_[i] = b[i];
    }
    void wipe() noexcept { sodium_memzero(bytes_.data(), N); }
    bool is_zero() const noexcept { return sodium_is_zero(bytes_.data(), N) == 1; }

    // The only accessors: grep for `.expose(` to audit every read.
    ByteView expose() const noexcept { return {bytes_.data(), N}; }
    MutableByteView expose_mut() noexcept { return {bytes_.data(), N}; }
    const std::uint8_t* data() const noexcept { return bytes_.data(); }
    std::uint8_t* data() noexcept { return bytes_.data(); }
    static constexpr std::size_t size() noexcept { return N; }

    friend bool operator==(const Secret& a, const Secret& b) noexcept {
        return sodium_memcmp(a.bytes_.data(), b.bytes_.data(), N) == 0;
    }

private:
    std::array<std::uint8_t, N> bytes_{};
};

using Secret32 = Secret<32>;

// Constant-time equality of two equal-length byte strings (false if lengths differ).
inline bool ct_equal(ByteView a, ByteView b) noexcept {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Wipes a heap or stack buffer.
inline void wipe(MutableByteView b) noexcept { sodium_memzero(b.data(), b.size()); }

}  // namespace udpvpn
