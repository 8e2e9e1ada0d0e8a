// SPDX-License-Identifier: GPL-3.0-or-later
#include "source_limits.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace udpvpn {

namespace {
constexpr std::uint8_t kHost = 1, kPrefix = 2;
bool is_ipv4(const PeerAddress& a) noexcept { return a.len == 7 && a.bytes[0] == 4; }
bool is_ipv6(const PeerAddress& a) noexcept { return a.len == 19 && a.bytes[0] == 6; }
}  // namespace

SourceLimits::SourceLimits(const ServerEndpointConfig& c)
    : host_{c.max_half_open_per_source, c.handshake_rate_per_source},
      prefix_{c.max_half_open_per_prefix, c.handshake_rate_per_prefix},
      capacity_(std::max<std::size_t>(64, 4 * c.max_half_open)) {}

std::size_t SourceLimits::KeyHash::operator()(const Key& k) const noexcept {
    // Keys are chosen by the sources; a keyed hash is not needed at this size, but spread them well.
    std::uint64_t h = 1469598103934665603ull;
    for (std::uint8_t b : k) h = (h ^ b) * 1099511628211ull;
    return static_cast<std::size_t>(h);
}

SourceLimits::Key SourceLimits::host_key(const PeerAddress& a) noexcept {
    Key k{};
    k[0] = kHost;
    if (is_ipv4(a) || is_ipv6(a)) {
        k[1] = a.bytes[0];
        std::memcpy(k.data() + 2, a.bytes.data() + 3, a.len - 3u);   // the IP address, not the port
    } else {
        crypto_generichash(k.data() + 2, 16, a.bytes.data(), a.len, nullptr, 0);   // opaque: itself
    }
    return k;
}

SourceLimits::Key SourceLimits::prefix_key(const PeerAddress& a) noexcept {
    Key k = host_key(a);
    k[0] = kPrefix;
    if (is_ipv4(a)) std::memset(k.data() + 2 + 3, 0, 16 - 3);   // /24
    if (is_ipv6(a)) std::memset(k.data() + 2 + 7, 0, 16 - 7);   // /56
    return k;
}

void SourceLimits::refill(Bucket& b, std::uint32_t rate, TimeNs now) noexcept {
    if (now <= b.at) return;
    const double added = static_cast<double>(now - b.at) * rate / static_cast<double>(kSecond);
    b.tokens = std::min<double>(rate, b.tokens + added);
    b.at = now;
}

bool SourceLimits::idle(const Entry& e, const Limit& l, TimeNs now) noexcept {
    if (e.unproven || e.proven) return false;
    Bucket any = e.any, proven = e.proven_rate;
    refill(any, l.rate, now);
    refill(proven, l.rate, now);
    return any.tokens >= l.rate && proven.tokens >= l.rate;
}

void SourceLimits::sweep(TimeNs now) {
    for (auto it = table_.begin(); it != table_.end();) {
        if (idle(it->second, it->first[0] == kHost ? host_ : prefix_, now)) it = table_.erase(it);
        else ++it;
    }
}

SourceLimits::Entry& SourceLimits::entry(const Key& k, const Limit& l, TimeNs now, bool& fresh) {
    auto [it, inserted] = table_.try_emplace(k);
    fresh = inserted;
    if (inserted) it->second.any = it->second.proven_rate = Bucket{static_cast<double>(l.rate), now};
    refill(it->second.any, l.rate, now);
    refill(it->second.proven_rate, l.rate, now);
    return it->second;
}

SourceLimits::Verdict SourceLimits::admit(TimeNs now, const PeerAddress& from, bool cookie) {
    if (table_.size() + 2 > capacity_) sweep(now);
    if (table_.size() + 2 > capacity_) return cookie ? Verdict::table_full : Verdict::retry;
    const Key hk = host_key(from), pk = prefix_key(from);
    bool host_fresh = false, prefix_fresh = false;
    Entry& h = entry(hk, host_, now, host_fresh);
    Entry& p = entry(pk, prefix_, now, prefix_fresh);   // node-based map: `h` stays valid
    auto full = [cookie](const Entry& e, const Limit& l) {
        if (l.half_open == 0) return false;
        return cookie ? e.proven >= l.half_open : e.unproven + e.proven >= l.half_open;
    };
    auto dry = [cookie](const Entry& e, const Limit& l) {
        return l.rate != 0 && (cookie ? e.proven_rate : e.any).tokens < 1.0;
    };
    Verdict v = Verdict::open;
    if (full(h, host_)) v = Verdict::source_half_open;
    else if (full(p, prefix_)) v = Verdict::prefix_half_open;
    else if (dry(h, host_)) v = Verdict::source_rate;
    else if (dry(p, prefix_)) v = Verdict::prefix_rate;
    if (v != Verdict::open) {
        if (host_fresh) table_.erase(hk);
        if (prefix_fresh) table_.erase(pk);
        return cookie ? v : Verdict::retry;
    }
    for (auto [e, l] : {std::pair<Entry*, const Limit*>{&h, &host_}, {&p, &prefix_}}) {
        if (l->rate) (cookie ? e->proven_rate : e->any).tokens -= 1.0;
        (cookie ? e->proven : e->unproven)++;
    }
    return Verdict::open;
}

void SourceLimits::release(TimeNs now, const PeerAddress& from, bool cookie, bool refund) {
    for (const Key& k : {host_key(from), prefix_key(from)}) {
        auto it = table_.find(k);
        if (it == table_.end()) continue;
        const Limit& l = k[0] == kHost ? host_ : prefix_;
        Entry& e = it->second;
        std::uint32_t& n = cookie ? e.proven : e.unproven;
        if (n > 0) --n;
        if (refund && l.rate) {
            Bucket& b = cookie ? e.proven_rate : e.any;
            b.tokens = std::min<double>(l.rate, b.tokens + 1.0);
        }
        if (idle(e, l, now)) table_.erase(it);
    }
}

}  // namespace udpvpn
