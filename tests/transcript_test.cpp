// SPDX-License-Identifier: GPL-3.0-or-later
// The running transcript hash (docs/rfc-draft.txt, Section 8.7).
#include "transcript.hpp"

#include <sodium.h>

#include <doctest/doctest.h>

#include <cstring>

using namespace udpvpn;

namespace {

Hash32 sha256(ByteView b) {
    Hash32 h{};
    crypto_hash_sha256(h.data(), b.data(), b.size());
    return h;
}

}  // namespace

TEST_CASE("transcript snapshots equal SHA-256 of everything fed so far and do not end the hash") {
    Transcript t;
    const std::uint8_t a[] = {'a', 'b', 'c'};
    t.update(a);
    Hash32 h1 = t.snapshot();
    std::uint8_t expect[32];
    crypto_hash_sha256(expect, a, 3);
    CHECK(std::memcmp(h1.data(), expect, 32) == 0);
    t.update(a);
    const std::uint8_t aa[] = {'a', 'b', 'c', 'a', 'b', 'c'};
    crypto_hash_sha256(expect, aa, 6);
    Hash32 h2 = t.snapshot();
    CHECK(std::memcmp(h2.data(), expect, 32) == 0);
    CHECK(t.snapshot() == h2);
}

TEST_CASE("an empty transcript is SHA-256 of nothing; the split of the input does not matter") {
    Transcript empty;
    CHECK(empty.snapshot() == sha256({}));
    Bytes message(1000);
    for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i * 7);
    Transcript whole, pieces;
    whole.update(message);
    for (std::size_t at = 0; at < message.size(); at += 333)
        pieces.update(ByteView(message).subspan(at, std::min<std::size_t>(333, message.size() - at)));
    CHECK(whole.snapshot() == sha256(message));
    CHECK(pieces.snapshot() == whole.snapshot());
}

TEST_CASE("a copied transcript goes on independently: each side's view of a handshake") {
    Transcript t;
    const std::uint8_t hello[] = {1, 2, 3};
    t.update(hello);
    Transcript fork = t;
    const std::uint8_t more[] = {4};
    fork.update(more);
    CHECK(t.snapshot() == sha256(hello));
    const std::uint8_t both[] = {1, 2, 3, 4};
    CHECK(fork.snapshot() == sha256(both));
}
