// SPDX-License-Identifier: GPL-3.0-or-later
// Access rules ([[access.rule]] in udpvpn.conf(5)): which inner destinations a client may send to,
// decided by who the client is (identity, certificate groups = subject OUs, issuer) and by what the
// packet is (destination prefix, protocol, port). The first matching rule wins; none: the default.
#pragma once
#include "inet.hpp"
#include "inner_packet.hpp"

#include <udpvpn/types.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace udpvpn::app {

enum class RuleProtocol : std::uint8_t { any, tcp, udp, icmp };   // icmp: ICMP and ICMPv6

struct PortRange {
    std::uint16_t first = 0, last = 0;
    friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct AccessRule {
    std::string name;                     // unique; labels the rule's counter
    bool allow = false;
    // Who: every listed criterion must hold; an empty list matches anyone.
    std::vector<std::string> identities;  // the client's name (server.identity): one of these
    std::vector<std::string> groups;      // the certificate's subject OUs: at least one of these
    std::string issuer;                   // RFC 4514 issuer DN; "" = any CA
    // What: destinations behind the server, or (to_clients) other clients of this server.
    bool to_clients = false;
    std::vector<IpPrefix> to;             // empty: any address (of that kind)
    std::vector<std::string> to_groups;   // to_clients only: the receiving client's OUs, one of these
    RuleProtocol protocol = RuleProtocol::any;
    std::vector<PortRange> ports;         // tcp/udp only; empty: every port
    friend bool operator==(const AccessRule&, const AccessRule&) = default;
};

struct AccessPolicy {
    std::vector<AccessRule> rules;
    // Off (no [access] section, no rule): every destination allowed, client_to_client alone decides.
    bool enabled = false;
    bool default_allow = false;           // access.default; "deny" unless set
    TimeNs reply_timeout = 120 * kSecond; // how long a client-to-client flow lets replies back
    friend bool operator==(const AccessPolicy&, const AccessPolicy&) = default;
};

// A client as the rules see it (borrowed strings).
struct RuleSubject {
    const std::string& name;
    const std::string& issuer;
    const std::vector<std::string>& groups;
};

constexpr std::size_t kNoRule = static_cast<std::size_t>(-1);

// The index of the first rule that matches a readable packet from `from`; kNoRule: the default
// applies. `to_client` is the receiving client when the destination is another client's address.
std::size_t first_matching_rule(const AccessPolicy& policy, const RuleSubject& from, const InnerPacket& packet,
                                const RuleSubject* to_client) noexcept;

const char* rule_protocol_name(RuleProtocol p) noexcept;

}  // namespace udpvpn::app
