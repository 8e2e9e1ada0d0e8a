// SPDX-License-Identifier: GPL-3.0-or-later
// What the server endpoint gives a peer whose address it has not validated (docs/rfc-draft.txt,
// Sections 10.2-10.4, 20.4, 20.5), checked against an attacker who does what any client can: send
// INITIALs, read SERVER_HELLO and so hold the handshake keys, answer RETRY cookies, replay what it
// captured.
// Every heap allocation of this test binary is counted (support/counting_alloc.cpp), so the memory
// bound of half-open sessions is measured exactly, not estimated.
#include "counting_alloc.hpp"
#include "hand_driven.hpp"
#include "sim_setup.hpp"

#include "wire_format.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace udpvpn;
using namespace udpvpn::sim;

namespace {

constexpr std::uint8_t kHandshake = static_cast<std::uint8_t>(PacketType::handshake);
constexpr std::uint8_t kServerHello = static_cast<std::uint8_t>(PacketType::server_hello);
constexpr std::uint8_t kRetry = static_cast<std::uint8_t>(PacketType::retry);

// Source i in a /24 of its own: 10.(i >> 8).(i & 255).1, in the apps' IP encoding.
PeerAddress host_in_own_prefix(std::uint32_t i) {
    return PeerAddress::ipv4({10, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i), 1}, 4000);
}

std::string key(const PeerAddress& a) { return std::string(a.view().begin(), a.view().end()); }

// Bytes a server received from and sent to every address, to check the 3x rule per address.
struct Ledger {
    std::map<std::string, std::uint64_t> rx, tx;
    void in(const PeerAddress& a, std::size_t n) { rx[key(a)] += n; }
    void out(const std::vector<Sent>& sent) {
        for (const Sent& s : sent) tx[key(s.to)] += s.bytes.size();
    }
    double ratio(const PeerAddress& a) {
        const std::uint64_t r = rx[key(a)];
        return r ? static_cast<double>(tx[key(a)]) / static_cast<double>(r) : (tx[key(a)] ? 1e9 : 0.0);
    }
};

}  // namespace

TEST_CASE("4096 half-open sessions each fed a forged 65000-byte HANDSHAKE datagram keep the memory "
          "bound the draft states") {
    ServerEndpointConfig sc;
    sc.cookie_threshold = sc.max_half_open;   // memory, not cookies, is under test here
    auto server = make_server(sc, 1);
    std::vector<SessionId> sids;
    sids.reserve(sc.max_half_open);
    std::size_t flight = 0;   // the server's own HANDSHAKE bytes for one client
    std::vector<Sent> out;
    out.reserve(16);

    const std::int64_t before = test::live_heap_bytes();
    for (std::uint32_t i = 1; i <= sc.max_half_open; ++i) {
        Bytes ini = initial_for(i);
        REQUIRE(server->receive(kSecond, host_in_own_prefix(i), ini).status == Error::ok);
        SessionId sid = 0;
        for (const Sent& s : drain(*server)) {
            if (s.bytes[0] == kServerHello) sid = parse_server_hello(s.bytes).value.server_sid;
            if (i == 1 && s.bytes[0] == kHandshake) flight += s.bytes.size();
        }
        REQUIRE(sid != 0);
        sids.push_back(sid);
    }
    REQUIRE(server->stats().half_open == sc.max_half_open);
    const std::int64_t opened = test::live_heap_bytes();
    const double per_half_open = static_cast<double>(opened - before) / static_cast<double>(sc.max_half_open);
    MESSAGE("heap per half-open session (endpoint book-keeping included): ", per_half_open, " bytes");
    // docs/rfc-draft.txt, Section 10.4: at most 4 KiB plus its own flight before validation.
    MESSAGE("its own flight: ", flight, " bytes");
    CHECK(per_half_open <= 4.0 * 1024 + static_cast<double>(flight));

    Bytes forged(65000, 0xA5), copy(65000), largest(kMaxHandshakeDatagram);
    forged[0] = kHandshake;
    PeerAddress nowhere;
    const std::int64_t baseline = test::live_heap_bytes();
    // The attacker knows every session ID (from SERVER_HELLO) but not the handshake keys here; with
    // them it could not do more, since the size check comes before the tag check.
    for (std::uint32_t i = 0; i < sc.max_half_open; ++i) {
        for (int k = 0; k < 4; ++k) forged[1 + k] = static_cast<std::uint8_t>(sids[i] >> (24 - 8 * k));
        std::copy(forged.begin(), forged.end(), copy.begin());
        CHECK(server->receive(2 * kSecond, host_in_own_prefix(i + 1), copy).status == Error::malformed);
        // A forged datagram of the largest accepted size fails its tag check and leaves nothing.
        std::copy(forged.begin(), forged.begin() + kMaxHandshakeDatagram, largest.begin());
        CHECK(server->receive(2 * kSecond, host_in_own_prefix(i + 1), largest).status == Error::bad_tag);
        CHECK(server->poll_datagram(copy, nowhere).value == 0);   // nothing is answered
    }
    const std::int64_t after = test::live_heap_bytes();
    MESSAGE("heap growth after 4096 forged 65000-byte and 4096 forged 1452-byte datagrams: ", after - baseline,
            " bytes");
    CHECK(after - baseline <= 0);
    CHECK(server->stats().unvalidated.oversized == sc.max_half_open);
    CHECK(server->stats().half_open == sc.max_half_open);
}

