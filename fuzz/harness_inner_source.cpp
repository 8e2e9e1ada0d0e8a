// SPDX-License-Identifier: GPL-3.0-or-later
// The server's inner IP header parser and source check (apps/common/ip_packet.hpp,
// apps/server/inner_source.hpp, as Server::on_client_packet runs them on every inner packet from a
// client in IP mode).
// Input: flags (1) | the client's IPv4 address (4) | its IPv6 address (16) | the packet (the rest).
//   flags bit 0: payload type IPv6 (else IPv4); bit 1: the client has an IPv4 address; bit 2: an
//   IPv6 address.
// Invariants (checked against the packet bytes directly, not through the parser): a verdict other
// than malformed only for a header of the payload type's version and full length (20 / 40 bytes);
// source and destination are the header's bytes at 12/16 (IPv4) or 8/24 (IPv6); ok only when the
// source is the client's own address of that family; link-local only for an IPv6 fe80::/10 source.
#include "harness.hpp"
#include "harness_support.hpp"

#include "inner_source.hpp"

#include <cstring>

using udpvpn::fuzz::check;
using namespace udpvpn;
using namespace udpvpn::app;

int run_inner_source(const std::uint8_t* data, std::size_t size) {
    if (size < 21) return 0;
    const std::uint8_t flags = data[0];
    const InnerProtocol proto = (flags & 1) ? InnerProtocol::ipv6 : InnerProtocol::ipv4;
    std::optional<IpPrefix> own4, own6;
    if (flags & 2) {
        own4.emplace();
        own4->len = 32;
        std::memcpy(own4->addr.data(), data + 1, 4);
    }
    if (flags & 4) {
        own6.emplace();
        own6->v6 = true;
        own6->len = 128;
        std::memcpy(own6->addr.data(), data + 5, 16);
    }
    const ByteView packet(data + 21, size - 21);
    const InnerSourceCheck r = check_inner_source(proto, packet, own4, own6);

    const bool v6 = proto == InnerProtocol::ipv6;
    const std::size_t need = v6 ? 40 : 20, src_at = v6 ? 8 : 12, dst_at = v6 ? 24 : 16, alen = v6 ? 16 : 4;
    const bool well_formed = packet.size() >= need && (packet[0] >> 4) == (v6 ? 6 : 4);
    check((r.verdict == InnerSourceVerdict::malformed) == !well_formed, "malformed verdict disagrees with the header");
    check(r.header.has_value() == well_formed, "header given exactly when well-formed");
    if (!well_formed) return 0;
    const IpHeaderInfo& h = *r.header;
    check(h.protocol == proto && h.src.v6 == v6 && h.dst.v6 == v6, "parsed family");
    check(h.src.len == (v6 ? 128 : 32) && h.dst.len == h.src.len, "parsed prefixes are host prefixes");
    check(std::memcmp(h.src.addr.data(), packet.data() + src_at, alen) == 0, "source is not the header's");
    check(std::memcmp(h.dst.addr.data(), packet.data() + dst_at, alen) == 0, "destination is not the header's");
    const std::optional<IpPrefix>& own = v6 ? own6 : own4;
    const bool is_own = own && std::memcmp(own->addr.data(), packet.data() + src_at, alen) == 0;
    const bool link_local = v6 && packet[src_at] == 0xfe && (packet[src_at + 1] & 0xc0) == 0x80;
    check((r.verdict == InnerSourceVerdict::ok) == is_own, "ok exactly for the client's own source");
    check((r.verdict == InnerSourceVerdict::source_link_local) == (!is_own && link_local),
          "link-local verdict exactly for another fe80::/10 source");
    return 0;
}
