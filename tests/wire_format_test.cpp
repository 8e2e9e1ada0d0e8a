// SPDX-License-Identifier: GPL-3.0-or-later
#include "admission.hpp"
#include "wire_format.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;

namespace {

const std::array<std::uint8_t, 32> kZeroKey{};
const std::uint8_t kSuites[] = {0x00, 0x01, 0x00, 0x02};
const std::uint8_t kExt[] = {0x00, 0x02, 0x00, 0x01, 0x01};

InitialFields sample_initial() {
    InitialFields f;
    f.client_sid = 0xA1B2C3D4;
    for (int i = 0; i < 32; ++i) { f.client_random[i] = static_cast<std::uint8_t>(i); f.client_eph_pub[i] = static_cast<std::uint8_t>(0x80 + i); }
    f.suites = kSuites;
    f.extensions = kExt;
    return f;
}

}  // namespace

TEST_CASE("INITIAL round-trips, is padded to the datagram size and carries a verifiable admission MAC") {
    Bytes buf(1232);
    auto n = encode_initial(sample_initial(), kZeroKey, 1232, buf);
    REQUIRE(n.ok());
    CHECK(n.value == 1232);
    CHECK(admission_verify(kZeroKey, buf));
    auto p = parse_initial(buf);
    REQUIRE(p.ok());
    CHECK(p.value.client_sid == 0xA1B2C3D4);
    CHECK(p.value.client_eph_pub[31] == 0x80 + 31);
    CHECK(p.value.suites.size() == 4);
    CHECK(p.value.extensions.size() == sizeof kExt);
    CHECK(p.value.cookie.empty());
    // The ClientHello (transcript part) is exactly type..extensions.
    const Bytes hello = encode_client_hello(sample_initial());
    CHECK(hello.size() == 1 + 2 + 4 + 32 + 32 + 1 + 4 + 2 + sizeof kExt);
    CHECK(Bytes(p.value.client_hello.begin(), p.value.client_hello.end()) == hello);
}

TEST_CASE("a cookie does not change the ClientHello bytes") {
    InitialFields f = sample_initial();
    Cookie c{};
    c.fill(0x5A);
    f.cookie = c;
    Bytes buf(1200);
    REQUIRE(encode_initial(f, kZeroKey, 1200, buf).ok());
    auto p = parse_initial(buf);
    REQUIRE(p.ok());
    REQUIRE(p.value.cookie.size() == kCookieSize);
    CHECK(p.value.cookie[0] == 0x5A);
    CHECK(Bytes(p.value.client_hello.begin(), p.value.client_hello.end()) == encode_client_hello(sample_initial()));
}

TEST_CASE("admission MAC fails under another key or after any byte changes") {
    std::array<std::uint8_t, 32> key{};
    key[0] = 1;
    Bytes buf(1200);
    REQUIRE(encode_initial(sample_initial(), key, 1200, buf).ok());
    CHECK(admission_verify(key, buf));
    CHECK_FALSE(admission_verify(kZeroKey, buf));
    for (std::size_t i : {std::size_t{0}, std::size_t{7}, std::size_t{600}, buf.size() - 1}) {
        Bytes t = buf;
        t[i] ^= 1;
        CHECK_FALSE(admission_verify(key, t));
    }
    CHECK_FALSE(admission_verify(key, ByteView(buf).first(16)));
}

TEST_CASE("INITIAL parser rejects unknown versions, bad cookie lengths, nonzero padding and truncation") {
    Bytes buf(1200);
    REQUIRE(encode_initial(sample_initial(), kZeroKey, 1200, buf).ok());
    Bytes v = buf;
    v[2] = 2;
    CHECK(parse_initial(v).error == Error::version_unsupported);
    const std::size_t cookie_len_at = 1 + 2 + 4 + 32 + 32 + 1 + 4 + 2 + sizeof kExt;
    Bytes c = buf;
    c[cookie_len_at] = 5;
    CHECK(parse_initial(c).error == Error::malformed);
    Bytes z = buf;
    z[1000] = 1;
    CHECK(parse_initial(z).error == Error::malformed);
    Bytes s = buf;
    s[1 + 2 + 4 + 64] = 0;   // n_suites 0
    CHECK(parse_initial(s).error == Error::malformed);
    for (std::size_t len : {0, 1, 3, 70, 90}) CHECK_FALSE(parse_initial(ByteView(buf).first(len)).ok());
    // Fields that do not fit the datagram size are refused at encoding time.
    CHECK(encode_initial(sample_initial(), kZeroKey, 90, buf).error == Error::invalid_argument);
}

TEST_CASE("PAD parser refuses a nonzero byte anywhere in its padding, at every offset and length") {
    // The padding check goes 8 bytes at a time, then byte by byte: every position of both parts, and
    // lengths that leave 0 to 7 bytes for the second.
    PadFields pf;
    pf.client_sid = 7;
    pf.client_eph_pub.fill(3);
    for (std::size_t size = 1200; size < 1208; ++size) {
        Bytes pad(size);
        REQUIRE(encode_pad(pf, kZeroKey, size, pad).ok());
        REQUIRE(parse_pad(pad).ok());
        for (std::size_t i = kPadHeaderSize; i + kAdmissionMacSize < size; ++i) {
            Bytes dirty = pad;
            dirty[i] = 0x80;
            CHECK(parse_pad(dirty).error == Error::malformed);
        }
    }
}

