// SPDX-License-Identifier: GPL-3.0-or-later
// The server's side of the handshake (libudpvpn/server_handshake.cpp): the amplification limit
// before validation, the suite choice and refusals answered with an encrypted CLOSE.
#include "handshake_harness.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::test;

TEST_CASE("without PAD datagrams the server stops at 3x and resumes once the client's ACK validates it") {
    Harness h;
    h.ccfg.pad_datagrams = 0;
    h.client_id = load_identity("long_client");
    h.server_id = load_identity("long_server");
    h.client_verifier = make_verifier("long_ca");
    h.server_verifier = make_verifier("long_ca");
    h.begin();
    h.exchange();
    REQUIRE(h.server);
    h.run();
    REQUIRE(h.completed());
    CHECK(h.amplification_ok);
    CHECK(h.tx_server <= 3 * 1232);
}

TEST_CASE("a server with a configuration validate() rejects fails at once and sends nothing") {
    Harness h;
    h.scfg.timers.rekey_grace = 0;   // the gate does not look at it: the handshake is made
    REQUIRE(validate(h.scfg));
    h.begin();
    h.exchange();
    REQUIRE(h.server);
    CHECK(h.server->state() == ServerHandshake::State::failed);
    CHECK(h.server->failure() == Error::invalid_argument);
    CHECK(h.server->failure_text() == "configuration: timers.rekey_grace must be a time above zero");
    CHECK(h.sent_s2c.empty());   // no handshake keys: not even a CLOSE
    CHECK(h.server->next_deadline() == kNever);
}

TEST_CASE("no common suite: the server answers an encrypted CLOSE and both sides fail with no_common_suite") {
    Harness h;
    h.ccfg.suites = {Suite::chacha20_poly1305};
    h.scfg.suites = {Suite::aes256_gcm};
    h.run();
    CHECK(h.client->state() == ClientHandshake::State::failed);
    CHECK(h.client->failure() == Error::no_common_suite);
    REQUIRE(h.server);
    CHECK(h.server->failure() == Error::no_common_suite);
    CHECK(h.sent_s2c.size() == 2);   // SERVER_HELLO (suite 0) + HANDSHAKE{CLOSE}
    CHECK(h.now == h.start);         // immediately, not by timeout
}

TEST_CASE("unknown critical extension fails with unsupported_extension naming the type; non-critical is ignored") {
    const Bytes critical{0x92, 0x34, 0x00, 0x01, 0x00};
    const Bytes optional{0x12, 0x34, 0x00, 0x01, 0x00};
    SUBCASE("critical, from the client") {
        Harness h;
        h.client_opts.extra_extensions = critical;
        h.run();
        REQUIRE(h.server);
        CHECK(h.server->failure() == Error::unsupported_extension);
        CHECK(h.server->failure_text().find("0x9234") != std::string::npos);
        CHECK(h.client->failure() == Error::unsupported_extension);
        CHECK(h.client->failure_text().find("0x9234") != std::string::npos);
    }
    SUBCASE("critical, from the server") {
        Harness h;
        h.server_opts.extra_extensions = critical;
        h.run();
        CHECK(h.client->failure() == Error::unsupported_extension);
        CHECK(h.client->failure_text().find("0x9234") != std::string::npos);
        REQUIRE(h.server);
        CHECK(h.server->failure() == Error::unsupported_extension);   // told by the client's CLOSE
    }
    SUBCASE("non-critical, both directions") {
        Harness h;
        h.client_opts.extra_extensions = optional;
        h.server_opts.extra_extensions = optional;
        h.run();
        CHECK(h.completed());
    }
}

TEST_CASE("a PAD the gate has checked counts toward the budget through on_pad, only for its own client") {
    Harness h;
    h.begin();
    // The client's PADs never reach the server: on_pad() is called by hand instead.
    h.network = [](Dir d, std::size_t, Bytes& dg) { return !(d == Dir::c2s && dg[0] == 0x02); };
    h.exchange();
    REQUIRE(h.server);
    const std::uint64_t before = h.server->bytes_received();
    PublicKey32 other_key = h.server->client_eph_pub();
    other_key[0] ^= 1;
    CHECK(h.server->on_pad(h.client_sid + 1, h.server->client_eph_pub(), 1232) == Error::unexpected_packet);
    CHECK(h.server->on_pad(h.client_sid, other_key, 1232) == Error::unexpected_packet);
    CHECK(h.server->bytes_received() == before);
    CHECK(h.server->on_pad(h.client_sid, h.server->client_eph_pub(), 1232) == Error::ok);
    CHECK(h.server->bytes_received() == before + 1232);
}
