// SPDX-License-Identifier: GPL-3.0-or-later
#include "cookie.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;

namespace {

// Distinct bytes on every call, so each rotation draws a new secret.
class CountingRng final : public Rng {
public:
    void fill(MutableByteView out) noexcept override {
        ++calls_;
        for (auto& b : out) b = static_cast<std::uint8_t>(++n_ * 131);
    }
    int calls() const { return calls_; }
private:
    std::uint64_t n_ = 0;
    int calls_ = 0;
};

constexpr TimeNs kBucket = TimeNs{1} << kCookieBucketShift;
const PeerAddress kAddr = PeerAddress::from(std::array<std::uint8_t, 6>{192, 0, 2, 1, 0x1F, 0x90});
const PublicKey32 kEph = [] { PublicKey32 k{}; k.fill(0x11); return k; }();

}  // namespace

TEST_CASE("a cookie verifies for the same address, session id and key within its bucket") {
    CountingRng rng;
    CookieJar jar(rng);
    const TimeNs t = 5 * kBucket + 1000;
    const Cookie c = jar.make(t, kAddr, 42, kEph);
    CHECK(jar.verify(t, kAddr, 42, kEph, c));
    CHECK(jar.verify(t + kBucket / 2, kAddr, 42, kEph, c));
}

TEST_CASE("a cookie is bound to the address, the client session id and the ephemeral key") {
    CountingRng rng;
    CookieJar jar(rng);
    const Cookie c = jar.make(0, kAddr, 42, kEph);
    PeerAddress other = kAddr;
    other.bytes[3] = 2;
    CHECK_FALSE(jar.verify(0, other, 42, kEph, c));
    CHECK_FALSE(jar.verify(0, kAddr, 43, kEph, c));
    PublicKey32 eph2 = kEph;
    eph2[0] ^= 1;
    CHECK_FALSE(jar.verify(0, kAddr, 42, eph2, c));
    Cookie t = c;
    t[20] ^= 1;
    CHECK_FALSE(jar.verify(0, kAddr, 42, kEph, t));
    Cookie b = c;
    b[7] ^= 1;   // a forged bucket
    CHECK_FALSE(jar.verify(0, kAddr, 42, kEph, b));
    CHECK_FALSE(jar.verify(0, kAddr, 42, kEph, ByteView(c).first(23)));
}

TEST_CASE("a cookie from the previous bucket is accepted, older ones are expired") {
    CountingRng rng;
    CookieJar jar(rng);
    const TimeNs t = 10 * kBucket;
    const Cookie c = jar.make(t, kAddr, 42, kEph);
    CHECK(jar.verify(t + kBucket, kAddr, 42, kEph, c));          // secret rotated, previous kept
    CHECK_FALSE(jar.verify(t + 2 * kBucket, kAddr, 42, kEph, c)); // two buckets later: expired
}

TEST_CASE("the secret rotates from the Rng when the bucket advances and not before") {
    CountingRng rng;
    CookieJar jar(rng);
    const Cookie a = jar.make(0, kAddr, 1, kEph);
    const Cookie b = jar.make(kBucket - 1, kAddr, 1, kEph);
    CHECK(a == b);
    CHECK(rng.calls() == 1);
    const Cookie c = jar.make(kBucket, kAddr, 1, kEph);
    CHECK(rng.calls() == 2);
    CHECK(std::equal(c.begin() + 8, c.end(), a.begin() + 8) == false);
}

TEST_CASE("a jar with a different secret rejects the cookie (cookies cannot be minted without it)") {
    CountingRng rng1, rng2;
    Bytes skip(1);
    rng2.fill(skip);   // offset the second generator
    CookieJar jar1(rng1), jar2(rng2);
    const Cookie c = jar1.make(0, kAddr, 42, kEph);
    CHECK_FALSE(jar2.verify(0, kAddr, 42, kEph, c));
}
