// SPDX-License-Identifier: GPL-3.0-or-later
#include <doctest/doctest.h>

#include <udpvpn/config_push.hpp>

#include "vectors.hpp"

#include <sstream>
#include <string>

using namespace udpvpn;

namespace {

ConfigPush sample() {
    ConfigPush c;
    c.ipv4 = Ipv4Prefix{{10, 8, 0, 2}, 24};
    c.ipv6 = Ipv6Prefix{{0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 64};
    c.routes4 = {Ipv4Prefix{{0, 0, 0, 0}, 0}, Ipv4Prefix{{192, 168, 1, 0}, 24}};
    c.routes6 = {Ipv6Prefix{{0x20, 0x01, 0x0d, 0xb8}, 32}};
    c.dns4 = {{9, 9, 9, 9}, {1, 1, 1, 1}};
    c.dns6 = {{0x26, 0x20, 0x00, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe}};
    c.mtu = 1400;
    return c;
}

void check_equal(const ConfigPush& a, const ConfigPush& b) {
    REQUIRE(a.ipv4.has_value() == b.ipv4.has_value());
    if (a.ipv4) { CHECK(a.ipv4->addr == b.ipv4->addr); CHECK(a.ipv4->prefix == b.ipv4->prefix); }
    REQUIRE(a.ipv6.has_value() == b.ipv6.has_value());
    if (a.ipv6) { CHECK(a.ipv6->addr == b.ipv6->addr); CHECK(a.ipv6->prefix == b.ipv6->prefix); }
    REQUIRE(a.routes4.size() == b.routes4.size());
    for (std::size_t i = 0; i < a.routes4.size(); ++i) {
        CHECK(a.routes4[i].addr == b.routes4[i].addr);
        CHECK(a.routes4[i].prefix == b.routes4[i].prefix);
    }
    REQUIRE(a.routes6.size() == b.routes6.size());
    for (std::size_t i = 0; i < a.routes6.size(); ++i) {
        CHECK(a.routes6[i].addr == b.routes6[i].addr);
        CHECK(a.routes6[i].prefix == b.routes6[i].prefix);
    }
    CHECK(a.dns4 == b.dns4);
    CHECK(a.dns6 == b.dns6);
    CHECK(a.mtu == b.mtu);
}

// Text forms used in tests/vectors/config_push.vec.
std::string v4(const std::array<std::uint8_t, 4>& a) {
    std::ostringstream o;
    o << int(a[0]) << '.' << int(a[1]) << '.' << int(a[2]) << '.' << int(a[3]);
    return o.str();
}
std::string v6(const std::array<std::uint8_t, 16>& a) {
    std::ostringstream o;
    o << std::hex;
    for (int i = 0; i < 8; ++i) o << (i ? ":" : "") << ((a[2 * i] << 8) | a[2 * i + 1]);
    return o.str();
}
template <typename T, typename F>
std::string list(const std::vector<T>& xs, F f) {
    std::string s;
    for (const auto& x : xs) s += (s.empty() ? "" : ",") + f(x);
    return s.empty() ? "-" : s;
}

}  // namespace

TEST_CASE("configuration vectors decode to the listed fields and malformed ones are rejected") {
    const auto cases = test::load_vectors("config_push.vec");
    REQUIRE(cases.size() >= 10);
    for (const auto& c : cases) {
        CAPTURE(c.name());
        const auto d = decode_config_push(c.hex("body"));
        if (c.expect_fail()) {
            CHECK(d.error == Error::malformed);
            continue;
        }
        REQUIRE(d.ok());
        const ConfigPush& p = d.value;
        auto pfx4 = [](const Ipv4Prefix& x) { return v4(x.addr) + "/" + std::to_string(x.prefix); };
        auto pfx6 = [](const Ipv6Prefix& x) { return v6(x.addr) + "/" + std::to_string(x.prefix); };
        CHECK((p.ipv4 ? pfx4(*p.ipv4) : "-") == c.text("ipv4_text"));
        CHECK((p.ipv6 ? pfx6(*p.ipv6) : "-") == c.text("ipv6_text"));
        CHECK(list(p.routes4, pfx4) == c.text("routes4_text"));
        CHECK(list(p.routes6, pfx6) == c.text("routes6_text"));
        CHECK(list(p.dns4, v4) == c.text("dns4_text"));
        CHECK(list(p.dns6, v6) == c.text("dns6_text"));
        CHECK((p.mtu ? std::to_string(*p.mtu) : "-") == c.text("mtu_text"));
        CHECK(encode_config_push(p) == c.hex(c.has("canonical") ? "canonical" : "body"));
    }
}

TEST_CASE("a full configuration survives encode and decode unchanged") {
    const ConfigPush c = sample();
    const Bytes wire = encode_config_push(c);
    const auto d = decode_config_push(wire);
    REQUIRE(d.ok());
    check_equal(c, d.value);
}

TEST_CASE("an empty configuration encodes to nothing and decodes to an empty one") {
    const Bytes wire = encode_config_push(ConfigPush{});
    CHECK(wire.empty());
    const auto d = decode_config_push(wire);
    REQUIRE(d.ok());
    check_equal(ConfigPush{}, d.value);
}

TEST_CASE("the wire format is type (1) | len (2) | value") {
    ConfigPush c;
    c.ipv4 = Ipv4Prefix{{10, 0, 0, 1}, 32};
    c.mtu = 1280;
    const Bytes expected = {0x01, 0x00, 0x05, 10, 0, 0, 1, 32, 0x07, 0x00, 0x02, 0x05, 0x00};
    CHECK(encode_config_push(c) == expected);
}

TEST_CASE("unknown TLVs are skipped") {
    ConfigPush c;
    c.dns4 = {{8, 8, 8, 8}};
    Bytes wire = {0x7E, 0x00, 0x03, 1, 2, 3};   // unknown type, 3 bytes
    const Bytes known = encode_config_push(c);
    wire.insert(wire.end(), known.begin(), known.end());
    wire.insert(wire.end(), {0xFF, 0x00, 0x00});   // unknown, empty
    const auto d = decode_config_push(wire);
    REQUIRE(d.ok());
    check_equal(c, d.value);
}

TEST_CASE("every truncation of a valid configuration is rejected") {
    const Bytes wire = encode_config_push(sample());
    // Cutting inside a TLV is malformed; cutting exactly between TLVs yields a valid shorter config.
    std::size_t boundaries = 0;
    for (std::size_t n = 0; n < wire.size(); ++n) {
        const auto d = decode_config_push(ByteView(wire).first(n));
        if (d.ok()) ++boundaries;
        else CHECK(d.error == Error::malformed);
    }
    // 9 TLVs: 9 boundaries short of the full length (the empty prefix included).
    CHECK(boundaries == 9);
    CHECK(decode_config_push(Bytes{0x01}).error == Error::malformed);
    CHECK(decode_config_push(Bytes{0x01, 0x00}).error == Error::malformed);
    CHECK(decode_config_push(Bytes{0x7E, 0x00, 0x04, 1, 2, 3}).error == Error::malformed);   // unknown, cut
}

TEST_CASE("known TLVs with the wrong size or out-of-range values are rejected") {
    const std::vector<std::pair<const char*, Bytes>> bad = {
        {"ipv4 address too long", {0x01, 0x00, 0x06, 10, 0, 0, 1, 24, 0}},
        {"ipv4 address too short", {0x01, 0x00, 0x04, 10, 0, 0, 1}},
        {"ipv4 prefix over 32", {0x01, 0x00, 0x05, 10, 0, 0, 1, 33}},
        {"ipv6 prefix over 128", {0x02, 0x00, 0x11, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 129}},
        {"ipv4 route prefix over 32", {0x03, 0x00, 0x05, 10, 0, 0, 0, 40}},
        {"ipv6 route too short", {0x04, 0x00, 0x05, 10, 0, 0, 0, 8}},
        {"dns4 oversized", {0x05, 0x00, 0x05, 9, 9, 9, 9, 9}},
        {"dns6 too short", {0x06, 0x00, 0x04, 9, 9, 9, 9}},
        {"mtu oversized", {0x07, 0x00, 0x03, 0x05, 0x00, 0x00}},
        {"mtu below 576", {0x07, 0x00, 0x02, 0x02, 0x3F}},
        {"two addresses", {0x01, 0x00, 0x05, 10, 0, 0, 1, 24, 0x01, 0x00, 0x05, 10, 0, 0, 2, 24}},
        {"two mtus", {0x07, 0x00, 0x02, 0x05, 0x00, 0x07, 0x00, 0x02, 0x05, 0x00}},
        {"length beyond the body", {0x05, 0xFF, 0xFF, 9, 9, 9, 9}},
    };
    for (const auto& [why, wire] : bad) {
        const auto& reason = why;   // clang 14 cannot capture a structured binding
        CAPTURE(reason);
        const auto d = decode_config_push(wire);
        CHECK(d.error == Error::malformed);
        CHECK_FALSE(d.value.ipv4);   // nothing half-decoded leaks out
        CHECK(d.value.routes4.empty());
    }
}

TEST_CASE("an IPv6 address with an MTU below 1280 is rejected") {
    ConfigPush c;
    c.ipv6 = Ipv6Prefix{{0xfd}, 64};
    c.mtu = 1279;
    CHECK(decode_config_push(encode_config_push(c)).error == Error::malformed);
    c.mtu = 1280;
    CHECK(decode_config_push(encode_config_push(c)).ok());
    c.ipv6.reset();
    c.mtu = 576;
    CHECK(decode_config_push(encode_config_push(c)).ok());
}

TEST_CASE("a body larger than one control message is rejected") {
    ConfigPush c;
    for (int i = 0; i < 200; ++i) c.routes4.push_back(Ipv4Prefix{{10, static_cast<std::uint8_t>(i), 0, 0}, 16});
    const Bytes wire = encode_config_push(c);   // 200 * 8 = 1600 bytes
    REQUIRE(wire.size() > 1100);
    CHECK(decode_config_push(wire).error == Error::malformed);
    c.routes4.resize(137);                      // 137 * 8 = 1096 bytes
    CHECK(decode_config_push(encode_config_push(c)).ok());
}
