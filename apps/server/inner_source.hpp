// SPDX-License-Identifier: GPL-3.0-or-later
// The server's check of an inner IP packet from a client (IP mode): a parseable header of the
// version its payload type says, sent from the inner address the server assigned to that client.
// Pure, so that the fuzz target inner_source (fuzz/harness_inner_source.cpp) runs the very code
// Server::on_client_packet runs.
#pragma once
#include "inet.hpp"
#include "ip_packet.hpp"

#include <udpvpn/types.hpp>

#include <optional>

namespace udpvpn::app {

enum class InnerSourceVerdict {
    ok,                  // header parsed, its source is the client's own address
    malformed,           // not an IP packet of the version `proto` says
    source_address,      // another source: spoofing another client, the server or anyone
    source_link_local,   // an IPv6 link-local source (router solicitations, MLD): normal, only counted
};

struct InnerSourceCheck {
    InnerSourceVerdict verdict = InnerSourceVerdict::malformed;
    std::optional<IpHeaderInfo> header;   // set unless malformed
};

// `proto` is ipv4 or ipv6 (the DATA payload type); own4 / own6 the client's assigned addresses.
inline InnerSourceCheck check_inner_source(InnerProtocol proto, ByteView packet, const std::optional<IpPrefix>& own4,
                                           const std::optional<IpPrefix>& own6) noexcept {
    InnerSourceCheck r;
    r.header = parse_ip_header(packet);
    if (!r.header || r.header->protocol != proto) {
        r.header.reset();
        return r;
    }
    const IpHeaderInfo& h = *r.header;
    const auto& own = h.src.v6 ? own6 : own4;
    if (own && own->v6 == h.src.v6 && own->addr == h.src.addr) {
        r.verdict = InnerSourceVerdict::ok;
    } else if (h.src.v6 && h.src.addr[0] == 0xfe && (h.src.addr[1] & 0xc0) == 0x80) {
        r.verdict = InnerSourceVerdict::source_link_local;
    } else {
        r.verdict = InnerSourceVerdict::source_address;
    }
    return r;
}

}  // namespace udpvpn::app
