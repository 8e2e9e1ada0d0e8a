// SPDX-License-Identifier: GPL-3.0-or-later
// Endpoint behaviour on a clean simulated network: events, early data, roaming, revocation,
// liveness, usage limits and caller misuse.
#include "sim_setup.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::sim;

namespace {

struct Pair {
    World w{42};
    Host* server = nullptr;
    Host* client = nullptr;
    SessionId cs = 0, ss = 0;

    explicit Pair(ClientEndpointConfig cc = {}, ServerEndpointConfig sc = {}, const std::string& cert = "client.crt",
                  const std::string& key = "client.key", std::shared_ptr<const CertificateVerifier> sv = nullptr) {
        cc.server = address("server");
        server = &w.add("server", make_server(sc, 1, sv));
        client = &w.add("client", make_client(cc, 2, cert, key));
        REQUIRE(client->endpoint->connect(w.now).ok());
    }
    bool establish() {
        bool ok = w.run_until(w.now + 20 * kSecond, [&] {
            return client->count(EventType::established) == 1 && server->count(EventType::established) == 1;
        });
        if (ok) {
            cs = client->last(EventType::established)->session;
            ss = server->last(EventType::established)->session;
        }
        return ok;
    }
};

Bytes payload(std::uint8_t v, std::size_t n = 100) { return Bytes(n, v); }

}  // namespace

TEST_CASE("established events carry the verified peer identity and the suite") {
    Pair p;
    REQUIRE(p.establish());
    const Event* c = p.client->last(EventType::established);
    const Event* s = p.server->last(EventType::established);
    CHECK(s->peer.common_name == "alice");
    CHECK_FALSE(s->peer.fingerprint_sha256.empty());
    CHECK(c->suite == s->suite);
    CHECK(s->address == address("client"));
    auto info = p.server->endpoint->session_info(p.ss);
    REQUIRE(info);
    CHECK(info->peer.common_name == "alice");
}

TEST_CASE("inner packets flow both ways and keep their protocol") {
    Pair p;
    REQUIRE(p.establish());
    REQUIRE(p.w.send_inner(*p.client, p.cs, InnerProtocol::ipv6, payload(6)));
    REQUIRE(p.w.send_inner(*p.server, p.ss, InnerProtocol::ppp, payload(2)));
    p.w.run_for(100 * kMillisecond);
    REQUIRE(p.server->inner.size() == 1);
    CHECK(p.server->inner[0].protocol == InnerProtocol::ipv6);
    CHECK(p.server->inner[0].bytes == payload(6));
    REQUIRE(p.client->inner.size() == 1);
    CHECK(p.client->inner[0].protocol == InnerProtocol::ppp);
    auto info = p.server->endpoint->session_info(p.ss);
    CHECK(info->rx_packets >= 1);
    CHECK(info->tx_packets >= 1);
}

TEST_CASE("a replayed packet from another address neither delivers nor redirects; a newer one is challenged") {
    Pair p;
    REQUIRE(p.establish());
    std::uint8_t buf[2048];
    Bytes inner = payload(9);
    Sealed s = p.client->endpoint->seal(p.w.now, p.cs, InnerProtocol::ipv4, inner, buf);
    REQUIRE(s.status == Error::ok);
    Bytes captured(buf, buf + s.size);
    Bytes first = captured;
    Received r1 = p.server->endpoint->receive(p.w.now, address("client"), first);
    CHECK(r1.has_inner);
    Bytes replay = captured;
    Received r2 = p.server->endpoint->receive(p.w.now, address("attacker"), replay);
    CHECK(r2.status == Error::replayed);
    CHECK_FALSE(r2.has_inner);
    CHECK(p.server->endpoint->session_info(p.ss)->address == address("client"));

    s = p.client->endpoint->seal(p.w.now, p.cs, InnerProtocol::ipv4, inner, buf);
    Received r3 = p.server->endpoint->receive(p.w.now, address("client-new"), MutableByteView(buf, s.size));
    CHECK(r3.has_inner);
    // Not used before it answers a PATH_CHALLENGE (docs/rfc-draft.txt, "Roaming").
    CHECK(p.server->endpoint->session_info(p.ss)->address == address("client"));
    p.w.move(*p.client, "client-new");
    REQUIRE(p.w.run_until(p.w.now + 1 * kSecond, [&] { return p.server->count(EventType::address_changed) == 1; }));
    CHECK(p.server->endpoint->session_info(p.ss)->address == address("client-new"));
}

