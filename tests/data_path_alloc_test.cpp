// SPDX-License-Identifier: GPL-3.0-or-later
// The data path of an established session does not touch the heap: every global allocation in
// this test binary is counted, and sealing/receiving inner packets must not add to the count.
#include "counting_alloc.hpp"
#include "sim_setup.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::sim;

namespace {

// A client and a server with their session established, the handshake's tails, PMTU probing and
// control traffic settled: what is allocated after this is the data path's.
struct Established {
    World w;
    Host& server;
    Host& client;
    SessionId cs = 0, ss = 0;   // the client's and the server's ID of the session

    explicit Established(std::uint64_t seed)
        : w(seed), server(w.add("server", make_server(ServerEndpointConfig{}, 1))),
          client(w.add("client", make_client(client_config(), 2))) {
        REQUIRE(client.endpoint->connect(w.now).ok());
        REQUIRE(w.run_until(w.now + 10 * kSecond, [&] {
            return client.count(EventType::established) == 1 && server.count(EventType::established) == 1;
        }));
        w.run_for(2 * kSecond);
        cs = client.last(EventType::established)->session;
        ss = server.last(EventType::established)->session;
    }
    static ClientEndpointConfig client_config() {
        ClientEndpointConfig cc;
        cc.server = address("server");
        return cc;
    }
};

}  // namespace

TEST_CASE("sealing and receiving inner packets allocates nothing") {
    Established e(3);
    auto& [w, server, client, cs, ss] = e;
    const PeerAddress from = client.address;
    const PeerAddress sfrom = server.address;

    static std::uint8_t inner[1400], dg[1500];
    std::uint64_t delivered = 0;
    const std::uint64_t before = test::heap_allocations();
    for (int i = 0; i < 1000; ++i) {
        Sealed s = client.endpoint->seal(w.now, cs, InnerProtocol::ipv4, inner, dg);
        Received r = server.endpoint->receive(w.now, from, MutableByteView(dg, s.size));
        delivered += r.has_inner;
        s = server.endpoint->seal(w.now, ss, InnerProtocol::ipv6, inner, dg);
        r = client.endpoint->receive(w.now, sfrom, MutableByteView(dg, s.size));
        delivered += r.has_inner;
    }
    const std::uint64_t after = test::heap_allocations();
    CHECK(delivered == 2000);
    CHECK(after - before == 0);
}

TEST_CASE("a batch of 64 packets, sealed in place and received, allocates nothing") {
    Established e(5);
    auto& [w, server, client, cs, ss] = e;

    constexpr std::size_t kBatch = 64;
    static std::uint8_t buf[kBatch][1500];
    static SealItem seal[kBatch];
    static ReceiveItem recv[kBatch];
    std::uint64_t delivered = 0;
    const std::uint64_t before = test::heap_allocations();
    for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < kBatch; ++i) {
            seal[i].session = cs;
            seal[i].protocol = InnerProtocol::ipv4;
            seal[i].inner = ByteView(buf[i] + kDataInnerOffset, 1400);
            seal[i].out = MutableByteView(buf[i], sizeof buf[i]);
        }
        client.endpoint->seal_batch(w.now, seal);
        for (std::size_t i = 0; i < kBatch; ++i) {
            recv[i].from = client.address;
            recv[i].datagram = MutableByteView(buf[i], seal[i].result.size);
        }
        server.endpoint->receive_batch(w.now, recv);
        for (const ReceiveItem& r : recv) delivered += r.result.has_inner;
    }
    const std::uint64_t after = test::heap_allocations();
    CHECK(delivered == 20 * kBatch);
    CHECK(after - before == 0);
}
