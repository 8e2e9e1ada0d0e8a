// SPDX-License-Identifier: GPL-3.0-or-later
// Whole-protocol simulation: a client and a server (or a thousand clients) over a lossy,
// reordering, duplicating, corrupting network on a virtual clock.
#include "sim_setup.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <set>

using namespace udpvpn;
using namespace udpvpn::sim;

namespace {

// A recognisable inner packet: sender tag, sequence number, body derived from both, and a BLAKE2b
// checksum, so a corrupted or forged delivery cannot pass for a real one.
Bytes make_packet(std::uint32_t tag, std::uint32_t seq, std::size_t size = 200) {
    Bytes p(size);
    for (int i = 0; i < 4; ++i) { p[i] = static_cast<std::uint8_t>(tag >> (24 - 8 * i)); p[4 + i] = static_cast<std::uint8_t>(seq >> (24 - 8 * i)); }
    for (std::size_t i = 8; i < size - 16; ++i) p[i] = static_cast<std::uint8_t>(tag * 31 + seq * 7 + i);
    crypto_generichash(p.data() + size - 16, 16, p.data(), size - 16, nullptr, 0);
    return p;
}
bool genuine(const Bytes& p) {
    if (p.size() < 24) return false;
    std::uint8_t h[16];
    crypto_generichash(h, 16, p.data(), p.size() - 16, nullptr, 0);
    return sodium_memcmp(h, p.data() + p.size() - 16, 16) == 0;
}
std::uint64_t packet_id(const Bytes& p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return v;
}

SessionId established_session(const Host& h) {
    const Event* e = h.last(EventType::established);
    return e ? e->session : 0;
}

}  // namespace

TEST_CASE("over a hostile network the handshake completes and no inner packet is duplicated, corrupted or forged") {
    Impairments bad;
    bad.drop = 0.30;
    bad.duplicate = 0.05;
    bad.corrupt = 0.05;
    bad.min_delay = 1 * kMillisecond;
    bad.max_delay = 40 * kMillisecond;
    World w(7, bad);
    ClientEndpointConfig cc;
    cc.server = address("server");
    Host& server = w.add("server", make_server(ServerEndpointConfig{}, 1));
    Host& client = w.add("client-a", make_client(cc, 2));
    REQUIRE(client.endpoint->connect(w.now).ok());

    REQUIRE(w.run_until(w.now + 60 * kSecond, [&] {
        return client.count(EventType::established) == 1 && server.count(EventType::established) == 1;
    }));
    CHECK(client.last(EventType::established)->peer.dns_names.size() >= 1);
    CHECK(server.last(EventType::established)->peer.common_name == "alice");

    const SessionId cs = established_session(client), ss = established_session(server);
    std::uint32_t sent_c = 0, sent_s = 0;
    for (int i = 0; i < 3000; ++i) {
        if (i == 1500) w.move(client, "client-b");   // the client's address changes mid-stream
        if (w.send_inner(client, cs, InnerProtocol::ipv4, make_packet(1, sent_c))) sent_c++;
        if (w.send_inner(server, ss, InnerProtocol::ipv6, make_packet(2, sent_s))) sent_s++;
        w.run_for(5 * kMillisecond);
    }
    w.run_for(2 * kSecond);

    for (Host* h : {&server, &client}) {
        std::set<std::uint64_t> seen;
        for (const auto& p : h->inner) {
            CHECK(genuine(p.bytes));
            CHECK(seen.insert(packet_id(p.bytes)).second);
        }
    }
    // About 70% survive the network; nothing is lost beyond it.
    CHECK(server.inner.size() > sent_c / 2);
    CHECK(client.inner.size() > sent_s / 2);
    CHECK(sent_c == 3000);
    // The server followed the client to its new address, and traffic kept flowing there.
    auto info = server.endpoint->session_info(ss);
    REQUIRE(info);
    CHECK(info->address == address("client-b"));
    std::size_t late = 0;
    for (const auto& p : client.inner) late += (packet_id(p.bytes) & 0xFFFFFFFF) > 2000;
    CHECK(late > 300);
    CHECK(w.net.corrupted > 0);
    CHECK(w.net.duplicated > 0);
}

