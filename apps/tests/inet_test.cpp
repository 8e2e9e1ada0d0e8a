// SPDX-License-Identifier: GPL-3.0-or-later
#include "inet.hpp"
#include "ip_packet.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;

TEST_CASE("prefixes parse, print and contain their hosts") {
    const auto p = parse_prefix("10.1.2.3/24");
    REQUIRE(p);
    CHECK(to_string(p->network()) == "10.1.2.0/24");
    CHECK(p->contains(*parse_address("10.1.2.200")));
    CHECK_FALSE(p->contains(*parse_address("10.1.3.1")));
    CHECK_FALSE(p->contains(*parse_address("::1")));
    const auto q = parse_prefix("fd00:1::/63");
    REQUIRE(q);
    CHECK(q->contains(*parse_address("fd00:1:0:1::5")));
    CHECK_FALSE(q->contains(*parse_address("fd00:1:0:2::5")));
    CHECK_FALSE(parse_prefix("10.0.0.0/33"));
    CHECK_FALSE(parse_prefix("10.0.0.0/"));
    CHECK_FALSE(parse_prefix("nonsense"));
    CHECK_FALSE(parse_address("10.0.0.0/8"));
}

TEST_CASE("host:port strings accept names, IPv4 and bracketed IPv6") {
    auto a = parse_host_port("vpn.example.com:4000", 1);
    REQUIRE(a);
    CHECK(a->host == "vpn.example.com");
    CHECK(a->port == 4000);
    auto b = parse_host_port("[2001:db8::1]:51820", 1);
    REQUIRE(b);
    CHECK(b->host == "2001:db8::1");
    auto c = parse_host_port("2001:db8::1", 7);
    REQUIRE(c);
    CHECK(c->port == 7);
    CHECK_FALSE(parse_host_port("host:0", 1));
    CHECK_FALSE(parse_host_port("host:99999", 1));
    CHECK_FALSE(parse_host_port("[::1", 1));
}

TEST_CASE("an IPv4-mapped source and a plain IPv4 source are the same peer") {
    const asio::ip::udp::endpoint v4(asio::ip::make_address("192.0.2.7"), 4000);
    const asio::ip::udp::endpoint mapped(asio::ip::make_address("::ffff:192.0.2.7"), 4000);
    CHECK(peer_from_udp(v4) == peer_from_udp(mapped));
    CHECK(peer_to_string(peer_from_udp(v4)) == "192.0.2.7:4000");
    CHECK(udp_from_peer(peer_from_udp(v4), true) == mapped);
    CHECK(udp_from_peer(peer_from_udp(v4), false) == v4);
    const asio::ip::udp::endpoint v6(asio::ip::make_address("2001:db8::9"), 5);
    CHECK(peer_to_string(peer_from_udp(v6)) == "[2001:db8::9]:5");
    CHECK(udp_from_peer(peer_from_udp(v6), true) == v6);
}

TEST_CASE("inner packet headers give version, source and destination") {
    std::uint8_t v4[20] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1};
    auto h = parse_ip_header(ByteView(v4, sizeof v4));
    REQUIRE(h);
    CHECK(h->protocol == InnerProtocol::ipv4);
    CHECK(to_string(h->src, false) == "10.0.0.2");
    CHECK(to_string(h->dst, false) == "10.0.0.1");
    CHECK_FALSE(parse_ip_header(ByteView(v4, 19)));
    std::uint8_t v6[40] = {0x60};
    v6[23] = 1;
    v6[39] = 2;
    auto h6 = parse_ip_header(ByteView(v6, sizeof v6));
    REQUIRE(h6);
    CHECK(h6->protocol == InnerProtocol::ipv6);
    CHECK(to_string(h6->src, false) == "::1");
    CHECK(to_string(h6->dst, false) == "::2");
    std::uint8_t junk[40] = {0x20};
    CHECK_FALSE(parse_ip_header(ByteView(junk, sizeof junk)));
    CHECK_FALSE(parse_ip_header(ByteView()));
}
