// SPDX-License-Identifier: GPL-3.0-or-later
// Randomness is injected so that every test is deterministic.
#pragma once
#include <udpvpn/types.hpp>

namespace udpvpn {

class Rng {
public:
    virtual ~Rng() = default;
    virtual void fill(MutableByteView out) noexcept = 0;
};

// randombytes_buf() from libsodium: what production code uses.
class SystemRng final : public Rng {
public:
    void fill(MutableByteView out) noexcept override;
};

// ChaCha20 keystream from a 32-byte seed: reproducible, for tests and vectors only. A u64 seed becomes
// the key BLAKE2b-256(seed as 8 big-endian bytes); other seed lengths than 32 are hashed the same way.
// Each fill() starts at a fresh 64-byte block, so output depends on the seed and the request sizes.
class DeterministicRng final : public Rng {
public:
    explicit DeterministicRng(std::uint64_t seed) noexcept;
    explicit DeterministicRng(ByteView seed32) noexcept;
    ~DeterministicRng() override;
    void fill(MutableByteView out) noexcept override;

private:
    std::array<std::uint8_t, 32> key_{};
    std::uint64_t block_ = 0;
};

}  // namespace udpvpn
