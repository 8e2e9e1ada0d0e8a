// SPDX-License-Identifier: GPL-3.0-or-later
// The client's side of the handshake (libudpvpn/client_handshake.cpp): retransmission of its first
// flight and its timeout. The rest of its behaviour is checked end to end in handshake_test.
#include "handshake_harness.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::test;

TEST_CASE("a silent server: INITIAL is retransmitted with doubling PTO, then handshake_timeout at 10 s") {
    InitiatorConfig cfg;
    cfg.pad_datagrams = 0;
    DeterministicRng rng(5);
    ClientHandshake c(cfg, load_identity("client"), make_verifier("ca"), rng, 1, 0);
    Bytes buf(1500);
    std::vector<TimeNs> sends;
    TimeNs now = 0;
    while (c.state() != ClientHandshake::State::failed) {
        while (c.poll_datagram(now, buf).value > 0) sends.push_back(now);
        now = c.next_deadline();
        REQUIRE(now != kNever);
        c.on_timeout(now);
    }
    CHECK(c.failure() == Error::handshake_timeout);
    CHECK(now == 10 * kSecond);
    const std::vector<TimeNs> expect{0, 300 * kMillisecond, 900 * kMillisecond, 2100 * kMillisecond,
                                     4500 * kMillisecond, 9300 * kMillisecond};
    CHECK(sends == expect);
    CHECK(c.next_deadline() == kNever);
}

// ------------------------------------------------------------------------------------------------
// Known-answer vector: tests/vectors/handshake.vec