TEST_CASE("PAD, RETRY and SERVER_HELLO round-trip with their fixed sizes") {
    PadFields pf;
    pf.client_sid = 7;
    pf.client_eph_pub.fill(3);
    Bytes pad(1232);
    REQUIRE(encode_pad(pf, kZeroKey, 1232, pad).ok());
    CHECK(pad[0] == 0x02);
    CHECK(admission_verify(kZeroKey, pad));
    auto pp = parse_pad(pad);
    REQUIRE(pp.ok());
    CHECK(pp.value.client_sid == 7);
    CHECK(pp.value.client_eph_pub == pf.client_eph_pub);

    RetryFields rf;
    rf.client_sid = 0x01020304;
    rf.cookie.fill(9);
    Bytes retry(64);
    auto rn = encode_retry(rf, retry);
    REQUIRE(rn.ok());
    CHECK(rn.value == 29);
    auto rp = parse_retry(ByteView(retry).first(29));
    REQUIRE(rp.ok());
    CHECK(rp.value.client_sid == 0x01020304);
    CHECK(rp.value.cookie == rf.cookie);
    CHECK_FALSE(parse_retry(ByteView(retry).first(28)).ok());
    CHECK_FALSE(parse_retry(ByteView(retry).first(30)).ok());

    ServerHelloFields sh;
    sh.client_sid = 1;
    sh.server_sid = 0x2A000001;
    sh.server_random.fill(4);
    sh.server_eph_pub.fill(5);
    sh.suite = 2;
    Bytes shb(80);
    auto sn = encode_server_hello(sh, shb);
    REQUIRE(sn.ok());
    CHECK(sn.value == 75);
    auto sp = parse_server_hello(ByteView(shb).first(75));
    REQUIRE(sp.ok());
    CHECK(sp.value.server_sid == 0x2A000001);
    CHECK(sp.value.suite == 2);
    CHECK(sp.value.server_eph_pub == sh.server_eph_pub);
    CHECK_FALSE(parse_server_hello(ByteView(shb).first(74)).ok());
}

TEST_CASE("HANDSHAKE header needs room for the tag") {
    Bytes b(25, 0);
    REQUIRE(encode_handshake_header({0xDEADBEEF, 42}, b).ok());
    auto h = parse_handshake_header(b);
    REQUIRE(h.ok());
    CHECK(h.value.dst_sid == 0xDEADBEEF);
    CHECK(h.value.packet_number == 42);
    CHECK_FALSE(parse_handshake_header(ByteView(b).first(24)).ok());
}

TEST_CASE("frames round-trip: FRAG, ACK, CLOSE, then PADDING eats the rest") {
    Bytes p(200, 0);
    Writer w(p);
    const std::uint8_t data[] = {1, 2, 3};
    write_frag(w, 1000, data);
    const ByteRange ranges[] = {{0, 10}, {20, 30}};
    write_ack(w, ranges);
    write_close(w, 8, "no common suite");
    REQUIRE(w.ok());
    FrameReader fr(p);
    auto f1 = fr.next();
    REQUIRE(f1.ok());
    CHECK(f1.value.type == FrameType::frag);
    CHECK(f1.value.offset == 1000);
    CHECK(f1.value.data.size() == 3);
    auto f2 = fr.next();
    REQUIRE(f2.ok());
    CHECK(f2.value.type == FrameType::ack);
    CHECK(f2.value.n_ranges == 2);
    CHECK(f2.value.ranges[1] == ByteRange{20, 30});
    auto f3 = fr.next();
    REQUIRE(f3.ok());
    CHECK(f3.value.type == FrameType::close);
    CHECK(f3.value.code == 8);
    CHECK(std::string(f3.value.text.begin(), f3.value.text.end()) == "no common suite");
    auto f4 = fr.next();
    REQUIRE(f4.ok());
    CHECK(f4.value.type == FrameType::padding);
    CHECK(fr.done());
}

TEST_CASE("frame parser rejects unknown types, bad ACK counts, inverted ranges, truncation and dirty padding") {
    auto first = [](std::initializer_list<std::uint8_t> b) {
        Bytes v(b);
        FrameReader fr(v);
        return fr.next().error;
    };
    CHECK(first({0x04}) == Error::malformed);
    CHECK(first({0x02, 0x00}) == Error::malformed);
    CHECK(first({0x02, 0x09}) == Error::malformed);
    CHECK(first({0x02, 0x01, 0, 0, 0, 5, 0, 0, 0, 5}) == Error::malformed);
    CHECK(first({0x02, 0x01, 0, 0, 0, 5, 0, 0, 0}) == Error::malformed);
    CHECK(first({0x01, 0, 0, 0, 0, 0, 4, 1, 2, 3}) == Error::malformed);
    CHECK(first({0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0, 2, 1, 2}) == Error::malformed);
    CHECK(first({0x00, 0, 0, 1}) == Error::malformed);
    CHECK(first({0x03, 0, 1, 0, 5, 'a'}) == Error::malformed);
    Bytes longclose{0x03, 0, 1, 0, 201};
    longclose.resize(5 + 201, 'x');
    FrameReader fr(longclose);
    CHECK(fr.next().error == Error::malformed);
}

TEST_CASE("close codes map to the §7 reasons") {
    CHECK(close_code_for(Error::cert_expired) == 4);
    CHECK(close_code_for(Error::bad_signature) == 5);
    CHECK(close_code_for(Error::bad_finished) == 6);
    CHECK(close_code_for(Error::unsupported_extension) == 7);
    CHECK(close_code_for(Error::no_common_suite) == 8);
    CHECK(close_code_for(Error::protocol_violation) == 11);
    CHECK(error_for_close_code(8) == Error::no_common_suite);
    CHECK(error_for_close_code(5) == Error::peer_closed);
    CHECK(error_for_close_code(7) == Error::unsupported_extension);
    CHECK(std::string(close_code_name(7)) == "unsupported extension");
    CHECK(std::string(close_code_name(999)) == "unknown");
}
