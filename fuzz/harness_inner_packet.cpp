// SPDX-License-Identifier: GPL-3.0-or-later
// The access rules' inner packet reader (apps/server/inner_packet.hpp) and the rule match that runs
// on what it reads (apps/server/access_rules.hpp), as the server runs them on every inner packet
// of a client when [access] is set.
// Input: the inner packet, whole.
// Invariants, checked against the packet bytes directly (an oracle written from RFC 791/8200, not
// through the reader): IPv4 without options and IPv6 without extension headers are read exactly
// (addresses, protocol, fragment flag, ports only for a complete TCP/UDP header of an unfragmented
// datagram, ICMP echo identifier); anything else is either read or reported with a named problem;
// a fragment never has ports; a port-restricted allow rule never matches a packet without ports,
// and a port-restricted deny rule matches every fragment of its protocol.
#include "harness.hpp"
#include "harness_support.hpp"

#include "access_rules.hpp"
#include "inner_packet.hpp"

#include <cstring>
#include <string>

using udpvpn::fuzz::check;
using namespace udpvpn;
using namespace udpvpn::app;

namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// What a plain header (IPv4 with IHL 5, IPv6 whose next header is the transport) must read as.
void check_plain(ByteView p, const InnerParse& r) {
    const bool v6 = (p[0] >> 4) == 6;
    const std::size_t hl = v6 ? 40 : 20;
    if (p.size() < hl) return check(r.problem == InnerProblem::truncated, "short header not truncated");
    const std::size_t total = v6 ? 40u + be16(p.data() + 4) : be16(p.data() + 2);
    if (!v6 && (p[0] & 0x0f) != 5) return;                  // options or a bad IHL: not plain
    if (total < hl || total > p.size()) return check(r.problem == InnerProblem::truncated, "length field beyond the packet not truncated");
    const std::uint8_t proto = v6 ? p[6] : p[9];
    if (v6 && (proto == 0 || proto == 43 || proto == 44 || proto == 60 || proto == 135 || proto == 139 ||
               proto == 140 || proto == 253 || proto == 254))
        return;                                              // extension headers: not plain
    const bool fragment = !v6 && (be16(p.data() + 6) & 0x3fff) != 0;
    const std::size_t l4 = total - hl;
    const std::uint8_t* t = p.data() + hl;
    const bool ports = !fragment && ((proto == 6 && l4 >= 20) || (proto == 17 && l4 >= 8));
    // ICMP and ICMPv6 alike in either IP version: an "icmp" rule names both.
    const bool icmp = !fragment && (proto == 1 || proto == 58);
    const bool truncated = !fragment && (((proto == 6 || proto == 17) && !ports) || (icmp && l4 < 8));
    if (!fragment && proto == 51) return check(r.problem == InnerProblem::extension_header, "AH not refused");
    if (truncated) return check(r.problem == InnerProblem::truncated, "short transport header not truncated");
    check(r.problem == InnerProblem::none, "a plain header reported as unreadable");
    const InnerPacket& h = r.packet;
    check(h.src.v6 == v6 && h.src.len == (v6 ? 128 : 32) && h.dst.len == h.src.len, "address family and length");
    check(std::memcmp(h.src.addr.data(), p.data() + (v6 ? 8 : 12), v6 ? 16 : 4) == 0, "source address");
    check(std::memcmp(h.dst.addr.data(), p.data() + (v6 ? 24 : 16), v6 ? 16 : 4) == 0, "destination address");
    check(h.protocol == proto && h.fragment == fragment && h.has_ports == ports, "protocol, fragment, ports");
    if (ports) check(h.src_port == be16(t) && h.dst_port == be16(t + 2), "port numbers");
    if (icmp) check(h.echo_id == be16(t + 4), "echo identifier");
}

}  // namespace

int run_inner_packet(const std::uint8_t* data, std::size_t size) {
    const ByteView p(data, size);
    const InnerParse r = parse_inner_packet(p);
    check(std::string(inner_problem_name(r.problem)) != "?", "an unnamed problem");
    if (size == 0 || ((p[0] >> 4) != 4 && (p[0] >> 4) != 6)) {
        check(r.problem == InnerProblem::not_ip, "not IP, yet read");
        return 0;
    }
    check_plain(p, r);
    if (r.problem != InnerProblem::none) return 0;
    const InnerPacket& h = r.packet;
    check(!(h.fragment && h.has_ports), "a fragment with ports");

    // One port-restricted allow and one port-restricted deny rule, for the packet's own protocol.
    const RuleProtocol proto = h.protocol == ip_proto::tcp ? RuleProtocol::tcp
                             : h.protocol == ip_proto::udp ? RuleProtocol::udp : RuleProtocol::any;
    if (proto == RuleProtocol::any) return 0;
    const std::string name = "c", issuer;
    const std::vector<std::string> groups;
    const RuleSubject who{name, issuer, groups};
    for (bool allow : {true, false}) {
        AccessPolicy policy;
        policy.enabled = true;
        AccessRule rule;
        rule.name = allow ? "allow" : "deny";
        rule.allow = allow;
        rule.protocol = proto;
        rule.ports = {{1000, 2000}};
        policy.rules.push_back(rule);
        const bool matched = first_matching_rule(policy, who, h, nullptr) == 0;
        const bool in_range = h.has_ports && h.dst_port >= 1000 && h.dst_port <= 2000;
        if (allow) check(matched == in_range, "a port allow rule matched a packet outside its ports or without ports");
        else check(matched == (in_range || h.fragment), "a port deny rule missed a fragment or matched outside its ports");
    }
    return 0;
}
