// SPDX-License-Identifier: GPL-3.0-or-later
// Servers behind one load balancer (docs/rfc-draft.txt, Section 10.5): reset tokens and cookie
// secrets from the shared cluster key (known answers in tests/vectors/stateless_reset.vec), the
// STATELESS_RESET a server sends for DATA of a session it does not know, and the client acting on a
// real one in one round trip while ignoring forged ones. Everything on the simulated network.
#include "cluster_key.hpp"
#include "stateless_reset.hpp"

#include "sim_setup.hpp"
#include "sink_endpoint.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <cstring>

using namespace udpvpn;
using namespace udpvpn::sim;
using udpvpn::test::load_vectors;

namespace {

// Hands out fixed bytes: the "random" part of a vector's reset.
class FixedRng final : public Rng {
public:
    explicit FixedRng(Bytes b) : bytes_(std::move(b)) {}
    void fill(MutableByteView out) noexcept override {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = i < bytes_.size() ? bytes_[i] : 0;
    }

private:
    Bytes bytes_;
};

std::array<std::uint8_t, 32> key_of(std::uint8_t first) {
    std::array<std::uint8_t, 32> k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(first + i);
    return k;
}

ServerEndpointConfig cluster_server(std::uint8_t route, std::optional<std::array<std::uint8_t, 32>> key) {
    ServerEndpointConfig c;
    c.server_id = route;
    if (key) c.cluster_key = make_shared_key(*key);
    return c;
}

// Client connected through "lb" to server A (route byte 1); server B (route byte 2) waits at "b".
// fail_over() is the load balancer moving "lb" to B after A died.
struct Cluster {
    World w{11};
    Host* a = nullptr;
    Host* b = nullptr;
    Host* client = nullptr;
    SessionId cs = 0;

    explicit Cluster(std::optional<std::array<std::uint8_t, 32>> key_a = key_of(0),
                     std::optional<std::array<std::uint8_t, 32>> key_b = key_of(0)) {
        ClientEndpointConfig cc;
        cc.server = address("lb");
        a = &w.add("lb", make_server(cluster_server(1, key_a), 1));
        b = &w.add("b", make_server(cluster_server(2, key_b), 2));
        client = &w.add("client", make_client(cc, 3));
        connect();
        REQUIRE(client->last(EventType::established)->session == cs);
    }
    void connect() {
        REQUIRE(client->endpoint->connect(w.now).ok());
        cs = client->endpoint->sessions().empty() ? 0 : client->endpoint->sessions().front();
        const std::size_t before = client->count(EventType::established);
        REQUIRE(w.run_until(w.now + 10 * kSecond, [&] { return client->count(EventType::established) > before; }));
        cs = client->last(EventType::established)->session;
        w.run_for(1 * kSecond);
    }
    void fail_over() {
        a->endpoint = std::make_unique<SinkEndpoint>();
        w.move(*b, "lb");
    }
    bool send(std::size_t size = 100) {
        const Bytes inner(size, 0x45);
        return w.send_inner(*client, cs, InnerProtocol::ipv4, inner);
    }
    bool client_alive() const { return !client->endpoint->sessions().empty(); }
};

}  // namespace

TEST_CASE("reset tokens, resets and cookie secrets match tests/vectors/stateless_reset.vec") {
    auto cases = load_vectors("stateless_reset.vec");
    REQUIRE(cases.size() >= 6);
    int tokens = 0, resets = 0, negatives = 0, cookies = 0;
    for (const auto& c : cases) {
        CAPTURE(c.name());
        const PresharedKey key{c.hex("cluster_key")};
        if (c.has("cookie_secret")) {
            const Bytes b = c.hex("bucket");
            std::uint64_t bucket = 0;
            for (std::uint8_t x : b) bucket = bucket << 8 | x;
            CHECK(ct_equal(cluster_cookie_secret(key, bucket).expose(), c.hex("cookie_secret")));
            ++cookies;
            continue;
        }
        const Bytes sid_bytes = c.hex("server_sid");
        const SessionId sid = (SessionId{sid_bytes[0]} << 24) | (SessionId{sid_bytes[1]} << 16) |
                              (SessionId{sid_bytes[2]} << 8) | sid_bytes[3];
        const ResetToken token = stateless_reset_token(key, sid);
        if (c.expect_fail()) {
            CHECK_FALSE(is_stateless_reset(c.hex("datagram"), token));
            ++negatives;
            continue;
        }
        CHECK(ct_equal(token.expose(), c.hex("reset_token")));
        ++tokens;
        if (c.has("trigger")) {
            FixedRng rng(c.hex("random"));
            std::uint8_t out[kMaxResetSize];
            const std::size_t n = write_stateless_reset(token, c.hex("trigger").size(), rng, out);
            CHECK(Bytes(out, out + n) == c.hex("reset"));
            CHECK(n < c.hex("trigger").size());
            CHECK(is_stateless_reset({out, n}, token));
            ++resets;
        }
    }
    CHECK(tokens >= 3);
    CHECK(resets >= 2);
    CHECK(negatives >= 2);
    CHECK(cookies >= 2);
}

