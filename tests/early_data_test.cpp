// SPDX-License-Identifier: GPL-3.0-or-later
// Inner packets the client sends with its last handshake flight reach the server's application
// (docs/rfc-draft.txt, "Early Data"; issue 10, finding 8): whatever order the datagrams arrive in
// and however many the application reads before it polls events, no inner packet of a session is
// handed out before that session's `established` event.
#include "sim_setup.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace udpvpn;
using namespace udpvpn::sim;

namespace {

// An application like apps/server: it learns sessions from `established` events and drops inner
// packets of sessions it does not know (it could not route them).
struct App {
    explicit App(Endpoint& endpoint) : ep(endpoint) {}
    Endpoint& ep;
    std::set<SessionId> known;
    std::vector<Bytes> delivered;
    std::size_t unknown = 0;

    void inner(SessionId sid, ByteView p) {
        if (known.count(sid)) delivered.emplace_back(p.begin(), p.end());
        else ++unknown;
    }
    void drain() {
        while (auto e = ep.poll_event())
            if (e->type == EventType::established) known.insert(e->session);
        std::uint8_t buf[kMaxDatagram];
        for (;;) {
            auto p = ep.poll_inner(buf);
            if (!p.ok() || p.value.size == 0) break;
            inner(p.value.session, {buf, p.value.size});
        }
    }
};

struct Handshake {
    std::unique_ptr<Endpoint> server, client;
    TimeNs now = 1 * kSecond;
    SessionId cs = 0;
    std::vector<Bytes> flight3;   // the client's datagrams after it became established

    explicit Handshake(std::uint64_t seed) {
        server = make_server({}, seed * 2 + 1);
        ClientEndpointConfig cc;
        cc.server = address("server");
        client = make_client(cc, seed * 2 + 2);
        cs = client->connect(now).value;
    }
    // Runs the handshake until the client is established; the server has not seen its last flight.
    void until_client_established(App& app) {
        std::uint8_t buf[kMaxDatagram];
        bool established = false;
        for (int round = 0; round < 20 && !established; ++round) {
            PeerAddress to;
            std::vector<Bytes> to_server;
            for (;;) {
                auto n = client->poll_datagram(buf, to);
                if (!n.ok() || n.value == 0) break;
                to_server.emplace_back(buf, buf + n.value);
            }
            for (Bytes& d : to_server) server->receive(now, address("client"), d);
            app.drain();
            std::vector<Bytes> to_client;
            for (;;) {
                auto n = server->poll_datagram(buf, to);
                if (!n.ok() || n.value == 0) break;
                to_client.emplace_back(buf, buf + n.value);
            }
            for (Bytes& d : to_client) client->receive(now, address("server"), d);
            while (auto e = client->poll_event()) established |= e->type == EventType::established;
            now += kMillisecond;
        }
        REQUIRE(established);
        PeerAddress to;
        for (;;) {
            auto n = client->poll_datagram(buf, to);
            if (!n.ok() || n.value == 0) break;
            flight3.emplace_back(buf, buf + n.value);
        }
        REQUIRE_FALSE(flight3.empty());
    }
    Bytes seal(std::uint8_t tag) {
        std::uint8_t buf[kMaxDatagram];
        const Bytes inner(60, tag);
        Sealed s = client->seal(now, cs, InnerProtocol::ipv4, inner, buf);
        REQUIRE(s.status == Error::ok);
        return Bytes(buf, buf + s.size);
    }
};

}  // namespace

TEST_CASE("inner packets sent right behind the last flight are delivered, in one read batch or not") {
    enum class Order { behind_flight, before_flight, interleaved };
    for (const Order order : {Order::behind_flight, Order::before_flight, Order::interleaved}) {
        CAPTURE(static_cast<int>(order));
        Handshake h(static_cast<std::uint64_t>(order) + 10);
        App app{*h.server};
        h.until_client_established(app);
        std::vector<Bytes> batch;
        const std::vector<Bytes> data = {h.seal(1), h.seal(2), h.seal(3)};
        if (order == Order::before_flight) batch = data;
        for (std::size_t i = 0; i < h.flight3.size(); ++i) {
            batch.push_back(h.flight3[i]);
            if (order == Order::interleaved && i == 0) batch.push_back(data[0]);
        }
        if (order == Order::behind_flight) batch.insert(batch.end(), data.begin(), data.end());
        if (order == Order::interleaved) batch.insert(batch.end(), data.begin() + 1, data.end());
        // Like a server loop that reads a batch of datagrams before it polls events.
        for (Bytes& d : batch) {
            Received r = h.server->receive(h.now, address("client"), d);
            if (r.has_inner) app.inner(r.session, r.inner);
        }
        app.drain();
        CHECK(app.unknown == 0);
        REQUIRE(app.delivered.size() == 3);
        for (std::uint8_t i = 0; i < 3; ++i) CHECK(app.delivered[i] == Bytes(60, static_cast<std::uint8_t>(i + 1)));
        const InnerDropStats& drops = h.server->stats().inner_dropped;
        CHECK(drops.early_refused + drops.early_unopened + drops.queue_full == 0);
    }
}

TEST_CASE("early data the server cannot keep is counted by reason") {
    Handshake h(30);
    App app{*h.server};
    h.until_client_established(app);
    ServerEndpointConfig defaults;
    std::vector<Bytes> data;
    for (std::size_t i = 0; i < defaults.early_data_limit + 4; ++i) data.push_back(h.seal(static_cast<std::uint8_t>(i)));
    Bytes from_elsewhere = h.seal(99);
    for (Bytes& d : data) h.server->receive(h.now, address("client"), d);
    h.server->receive(h.now, address("elsewhere"), from_elsewhere);
    for (Bytes& d : h.flight3) h.server->receive(h.now, address("client"), d);
    app.drain();
    CHECK(app.delivered.size() == defaults.early_data_limit);
    CHECK(h.server->stats().inner_dropped.early_refused == 5);
    CHECK(app.unknown == 0);
}