TEST_CASE("a HANDSHAKE packet from another source does not move a half-open session, and spoofed ACKs "
          "do not keep its retransmissions going") {
    ServerEndpointConfig sc;
    ClientEndpointConfig cc;
    cc.server = address("server");
    cc.pad_datagrams = 0;   // the smallest budget: 3 x 1232 bytes
    auto server = make_server(sc, 1);
    auto client = make_client(cc, 2);
    const PeerAddress home = address("attacker"), victim = address("victim");
    Ledger ledger;
    TimeNs now = kSecond;
    REQUIRE(client->connect(now).ok());
    for (Sent& s : drain(*client)) {
        ledger.in(home, s.bytes.size());
        (void)server->receive(now, home, s.bytes);
    }
    // Only SERVER_HELLO reaches the key holder; the rest of the flight is lost on the way.
    std::vector<Sent> first = drain(*server);
    ledger.out(first);
    for (Sent& s : first)
        if (s.bytes[0] == kServerHello) (void)client->receive(now, cc.server, s.bytes);
    // Its PTO probe is a fresh, valid HANDSHAKE packet; it sends it with the victim's address.
    now += 400 * kMillisecond;
    client->handle_timeout(now);
    std::vector<Sent> probe = drain(*client);
    REQUIRE(!probe.empty());
    REQUIRE(probe[0].bytes[0] == kHandshake);
    for (Sent& s : probe) {
        ledger.in(victim, s.bytes.size());
        CHECK(server->receive(now, victim, s.bytes).status == Error::unexpected_packet);
    }
    ledger.out(drain(*server));
    CHECK(server->stats().unvalidated.wrong_address == probe.size());
    // Ten seconds of PTOs, each answered by a spoofed copy of the probe from the victim.
    for (int i = 0; i < 40; ++i) {
        now += 250 * kMillisecond;
        server->handle_timeout(now);
        ledger.out(drain(*server));
        Bytes again = probe[0].bytes;
        ledger.in(victim, again.size());
        (void)server->receive(now, victim, again);
        ledger.out(drain(*server));
    }
    MESSAGE("to the victim: ", ledger.tx[key(victim)], " bytes for ", ledger.rx[key(victim)], " received from it");
    MESSAGE("to the attacker's own address: ", ledger.tx[key(home)], " bytes for ", ledger.rx[key(home)]);
    CHECK(ledger.tx[key(victim)] == 0);
    CHECK(ledger.ratio(home) <= 3.0);
}

