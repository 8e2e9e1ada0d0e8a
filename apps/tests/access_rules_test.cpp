// SPDX-License-Identifier: GPL-3.0-or-later
// The rule matcher: who (identity, group, issuer), where (prefix, other clients), what (protocol,
// ports); first match wins; unknown ports fail closed.
#include "access_rules.hpp"
#include "inner_packet_builder.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;
using namespace udpvpn::test_packets;

namespace {

const std::string kCa = "CN=test CA", kOtherCa = "CN=other CA";
const std::vector<std::string> kNoGroups, kOps = {"ops"};

InnerPacket packet(const Packet& p) {
    const auto r = parse_inner_packet(ByteView(p.data(), p.size()));
    REQUIRE(r.problem == InnerProblem::none);
    return r.packet;
}

InnerPacket tcp_to_server(unsigned port) { return packet(v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(40000, port))); }

AccessRule rule(std::string name, bool allow) {
    AccessRule r;
    r.name = std::move(name);
    r.allow = allow;
    return r;
}

// The policy: alice only 10.77.0.1:22/tcp, bob everything, ops reach the other clients.
AccessPolicy example_policy() {
    AccessPolicy p;
    p.enabled = true;
    AccessRule ssh = rule("alice-ssh", true);
    ssh.identities = {"alice"};
    ssh.to = {*parse_prefix("10.77.0.1/32")};
    ssh.protocol = RuleProtocol::tcp;
    ssh.ports = {{22, 22}};
    AccessRule bob = rule("bob-all", true);
    bob.identities = {"bob"};
    AccessRule ops = rule("ops-clients", true);
    ops.groups = {"ops"};
    ops.to_clients = true;
    p.rules = {ssh, bob, ops};
    return p;
}

}  // namespace

TEST_CASE("alice reaches only 10.77.0.1:22/tcp") {
    const AccessPolicy p = example_policy();
    const RuleSubject alice{"alice", kCa, kNoGroups};
    CHECK(first_matching_rule(p, alice, tcp_to_server(22), nullptr) == 0);
    CHECK(first_matching_rule(p, alice, tcp_to_server(80), nullptr) == kNoRule);
    CHECK(first_matching_rule(p, alice, packet(v4({10, 77, 0, 2}, {10, 77, 0, 1}, 17, ports(1, 22, 8))), nullptr) ==
          kNoRule);   // UDP to 22
    CHECK(first_matching_rule(p, alice, packet(v4({10, 77, 0, 2}, {10, 77, 0, 9}, 6, ports(1, 22))), nullptr) ==
          kNoRule);   // another address
    CHECK(first_matching_rule(p, alice, packet(v4({10, 77, 0, 2}, {10, 77, 0, 1}, 1, echo(8, 1))), nullptr) == kNoRule);
    CHECK(first_matching_rule(p, alice, packet(v6(2, 1, 6, ports(1, 22))), nullptr) == kNoRule);   // IPv6
}

TEST_CASE("bob reaches everything behind the server, but not the other clients") {
    const AccessPolicy p = example_policy();
    const RuleSubject bob{"bob", kCa, kNoGroups}, alice{"alice", kCa, kNoGroups};
    CHECK(first_matching_rule(p, bob, tcp_to_server(80), nullptr) == 1);
    CHECK(first_matching_rule(p, bob, packet(v6(3, 1, 58, echo(128, 1))), nullptr) == 1);
    CHECK(first_matching_rule(p, bob, packet(v4({10, 77, 0, 3}, {10, 77, 0, 2}, 1, echo(8, 1))), &alice) == kNoRule);
}

TEST_CASE("the group ops reaches other clients; a group is a subject OU, any of the client's") {
    const AccessPolicy p = example_policy();
    const std::vector<std::string> groups = {"on call", "ops"};
    const RuleSubject carol{"carol", kCa, groups}, alice{"alice", kCa, kNoGroups};
    const auto to_alice = packet(v4({10, 77, 0, 4}, {10, 77, 0, 2}, 6, ports(1, 5001)));
    CHECK(first_matching_rule(p, carol, to_alice, &alice) == 2);
    // ... but a rule to other clients is not a rule to the server's side, and back.
    CHECK(first_matching_rule(p, carol, tcp_to_server(22), nullptr) == kNoRule);
    const RuleSubject dave{"dave", kCa, kNoGroups};
    CHECK(first_matching_rule(p, dave, to_alice, &alice) == kNoRule);
}