TEST_CASE("no reset for a trigger too short for a smaller one, and a reset is always smaller") {
    const ResetToken token = stateless_reset_token(PresharedKey{key_of(0)}, 0x01020304);
    DeterministicRng rng(1);
    std::uint8_t out[kMaxResetSize];
    for (std::size_t trigger = 0; trigger <= kMinResetSize; ++trigger)
        CHECK(write_stateless_reset(token, trigger, rng, out) == 0);
    for (std::size_t trigger = kMinResetSize + 1; trigger < 1500; ++trigger) {
        const std::size_t n = write_stateless_reset(token, trigger, rng, out);
        REQUIRE(n >= kMinResetSize);
        CHECK(n < trigger);
        CHECK(n <= kMaxResetSize);
        const bool keepalive_type = out[0] == 0x14 || out[0] == 0x1C;   // a KEEPALIVE's type byte
        CHECK(keepalive_type);
    }
}

TEST_CASE("a real reset is acted on in one round trip and the client gets back in at the same address") {
    Cluster c;
    const SessionId first_server = c.a->last(EventType::established)->session;
    CHECK((first_server >> 24) == 1);
    c.fail_over();
    const std::size_t closed_before = c.client->count(EventType::closed);
    const TimeNs sent_at = c.w.now;
    REQUIRE(c.send());
    // One datagram to B, one reset back: the network's 1 ms each way.
    REQUIRE(c.w.run_until(c.w.now + 1 * kSecond, [&] { return c.client->count(EventType::closed) > closed_before; }));
    const TimeNs took = c.w.now - sent_at;
    CHECK(took <= 2 * kMillisecond + 1);
    const Event& closed = *c.client->last(EventType::closed);
    CHECK(closed.reason == Error::peer_closed);
    CHECK(closed.text.find("stateless reset") != std::string::npos);
    CHECK(c.b->endpoint->stats().resets_sent == 1);
    CHECK(c.client->endpoint->stats().resets_received == 1);
    CHECK_FALSE(c.client_alive());
    // The client connects again to the address it was configured with: B answers now.
    c.connect();
    const SessionId second_server = c.b->last(EventType::established)->session;
    CHECK((second_server >> 24) == 2);
    REQUIRE(c.send());
    c.w.run_for(100 * kMillisecond);
    CHECK_FALSE(c.b->inner.empty());
}

TEST_CASE("a forged reset is ignored: wrong token, wrong key, or too long") {
    Cluster c;
    const SessionId cs = c.cs;
    const ResetToken real = stateless_reset_token(PresharedKey{key_of(0)},
                                                  c.a->last(EventType::established)->session);
    DeterministicRng rng(5);
    std::vector<Bytes> forged;
    std::uint8_t out[kMaxResetSize];
    // Another cluster's key, a token for another session, random bytes, and the real token at the
    // end of a datagram too long to be a reset.
    for (const ResetToken& t : {stateless_reset_token(PresharedKey{key_of(7)}, c.a->last(EventType::established)->session),
                                stateless_reset_token(PresharedKey{key_of(0)}, 0x01000001)}) {
        const std::size_t n = write_stateless_reset(t, 100, rng, out);
        forged.emplace_back(out, out + n);
    }
    Bytes random(29);
    rng.fill(random);
    random[0] = 0x14;
    forged.push_back(random);
    Bytes long_one(30, 0);
    long_one[0] = 0x14;
    std::copy(real.expose().begin(), real.expose().end(), long_one.end() - 16);
    forged.push_back(long_one);
    for (Bytes& f : forged) {
        c.w.net.send(c.w.now, address("lb"), address("client"), f);
        c.w.run_for(10 * kMillisecond);
    }
    CHECK(c.client->count(EventType::closed) == 0);
    CHECK(c.client->endpoint->stats().resets_received == 0);
    REQUIRE(c.client_alive());
    CHECK(c.client->endpoint->sessions().front() == cs);
    // The session still carries traffic both ways.
    const std::size_t before = c.a->inner.size();
    REQUIRE(c.send());
    c.w.run_for(100 * kMillisecond);
    CHECK(c.a->inner.size() == before + 1);
    // The same datagram with the real token is a reset.
    const std::size_t n = write_stateless_reset(real, 100, rng, out);
    c.w.net.send(c.w.now, address("lb"), address("client"), {out, n});
    c.w.run_for(10 * kMillisecond);
    CHECK(c.client->count(EventType::closed) == 1);
}

