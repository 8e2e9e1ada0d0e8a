// SPDX-License-Identifier: GPL-3.0-or-later
// What the access rules look at in an inner packet (addresses, transport protocol, ports, ICMP
// echo identifier), read fail-closed: a packet whose transport cannot be read safely is reported
// as unreadable and the rules refuse it, so no header trick can slip past a port rule
// (udpvpn.conf(5), ACCESS RULES, "What the rules see").
#pragma once
#include "inet.hpp"

#include <udpvpn/types.hpp>

#include <cstdint>

namespace udpvpn::app {

namespace ip_proto {
constexpr std::uint8_t icmp = 1, tcp = 6, udp = 17, icmpv6 = 58;
}

struct InnerPacket {
    IpPrefix src, dst;              // host prefixes (/32 or /128)
    std::uint8_t protocol = 0;      // the transport (IPv6: after the extension headers)
    // Part of a fragmented datagram (first or not): ports unknown. Access rules treat it as
    // matching every deny rule's ports and no allow rule's ports.
    bool fragment = false;
    bool has_ports = false;         // TCP or UDP, complete header, not a fragment
    std::uint16_t src_port = 0, dst_port = 0;
    enum class Echo : std::uint8_t { none, request, reply } echo = Echo::none;   // ICMP(v6) echo
    std::uint16_t echo_id = 0;
    bool icmp() const noexcept { return protocol == ip_proto::icmp || protocol == ip_proto::icmpv6; }
};

// Why a packet was not readable; the names are the status socket's (access.unreadable).
enum class InnerProblem : std::uint8_t {
    none,
    truncated,          // shorter than its IP header, its length field or its transport header
    ip_options,         // IPv4 header with options (source routing among them): refused
    routing_header,     // IPv6 routing header with segments left: the real destination is elsewhere
    extension_header,   // an IPv6 extension header we do not walk (AH, Mobility, HIP, ...),
                        //   AH in IPv4 too, or more than 8 of them: the transport stays hidden
    not_ip,             // neither IPv4 nor IPv6
};
constexpr std::size_t kInnerProblems = 6;
const char* inner_problem_name(InnerProblem p) noexcept;

struct InnerParse {
    InnerProblem problem = InnerProblem::not_ip;   // none: `packet` is filled in
    InnerPacket packet;
};

// Never reads past `p`, never throws.
InnerParse parse_inner_packet(ByteView p) noexcept;

}  // namespace udpvpn::app
