// SPDX-License-Identifier: GPL-3.0-or-later
#include "transcript.hpp"

namespace udpvpn {

Transcript::Transcript() noexcept { crypto_hash_sha256_init(&st_); }

Transcript::~Transcript() { sodium_memzero(&st_, sizeof st_); }

void Transcript::update(ByteView bytes) noexcept { crypto_hash_sha256_update(&st_, bytes.data(), bytes.size()); }

Hash32 Transcript::snapshot() const noexcept {
    crypto_hash_sha256_state copy = st_;
    Hash32 h{};
    crypto_hash_sha256_final(&copy, h.data());
    sodium_memzero(&copy, sizeof copy);
    return h;
}

}  // namespace udpvpn
