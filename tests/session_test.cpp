// SPDX-License-Identifier: GPL-3.0-or-later
#include "session.hpp"

#include "control_channel.hpp"
#include "control_messages.hpp"
#include "data_packet.hpp"
#include "key_schedule.hpp"
#include "replay_window.hpp"

#include <udpvpn/config_push.hpp>
#include <udpvpn/rng.hpp>

#include <algorithm>
#include <array>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

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

// Two sessions sharing epoch 0 keys, as after a handshake, passing datagrams to each other. Each
// side has its own configuration (a Session keeps a reference to it).
struct SessionPair {
    CommonConfig client_config, server_config;
    DeterministicRng rng_c{1}, rng_s{2};
    DataSecrets secrets;
    std::unique_ptr<Session> client, server;
    TimeNs start = kSecond;
    TimeNs now = kSecond;

    // `tweak` changes both configurations before the sessions are made.
    explicit SessionPair(const std::function<void(CommonConfig&)>& tweak = {}) {
        if (tweak) {
            tweak(client_config);
            tweak(server_config);
        }
        make();
    }
    SessionPair(const std::function<void(CommonConfig&)>& client_tweak,
                const std::function<void(CommonConfig&)>& server_tweak) {
        client_tweak(client_config);
        server_tweak(server_config);
        make();
    }

    void make() {
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
        client = std::make_unique<Session>(client_config, rng_c, c, secrets, now);
        server = std::make_unique<Session>(server_config, rng_s, s, secrets, now);
    }

    Session& peer_of(const Session& s) { return &s == client.get() ? *server : *client; }

    // Moves every datagram each side has to send to the other, until both are quiet.
    void exchange() {
        for (int round = 0; round < 16; ++round) {
            bool moved = false;
            for (auto [from, to] : {std::pair{client.get(), server.get()}, std::pair{server.get(), client.get()}}) {
                std::array<std::uint8_t, 1500> buf{};
                PeerAddress dest;
                Result<std::size_t> n = from->poll_datagram(now, buf, dest);
                if (!n || n.value == 0) continue;
                moved = true;
                Result<DataHeader> h = parse_data_header({buf.data(), n.value});
                REQUIRE(h);
                to->open(now, to->address(), h.value, {buf.data(), n.value});
            }
            if (!moved) return;
        }
    }

    // One inner packet sealed by `from`, as it goes on the wire.
    Bytes seal(Session& from, ByteView inner, PayloadType type = PayloadType::ipv4) {
        Bytes out(inner.size() + kDataHeaderSize + kAeadTagSize);
        Result<std::size_t> n = from.seal(now, type, inner, out);
        REQUIRE(n.error == Error::ok);
        REQUIRE(n.value == out.size());
        return out;
    }

    // `datagram` (a copy: it is decrypted in place) opened by `to`, from the address it knows.
    Session::Opened open(Session& to, Bytes& datagram) {
        Result<DataHeader> h = parse_data_header(datagram);
        REQUIRE(h);
        return to.open(now, to.address(), h.value, datagram);
    }

    static std::vector<Event> events(Session& s) {
        std::vector<Event> v;
        while (auto e = s.poll_event()) v.push_back(std::move(*e));
        return v;
    }
    static std::optional<Event> first(Session& s, EventType type) {
        for (Event& e : events(s))
            if (e.type == type) return e;
        return std::nullopt;
    }
    static std::optional<Event> closed(Session& s) { return first(s, EventType::closed); }
};

// What sealing adds to an inner packet: the DATA header and the AEAD tag.
constexpr std::size_t kOverhead = kDataHeaderSize + kAeadTagSize;

void no_probing(CommonConfig& c) { c.inner_mtu = 0; }

const Bytes kInner = [] {
    Bytes b(60);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(0x45 + i);
    return b;
}();

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

// --- sealing and opening

