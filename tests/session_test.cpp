// SPDX-License-Identifier: GPL-3.0-or-later
#include "session.hpp"

#include "data_packet.hpp"

#include <udpvpn/rng.hpp>

#include <memory>
#include <optional>

#include <doctest/doctest.h>

using namespace udpvpn;

TEST_CASE("the core state of an established session fits in 4 KiB") {
    // Keys, replay windows, counters and timers live inline; the peer's identity, its chain and the
    // control channel are separate, bounded allocations made once per session.
    CHECK(sizeof(Session) <= 4096);
    MESSAGE("sizeof(Session) = " << sizeof(Session));
}

TEST_CASE("AEAD usage limits follow the suite and the configuration") {
    CommonConfig c;
    AeadLimits gcm = aead_limits(Suite::aes256_gcm, c);
    CHECK(gcm.reject_after_packets == (1ull << 23));
    CHECK(gcm.rekey_after_packets < gcm.reject_after_packets);
    AeadLimits chacha = aead_limits(Suite::chacha20_poly1305, c);
    CHECK(chacha.max_failed_opens == (1ull << 36));
    c.rekey_after_packets = 1000;
    c.reject_after_packets = 500;
    AeadLimits odd = aead_limits(Suite::chacha20_poly1305, c);
    CHECK(odd.rekey_after_packets < odd.reject_after_packets);   // never rekey after the hard limit
}

namespace {

// Two sessions sharing epoch 0 keys, as after a handshake, passing datagrams to each other.
struct SessionPair {
    CommonConfig config;
    DeterministicRng rng_c{1}, rng_s{2};
    DataSecrets secrets;
    std::unique_ptr<Session> client, server;
    TimeNs now = kSecond;

    SessionPair() {
        for (auto* s : {&secrets.client_data, &secrets.server_data, &secrets.rekey}) rng_c.fill(s->expose_mut());
        SessionParams c, s;
        c.role = Role::client;
        c.local_sid = 0x11223344;
        c.peer_sid = 0x00556677;
        s.role = Role::server;
        s.local_sid = c.peer_sid;
        s.peer_sid = c.local_sid;
        c.suite = s.suite = Suite::chacha20_poly1305;
        c.address = PeerAddress::ipv4({192, 0, 2, 1}, 51820);
        s.address = PeerAddress::ipv4({198, 51, 100, 2}, 40000);
        client = std::make_unique<Session>(config, rng_c, c, secrets, now);
        server = std::make_unique<Session>(config, rng_s, s, secrets, now);
    }

    // Moves every datagram each side has to send to the other, until both are quiet.
    void exchange() {
        for (int round = 0; round < 8; ++round) {
            bool moved = false;
            for (auto [from, to] : {std::pair{client.get(), server.get()}, std::pair{server.get(), client.get()}}) {
                std::array<std::uint8_t, 1500> buf{};
                PeerAddress dest;
                Result<std::size_t> n = from->poll_datagram(now, buf, dest);
                if (!n || n.value == 0) continue;
                moved = true;
                Result<DataHeader> h = parse_data_header({buf.data(), n.value});
                REQUIRE(h);
                to->open(now, to == server.get() ? server->address() : client->address(), h.value,
                         {buf.data(), n.value});
            }
            if (!moved) return;
        }
    }

    static std::optional<Event> closed(Session& s) {
        while (auto e = s.poll_event())
            if (e->type == EventType::closed) return e;
        return std::nullopt;
    }
};

}  // namespace

TEST_CASE("a protocol violation on an established session is answered with DISCONNECT 11") {
    // docs/rfc-draft.txt [CTL-1], [CTL-8], [KEY-4], [KEY-8]: the peer learns why the session ended.
    // udpvpn-conformance found the reference closing silently instead.
    struct Case {
        const char* what;
        std::uint8_t type;
        Bytes body;
    };
    const Case cases[] = {
        {"CONFIG sent to a server", 0x01, Bytes{0x07, 0x00, 0x02, 0x05, 0x00}},
        {"REKEY_INIT of 35 bytes", 0x05, Bytes(35, 0x01)},
        {"REKEY_INIT for epoch 2", 0x05, [] { Bytes b(36, 0x09); b[0] = b[1] = b[2] = 0; b[3] = 2; return b; }()},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        SessionPair p;
        REQUIRE(p.client->send_control(p.now, c.type, c.body) == Error::ok);
        p.exchange();
        std::optional<Event> s = SessionPair::closed(*p.server);
        REQUIRE(s);
        CHECK(s->reason == Error::protocol_violation);
        std::optional<Event> e = SessionPair::closed(*p.client);
        REQUIRE(e);
        CHECK(e->reason == Error::peer_closed);
        CHECK(e->text.find("protocol violation") != std::string::npos);
    }
}
