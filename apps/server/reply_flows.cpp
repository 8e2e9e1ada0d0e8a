// SPDX-License-Identifier: GPL-3.0-or-later
#include "reply_flows.hpp"

#include <cstring>
#include <string_view>

namespace udpvpn::app {

ReplyFlows::Key ReplyFlows::key(bool v6, std::uint8_t proto, const IpPrefix& initiator, const IpPrefix& responder,
                                std::uint16_t iport, std::uint16_t rport) {
    Key k{};
    k[0] = v6;
    k[1] = proto;
    std::memcpy(k.data() + 2, initiator.addr.data(), 16);
    std::memcpy(k.data() + 18, responder.addr.data(), 16);
    k[34] = static_cast<std::uint8_t>(iport >> 8);
    k[35] = static_cast<std::uint8_t>(iport);
    k[36] = static_cast<std::uint8_t>(rport >> 8);
    k[37] = static_cast<std::uint8_t>(rport);
    return k;
}

std::size_t ReplyFlows::KeyHash::operator()(const Key& k) const noexcept {
    return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
}

void ReplyFlows::expire(TimeNs now) {
    std::erase_if(flows_, [now](const auto& kv) { return kv.second.expires <= now; });
}

void ReplyFlows::opened(const InnerPacket& p, TimeNs now, TimeNs timeout) {
    Key k;
    if (p.has_ports) k = key(p.src.v6, p.protocol, p.src, p.dst, p.src_port, p.dst_port);
    else if (p.echo == InnerPacket::Echo::request && !p.fragment) k = key(p.src.v6, p.protocol, p.src, p.dst, p.echo_id, 0);
    else return;
    auto it = flows_.find(k);
    if (it == flows_.end()) {
        if (flows_.size() >= max_) expire(now);
        if (flows_.size() >= max_) {
            ++table_full_;
            return;
        }
        it = flows_.emplace(k, Flow{}).first;
    }
    it->second = Flow{now + timeout, timeout};
}

bool ReplyFlows::is_reply(const InnerPacket& p, TimeNs now) {
    if (flows_.empty()) return false;
    Key k;
    if (p.has_ports) k = key(p.src.v6, p.protocol, p.dst, p.src, p.dst_port, p.src_port);
    else if (p.echo == InnerPacket::Echo::reply && !p.fragment) k = key(p.src.v6, p.protocol, p.dst, p.src, p.echo_id, 0);
    else return false;
    auto it = flows_.find(k);
    if (it == flows_.end()) return false;
    if (it->second.expires <= now) {
        flows_.erase(it);
        return false;
    }
    it->second.expires = now + it->second.timeout;
    return true;
}

void ReplyFlows::forget_address(const IpPrefix& a) {
    const bool v6 = a.v6;
    std::erase_if(flows_, [&](const auto& kv) {
        const Key& k = kv.first;
        return k[0] == v6 && (std::memcmp(k.data() + 2, a.addr.data(), 16) == 0 ||
                              std::memcmp(k.data() + 18, a.addr.data(), 16) == 0);
    });
}

}  // namespace udpvpn::app
