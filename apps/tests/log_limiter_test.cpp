// SPDX-License-Identifier: GPL-3.0-or-later
#include "log_limiter.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;

TEST_CASE("a flood of one kind gives the burst, then one summary with the count") {
    LogLimiter l(5, 10 * kSecond);
    int logged = 0;
    for (int i = 0; i < 3842; ++i) logged += l.admit("refused client: handshake timed out", i * kMillisecond / 2);
    CHECK(logged == 5);
    CHECK(l.due(5 * kSecond).empty());   // the window has not ended
    const auto s = l.due(10 * kSecond);
    REQUIRE(s.size() == 1);
    CHECK(s[0].suppressed == 3837);
    CHECK(LogLimiter::format(s[0]) == "refused client: handshake timed out ... and 3,837 more in the last 10 s");
    CHECK(l.due(30 * kSecond).empty());   // reported once
}

TEST_CASE("kinds are limited separately and a quiet kind is never summarised") {
    LogLimiter l(2, 10 * kSecond);
    CHECK(l.admit("a", 0));
    CHECK(l.admit("a", 0));
    CHECK_FALSE(l.admit("a", 0));
    CHECK(l.admit("b", 0));   // another kind still logs
    const auto s = l.due(11 * kSecond);
    REQUIRE(s.size() == 1);
    CHECK(s[0].kind == "a");
    CHECK(s[0].suppressed == 1);
}

TEST_CASE("a new window logs again; the previous window's count is not lost") {
    LogLimiter l(1, 10 * kSecond);
    CHECK(l.admit("k", 0));
    CHECK_FALSE(l.admit("k", 1 * kSecond));
    CHECK_FALSE(l.admit("k", 2 * kSecond));
    CHECK(l.admit("k", 12 * kSecond));   // next window, before anyone asked for the summary
    const auto s = l.due(12 * kSecond);
    REQUIRE(s.size() == 1);
    CHECK(s[0].suppressed == 2);
    CHECK(LogLimiter::format({"k", 1234567, 10 * kSecond}) == "k ... and 1,234,567 more in the last 10 s");
}