TEST_CASE("a client revoked while connected is cut off when the CRL is reloaded") {
    Pair p({}, {}, "client_revoked.crt", "client_revoked.key");
    REQUIRE(p.establish());
    p.server->endpoint->set_verifier(p.w.now, pki_verifier("ca.crt", "crl.pem"));
    p.w.run_for(3 * kSecond);
    const Event* closed = p.server->last(EventType::closed);
    REQUIRE(closed);
    CHECK(closed->reason == Error::cert_revoked);
    CHECK(p.server->endpoint->sessions().empty());
    const Event* cc = p.client->last(EventType::closed);
    REQUIRE(cc);
    CHECK(cc->reason == Error::peer_closed);
    CHECK(cc->text.find("revoked") != std::string::npos);
}

TEST_CASE("a certificate that expires mid-session ends the session at the next rekey") {
    // The server's verifier reads a clock the test moves past the client certificate's notAfter
    // (2045-01-01); nothing reloads anything.
    auto clock = std::make_shared<std::int64_t>(kPkiTime);
    auto v = X509Verifier::create(pki_file("ca.crt"), "", {}, [clock] { return *clock; });
    REQUIRE(v.ok());
    for (bool on_rekey : {true, false}) {
        CAPTURE(on_rekey);
        *clock = kPkiTime;
        ServerEndpointConfig sc;
        sc.reverify_on_rekey = on_rekey;
        Pair p({}, sc, "client.crt", "client.key", v.value);
        REQUIRE(p.establish());
        *clock = 2398377600;   // 2046-01-01
        p.w.run_for(150 * kSecond);   // one rekey (after 120 s), well before reverify_interval (1 h)
        CHECK(p.client->count(EventType::rekeyed) + p.server->count(EventType::rekeyed) >= 1);
        const Event* closed = p.server->last(EventType::closed);
        if (on_rekey) {
            REQUIRE(closed);
            CHECK(closed->reason == Error::cert_expired);
            CHECK(p.server->endpoint->sessions().empty());
        } else {
            CHECK(closed == nullptr);
            CHECK(p.server->endpoint->sessions().size() == 1);
        }
    }
}

TEST_CASE("idle sessions stay up on keepalives and a dead peer is detected") {
    Pair p;
    REQUIRE(p.establish());
    p.w.run_for(200 * kSecond);   // idle, through rekeys
    CHECK(p.client->count(EventType::closed) == 0);
    CHECK(p.server->count(EventType::closed) == 0);
    CHECK(p.client->count(EventType::rekeyed) >= 1);
    // The server vanishes: its datagrams are no longer delivered.
    Impairments dead;
    dead.drop = 1.0;
    p.w.net.set_impairments(dead);
    p.w.run_for(60 * kSecond);
    const Event* closed = p.client->last(EventType::closed);
    REQUIRE(closed);
    CHECK(closed->reason == Error::peer_timeout);
}

TEST_CASE("keys are rekeyed before their packet limit and never used past it") {
    ClientEndpointConfig cc;
    cc.rekey_after_packets = 50;
    cc.reject_after_packets = 100;
    Pair p(cc);
    REQUIRE(p.establish());
    int ok = 0;
    for (int i = 0; i < 1000; ++i) {
        ok += p.w.send_inner(*p.client, p.cs, InnerProtocol::ipv4, payload(1, 64));
        p.w.run_for(2 * kMillisecond);
    }
    CHECK(ok == 1000);
    CHECK(p.client->count(EventType::rekeyed) >= 10);

    // Without a peer to answer the rekey, the key stops at its hard limit.
    Impairments dead;
    dead.drop = 1.0;
    p.w.net.set_impairments(dead);
    std::uint8_t buf[256];
    Error last = Error::ok;
    for (int i = 0; i < 200 && last == Error::ok; ++i) {
        last = p.client->endpoint->seal(p.w.now, p.cs, InnerProtocol::ipv4, payload(1, 64), buf).status;
    }
    CHECK(last == Error::key_exhausted);
}

TEST_CASE("a server whose key reaches its packet limit rekeys at once, not at its next timer") {
    // The server's timers are kept per session (libudpvpn/timer_queue.hpp): no other session's timer
    // wakes it, so the packet limit, which no deadline shows, must start the rekey by itself.
    ServerEndpointConfig sc;
    sc.rekey_after_packets = 50;
    sc.reject_after_packets = 100;
    Pair p({}, sc);
    REQUIRE(p.establish());
    int ok = 0;
    for (int i = 0; i < 400; ++i) {
        ok += p.w.send_inner(*p.server, p.ss, InnerProtocol::ipv4, payload(2, 64));
        p.w.run_for(kMillisecond);
    }
    CHECK(ok == 400);
    CHECK(p.server->count(EventType::rekeyed) >= 4);
    CHECK(p.server->count(EventType::closed) == 0);
}

