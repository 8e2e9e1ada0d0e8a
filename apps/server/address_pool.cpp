// SPDX-License-Identifier: GPL-3.0-or-later
#include "address_pool.hpp"

namespace udpvpn::app {
namespace {

// Adds `n` to the address, big-endian, within 16 bytes.
std::array<std::uint8_t, 16> add(std::array<std::uint8_t, 16> a, std::size_t size, std::uint64_t n) {
    for (std::size_t i = size; i-- > 0 && n;) {
        const std::uint64_t s = a[i] + (n & 0xFF);
        a[i] = static_cast<std::uint8_t>(s);
        n = (n >> 8) + (s >> 8);
    }
    return a;
}

}  // namespace

AddressPool::AddressPool(std::optional<IpPrefix> pool, unsigned slices, unsigned slice) {
    if (!pool) return;
    pool_ = pool->network();
    slice_ = slice_of(*pool_, slices, slice);
    if (!slice_) pool_.reset();   // the configuration check refuses this before we get here
}

std::optional<IpPrefix> AddressPool::slice_of(const IpPrefix& pool, unsigned slices, unsigned slice) {
    unsigned bits = 0;
    while ((1u << bits) < slices) ++bits;
    const unsigned host_len = pool.v6 ? 128 : 32;
    if (slices == 0 || (1u << bits) != slices || slice >= slices || pool.len + bits + 2 > host_len) return std::nullopt;
    IpPrefix s = pool.network();
    s.len = static_cast<std::uint8_t>(pool.len + bits);
    // The slice number goes into the `bits` address bits right after the pool's prefix.
    for (unsigned j = 0; j < bits; ++j) {
        const unsigned pos = pool.len + j;   // from the most significant bit
        if ((slice >> (bits - 1 - j)) & 1u) s.addr[pos / 8] |= static_cast<std::uint8_t>(0x80u >> (pos % 8));
    }
    return s;
}

std::optional<IpPrefix> AddressPool::server_address() const {
    if (!pool_) return std::nullopt;
    IpPrefix s = *pool_;   // the first host of our slice, on a link as long as the whole pool
    s.addr = add(slice_->addr, pool_->addr_size(), 1);
    return s;
}

bool AddressPool::usable(const Key& k) const {
    IpPrefix h = *pool_;
    h.addr = k;
    h.len = pool_->v6 ? 128 : 32;
    if (!pool_->contains(h)) return false;
    if (k == pool_->addr) return false;                       // network address
    if (k == server_address()->addr) return false;            // ours
    if (!pool_->v6) {                                         // broadcast
        IpPrefix b = *pool_;
        const unsigned hostBits = 32u - pool_->len;
        b.addr = add(pool_->addr, 4, (hostBits >= 64 ? ~0ull : ((1ull << hostBits) - 1)));
        if (k == b.addr) return false;
    }
    return true;
}

std::optional<IpPrefix> AddressPool::allocate(const std::optional<IpPrefix>& fixed) {
    if (!pool_) return std::nullopt;
    const std::uint8_t hostLen = pool_->v6 ? 128 : 32;
    if (fixed) {
        if (fixed->v6 != pool_->v6 || !usable(fixed->addr) || used_.count(fixed->addr)) return std::nullopt;
        used_.insert(fixed->addr);
        IpPrefix r = *fixed;
        r.len = hostLen;
        return r;
    }
    for (std::uint64_t i = lowest_free_; i < host_limit(); ++i) {
        const Key k = add(slice_->addr, slice_->addr_size(), i);
        if (!usable(k) || used_.count(k) || fixed_.count(k)) continue;
        used_.insert(k);
        lowest_free_ = i + 1;
        IpPrefix r = *pool_;
        r.addr = k;
        r.len = hostLen;
        return r;
    }
    lowest_free_ = host_limit();
    return std::nullopt;
}

// Scan at most a million candidates: enough for any real deployment, bounded for a /64.
std::uint64_t AddressPool::host_limit() const {
    const unsigned hostBits = (pool_->v6 ? 128u : 32u) - slice_->len;
    return hostBits >= 20 ? (1ull << 20) : (1ull << hostBits);
}

// The host number of `k` inside our slice, if it is one the search above could reach.
std::optional<std::uint64_t> AddressPool::host_index(const Key& k) const {
    IpPrefix h = *slice_;
    h.addr = k;
    h.len = slice_->v6 ? 128 : 32;
    if (!slice_->contains(h)) return std::nullopt;
    // The slice's host bits are zero, so XOR leaves the host number; the search reaches 2^20.
    const std::size_t size = slice_->addr_size();
    std::uint64_t index = 0;
    for (std::size_t i = 0; i < size; ++i) {
        const std::uint8_t host_byte = k[i] ^ slice_->addr[i];
        if (i + 3 < size && host_byte != 0) return std::nullopt;
        index = (index << 8) | host_byte;
    }
    if (index >= host_limit()) return std::nullopt;
    return index;
}

void AddressPool::release(const IpPrefix& host) {
    if (used_.erase(host.addr) == 0 || !pool_) return;
    if (const auto i = host_index(host.addr); i && *i < lowest_free_) lowest_free_ = *i;
}

bool AddressPool::in_use(const IpPrefix& host) const { return used_.count(host.addr) != 0; }

}  // namespace udpvpn::app
