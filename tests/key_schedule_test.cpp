// SPDX-License-Identifier: GPL-3.0-or-later
#include "key_schedule.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace udpvpn;
using udpvpn::test::to_hex;

TEST_CASE("HKDF-SHA-256 matches RFC 5869 test cases 1-3") {
    const auto cases = test::load_vectors("hkdf_sha256.vec");
    CHECK(cases.size() == 3);
    for (const auto& v : cases) {
        CAPTURE(v.name());
        const Secret32 prk = hkdf_extract(v.hex("salt"), v.hex("ikm"));
        CHECK(to_hex(prk.expose()) == v.text("prk"));
        Bytes okm(v.uint("length"));
        hkdf_expand(prk, v.hex("info"), okm);
        CHECK(to_hex(okm) == v.text("okm"));
    }
}

TEST_CASE("an ExpandKey keyed once matches RFC 5869 test cases 1-3 on every use, whatever came between") {
    const auto cases = test::load_vectors("hkdf_sha256.vec");
    REQUIRE(cases.size() == 3);
    for (const auto& v : cases) {
        CAPTURE(v.name());
        const Secret32 prk = hkdf_extract(v.hex("salt"), v.hex("ikm"));
        const ExpandKey key(prk);
        for (int round = 0; round < 3; ++round) {
            Bytes okm(v.uint("length")), other(100);
            key.expand(v.hex("info"), okm);
            CHECK(to_hex(okm) == v.text("okm"));
            key.expand({}, other);   // another expansion with the same key in between changes nothing
            Bytes again(100);
            hkdf_expand(prk, {}, again);
            CHECK(other == again);
        }
    }
}

TEST_CASE("Expand-Label through an ExpandKey equals Expand-Label through the secret, label after label") {
    Secret32 s;
    for (std::size_t i = 0; i < s.size(); ++i) s.expose_mut()[i] = static_cast<std::uint8_t>(i * 7 + 1);
    const ExpandKey key(s);
    const std::uint8_t ctx[32] = {9, 8, 7};
    for (const char* label : {"key", "iv", "c hs", "s hs", "finished", "derived", "c data", "s data", "rekey"}) {
        CAPTURE(label);
        for (std::size_t len : {std::size_t{12}, std::size_t{32}, std::size_t{33}, std::size_t{64}}) {
            Bytes a(len), b(len), c(len), d(len);
            expand_label(s, label, {}, a);
            expand_label(key, label, {}, b);
            expand_label(s, label, ctx, c);
            expand_label(key, label, ctx, d);
            CHECK(a == b);
            CHECK(c == d);
            CHECK(a != c);
        }
        CHECK(expand_label32(key, label, ctx) == expand_label32(s, label, ctx));
    }
}

TEST_CASE("HKDF-Expand output is a prefix of any longer output") {
    const Secret32 prk = hkdf_extract({}, {});
    Bytes long_out(100), short_out(33);
    hkdf_expand(prk, {}, long_out);
    hkdf_expand(prk, {}, short_out);
    CHECK(Bytes(long_out.begin(), long_out.begin() + 33) == short_out);
}

TEST_CASE("Expand-Label binds the output length, the label and the context") {
    Secret32 s;
    s.expose_mut()[0] = 1;
    Bytes a(32), b(16), c(32), d(32);
    const std::uint8_t ctx[1] = {0};
    expand_label(s, "key", {}, a);
    expand_label(s, "key", {}, b);
    expand_label(s, "iv", {}, c);
    expand_label(s, "key", ctx, d);
    CHECK(Bytes(a.begin(), a.begin() + 16) != b);   // L is part of the info, unlike plain HKDF
    CHECK(a != c);
    CHECK(a != d);
    CHECK(to_hex(expand_label32(s, "key", {}).expose()) == to_hex(a));
}

namespace {

Hash32 hash_of(const test::VectorCase& v, const std::string& field) {
    const Bytes b = v.hex(field);
    REQUIRE(b.size() == 32);
    Hash32 h;
    std::copy(b.begin(), b.end(), h.begin());
    return h;
}

Secret32 secret_of(const test::VectorCase& v, const std::string& field) {
    const Bytes b = v.hex(field);
    REQUIRE(b.size() == 32);
    return Secret32(b);
}

void check_traffic(const test::VectorCase& v, const std::string& prefix, const Secret32& secret) {
    const TrafficKeys k = TrafficKeys::derive(secret);
    CHECK(to_hex(k.key.expose()) == v.text(prefix + "_key"));
    CHECK(to_hex(k.iv.expose()) == v.text(prefix + "_iv"));
}

void check_data(const test::VectorCase& v, const DataSecrets& d) {
    CHECK(to_hex(d.client_data.expose()) == v.text("c_data"));
    CHECK(to_hex(d.server_data.expose()) == v.text("s_data"));
    CHECK(to_hex(d.rekey.expose()) == v.text("rekey"));
    check_traffic(v, "c_data", d.client_data);
    check_traffic(v, "s_data", d.server_data);
}

// Both ephemeral public keys and the shared secret, computed from each side.
Secret32 check_exchange(const test::VectorCase& v) {
    const Secret32 cpriv = secret_of(v, "client_eph_priv"), spriv = secret_of(v, "server_eph_priv");
    std::array<std::uint8_t, 32> cpub{}, spub{};
    x25519_public(cpriv, cpub);
    x25519_public(spriv, spub);
    CHECK(to_hex(cpub) == v.text("client_eph_pub"));
    CHECK(to_hex(spub) == v.text("server_eph_pub"));
    Secret32 at_client, at_server;
    REQUIRE(x25519(cpriv, spub, at_client));
    REQUIRE(x25519(spriv, cpub, at_server));
    CHECK(at_client == at_server);
    CHECK(to_hex(at_client.expose()) == v.text("shared"));
    return at_client;
}

}  // namespace

