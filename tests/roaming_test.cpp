// SPDX-License-Identifier: GPL-3.0-or-later
// Roaming with path validation (docs/rfc-draft.txt, "Roaming"): a new peer address is challenged
// and used only once it answers; until then it gets at most 3x what it sent.
#include "sim_setup.hpp"
#include "sink_endpoint.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::sim;

namespace {

struct Setup {
    World w{7};
    Host* server = nullptr;
    Host* client = nullptr;
    SinkEndpoint* victim = nullptr;
    SessionId cs = 0, ss = 0;

    Setup() {
        ClientEndpointConfig cc;
        cc.server = address("server");
        server = &w.add("server", make_server({}, 1));
        client = &w.add("client", make_client(cc, 2));
        auto sink = std::make_unique<SinkEndpoint>();
        victim = sink.get();
        w.add("victim", std::move(sink));
        REQUIRE(client->endpoint->connect(w.now).ok());
        REQUIRE(w.run_until(w.now + 10 * kSecond, [&] {
            return client->count(EventType::established) == 1 && server->count(EventType::established) == 1;
        }));
        cs = client->last(EventType::established)->session;
        ss = server->last(EventType::established)->session;
        w.run_for(2 * kSecond);   // PMTU probing and the rest of the start settle
        victim->bytes = victim->datagrams = 0;
    }

    // The client seals an inner packet and sends it with `from` as its source address.
    std::size_t send_from(const PeerAddress& from, std::size_t inner_size) {
        std::uint8_t buf[kMaxDatagram];
        const Bytes inner(inner_size, 0x45);
        Sealed s = client->endpoint->seal(w.now, cs, InnerProtocol::ipv4, inner, buf);
        REQUIRE(s.status == Error::ok);
        w.net.send(w.now, from, address("server"), {buf, s.size});
        return s.size;
    }
    PeerAddress downstream_to() {
        std::uint8_t buf[kMaxDatagram];
        const Bytes inner(100, 0x45);
        Sealed s = server->endpoint->seal(w.now, ss, InnerProtocol::ipv4, inner, buf);
        REQUIRE(s.status == Error::ok);
        return s.to;
    }
};

}  // namespace

TEST_CASE("a client that sends its own DATA from a victim's address cannot steer its downstream there") {
    Setup t;
    std::uint64_t from_victim = 0;
    const std::size_t server_inner_before = t.server->inner.size();
    // 20 s of a 1-byte spoofed packet every 200 ms (the smallest DATA: every challenge the server
    // may send has to be paid for), with the client's genuine traffic going on beside it.
    for (int i = 0; i < 100; ++i) {
        from_victim += t.send_from(address("victim"), 1);
        if (i % 10 == 0) t.send_from(address("client"), 50);
        t.w.run_for(200 * kMillisecond);
        CHECK(t.downstream_to() == address("client"));
    }
    auto info = t.server->endpoint->session_info(t.ss);
    REQUIRE(info);
    CHECK(info->address == address("client"));
    CHECK(t.server->count(EventType::address_changed) == 0);
    CHECK(t.victim->datagrams > 0);                     // the victim's address was challenged ...
    CHECK(t.victim->bytes <= 3 * from_victim);          // ... within 3x what came from it
    MESSAGE("from the victim's address " << from_victim << " B, to it " << t.victim->bytes << " B ("
            << t.victim->datagrams << " challenges)");
    // The spoofed packets were the client's own, authenticated: their contents were delivered.
    CHECK(t.server->inner.size() - server_inner_before == 110);
    CHECK(t.server->count(EventType::closed) == 0);
}

TEST_CASE("the server follows a client that moved once it answers the challenge, not before") {
    Setup t;
    t.w.move(*t.client, "client-new");
    t.send_from(address("client-new"), 200);
    // The DATA arrives (1 ms) and is delivered; the answer to the challenge is not back yet.
    const std::size_t before = t.server->inner.size();
    REQUIRE(t.w.run_until(t.w.now + 1 * kSecond, [&] { return t.server->inner.size() > before; }));
    CHECK(t.downstream_to() == address("client"));      // the old, validated address meanwhile
    CHECK(t.server->count(EventType::address_changed) == 0);
    REQUIRE(t.w.run_until(t.w.now + 1 * kSecond, [&] { return t.server->count(EventType::address_changed) == 1; }));
    CHECK(t.server->last(EventType::address_changed)->address == address("client-new"));
    CHECK(t.downstream_to() == address("client-new"));
    CHECK(t.server->endpoint->session_info(t.ss)->address == address("client-new"));
}

TEST_CASE("one spoofed DATA packet buys at most two challenges, and a check with no answer ends") {
    Setup t;
    const std::size_t sent = t.send_from(address("victim"), 1);
    CHECK(sent == 30);
    t.w.run_for(20 * kSecond);
    CHECK(t.victim->datagrams == 2);                    // 2 x 38 = 76 <= 90 < 3 x 38
    CHECK(t.victim->bytes == 76);
    CHECK(t.server->endpoint->session_info(t.ss)->address == address("client"));
    // The check was given up: a new packet from that address starts a fresh one (a new budget).
    t.send_from(address("victim"), 1);
    t.w.run_for(20 * kSecond);
    CHECK(t.victim->datagrams == 4);
}
