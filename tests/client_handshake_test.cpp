// SPDX-License-Identifier: GPL-3.0-or-later
// The client's side of the handshake (libudpvpn/client_handshake.cpp): its first flight, RETRY,
// what it refuses in SERVER_HELLO, retransmission and timeout. The rest of its behaviour is
// checked end to end in handshake_test.
#include "handshake_harness.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace udpvpn;
using namespace udpvpn::test;

TEST_CASE("a silent server: INITIAL is retransmitted with doubling PTO, then handshake_timeout at 10 s") {
    ClientEndpointConfig cfg;
    cfg.expected_server_name = "vpn.example.test";
    cfg.pad_datagrams = 0;
    DeterministicRng rng(5);
    ClientHandshake c(cfg, load_identity("client"), make_verifier("ca"), rng, 1, 0);
    Bytes buf(1500);
    std::vector<TimeNs> sends;
    TimeNs now = 0;
    while (c.state() != ClientHandshake::State::failed) {
        while (c.poll_datagram(now, buf).value > 0) sends.push_back(now);
        now = c.next_deadline();
        REQUIRE(now != kNever);
        c.on_timeout(now);
    }
    CHECK(c.failure() == Error::handshake_timeout);
    CHECK(now == 10 * kSecond);
    const std::vector<TimeNs> expect{0, 300 * kMillisecond, 900 * kMillisecond, 2100 * kMillisecond,
                                     4500 * kMillisecond, 9300 * kMillisecond};
    CHECK(sends == expect);
    CHECK(c.next_deadline() == kNever);
}

// ------------------------------------------------------------------------------------------------
// Known-answer vector: tests/vectors/handshake.vec

namespace {

// A client handshake on its own, with server datagrams forged here.
struct LoneClient {
    ClientEndpointConfig config;
    Identity id = load_identity("client");
    DeterministicRng rng{11};
    static constexpr SessionId kSid = 0xC1C2C3C4;
    static constexpr TimeNs kStart = 3 * kSecond;
    std::unique_ptr<ClientHandshake> hs;

    explicit LoneClient(const std::function<void(ClientEndpointConfig&)>& tweak = {}) {
        config.expected_server_name = "vpn.example.test";
        if (tweak) tweak(config);
        hs = std::make_unique<ClientHandshake>(config, id, make_verifier("ca"), rng, kSid, kStart);
    }

    std::vector<Bytes> flight(TimeNs now = kStart) {
        std::vector<Bytes> out;
        for (;;) {
            Bytes buf(kMaxHandshakeDatagram);
            Result<std::size_t> n = hs->poll_datagram(now, buf);
            REQUIRE(n.ok());
            if (n.value == 0) return out;
            buf.resize(n.value);
            out.push_back(std::move(buf));
        }
    }

    static Bytes retry(SessionId sid, std::uint8_t cookie_byte) {
        RetryFields f;
        f.client_sid = sid;
        f.cookie.fill(cookie_byte);
        Bytes out(kRetrySize);
        REQUIRE(encode_retry(f, out).ok());
        return out;
    }

    static Bytes server_hello(SessionId sid, std::uint16_t suite) {
        ServerHelloFields f;
        f.client_sid = sid;
        f.server_sid = 0x2A000001;
        f.server_eph_pub = {9};   // the X25519 base point: a valid public key
        f.suite = suite;
        Bytes out(kServerHelloSize);
        REQUIRE(encode_server_hello(f, out).ok());
        return out;
    }
};

}  // namespace

TEST_CASE("the client's first flight is INITIAL at max_datagram (1200..1452) and pad_datagrams PADs") {
    for (std::uint16_t max : {std::uint16_t{1200}, std::uint16_t{1232}, std::uint16_t{1400}, std::uint16_t{9000}}) {
        CAPTURE(max);
        LoneClient c([max](ClientEndpointConfig& cfg) {
            cfg.max_datagram = max;
            cfg.pad_datagrams = 2;
        });
        CHECK(c.hs->state() == ClientHandshake::State::awaiting_server);
        const std::size_t expect = std::clamp<std::size_t>(max, kMinInitialSize, kMaxHandshakeDatagram);
        CHECK(c.hs->initial_size() == expect);
        const auto f = c.flight();
        REQUIRE(f.size() == 3);
        CHECK(f[0][0] == static_cast<std::uint8_t>(PacketType::initial));
        CHECK(f[1][0] == static_cast<std::uint8_t>(PacketType::pad));
        for (const Bytes& d : f) CHECK(d.size() == expect);
        auto p = parse_initial(f[0]);
        REQUIRE(p.ok());
        CHECK(p.value.client_sid == LoneClient::kSid);
        CHECK(p.value.cookie.empty());
    }
}