TEST_CASE("caller misuse is reported without side effects") {
    Pair p;
    std::uint8_t small[8];
    CHECK(p.client->endpoint->seal(p.w.now, 12345, InnerProtocol::ipv4, payload(1), small).status == Error::not_found);
    CHECK(p.server->endpoint->connect(p.w.now).error == Error::invalid_state);
    REQUIRE(p.establish());
    CHECK(p.client->endpoint->seal(p.w.now, p.cs, InnerProtocol::ipv4, payload(1), small).status ==
          Error::buffer_too_small);
    CHECK(p.server->endpoint->push_config(p.w.now, 777, ConfigPush{}) == Error::not_found);
    Bytes junk = {0x17, 1, 2};
    CHECK(p.server->endpoint->receive(p.w.now, address("x"), junk).status == Error::malformed);
    Bytes empty;
    CHECK(p.server->endpoint->receive(p.w.now, address("x"), empty).status == Error::malformed);
}

TEST_CASE("closing a session tells the peer the reason") {
    Pair p;
    REQUIRE(p.establish());
    CHECK(p.server->endpoint->close(p.w.now, p.ss, Error::closed_locally, "server shutting down") == Error::ok);
    p.w.run_for(3 * kSecond);
    const Event* e = p.client->last(EventType::closed);
    REQUIRE(e);
    CHECK(e->reason == Error::peer_closed);
    CHECK(e->text.find("server shutting down") != std::string::npos);
    CHECK(p.server->endpoint->sessions().empty());
}

TEST_CASE("a DISCONNECT is acknowledged: the closing side forgets the session after one round trip") {
    for (const bool client_closes : {true, false}) {
        CAPTURE(client_closes);
        Pair p;
        REQUIRE(p.establish());
        p.w.run_for(100 * kMillisecond);   // let the CONFIG-free session settle (no control in flight)
        Host& closer = client_closes ? *p.client : *p.server;
        Host& peer = client_closes ? *p.server : *p.client;
        const SessionId sid = client_closes ? p.cs : p.ss;
        const TimeNs start = p.w.now;
        REQUIRE(closer.endpoint->close(p.w.now, sid, Error::closed_locally, "bye") == Error::ok);
        // 1 ms each way on this network: the DISCONNECT, then the peer's ACK.
        const bool gone = p.w.run_until(start + 1 * kSecond, [&] {
            return closer.endpoint->sessions().empty() && peer.endpoint->sessions().empty();
        });
        CHECK(gone);
        CHECK(p.w.now - start < 100 * kMillisecond);   // not the 2 s linger of an unacknowledged one
        const Event* e = peer.last(EventType::closed);
        REQUIRE(e);
        CHECK(e->reason == Error::peer_closed);
        CHECK(closer.count(EventType::closed) == 1);
        CHECK(peer.count(EventType::closed) == 1);
    }
}

TEST_CASE("an unacknowledged DISCONNECT is given up after 2 s") {
    Pair p;
    REQUIRE(p.establish());
    p.w.run_for(100 * kMillisecond);
    Impairments dead;
    dead.drop = 1.0;
    p.w.net.set_impairments(dead);
    const TimeNs start = p.w.now;
    REQUIRE(p.client->endpoint->close(p.w.now, p.cs, Error::closed_locally, "bye") == Error::ok);
    p.w.run_until(start + 5 * kSecond, [&] { return p.client->endpoint->sessions().empty(); });
    CHECK(p.client->endpoint->sessions().empty());
    CHECK(p.w.now - start >= 2 * kSecond);
}

TEST_CASE("handshakes through the stateless cookie path survive loss (SERVER_HELLO included)") {
    int failures = 0;
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
        Impairments lossy;
        lossy.drop = 0.10;
        lossy.max_delay = 10 * kMillisecond;
        World w(seed, lossy);
        ServerEndpointConfig sc;
        sc.cookie_threshold = 0;   // every INITIAL needs a cookie
        ClientEndpointConfig cc;
        cc.server = address("server");
        Host& s = w.add("server", make_server(sc, seed + 1));
        Host& c = w.add("client", make_client(cc, seed + 2));
        REQUIRE(c.endpoint->connect(w.now).ok());
        const bool ok = w.run_until(w.now + 12 * kSecond, [&] {
            return c.count(EventType::established) == 1 && s.count(EventType::established) == 1;
        });
        failures += !ok;
    }
    CHECK(failures == 0);
}

