// SPDX-License-Identifier: GPL-3.0-or-later
// The server's clients: one entry per session it accepted, the inner addresses the entry holds from
// the address pools, and the two indexes the server looks sessions up by: the inner destination
// address of a packet (forwarding) and the client's identity (sessions per identity, oldest first).
// Entering a client and removing it keep the entry, its addresses and both indexes together.
#pragma once
#include "address_pool.hpp"
#include "server_config.hpp"

#include <udpvpn/certificate.hpp>
#include <udpvpn/types.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace udpvpn::app {

struct ClientEntry {
    SessionId session = 0;
    std::string identity;   // the name logs, pppd and [clients.<name>] use
    std::string key;        // issuer + subject (server.identity): what one client is
    PeerIdentity peer;
    std::vector<std::string> groups;   // subject OUs: what access rules call groups
    PeerAddress outer;
    std::optional<IpPrefix> ipv4, ipv6;   // host addresses from the pools (ClientTable::add)
    Suite suite{};
};

class ClientTable {
public:
    // The pools inner addresses come from (either may be absent), cut into `slices` (AddressPool).
    ClientTable(std::optional<IpPrefix> pool4, std::optional<IpPrefix> pool6, unsigned slices = 1,
                unsigned slice = 0);

    // [clients.<name>] fixed addresses: never handed out to anyone else. A reload replaces them;
    // clients already holding an address keep it.
    void set_fixed(const std::map<std::string, FixedAddress>& fixed);

    enum class Refusal { none, fixed_address_in_use, pool_exhausted };
    // Gives `client` an address from each pool there is, `fixed`'s where it names one, and enters
    // it under client.session. A further session of an identity already in the table gets pool
    // addresses: the fixed ones are taken. On a refusal nothing is held and nothing entered.
    Refusal add(ClientEntry client, const FixedAddress& fixed);
    // Removes the session's entry and frees its addresses; returns it (nullopt if unknown).
    std::optional<ClientEntry> remove(SessionId session);
    // The client roamed: its new outer address.
    void set_outer(SessionId session, const PeerAddress& outer);

    const ClientEntry* find(SessionId session) const;
    // The session holding inner address `dst` (a host address; the prefix length is ignored).
    std::optional<SessionId> session_for(const IpPrefix& dst) const;
    // The sessions of an identity (by ClientEntry::key), oldest first.
    std::span<const SessionId> sessions_of(const std::string& key) const;

    std::size_t size() const noexcept { return clients_.size(); }
    auto begin() const { return clients_.begin(); }
    auto end() const { return clients_.end(); }

    std::optional<IpPrefix> server_address4() const { return pool4_.server_address(); }
    std::optional<IpPrefix> server_address6() const { return pool6_.server_address(); }

private:
    using AddrKey = std::array<std::uint8_t, 16>;

    bool has4_, has6_;
    AddressPool pool4_, pool6_;
    std::map<SessionId, ClientEntry> clients_;
    std::map<AddrKey, SessionId> by_v4_, by_v6_;
    std::map<std::string, std::vector<SessionId>> by_identity_;
};

}  // namespace udpvpn::app
