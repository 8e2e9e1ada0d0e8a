// SPDX-License-Identifier: GPL-3.0-or-later
#include "handshake_messages.hpp"

#include <doctest/doctest.h>

#include <sodium.h>

using namespace udpvpn;

TEST_CASE("CERTIFICATE round-trips a chain of 1..4 certificates and refuses more") {
    std::vector<Bytes> chain{Bytes(700, 1), Bytes(1500, 2), Bytes(3, 3)};
    const Bytes msg = encode_certificate(chain);
    bool complete = false;
    auto m = read_hs_message(msg, complete);
    REQUIRE(m.ok());
    REQUIRE(complete);
    CHECK(m.value.type == HsMsgType::certificate);
    CHECK(m.value.whole.size() == msg.size());
    auto p = parse_certificate(m.value.body);
    REQUIRE(p.ok());
    CHECK(p.value == chain);
    std::vector<Bytes> five(5, Bytes(10, 1));
    CHECK(encode_certificate(five).empty());
    CHECK(encode_certificate({}).empty());
}

TEST_CASE("CERTIFICATE parser rejects counts, empty certificates, truncation and trailing bytes") {
    CHECK_FALSE(parse_certificate(Bytes{0}).ok());
    CHECK_FALSE(parse_certificate(Bytes{5}).ok());
    CHECK_FALSE(parse_certificate(Bytes{1, 0, 0, 0}).ok());
    CHECK_FALSE(parse_certificate(Bytes{1, 0, 0, 2, 9}).ok());
    CHECK_FALSE(parse_certificate(Bytes{1, 0, 0, 1, 9, 9}).ok());
    CHECK(parse_certificate(Bytes{1, 0, 0, 1, 9}).ok());
}

TEST_CASE("message reader waits for complete messages and rejects unknown types and huge lengths") {
    const Bytes fin = encode_finished(Secret32{}, Hash32{});
    bool complete = true;
    auto m = read_hs_message(ByteView(fin).first(10), complete);
    CHECK(m.ok());
    CHECK_FALSE(complete);
    m = read_hs_message(ByteView(fin).first(3), complete);
    CHECK(m.ok());
    CHECK_FALSE(complete);
    Bytes bad = fin;
    bad[0] = 0x09;
    CHECK(read_hs_message(bad, complete).error == Error::malformed);
    Bytes huge{0x0B, 0x00, 0x80, 0x00};   // 32768-byte body: cannot fit the stream
    CHECK(read_hs_message(huge, complete).error == Error::malformed);
}

TEST_CASE("extensions: known ones parse, unknown non-critical are ignored, unknown critical fail with the type") {
    Extensions e;
    e.flight_size_hint = 4321;
    e.inner_protocols = 3;
    const std::uint8_t extra[] = {0x12, 0x34, 0x00, 0x02, 0xAA, 0xBB};   // unknown, not critical
    Bytes tlvs = encode_extensions(e, extra);
    auto p = parse_extensions(tlvs);
    REQUIRE(p.error == Error::ok);
    CHECK(p.ext.flight_size_hint == 4321u);
    CHECK(p.ext.inner_protocols == 3);
    const std::uint8_t crit[] = {0x92, 0x34, 0x00, 0x00};
    Bytes t2 = encode_extensions(e, crit);
    auto p2 = parse_extensions(t2);
    CHECK(p2.error == Error::unsupported_extension);
    CHECK(p2.unsupported_type == 0x9234);
    // A known extension marked critical is still known.
    const std::uint8_t known_crit[] = {0x80, 0x02, 0x00, 0x01, 0x01};
    CHECK(parse_extensions(known_crit).error == Error::ok);
}

TEST_CASE("extensions: truncation, duplicates and wrong lengths are malformed") {
    const std::uint8_t trunc[] = {0x00, 0x02, 0x00, 0x02, 0x01};
    CHECK(parse_extensions(trunc).error == Error::malformed);
    const std::uint8_t dup[] = {0x00, 0x02, 0x00, 0x01, 0x01, 0x00, 0x02, 0x00, 0x01, 0x02};
    CHECK(parse_extensions(dup).error == Error::malformed);
    const std::uint8_t badlen[] = {0x00, 0x01, 0x00, 0x02, 0x01, 0x02};
    CHECK(parse_extensions(badlen).error == Error::malformed);
    CHECK(parse_extensions({}).error == Error::ok);
}

TEST_CASE("CERTIFICATE_VERIFY round-trips and signs a role-specific content") {
    const Bytes sig(64, 7);
    const Bytes msg = encode_certificate_verify(SignatureScheme::ed25519, sig);
    bool complete = false;
    auto m = read_hs_message(msg, complete);
    REQUIRE(m.ok());
    auto cv = parse_certificate_verify(m.value.body);
    REQUIRE(cv.ok());
    CHECK(cv.value.scheme == 0x0807);
    CHECK(cv.value.signature.size() == 64);
    CHECK_FALSE(parse_certificate_verify(ByteView(m.value.body).first(60)).ok());
    Hash32 th{};
    th.fill(0xEE);
    const Bytes s = certificate_verify_content(Role::server, th);
    const Bytes c = certificate_verify_content(Role::client, th);
    CHECK(s.size() == 64 + 34 + 1 + 32);
    CHECK(s != c);
    CHECK(s[0] == 0x20);
    CHECK(std::string(s.begin() + 64, s.begin() + 98) == "udpvpn v1 server CertificateVerify");
    CHECK(s[98] == 0);
}

TEST_CASE("FINISHED is HMAC-SHA-256 over the transcript hash and any change fails it") {
    Secret32 key;
    key.expose_mut()[0] = 1;
    Hash32 th{};
    th[5] = 9;
    const Bytes fin = encode_finished(key, th);
    REQUIRE(fin.size() == 36);
    std::uint8_t expect[32];
    crypto_auth_hmacsha256(expect, th.data(), 32, key.data());
    CHECK(std::memcmp(expect, fin.data() + 4, 32) == 0);
    ByteView body = ByteView(fin).subspan(4);
    CHECK(verify_finished(key, th, body));
    Hash32 th2 = th;
    th2[0] ^= 1;
    CHECK_FALSE(verify_finished(key, th2, body));
    Secret32 key2 = key;
    key2.expose_mut()[1] = 1;
    CHECK_FALSE(verify_finished(key2, th, body));
    CHECK_FALSE(verify_finished(key, th, body.first(31)));
}
