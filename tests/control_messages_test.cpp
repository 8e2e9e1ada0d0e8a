// SPDX-License-Identifier: GPL-3.0-or-later
#include <doctest/doctest.h>

#include "control_messages.hpp"

using namespace udpvpn;

TEST_CASE("message type numbers match the protocol") {
    CHECK(ctrl_msg::config == 0x01);
    CHECK(ctrl_msg::ping == 0x02);
    CHECK(ctrl_msg::pong == 0x03);
    CHECK(ctrl_msg::disconnect == 0x04);
    CHECK(ctrl_msg::rekey_init == 0x05);
    CHECK(ctrl_msg::rekey_resp == 0x06);
}

TEST_CASE("a PING token roundtrips and only an 8-byte body is accepted") {
    const Bytes b = encode_ping_token(0x0102030405060708ull);
    CHECK(b == Bytes{1, 2, 3, 4, 5, 6, 7, 8});
    const auto t = decode_ping_token(b);
    REQUIRE(t.ok());
    CHECK(t.value == 0x0102030405060708ull);
    CHECK(decode_ping_token(Bytes(7)).error == Error::malformed);
    CHECK(decode_ping_token(Bytes(9)).error == Error::malformed);
}

TEST_CASE("DISCONNECT roundtrips code and UTF-8 text") {
    const Disconnect d{12, "server shutting down \xC3\xA9t\xC3\xA9 \xF0\x9F\x94\x92"};
    const auto enc = encode_disconnect(d);
    REQUIRE(enc.ok());
    CHECK(enc.value[0] == 0);
    CHECK(enc.value[1] == 12);
    CHECK(enc.value.size() == 4 + d.text.size());
    const auto dec = decode_disconnect(enc.value);
    REQUIRE(dec.ok());
    CHECK(dec.value.code == 12);
    CHECK(dec.value.text == d.text);
    const auto empty = decode_disconnect(encode_disconnect(Disconnect{0, ""}).value);
    REQUIRE(empty.ok());
    CHECK(empty.value.text.empty());
}

TEST_CASE("DISCONNECT text is limited to 200 bytes of valid UTF-8") {
    CHECK(encode_disconnect(Disconnect{1, std::string(200, 'x')}).ok());
    CHECK(encode_disconnect(Disconnect{1, std::string(201, 'x')}).error == Error::invalid_argument);
    CHECK(encode_disconnect(Disconnect{1, "bad \xFF"}).error == Error::invalid_argument);

    Bytes long_text = {0, 1, 0, 201};
    long_text.resize(4 + 201, 'x');
    CHECK(decode_disconnect(long_text).error == Error::malformed);
    CHECK(decode_disconnect(Bytes{0, 1, 0, 3, 'a', 'b'}).error == Error::malformed);        // truncated
    CHECK(decode_disconnect(Bytes{0, 1, 0, 1, 'a', 'b'}).error == Error::malformed);        // trailing byte
    CHECK(decode_disconnect(Bytes{0, 1, 0}).error == Error::malformed);                     // short header
    CHECK(decode_disconnect(Bytes{0, 1, 0, 2, 0xC0, 0x80}).error == Error::malformed);      // overlong NUL
}

TEST_CASE("UTF-8 validation rejects overlong forms, surrogates and code points above U+10FFFF") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8("\xC2\x80"));
    CHECK(is_valid_utf8("\xEF\xBF\xBF"));
    CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));         // U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xC1\xBF"));           // overlong
    CHECK_FALSE(is_valid_utf8("\xE0\x9F\xBF"));       // overlong
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));       // surrogate U+D800
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));   // U+110000
    CHECK_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xE2\x82"));           // truncated
    CHECK_FALSE(is_valid_utf8("\x80"));               // stray continuation
}

TEST_CASE("REKEY messages carry the new epoch and a 32-byte public key, nothing else") {
    RekeyMessage m;
    m.epoch = 0x01020304;
    for (std::size_t i = 0; i < 32; ++i) m.eph_pub[i] = static_cast<std::uint8_t>(0xA0 + i);
    const Bytes b = encode_rekey(m);
    REQUIRE(b.size() == kRekeyBodySize);
    CHECK(b[0] == 1);
    CHECK(b[3] == 4);
    CHECK(b[4] == 0xA0);
    const auto d = decode_rekey(b);
    REQUIRE(d.ok());
    CHECK(d.value.epoch == m.epoch);
    CHECK(d.value.eph_pub == m.eph_pub);
    CHECK(decode_rekey(ByteView(b).first(35)).error == Error::malformed);
    Bytes longer = b;
    longer.push_back(0);
    CHECK(decode_rekey(longer).error == Error::malformed);
}
