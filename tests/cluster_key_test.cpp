// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster key's two derivations (docs/rfc-draft.txt, Section 10.5), recomputed here from the
// draft's formulas with libsodium's BLAKE2b; tests/stateless_reset_test.cpp checks the vectors.
#include "cluster_key.hpp"

#include <udpvpn/config.hpp>

#include <sodium.h>

#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string_view>

using namespace udpvpn;

namespace {

PresharedKey key_of(std::uint8_t first) {
    PresharedKey k(ByteView{});
    for (std::size_t i = 0; i < PresharedKey::kSize; ++i) k.expose_mut()[i] = static_cast<std::uint8_t>(first + i);
    return k;
}

// BLAKE2b(key, out_len, label || suffix), written out from the draft.
Bytes blake2b(const PresharedKey& key, std::size_t out_len, std::string_view label, ByteView suffix) {
    Bytes msg(label.begin(), label.end());
    msg.insert(msg.end(), suffix.begin(), suffix.end());
    Bytes out(out_len);
    REQUIRE(crypto_generichash(out.data(), out.size(), msg.data(), msg.size(), key.expose().data(),
                               key.expose().size()) == 0);
    return out;
}

Bytes bytes_of(ByteView v) { return Bytes(v.begin(), v.end()); }

}  // namespace

TEST_CASE("cookie secret = BLAKE2b-256(cluster key, \"udpvpn cookie secret\" || u64 bucket)") {
    const PresharedKey k = key_of(1);
    const std::uint8_t bucket[8] = {0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04};
    CHECK(bytes_of(cluster_cookie_secret(k, 0x01020304).expose()) == blake2b(k, 32, "udpvpn cookie secret", bucket));
    // Every bucket has its own secret, and so has every cluster key.
    CHECK(bytes_of(cluster_cookie_secret(k, 1).expose()) != bytes_of(cluster_cookie_secret(k, 2).expose()));
    CHECK(bytes_of(cluster_cookie_secret(k, 1).expose()) != bytes_of(cluster_cookie_secret(key_of(2), 1).expose()));
}

TEST_CASE("reset token = BLAKE2b-128(cluster key, \"udpvpn stateless reset\" || u32 session ID)") {
    const PresharedKey k = key_of(7);
    const std::uint8_t sid[4] = {0x2A, 0x00, 0x00, 0x01};
    const ResetToken t = stateless_reset_token(k, 0x2A000001);
    CHECK(t.size() == kResetTokenSize);
    CHECK(bytes_of(t.expose()) == blake2b(k, 16, "udpvpn stateless reset", sid));
    CHECK(bytes_of(stateless_reset_token(k, 0x2A000002).expose()) != bytes_of(t.expose()));
    CHECK(bytes_of(stateless_reset_token(key_of(8), 0x2A000001).expose()) != bytes_of(t.expose()));
}

TEST_CASE("the two derivations are separated by their labels") {
    // A reset token is never the prefix of the cookie secret of the same number (different labels),
    // so whoever sees tokens learns nothing about cookie secrets.
    const PresharedKey k = key_of(3);
    const Bytes cookie = bytes_of(cluster_cookie_secret(k, 5).expose());
    const Bytes token = bytes_of(stateless_reset_token(k, 5).expose());
    CHECK(std::memcmp(cookie.data(), token.data(), token.size()) != 0);
}

TEST_CASE("the configured cluster key is shared by the configuration's copies, not copied") {
    // The derivations read the one PresharedKey the configuration holds (include/udpvpn/preshared_key.hpp).
    ServerEndpointConfig c;
    CHECK_FALSE(c.cluster_key);   // none configured: no cookie secret is derived, no reset sent
    c.cluster_key = std::make_shared<const PresharedKey>(key_of(0xA0));
    const ServerEndpointConfig copy = c;
    CHECK(copy.cluster_key.get() == c.cluster_key.get());
    CHECK(bytes_of(stateless_reset_token(*copy.cluster_key, 9).expose()) ==
          bytes_of(stateless_reset_token(key_of(0xA0), 9).expose()));
}
