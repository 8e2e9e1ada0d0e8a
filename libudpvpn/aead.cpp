// SPDX-License-Identifier: GPL-3.0-or-later
// ChaCha20-Poly1305 (IETF) and AES-256-GCM with libsodium; the data path: no allocation, no branches
// on secret data. Nonce construction per docs/rfc-draft.txt, "DATA": iv XOR (0^4 || counter u64 BE).
#include "aead.hpp"

#include "sodium_init.hpp"

#include <sodium.h>

#include <cstring>

namespace udpvpn {

static_assert(sizeof(crypto_aead_aes256gcm_state) <= 512, "AeadKey::state_ too small for AES-GCM state");
static_assert(alignof(crypto_aead_aes256gcm_state) <= 16, "AeadKey::state_ under-aligned for AES-GCM state");
static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == 32 && crypto_aead_aes256gcm_KEYBYTES == 32);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == kAeadNonceSize && crypto_aead_aes256gcm_NPUBBYTES == kAeadNonceSize);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kAeadTagSize && crypto_aead_aes256gcm_ABYTES == kAeadTagSize);

namespace {

// A nonce on the stack that wipes itself (it is derived from the secret iv).
struct Nonce {
    std::uint8_t b[kAeadNonceSize];
    Nonce(const Secret<12>& iv, std::uint64_t counter) noexcept {
        std::memcpy(b, iv.data(), kAeadNonceSize);
        for (int i = 0; i < 8; ++i) b[4 + i] ^= static_cast<std::uint8_t>(counter >> (56 - 8 * i));
    }
    ~Nonce() { sodium_memzero(b, sizeof b); }
};

}  // namespace

bool suite_available(Suite s) noexcept {
    switch (s) {
    case Suite::chacha20_poly1305: return true;
    case Suite::aes256_gcm: return ensure_sodium() && crypto_aead_aes256gcm_is_available() == 1;
    }
    return false;
}

AeadKey::AeadKey(Suite suite, const TrafficKeys& keys) noexcept : suite_(suite) {
    if (!suite_available(suite)) return;   // valid() stays false: the caller must not use it
    iv_ = keys.iv;
    if (suite == Suite::aes256_gcm) {
        crypto_aead_aes256gcm_beforenm(reinterpret_cast<crypto_aead_aes256gcm_state*>(state_), keys.key.data());
    } else {
        std::memcpy(state_, keys.key.data(), keys.key.size());
    }
    valid_ = true;
}

AeadKey::AeadKey(AeadKey&& o) noexcept { *this = std::move(o); }

AeadKey& AeadKey::operator=(AeadKey&& o) noexcept {
    if (this != &o) {
        // The AES-GCM state holds no pointers into itself, so a byte copy moves it.
        std::memcpy(state_, o.state_, sizeof state_);
        iv_ = o.iv_;
        suite_ = o.suite_;
        valid_ = o.valid_;
        o.wipe();
    }
    return *this;
}

AeadKey::~AeadKey() { wipe(); }

void AeadKey::wipe() noexcept {
    sodium_memzero(state_, sizeof state_);
    iv_.wipe();
    valid_ = false;
}

// libsodium declares its message pointers nonnull even for a zero length; an empty span's data()
// may be null (an empty CONTROL payload, a zero-length inner packet): give it a valid address.
static std::uint8_t* nonnull(MutableByteView data, std::uint8_t& spare) noexcept {
    return data.empty() ? &spare : data.data();
}

void AeadKey::seal(std::uint64_t counter, ByteView aad, MutableByteView data, std::uint8_t* tag) const noexcept {
    if (!valid_) {
        // Misuse: never let plaintext leave under a missing key; the zero tag will not verify.
        sodium_memzero(data.data(), data.size());
        sodium_memzero(tag, kAeadTagSize);
        return;
    }
    const Nonce n(iv_, counter);
    std::uint8_t spare = 0;
    std::uint8_t* const m = nonnull(data, spare);
    if (suite_ == Suite::aes256_gcm) {
        crypto_aead_aes256gcm_encrypt_detached_afternm(m, tag, nullptr, m, data.size(),
            aad.data(), aad.size(), nullptr, n.b, reinterpret_cast<const crypto_aead_aes256gcm_state*>(state_));
    } else {
        crypto_aead_chacha20poly1305_ietf_encrypt_detached(m, tag, nullptr, m, data.size(),
            aad.data(), aad.size(), nullptr, n.b, state_);
    }
}

Error AeadKey::open(std::uint64_t counter, ByteView aad, MutableByteView data, const std::uint8_t* tag) const noexcept {
    if (!valid_) return Error::bad_tag;
    const Nonce n(iv_, counter);
    std::uint8_t spare = 0;
    std::uint8_t* const m = nonnull(data, spare);
    int rc;
    if (suite_ == Suite::aes256_gcm) {
        rc = crypto_aead_aes256gcm_decrypt_detached_afternm(m, nullptr, m, data.size(), tag,
            aad.data(), aad.size(), n.b, reinterpret_cast<const crypto_aead_aes256gcm_state*>(state_));
    } else {
        rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(m, nullptr, m, data.size(), tag,
            aad.data(), aad.size(), n.b, state_);
    }
    return rc == 0 ? Error::ok : Error::bad_tag;
}

}  // namespace udpvpn
