// SPDX-License-Identifier: GPL-3.0-or-later
// validate(): the library's rules for a configuration, the only ones; the endpoint factories
// refuse what it rejects.
#include "test_pki.hpp"

#include <udpvpn/config.hpp>
#include <udpvpn/endpoint.hpp>
#include <udpvpn/rng.hpp>

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

using namespace udpvpn;

namespace {

InitiatorConfig good_client() {
    InitiatorConfig c;
    c.expected_server_name = "vpn.example.test";
    return c;
}

}  // namespace

TEST_CASE("the defaults are valid, for both roles") {
    CHECK_FALSE(validate(CommonConfig{}));
    CHECK_FALSE(validate(good_client()));
    CHECK_FALSE(validate(ResponderConfig{}));
}

TEST_CASE("each rule names the field it is about") {
    struct Case {
        const char* field;
        std::function<void(InitiatorConfig&)> breaks;
    };
    const std::vector<Case> cases = {
        {"suites", [](InitiatorConfig& c) { c.suites.clear(); }},
        {"suites", [](InitiatorConfig& c) { c.suites = {static_cast<Suite>(0x0099)}; }},
        {"timers.rekey_grace", [](InitiatorConfig& c) { c.timers.rekey_grace = 0; }},
        {"timers.control_rto", [](InitiatorConfig& c) { c.timers.control_rto = kNever; }},
        {"timers.rekey_after_time", [](InitiatorConfig& c) { c.timers.rekey_after_time = c.timers.reject_after_time + 1; }},
        {"max_datagram", [](InitiatorConfig& c) { c.max_datagram = 1199; }},
        {"inner_protocols", [](InitiatorConfig& c) { c.inner_protocols = 0; }},
        {"inner_protocols", [](InitiatorConfig& c) { c.inner_protocols = 4; }},
        {"expected_server_name", [](InitiatorConfig& c) { c.expected_server_name.clear(); }},
        {"expected_server_name", [](InitiatorConfig& c) { c.expected_server_name.assign(254, 'a'); }},
    };
    for (const Case& k : cases) {
        InitiatorConfig c = good_client();
        k.breaks(c);
        const ConfigProblem p = validate(c);
        CAPTURE(k.field);
        CHECK(p.field == k.field);
        CHECK_FALSE(p.reason.empty());
    }
    // The edges that are fine.
    InitiatorConfig c = good_client();
    c.timers.rekey_after_time = c.timers.reject_after_time;
    c.max_datagram = 1200;
    c.inner_mtu = 0;   // no probing
    c.inner_protocols = 3;
    c.suites = {Suite::aes256_gcm, Suite::chacha20_poly1305, Suite::aes256_gcm};   // the first place counts
    c.expected_server_name.clear();
    c.allow_any_server_name = true;
    CHECK_FALSE(validate(c));

    ResponderConfig r;
    r.max_half_open = 0;
    CHECK(validate(r).field == "max_half_open");
    r = ResponderConfig{};
    r.max_sessions = 0;
    CHECK(validate(r).field == "max_sessions");
    r = ResponderConfig{};
    r.cookie_threshold = 0;   // every INITIAL needs a cookie: allowed
    CHECK_FALSE(validate(r));
}

TEST_CASE("the endpoint factories refuse what validate() rejects") {
    const Identity id = test::load_identity("client");
    auto verifier = test::make_verifier();
    auto rng = std::make_shared<DeterministicRng>(1);
    InitiatorConfig c = good_client();
    REQUIRE(Endpoint::make_initiator(c, id, verifier, rng));
    c.timers.rekey_after_time = c.timers.reject_after_time + 1;
    CHECK(Endpoint::make_initiator(c, id, verifier, rng).error == Error::invalid_argument);

    ResponderConfig s;
    REQUIRE(Endpoint::make_responder(s, test::load_identity("server"), verifier, rng));
    s.inner_protocols = 0;
    CHECK(Endpoint::make_responder(s, test::load_identity("server"), verifier, rng).error == Error::invalid_argument);
}

TEST_CASE("inner_mtu: the largest datagram carries one whole inner packet, never below max_datagram") {
    CommonConfig c;
    CHECK(largest_datagram(c) == 1452);                      // the default: 1423 + 29
    c.inner_mtu = 1420;
    CHECK(c.max_datagram == 1232);                           // the handshake stays within 1280
    CHECK(largest_datagram(c) == 1420 + kDataOverhead);      // a whole 1420-byte inner packet
    c.inner_mtu = 1000;
    CHECK(largest_datagram(c) == c.max_datagram);            // nothing to probe for
    c.inner_mtu = 0;
    CHECK(largest_datagram(c) == c.max_datagram);
    c.inner_mtu = 65535;
    CHECK(largest_datagram(c) == 65507);                     // the largest UDP payload
    CHECK_FALSE(validate(c));
    // The one conversion each way between inner and datagram sizes.
    CHECK(datagram_for_inner(1203) == 1232);
    CHECK(inner_for_datagram(1232) == 1203);
    CHECK(inner_for_datagram(kDataOverhead) == 0);
    CHECK(datagram_for_inner(kMaxUdpPayload) == kMaxUdpPayload);
}