TEST_CASE("a captured cookie-bearing INITIAL replayed from the victim's address opens nothing new, and "
          "its cookie expires within seconds") {
    ServerEndpointConfig sc;
    sc.cookie_threshold = 0;   // every INITIAL needs a cookie
    auto server = make_server(sc, 1);
    const PeerAddress victim = PeerAddress::ipv4({192, 0, 2, 7}, 5000);
    Ledger ledger;
    TimeNs now = 100 * kSecond;
    // The INITIAL is answered with a RETRY at the victim's address, where the attacker reads it.
    Bytes ini = initial_for(77);
    ledger.in(victim, ini.size());
    (void)server->receive(now, victim, ini);
    std::vector<Sent> retry = drain(*server);
    ledger.out(retry);
    REQUIRE(retry.size() == 1);
    REQUIRE(retry[0].bytes[0] == kRetry);
    const Bytes captured = initial_for(77, parse_retry(retry[0].bytes).value.cookie);
    std::size_t hellos = 0;
    SessionId opened = 0;
    auto replay = [&](TimeNs at) {
        Bytes copy = captured;
        ledger.in(victim, copy.size());
        (void)server->receive(at, victim, copy);
        server->handle_timeout(at);
        for (const Sent& s : drain(*server)) {
            ledger.tx[key(s.to)] += s.bytes.size();
            if (s.bytes[0] != kServerHello) continue;
            ++hellos;
            opened = parse_server_hello(s.bytes).value.server_sid;
        }
    };
    replay(now);   // the one half-open session this cookie may open
    CHECK(hellos == 1);
    // The half-open session ends early (here the application closes it) ...
    now += 500 * kMillisecond;
    REQUIRE(server->close(now, opened, Error::closed_locally, "") == Error::ok);
    CHECK(server->stats().half_open == 0);
    // ... and the same INITIAL, replayed while the cookie still verifies, opens nothing.
    TimeNs t = now;
    for (; t < now + 120 * kSecond; t += 250 * kMillisecond) replay(t);
    CHECK(hellos == 1);
    CHECK(server->stats().half_open == 0);
    MESSAGE("replayed: ", server->stats().unvalidated.replayed_cookie, ", expired: ",
            server->stats().unvalidated.bad_cookie);
    MESSAGE("to the victim: ", ledger.tx[key(victim)], " bytes for ", ledger.rx[key(victim)]);
    CHECK(ledger.ratio(victim) <= 3.0);
    // The cookie was issued at 100 s; it lives 4.3 to 8.6 s (docs/rfc-draft.txt, Section 10.3).
    CHECK(server->stats().unvalidated.replayed_cookie >= 3 * 4);
    CHECK(server->stats().unvalidated.replayed_cookie <= 9 * 4);
    CHECK(server->stats().unvalidated.bad_cookie > 0);
    CHECK(server->stats().unvalidated.replayed_cookie + server->stats().unvalidated.bad_cookie == 480);

    // A duplicate of the cookie-bearing INITIAL while its session is half-open goes to that session
    // and earns 3x its own bytes, no more (the cookie does not validate the address).
    Bytes fresh = initial_for(78);
    (void)server->receive(t, victim, fresh);
    std::vector<Sent> r2 = drain(*server);
    REQUIRE(r2.size() == 1);
    const Bytes with_cookie = initial_for(78, parse_retry(r2[0].bytes).value.cookie);
    std::uint64_t in = 0, out = 0;
    for (int i = 0; i < 20; ++i) {
        Bytes copy = with_cookie;
        in += copy.size();
        (void)server->receive(t, victim, copy);
        for (const Sent& s : drain(*server)) out += s.bytes.size();
        t += 50 * kMillisecond;
        server->handle_timeout(t);
        for (const Sent& s : drain(*server)) out += s.bytes.size();
    }
    CHECK(server->stats().half_open == 1);
    CHECK(out <= 3 * in);
}

namespace {

// A client and a server driven by hand: what each sends is collected, to be delivered or held back.
struct HeldBack {
    std::unique_ptr<Endpoint> server, client;
    PeerAddress home = address("client"), server_addr = address("server");
    TimeNs now = kSecond;
    std::vector<Event> server_events, client_events;

    std::vector<Sent> out(Endpoint& ep, std::vector<Event>& events) { return drain(ep, &events); }
    void to_server(std::vector<Sent> sent) {
        for (Sent& s : sent) (void)server->receive(now, home, s.bytes);
    }
    void to_client(std::vector<Sent> sent) {
        for (Sent& s : sent) (void)client->receive(now, server_addr, s.bytes);
    }
    std::size_t count(const std::vector<Event>& ev, EventType t) {
        std::size_t n = 0;
        for (const Event& e : ev) n += e.type == t;
        return n;
    }
};

}  // namespace

