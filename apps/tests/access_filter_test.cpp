// SPDX-License-Identifier: GPL-3.0-or-later
// The filter the server runs: counters per rule (packets, bytes), the default, replies between
// clients, unreadable packets refused, and new rules that keep the counters of rules that stay.
#include "access_filter.hpp"
#include "inner_packet_builder.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;
using namespace udpvpn::test_packets;

namespace {

const std::string kCa = "CN=test CA";
const std::vector<std::string> kNone, kOps = {"ops"};

bool send(AccessFilter& f, const RuleSubject& from, const Packet& p, const RuleSubject* to = nullptr, TimeNs now = 0) {
    return f.allows(from, ByteView(p.data(), p.size()), to, now);
}

AccessPolicy policy() {
    AccessPolicy p;
    p.enabled = true;
    AccessRule ssh;
    ssh.name = "alice-ssh";
    ssh.allow = true;
    ssh.identities = {"alice"};
    ssh.protocol = RuleProtocol::tcp;
    ssh.ports = {{22, 22}};
    AccessRule ops;
    ops.name = "ops-clients";
    ops.allow = true;
    ops.groups = {"ops"};
    ops.to_clients = true;
    p.rules = {ssh, ops};
    return p;
}

}  // namespace

TEST_CASE("with the policy off everything passes and nothing is counted") {
    AccessFilter f;
    const RuleSubject alice{"alice", kCa, kNone};
    CHECK(send(f, alice, v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 80))));
    CHECK(send(f, alice, Packet{0x45, 0}));
    CHECK(f.counters().default_action.packets == 0);
}

TEST_CASE("each packet is counted once: on its rule, or on the default") {
    AccessFilter f;
    f.set_policy(policy());
    const RuleSubject alice{"alice", kCa, kNone};
    const Packet ssh = v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 22));
    const Packet web = v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 80, 60));
    CHECK(send(f, alice, ssh));
    CHECK(send(f, alice, ssh));
    CHECK_FALSE(send(f, alice, web));
    REQUIRE(f.counters().rules.size() == 2);
    CHECK(f.counters().rules[0].name == "alice-ssh");
    CHECK(f.counters().rules[0].allow);
    CHECK(f.counters().rules[0].matched.packets == 2);
    CHECK(f.counters().rules[0].matched.bytes == 2 * ssh.size());
    CHECK(f.counters().rules[1].matched.packets == 0);
    CHECK(f.counters().default_action.packets == 1);
    CHECK(f.counters().default_action.bytes == web.size());
}

TEST_CASE("access.default = allow lets unmatched packets through, still counted") {
    AccessPolicy p = policy();
    p.default_allow = true;
    AccessFilter f;
    f.set_policy(p);
    const RuleSubject bob{"bob", kCa, kNone};
    CHECK(send(f, bob, v4({10, 77, 0, 3}, {10, 77, 0, 1}, 17, ports(1, 53, 8))));
    CHECK(f.counters().default_action.packets == 1);
}

TEST_CASE("unreadable packets are refused and counted by reason, before any rule") {
    AccessPolicy p;
    p.enabled = true;
    p.default_allow = true;
    AccessFilter f;
    f.set_policy(p);
    const RuleSubject bob{"bob", kCa, kNone};
    Packet opts = v4({10, 77, 0, 3}, {10, 77, 0, 1}, 6, ports(1, 22));
    opts.insert(opts.begin() + 20, {1, 1, 1, 0});
    opts[0] = 0x46;
    put16(opts, 2, static_cast<unsigned>(opts.size()));
    CHECK_FALSE(send(f, bob, opts));
    CHECK_FALSE(send(f, bob, v4({10, 77, 0, 3}, {10, 77, 0, 1}, 6, ports(1, 22, 10))));
    CHECK(f.counters().unreadable[static_cast<std::size_t>(InnerProblem::ip_options)] == 1);
    CHECK(f.counters().unreadable[static_cast<std::size_t>(InnerProblem::truncated)] == 1);
    CHECK(f.counters().default_action.packets == 0);
}

TEST_CASE("ops reach other clients, who answer them and nobody else") {
    AccessFilter f;
    f.set_policy(policy());
    const RuleSubject carol{"carol", kCa, kOps}, alice{"alice", kCa, kNone};
    const Packet ping = v4({10, 77, 0, 4}, {10, 77, 0, 2}, 1, echo(8, 9));
    const Packet pong = v4({10, 77, 0, 2}, {10, 77, 0, 4}, 1, echo(0, 9));
    const Packet alice_pings_carol = v4({10, 77, 0, 2}, {10, 77, 0, 4}, 1, echo(8, 10));
    CHECK_FALSE(send(f, alice, pong, &carol));           // no request yet: not a reply
    CHECK(send(f, carol, ping, &alice, kSecond));
    CHECK(send(f, alice, pong, &carol, 2 * kSecond));
    CHECK_FALSE(send(f, alice, alice_pings_carol, &carol, 2 * kSecond));
    CHECK(f.counters().rules[1].matched.packets == 1);
    CHECK(f.counters().replies.packets == 1);
    CHECK(f.counters().replies.bytes == pong.size());
    CHECK(f.counters().default_action.packets == 2);
    // Past reply_timeout the answer is a packet of alice's own again.
    CHECK_FALSE(send(f, alice, pong, &carol, 2 * kSecond + policy().reply_timeout + 1));
}

TEST_CASE("new rules keep the counters of rules that stay, and close the open reply flows") {
    AccessFilter f;
    f.set_policy(policy());
    const RuleSubject alice{"alice", kCa, kNone}, carol{"carol", kCa, kOps};
    CHECK(send(f, alice, v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 22))));
    CHECK(send(f, carol, v4({10, 77, 0, 4}, {10, 77, 0, 2}, 1, echo(8, 9)), &alice));
    CHECK(f.open_flows() == 1);
    AccessPolicy next = policy();
    AccessRule web;
    web.name = "alice-web";
    web.allow = true;
    web.identities = {"alice"};
    web.protocol = RuleProtocol::tcp;
    web.ports = {{80, 80}};
    next.rules.insert(next.rules.begin(), web);
    f.set_policy(next);
    REQUIRE(f.counters().rules.size() == 3);
    CHECK(f.counters().rules[0].name == "alice-web");
    CHECK(f.counters().rules[0].matched.packets == 0);
    CHECK(f.counters().rules[1].name == "alice-ssh");
    CHECK(f.counters().rules[1].matched.packets == 1);
    CHECK(f.open_flows() == 0);
    CHECK(send(f, alice, v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 80))));
    CHECK(f.counters().rules[0].matched.packets == 1);
}
