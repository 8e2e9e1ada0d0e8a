// SPDX-License-Identifier: GPL-3.0-or-later
#include "cookie.hpp"

#include "bytes_io.hpp"

#include <sodium.h>

namespace udpvpn {

void CookieJar::rotate(std::uint64_t bucket) noexcept {
    if (have_current_ && bucket <= bucket_) return;   // time never runs backwards for us
    if (cluster_key_) {
        // Derived: the previous bucket's secret exists whatever the gap, as at the other servers.
        previous_ = cluster_cookie_secret(*cluster_key_, bucket - 1);
        have_previous_ = true;
        if (have_current_ && bucket == bucket_ + 1) claimed_previous_.swap(claimed_current_);
        else claimed_previous_.clear();
        claimed_current_.clear();
        current_ = cluster_cookie_secret(*cluster_key_, bucket);
        bucket_ = bucket;
        have_current_ = true;
        return;
    }
    if (have_current_ && bucket == bucket_ + 1) {
        previous_ = current_;
        have_previous_ = true;
        claimed_previous_.swap(claimed_current_);
    } else {
        previous_.wipe();
        have_previous_ = false;   // a gap of more than one bucket: the old secret is useless
        claimed_previous_.clear();
    }
    claimed_current_.clear();
    rng_.fill(current_.expose_mut());
    bucket_ = bucket;
    have_current_ = true;
}

void CookieJar::mac(const Secret32& key, std::uint64_t bucket, const PeerAddress& from, SessionId sid,
                    const PublicKey32& eph, std::uint8_t out[16]) const noexcept {
    crypto_generichash_state st;
    crypto_generichash_init(&st, key.data(), key.size(), 16);
    std::uint8_t hdr[8 + 4];
    Writer w(hdr);
    w.u64(bucket);
    crypto_generichash_update(&st, hdr, 8);
    crypto_generichash_update(&st, from.bytes.data(), from.len);
    Writer w2(MutableByteView(hdr).subspan(8));
    w2.u32(sid);
    crypto_generichash_update(&st, hdr + 8, 4);
    crypto_generichash_update(&st, eph.data(), eph.size());
    crypto_generichash_final(&st, out, 16);
    sodium_memzero(&st, sizeof st);
}

Cookie CookieJar::make(TimeNs now, const PeerAddress& from, SessionId client_sid,
                       const PublicKey32& client_eph_pub) noexcept {
    const std::uint64_t bucket = bucket_of(now);
    rotate(bucket);
    Cookie c{};
    Writer w(c);
    w.u64(bucket_);
    mac(current_, bucket_, from, client_sid, client_eph_pub, c.data() + 8);
    return c;
}

bool CookieJar::verify(TimeNs now, const PeerAddress& from, SessionId client_sid, const PublicKey32& client_eph_pub,
                       ByteView cookie) noexcept {
    if (cookie.size() != kCookieSize) return false;
    rotate(bucket_of(now));
    Reader r(cookie);
    const std::uint64_t bucket = r.u64();
    const Secret32* key = nullptr;
    if (bucket == bucket_) key = &current_;
    else if (have_previous_ && bucket + 1 == bucket_) key = &previous_;
    if (!key) return false;
    std::uint8_t expect[16];
    mac(*key, bucket, from, client_sid, client_eph_pub, expect);
    return crypto_verify_16(expect, cookie.data() + 8) == 0;
}

CookieJar::Claim CookieJar::claim(const Cookie& cookie, std::size_t capacity) {
    Reader r(cookie);
    const std::uint64_t bucket = r.u64();
    // verify() just accepted it, so its bucket is the current or the previous one.
    Claimed& set = bucket == bucket_ ? claimed_current_ : claimed_previous_;
    std::array<std::uint8_t, 16> mac;
    std::memcpy(mac.data(), cookie.data() + 8, mac.size());
    if (set.count(mac)) return Claim::replayed;
    if (set.size() >= capacity) return Claim::full;
    set.insert(mac);
    return Claim::first;
}

}  // namespace udpvpn