TEST_CASE("key schedule derives every handshake and data secret of the known-answer vectors") {
    int handshakes = 0, rekeys = 0, x25519_cases = 0, x25519_rejects = 0;
    for (const auto& v : test::load_vectors("key_schedule.vec")) {
        CAPTURE(v.name());
        const std::string kind = v.text("kind_text");
        if (kind == "handshake") {
            ++handshakes;
            const Secret32 shared = check_exchange(v);
            Secret32 adm;
            if (v.has("admission_key")) adm = secret_of(v, "admission_key");
            const Secret32 early = derive_early_secret(v.has("admission_key") ? &adm : nullptr);
            CHECK(to_hex(early.expose()) == v.text("early"));
            const HandshakeSecrets hs = derive_handshake_secrets(early, shared, hash_of(v, "th1"));
            CHECK(to_hex(hs.hs_secret.expose()) == v.text("hs_secret"));
            CHECK(to_hex(hs.client_hs.expose()) == v.text("c_hs"));
            CHECK(to_hex(hs.server_hs.expose()) == v.text("s_hs"));
            check_traffic(v, "c_hs", hs.client_hs);
            check_traffic(v, "s_hs", hs.server_hs);
            CHECK(to_hex(hs.client_finished.expose()) == v.text("c_finished"));
            CHECK(to_hex(hs.server_finished.expose()) == v.text("s_finished"));
            // Intermediates that derive_data_secrets keeps to itself, recomputed from the primitives.
            const Secret32 derived = expand_label32(hs.hs_secret, "derived", {});
            CHECK(to_hex(derived.expose()) == v.text("derived"));
            CHECK(to_hex(hkdf_extract(derived.expose(), Secret32().expose()).expose()) == v.text("master"));
            check_data(v, derive_data_secrets(hs.hs_secret, hash_of(v, "th2")));
        } else if (kind == "rekey") {
            ++rekeys;
            const Secret32 shared = check_exchange(v);
            const Secret32 rekey_n = secret_of(v, "rekey_n");
            CHECK(to_hex(hkdf_extract(rekey_n.expose(), shared.expose()).expose()) == v.text("r_secret"));
            const auto epoch = static_cast<std::uint32_t>(v.uint("next_epoch"));
            check_data(v, derive_rekey_secrets(rekey_n, shared, epoch));
            CHECK((epoch & 1) == v.uint("key_phase"));
        } else if (kind == "x25519") {
            ++x25519_cases;
            Secret32 shared;
            shared.expose_mut()[0] = 0xff;   // must be wiped on failure
            const bool ok = x25519(secret_of(v, "priv"), v.hex("peer_pub"), shared);
            if (v.expect_fail()) {
                ++x25519_rejects;
                CHECK_FALSE(ok);
                CHECK(shared.is_zero());
            } else {
                CHECK(ok);
                CHECK(to_hex(shared.expose()) == v.text("shared"));
            }
        } else {
            FAIL("unknown kind " << kind);
        }
    }
    CHECK(handshakes == 2);
    CHECK(rekeys >= 1);
    CHECK(x25519_cases >= 2);
    CHECK(x25519_rejects >= 1);
}

TEST_CASE("x25519 rejects a peer key of the wrong length") {
    Secret32 priv, shared;
    priv.expose_mut()[0] = 1;
    const std::uint8_t short_pub[31] = {9};
    CHECK_FALSE(x25519(priv, short_pub, shared));
    CHECK(shared.is_zero());
}

TEST_CASE("an admission key changes every secret after early") {
    Secret32 adm;
    adm.expose_mut()[0] = 1;
    CHECK_FALSE(derive_early_secret(&adm) == derive_early_secret(nullptr));
    Secret32 zero;   // an all-zero admission key is the same as none (docs: "32 zero bytes")
    CHECK(derive_early_secret(&zero) == derive_early_secret(nullptr));
}

TEST_CASE("the two directions and the two epochs never share a secret") {
    Secret32 early, shared;
    shared.expose_mut()[5] = 3;
    const Hash32 th{};
    const HandshakeSecrets hs = derive_handshake_secrets(early, shared, th);
    CHECK_FALSE(hs.client_hs == hs.server_hs);
    CHECK_FALSE(hs.client_finished == hs.server_finished);
    const DataSecrets d0 = derive_data_secrets(hs.hs_secret, th);
    CHECK_FALSE(d0.client_data == d0.server_data);
    const DataSecrets d1 = derive_rekey_secrets(d0.rekey, shared, 1);
    const DataSecrets d1b = derive_rekey_secrets(d0.rekey, shared, 2);
    CHECK_FALSE(d1.client_data == d0.client_data);
    CHECK_FALSE(d1.client_data == d1b.client_data);   // the epoch number is bound in
}
