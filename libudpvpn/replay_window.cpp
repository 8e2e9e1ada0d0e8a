// SPDX-License-Identifier: GPL-3.0-or-later
// RFC 6479 anti-replay: a ring of kBlocks 64-bit blocks. Sliding forward clears whole blocks instead of
// shifting a bitmap, so commit() costs O(1) per packet (at most kBlocks stores on a far jump).
#include "replay_window.hpp"

namespace udpvpn {
namespace {
constexpr std::uint64_t kBlockBits = 64;
// The ring must hold the window plus the block being filled at the top.
static_assert(ReplayWindow::kWindowSize % kBlockBits == 0);
}  // namespace

bool ReplayWindow::check(std::uint64_t counter) const noexcept {
    // 2^64-1 would wrap top_ to 0 and reopen the window; no sender gets near it (reject_after_packets).
    if (counter == ~std::uint64_t{0}) return false;
    if (counter >= top_) return true;                  // ahead of everything seen (or nothing seen yet)
    if (top_ - counter > kWindowSize) return false;   // left of the window: too old to tell
    const std::uint64_t block = (counter / kBlockBits) % kBlocks;
    const std::uint64_t bit = std::uint64_t{1} << (counter % kBlockBits);
    return (bits_[block] & bit) == 0;
}

bool ReplayWindow::commit(std::uint64_t counter) noexcept {
    if (!check(counter)) return false;
    if (counter >= top_) {
        // Clear the blocks the top moves into; blocks are only ever reused after this clearing.
        const std::uint64_t new_block = counter / kBlockBits;
        if (top_ == 0) {
            // Nothing committed yet: every block is already clear (constructor or reset()).
        } else {
            const std::uint64_t cur_block = (top_ - 1) / kBlockBits;
            std::uint64_t diff = new_block - cur_block;
            if (diff > kBlocks) diff = kBlocks;
            for (std::uint64_t i = 1; i <= diff; ++i) bits_[(cur_block + i) % kBlocks] = 0;
        }
        top_ = counter + 1;
    }
    bits_[(counter / kBlockBits) % kBlocks] |= std::uint64_t{1} << (counter % kBlockBits);
    return true;
}

void ReplayWindow::reset() noexcept {
    bits_.fill(0);
    top_ = 0;
}

}  // namespace udpvpn
