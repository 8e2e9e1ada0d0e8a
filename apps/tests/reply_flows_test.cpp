// SPDX-License-Identifier: GPL-3.0-or-later
// Client-to-client replies pass while the flow an allowed packet opened is fresh, and only those.
#include "inner_packet_builder.hpp"
#include "reply_flows.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;
using namespace udpvpn::test_packets;

namespace {
InnerPacket packet(const Packet& p) {
    const auto r = parse_inner_packet(ByteView(p.data(), p.size()));
    REQUIRE(r.problem == InnerProblem::none);
    return r.packet;
}
constexpr TimeNs kTimeout = 10 * kSecond;
}  // namespace

TEST_CASE("a TCP answer with the ports swapped is a reply; another port or direction is not") {
    ReplyFlows f;
    f.opened(packet(v4({10, 77, 0, 4}, {10, 77, 0, 2}, 6, ports(40000, 5001))), 0, kTimeout);
    CHECK(f.is_reply(packet(v4({10, 77, 0, 2}, {10, 77, 0, 4}, 6, ports(5001, 40000))), kSecond));
    CHECK_FALSE(f.is_reply(packet(v4({10, 77, 0, 2}, {10, 77, 0, 4}, 6, ports(5002, 40000))), kSecond));
    CHECK_FALSE(f.is_reply(packet(v4({10, 77, 0, 2}, {10, 77, 0, 4}, 17, ports(5001, 40000, 8))), kSecond));
    CHECK_FALSE(f.is_reply(packet(v4({10, 77, 0, 2}, {10, 77, 0, 5}, 6, ports(5001, 40000))), kSecond));
    // The initiator's own packets are not "replies".
    CHECK_FALSE(f.is_reply(packet(v4({10, 77, 0, 4}, {10, 77, 0, 2}, 6, ports(40000, 5001))), kSecond));
}

TEST_CASE("an echo reply answers the echo request with the same identifier only") {
    ReplyFlows f;
    f.opened(packet(v6(4, 2, 58, echo(128, 77))), 0, kTimeout);
    CHECK(f.is_reply(packet(v6(2, 4, 58, echo(129, 77))), kSecond));
    CHECK_FALSE(f.is_reply(packet(v6(2, 4, 58, echo(129, 78))), kSecond));
    CHECK_FALSE(f.is_reply(packet(v6(2, 4, 58, echo(128, 77))), kSecond));   // a request is no reply
}

TEST_CASE("a flow expires after the timeout unless traffic refreshes it") {
    ReplyFlows f;
    const auto out = packet(v4({10, 77, 0, 4}, {10, 77, 0, 2}, 17, ports(1000, 53, 8)));
    const auto back = packet(v4({10, 77, 0, 2}, {10, 77, 0, 4}, 17, ports(53, 1000, 8)));
    f.opened(out, 0, kTimeout);
    CHECK(f.is_reply(back, 9 * kSecond));     // refreshes: now good until 19 s
    CHECK(f.is_reply(back, 18 * kSecond));
    CHECK_FALSE(f.is_reply(back, 29 * kSecond));
    CHECK(f.size() == 0);
}

TEST_CASE("fragments open no flow and are no reply; a full table opens no more flows") {
    ReplyFlows f(2);
    Packet frag = v4({10, 77, 0, 4}, {10, 77, 0, 2}, 6, ports(1, 2));
    put16(frag, 6, 0x2000);
    f.opened(packet(frag), 0, kTimeout);
    CHECK(f.size() == 0);
    f.opened(packet(v4({10, 77, 0, 4}, {10, 77, 0, 2}, 6, ports(1, 2))), 0, kTimeout);
    f.opened(packet(v4({10, 77, 0, 4}, {10, 77, 0, 2}, 6, ports(1, 3))), 0, kTimeout);
    f.opened(packet(v4({10, 77, 0, 4}, {10, 77, 0, 2}, 6, ports(1, 4))), 0, kTimeout);
    CHECK(f.size() == 2);
    CHECK(f.table_full() == 1);
    CHECK_FALSE(f.is_reply(packet(v4({10, 77, 0, 2}, {10, 77, 0, 4}, 6, ports(4, 1))), kSecond));
    // Expired flows make room.
    f.opened(packet(v4({10, 77, 0, 4}, {10, 77, 0, 2}, 6, ports(1, 4))), 20 * kSecond, kTimeout);
    CHECK(f.size() == 1);
}

TEST_CASE("an address that leaves takes its flows along") {
    ReplyFlows f;
    f.opened(packet(v4({10, 77, 0, 4}, {10, 77, 0, 2}, 6, ports(1, 2))), 0, kTimeout);
    f.opened(packet(v4({10, 77, 0, 4}, {10, 77, 0, 3}, 6, ports(1, 2))), 0, kTimeout);
    f.forget_address(*parse_address("10.77.0.2"));
    CHECK(f.size() == 1);
    CHECK(f.is_reply(packet(v4({10, 77, 0, 3}, {10, 77, 0, 4}, 6, ports(2, 1))), kSecond));
}
