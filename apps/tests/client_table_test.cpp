// SPDX-License-Identifier: GPL-3.0-or-later
#include "client_table.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;

namespace {

ClientEntry client(SessionId sid, const std::string& name) {
    ClientEntry c;
    c.session = sid;
    c.identity = name;
    c.key = "CN=Test CA|CN=" + name;
    return c;
}

IpPrefix host(const char* text) { return *parse_address(text); }

ClientTable dual_stack_table() {
    return ClientTable(parse_prefix("10.8.0.0/24"), parse_prefix("fd00:8::/64"));
}

}  // namespace

TEST_CASE("a client gets an address of each pool and is found by either") {
    ClientTable t = dual_stack_table();
    CHECK(to_string(*t.server_address4()) == "10.8.0.1/24");
    REQUIRE(t.add(client(7, "alice"), {}) == ClientTable::Refusal::none);
    const ClientEntry* c = t.find(7);
    REQUIRE(c);
    CHECK(to_string(*c->ipv4, false) == "10.8.0.2");
    CHECK(to_string(*c->ipv6, false) == "fd00:8::2");
    CHECK(t.session_for(host("10.8.0.2")) == SessionId{7});
    CHECK(t.session_for(host("fd00:8::2")) == SessionId{7});
    CHECK_FALSE(t.session_for(host("10.8.0.3")));
    CHECK_FALSE(t.session_for(host("10.8.0.1")));   // the server's own address is no client's
    CHECK(t.size() == 1);
}

TEST_CASE("removing a client frees its addresses and both indexes") {
    ClientTable t = dual_stack_table();
    REQUIRE(t.add(client(7, "alice"), {}) == ClientTable::Refusal::none);
    const auto gone = t.remove(7);
    REQUIRE(gone);
    CHECK(gone->identity == "alice");
    CHECK(to_string(*gone->ipv4, false) == "10.8.0.2");
    CHECK_FALSE(t.find(7));
    CHECK_FALSE(t.session_for(host("10.8.0.2")));
    CHECK_FALSE(t.session_for(host("fd00:8::2")));
    CHECK(t.sessions_of(gone->key).empty());
    CHECK_FALSE(t.remove(7));
    // The address is free again: the next client gets it.
    REQUIRE(t.add(client(8, "bob"), {}) == ClientTable::Refusal::none);
    CHECK(to_string(*t.find(8)->ipv4, false) == "10.8.0.2");
}

TEST_CASE("a fixed address goes to its client, never to anyone else") {
    ClientTable t = dual_stack_table();
    FixedAddress f;
    f.ipv4 = host("10.8.0.2");
    t.set_fixed({{"alice", f}});
    REQUIRE(t.add(client(1, "bob"), {}) == ClientTable::Refusal::none);
    CHECK(to_string(*t.find(1)->ipv4, false) == "10.8.0.3");   // .2 is alice's, even while she is away
    REQUIRE(t.add(client(2, "alice"), f) == ClientTable::Refusal::none);
    CHECK(to_string(*t.find(2)->ipv4, false) == "10.8.0.2");
    CHECK(t.session_for(host("10.8.0.2")) == SessionId{2});
}

TEST_CASE("a further session of an identity gets pool addresses, the fixed one being taken") {
    ClientTable t = dual_stack_table();
    FixedAddress f;
    f.ipv4 = host("10.8.0.9");
    t.set_fixed({{"alice", f}});
    REQUIRE(t.add(client(1, "alice"), f) == ClientTable::Refusal::none);
    REQUIRE(t.add(client(2, "alice"), f) == ClientTable::Refusal::none);
    CHECK(to_string(*t.find(1)->ipv4, false) == "10.8.0.9");
    CHECK(to_string(*t.find(2)->ipv4, false) == "10.8.0.2");
    const auto sessions = t.sessions_of(t.find(1)->key);
    REQUIRE(sessions.size() == 2);
    CHECK(sessions[0] == 1);   // oldest first: the one a reconnection replaces
    CHECK(sessions[1] == 2);
    t.remove(1);
    REQUIRE(t.sessions_of(t.find(2)->key).size() == 1);
    CHECK(t.sessions_of(t.find(2)->key)[0] == 2);
}

