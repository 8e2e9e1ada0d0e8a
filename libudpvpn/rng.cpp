// SPDX-License-Identifier: GPL-3.0-or-later
// SystemRng wraps randombytes_buf; DeterministicRng is a ChaCha20 keystream for reproducible tests.
#include "sodium_init.hpp"

#include <udpvpn/rng.hpp>

#include <sodium.h>

namespace udpvpn {

void SystemRng::fill(MutableByteView out) noexcept {
    ensure_sodium();
    if (out.empty()) return;   // randombytes_buf's pointer is declared nonnull, and data() may be null
    randombytes_buf(out.data(), out.size());
}

DeterministicRng::DeterministicRng(std::uint64_t seed) noexcept {
    ensure_sodium();
    // key = BLAKE2b-256(seed as 8 big-endian bytes): any u64 gives a well-spread key.
    std::uint8_t be[8];
    for (int i = 0; i < 8; ++i) be[i] = static_cast<std::uint8_t>(seed >> (56 - 8 * i));
    crypto_generichash(key_.data(), key_.size(), be, sizeof be, nullptr, 0);
}

DeterministicRng::DeterministicRng(ByteView seed32) noexcept {
    ensure_sodium();
    if (seed32.size() == key_.size()) {
        for (std::size_t i = 0; i < key_.size(); ++i) key_[i] = seed32[i];
    } else {
        // Not 32 bytes: hash it rather than silently padding or truncating.
        crypto_generichash(key_.data(), key_.size(), seed32.data(), seed32.size(), nullptr, 0);
    }
}

DeterministicRng::~DeterministicRng() { sodium_memzero(key_.data(), key_.size()); }

// Each call starts at a fresh 64-byte block (nonce zero, block counter block_), so the output depends
// only on the seed and the sequence of requested lengths.
void DeterministicRng::fill(MutableByteView out) noexcept {
    if (out.empty()) return;
    static const std::uint8_t kNonce[crypto_stream_chacha20_NONCEBYTES] = {};
    sodium_memzero(out.data(), out.size());
    crypto_stream_chacha20_xor_ic(out.data(), out.data(), out.size(), kNonce, block_, key_.data());
    block_ += (out.size() + 63) / 64;
}

}  // namespace udpvpn
