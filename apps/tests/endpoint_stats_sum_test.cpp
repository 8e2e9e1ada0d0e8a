// SPDX-License-Identifier: GPL-3.0-or-later
// The sums udpvpn-server's status and metrics show over its workers' endpoints.
#include "endpoint_stats_sum.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;

TEST_CASE("every counter of the workers' endpoints is summed") {
    EndpointStats a, b;
    a.dropped[3] = 2;
    b.dropped[3] = 5;
    b.dropped[31] = 1;
    a.unvalidated.bad_cookie = 1;
    b.unvalidated.over_budget = 4;
    a.sessions = 3;
    b.sessions = 4;
    a.half_open = 1;
    b.retries_sent = 6;
    a.handshakes_completed = 7;
    b.inner_dropped.queue_full = 8;
    a.resets_sent = 9;
    b.resets_rate_limited = 10;
    b.resets_received = 11;
    EndpointStats sum;
    add_stats(sum, a);
    add_stats(sum, b);
    CHECK(sum.dropped[3] == 7);
    CHECK(sum.dropped[31] == 1);
    CHECK(sum.unvalidated.bad_cookie == 1);
    CHECK(sum.unvalidated.over_budget == 4);
    CHECK(sum.sessions == 7);
    CHECK(sum.half_open == 1);
    CHECK(sum.retries_sent == 6);
    CHECK(sum.handshakes_completed == 7);
    CHECK(sum.inner_dropped.queue_full == 8);
    CHECK(sum.resets_sent == 9);
    CHECK(sum.resets_rate_limited == 10);
    CHECK(sum.resets_received == 11);

    EndpointDriver::Traffic t, u, total;
    t.udp_in_datagrams = 1;
    u.udp_in_datagrams = 2;
    t.inner_out_bytes = 100;
    u.inner_out_bytes = 50;
    add_traffic(total, t);
    add_traffic(total, u);
    CHECK(total.udp_in_datagrams == 3);
    CHECK(total.inner_out_bytes == 150);
}