TEST_CASE("an inner packet sealed by one side opens at the other, once per direction key") {
    SessionPair p(no_probing);
    Bytes up = p.seal(*p.client, kInner);
    CHECK(up.size() == kInner.size() + kOverhead);
    Bytes copy = up;
    Session::Opened o = p.open(*p.server, up);
    REQUIRE(o.status == Error::ok);
    CHECK(o.payload == PayloadType::ipv4);
    CHECK(Bytes(o.plaintext.begin(), o.plaintext.end()) == kInner);
    CHECK(p.client->counters().tx_packets == 1);
    CHECK(p.client->counters().tx_bytes == kInner.size());
    CHECK(p.server->counters().rx_packets == 1);
    CHECK(p.server->counters().rx_bytes == kInner.size());
    // Each direction has its own key: the client cannot open what it sealed itself.
    CHECK(p.open(*p.client, copy).status == Error::bad_tag);

    Bytes down = p.seal(*p.server, kInner, PayloadType::ipv6);
    Session::Opened d = p.open(*p.client, down);
    REQUIRE(d.status == Error::ok);
    CHECK(d.payload == PayloadType::ipv6);
    CHECK(Bytes(d.plaintext.begin(), d.plaintext.end()) == kInner);
}

TEST_CASE("a datagram changed in flight does not open and changes nothing") {
    SessionPair p(no_probing);
    const Bytes sealed = p.seal(*p.client, kInner);
    for (std::size_t at : {kDataHeaderSize - 1, kDataHeaderSize, sealed.size() - 1}) {
        CAPTURE(at);
        Bytes bad = sealed;
        bad[at] ^= 0x01;
        CHECK(p.open(*p.server, bad).status == Error::bad_tag);
    }
    CHECK(p.server->counters().rx_packets == 0);
    // The failures did not mark the counter seen: the genuine datagram still opens.
    Bytes good = sealed;
    CHECK(p.open(*p.server, good).status == Error::ok);
}

TEST_CASE("seal needs room for the header and tag and spends no counter when refused") {
    SessionPair p(no_probing);
    Bytes small(kInner.size() + kOverhead - 1);
    CHECK(p.client->seal(p.now, PayloadType::ipv4, kInner, small).error == Error::buffer_too_small);
    Bytes sealed = p.seal(*p.client, kInner);
    Result<DataHeader> h = parse_data_header(sealed);
    REQUIRE(h);
    CHECK(h.value.counter == 0);
    CHECK(h.value.dst_sid == p.client->peer_sid());
    // poll_datagram() asks for a buffer that holds at least a small control payload.
    std::array<std::uint8_t, 16> tiny{};
    PeerAddress to;
    Result<std::size_t> n = p.client->poll_datagram(p.now, tiny, to);
    CHECK(n.error == Error::buffer_too_small);
    CHECK(n.value > tiny.size());
}

TEST_CASE("a key phase without a key is stale") {
    SessionPair p(no_probing);
    Bytes sealed = p.seal(*p.client, kInner);
    Result<DataHeader> h = parse_data_header(sealed);
    REQUIRE(h);
    DataHeader other = h.value;
    other.key_phase = 1;   // epoch 1 does not exist yet
    CHECK(p.server->open(p.now, p.server->address(), other, sealed).status == Error::stale_key);
}

// --- replay window

