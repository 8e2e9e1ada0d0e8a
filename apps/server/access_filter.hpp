// SPDX-License-Identifier: GPL-3.0-or-later
// The access rules applied to the packets clients send: the policy, the client-to-client reply
// flows and a counter per rule. The server asks allows() for every inner packet from a client
// (once its source address is checked) and keeps one AccessFilter for its lifetime; SIGHUP hands it
// new rules with set_policy().
#pragma once
#include "access_rules.hpp"
#include "inner_packet.hpp"
#include "reply_flows.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace udpvpn::app {

struct AccessCount {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;   // whole inner IP packets
};

// What the rules did, since the start (status socket "access"; metrics exporters read this).
struct AccessCounters {
    struct Rule {
        std::string name;
        bool allow = false;
        AccessCount matched;   // packets this rule decided
    };
    std::vector<Rule> rules;              // one per [[access.rule]], in order
    AccessCount default_action;           // no rule matched: access.default decided
    AccessCount replies;                  // client-to-client answers let through by an open flow
    std::array<std::uint64_t, kInnerProblems> unreadable{};   // refused unread, by InnerProblem
};

class AccessFilter {
public:
    // Replaces the rules. A rule's counter carries over when a rule of the same name stays (names
    // are unique); open reply flows are closed, so what the new rules refuse stops at once.
    void set_policy(AccessPolicy policy);
    const AccessPolicy& policy() const noexcept { return policy_; }
    bool enabled() const noexcept { return policy_.enabled; }

    // One inner packet `from` a client; `to_client`: the receiving client when the destination is
    // another client's address. True: forward it. Always true while the policy is off.
    bool allows(const RuleSubject& from, ByteView packet, const RuleSubject* to_client, TimeNs now);

    const AccessCounters& counters() const noexcept { return counters_; }
    std::size_t open_flows() const noexcept { return flows_.size(); }
    void forget_address(const IpPrefix& a) { flows_.forget_address(a); }

private:
    AccessPolicy policy_;
    AccessCounters counters_;
    ReplyFlows flows_;
};

}  // namespace udpvpn::app
