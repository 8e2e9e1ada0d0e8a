// SPDX-License-Identifier: GPL-3.0-or-later
#include "client_table.hpp"

namespace udpvpn::app {

ClientTable::ClientTable(std::optional<IpPrefix> pool4, std::optional<IpPrefix> pool6, unsigned slices,
                         unsigned slice)
    : has4_(pool4.has_value()), has6_(pool6.has_value()), pool4_(pool4, slices, slice),
      pool6_(pool6, slices, slice) {}

void ClientTable::set_fixed(const std::map<std::string, FixedAddress>& fixed) {
    pool4_.clear_fixed();
    pool6_.clear_fixed();
    for (const auto& [name, f] : fixed) {
        if (f.ipv4) pool4_.reserve_fixed(*f.ipv4);
        if (f.ipv6) pool6_.reserve_fixed(*f.ipv6);
    }
}

ClientTable::Refusal ClientTable::add(ClientEntry c, const FixedAddress& fixed) {
    const bool further = by_identity_.count(c.key) != 0;
    const FixedAddress f = further ? FixedAddress{} : fixed;
    c.ipv4.reset();
    c.ipv6.reset();
    if (has4_) c.ipv4 = pool4_.allocate(f.ipv4);
    if (has6_) c.ipv6 = pool6_.allocate(f.ipv6);
    if ((has4_ && !c.ipv4) || (has6_ && !c.ipv6)) {
        if (c.ipv4) pool4_.release(*c.ipv4);
        if (c.ipv6) pool6_.release(*c.ipv6);
        return (f.ipv4 || f.ipv6) ? Refusal::fixed_address_in_use : Refusal::pool_exhausted;
    }
    const SessionId sid = c.session;
    if (c.ipv4) by_v4_[c.ipv4->addr] = sid;
    if (c.ipv6) by_v6_[c.ipv6->addr] = sid;
    by_identity_[c.key].push_back(sid);
    clients_[sid] = std::move(c);
    return Refusal::none;
}

std::optional<ClientEntry> ClientTable::remove(SessionId sid) {
    auto it = clients_.find(sid);
    if (it == clients_.end()) return std::nullopt;
    ClientEntry c = std::move(it->second);
    clients_.erase(it);
    if (c.ipv4) {
        by_v4_.erase(c.ipv4->addr);
        pool4_.release(*c.ipv4);
    }
    if (c.ipv6) {
        by_v6_.erase(c.ipv6->addr);
        pool6_.release(*c.ipv6);
    }
    if (auto bi = by_identity_.find(c.key); bi != by_identity_.end()) {
        std::erase(bi->second, sid);
        if (bi->second.empty()) by_identity_.erase(bi);
    }
    return c;
}

void ClientTable::set_outer(SessionId sid, const PeerAddress& outer) {
    if (auto it = clients_.find(sid); it != clients_.end()) it->second.outer = outer;
}

const ClientEntry* ClientTable::find(SessionId sid) const {
    auto it = clients_.find(sid);
    return it == clients_.end() ? nullptr : &it->second;
}

std::optional<SessionId> ClientTable::session_for(const IpPrefix& dst) const {
    const auto& m = dst.v6 ? by_v6_ : by_v4_;
    auto it = m.find(dst.addr);
    if (it == m.end()) return std::nullopt;
    return it->second;
}

std::span<const SessionId> ClientTable::sessions_of(const std::string& key) const {
    auto it = by_identity_.find(key);
    if (it == by_identity_.end()) return {};
    return it->second;
}

}  // namespace udpvpn::app
