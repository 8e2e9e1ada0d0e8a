// SPDX-License-Identifier: GPL-3.0-or-later
#include "identity_clash.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;
using V = IdentityClashes::Verdict;

static PeerAddress v4(std::uint8_t last, std::uint16_t port) {
    PeerAddress a;
    a.len = 7;
    a.bytes[0] = 4;
    a.bytes[1] = static_cast<std::uint8_t>(port >> 8);
    a.bytes[2] = static_cast<std::uint8_t>(port);
    a.bytes[3] = 192; a.bytes[4] = 168; a.bytes[5] = 101; a.bytes[6] = last;
    return a;
}

TEST_CASE("the same host reconnecting from another port always replaces its session") {
    IdentityClashes c;
    for (int i = 0; i < 10; ++i) CHECK(c.decide("alice", v4(2, 1000 + i), v4(2, 2000 + i), i * kSecond).verdict == V::reconnect);
    CHECK(c.size() == 0);
}

TEST_CASE("two machines with one certificate: one move, then the holder is kept with a growing hold") {
    IdentityClashes c;
    const PeerAddress a = v4(2, 5000), b = v4(3, 6000);
    CHECK(c.decide("alice", a, b, 0).verdict == V::move);                  // b takes over once
    auto d = c.decide("alice", b, a, 1 * kSecond);                          // a comes back at once
    CHECK(d.verdict == V::clash);
    CHECK(d.hold == 30 * kSecond);
    // a keeps retrying every second for the whole hold: refused, b keeps its session.
    int flaps = 0;
    for (TimeNs t = 2 * kSecond; t < 31 * kSecond; t += kSecond) {
        const auto v = c.decide("alice", b, a, t).verdict;
        CHECK(v == V::held);
        flaps += v != V::held;
    }
    CHECK(flaps == 0);
    // After the hold a moves the session once more; b coming back is a clash with a doubled hold.
    CHECK(c.decide("alice", b, a, 32 * kSecond).verdict == V::move);
    d = c.decide("alice", a, b, 33 * kSecond);
    CHECK(d.verdict == V::clash);
    CHECK(d.hold == 60 * kSecond);
}

TEST_CASE("a machine that moves once in a long while is never held") {
    IdentityClashes c;
    const PeerAddress home = v4(2, 5000), cafe = v4(9, 7000);
    CHECK(c.decide("bob", home, cafe, 0).verdict == V::move);
    CHECK(c.decide("bob", cafe, home, 2 * IdentityClashes::kMoveWindow).verdict == V::move);
    c.expire(1000 * kSecond);
    CHECK(c.size() == 0);   // forgotten after 10 quiet minutes
}

TEST_CASE("the hold is capped at ten minutes") {
    IdentityClashes c;
    const PeerAddress a = v4(2, 1), b = v4(3, 1);
    TimeNs t = 0, hold = 0;
    for (int i = 0; i < 8; ++i) {
        CHECK(c.decide("carol", a, b, t).verdict == V::move);
        const auto d = c.decide("carol", b, a, t + kSecond);
        REQUIRE(d.verdict == V::clash);
        hold = d.hold;
        t += kSecond + hold;
    }
    CHECK(hold == 600 * kSecond);
}
