// SPDX-License-Identifier: GPL-3.0-or-later
// The inner-packet reader of the access rules fails closed: what it cannot read safely it reports
// as unreadable (and the rules refuse), and it never reads past the packet.
#include "inner_packet.hpp"
#include "inner_packet_builder.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;
using namespace udpvpn::test_packets;

namespace {
InnerParse parse(const Packet& p) { return parse_inner_packet(ByteView(p.data(), p.size())); }
}  // namespace

TEST_CASE("TCP and UDP over IPv4 give addresses, protocol and ports") {
    const auto tcp = parse(v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(40000, 22)));
    REQUIRE(tcp.problem == InnerProblem::none);
    CHECK(tcp.packet.protocol == 6);
    CHECK(tcp.packet.has_ports);
    CHECK(tcp.packet.src_port == 40000);
    CHECK(tcp.packet.dst_port == 22);
    CHECK(to_string(tcp.packet.dst, false) == "10.77.0.1");
    CHECK(to_string(tcp.packet.src, false) == "10.77.0.2");
    const auto udp = parse(v4({10, 77, 0, 2}, {10, 77, 0, 1}, 17, ports(5353, 53, 8)));
    REQUIRE(udp.problem == InnerProblem::none);
    CHECK(udp.packet.dst_port == 53);
}

TEST_CASE("a transport header cut short is unreadable, not a packet without ports") {
    CHECK(parse(v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 22, 19))).problem == InnerProblem::truncated);
    CHECK(parse(v4({10, 77, 0, 2}, {10, 77, 0, 1}, 17, ports(1, 22, 7))).problem == InnerProblem::truncated);
    CHECK(parse(v4({10, 77, 0, 2}, {10, 77, 0, 1}, 1, Packet(4, 8))).problem == InnerProblem::truncated);
    CHECK(parse(v6(2, 1, 6, ports(1, 22, 3))).problem == InnerProblem::truncated);
}

TEST_CASE("IPv4 length fields that disagree with the packet are unreadable") {
    Packet p = v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 22));
    SUBCASE("total length beyond the packet") { put16(p, 2, 200); }
    SUBCASE("total length shorter than the header") { put16(p, 2, 10); }
    SUBCASE("header length below 20") { p[0] = 0x44; }
    SUBCASE("header length beyond the packet") { p[0] = 0x4f; p.resize(40); put16(p, 2, 40); }
    CHECK(parse(p).problem == InnerProblem::truncated);
}

TEST_CASE("the transport ends where the IPv4 total length says, not at the end of the buffer") {
    Packet p = v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 22, 8));
    p.resize(p.size() + 40, 0);   // trailing bytes after the datagram: not a TCP header
    CHECK(parse(p).problem == InnerProblem::truncated);
}

TEST_CASE("IPv4 options are refused, whatever they are") {
    Packet p = v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 22));
    p.insert(p.begin() + 20, {0x83, 0x07, 0x04, 10, 0, 0, 9, 0});   // loose source route + padding
    p[0] = 0x47;
    put16(p, 2, static_cast<unsigned>(p.size()));
    CHECK(parse(p).problem == InnerProblem::ip_options);
}

TEST_CASE("IPv4 fragments have no ports, first fragment included") {
    Packet first = v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 22));
    put16(first, 6, 0x2000);   // more fragments, offset 0
    auto r = parse(first);
    REQUIRE(r.problem == InnerProblem::none);
    CHECK(r.packet.fragment);
    CHECK_FALSE(r.packet.has_ports);
    CHECK(r.packet.protocol == 6);
    Packet later = v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, Packet(3, 0));   // too short for TCP, but a fragment
    put16(later, 6, 0x0001);   // offset 8 bytes: would rewrite the ports of the first one
    r = parse(later);
    REQUIRE(r.problem == InnerProblem::none);
    CHECK(r.packet.fragment);
    CHECK_FALSE(r.packet.has_ports);
}

TEST_CASE("ICMP and ICMPv6 echo give the identifier the reply flows use") {
    auto r = parse(v4({10, 77, 0, 2}, {10, 77, 0, 3}, 1, echo(8, 0x1234)));
    REQUIRE(r.problem == InnerProblem::none);
    CHECK(r.packet.icmp());
    CHECK(r.packet.echo == InnerPacket::Echo::request);
    CHECK(r.packet.echo_id == 0x1234);
    r = parse(v6(3, 2, 58, echo(129, 7)));
    REQUIRE(r.problem == InnerProblem::none);
    CHECK(r.packet.echo == InnerPacket::Echo::reply);
    CHECK(r.packet.echo_id == 7);
}

