// SPDX-License-Identifier: GPL-3.0-or-later
// The two AEAD suites behind one type, keys expanded once (AES-GCM's beforenm state).
#pragma once
#include "key_schedule.hpp"
#include "secret.hpp"

#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

namespace udpvpn {

inline constexpr std::size_t kAeadTagSize = 16;
inline constexpr std::size_t kAeadNonceSize = 12;

bool suite_available(Suite s) noexcept;   // AES-256-GCM needs AES-NI + PCLMUL (libsodium's rule)

class AeadKey {
public:
    AeadKey() noexcept = default;
    // valid() is false if the suite is not available on this CPU (check suite_available() first).
    AeadKey(Suite suite, const TrafficKeys& keys) noexcept;
    AeadKey(const AeadKey&) = delete;
    AeadKey& operator=(const AeadKey&) = delete;
    AeadKey(AeadKey&& o) noexcept;
    AeadKey& operator=(AeadKey&& o) noexcept;
    ~AeadKey();

    bool valid() const noexcept { return valid_; }
    Suite suite() const noexcept { return suite_; }

    // nonce = iv XOR (zero-padded big-endian counter, right-aligned in 12 bytes).
    // Encrypts `data` in place and writes the 16-byte tag to `tag`. On an invalid key (misuse) it zeroes
    // `data` and `tag` so no plaintext leaves.
    void seal(std::uint64_t counter, ByteView aad, MutableByteView data, std::uint8_t* tag) const noexcept;
    // Decrypts in place; Error::bad_tag (and `data` unspecified) if the tag does not verify or the key
    // is invalid.
    Error open(std::uint64_t counter, ByteView aad, MutableByteView data, const std::uint8_t* tag) const noexcept;
    void wipe() noexcept;

private:
    // Big enough for crypto_aead_aes256gcm_state (512 bytes, 16-aligned) or a ChaCha20 key.
    alignas(16) std::uint8_t state_[512]{};
    Secret<12> iv_;
    Suite suite_ = Suite::chacha20_poly1305;
    bool valid_ = false;
};

}  // namespace udpvpn
