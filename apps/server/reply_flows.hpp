// SPDX-License-Identifier: GPL-3.0-or-later
// Client-to-client replies: a packet from A to B that a rule allowed opens its flow, and for
// `timeout` after the latest such packet B's answers to it (same addresses and ports swapped, or the
// ICMP echo reply to A's echo request) pass without a rule of B's own. Without this, letting the
// group "ops" reach other clients would need those clients to be allowed to reach "ops" too.
#pragma once
#include "inner_packet.hpp"

#include <udpvpn/types.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace udpvpn::app {

class ReplyFlows {
public:
    explicit ReplyFlows(std::size_t max_flows = 65536) : max_(max_flows) {}

    // A rule allowed `p` (from the initiator): opens or refreshes its flow. Packets with neither
    // ports nor an echo request (fragments, other protocols) open none.
    void opened(const InnerPacket& p, TimeNs now, TimeNs timeout);
    // `p` answers an open flow (and refreshes it).
    bool is_reply(const InnerPacket& p, TimeNs now);
    // The rules changed, or an address left with its client.
    void clear() { flows_.clear(); }
    void forget_address(const IpPrefix& a);
    std::size_t size() const noexcept { return flows_.size(); }
    std::uint64_t table_full() const noexcept { return table_full_; }   // flows not opened: full

private:
    using Key = std::array<std::uint8_t, 38>;   // v6, proto, initiator addr, responder addr, ports
    struct Flow {
        TimeNs expires = 0;
        TimeNs timeout = 0;
    };
    static Key key(bool v6, std::uint8_t proto, const IpPrefix& initiator, const IpPrefix& responder,
                   std::uint16_t iport, std::uint16_t rport);
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    void expire(TimeNs now);

    std::size_t max_;
    std::unordered_map<Key, Flow, KeyHash> flows_;
    std::uint64_t table_full_ = 0;
};

}  // namespace udpvpn::app