TEST_CASE("a RETRY is followed with the same INITIAL and its cookie, three times at most") {
    LoneClient c;
    const Bytes first = c.flight().at(0);
    auto before = parse_initial(first);
    REQUIRE(before.ok());
    for (std::uint8_t i = 1; i <= 3; ++i) {
        CAPTURE(static_cast<int>(i));
        REQUIRE(c.hs->on_datagram(c.kStart, LoneClient::retry(LoneClient::kSid, i)) == Error::ok);
        const auto again = c.flight();
        REQUIRE(again.size() == 1 + c.config.pad_datagrams);
        auto p = parse_initial(again[0]);
        REQUIRE(p.ok());
        CHECK(Bytes(p.value.cookie.begin(), p.value.cookie.end()) == Bytes(kCookieSize, i));
        // Same key and random: the ClientHello, which enters the transcript, does not change.
        CHECK(p.value.client_eph_pub == before.value.client_eph_pub);
        CHECK(p.value.client_random == before.value.client_random);
    }
    // RETRY is unauthenticated: a fourth is not followed, so a forger cannot keep us looping.
    CHECK(c.hs->on_datagram(c.kStart, LoneClient::retry(LoneClient::kSid, 4)) == Error::unexpected_packet);
    CHECK(c.flight().empty());
    // A RETRY for another session is not ours.
    LoneClient d;
    d.flight();
    CHECK(d.hs->on_datagram(d.kStart, LoneClient::retry(LoneClient::kSid + 1, 1)) == Error::unknown_session);
}

TEST_CASE("SERVER_HELLO: another session is ignored, an unoffered suite fails, a HANDSHAKE before it is unexpected") {
    LoneClient c([](ClientEndpointConfig& cfg) { cfg.suites = {Suite::chacha20_poly1305}; });
    c.flight();
    const Bytes early_handshake(64, static_cast<std::uint8_t>(PacketType::handshake));
    CHECK(c.hs->on_datagram(c.kStart, early_handshake) == Error::unexpected_packet);
    CHECK(c.hs->on_datagram(c.kStart, LoneClient::server_hello(LoneClient::kSid + 1, 0x0001)) ==
          Error::unknown_session);
    CHECK(c.hs->state() == ClientHandshake::State::awaiting_server);
    // AES-256-GCM (0x0002) was not offered: the server cannot have chosen it.
    CHECK(c.hs->on_datagram(c.kStart, LoneClient::server_hello(LoneClient::kSid, 0x0002)) ==
          Error::protocol_violation);
    CHECK(c.hs->state() == ClientHandshake::State::failed);
    CHECK(c.hs->failure_text().find("0x0002") != std::string::npos);
    CHECK(c.hs->next_deadline() == kNever);
}

TEST_CASE("a client with a configuration validate() rejects fails at once with invalid_argument") {
    const std::function<void(ClientEndpointConfig&)> invalid[] = {
        [](ClientEndpointConfig& cfg) { cfg.suites.clear(); },
        [](ClientEndpointConfig& cfg) { cfg.max_datagram = 1000; },
        [](ClientEndpointConfig& cfg) { cfg.timers.handshake_pto = 0; },
        [](ClientEndpointConfig& cfg) { cfg.expected_server_name.clear(); },
    };
    for (const auto& tweak : invalid) {
        LoneClient c(tweak);
        CAPTURE(c.hs->failure_text());
        REQUIRE(validate(c.config));
        CHECK(c.hs->state() == ClientHandshake::State::failed);
        CHECK(c.hs->failure() == Error::invalid_argument);
        CHECK(c.hs->failure_text() == "configuration: " + validate(c.config).field + " " + validate(c.config).reason);
        CHECK(c.flight().empty());   // no keys yet: nothing, not even a CLOSE, goes out
        CHECK(c.hs->next_deadline() == kNever);
    }
}

TEST_CASE("a client without a usable identity fails at once") {
    ClientEndpointConfig cfg;
    cfg.expected_server_name = "vpn.example.test";
    DeterministicRng rng{1};
    ClientHandshake anonymous(cfg, Identity{}, make_verifier("ca"), rng, 1, 0);
    CHECK(anonymous.state() == ClientHandshake::State::failed);
    CHECK(anonymous.failure() == Error::internal);
}