TEST_CASE("DISCONNECT carries the draft's close reason code, not an internal value") {
    Pair p;
    REQUIRE(p.establish());
    p.server->endpoint->set_verifier(p.w.now, pki_verifier("ca.crt", "crl.pem"));   // client not revoked
    CHECK(p.server->endpoint->close(p.w.now, p.ss, Error::cert_revoked, "revoked by the admin") == Error::ok);
    p.w.run_for(3 * kSecond);
    const Event* e = p.client->last(EventType::closed);
    REQUIRE(e);
    CHECK(e->text.find("(revoked)") != std::string::npos);
    CHECK(e->text.find("revoked by the admin") != std::string::npos);
}

TEST_CASE("a server refusing the handshake tells the client why at once") {
    ClientEndpointConfig cc;
    cc.suites = {Suite::aes256_gcm};
    ServerEndpointConfig sc;
    sc.suites = {Suite::chacha20_poly1305};
    Pair p(cc, sc);
    p.w.run_for(1 * kSecond);   // far below the 10 s handshake timeout
    const Event* e = p.client->last(EventType::closed);
    REQUIRE(e);
    CHECK(e->reason == Error::no_common_suite);
    CHECK(p.server->endpoint->stats().half_open == 0);
}

TEST_CASE("a replayed HANDSHAKE packet from a spoofed source does not redirect the server's flight") {
    Pair p;
    // Let the client's first HANDSHAKE packet reach the server, then replay it from elsewhere.
    std::vector<Bytes> from_client;
    p.w.run_until(p.w.now + 10 * kSecond, [&] { return p.server->count(EventType::established) == 1; });
    REQUIRE(p.establish());
    // Every datagram the server sends after a replay must still go to the real client.
    std::uint8_t buf[2048];
    PeerAddress to;
    Bytes junk_handshake = {0x05, 0, 0, 0, 1, 0, 0, 0, 0};
    junk_handshake.resize(64);
    p.server->endpoint->receive(p.w.now, address("spoofed"), junk_handshake);
    while (true) {
        auto n = p.server->endpoint->poll_datagram(buf, to);
        if (!n.ok() || n.value == 0) break;
        CHECK_FALSE(to == address("spoofed"));
    }
}

TEST_CASE("a server answers retransmitted client flights with at most one ACK per HANDSHAKE packet") {
    // Driven by hand so that the client's HANDSHAKE packets can be kept and replayed.
    auto server = make_server({}, 1);
    ClientEndpointConfig cc;
    cc.server = address("server");
    cc.inner_mtu = 0;   // no PMTU probe: the first DATA from the client would end the tail
    auto client = make_client(cc, 2);
    TimeNs now = 1 * kSecond;
    REQUIRE(client->connect(now).ok());
    std::vector<Bytes> client_handshake;
    std::uint8_t buf[kMaxDatagram];
    auto pump = [&](Endpoint& from, Endpoint& to, const PeerAddress& src, bool keep) {
        PeerAddress dst;
        int n_sent = 0;
        for (;;) {
            auto n = from.poll_datagram(buf, dst);
            if (!n.ok() || n.value == 0) break;
            Bytes d(buf, buf + n.value);
            if (keep && d[0] == 0x05) client_handshake.push_back(d);
            Bytes copy = d;
            to.receive(now, src, copy);
            ++n_sent;
        }
        return n_sent;
    };
    for (int i = 0; i < 10; ++i) {
        pump(*client, *server, address("client"), true);
        pump(*server, *client, address("server"), false);
        now += kMillisecond;
    }
    REQUIRE(server->stats().handshakes_completed == 1);
    REQUIRE_FALSE(client_handshake.empty());
    auto count_server_handshake = [&] {
        int n = 0;
        PeerAddress dst;
        for (;;) {
            auto r = server->poll_datagram(buf, dst);
            if (!r.ok() || r.value == 0) break;
            n += buf[0] == 0x05;
        }
        return n;
    };
    count_server_handshake();
    // Three replays before the server sends anything: they share one ACK.
    for (int i = 0; i < 3; ++i) {
        Bytes d = client_handshake.back();
        server->receive(now, address("client"), d);
    }
    CHECK(count_server_handshake() <= 1);
    // One at a time: never more than one each.
    int acks = 0;
    for (const Bytes& kept : client_handshake) {
        Bytes d = kept;
        server->receive(now, address("client"), d);
        acks += count_server_handshake();
    }
    CHECK(acks <= static_cast<int>(client_handshake.size()));
    CHECK(acks >= 1);
}
