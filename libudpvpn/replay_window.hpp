// SPDX-License-Identifier: GPL-3.0-or-later
// Sliding anti-replay window of 8192 counters, RFC 6479 style (a ring of 64-bit blocks).
// check() does not change state; commit() is called only after the AEAD tag verified.
#pragma once
#include <array>
#include <cstdint>

namespace udpvpn {

class ReplayWindow {
public:
    static constexpr std::uint64_t kWindowSize = 8192;   // counters tracked behind the highest

    // true if `counter` is new and at most kWindowSize-1 behind the highest committed counter.
    // 2^64-1 is never accepted (it would wrap the window).
    bool check(std::uint64_t counter) const noexcept;
    // Marks `counter` seen, sliding the window forward if needed. Returns true if it was new.
    bool commit(std::uint64_t counter) noexcept;
    // Highest committed counter + 1 (0 when nothing was committed).
    std::uint64_t next_expected() const noexcept { return top_; }
    void reset() noexcept;

private:
    static constexpr std::size_t kBlocks = kWindowSize / 64 + 1;   // one spare block for the ring
    std::array<std::uint64_t, kBlocks> bits_{};
    std::uint64_t top_ = 0;   // highest committed counter + 1
};

}  // namespace udpvpn