TEST_CASE("a fixed address in use refuses the client and holds nothing") {
    ClientTable t = dual_stack_table();
    FixedAddress f;
    f.ipv6 = host("fd00:8::9");
    REQUIRE(t.add(client(1, "bob"), f) == ClientTable::Refusal::none);   // bob took it (no pin yet)
    // alice's [clients.alice] names the same address: her IPv4 from the pool is given back.
    CHECK(t.add(client(2, "alice"), f) == ClientTable::Refusal::fixed_address_in_use);
    CHECK_FALSE(t.find(2));
    CHECK(t.size() == 1);
    REQUIRE(t.add(client(3, "carol"), {}) == ClientTable::Refusal::none);
    CHECK(to_string(*t.find(3)->ipv4, false) == "10.8.0.3");   // .2 is bob's; alice's was released
}

TEST_CASE("an exhausted pool refuses the client and leaks nothing from the other pool") {
    ClientTable t(parse_prefix("192.168.9.0/30"), parse_prefix("fd00:9::/120"));   // one IPv4 client
    REQUIRE(t.add(client(1, "alice"), {}) == ClientTable::Refusal::none);
    CHECK(t.add(client(2, "bob"), {}) == ClientTable::Refusal::pool_exhausted);
    CHECK_FALSE(t.find(2));
    CHECK_FALSE(t.session_for(host("fd00:9::3")));   // bob's IPv6 address was given back
    t.remove(1);
    REQUIRE(t.add(client(2, "bob"), {}) == ClientTable::Refusal::none);
    CHECK(to_string(*t.find(2)->ipv6, false) == "fd00:9::2");
}

TEST_CASE("a reload's fixed addresses apply to the next clients") {
    ClientTable t = dual_stack_table();
    t.set_fixed({});
    FixedAddress f;
    f.ipv4 = host("10.8.0.2");
    t.set_fixed({{"alice", f}});
    REQUIRE(t.add(client(1, "bob"), {}) == ClientTable::Refusal::none);
    CHECK(to_string(*t.find(1)->ipv4, false) == "10.8.0.3");
    t.set_fixed({});   // the pin is gone: .2 is an ordinary pool address again
    REQUIRE(t.add(client(2, "carol"), {}) == ClientTable::Refusal::none);
    CHECK(to_string(*t.find(2)->ipv4, false) == "10.8.0.2");
}

TEST_CASE("without pools clients hold no address and are found by session and identity") {
    ClientTable t(std::nullopt, std::nullopt);
    REQUIRE(t.add(client(5, "alice"), {}) == ClientTable::Refusal::none);
    CHECK_FALSE(t.find(5)->ipv4);
    CHECK_FALSE(t.find(5)->ipv6);
    CHECK(t.sessions_of(t.find(5)->key).size() == 1);
    CHECK_FALSE(t.server_address4());
}

TEST_CASE("a roaming client's outer address is updated in place") {
    ClientTable t = dual_stack_table();
    ClientEntry c = client(3, "alice");
    c.outer = PeerAddress::from(ByteView(reinterpret_cast<const std::uint8_t*>("first"), 5));
    REQUIRE(t.add(c, {}) == ClientTable::Refusal::none);
    const PeerAddress moved = PeerAddress::from(ByteView(reinterpret_cast<const std::uint8_t*>("second"), 6));
    t.set_outer(3, moved);
    CHECK(t.find(3)->outer.len == 6);
    CHECK(t.find(3)->outer.bytes == moved.bytes);
    t.set_outer(99, moved);   // unknown session: nothing happens
    CHECK(t.size() == 1);
}
