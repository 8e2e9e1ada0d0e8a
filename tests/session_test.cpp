// SPDX-License-Identifier: GPL-3.0-or-later
#include "session.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;

TEST_CASE("the core state of an established session fits in 4 KiB") {
    // Keys, replay windows, counters and timers live inline; the peer's identity, its chain and the
    // control channel are separate, bounded allocations made once per session.
    CHECK(sizeof(Session) <= 4096);
    MESSAGE("sizeof(Session) = " << sizeof(Session));
}

TEST_CASE("AEAD usage limits follow the suite and the configuration") {
    CommonConfig c;
    AeadLimits gcm = aead_limits(Suite::aes256_gcm, c);
    CHECK(gcm.reject_after_packets == (1ull << 23));
    CHECK(gcm.rekey_after_packets < gcm.reject_after_packets);
    AeadLimits chacha = aead_limits(Suite::chacha20_poly1305, c);
    CHECK(chacha.max_failed_opens == (1ull << 36));
    c.rekey_after_packets = 1000;
    c.reject_after_packets = 500;
    AeadLimits odd = aead_limits(Suite::chacha20_poly1305, c);
    CHECK(odd.rekey_after_packets < odd.reject_after_packets);   // never rekey after the hard limit
}