TEST_CASE("a CRL reload reaches a handshake in flight: a revoked client holding back its last flight "
          "is refused") {
    HeldBack p;
    ClientEndpointConfig cc;
    cc.server = p.server_addr;
    p.server = make_server({}, 1);   // the verifier without the CRL
    p.client = make_client(cc, 2, "client_revoked.crt", "client_revoked.key");
    REQUIRE(p.client->connect(p.now).ok());
    p.to_server(p.out(*p.client, p.client_events));
    p.to_client(p.out(*p.server, p.server_events));
    std::vector<Sent> last_flight = p.out(*p.client, p.client_events);   // CERTIFICATE, CV, FINISHED
    REQUIRE(!last_flight.empty());
    // The administrator revokes the client and reloads the CRL while its flight is held back.
    p.now += 200 * kMillisecond;
    p.server->set_verifier(p.now, pki_verifier("ca.crt", "crl.pem"));
    p.to_server(last_flight);
    p.to_client(p.out(*p.server, p.server_events));
    CHECK(p.count(p.server_events, EventType::established) == 0);
    CHECK(p.server->sessions().empty());
    const Event* closed = nullptr;
    for (const Event& e : p.server_events) if (e.type == EventType::closed) closed = &e;
    REQUIRE(closed != nullptr);
    CHECK(closed->reason == Error::cert_revoked);
}

namespace {
// Always the same bytes: every session ID it yields is the same one.
class StuckRng final : public Rng {
public:
    void fill(MutableByteView out) noexcept override { std::fill(out.begin(), out.end(), std::uint8_t{0x42}); }
};
}  // namespace

TEST_CASE("when no free session ID can be drawn, the INITIAL is refused and counted instead of looping") {
    // (On the old code this test never returns: new_sid() drew for ever.)
    auto made = Endpoint::make_server(ServerEndpointConfig{}, pki_identity("server.crt", "server.key"), pki_verifier(),
                                         std::make_shared<StuckRng>());
    REQUIRE(made.ok());
    Endpoint& server = *made.value;
    Bytes first = initial_for(1), second = initial_for(2);
    CHECK(server.receive(kSecond, host_in_own_prefix(1), first).status == Error::ok);
    (void)drain(server);
    CHECK(server.stats().half_open == 1);
    CHECK(server.receive(kSecond, host_in_own_prefix(2), second).status == Error::rate_limited);
    CHECK(server.stats().unvalidated.no_session_id == 1);
    CHECK(server.stats().half_open == 1);
}

namespace {

// A flood of INITIALs from `source(i)` that answers every RETRY with its cookie, interleaved with a
// real client from elsewhere; returns whether that client got in.
template <typename Source>
bool legit_client_gets_in_during_flood(Source source, std::size_t& attacker_half_open, Ledger& ledger) {
    ServerEndpointConfig sc;   // defaults
    auto server = make_server(sc, 1);
    ClientEndpointConfig cc;
    cc.server = address("server");
    auto client = make_client(cc, 2);
    const PeerAddress home = PeerAddress::ipv4({198, 51, 100, 9}, 40000);
    TimeNs now = kSecond;
    std::uint32_t next = 1;
    auto flood = [&](int n) {
        for (int k = 0; k < n; ++k, ++next) {
            const PeerAddress from = source(next);
            Bytes ini = initial_for(next);
            ledger.in(from, ini.size());
            (void)server->receive(now, from, ini);
            for (const Sent& s : drain(*server)) {
                ledger.tx[key(s.to)] += s.bytes.size();
                if (s.bytes[0] != kRetry || !(s.to == from)) continue;
                Bytes again = initial_for(next, parse_retry(s.bytes).value.cookie);
                ledger.in(from, again.size());
                (void)server->receive(now, from, again);
                ledger.out(drain(*server));
            }
            now += 200 * 1000;   // 5000 INITIALs per second
        }
    };
    flood(5000);   // one second: far more than the 4096 half-open slots
    attacker_half_open = server->stats().half_open;
    bool in = false;
    REQUIRE(client->connect(now).ok());
    for (int round = 0; round < 400 && !in; ++round) {
        for (Sent& s : drain(*client)) (void)server->receive(now, home, s.bytes);
        for (Sent& s : drain(*server)) {
            ledger.tx[key(s.to)] += s.bytes.size();
            if (s.to == home) (void)client->receive(now, cc.server, s.bytes);
        }
        flood(50);
        while (auto e = client->poll_event()) in |= e->type == EventType::established;
        if (client->next_deadline() <= now) client->handle_timeout(now);
        if (server->next_deadline() <= now) server->handle_timeout(now);
    }
    // And the server, too, has it as a session by now.
    for (Sent& s : drain(*client)) (void)server->receive(now, home, s.bytes);
    return in && !server->sessions().empty();
}

}  // namespace