TEST_CASE("IPv6 hop-by-hop and destination options are walked to the transport") {
    Packet ext = {60, 0, 1, 4, 0, 0, 0, 0};   // hop-by-hop (next: destination options), PadN
    Packet dst = {6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};   // 16 bytes, next: TCP
    Packet rest = ext;
    rest.insert(rest.end(), dst.begin(), dst.end());
    const Packet l4 = ports(999, 443);
    rest.insert(rest.end(), l4.begin(), l4.end());
    const auto r = parse(v6(2, 1, 0, rest));
    REQUIRE(r.problem == InnerProblem::none);
    CHECK(r.packet.protocol == 6);
    CHECK(r.packet.dst_port == 443);
}

TEST_CASE("an IPv6 fragment header hides the ports; a routing header with segments left is refused") {
    Packet frag = {6, 0, 0, 1, 0, 0, 0, 9};   // next TCP, offset 0, M set, identification 9
    Packet rest = frag;
    const Packet l4 = ports(999, 22);
    rest.insert(rest.end(), l4.begin(), l4.end());
    auto r = parse(v6(2, 1, 44, rest));
    REQUIRE(r.problem == InnerProblem::none);
    CHECK(r.packet.fragment);
    CHECK_FALSE(r.packet.has_ports);
    CHECK(r.packet.protocol == 6);
    // An atomic fragment (offset 0, no M) is a whole datagram: its ports count.
    rest[3] = 0;
    r = parse(v6(2, 1, 44, rest));
    REQUIRE(r.problem == InnerProblem::none);
    CHECK(r.packet.has_ports);

    Packet routing = {6, 2, 4, 1, 0, 0, 0, 0};   // type 4 (segment routing), 1 segment left
    routing.resize(24, 0);
    routing.insert(routing.end(), l4.begin(), l4.end());
    CHECK(parse(v6(2, 1, 43, routing)).problem == InnerProblem::routing_header);
    routing[3] = 0;   // no segments left: this is the final destination
    CHECK(parse(v6(2, 1, 43, routing)).problem == InnerProblem::none);
}

TEST_CASE("AH, unknown extension headers and long chains are refused; a chain cut short is truncated") {
    CHECK(parse(v6(2, 1, 51, Packet(40, 0))).problem == InnerProblem::extension_header);
    CHECK(parse(v4({10, 77, 0, 2}, {10, 77, 0, 1}, 51, Packet(40, 0))).problem == InnerProblem::extension_header);
    CHECK(parse(v6(2, 1, 135, Packet(40, 0))).problem == InnerProblem::extension_header);
    Packet chain;
    for (int i = 0; i < 9; ++i) chain.insert(chain.end(), {60, 0, 1, 4, 0, 0, 0, 0});
    chain.insert(chain.end(), 20, 0);
    CHECK(parse(v6(2, 1, 60, chain)).problem == InnerProblem::extension_header);
    CHECK(parse(v6(2, 1, 60, Packet{6, 5, 0, 0})).problem == InnerProblem::truncated);
    CHECK(parse(v6(2, 1, 60, Packet{6, 5, 0, 0, 0, 0, 0, 0})).problem == InnerProblem::truncated);   // says 48 bytes
}

TEST_CASE("IPv6 payload length beyond the packet, or a jumbogram, is unreadable") {
    Packet p = v6(2, 1, 6, ports(1, 22));
    put16(p, 4, 100);
    CHECK(parse(p).problem == InnerProblem::truncated);
    Packet jumbo = v6(2, 1, 0, Packet{});   // payload length 0 + hop-by-hop: a jumbogram
    jumbo.insert(jumbo.end(), {6, 0, 0xc2, 4, 0, 1, 0, 0});
    CHECK(parse(jumbo).problem == InnerProblem::truncated);
}

TEST_CASE("every prefix of every test packet parses without reading past it") {
    // Run under ASan in the sanitizer build; here: no crash and never "none" with a bad length.
    const Packet packets[] = {v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 22)),
                              v6(2, 1, 0, Packet{6, 0, 1, 4, 0, 0, 0, 0, 0, 1, 0, 22, 0, 0, 0, 0, 0, 0, 0, 0,
                                                 0, 0, 0, 0, 0, 0, 0, 0}),
                              v4({10, 77, 0, 2}, {10, 77, 0, 1}, 1, echo(8, 1))};
    for (const Packet& full : packets)
        for (std::size_t n = 0; n < full.size(); ++n) {
            const Packet cut(full.begin(), full.begin() + static_cast<long>(n));
            CHECK(parse(cut).problem != InnerProblem::none);
        }
    CHECK(parse(Packet{0x50, 0, 0, 0}).problem == InnerProblem::not_ip);
    CHECK(parse(Packet{}).problem == InnerProblem::not_ip);
}
