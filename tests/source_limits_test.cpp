// SPDX-License-Identifier: GPL-3.0-or-later
// Per-host and per-prefix limits on half-open sessions (docs/rfc-draft.txt, Section 10.4), the
// SourceLimits unit alone; tests/server_endpoint_test.cpp checks them through the server endpoint.
#include "source_limits.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using V = SourceLimits::Verdict;

namespace {

constexpr TimeNs kT0 = 100 * kSecond;

PeerAddress host(std::uint8_t net, std::uint8_t last, std::uint16_t port = 40000) {
    return PeerAddress::ipv4({10, 0, net, last}, port);
}

ServerEndpointConfig limits(std::size_t per_source, std::size_t per_prefix, std::uint32_t rate_source,
                       std::uint32_t rate_prefix) {
    ServerEndpointConfig c;
    c.max_half_open_per_source = per_source;
    c.max_half_open_per_prefix = per_prefix;
    c.handshake_rate_per_source = rate_source;
    c.handshake_rate_per_prefix = rate_prefix;
    return c;
}

}  // namespace

TEST_CASE("a host holds at most max_half_open_per_source; without a cookie it is asked for one") {
    SourceLimits l(limits(2, 100, 0, 0));
    CHECK(l.admit(kT0, host(1, 1), false) == V::open);
    CHECK(l.admit(kT0, host(1, 1, 50000), false) == V::open);   // another port is the same host
    CHECK(l.admit(kT0, host(1, 1), false) == V::retry);
    CHECK(l.admit(kT0, host(1, 2), false) == V::open);          // another host of the prefix
    // With a cookie only proven sessions count: the host has none yet.
    CHECK(l.admit(kT0, host(1, 1), true) == V::open);
    CHECK(l.admit(kT0, host(1, 1), true) == V::open);
    CHECK(l.admit(kT0, host(1, 1), true) == V::source_half_open);
    // A session that ends gives its slot back.
    l.release(kT0, host(1, 1), true);
    CHECK(l.admit(kT0, host(1, 1), true) == V::open);
}

TEST_CASE("an IPv4 /24 and an IPv6 /56 share max_half_open_per_prefix") {
    SourceLimits l(limits(100, 3, 0, 0));
    for (std::uint8_t i = 1; i <= 3; ++i) CHECK(l.admit(kT0, host(7, i), true) == V::open);
    CHECK(l.admit(kT0, host(7, 4), true) == V::prefix_half_open);
    CHECK(l.admit(kT0, host(7, 4), false) == V::retry);
    CHECK(l.admit(kT0, host(8, 4), true) == V::open);   // the next /24 is another prefix

    std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x12};
    std::array<std::uint8_t, 16> same56 = a, other56 = a;
    same56[7] = 0xFF;    // differs after the first 56 bits
    other56[6] = 0x13;   // differs inside them
    a[15] = 1;
    CHECK(l.admit(kT0, PeerAddress::ipv6(a, 1), true) == V::open);
    CHECK(l.admit(kT0, PeerAddress::ipv6(same56, 1), true) == V::open);
    same56[15] = 9;
    CHECK(l.admit(kT0, PeerAddress::ipv6(same56, 1), true) == V::open);
    same56[15] = 10;
    CHECK(l.admit(kT0, PeerAddress::ipv6(same56, 1), true) == V::prefix_half_open);
    CHECK(l.admit(kT0, PeerAddress::ipv6(other56, 1), true) == V::open);
}

TEST_CASE("the handshake rate of a host: a burst of `rate`, then `rate` per second") {
    SourceLimits l(limits(0, 0, 4, 0));   // no half-open limit: the rate alone
    for (int i = 0; i < 4; ++i) CHECK(l.admit(kT0, host(2, 1), true) == V::open);
    CHECK(l.admit(kT0, host(2, 1), true) == V::source_rate);
    // A quarter of a second refills one token.
    CHECK(l.admit(kT0 + kSecond / 4 - kMillisecond, host(2, 1), true) == V::source_rate);
    CHECK(l.admit(kT0 + kSecond / 2, host(2, 1), true) == V::open);
    // Proven and unproven sessions draw from separate buckets: cookies still open after a flood
    // of cookie-less INITIALs emptied the other one.
    SourceLimits m(limits(0, 0, 2, 0));
    CHECK(m.admit(kT0, host(3, 1), false) == V::open);
    CHECK(m.admit(kT0, host(3, 1), false) == V::open);
    CHECK(m.admit(kT0, host(3, 1), false) == V::retry);
    CHECK(m.admit(kT0, host(3, 1), true) == V::open);
}

TEST_CASE("the prefix rate is checked after the host rate") {
    SourceLimits l(limits(0, 0, 10, 2));
    CHECK(l.admit(kT0, host(4, 1), true) == V::open);
    CHECK(l.admit(kT0, host(4, 2), true) == V::open);
    CHECK(l.admit(kT0, host(4, 3), true) == V::prefix_rate);
}

TEST_CASE("a refused admission keeps no state, a refunded one gives its token back") {
    SourceLimits l(limits(1, 10, 1, 0));
    CHECK(l.admit(kT0, host(5, 1), true) == V::open);
    CHECK(l.tracked() == 2);   // the host and its prefix
    CHECK(l.admit(kT0, host(6, 1), true) == V::open);
    CHECK(l.tracked() == 4);
    // Released with a refund (a later check refused the INITIAL): the token is back and, with no
    // session left and full buckets, the entries are forgotten.
    l.release(kT0, host(6, 1), true, true);
    CHECK(l.tracked() == 2);
    CHECK(l.admit(kT0, host(6, 1), true) == V::open);
    // Released without a refund: the spent token is not back until it refills.
    l.release(kT0, host(6, 1), true);
    CHECK(l.admit(kT0, host(6, 1), true) == V::source_rate);
    CHECK(l.admit(kT0 + kSecond, host(6, 1), true) == V::open);
}

TEST_CASE("the table holds at most 4 x max_half_open entries; idle ones are swept first") {
    ServerEndpointConfig c = limits(10, 10, 1, 1);
    c.max_half_open = 16;   // capacity 64 entries: 32 hosts, each in its own prefix
    SourceLimits l(c);
    for (std::uint8_t i = 0; i < 32; ++i) CHECK(l.admit(kT0, host(i, 1), true) == V::open);
    CHECK(l.tracked() == 64);
    CHECK(l.admit(kT0, host(100, 1), true) == V::table_full);
    CHECK(l.admit(kT0, host(100, 1), false) == V::retry);
    // Sessions that ended and buckets that refilled make room again.
    for (std::uint8_t i = 0; i < 32; ++i) l.release(kT0, host(i, 1), true);
    CHECK(l.admit(kT0 + 2 * kSecond, host(100, 1), true) == V::open);
    CHECK(l.tracked() == 2);
}
