// SPDX-License-Identifier: GPL-3.0-or-later
#include <udpvpn/rng.hpp>

#include "vectors.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using udpvpn::test::to_hex;

namespace {
std::string draw(Rng& r, std::size_t n) {
    Bytes b(n);
    r.fill(b);
    return to_hex(b);
}
}  // namespace

TEST_CASE("DeterministicRng output is fixed by the seed and the sequence of request sizes") {
    // key = BLAKE2b-256(u64 BE seed); each fill starts a new ChaCha20 block (zero nonce).
    // Recomputed in Python: key = hashlib.blake2b(seed.to_bytes(8, "big"), digest_size=32), then
    // cryptography ChaCha20(key, nonce = block.to_bytes(8, "little") + bytes(8)) over zeros.
    DeterministicRng r(0);
    CHECK(draw(r, 16) == "e4396463ea1d616ac0810110d26bf1c6");
    CHECK(draw(r, 70) == "8312b925ec98bb33d5c802bfb48e7146b48aee4ba8eea8c6ef4fa7a55947d031c0c67ab0476c8e89bfa0ad8746"
                         "48993a1330f53827c03c72ed802af3a67e156f6c4cf6ba0ee4");
    CHECK(draw(r, 8) == "286382809171d056");
    DeterministicRng r42(42);
    CHECK(draw(r42, 32) == "327544782a04a11e16e5c1e48bf001cdc6c88760927f221210732ac6cfd12f2b");
}

TEST_CASE("DeterministicRng: same seed same stream, different seeds different streams") {
    DeterministicRng a(7), b(7), c(8);
    const std::string x = draw(a, 40);
    CHECK(x == draw(b, 40));
    CHECK(x != draw(c, 40));
    CHECK(draw(a, 40) != x);   // the stream advances
}

TEST_CASE("DeterministicRng accepts a 32-byte seed as the key and hashes any other length") {
    const Bytes seed(32, 0x11);
    DeterministicRng a(seed), b(seed);
    CHECK(draw(a, 32) == draw(b, 32));
    const Bytes short_seed(5, 0x11);
    DeterministicRng c(short_seed), d(seed);
    CHECK(draw(c, 32) != draw(d, 32));
}

TEST_CASE("SystemRng fills the whole buffer") {
    SystemRng r;
    Bytes a(64), b(64);
    r.fill(a);
    r.fill(b);
    CHECK(a != b);
    r.fill({});   // empty request is fine
}