TEST_CASE("replays are refused, reordering within the window is accepted, its left edge is exact") {
    // The window holds the highest counter seen and the 8191 before it (ReplayWindow::kWindowSize).
    SessionPair p(no_probing);
    constexpr std::uint64_t kHighest = ReplayWindow::kWindowSize + 1;
    std::map<std::uint64_t, Bytes> kept;
    for (std::uint64_t c = 0; c <= kHighest; ++c) {
        Bytes d = p.seal(*p.client, kInner);
        if (c == 1 || c == 2 || c == kHighest - 1 || c == kHighest) kept[c] = std::move(d);
    }
    Bytes first = kept[kHighest];
    REQUIRE(p.open(*p.server, first).status == Error::ok);
    Bytes again = kept[kHighest];   // the same datagram a second time
    CHECK(p.open(*p.server, again).status == Error::replayed);
    Bytes late = kept[kHighest - 1];   // one behind: reordered, accepted once
    CHECK(p.open(*p.server, late).status == Error::ok);
    Bytes edge = kept[2];   // kHighest - 8191: the oldest counter the window still holds
    CHECK(p.open(*p.server, edge).status == Error::ok);
    Bytes edge_again = kept[2];
    CHECK(p.open(*p.server, edge_again).status == Error::replayed);
    Bytes outside = kept[1];   // kHighest - 8192: left of the window, refused even though new
    CHECK(p.open(*p.server, outside).status == Error::replayed);
    CHECK(p.server->counters().rx_packets == 3);
}

// --- rekey

TEST_CASE("a rekey moves both sides to epoch 1; data flows under the new keys") {
    SessionPair p(no_probing);
    for (int i = 0; i < 10; ++i) {
        p.seal(*p.client, kInner);
        p.seal(*p.server, kInner);
    }
    p.now += 5 * kSecond;
    REQUIRE(p.client->start_rekey(p.now) == Error::ok);
    p.exchange();
    CHECK(p.client->epoch() == 1);
    CHECK(p.server->epoch() == 1);
    std::optional<Event> rc = SessionPair::first(*p.client, EventType::rekeyed);
    std::optional<Event> rs = SessionPair::first(*p.server, EventType::rekeyed);
    REQUIRE(rc);
    REQUIRE(rs);
    CHECK(rc->epoch == 1);
    CHECK(rs->epoch == 1);
    CHECK(p.client->last_handshake() == p.now);
    CHECK(p.server->last_handshake() == p.now);
    for (Session* from : {p.client.get(), p.server.get()}) {
        Bytes d = p.seal(*from, kInner);
        Result<DataHeader> h = parse_data_header(d);
        REQUIRE(h);
        CHECK(h.value.key_phase == 1);
        CHECK(h.value.counter < 10);   // a new key counts afresh (after a control ACK or two)
        CHECK(p.open(p.peer_of(*from), d).status == Error::ok);
    }
    // The certificates are checked again after a rekey (reverify_on_rekey).
    CHECK(p.client->next_reverify() == p.now);
}

TEST_CASE("datagrams sealed before a rekey still open during rekey_grace, not after") {
    SessionPair p(no_probing);
    Bytes in_grace = p.seal(*p.client, kInner);
    Bytes after_grace = p.seal(*p.client, kInner);
    REQUIRE(p.client->start_rekey(p.now) == Error::ok);
    p.exchange();
    REQUIRE(p.server->epoch() == 1);
    p.now += p.server_config.timers.rekey_grace - 1;
    CHECK(p.open(*p.server, in_grace).status == Error::ok);
    p.now += 1;
    CHECK(p.open(*p.server, after_grace).status == Error::stale_key);
}

TEST_CASE("both sides starting a rekey at once end in one new epoch: the client's") {
    SessionPair p(no_probing);
    REQUIRE(p.client->start_rekey(p.now) == Error::ok);
    REQUIRE(p.server->start_rekey(p.now) == Error::ok);
    p.exchange();
    CHECK(p.client->epoch() == 1);
    CHECK(p.server->epoch() == 1);
    std::vector<Event> ev = SessionPair::events(*p.server);
    CHECK(std::count_if(ev.begin(), ev.end(), [](const Event& e) { return e.type == EventType::rekeyed; }) == 1);
    CHECK_FALSE(SessionPair::closed(*p.client));
    Bytes d = p.seal(*p.client, kInner);
    CHECK(p.open(*p.server, d).status == Error::ok);
}

