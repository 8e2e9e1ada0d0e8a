// SPDX-License-Identifier: GPL-3.0-or-later
// Endpoint::seal_batch() and Endpoint::receive_batch() (libudpvpn/endpoint_batch.cpp): many packets
// for several sessions in one call, sealed in place, each item with the result its per-packet call
// would have had, a failed item failing alone.
#include "sim_setup.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstring>

using namespace udpvpn;
using namespace udpvpn::sim;

namespace {

// A server with two established clients; the test moves the DATA datagrams itself.
struct TwoClients {
    World w{17};
    Host* server = nullptr;
    Host* client[2] = {};
    SessionId cs[2] = {}, ss[2] = {};

    TwoClients() {
        server = &w.add("server", make_server(ResponderConfig{}, 1));
        for (int i = 0; i < 2; ++i) {
            InitiatorConfig cc;
            cc.server = address("server");
            client[i] = &w.add(i ? "client1" : "client0", make_client(cc, 2 + i));
            REQUIRE(client[i]->endpoint->connect(w.now).ok());
        }
        REQUIRE(w.run_until(w.now + 10 * kSecond, [&] {
            return client[0]->count(EventType::established) == 1 && client[1]->count(EventType::established) == 1 &&
                   server->count(EventType::established) == 2;
        }));
        w.run_for(2 * kSecond);   // handshake tails and PMTU probing settle
        for (int i = 0; i < 2; ++i) {
            cs[i] = client[i]->last(EventType::established)->session;
            for (const Event& e : server->events)
                if (e.type == EventType::established && e.address == client[i]->address) ss[i] = e.session;
            REQUIRE(ss[i] != 0);
        }
    }
};

constexpr std::size_t kBatch = 64;
constexpr std::size_t kSlot = 1500;

// Inner packet i: its size and bytes say which one it is.
std::size_t inner_size(std::size_t i) { return 100 + 13 * i; }
void fill_inner(std::uint8_t* p, std::size_t i) {
    for (std::size_t k = 0; k < inner_size(i); ++k) p[k] = static_cast<std::uint8_t>(i * 7 + k);
}
bool is_inner(ByteView v, std::size_t i) {
    if (v.size() != inner_size(i)) return false;
    for (std::size_t k = 0; k < v.size(); ++k)
        if (v[k] != static_cast<std::uint8_t>(i * 7 + k)) return false;
    return true;
}

}  // namespace

TEST_CASE("a batch of 64 packets for two sessions is sealed in place and received in one call each") {
    TwoClients t;
    static std::array<std::array<std::uint8_t, kSlot>, kBatch> buf;
    std::array<SealItem, kBatch> seal{};
    for (std::size_t i = 0; i < kBatch; ++i) {
        fill_inner(buf[i].data() + kDataInnerOffset, i);   // where a TUN read would put it
        seal[i].session = t.ss[i % 2];
        seal[i].protocol = i % 3 ? InnerProtocol::ipv4 : InnerProtocol::ipv6;
        seal[i].inner = ByteView(buf[i].data() + kDataInnerOffset, inner_size(i));
        seal[i].out = buf[i];
    }
    const std::uint64_t tx_before = t.server->endpoint->session_info(t.ss[0])->tx_packets;
    t.server->endpoint->seal_batch(t.w.now, seal);
    for (std::size_t i = 0; i < kBatch; ++i) {
        CAPTURE(i);
        REQUIRE(seal[i].result.status == Error::ok);
        CHECK(seal[i].result.size == inner_size(i) + kDataOverhead);
        CHECK(seal[i].result.to == t.client[i % 2]->address);
    }
    CHECK(t.server->endpoint->session_info(t.ss[0])->tx_packets == tx_before + kBatch / 2);

    // Each client receives its half as one batch; every inner packet points into its own datagram.
    for (int c = 0; c < 2; ++c) {
        std::array<ReceiveItem, kBatch / 2> recv{};
        for (std::size_t k = 0; k < recv.size(); ++k) {
            const std::size_t i = 2 * k + c;
            recv[k].from = t.server->address;
            recv[k].datagram = MutableByteView(buf[i].data(), seal[i].result.size);
        }
        t.client[c]->endpoint->receive_batch(t.w.now, recv);
        for (std::size_t k = 0; k < recv.size(); ++k) {
            const std::size_t i = 2 * k + c;
            CAPTURE(i);
            const Received& r = recv[k].result;
            REQUIRE(r.status == Error::ok);
            REQUIRE(r.has_inner);
            CHECK(r.session == t.cs[c]);
            CHECK(r.protocol == seal[i].protocol);
            CHECK(r.inner.data() == buf[i].data() + kDataInnerOffset);
            CHECK(is_inner(r.inner, i));
        }
    }
}

