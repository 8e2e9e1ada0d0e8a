// SPDX-License-Identifier: GPL-3.0-or-later
// The default suite order (libudpvpn/suite_preference.cpp, docs/rfc-draft.txt 9.2 [HS-21]):
// AES-256-GCM first where the CPU runs it in hardware, ChaCha20-Poly1305 first elsewhere; a named
// list is used as named.
#include "aead.hpp"
#include "sim_setup.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::sim;

namespace {

// The suite both ends agree on after a handshake between a client and a server with these configs.
Suite negotiated(InitiatorConfig cc, ResponderConfig sc) {
    World w(31);
    cc.server = address("server");
    Host& server = w.add("server", make_server(std::move(sc), 1));
    Host& client = w.add("client", make_client(std::move(cc), 2));
    REQUIRE(client.endpoint->connect(w.now).ok());
    REQUIRE(w.run_until(w.now + 10 * kSecond, [&] {
        return client.count(EventType::established) == 1 && server.count(EventType::established) == 1;
    }));
    const Suite s = server.last(EventType::established)->suite;
    CHECK(client.last(EventType::established)->suite == s);
    return s;
}

}  // namespace

TEST_CASE("the default order puts the suite this CPU runs fastest first") {
    const bool aes = suite_available(Suite::aes256_gcm);
    const std::vector<Suite> expected = aes ? std::vector<Suite>{Suite::aes256_gcm, Suite::chacha20_poly1305}
                                            : std::vector<Suite>{Suite::chacha20_poly1305, Suite::aes256_gcm};
    CHECK(default_suites() == expected);
    CHECK(InitiatorConfig{}.suites == expected);
    CHECK(ResponderConfig{}.suites == expected);
}

TEST_CASE("two ends with default configs choose AES-256-GCM where the CPU has AES, ChaCha20 elsewhere") {
    const Suite expected = suite_available(Suite::aes256_gcm) ? Suite::aes256_gcm : Suite::chacha20_poly1305;
    CHECK(negotiated(InitiatorConfig{}, ResponderConfig{}) == expected);
}

TEST_CASE("a suite list the configuration names is used as named") {
    ResponderConfig sc;
    sc.suites = {Suite::chacha20_poly1305, Suite::aes256_gcm};
    CHECK(negotiated(InitiatorConfig{}, sc) == Suite::chacha20_poly1305);
    if (suite_available(Suite::aes256_gcm)) {
        // The server's list decides: a client preferring ChaCha20 still gets the server's AES-GCM.
        InitiatorConfig cc;
        cc.suites = {Suite::chacha20_poly1305, Suite::aes256_gcm};
        sc.suites = {Suite::aes256_gcm, Suite::chacha20_poly1305};
        CHECK(negotiated(cc, sc) == Suite::aes256_gcm);
        // A client that offers only ChaCha20 gets it.
        cc.suites = {Suite::chacha20_poly1305};
        CHECK(negotiated(cc, ResponderConfig{}) == Suite::chacha20_poly1305);
    }
}
