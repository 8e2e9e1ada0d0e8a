// SPDX-License-Identifier: GPL-3.0-or-later
// Stateless RETRY cookies (docs/rfc-draft.txt, Section 10.3):
//   cookie = bucket (u64 = now_ns / 2^36, ~68.7 s) || BLAKE2b-128(secret_bucket,
//            bucket || source address || client_sid || client_eph_pub)
// The secret rotates with the bucket: a fresh one is drawn from the Rng whenever the bucket advances,
// and the previous bucket's secret is kept, so a cookie stays valid for 68.7 to 137 s. Nothing about
// a client is stored.
#pragma once
#include "secret.hpp"
#include "wire_format.hpp"

#include <udpvpn/rng.hpp>
#include <udpvpn/types.hpp>

namespace udpvpn {

inline constexpr unsigned kCookieBucketShift = 36;   // §1.3: bucket = now_ns >> 36

class CookieJar {
public:
    explicit CookieJar(Rng& rng) noexcept : rng_(rng) {}

    Cookie make(TimeNs now, const PeerAddress& from, SessionId client_sid, const PublicKey32& client_eph_pub) noexcept;
    // true if the cookie's bucket is the current or the previous one and the MAC matches (constant time).
    bool verify(TimeNs now, const PeerAddress& from, SessionId client_sid, const PublicKey32& client_eph_pub,
                ByteView cookie) noexcept;

private:
    void rotate(std::uint64_t bucket) noexcept;
    void mac(const Secret32& key, std::uint64_t bucket, const PeerAddress& from, SessionId sid,
             const PublicKey32& eph, std::uint8_t out[16]) const noexcept;

    Rng& rng_;
    bool have_current_ = false, have_previous_ = false;
    std::uint64_t bucket_ = 0;     // bucket of current_
    Secret32 current_, previous_;  // previous_ belongs to bucket_ - 1
};

}  // namespace udpvpn