TEST_CASE("a failing item of a batch fails alone, with the error its per-packet call gives") {
    TwoClients t;
    static std::array<std::array<std::uint8_t, kSlot>, 6> buf;
    std::array<std::uint8_t, 200> inner{};
    std::array<std::uint8_t, 100> small{};
    std::array<SealItem, 5> seal{};
    for (auto& s : seal) {
        s.session = t.cs[0];
        s.protocol = InnerProtocol::ipv4;
        s.inner = inner;
    }
    for (std::size_t i = 0; i < seal.size(); ++i) seal[i].out = buf[i];
    seal[1].session = t.cs[0] ^ 1;   // not this client's session
    seal[3].out = small;             // too short for 200 + 29 bytes
    t.client[0]->endpoint->seal_batch(t.w.now, seal);
    CHECK(seal[0].result.status == Error::ok);
    CHECK(seal[1].result.status == Error::not_found);
    CHECK(seal[2].result.status == Error::ok);
    CHECK(seal[3].result.status == Error::buffer_too_small);
    CHECK(seal[4].result.status == Error::ok);

    // Received: a good one, a forged one, a replay of the first (in the same batch), a good one, a
    // datagram for no session, a good one.
    std::memcpy(buf[5].data(), buf[0].data(), seal[0].result.size);   // the replay
    std::array<ReceiveItem, 5> recv{};
    for (auto& r : recv) r.from = t.client[0]->address;
    recv[0].datagram = MutableByteView(buf[0].data(), seal[0].result.size);
    recv[1].datagram = MutableByteView(buf[2].data(), seal[2].result.size);
    recv[1].datagram[40] ^= 0x01;   // forged: the tag does not verify
    recv[2].datagram = MutableByteView(buf[5].data(), seal[0].result.size);
    recv[3].datagram = MutableByteView(buf[4].data(), seal[4].result.size);
    std::array<std::uint8_t, 60> stranger{};
    stranger[0] = 0x10;   // DATA for session 0, which nobody has
    recv[4].datagram = stranger;
    const std::uint64_t bad_tags = t.server->endpoint->stats().dropped[static_cast<int>(Error::bad_tag)];
    t.server->endpoint->receive_batch(t.w.now, recv);
    CHECK(recv[0].result.has_inner);
    CHECK(recv[1].result.status == Error::bad_tag);
    CHECK(!recv[1].result.has_inner);
    CHECK(recv[2].result.status == Error::replayed);
    CHECK(recv[3].result.has_inner);
    CHECK(recv[3].result.status == Error::ok);
    CHECK(recv[4].result.status == Error::unknown_session);
    CHECK(t.server->endpoint->stats().dropped[static_cast<int>(Error::bad_tag)] == bad_tags + 1);
}

TEST_CASE("an empty batch does nothing") {
    TwoClients t;
    const EndpointStats before = t.server->endpoint->stats();
    t.server->endpoint->seal_batch(t.w.now, {});
    t.server->endpoint->receive_batch(t.w.now, {});
    CHECK(std::memcmp(&before.dropped, &t.server->endpoint->stats().dropped, sizeof before.dropped) == 0);
    PeerAddress to;
    std::array<std::uint8_t, kMaxDatagram> out;
    CHECK(t.server->endpoint->poll_datagram(out, to).value == 0);
}

TEST_CASE("a handshake datagram in a receive batch completes the handshake; its DATA waits for the event") {
    // A client's last flight and its first DATA arrive in one batch: the DATA's inner packet is held
    // back until the `established` event has been polled (the per-packet ordering rule).
    World w(23);
    InitiatorConfig cc;
    cc.server = address("server");
    Host& server = w.add("server", make_server(ResponderConfig{}, 1));
    auto client = make_client(cc, 2);
    REQUIRE(client->connect(w.now).ok());
    std::vector<Bytes> to_server;
    std::uint8_t dg[kMaxDatagram];
    SessionId cs = 0;
    // Run the handshake by hand until the client is established (its last flight is then queued).
    for (int round = 0; round < 10 && cs == 0; ++round) {
        PeerAddress to;
        for (;;) {
            auto n = client->poll_datagram(dg, to);
            if (!n.ok() || n.value == 0) break;
            to_server.emplace_back(dg, dg + n.value);
        }
        while (auto e = client->poll_event())
            if (e->type == EventType::established) cs = e->session;
        if (cs != 0) break;
        for (Bytes& b : to_server) server.endpoint->receive(w.now, address("client"), b);
        to_server.clear();
        for (;;) {
            auto n = server.endpoint->poll_datagram(dg, to);
            if (!n.ok() || n.value == 0) break;
            client->receive(w.now, address("server"), MutableByteView(dg, n.value));
        }
    }
    REQUIRE(cs != 0);
    REQUIRE(!to_server.empty());
    std::array<std::uint8_t, 300> inner{};
    inner.fill(0x5a);
    Bytes data(inner.size() + kDataOverhead);
    REQUIRE(client->seal(w.now, cs, InnerProtocol::ipv4, inner, data).status == Error::ok);
    to_server.push_back(data);
    std::vector<ReceiveItem> recv(to_server.size());
    for (std::size_t i = 0; i < recv.size(); ++i) {
        recv[i].from = address("client");
        recv[i].datagram = to_server[i];
    }
    server.endpoint->receive_batch(w.now, recv);
    CHECK(!recv.back().result.has_inner);   // not before the event
    std::optional<Event> e = server.endpoint->poll_event();
    REQUIRE(e);
    CHECK(e->type == EventType::established);
    std::array<std::uint8_t, 1500> out;
    Result<InnerPacket> p = server.endpoint->poll_inner(out);
    REQUIRE(p.ok());
    CHECK(p.value.size == inner.size());
    CHECK(p.value.session == e->session);
}
