// SPDX-License-Identifier: GPL-3.0-or-later
#include <doctest/doctest.h>

#include "control_channel.hpp"
#include "pmtu_probe.hpp"

#include <map>
#include <random>

using namespace udpvpn;

namespace {

constexpr std::uint16_t kBase = 1232;
constexpr std::uint16_t kMaxProbe = 1452;
constexpr TimeNs kRtt = 40 * kMillisecond;

// Drives a prober over a simulated path that drops every datagram above `path_limit` and, at
// random, a fraction `loss` of the others. Returns the virtual time the search took; checks that
// result() never exceeds what the path allows.
TimeNs search(PmtuProbe& p, std::uint16_t path_limit, double loss, std::uint64_t seed, TimeNs start = 0,
              std::size_t* probes = nullptr) {
    std::mt19937_64 rng(seed);
    std::multimap<TimeNs, std::uint16_t> acks;   // arrival time -> acknowledged size
    TimeNs now = start;
    std::size_t sent = 0;
    for (int i = 0; i < 10000; ++i) {   // the first probe_due() may start a search
        while (auto size = p.probe_due(now)) {
            ++sent;
            REQUIRE(*size > p.result());
            REQUIRE(*size <= kMaxProbe);
            const bool lost = *size > path_limit || std::uniform_real_distribution<double>(0, 1)(rng) < loss;
            if (!lost) acks.emplace(now + kRtt, *size);
        }
        while (!acks.empty() && acks.begin()->first <= now) {
            p.on_ack(acks.begin()->second);
            acks.erase(acks.begin());
        }
        REQUIRE(p.result() <= std::max(path_limit, kBase));
        if (!p.searching()) break;
        TimeNs next = p.next_deadline();
        if (!acks.empty()) next = std::min(next, acks.begin()->first);
        now = std::max(now, next);
    }
    if (probes) *probes = sent;
    return now - start;
}

}  // namespace

TEST_CASE("the search converges to the exact path limit and never reports more") {
    for (std::uint16_t limit : {kBase, std::uint16_t{1233}, std::uint16_t{1280}, std::uint16_t{1399},
                                std::uint16_t{1400}, std::uint16_t{1451}, kMaxProbe}) {
        CAPTURE(limit);
        PmtuProbe p;
        p.start(0, kBase, kMaxProbe);
        std::size_t probes = 0;
        const TimeNs took = search(p, limit, 0.0, limit, 0, &probes);
        CHECK(p.result() == limit);
        CHECK_FALSE(p.searching());
        MESSAGE("limit " << limit << ": " << probes << " probes, " << took / kMillisecond << " ms");
    }
}

TEST_CASE("a path wider than the probing bound stops at the bound") {
    PmtuProbe p;
    p.start(0, kBase, kMaxProbe);
    search(p, 9000, 0.0, 1);
    CHECK(p.result() == kMaxProbe);
}

TEST_CASE("a path narrower than the base size keeps the base size (the caller's assumption)") {
    PmtuProbe p;
    p.start(0, kBase, kMaxProbe);
    search(p, 1000, 0.0, 1);
    CHECK(p.result() == kBase);
}

TEST_CASE("a size is given up only after three unanswered probes, one second apart") {
    PmtuProbe p;
    p.start(0, kBase, kMaxProbe);
    const auto first = p.probe_due(0);
    REQUIRE(first);
    CHECK(*first == kBase + (kMaxProbe - kBase + 1) / 2);
    CHECK_FALSE(p.probe_due(PmtuProbe::kProbeTimeout - 1));
    CHECK(p.probe_due(PmtuProbe::kProbeTimeout) == first);
    CHECK(p.probe_due(2 * PmtuProbe::kProbeTimeout) == first);
    const auto smaller = p.probe_due(3 * PmtuProbe::kProbeTimeout);
    REQUIRE(smaller);
    CHECK(*smaller < *first);
    CHECK(p.result() == kBase);
}

TEST_CASE("random probe loss never makes the result exceed the path, and the re-probe recovers") {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        CAPTURE(seed);
        PmtuProbe p;
        p.start(0, kBase, kMaxProbe);
        const TimeNs took = search(p, 1400, 0.3, seed);
        CHECK(p.result() <= 1400);
        // Whatever the first search found, later searches every 10 minutes climb to the limit.
        TimeNs now = took;
        for (int round = 0; round < 10 && p.result() < 1400; ++round) {
            const TimeNs wake = p.next_deadline();
            CHECK(wake >= now + PmtuProbe::kReprobeInterval - 1);
            now = wake + search(p, 1400, 0.3, seed * 100 + round, wake);
            REQUIRE(p.result() <= 1400);
        }
        CHECK(p.result() == 1400);
    }
}

TEST_CASE("after ten minutes the prober searches again and finds a path that grew") {
    PmtuProbe p;
    p.start(0, kBase, kMaxProbe);
    const TimeNs t1 = search(p, 1300, 0.0, 1);
    REQUIRE(p.result() == 1300);
    const TimeNs wake = p.next_deadline();
    CHECK(wake == t1 + PmtuProbe::kReprobeInterval);
    CHECK_FALSE(p.probe_due(wake - 1));
    search(p, 1420, 0.0, 2, wake);
    CHECK(p.result() == 1420);
}

TEST_CASE("acknowledgements of sizes never probed are ignored") {
    PmtuProbe p;
    p.start(0, kBase, kMaxProbe);
    const auto s = p.probe_due(0);
    REQUIRE(s);
    p.on_ack(static_cast<std::uint16_t>(*s + 1));
    p.on_ack(kMaxProbe);
    p.on_ack(60000);
    CHECK(p.result() == kBase);
    p.on_ack(*s);
    CHECK(p.result() == *s);
}

TEST_CASE("probing disabled or nothing to find: no probe is ever due") {
    PmtuProbe p;
    CHECK_FALSE(p.probe_due(0));
    CHECK(p.next_deadline() == kNever);
    p.start(0, kBase, 0);   // inner_mtu 0: hi <= lo
    CHECK_FALSE(p.probe_due(0));
    CHECK_FALSE(p.probe_due(3600 * kSecond));
    CHECK(p.result() == kBase);
    CHECK(p.next_deadline() == kNever);
}

TEST_CASE("probes travel through two control channels and their acknowledgements drive the search") {
    Timers t;
    ControlChannel client(t), server(t);
    PmtuProbe p;
    p.start(0, kBase, kMaxProbe);
    const std::uint16_t path_limit = 1372;
    std::map<std::uint32_t, std::uint16_t> probe_sizes;   // probe_id -> datagram size
    std::uint32_t next_id = 1;
    TimeNs now = 0;
    Bytes buf(2000);
    for (int i = 0; i < 1000 && p.searching(); ++i) {
        while (auto size = p.probe_due(now)) {
            const std::size_t payload = *size - kDataOverhead;
            REQUIRE(write_probe_payload(next_id, payload, buf) == payload);
            probe_sizes[next_id++] = *size;
            if (*size <= path_limit) REQUIRE(server.on_payload(now, ByteView(buf).first(payload)) == Error::ok);
        }
        for (std::size_t n; (n = server.poll_payload(now, buf)) != 0;)
            REQUIRE(client.on_payload(now, ByteView(buf).first(n)) == Error::ok);
        while (auto ack = client.poll_probe_ack()) {
            REQUIRE(probe_sizes.count(ack->first) == 1);
            CHECK(ack->second == probe_sizes[ack->first]);   // the server measured what we sent
            p.on_ack(probe_sizes[ack->first]);
        }
        now = std::max(now, p.next_deadline());
    }
    CHECK(p.result() == path_limit);
}