TEST_CASE("to_group limits which clients are reached; issuer pins the CA") {
    AccessPolicy p;
    p.enabled = true;
    AccessRule r = rule("ops-to-ops", true);
    r.to_clients = true;
    r.to_groups = {"ops"};
    r.issuer = kCa;
    p.rules = {r};
    const RuleSubject carol{"carol", kCa, kOps}, erin{"erin", kCa, kOps}, alice{"alice", kCa, kNoGroups};
    const auto pkt = packet(v4({10, 77, 0, 4}, {10, 77, 0, 5}, 17, ports(1, 53, 8)));
    CHECK(first_matching_rule(p, carol, pkt, &erin) == 0);
    CHECK(first_matching_rule(p, carol, pkt, &alice) == kNoRule);
    const RuleSubject namesake{"carol", kOtherCa, kOps};
    CHECK(first_matching_rule(p, namesake, pkt, &erin) == kNoRule);
}

TEST_CASE("the first matching rule wins, deny before allow and allow before deny") {
    AccessPolicy p;
    p.enabled = true;
    AccessRule deny23 = rule("no-telnet", false);
    deny23.protocol = RuleProtocol::tcp;
    deny23.ports = {{23, 23}};
    AccessRule all = rule("all", true);
    p.rules = {deny23, all};
    const RuleSubject anyone{"x", kCa, kNoGroups};
    CHECK(first_matching_rule(p, anyone, tcp_to_server(23), nullptr) == 0);
    CHECK(first_matching_rule(p, anyone, tcp_to_server(24), nullptr) == 1);
    std::swap(p.rules[0], p.rules[1]);
    CHECK(first_matching_rule(p, anyone, tcp_to_server(23), nullptr) == 0);
}

TEST_CASE("port ranges include both ends") {
    AccessPolicy p;
    p.enabled = true;
    AccessRule r = rule("web", true);
    r.protocol = RuleProtocol::tcp;
    r.ports = {{80, 80}, {8000, 8080}};
    p.rules = {r};
    const RuleSubject anyone{"x", kCa, kNoGroups};
    for (unsigned port : {80u, 8000u, 8042u, 8080u}) CHECK(first_matching_rule(p, anyone, tcp_to_server(port), nullptr) == 0);
    for (unsigned port : {79u, 81u, 7999u, 8081u}) CHECK(first_matching_rule(p, anyone, tcp_to_server(port), nullptr) == kNoRule);
}

TEST_CASE("a fragment meets every deny rule's ports and no allow rule's: fragmenting bypasses nothing") {
    Packet frag = v4({10, 77, 0, 2}, {10, 77, 0, 1}, 6, ports(1, 80));
    put16(frag, 6, 0x0001);   // a later fragment, would-be port 80
    const InnerPacket f = packet(frag);
    const RuleSubject anyone{"x", kCa, kNoGroups};
    AccessPolicy p;
    p.enabled = true;
    AccessRule deny23 = rule("no-telnet", false);
    deny23.protocol = RuleProtocol::tcp;
    deny23.ports = {{23, 23}};
    AccessRule web = rule("web", true);
    web.protocol = RuleProtocol::tcp;
    web.ports = {{80, 80}};
    AccessRule tcp = rule("tcp", true);
    tcp.protocol = RuleProtocol::tcp;
    p.rules = {web, tcp};
    CHECK(first_matching_rule(p, anyone, f, nullptr) == 1);    // only the port-less allow applies
    p.rules = {deny23, tcp};
    CHECK(first_matching_rule(p, anyone, f, nullptr) == 0);    // the port deny catches it
    p.rules = {web};
    CHECK(first_matching_rule(p, anyone, f, nullptr) == kNoRule);
}

TEST_CASE("icmp means ICMP for IPv4 and ICMPv6 for IPv6; prefixes match their own family only") {
    AccessPolicy p;
    p.enabled = true;
    AccessRule r = rule("ping", true);
    r.protocol = RuleProtocol::icmp;
    r.to = {*parse_prefix("10.77.0.0/24"), *parse_prefix("fd77::/64")};
    p.rules = {r};
    const RuleSubject anyone{"x", kCa, kNoGroups};
    CHECK(first_matching_rule(p, anyone, packet(v4({10, 77, 0, 2}, {10, 77, 0, 1}, 1, echo(8, 1))), nullptr) == 0);
    CHECK(first_matching_rule(p, anyone, packet(v6(2, 1, 58, echo(128, 1))), nullptr) == 0);
    CHECK(first_matching_rule(p, anyone, packet(v6(2, 1, 1, echo(8, 1))), nullptr) == kNoRule);   // proto 1 in IPv6
    CHECK(first_matching_rule(p, anyone, packet(v4({10, 77, 0, 2}, {10, 78, 0, 1}, 1, echo(8, 1))), nullptr) == kNoRule);
}