TEST_CASE("one host that answers RETRY cookies cannot take the half-open slots of others") {
    std::size_t held = 0;
    Ledger ledger;
    const bool in = legit_client_gets_in_during_flood(
        [](std::uint32_t i) { return PeerAddress::ipv4({203, 0, 113, 5}, static_cast<std::uint16_t>(1024 + i % 60000)); },
        held, ledger);
    MESSAGE("half-open sessions held by the flooding host: ", held);
    CHECK(held <= 2 * ServerEndpointConfig{}.max_half_open_per_source);
    CHECK(in);
}

TEST_CASE("one /24 that answers RETRY cookies cannot take the half-open slots of others") {
    std::size_t held = 0;
    Ledger ledger;
    const bool in = legit_client_gets_in_during_flood(
        [](std::uint32_t i) { return PeerAddress::ipv4({203, 0, 113, static_cast<std::uint8_t>(i)}, 5000); }, held, ledger);
    MESSAGE("half-open sessions held by the flooding /24: ", held);
    CHECK(held <= 2 * ServerEndpointConfig{}.max_half_open_per_prefix);
    CHECK(in);
    for (const auto& [k, tx] : ledger.tx) {
        if (ledger.rx[k] == 0) continue;   // the legitimate client (validated) is not in rx
        CHECK(tx <= 3 * ledger.rx[k]);
    }
}

TEST_CASE("one IPv6 /56 is one prefix, and a forger who fills a victim's quota only makes it show a cookie") {
    ServerEndpointConfig sc;
    sc.cookie_threshold = sc.max_half_open;
    auto server = make_server(sc, 1);
    auto v6 = [](std::uint8_t subnet, std::uint8_t host) {
        std::array<std::uint8_t, 16> ip{0x20, 0x01, 0x0d, 0xb8, 0, 0x56, 0, subnet, 0, 0, 0, 0, 0, 0, 0, host};
        return PeerAddress::ipv6(ip, 443);
    };
    // Hosts of 2001:db8:56::/56 (its /64 subnets vary in byte 7): at most 128 sessions without a cookie.
    std::uint32_t i = 1;
    TimeNs now = kSecond;
    std::size_t retries = 0;
    for (; i <= 400; ++i) {
        Bytes ini = initial_for(i);
        (void)server->receive(now, v6(static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)), ini);
        for (const Sent& s : drain(*server)) retries += s.bytes[0] == kRetry;
        now += 100 * kMillisecond;
    }
    CHECK(server->stats().half_open == sc.max_half_open_per_prefix);
    CHECK(retries == 400 - sc.max_half_open_per_prefix);
    // Forged INITIALs from a victim's address fill its quota; the victim then gets a RETRY, and its
    // cookie gets it in.
    const PeerAddress victim = PeerAddress::ipv4({192, 0, 2, 1}, 7777);
    for (std::uint32_t k = 0; k < 40; ++k, ++i) {
        Bytes ini = initial_for(i);
        (void)server->receive(now, victim, ini);
        (void)drain(*server);
        now += 100 * kMillisecond;
    }
    now += 1500 * kMillisecond;   // the rate buckets refill; the forged sessions are still half-open
    Bytes mine = initial_for(9999);
    (void)server->receive(now, victim, mine);
    std::vector<Sent> r = drain(*server);
    REQUIRE(r.size() == 1);
    REQUIRE(r[0].bytes[0] == kRetry);
    Bytes with_cookie = initial_for(9999, parse_retry(r[0].bytes).value.cookie);
    const std::size_t before = server->stats().half_open;
    CHECK(server->receive(now, victim, with_cookie).status == Error::ok);
    CHECK(server->stats().half_open == before + 1);
}
