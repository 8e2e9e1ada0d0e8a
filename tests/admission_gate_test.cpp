// SPDX-License-Identifier: GPL-3.0-or-later
// The server's stateless front (libudpvpn/admission_gate.cpp): admission MAC, size, version,
// half-open caps and RETRY cookies, driven through the whole handshake.
#include "handshake_harness.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::test;

TEST_CASE("cookie path: at the threshold the server answers RETRY without state, then completes") {
    Harness h;
    h.scfg.cookie_threshold = 0;
    h.begin();
    h.exchange();
    CHECK(h.retries_sent == 1);
    CHECK(h.retry_size == kRetrySize);
    CHECK(h.retry_size < h.client->initial_size());
    h.run();
    REQUIRE(h.completed());
    check_same_keys(h);
    CHECK(h.servers_created == 1);
    // The retried INITIAL carried a cookie: the address was valid from the start.
    CHECK(h.server->address_validated());
    CHECK(h.retries_sent == 1);
}

TEST_CASE("cookie path: the RETRY keeps no state; a wrong cookie is dropped and the handshake cannot complete") {
    Harness h;
    h.scfg.cookie_threshold = 0;
    h.network = [](Dir d, std::size_t, Bytes& dg) {
        if (d == Dir::s2c && dg[0] == 0x03) dg[20] ^= 1;
        return true;
    };
    h.run(12 * kSecond);
    CHECK_FALSE(h.server);
    CHECK(h.servers_created == 0);
    CHECK(h.client->state() == ClientHandshake::State::failed);
    CHECK(h.client->failure() == Error::handshake_timeout);
    bool saw_bad_cookie = false;
    for (auto& v : h.verdicts) saw_bad_cookie |= v.kind == AdmissionGate::Verdict::drop && v.reason == Error::bad_tag;
    CHECK(saw_bad_cookie);
}

TEST_CASE("cookie path: an expired cookie (two buckets later) is dropped, a fresh one accepted") {
    ServerEndpointConfig cfg;
    cfg.cookie_threshold = 0;
    DeterministicRng rng(7), crng(8);
    AdmissionGate gate(cfg, rng);
    ClientEndpointConfig ccfg;
    ccfg.allow_any_server_name = true;   // the gate does not get that far
    ClientHandshake client(ccfg, load_identity("client"), make_verifier("ca"), crng, 99, 0);
    Bytes initial(1500), retry(64);
    auto n = client.poll_datagram(0, initial);
    REQUIRE(n.value == 1232);
    initial.resize(n.value);
    const PeerAddress addr = PeerAddress::from(std::array<std::uint8_t, 2>{1, 2});
    auto v = gate.classify(0, addr, initial, 0, retry);
    REQUIRE(v.kind == AdmissionGate::Verdict::retry);
    REQUIRE(client.on_datagram(0, ByteView(retry).first(v.retry_size)) == Error::ok);
    Bytes again(1500);
    // The RETRY restarts the first flight: the next datagram is the INITIAL with the cookie.
    auto n2 = client.poll_datagram(0, again);
    REQUIRE(n2.value == 1232);
    again.resize(n2.value);
    REQUIRE(again[0] == 0x01);
    const TimeNs bucket = TimeNs{1} << kCookieBucketShift;
    CHECK(gate.classify(bucket, addr, again, 0, retry).kind == AdmissionGate::Verdict::accept);
    auto late = gate.classify(3 * bucket, addr, again, 0, retry);
    CHECK(late.kind == AdmissionGate::Verdict::drop);
    CHECK(late.reason == Error::bad_tag);
    const PeerAddress other = PeerAddress::from(std::array<std::uint8_t, 2>{1, 3});
    CHECK(gate.classify(0, other, again, 0, retry).kind == AdmissionGate::Verdict::drop);
}

TEST_CASE("admission key: a client without it or with a wrong one gets no byte at all from the server") {
    std::array<std::uint8_t, 32> key{};
    key.fill(0x42);
    for (int variant = 0; variant < 3; ++variant) {
        CAPTURE(variant);
        Harness h;
        h.scfg.admission_key = make_shared_key(key);
        std::array<std::uint8_t, 32> wrong = key;
        wrong[0] ^= 1;
        if (variant == 1) h.ccfg.admission_key = make_shared_key(wrong);
        if (variant == 2) h.ccfg.admission_key = make_shared_key(key);
        h.run(12 * kSecond);
        if (variant < 2) {
            CHECK(h.sent_s2c.empty());
            CHECK(h.servers_created == 0);
            CHECK(h.client->failure() == Error::handshake_timeout);
            for (auto& v : h.verdicts) CHECK(v.reason == Error::admission_denied);
            CHECK(h.sent_c2s.size() > 4);   // the client did retransmit
        } else {
            CHECK(h.completed());
        }
    }
}

TEST_CASE("gate drops short INITIALs, unknown versions and non-handshake types; caps half-open sessions") {
    ServerEndpointConfig cfg;
    DeterministicRng rng(1), crng(2);
    AdmissionGate gate(cfg, rng);
    ClientEndpointConfig ccfg;
    ccfg.allow_any_server_name = true;   // the gate does not get that far
    ClientHandshake client(ccfg, load_identity("client"), make_verifier("ca"), crng, 1, 0);
    Bytes dg(1500), retry(64);
    dg.resize(client.poll_datagram(0, dg).value);
    const PeerAddress addr{};
    CHECK(gate.classify(0, addr, dg, 0, retry).kind == AdmissionGate::Verdict::accept);
    CHECK(gate.classify(0, addr, ByteView(dg).first(1199), 0, retry).reason == Error::malformed);
    Bytes v2 = dg;
    v2[2] = 2;
    admission_seal(std::array<std::uint8_t, 32>{}, v2);
    CHECK(gate.classify(0, addr, v2, 0, retry).reason == Error::version_unsupported);
    CHECK(gate.classify(0, addr, dg, cfg.max_half_open, retry).reason == Error::rate_limited);
    CHECK(gate.classify(0, addr, dg, cfg.cookie_threshold, retry).kind == AdmissionGate::Verdict::retry);
    const Bytes junk{0x05, 1, 2, 3};
    CHECK(gate.classify(0, addr, junk, 0, retry).reason == Error::unexpected_packet);
    CHECK(gate.classify(0, addr, {}, 0, retry).reason == Error::malformed);
}
