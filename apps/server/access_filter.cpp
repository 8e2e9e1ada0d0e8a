// SPDX-License-Identifier: GPL-3.0-or-later
#include "access_filter.hpp"

#include <map>

namespace udpvpn::app {
namespace {

void count(AccessCount& c, std::size_t bytes) {
    ++c.packets;
    c.bytes += bytes;
}

}  // namespace

void AccessFilter::set_policy(AccessPolicy policy) {
    std::map<std::string, AccessCount> kept;
    for (const auto& r : counters_.rules) kept[r.name] = r.matched;
    counters_.rules.clear();
    for (const auto& r : policy.rules) counters_.rules.push_back({r.name, r.allow, kept[r.name]});
    policy_ = std::move(policy);
    flows_.clear();
}

bool AccessFilter::allows(const RuleSubject& from, ByteView packet, const RuleSubject* to_client, TimeNs now) {
    if (!policy_.enabled) return true;
    const InnerParse parsed = parse_inner_packet(packet);
    if (parsed.problem != InnerProblem::none) {
        ++counters_.unreadable[static_cast<std::size_t>(parsed.problem)];
        return false;
    }
    const InnerPacket& p = parsed.packet;
    if (to_client && flows_.is_reply(p, now)) {
        count(counters_.replies, packet.size());
        return true;
    }
    const std::size_t i = first_matching_rule(policy_, from, p, to_client);
    bool allow = policy_.default_allow;
    if (i == kNoRule) {
        count(counters_.default_action, packet.size());
    } else {
        count(counters_.rules[i].matched, packet.size());
        allow = policy_.rules[i].allow;
    }
    if (allow && to_client) flows_.opened(p, now, policy_.reply_timeout);
    return allow;
}

}  // namespace udpvpn::app