TEST_CASE("a server of another cluster, or without a cluster key, sends no reset") {
    SUBCASE("no key at B") {
        Cluster c(key_of(0), std::nullopt);
        c.fail_over();
        REQUIRE(c.send());
        c.w.run_for(500 * kMillisecond);
        CHECK(c.b->endpoint->stats().resets_sent == 0);
        CHECK(c.client_alive());
    }
    SUBCASE("another key at B: its reset does not match the client's token") {
        Cluster c(key_of(0), key_of(9));
        c.fail_over();
        REQUIRE(c.send());
        c.w.run_for(500 * kMillisecond);
        CHECK(c.b->endpoint->stats().resets_sent == 1);
        CHECK(c.client->endpoint->stats().resets_received == 0);
        CHECK(c.client_alive());
    }
}

TEST_CASE("resets are rate limited and never answer a datagram too short") {
    World w{12};
    ServerEndpointConfig sc = cluster_server(3, key_of(0));
    sc.stateless_reset_rate = 5;
    Host& server = w.add("server", make_server(sc, 1));
    std::uint64_t received = 0, bytes_in = 0, bytes_out = 0;
    auto send_unknown = [&](std::size_t size, SessionId sid) {
        Bytes d(size, 0xAB);
        d[0] = 0x10;
        d[1] = static_cast<std::uint8_t>(sid >> 24);
        d[2] = static_cast<std::uint8_t>(sid >> 16);
        d[3] = static_cast<std::uint8_t>(sid >> 8);
        d[4] = static_cast<std::uint8_t>(sid);
        bytes_in += d.size();
        Received r = server.endpoint->receive(w.now, address("victim"), d);
        CHECK(r.status == Error::unknown_session);
        for (;;) {
            std::uint8_t buf[kMaxDatagram];
            PeerAddress to;
            Result<std::size_t> n = server.endpoint->poll_datagram(buf, to);
            if (!n.ok() || n.value == 0) break;
            CHECK(to == address("victim"));
            CHECK(n.value < size);
            ++received;
            bytes_out += n.value;
        }
    };
    // Shorter than a DATA packet: not even parsed, no reset.
    for (std::size_t size = 5; size < 29; ++size) {
        Bytes d(size, 0);
        d[0] = 0x14;
        server.endpoint->receive(w.now, address("victim"), d);
        std::uint8_t buf[kMaxDatagram];
        PeerAddress to;
        CHECK(server.endpoint->poll_datagram(buf, to).value == 0);
    }
    // A burst of 100: 5 answered, the rest counted as held back.
    for (int i = 0; i < 100; ++i) send_unknown(i % 2 ? 29 : 1200, 0x03000100u + static_cast<SessionId>(i));
    CHECK(received == 5);
    CHECK(server.endpoint->stats().resets_sent == 5);
    CHECK(server.endpoint->stats().resets_rate_limited == 95);
    // One second later 5 more, never more than `rate` a second however many arrive.
    w.now += 1 * kSecond;
    for (int i = 0; i < 100; ++i) send_unknown(100, 0x03000200u + static_cast<SessionId>(i));
    CHECK(received == 10);
    w.now += 200 * kMillisecond;
    for (int i = 0; i < 100; ++i) send_unknown(100, 0x03000300u + static_cast<SessionId>(i));
    CHECK(received == 11);
    CHECK(bytes_out < bytes_in / 20);
}

TEST_CASE("a cookie from one server of the cluster opens a session at another") {
    for (const bool same_key : {true, false}) {
        CAPTURE(same_key);
        World w{13};
        ServerEndpointConfig sa = cluster_server(1, key_of(0)), sb = cluster_server(2, key_of(same_key ? 0 : 9));
        sa.cookie_threshold = sb.cookie_threshold = 0;   // every INITIAL needs a cookie
        Host& a = w.add("lb", make_server(sa, 1));
        Host& b = w.add("b", make_server(sb, 2));
        ClientEndpointConfig cc;
        cc.server = address("lb");
        Host& client = w.add("client", make_client(cc, 3));
        REQUIRE(client.endpoint->connect(w.now).ok());
        w.flush(client);
        w.step(w.now + 10 * kMillisecond);   // INITIAL and PADs reach A, its RETRY is on the way
        CHECK(a.endpoint->stats().retries_sent == 1);
        w.move(b, "lb");                     // the balancer sends the cookie-bearing INITIAL to B
        const bool done = w.run_until(w.now + 3 * kSecond, [&] {
            return client.count(EventType::established) == 1 && b.count(EventType::established) == 1;
        });
        CHECK(done == same_key);
        CHECK(b.endpoint->stats().retries_sent == 0);   // B took A's cookie (or dropped it), no new RETRY
        if (done) CHECK((b.last(EventType::established)->session >> 24) == 2);
        CHECK(a.endpoint->stats().half_open == 0);
    }
}
