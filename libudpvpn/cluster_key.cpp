// SPDX-License-Identifier: GPL-3.0-or-later
#include "cluster_key.hpp"

#include "bytes_io.hpp"

#include <sodium.h>

#include <cstring>

namespace udpvpn {
namespace {

constexpr char kCookieLabel[] = "udpvpn cookie secret";     // 20 bytes, no terminator on the wire
constexpr char kResetLabel[] = "udpvpn stateless reset";    // 22 bytes

// BLAKE2b(key = cluster key, out_len, label || suffix).
void derive(const PresharedKey& key, const char* label, std::size_t label_len, ByteView suffix, std::uint8_t* out,
            std::size_t out_len) noexcept {
    crypto_generichash_state st;
    crypto_generichash_init(&st, key.expose().data(), key.expose().size(), out_len);
    crypto_generichash_update(&st, reinterpret_cast<const std::uint8_t*>(label), label_len);
    crypto_generichash_update(&st, suffix.data(), suffix.size());
    crypto_generichash_final(&st, out, out_len);
    sodium_memzero(&st, sizeof st);
}

}  // namespace

Secret32 cluster_cookie_secret(const PresharedKey& cluster_key, std::uint64_t bucket) noexcept {
    std::uint8_t b[8];
    Writer(b).u64(bucket);
    Secret32 s;
    derive(cluster_key, kCookieLabel, sizeof kCookieLabel - 1, b, s.data(), s.size());
    return s;
}

ResetToken stateless_reset_token(const PresharedKey& cluster_key, SessionId server_sid) noexcept {
    std::uint8_t b[4];
    Writer(b).u32(server_sid);
    ResetToken t;
    derive(cluster_key, kResetLabel, sizeof kResetLabel - 1, b, t.data(), t.size());
    return t;
}

}  // namespace udpvpn
