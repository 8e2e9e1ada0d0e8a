// SPDX-License-Identifier: GPL-3.0-or-later
// Two EndpointDrivers on loopback UDP, a client and a server, with the test PKI: what the
// applications rely on without ever touching the endpoint or the clock. No root needed.
#include "endpoint_driver.hpp"

#include "inet.hpp"
#include "pki_files.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>

using namespace udpvpn;
using namespace udpvpn::app;

namespace {

std::string pki(const char* file) {
    const char* dir = std::getenv("UDPVPN_TEST_PKI");
    return std::string(dir ? dir : "tests/pki") + "/" + file;
}

UdpSocket loopback_socket(asio::io_context& io) {
    std::string err;
    auto s = open_udp_socket(io, "127.0.0.1", 0, 1 << 20, err);
    REQUIRE_MESSAGE(s, err);
    return std::move(*s);
}

// A server and a client driver; the events and inner packets each application saw.
struct Pair {
    asio::io_context io;
    std::vector<Event> server_events, client_events;
    std::vector<Bytes> server_inner;
    std::function<void(const Event&)> on_client_event;   // a test's extra reaction
    EndpointDriver server{io, {[this](SessionId, InnerProtocol, ByteView b) { server_inner.emplace_back(b.begin(), b.end()); },
                               [this](const Event& ev) { server_events.push_back(ev); }, nullptr}};
    EndpointDriver client{io, {nullptr, [this](const Event& ev) {
                                   client_events.push_back(ev);
                                   if (on_client_event) on_client_event(ev);
                               },
                               nullptr}};
    SessionId session = 0;

    Pair() {
        auto verifier = load_verifier(pki("ca.crt"), "", false, false);
        ResponderConfig rc;
        REQUIRE(server.make_responder(std::move(rc), load_identity(pki("server.crt"), pki("server.key")), verifier) ==
                Error::ok);
        server.start(loopback_socket(io));
        InitiatorConfig ic;
        ic.expected_server_name = "vpn.example.test";
        ic.server = peer_from_udp(asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), server.local_port()));
        REQUIRE(client.make_initiator(std::move(ic), load_identity(pki("client.crt"), pki("client.key")), verifier) ==
                Error::ok);
        client.start(loopback_socket(io));
    }

    // Runs the loop until `done` or 5 s.
    bool run_until(const std::function<bool()>& done) {
        const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!done() && std::chrono::steady_clock::now() < limit) {
            io.restart();
            io.run_for(std::chrono::milliseconds(10));
        }
        return done();
    }

    static bool has(const std::vector<Event>& events, EventType type) {
        for (const auto& e : events)
            if (e.type == type) return true;
        return false;
    }

    void connect() {
        const auto sid = client.connect();
        REQUIRE(sid.ok());
        session = sid.value;
        REQUIRE(run_until([&] { return has(client_events, EventType::established) &&
                                       has(server_events, EventType::established); }));
    }
};

}  // namespace

TEST_CASE("connect sends the handshake by itself and both sides establish") {
    Pair p;
    p.connect();
    CHECK(p.client.sessions().size() == 1);
    CHECK(p.server.sessions().size() == 1);
    CHECK(p.client.session_info(p.session));
    CHECK(p.server.stats().handshakes_completed == 1);
    CHECK(p.client.traffic().udp_out_datagrams > 0);
    CHECK(p.server.traffic().udp_in_datagrams > 0);
}

TEST_CASE("a batch of inner packets reaches the peer, each counted") {
    Pair p;
    p.connect();
    const std::uint8_t a[] = {0x45, 1, 2, 3}, b[] = {0x45, 4, 5}, c[] = {0x45, 6};
    EndpointDriver::OutboundPacket batch[] = {{p.session, InnerProtocol::ipv4, ByteView(a, sizeof a)},
                                             {p.session, InnerProtocol::ipv4, ByteView(b, sizeof b)},
                                             {p.session + 1, InnerProtocol::ipv4, ByteView(c, sizeof c)}};
    CHECK(p.client.send_inner(batch) == 2);
    CHECK(batch[0].sent);
    CHECK(batch[1].sent);
    CHECK_FALSE(batch[2].sent);   // no such session
    REQUIRE(p.run_until([&] { return p.server_inner.size() == 2; }));
    CHECK(p.server_inner[0] == Bytes(a, a + sizeof a));
    CHECK(p.server_inner[1] == Bytes(b, b + sizeof b));
    CHECK(p.client.traffic().inner_out_packets == 2);
    CHECK(p.server.traffic().inner_in_packets == 2);
}

TEST_CASE("close and push_config reach the peer with no flush to remember") {
    Pair p;
    p.connect();
    const SessionId at_server = p.server.sessions().front();
    ConfigPush push;
    push.mtu = 1300;
    CHECK(p.server.push_config(at_server, push) == Error::ok);
    REQUIRE(p.run_until([&] { return Pair::has(p.client_events, EventType::config_received); }));
    CHECK(p.client.close(p.session, Error::closed_locally, "bye") == Error::ok);
    REQUIRE(p.run_until([&] { return Pair::has(p.server_events, EventType::closed); }));
    for (const auto& e : p.server_events)
        if (e.type == EventType::closed) CHECK(e.reason == Error::peer_closed);
    CHECK(p.run_until([&] { return p.client.sessions().empty() && p.server.sessions().empty(); }));
}

TEST_CASE("an endpoint replaced from its own event hook lives until the hook returns") {
    Pair p;
    bool replaced = false;
    p.on_client_event = [&](const Event& ev) {
        if (ev.type != EventType::established || replaced) return;
        replaced = true;
        p.client.drop_endpoint();   // as a client stopping from an event would
        CHECK_FALSE(p.client.has_endpoint());
    };
    REQUIRE(p.client.connect().ok());
    REQUIRE(p.run_until([&] { return replaced; }));
    CHECK(p.client.sessions().empty());
    CHECK(p.client.close(p.session, Error::closed_locally, "") == Error::unknown_session);
    CHECK(p.client.connect().error == Error::unknown_session);
    CHECK(p.client.stats().handshakes_completed == 0);   // no endpoint: zeros
}

TEST_CASE("the driver's clock is monotonic and maps to Unix time") {
    asio::io_context io;
    EndpointDriver d(io, {});
    const TimeNs a = d.now();
    const TimeNs b = d.now();
    CHECK(b >= a);
    CHECK(d.started() <= a);
    const auto unix_now = static_cast<std::int64_t>(std::time(nullptr));
    CHECK(d.unix_seconds(d.now()) >= unix_now - 1);
    CHECK(d.unix_seconds(d.now()) <= unix_now + 1);
    CHECK(d.unix_seconds(d.now() - 10 * kSecond) <= unix_now - 9);
    CHECK_FALSE(d.has_endpoint());
    CHECK(d.local_port() == 0);
}