TEST_CASE("on time, the client rekeys at rekey_after_time and the server 10 s later") {
    auto long_lived = [](CommonConfig& c) {
        no_probing(c);
        c.timers.dead_peer_timeout = 1000 * kSecond;
    };
    SUBCASE("the client") {
        SessionPair p(long_lived);
        p.now = p.start + p.client_config.timers.rekey_after_time - 1;
        p.exchange();
        CHECK(p.client->epoch() == 0);
        p.now += 1;
        p.exchange();
        CHECK(p.client->epoch() == 1);
        CHECK(p.server->epoch() == 1);
    }
    SUBCASE("the server, when the client does not") {
        SessionPair p(
            [&](CommonConfig& c) {
                long_lived(c);
                c.timers.rekey_after_time = 170 * kSecond;
            },
            long_lived);
        p.now = p.start + p.server_config.timers.rekey_after_time + 10 * kSecond - 1;
        p.exchange();
        CHECK(p.server->epoch() == 0);
        p.now += 1;
        p.exchange();
        CHECK(p.server->epoch() == 1);
        CHECK(p.client->epoch() == 1);
    }
}

// --- key exhaustion

TEST_CASE("a key seals nothing after reject_after_packets; a rekey starts at half of it") {
    auto eight = [](CommonConfig& c) {
        no_probing(c);
        c.reject_after_packets = 8;   // rekey_after_packets 0: the suite default, capped at half
    };
    SUBCASE("without a rekey the ninth packet is refused") {
        SessionPair p(eight);
        for (int i = 0; i < 8; ++i) p.seal(*p.client, kInner);
        Bytes out(kInner.size() + kOverhead);
        CHECK(p.client->seal(p.now, PayloadType::ipv4, kInner, out).error == Error::key_exhausted);
    }
    SUBCASE("the session rekeys once half the packets are sealed, and may seal again") {
        SessionPair p(eight);
        for (int i = 0; i < 4; ++i) p.seal(*p.client, kInner);
        p.exchange();   // the client's poll_datagram() starts the rekey
        CHECK(p.client->epoch() == 1);
        CHECK(p.server->epoch() == 1);
        for (int i = 0; i < 4; ++i) {
            Bytes d = p.seal(*p.client, kInner);
            CHECK(p.open(*p.server, d).status == Error::ok);
        }
    }
}

TEST_CASE("a key older than reject_after_time seals nothing and its session closes") {
    SessionPair p([](CommonConfig& c) {
        no_probing(c);
        c.timers.dead_peer_timeout = 1000 * kSecond;
    });
    const TimeNs expiry = p.start + p.client_config.timers.reject_after_time;
    Bytes out(kInner.size() + kOverhead);
    p.now = expiry - 1;
    CHECK(p.client->seal(p.now, PayloadType::ipv4, kInner, out).error == Error::ok);
    CHECK(p.client->next_deadline() <= expiry);
    p.now = expiry;
    CHECK(p.client->seal(p.now, PayloadType::ipv4, kInner, out).error == Error::key_exhausted);
    p.client->handle_timeout(p.now);
    CHECK(p.client->closed());
    std::optional<Event> e = SessionPair::closed(*p.client);
    REQUIRE(e);
    CHECK(e->reason == Error::key_exhausted);
}

// --- liveness

TEST_CASE("a keepalive goes out after keepalive_interval of silence and keeps the peer alive") {
    SessionPair p(no_probing);
    const Timers& t = p.client_config.timers;
    std::array<std::uint8_t, 1500> buf{};
    PeerAddress to;
    p.now = p.start + t.keepalive_interval - 1;
    CHECK(p.client->poll_datagram(p.now, buf, to).value == 0);
    p.now += 1;
    Result<std::size_t> n = p.client->poll_datagram(p.now, buf, to);
    REQUIRE(n.error == Error::ok);
    CHECK(n.value == kOverhead);
    CHECK(to == p.client->address());
    Bytes keepalive(buf.begin(), buf.begin() + n.value);
    Session::Opened o = p.open(*p.server, keepalive);
    REQUIRE(o.status == Error::ok);
    CHECK(o.payload == PayloadType::keepalive);
    CHECK(o.plaintext.empty());
    CHECK(p.server->last_received() == p.now);
    // Counted from that keepalive, the server does not declare the client dead at start + timeout.
    p.server->handle_timeout(p.start + t.dead_peer_timeout);
    CHECK_FALSE(p.server->closed());
}

