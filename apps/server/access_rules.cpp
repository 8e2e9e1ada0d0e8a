// SPDX-License-Identifier: GPL-3.0-or-later
#include "access_rules.hpp"

#include <algorithm>

namespace udpvpn::app {
namespace {

bool listed(const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

bool any_listed(const std::vector<std::string>& wanted, const std::vector<std::string>& have) {
    return std::any_of(have.begin(), have.end(), [&](const std::string& g) { return listed(wanted, g); });
}

bool who_matches(const AccessRule& r, const RuleSubject& s) {
    if (!r.identities.empty() && !listed(r.identities, s.name)) return false;
    if (!r.groups.empty() && !any_listed(r.groups, s.groups)) return false;
    return r.issuer.empty() || r.issuer == s.issuer;
}

bool protocol_matches(RuleProtocol want, const InnerPacket& p) {
    switch (want) {
    case RuleProtocol::any: return true;
    case RuleProtocol::tcp: return p.protocol == ip_proto::tcp;
    case RuleProtocol::udp: return p.protocol == ip_proto::udp;
    case RuleProtocol::icmp: return p.src.v6 ? p.protocol == ip_proto::icmpv6 : p.protocol == ip_proto::icmp;
    }
    return false;
}

// Fail closed: a packet whose ports are unknown (a fragment) meets every deny rule's ports and
// no allow rule's, so a port rule can never be side-stepped by fragmenting.
bool ports_match(const AccessRule& r, const InnerPacket& p) {
    if (r.ports.empty()) return true;
    if (!p.has_ports) return !r.allow;
    return std::any_of(r.ports.begin(), r.ports.end(),
                       [&](const PortRange& pr) { return p.dst_port >= pr.first && p.dst_port <= pr.last; });
}

bool destination_matches(const AccessRule& r, const InnerPacket& p, const RuleSubject* to_client) {
    if (r.to_clients != (to_client != nullptr)) return false;
    if (!r.to.empty() &&
        std::none_of(r.to.begin(), r.to.end(), [&](const IpPrefix& pre) { return pre.contains(p.dst); }))
        return false;
    return r.to_groups.empty() || (to_client && any_listed(r.to_groups, to_client->groups));
}

}  // namespace

std::size_t first_matching_rule(const AccessPolicy& policy, const RuleSubject& from, const InnerPacket& packet,
                                const RuleSubject* to_client) noexcept {
    for (std::size_t i = 0; i < policy.rules.size(); ++i) {
        const AccessRule& r = policy.rules[i];
        if (who_matches(r, from) && destination_matches(r, packet, to_client) && protocol_matches(r.protocol, packet) &&
            ports_match(r, packet))
            return i;
    }
    return kNoRule;
}

const char* rule_protocol_name(RuleProtocol p) noexcept {
    switch (p) {
    case RuleProtocol::any: return "any";
    case RuleProtocol::tcp: return "tcp";
    case RuleProtocol::udp: return "udp";
    case RuleProtocol::icmp: return "icmp";
    }
    return "?";
}

}  // namespace udpvpn::app
