// SPDX-License-Identifier: GPL-3.0-or-later
// The protocol's timer rules alone: each fires exactly at its boundary, never a tick before.
#include "timer_rules.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;

namespace {

constexpr TimeNs kStart = 1000 * kSecond;   // an arbitrary clock reading: rules use differences

}  // namespace

TEST_CASE("a handshake fails handshake_timeout after its start; the server's tail lasts as long") {
    Timers t;
    CHECK(handshake_deadline(t, kStart) == kStart + 10 * kSecond);
    t.handshake_timeout = 3 * kSecond;
    CHECK(handshake_deadline(t, kStart) == kStart + 3 * kSecond);
    CHECK(handshake_tail_end(t, kStart) == kStart + 3 * kSecond);
}

TEST_CASE("the client rekeys at rekey_after_time, the server kServerRekeyDelay later") {
    const Timers t;
    const std::uint64_t many = 1ull << 40;
    CHECK(rekey_time(t, Role::client, kStart) == kStart + 120 * kSecond);
    CHECK(rekey_time(t, Role::server, kStart) == kStart + 120 * kSecond + kServerRekeyDelay);
    for (Role role : {Role::client, Role::server}) {
        CAPTURE(static_cast<int>(role));
        const TimeNs due = rekey_time(t, role, kStart);
        CHECK_FALSE(rekey_due(t, role, kStart, 0, many, due - 1));
        CHECK(rekey_due(t, role, kStart, 0, many, due));
        CHECK(rekey_due(t, role, kStart, 0, many, due + kSecond));
    }
    // The client's rekey comes first: the server's rule never fires while the client's has not.
    CHECK(rekey_due(t, Role::client, kStart, 0, many, kStart + 125 * kSecond));
    CHECK_FALSE(rekey_due(t, Role::server, kStart, 0, many, kStart + 125 * kSecond));
}

TEST_CASE("a key is replaced once it sealed rekey_after_packets, whatever its age") {
    const Timers t;
    CHECK_FALSE(rekey_due(t, Role::client, kStart, 999, 1000, kStart));
    CHECK(rekey_due(t, Role::client, kStart, 1000, 1000, kStart));
    CHECK(rekey_due(t, Role::server, kStart, 1001, 1000, kStart));
}

TEST_CASE("a key seals nothing from reject_after_time or reject_after_packets on") {
    Timers t;
    t.reject_after_time = 180 * kSecond;
    CHECK(key_expiry(t, kStart) == kStart + 180 * kSecond);
    CHECK_FALSE(key_expired(t, kStart, kStart + 180 * kSecond - 1));
    CHECK(key_expired(t, kStart, kStart + 180 * kSecond));
    CHECK_FALSE(key_exhausted(t, kStart, 0, 100, kStart + 180 * kSecond - 1));
    CHECK(key_exhausted(t, kStart, 0, 100, kStart + 180 * kSecond));
    CHECK_FALSE(key_exhausted(t, kStart, 99, 100, kStart));
    CHECK(key_exhausted(t, kStart, 100, 100, kStart));
    // A rekey on time always comes before the hard limit with the defaults, for both roles.
    CHECK(rekey_time(t, Role::server, kStart) < key_expiry(t, kStart));
}

TEST_CASE("the previous receive key lives rekey_grace after a rekey") {
    Timers t;
    t.rekey_grace = 7 * kSecond;
    CHECK(previous_key_expiry(t, kStart) == kStart + 7 * kSecond);
}

TEST_CASE("keepalive after keepalive_interval of silence; the peer is dead after dead_peer_timeout") {
    const Timers t;
    CHECK(keepalive_time(t, kStart) == kStart + 10 * kSecond);
    CHECK_FALSE(keepalive_due(t, kStart, kStart + 10 * kSecond - 1));
    CHECK(keepalive_due(t, kStart, kStart + 10 * kSecond));
    CHECK(dead_peer_time(t, kStart) == kStart + 45 * kSecond);
    CHECK_FALSE(peer_dead(t, kStart, kStart + 45 * kSecond - 1));
    CHECK(peer_dead(t, kStart, kStart + 45 * kSecond));
    // Keepalives from a live peer come well inside the dead-peer timeout.
    CHECK(keepalive_time(t, kStart) < dead_peer_time(t, kStart));
}

TEST_CASE("re-verification, close linger and path challenges") {
    Timers t;
    CHECK(next_reverify_time(t, kStart) == kStart + 3600 * kSecond);
    CHECK(close_deadline(kStart) == kStart + kCloseLinger);
    CHECK(kCloseLinger == 2 * kSecond);
    t.control_rto = 300 * kMillisecond;
    // control_rto, doubling with each try.
    CHECK(next_path_challenge(t, kStart, 0) == kStart + 300 * kMillisecond);
    CHECK(next_path_challenge(t, kStart, 1) == kStart + 600 * kMillisecond);
    CHECK(next_path_challenge(t, kStart, 4) == kStart + 4800 * kMillisecond);
}