TEST_CASE("a peer silent for dead_peer_timeout is declared dead") {
    SessionPair p(no_probing);
    const TimeNs dead = p.start + p.server_config.timers.dead_peer_timeout;
    p.server->handle_timeout(dead - 1);
    CHECK_FALSE(p.server->closed());
    p.server->handle_timeout(dead);
    CHECK(p.server->closed());
    std::optional<Event> e = SessionPair::closed(*p.server);
    REQUIRE(e);
    CHECK(e->reason == Error::peer_timeout);
}

TEST_CASE("next_deadline is the earliest of the session's timers") {
    SessionPair p(no_probing);
    const Timers& t = p.server_config.timers;
    // Fresh: the keepalive comes first with the defaults.
    CHECK(p.server->next_deadline() == p.start + t.keepalive_interval);
    SessionPair quiet([](CommonConfig& c) {
        no_probing(c);
        c.timers.keepalive_interval = 500 * kSecond;
    });
    // Without keepalives the dead-peer timer is next.
    CHECK(quiet.server->next_deadline() == quiet.start + t.dead_peer_timeout);
}

TEST_CASE("PING is answered with a PONG carrying its token") {
    SessionPair p(no_probing);
    REQUIRE(p.client->ping(p.now, 0x0102030405060708) == Error::ok);
    p.exchange();
    std::optional<Event> pong = SessionPair::first(*p.client, EventType::pong);
    REQUIRE(pong);
    CHECK(pong->token == 0x0102030405060708);
}

// --- close

TEST_CASE("close reports at once, sends DISCONNECT, and both sides forget the session") {
    SessionPair p(no_probing);
    p.client->close(p.now, Error::closed_locally, "bye");
    CHECK(p.client->closing());
    CHECK_FALSE(p.client->closed());
    std::optional<Event> mine = SessionPair::closed(*p.client);
    REQUIRE(mine);
    CHECK(mine->reason == Error::closed_locally);
    CHECK(mine->text == "bye");
    CHECK(p.client->send_control(p.now, ctrl_msg::ping, {}) == Error::invalid_state);
    p.exchange();
    std::optional<Event> theirs = SessionPair::closed(*p.server);
    REQUIRE(theirs);
    CHECK(theirs->reason == Error::peer_closed);
    CHECK(theirs->text.find("bye") != std::string::npos);
    CHECK(p.server->closed());
    CHECK(p.client->closed());   // its DISCONNECT was acknowledged
    CHECK_FALSE(SessionPair::closed(*p.client));   // reported once only
    Bytes out(kInner.size() + kOverhead);
    CHECK(p.client->seal(p.now, PayloadType::ipv4, kInner, out).error == Error::invalid_state);
    CHECK(p.client->next_deadline() == kNever);
}

TEST_CASE("an unacknowledged DISCONNECT lingers 2 s, then the session is gone") {
    SessionPair p(no_probing);
    p.client->close(p.now, Error::closed_locally, "");
    std::optional<Event> e = SessionPair::closed(*p.client);
    REQUIRE(e);
    CHECK(e->text == to_string(Error::closed_locally));
    CHECK(p.client->next_deadline() <= p.now + 2 * kSecond);
    p.client->handle_timeout(p.now + 2 * kSecond - 1);
    CHECK_FALSE(p.client->closed());
    p.client->handle_timeout(p.now + 2 * kSecond);
    CHECK(p.client->closed());
    CHECK_FALSE(SessionPair::closed(*p.client));
}

