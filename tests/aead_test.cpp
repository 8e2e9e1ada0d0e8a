// SPDX-License-Identifier: GPL-3.0-or-later
#include "aead.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <stdexcept>

using namespace udpvpn;
using udpvpn::test::to_hex;

namespace {

Suite suite_from_text(const std::string& s) {
    if (s == "chacha20_poly1305") return Suite::chacha20_poly1305;
    if (s == "aes256_gcm") return Suite::aes256_gcm;
    throw std::runtime_error("unknown suite " + s);
}

TrafficKeys keys_of(ByteView key, ByteView iv) {
    TrafficKeys k;
    k.key.assign(key);
    k.iv.assign(iv);
    return k;
}

TrafficKeys sample_keys(std::uint8_t fill) {
    TrafficKeys k;
    for (auto& b : k.key.expose_mut()) b = fill;
    for (auto& b : k.iv.expose_mut()) b = static_cast<std::uint8_t>(fill + 1);
    return k;
}

const Suite kSuites[] = {Suite::chacha20_poly1305, Suite::aes256_gcm};

}  // namespace

TEST_CASE("ChaCha20-Poly1305 is always available") {
    CHECK(suite_available(Suite::chacha20_poly1305));
    if (!suite_available(Suite::aes256_gcm)) MESSAGE("AES-256-GCM unavailable on this CPU (no AES-NI/PCLMUL)");
}

TEST_CASE("AEAD matches the published vectors, nonce = iv XOR counter") {
    for (const auto& v : test::load_vectors("aead.vec")) {
        CAPTURE(v.name());
        const Suite suite = suite_from_text(v.text("suite_text"));
        if (!suite_available(suite)) {
            MESSAGE("skipping " << v.name() << ": AES-256-GCM needs AES-NI");
            continue;
        }
        const AeadKey key(suite, keys_of(v.hex("key"), v.hex("iv")));
        REQUIRE(key.valid());
        const Bytes aad = v.hex("aad"), pt = v.hex("plaintext");
        Bytes buf = pt;
        std::uint8_t tag[kAeadTagSize];
        key.seal(v.uint("counter"), aad, buf, tag);
        CHECK(to_hex(buf) == v.text("ciphertext"));
        CHECK(to_hex({tag, sizeof tag}) == v.text("tag"));
        REQUIRE(key.open(v.uint("counter"), aad, buf, tag) == Error::ok);
        CHECK(buf == pt);
    }
}

TEST_CASE("AEAD open rejects any change to ciphertext, tag, AAD or counter") {
    for (Suite s : kSuites) {
        if (!suite_available(s)) continue;
        CAPTURE(static_cast<int>(s));
        const AeadKey key(s, sample_keys(7));
        const std::uint8_t aad[5] = {1, 2, 3, 4, 5};
        std::uint8_t sealed[100];
        for (std::size_t i = 0; i < sizeof sealed; ++i) sealed[i] = static_cast<std::uint8_t>(i);
        std::uint8_t tag[kAeadTagSize];
        key.seal(42, aad, sealed, tag);

        auto opens = [&](std::uint64_t counter, ByteView a, const std::uint8_t* ct, const std::uint8_t* t) {
            std::uint8_t buf[sizeof sealed];
            std::memcpy(buf, ct, sizeof buf);
            return key.open(counter, a, buf, t) == Error::ok;
        };
        CHECK(opens(42, aad, sealed, tag));
        CHECK_FALSE(opens(43, aad, sealed, tag));
        std::uint8_t bad_aad[5] = {1, 2, 3, 4, 4};
        CHECK_FALSE(opens(42, bad_aad, sealed, tag));
        for (std::size_t bit = 0; bit < 8 * sizeof sealed; bit += 37) {
            std::uint8_t ct[sizeof sealed];
            std::memcpy(ct, sealed, sizeof ct);
            ct[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
            CHECK_FALSE(opens(42, aad, ct, tag));
        }
        for (std::size_t bit = 0; bit < 128; ++bit) {
            std::uint8_t t[kAeadTagSize];
            std::memcpy(t, tag, sizeof t);
            t[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
            CHECK_FALSE(opens(42, aad, sealed, t));
        }
    }
}

TEST_CASE("AEAD keys from different traffic secrets do not open each other's packets") {
    for (Suite s : kSuites) {
        if (!suite_available(s)) continue;
        const AeadKey a(s, sample_keys(1)), b(s, sample_keys(2));
        std::uint8_t data[32] = {};
        std::uint8_t tag[kAeadTagSize];
        a.seal(0, {}, data, tag);
        CHECK(b.open(0, {}, data, tag) == Error::bad_tag);
    }
}

TEST_CASE("an empty payload (a span with no storage) seals to a tag that opens, and only for its AAD") {
    // Empty spans may carry a null data(); libsodium's pointers are declared nonnull.
    for (Suite s : kSuites) {
        if (!suite_available(s)) continue;
        const AeadKey k(s, sample_keys(1));
        const std::uint8_t aad[4] = {1, 2, 3, 4};
        std::uint8_t tag[kAeadTagSize];
        k.seal(7, ByteView(aad, sizeof aad), MutableByteView(), tag);
        CHECK(k.open(7, ByteView(aad, sizeof aad), MutableByteView(), tag) == Error::ok);
        CHECK(k.open(7, ByteView(aad, 3), MutableByteView(), tag) == Error::bad_tag);
        CHECK(k.open(8, ByteView(aad, sizeof aad), MutableByteView(), tag) == Error::bad_tag);
    }
}

TEST_CASE("moving an AeadKey keeps it working and wipes the source") {
    for (Suite s : kSuites) {
        if (!suite_available(s)) continue;
        AeadKey a(s, sample_keys(3));
        std::uint8_t data[64] = {9};
        std::uint8_t tag[kAeadTagSize];
        a.seal(5, {}, data, tag);
        AeadKey b(std::move(a));
        CHECK_FALSE(a.valid());
        REQUIRE(b.valid());
        CHECK(b.suite() == s);
        AeadKey c;
        c = std::move(b);
        CHECK_FALSE(b.valid());
        CHECK(c.open(5, {}, data, tag) == Error::ok);
        CHECK(data[0] == 9);
    }
}

TEST_CASE("a default or wiped AeadKey opens nothing and seals no plaintext") {
    AeadKey k;
    CHECK_FALSE(k.valid());
    std::uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    std::uint8_t tag[kAeadTagSize];
    k.seal(0, {}, data, tag);
    for (std::uint8_t b : data) CHECK(b == 0);
    CHECK(k.open(0, {}, data, tag) == Error::bad_tag);

    AeadKey w(Suite::chacha20_poly1305, sample_keys(4));
    w.wipe();
    CHECK_FALSE(w.valid());
    CHECK(w.open(0, {}, data, tag) == Error::bad_tag);
}

TEST_CASE("an unavailable suite yields an invalid key") {
    if (suite_available(Suite::aes256_gcm)) {
        MESSAGE("AES-256-GCM available: nothing to check");
        return;
    }
    CHECK_FALSE(AeadKey(Suite::aes256_gcm, sample_keys(5)).valid());
}
