// SPDX-License-Identifier: GPL-3.0-or-later
// A counting global operator new/delete for benchmark programs (linked only into udpvpn-scale): each
// allocation is charged to the owner current when it was made, and given back to that owner when it
// is freed, so "bytes the server endpoint holds" can be read while clients run in the same thread.
// Allocations by C libraries (OpenSSL, libsodium) through malloc are not counted.
#pragma once
#include <cstddef>
#include <cstdint>

namespace udpvpn::bench {

enum class Owner : std::uint8_t { other = 0, server = 1, client = 2 };
inline constexpr int kOwners = 3;

// Live bytes (as requested, without allocator overhead) charged to `o`.
std::int64_t live_bytes(Owner o) noexcept;

// Charges allocations made during its lifetime to `o`.
class ChargeTo {
public:
    explicit ChargeTo(Owner o) noexcept;
    ~ChargeTo();
    ChargeTo(const ChargeTo&) = delete;
    ChargeTo& operator=(const ChargeTo&) = delete;

private:
    Owner saved_;
};

}  // namespace udpvpn::bench