TEST_CASE("a closed session opens nothing") {
    SessionPair p(no_probing);
    Bytes d = p.seal(*p.client, kInner);
    p.server->handle_timeout(p.start + p.server_config.timers.dead_peer_timeout);
    REQUIRE(p.server->closed());
    CHECK(p.open(*p.server, d).status == Error::unknown_session);
}

// --- configuration and path MTU

TEST_CASE("only a server pushes configuration; a pushed MTU lowers the client's inner MTU") {
    SessionPair p(no_probing);
    CHECK(p.client->push_config(p.now, ConfigPush{}) == Error::invalid_state);
    const std::uint16_t before = p.client->inner_mtu();
    CHECK(before == p.client_config.max_datagram - kOverhead);
    ConfigPush c;
    c.mtu = 1100;
    REQUIRE(p.server->push_config(p.now, c) == Error::ok);
    p.exchange();
    std::optional<Event> got = SessionPair::first(*p.client, EventType::config_received);
    REQUIRE(got);
    CHECK(got->config.mtu == std::optional<std::uint16_t>(1100));
    CHECK(p.client->inner_mtu() == 1100);
    // A larger value never raises it above what the path carries.
    c.mtu = 9000;
    REQUIRE(p.server->push_config(p.now, c) == Error::ok);
    p.exchange();
    CHECK(p.client->inner_mtu() == 1100);
}

TEST_CASE("the client probes the path MTU up to a whole inner_mtu packet; the server only answers") {
    SessionPair p;   // defaults: max_datagram 1232, inner_mtu 1423 (a 1452-byte datagram)
    CHECK(p.client->inner_mtu() == 1232 - kOverhead);
    for (int i = 0; i < 8; ++i) p.exchange();
    CHECK(p.client->inner_mtu() == 1452 - kOverhead);
    std::vector<Event> ev = SessionPair::events(*p.client);
    std::optional<std::uint16_t> last;
    for (const Event& e : ev)
        if (e.type == EventType::mtu_changed) last = e.mtu;
    CHECK(last == std::optional<std::uint16_t>(1452 - kOverhead));
    CHECK(p.server->inner_mtu() == 1232 - kOverhead);
}

namespace {

// A third party holding one direction's epoch-0 key: reads the control messages a session sends,
// as the peer's control channel delivers them.
struct ControlSpy {
    AeadKey key;
    ControlChannel channel{Timers{}};

    ControlSpy(Suite suite, const Secret32& traffic) : key(suite, TrafficKeys::derive(traffic)) {}

    // Opens `datagram` (a copy) and returns the messages of the given type it completes.
    std::vector<Bytes> read(TimeNs now, ByteView datagram, std::uint8_t type) {
        Bytes copy(datagram.begin(), datagram.end());
        std::vector<Bytes> bodies;
        Result<DataHeader> h = parse_data_header(copy);
        if (!h || h.value.payload != PayloadType::control) return bodies;
        Result<ByteView> pt = open_data(key, h.value, copy);
        if (!pt) return bodies;
        (void)channel.on_payload(now, pt.value);
        while (auto m = channel.poll_message())
            if (m->type == type) bodies.push_back(m->body);
        return bodies;
    }
};

// Moves one datagram from `from` to `to`, letting `spy` read it on the way.
bool relay(SessionPair& p, Session& from, Session& to, ControlSpy& spy, std::uint8_t type, std::vector<Bytes>& seen) {
    std::array<std::uint8_t, 1500> buf{};
    PeerAddress dest;
    Result<std::size_t> n = from.poll_datagram(p.now, buf, dest);
    if (!n || n.value == 0) return false;
    for (Bytes& b : spy.read(p.now, {buf.data(), n.value}, type)) seen.push_back(std::move(b));
    Result<DataHeader> h = parse_data_header({buf.data(), n.value});
    REQUIRE(h);
    to.open(p.now, to.address(), h.value, {buf.data(), n.value});
    return true;
}

}  // namespace

