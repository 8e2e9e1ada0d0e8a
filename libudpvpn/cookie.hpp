// SPDX-License-Identifier: GPL-3.0-or-later
// Stateless RETRY cookies (docs/rfc-draft.txt, Section 10.3):
//   cookie = bucket (u64 = now_ns / 2^32, ~4.3 s) || BLAKE2b-128(secret_bucket,
//            bucket || source address || client_sid || client_eph_pub)
// The secret rotates with the bucket: a fresh one is drawn from the Rng whenever the bucket advances,
// and the previous bucket's secret is kept, so a cookie stays valid for 4.3 to 8.6 s: a client
// returns it one round trip after the RETRY. Nothing about a client is stored before it does; a
// cookie that opened a half-open session is remembered for as long as it is valid, so that a
// captured one cannot open another (claim()).
// With a cluster key (servers behind one load balancer, Section 10.5) the secret of each bucket is
// derived from it instead of drawn, and the bucket counts wall-clock time (now + clock offset), so
// every server of the cluster makes and accepts the same cookies, with the same 4.3 to 8.6 s life.
#pragma once
#include "cluster_key.hpp"
#include "secret.hpp"
#include "wire_format.hpp"

#include <udpvpn/rng.hpp>
#include <udpvpn/types.hpp>

#include <cstring>
#include <unordered_set>

namespace udpvpn {

inline constexpr unsigned kCookieBucketShift = 32;   // §10.3: bucket = now_ns >> 32 (4.29 s)

class CookieJar {
public:
    explicit CookieJar(Rng& rng) noexcept : rng_(rng) {}
    // Shared secrets: `cluster_key` must outlive the jar.
    CookieJar(Rng& rng, const PresharedKey* cluster_key, TimeNs clock_offset) noexcept
        : rng_(rng), cluster_key_(cluster_key), clock_offset_(clock_offset) {}

    Cookie make(TimeNs now, const PeerAddress& from, SessionId client_sid, const PublicKey32& client_eph_pub) noexcept;
    // true if the cookie's bucket is the current or the previous one and the MAC matches (constant time).
    bool verify(TimeNs now, const PeerAddress& from, SessionId client_sid, const PublicKey32& client_eph_pub,
                ByteView cookie) noexcept;
    // A verified cookie is about to open a half-open session: true the first time, false if it
    // already opened one (a replay) or if `capacity` cookies of its bucket were claimed already.
    enum class Claim { first, replayed, full };
    Claim claim(const Cookie& cookie, std::size_t capacity);

private:
    std::uint64_t bucket_of(TimeNs now) const noexcept { return (now + clock_offset_) >> kCookieBucketShift; }
    void rotate(std::uint64_t bucket) noexcept;
    void mac(const Secret32& key, std::uint64_t bucket, const PeerAddress& from, SessionId sid,
             const PublicKey32& eph, std::uint8_t out[16]) const noexcept;

    struct MacHash {
        std::size_t operator()(const std::array<std::uint8_t, 16>& m) const noexcept {
            std::size_t h;   // the MAC is keyed and uniform: its first bytes are a good hash
            std::memcpy(&h, m.data(), sizeof h);
            return h;
        }
    };
    using Claimed = std::unordered_set<std::array<std::uint8_t, 16>, MacHash>;

    Rng& rng_;
    const PresharedKey* cluster_key_ = nullptr;
    TimeNs clock_offset_ = 0;
    Claimed claimed_current_, claimed_previous_;   // MACs of claimed cookies, per bucket
    bool have_current_ = false, have_previous_ = false;
    std::uint64_t bucket_ = 0;     // bucket of current_
    Secret32 current_, previous_;  // previous_ belongs to bucket_ - 1
};

}  // namespace udpvpn