TEST_CASE("control messages arrive complete and in order over loss") {
    Impairments bad;
    bad.drop = 0.30;
    bad.duplicate = 0.05;
    bad.corrupt = 0.02;
    bad.max_delay = 30 * kMillisecond;
    World w(11, bad);
    ClientEndpointConfig cc;
    cc.server = address("server");
    Host& server = w.add("server", make_server(ServerEndpointConfig{}, 3));
    Host& client = w.add("client", make_client(cc, 4));
    ConfigPush push;
    push.ipv4 = Ipv4Prefix{{10, 99, 0, 2}, 24};
    push.ipv6 = Ipv6Prefix{{0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 64};
    push.dns4.push_back({10, 99, 0, 1});
    push.mtu = 1380;
    server.on_event = [&](Host& h, const Event& e) {
        if (e.type == EventType::established) CHECK(h.endpoint->push_config(w.now, e.session, push) == Error::ok);
    };
    REQUIRE(client.endpoint->connect(w.now).ok());
    REQUIRE(w.run_until(w.now + 60 * kSecond, [&] { return client.count(EventType::config_received) == 1; }));
    const Event* cfg = client.last(EventType::config_received);
    REQUIRE(cfg->config.ipv4);
    CHECK(cfg->config.ipv4->addr == push.ipv4->addr);
    CHECK(cfg->config.ipv4->prefix == 24);
    CHECK(cfg->config.mtu == push.mtu);
    REQUIRE(cfg->config.dns4.size() == 1);

    const SessionId cs = established_session(client);
    std::uint64_t next = 0;
    while (next < 500 && w.now < 600 * kSecond) {
        while (next < 500 && next - client.count(EventType::pong) < 24 &&
               client.endpoint->ping(w.now, cs, next) == Error::ok)
            next++;
        w.run_for(20 * kMillisecond);
    }
    w.run_until(w.now + 120 * kSecond, [&] { return client.count(EventType::pong) == next; });
    std::vector<std::uint64_t> tokens;
    for (const Event& e : client.events) if (e.type == EventType::pong) tokens.push_back(e.token);
    REQUIRE(tokens.size() == next);
    for (std::size_t i = 0; i < tokens.size(); ++i) CHECK(tokens[i] == i);
}

TEST_CASE("1000 rekeys under continuous traffic lose no packet") {
    Impairments reorder;                      // no loss: every missing packet would be the rekey's fault
    reorder.duplicate = 0.02;
    reorder.min_delay = 1 * kMillisecond;
    reorder.max_delay = 4 * kMillisecond;
    World w(5, reorder);
    ClientEndpointConfig cc;
    cc.server = address("server");
    cc.timers.rekey_after_time = 40 * kMillisecond;
    ServerEndpointConfig sc;
    sc.timers.rekey_after_time = 40 * kMillisecond;
    Host& server = w.add("server", make_server(sc, 5));
    Host& client = w.add("client", make_client(cc, 6));
    REQUIRE(client.endpoint->connect(w.now).ok());
    REQUIRE(w.run_until(w.now + 10 * kSecond, [&] { return server.count(EventType::established) == 1; }));
    const SessionId cs = established_session(client), ss = established_session(server);
    std::uint32_t sent_c = 0, sent_s = 0;
    while (client.count(EventType::rekeyed) < 1000 && w.now < 400 * kSecond) {
        REQUIRE(w.send_inner(client, cs, InnerProtocol::ipv4, make_packet(1, sent_c++, 100)));
        REQUIRE(w.send_inner(server, ss, InnerProtocol::ipv4, make_packet(2, sent_s++, 100)));
        w.run_for(1 * kMillisecond);
    }
    w.run_for(1 * kSecond);
    CHECK(client.count(EventType::rekeyed) >= 1000);
    CHECK(server.count(EventType::rekeyed) >= 1000);
    CHECK(server.inner.size() == sent_c);
    CHECK(client.inner.size() == sent_s);
    CHECK(client.count(EventType::closed) == 0);
    MESSAGE("rekeys: " << client.count(EventType::rekeyed) << ", packets each way: " << sent_c);
}

TEST_CASE("one server serves 1000 clients") {
    Impairments mild;
    mild.drop = 0.02;
    mild.max_delay = 10 * kMillisecond;
    World w(9, mild);
    ServerEndpointConfig sc;
    sc.cookie_threshold = 64;   // the burst of INITIALs also exercises the stateless cookie path
    Host& server = w.add("server", make_server(sc, 100));
    std::vector<Host*> clients;
    for (int i = 0; i < 1000; ++i) {
        ClientEndpointConfig cc;
        cc.server = address("server");
        clients.push_back(&w.add("c" + std::to_string(i), make_client(cc, 1000 + i)));
    }
    for (Host* c : clients) REQUIRE(c->endpoint->connect(w.now).ok());
    const bool all = w.run_until(w.now + 120 * kSecond, [&] { return server.count(EventType::established) >= 1000; });
    std::size_t clients_up = 0, clients_closed = 0;
    for (Host* c : clients) { clients_up += c->count(EventType::established); clients_closed += c->count(EventType::closed); }
    MESSAGE("server sessions " << server.count(EventType::established) << ", clients up " << clients_up
            << ", client failures " << clients_closed << ", retries " << server.endpoint->stats().retries_sent
            << ", half-open " << server.endpoint->stats().half_open);
    for (Host* c : clients)
        if (const Event* f = c->last(EventType::closed)) { MESSAGE(c->name << " failed: " << f->text); break; }
    REQUIRE(all);
    std::uint32_t tag = 0;
    for (Host* c : clients) {
        REQUIRE(c->count(EventType::established) == 1);
        w.send_inner(*c, established_session(*c), InnerProtocol::ipv4, make_packet(tag++, 0));
    }
    w.run_for(1 * kSecond);
    std::set<std::uint64_t> seen;
    for (const auto& p : server.inner) if (genuine(p.bytes)) seen.insert(packet_id(p.bytes));
    CHECK(seen.size() > 950);   // 2% loss, no retransmission of inner packets
    CHECK(server.endpoint->sessions().size() == 1000);
    CHECK(server.endpoint->stats().retries_sent > 0);
    std::set<SessionId> ids;
    for (SessionId s : server.endpoint->sessions()) ids.insert(s);
    CHECK(ids.size() == 1000);
}
