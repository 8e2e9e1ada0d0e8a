// SPDX-License-Identifier: GPL-3.0-or-later
#include "inner_packet.hpp"

#include <cstring>

namespace udpvpn::app {
namespace {

constexpr std::uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kDestOptions = 60, kAh = 51;
constexpr int kMaxExtensionHeaders = 8;

std::uint16_t be16(const std::uint8_t* p) noexcept { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

InnerParse fail(InnerProblem p) noexcept {
    InnerParse r;
    r.problem = p;
    return r;
}

// The transport header at `l4` (`len` bytes up to the end of the IP datagram).
InnerProblem read_transport(InnerPacket& out, const std::uint8_t* l4, std::size_t len) noexcept {
    if (out.fragment) return InnerProblem::none;   // no transport header to trust
    switch (out.protocol) {
    case ip_proto::tcp:
    case ip_proto::udp:
        if (len < (out.protocol == ip_proto::tcp ? 20u : 8u)) return InnerProblem::truncated;
        out.src_port = be16(l4);
        out.dst_port = be16(l4 + 2);
        out.has_ports = true;
        return InnerProblem::none;
    case ip_proto::icmp:
    case ip_proto::icmpv6: {
        if (len < 8) return InnerProblem::truncated;
        const bool v6 = out.protocol == ip_proto::icmpv6;
        const std::uint8_t type = l4[0];
        if (type == (v6 ? 128 : 8)) out.echo = InnerPacket::Echo::request;
        else if (type == (v6 ? 129 : 0)) out.echo = InnerPacket::Echo::reply;
        out.echo_id = be16(l4 + 4);
        return InnerProblem::none;
    }
    case kAh: return InnerProblem::extension_header;   // hides the transport behind it
    default: return InnerProblem::none;                // no ports: only port-less rules match
    }
}

InnerParse parse_v4(ByteView p) noexcept {
    if (p.size() < 20) return fail(InnerProblem::truncated);
    const std::size_t ihl = (p[0] & 0x0f) * 4u;
    const std::size_t total = be16(p.data() + 2);
    if (ihl < 20 || total < ihl || total > p.size()) return fail(InnerProblem::truncated);
    if (ihl > 20) return fail(InnerProblem::ip_options);
    InnerParse r;
    InnerPacket& h = r.packet;
    h.src.len = h.dst.len = 32;
    std::memcpy(h.src.addr.data(), p.data() + 12, 4);
    std::memcpy(h.dst.addr.data(), p.data() + 16, 4);
    h.protocol = p[9];
    const std::uint16_t frag = be16(p.data() + 6);
    h.fragment = (frag & 0x2000) != 0 || (frag & 0x1fff) != 0;   // more fragments, or an offset
    r.problem = read_transport(h, p.data() + ihl, total - ihl);
    return r;
}

InnerParse parse_v6(ByteView p) noexcept {
    if (p.size() < 40) return fail(InnerProblem::truncated);
    const std::size_t total = 40u + be16(p.data() + 4);
    if (total > p.size()) return fail(InnerProblem::truncated);   // (jumbograms: payload length 0, refused below)
    InnerParse r;
    InnerPacket& h = r.packet;
    h.src.v6 = h.dst.v6 = true;
    h.src.len = h.dst.len = 128;
    std::memcpy(h.src.addr.data(), p.data() + 8, 16);
    std::memcpy(h.dst.addr.data(), p.data() + 24, 16);
    std::uint8_t next = p[6];
    std::size_t off = 40;
    for (int n = 0;; ++n) {
        if (next != kHopByHop && next != kRouting && next != kFragment && next != kDestOptions) break;
        if (n == kMaxExtensionHeaders) return fail(InnerProblem::extension_header);
        if (total - off < 8) return fail(InnerProblem::truncated);
        const std::uint8_t* e = p.data() + off;
        std::size_t len = (e[1] + 1u) * 8u;
        if (next == kFragment) {
            len = 8;
            const std::uint16_t fo = be16(e + 2);
            if ((fo & 0xfff8) != 0 || (fo & 1) != 0) h.fragment = true;
        } else if (next == kRouting && e[3] != 0) {
            return fail(InnerProblem::routing_header);   // segments left: not the final destination
        }
        if (total - off < len) return fail(InnerProblem::truncated);
        next = e[0];
        off += len;
    }
    switch (next) {
    case 135: case 139: case 140: case 253: case 254:   // Mobility, HIP, Shim6, experiments
        return fail(InnerProblem::extension_header);
    default: break;
    }
    h.protocol = next;
    r.problem = read_transport(h, p.data() + off, total - off);
    return r;
}

}  // namespace

const char* inner_problem_name(InnerProblem p) noexcept {
    switch (p) {
    case InnerProblem::none: return "none";
    case InnerProblem::truncated: return "truncated";
    case InnerProblem::ip_options: return "ip_options";
    case InnerProblem::routing_header: return "routing_header";
    case InnerProblem::extension_header: return "extension_header";
    case InnerProblem::not_ip: return "not_ip";
    }
    return "?";
}

InnerParse parse_inner_packet(ByteView p) noexcept {
    if (p.empty()) return fail(InnerProblem::not_ip);
    switch (p[0] >> 4) {
    case 4: return parse_v4(p);
    case 6: return parse_v6(p);
    default: return fail(InnerProblem::not_ip);
    }
}

}  // namespace udpvpn::app