TEST_CASE("the REKEY messages a session sends are the ones decode_rekey reads") {
    // The codec the fuzz targets exercise (fuzz/harness_control_channel.cpp decodes every REKEY
    // body it delivers, and the endpoint harnesses send arbitrary control messages into a session)
    // is the one the session writes and reads with: what it sends decodes, field for field.
    SessionPair p;
    ControlSpy to_server(Suite::chacha20_poly1305, p.secrets.client_data);
    ControlSpy to_client(Suite::chacha20_poly1305, p.secrets.server_data);
    // In the client's place, with one message in flight as the client has its REKEY_INIT: the
    // server's ACK of it, in the same payload as REKEY_RESP, then reads as valid.
    REQUIRE(to_client.channel.send(p.now, ctrl_msg::ping, encode_ping_token(0)) == Error::ok);
    std::array<std::uint8_t, ControlChannel::kMinPayloadBuffer> scratch{};
    REQUIRE(to_client.channel.poll_payload(p.now, scratch) > 0);
    REQUIRE(p.client->start_rekey(p.now) == Error::ok);
    std::vector<Bytes> inits, resps;
    for (int i = 0; i < 8 && relay(p, *p.client, *p.server, to_server, ctrl_msg::rekey_init, inits); ++i) {}
    REQUIRE(inits.size() == 1);
    for (int i = 0; i < 8 && relay(p, *p.server, *p.client, to_client, ctrl_msg::rekey_resp, resps); ++i) {}
    REQUIRE(resps.size() == 1);

    for (const Bytes* body : {&inits[0], &resps[0]}) {
        const Result<RekeyMessage> m = decode_rekey(*body);
        REQUIRE(m);
        CHECK(m.value.epoch == 1);
        CHECK(std::any_of(m.value.eph_pub.begin(), m.value.eph_pub.end(), [](std::uint8_t b) { return b != 0; }));
        CHECK(encode_rekey(m.value) == *body);
    }
    CHECK(decode_rekey(inits[0]).value.eph_pub != decode_rekey(resps[0]).value.eph_pub);
    bool rekeyed = false;
    while (auto e = p.client->poll_event()) rekeyed |= e->type == EventType::rekeyed;
    CHECK(rekeyed);   // the client took the server's REKEY_RESP: epoch 1 is installed
}

TEST_CASE("a session accepts exactly the REKEY_INIT bodies decode_rekey accepts") {
    // A session's REKEY_INIT body, then every truncation, one byte more, and other epochs: the
    // server rekeys where decode_rekey reads epoch 1, and ends the session everywhere else.
    Bytes good;
    {
        SessionPair p;
        ControlSpy spy(Suite::chacha20_poly1305, p.secrets.client_data);
        REQUIRE(p.client->start_rekey(p.now) == Error::ok);
        std::vector<Bytes> inits;
        for (int i = 0; i < 8 && relay(p, *p.client, *p.server, spy, ctrl_msg::rekey_init, inits); ++i) {}
        REQUIRE(inits.size() == 1);
        good = inits[0];
    }
    std::vector<Bytes> bodies;
    for (std::size_t n = 0; n <= good.size(); ++n) bodies.emplace_back(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    bodies.push_back(good);
    bodies.back().push_back(0);
    for (std::uint8_t epoch : {0, 2, 0xFF}) {
        bodies.push_back(good);
        bodies.back()[3] = epoch;
    }
    for (const Bytes& body : bodies) {
        CAPTURE(body.size());
        const Result<RekeyMessage> m = decode_rekey(body);
        const bool codec_accepts = m && m.value.epoch == 1;
        SessionPair p;
        REQUIRE(p.client->send_control(p.now, ctrl_msg::rekey_init, body) == Error::ok);
        p.exchange();
        const bool closed = SessionPair::closed(*p.server).has_value();
        CHECK(closed == !codec_accepts);
    }
}
