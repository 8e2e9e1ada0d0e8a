// SPDX-License-Identifier: GPL-3.0-or-later
// Inner addresses for clients: a fixed address per identity from the configuration, otherwise the
// lowest free host address of the pool. The server owns the first host address; the network and
// (IPv4) broadcast addresses are never handed out.
// Several servers behind one load balancer share a pool cut into `slices` equal parts: each hands
// out addresses of its own part only (and takes the first host of that part itself), so no two
// hand out the same address and the network behind them can route each part to its server.
// Fixed addresses may lie anywhere in the pool.
#pragma once
#include "inet.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>

namespace udpvpn::app {

class AddressPool {
public:
    explicit AddressPool(std::optional<IpPrefix> pool = std::nullopt, unsigned slices = 1, unsigned slice = 0);

    // The part of `pool` numbered `slice` of `slices` (a power of two); nullopt if the pool is too
    // small for that many parts of at least 4 addresses.
    static std::optional<IpPrefix> slice_of(const IpPrefix& pool, unsigned slices, unsigned slice);

    // The server's own address (first host, with the pool's length); nullopt if no pool.
    std::optional<IpPrefix> server_address() const;

    // Reserves `fixed` if given (and free, and inside the pool), else the lowest free host.
    // nullopt when the pool is exhausted or the fixed address is taken.
    std::optional<IpPrefix> allocate(const std::optional<IpPrefix>& fixed);
    void release(const IpPrefix& host);
    bool in_use(const IpPrefix& host) const;
    std::size_t used() const noexcept { return used_.size(); }
    // Fixed addresses are never handed out dynamically.
    void reserve_fixed(const IpPrefix& host) { fixed_.insert(key(host)); }
    void clear_fixed() {
        fixed_.clear();
        lowest_free_ = kFirstClient;   // a reserved address below the mark may be free now
    }

private:
    using Key = std::array<std::uint8_t, 16>;
    static constexpr std::uint64_t kFirstClient = 2;   // host 0: network, host 1: this server
    static Key key(const IpPrefix& p) { return p.addr; }
    bool usable(const Key& k) const;
    std::uint64_t host_limit() const;
    std::optional<std::uint64_t> host_index(const Key& k) const;

    std::optional<IpPrefix> pool_;
    std::optional<IpPrefix> slice_;   // where dynamic addresses come from (the pool when 1 slice)
    std::set<Key> used_;
    std::set<Key> fixed_;
    // Every host of the slice below this index is taken, reserved or unusable: the search for the
    // lowest free host starts here, so that a server filling up with 10,000 clients does not scan
    // all the addresses it handed out before on each handshake.
    std::uint64_t lowest_free_ = kFirstClient;
};

}  // namespace udpvpn::app
