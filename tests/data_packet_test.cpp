// SPDX-License-Identifier: GPL-3.0-or-later
#include "data_packet.hpp"
#include "replay_window.hpp"
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

TrafficKeys keys_of(const test::VectorCase& v) {
    TrafficKeys k;
    k.key.assign(v.hex("key"));
    k.iv.assign(v.hex("iv"));
    return k;
}

TrafficKeys sample_keys(std::uint8_t fill) {
    TrafficKeys k;
    for (auto& b : k.key.expose_mut()) b = fill;
    for (auto& b : k.iv.expose_mut()) b = static_cast<std::uint8_t>(fill ^ 0x5a);
    return k;
}

}  // namespace

TEST_CASE("DATA packets match the known-answer vectors, negatives included") {
    int checked = 0, skipped = 0, negatives = 0;
    for (const auto& v : test::load_vectors("data_packet.vec")) {
        CAPTURE(v.name());
        const Suite suite = suite_from_text(v.text("suite_text"));
        if (!suite_available(suite)) {
            ++skipped;
            continue;
        }
        const AeadKey key(suite, keys_of(v));
        REQUIRE(key.valid());
        Bytes dg = v.hex("datagram");
        if (v.expect_fail()) {
            ++negatives;
            CAPTURE(v.text("reason_text"));
            const auto h = parse_data_header(dg);
            if (v.text("error_text") == "malformed") {
                CHECK(h.error == Error::malformed);
            } else {
                REQUIRE(h.ok());
                const auto r = open_data(key, h.value, dg);
                CHECK(r.error == Error::bad_tag);
            }
            ++checked;
            continue;
        }
        // Sealing the plaintext gives exactly the datagram ...
        const DataHeader h{static_cast<std::uint8_t>(v.uint("key_phase")), static_cast<PayloadType>(v.uint("payload_type")),
                           static_cast<SessionId>(std::stoul(v.text("dst_sid"), nullptr, 16)), v.uint("counter")};
        const Bytes plain = v.hex("plaintext");
        Bytes out(plain.size() + kDataHeaderSize + kAeadTagSize);
        const auto n = seal_data(key, h, plain, out);
        REQUIRE(n.ok());
        CHECK(n.value == out.size());
        CHECK(to_hex(out) == v.text("datagram"));
        // ... and the datagram parses back to the same header and opens to the plaintext.
        const auto ph = parse_data_header(dg);
        REQUIRE(ph.ok());
        CHECK(ph.value.key_phase == h.key_phase);
        CHECK(ph.value.payload == h.payload);
        CHECK(ph.value.dst_sid == h.dst_sid);
        CHECK(ph.value.counter == h.counter);
        const auto opened = open_data(key, ph.value, dg);
        REQUIRE(opened.ok());
        CHECK(Bytes(opened.value.begin(), opened.value.end()) == plain);
        CHECK(opened.value.data() == dg.data() + kDataHeaderSize);   // in place
        ++checked;
    }
    if (skipped) MESSAGE(skipped << " AES-256-GCM vectors skipped: this CPU lacks AES-NI/PCLMUL");
    CHECK(checked + skipped >= 32);
    CHECK(negatives >= 12);
}

TEST_CASE("seal_data works in place when the plaintext already sits after the header") {
    const AeadKey key(Suite::chacha20_poly1305, sample_keys(1));
    Bytes buf(13 + 100 + 16);
    for (std::size_t i = 0; i < 100; ++i) buf[13 + i] = static_cast<std::uint8_t>(i);
    const DataHeader h{0, PayloadType::ipv6, 77, 5};
    const auto n = seal_data(key, h, ByteView(buf).subspan(13, 100), buf);
    REQUIRE(n.ok());
    Bytes copy(100);
    for (std::size_t i = 0; i < 100; ++i) copy[i] = static_cast<std::uint8_t>(i);
    Bytes expect(13 + 100 + 16);
    REQUIRE(seal_data(key, h, copy, expect).ok());
    CHECK(buf == expect);
}

TEST_CASE("seal_data refuses a too small buffer and reserved header values") {
    const AeadKey key(Suite::chacha20_poly1305, sample_keys(2));
    std::uint8_t plain[10] = {};
    Bytes out(10 + 28);
    CHECK(seal_data(key, {}, plain, out).error == Error::buffer_too_small);
    Bytes tiny(5);
    CHECK(seal_data(key, {}, {}, tiny).error == Error::buffer_too_small);
    Bytes ok(29);
    CHECK(seal_data(key, {}, {}, ok).ok());
    DataHeader bad_phase{2, PayloadType::ipv4, 1, 0};
    CHECK(seal_data(key, bad_phase, {}, ok).error == Error::invalid_argument);
    DataHeader bad_type{0, static_cast<PayloadType>(5), 1, 0};
    CHECK(seal_data(key, bad_type, {}, ok).error == Error::invalid_argument);
}

TEST_CASE("open_data fails with the other direction's key") {
    const AeadKey tx(Suite::chacha20_poly1305, sample_keys(3)), other(Suite::chacha20_poly1305, sample_keys(4));
    Bytes dg(29 + 8);
    REQUIRE(seal_data(tx, {0, PayloadType::ipv4, 9, 1}, Bytes(8, 0xaa), dg).ok());
    const auto h = parse_data_header(dg);
    REQUIRE(h.ok());
    CHECK(open_data(other, h.value, dg).error == Error::bad_tag);
}

TEST_CASE("open_data with a header that disagrees with the datagram fails") {
    const AeadKey key(Suite::chacha20_poly1305, sample_keys(5));
    Bytes dg(29);
    REQUIRE(seal_data(key, {0, PayloadType::keepalive, 9, 41}, {}, dg).ok());
    DataHeader wrong{0, PayloadType::keepalive, 9, 42};
    CHECK(open_data(key, wrong, dg).error == Error::bad_tag);
    Bytes short_dg(28);
    CHECK(open_data(key, wrong, short_dg).error == Error::malformed);
}

TEST_CASE("receive path: a replayed DATA packet opens but the window rejects it; a forgery never commits") {
    const AeadKey key(Suite::chacha20_poly1305, sample_keys(6));
    ReplayWindow win;
    auto receive = [&](Bytes dg) {   // the order a session uses: parse, check, open, commit
        const auto h = parse_data_header(dg);
        if (!h.ok()) return h.error;
        if (!win.check(h.value.counter)) return Error::replayed;
        const auto r = open_data(key, h.value, dg);
        if (!r.ok()) return r.error;
        return win.commit(h.value.counter) ? Error::ok : Error::replayed;
    };
    Bytes pkt(29 + 4);
    REQUIRE(seal_data(key, {0, PayloadType::ipv4, 1, 3}, Bytes(4, 1), pkt).ok());
    Bytes forged = pkt;
    forged[20] ^= 1;
    CHECK(receive(forged) == Error::bad_tag);
    CHECK(receive(pkt) == Error::ok);        // the forgery did not burn counter 3
    CHECK(receive(pkt) == Error::replayed);
}
